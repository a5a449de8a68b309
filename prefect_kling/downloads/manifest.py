"""The manifest: what was saved of a task, so that a rerun downloads nothing twice.

A manifest `<endpoint>-<task_id>.json` lies next to the task's files. It is rewritten whole
(atomically, through the destination) after each file, and records each file's name, size,
SHA-256 and link; once all are saved it says so (`complete`, whether the watermarked
variants are among them, and the units Kling charged):

```json
{
  "version": 1,
  "task_id": "867283741759111202",
  "endpoint": "text2video",
  "files": [
    {"name": "text2video-867283741759111202-0.mp4", "bytes": 5242880, "sha256": "9f86d0...",
     "url": "https://cdn.klingai.com/...", "kind": "video", "index": 0, "watermark": false,
     "video_id": "v1", "duration": "5.1"}
  ],
  "complete": true,
  "watermarks": false,
  "units": 1.0
}
```

Examples:
    >>> manifest = Manifest(task_id="8672", endpoint="text2video")
    >>> manifest.record(ManifestEntry(name="text2video-8672-0.mp4", bytes=5, sha256="ab",
    ...                               url="https://cdn.example/v.mp4", kind="video", index=0))
    >>> manifest.find(("video", 0, False)).name
    'text2video-8672-0.mp4'
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from prefect_kling._logging import RunAwareLogger
from prefect_kling.downloads.destinations import Destination
from prefect_kling.downloads.naming import Kind, manifest_name
from prefect_kling.models.kling_task import TaskReference

logger = RunAwareLogger(__name__)

MANIFEST_VERSION = 1
"""Version of the manifest format."""

Slot = tuple[str, int, bool]
"""Which file of a task: its kind, its index, and whether it is the watermarked variant."""


class FileFacts(BaseModel):
    """What is known of one saved file, wherever it lives."""

    bytes: int = Field(description="Size of the file in bytes.")
    sha256: str = Field(description="SHA-256 of the file's content, in hex.")
    url: str = Field(description="The link the file was downloaded from.")
    kind: Kind = Field(
        description="Whether the file is a video, an image, or an audio track's MP3 or WAV."
    )
    index: int = Field(
        description="Position of the file among the task's videos, images or audio tracks."
    )
    watermark: bool = Field(default=False, description="Whether this is the watermarked variant.")
    video_id: str | None = Field(
        default=None, description="Kling's id of the video, for the next step (e.g. extend)."
    )
    duration: str | None = Field(
        default=None, description="Length of the video or audio in seconds, as Kling sent it."
    )
    audio_id: str | None = Field(
        default=None, description="Kling's id of the audio, for the next step (e.g. avatar)."
    )


class ManifestEntry(FileFacts):
    """One saved file, as the manifest records it.

    `audio_id` is written only for audio files, so that other entries keep their shape.
    """

    name: str = Field(description="File name, relative to the manifest's folder.")
    location: str | None = Field(
        default=None,
        description="Where the file is: its path, or its URL in a bucket (`s3://bucket/key`).",
    )

    @model_serializer(mode="wrap")
    def _audio_id_only_for_audio(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("audio_id") is None:
            data.pop("audio_id", None)
        return data

    @property
    def slot(self) -> Slot:
        """Which file of the task this is."""
        return (self.kind, self.index, self.watermark)


class Manifest(BaseModel):
    """The files saved of one task."""

    version: int = Field(default=MANIFEST_VERSION, description="Manifest format version.")
    task_id: str = Field(description="Kling's task id.")
    endpoint: str = Field(description="Endpoint that made the task.")
    files: list[ManifestEntry] = Field(default_factory=list, description="Saved files.")
    complete: bool = Field(
        default=False,
        description="Whether every file of the finished task is saved: a rerun that finds "
        "them all still there needs to ask Kling nothing.",
    )
    watermarks: bool = Field(
        default=False, description="Whether the watermarked variants were saved too."
    )
    units: float | None = Field(default=None, description="Units Kling charged for the task.")

    def find(self, slot: Slot) -> ManifestEntry | None:
        """The entry of that file, if it was saved."""
        return next((entry for entry in self.files if entry.slot == slot), None)

    def record(self, entry: ManifestEntry) -> None:
        """Add a saved file, replacing an earlier entry of the same slot."""
        self.files = [known for known in self.files if known.slot != entry.slot] + [entry]

    def holds_all(self, *, watermarks: bool) -> bool:
        """Whether it says every file of the task was saved (the variants too, if asked)."""
        return self.complete and (self.watermarks or not watermarks)


def load_manifest(destination: Destination, reference: TaskReference) -> Manifest:
    """The task's manifest in the destination; an empty one when missing or unreadable.

    A manifest of another task under the same name counts as missing.
    """
    fresh = Manifest(task_id=reference.task_id, endpoint=reference.endpoint)
    data = destination.read_bytes(manifest_name(reference))
    if data is None:
        return fresh
    try:
        manifest = Manifest.model_validate_json(data)
    except ValidationError:
        logger.warning("Ignoring unreadable manifest %s", manifest_name(reference))
        return fresh
    return manifest if manifest.task_id == reference.task_id else fresh


def write_manifest(destination: Destination, reference: TaskReference, manifest: Manifest) -> None:
    """Write the task's manifest whole, replacing the one there."""
    destination.write_bytes(manifest_name(reference), manifest.model_dump_json(indent=2).encode())
