"""Tasks that create images: multi-image to image, generation, expand, virtual try-on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import task

from prefect_kling.credentials import KlingCredentials
from prefect_kling.models.images import (
    ImageExpandRequest,
    ImageGenerationRequest,
    MultiImageToImageRequest,
    VirtualTryOnRequest,
)
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.tasks.creating import TASK_OPTIONS, Fields, ImageSource, as_items, create_from

__all__ = [
    "expand_image",
    "generate_image",
    "multi_image_to_image",
    "virtual_try_on",
]


@task(name="kling-multi-image-to-image", **TASK_OPTIONS)
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
    subject_image_list = as_items(subjects, "subject_image")
    return create_from(
        credentials,
        "multi-image2image",
        request,
        idempotency_key,
        subject_image_list=subject_image_list,
        prompt=prompt,
        **fields,
    )


@task(name="kling-image-generation", **TASK_OPTIONS)
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
    return create_from(
        credentials, "image-generation", request, idempotency_key, prompt=prompt, **fields
    )


@task(name="kling-expand-image", **TASK_OPTIONS)
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
    return create_from(credentials, "image-expand", request, idempotency_key, image=image, **fields)


@task(name="kling-virtual-try-on", **TASK_OPTIONS)
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
    return create_from(
        credentials,
        "virtual-try-on",
        request,
        idempotency_key,
        human_image=human_image,
        cloth_image=cloth_image,
        **fields,
    )
