"""The deployable flows, and the Python equivalent of `prefect.yaml`.

`prefect deploy --all --prefect-file flows/prefect.yaml` (run from the project root) creates
the deployments listed in prefect.yaml from the entrypoints below. Without a yaml file:

    python flows/deployments.py deploy   # register them on the Prefect server, pool "kling"
    python flows/deployments.py serve    # or serve them from this process, no worker needed
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.filesystems import WritableFileSystem

from prefect_kling.flows import (
    DEFAULT_OUTPUT,
    batch_generate,
    generate_image,
    generate_video,
    resume_task,
)

PROJECT = Path(__file__).resolve().parents[1]
WORK_POOL = "kling"

__all__ = ["batch_generate", "generate_image", "generate_video", "resume_task", "scheduled_batch"]


@flow(name="kling-scheduled-batch")
def scheduled_batch(
    prompts: str = "flows/prompts.csv",
    storage_block: str | None = None,
    credentials: str | None = "kling",
    output: str = DEFAULT_OUTPUT,
    max_concurrency: int = 5,
    max_units: float | None = None,
) -> dict[str, Any]:
    """Generate the batch in a CSV or JSON-lines file, read locally or from a storage block.

    Args:
        prompts: Path of the file (in the storage block when one is named).
        storage_block: A Prefect filesystem block slug, e.g. `s3-bucket/prompts`.
        credentials: Name of the saved KlingCredentials block.
        output: Folder for the results.
        max_concurrency: Items in progress at once.
        max_units: Budget of the run, in Kling units.
    """
    source: str = prompts
    if storage_block is not None:
        block = WritableFileSystem.load(storage_block)
        data = block.read_path(prompts, _sync=True)  # type: ignore[call-arg]
        local = Path(tempfile.mkdtemp()) / Path(prompts).name
        local.write_bytes(data)
        source = str(local)
    report = batch_generate(
        source,
        credentials=credentials,
        output=output,
        max_concurrency=max_concurrency,
        max_units=max_units,
    )
    return {"counts": dict(report.counts), "units": report.units}


def _deployments() -> list[Any]:
    return [
        generate_video.to_deployment(name="generate-video", tags=["kling"]),
        scheduled_batch.to_deployment(
            name="nightly-batch", cron="0 2 * * *", parameters={"prompts": "flows/prompts.csv"}
        ),
        resume_task.to_deployment(name="resume-task", tags=["kling"]),
    ]


def deploy() -> None:
    """Register the deployments on the Prefect server, run by workers of the `kling` pool."""
    for entrypoint, name, extra in (
        ("flows/deployments.py:generate_video", "generate-video", {}),
        ("flows/deployments.py:scheduled_batch", "nightly-batch", {"cron": "0 2 * * *"}),
        ("flows/deployments.py:resume_task", "resume-task", {}),
        ("flows/deployments.py:batch_generate", "batch", {}),
    ):
        flow.from_source(source=str(PROJECT), entrypoint=entrypoint).deploy(
            name=name, work_pool_name=WORK_POOL, **extra
        )


if __name__ == "__main__":
    from prefect import serve

    command = sys.argv[1] if len(sys.argv) > 1 else "serve"
    if command == "deploy":
        deploy()
    else:
        serve(*_deployments())
