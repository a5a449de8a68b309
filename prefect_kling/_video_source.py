"""The video a request names, for the plans that open a session on it before the create.

Advanced lip-sync (`lip_sync_plan`) and multi-element editing (`multi_elements_plan`) can be
given a session id, or the video itself (`video_id` or `video_url`): then the plan opens
the session first.

Examples:
    >>> names_its_video({"video_url": "https://example.com/a.mp4"})
    True
    >>> names_its_video({"session_id": "s-1"})
    False
    >>> video_source({"video_id": "v-1", "video_url": None, "prompt": "swap"})
    {'video_id': 'v-1'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

VIDEO_SOURCE = ("video_id", "video_url")
"""The fields that name a video."""


def names_its_video(request: Any) -> bool:
    """Whether a request gives no session (so names its video)."""
    return isinstance(request, Mapping) and request.get("session_id") is None


def video_source(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request's video fields that are set."""
    return {key: request[key] for key in VIDEO_SOURCE if request.get(key) is not None}
