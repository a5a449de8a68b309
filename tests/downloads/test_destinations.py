"""Destinations: a local folder, a Prefect filesystem block, or one of your own."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from prefect.filesystems import LocalFileSystem

from prefect_kling.downloads import (
    Destination,
    FolderDestination,
    PendingFile,
    StagedFile,
    open_destination,
)
from tests.downloads.cdn import (
    MANIFEST,
    TASK_ID,
    VIDEO_URL,
    VIDEO_WM_URL,
    names,
    payload,
    sha,
    short_body,
    video_task,
)


def test_saved_files_get_the_usual_permissions(cdn, save, tmp_path):
    cdn.serve(VIDEO_URL, payload(100, 24), "video/mp4")
    umask = os.umask(0)
    os.umask(umask)

    [saved] = save(video_task(), tmp_path)

    assert stat.S_IMODE(Path(saved.path).stat().st_mode) == 0o666 & ~umask


def test_local_filesystem_block_destination(cdn, save, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(30_000, 19), "video/mp4")
    block = LocalFileSystem(basepath=str(tmp_path / "block"))

    [saved] = save(video_task(), block)

    name = f"text2video-{TASK_ID}-0.mp4"
    assert saved.path == f"{tmp_path / 'block'}/{name}"  # where it is, not only its name
    assert block.read_path(name, _sync=True) == body
    assert block.read_path(saved.path, _sync=True) == body
    assert names(tmp_path / "block") == {name, MANIFEST}
    cdn.requests.clear()
    assert save(video_task(), block) == [saved]
    assert cdn.requests == []


async def test_block_destination_works_from_async_code(cdn, save, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(1000, 20), "video/mp4")
    block = LocalFileSystem(basepath=str(tmp_path))

    [saved] = save(video_task(), block)

    assert (tmp_path / saved.path).read_bytes() == body


def test_destination_of_another_type_is_refused(save):
    with pytest.raises(TypeError, match="WritableFileSystem"):
        save(video_task(), 42)


class Bucket:
    """A destination of the test's own: objects in a dict, shown as `memory://` URIs."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.staged: list[StagedFile] = []

    def new_file(self, name: str) -> PendingFile:
        staged = StagedFile(lambda data: self.write_bytes(name, data))
        self.staged.append(staged)
        return staged

    def holds(self, name: str, size: int, sha256: str) -> bool:
        data = self.objects.get(name)
        return data is not None and (len(data), hashlib.sha256(data).hexdigest()) == (
            size,
            sha256,
        )

    def read_bytes(self, name: str) -> bytes | None:
        return self.objects.get(name)

    def write_bytes(self, name: str, data: bytes) -> None:
        self.objects[name] = data

    def location(self, name: str) -> str:
        return f"memory://bucket/{name}"


def test_a_destination_of_ones_own_takes_files_manifest_and_reruns(cdn, save, sleeps):
    body = cdn.serve(VIDEO_URL, payload(20_000, 25), "video/mp4")
    marked = cdn.serve(VIDEO_WM_URL, payload(2_000, 26), "video/mp4")
    cdn.fail(VIDEO_URL, short_body)  # a broken first attempt leaves nothing in the bucket
    bucket = Bucket()
    assert isinstance(bucket, Destination) and open_destination(bucket) is bucket
    task = video_task(watermark_url=VIDEO_WM_URL)

    saved = save(task, bucket, watermark=True)

    assert [s.path for s in saved] == [
        f"memory://bucket/text2video-{TASK_ID}-0.mp4",
        f"memory://bucket/text2video-{TASK_ID}-0-watermark.mp4",
    ]
    assert bucket.objects[f"text2video-{TASK_ID}-0.mp4"] == body
    assert [s.sha256 for s in saved] == [sha(body), sha(marked)]
    assert set(bucket.objects) == {
        f"text2video-{TASK_ID}-0.mp4",
        f"text2video-{TASK_ID}-0-watermark.mp4",
        MANIFEST,
    }
    assert sleeps == [1.0] and len(bucket.staged) == 3
    assert all(staged._staged.closed for staged in bucket.staged)
    cdn.requests.clear()
    assert save(task, bucket, watermark=True) == saved
    assert cdn.requests == []


def test_a_folder_destination_shows_nothing_before_the_commit(tmp_path):
    folder = FolderDestination(tmp_path)
    pending = folder.new_file("clip.mp4")
    pending.write(b"half")
    assert not (tmp_path / "clip.mp4").exists()
    pending.discard()
    assert names(tmp_path) == set()

    folder.write_bytes("notes.json", b"{}")
    assert names(tmp_path) == {"notes.json"}
