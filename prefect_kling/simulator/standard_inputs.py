"""What a newer-standard create refers to outside its body: videos by URL, elements, voices.

Reference and motion videos are given by URL, and Kling checks their length. The simulator
fetches nothing, so it knows a video's length from the URL:

- a result file of this simulator (`<base_url>/_simulator/files/<task_id>/<n>.mp4`) lasts as
  long as its task says; one of a task that has not succeeded cannot be read (refused);
- a file named `<anything>_<seconds>s.mp4` (or `.mov`), as in Kling's own example
  `dance_10s.mp4`, lasts that many seconds (`clip_15.5s.mp4`: 15.5 s);
- any other URL is taken to be `URL_VIDEO_SECONDS` long.

Elements and voices come from a `Catalog`. The simulator's default, `OpenCatalog`, knows
every id: each element a multi-image element, each voice a voice. An account library (or a
test) puts another in `SimulatorState.catalog`: any object with `element_type` (the
element's `element_type`, `None` when there is no such element) and `voice_exists`.

Examples:
    >>> named_seconds("https://cdn.example.com/dance_10s.mp4"), named_seconds("https://x/a.mp4")
    (10.0, 5.0)
    >>> own_file("http://127.0.0.1:8000/_simulator/files/42/0.mp4", "http://127.0.0.1:8000")
    ('42', '0.mp4')
    >>> catalog = StaticCatalog({"7": VIDEO_CHARACTER}, voices=["v1"])
    >>> catalog.element_type("7"), catalog.element_type("8"), catalog.voice_exists("v2")
    ('video_character_elements', None, False)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from prefect_kling.simulator.lineage import URL_VIDEO_SECONDS
from prefect_kling.simulator.standard_models import MULTI_IMAGE, VIDEO_CHARACTER
from prefect_kling.simulator.timeline import SUCCEED, Task

__all__ = [
    "MULTI_IMAGE",
    "VIDEO_CHARACTER",
    "AccountInputs",
    "Catalog",
    "Inputs",
    "OfflineInputs",
    "OpenCatalog",
    "StaticCatalog",
]

_SECONDS_IN_NAME = re.compile(r"_(\d+(?:\.\d+)?)s\.(?:mp4|mov)$", re.IGNORECASE)


class Catalog(Protocol):
    """The account's elements and voices, as a newer-standard create checks them."""

    def element_type(self, element_id: str) -> str | None:
        """`video_character_elements`, `multi_image_elements`, or `None` for no such element."""
        ...

    def voice_exists(self, voice_id: str) -> bool:
        """Whether the voice can be used."""
        ...


class OpenCatalog:
    """Every element id is a multi-image element, every voice id a voice."""

    def element_type(self, element_id: str) -> str | None:
        """Always `multi_image_elements`."""
        return MULTI_IMAGE

    def voice_exists(self, voice_id: str) -> bool:
        """Always `True`."""
        return True


class StaticCatalog:
    """A fixed set of elements (id to `element_type`) and voices.

    Args:
        elements: The elements, by id.
        voices: The voice ids.
    """

    def __init__(self, elements: Mapping[str, str], voices: Collection[str] = ()) -> None:
        self._elements = dict(elements)
        self._voices = frozenset(voices)

    def element_type(self, element_id: str) -> str | None:
        """The element's type, or `None`."""
        return self._elements.get(element_id)

    def voice_exists(self, voice_id: str) -> bool:
        """Whether the voice is one of the set."""
        return voice_id in self._voices


class Inputs(Protocol):
    """Everything a newer-standard validator looks up outside the body."""

    def video_seconds(self, url: str) -> float | None:
        """The length of the video at `url`, or `None` when it cannot be read."""
        ...

    def element_type(self, element_id: str) -> str | None:
        """See `Catalog.element_type`."""
        ...

    def voice_exists(self, voice_id: str) -> bool:
        """See `Catalog.voice_exists`."""
        ...


def named_seconds(url: str) -> float:
    """The length a video URL names (`dance_10s.mp4`), else `URL_VIDEO_SECONDS`."""
    match = _SECONDS_IN_NAME.search(urlsplit(url).path)
    return float(match[1]) if match else URL_VIDEO_SECONDS


def own_file(url: str, base_url: str) -> tuple[str, str] | None:
    """`(task_id, file name)` of a result-file URL of this simulator, else `None`."""
    prefix = f"{base_url}/_simulator/files/"
    if not base_url or not url.startswith(prefix):
        return None
    task_id, _, name = urlsplit(url).path.removeprefix(urlsplit(prefix).path).partition("/")
    return task_id, name


def file_seconds(tasks: Mapping[str, Task], task_id: str, name: str) -> float | None:
    """The length of a task's result video, or `None` when there is no such file yet."""
    task = tasks.get(task_id)
    if task is None or task.status != SUCCEED or task.endpoint.result != "video":
        return None
    return task.video_seconds if name in task.file_names() else None


class OfflineInputs(OpenCatalog):
    """Inputs without an account: lengths from the URL alone, every element and voice known."""

    def video_seconds(self, url: str) -> float | None:
        """The length the URL names."""
        return named_seconds(url)


class AccountInputs:
    """Inputs looked up in a running account.

    Args:
        base_url: The simulator's root URL (its result files are under it).
        read: `SimulatorState.read`: runs a function on the up-to-date task store.
        catalog: The account's elements and voices.
    """

    def __init__(self, base_url: str, read: Callable[..., Any], catalog: Catalog) -> None:
        self._base_url = base_url
        self._read = read
        self._catalog = catalog

    def video_seconds(self, url: str) -> float | None:
        """The length of one of the account's videos, or the one the URL names."""
        found = own_file(url, self._base_url)
        if found is None:
            return named_seconds(url)
        return self._read(lambda tasks, by_external: file_seconds(tasks, *found))

    def element_type(self, element_id: str) -> str | None:
        """The element's type in the catalog."""
        return self._catalog.element_type(element_id)

    def voice_exists(self, voice_id: str) -> bool:
        """Whether the catalog has the voice."""
        return self._catalog.voice_exists(voice_id)
