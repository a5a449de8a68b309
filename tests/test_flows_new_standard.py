"""The ready-made flows on Kling's newer API standard, against the simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from prefect_kling.flows import batch_generate, generate_video
from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from tests.test_flows import SIMULATED, unique

pytestmark = pytest.mark.e2e

POLL = 5.0


@pytest.fixture
def sim():
    """A simulator whose tasks take 40 s of its clock (the flows wait on its clock)."""
    with KlingSimulator(SimulatorConfig(**SIMULATED)) as simulator:
        yield simulator


def on_new_standard(sim: KlingSimulator, **options: Any) -> dict[str, Any]:
    return {
        "credentials": sim.credentials(api_key=True),
        "poll_interval_seconds": POLL,
        "runtime": sim.runtime(),
        **options,
    }


def task_queries(sim: KlingSimulator) -> list[dict[str, Any]]:
    return [entry for entry in sim.requests() if entry["method"] == "GET"]


def test_a_batch_of_newer_tasks_waits_with_multi_id_queries(sim, tmp_path: Path):
    items = [
        {"prompt": unique(f"a kite number {n}"), "model_name": "kling-3.0-turbo", "duration": 3 + n}
        for n in range(4)
    ]
    state = batch_generate(items, output=tmp_path, return_state=True, **on_new_standard(sim))
    report = state.result()
    assert [outcome.status for outcome in report.outcomes] == ["succeeded"] * 4
    queries = task_queries(sim)
    assert queries and all(entry["path"] == "/tasks" for entry in queries)
    asked = [
        entry["query"]["task_ids"].split(",") for entry in queries if "task_ids" in entry["query"]
    ]
    # One round asks for every task in flight at once.
    assert max(len(ids) for ids in asked) == 4
    assert len(queries) < 4 * 3  # fewer than a few queries per task, whatever the timing


def test_generate_video_on_a_newer_model_reconciles_units_with_billing(sim, tmp_path: Path):
    request = {
        "prompt": unique("a red fox"),
        "model_name": "kling-3.0",
        "duration": 8,
        "resolution": "1080p",
    }
    result = generate_video(request, output=tmp_path, **on_new_standard(sim))
    (task,) = [task["task"] for task in sim.tasks() if task["task_id"] == result.task_id]
    charged = sum(
        float(entry["amount"]) for entry in task["billing"] if entry["charge_type"] == "unit"
    )
    assert result.status == "succeeded" and result.units == charged > 0
    assert result.reference.endpoint == "text-to-video"
    # A rerun finds the task it made: nothing is created again.
    made = sim.stats().tasks_created
    again = generate_video(request, output=tmp_path, **on_new_standard(sim))
    assert again.task_id == result.task_id and again.reused
    assert sim.stats().tasks_created == made
