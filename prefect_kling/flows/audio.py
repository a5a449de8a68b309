"""The audio flow: `generate_audio`, text to audio, video to audio or text to speech.

Text to audio and video to audio run through the generation pipeline as videos and images
do (validate, create or reuse, wait, save); each audio track is saved twice, as Kling
makes it: its MP3, then its WAV, both checksummed in the task's manifest. Video to audio
also answers the video with its new sound, which is saved first. Text to speech
(`endpoint="tts"`) creates no Kling task: the cached `text_to_speech` step answers at once
(the same call is paid for once), and its one MP3 is saved the same way. The audio's id
(`GenerationResult.audio_id`) is what the avatar and the advanced lip-sync take.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from prefect_kling._checks import require_positive
from prefect_kling.endpoints import ResultKind
from prefect_kling.endpoints.audio import TTS
from prefect_kling.exceptions import KlingBudgetExceeded
from prefect_kling.flows.arguments import (
    DEFAULT_OUTPUT,
    Credentials,
    Output,
    resolve_credentials,
)
from prefect_kling.flows.generate import _generate
from prefect_kling.flows.pipeline import save_results
from prefect_kling.flows.preflight import check_output
from prefect_kling.flows.result import GenerationResult
from prefect_kling.library import route_request
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.observe import emit_task_event, publish_task_summary
from prefect_kling.pricing import estimate_units
from prefect_kling.runtime import Runtime, use_runtime
from prefect_kling.tasks.audio import text_to_speech
from prefect_kling.waiting import DEFAULT_MAX_WAIT_SECONDS, StatusCallback


@flow(name="kling-generate-audio")
def generate_audio(
    request: dict[str, Any],
    endpoint: str = "text-to-audio",
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
    """Generate audio: validate, create (or reuse), wait, save each track as MP3 and WAV.

    Takes the same arguments as `generate_video`; `endpoint` is `text-to-audio`,
    `video-to-audio` or `tts` (text to speech, answered at once: nothing to wait for, and
    `idempotency_key`, `max_wait_seconds` and the polling settings play no part; `refresh`
    calls Kling again instead of reusing the cached answer). Audio has no watermarked
    variant: `watermark` changes nothing.

    Args:
        request: The request fields, e.g. `{"prompt": "Rain on a tin roof", "duration": 5}`
            or, for `tts`, `{"text": "Hello.", "voice_id": "oversea_male1",
            "voice_language": "en"}`.
        endpoint: `text-to-audio`, `video-to-audio` or `tts`.
        credentials: A block, a saved block's name, or None for the `KLING_*` variables.
        output: A local folder, a Prefect writable filesystem block or a `Destination`.
        idempotency_key: A new key asks for a new take of the same request.
        refresh: Ignore the cached create (or answer) and pay for a new one.
        watermark: Unused (audio has no watermarked variant); kept for one signature.
        max_wait_seconds: Longest wait for the task.
        max_units: Send no create that could take the run past this many units.
        strict: Refuse model names unknown for the provider.
        result_storage: Where cached creates are kept (a block or block slug).
        poll_interval_seconds: First pause between queries.
        callback_safety_poll_seconds: With a callback URL, query anyway after this long.
        on_status: Called with the task and the seconds waited on every status change.
        runtime: Clocks, sleep and client factory (`KlingSimulator.runtime()` in tests).

    Returns:
        The task, its cost and the files saved (video to audio's video first, then each
        track's MP3 and WAV).

    Examples:
        ```python
        from prefect_kling.flows import generate_audio

        result = generate_audio({"prompt": "Rain on a tin roof", "duration": 5})
        print([file.path for file in result.files])  # the .mp3, then the .wav
        ```
    """
    if endpoint == TTS.name:
        return _speak(request, credentials, output, refresh, max_units, result_storage, runtime)
    return _generate(
        ResultKind.AUDIO,
        request,
        endpoint,
        credentials,
        output,
        idempotency_key,
        refresh,
        watermark,
        max_wait_seconds,
        max_units,
        strict,
        result_storage,
        poll_interval_seconds,
        callback_safety_poll_seconds,
        on_status,
        runtime,
    )


def check_speech(
    request: dict[str, Any], credentials: Any, *, max_units: float | None = None
) -> float:
    """Check a text-to-speech request and the budget, sending nothing; its estimate.

    Raises:
        KlingValidationError: A field breaks a rule, or the provider has no text to speech.
        KlingBudgetExceeded: The call's price passes `max_units`.
    """
    model = route_request(TTS, credentials, request)
    estimate = estimate_units(TTS.name, model.model_dump(exclude_none=True))
    if max_units is not None:
        require_positive("max_units", max_units, "units")
        if estimate > max_units:
            raise KlingBudgetExceeded(
                f"max_units: not calling tts: {estimate:g} estimated units would pass the "
                f"budget of {max_units:g} units; allowed: at least {estimate:g} units, or no "
                "budget"
            )
    return estimate


def _speak(
    request: dict[str, Any],
    credentials: Credentials,
    output: Output,
    refresh: bool,
    max_units: float | None,
    result_storage: Any,
    runtime: Runtime | None,
) -> GenerationResult:
    check_output(output)
    creds = resolve_credentials(credentials)
    check_speech(request, creds, max_units=max_units)
    options: dict[str, Any] = {"refresh_cache": refresh}
    if result_storage is not None:
        options["result_storage"] = result_storage
    with use_runtime(runtime):
        state = text_to_speech.with_options(**options)(creds, request=request, return_state=True)
        answer = state.result()
        reference = TaskReference.from_task(answer, endpoint=TTS.name, provider=creds.provider)
        files = save_results(answer, reference, output, False)
    emit_task_event("downloaded", reference, task=answer, files=len(files))
    publish_task_summary(reference, task=answer, request={}, files=files)
    return GenerationResult(
        reference=reference,
        status=answer.status_said,
        units=answer.units,
        files=files,
        reused=state.name == "Cached",
        finished_at=answer.updated_at,
    )


__all__ = ["check_speech", "generate_audio"]
