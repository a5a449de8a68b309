"""What several endpoint rows share: text limits, aspect ratios, unit estimates, options.

Examples:
    >>> video_units({"mode": "pro", "duration": "10"}), image_units({"n": 2, "resolution": "2k"})
    (7.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefect_kling.endpoints.command import option

# --- Text limits and choices. ----------------------------------------------------------

OFFICIAL_TEXT = {"prompt": 2500, "negative_prompt": 2500}
"""Longest prompt and negative prompt on Kling's official API, in characters."""
COMETAPI_TEXT = {"prompt": 500, "negative_prompt": 200}
"""What CometAPI's pages state for its video endpoints."""

RATIOS = ("16:9", "9:16", "1:1")
MORE_RATIOS = (*RATIOS, "4:3", "3:4", "3:2", "2:3")
IMAGE_RATIOS = (*MORE_RATIOS, "21:9")

# --- Unit estimates (`UnitBudget`): deliberately simple. ---------------------------------


def video_units(request: Mapping[str, Any]) -> float:
    """A video: std 5 s = 1 unit, pro x 3.5, 10 s x 2."""
    base = 3.5 if request.get("mode") == "pro" else 1.0
    return base * (2 if str(request.get("duration")) == "10" else 1)


def image_units(request: Mapping[str, Any]) -> float:
    """Images: 0.25 units per image, 0.5 at 2k."""
    per_image = 0.5 if request.get("resolution") == "2k" else 0.25
    return per_image * int(request.get("n") or 1)


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
