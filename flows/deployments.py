"""The deployable flows, and the Python equivalent of `prefect.yaml`.

`prefect deploy --all --prefect-file flows/prefect.yaml` (run from the project root) creates
the deployments listed in prefect.yaml from the entrypoints below. Without a yaml file:

    python flows/deployments.py deploy   # register them on the Prefect server, pool "kling"
    python flows/deployments.py serve    # or serve them from this process, no worker needed

Add `--resume-on-callback` to either to enable the trigger of `resume-task`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.events import DeploymentEventTrigger
from prefect.filesystems import WritableFileSystem

from prefect_kling.flows import (
    DEFAULT_OUTPUT,
    batch_generate,
    generate_audio,
    generate_image,
    generate_video,
    resume_task,
)

PROJECT = Path(__file__).resolve().parents[1]
WORK_POOL = "kling"

__all__ = [
    "batch_generate",
    "generate_audio",
    "generate_image",
    "generate_video",
    "resume_task",
    "scheduled_batch",
]


@flow(name="kling-scheduled-batch")
def scheduled_batch(
    prompts: str = "flows/prompts.csv",
    storage_block: str | None = None,
    credentials: str | None = "kling",
    output: str = DEFAULT_OUTPUT,
    max_concurrency: int = 5,
    max_units: float | None = None,
    retry_failed: bool = True,
) -> dict[str, Any]:
    """Generate the batch in a CSV or JSON-lines file, read locally or from a storage block.

    Args:
        prompts: Path of the file (in the storage block when one is named).
        storage_block: A Prefect filesystem block slug, e.g. `s3-bucket/prompts`.
        credentials: Name of the saved KlingCredentials block.
        output: Folder for the results.
        max_concurrency: Items in progress at once.
        max_units: Budget of the run, in Kling units.
        retry_failed: Make a fresh take of each prompt whose task Kling failed (on an
            earlier night too); prompts already made are reused from the cache.
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
        retry_failed=retry_failed,
    )
    return {"counts": dict(report.counts), "units": report.units}


RESUME_ON_CALLBACK = DeploymentEventTrigger(
    # Enable for the no-waiting-worker recipe (docs/callbacks.md): `deploy --resume-on-callback`.
    enabled=False,
    match={"prefect.resource.id": "kling.task.*", "kling.source": "callback"},
    expect={"kling.task.succeeded"},
    parameters={
        "endpoint": "{{ event.payload.endpoint }}",
        "task_id": "{{ event.payload.task_id }}",
    },
)
"""Runs `resume-task` for each task a callback reports done (only receiver events match)."""

DEPLOYMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "generate-video": ("generate_video", {"parameters": {"credentials": "kling"}}),
    "generate-image": ("generate_image", {"parameters": {"credentials": "kling"}}),
    "generate-audio": ("generate_audio", {"parameters": {"credentials": "kling"}}),
    "nightly-batch": (
        "scheduled_batch",
        {"cron": "0 2 * * *", "parameters": {"prompts": "flows/prompts.csv"}},
    ),
    "batch": ("batch_generate", {"parameters": {"credentials": "kling"}}),
    "resume-task": (
        "resume_task",
        {"parameters": {"credentials": "kling"}, "triggers": [RESUME_ON_CALLBACK]},
    ),
}
"""The deployments of `prefect.yaml`: name -> (flow in this module, deployment options)."""


def _options(options: dict[str, Any], resume_on_callback: bool) -> dict[str, Any]:
    if "triggers" not in options:
        return options
    triggers = [t.model_copy(update={"enabled": resume_on_callback}) for t in options["triggers"]]
    return {**options, "triggers": triggers}


def deploy(*, resume_on_callback: bool = False) -> None:
    """Register the deployments on the Prefect server, run by workers of the `kling` pool.

    Args:
        resume_on_callback: Enable the trigger that runs `resume-task` on callbacks.
    """
    for name, (function, options) in DEPLOYMENTS.items():
        flow.from_source(source=str(PROJECT), entrypoint=f"flows/deployments.py:{function}").deploy(
            name=name,
            work_pool_name=WORK_POOL,
            tags=["kling"],
            **_options(options, resume_on_callback),
        )


def serve_all(*, resume_on_callback: bool = False) -> None:
    """Serve every deployment from this process (no work pool, no worker)."""
    from prefect import serve

    module = sys.modules[__name__]
    serve(
        *(
            getattr(module, function).to_deployment(
                name=name, tags=["kling"], **_options(options, resume_on_callback)
            )
            for name, (function, options) in DEPLOYMENTS.items()
        )
    )


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "serve"
    on_callback = "--resume-on-callback" in sys.argv[2:]
    if command == "deploy":
        deploy(resume_on_callback=on_callback)
    else:
        serve_all(resume_on_callback=on_callback)
