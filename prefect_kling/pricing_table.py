"""Kling's unit prices as its pricing pages listed them on 2026-09-20: the data of `pricing`.

Sources, Kling's API documentation as copied on 2026-09-20 (`PRICES_TAKEN`):

- the "Video" pricing page (`pricing/base/video`): units per second of each video model,
  by resolution and feature; avatar, lip-sync, audio and image recognition;
- the "Image" pricing page (`pricing/base/image`): units per image of each image model,
  multi-shot and outpainting;
- the "API Updates" page (`updates/api`): the longest lip-sync video (60 s, 06/30/2025),
  the length of a video extension (4-5 s, 11/15/2024) and the motion-control reference
  video (up to 30 s, or 10 s when the character faces as in the image, 12/22/2025). Its
  billing notes agree with the pricing pages (e.g. "Kling 3.0 Turbo: 0.8 units/s at 720P,
  1.0 unit/s at 1080P").

The pages give each price in units and in dollars; only units are kept here. Names are the
pages' own ("Kling 3.0 Omni", "With Video Input x No Native Audio"); a price the page leaves
out ("-") is absent. Video units and image units are not the same money: Kling sells video,
image and try-on units in separate resource packages, and the pages price a video unit at
$0.14 but an image unit at $0.0035 (8 units, $0.028).

Examples:
    >>> [rate.per_second["1080p"] for rate in VIDEO_RATES if rate.model == "Kling 3.0 Turbo"]
    [1.0]
    >>> PRICES_TAKEN.isoformat()
    '2026-09-20'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

PRICES_TAKEN = date(2026, 9, 20)
"""When the prices below were copied from Kling's pages."""


@dataclass(frozen=True)
class VideoRate:
    """One row of the video pricing page: units per second of generated video.

    Attributes:
        model: The model as the page names it, e.g. `Kling 3.0 Omni`.
        features: The page's "Features" cell, as written.
        per_second: Units per second by resolution (`720p`, `1080p`, `4k`); a resolution
            the page prices with "-" is left out.
        product: `generation` (text, image or omni video), `motion-control` or `avatar`.
        audio: Whether the row is for native audio; None when the row does not say.
        video_input: Whether the row is for a request with a reference video; None when
            the row does not say.
        voice: Whether the row is for voice control; None when the row does not say.
    """

    model: str
    features: str
    per_second: Mapping[str, float]
    product: str = "generation"
    audio: bool | None = None
    video_input: bool | None = None
    voice: bool | None = None

    def matches(self, *, audio: bool, video_input: bool, voice: bool) -> bool:
        """Whether this row prices a request with these features.

        Examples:
            >>> silent = VIDEO_RATES[1]
            >>> silent.features, silent.matches(audio=True, video_input=False, voice=False)
            ('No Native Audio', False)
        """
        wanted = {"audio": audio, "video_input": video_input, "voice": voice}
        return all(getattr(self, name) in (None, value) for name, value in wanted.items())


def _rate(
    model: str,
    features: str,
    p720: float | None,
    p1080: float | None,
    p4k: float | None,
    **row: Any,
) -> VideoRate:
    prices = {"720p": p720, "1080p": p1080, "4k": p4k}
    per_second = {resolution: price for resolution, price in prices.items() if price is not None}
    return VideoRate(model, features, per_second, **row)


_SILENT = {"audio": False, "video_input": False}
_SOUND = {"audio": True, "video_input": False, "voice": False}

VIDEO_RATES: tuple[VideoRate, ...] = (
    # model, features, 720P, 1080P, 4K (units per second), as on the page
    _rate("Kling 3.0 Turbo", "With Native Audio", 0.8, 1.0, None, audio=True, video_input=False),
    _rate("Kling 3.0", "No Native Audio", 0.6, 0.8, 3.0, **_SILENT),
    _rate("Kling 3.0", "With Native Audio x No Voice Control", 0.9, 1.2, 3.0, **_SOUND),
    _rate("Kling 3.0", "Motion Control", 0.9, 1.2, None, product="motion-control"),
    _rate("Kling 3.0 Omni", "No Video Input x No Native Audio", 0.6, 0.8, 3.0, **_SILENT),
    _rate(
        "Kling 3.0 Omni",
        "No Video Input x With Native Audio",
        0.8,
        1.0,
        3.0,
        audio=True,
        video_input=False,
    ),
    _rate(
        "Kling 3.0 Omni",
        "With Video Input x No Native Audio",
        0.9,
        1.2,
        3.0,
        audio=False,
        video_input=True,
    ),
    _rate("Kling O1", "No Video Input", 0.6, 0.8, None, video_input=False),
    _rate("Kling O1", "With Video Input", 0.9, 1.2, None, video_input=True),
    _rate("Kling 2.6", "No Native Audio", 0.3, 0.5, None, **_SILENT),
    _rate("Kling 2.6", "With Native Audio x No Voice Control", None, 1.0, None, **_SOUND),
    _rate(
        "Kling 2.6",
        "With Native Audio x With Voice Control",
        None,
        1.2,
        None,
        audio=True,
        video_input=False,
        voice=True,
    ),
    _rate("Kling 2.6", "Motion Control", 0.5, 0.8, None, product="motion-control"),
    _rate("Kling 2.5 Turbo", "No Native Audio", 0.3, 0.5, None, **_SILENT),
    _rate("Avatar", "Avatar", 0.4, 0.8, None, product="avatar"),
)
"""The video pricing page's per-second rows, in its order."""

LIP_SYNC_UNITS_PER_5_SECONDS = 0.5
"""Lip Sync, "Per 5 seconds": 0.5 units per 5 s."""

PER_REQUEST_UNITS: Mapping[tuple[str, str], float] = {
    ("Avatar", "TTS"): 0.05,
    ("Lip Sync", "Face Recognition"): 0.05,
    ("Audio Generation", "Text to Audio"): 0.25,
    ("Audio Generation", "Video to Audio"): 0.25,
    ("Audio Generation", "Custom Voice"): 0.05,
    ("Image Recognition", "Image Recognition"): 0.1,
}
"""The video pricing page's "Per request" rows: (model, features) to units per call."""


@dataclass(frozen=True)
class ImageRate:
    """One row of the image pricing page.

    Attributes:
        model: The model as the page names it, e.g. `Kling Image 2.1`, or `General`.
        function: The page's "Function" cell, as written.
        functions: The same as the names used here: `text-to-image`, `image-to-image`,
            `multi-image-to-image`, `ai-multi-shot`, `outpainting`.
        resolutions: The resolutions the row prices (`1k`, `2k`, `4k`).
        units: Units per image, or per call for `ai-multi-shot`.
    """

    model: str
    function: str
    functions: tuple[str, ...]
    resolutions: tuple[str, ...]
    units: float


_EITHER = ("text-to-image", "image-to-image")
_1K_2K = ("1k", "2k")

IMAGE_RATES: tuple[ImageRate, ...] = (
    ImageRate("Kling Image 3.0", "Text-to-Image, Image-to-Image", _EITHER, _1K_2K, 8),
    ImageRate("Kling Image 3.0 Omni", "Text-to-Image, Image-to-Image", _EITHER, _1K_2K, 8),
    ImageRate("Kling Image 3.0 Omni", "Text-to-Image, Image-to-Image", _EITHER, ("4k",), 16),
    ImageRate("Kling Image O1", "Text-to-Image, Image-to-Image", _EITHER, _1K_2K, 8),
    ImageRate("Kling Image 2.1", "Text-to-Image", ("text-to-image",), _1K_2K, 4),
    ImageRate("Kling Image 2.1", "Image-to-Image", ("image-to-image",), _1K_2K, 8),
    ImageRate("Kling Image 2.1", "Multi-image to Image", ("multi-image-to-image",), _1K_2K, 16),
    ImageRate("General", "AI Multi-Shot", ("ai-multi-shot",), ("1k",), 20),
    ImageRate("General", "Outpainting", ("outpainting",), ("1k",), 8),
)
"""The image pricing page's rows, in its order: units per image (per call for multi-shot)."""

VIDEO_MODELS: Mapping[str, str] = {
    "kling-3.0-turbo": "Kling 3.0 Turbo",
    "kling-3.0": "Kling 3.0",
    "kling-v3": "Kling 3.0",
    "kling-3.0-omni": "Kling 3.0 Omni",
    "kling-v3-omni": "Kling 3.0 Omni",
    "kling-o1": "Kling O1",
    "kling-video-o1": "Kling O1",
    "kling-2.6": "Kling 2.6",
    "kling-v2-6": "Kling 2.6",
    "kling-2.5-turbo": "Kling 2.5 Turbo",
    "kling-v2-5-turbo": "Kling 2.5 Turbo",
}
"""Video model names of both API standards to the pricing page's; a name not here (kling-v1,
kling-v1-5, kling-v1-6, kling-v2-master, kling-v2-1, kling-v2-1-master) is not on the page."""

IMAGE_MODELS: Mapping[str, str] = {
    "kling-v3": "Kling Image 3.0",
    "kling-v3-omni": "Kling Image 3.0 Omni",
    "kling-image-o1": "Kling Image O1",
    "kling-v2-1": "Kling Image 2.1",
}
"""Image model names to the pricing page's; kling-v1, kling-v1-5, kling-v2 and kling-v2-new
are not on the page."""
