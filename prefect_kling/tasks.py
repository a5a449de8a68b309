"""Prefect tasks: one per Kling endpoint, plus a single query.

Each create task validates its input before anything is sent, creates the task (or finds the
one the same request made before) and returns a `TaskReference`; `wait_for_task` in
`prefect_kling.sensors` waits for it. The tasks are synchronous, so they run when called
directly from sync and async flows alike.

Example:
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
from prefect_kling.models.account import AccountCosts, AccountCostsQuery
from prefect_kling.models.tasks import KlingTask, TaskReference

ImageSource = Any
"""A URL, a local path, bytes, or Base64 text."""


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
    with credentials.get_client() as client:
        return client.create(endpoint, request, idempotency_key=idempotency_key)


def _fields(
    request: Mapping[str, Any] | BaseModel | None, fields: Mapping[str, Any]
) -> dict[str, Any]:
    if request is None:
        return {key: value for key, value in fields.items() if value is not None}
    if fields:
        raise TypeError("give either request or individual fields, not both")
    return (
        request.model_dump(exclude_none=True) if isinstance(request, BaseModel) else dict(request)
    )


def _items(images: Sequence[ImageSource] | None, key: str) -> list[dict[str, Any]] | None:
    if images is None:
        return None
    return [image if isinstance(image, Mapping) else {key: image} for image in images]


_CREATE_TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE, "tags": ["kling"]}


@task(name="kling-text-to-video", **_CREATE_TASK_OPTIONS)
def text_to_video(
    credentials: KlingCredentials,
    prompt: str | None = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
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
    data = _fields(request, {"prompt": prompt, **fields})
    return create_task(credentials, "text2video", data, idempotency_key=idempotency_key)


@task(name="kling-image-to-video", **_CREATE_TASK_OPTIONS)
def image_to_video(
    credentials: KlingCredentials,
    image: ImageSource = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
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
    data = _fields(request, {"image": image, **fields})
    return create_task(credentials, "image2video", data, idempotency_key=idempotency_key)


@task(name="kling-multi-image-to-video", **_CREATE_TASK_OPTIONS)
def multi_image_to_video(
    credentials: KlingCredentials,
    images: Sequence[ImageSource] | None = None,
    prompt: str | None = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create a multi-image-to-video task from 2 to 4 reference images.

    Args:
        credentials: Where and how to reach Kling.
        images: The reference images (URLs, paths, bytes or Base64).
        prompt: What the video shows.
        request: All fields at once, as a mapping or `MultiImageToVideoRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `MultiImageToVideoRequest`.
    """
    data = _fields(request, {"image_list": _items(images, "image"), "prompt": prompt, **fields})
    return create_task(credentials, "multi-image2video", data, idempotency_key=idempotency_key)


@task(name="kling-multi-image-to-image", **_CREATE_TASK_OPTIONS)
def multi_image_to_image(
    credentials: KlingCredentials,
    subjects: Sequence[ImageSource] | None = None,
    prompt: str | None = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
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
    data = _fields(
        request,
        {"subject_image_list": _items(subjects, "subject_image"), "prompt": prompt, **fields},
    )
    return create_task(credentials, "multi-image2image", data, idempotency_key=idempotency_key)


@task(name="kling-get-task", cache_policy=NO_CACHE, tags=["kling"])
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
    with credentials.get_client() as client:
        return client.get_task(endpoint, task_id, external_task_id=external_task_id)


@task(name="kling-generate-image", **_CREATE_TASK_OPTIONS)
def generate_image(
    credentials: KlingCredentials,
    prompt: str | None = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
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
    data = _fields(request, {"prompt": prompt, **fields})
    return create_task(credentials, "image-generation", data, idempotency_key=idempotency_key)


@task(name="kling-extend-video", **_CREATE_TASK_OPTIONS)
def extend_video(
    credentials: KlingCredentials,
    video_id: str | None = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
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
    data = _fields(request, {"video_id": video_id, **fields})
    return create_task(credentials, "video-extend", data, idempotency_key=idempotency_key)


@task(name="kling-lip-sync", **_CREATE_TASK_OPTIONS)
def lip_sync(
    credentials: KlingCredentials,
    *,
    advanced: bool = False,
    request: Mapping[str, Any] | BaseModel | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Make a video's face speak a text or an audio track.

    The legacy call (`advanced=False`) takes `LipSyncRequest` fields: `mode`
    (`text2video` or `audio2video`), `video_id` or `video_url`, and `text` with `voice_id`,
    or `audio_url` / `audio_file`. The current pair (`advanced=True`) first identifies the
    video's faces (free, no task), then creates an advanced lip-sync from `video_id` or
    `video_url` and `face_choose` (a list of `FaceChoice`; a `face_id` left out means the
    first face found).

    Args:
        credentials: Where and how to reach Kling.
        advanced: Use identify-face + advanced-lip-sync instead of the legacy call.
        request: All fields at once (legacy call only).
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: The fields described above.
    """
    if not advanced:
        data = _fields(request, fields)
        return create_task(credentials, "lip-sync", data, idempotency_key=idempotency_key)
    source = {key: fields.pop(key) for key in ("video_id", "video_url") if key in fields}
    with credentials.get_client() as client:
        faces = client.identify_face(source)
        first_face = faces.face_ids[0] if faces.face_ids else None
        choices = [
            {"face_id": first_face, **choice} if "face_id" not in choice else choice
            for choice in fields.pop("face_choose", [])
        ]
        data = {"session_id": faces.session_id, "face_choose": choices, **fields}
        return client.create("advanced-lip-sync", data, idempotency_key=idempotency_key)


@task(name="kling-apply-video-effect", **_CREATE_TASK_OPTIONS)
def apply_video_effect(
    credentials: KlingCredentials,
    effect_scene: str | None = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
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
    data = _fields(request, {"effect_scene": effect_scene, **fields})
    return create_task(credentials, "effects", data, idempotency_key=idempotency_key)


@task(name="kling-expand-image", **_CREATE_TASK_OPTIONS)
def expand_image(
    credentials: KlingCredentials,
    image: ImageSource = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
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
    data = _fields(request, {"image": image, **fields})
    return create_task(credentials, "image-expand", data, idempotency_key=idempotency_key)


@task(name="kling-virtual-try-on", **_CREATE_TASK_OPTIONS)
def virtual_try_on(
    credentials: KlingCredentials,
    human_image: ImageSource = None,
    cloth_image: ImageSource = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
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
    data = _fields(request, {"human_image": human_image, "cloth_image": cloth_image, **fields})
    return create_task(credentials, "virtual-try-on", data, idempotency_key=idempotency_key)


@task(name="kling-list-tasks", cache_policy=NO_CACHE, tags=["kling"])
def list_tasks(
    credentials: KlingCredentials, endpoint: str, *, page: int = 1, page_size: int = 30
) -> list[KlingTask]:
    """One page of an endpoint's tasks, newest first (page 1..1000, size 1..500)."""
    with credentials.get_client() as client:
        return client.list_tasks(endpoint, page=page, page_size=page_size)


@task(name="kling-get-account-costs", cache_policy=NO_CACHE, tags=["kling"])
def get_account_costs(
    credentials: KlingCredentials, *, resource_pack_name: str | None = None
) -> AccountCosts:
    """The account's resource packs and remaining units (official API; free, creates nothing).

    Kling updates remaining units with a delay of up to 12 hours.
    """
    with credentials.get_client() as client:
        return client.account_costs(AccountCostsQuery(resource_pack_name=resource_pack_name))
