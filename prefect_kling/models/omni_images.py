"""Request and answer models of omni image, AI multi-shot and image recognition.

Omni image (`images/omni-image`) makes one image, several (`n`), or a series of related
images (`result_type="series"`) from a prompt and up to 10 references (images and
elements together). AI multi-shot (`general/ai-multi-shot`) turns one frontal image of a
subject into three views of it. Image recognition (`videos/image-recognize`) answers at
once, creating no task: the subject, head, face and clothing it finds in an image, each
as a mask image.

Limits that depend on the model (4K and series only on `kling-v3-omni`) are the row's
(`prefect_kling.endpoints.omni_images`); these models hold the rules that hold everywhere.

Examples:
    >>> images_made({"result_type": "series", "series_amount": "auto"})
    9
    >>> images_made({"n": 3}), images_made({"result_type": "series"})
    (3, 4)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from prefect_kling.models.common import (
    CallbackUrl,
    ExternalTaskId,
    ImageInput,
    KlingRequest,
    ModelName,
    RequiredPrompt,
    StrictModel,
    rule_error,
    show,
    whole_error,
)
from prefect_kling.models.images import ImageCount
from prefect_kling.models.videos import Watermark

MAX_REFERENCES = 10
"""Most reference images and elements of an omni image request, together."""
MAX_SERIES = 9
"""Most images of a series; `series_amount="auto"` may make up to this many."""
DEFAULT_SERIES = 4
"""Images of a series when `series_amount` is left out (Kling's default)."""

OmniAspectRatio = Literal["16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9", "auto"]
"""Width:height of an omni image; `auto` lets Kling choose from the references."""


def _series_amount(value: Any) -> Any:
    """2 to 9 images, or `auto`: one refusal naming both, not one per kind of value."""
    if value == "auto" or (
        isinstance(value, int) and not isinstance(value, bool) and 2 <= value <= MAX_SERIES
    ):
        return value
    raise whole_error(f"{show(value)} is not allowed; allowed: 2 to {MAX_SERIES}, or 'auto'")


SeriesAmount = Annotated[int | str, BeforeValidator(_series_amount)]
"""Images of a series: 2 to 9, or `auto` (Kling decides, up to 9)."""


def images_made(fields: Mapping[str, Any]) -> int:
    """The most images an image request can make: its concurrency slots and priced images.

    A series makes `series_amount` images (4 when left out; `auto` counts as the most,
    9, as Kling takes a slot for each image it actually makes); anything else makes `n`.

    Args:
        fields: The request as it is sent.
    """
    if fields.get("result_type") == "series":
        amount = fields.get("series_amount", DEFAULT_SERIES)
        return MAX_SERIES if amount == "auto" else int(amount)
    return int(fields.get("n") or 1)


class OmniImageItem(StrictModel):
    """One reference image of an omni image request (`<<<image_1>>>` in the prompt).

    Examples:
        >>> OmniImageItem(image="https://example.com/cat.png").image
        'https://example.com/cat.png'
    """

    image: ImageInput = Field(description="The reference image: URL, path, bytes or Base64.")


class OmniElementItem(StrictModel):
    """One element of the account's library used as a reference (`<<<element_1>>>`).

    Examples:
        >>> OmniElementItem(element_id=829836802793406551).element_id
        829836802793406551
    """

    element_id: int = Field(ge=1, description="The element's id in the element library.")


class OmniImageRequest(KlingRequest):
    """Make images from a prompt and up to 10 references (`images/omni-image`).

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = OmniImageRequest(
        ...     prompt="Put <<<image_1>>> on a beach", model_name="kling-v3-omni",
        ...     image_list=[{"image": "https://example.com/cat.png"}],
        ...     result_type="series", series_amount=3,
        ... )
        >>> request.to_payload(Provider.KLING)["series_amount"], request.images_made
        (3, 3)
    """

    prompt: RequiredPrompt = Field(
        description="What the images should show; name references as `<<<image_1>>>`."
    )
    image_list: list[OmniImageItem] | None = Field(
        None, description="Reference images (with the elements, at most 10)."
    )
    element_list: list[OmniElementItem] | None = Field(
        None, description="Reference elements of the library (with the images, at most 10)."
    )
    model_name: ModelName = None
    resolution: Literal["1k", "2k", "4k"] | None = Field(
        None, description="`1k` (default), `2k`, or `4k` (kling-v3-omni)."
    )
    result_type: Literal["single", "series"] | None = Field(
        None, description="`single` (default) or a `series` of related images (kling-v3-omni)."
    )
    n: ImageCount = None
    series_amount: SeriesAmount | None = Field(
        None, description="Images of a series, 2 to 9 (default 4), or `auto`."
    )
    aspect_ratio: OmniAspectRatio | None = Field(
        None, description="Width:height of the images, or `auto` (the default)."
    )
    watermark_info: Watermark = None
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    @property
    def images_made(self) -> int:
        """The most images the task can make (see `images_made`)."""
        return images_made(self.model_dump(exclude_none=True))

    @model_validator(mode="after")
    def _references_within_limit(self) -> Self:
        images, elements = len(self.image_list or ()), len(self.element_list or ())
        if images + elements > MAX_REFERENCES:
            field = "image_list" if images else "element_list"
            raise rule_error(
                field,
                f"{images} images and {elements} elements make {images + elements} "
                f"references; allowed: at most {MAX_REFERENCES} images and elements together",
            )
        return self


class MultiShotRequest(KlingRequest):
    """Three views of a subject from its frontal image (`general/ai-multi-shot`).

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = MultiShotRequest(element_frontal_image="https://example.com/hero.png")
        >>> request.to_payload(Provider.KLING)
        {'element_frontal_image': 'https://example.com/hero.png'}
    """

    element_frontal_image: ImageInput = Field(
        description="The subject seen from the front: URL, path, bytes or Base64."
    )
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None


class ImageRecognizeRequest(KlingRequest):
    """What image recognition looks at (`videos/image-recognize`, answered at once).

    Examples:
        >>> ImageRecognizeRequest(image="https://example.com/person.png").image
        'https://example.com/person.png'
    """

    image: ImageInput = Field(description="The image to recognize: URL, path, bytes or Base64.")


class RecognizedPart(BaseModel):
    """One kind of thing image recognition looked for, and its mask if it found it.

    Attributes:
        type: `object_seg` (the subject), `head_seg` (a head with hair), `face_seg` (a face
            without hair) or `cloth_seg` (clothing); other kinds are kept as they come.
    """

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="What was looked for, e.g. `face_seg`.")
    is_contain: bool = Field(default=False, description="Whether the image contains it.")
    url: str | None = Field(default=None, description="The mask image; expires after 30 days.")


class ImageRecognition(BaseModel):
    """What image recognition answers: the parts found, and the units charged.

    Examples:
        >>> answer = ImageRecognition.model_validate({
        ...     "final_unit_deduction": "0.1",
        ...     "task_result": {"images": [
        ...         {"type": "object_seg", "is_contain": True, "url": "https://x/o.png"},
        ...         {"type": "cloth_seg", "is_contain": False, "url": ""},
        ...     ]},
        ... })
        >>> [part.type for part in answer.found], answer.units
        (['object_seg'], 0.1)
    """

    model_config = ConfigDict(extra="allow")

    parts: list[RecognizedPart] = Field(
        default_factory=list, description="Every kind looked for, in Kling's order."
    )
    final_unit_deduction: str | None = Field(default=None, description="Units charged, as text.")

    @model_validator(mode="before")
    @classmethod
    def _parts_of_the_result(cls, data: Any) -> Any:
        if isinstance(data, dict) and "parts" not in data:
            result = data.get("task_result") or {}
            return {**data, "parts": result.get("images") or []}
        return data

    @property
    def found(self) -> list[RecognizedPart]:
        """The parts the image contains, with a mask to download."""
        return [part for part in self.parts if part.is_contain and part.url]

    @property
    def units(self) -> float | None:
        """Units charged, when known."""
        try:
            return float(self.final_unit_deduction or "")
        except ValueError:
            return None
