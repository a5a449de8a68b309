"""Where saved files go: the `Destination` protocol, a local folder and a Prefect block.

The saver (`save_task_results`) knows nothing of folders or blocks: it asks a `Destination`
for a new file, streams the bytes into it, and commits it once they are complete and
checked; it reads and writes the small manifest through the same object, and asks whether a
recorded file is still there before downloading it again. Any object with these five
methods is a destination:

- `new_file(name)`: a `PendingFile` that appears under `name` only when committed, whole;
- `holds(name, size, sha256)`: whether `name` is there with that size and checksum;
- `read_bytes(name)` / `write_bytes(name, data)`: a small file (the manifest), whole and
  atomically, `None` when it is missing;
- `location(name)`: what `SavedFile.path` shows for the file.

Two come with the package: `FolderDestination` (a local folder, written atomically in
place) and `BlockDestination` (a Prefect `WritableFileSystem` block, each file staged
locally and handed over whole). `open_destination` turns what a user gives (a path, a
block, or a destination) into one. `StagedFile` is the pending file of stores that take
whole files, the block's and those of your own destinations.

Examples:
    >>> import tempfile
    >>> folder = open_destination(tempfile.mkdtemp())
    >>> pending = folder.new_file("clip.mp4")
    >>> pending.write(b"video")
    >>> folder.holds("clip.mp4", 5, hashlib.sha256(b"video").hexdigest())
    False
    >>> pending.commit()
    >>> folder.holds("clip.mp4", 5, hashlib.sha256(b"video").hexdigest())
    True
"""

from __future__ import annotations

import hashlib
import inspect
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from prefect.filesystems import WritableFileSystem

DEFAULT_CHUNK_SIZE = 1 << 20
"""Bytes written to disk at a time, and read at a time when a saved file is re-hashed."""


class PendingFile(Protocol):
    """A file on its way into a destination; nothing shows under its name before `commit`."""

    def write(self, chunk: bytes) -> None:
        """Append the next piece of the file."""
        ...

    def commit(self) -> None:
        """Put the file, whole, under its name (replacing any file there)."""
        ...

    def discard(self) -> None:
        """Drop what was written; does nothing once the file is committed."""
        ...


@runtime_checkable
class Destination(Protocol):
    """Where `save_task_results` puts a task's files and their manifest.

    Names are plain file names (no folder), made by the saver from the endpoint, the task
    id and the index. A destination decides where they land and how they are shown.
    """

    def new_file(self, name: str) -> PendingFile:
        """Start writing the file `name`; it appears only when the pending file is committed."""
        ...

    def holds(self, name: str, size: int, sha256: str) -> bool:
        """Whether `name` is there with this size and SHA-256 (hex): then it is not fetched."""
        ...

    def read_bytes(self, name: str) -> bytes | None:
        """The whole content of a small file (the manifest), or `None` when it is missing."""
        ...

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write a small file (the manifest) whole: a reader sees the old one or the new one."""
        ...

    def location(self, name: str) -> str:
        """Where `name` is, as `SavedFile.path` shows it (a path, a key, a URI)."""
        ...


# --- a local folder ------------------------------------------------------------------------


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


class _PartFile:
    """A `.<name>.<random>.part` file beside its target, renamed onto the target on commit."""

    def __init__(self, target: Path, chunk_size: int):
        self._target = target
        # Not tempfile.mkstemp: its files are private (0600) and would stay so once renamed.
        self._temp = target.parent / f".{target.name}.{secrets.token_hex(4)}.part"
        self._out = self._temp.open("xb", buffering=chunk_size)
        self._committed = False

    def write(self, chunk: bytes) -> None:
        self._out.write(chunk)

    def commit(self) -> None:
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        os.replace(self._temp, self._target)
        self._committed = True
        _fsync_folder(self._target.parent)

    def discard(self) -> None:
        if not self._committed:
            self._out.close()
            self._temp.unlink(missing_ok=True)


def _hash_file(path: Path, chunk_size: int) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        while chunk := source.read(chunk_size):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


class FolderDestination:
    """A local folder: each file is written beside its name, then renamed onto it (atomic).

    A file is streamed into a temporary `.<name>.<random>.part` file in the folder, fsync'd,
    and renamed onto its name with `os.replace`; no half file ever carries a final name,
    and memory does not grow with the size of a file.

    Args:
        folder: The folder (created when missing; `~` is expanded).
        chunk_size: Bytes written to disk at a time, and read at a time when a saved file
            is re-hashed.

    Examples:
        >>> import tempfile
        >>> folder = FolderDestination(Path(tempfile.mkdtemp()) / "renders")
        >>> folder.write_bytes("notes.json", b"{}")
        >>> folder.read_bytes("notes.json"), folder.read_bytes("missing.json")
        (b'{}', None)
        >>> Path(folder.location("clip.mp4")).parts[-2:]
        ('renders', 'clip.mp4')
    """

    def __init__(self, folder: str | os.PathLike[str], *, chunk_size: int = DEFAULT_CHUNK_SIZE):
        # Absolute, so that what a run reports names the file wherever it is read.
        self.folder = Path(folder).expanduser().absolute()
        self.chunk_size = chunk_size
        self.folder.mkdir(parents=True, exist_ok=True)

    def new_file(self, name: str) -> PendingFile:
        """Start `name` as a `.part` file in the folder."""
        return _PartFile(self.folder / name, self.chunk_size)

    def holds(self, name: str, size: int, sha256: str) -> bool:
        """Whether the file is there with this size and checksum (re-hashed, chunk by chunk)."""
        path = self.folder / name
        if not path.is_file() or path.stat().st_size != size:
            return False
        return _hash_file(path, self.chunk_size) == (size, sha256)

    def read_bytes(self, name: str) -> bytes | None:
        """The file's content, or `None` when there is no such file."""
        path = self.folder / name
        return path.read_bytes() if path.is_file() else None

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write the file atomically (temporary file, fsync, rename)."""
        pending = self.new_file(name)
        try:
            pending.write(data)
            pending.commit()
        finally:
            pending.discard()

    def location(self, name: str) -> str:
        """The file's absolute path."""
        return str(self.folder / name)


# --- stores that take whole files: Prefect blocks, and your own --------------------------


class StagedFile:
    """A pending file staged in a local temporary file, handed over whole on commit.

    For destinations that take a file in one call (a Prefect block's `write_path`, an
    object store's `put`): the bytes are held in memory once, when handed over.

    Args:
        hand_over: Called with the whole content on commit.
        chunk_size: Bytes written to the temporary file at a time.

    Examples:
        >>> received = []
        >>> staged = StagedFile(received.append)
        >>> staged.write(b"vid")
        >>> staged.write(b"eo")
        >>> staged.commit()
        >>> received
        [b'video']
    """

    def __init__(self, hand_over: Callable[[bytes], Any], *, chunk_size: int = DEFAULT_CHUNK_SIZE):
        self._hand_over = hand_over
        # Outlives this call on purpose: commit or discard closes it (and so removes it).
        self._staged = tempfile.TemporaryFile(  # noqa: SIM115
            prefix="prefect-kling-", buffering=chunk_size
        )

    def write(self, chunk: bytes) -> None:
        """Append to the temporary file."""
        self._staged.write(chunk)

    def commit(self) -> None:
        """Read the temporary file back and hand its content over."""
        try:
            self._staged.seek(0)
            self._hand_over(self._staged.read())
        finally:
            self._staged.close()

    def discard(self) -> None:
        """Remove the temporary file (it is gone already once committed)."""
        self._staged.close()


def _call_block(method: Callable[..., Any], *args: Any) -> Any:
    # Prefect's block methods run async when called from async code unless told `_sync=True`;
    # third-party blocks may be plain sync or plain async methods.
    result = method(*args, _sync=True) if hasattr(method, "aio") else method(*args)
    if inspect.isawaitable(result):
        from prefect.utilities.asyncutils import run_coro_as_sync

        result = run_coro_as_sync(result)
    return result


class BlockDestination:
    """A Prefect `WritableFileSystem` block: files are staged locally, then handed over whole.

    `block.write_path(name, data)` takes bytes, so each file is held in memory once when
    handed over (and read back whole when a rerun checks it). Blocks called from async code
    are run to completion all the same.

    Args:
        block: A `LocalFileSystem`, `RemoteFileSystem`, an S3 or GCS bucket block, ...
        chunk_size: Bytes written to the local staging file at a time.

    Examples:
        >>> import tempfile
        >>> from prefect.filesystems import LocalFileSystem
        >>> basepath = tempfile.mkdtemp()
        >>> block = BlockDestination(LocalFileSystem(basepath=basepath))
        >>> block.write_bytes("notes.json", b"{}")
        >>> block.read_bytes("notes.json")
        b'{}'
        >>> block.location("notes.json") == f"{basepath}/notes.json"
        True
    """

    def __init__(self, block: WritableFileSystem, *, chunk_size: int = DEFAULT_CHUNK_SIZE):
        self.block = block
        self.chunk_size = chunk_size

    def new_file(self, name: str) -> PendingFile:
        """Stage `name` locally; the commit writes it to the block."""
        return StagedFile(lambda data: self.write_bytes(name, data), chunk_size=self.chunk_size)

    def holds(self, name: str, size: int, sha256: str) -> bool:
        """Whether the block has the file with this size and checksum (read back whole)."""
        data = self.read_bytes(name)
        return data is not None and (len(data), hashlib.sha256(data).hexdigest()) == (
            size,
            sha256,
        )

    def read_bytes(self, name: str) -> bytes | None:
        """The file's content, or `None` when the block cannot read it."""
        try:
            return _call_block(self.block.read_path, name)
        except Exception:  # blocks signal a missing file differently (ValueError, OSError, ...)
            return None

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write the file with `block.write_path`."""
        _call_block(self.block.write_path, name, data)

    def location(self, name: str) -> str:
        """Where the block puts the file: a bucket's URL, or its base path joined with the name.

        An S3 bucket block (prefect-aws `S3Bucket`: `bucket_name`, `bucket_folder`) gives
        `s3://bucket/folder/name`, a GCS one (prefect-gcp `GcsBucket`: `bucket`,
        `bucket_folder`) `gs://...`; a block with a `basepath` (a folder, or a URL such as
        `s3://...` for a `RemoteFileSystem`) that path joined with the name; any other block
        the name alone.

        Examples:
            >>> from types import SimpleNamespace
            >>> bucket = SimpleNamespace(bucket_name="media", bucket_folder="kling/")
            >>> BlockDestination(bucket).location("clip.mp4")
            's3://media/kling/clip.mp4'
        """
        base = _base_of(self.block)
        return f"{base}/{name}" if base else name


def _base_of(block: Any) -> str:
    """The URL or folder a block's files go under, as far as the block says."""
    for attribute, scheme in (("bucket_name", "s3"), ("bucket", "gs")):
        bucket = getattr(block, attribute, None)
        if isinstance(bucket, str) and bucket:
            folder = getattr(block, "bucket_folder", "") or ""
            return f"{scheme}://{bucket}/{folder.strip('/')}".rstrip("/")
    basepath = getattr(block, "basepath", None)
    return basepath.rstrip("/") if isinstance(basepath, str) else ""


DestinationLike = str | os.PathLike[str] | WritableFileSystem | Destination
"""What a user may give as a destination: a folder path, a block, or a `Destination`."""


def open_destination(
    destination: DestinationLike, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Destination:
    """The `Destination` for a folder path, a Prefect filesystem block, or a destination.

    Args:
        destination: A local folder (created when missing), a `WritableFileSystem` block,
            or any object of the `Destination` protocol (returned as it is).
        chunk_size: Buffer size of the folder and block destinations made here.

    Raises:
        TypeError: Anything else.

    Examples:
        >>> import tempfile
        >>> type(open_destination(tempfile.mkdtemp())).__name__
        'FolderDestination'
        >>> open_destination(42)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        TypeError: destination must be a folder path, ... or a Destination, not int
    """
    if isinstance(destination, Destination):
        return destination
    if isinstance(destination, WritableFileSystem):
        return BlockDestination(destination, chunk_size=chunk_size)
    if isinstance(destination, str | os.PathLike):
        return FolderDestination(destination, chunk_size=chunk_size)
    raise TypeError(
        "destination must be a folder path, a Prefect WritableFileSystem block or a "
        f"Destination, not {type(destination).__name__}"
    )
