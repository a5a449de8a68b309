"""The units a Kling task is estimated at, from Kling's dated price table.

Prices were taken on 2026-09-20 (`PRICES_TAKEN`) from Kling's "Video" and "Image" pricing
pages, with lengths from its "API Updates" page (see `prefect_kling.pricing_table`, which
holds them). A video costs its model's rate (units per second, by resolution and by
features: native audio, voice control, a reference video) times its seconds; an image its
model's units per image times the number of images.

Both request shapes are priced: the legacy `/v1` one (`model_name` such as `kling-v2-6`,
`mode` `std` = 720p, `pro` = 1080p or `4k`, `duration` `"5"`, `sound` `on`) and the newer
standard's flat fields (`model_name` such as `kling-3.0-turbo`, `resolution`, `duration` in
whole seconds, `audio` `native`, `original` or `off`).

A budget must not under-estimate, so what the page or the request leaves open is priced at
its dearest:

- a model the page does not price (kling-v1, kling-v1-5, kling-v1-6, kling-v2-master,
  kling-v2-1, kling-v2-1-master; image models kling-v1, kling-v1-5, kling-v2,
  kling-v2-new) costs the dearest rate the page gives any model for the same product,
  features and resolution;
- a model asked for something none of its rows prices (a resolution marked "-", Kling 3.0
  Turbo with audio off though it always makes sound) costs the dearer of that rate and its
  own dearest;
- motion control takes its length from the motion video: unless `duration` says it, the
  longest allowed, 30 s (10 s when the character faces as in the image);
- a lip-sync is priced at the longest video it takes, 60 s: 12 x 0.5 units per 5 s;
- a video extension adds 4-5 s to a video of a model the page does not price, in a mode the
  request does not name: 5 s at that model's 1080p (pro) rate;
- an effect is priced as a video of its settings (`input`): Kling's effects price list is
  not among the sources;
- a virtual try-on is not on the pages: two images in, one out, it is priced as a multi-image
  to image, the dearest per-image row of the image page;
- an image expand is an "Outpainting" per image; a custom voice is the page's "Custom
  Voice" call. Creating an element is not on the pages, and has no estimate here.

Kling sells video, image and try-on units in separate packages, and an image unit is worth
far less than a video unit (the pages: 8 image units $0.028, 1 video unit $0.14): the
estimates are in the units Kling deducts, so an image task counts 8 and more.

Examples:
    >>> estimate_units("text-to-video", {"model_name": "kling-3.0-turbo", "duration": 12,
    ...                                  "resolution": "1080p"})
    12.0
    >>> estimate_units("text2video", {"model_name": "kling-v2-6", "mode": "pro", "duration": "10",
    ...                               "sound": "on"})
    10.0
    >>> video_units_per_second("kling-v1", mode="std")  # not on the page: dearest 720p silent
    0.6
    >>> estimate_units("image-generation", {"model_name": "kling-v2-1", "n": 2})
    8.0
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prefect_kling.audio import identify_audio
from prefect_kling.models.omni_images import images_made
from prefect_kling.pricing_table import (
    IMAGE_MODELS,
    IMAGE_RATES,
    LIP_SYNC_UNITS_PER_5_SECONDS,
    PER_REQUEST_UNITS,
    PRICES_TAKEN,
    VIDEO_MODELS,
    VIDEO_RATES,
    ImageRate,
    VideoRate,
)

__all__ = [
    "PRICES_TAKEN",
    "VIDEO_PRODUCTS",
    "estimate_units",
    "image_units_per_image",
    "new_standard_units",
    "video_units_per_second",
]

Estimate = Callable[[Mapping[str, Any]], float]
"""The units a create request is assumed to cost, from its fields."""

VIDEO_PRODUCTS = ("text-to-video", "image-to-video", "omni-video", "motion-control")
"""The newer standard's video products."""
LEGACY_MODES = {"std": "720p", "pro": "1080p", "4k": "4k"}
"""A legacy `mode` as the resolution Kling bills it at."""
DEFAULT_RESOLUTION = "720p"
"""What both standards make when neither `resolution` nor `mode` is given."""
DEFAULT_SECONDS = 5
"""What both standards make when `duration` is not given."""
MOTION_CONTROL_LONGEST_SECONDS = {"image": 10, "video": 30}
"""Longest motion video by `character_orientation` (API Updates, 12/22/2025)."""
LIP_SYNC_LONGEST_SECONDS = 60
"""Longest video a lip-sync takes (API Updates, 06/30/2025)."""
EXTENSION_SECONDS = 5
"""What one video extension adds, at most (API Updates: 4-5 s, 11/15/2024)."""
AVATAR_LONGEST_SECONDS = 300
"""Longest speech an avatar takes (its page: 2 to 300 s)."""


def video_units_per_second(
    model: str | None,
    *,
    resolution: str | None = None,
    mode: str | None = None,
    audio: bool = False,
    video_input: bool = False,
    voice: bool = False,
    product: str = "text-to-video",
) -> float:
    """Units per second of video: the page's rate, or the dearest comparable one.

    Args:
        model: The model, by either standard's name (`kling-v2-6`, `kling-2.6`).
        resolution: `720p`, `1080p` or `4k`; takes precedence over `mode`.
        mode: The legacy `std` (720p), `pro` (1080p) or `4k`.
        audio: Whether the video has native audio.
        video_input: Whether a reference video is given (omni video).
        voice: Whether voice control is used (Kling 2.6).
        product: One of `VIDEO_PRODUCTS`; only motion control has rates of its own.

    Raises:
        ValueError: The product is not a video product.

    Examples:
        >>> video_units_per_second("kling-3.0-omni", resolution="1080p", video_input=True)
        1.2
        >>> video_units_per_second("kling-2.6", resolution="720p", audio=True)  # "-": 1080p's
        1.0
    """
    if product not in VIDEO_PRODUCTS:
        raise ValueError(
            f"{product!r} is not a video product; allowed: {', '.join(VIDEO_PRODUCTS)}"
        )
    at = _resolution(resolution, mode)
    kind = "motion-control" if product == "motion-control" else "generation"
    rows = [rate for rate in VIDEO_RATES if rate.product == kind]
    alike = [
        rate for rate in rows if rate.matches(audio=audio, video_input=video_input, voice=voice)
    ]
    own = [rate for rate in rows if rate.model == VIDEO_MODELS.get(model or "")]
    asked = [rate for rate in own if rate in alike]
    price = _dearest_per_second(asked, at)
    if price is not None:
        return price
    # Not on the page as asked: never below a comparable rate, nor below the model's own.
    comparable = (
        _dearest_per_second(alike, at)
        or _dearest_per_second(rows, at)
        or _dearest_per_second(rows)  # a resolution no row has
    )
    return _highest(comparable, _dearest_per_second(own, at), _dearest_per_second(asked))


def image_units_per_image(
    model: str | None, *, function: str = "text-to-image", resolution: str | None = None
) -> float:
    """Units per image: the page's price, or the dearest comparable one.

    Args:
        model: The model (`kling-v2-1`, `kling-v3-omni`); None for the general functions.
        function: `text-to-image`, `image-to-image`, `multi-image-to-image`, `outpainting`
            or `ai-multi-shot` (per call).
        resolution: `1k` (the default), `2k` or `4k`.

    Raises:
        ValueError: The page has no such function.

    Examples:
        >>> image_units_per_image("kling-v2-1")
        4.0
        >>> image_units_per_image("kling-v3-omni", resolution="4k")
        16.0
    """
    rows = [rate for rate in IMAGE_RATES if function in rate.functions]
    if not rows:
        known = sorted({name for rate in IMAGE_RATES for name in rate.functions})
        raise ValueError(f"{function!r} is not on the image page; allowed: {', '.join(known)}")
    at = str(resolution or "1k").lower()
    own = [rate for rate in rows if rate.model == IMAGE_MODELS.get(model or "")]
    price = _dearest_per_image(own, at)
    if price is None:
        comparable = _dearest_per_image(rows, at) or _dearest_per_image(rows)
        price = _highest(comparable, _dearest_per_image(own))
    return float(price)


def new_standard_units(product: str) -> Estimate:
    """The estimate of a newer-standard product, from the flat fields of its request.

    Args:
        product: One of `VIDEO_PRODUCTS`.

    Raises:
        ValueError: The product is not one of them.

    Examples:
        >>> motion = new_standard_units("motion-control")
        >>> motion({"model_name": "kling-3.0", "resolution": "1080p"})  # 30 s at most
        36.0
        >>> motion({"model_name": "kling-3.0", "duration": 12, "resolution": "1080p"})
        14.4
    """
    if product not in VIDEO_PRODUCTS:
        raise ValueError(
            f"{product!r} is not a video product; allowed: {', '.join(VIDEO_PRODUCTS)}"
        )

    def estimate(fields: Mapping[str, Any]) -> float:
        return _video(fields, product)

    estimate.__doc__ = f"Units of a {product} request, from the table of {PRICES_TAKEN}."
    return estimate


def estimate_units(endpoint_name: str, fields: Mapping[str, Any]) -> float:
    """The units a create request of an endpoint is estimated at.

    Args:
        endpoint_name: A legacy endpoint (`text2video`, `image-generation`, `lip-sync`...)
            or a newer-standard product (`text-to-video`, `motion-control`...).
        fields: The request's fields as the request models dump them.

    Raises:
        ValueError: No estimate is known for that endpoint.

    Examples:
        >>> estimate_units("lip-sync", {"input": {"video_id": "8672"}})
        6.0
    """
    try:
        estimate = _ESTIMATES[endpoint_name]
    except KeyError:
        known = ", ".join(_ESTIMATES)
        raise ValueError(f"no estimate for {endpoint_name!r}; allowed: {known}") from None
    return estimate(fields)


# --- Per endpoint. --------------------------------------------------------------------------


def _video(fields: Mapping[str, Any], product: str = "text-to-video") -> float:
    """A video of either standard: the rate of its settings times its seconds."""
    default = DEFAULT_SECONDS
    if product == "motion-control":
        orientation = "image" if fields.get("character_orientation") == "image" else "video"
        default = MOTION_CONTROL_LONGEST_SECONDS[orientation]
    rate = video_units_per_second(
        fields.get("model_name"),
        resolution=fields.get("resolution"),
        mode=fields.get("mode"),
        audio=fields.get("audio") == "native" or fields.get("sound") == "on",
        # The reference video's own sound ("original") needs a reference video.
        video_input=bool(
            fields.get("feature_video") or fields.get("base_video") or fields.get("video_input")
        )
        or (product == "omni-video" and fields.get("audio") == "original"),
        voice=bool(fields.get("voices") or fields.get("voice_list")),
        product=product,
    )
    return _units(rate * _seconds(fields.get("duration"), default))


def _effect(fields: Mapping[str, Any]) -> float:
    return _video(fields.get("input") or {})


def _extension(fields: Mapping[str, Any]) -> float:
    rate = max(video_units_per_second(None, mode=mode) for mode in ("std", "pro"))
    return _units(rate * EXTENSION_SECONDS)


def _lip_sync(fields: Mapping[str, Any]) -> float:
    blocks = math.ceil(LIP_SYNC_LONGEST_SECONDS / 5)
    return _units(blocks * LIP_SYNC_UNITS_PER_5_SECONDS)


def _advanced_lip_sync(fields: Mapping[str, Any]) -> float:
    # Its session comes from an identify-face call, which Kling charges too.
    return _units(_lip_sync(fields) + PER_REQUEST_UNITS["Lip Sync", "Face Recognition"])


def _images(function: str) -> Estimate:
    def estimate(fields: Mapping[str, Any]) -> float:
        chosen = function
        if function == "text-to-image" and fields.get("image"):
            chosen = "image-to-image"
        per_image = image_units_per_image(
            fields.get("model_name"), function=chosen, resolution=fields.get("resolution")
        )
        return _units(per_image * images_made(fields))

    return estimate


def _multi_shot(fields: Mapping[str, Any]) -> float:
    return _units(image_units_per_image(None, function="ai-multi-shot"))


def _try_on(fields: Mapping[str, Any]) -> float:
    return _units(image_units_per_image(None, function="multi-image-to-image"))


def _custom_voice(fields: Mapping[str, Any]) -> float:
    return PER_REQUEST_UNITS["Audio Generation", "Custom Voice"]


def _per_request(model: str, features: str) -> Estimate:
    def estimate(fields: Mapping[str, Any]) -> float:
        return PER_REQUEST_UNITS[model, features]

    return estimate


def _avatar(fields: Mapping[str, Any]) -> float:
    at = _resolution(None, fields.get("mode"))
    rows = [rate for rate in VIDEO_RATES if rate.product == "avatar"]
    rate = _dearest_per_second(rows, at) or _dearest_per_second(rows) or 0.0
    return _units(rate * math.ceil(_speech_seconds(fields.get("sound_file"))))


def _speech_seconds(sound_file: Any) -> float:
    """The length of an avatar's speech: read from Base64 audio, else the longest taken."""
    if isinstance(sound_file, str) and not sound_file.startswith(("http://", "https://")):
        try:
            facts = identify_audio(base64.b64decode(sound_file, validate=True))
        except (binascii.Error, ValueError):
            facts = None
        if facts is not None:
            return facts[1]
    return AVATAR_LONGEST_SECONDS


_ESTIMATES: dict[str, Estimate] = {
    "text2video": _video,
    "image2video": _video,
    "multi-image2video": _video,
    "effects": _effect,
    "video-extend": _extension,
    "lip-sync": _lip_sync,
    "advanced-lip-sync": _advanced_lip_sync,
    "image-generation": _images("text-to-image"),
    "multi-image2image": _images("multi-image-to-image"),
    "image-expand": _images("outpainting"),
    "omni-image": _images("text-to-image"),
    "multi-shot": _multi_shot,
    "virtual-try-on": _try_on,
    "voice": _custom_voice,
    "text-to-audio": _per_request("Audio Generation", "Text to Audio"),
    "video-to-audio": _per_request("Audio Generation", "Video to Audio"),
    "tts": _per_request("Avatar", "TTS"),
    "avatar": _avatar,
    **{product: new_standard_units(product) for product in VIDEO_PRODUCTS},
}


# --- Helpers. --------------------------------------------------------------------------------


def _resolution(resolution: str | None, mode: str | None) -> str:
    if resolution:
        return str(resolution).lower()
    if mode:
        return LEGACY_MODES.get(str(mode).lower(), str(mode).lower())
    return DEFAULT_RESOLUTION


def _seconds(duration: Any, default: int) -> int:
    """Whole seconds billed: Kling rounds to the second; a part second counts whole here."""
    if duration is None or duration == "":
        return default
    return math.ceil(float(duration))


def _dearest_per_second(rates: Iterable[VideoRate], resolution: str | None = None) -> float | None:
    prices = [
        price for rate in rates for at, price in rate.per_second.items() if resolution in (None, at)
    ]
    return max(prices, default=None)


def _dearest_per_image(rates: Iterable[ImageRate], resolution: str | None = None) -> float | None:
    prices = [rate.units for rate in rates if resolution is None or resolution in rate.resolutions]
    return max(prices, default=None)


def _highest(*prices: float | None) -> float:
    return max(price for price in prices if price is not None)


def _units(units: float) -> float:
    """Units as Kling states them: to the hundredth, without float noise (0.6 x 5 = 3.0)."""
    return round(float(units), 4)
