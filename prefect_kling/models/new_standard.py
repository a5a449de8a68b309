"""Request models of Kling's newer API standard: text, image, omni video and motion control.

On the newer standard (Kling 3.0 Turbo, 3.0, 3.0 Omni, O1, 2.6 and 2.5 Turbo) the model is
part of the path (`POST /text-to-video/kling-3.0-turbo`) and the body has three parts: the
prompt (`prompt`, or typed parts in `contents[]`), `settings` and `options`. These models
take flat fields, like every other request model here, and `to_payload` builds that body;
`model_name` names the model, and the client puts it in the path.

What holds for every model is checked here (a last frame needs a first frame, at most one
reference video, the Omni counts of references); what differs per model (durations,
resolutions, audio, which parts a model takes) is capability data in
`prefect_kling.endpoints.new_standard`.

Examples:
    >>> from prefect_kling.providers import Provider
    >>> request = NewTextToVideoRequest(
    ...     prompt="A red fox runs through fresh snow.", model_name="kling-3.0-turbo",
    ...     duration=12, resolution="1080p",
    ... )
    >>> request.to_payload(Provider.KLING)["settings"]
    {'duration': 12, 'resolution': '1080p'}
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BeforeValidator, Field, StrictBool, model_validator

from prefect_kling.models.common import (
    CallbackUrl,
    ExternalTaskId,
    ImageInput,
    KlingRequest,
    RequiredPrompt,
    StrictModel,
    Text,
    rule_error,
    whole_error,
)
from prefect_kling.models.lipsync import HttpUrlText
from prefect_kling.models.videos import Watermark
from prefect_kling.providers import Provider

SETTINGS = (
    "duration",
    "resolution",
    "aspect_ratio",
    "audio",
    "multi_shot",
    "character_orientation",
)
"""The flat fields that go into the body's `settings`."""
OPTIONS = ("callback_url", "external_task_id", "watermark_info")
"""The flat fields that go into the body's `options`."""

MAX_REFERENCES = 7
"""Reference images and multi-image elements an omni video takes without a reference video."""
MAX_REFERENCES_WITH_VIDEO = 4
"""... and with one."""


def _whole_seconds(value: Any) -> Any:
    """Accept `"12"` for `12`: the newer standard wants the duration as an integer."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


Seconds = Annotated[
    int | None,
    BeforeValidator(_whole_seconds),
    Field(ge=3, le=15, description="Length in whole seconds; which ones depends on the model."),
]
Resolution = Annotated[
    Literal["720p", "1080p", "4k"] | None,
    Field(description="`720p` (Kling's default), `1080p` or `4k` (Kling 3.0 and 3.0 Omni)."),
]
AspectRatio = Annotated[
    Literal["16:9", "9:16", "1:1"] | None, Field(description="Width:height of the video.")
]
Audio = Annotated[
    Literal["native", "original", "off"] | None,
    Field(
        description="`native` (sound made with the video), `original` (the reference "
        "video's own sound) or `off`; which ones depends on the model and the endpoint."
    ),
]
MultiShot = Annotated[
    StrictBool | None,
    Field(description="Whether a multi-shot prompt makes a multi-shot video (Kling 3.0)."),
]


def _reference(value: Any, key: str) -> Any:
    """`"8123"`, `"Zhang=8123"` or `{key: "8123", "id": "Zhang"}` as one reference."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return value
    name, _, ident = value.rpartition("=")
    if not ident.strip():
        raise whole_error(f"{value!r} has no id; allowed: ID or NAME=ID, e.g. 'Zhang=8123'")
    return {key: ident.strip(), "id": name.strip() or None}


class ElementRef(StrictModel):
    """A custom or preset element (a character or object) named in the prompt.

    Examples:
        >>> ElementRef.model_validate("Zhang=8123")
        ElementRef(element_id='8123', id='Zhang')
    """

    element_id: str = Field(min_length=1, description="The element's id (`elements list`).")
    id: str | None = Field(
        None, description="How the prompt names it (`@Zhang`); its position (1, 2...) if left out."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return _reference(value, "element_id")


class VoiceRef(StrictModel):
    """A custom or preset voice that a person in the video speaks with.

    Examples:
        >>> VoiceRef.model_validate("829")
        VoiceRef(voice_id='829', id=None)
    """

    voice_id: str = Field(min_length=1, description="The voice's id (`voices list`).")
    id: str | None = Field(
        None, description="How the prompt names it (`@1`); its position (1, 2...) if left out."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return _reference(value, "voice_id")


class NewStandardRequest(KlingRequest):
    """What every request of the newer standard has: the model, and the `options`.

    Subclasses list their prompt and media parts in `contents` (or keep a plain `prompt`)
    and their settings among `SETTINGS`.
    """

    model_name: str = Field(description="The model; it is sent in the path, not in the body.")
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None
    watermark_info: Watermark = None

    plain_prompt: ClassVar[bool] = False
    """Whether the body carries `prompt` at the top level instead of `contents[]`."""

    def to_payload(self, provider: Provider) -> dict[str, Any]:
        """The JSON body: `prompt` or `contents`, then `settings` and `options`.

        Args:
            provider: Where the request is sent (only Kling serves the newer standard).
        """
        fields = self.model_dump(mode="json", exclude_none=True)
        fields.pop("model_name")
        settings = {name: fields.pop(name) for name in SETTINGS if name in fields}
        options = {name: fields.pop(name) for name in OPTIONS if name in fields}
        body: dict[str, Any] = (
            {"prompt": fields["prompt"]} if self.plain_prompt else {"contents": self.contents()}
        )
        if settings:
            body["settings"] = settings
        if options:
            body["options"] = options
        return body

    def contents(self) -> list[dict[str, Any]]:
        """The typed parts of `contents[]`, in Kling's order: prompt, media, references."""
        parts: list[dict[str, Any]] = []
        prompt = getattr(self, "prompt", None)
        if prompt:
            parts.append({"type": "prompt", "text": prompt})
        for name, kind in self.media_parts:
            value = getattr(self, name, None)
            for item in value if isinstance(value, list) else [value]:
                if item is not None:
                    parts.append({"type": kind, "url": item})
        for index, element in enumerate(getattr(self, "elements", None) or [], start=1):
            parts.append(
                {
                    "type": "element",
                    "element_id": element.element_id,
                    "id": element.id or str(index),
                }
            )
        for index, voice in enumerate(getattr(self, "voices", None) or [], start=1):
            parts.append(
                {"type": "voice", "voice_id": voice.voice_id, "id": voice.id or str(index)}
            )
        return parts

    media_parts: ClassVar[tuple[tuple[str, str], ...]] = ()
    """Media fields and their part type, e.g. `("last_frame", "last_frame")`."""


def _frames_in_order(request: Any) -> None:
    if request.last_frame is not None and request.first_frame is None:
        raise rule_error(
            "last_frame",
            "given without first_frame; allowed: a first frame alone, or a first and a last frame",
        )


class NewTextToVideoRequest(NewStandardRequest):
    """A video from a prompt on the newer standard (`text-to-video/<model>`).

    Examples:
        >>> NewTextToVideoRequest(prompt="A kite.", model_name="kling-2.6", duration="10").duration
        10
    """

    prompt: RequiredPrompt = Field(
        description="What the video should show (what it should not show too: there is no "
        "negative prompt); a multi-shot script as `shot 1, 3, words; shot 2, 4, words;`."
    )
    duration: Seconds = None
    resolution: Resolution = None
    aspect_ratio: AspectRatio = None
    audio: Audio = None
    multi_shot: MultiShot = None

    plain_prompt: ClassVar[bool] = True


class NewImageToVideoRequest(NewStandardRequest):
    """Animate a first frame, or move from a first to a last frame (`image-to-video/<model>`).

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = NewImageToVideoRequest(
        ...     model_name="kling-3.0", prompt="The door opens.",
        ...     first_frame="https://example.com/a.png", last_frame="https://example.com/b.png",
        ...     audio="native", duration=8,
        ... )
        >>> [part["type"] for part in request.to_payload(Provider.KLING)["contents"]]
        ['prompt', 'first_frame', 'last_frame']
    """

    first_frame: ImageInput | None = Field(
        None, description="The first frame: URL, path, bytes or Base64 (required)."
    )
    last_frame: ImageInput | None = Field(
        None, description="The last frame (URL, path, bytes or Base64); needs a first frame."
    )
    prompt: Text = Field(None, description="How the image should move.")
    elements: list[ElementRef] | None = Field(
        None, min_length=1, description="Elements to show (Kling 3.0), at most 3."
    )
    voices: list[VoiceRef] | None = Field(
        None, min_length=1, description="Voices to speak with (Kling 2.6, audio on), at most 2."
    )
    duration: Seconds = None
    resolution: Resolution = None
    audio: Audio = None
    multi_shot: MultiShot = None

    media_parts: ClassVar = (("first_frame", "first_frame"), ("last_frame", "last_frame"))

    @model_validator(mode="after")
    def _check_frames(self) -> Self:
        _frames_in_order(self)
        if self.first_frame is None:
            raise rule_error("first_frame", "missing; this field is required")
        return self


class OmniVideoRequest(NewStandardRequest):
    """A video from any mix of prompt, frames, reference images, a video and elements.

    `omni-video/<model>` (Kling 3.0 Omni, O1). Name what you give in the prompt:
    `@image_1` for the first reference image, `@video_1` for the video, `@Zhang` for an
    element named Zhang. A `feature_video` lends its style and motion; a `base_video` is the
    video to edit.

    Examples:
        >>> request = OmniVideoRequest(
        ...     model_name="kling-3.0-omni", prompt="@image_1 dances in the rain",
        ...     reference_images=["https://example.com/cat.png"], aspect_ratio="9:16",
        ... )
        >>> [part["type"] for part in request.contents()]
        ['prompt', 'refer_image']
    """

    model_name: str = Field(
        "kling-3.0-omni", description="`kling-3.0-omni` (the default) or `kling-o1`."
    )
    prompt: RequiredPrompt = Field(description="What the video should show, naming the parts.")
    first_frame: ImageInput | None = Field(None, description="The first frame.")
    last_frame: ImageInput | None = Field(None, description="The last frame (needs a first).")
    reference_images: list[ImageInput] | None = Field(
        None, min_length=1, max_length=MAX_REFERENCES, description="Reference images, at most 7."
    )
    feature_video: HttpUrlText | None = Field(
        None, description="Link to a video to take style and motion from (mp4 or mov)."
    )
    base_video: HttpUrlText | None = Field(
        None, description="Link to the video to edit (mp4 or mov)."
    )
    elements: list[ElementRef] | None = Field(
        None, min_length=1, description="Elements to show, at most 3."
    )
    duration: Seconds = None
    resolution: Resolution = None
    aspect_ratio: AspectRatio = None
    audio: Audio = None
    multi_shot: MultiShot = None

    media_parts: ClassVar = (
        ("first_frame", "first_frame"),
        ("last_frame", "last_frame"),
        ("reference_images", "refer_image"),
        ("feature_video", "feature_video"),
        ("base_video", "base_video"),
    )

    @model_validator(mode="after")
    def _check_parts(self) -> Self:
        _frames_in_order(self)
        if self.feature_video and self.base_video:
            raise rule_error(
                "base_video", "cannot be combined with feature_video; allowed: one reference video"
            )
        if self.base_video:
            self._check_base_video()
        if self.feature_video and self.audio not in (None, "off"):
            raise rule_error(
                "audio", f"{self.audio!r} with a feature_video; allowed: 'off' (or leave it out)"
            )
        most = (
            MAX_REFERENCES_WITH_VIDEO if self.feature_video or self.base_video else MAX_REFERENCES
        )
        references = len(self.reference_images or []) + len(self.elements or [])
        if references > most:
            with_video = "with" if most == MAX_REFERENCES_WITH_VIDEO else "without"
            raise rule_error(
                "reference_images",
                f"{references} reference images and elements; allowed: at most {most} "
                f"together {with_video} a reference video",
            )
        return self

    def _check_base_video(self) -> None:
        for frame in ("first_frame", "last_frame"):
            if getattr(self, frame) is not None:
                raise rule_error(
                    frame, "cannot be combined with base_video; allowed: frames without it"
                )
        if self.multi_shot:
            raise rule_error("multi_shot", "true with a base_video; allowed: false")
        if self.audio == "native":
            raise rule_error("audio", "'native' with a base_video; allowed: 'original', 'off'")


class MotionControlRequest(NewStandardRequest):
    """Make the character of an image move like the person in a video (`motion-control/<model>`).

    The result is as long as the motion video (3 to 30 s with `character_orientation`
    `video`, 3 to 10 s with `image`), so there is no duration to set.

    Examples:
        >>> request = MotionControlRequest(
        ...     model_name="kling-3.0", image="https://example.com/me.png",
        ...     video="https://example.com/dance.mp4", character_orientation="video",
        ... )
        >>> [part["type"] for part in request.contents()]
        ['image', 'video']
    """

    model_name: str = Field("kling-3.0", description="`kling-3.0` (the default) or `kling-2.6`.")
    image: ImageInput = Field(description="The character: URL, path, bytes or Base64.")
    video: HttpUrlText = Field(description="Link to the motion video (mp4 or mov, 3-30 s).")
    character_orientation: Literal["image", "video"] = Field(
        description="Face the way the image does (`image`, video up to 10 s) or the way the "
        "video's person does (`video`, up to 30 s)."
    )
    prompt: Text = Field(None, description="What else the video shows.")
    elements: list[ElementRef] | None = Field(
        None, min_length=1, max_length=1, description="One element (Kling 3.0)."
    )
    resolution: Literal["720p", "1080p"] | None = Field(None, description="`720p` or `1080p`.")
    audio: Literal["original", "off"] | None = Field(
        None, description="`original` (the motion video's sound, Kling's default) or `off`."
    )

    media_parts: ClassVar = (("image", "image"), ("video", "video"))
