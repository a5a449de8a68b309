"""Names of saved files: from the endpoint, the task id and the index, never from the link.

A result link plays no part in a file's name, so a link cannot choose where a file lands:
`text2video-867283741759111202-0.mp4`, `text2video-867283741759111202-0-watermark.mp4`,
and the task's manifest `text2video-867283741759111202.json`.

Examples:
    >>> ref = TaskReference(task_id="8672", endpoint="text2video", provider="kling")
    >>> manifest_name(ref), file_stem(ref, 1, watermark=True)
    ('text2video-8672.json', 'text2video-8672-1-watermark')
"""

from __future__ import annotations

import re
from typing import Literal

from prefect_kling.models.kling_task import TaskReference

Kind = Literal["video", "image", "mp3", "wav"]
"""What a result file is: a video, an image, or an audio track as MP3 or as WAV."""

_SUFFIXES = {
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
}
_DEFAULT_SUFFIXES: dict[str, str] = {"video": ".mp4", "image": ".png", "mp3": ".mp3", "wav": ".wav"}
_AUDIO_KINDS = ("mp3", "wav")
"""Kinds whose suffix is the kind itself: an audio's two files share a stem."""
_UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]+")
_SUFFIX_PATTERN = re.compile(r"\.[A-Za-z0-9]{1,10}")


def _safe(text: str) -> str:
    return _UNSAFE_CHARACTERS.sub("-", text).strip(".-") or "task"


def _task_prefix(reference: TaskReference) -> str:
    return f"{_safe(reference.endpoint)}-{_safe(reference.task_id)}"


def manifest_name(reference: TaskReference) -> str:
    """The name of the task's manifest: `<endpoint>-<task_id>.json`."""
    return f"{_task_prefix(reference)}.json"


def file_stem(reference: TaskReference, index: int, *, watermark: bool) -> str:
    """A result file's name without its suffix: `<endpoint>-<task_id>-<index>[-watermark]`."""
    mark = "-watermark" if watermark else ""
    return f"{_task_prefix(reference)}-{index}{mark}"


def result_file_name(
    reference: TaskReference,
    kind: Kind,
    index: int,
    *,
    watermark: bool = False,
    suffix: str,
) -> str:
    """Name a task's result file after the endpoint, the task id and the index.

    The remote link plays no part, so a link cannot choose where a file lands.

    Args:
        reference: The task.
        kind: `"video"`, `"image"`, `"mp3"` or `"wav"`.
        index: Position of the file among the task's videos, images or audio tracks.
        watermark: Whether the file is the watermarked variant.
        suffix: File extension with its dot, e.g. `.mp4`.

    Returns:
        A plain file name, without any folder.

    Raises:
        ValueError: The kind, index or suffix is not valid.

    Examples:
        >>> ref = TaskReference(task_id="8672", endpoint="text2video", provider="kling")
        >>> result_file_name(ref, "video", 0, watermark=True, suffix=".mp4")
        'text2video-8672-0-watermark.mp4'
    """
    if kind not in _DEFAULT_SUFFIXES:
        raise ValueError(f"kind must be one of {', '.join(_DEFAULT_SUFFIXES)}, not {kind!r}")
    if index < 0:
        raise ValueError(f"index must be 0 or more, not {index}")
    if not _SUFFIX_PATTERN.fullmatch(suffix):
        raise ValueError(f"suffix must look like '.mp4', not {suffix!r}")
    return f"{file_stem(reference, index, watermark=watermark)}{suffix.lower()}"


def suffix_for(content_type: str | None, kind: Kind) -> str:
    """The suffix a Content-Type calls for, or the kind's usual one when it is not known.

    An audio track's MP3 and WAV share their stem, so their suffix is their kind's, whatever
    the server says: two files of one track never take one name.

    Examples:
        >>> suffix_for("image/webp; charset=binary", "image"), suffix_for(None, "video")
        ('.webp', '.mp4')
        >>> suffix_for("audio/mpeg", "wav")
        '.wav'
    """
    if kind in _AUDIO_KINDS:
        return _DEFAULT_SUFFIXES[kind]
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return _SUFFIXES.get(media_type, _DEFAULT_SUFFIXES[kind])
