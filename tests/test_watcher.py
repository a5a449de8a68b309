"""The batch watcher against the simulator: list queries, so that polling does not grow.

The watcher runs on the simulator's clock (`sim.runtime()`): its rounds, the tasks' queue
and processing times and the waits' deadlines are simulated seconds, so the figures below
are exact whatever the machine's load.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from prefect_kling.exceptions import KlingTaskFailed, KlingTaskTimedOut
from prefect_kling.models.kling_task import KlingTask, TaskReference
from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from prefect_kling.waiting import BatchWatcher
from tests.conftest import ACCESS_KEY, SECRET_KEY

INTERVAL = 5.0


@pytest.fixture
def sim() -> Iterator[KlingSimulator]:
    config = SimulatorConfig(
        queue_seconds=10,
        processing_seconds=30,
        concurrency={"video": 100},
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
    )
    with KlingSimulator(config) as simulator:
        yield simulator


def create(sim: KlingSimulator, count: int, prompt: str = "clip") -> list[TaskReference]:
    with sim.credentials().get_client() as client:
        return [client.create("text2video", {"prompt": f"{prompt} {n}"}) for n in range(count)]


def wait_all(watcher: BatchWatcher, references: list[TaskReference], **options: Any) -> list[Any]:
    """Wait for every task from its own thread, as the items of a batch do."""
    results: list[Any] = [None] * len(references)

    def wait(index: int) -> None:
        try:
            results[index] = watcher.wait(references[index], max_wait_seconds=3600, **options)
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(len(references))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _until(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.005)


def watcher_of(sim: KlingSimulator, interval: float = INTERVAL) -> BatchWatcher:
    return BatchWatcher(sim.credentials(), interval=interval, runtime=sim.runtime())


@pytest.mark.parametrize("size", [5, 50])
def test_one_list_query_per_round_whatever_the_batch_size(sim: KlingSimulator, size: int):
    sim.configure(queue_seconds=0, processing_seconds=60)
    references = create(sim, size)
    before = sim.stats()
    # The simulator's time stands still until every task has its waiter, as in a batch
    # whose items all wait: a round then reads one page that holds all of them.
    runtime = sim.runtime()
    everyone_waits = threading.Event()

    def sleep(seconds: float) -> None:
        everyone_waits.wait(30)
        runtime.sleep(seconds)

    watcher = BatchWatcher(
        sim.credentials(), interval=INTERVAL, runtime=dataclasses.replace(runtime, sleep=sleep)
    )
    with watcher:
        threading.Thread(
            target=lambda: _until(lambda: watcher.watching == size) or everyone_waits.set(),
            daemon=True,
        ).start()
        results = wait_all(watcher, references)
    after = sim.stats()
    assert all(isinstance(task, KlingTask) and task.succeeded for task in results)
    assert [task.task_id for task in results] == [ref.task_id for ref in references]
    assert 60 / INTERVAL <= watcher.rounds <= 60 / INTERVAL + 2
    assert after.query_calls == before.query_calls  # no task was read on its own
    assert after.list_calls - before.list_calls == watcher.requests == watcher.rounds


def test_status_changes_are_reported_in_the_waiting_thread(sim: KlingSimulator):
    [reference] = create(sim, 1)
    seen: list[tuple[str, str]] = []

    def on_status(task: KlingTask, elapsed: float) -> None:
        seen.append((task.status, threading.current_thread().name))

    with watcher_of(sim) as watcher:
        [task] = wait_all(watcher, [reference], on_status=on_status)
    assert task.succeeded
    statuses = [status for status, _ in seen]
    assert statuses[-1] == "succeed"
    assert statuses == sorted(set(statuses), key=statuses.index)  # each change once
    assert all(thread != "kling-batch-watcher" for _, thread in seen)


def test_a_failed_task_raises_with_klings_message(sim: KlingSimulator):
    [reference] = create(sim, 1, prompt="a forbidden clip")
    with watcher_of(sim) as watcher:
        [error] = wait_all(watcher, [reference])
    assert isinstance(error, KlingTaskFailed)
    assert error.status_message == "Failure to pass the risk control system"


def test_a_wait_that_runs_out_raises_timed_out(sim: KlingSimulator):
    sim.configure(processing_seconds=600)
    [reference] = create(sim, 1)
    with (
        watcher_of(sim) as watcher,
        pytest.raises(KlingTaskTimedOut) as timed_out,
    ):
        watcher.wait(reference, max_wait_seconds=300)
    assert timed_out.value.reference == reference
    # The watcher wakes the waiter at its deadline, within one round (the simulator's
    # clock also moves with real time: a round's own queries take some).
    assert 300 <= timed_out.value.waited_seconds <= 300 + INTERVAL + 2


def test_failing_list_queries_fall_back_to_single_queries(sim: KlingSimulator):
    references = create(sim, 3)
    sim.inject("html", times=1000, on="list")
    with watcher_of(sim) as watcher:
        results = wait_all(watcher, references)
    assert all(isinstance(task, KlingTask) and task.succeeded for task in results)
    assert sim.stats().query_calls >= 3


def test_a_slow_round_does_not_push_the_next_one_back(
    sim: KlingSimulator, monkeypatch: pytest.MonkeyPatch
):
    """Rounds start every `interval` from the start of the last one, not from its end."""
    runtime = sim.runtime()
    starts: list[float] = []

    def slow_round(self: BatchWatcher, client: Any) -> None:
        starts.append(runtime.clock())
        runtime.sleep(3.0)  # a round that takes most of the interval

    monkeypatch.setattr(BatchWatcher, "_round", slow_round)
    with BatchWatcher(sim.credentials(), interval=INTERVAL, runtime=runtime):
        while len(starts) < 6:
            time.sleep(0.005)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # From the end of the last round, they would be 8 s apart.
    assert all(INTERVAL - 0.01 <= gap < INTERVAL + 0.3 for gap in gaps), gaps
