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
