"""Request models of the image endpoints: text/image to image, multi-image to image, and more.

The others: image expand (outpaint) and virtual try-on.

Limits that differ between providers or depend on the model (prompt lengths, subject
counts, known model names, `image_reference` only on kling-v1-5) are checked in
`prefect_kling.capabilities`; these models hold the rules that hold everywhere.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from prefect_kling.models.common import (
    CallbackUrl,
    ExternalTaskId,
    ImageInput,
    KlingRequest,
    ModelName,
    NegativePrompt,
    RequiredPrompt,
    StrictModel,
    Text,
    rule_error,
    show,
)
from prefect_kling.providers import Provider

ImageAspectRatio = Literal["16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9"]
"""Width:height of a generated image."""
ImageCount = Annotated[
    int | None, Field(ge=1, le=9, description="How many images to make, 1 to 9.")
]


class SubjectImageItem(StrictModel):
    """One subject of a multi-image-to-image request.

    Examples:
        >>> SubjectImageItem(subject_image="https://example.com/cat.png").subject_image
        'https://example.com/cat.png'
    """

    subject_image: ImageInput = Field(description="The subject: URL, path, bytes or Base64.")


class MultiImageToImageRequest(KlingRequest):
    """Compose an image from subject images, with optional scene and style (`multi-image2image`).

    CometAPI spells `scene_image` as `scence_image`; `to_payload` sends each provider its own
    spelling.

    Examples:
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
    prompt: Text = Field(None, description="What the image should show.")
    scene_image: ImageInput | None = Field(
        None, description="Scene reference: URL, path, bytes or Base64."
    )
    style_image: ImageInput | None = Field(
        None, description="Style reference: URL, path, bytes or Base64."
    )
    model_name: ModelName = None
    n: ImageCount = None
    aspect_ratio: ImageAspectRatio | None = Field(None, description="Width:height of the image.")
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None


class ImageGenerationRequest(KlingRequest):
    """Make images from a prompt, optionally guided by a reference image (`images/generations`).

    A negative prompt is for text to image only: Kling refuses it together with `image`.

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = ImageGenerationRequest(prompt="A lighthouse at dawn.", n=2, resolution="2k")
        >>> request.to_payload(Provider.KLING)
        {'prompt': 'A lighthouse at dawn.', 'resolution': '2k', 'n': 2}
    """

    prompt: RequiredPrompt = Field(description="What the images should show.")
    negative_prompt: NegativePrompt = None
    image: ImageInput | None = Field(
        None, description="Reference image: URL, path, bytes or Base64; not with negative_prompt."
    )
    image_reference: Literal["subject", "face"] | None = Field(
        None,
        description="What to keep from the reference image: `subject` or `face` (kling-v1-5 only).",
    )
    image_fidelity: float | None = Field(
        None, ge=0, le=1, description="How closely to follow the reference image, 0 to 1."
    )
    human_fidelity: float | None = Field(
        None, ge=0, le=1, description="How closely to keep the reference face, 0 to 1."
    )
    resolution: Literal["1k", "2k"] | None = Field(
        None, description="`1k` (default) or `2k` (charged double)."
    )
    n: ImageCount = None
    aspect_ratio: ImageAspectRatio | None = Field(None, description="Width:height of the images.")
    model_name: ModelName = None
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    @model_validator(mode="after")
    def _negative_prompt_is_text_only(self) -> Self:
        if self.negative_prompt is not None and self.image is not None:
            raise rule_error(
                "negative_prompt",
                f"{show(self.negative_prompt)} is not allowed together with image; "
                "allowed: negative_prompt only without image (text to image)",
            )
        return self


EXPANSION_FIELDS = (
    "up_expansion_ratio",
    "down_expansion_ratio",
    "left_expansion_ratio",
    "right_expansion_ratio",
)
"""The four sides of an image expand request, in Kling's order."""
MAX_EXPANDED_AREA = 3.0
"""Largest new canvas of an image expand, as a multiple of the original area."""

ExpansionRatio = Annotated[
    float,
    Field(
        ge=0,
        le=2,
        description="How far to extend this side, as a fraction of the original size, 0 to 2.",
    ),
]


class ImageExpandRequest(KlingRequest):
    """Extend an image beyond its borders (outpaint, `images/editing/expand`).

    Each side grows by its ratio of the original width or height (0 to 2); the new canvas,
    `(1 + left + right) * (1 + up + down)` times the original area, may be at most 3 times
    the original. All four ratios are always sent (0 for a side that stays).

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = ImageExpandRequest(
        ...     image="https://example.com/room.png", left_expansion_ratio=0.5,
        ...     right_expansion_ratio=0.5,
        ... )
        >>> request.to_payload(Provider.KLING)["right_expansion_ratio"], request.area_factor
        (0.5, 2.0)
    """

    image: ImageInput = Field(description="The image to expand: URL, path, bytes or Base64.")
    up_expansion_ratio: ExpansionRatio = 0.0
    down_expansion_ratio: ExpansionRatio = 0.0
    left_expansion_ratio: ExpansionRatio = 0.0
    right_expansion_ratio: ExpansionRatio = 0.0
    prompt: Text = Field(None, description="What the added area should show.")
    n: ImageCount = None
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    @property
    def area_factor(self) -> float:
        """The new canvas as a multiple of the original area."""
        width = 1 + self.left_expansion_ratio + self.right_expansion_ratio
        height = 1 + self.up_expansion_ratio + self.down_expansion_ratio
        return width * height

    @model_validator(mode="after")
    def _canvas_within_limits(self) -> Self:
        ratios = {name: getattr(self, name) for name in EXPANSION_FIELDS}
        if not any(ratios.values()):
            raise rule_error(
                "up_expansion_ratio",
                "all four expansion ratios are 0, so nothing would be added; "
                f"allowed: at least one of {', '.join(EXPANSION_FIELDS)} above 0",
            )
        if self.area_factor > MAX_EXPANDED_AREA + 1e-9:
            largest = max(ratios, key=lambda name: ratios[name])
            formula = (
                f"(1 + {self.left_expansion_ratio:g} + {self.right_expansion_ratio:g}) * "
                f"(1 + {self.up_expansion_ratio:g} + {self.down_expansion_ratio:g})"
            )
            raise rule_error(
                largest,
                f"{ratios[largest]:g} makes the new canvas {formula} = "
                f"{self.area_factor:g} times the original area; allowed: at most "
                f"{MAX_EXPANDED_AREA:g} times ((1 + left + right) * (1 + up + down) <= 3)",
            )
        return self


class VirtualTryOnRequest(KlingRequest):
    """Dress a person in a garment (`kolors-virtual-try-on`).

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = VirtualTryOnRequest(
        ...     human_image="https://example.com/person.png",
        ...     cloth_image="https://example.com/shirt.png",
        ... )
        >>> sorted(request.to_payload(Provider.COMETAPI))
        ['cloth_image', 'human_image']
    """

    model_name: str | None = Field(
        None,
        description="Try-on model, `kolors-virtual-try-on-v1` (default) or "
        "`kolors-virtual-try-on-v1-5`; other kolors-virtual-try-on names are sent with a warning.",
    )
    human_image: ImageInput = Field(description="The person to dress: URL, path, bytes or Base64.")
    cloth_image: ImageInput | None = Field(
        None, description="The garment to put on: URL, path, bytes or Base64."
    )
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None
