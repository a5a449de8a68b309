"""The live `status, elapsed` line on a terminal while a task is waited for.

Examples:
    >>> import io
    >>> from prefect_kling.models import KlingTask
    >>> now = [100.0]
    >>> line = ProgressLine(io.StringIO(), clock=lambda: now[0])
    >>> line.update(KlingTask(task_id="42", task_status="processing"), 3.0)
    >>> now[0] += 12.4
    >>> line.render()
    'Kling task 42 processing, 12 s'
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any


class ProgressLine:
    """A live `status, elapsed` line on a terminal while a task is waited for.

    Used as a context manager around a flow run whose `on_status` is `update`: it redraws
    the line twice a second when the stream is a terminal.

    Args:
        stream: Where the line is drawn (nothing is drawn unless it is a terminal).
        clock: Monotonic seconds, for the elapsed time.
    """

    def __init__(self, stream: Any = sys.stderr, *, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self._clock = clock
        self._status = "creating"
        self._task_id = ""
        self._started = clock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProgressLine:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self.enabled:
            self._thread.join(timeout=2)
            self.stream.write("\r\033[K")
            self.stream.flush()

    def update(self, task: Any, elapsed: float) -> None:
        """Take in a status change (the flows' `on_status` callback)."""
        self._status, self._task_id = task.status_said, task.task_id

    def render(self) -> str:
        """The line as shown now."""
        elapsed = self._clock() - self._started
        task = f"task {self._task_id} " if self._task_id else ""
        return f"Kling {task}{self._status}, {elapsed:.0f} s"

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.stream.write("\r\033[K" + self.render())
            self.stream.flush()
