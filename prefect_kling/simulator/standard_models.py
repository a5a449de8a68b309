"""Kling's newer API standard (2026) as the simulator's own data: one row per product and model.

The newer standard names the model in the path, `POST /<product>/<model>` at the host root
(`/text-to-video/kling-3.0`), and reads a body of `prompt` (text-to-video) or typed
`contents[]`, plus `settings` and `options`. Each `StandardModel` row says what one such
path takes and what it costs, written from Kling's pages of 2026-09-20 independently of
the client's capability data, so that the two check each other.

Prices are Kling's resource-pack units per second of video (the video pricing page): by
resolution, and by feature where the page prices one apart (native audio, a voice, a
reference video, motion control). A task is charged its rate times its billed seconds: the
requested `settings.duration`, or for motion control the motion video's length rounded to
whole seconds, half up ("deduction is calculated based on the output video duration").

Examples:
    >>> spec = find_model("text-to-video", "kling-3.0")
    >>> spec.name, spec.durations[0], spec.durations[-1], spec.resolutions
    ('text-to-video/kling-3.0', 3, 15, ('720p', '1080p', '4k'))
    >>> str(spec.rate("native", "1080p")), str(spec.rate("base", "4k"))
    ('1.2', '3.0')
    >>> find_model("motion-control", "kling-3.0-turbo") is None
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

PRODUCTS = ("text-to-video", "image-to-video", "omni-video", "motion-control")
ASPECT_RATIOS = ("16:9", "9:16", "1:1")
ALL_SECONDS = tuple(range(3, 16))
O1_SECONDS = tuple(range(3, 11))
FIVE_OR_TEN = (5, 10)
HD = ("720p", "1080p")
UP_TO_4K = ("720p", "1080p", "4k")
LONG_PROMPT = 3072
PROMPT = 2500

VIDEO_CHARACTER = "video_character_elements"
MULTI_IMAGE = "multi_image_elements"

Rates = Mapping[str, str]
"""Units per second by resolution, e.g. `{"720p": "0.6", "1080p": "0.8"}`."""


@dataclass(frozen=True)
class StandardModel:
    """What one newer-standard create path takes, and its prices.

    Attributes:
        product: `text-to-video`, `image-to-video`, `omni-video` or `motion-control`.
        model: The model in the path, e.g. `kling-3.0-turbo`.
        prompt_max: Longest prompt, in characters.
        contents: The `contents[].type` values taken (empty: the body has a top-level
            `prompt` instead, as text-to-video does).
        durations: The `settings.duration` values taken (empty: no such setting; motion
            control follows its motion video).
        resolutions: The `settings.resolution` values taken; the first is the default.
        aspect_ratios: The `settings.aspect_ratio` values taken (empty: no such setting,
            the frame image decides).
        audio: The `settings.audio` values taken (empty: no such setting).
        audio_default: `settings.audio` when not given.
        multi_shot: Whether `settings.multi_shot` is taken.
        max_elements: Most `element` contents (omni-video has further count rules).
        max_voices: Most `voice` contents.
        frame_pair_1080p: First + last frame only at 1080p.
        native_audio_1080p: `audio` `native` only at 1080p.
        reference_seconds: Shortest and longest reference video (`feature_video`,
            `base_video`), omni-video only.
        prices: Units per second, per feature (`base`, `native`, `voice`, `video`).
    """

    product: str
    model: str
    prompt_max: int
    contents: tuple[str, ...]
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    aspect_ratios: tuple[str, ...] = ()
    audio: tuple[str, ...] = ()
    audio_default: str = "off"
    multi_shot: bool = False
    max_elements: int = 0
    max_voices: int = 0
    frame_pair_1080p: bool = False
    native_audio_1080p: bool = False
    reference_seconds: tuple[float, float] | None = None
    prices: Mapping[str, Rates] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """`<product>/<model>`: the create path without its leading slash."""
        return f"{self.product}/{self.model}"

    def rate(self, feature: str, resolution: str) -> Decimal:
        """Units per second for a feature at a resolution (`base` where not priced apart)."""
        rates = self.prices.get(feature) or self.prices["base"]
        return Decimal(rates.get(resolution) or self.prices["base"][resolution])


_TURBO = {"base": {"720p": "0.8", "1080p": "1.0"}}  # priced "with native audio"
_V3 = {
    "base": {"720p": "0.6", "1080p": "0.8", "4k": "3.0"},
    "native": {"720p": "0.9", "1080p": "1.2", "4k": "3.0"},
}
_OMNI = {
    "base": {"720p": "0.6", "1080p": "0.8", "4k": "3.0"},
    "native": {"720p": "0.8", "1080p": "1.0", "4k": "3.0"},
    "video": {"720p": "0.9", "1080p": "1.2", "4k": "3.0"},
}
_O1 = {"base": {"720p": "0.6", "1080p": "0.8"}, "video": {"720p": "0.9", "1080p": "1.2"}}
_V26 = {
    "base": {"720p": "0.3", "1080p": "0.5"},
    "native": {"1080p": "1.0"},
    "voice": {"1080p": "1.2"},
}
_V25 = {"base": {"720p": "0.3", "1080p": "0.5"}}
_OMNI_CONTENTS = (
    "prompt",
    "first_frame",
    "last_frame",
    "refer_image",
    "feature_video",
    "base_video",
    "element",
)

MODELS: tuple[StandardModel, ...] = (
    StandardModel(
        "text-to-video", "kling-3.0-turbo", LONG_PROMPT, (), ALL_SECONDS, HD, ASPECT_RATIOS,
        prices=_TURBO,
    ),
    StandardModel(
        "text-to-video", "kling-3.0", LONG_PROMPT, (), ALL_SECONDS, UP_TO_4K, ASPECT_RATIOS,
        audio=("native", "off"), multi_shot=True, prices=_V3,
    ),
    StandardModel(
        "text-to-video", "kling-2.6", PROMPT, (), FIVE_OR_TEN, HD, ASPECT_RATIOS,
        audio=("native", "off"), native_audio_1080p=True, prices=_V26,
    ),
    StandardModel(
        "text-to-video", "kling-2.5-turbo", PROMPT, (), FIVE_OR_TEN, HD, ASPECT_RATIOS,
        prices=_V25,
    ),
    StandardModel(
        "image-to-video", "kling-3.0-turbo", PROMPT, ("prompt", "first_frame"), ALL_SECONDS, HD,
        prices=_TURBO,
    ),
    StandardModel(
        "image-to-video", "kling-3.0", LONG_PROMPT,
        ("prompt", "first_frame", "last_frame", "element"), ALL_SECONDS, UP_TO_4K,
        audio=("native", "off"), multi_shot=True, max_elements=3, prices=_V3,
    ),
    StandardModel(
        "image-to-video", "kling-2.6", PROMPT, ("prompt", "first_frame", "last_frame", "voice"),
        FIVE_OR_TEN, HD, audio=("native", "off"), max_voices=2, frame_pair_1080p=True,
        native_audio_1080p=True, prices=_V26,
    ),
    StandardModel(
        "image-to-video", "kling-2.5-turbo", PROMPT, ("prompt", "first_frame", "last_frame"),
        FIVE_OR_TEN, HD, frame_pair_1080p=True, prices=_V25,
    ),
    StandardModel(
        "omni-video", "kling-3.0-omni", LONG_PROMPT, _OMNI_CONTENTS, ALL_SECONDS, UP_TO_4K,
        ASPECT_RATIOS, audio=("native", "original", "off"), multi_shot=True, max_elements=7,
        reference_seconds=(3.0, 15.5), prices=_OMNI,
    ),
    StandardModel(
        "omni-video", "kling-o1", PROMPT, _OMNI_CONTENTS, O1_SECONDS, HD, ASPECT_RATIOS,
        audio=("original", "off"), max_elements=7, reference_seconds=(3.0, 10.0), prices=_O1,
    ),
    StandardModel(
        "motion-control", "kling-3.0", PROMPT, ("prompt", "image", "video", "element"), (), HD,
        audio=("original", "off"), audio_default="original", max_elements=1,
        prices={"base": {"720p": "0.9", "1080p": "1.2"}},
    ),
    StandardModel(
        "motion-control", "kling-2.6", PROMPT, ("prompt", "image", "video"), (), HD,
        audio=("original", "off"), audio_default="original",
        prices={"base": {"720p": "0.5", "1080p": "0.8"}},
    ),
)  # fmt: skip

MODELS_BY_NAME: Mapping[str, StandardModel] = {spec.name: spec for spec in MODELS}

MOTION_SECONDS = {"video": (3.0, 30.0), "image": (3.0, 10.0)}
"""Shortest and longest motion video, by `settings.character_orientation`."""


def find_model(product: str, model: str) -> StandardModel | None:
    """The row served at `/<product>/<model>`, or `None`."""
    return MODELS_BY_NAME.get(f"{product}/{model}")


def models_of(product: str) -> list[str]:
    """The models a product serves, in table order.

    Examples:
        >>> models_of("omni-video")
        ['kling-3.0-omni', 'kling-o1']
    """
    return [spec.model for spec in MODELS if spec.product == product]
