"""The live status line on a terminal while a command runs: what is happening, and for how long.

Drawn with rich (`rich.live.Live`) on the terminal's error stream, below the log lines:
Prefect's console handler prints through the same rich console, and the other handlers that
write to the terminal are pointed at rich's redirected stream meanwhile, so a log line
always lands on a line of its own above the status line, never glued onto it. On anything
but a terminal nothing is drawn.

The line says what the command waits for: Prefect's temporary server starting, the flow
run creating the task, then the Kling task's status (`Kling task 42 processing, 12 s`).

Examples:
    >>> import io
    >>> from prefect_kling.models import KlingTask
    >>> now = [100.0]
    >>> line = ProgressLine(io.StringIO(), clock=lambda: now[0])
    >>> line.render()
    'Starting, 0 s'
    >>> line.phase("Creating the Kling task")
    >>> now[0] += 2.0
    >>> line.render()
    'Creating the Kling task, 2 s'
    >>> line.update(KlingTask(task_id="42", task_status="processing"), 3.0)
    >>> now[0] += 12.4
    >>> line.render()
    'Kling task 42 processing, 12 s'
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from prefect_kling.cli.console import terminal_handlers

REFRESH_PER_SECOND = 4


class ProgressLine:
    """The live status line of a command; use as a context manager around its flow runs.

    Its `update` is the flows' `on_status` callback; `phase` names what happens before the
    task exists.

    Args:
        stream: Where the line is drawn (nothing is drawn unless it is a terminal).
        clock: Monotonic seconds, for the time spent in the current phase or status.
        force_terminal: Draw even when `stream` is no terminal (for tests).
    """

    def __init__(
        self,
        stream: Any = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        force_terminal: bool | None = None,
    ):
        self.console = Console(
            file=stream if stream is not None else sys.stderr,
            force_terminal=force_terminal,
            highlight=False,
            markup=False,  # log lines are printed as they are, brackets included
        )
        self.enabled = self.console.is_terminal
        self._clock = clock
        self._text = "Starting"
        self._task_id = ""
        self._since = clock()
        self._spinner = Spinner("dots")
        self._live: Live | None = None
        self._rerouted: list[tuple[logging.Handler, Any]] = []

    def __enter__(self) -> ProgressLine:
        if self.enabled:
            streams = sys.stdout, sys.stderr
            self._live = Live(
                self,
                console=self.console,
                transient=True,
                refresh_per_second=REFRESH_PER_SECOND,
                redirect_stdout=True,
                redirect_stderr=True,
            )
            self._live.start()
            self._reroute_log_handlers(*streams)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._live is not None:
            self._restore_log_handlers()
            self._live.stop()
            self._live = None

    def phase(self, text: str) -> None:
        """Say what happens now (before the task exists); its time counts from now."""
        self._text, self._task_id, self._since = text, "", self._clock()

    def update(self, task: Any, elapsed: float) -> None:
        """Take in a status change (the flows' `on_status` callback)."""
        if task.task_id != self._task_id:
            self._since = self._clock()  # a new task (the next step of a chain)
        self._text, self._task_id = task.status_said, task.task_id

    def render(self) -> str:
        """The line as shown now."""
        elapsed = self._clock() - self._since
        if self._task_id:
            return f"Kling task {self._task_id} {self._text}, {elapsed:.0f} s"
        return f"{self._text}, {elapsed:.0f} s"

    def __rich__(self) -> Spinner:
        self._spinner.update(text=Text(self.render()))
        return self._spinner

    def _reroute_log_handlers(self, stdout: Any, stderr: Any) -> None:
        """Point the terminal's log handlers at the live display, which prints above itself.

        Args:
            stdout: The standard output before the display redirected it.
            stderr: The standard error before the display redirected it.
        """
        from prefect.logging.handlers import PrefectConsoleHandler

        redirected = {id(stdout): sys.stdout, id(stderr): sys.stderr}
        for handler in terminal_handlers():
            if isinstance(handler, PrefectConsoleHandler):
                self._rerouted.append((handler, handler.console))
                handler.console = self.console
            elif isinstance(handler, logging.StreamHandler) and id(handler.stream) in redirected:
                # rich's redirected stream prints above the line.
                stream = redirected[id(handler.stream)]
                self._rerouted.append((handler, handler.setStream(stream)))

    def _restore_log_handlers(self) -> None:
        from prefect.logging.handlers import PrefectConsoleHandler

        for handler, original in reversed(self._rerouted):
            if isinstance(handler, PrefectConsoleHandler):
                handler.console = original
            elif isinstance(handler, logging.StreamHandler):
                handler.setStream(original)
        self._rerouted.clear()


def prepare_prefect(progress: ProgressLine) -> None:
    """Reach the Prefect API the flow runs report to, saying so on the line meanwhile.

    Without a `PREFECT_API_URL`, this starts Prefect's temporary server. Prefect would
    start it at the first flow run anyway (and keep it for the process); starting it here
    lets the line say what the first seconds are spent on.
    """
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    # The host alone: a URL may carry a password.
    progress.phase(
        f"Connecting to Prefect at {httpx.URL(url).host}"
        if url
        else "Starting Prefect's temporary server"
    )
    with get_client(sync_client=True) as client:
        client.api_healthcheck()
    progress.phase("Creating the Kling task")
