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

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from prefect_kling.providers import Provider

_SECONDS_CUTOFF = 10**11
"""Timestamps under this are seconds (year 5138 in seconds), above it milliseconds."""


class TaskStatus(StrEnum):
    """Kling's task statuses (`succeed` on the legacy standard, `succeeded` on the newer).

    Both standards' spellings read as `SUCCEED`; what the package writes (JSON output,
    artifacts, events, logs) says `succeeded` (`said`), on both.
    """

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
    """One generated audio track.

    Text to audio and video to audio give it as MP3 and WAV (`url_mp3`, `url_wav`); text to
    speech as one file (`url`, `duration`).

    Examples:
        >>> AudioResult(id="a1", url_mp3="https://x/a.mp3", url_wav="https://x/a.wav").links
        [('mp3', 'https://x/a.mp3'), ('wav', 'https://x/a.wav')]
    """

    id: str | None = Field(default=None, description="Audio id (the avatar's `audio_id`).")
    url_mp3: str | None = Field(default=None, description="Link to the MP3 file.")
    url_wav: str | None = Field(default=None, description="Link to the WAV file.")
    duration_mp3: str | None = Field(default=None, description="MP3 length in seconds.")
    duration_wav: str | None = Field(default=None, description="WAV length in seconds.")
    url: str | None = Field(default=None, description="Link to the file (text to speech).")
    duration: str | None = Field(default=None, description="Length in seconds (text to speech).")

    @field_validator("id", "duration", "duration_mp3", "duration_wav", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        return None if value is None else str(value)

    @property
    def links(self) -> list[tuple[str, str]]:
        """`(format, link)` of each file, MP3 first; text to speech's one file counts as MP3."""
        found = [("mp3", self.url_mp3 or self.url), ("wav", self.url_wav)]
        return [(kind, link) for kind, link in found if link]


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


_VIEW_URL = re.compile(r"url_(\d+)")
"""An image item's numbered links (`url_1`, `url_2`, ...): AI multi-shot's views."""


def _one_image_per_link(images: list[Any]) -> list[Any]:
    """Image items as one image per file, numbered in order.

    AI multi-shot answers one item with its three views as `url_1`..`url_3`; every view
    becomes an image of its own, so that each is saved (in order) like any other image.
    """
    if not any(isinstance(item, dict) and "url" not in item for item in images):
        return images
    spread: list[Any] = []
    for item in images:
        views = (
            sorted(
                (int(match.group(1)), value)
                for key, value in item.items()
                if (match := _VIEW_URL.fullmatch(key)) and value
            )
            if isinstance(item, dict) and "url" not in item
            else []
        )
        if not views:
            spread.append(item)
            continue
        spread += [{"url": url} for _, url in views]
    return [
        {**item, "index": index} if isinstance(item, dict) else item
        for index, item in enumerate(spread)
    ]


class TaskResult(_Lenient):
    """The files of a finished task.

    An omni image series (`series_images`) is read as the task's images, and each view of
    an AI multi-shot (`url_1`..`url_3` of one item) as an image of its own, in order.

    Examples:
        >>> TaskResult.model_validate(
        ...     {"result_type": "series", "series_images": [{"index": 0, "url": "https://x/0"}]}
        ... ).images[0].url
        'https://x/0'
        >>> views = TaskResult.model_validate(
        ...     {"images": [{"index": 0, "url_1": "https://x/a", "url_2": "https://x/b"}]}
        ... ).images
        >>> [(image.index, image.url) for image in views]
        [(0, 'https://x/a'), (1, 'https://x/b')]
    """

    videos: list[VideoResult] = Field(default_factory=list, description="Generated videos.")
    images: list[ImageResult] = Field(default_factory=list, description="Generated images.")
    audios: list[AudioResult] = Field(default_factory=list, description="Generated audio tracks.")

    @model_validator(mode="before")
    @classmethod
    def _series_and_views(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        images = data.get("images") or data.get("series_images") or []
        if not isinstance(images, list) or not images:
            return data
        return {**data, "images": _one_image_per_link(images)}

    @field_validator("videos", "images", "audios", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class KlingTask(_Lenient):
    """A Kling task as the query (or a callback) reports it, on either API standard.

    Unknown fields are kept (`model_extra`), so nothing Kling adds is lost. A task of the
    newer standard (`id`, `status`, `message`, `outputs[]`, `billing[]`, `external_id`,
    `create_time`) is read into the same fields (`task_id`, `task_status`, ...), so the
    rest of the package sees one shape; its units are the `unit` charges of `billing[]`.

    Examples:
        >>> task = KlingTask.model_validate({
        ...     "id": "8931", "status": "succeeded", "external_id": "job-1",
        ...     "outputs": [{"type": "video", "id": "v1", "url": "https://x/v", "duration": "12"}],
        ...     "billing": [{"charge_type": "unit", "amount": "12", "package_type": "video"}],
        ... })
        >>> task.task_id, task.status_said, task.units, task.external_task_id
        ('8931', 'succeeded', 12.0, 'job-1')
    """

    @model_validator(mode="before")
    @classmethod
    def _newer_standard(cls, data: Any) -> Any:
        if isinstance(data, dict) and "task_id" not in data and "id" in data:
            return from_newer_standard(data)
        return data

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
        text = str(value).lower()
        try:
            return TaskStatus("succeed" if text == "succeeded" else text)
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

    @property
    def audios(self) -> list[AudioResult]:
        """Generated audio tracks (empty until the task succeeds)."""
        return self.task_result.audios


_LEGACY_STATUS = {"succeeded": TaskStatus.SUCCEED.value}
_OUTPUT_LISTS = {"video": "videos", "image": "images", "audio": "audios"}
_AUDIO_NAMES = {
    "mp3_url": "url_mp3",
    "wav_url": "url_wav",
    "mp3_duration": "duration_mp3",
    "wav_duration": "duration_wav",
}


def from_newer_standard(data: dict[str, Any]) -> dict[str, Any]:
    """A task of the newer standard in the legacy field names the package reads.

    Outputs of other types (element, voice) and every field besides are kept as they came.

    Examples:
        >>> read = from_newer_standard({"id": "7", "status": "failed", "message": "risk control"})
        >>> read["task_id"], read["task_status"], read["task_status_msg"]
        ('7', 'failed', 'risk control')
    """
    status = str(data.get("status") or TaskStatus.SUBMITTED.value).lower()
    result: dict[str, list[dict[str, Any]]] = {}
    for output in data.get("outputs") or []:
        kind = _OUTPUT_LISTS.get(output.get("type")) if isinstance(output, dict) else None
        if kind is None:
            continue
        item = {_AUDIO_NAMES.get(key, key): value for key, value in output.items()}
        if kind == "images":
            item.setdefault("index", len(result.get("images", [])))
        result.setdefault(kind, []).append(item)
    charged = [
        entry.get("amount")
        for entry in data.get("billing") or []
        if isinstance(entry, dict) and entry.get("charge_type") == "unit"
    ]
    units = sum(float(amount) for amount in charged if _to_float(amount) is not None)
    read = {
        **data,
        "task_id": data["id"],
        "task_status": _LEGACY_STATUS.get(status, status),
        "task_status_msg": data.get("message"),
        "task_info": {"external_task_id": data["external_id"]} if data.get("external_id") else {},
        "task_result": result,
        "created_at": data.get("create_time"),
        "updated_at": data.get("update_time"),
    }
    if charged:
        read["final_unit_deduction"] = f"{units:g}"
    return {key: value for key, value in read.items() if value is not None}


class TaskPage(_Lenient):
    """One page of the newer standard's task list (`POST /tasks`, newest first).

    Examples:
        >>> page = TaskPage.model_validate({
        ...     "result": [{"id": "1", "status": "processing"}],
        ...     "has_more": True,
        ...     "next_cursor": "c2",
        ... })
        >>> [task.task_id for task in page.tasks], page.has_more, page.next_cursor
        (['1'], True, 'c2')
    """

    tasks: list[KlingTask] = Field(
        default_factory=list, alias="result", description="The page's tasks, newest first."
    )
    count: int | None = Field(default=None, description="How many tasks the page holds.")
    next_cursor: str | None = Field(default=None, description="Where the next page starts.")
    has_more: bool = Field(default=False, description="Whether a next page exists.")

    @field_validator("tasks", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


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
