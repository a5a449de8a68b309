"""The single-generation flows: `generate_video` and `generate_image`.

Each runs one request through the generation pipeline (`prefect_kling.flows.pipeline`):
validate, create (or reuse), wait, save the files. The task holds `occupy` slots of the
Prefect limit `kling-<family>` from before the create until it ends.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from prefect import flow

from prefect_kling.budget import UnitBudget
from prefect_kling.callbacks import CallbackWatcher
from prefect_kling.concurrency import kling_slots
from prefect_kling.credentials import KlingCredentials
from prefect_kling.endpoints import ENDPOINTS, ResultKind, get_endpoint
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.flows.arguments import (
    DEFAULT_OUTPUT,
    Credentials,
    Output,
    callback_url_of,
    check_waiting,
    resolve_credentials,
)
from prefect_kling.flows.create_step import refresh_take
from prefect_kling.flows.pipeline import Generation
from prefect_kling.flows.preflight import check_budget, check_output
from prefect_kling.flows.result import GenerationResult
from prefect_kling.runtime import Runtime, use_runtime
from prefect_kling.waiting import (
    DEFAULT_MAX_WAIT_SECONDS,
    PollSchedule,
    PollWaiter,
    StatusCallback,
    Waiter,
)


def waiter_for(
    credentials: KlingCredentials,
    callback: str | None,
    *,
    poll_interval_seconds: float,
    safety_poll_seconds: float,
) -> AbstractContextManager[Waiter]:
    """Events from the receiver when there is a callback URL, polling otherwise."""
    if callback is not None:
        return CallbackWatcher(credentials, safety_interval=safety_poll_seconds)
    return PollWaiter(credentials, PollSchedule(first_interval=poll_interval_seconds))


def _generate(
    kind: ResultKind,
    request: dict[str, Any],
    endpoint: str,
    credentials: Credentials,
    output: Output,
    idempotency_key: str | None,
    refresh: bool,
    watermark: bool,
    max_wait_seconds: float,
    max_units: float | None,
    strict: bool,
    result_storage: Any,
    poll_interval_seconds: float,
    callback_safety_poll_seconds: float,
    on_status: StatusCallback | None,
    runtime: Runtime | None,
) -> GenerationResult:
    check_waiting(
        max_wait_seconds=max_wait_seconds,
        poll_interval_seconds=poll_interval_seconds,
        callback_safety_poll_seconds=callback_safety_poll_seconds,
    )
    check_output(output)
    row = get_endpoint(endpoint)
    if row.result_kind is not kind:
        allowed = ", ".join(name for name, other in ENDPOINTS.items() if other.result_kind is kind)
        raise KlingValidationError.single(
            "endpoint", f"{endpoint!r} makes no {kind.value}s; allowed: {allowed}"
        )
    creds = resolve_credentials(credentials)
    callback = callback_url_of(creds)
    with use_runtime(runtime):
        generation = Generation.prepare(
            row,
            request,
            creds,
            idempotency_key=idempotency_key,
            strict=strict,
            callback_url=callback,
            on_status=on_status,
        )
        # A budget too small for this one task is refused naming max_units.
        prepared = generation.prepared
        check_budget(prepared.endpoint.name, prepared.priced_fields, max_units)
        budget = UnitBudget(max_units)
        ticket = budget.reserve(prepared.endpoint.name, prepared.priced_fields)
        # With callbacks, the event subscription opens before the create: no event is missed.
        waiting = waiter_for(
            creds,
            callback,
            poll_interval_seconds=poll_interval_seconds,
            safety_poll_seconds=callback_safety_poll_seconds,
        )
        slots = kling_slots(
            row.family, creds.account, occupy=generation.slots, on_wait=generation.slot_wait
        )
        with waiting as waiter, slots:
            generation.create(take=refresh_take(refresh), result_storage=result_storage)
            finished = generation.wait(waiter, max_wait_seconds=max_wait_seconds)
        budget.settle(ticket, finished.units)
        return generation.save(finished, output, watermark=watermark)


def _generation_flow(kind: ResultKind, default_endpoint: str, doc: str) -> Any:
    """A flow that runs one request of this kind through the pipeline (one signature for both)."""

    def generate(
        request: dict[str, Any],
        endpoint: str = default_endpoint,
        credentials: Credentials = None,
        output: Output = DEFAULT_OUTPUT,
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
    ) -> GenerationResult:
        arguments = dict(locals())  # the flow's arguments, as given, and the closure's kind
        del arguments["kind"]
        return _generate(kind, **arguments)

    generate.__name__ = generate.__qualname__ = f"generate_{kind.value}"
    generate.__doc__ = doc
    return flow(name=f"kling-generate-{kind.value}")(generate)


generate_video = _generation_flow(
    ResultKind.VIDEO,
    "text2video",
    """Generate a video: validate, create (or reuse), wait, save the files.

    Args:
        request: The request fields, e.g. `{"prompt": "...", "duration": "5"}`; images
            may be URLs, local paths, bytes or Base64. An `advanced-lip-sync` request
            may give `video_id` or `video_url` instead of `session_id`: the faces are
            then identified first, and face choices may leave out `face_id` (the first
            face not chosen otherwise), `sound_insert_time` (when the face appears) and
            `sound_end_time` (the audio plays until the face leaves).
        endpoint: A video endpoint: `text2video`, `image2video`, `multi-image2video`,
            `video-extend`, `lip-sync`, `advanced-lip-sync` or `effects`.
        credentials: A block, a saved block's name, or None for the `KLING_*` variables.
        output: A local folder, a Prefect writable filesystem block or a `Destination`.
        idempotency_key: A new key asks for a new take of the same request.
        refresh: Ignore the cached create and make a new task, which becomes the cached one.
        watermark: Also save the watermarked variants.
        max_wait_seconds: Longest wait for the task.
        max_units: Send no create that could take the run past this many units.
        strict: Refuse model names (and effect scenes) unknown for the provider (the
            default); False sends them with an `UnknownModelWarning`.
        result_storage: Where cached creates are kept (a block or block slug); share it
            between workers so that none of them pays for a request another already made.
        poll_interval_seconds: First pause between queries (it grows to 30 s).
        callback_safety_poll_seconds: With a callback URL (the credentials'
            `callback_url`, or `KLING_CALLBACK_URL`), query anyway after this many seconds
            without an event. With one, Kling reports to your receiver and the flow waits
            for the receiver's events instead of polling, with one confirming query. The
            URL comes from the credentials only: its token stays a secret, never a run
            parameter, and a request with a `callback_url` of its own is refused.
        on_status: Called with the task and the seconds waited on every status change
            (the command line's progress line uses it).
        runtime: Clocks, sleep and client factory; `KlingSimulator.runtime()` runs the
            wait on the simulator's clock, taking no real time. The current one by default.

    Returns:
        The task, its cost and the files saved.
    """,
)

generate_image = _generation_flow(
    ResultKind.IMAGE,
    "multi-image2image",
    """Generate images: validate, create (or reuse), wait, save the files.

    Takes the same arguments as `generate_video` (and the callback URL of the credentials
    the same way); `endpoint` is an image endpoint:
    `multi-image2image`, `image-generation`, `omni-image`, `multi-shot`, `image-expand` or
    `virtual-try-on` (whose tasks hold slots of the Prefect limit `kling-try-on`). An
    omni image series is saved in order (`omni-image-<task_id>-<index>.png`), and so are
    the three views of a multi-shot.

    Returns:
        The task, its cost and the files saved.
    """,
)
