"""What several endpoint rows share: text limits, aspect ratios, unit estimates, options.

Examples:
    >>> video_units({"model_name": "kling-v2-6", "mode": "pro", "duration": "10", "sound": "on"})
    10.0
    >>> image_units({"model_name": "kling-v2-1", "n": 2}), multi_image_units({"n": 2})
    (8.0, 32.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefect_kling.endpoints.command import option
from prefect_kling.pricing import estimate_units

# --- Text limits and choices. ----------------------------------------------------------

OFFICIAL_TEXT = {"prompt": 2500, "negative_prompt": 2500}
"""Longest prompt and negative prompt on Kling's official API, in characters."""
COMETAPI_TEXT = {"prompt": 500, "negative_prompt": 200}
"""What CometAPI's pages state for its video endpoints."""

RATIOS = ("16:9", "9:16", "1:1")
MORE_RATIOS = (*RATIOS, "4:3", "3:4", "3:2", "2:3")
IMAGE_RATIOS = (*MORE_RATIOS, "21:9")

# --- Unit estimates (`UnitBudget`), from the dated price table of `prefect_kling.pricing`. ---


def video_units(request: Mapping[str, Any]) -> float:
    """A legacy video (text, image or multi-image to video): its rate per second x seconds."""
    return estimate_units("text2video", request)


def image_units(request: Mapping[str, Any]) -> float:
    """Text or image to image: the model's units per image x `n`."""
    return estimate_units("image-generation", request)


def multi_image_units(request: Mapping[str, Any]) -> float:
    """Multi-image to image: its units per image x `n`."""
    return estimate_units("multi-image2image", request)


def expand_units(request: Mapping[str, Any]) -> float:
    """Image expand: Kling's "Outpainting" price per image x `n`."""
    return estimate_units("image-expand", request)


def extend_units(request: Mapping[str, Any]) -> float:
    """A video extension: 5 s at the 1080p rate, the parent's model and mode being unknown."""
    return estimate_units("video-extend", request)


def lip_sync_units(request: Mapping[str, Any]) -> float:
    """A lip-sync (either kind): the longest video it takes, 60 s, at 0.5 units per 5 s."""
    return estimate_units("lip-sync", request)


def advanced_lip_sync_units(request: Mapping[str, Any]) -> float:
    """An advanced lip-sync: as a lip-sync, plus the identify-face call its session needs."""
    return estimate_units("advanced-lip-sync", request)


def try_on_units(request: Mapping[str, Any]) -> float:
    """A virtual try-on, which the pricing pages leave out: priced as multi-image to image."""
    return estimate_units("virtual-try-on", request)


# --- Command-line options of the look of a result. ---------------------------------------

IMAGE_LOOK = (
    option("--model", dest="model_name", help="Kling model, e.g. kling-v2-master"),
    option("--negative-prompt", help="what the result should not show"),
    option("--aspect-ratio", help="e.g. 16:9"),
)
VIDEO_LOOK = (
    *IMAGE_LOOK,
    option("--mode", help="std or pro"),
    option("--duration", help="5 or 10 (seconds)"),
)
N_IMAGES = option("--n", type=int, help="number of images (1..9)")
PATH_OR_URL = "PATH_OR_URL"
"""The metavar of an option that takes a file: a local path or a link."""
