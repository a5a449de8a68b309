"""What a generation flow returns: the task, what it cost, and the files saved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from prefect_kling.downloads import SavedFile
from prefect_kling.models.kling_task import TaskReference


class GenerationResult(BaseModel):
    """The outcome of one generation: the task, what it cost, and the files saved.

    Examples:
        >>> reference = TaskReference(task_id="8672", endpoint="text2video", provider="kling")
        >>> result = GenerationResult(reference=reference, status="succeeded", units=1.0)
        >>> result.summary()["task_id"], result.video_id
        ('8672', None)
    """

    reference: TaskReference = Field(description="The task: id, external id, endpoint, provider.")
    status: str = Field(
        description="The final status, `succeeded` (a failure raises), whichever API standard "
        "made the task: the package says `submitted`, `processing`, `succeeded`, `failed`."
    )
    status_message: str | None = Field(default=None, description="Kling's reason for a failure.")
    units: float | None = Field(default=None, description="Units Kling charged.")
    files: list[SavedFile] = Field(default_factory=list, description="Files saved.")
    reused: bool = Field(
        default=False,
        description="The task was made by an earlier run (a cached create, or found by its "
        "external id): nothing new was charged for it.",
    )
    finished_at: datetime | None = Field(
        default=None, description="When the task ended, as Kling says (its updated_at)."
    )

    @property
    def task_id(self) -> str:
        """Kling's task id."""
        return self.reference.task_id

    @property
    def video_id(self) -> str | None:
        """Kling's id of the (first) video made, for a next step such as an extend."""
        return next(
            (file.video_id for file in self.files if file.kind == "video" and file.video_id),
            None,
        )

    @property
    def audio_id(self) -> str | None:
        """Kling's id of the (first) audio made, for a next step such as an avatar."""
        return next((file.audio_id for file in self.files if file.audio_id), None)

    def summary(self) -> dict[str, Any]:
        """A flat, JSON-ready summary (what `prefect-kling --json` prints)."""
        return {
            "task_id": self.reference.task_id,
            "external_task_id": self.reference.external_task_id,
            "endpoint": self.reference.endpoint,
            "status": self.status,
            "status_message": self.status_message,
            "units": self.units,
            "reused": self.reused,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "files": [
                {
                    "path": file.path,
                    "bytes": file.bytes,
                    "sha256": file.sha256,
                    "url": file.url,
                    "kind": file.kind,
                    "index": file.index,
                    "video_id": file.video_id,
                    "audio_id": file.audio_id,
                    "duration": file.duration,
                }
                for file in self.files
            ],
        }
