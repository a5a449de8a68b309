"""The batch watcher against the simulator: list queries, so that polling does not grow."""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from prefect_kling._retry import RetryPolicy
from prefect_kling.exceptions import KlingTaskFailed, KlingTaskTimedOut
from prefect_kling.models.tasks import KlingTask, TaskReference
from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from prefect_kling.waiting import BatchWatcher
from tests.conftest import ACCESS_KEY, SECRET_KEY

INTERVAL = 0.05


@pytest.fixture
def sim() -> Iterator[KlingSimulator]:
    config = SimulatorConfig(
        queue_seconds=0.1,
        processing_seconds=0.3,
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
            results[index] = watcher.wait(references[index], max_wait_seconds=30, **options)
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(len(references))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("size", [5, 50])
def test_one_list_query_per_round_whatever_the_batch_size(sim: KlingSimulator, size: int):
    sim.configure(queue_seconds=0, processing_seconds=1000)
    references = create(sim, size)
    before = sim.stats()
    with BatchWatcher(sim.credentials(), interval=INTERVAL) as watcher:

        def finish_after_three_rounds() -> None:
            while watcher.rounds < 3:
                threading.Event().wait(INTERVAL / 2)
            sim.advance(2000)

        threading.Thread(target=finish_after_three_rounds, daemon=True).start()
        results = wait_all(watcher, references)
    after = sim.stats()
    assert all(isinstance(task, KlingTask) and task.succeeded for task in results)
    assert [task.task_id for task in results] == [ref.task_id for ref in references]
    assert watcher.rounds >= 3
    assert after.query_calls == before.query_calls  # no task was read on its own
    assert after.list_calls - before.list_calls == watcher.requests == watcher.rounds


def test_status_changes_are_reported_in_the_waiting_thread(sim: KlingSimulator):
    [reference] = create(sim, 1)
    seen: list[tuple[str, str]] = []

    def on_status(task: KlingTask, elapsed: float) -> None:
        seen.append((task.status, threading.current_thread().name))

    with BatchWatcher(sim.credentials(), interval=INTERVAL) as watcher:
        [task] = wait_all(watcher, [reference], on_status=on_status)
    assert task.succeeded
    statuses = [status for status, _ in seen]
    assert statuses[-1] == "succeed"
    assert statuses == sorted(set(statuses), key=statuses.index)  # each change once
    assert all(thread != "kling-batch-watcher" for _, thread in seen)


def test_a_failed_task_raises_with_klings_message(sim: KlingSimulator):
    [reference] = create(sim, 1, prompt="a forbidden clip")
    with BatchWatcher(sim.credentials(), interval=INTERVAL) as watcher:
        [error] = wait_all(watcher, [reference])
    assert isinstance(error, KlingTaskFailed)
    assert error.status_message == "Failure to pass the risk control system"


def test_a_wait_that_runs_out_raises_timed_out(sim: KlingSimulator):
    sim.configure(processing_seconds=600)
    [reference] = create(sim, 1)
    with (
        BatchWatcher(sim.credentials(), interval=INTERVAL) as watcher,
        pytest.raises(KlingTaskTimedOut) as timed_out,
    ):
        watcher.wait(reference, max_wait_seconds=0.3)
    assert timed_out.value.reference == reference


def test_failing_list_queries_fall_back_to_single_queries(
    sim: KlingSimulator, monkeypatch: pytest.MonkeyPatch
):
    import prefect_kling.client.base

    quick = functools.partial(RetryPolicy, base_delay=0.01, max_delay=0.05)
    monkeypatch.setattr(prefect_kling.client.base, "RetryPolicy", quick)
    references = create(sim, 3)
    sim.inject("html", times=1000, on="list")
    with BatchWatcher(sim.credentials(), interval=INTERVAL) as watcher:
        results = wait_all(watcher, references)
    assert all(isinstance(task, KlingTask) and task.succeeded for task in results)
    assert sim.stats().query_calls >= 3


def test_a_slow_round_does_not_push_the_next_one_back(
    sim: KlingSimulator, monkeypatch: pytest.MonkeyPatch
):
    """Rounds start every `interval` from the start of the last one, not from its end."""
    starts: list[float] = []

    def slow_round(self: BatchWatcher, client: Any) -> None:
        starts.append(time.monotonic())
        time.sleep(0.15)  # a round that takes most of the interval

    monkeypatch.setattr(BatchWatcher, "_round", slow_round)
    with BatchWatcher(sim.credentials(), interval=0.25):
        time.sleep(2.0)
    gaps = sorted(later - earlier for earlier, later in itertools.pairwise(starts))
    assert len(gaps) >= 4
    assert gaps[len(gaps) // 2] < 0.25 + 0.08  # from the end, it would be 0.40
