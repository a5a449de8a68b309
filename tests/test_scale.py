"""End to end at scale: a real Prefect server, two process workers, one Kling account.

Four batch runs of ten requests each are spread over two workers; the Prefect global
concurrency limit `kling-video` (4) is the account's concurrency (4 in the simulator), so
the account is never asked for more than it allows, whatever the number of workers.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, WorkPoolCreate
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY
from tests.prefect_server import prefect_server, workers

PROJECT = Path(__file__).resolve().parents[1]
POOL = "kling-e2e"
RUNS, ITEMS, ACCOUNT_CONCURRENCY = 4, 10, 4

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def wait_for_runs(client, run_ids, timeout: float) -> list:
    deadline = time.monotonic() + timeout
    while True:
        runs = [client.read_flow_run(run_id) for run_id in run_ids]
        if all(run.state and run.state.is_final() for run in runs):
            return runs
        assert time.monotonic() < deadline, [run.state.name if run.state else None for run in runs]
        time.sleep(1)


def test_two_workers_share_the_account_concurrency(tmp_path):
    config = SimulatorConfig(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        api_key=API_KEY,
        concurrency={"video": ACCOUNT_CONCURRENCY},
        queue_seconds=0.1,
        processing_seconds=1.0,
        seed=21,
    )
    output = tmp_path / "videos"
    with (
        KlingSimulator(config) as sim,
        prefect_server(tmp_path) as api_url,
        temporary_settings(updates={PREFECT_API_URL: api_url}),
    ):
        with get_client(sync_client=True) as client:
            client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name="kling-video", limit=ACCOUNT_CONCURRENCY)
            )
        sim.credentials("kling").save("sim", overwrite=True)
        flow.from_source(
            source=str(PROJECT), entrypoint="flows/deployments.py:batch_generate"
        ).deploy(name="batch", work_pool_name=POOL)
        with workers(tmp_path, api_url, POOL, count=2, cwd=PROJECT):
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
            with get_client(sync_client=True) as client:
                finished = wait_for_runs(client, [run.id for run in runs], timeout=300)

    assert [run.state.type.value for run in finished] == ["COMPLETED"] * RUNS
    stats = sim.stats()
    external_ids = {task["external_task_id"] for task in sim.tasks()}
    assert stats.tasks_created == RUNS * ITEMS
    assert len(external_ids) == RUNS * ITEMS
    assert stats.peak_in_flight["video"] <= ACCOUNT_CONCURRENCY
    assert stats.answers_by_code.get(1303, 0) == 0
    assert {task["status"] for task in sim.tasks()} == {"succeed"}
    assert len(list(output.glob("*.mp4"))) == RUNS * ITEMS
