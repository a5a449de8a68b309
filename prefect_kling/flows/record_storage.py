"""Where the create step's records are: a folder, an fsspec filesystem or an S3 bucket.

`storage_of` turns what a user names (nothing for Prefect's default result storage, a
folder, an fsspec URL such as `gs://bucket/folder`, a block slug such as
`s3-bucket/records`, or a block itself) into a place that lists its files with their sizes,
reads one and removes one: what the retention (`prefect_kling.flows.retention`) and the
records benchmark need, whatever the storage.

Examples:
    >>> import tempfile
    >>> place = storage_of(tempfile.mkdtemp())
    >>> list(place.entries())
    []
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from prefect_kling.exceptions import KlingValidationError

__all__ = ["RecordPlace", "storage_of"]


class RecordPlace(Protocol):
    """A place of records: lists, reads and removes its files by name."""

    name: str

    def entries(self) -> Iterator[tuple[str, int]]:
        """Every file's name (relative to the place) and size in bytes."""
        ...

    def read(self, name: str) -> bytes:
        """A file's content."""
        ...

    def remove(self, name: str) -> None:
        """Remove a file (gone already is fine)."""
        ...


@dataclass
class _Folder:
    """A local folder of records (a `LocalFileSystem` block's base path)."""

    path: Path

    @property
    def name(self) -> str:
        return str(self.path)

    def entries(self) -> Iterator[tuple[str, int]]:
        if not self.path.is_dir():  # the default storage before anything was written there
            return
        with os.scandir(self.path) as found:
            for entry in found:
                if entry.is_file(follow_symlinks=False):
                    yield entry.name, entry.stat(follow_symlinks=False).st_size

    def read(self, name: str) -> bytes:
        return (self.path / name).read_bytes()

    def remove(self, name: str) -> None:
        (self.path / name).unlink(missing_ok=True)


@dataclass
class _Remote:
    """A folder of an fsspec filesystem (a `RemoteFileSystem` block, or a URL)."""

    filesystem: Any
    path: str
    name: str

    def entries(self) -> Iterator[tuple[str, int]]:
        for entry in self.filesystem.ls(self.path, detail=True):
            if entry.get("type") == "file":
                yield entry["name"].rstrip("/").rsplit("/", 1)[-1], int(entry.get("size") or 0)

    def read(self, name: str) -> bytes:
        data: bytes = self.filesystem.cat_file(f"{self.path}/{name}")
        return data

    def remove(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):  # removed meanwhile
            self.filesystem.rm_file(f"{self.path}/{name}")


@dataclass
class _Bucket:
    """The folder of a prefect-aws `S3Bucket` block (the `s3` extra)."""

    block: Any

    @property
    def prefix(self) -> str:
        folder = str(self.block.bucket_folder or "").strip("/")
        return f"{folder}/" if folder else ""

    @property
    def name(self) -> str:
        return f"s3://{self.block.bucket_name}/{self.prefix}"

    def entries(self) -> Iterator[tuple[str, int]]:
        client = self.block.credentials.get_s3_client()
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=self.block.bucket_name, Prefix=self.prefix, Delimiter="/"
        )
        for page in pages:
            for found in page.get("Contents", []):
                yield found["Key"][len(self.prefix) :], int(found.get("Size") or 0)

    def read(self, name: str) -> bytes:
        data: bytes = self.block.read_path(name)
        return data

    def remove(self, name: str) -> None:
        client = self.block.credentials.get_s3_client()
        client.delete_object(Bucket=self.block.bucket_name, Key=self.prefix + name)


def _is_s3_bucket(storage: Any) -> bool:
    try:
        from prefect_aws.s3 import S3Bucket
    except ImportError:  # the `s3` extra is not installed: no S3Bucket block either
        return False
    return isinstance(storage, S3Bucket)


def storage_of(storage: Any = None) -> RecordPlace:
    """The records' place: a folder, or an fsspec filesystem's folder.

    Raises:
        KlingValidationError: Naming `storage`: no such folder or block, or a block whose
            files cannot be listed here.
    """
    from prefect.filesystems import LocalFileSystem, RemoteFileSystem

    if storage is None:
        storage = _default_storage()
        if isinstance(storage, LocalFileSystem):
            return _Folder(Path(storage.basepath or ".").expanduser())
    elif isinstance(storage, str | Path):
        storage = _storage_named(str(storage))
    if isinstance(storage, _Folder | _Remote | _Bucket):
        return storage
    if isinstance(storage, LocalFileSystem):
        folder = Path(storage.basepath or ".").expanduser()
        return _folder(folder)
    if isinstance(storage, RemoteFileSystem):
        from fsspec.core import url_to_fs

        filesystem, path = url_to_fs(storage.basepath, **(storage.settings or {}))
        return _Remote(filesystem, path.rstrip("/"), storage.basepath)
    if _is_s3_bucket(storage):
        return _Bucket(storage)
    raise KlingValidationError.single(
        "storage",
        f"a {type(storage).__name__} block cannot be listed here; allowed: a folder, a "
        "LocalFileSystem, RemoteFileSystem or S3Bucket block, or an fsspec URL with its "
        "folder (gs://bucket/folder)",
    )


def _storage_named(text: str) -> Any:
    """A folder, an fsspec URL (`scheme://...`) or a block slug (`type/name`)."""
    if "://" in text:
        from fsspec.core import url_to_fs

        try:
            filesystem, path = url_to_fs(text)
        except (ImportError, ValueError) as error:
            raise KlingValidationError.single(
                "storage", f"{text!r} cannot be opened ({error}); allowed: an fsspec URL"
            ) from None
        return _Remote(filesystem, path.rstrip("/"), text)
    folder = Path(text).expanduser()
    if folder.is_dir():
        return _folder(folder)
    looks_like_slug = text.count("/") == 1 and not text.startswith((".", "/", "~"))
    if looks_like_slug:
        from prefect.blocks.core import Block

        try:
            return Block.load(text, _sync=True)
        except (ValueError, KeyError) as error:
            raise KlingValidationError.single(
                "storage",
                f"no storage block {text!r} ({error}); allowed: a saved block's slug, "
                "a folder, or an fsspec URL",
            ) from None
    raise KlingValidationError.single(
        "storage",
        f"no folder {text!r}; allowed: an existing folder, a storage block's slug such as "
        "local-file-system/kling-cache, or an fsspec URL such as s3://bucket/folder",
    )


def _folder(path: Path) -> _Folder:
    if not path.is_dir():
        raise KlingValidationError.single(
            "storage", f"no folder {str(path)!r}; allowed: an existing folder"
        )
    return _Folder(path)


def _default_storage() -> Any:
    """Prefect's default result storage: what the flows use without a `result_storage`.

    Without a Prefect API or a default storage block, that is the local storage path; it
    is read directly then, rather than starting a temporary Prefect server to ask it.
    """
    from prefect.filesystems import LocalFileSystem
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.results.default_storage_block is None and settings.api.url is None:
        return LocalFileSystem(basepath=str(settings.results.local_storage_path))
    from prefect.results import get_default_result_storage

    return get_default_result_storage(_sync=True)  # type: ignore[call-arg]
