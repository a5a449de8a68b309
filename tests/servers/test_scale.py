"""End to end at scale: Prefect on PostgreSQL, three process workers, one Kling account.

The Prefect server runs on a PostgreSQL database of its own, as a deployment that outgrew
one machine does, and each worker is a machine of its own (its own `PREFECT_HOME` and
working folder: tests/prefect_server.py `workers`) that shares only the Prefect API with
the others. Three batch runs of twelve requests each are spread over the workers; the Prefect
global concurrency limit `kling-video-<account>` (4) is the account's concurrency (4 in the
simulator), so the account is never asked for more than it allows, whatever the number of
workers.

The first tasks stay queued (for an hour of the simulator's clock) until all three runs, each
in a process of its own, are running: the runs always compete for the account's slots.
Then the clock jumps ahead and every task takes a fraction of a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from tests.conftest import canary_simulator
from tests.prefect_server import PrefectServer, set_video_limit, wait_until, workers

PROJECT = Path(__file__).resolve().parents[2]
POOL = "kling-e2e"
RUNS, ITEMS, ACCOUNT_CONCURRENCY, WORKERS = 3, 12, 4, 3
HOLD_SECONDS = 3600.0
"""Simulated queue time of the tasks made before every run is running."""

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.postgres]


def read_runs(client: Any, run_ids: list[Any]) -> list[Any]:
    flow_runs = FlowRunFilter(id=FlowRunFilterId(any_=run_ids))
    return client.read_flow_runs(flow_run_filter=flow_runs, limit=len(run_ids))


def states(runs: list[Any]) -> list[str | None]:
    return [run.state.name if run.state else None for run in runs]


def test_workers_on_postgres_share_the_account_concurrency(
    tmp_path: Path, postgres_prefect_server: PrefectServer
):
    simulator = canary_simulator(
        concurrency={"video": ACCOUNT_CONCURRENCY},
        queue_seconds=HOLD_SECONDS,
        processing_seconds=0.2,
        seed=21,
        render_videos=False,  # the shipped sample: this test is about slots, not files
    )
    output = tmp_path / "videos"
    api_url = postgres_prefect_server.api_url
    with (
        simulator as sim,
        temporary_settings(updates={PREFECT_API_URL: api_url}),
        get_client(sync_client=True) as client,
    ):
        client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
        set_video_limit(client, sim.credentials("kling").account, ACCOUNT_CONCURRENCY)
        # The workers start (a few seconds) while the flow is deployed.
        with workers(tmp_path, api_url, POOL, count=WORKERS):
            sim.credentials("kling").save("sim", overwrite=True)
            flow.from_source(
                source=str(PROJECT), entrypoint="flows/deployments.py:batch_generate"
            ).deploy(name="batch", work_pool_name=POOL)
            runs = [
                run_deployment(
                    "kling-batch-generate/batch",
                    parameters={
                        "items": [
                            {"prompt": f"scale run {run} item {item}"} for item in range(ITEMS)
                        ],
                        "credentials": "sim",
                        "output": str(output),
                        "max_concurrency": ITEMS,
                        "poll_interval_seconds": 0.2,
                    },
                    timeout=0,
                )
                for run in range(RUNS)
            ]
            run_ids = [run.id for run in runs]

            def diagnosis() -> str:
                worker_logs = [
                    (tmp_path / f"worker-{n}.log").read_text(errors="replace")[-1500:]
                    for n in range(WORKERS)
                ]
                return (
                    f"runs: {states(read_runs(client, run_ids))}\n"
                    f"simulator: {sim.stats().to_dict()}\nworker logs: {worker_logs}"
                )

            def all_running() -> bool:
                return states(read_runs(client, run_ids)) == ["Running"] * RUNS

            wait_until(all_running, 120, lambda: f"the runs never all ran\n{diagnosis()}")
            held = sim.stats().tasks_created
            sim.configure(queue_seconds=0.05)
            sim.advance(HOLD_SECONDS)

            def all_final() -> list[Any]:
                found = read_runs(client, run_ids)
                return found if all(run.state and run.state.is_final() for run in found) else []

            finished = wait_until(all_final, 300, lambda: f"runs unfinished\n{diagnosis()}")

    assert held <= ACCOUNT_CONCURRENCY  # what the limit let through meanwhile
    assert [run.state.type.value for run in finished] == ["COMPLETED"] * RUNS
    stats = sim.stats()
    external_ids = {task["external_task_id"] for task in sim.tasks()}
    assert stats.tasks_created == RUNS * ITEMS
    assert len(external_ids) == RUNS * ITEMS
    assert stats.peak_in_flight["video"] <= ACCOUNT_CONCURRENCY
    assert stats.answers_by_code.get(1303, 0) == 0
    assert {task["status"] for task in sim.tasks()} == {"succeed"}
    assert len(list(output.glob("*.mp4"))) == RUNS * ITEMS
