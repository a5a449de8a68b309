"""`resume_task`: wait for a task created earlier and save its files; never creates anything."""

from __future__ import annotations

from prefect import flow

from prefect_kling.endpoints import get_endpoint
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.flows.arguments import (
    DEFAULT_OUTPUT,
    Credentials,
    Output,
    check_waiting,
    resolve_credentials,
)
from prefect_kling.flows.pipeline import Generation
from prefect_kling.flows.result import GenerationResult
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.runtime import Runtime, current_runtime, use_runtime
from prefect_kling.waiting import DEFAULT_MAX_WAIT_SECONDS, PollSchedule, PollWaiter, StatusCallback


@flow(name="kling-resume-task")
def resume_task(
    endpoint: str,
    task_id: str | None = None,
    external_task_id: str | None = None,
    credentials: Credentials = None,
    output: Output = DEFAULT_OUTPUT,
    watermark: bool = False,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    poll_interval_seconds: float = 2.0,
    on_status: StatusCallback | None = None,
    runtime: Runtime | None = None,
) -> GenerationResult:
    """Wait for a task created earlier and save its files; never creates anything.

    Args:
        endpoint: The endpoint the task was created on, e.g. `text2video`.
        task_id: Kling's task id.
        external_task_id: The create's external id, when the task id is not known.
        credentials: A block, a saved block's name, or None for the `KLING_*` variables.
        output: A local folder or a Prefect writable filesystem block.
        watermark: Also save the watermarked variants.
        max_wait_seconds: Longest wait for the task.
        poll_interval_seconds: First pause between queries.
        on_status: Called with the task and the seconds waited on every status change.
        runtime: Clocks, sleep and client factory (see `generate_video`).
    """
    if task_id is None and external_task_id is None:
        raise KlingValidationError.single("task_id", "give task_id or external_task_id")
    check_waiting(max_wait_seconds=max_wait_seconds, poll_interval_seconds=poll_interval_seconds)
    row = get_endpoint(endpoint)
    creds = resolve_credentials(credentials)
    with use_runtime(runtime):
        with current_runtime().client(creds) as client:
            current = client.get_task(row, task_id, external_task_id=external_task_id)
        reference = TaskReference.from_task(current, endpoint=row.name, provider=creds.provider)
        generation = Generation.resume(creds, reference, on_status=on_status)
        # A task already done (as when a callback's event started this run) costs no
        # second query.
        if generation.take_in(current):
            finished = current
        else:
            schedule = PollSchedule(first_interval=poll_interval_seconds)
            with PollWaiter(creds, schedule) as waiter:
                finished = generation.wait(waiter, max_wait_seconds=max_wait_seconds)
        return generation.save(finished, output, watermark=watermark)
