"""Video effects: a ready-made scene applied to one image, or to two.

Kling's body is `{"effect_scene": ..., "input": {...}, "callback_url", "external_task_id"}`,
and `input` is exactly what Kling's effects page documents (`prefect_kling.models.
effect_scenes`, the dated catalogue):

- single-image scenes (`color_mixing`, `pet_lion_pro`, ...) take `{"image": ...}`;
- dual-image scenes (`hug_pro`, `kiss_pro`, `fight_pro`, `heart_gesture_pro`, ...) take
  `{"images": [left, right]}`, exactly two.

No scene takes a duration, a model or a mode: the page documents none, so they are
refused rather than sent. A withdrawn scene (`hug`, `kiss`, `fight`, ... on 2026-01-30)
is refused naming its replacement. A scene not in the catalogue (Kling adds scenes often)
is refused by the capability check unless `strict=False`; it then takes `image` or
`images` as given. The images may also be given flat:
`VideoEffectRequest(effect_scene="hug_pro", images=[a, b])`.
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
from prefect_kling.models.effect_scenes import (
    DUAL_IMAGE,
    SCENES,
    SINGLE_IMAGE,
    TAKEN,
    withdrawn_message,
)

TWO_PERSON_EFFECT_SCENES = DUAL_IMAGE
"""Scenes that take two images (`input.images`), e.g. `hug_pro`."""
SINGLE_IMAGE_EFFECT_SCENES = SINGLE_IMAGE
"""Scenes that take one image (`input.image`)."""
UNDOCUMENTED = ("duration", "model_name", "mode")
"""Settings older effects requests had that Kling's effects page no longer documents."""


class EffectInput(StrictModel):
    """The image (or two) of a video effect; which one applies depends on the scene.

    Examples:
        >>> EffectInput(image="https://example.com/cake.png").images is None
        True
    """

    image: ImageInput | None = Field(
        None, description="The image of a single-image scene: URL, path, bytes or Base64."
    )
    images: list[ImageInput] | None = Field(
        None, description="The two images of a dual-image scene, left then right."
    )


class VideoEffectRequest(KlingRequest):
    """Apply a ready-made effect scene (`videos/effects`).

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = VideoEffectRequest(
        ...     effect_scene="hug_pro",
        ...     images=["https://example.com/a.png", "https://example.com/b.png"],
        ... )
        >>> request.to_payload(Provider.KLING)  # doctest: +NORMALIZE_WHITESPACE
        {'effect_scene': 'hug_pro',
         'input': {'images': ['https://example.com/a.png', 'https://example.com/b.png']}}
    """

    effect_scene: str = Field(
        min_length=1,
        description="The scene: a single-image one such as `color_mixing`, or a dual-image "
        "one such as `hug_pro` (see `prefect_kling.models.effect_scenes`).",
    )
    input: EffectInput = Field(description="The image or images (sent as `input`).")
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    @model_validator(mode="before")
    @classmethod
    def _nest_flat_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            _refuse_undocumented(data)
        data = nest_input(data, EffectInput)
        if isinstance(data, dict) and isinstance(data.get("effect_scene"), str):
            gone = withdrawn_message(data["effect_scene"])
            if gone:
                raise rule_error("effect_scene", gone)
            _check_input(data["effect_scene"], data.get("input"))
        return data

    @property
    def two_person(self) -> bool:
        """Whether the scene takes two images."""
        return self.effect_scene in TWO_PERSON_EFFECT_SCENES or self.input.images is not None


def _refuse_undocumented(data: dict[str, Any]) -> None:
    """Refuse the settings Kling's effects page does not document, flat or in `input`."""
    given = data.get("input")
    inner = given if isinstance(given, dict) else {}
    for name in UNDOCUMENTED:
        for place, fields in ((name, data), (f"input.{name}", inner)):
            if fields.get(name) is not None:
                raise rule_error(
                    place,
                    f"{show(fields[name])} is not a field of Kling's effects page "
                    f"({TAKEN.isoformat()}): a scene sets its own length, model and mode; "
                    "allowed: input.image or input.images",
                )


def _check_input(scene: str, given: Any) -> None:
    """Refuse an image count the scene does not take, on the values as given."""
    if isinstance(given, EffectInput):
        given = given.model_dump(exclude_none=True)
    if not isinstance(given, dict):
        return  # refused by the model, which names its place
    known = SCENES.get(scene)
    two = known.images == 2 if known else given.get("images") is not None
    if two:
        if given.get("image") is not None:
            raise rule_error(
                "input.image",
                f"{show(given['image'])} is not allowed with dual-image scene {scene!r}; "
                "allowed: input.images, two images",
            )
        images = given.get("images")
        count = len(images) if isinstance(images, list | tuple) else 0
        if count != 2:
            raise rule_error(
                "input.images",
                f"{count} image{'' if count == 1 else 's'} with dual-image scene {scene!r}; "
                "allowed: exactly 2 images, left then right",
            )
        return
    if given.get("images") is not None:
        raise rule_error(
            "input.images",
            f"{show(given['images'])} is not allowed with single-image scene {scene!r}; "
            "allowed: input.image, one image",
        )
    if given.get("image") is None:
        raise rule_error(
            "input.image",
            f"missing with single-image scene {scene!r}; allowed: one image "
            f"(dual-image scenes: {', '.join(TWO_PERSON_EFFECT_SCENES)})",
        )
