"""Durable downloads of a finished task's files: streamed, atomic, checksummed, rerun for free.

Kling deletes generated files after 30 days (some gateways after 24 hours), so results are
saved as soon as a task succeeds, and a broken transfer never leaves a half file that looks
complete:

- each file is streamed in chunks (memory does not grow with its size) into a temporary
  `.<name>.<random>.part` file in the destination folder, fsync'd, checked against the
  `Content-Length` the server announced, hashed with SHA-256 on the way (in a thread of its
  own, beside the reads), and only then renamed onto its final name (`os.replace`, atomic);
- a broken transfer (dropped connection, timeout, short body, 5xx) is retried from scratch
  with backoff; a 403, 404 or 410 is final: the link has most likely expired;
- file names come from the endpoint, the task id and the index, never from the link, e.g.
  `text2video-867283741759111202-0.mp4` or `text2video-867283741759111202-0-watermark.mp4`;
- a manifest `<endpoint>-<task_id>.json` written (atomically) next to the files records
  what was saved, so a rerun that finds a file with its recorded size and checksum does not
  download it again:

```json
{
  "version": 1,
  "task_id": "867283741759111202",
  "endpoint": "text2video",
  "files": [
    {"name": "text2video-867283741759111202-0.mp4", "bytes": 5242880, "sha256": "9f86d0...",
     "url": "https://cdn.klingai.com/...", "kind": "video", "index": 0, "watermark": false,
     "video_id": "v1", "duration": "5.1"}
  ]
}
```

Result links are public CDN links: they are fetched with a plain `httpx.Client`, never with
the client that carries Kling credentials.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import os
import random
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
from prefect.filesystems import WritableFileSystem
from pydantic import BaseModel, Field, ValidationError

from prefect_kling._digest import BackgroundSha256
from prefect_kling._logging import RunAwareLogger
from prefect_kling._retry import RetryPolicy, parse_retry_after
from prefect_kling._tls import shared_ssl_context
from prefect_kling.exceptions import (
    KlingDownloadError,
    KlingError,
    KlingResultExpired,
    KlingTaskFailed,
    KlingTransportError,
    KlingValidationError,
)
from prefect_kling.models.tasks import KlingTask, TaskReference

logger = RunAwareLogger(__name__)

Kind = Literal["video", "image"]
"""What a result file is."""

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=15.0)
"""Timeout of the client made when none is given (each read, not the whole download)."""

MANIFEST_VERSION = 1
"""Version of the manifest format."""

_SUFFIXES = {
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
}
_DEFAULT_SUFFIXES: dict[str, str] = {"video": ".mp4", "image": ".png"}
_EXPIRED_STATUSES = frozenset({403, 404, 410})
_RETRY_STATUSES = frozenset({408, 425, 429})
_UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]+")
_SUFFIX_PATTERN = re.compile(r"\.[A-Za-z0-9]{1,10}")


class _FileFacts(BaseModel):
    """What is known of one saved file, wherever it lives."""

    bytes: int = Field(description="Size of the file in bytes.")
    sha256: str = Field(description="SHA-256 of the file's content, in hex.")
    url: str = Field(description="The link the file was downloaded from.")
    kind: Kind = Field(description="Whether the file is a video or an image.")
    index: int = Field(description="Position of the file among the task's videos or images.")
    watermark: bool = Field(default=False, description="Whether this is the watermarked variant.")
    video_id: str | None = Field(
        default=None, description="Kling's id of the video, for the next step (e.g. extend)."
    )
    duration: str | None = Field(
        default=None, description="Length of the video in seconds, as Kling sent it."
    )


class SavedFile(_FileFacts):
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


class _ManifestEntry(_FileFacts):
    name: str = Field(description="File name, relative to the manifest's folder.")

    @property
    def slot(self) -> tuple[str, int, bool]:
        return (self.kind, self.index, self.watermark)


class _Manifest(BaseModel):
    version: int = Field(default=MANIFEST_VERSION, description="Manifest format version.")
    task_id: str = Field(description="Kling's task id.")
    endpoint: str = Field(description="Endpoint that made the task.")
    files: list[_ManifestEntry] = Field(default_factory=list, description="Saved files.")

    def find(self, slot: tuple[str, int, bool]) -> _ManifestEntry | None:
        return next((entry for entry in self.files if entry.slot == slot), None)

    def record(self, entry: _ManifestEntry) -> None:
        self.files = [known for known in self.files if known.slot != entry.slot] + [entry]


@dataclass(frozen=True)
class _Wanted:
    """One file to save."""

    kind: Kind
    index: int
    url: str
    watermark: bool = False
    video_id: str | None = None
    duration: str | None = None

    @property
    def slot(self) -> tuple[str, int, bool]:
        return (self.kind, self.index, self.watermark)


@dataclass(frozen=True)
class _Fetched:
    """A downloaded file, still under its temporary name."""

    temp: Path
    size: int
    sha256: str
    content_type: str | None


# --- names -----------------------------------------------------------------------------------


def _safe(text: str) -> str:
    return _UNSAFE_CHARACTERS.sub("-", text).strip(".-") or "task"


def _task_prefix(reference: TaskReference) -> str:
    return f"{_safe(reference.endpoint)}-{_safe(reference.task_id)}"


def _manifest_name(reference: TaskReference) -> str:
    return f"{_task_prefix(reference)}.json"


def _stem(reference: TaskReference, index: int, watermark: bool) -> str:
    mark = "-watermark" if watermark else ""
    return f"{_task_prefix(reference)}-{index}{mark}"


def result_file_name(
    reference: TaskReference,
    kind: Kind,
    index: int,
    *,
    watermark: bool = False,
    suffix: str,
) -> str:
    """Name a task's result file after the endpoint, the task id and the index.

    The remote link plays no part, so a link cannot choose where a file lands.

    Args:
        reference: The task.
        kind: `"video"` or `"image"`.
        index: Position of the file among the task's videos or images.
        watermark: Whether the file is the watermarked variant.
        suffix: File extension with its dot, e.g. `.mp4`.

    Returns:
        A plain file name, without any folder.

    Raises:
        ValueError: The kind, index or suffix is not valid.

    Examples:
        >>> ref = TaskReference(task_id="8672", endpoint="text2video", provider="kling")
        >>> result_file_name(ref, "video", 0, watermark=True, suffix=".mp4")
        'text2video-8672-0-watermark.mp4'
    """
    if kind not in _DEFAULT_SUFFIXES:
        raise ValueError(f"kind must be 'video' or 'image', not {kind!r}")
    if index < 0:
        raise ValueError(f"index must be 0 or more, not {index}")
    if not _SUFFIX_PATTERN.fullmatch(suffix):
        raise ValueError(f"suffix must look like '.mp4', not {suffix!r}")
    return f"{_stem(reference, index, watermark)}{suffix.lower()}"


def _suffix_for(content_type: str | None, kind: Kind) -> str:
    """The suffix a Content-Type calls for, or the kind's usual one when it is not known."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return _SUFFIXES.get(media_type, _DEFAULT_SUFFIXES[kind])


# --- one download ----------------------------------------------------------------------------


def _display_url(url: str) -> str:
    # Signed CDN links carry their signature in the query; logs and errors do not need it.
    return url.split("?", 1)[0]


def _expired_error(status: int, url: str, label: str) -> KlingResultExpired:
    return KlingResultExpired(
        f"Could not download {label}: HTTP {status} from {_display_url(url)}. The link may have "
        "expired (Kling keeps results for 30 days, some gateways only 24 hours) or never "
        "existed; query the task again for fresh links.",
        url=_display_url(url),
    )


def _check_status(response: httpx.Response, url: str, label: str) -> None:
    status = response.status_code
    if status == 200:
        return
    if status in _EXPIRED_STATUSES:
        raise _expired_error(status, url, label)
    message = f"Could not download {label}: HTTP {status} from {_display_url(url)}"
    if status >= 500 or status in _RETRY_STATUSES:
        error = KlingDownloadError(message)
        error.retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise error
    raise KlingError(message)


def _check_length(response: httpx.Response, written: int, url: str, label: str) -> None:
    announced = response.headers.get("content-length")
    if announced is None or not announced.isdigit():
        return
    # Content-Length counts the bytes on the wire, which differ from the bytes written
    # only when the server compressed the body despite `Accept-Encoding: identity`.
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    received = written if encoding == "identity" else response.num_bytes_downloaded
    if received != int(announced):
        raise KlingDownloadError(
            f"Download of {label} from {_display_url(url)} was cut: received {received} bytes "
            f"of the {announced} announced"
        )


def _stream_into(
    out: Any, client: httpx.Client, url: str, *, label: str
) -> tuple[int, str, str | None]:
    """Stream one GET into an open file: (bytes written, sha256, content type)."""
    size = 0
    # auth=None: never send the client's credentials, if it has any, to a CDN.
    with (
        BackgroundSha256() as digest,
        client.stream("GET", url, headers={"Accept-Encoding": "identity"}, auth=None) as response,
    ):
        _check_status(response, url, label)
        # Pieces as the network delivers them: re-chunking with iter_bytes(n) copies every
        # byte once more and costs a fifth of the throughput; the file's buffer groups writes.
        for chunk in response.iter_bytes():
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
        _check_length(response, size, url, label)
        content_type = response.headers.get("content-type")
    out.flush()
    os.fsync(out.fileno())
    return size, digest.hexdigest(), content_type


def _part_path(folder: Path, stem: str) -> Path:
    # Not tempfile.mkstemp: its files are private (0600) and would stay so once renamed.
    return folder / f".{stem}.{secrets.token_hex(4)}.part"


def _fetch_once(
    client: httpx.Client, url: str, folder: Path, *, stem: str, chunk_size: int, label: str
) -> _Fetched:
    """Download once into a temporary file in `folder`; the file is removed on any failure."""
    temp = _part_path(folder, stem)
    try:
        with temp.open("xb", buffering=chunk_size) as out:
            size, sha256, content_type = _stream_into(out, client, url, label=label)
    except httpx.UnsupportedProtocol as error:
        temp.unlink(missing_ok=True)
        raise KlingError(f"Cannot download {label} from {_display_url(url)}: {error}") from error
    except (httpx.TransportError, httpx.DecodingError) as error:
        temp.unlink(missing_ok=True)
        raise KlingDownloadError(
            f"Download of {label} from {_display_url(url)} broke: {type(error).__name__}: {error}"
        ) from error
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return _Fetched(temp, size, sha256, content_type)


def _fetch(
    client: httpx.Client,
    url: str,
    folder: Path,
    *,
    stem: str,
    chunk_size: int,
    retry_policy: RetryPolicy,
    sleep: Callable[[float], None],
    label: str,
) -> _Fetched:
    """Download with retries from scratch after broken transfers."""
    rng = random.Random()  # noqa: S311 - jitter, not security
    attempt = 0
    while True:
        attempt += 1
        try:
            return _fetch_once(client, url, folder, stem=stem, chunk_size=chunk_size, label=label)
        except KlingTransportError as error:
            if not retry_policy.should_retry(error, attempt):
                tries = f"{attempt} attempt" + ("s" if attempt > 1 else "")
                raise KlingDownloadError(f"{error} (gave up after {tries})") from error
            wait = retry_policy.delay(error, attempt, rng)
            logger.warning("%s; retrying in %.1f s (attempt %d)", error, wait, attempt + 1)
            sleep(wait)


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; not possible on every platform, hence best effort.
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _move_into_place(temp: Path, target: Path) -> None:
    try:
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def download_file(
    client: httpx.Client,
    url: str,
    target: Path,
    *,
    chunk_size: int = 1 << 20,
    retry_policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, str]:
    """Download one link to `target` atomically: all of it under the final name, or nothing.

    The body is streamed in chunks into a temporary file next to `target`, fsync'd, checked
    against `Content-Length` and hashed on the way, then renamed onto `target`. Broken
    transfers (dropped connection, timeout, short body, 5xx, 429) start again from scratch
    after a backoff; the temporary file is removed whatever happens.

    Args:
        client: The client to send the GET with (a plain one: result links are public).
        url: The link.
        target: The final path; its folder is created when missing.
        chunk_size: Size of the write buffer: bytes written to disk at a time.
        retry_policy: Attempts and backoff (default: `RetryPolicy()`).
        sleep: Waits between attempts (injected in tests).

    Returns:
        The size in bytes and the SHA-256 (hex) of the file.

    Raises:
        KlingError: The link answered 403, 404 or 410 (most likely expired) or another
            final error.
        KlingTransportError: Every attempt broke.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fetched = _fetch(
        client,
        url,
        target.parent,
        stem=target.name,
        chunk_size=chunk_size,
        retry_policy=retry_policy or RetryPolicy(),
        sleep=sleep,
        label=target.name,
    )
    _move_into_place(fetched.temp, target)
    return fetched.size, fetched.sha256


# --- where files go --------------------------------------------------------------------------


def _hash_file(path: Path, chunk_size: int) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        while chunk := source.read(chunk_size):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _write_atomically(target: Path, data: bytes) -> None:
    temp = _part_path(target.parent, target.name)
    try:
        with temp.open("xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _move_into_place(temp, target)


class _Folder:
    """A local folder: files land there directly, atomically."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        yield self.folder

    def commit(self, temp: Path, name: str) -> str:
        target = self.folder / name
        _move_into_place(temp, target)
        return str(target)

    def holds(self, entry: _ManifestEntry, chunk_size: int) -> bool:
        path = self.folder / entry.name
        if not path.is_file() or path.stat().st_size != entry.bytes:
            return False
        return _hash_file(path, chunk_size) == (entry.bytes, entry.sha256)

    def location(self, name: str) -> str:
        return str(self.folder / name)

    def read(self, name: str) -> bytes | None:
        path = self.folder / name
        return path.read_bytes() if path.is_file() else None

    def write(self, name: str, data: bytes) -> None:
        _write_atomically(self.folder / name, data)


def _call_block(method: Callable[..., Any], *args: Any) -> Any:
    # Prefect's block methods run async when called from async code unless told `_sync=True`;
    # third-party blocks may be plain sync or plain async methods.
    result = method(*args, _sync=True) if hasattr(method, "aio") else method(*args)
    if inspect.isawaitable(result):
        from prefect.utilities.asyncutils import run_coro_as_sync

        result = run_coro_as_sync(result)
    return result


class _Block:
    """A Prefect filesystem block: files are staged locally, then handed over whole."""

    def __init__(self, block: WritableFileSystem):
        self.block = block

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="prefect-kling-") as folder:
            yield Path(folder)

    def commit(self, temp: Path, name: str) -> str:
        # `write_path` takes bytes, so the file is in memory once, here.
        try:
            _call_block(self.block.write_path, name, temp.read_bytes())
        finally:
            temp.unlink(missing_ok=True)
        return name

    def holds(self, entry: _ManifestEntry, chunk_size: int) -> bool:
        data = self.read(entry.name)
        return data is not None and (len(data), hashlib.sha256(data).hexdigest()) == (
            entry.bytes,
            entry.sha256,
        )

    def location(self, name: str) -> str:
        return name

    def read(self, name: str) -> bytes | None:
        try:
            return _call_block(self.block.read_path, name)
        except Exception:  # blocks signal a missing file differently (ValueError, OSError, ...)
            return None

    def write(self, name: str, data: bytes) -> None:
        _call_block(self.block.write_path, name, data)


def _open_destination(destination: str | os.PathLike[str] | WritableFileSystem) -> _Folder | _Block:
    if isinstance(destination, WritableFileSystem):
        return _Block(destination)
    if isinstance(destination, str | os.PathLike):
        return _Folder(Path(destination).expanduser())
    raise TypeError(
        "destination must be a folder path or a Prefect WritableFileSystem block, "
        f"not {type(destination).__name__}"
    )


def _load_manifest(store: _Folder | _Block, reference: TaskReference) -> _Manifest:
    fresh = _Manifest(task_id=reference.task_id, endpoint=reference.endpoint)
    data = store.read(_manifest_name(reference))
    if data is None:
        return fresh
    try:
        manifest = _Manifest.model_validate_json(data)
    except ValidationError:
        logger.warning("Ignoring unreadable manifest %s", _manifest_name(reference))
        return fresh
    return manifest if manifest.task_id == reference.task_id else fresh


# --- what to save ----------------------------------------------------------------------------


def _check_task(task: KlingTask, reference: TaskReference) -> None:
    if task.task_id != reference.task_id:
        raise KlingValidationError.single(
            "reference.task_id",
            f"{reference.task_id!r} does not match the task's id {task.task_id!r}",
        )
    if task.failed:
        raise KlingTaskFailed(task, reference)
    if not task.succeeded and not (task.videos or task.images):
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
    return wanted


# --- saving ----------------------------------------------------------------------------------


def _size_text(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size} bytes"


@dataclass
class _Saver:
    """Saves the files of one task into one destination, keeping its manifest up to date."""

    store: _Folder | _Block
    staging: Path
    reference: TaskReference
    manifest: _Manifest
    client: httpx.Client
    retry_policy: RetryPolicy
    sleep: Callable[[float], None]
    chunk_size: int

    def save(self, item: _Wanted) -> SavedFile:
        known = self.manifest.find(item.slot)
        if known is not None and self.store.holds(known, self.chunk_size):
            logger.info(
                "Already saved %s (%s, sha256 %s...), not downloaded again",
                known.name,
                _size_text(known.bytes),
                known.sha256[:12],
            )
            return self._saved(known, item)
        entry = self._download(item)
        self.manifest.record(entry)
        self.store.write(
            _manifest_name(self.reference), self.manifest.model_dump_json(indent=2).encode()
        )
        logger.info(
            "Saved %s (%s, sha256 %s...)", entry.name, _size_text(entry.bytes), entry.sha256[:12]
        )
        return self._saved(entry, item)

    def _download(self, item: _Wanted) -> _ManifestEntry:
        stem = _stem(self.reference, item.index, item.watermark)
        fetched = _fetch(
            self.client,
            item.url,
            self.staging,
            stem=stem,
            chunk_size=self.chunk_size,
            retry_policy=self.retry_policy,
            sleep=self.sleep,
            label=f"{stem} (task {self.reference.task_id})",
        )
        suffix = _suffix_for(fetched.content_type, item.kind)
        name = result_file_name(
            self.reference, item.kind, item.index, watermark=item.watermark, suffix=suffix
        )
        self.store.commit(fetched.temp, name)
        return _ManifestEntry(
            name=name,
            bytes=fetched.size,
            sha256=fetched.sha256,
            url=item.url,
            kind=item.kind,
            index=item.index,
            watermark=item.watermark,
            video_id=item.video_id,
            duration=item.duration,
        )

    def _saved(self, entry: _ManifestEntry, item: _Wanted) -> SavedFile:
        facts = entry.model_dump(exclude={"name"})
        facts.update(video_id=item.video_id, duration=item.duration)
        return SavedFile(path=self.store.location(entry.name), **facts)


def save_task_results(
    task: KlingTask,
    reference: TaskReference,
    destination: str | os.PathLike[str] | WritableFileSystem = "kling-output",
    *,
    watermark: bool = False,
    http: httpx.Client | None = None,
    retry_policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    chunk_size: int = 1 << 20,
) -> list[SavedFile]:
    """Save every video and image of a finished task, durably; reruns download nothing twice.

    Files are named `<endpoint>-<task_id>-<index>[-watermark].<ext>` (the extension from the
    response's Content-Type, else `.mp4` for videos and `.png` for images) and streamed to a
    temporary file, checked and hashed, then renamed into place: no half file ever carries a
    final name. A manifest `<endpoint>-<task_id>.json` next to them records name, size,
    SHA-256 and link of each file, and is rewritten atomically after each one; a rerun
    re-hashes a recorded file and skips it when size and checksum still match (it is
    downloaded again otherwise), so saving twice costs no transfer, and a crash halfway
    loses only the file in flight.

    With a Prefect filesystem block as destination, each file is first streamed into a local
    temporary folder, then handed over with `block.write_path(name, data)`; that call takes
    bytes, so the file is held in memory once (and read back whole when a rerun verifies
    it). A local folder never holds a file in memory.

    Args:
        task: The task, as the query reported it once it succeeded.
        reference: The task's reference (its endpoint and id name the files).
        destination: A local folder (created when missing) or a `WritableFileSystem`
            block such as `LocalFileSystem` or `RemoteFileSystem`.
        watermark: Also save the watermarked variants, where Kling made them.
        http: The client for the downloads. By default a plain one is made, and closed
            afterwards; result links are public, so never pass one that carries Kling
            credentials.
        retry_policy: Attempts and backoff after a broken transfer (default: `RetryPolicy()`).
        sleep: Waits between attempts (injected in tests).
        chunk_size: Bytes written to disk at a time, and read at a time when a rerun
            re-hashes a saved file. Memory use stays near it whatever the size of the files.

    Returns:
        One `SavedFile` a file: videos first, then images, each followed by its watermarked
        variant when asked for.

    Raises:
        KlingTaskFailed: The task failed; it has no files.
        KlingError: The task has no files yet (not finished), or a link answered 403, 404
            or 410 (most likely expired: Kling keeps results for 30 days).
        KlingTransportError: Every attempt at a download broke.

    Examples:
        >>> import tempfile
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
        logger.warning("Kling task %s has no video or image to save", task.task_id)
    store = _open_destination(destination)
    client = http or httpx.Client(
        follow_redirects=True, timeout=DEFAULT_TIMEOUT, verify=shared_ssl_context()
    )
    try:
        with store.staging() as staging:
            saver = _Saver(
                store=store,
                staging=staging,
                reference=reference,
                manifest=_load_manifest(store, reference),
                client=client,
                retry_policy=retry_policy or RetryPolicy(),
                sleep=sleep,
                chunk_size=chunk_size,
            )
            return [saver.save(item) for item in wanted]
    finally:
        if http is None:
            client.close()
