"""Tasks that create videos: text, image, multi-image and omni video, and motion control.

The model decides Kling's API standard: `text_to_video` and `image_to_video` send a
newer-standard model (`kling-3.0-turbo`, `kling-3.0`, `kling-2.6`, `kling-2.5-turbo`) to
`/text-to-video/<model>` or `/image-to-video/<model>`, and a `/v1` model (`kling-v3`,
`kling-v2-6`, ...) to `/v1/videos/...`; `omni_video` and `motion_control` are served by
the newer standard only (an API key is needed there).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import task

from prefect_kling.credentials import KlingCredentials
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.models.new_standard import MotionControlRequest, OmniVideoRequest
from prefect_kling.models.videos import (
    ImageToVideoRequest,
    MultiImageToVideoRequest,
    TextToVideoRequest,
)
from prefect_kling.tasks.creating import TASK_OPTIONS, Fields, ImageSource, as_items, create_from

__all__ = [
    "image_to_video",
    "motion_control",
    "multi_image_to_video",
    "omni_video",
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
            aspect_ratio, negative_prompt, cfg_scale, camera_control, callback_url, ...),
            or, for a newer-standard model, of `NewTextToVideoRequest` (duration as an
            integer, resolution, audio, multi_shot, ...).

    Examples:
        ```python
        reference = text_to_video(
            credentials, "A red fox in fresh snow", model_name="kling-3.0-turbo",
            duration=12, resolution="1080p",
        )
        ```
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
            mode, duration, static_mask, dynamic_masks, camera_control, ...), or, for a
            newer-standard model, of `NewImageToVideoRequest` (image_tail is its last
            frame; audio, resolution, elements, voices, ...).
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


@task(name="kling-omni-video", **TASK_OPTIONS)
def omni_video(
    credentials: KlingCredentials,
    prompt: str | None = None,
    *,
    request: Fields | OmniVideoRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create an omni video: a prompt with frames, reference images, a video and elements.

    Kling 3.0 Omni (`kling-3.0-omni`, the default) or O1 (`kling-o1`); an API key only.

    Args:
        credentials: Where and how to reach Kling.
        prompt: What the video shows; name the parts as `@image_1`, `@video_1`, `@Zhang`.
        request: All fields at once, as a mapping or `OmniVideoRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `OmniVideoRequest` (first_frame, last_frame,
            reference_images, feature_video, base_video, elements, duration, resolution,
            aspect_ratio, audio, multi_shot, ...).

    Examples:
        ```python
        reference = omni_video(
            credentials, "@image_1 dances in the rain",
            reference_images=["cat.png"], aspect_ratio="9:16", duration=8,
        )
        ```
    """
    return create_from(credentials, "omni-video", request, idempotency_key, prompt=prompt, **fields)


@task(name="kling-motion-control", **TASK_OPTIONS)
def motion_control(
    credentials: KlingCredentials,
    image: ImageSource = None,
    video: str | None = None,
    *,
    request: Fields | MotionControlRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Make the character of an image move like the person in a video.

    Kling 3.0 (`kling-3.0`, the default) or 2.6 (`kling-2.6`); an API key only. The
    result is as long as the motion video.

    Args:
        credentials: Where and how to reach Kling.
        image: The character: URL, local path, bytes or Base64.
        video: Link to the motion video (mp4 or mov).
        request: All fields at once, as a mapping or `MotionControlRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `MotionControlRequest`: character_orientation
            (required: `image` or `video`), prompt, elements, resolution, audio.
    """
    return create_from(
        credentials, "motion-control", request, idempotency_key, image=image, video=video, **fields
    )
