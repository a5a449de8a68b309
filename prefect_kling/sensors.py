"""The polling sensor: wait for a Kling task to end, in this run or a later one."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from prefect_kling.credentials import KlingCredentials
from prefect_kling.models.kling_task import KlingTask, TaskReference
from prefect_kling.runtime import Runtime, current_runtime
from prefect_kling.waiting import (
    DEFAULT_MAX_WAIT_SECONDS,
    PollSchedule,
    PollWaiter,
    StatusCallback,
)


@task(name="kling-wait-for-task", cache_policy=NO_CACHE, tags=["kling"])
def wait_for_task(
    reference: TaskReference,
    credentials: KlingCredentials,
    *,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    first_interval_seconds: float = 2.0,
    max_interval_seconds: float = 30.0,
    on_status: StatusCallback | None = None,
    runtime: Runtime | None = None,
) -> KlingTask:
    """Wait until a task has succeeded, and return it with its videos or images.

    Queries quickly at first and then less often (up to `max_interval_seconds` apart), logs
    each status change, rides out transient query errors, and gives up after
    `max_wait_seconds` on a monotonic clock. The task goes on at Kling after a timeout: the
    error carries the reference, so a later run can wait for it again.

    Args:
        reference: The task, from a create task or an earlier run.
        credentials: Where and how to reach Kling.
        max_wait_seconds: Longest wait, in seconds.
        first_interval_seconds: Pause after the first query.
        max_interval_seconds: Longest pause between two queries.
        on_status: Called with the task and seconds waited on every status change.
        runtime: Clock, sleep and client factory (the current runtime by default;
            `KlingSimulator.runtime()` waits on the simulator's clock).

    Returns:
        The finished task.

    Raises:
        KlingTaskFailed: The task failed; the error carries Kling's reason.
        KlingTaskTimedOut: The wait ran out; the error carries the reference.

    Examples:
        ```python
        from prefect import flow
        from prefect_kling import KlingCredentials, TaskReference
        from prefect_kling.sensors import wait_for_task

        @flow
        def resume(task_id: str):
            credentials = KlingCredentials.load("kling")
            reference = TaskReference(task_id=task_id, endpoint="text2video", provider="kling")
            return wait_for_task(reference, credentials, max_wait_seconds=1800)
        ```
    """
    schedule = PollSchedule(
        first_interval=first_interval_seconds, max_interval=max_interval_seconds
    )
    with PollWaiter(credentials, schedule, runtime=runtime or current_runtime()) as waiter:
        return waiter.wait(reference, max_wait_seconds=max_wait_seconds, on_status=on_status)
