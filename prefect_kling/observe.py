"""What a run shows in Prefect: events on every task transition, and artifacts.

Events (`kling.task.submitted`, `.running`, `.succeeded`, `.failed`, `.timed-out`,
`.downloaded`) have the resource id `kling.task.<task_id>` and carry the endpoint, model,
external id and units, so automations can react and dashboards can count; Prefect relates
them to the flow run. Artifacts: a progress bar while waiting (also while waiting for a
concurrency slot, and moving on between status changes), a markdown summary per task, the
images themselves, and one table per batch.

Publishing is never worth failing a paid generation for: every function here logs a
warning and carries on when Prefect refuses or is unreachable.
"""

from __future__ import annotations

import contextvars
import functools
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from prefect.artifacts import (
    create_image_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.events import emit_event

from prefect_kling._logging import RunAwareLogger
from prefect_kling.models.kling_task import KlingTask, TaskReference, TaskStatus

logger = RunAwareLogger(__name__)

RESULT_LIFETIME = timedelta(days=30)
"""Kling deletes generated files this long after the task was created."""

EVENT_PREFIX = "kling.task"
_STATUS_EVENTS = {
    TaskStatus.SUBMITTED.value: "submitted",
    TaskStatus.PROCESSING.value: "running",
    TaskStatus.SUCCEED.value: "succeeded",
    TaskStatus.FAILED.value: "failed",
}
_PROGRESS = {TaskStatus.SUBMITTED.value: 5.0, TaskStatus.PROCESSING.value: 10.0}

PROGRESS_REFRESH_SECONDS = 15.0
"""How often a waiting task's progress artifact moves on between status changes."""

TYPICAL_PROCESSING_SECONDS = 120.0
"""Kling reports no percentage: while a task processes, its bar moves from 10 % towards
95 % on this time scale (63 % of the way after it), and jumps to 100 % when it ends."""
_PROMPT_EXCERPT = 160

P = ParamSpec("P")
R = TypeVar("R")


def never_fails(function: Callable[P, R]) -> Callable[P, R | None]:
    """Turn any exception of a publishing function into a logged warning."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return function(*args, **kwargs)
        except Exception as error:
            logger.warning("Could not publish %s to Prefect: %s", function.__name__, error)
            return None

    return wrapper


def artifact_key(*parts: str) -> str:
    """An artifact key Prefect accepts: lowercase letters, digits and dashes.

    Examples:
        >>> artifact_key("kling", "Text2Video", "86728374_1")
        'kling-text2video-86728374-1'
    """
    text = "-".join(parts).lower()
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", text)).strip("-")


def event_name(status_or_step: str) -> str:
    """The event name for a task status (`succeed` -> `kling.task.succeeded`) or step."""
    return f"{EVENT_PREFIX}.{_STATUS_EVENTS.get(status_or_step, status_or_step)}"


@never_fails
def emit_task_event(
    step: str,
    reference: TaskReference,
    *,
    task: KlingTask | None = None,
    model: str | None = None,
    **payload: Any,
) -> None:
    """Emit `kling.task.<step>` for a task, `step` being a status or a step name.

    Args:
        step: `submitted`, `processing`, `succeed`, `failed`, `timed-out`, `downloaded`.
        reference: The task.
        task: The task as last queried, for units and the status message.
        model: The model asked for, when known.
        **payload: More fields for the event's payload.
    """
    body: dict[str, Any] = {
        "endpoint": reference.endpoint,
        "provider": reference.provider.value,
        "external_task_id": reference.external_task_id,
        "model": model,
        "status": task.status_said if task else TaskStatus.said(reference.status),
        "units": task.units if task else None,
        "status_message": task.task_status_msg if task else None,
        **payload,
    }
    emit_event(
        event=event_name(step),
        resource={
            "prefect.resource.id": f"{EVENT_PREFIX}.{reference.task_id}",
            "prefect.resource.name": f"{reference.endpoint} {reference.task_id}",
            "kling.endpoint": reference.endpoint,
            "kling.provider": reference.provider.value,
            **status_labels(task),
        },
        payload={key: value for key, value in body.items() if value is not None},
    )


def status_labels(task: KlingTask | None) -> dict[str, str]:
    """Kling's status message (why a task failed) as a resource label, when it gave one.

    The Prefect UI shows an event's labels, and an automation's trigger can match on them.

    Examples:
        >>> status_labels(KlingTask(task_id="7", task_status="failed", task_status_msg="risk"))
        {'kling.status_message': 'risk'}
    """
    message = task.task_status_msg if task is not None else None
    return {"kling.status_message": message} if message else {}


def seconds_said(seconds: float) -> str:
    """A duration as people say it.

    Examples:
        >>> seconds_said(42.4), seconds_said(125), seconds_said(7300)
        ('42 s', '2 min 5 s', '2 h 1 min')
    """
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def estimated_progress(status: str, seconds_in_status: float) -> float:
    """The bar of a task in progress: fixed while queued, moving on while processing.

    Examples:
        >>> estimated_progress("submitted", 60.0)
        5.0
        >>> [round(estimated_progress("processing", t)) for t in (0, 120, 600)]
        [10, 64, 94]
    """
    if status != TaskStatus.PROCESSING.value:
        return _PROGRESS.get(status, 0.0)
    share = 1 - math.exp(-seconds_in_status / TYPICAL_PROCESSING_SECONDS)
    return round(10.0 + 85.0 * share, 1)


@never_fails
def new_progress_artifact(progress: float, description: str, key: str | None = None) -> Any:
    """Create a progress artifact; return its id (None when Prefect refused)."""
    return create_progress_artifact(progress=progress, key=key, description=description)


@never_fails
def set_progress(artifact_id: Any, progress: float, description: str) -> None:
    """Move a progress artifact's bar and change its description."""
    update_progress_artifact(artifact_id=artifact_id, progress=progress, description=description)


class SlotWaitProgress:
    """The progress artifact of a run that waits for concurrency slots before its create.

    A `SlotWaitCallback`: the first report of a wait creates the artifact, later ones
    update it (`waiting for a slot of kling-video-...: 5 of 5 in use (since 10:15:02 UTC)`); a
    run that never waits has none until its task exists. The task's progress then goes
    on in the same artifact (`ProgressReporter`'s `artifact_id`).

    Args:
        endpoint: The endpoint of the task to come.
    """

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.artifact_id: Any = None

    def __call__(self, description: str | None) -> None:
        """Show the wait (None: it ended, and the task's progress takes over)."""
        if description is None:
            return
        text = f"Kling {self.endpoint}: {description}"
        if self.artifact_id is None:
            self.artifact_id = new_progress_artifact(0.0, text)
        else:
            set_progress(self.artifact_id, 0.0, text)


class ProgressReporter:
    """A progress artifact and status events for one wait; use as `on_status` callback.

    The bar moves on status changes, and, while `ticking`, every `refresh_seconds` in
    between (`estimated_progress`), so that a long wait never looks frozen.

    Args:
        reference: The task waited for.
        model: The model asked for, for the events.
        artifact_id: A progress artifact to go on with (a wait for slots made it).
        clock: Monotonic seconds, for the time a task has spent in its status.
        refresh_seconds: Seconds between two updates while ticking.
    """

    def __init__(
        self,
        reference: TaskReference,
        *,
        model: str | None = None,
        artifact_id: Any = None,
        clock: Callable[[], float] = time.monotonic,
        refresh_seconds: float = PROGRESS_REFRESH_SECONDS,
    ):
        self.reference = reference
        self.model = model
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._status = reference.status
        self._status_since = clock()
        self._finished = False
        self.artifact_id = self._create(artifact_id)

    def _create(self, artifact_id: Any = None) -> Any:
        progress = _PROGRESS.get(self.reference.status, 0.0)
        if artifact_id is not None:
            set_progress(artifact_id, progress, self.describe())
            return artifact_id
        return new_progress_artifact(
            progress, self.describe(), key=artifact_key("kling-progress", self.reference.task_id)
        )

    def describe(self, elapsed: float | None = None) -> str:
        """The artifact's description: the task, its status and for how long."""
        said = TaskStatus.said(self._status)
        since = "" if elapsed is None else f" for {seconds_said(elapsed)}"
        if self._finished:
            since = "" if elapsed is None else f" after {seconds_said(elapsed)}"
        return f"Kling {self.reference.endpoint} task {self.reference.task_id}: {said}{since}"

    def __call__(self, task: KlingTask, elapsed: float) -> None:
        """Record a status change: move the bar, emit the status's event."""
        if task.status != self._status:
            self._status, self._status_since = task.status, self._clock()
        self._finished = task.finished
        if self.artifact_id is not None:
            progress = 100.0 if task.finished else _PROGRESS.get(task.status, 0.0)
            set_progress(self.artifact_id, progress, self.describe(elapsed))
        if task.status != TaskStatus.SUBMITTED.value:  # the create step announced it
            emit_task_event(
                task.status,
                self.reference,
                task=task,
                model=self.model,
                waited_seconds=round(elapsed, 1),
            )

    def refresh(self) -> None:
        """Move the bar on by the time the task has spent in its status."""
        if self.artifact_id is None or self._finished:
            return
        in_status = self._clock() - self._status_since
        progress = estimated_progress(self._status, in_status)
        set_progress(self.artifact_id, progress, self.describe(in_status))

    @contextmanager
    def ticking(self) -> Iterator[None]:
        """While the block runs, `refresh` the bar every `refresh_seconds`."""
        if self.artifact_id is None:
            yield
            return
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(self.refresh_seconds):
                self.refresh()

        # The caller's context travels along: Prefect's settings and the run.
        context = contextvars.copy_context()
        ticker = threading.Thread(target=context.run, args=(tick,), daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join(timeout=30)


def _timings(
    task: KlingTask | None, started: datetime | None, finished: datetime | None
) -> tuple[str, str]:
    if task is None or task.created_at is None:
        return "", ""
    queue = f"{(started - task.created_at).total_seconds():.0f} s" if started else ""
    processing = f"{(finished - started).total_seconds():.0f} s" if started and finished else ""
    return queue, processing


@never_fails
def publish_task_summary(
    reference: TaskReference,
    *,
    task: KlingTask | None,
    request: Mapping[str, Any],
    files: Iterable[Any] = (),
    started_processing: datetime | None = None,
    finished: datetime | None = None,
) -> None:
    """A markdown artifact describing one task: request, outcome, cost, timings, files, links.

    Args:
        reference: The task.
        task: The task as last queried (None when it could not be read).
        request: The request fields (images are not shown).
        files: Saved files, each with `path`, `bytes`, `sha256` and `url`.
        started_processing: When the task was first seen processing.
        finished: When the task was first seen finished.
    """
    prompt = str(request.get("prompt") or "")
    if len(prompt) > _PROMPT_EXCERPT:
        prompt = prompt[:_PROMPT_EXCERPT] + "..."
    queue, processing = _timings(task, started_processing, finished)
    expiry = (
        (task.created_at + RESULT_LIFETIME).strftime("%Y-%m-%d %H:%M UTC")
        if task and task.created_at
        else "unknown"
    )
    rows = [
        ("Endpoint", reference.endpoint),
        ("Provider", reference.provider.value),
        ("Model", request.get("model_name") or "default"),
        ("Mode", request.get("mode") or "default"),
        ("Duration", f"{request['duration']} s" if request.get("duration") else "default"),
        ("Prompt", prompt.replace("|", "\\|").replace("\n", " ") or "none"),
        *((("Effect scene", str(request["effect_scene"])),) if request.get("effect_scene") else ()),
        ("Task id", f"`{reference.task_id}`"),
        (
            "External id",
            f"`{reference.external_task_id}`" if reference.external_task_id else "none",
        ),
        ("Status", task.status_said if task else TaskStatus.said(reference.status)),
        ("Status message", (task.task_status_msg if task else None) or "none"),
        ("Units charged", f"{task.units:g}" if task and task.units is not None else "unknown"),
        ("Queue time", queue or "unknown"),
        ("Processing time", processing or "unknown"),
        ("Links expire", expiry),
    ]
    lines = [f"# Kling {reference.endpoint} task {reference.task_id}", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    files = list(files)
    if files:
        lines += ["", "## Files", "", "| File | Size | SHA-256 | Link |", "|---|---|---|---|"]
        lines += [
            f"| `{file.path}` | {file.bytes:,} bytes | `{file.sha256}` | [result]({file.url}) |"
            for file in files
        ]
    create_markdown_artifact(
        markdown="\n".join(lines),
        key=artifact_key("kling-task", reference.task_id),
        description=f"Kling {reference.endpoint} task {reference.task_id}",
    )


@never_fails
def publish_images(reference: TaskReference, task: KlingTask) -> None:
    """One image artifact per generated image (Prefect shows the picture)."""
    for image in task.images:
        if image.url:
            create_image_artifact(
                image_url=image.url,
                key=artifact_key("kling-image", reference.task_id, str(image.index)),
                description=(
                    f"Kling {reference.endpoint} task {reference.task_id}, image {image.index}"
                ),
            )


@never_fails
def publish_batch_table(
    rows: list[dict[str, Any]], *, description: str | None = None, key: str = "kling-batch"
) -> None:
    """A table artifact with one row per batch item, under a description of its totals."""
    create_table_artifact(
        table=rows,
        key=artifact_key(key),
        description=description or f"Kling batch: {len(rows)} items",
    )
