"""A worker killed in the middle of a batch: nothing paid twice, nothing lost, slots back.

Prefect on PostgreSQL, machines that share only the Prefect API and a result store (a
folder both reach, saved as a `LocalFileSystem` block: the stand-in for a bucket). The
batch runs on worker 0 until the account's four slots hold four tasks and two items wait
for a place; then worker 0 and the flow run it started are killed with SIGKILL, as when
a machine dies. Nothing is told to Prefect: the slots come back when their lease runs out
(`KLING_SLOT_LEASE_SECONDS`, 60 s here, the shortest Prefect takes), measured. The
operator then runs the deployment again with the same parameters, on worker 1: it finds
the four tasks that were paid for in the shared records, creates the two that were not,
and saves all six files.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.deployments import run_deployment
from prefect.filesystems import LocalFileSystem
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Crashed

from prefect_kling.concurrency import LEASE_VARIABLE, SHORTEST_LEASE_SECONDS
from tests.conftest import canary_simulator
from tests.prefect_server import (
    REPOSSESSOR_SECONDS,
    PrefectServer,
    kill_machine,
    set_video_limit,
    wait_until,
    workers,
)

PROJECT = Path(__file__).resolve().parents[2]
POOL = "kling-killed-worker"
ITEMS, ACCOUNT_CONCURRENCY = 6, 4
HOLD_SECONDS = 3600.0
"""Simulated queue time of the tasks made before the kill: they are still running then."""
LEASE = SHORTEST_LEASE_SECONDS

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.postgres]


def flow_run_state(client: Any, run_id: Any) -> str | None:
    state = client.read_flow_run(run_id).state
    return state.name if state else None


def test_a_killed_worker_pays_nothing_twice_and_a_rerun_elsewhere_finishes(
    tmp_path: Path, postgres_prefect_server: PrefectServer
):
    simulator = canary_simulator(
        concurrency={"video": ACCOUNT_CONCURRENCY},
        queue_seconds=HOLD_SECONDS,
        processing_seconds=0.2,
        seed=23,
        render_videos=False,
    )
    output, shared = tmp_path / "videos", tmp_path / "shared-results"
    api_url = postgres_prefect_server.api_url
    lease = {LEASE_VARIABLE: str(LEASE)}
    with (
        simulator as sim,
        temporary_settings(updates={PREFECT_API_URL: api_url}),
        get_client(sync_client=True) as client,
    ):
        client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
        limit_name = set_video_limit(client, sim.credentials("kling").account, ACCOUNT_CONCURRENCY)
        sim.credentials("kling").save("killed-worker-sim", overwrite=True)
        LocalFileSystem(basepath=str(shared)).save("killed-worker-results", overwrite=True)
        flow.from_source(
            source=str(PROJECT), entrypoint="flows/deployments.py:batch_generate"
        ).deploy(name="killed-worker", work_pool_name=POOL)
        parameters = {
            "items": [{"prompt": f"killed worker item {item}"} for item in range(ITEMS)],
            "credentials": "killed-worker-sim",
            "output": str(output),
            "result_storage": "local-file-system/killed-worker-results",
            "max_concurrency": ITEMS,
            "poll_interval_seconds": 0.2,
        }

        def logs(number: int) -> str:
            return (tmp_path / f"worker-{number}.log").read_text(errors="replace")[-2000:]

        with workers(tmp_path, api_url, POOL, count=1, environment=lease) as (doomed,):
            first = run_deployment(
                "kling-batch-generate/killed-worker", parameters=parameters, timeout=0
            )
            wait_until(
                lambda: sim.stats().tasks_created == ACCOUNT_CONCURRENCY,
                120,
                lambda: f"the first run never filled the slots\n{sim.stats()}\n{logs(0)}",
            )
            time.sleep(0.2)  # the create steps have written their records
            kill_machine(doomed)
            killed_at = time.monotonic()
        assert flow_run_state(client, first.id) == "Running"  # as far as Prefect knows

        def slots_back() -> bool:
            return client.read_global_concurrency_limit_by_name(limit_name).active_slots == 0

        wait_until(slots_back, LEASE + 30, lambda: "the dead run's slots never came back")
        returned_after = time.monotonic() - killed_at
        print(f"slots back {returned_after:.1f} s after the kill (lease {LEASE:.0f} s)")

        # The operator's part: the run will never finish; say so, and run it again.
        client.set_flow_run_state(first.id, Crashed(message="its machine died"), force=True)
        sim.configure(queue_seconds=0.05)
        sim.advance(HOLD_SECONDS)
        with workers(tmp_path, api_url, POOL, count=1, environment=lease, first=1):
            second = run_deployment(
                "kling-batch-generate/killed-worker", parameters=parameters, timeout=0
            )

            def finished() -> Any:
                run = client.read_flow_run(second.id)
                return run if run.state and run.state.is_final() else None

            done = wait_until(finished, 120, lambda: f"the rerun never ended\n{logs(1)}")

    assert done.state.type.value == "COMPLETED", logs(1)
    # The holder renews its lease every 3/4 of it: the slots come back between a quarter of
    # the lease and the whole lease after the kill, plus the repossessor's round.
    assert LEASE / 4 - 1 <= returned_after <= LEASE + REPOSSESSOR_SECONDS + 5
    stats = sim.stats()
    assert stats.tasks_created == ITEMS  # four before the kill, two after: none twice
    assert stats.duplicate_external_ids == 0  # found in the shared records, not resent
    assert len({task["external_task_id"] for task in sim.tasks()}) == ITEMS
    assert stats.answers_by_code.get(1303, 0) == 0
    assert len(list(output.glob("*.mp4"))) == ITEMS
