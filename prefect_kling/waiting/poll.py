"""Waiting for one task by querying it on a schedule: the loop around `TaskWaiter`.

`poll_task` and `apoll_task` are the sync and async loops; `PollWaiter` is the `Waiter`
the flows use for a single task, with its client, schedule, clock and sleep from the
current `Runtime`.

Examples:
    >>> from prefect_kling.simulator import KlingSimulator
    >>> with KlingSimulator() as sim, sim.credentials().get_client() as client:
    ...     reference = client.create("text2video", {"prompt": "a red fox in snow"})
    ...     with PollWaiter(sim.credentials(), runtime=sim.runtime()) as waiter:
    ...         waiter.wait(reference, max_wait_seconds=600).status
    'succeed'
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Self

from prefect_kling.exceptions import KlingError
from prefect_kling.models.kling_task import KlingTask, TaskReference
from prefect_kling.runtime import Runtime, current_runtime
from prefect_kling.waiting.policy import (
    DEFAULT_MAX_WAIT_SECONDS,
    PollSchedule,
    StatusCallback,
    TaskWaiter,
)

if TYPE_CHECKING:
    from prefect_kling.client import AsyncKlingClient, KlingClient
    from prefect_kling.credentials import KlingCredentials


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
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_status: StatusCallback | None = None,
) -> KlingTask:
    """Query a task until it ends, asynchronously (see `poll_task`)."""
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
        await sleep(waiter.next_pause())


class PollWaiter:
    """Waits for one task at a time by polling it on a schedule (a `Waiter`).

    Args:
        credentials: Where and how to reach Kling.
        schedule: Query intervals.
        runtime: Clock, sleep and client factory (the current runtime by default).
    """

    def __init__(
        self,
        credentials: KlingCredentials,
        schedule: PollSchedule | None = None,
        *,
        runtime: Runtime | None = None,
    ):
        self.runtime = runtime or current_runtime()
        self.schedule = schedule or PollSchedule()
        self._client = self.runtime.client(credentials)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._client.close()

    def wait(
        self,
        reference: TaskReference,
        *,
        max_wait_seconds: float,
        on_status: StatusCallback | None = None,
    ) -> KlingTask:
        """Query the task until it ends (see `poll_task`)."""
        return poll_task(
            self._client,
            reference,
            max_wait_seconds=max_wait_seconds,
            schedule=self.schedule,
            clock=self.runtime.clock,
            sleep=self.runtime.sleep,
            on_status=on_status,
        )
