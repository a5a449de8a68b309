"""Prefect tasks: one per Kling endpoint row, plus queries of tasks and of the account.

Each create task validates its input before anything is sent, creates the task (or finds the
one the same request made before) and returns a `TaskReference`; `wait_for_task` in
`prefect_kling.sensors` waits for it. A create task takes the request as its own arguments
(the main ones by position, any other field of the request model by name) or all at once
as `request=` (a mapping or the request model), and `idempotency_key=` to ask for a fresh
take of a request made before. The tasks are synchronous, so they run when called directly
from sync and async flows alike. Every task here is exported by `prefect_kling` too
(`__all__`). Their clients come from the current `Runtime` (`prefect_kling.runtime`), so
a test can give them another client factory, clock and sleep with `use_runtime`.

Examples:
    ```python
    from prefect import flow
    from prefect_kling import KlingCredentials
    from prefect_kling.tasks import text_to_video
    from prefect_kling.sensors import wait_for_task

    @flow
    def fox_video():
        credentials = KlingCredentials.load("kling")
        reference = text_to_video(credentials, prompt="A red fox running through snow")
        return wait_for_task(reference, credentials).videos[0].url
    ```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from prefect_kling.credentials import KlingCredentials
from prefect_kling.lip_sync_plan import LipSyncPlan
from prefect_kling.models.account import AccountCosts, AccountCostsQuery
from prefect_kling.models.effects import VideoEffectRequest
from prefect_kling.models.images import (
    ImageExpandRequest,
    ImageGenerationRequest,
    MultiImageToImageRequest,
    VirtualTryOnRequest,
)
from prefect_kling.models.lipsync import AdvancedLipSyncRequest, LipSyncRequest
from prefect_kling.models.tasks import KlingTask, TaskReference
from prefect_kling.models.videos import (
    ImageToVideoRequest,
    MultiImageToVideoRequest,
    TextToVideoRequest,
    VideoExtendRequest,
)
from prefect_kling.runtime import current_runtime

__all__ = [
    "apply_video_effect",
    "expand_image",
    "extend_video",
    "generate_image",
    "get_account_costs",
    "get_task",
    "image_to_video",
    "lip_sync",
    "list_tasks",
    "multi_image_to_image",
    "multi_image_to_video",
    "text_to_video",
    "virtual_try_on",
]
"""The Prefect tasks; `prefect_kling` exports each of them."""

ImageSource = Any
"""A URL, a local path, bytes, or Base64 text."""
Fields = Mapping[str, Any]
"""Request fields by name."""

# No Prefect cache: the create is made idempotent by its external task id instead, and a
# query must read the status as it is now.
_TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE, "tags": ["kling"]}


def create_task(
    credentials: KlingCredentials,
    endpoint: str,
    request: Mapping[str, Any] | BaseModel,
    *,
    idempotency_key: str | None = None,
) -> TaskReference:
    """Create a Kling task on any endpoint (the function behind every create task).

    Args:
        credentials: Where and how to reach Kling.
        endpoint: Endpoint name, e.g. `text2video`.
        request: The request fields, or a request model.
        idempotency_key: Ask for a fresh take of a request made before.

    Returns:
        A reference to the task: id, external id, endpoint, provider, status.
    """
    with current_runtime().client(credentials) as client:
        return client.create(endpoint, request, idempotency_key=idempotency_key)


def _request_fields(request: Fields | BaseModel | None, **fields: Any) -> dict[str, Any]:
    """The request of a create task: `request` as given, or the fields given (not None).

    Raises:
        TypeError: Both a whole request and separate fields are given.

    Examples:
        >>> _request_fields(None, prompt="fox", duration=None)
        {'prompt': 'fox'}
        >>> _request_fields({"prompt": "fox"}, duration=None)
        {'prompt': 'fox'}
    """
    given = {key: value for key, value in fields.items() if value is not None}
    if request is None:
        return given
    if given:
        raise TypeError("give either request or individual fields, not both")
    return (
        request.model_dump(exclude_none=True) if isinstance(request, BaseModel) else dict(request)
    )


def _create(
    credentials: KlingCredentials,
    endpoint: str,
    request: Fields | BaseModel | None,
    idempotency_key: str | None,
    **fields: Any,
) -> TaskReference:
    data = _request_fields(request, **fields)
    return create_task(credentials, endpoint, data, idempotency_key=idempotency_key)


def _items(images: Sequence[ImageSource] | None, key: str) -> list[dict[str, Any]] | None:
    """Images as the items of a request's list: each `{key: image}` unless already an item."""
    if images is None:
        return None
    return [image if isinstance(image, Mapping) else {key: image} for image in images]


@task(name="kling-text-to-video", **_TASK_OPTIONS)
def text_to_video(
    credentials: KlingCredentials,
    prompt: str | None = None,
    *,
    request: Fields | TextToVideoRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create a text-to-video task.

    Args:
        credentials: Where and how to reach Kling.
        prompt: What the video shows.
        request: All fields at once, as a mapping or `TextToVideoRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `TextToVideoRequest` (model_name, mode, duration,
            aspect_ratio, negative_prompt, cfg_scale, camera_control, callback_url, ...).
    """
    return _create(credentials, "text2video", request, idempotency_key, prompt=prompt, **fields)


@task(name="kling-image-to-video", **_TASK_OPTIONS)
def image_to_video(
    credentials: KlingCredentials,
    image: ImageSource = None,
    *,
    request: Fields | ImageToVideoRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create an image-to-video task (start frame, end frame, motion brush, camera).

    Args:
        credentials: Where and how to reach Kling.
        image: The start frame: URL, local path, bytes or Base64.
        request: All fields at once, as a mapping or `ImageToVideoRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `ImageToVideoRequest` (image_tail, prompt, model_name,
            mode, duration, static_mask, dynamic_masks, camera_control, ...).
    """
    return _create(credentials, "image2video", request, idempotency_key, image=image, **fields)


@task(name="kling-multi-image-to-video", **_TASK_OPTIONS)
def multi_image_to_video(
    credentials: KlingCredentials,
    images: Sequence[ImageSource] | None = None,
    prompt: str | None = None,
    *,
    request: Fields | MultiImageToVideoRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create a multi-image-to-video task from 1 to 4 reference images (2 to 4 on CometAPI).

    Args:
        credentials: Where and how to reach Kling.
        images: The reference images (URLs, paths, bytes or Base64).
        prompt: What the video shows.
        request: All fields at once, as a mapping or `MultiImageToVideoRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `MultiImageToVideoRequest`.
    """
    image_list = _items(images, "image")
    return _create(
        credentials,
        "multi-image2video",
        request,
        idempotency_key,
        image_list=image_list,
        prompt=prompt,
        **fields,
    )


@task(name="kling-multi-image-to-image", **_TASK_OPTIONS)
def multi_image_to_image(
    credentials: KlingCredentials,
    subjects: Sequence[ImageSource] | None = None,
    prompt: str | None = None,
    *,
    request: Fields | MultiImageToImageRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create a multi-image-to-image task from subject images, with optional scene and style.

    Args:
        credentials: Where and how to reach Kling.
        subjects: The subject images (URLs, paths, bytes or Base64).
        prompt: What the image shows.
        request: All fields at once, as a mapping or `MultiImageToImageRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `MultiImageToImageRequest` (scene_image, style_image,
            n, aspect_ratio, ...).
    """
    subject_image_list = _items(subjects, "subject_image")
    return _create(
        credentials,
        "multi-image2image",
        request,
        idempotency_key,
        subject_image_list=subject_image_list,
        prompt=prompt,
        **fields,
    )


@task(name="kling-image-generation", **_TASK_OPTIONS)
def generate_image(
    credentials: KlingCredentials,
    prompt: str | None = None,
    *,
    request: Fields | ImageGenerationRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create a text-to-image or image-to-image task (`images/generations`).

    Args:
        credentials: Where and how to reach Kling.
        prompt: What the image shows.
        request: All fields at once, as a mapping or `ImageGenerationRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `ImageGenerationRequest` (image, image_reference,
            image_fidelity, resolution, n, aspect_ratio, model_name, ...).
    """
    return _create(
        credentials, "image-generation", request, idempotency_key, prompt=prompt, **fields
    )


@task(name="kling-video-extend", **_TASK_OPTIONS)
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
    return _create(
        credentials, "video-extend", request, idempotency_key, video_id=video_id, **fields
    )


@task(name="kling-lip-sync", **_TASK_OPTIONS)
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
    data = _request_fields(request, **fields)
    endpoint = "advanced-lip-sync" if advanced else "lip-sync"
    if not (advanced and LipSyncPlan.names_its_video(data)):
        return create_task(credentials, endpoint, data, idempotency_key=idempotency_key)
    plan = LipSyncPlan.check(data, credentials.provider, idempotency_key=idempotency_key)
    with current_runtime().client(credentials) as client:
        faces = client.identify_face(plan.source)
        return client.create(endpoint, plan.request(faces))


@task(name="kling-apply-video-effect", **_TASK_OPTIONS)
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
    return _create(
        credentials, "effects", request, idempotency_key, effect_scene=effect_scene, **fields
    )


@task(name="kling-expand-image", **_TASK_OPTIONS)
def expand_image(
    credentials: KlingCredentials,
    image: ImageSource = None,
    *,
    request: Fields | ImageExpandRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Outpaint an image (official API): grow the canvas up to 3 times its area.

    Args:
        credentials: Where and how to reach Kling.
        image: The image: URL, local path, bytes or Base64.
        request: All fields at once, as a mapping or `ImageExpandRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: `up_expansion_ratio`, `down_...`, `left_...`, `right_...` (0 to 2),
            `prompt`, `n`, `callback_url`, ...
    """
    return _create(credentials, "image-expand", request, idempotency_key, image=image, **fields)


@task(name="kling-virtual-try-on", **_TASK_OPTIONS)
def virtual_try_on(
    credentials: KlingCredentials,
    human_image: ImageSource = None,
    cloth_image: ImageSource = None,
    *,
    request: Fields | VirtualTryOnRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Dress a person in a garment (Kolors virtual try-on).

    Args:
        credentials: Where and how to reach Kling.
        human_image: The person: URL, local path, bytes or Base64.
        cloth_image: The garment.
        request: All fields at once, as a mapping or `VirtualTryOnRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: `model_name` (`kolors-virtual-try-on-v1` or `-v1-5`), `callback_url`, ...
    """
    return _create(
        credentials,
        "virtual-try-on",
        request,
        idempotency_key,
        human_image=human_image,
        cloth_image=cloth_image,
        **fields,
    )


@task(name="kling-get-task", **_TASK_OPTIONS)
def get_task(
    credentials: KlingCredentials,
    reference: TaskReference | None = None,
    *,
    endpoint: str | None = None,
    task_id: str | None = None,
    external_task_id: str | None = None,
) -> KlingTask:
    """Query a task once: by reference, or by endpoint and task id or external id.

    Args:
        credentials: Where and how to reach Kling.
        reference: A reference from a create task (this run or an earlier one).
        endpoint: Endpoint name, when no reference is given.
        task_id: Kling's task id, when no reference is given.
        external_task_id: The create's external id, when no task id is known.
    """
    if reference is not None:
        endpoint, task_id = reference.endpoint, reference.task_id
    if endpoint is None:
        raise ValueError("give a reference, or an endpoint with a task_id or external_task_id")
    with current_runtime().client(credentials) as client:
        return client.get_task(endpoint, task_id, external_task_id=external_task_id)


@task(name="kling-list-tasks", **_TASK_OPTIONS)
def list_tasks(
    credentials: KlingCredentials, endpoint: str, *, page: int = 1, page_size: int = 30
) -> list[KlingTask]:
    """One page of an endpoint's tasks, newest first (page 1..1000, size 1..500)."""
    with current_runtime().client(credentials) as client:
        return client.list_tasks(endpoint, page=page, page_size=page_size)


@task(name="kling-get-account-costs", **_TASK_OPTIONS)
def get_account_costs(
    credentials: KlingCredentials, *, resource_pack_name: str | None = None
) -> AccountCosts:
    """The account's resource packs and remaining units (official API; free, creates nothing).

    Kling updates remaining units with a delay of up to 12 hours.
    """
    with current_runtime().client(credentials) as client:
        return client.account_costs(AccountCostsQuery(resource_pack_name=resource_pack_name))
