"""What Kling answers about tasks, parsed leniently, and the reference that finds a task again.

Kling's task objects differ between endpoints, gateways and API versions: fields appear,
`task_result` is `{}` or `null` while a task runs, timestamps come in milliseconds or seconds,
units are a string. These models accept all of that, keep unknown fields, and expose
typed views (`KlingTask.units`, `KlingTask.videos`, `KlingTask.finished`).

Examples:
    >>> task = KlingTask.model_validate({
    ...     "task_id": "8672", "task_status": "succeed", "final_unit_deduction": "2.5",
    ...     "task_result": {"videos": [{"id": "v1", "url": "https://x/v", "duration": "5.042"}]},
    ...     "created_at": 1773380633979, "updated_at": 1773380693979,
    ... })
    >>> task.succeeded, task.units, task.videos[0].duration_seconds
    (True, 2.5, 5.042)
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from prefect_kling.providers import Provider

_SECONDS_CUTOFF = 10**11
"""Timestamps under this are seconds (year 5138 in seconds), above it milliseconds."""


class TaskStatus(StrEnum):
    """Kling's task statuses (`succeed` is Kling's spelling)."""

    SUBMITTED = "submitted"
    PROCESSING = "processing"
    SUCCEED = "succeed"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """Whether the task has ended (succeeded or failed)."""
        return self in (TaskStatus.SUCCEED, TaskStatus.FAILED)

    @staticmethod
    def said(status: str) -> str:
        """A status as a person reads it: `succeeded` for Kling's `succeed`.

        Examples:
            >>> TaskStatus.said("succeed"), TaskStatus.said("processing")
            ('succeeded', 'processing')
        """
        return "succeeded" if status == TaskStatus.SUCCEED.value else status


def parse_timestamp(value: Any) -> datetime | None:
    """Read a Kling timestamp: Unix milliseconds, Unix seconds, ISO text, or nothing.

    Examples:
        >>> parse_timestamp(1773380633979) == parse_timestamp(1773380633.979)
        True
    """
    if value in (None, "", 0):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        number = float(value)
    except (TypeError, ValueError):
        try:
            return parse_timestamp(datetime.fromisoformat(str(value)))
        except ValueError:
            return None
    seconds = number / 1000 if number >= _SECONDS_CUTOFF else number
    return datetime.fromtimestamp(seconds, tz=UTC)


def _to_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class _Lenient(BaseModel):
    """Keeps fields Kling adds later and tolerates missing ones."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class VideoResult(_Lenient):
    """One generated video."""

    id: str | None = Field(default=None, description="Video id, used to extend or lip-sync it.")
    url: str | None = Field(default=None, description="Download link; expires after 30 days.")
    duration: str | None = Field(default=None, description="Length in seconds, as Kling sends it.")
    watermark_url: str | None = Field(default=None, description="Link to the watermarked variant.")

    @field_validator("id", "duration", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        return None if value is None else str(value)

    @property
    def duration_seconds(self) -> float | None:
        """The duration as a number of seconds."""
        return _to_float(self.duration)


class ImageResult(_Lenient):
    """One generated image."""

    index: int = Field(default=0, description="Position of the image among the task's images.")
    url: str | None = Field(default=None, description="Download link; expires after 30 days.")
    watermark_url: str | None = Field(default=None, description="Link to the watermarked variant.")


class AudioResult(_Lenient):
    """One generated audio track."""

    id: str | None = Field(default=None, description="Audio id.")
    url_mp3: str | None = Field(default=None, description="Link to the MP3 file.")
    url_wav: str | None = Field(default=None, description="Link to the WAV file.")
    duration_mp3: str | None = Field(default=None, description="MP3 length in seconds.")
    duration_wav: str | None = Field(default=None, description="WAV length in seconds.")


class ParentVideo(_Lenient):
    """The video a task started from (video extend, lip-sync)."""

    id: str | None = Field(default=None, description="Id of the parent video.")
    url: str | None = Field(default=None, description="Link to the parent video.")
    duration: str | None = Field(default=None, description="Length of the parent video in seconds.")


class TaskInfo(_Lenient):
    """What the caller attached to the task."""

    external_task_id: str | None = Field(default=None, description="The caller's own task id.")
    parent_video: ParentVideo | None = Field(default=None, description="Video the task extends.")

    @field_validator("parent_video", mode="before")
    @classmethod
    def _empty_parent(cls, value: Any) -> Any:
        return None if value in ({}, "") else value


class TaskResult(_Lenient):
    """The files of a finished task."""

    videos: list[VideoResult] = Field(default_factory=list, description="Generated videos.")
    images: list[ImageResult] = Field(default_factory=list, description="Generated images.")
    audios: list[AudioResult] = Field(default_factory=list, description="Generated audio tracks.")

    @field_validator("videos", "images", "audios", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class KlingTask(_Lenient):
    """A Kling task as the query (or a callback) reports it.

    Unknown fields are kept (`model_extra`), so nothing Kling adds is lost.
    """

    task_id: str = Field(description="Kling's task id.")
    task_status: TaskStatus | str = Field(
        default=TaskStatus.SUBMITTED,
        description="One of submitted, processing, succeed, failed (unknown values kept as text).",
    )
    task_status_msg: str | None = Field(default=None, description="Why a task failed.")
    task_info: TaskInfo = Field(default_factory=TaskInfo, description="What the caller attached.")
    task_result: TaskResult = Field(default_factory=TaskResult, description="Generated files.")
    final_unit_deduction: str | None = Field(default=None, description="Units charged, as text.")
    created_at: datetime | None = Field(default=None, description="When the task was created.")
    updated_at: datetime | None = Field(default=None, description="When the task last changed.")

    @field_validator("task_id", mode="before")
    @classmethod
    def _task_id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("task_status", mode="before")
    @classmethod
    def _known_status(cls, value: Any) -> Any:
        try:
            return TaskStatus(str(value).lower())
        except ValueError:
            return value

    @field_validator("task_info", "task_result", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("final_unit_deduction", mode="before")
    @classmethod
    def _units_text(cls, value: Any) -> Any:
        return None if value in (None, "") else str(value)

    @field_validator("created_at", "updated_at", mode="before")
    @classmethod
    def _timestamps(cls, value: Any) -> datetime | None:
        return parse_timestamp(value)

    @property
    def status(self) -> str:
        """The status as plain text."""
        return str(
            self.task_status.value if isinstance(self.task_status, TaskStatus) else self.task_status
        )

    @property
    def status_said(self) -> str:
        """The status as a person reads it: `succeeded` for Kling's `succeed`.

        Examples:
            >>> KlingTask(task_id="42", task_status="succeed").status_said
            'succeeded'
        """
        return TaskStatus.said(self.status)

    @property
    def finished(self) -> bool:
        """Whether the task has ended."""
        return isinstance(self.task_status, TaskStatus) and self.task_status.finished

    @property
    def succeeded(self) -> bool:
        """Whether the task ended with results."""
        return self.task_status == TaskStatus.SUCCEED

    @property
    def failed(self) -> bool:
        """Whether the task ended without results."""
        return self.task_status == TaskStatus.FAILED

    @property
    def units(self) -> float | None:
        """Units charged (`final_unit_deduction` as a number), when known."""
        return _to_float(self.final_unit_deduction)

    @property
    def external_task_id(self) -> str | None:
        """The caller's own id for the task."""
        return self.task_info.external_task_id

    @property
    def videos(self) -> list[VideoResult]:
        """Generated videos (empty until the task succeeds)."""
        return self.task_result.videos

    @property
    def images(self) -> list[ImageResult]:
        """Generated images (empty until the task succeeds)."""
        return self.task_result.images


class TaskReference(BaseModel):
    """Everything needed to find a task again, in this run or a later one.

    The query path depends on the endpoint, so the endpoint always travels with the id.

    Examples:
        >>> ref = TaskReference(task_id="8672", endpoint="text2video", provider="kling")
        >>> TaskReference.model_validate_json(ref.model_dump_json()) == ref
        True
    """

    model_config = ConfigDict(frozen=True)

    task_id: str = Field(description="Kling's task id.")
    endpoint: str = Field(description="Endpoint name, e.g. text2video.")
    provider: Provider = Field(description="Provider the task was created through.")
    external_task_id: str | None = Field(default=None, description="The caller's own task id.")
    status: str = Field(default=TaskStatus.SUBMITTED.value, description="Last known status.")
    created_at: datetime | None = Field(default=None, description="When the task was created.")

    @classmethod
    def from_task(cls, task: KlingTask, *, endpoint: str, provider: Provider) -> TaskReference:
        """Reference a task from a create or query answer."""
        return cls(
            task_id=task.task_id,
            endpoint=endpoint,
            provider=provider,
            external_task_id=task.external_task_id,
            status=task.status,
            created_at=task.created_at,
        )
