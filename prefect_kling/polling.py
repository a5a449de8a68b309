"""Waiting for a Kling task: when to ask again, when to give up, what to report.

`TaskWaiter` holds the decisions (adaptive interval, deadline on a monotonic clock, which
errors to ride out, when to say something); `poll_task` and `apoll_task` are the thin sync
and async loops around it. Both take the clock and the sleep function as arguments, so tests
run hours of waiting in microseconds.

Examples:
    >>> schedule = PollSchedule(first_interval=2, max_interval=30, factor=2)
    >>> [schedule.interval(n) for n in range(6)]
    [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prefect_kling._logging import RunAwareLogger
from prefect_kling._retry import is_transient
from prefect_kling.client import AsyncKlingClient, KlingClient
from prefect_kling.exceptions import KlingError, KlingTaskFailed, KlingTaskTimedOut
from prefect_kling.models.tasks import KlingTask, TaskReference

logger = RunAwareLogger(__name__)

DEFAULT_MAX_WAIT_SECONDS = 3600.0
"""Kling's slowest jobs take tens of minutes at busy hours; an hour covers them."""

StatusCallback = Callable[[KlingTask, float], None]
"""Called with the task and the seconds waited so far, whenever its status changes."""

status_listeners: list[StatusCallback] = []
"""Process-wide listeners told of every status change seen by any wait (the command line's
live progress line uses it)."""


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
                "Kling task %s (%s) is %s after %.0f s",
                task.task_id,
                self.reference.endpoint,
                task.status,
                self.elapsed,
            )
            for listener in [*status_listeners, self._on_status]:
                if listener is not None:
                    listener(task, self.elapsed)
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

    def next_pause(self) -> float:
        """Seconds to sleep before the next query, never past the deadline.

        Raises:
            KlingTaskTimedOut: The deadline has passed.
        """
        remaining = self.max_wait_seconds - self.elapsed
        if remaining <= 0:
            raise KlingTaskTimedOut(self.reference, self.last_status, self.elapsed)
        return min(self.schedule.interval(self.polls - 1), remaining)


def poll_task(
    client: KlingClient,
    reference: TaskReference,
    *,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    schedule: PollSchedule | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_status: StatusCallback | None = None,
) -> KlingTask:
    """Query a task until it ends; return it when it succeeded.

    Raises:
        KlingTaskFailed: The task failed; carries Kling's `task_status_msg`.
        KlingTaskTimedOut: `max_wait_seconds` passed; carries the reference to resume.
        KlingAPIError: A query failed in a way that waiting does not fix.
    """
    waiter = TaskWaiter(
        reference,
        max_wait_seconds=max_wait_seconds,
        schedule=schedule,
        clock=clock,
        on_status=on_status,
    )
    while True:
        try:
            task = client.get_task(reference.endpoint, reference.task_id)
        except KlingError as error:
            waiter.query_failed(error)
        else:
            if waiter.observe(task):
                return task
        sleep(waiter.next_pause())


async def apoll_task(
    client: AsyncKlingClient,
    reference: TaskReference,
    *,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    schedule: PollSchedule | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    on_status: StatusCallback | None = None,
) -> KlingTask:
    """Query a task until it ends, asynchronously (see `poll_task`)."""
    pause = sleep or asyncio.sleep
    waiter = TaskWaiter(
        reference,
        max_wait_seconds=max_wait_seconds,
        schedule=schedule,
        clock=clock,
        on_status=on_status,
    )
    while True:
        try:
            task = await client.get_task(reference.endpoint, reference.task_id)
        except KlingError as error:
            waiter.query_failed(error)
        else:
            if waiter.observe(task):
                return task
        await pause(waiter.next_pause())
