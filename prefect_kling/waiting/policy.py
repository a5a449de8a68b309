"""The decisions of a wait, free of I/O: when to ask again, when to give up, what to report.

`PollSchedule` says how long to pause between queries; `TaskWaiter` takes in each answer,
rides out transient query errors, reports status changes to its `on_status` callback and
keeps the deadline on an injected monotonic clock. The waiters (`prefect_kling.waiting`)
are thin loops around it, so tests run hours of waiting in microseconds.

Examples:
    >>> schedule = PollSchedule(first_interval=2, max_interval=30, factor=2)
    >>> [schedule.interval(n) for n in range(6)]
    [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from prefect_kling._logging import RunAwareLogger
from prefect_kling._retry import is_transient
from prefect_kling.exceptions import KlingError, KlingTaskFailed, KlingTaskTimedOut
from prefect_kling.models.kling_task import KlingTask, TaskReference

logger = RunAwareLogger(__name__)

DEFAULT_MAX_WAIT_SECONDS = 3600.0
"""Kling's slowest jobs take tens of minutes at busy hours; an hour covers them."""

StatusCallback = Callable[[KlingTask, float], None]
"""Called with the task and the seconds waited so far, whenever its status changes."""


@dataclass(frozen=True)
class PollSchedule:
    """How often to ask: quick at first, then backing off to a cap.

    Attributes:
        first_interval: Seconds before the second query.
        max_interval: Longest pause between two queries.
        factor: Growth of the pause after each query.
    """

    first_interval: float = 2.0
    max_interval: float = 30.0
    # Each pause is then about a tenth of the time waited so far (plus the first
    # interval): a task is seen within about 10 % of its duration, for a few more queries.
    factor: float = 1.1

    def interval(self, polls: int) -> float:
        """Pause after the `polls`-th query (counting from 0)."""
        return float(min(self.max_interval, self.first_interval * self.factor**polls))


class TaskWaiter:
    """The decisions of one wait, free of I/O.

    Args:
        reference: The task waited for.
        max_wait_seconds: Give up (with `KlingTaskTimedOut`) after this long.
        schedule: Query intervals.
        clock: Monotonic clock in seconds.
        on_status: Called on every status change (first status included).

    Examples:
        >>> from prefect_kling.models.kling_task import TaskReference
        >>> now = [0.0]
        >>> reference = TaskReference(task_id="8672", endpoint="text2video", provider="kling")
        >>> waiter = TaskWaiter(reference, max_wait_seconds=10, clock=lambda: now[0])
        >>> waiter.observe(KlingTask(task_id="8672", task_status="processing"))
        False
        >>> now[0] = 11.0
        >>> waiter.next_pause()
        Traceback (most recent call last):
        ...
        prefect_kling.exceptions.KlingTaskTimedOut: Kling task 8672 (text2video) still ...
    """

    def __init__(
        self,
        reference: TaskReference,
        *,
        max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
        schedule: PollSchedule | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_status: StatusCallback | None = None,
    ):
        self.reference = reference
        self.max_wait_seconds = max_wait_seconds
        self.schedule = schedule or PollSchedule()
        self._clock = clock
        self._started = clock()
        self._on_status = on_status
        self.polls = 0
        self.query_errors = 0
        self.last_status = reference.status

    @property
    def elapsed(self) -> float:
        """Seconds since the wait began."""
        return self._clock() - self._started

    def observe(self, task: KlingTask) -> bool:
        """Take in a query's answer; True when the task succeeded.

        Raises:
            KlingTaskFailed: The task ended with status `failed`.
        """
        self.polls += 1
        if task.status != self.last_status or self.polls == 1:
            self.last_status = task.status
            logger.info(
                "Kling task %s (%s) %s after %.0f s",
                task.task_id,
                self.reference.endpoint,
                task.status_said,
                self.elapsed,
            )
            if self._on_status is not None:
                self._on_status(task, self.elapsed)
        if task.failed:
            raise KlingTaskFailed(task, self.reference)
        return task.succeeded

    def query_failed(self, error: KlingError) -> None:
        """Ride out a transient query error; raise anything else."""
        if not is_transient(error):
            raise error
        self.polls += 1
        self.query_errors += 1
        logger.warning(
            "Query of Kling task %s failed, will ask again: %s", self.reference.task_id, error
        )

    def remaining(self, at_most: float) -> float:
        """Seconds left before the deadline, capped at `at_most`.

        Raises:
            KlingTaskTimedOut: The deadline has passed.
        """
        left = self.max_wait_seconds - self.elapsed
        if left <= 0:
            raise KlingTaskTimedOut(self.reference, self.last_status, self.elapsed)
        return min(left, at_most)

    def next_pause(self) -> float:
        """Seconds to sleep before the next query, never past the deadline.

        Raises:
            KlingTaskTimedOut: The deadline has passed.
        """
        return self.remaining(self.schedule.interval(self.polls - 1))
