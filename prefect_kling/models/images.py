"""Request models of the image endpoints: multi-image to image."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from prefect_kling.models.common import (
    CallbackUrl,
    ExternalTaskId,
    ImageInput,
    KlingRequest,
    ModelName,
    StrictModel,
)
from prefect_kling.providers import Provider


class SubjectImageItem(StrictModel):
    """One subject of a multi-image-to-image request.

    Example:
        >>> SubjectImageItem(subject_image="https://example.com/cat.png").subject_image
        'https://example.com/cat.png'
    """

    subject_image: ImageInput = Field(description="The subject: URL, path, bytes or Base64.")


class MultiImageToImageRequest(KlingRequest):
    """Compose an image from subject images, with optional scene and style (`multi-image2image`).

    CometAPI spells `scene_image` as `scence_image`; `to_payload` sends each provider its own
    spelling.

    Example:
        >>> from prefect_kling.providers import Provider
        >>> request = MultiImageToImageRequest(
        ...     subject_image_list=[
        ...         {"subject_image": "https://example.com/cat.png"},
        ...         {"subject_image": "https://example.com/dog.png"},
        ...     ],
        ...     scene_image="https://example.com/beach.png",
        ... )
        >>> request.to_payload(Provider.COMETAPI)["scence_image"]
        'https://example.com/beach.png'
    """

    provider_names = {Provider.COMETAPI: {"scene_image": "scence_image"}}

    subject_image_list: list[SubjectImageItem] = Field(
        min_length=1, description="The subjects (how many depends on the provider)."
    )
    prompt: str | None = Field(None, description="What the image should show.")
    scene_image: ImageInput | None = Field(
        None, description="Scene reference: URL, path, bytes or Base64."
    )
    style_image: ImageInput | None = Field(
        None, description="Style reference: URL, path, bytes or Base64."
    )
    model_name: ModelName = None
    n: int | None = Field(None, ge=1, le=9, description="How many images to make, 1 to 9.")
    aspect_ratio: Literal["16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9"] | None = Field(
        None, description="Width:height of the image."
    )
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None
