"""Tasks that create videos from prompts and images: text, image and multi-image to video."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import task

from prefect_kling.credentials import KlingCredentials
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.models.videos import (
    ImageToVideoRequest,
    MultiImageToVideoRequest,
    TextToVideoRequest,
)
from prefect_kling.tasks.creating import TASK_OPTIONS, Fields, ImageSource, as_items, create_from

__all__ = [
    "image_to_video",
    "multi_image_to_video",
    "text_to_video",
]


@task(name="kling-text-to-video", **TASK_OPTIONS)
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
    return create_from(credentials, "text2video", request, idempotency_key, prompt=prompt, **fields)


@task(name="kling-image-to-video", **TASK_OPTIONS)
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
    return create_from(credentials, "image2video", request, idempotency_key, image=image, **fields)


@task(name="kling-multi-image-to-video", **TASK_OPTIONS)
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
    image_list = as_items(images, "image")
    return create_from(
        credentials,
        "multi-image2video",
        request,
        idempotency_key,
        image_list=image_list,
        prompt=prompt,
        **fields,
    )
