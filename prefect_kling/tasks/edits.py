"""Tasks that start from a video or a picture: extend, lip-sync, effects, element editing."""

from __future__ import annotations

from typing import Any

from prefect import task

from prefect_kling.credentials import KlingCredentials
from prefect_kling.lip_sync_plan import LipSyncPlan
from prefect_kling.models.effects import VideoEffectRequest
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.models.lipsync import AdvancedLipSyncRequest, LipSyncRequest
from prefect_kling.models.videos import VideoExtendRequest
from prefect_kling.runtime import current_runtime
from prefect_kling.tasks.creating import (
    TASK_OPTIONS,
    Fields,
    create_from,
    create_task,
    request_fields,
)

__all__ = [
    "apply_video_effect",
    "edit_video_elements",
    "extend_video",
    "lip_sync",
]


@task(name="kling-video-extend", **TASK_OPTIONS)
def extend_video(
    credentials: KlingCredentials,
    video_id: str | None = None,
    *,
    request: Fields | VideoExtendRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Extend a Kling video by 4 to 5 seconds (official API; videos under 30 days old).

    Args:
        credentials: Where and how to reach Kling.
        video_id: The `id` of a video from an earlier result (`task.videos[0].id`).
        request: All fields at once, as a mapping or `VideoExtendRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: prompt, negative_prompt, cfg_scale, callback_url, external_task_id.
    """
    return create_from(
        credentials, "video-extend", request, idempotency_key, video_id=video_id, **fields
    )


@task(name="kling-lip-sync", **TASK_OPTIONS)
def lip_sync(
    credentials: KlingCredentials,
    *,
    advanced: bool = False,
    request: Fields | LipSyncRequest | AdvancedLipSyncRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Make a video's face speak a text or an audio track.

    The legacy call (`advanced=False`) takes `LipSyncRequest` fields: `mode`
    (`text2video` or `audio2video`), `video_id` or `video_url`, and `text` with `voice_id`,
    or `audio_url` / `audio_file`. The current pair (`advanced=True`) takes `video_id` or
    `video_url` and `face_choose` (a list of `FaceChoice` fields): it checks them, identifies
    the video's faces (free, no task), then creates the advanced lip-sync; face choices may
    leave out `face_id`, `sound_insert_time` and `sound_end_time` (see `LipSyncPlan`). With
    a `session_id` from an earlier identify-face instead of the video, it creates at once.
    Either way the same request is the same task: a rerun does not pay again.

    Args:
        credentials: Where and how to reach Kling.
        advanced: Use identify-face + advanced-lip-sync instead of the legacy call.
        request: All fields at once, as a mapping or a request model.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: The fields described above.
    """
    data = request_fields(request, **fields)
    endpoint = "advanced-lip-sync" if advanced else "lip-sync"
    if not (advanced and LipSyncPlan.names_its_video(data)):
        return create_task(credentials, endpoint, data, idempotency_key=idempotency_key)
    plan = LipSyncPlan.check(data, credentials.provider, idempotency_key=idempotency_key)
    with current_runtime().client(credentials) as client:
        faces = client.identify_face(plan.source)
        return client.create(endpoint, plan.request(faces))


@task(name="kling-apply-video-effect", **TASK_OPTIONS)
def apply_video_effect(
    credentials: KlingCredentials,
    effect_scene: str | None = None,
    *,
    request: Fields | VideoEffectRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Apply a video effect: single-image scenes take `image`, two-person scenes `images`.

    Args:
        credentials: Where and how to reach Kling.
        effect_scene: The effect, e.g. `hug` (two people) or a single-image scene.
        request: All fields at once, as a mapping or `VideoEffectRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: `image` or `images`, `duration`, `model_name`, `mode`, `callback_url`, ...
    """
    return create_from(
        credentials, "effects", request, idempotency_key, effect_scene=effect_scene, **fields
    )


@task(name="kling-multi-elements", **TASK_OPTIONS)
def edit_video_elements(
    credentials: KlingCredentials,
    *,
    output: Any = "kling-output",
    request: Fields | None = None,
    idempotency_key: str | None = None,
    max_wait_seconds: float = 1800.0,
    poll_interval_seconds: float = 2.0,
    **fields: Any,
) -> Any:
    """Edit an element of a video: the whole selection session, the edit, its saved video.

    Runs init-selection on the video, add-selection for each of `selections`,
    delete-selection for each of `deletions`, preview-selection (each step logged), then
    creates the edit, waits for it and saves the video to `output` with its SHA-256.
    Everything is checked before the first call; the same request is the same task (its
    external id comes from the video, the selections and the edit, not from the session),
    so a rerun finds the earlier task instead of paying again. Given a `session_id` of
    your own instead of a video, it creates at once.

    Args:
        credentials: Where and how to reach Kling.
        output: A local folder or a Prefect writable filesystem block.
        request: All fields at once, as a mapping.
        idempotency_key: Ask for a fresh take of a request made before.
        max_wait_seconds: Longest wait for the edit.
        poll_interval_seconds: First pause between queries.
        **fields: `video_id` or `video_url`; `selections` and `deletions` (frames, each
            `{"frame_index": 0, "points": [{"x": 0.5, "y": 0.4}]}`); `edit_mode`
            (`addition`, `swap` or `removal`), `image_list`, `prompt`, `negative_prompt`,
            `mode`, `duration`, `callback_url`, `external_task_id`.

    Returns:
        The `GenerationResult`: the task, its units and the saved file.
    """
    from prefect_kling.flows.pipeline import Generation
    from prefect_kling.waiting import PollSchedule, PollWaiter

    data = request_fields(request, **fields)
    generation = Generation.prepare(
        "multi-elements", data, credentials, idempotency_key=idempotency_key
    )
    schedule = PollSchedule(first_interval=poll_interval_seconds)
    with PollWaiter(credentials, schedule) as waiter:
        generation.create()
        finished = generation.wait(waiter, max_wait_seconds=max_wait_seconds)
    return generation.save(finished, output, watermark=False)
