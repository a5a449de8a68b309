"""Tasks of omni image, AI multi-shot and image recognition."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import task

from prefect_kling.credentials import KlingCredentials
from prefect_kling.endpoints.omni_images import IMAGE_RECOGNIZE
from prefect_kling.library import route_request
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.models.omni_images import (
    ImageRecognition,
    MultiShotRequest,
    OmniImageRequest,
)
from prefect_kling.runtime import current_runtime
from prefect_kling.tasks.creating import TASK_OPTIONS, Fields, ImageSource, as_items, create_from

__all__ = [
    "multi_shot",
    "omni_image",
    "recognize_image",
]


@task(name="kling-omni-image", **TASK_OPTIONS)
def omni_image(
    credentials: KlingCredentials,
    prompt: str | None = None,
    images: Sequence[ImageSource] | None = None,
    *,
    request: Fields | OmniImageRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create an omni image task: images, or a series, from a prompt and references.

    Args:
        credentials: Where and how to reach Kling (official API).
        prompt: What the images show; name references as `<<<image_1>>>`.
        images: Reference images (URLs, paths, bytes or Base64); with elements, at most 10.
        request: All fields at once, as a mapping or `OmniImageRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `OmniImageRequest` (model_name, resolution,
            result_type, series_amount, n, aspect_ratio, element_list, ...).
    """
    return create_from(
        credentials,
        "omni-image",
        request,
        idempotency_key,
        prompt=prompt,
        image_list=as_items(images, "image"),
        **fields,
    )


@task(name="kling-multi-shot", **TASK_OPTIONS)
def multi_shot(
    credentials: KlingCredentials,
    element_frontal_image: ImageSource = None,
    *,
    request: Fields | MultiShotRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create an AI multi-shot task: three views of a subject from its frontal image.

    Args:
        credentials: Where and how to reach Kling (official API).
        element_frontal_image: The subject seen from the front: URL, path, bytes or Base64.
        request: All fields at once, as a mapping or `MultiShotRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: `callback_url`, `external_task_id`.
    """
    return create_from(
        credentials,
        "multi-shot",
        request,
        idempotency_key,
        element_frontal_image=element_frontal_image,
        **fields,
    )


@task(name="kling-image-recognize", **TASK_OPTIONS)
def recognize_image(credentials: KlingCredentials, image: ImageSource) -> ImageRecognition:
    """Find the subject, head, face and clothing of an image (answered at once; charged).

    No task is created, so nothing is cached: every call is charged again.

    Args:
        credentials: Where and how to reach Kling (official API).
        image: The image: URL, local path, bytes or Base64.

    Returns:
        Every kind looked for, with a mask link for each one found.
    """
    request = route_request(IMAGE_RECOGNIZE, credentials, {"image": image})
    with current_runtime().client(credentials) as client:
        return client.call(IMAGE_RECOGNIZE, request)
