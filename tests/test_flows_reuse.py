"""A generation's result tells a task made by an earlier run (nothing new charged) from a new one.

The flows run on the simulator's clock, as in `test_flows`; prompts are unique per test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prefect_kling.client import prepare_create
from prefect_kling.flows import generate_video, resume_task
from prefect_kling.flows.create_step import REUSED_AFTER
from prefect_kling.providers import Provider
from prefect_kling.simulator import KlingSimulator
from tests.conftest import canary_simulator

pytestmark = pytest.mark.e2e


@pytest.fixture
def sim() -> Iterator[KlingSimulator]:
    with canary_simulator(queue_seconds=10, processing_seconds=30, seed=None) as simulator:
        yield simulator


def unique(text: str) -> str:
    return f"{text} #{uuid.uuid4().hex[:8]}"


def video(sim: KlingSimulator, request: dict[str, Any], output: Path, **options: Any) -> Any:
    return generate_video(
        request,
        output=output,
        credentials=sim.credentials(),
        poll_interval_seconds=5,
        runtime=sim.runtime(),
        **options,
    )


def test_a_rerun_reuses_the_cached_task_and_says_so(sim: KlingSimulator, tmp_path: Path):
    request = {"prompt": unique("A paper boat")}
    first = video(sim, request, tmp_path)
    again = video(sim, request, tmp_path)
    assert (first.reused, again.reused) == (False, True)
    assert again.task_id == first.task_id and again.units == first.units == 1
    assert sim.stats().tasks_created == 1
    [task] = sim.tasks()
    assert first.finished_at is not None
    assert int(first.finished_at.timestamp() * 1000) == task["updated_at"]
    assert again.summary()["reused"] is True


def test_a_task_found_by_its_external_id_is_reused_when_kling_made_it_well_before(
    sim: KlingSimulator, tmp_path: Path
):
    """No record, no mark (made elsewhere): Kling refuses the id, the create finds the task."""
    request = {"prompt": unique("A windmill")}
    with sim.credentials().get_client() as client:
        made = client.send_create(prepare_create("text2video", request, Provider.KLING))
    sim.advance(REUSED_AFTER.total_seconds() + 60)
    found = video(sim, request, tmp_path / "out")
    assert found.task_id == made.task_id and found.reused
    assert sim.stats().duplicate_external_ids == 1


def test_a_task_found_moments_after_it_was_made_is_not_called_reused(
    sim: KlingSimulator, tmp_path: Path
):
    """Kling's clock may be behind ours: a recent task is never said to cost nothing new."""
    request = {"prompt": unique("A kite")}
    with sim.credentials().get_client() as client:
        made = client.send_create(prepare_create("text2video", request, Provider.KLING))
    found = video(sim, request, tmp_path / "out")
    assert found.task_id == made.task_id and not found.reused


def test_a_resumed_task_is_not_a_reuse_and_tells_when_it_ended(sim: KlingSimulator, tmp_path):
    with sim.credentials().get_client() as client:
        made = client.create("text2video", {"prompt": unique("An owl")})
    sim.advance(60)
    resumed = resume_task(
        "text2video",
        task_id=made.task_id,
        credentials=sim.credentials(),
        output=tmp_path,
        runtime=sim.runtime(),
    )
    [task] = sim.tasks()
    assert not resumed.reused
    assert int(resumed.finished_at.timestamp() * 1000) == task["updated_at"]
