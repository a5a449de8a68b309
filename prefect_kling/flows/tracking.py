"""What a waiting flow reports about its task: progress, events, and when each stage began.

A `Tracker` is the `on_status` callback the flows hand to their waiter. On every status
change it moves the progress artifact, emits the status's event (`ProgressReporter`),
notes when the task was first seen processing and finished (for the summary's queue and
processing times, on the runtime's wall clock) and passes the change on to the caller's
own `on_status`, if any.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect_kling.models.kling_task import KlingTask, TaskReference, TaskStatus
from prefect_kling.observe import ProgressReporter
from prefect_kling.runtime import current_runtime
from prefect_kling.waiting import StatusCallback


class Tracker(ProgressReporter):
    """The progress artifact and events of one task, plus when it started and ended.

    Args:
        reference: The task waited for.
        model: The model asked for, for the events.
        progress_artifact: Publish a progress artifact (a batch item publishes none).
        artifact_id: A progress artifact to go on with (made while waiting for slots).
        on_status: The caller's own callback, told of every status change too.
    """

    def __init__(
        self,
        reference: TaskReference,
        *,
        model: str | None,
        progress_artifact: bool = True,
        artifact_id: Any = None,
        on_status: StatusCallback | None = None,
    ):
        self.processing_at: datetime | None = None
        self.finished_at: datetime | None = None
        self.progress_artifact = progress_artifact
        runtime = current_runtime()
        self._now = runtime.now
        self._on_status = on_status
        super().__init__(reference, model=model, artifact_id=artifact_id, clock=runtime.clock)

    def _create(self, artifact_id: Any = None) -> Any:
        return super()._create(artifact_id) if self.progress_artifact else None

    def __call__(self, task: KlingTask, elapsed: float) -> None:
        """Record a status change: timings, progress, event, and the caller's callback."""
        now = self._now()
        if task.status == TaskStatus.PROCESSING.value and self.processing_at is None:
            self.processing_at = now
        if task.finished:
            self.finished_at = now
            self.processing_at = self.processing_at or now
        # The caller first: it learns of the task before the artifact and event go out.
        if self._on_status is not None:
            self._on_status(task, elapsed)
        super().__call__(task, elapsed)
