"""What a command of `prefect-kling` has under way, so that a stop or an error can say what to do.

A `Session` is made for every command. A generation command, `wait` and the chain of
`extend` give their flow `follow(endpoint, progress.update)` as its `on_status`: it notes
the Kling task the flow reports, then draws the progress line. When the command is stopped
(Ctrl-C, SIGTERM) or fails, `Session.next_step()` is the sentence that says how to go on:
the exact `prefect-kling wait` command once a task exists, or that nothing was created.

Examples:
    >>> from prefect_kling.models import KlingTask
    >>> session = Session(creates=True)
    >>> session.next_step()
    'Nothing was sent to Kling: no task was created.'
    >>> session.follow("text2video")(KlingTask(task_id="42", task_status="processing"), 3.0)
    >>> session.resume_command
    'prefect-kling wait text2video 42'
    >>> session.next_step().startswith("Kling task 42 (text2video) keeps running at Kling")
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

StatusCallback = Callable[[Any, float], None]
"""The flows' `on_status(task, elapsed)` callback."""


@dataclass
class Session:
    """The Kling task a command is working on, as far as it knows.

    Attributes:
        creates: The command may create Kling tasks (a generation command).
        sending: A flow that may create a task has started.
        endpoint: The endpoint of the task, once a flow runs for one.
        task_id: The task's id, once known.
        status: The task's last status seen (Kling's spelling, e.g. `succeed`).
    """

    creates: bool = False
    sending: bool = False
    endpoint: str | None = None
    task_id: str | None = None
    status: str | None = None

    def follow(
        self, endpoint: str, then: StatusCallback | None = None, *, task_id: str | None = None
    ) -> StatusCallback:
        """An `on_status` callback for a flow about to run: it notes each status change.

        Args:
            endpoint: The endpoint the flow's tasks belong to.
            then: Called next with the same arguments (the progress line).
            task_id: The task, when it is known before the flow runs (`wait`).
        """
        self.sending = self.sending or self.creates
        self.endpoint = endpoint
        if task_id is not None:
            self.task_id = task_id

        def on_status(task: Any, elapsed: float) -> None:
            self.task_id, self.status = str(task.task_id), task.status
            if then is not None:
                then(task, elapsed)

        return on_status

    @property
    def resume_command(self) -> str | None:
        """`prefect-kling wait ENDPOINT TASK_ID` for the task, once its id is known."""
        if self.task_id is None or self.endpoint is None:
            return None
        return f"prefect-kling wait {self.endpoint} {self.task_id}"

    def task_step(self) -> str:
        """How to go on with the task, once a status was seen ('' before, or once it failed)."""
        if self.resume_command is None or self.status in (None, "failed"):
            return ""
        task = f"Kling task {self.task_id} ({self.endpoint})"
        if self.status == "succeed":
            return f"{task} has succeeded; save its files with `{self.resume_command}`."
        return f"{task} keeps running at Kling; resume it with `{self.resume_command}`."

    def next_step(self) -> str:
        """What to do after a stop: `task_step`, or whether a task may have been created."""
        if self.resume_command is not None and self.status is None:  # `wait`, before a query
            task = f"Kling task {self.task_id} ({self.endpoint})"
            return f"Resume {task} with `{self.resume_command}`."
        if self.resume_command is not None:
            return self.task_step()
        if self.sending:
            return (
                "Kling had reported no task yet; the same command run again finds a task "
                "made meanwhile instead of paying for another."
            )
        if self.creates:
            return "Nothing was sent to Kling: no task was created."
        return ""


_CURRENT: ContextVar[Session | None] = ContextVar("prefect_kling_cli_session", default=None)


def current_session() -> Session:
    """The session of the command running now (a fresh one outside `main`)."""
    return _CURRENT.get() or Session()


@contextmanager
def using(session: Session) -> Iterator[Session]:
    """Make `session` the current one while the block runs."""
    token = _CURRENT.set(session)
    try:
        yield session
    finally:
        _CURRENT.reset(token)


def follow(
    endpoint: str, then: StatusCallback | None = None, *, task_id: str | None = None
) -> StatusCallback:
    """`Session.follow` of the current session: the `on_status` of a flow about to run."""
    return current_session().follow(endpoint, then, task_id=task_id)
