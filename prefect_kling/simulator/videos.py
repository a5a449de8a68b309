"""The videos the simulator serves: rendered for each task on first download, and kept a while.

A `VideoSpec` says what one result video shows and how long it lasts; `VideoStore.get`
renders it (see `render`) the first time it is asked for and keeps the most recently used
files, up to `max_bytes` in all, so that a download resumed with a range request, a `HEAD`
or a second download of the same file does not render it again, while a benchmark of
thousands of tasks does not grow without bound. Two requests for a file being rendered wait
for the one rendering. Without PyAV the store serves the shipped one-second sample for every
video and logs one warning saying how to install the extra.

Examples:
    >>> store = VideoStore(renderer=lambda spec: spec.prompt.encode())
    >>> spec = VideoSpec("1", "text2video", "a fox", 5.042, (320, 180))
    >>> store.get(spec), store.get(spec) is store.get(spec), store.get(None)[4:8]
    (b'a fox', True, b'ftyp')
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from prefect_kling.simulator.assets import sample_video
from prefect_kling.simulator.render import render_video

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
"""About 600 five-second videos at 320x180 (or fewer, longer extended ones)."""
MISSING_PYAV_WARNING = (
    "PyAV is not installed, so the Kling simulator serves its one-second sample video for "
    "every video task, whatever duration the task reports. For videos of the right length "
    "showing each task's prompt, install the extra: pip install 'prefect-kling[simulator]'"
)


@dataclass(frozen=True)
class VideoSpec:
    """What one result video shows: everything that makes it differ from the others.

    Attributes:
        task_id: The task that made it.
        endpoint: The endpoint's name, e.g. `text2video`.
        prompt: The task's prompt (may be empty).
        seconds: Its length, as the task result reports it.
        size: Width and height in pixels (even).
        index: Its position in the task's result.
        watermark: Whether this is the watermarked variant.
    """

    task_id: str
    endpoint: str
    prompt: str
    seconds: float
    size: tuple[int, int]
    index: int = 0
    watermark: bool = False

    @property
    def caption(self) -> str:
        """The first line of every frame: the endpoint, the task and any video after the first."""
        suffix = f" video {self.index}" if self.index else ""
        return f"{self.endpoint} task {self.task_id}{suffix}"


def render_spec(spec: VideoSpec) -> bytes:
    """Render the MP4 a spec describes (needs PyAV)."""
    return render_video(
        spec.prompt, spec.caption, spec.seconds, spec.size, watermark=spec.watermark
    )


class VideoStore:
    """Rendered videos, most recently used last, up to `max_bytes` in all.

    Args:
        max_bytes: Total size of the files kept; the least recently used go first (a file
            larger than this is served but not kept).
        renderer: Turns a spec into MP4 bytes; raises `ImportError` without PyAV.
    """

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_BYTES,
        renderer: Callable[[VideoSpec], bytes] = render_spec,
    ) -> None:
        self.max_bytes = max_bytes
        self._renderer = renderer
        self._lock = threading.Lock()
        self._kept: OrderedDict[VideoSpec, bytes] = OrderedDict()
        self._kept_bytes = 0
        self._rendering: dict[VideoSpec, Future[bytes]] = {}
        self._warned = False
        self.renders = 0

    def get(self, spec: VideoSpec | None) -> bytes:
        """The MP4 for `spec` (rendered now if not kept), or the sample for `None`.

        Blocks while rendering: call it from a worker thread, not an event loop.
        """
        if spec is None:
            return sample_video()
        with self._lock:
            data = self._kept.get(spec)
            if data is not None:
                self._kept.move_to_end(spec)
                return data
            future = self._rendering.get(spec)
            owner = future is None
            if future is None:
                future = self._rendering[spec] = Future()
        if not owner:
            return future.result()
        try:
            data = self._render(spec)
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._rendering.pop(spec, None)
        future.set_result(data)
        return data

    def _render(self, spec: VideoSpec) -> bytes:
        try:
            data = self._renderer(spec)
        except ImportError:
            with self._lock:
                warn, self._warned = not self._warned, True
            if warn:
                logger.warning(MISSING_PYAV_WARNING)
            return sample_video()
        with self._lock:
            self.renders += 1
            if len(data) <= self.max_bytes:
                self._kept[spec] = data
                self._kept_bytes += len(data)
                while self._kept_bytes > self.max_bytes:
                    _, dropped = self._kept.popitem(last=False)
                    self._kept_bytes -= len(dropped)
        return data

    @property
    def kept(self) -> int:
        """How many rendered files are kept."""
        with self._lock:
            return len(self._kept)
