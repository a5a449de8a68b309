"""Request models of the video endpoints: text, image and multi-image to video, video extend.

Limits that differ between providers or depend on the model (prompt lengths, image counts,
known model names, camera control only on kling-v1) are checked in
`prefect_kling.capabilities`; these models hold the rules that hold everywhere.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, StrictBool, field_validator, model_validator

from prefect_kling.media import image_size
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
    VideoId,
    rule_error,
)
from prefect_kling.providers import Provider


def _seconds_as_text(value: Any) -> Any:
    """Accept `5` for `"5"`: Kling wants the duration as a string."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Mode = Annotated[
    Literal["std", "pro"] | None,
    Field(description="`std` (faster, cheaper) or `pro` (higher quality)."),
]
Duration = Annotated[
    Literal["5", "10"] | None,
    BeforeValidator(_seconds_as_text),
    Field(description='Length in seconds, `"5"` or `"10"` (`5` and `10` accepted).'),
]
Seconds = Literal["3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15"]
AnyMode = Annotated[
    Literal["std", "pro", "4k"] | None,
    Field(description="`std` (faster, cheaper), `pro` (higher quality) or `4k` (kling-v3)."),
]
AnyDuration = Annotated[
    Seconds | None,
    BeforeValidator(_seconds_as_text),
    Field(
        description='Length in seconds, as text (`5` accepted for `"5"`): `"5"` or `"10"`, '
        '`"3"` to `"15"` on kling-v3.'
    ),
]
CfgScale = Annotated[
    float | None,
    Field(
        ge=0,
        le=1,
        description="How closely the video follows the prompt, 0 to 1; not for kling-v2.x.",
    ),
]
Sound = Annotated[
    Literal["on", "off"] | None,
    Field(description="`on` to generate sound with the video (kling-v2-6 and newer)."),
]
CameraType = Literal["simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward"]
CameraAxis = Annotated[
    float | None, Field(ge=-10, le=10, description="Movement along this axis, -10 to 10.")
]


class CameraConfig(StrictModel):
    """Manual camera movement of a `simple` camera control: exactly one axis non-zero.

    Examples:
        >>> CameraConfig(zoom=5).zoom
        5.0
    """

    horizontal: CameraAxis = None
    vertical: CameraAxis = None
    pan: CameraAxis = None
    tilt: CameraAxis = None
    roll: CameraAxis = None
    zoom: CameraAxis = None


class CameraControl(StrictModel):
    """Camera movement: a preset, or `simple` with one manual axis in `config`.

    Examples:
        >>> CameraControl(type="simple", config={"pan": -4}).config.pan
        -4.0
        >>> CameraControl(type="forward_up").config is None
        True
    """

    type: CameraType = Field(
        description="`simple` (manual, set `config`) or a preset: `down_back`, `forward_up`, "
        "`right_turn_forward`, `left_turn_forward`."
    )
    config: CameraConfig | None = Field(
        None, description="The manual movement; required with `simple`, absent with presets."
    )

    @model_validator(mode="after")
    def _config_matches_type(self) -> Self:
        axes = ", ".join(CameraConfig.model_fields)
        if self.type != "simple":
            if self.config is not None:
                raise rule_error(
                    "config",
                    f"not allowed with type {self.type!r}; allowed: config only with type 'simple'",
                )
            return self
        if self.config is None:
            raise rule_error(
                "config", f"missing; allowed with type 'simple': exactly one non-zero of {axes}"
            )
        moving = [f"{name}={value:g}" for name, value in self.config if value]
        if len(moving) != 1:
            found = ", ".join(moving) or "none"
            raise rule_error(
                "config",
                f"{len(moving)} non-zero values ({found}); "
                f"allowed with type 'simple': exactly one non-zero of {axes}",
            )
        return self


class WatermarkInfo(StrictModel):
    """Whether Kling also renders a watermarked copy of the result.

    Examples:
        >>> WatermarkInfo(enabled=True).enabled
        True
    """

    enabled: StrictBool = Field(
        description="True to get a watermarked copy besides the clean result (a bool: "
        '`"yes"` or `1` are refused).'
    )


Watermark = Annotated[
    WatermarkInfo | None, Field(description="Whether to also render a watermarked copy.")
]


class TrajectoryPoint(StrictModel):
    """One point of a motion-brush trajectory, in pixels from the image's bottom-left corner.

    Examples:
        >>> TrajectoryPoint(x=10, y=20).y
        20
    """

    x: int = Field(description="Horizontal position in pixels, from the left edge.")
    y: int = Field(description="Vertical position in pixels, from the bottom edge.")


class DynamicMask(StrictModel):
    """A motion-brush group: a painted area and the path it moves along.

    Examples:
        >>> mask = DynamicMask(
        ...     mask="https://example.com/mask.png",
        ...     trajectories=[{"x": 10, "y": 10}, {"x": 200, "y": 40}],
        ... )
        >>> len(mask.trajectories)
        2
    """

    mask: ImageInput = Field(
        description="Mask of the area to move (URL, path, bytes or Base64), same aspect ratio "
        "and resolution as the other masks and the input image's aspect ratio."
    )
    trajectories: list[TrajectoryPoint] = Field(
        min_length=2, max_length=77, description="The path of the area, 2 to 77 points."
    )


class ImageListItem(StrictModel):
    """One reference image of a multi-image-to-video request.

    Examples:
        >>> ImageListItem(image="https://example.com/a.png").image
        'https://example.com/a.png'
    """

    image: ImageInput = Field(description="The image: URL, path, bytes or Base64.")


class ShotPrompt(StrictModel):
    """One shot of a kling-v3 multi-shot video (`multi_prompt`, with `shot_type` customize).

    Examples:
        >>> ShotPrompt(index=1, prompt="The door opens.", duration=4).duration
        '4'
    """

    index: int = Field(ge=1, le=6, description="The shot's place, 1 to 6.")
    prompt: RequiredPrompt = Field(max_length=512, description="What the shot shows.")
    duration: Seconds = Field(description="The shot's seconds; all shots add up to the video's.")

    @field_validator("duration", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _seconds_as_text(value)


class ElementItem(StrictModel):
    """An element of a kling-v3 video (`element_list`)."""

    element_id: str = Field(min_length=1, description="The element's id.")


class VoiceItem(StrictModel):
    """A voice of a kling-v3 video (`voice_list`)."""

    voice_id: str = Field(min_length=1, description="The voice's id.")


MultiShot = Annotated[StrictBool | None, Field(description="Make a multi-shot video (kling-v3).")]
ShotType = Annotated[
    Literal["customize", "intelligence"] | None,
    Field(description="`intelligence` (Kling cuts the prompt into shots) or `customize`."),
]
MultiPrompt = Annotated[
    list[ShotPrompt] | None,
    Field(min_length=1, max_length=6, description="Up to 6 shots, with `shot_type` customize."),
]
ElementList = Annotated[
    list[ElementItem] | None,
    Field(min_length=1, max_length=3, description="Elements to show (kling-v3), at most 3."),
]
VoiceList = Annotated[
    list[VoiceItem] | None,
    Field(min_length=1, max_length=2, description="Voices (kling-v3, sound on), at most 2."),
]


def check_shots(request: TextToVideoRequest | ImageToVideoRequest) -> None:
    """Refuse kling-v3 shots that are not `customize`, or do not add up to the duration."""
    if request.multi_prompt is None:
        return
    if request.shot_type != "customize":
        raise rule_error(
            "multi_prompt", "given without shot_type 'customize'; allowed: with it only"
        )
    duration = int(request.duration or "5")
    total = sum(int(shot.duration) for shot in request.multi_prompt)
    if total != duration:
        raise rule_error(
            "multi_prompt",
            f"shots of {total} s in all; allowed: shots that add up to the duration, {duration} s",
        )


class TextToVideoRequest(KlingRequest):
    """Create a video from a text prompt (`text2video`).

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = TextToVideoRequest(prompt="A red fox runs through fresh snow.", duration=5)
        >>> request.to_payload(Provider.KLING)
        {'prompt': 'A red fox runs through fresh snow.', 'duration': '5'}
    """

    prompt: RequiredPrompt = Field(description="What the video should show.")
    negative_prompt: NegativePrompt = None
    model_name: ModelName = None
    cfg_scale: CfgScale = None
    mode: AnyMode = None
    aspect_ratio: Literal["16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3"] | None = Field(
        None,
        description="Width:height of the video; Kling offers `16:9`, `9:16`, `1:1`, CometAPI "
        "also `4:3`, `3:4`, `3:2`, `2:3`.",
    )
    duration: AnyDuration = None
    camera_control: CameraControl | None = Field(
        None, description="Camera movement; in text to video only with kling-v1, std, 5 s."
    )
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None
    sound: Sound = None
    watermark_info: Watermark = None
    multi_shot: MultiShot = None
    shot_type: ShotType = None
    multi_prompt: MultiPrompt = None
    element_list: ElementList = None
    voice_list: VoiceList = None

    @model_validator(mode="after")
    def _check_shots(self) -> Self:
        check_shots(self)
        return self


EXCLUSIVE_GROUPS = (("image_tail",), ("static_mask", "dynamic_masks"), ("camera_control",))
"""Image-to-video fields of which at most one group may be used."""


class ImageToVideoRequest(KlingRequest):
    """Animate a start frame, an end frame or both (`image2video`).

    At most one of: an end frame, motion-brush masks, camera control. Which durations an
    end frame or masks allow (5 s only, so far) is a per-model fact, checked from the
    capability map in `prefect_kling.capabilities`.

    Examples:
        >>> from prefect_kling.media import make_png
        >>> from prefect_kling.providers import Provider
        >>> request = ImageToVideoRequest(image=make_png(640, 480), prompt="The tiles ripple.")
        >>> sorted(request.to_payload(Provider.COMETAPI))
        ['image', 'prompt']
    """

    image: ImageInput | None = Field(
        None, description="Start frame: URL, path, bytes or Base64; this or image_tail."
    )
    image_tail: ImageInput | None = Field(
        None, description="End frame: URL, path, bytes or Base64; this or image."
    )
    prompt: Text = Field(None, description="How the image should move.")
    negative_prompt: NegativePrompt = None
    model_name: ModelName = None
    cfg_scale: CfgScale = None
    mode: AnyMode = None
    duration: AnyDuration = None
    static_mask: ImageInput | None = Field(
        None,
        description="Motion-brush mask of the area to keep still (URL, path, bytes or Base64), "
        "with the input image's aspect ratio.",
    )
    dynamic_masks: list[DynamicMask] | None = Field(
        None, min_length=1, max_length=6, description="Motion-brush groups, at most 6."
    )
    camera_control: CameraControl | None = Field(None, description="Camera movement.")
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None
    sound: Sound = None
    watermark_info: Watermark = None
    multi_shot: MultiShot = None
    shot_type: ShotType = None
    multi_prompt: MultiPrompt = None
    element_list: ElementList = None
    voice_list: VoiceList = None

    @model_validator(mode="after")
    def _check_combinations(self) -> Self:
        check_shots(self)
        if self.image is None and self.image_tail is None:
            raise rule_error(
                "image", "missing, and so is image_tail; allowed: image, image_tail or both"
            )
        used = [
            next(name for name in group if getattr(self, name) is not None)
            for group in EXCLUSIVE_GROUPS
            if any(getattr(self, name) is not None for name in group)
        ]
        if len(used) > 1:
            groups = ", ".join("{" + ", ".join(group) + "}" for group in EXCLUSIVE_GROUPS)
            raise rule_error(
                used[0], f"cannot be combined with {used[1]}; allowed: one of {groups}"
            )
        self._check_masks()
        return self

    def _check_masks(self) -> None:
        """Masks given as data: the image's aspect ratio, and one resolution for all."""
        masks = [("static_mask", self.static_mask)] + [
            (f"dynamic_masks.{index}.mask", group.mask)
            for index, group in enumerate(self.dynamic_masks or [])
        ]
        sizes = [(name, image_size(value)) for name, value in masks if value is not None]
        known = [(name, size) for name, size in sizes if size is not None]
        image = image_size(self.image) if self.image is not None else None
        for name, size in known:
            if image is not None and not _same_aspect(size, image):
                raise rule_error(
                    name,
                    f"{_px(size)} (aspect ratio {_ratio(size)}); allowed: the aspect ratio of "
                    f"image, {_px(image)} ({_ratio(image)})",
                )
            if size != known[0][1]:
                raise rule_error(
                    name,
                    f"{_px(size)}; allowed: the resolution of {known[0][0]}, {_px(known[0][1])}",
                )


def _same_aspect(one: tuple[int, int], other: tuple[int, int]) -> bool:
    """Whether two sizes have the same aspect ratio, to within 1%."""
    return abs(one[0] * other[1] - other[0] * one[1]) <= 0.01 * other[0] * one[1]


def _px(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]} px"


def _ratio(size: tuple[int, int]) -> str:
    return f"{size[0] / size[1]:.2f}"


class MultiImageToVideoRequest(KlingRequest):
    """Make a video from several reference images (`multi-image2video`).

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = MultiImageToVideoRequest(
        ...     image_list=[{"image": "https://example.com/a.png"}, {"image": "https://example.com/b.png"}],
        ...     prompt="The two cats meet.",
        ... )
        >>> request.to_payload(Provider.KLING)["image_list"][1]
        {'image': 'https://example.com/b.png'}
    """

    image_list: list[ImageListItem] = Field(
        min_length=1, description="The reference images (how many depends on the provider)."
    )
    prompt: RequiredPrompt = Field(description="What the video should show.")
    negative_prompt: NegativePrompt = None
    model_name: ModelName = None
    mode: Mode = None
    duration: Duration = None
    aspect_ratio: Literal["16:9", "9:16", "1:1"] | None = Field(
        None, description="Width:height of the video."
    )
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None


class VideoExtendRequest(KlingRequest):
    """Add 4 to 5 seconds to a video Kling made (`video-extend`).

    The video is named by its id from an earlier result (`KlingTask.videos[0].id`), so
    extensions chain: the result of an extend can be extended again. Kling accepts videos
    made by text to video, image to video or video extend, under 30 days old, of at most
    3 minutes in total; it checks that itself, as only it knows the video. The extension
    runs on the model of the original video, so the request names no model.

    CometAPI also wants the parent task's id (`task_id`, required there; its extend row's
    limits say so); Kling's own API knows the parent from the video id alone, so
    `task_id` is not sent to it.

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = VideoExtendRequest(
        ...     video_id="859402", task_id="8672", prompt="The fox looks back."
        ... )
        >>> request.to_payload(Provider.KLING)
        {'video_id': '859402', 'prompt': 'The fox looks back.'}
        >>> request.to_payload(Provider.COMETAPI)["task_id"]
        '8672'
    """

    video_id: VideoId = Field(
        description="Id of the video to extend, from an earlier result (under 30 days old).",
    )
    task_id: VideoId | None = Field(
        None,
        description="Id of the task that made the video (CometAPI requires it; Kling's own "
        "API does not take it).",
    )
    prompt: Text = Field(None, description="What the added seconds should show.")
    negative_prompt: NegativePrompt = None
    cfg_scale: CfgScale = None
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    def to_payload(self, provider: Provider) -> dict[str, Any]:
        """The JSON body for a provider: the parent task's id only for CometAPI."""
        payload = super().to_payload(provider)
        if Provider(provider) is not Provider.COMETAPI:
            payload.pop("task_id", None)
        return payload
