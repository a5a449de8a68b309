"""Waiting for Kling tasks: one `Waiter` protocol, one policy, several ways to learn the news.

- `policy`: `TaskWaiter` and `PollSchedule`, the decisions of a wait (no I/O).
- `poll`: `PollWaiter` queries one task on a schedule (`poll_task`, `apoll_task`).
- `batch`: `BatchWatcher` follows every task of a batch with list queries.
- `prefect_kling.callbacks.CallbackWatcher` waits for the events of Kling's callbacks.

Each waiter blocks in `wait` until the task succeeded, raising `KlingTaskFailed` or
`KlingTaskTimedOut` otherwise, and reports every status change to the `on_status`
callback it is given. Their clock, sleep and client come from the current `Runtime`.
"""

from __future__ import annotations

from typing import Protocol

from prefect_kling.models.kling_task import KlingTask, TaskReference
from prefect_kling.waiting.batch import BatchWatcher
from prefect_kling.waiting.policy import (
    DEFAULT_MAX_WAIT_SECONDS,
    PollSchedule,
    StatusCallback,
    TaskWaiter,
)
from prefect_kling.waiting.poll import PollWaiter, apoll_task, poll_task


class Waiter(Protocol):
    """Something that waits for a task to end."""

    def wait(
        self,
        reference: TaskReference,
        *,
        max_wait_seconds: float,
        on_status: StatusCallback | None = None,
    ) -> KlingTask:
        """Block until the task succeeded and return it.

        Args:
            reference: The task.
            max_wait_seconds: Give up after this long.
            on_status: Called with the task and the seconds waited on each status change.

        Raises:
            KlingTaskFailed: The task failed.
            KlingTaskTimedOut: The wait ran out first; the task goes on at Kling.
        """
        ...


__all__ = [
    "DEFAULT_MAX_WAIT_SECONDS",
    "BatchWatcher",
    "PollSchedule",
    "PollWaiter",
    "StatusCallback",
    "TaskWaiter",
    "Waiter",
    "apoll_task",
    "poll_task",
]
