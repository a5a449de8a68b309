"""Machines that share only the Prefect API and a bucket: a rerun elsewhere sends nothing.

Prefect on PostgreSQL and an S3 bucket (moto's server, tests/object_storage.py) hold
everything the machines share: the cached creates and sent marks (`result_storage`, an
`S3Bucket` block) and the files (`output`, another `S3Bucket` block on the same bucket).
A batch runs on worker 0; the same deployment runs again on worker 1, another machine with
its own `PREFECT_HOME` and working folder: it sends Kling no request at all (no create, no
lookup, no status query) and downloads nothing, since the records and the files are in the
bucket. The files went
straight to the bucket, and the manifests and artifacts name them by `s3://` URI.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from tests.conftest import canary_simulator
from tests.prefect_server import PrefectServer, wait_until, workers

pytest.importorskip("prefect_aws", reason="the s3 extra (prefect-aws) is not installed")
pytest.importorskip("moto", reason="moto (the test extra) is not installed")

from tests.object_storage import local_s3

PROJECT = Path(__file__).resolve().parents[2]
POOL = "kling-shared-storage"
ITEMS = 3

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.postgres]


def run_on_a_new_machine(
    client: Any, tmp_path: Path, api_url: str, number: int, parameters: dict[str, Any]
) -> Any:
    """Run the deployment on a worker of its own (`worker-<number>`); its final flow run."""
    with workers(tmp_path, api_url, POOL, count=1, first=number):
        started = run_deployment("kling-batch-generate/shared", parameters=parameters, timeout=0)

        def finished() -> Any:
            run = client.read_flow_run(started.id)
            return run if run.state and run.state.is_final() else None

        log = tmp_path / f"worker-{number}.log"
        return wait_until(
            finished, 120, lambda: f"the run never ended\n{log.read_text(errors='replace')}"
        )


def test_a_rerun_on_another_machine_sends_nothing_and_the_files_are_in_the_bucket(
    tmp_path: Path, postgres_prefect_server: PrefectServer
):
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log
    simulator = canary_simulator(
        queue_seconds=0.05,
        processing_seconds=0.2,
        seed=29,
        render_videos=False,
    )
    api_url = postgres_prefect_server.api_url
    with (
        local_s3() as bucket,
        simulator as sim,
        temporary_settings(updates={PREFECT_API_URL: api_url}),
        get_client(sync_client=True) as client,
    ):
        client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
        sim.credentials("kling").save("shared-storage-sim", overwrite=True)
        bucket.bucket_block("records").save("kling-shared-records", overwrite=True)
        files = bucket.bucket_block("videos")
        files.save("kling-shared-videos", overwrite=True)
        flow.from_source(
            source=str(PROJECT), entrypoint="flows/deployments.py:batch_generate"
        ).deploy(name="shared", work_pool_name=POOL)
        parameters = {
            "items": [{"prompt": f"shared storage item {item}"} for item in range(ITEMS)],
            "credentials": "shared-storage-sim",
            "output": {"$ref": {"block_document_id": str(files._block_document_id)}},
            "result_storage": "s3-bucket/kling-shared-records",
            "poll_interval_seconds": 0.2,
        }

        first = run_on_a_new_machine(client, tmp_path, api_url, 0, parameters)
        assert first.state.type.value == "COMPLETED"
        after_first = len(sim.requests())
        downloads = sim.stats().downloads
        second = run_on_a_new_machine(client, tmp_path, api_url, 1, parameters)
        assert second.state.type.value == "COMPLETED"
        rerun_requests = sim.requests()[after_first:]
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[first.id, second.id])
            )
        )
        stored = bucket.objects()

    assert sim.stats().tasks_created == ITEMS
    sent = [(request["method"], request["path"], request["query"]) for request in rerun_requests]
    # No create, no lookup by external id, not even a status query: the manifests in the
    # bucket say that every task succeeded and every file is there.
    assert sent == [], f"the rerun asked Kling: {sent}"
    assert sim.stats().downloads == downloads, "the rerun downloaded again"

    videos = {key: data for key, data in stored.items() if key.endswith(".mp4")}
    manifests = [json.loads(data) for key, data in stored.items() if key.endswith(".json")]
    assert len(videos) == ITEMS and all(key.startswith("videos/") for key in videos)
    assert any(key.startswith("records/") for key in stored)  # the cached creates
    saved = [entry for manifest in manifests for entry in manifest["files"]]
    assert len(saved) == ITEMS
    for entry in saved:
        assert entry["location"] == f"s3://{bucket.bucket}/videos/{entry['name']}"
        key = f"videos/{entry['name']}"
        assert hashlib.sha256(videos[key]).hexdigest() == entry["sha256"]
    shown = " ".join(str(artifact.data) for artifact in artifacts)
    assert f"s3://{bucket.bucket}/videos/" in shown
    assert not list(tmp_path.glob("worker-*/work/**/*.mp4")), "a file was kept on a machine"
