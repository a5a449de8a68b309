"""`extend_video`: extend a video N times in a chain, each step extending the last result."""

from __future__ import annotations

from typing import Any

from prefect import flow

from prefect_kling.client import prepare_create
from prefect_kling.exceptions import (
    KlingBudgetExceeded,
    KlingError,
    KlingValidationError,
)
from prefect_kling.flows.arguments import (
    DEFAULT_OUTPUT,
    Credentials,
    Output,
    resolve_credentials,
)
from prefect_kling.flows.generate import generate_video
from prefect_kling.flows.preflight import check_budget, check_output
from prefect_kling.flows.result import GenerationResult
from prefect_kling.runtime import Runtime, use_runtime
from prefect_kling.waiting import DEFAULT_MAX_WAIT_SECONDS, StatusCallback


def check_times(times: Any) -> None:
    """Refuse a chain length that is not a whole number of 1 or more.

    Raises:
        KlingValidationError: `times` is not such a number; the message names it.

    Examples:
        >>> check_times(2)
    """
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise KlingValidationError.single("times", f"{times!r}; allowed: 1 or more")


@flow(name="kling-extend-video")
def extend_video(
    video_id: str,
    times: int = 1,
    prompt: str | None = None,
    credentials: Credentials = None,
    output: Output = DEFAULT_OUTPUT,
    negative_prompt: str | None = None,
    cfg_scale: float | None = None,
    idempotency_key: str | None = None,
    refresh: bool = False,
    watermark: bool = False,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    max_units: float | None = None,
    strict: bool = True,
    result_storage: Any = None,
    poll_interval_seconds: float = 2.0,
    callback_safety_poll_seconds: float = 300.0,
    on_status: StatusCallback | None = None,
    runtime: Runtime | None = None,
    task_id: str | None = None,
) -> list[GenerationResult]:
    """Extend a video `times` times in a chain, each step extending the one before.

    Each step is a `generate_video` subflow on `video-extend`, fed with the video id of the
    previous step's result, so each adds 4 to 5 seconds; a rerun with the same inputs
    reuses every step already made. Kling's API and CometAPI (which also wants the id of
    the task that made the video: `task_id`; each later step names the step before it),
    for videos under 30 days old and up to 3 minutes long in the end.

    Args:
        video_id: The video to extend, e.g. `GenerationResult.video_id` of an earlier run.
        times: How many extensions to chain, 1 or more.
        prompt: What the added seconds should show (every step).
        credentials: A block, a saved block's name, or None for the `KLING_*` variables.
        output: A local folder or a Prefect writable filesystem block.
        negative_prompt: What the added seconds should not show.
        cfg_scale: How closely to follow the prompt, 0 to 1.
        idempotency_key: A new key asks for a new take of the chain.
        refresh: Ignore the cached creates and make new tasks.
        watermark: Also save the watermarked variants.
        max_wait_seconds: Longest wait for each step.
        max_units: Send no create that could take the chain past this many units:
            checked before the first step with estimates (1 unit a step), and before
            each step with what the steps before it were charged.
        strict: Refuse model names (and effect scenes) unknown for the provider (the
            default); False sends them with an `UnknownModelWarning`.
        result_storage: Where cached creates are kept (a block or block slug).
        poll_interval_seconds: First pause between queries.
        callback_safety_poll_seconds: With a callback URL (the credentials'
            `callback_url`, or `KLING_CALLBACK_URL`: each step waits for your receiver's
            events instead of polling), query anyway after this long.
        on_status: Called with the task and the seconds waited on every status change.
        runtime: Clocks, sleep and client factory (see `generate_video`).
        task_id: The id of the task that made the video (CometAPI requires it).

    Returns:
        One result a step, in order; the last one holds the full-length video.
    """
    check_times(times)
    check_output(output)
    creds = resolve_credentials(credentials)
    fields = {
        "task_id": task_id,
        "prompt": prompt,
        "negative_prompt": negative_prompt,
        "cfg_scale": cfg_scale,
    }
    request = {"video_id": video_id, **{k: v for k, v in fields.items() if v is not None}}
    prepared = prepare_create("video-extend", request, creds.provider, strict=strict)
    estimate = check_budget("video-extend", prepared.payload, max_units, times=times)
    results: list[GenerationResult] = []
    spent = 0.0
    for step in range(1, times + 1):
        if max_units is not None and spent >= max_units:
            raise KlingBudgetExceeded(
                f"not extending again: {spent:g} units charged reach the budget of "
                f"{max_units:g} units"
            )
        with use_runtime(runtime):
            result = generate_video(
                request,
                endpoint="video-extend",
                credentials=creds,
                output=output,
                idempotency_key=idempotency_key,
                refresh=refresh,
                watermark=watermark,
                max_wait_seconds=max_wait_seconds,
                max_units=None if max_units is None else max_units - spent,
                strict=strict,
                result_storage=result_storage,
                poll_interval_seconds=poll_interval_seconds,
                callback_safety_poll_seconds=callback_safety_poll_seconds,
                on_status=on_status,
            )
        results.append(result)
        spent += estimate if result.units is None else result.units
        if result.video_id is None:
            raise KlingError(f"extend step {step} (task {result.task_id}) gave no video id")
        request = {**request, "video_id": result.video_id}
        if task_id is not None:
            request["task_id"] = result.task_id
    return results
