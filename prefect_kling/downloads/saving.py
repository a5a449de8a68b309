"""Saving a finished task's files: each one fetched once, recorded, and skipped on a rerun.

`save_task_results` picks the task's videos, images and audio tracks (and the watermarked
variants when asked), names each after the endpoint, the task id and the index, fetches
what the manifest does not show as saved already, and records each file in the manifest
as soon as it is committed: a crash halfway loses only the file in flight.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import httpx
from pydantic import Field

from prefect_kling._logging import RunAwareLogger
from prefect_kling._retry import RetryPolicy
from prefect_kling.downloads.destinations import (
    DEFAULT_CHUNK_SIZE,
    Destination,
    DestinationLike,
    open_destination,
)
from prefect_kling.downloads.fetch import fetch, plain_client
from prefect_kling.downloads.manifest import (
    FileFacts,
    Manifest,
    ManifestEntry,
    Slot,
    load_manifest,
    write_manifest,
)
from prefect_kling.downloads.naming import Kind, file_stem, result_file_name, suffix_for
from prefect_kling.exceptions import KlingError, KlingTaskFailed, KlingValidationError
from prefect_kling.models.kling_task import KlingTask, TaskReference

logger = RunAwareLogger(__name__)


class SavedFile(FileFacts):
    """One file of a task, saved.

    Examples:
        >>> saved = SavedFile(path="out/text2video-8672-0.mp4", bytes=5, sha256="ab",
        ...                   url="https://cdn.example/v.mp4", kind="video", index=0)
        >>> saved.watermark, saved.video_id
        (False, None)
    """

    path: str = Field(
        description="Where the file was written: a local path, or its path inside the block."
    )


@dataclass(frozen=True)
class _Wanted:
    """One file to save."""

    kind: Kind
    index: int
    url: str
    watermark: bool = False
    video_id: str | None = None
    duration: str | None = None
    audio_id: str | None = None

    @property
    def slot(self) -> Slot:
        return (self.kind, self.index, self.watermark)


# --- what to save ----------------------------------------------------------------------------


def _check_task(task: KlingTask, reference: TaskReference) -> None:
    if task.task_id != reference.task_id:
        raise KlingValidationError.single(
            "reference.task_id",
            f"{reference.task_id!r} does not match the task's id {task.task_id!r}",
        )
    if task.failed:
        raise KlingTaskFailed(task, reference)
    if not task.succeeded and not (task.videos or task.images or task.audios):
        raise KlingError(
            f"Kling task {task.task_id} ({reference.endpoint}) is {task.status}: "
            "there is nothing to save yet; wait for it to succeed first."
        )


def _image_indexes(task: KlingTask) -> list[int]:
    indexes = [image.index for image in task.images]
    # Kling numbers images; when it does not (or twice the same), their order does.
    return indexes if len(set(indexes)) == len(indexes) else list(range(len(indexes)))


def _wanted_files(task: KlingTask, *, watermark: bool) -> list[_Wanted]:
    wanted = []
    for index, video in enumerate(task.videos):
        links = [(video.url, False), (video.watermark_url if watermark else None, True)]
        wanted += [
            _Wanted("video", index, url, mark, video_id=video.id, duration=video.duration)
            for url, mark in links
            if url
        ]
    for index, image in zip(_image_indexes(task), task.images, strict=True):
        links = [(image.url, False), (image.watermark_url if watermark else None, True)]
        wanted += [_Wanted("image", index, url, mark) for url, mark in links if url]
    for index, audio in enumerate(task.audios):
        durations = {"mp3": audio.duration_mp3 or audio.duration, "wav": audio.duration_wav}
        wanted += [
            _Wanted(kind, index, url, audio_id=audio.id, duration=durations[kind])
            for kind, url in audio.links
        ]
    return wanted


# --- saving ----------------------------------------------------------------------------------


def _size_text(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size} bytes"


@dataclass
class _Saver:
    """Saves the files of one task into one destination, keeping its manifest up to date."""

    destination: Destination
    reference: TaskReference
    manifest: Manifest
    client: httpx.Client
    retry_policy: RetryPolicy
    sleep: Callable[[float], None]

    def save(self, item: _Wanted) -> SavedFile:
        known = self.manifest.find(item.slot)
        if known is not None and self.destination.holds(known.name, known.bytes, known.sha256):
            logger.info(
                "Already saved %s (%s, sha256 %s...), not downloaded again",
                known.name,
                _size_text(known.bytes),
                known.sha256[:12],
            )
            return self._saved(known, item)
        entry = self._download(item)
        self.manifest.record(entry)
        write_manifest(self.destination, self.reference, self.manifest)
        logger.info(
            "Saved %s (%s, sha256 %s...)", entry.name, _size_text(entry.bytes), entry.sha256[:12]
        )
        return self._saved(entry, item)

    def mark_complete(self, task: KlingTask, *, watermarks: bool) -> None:
        """Record that every wanted file is saved (once: a rerun rewrites nothing)."""
        if not self.manifest.files or self.manifest.holds_all(watermarks=watermarks):
            return
        self.manifest.complete, self.manifest.watermarks = True, watermarks
        self.manifest.units = task.units
        write_manifest(self.destination, self.reference, self.manifest)

    def _download(self, item: _Wanted) -> ManifestEntry:
        def name_for(content_type: str | None) -> str:
            suffix = suffix_for(content_type, item.kind)
            return result_file_name(
                self.reference, item.kind, item.index, watermark=item.watermark, suffix=suffix
            )

        stem = file_stem(self.reference, item.index, watermark=item.watermark)
        fetched = fetch(
            self.client,
            item.url,
            self.destination,
            name_for,
            label=f"{stem} (task {self.reference.task_id})",
            retry_policy=self.retry_policy,
            sleep=self.sleep,
        )
        return ManifestEntry(
            name=fetched.name,
            location=self.destination.location(fetched.name),
            bytes=fetched.size,
            sha256=fetched.sha256,
            url=item.url,
            kind=item.kind,
            index=item.index,
            watermark=item.watermark,
            video_id=item.video_id,
            duration=item.duration,
            audio_id=item.audio_id,
        )

    def _saved(self, entry: ManifestEntry, item: _Wanted) -> SavedFile:
        facts = entry.model_dump(exclude={"name", "location"})
        facts.update(video_id=item.video_id, duration=item.duration, audio_id=item.audio_id)
        return SavedFile(path=self.destination.location(entry.name), **facts)


def save_task_results(
    task: KlingTask,
    reference: TaskReference,
    destination: DestinationLike = "kling-output",
    *,
    watermark: bool = False,
    http: httpx.Client | None = None,
    retry_policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> list[SavedFile]:
    """Save every video, image and audio of a finished task, durably; reruns download nothing twice.

    Files are named `<endpoint>-<task_id>-<index>[-watermark].<ext>` (the extension from the
    response's Content-Type, else `.mp4` for videos and `.png` for images; an audio track's
    two files are `.mp3` and `.wav`, in that order) and streamed to a
    temporary file, checked and hashed, then renamed into place: no half file ever carries a
    final name. A manifest `<endpoint>-<task_id>.json` next to them records name, size,
    SHA-256 and link of each file, and is rewritten atomically after each one; a rerun
    re-hashes a recorded file and skips it when size and checksum still match (it is
    downloaded again otherwise), so saving twice costs no transfer, and a crash halfway
    loses only the file in flight.

    With a Prefect filesystem block as destination, each file is first streamed into a local
    temporary file, then handed over with `block.write_path(name, data)`; that call takes
    bytes, so the file is held in memory once (and read back whole when a rerun verifies
    it). A local folder never holds a file in memory.

    Args:
        task: The task, as the query reported it once it succeeded.
        reference: The task's reference (its endpoint and id name the files).
        destination: A local folder (created when missing), a `WritableFileSystem`
            block such as `LocalFileSystem` or `RemoteFileSystem`, or a `Destination`
            of your own.
        watermark: Also save the watermarked variants, where Kling made them.
        http: The client for the downloads. By default a plain one is made, and closed
            afterwards; result links are public, so never pass one that carries Kling
            credentials.
        retry_policy: Attempts and backoff after a broken transfer (default: `RetryPolicy()`).
        sleep: Waits between attempts (injected in tests).
        chunk_size: Bytes written to disk at a time, and read at a time when a rerun
            re-hashes a saved file (folder and block destinations). Memory use stays near
            it whatever the size of the files.

    Returns:
        One `SavedFile` a file: videos first, then images, each followed by its watermarked
        variant when asked for, then each audio track's MP3 and WAV.

    Raises:
        KlingTaskFailed: The task failed; it has no files.
        KlingError: The task has no files yet (not finished), or a link answered 403, 404
            or 410 (most likely expired: Kling keeps results for 30 days).
        KlingTransportError: Every attempt at a download broke.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> task = KlingTask.model_validate({"task_id": "8672", "task_status": "succeed",
        ...     "task_result": {"videos": [{"id": "v1", "url": "https://cdn.example/v.mp4"}]}})
        >>> ref = TaskReference(task_id="8672", endpoint="text2video", provider="kling")
        >>> cdn = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(
        ...     200, content=b"video", headers={"Content-Type": "video/mp4"})))
        >>> [saved] = save_task_results(task, ref, tempfile.mkdtemp(), http=cdn)
        >>> Path(saved.path).name, saved.bytes, saved.video_id
        ('text2video-8672-0.mp4', 5, 'v1')
    """
    _check_task(task, reference)
    wanted = _wanted_files(task, watermark=watermark)
    if not wanted:
        logger.warning("Kling task %s has no video, image or audio to save", task.task_id)
    store = open_destination(destination, chunk_size=chunk_size)
    client = http or plain_client()
    try:
        saver = _Saver(
            destination=store,
            reference=reference,
            manifest=load_manifest(store, reference),
            client=client,
            retry_policy=retry_policy or RetryPolicy(),
            sleep=sleep,
        )
        saved = [saver.save(item) for item in wanted]
        saver.mark_complete(task, watermarks=watermark)
        return saved
    finally:
        if http is None:
            client.close()


class EarlierSave(NamedTuple):
    """A task's files found saved by an earlier run, and what Kling charged for it."""

    files: list[SavedFile]
    units: float | None


_KIND_ORDER = {"video": 0, "image": 1}


def find_earlier_save(
    reference: TaskReference,
    destination: DestinationLike,
    *,
    watermark: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> EarlierSave | None:
    """The task's files, when an earlier run saved every one of them and they are intact.

    Reads the task's manifest in the destination and re-hashes each file it lists, asking
    Kling nothing: a rerun on any machine that reaches the destination (a shared bucket)
    learns from it alone that the task is done.

    Args:
        reference: The task.
        destination: Where its files were saved (as for `save_task_results`).
        watermark: Whether the watermarked variants are wanted too.
        chunk_size: Bytes read at a time when re-hashing a file in a folder.

    Returns:
        The files (in the order `save_task_results` returns them) and the units charged,
        or None when the manifest does not say every file was saved, or a file is missing
        or changed.

    Examples:
        >>> import tempfile
        >>> task = KlingTask.model_validate({"task_id": "8672", "task_status": "succeed",
        ...     "task_result": {"videos": [{"id": "v1", "url": "https://cdn.example/v.mp4"}]}})
        >>> ref = TaskReference(task_id="8672", endpoint="text2video", provider="kling")
        >>> cdn = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(
        ...     200, content=b"video", headers={"Content-Type": "video/mp4"})))
        >>> folder = tempfile.mkdtemp()
        >>> find_earlier_save(ref, folder) is None
        True
        >>> _ = save_task_results(task, ref, folder, http=cdn)
        >>> [saved.video_id for saved in find_earlier_save(ref, folder).files]
        ['v1']
    """
    store = open_destination(destination, chunk_size=chunk_size)
    manifest = load_manifest(store, reference)
    if not manifest.holds_all(watermarks=watermark):
        return None
    entries = [entry for entry in manifest.files if watermark or not entry.watermark]
    if not all(store.holds(entry.name, entry.bytes, entry.sha256) for entry in entries):
        return None
    entries.sort(key=lambda entry: (_KIND_ORDER[entry.kind], entry.index, entry.watermark))
    files = [
        SavedFile(path=store.location(entry.name), **entry.model_dump(exclude={"name", "location"}))
        for entry in entries
    ]
    return EarlierSave(files=files, units=manifest.units)
