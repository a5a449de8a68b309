"""Video effects: a ready-made scene applied to one image, or to two people.

Kling's body is `{"effect_scene": ..., "input": {...}, "callback_url", "external_task_id"}`.
The shape of `input` depends on the scene:

- single-image scenes (`bloombloom`, `dizzydizzy`, `fuzzyfuzzy`, `squish`, `expansion`, ...)
  take `{"image", "duration"}`;
- two-person scenes (`TWO_PERSON_EFFECT_SCENES`: `hug`, `kiss`, `heart_gesture`, `fight`)
  take `{"model_name", "mode", "images": [a, b], "duration"}`, exactly two images.

A scene known here takes the shape of its kind. A scene not known here (Kling adds
scenes often) is refused by the capability check unless `strict=False`; it then takes
two images (`images`) as a two-person scene, or one (`image`) as a single-image scene.
The durations each scene takes and the models of the two-person scenes are the effects
row's limits (`prefect_kling.endpoints.edits`). The settings a scene does not take are
refused naming the value as given (a path, not its Base64).
As with lip-sync, the `input` settings may also be given flat:
`VideoEffectRequest(effect_scene="hug", images=[a, b])`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from prefect_kling.models.common import (
    CallbackUrl,
    ExternalTaskId,
    ImageInput,
    KlingRequest,
    StrictModel,
    nest_input,
    rule_error,
    show,
)
from prefect_kling.models.videos import Duration, Mode

TWO_PERSON_EFFECT_SCENES = ("hug", "kiss", "heart_gesture", "fight")
"""Scenes that put two people (one image each) in one video."""
SINGLE_IMAGE_EFFECT_SCENES = ("bloombloom", "dizzydizzy", "fuzzyfuzzy", "squish", "expansion")
"""Single-image scenes known here."""

_TWO_PERSON_FIELDS = ("model_name", "mode", "images", "duration")
_SINGLE_IMAGE_FIELDS = ("image", "duration")


class EffectInput(StrictModel):
    """The images and settings of a video effect; which fields apply depends on the scene.

    Examples:
        >>> EffectInput(image="https://example.com/cake.png").duration
        '5'
    """

    image: ImageInput | None = Field(
        None, description="The image of a single-image scene: URL, path, bytes or Base64."
    )
    images: list[ImageInput] | None = Field(
        None, description="The two people of a two-person scene, one image each."
    )
    model_name: str | None = Field(
        None, description="Model of a two-person scene, e.g. `kling-v1-6`."
    )
    mode: Mode = None
    duration: Duration = Field("5", description='Length in seconds, `"5"` (default) or `"10"`.')


class VideoEffectRequest(KlingRequest):
    """Apply a ready-made effect scene (`videos/effects`).

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = VideoEffectRequest(
        ...     effect_scene="hug",
        ...     images=["https://example.com/a.png", "https://example.com/b.png"],
        ...     model_name="kling-v1-6",
        ... )
        >>> request.to_payload(Provider.KLING)["input"]  # doctest: +NORMALIZE_WHITESPACE
        {'images': ['https://example.com/a.png', 'https://example.com/b.png'],
         'model_name': 'kling-v1-6', 'duration': '5'}
    """

    effect_scene: str = Field(
        min_length=1,
        description="The scene: a single-image one such as `bloombloom` or `squish`, or a "
        "two-person one (`hug`, `kiss`, `heart_gesture`, `fight`).",
    )
    input: EffectInput = Field(description="The images and settings (sent as `input`).")
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    @model_validator(mode="before")
    @classmethod
    def _nest_flat_fields(cls, data: Any) -> Any:
        data = nest_input(data, EffectInput)
        if isinstance(data, dict) and isinstance(data.get("effect_scene"), str):
            _check_input(data["effect_scene"], data.get("input"))
        return data

    @property
    def two_person(self) -> bool:
        """Whether the scene puts two people together (two images)."""
        return self.effect_scene in TWO_PERSON_EFFECT_SCENES or self.input.images is not None


def _check_input(scene: str, given: Any) -> None:
    """Refuse settings the scene does not take, on the values as given (paths, not Base64)."""
    if isinstance(given, EffectInput):
        given = given.model_dump(exclude_none=True)
    if not isinstance(given, dict):
        return  # refused by the model, which names its place
    known = scene in TWO_PERSON_EFFECT_SCENES or scene in SINGLE_IMAGE_EFFECT_SCENES
    two_person = scene in TWO_PERSON_EFFECT_SCENES or (
        not known and given.get("images") is not None and given.get("image") is None
    )
    kind = "two-person" if two_person else "single-image"
    fields = _TWO_PERSON_FIELDS if two_person else _SINGLE_IMAGE_FIELDS
    for name in EffectInput.model_fields:
        value = given.get(name)
        if name not in fields and value is not None:
            raise rule_error(
                f"input.{name}",
                f"{show(value)} is not allowed with {kind} scene {scene!r}; "
                f"allowed: {', '.join(fields)}",
            )
    if not two_person:
        if given.get("image") is None:
            raise rule_error(
                "input.image",
                f"missing with single-image scene {scene!r}; allowed: one image "
                f"(two-person scenes: {', '.join(TWO_PERSON_EFFECT_SCENES)})",
            )
        return
    images = given.get("images")
    count = len(images) if isinstance(images, list | tuple) else 0
    if count != 2:
        raise rule_error(
            "input.images",
            f"{count} image{'' if count == 1 else 's'} with two-person scene {scene!r}; "
            "allowed: exactly 2 images, one per person",
        )
