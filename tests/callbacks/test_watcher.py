"""The callback watcher's waits, without events: the safety poll and the deadline.

The end-to-end tests (test_flows_on_callbacks.py) show events waking the waiters; here the
event subscription is not opened, so only the safety interval ends each pause, and the
clock is the test's.
"""

from __future__ import annotations

import pytest

from prefect_kling.callbacks import CallbackWatcher
from prefect_kling.exceptions import KlingTaskFailed, KlingTaskTimedOut
from prefect_kling.models.kling_task import KlingTask, TaskReference
from prefect_kling.runtime import Runtime

REF = TaskReference(task_id="8672", endpoint="text2video", provider="kling")
QUICK = 0.01  # real seconds between safety queries


class Kling:
    """Answers the queries of one task with scripted statuses; each query costs 10 s."""

    def __init__(self, *statuses: str):
        self.statuses = list(statuses)
        self.now = 0.0

    def __enter__(self) -> Kling:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def get_task(self, endpoint: str, task_id: str) -> KlingTask:
        assert (endpoint, task_id) == (REF.endpoint, REF.task_id)
        self.now += 10.0
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return KlingTask(task_id=task_id, task_status=status)

    def clock(self) -> float:
        return self.now

    def runtime(self) -> Runtime:
        """The test's clock, and this peer as every client."""
        return Runtime(clock=self.clock, client_factory=lambda credentials: self)


def test_the_safety_poll_finds_the_task_without_events():
    kling = Kling("processing", "processing", "succeed")
    watcher = CallbackWatcher(kling, safety_interval=QUICK, runtime=kling.runtime())
    seen = []

    task = watcher.wait(
        REF, max_wait_seconds=3600, on_status=lambda task, waited: seen.append(task.status)
    )

    assert task.status == "succeed"
    assert watcher.requests == 3
    assert seen == ["processing", "succeed"]


def test_the_wait_ends_at_its_deadline_on_the_given_clock():
    kling = Kling("processing")
    watcher = CallbackWatcher(kling, safety_interval=QUICK, runtime=kling.runtime())

    with pytest.raises(KlingTaskTimedOut) as caught:
        watcher.wait(REF, max_wait_seconds=25)

    assert watcher.requests == 3  # at 10, 20 and 30 s of the test's clock
    assert caught.value.last_status == "processing"


def test_a_failed_task_raises():
    kling = Kling("failed")
    watcher = CallbackWatcher(kling, safety_interval=QUICK, runtime=kling.runtime())

    with pytest.raises(KlingTaskFailed):
        watcher.wait(REF, max_wait_seconds=60)
