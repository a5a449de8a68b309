"""The manifest records each saved file, so that a rerun downloads nothing twice."""

import json
from pathlib import Path

import pytest

from tests.downloads.cdn import (
    MANIFEST,
    TASK_ID,
    VIDEO_URL,
    VIDEO_WM_URL,
    payload,
    sha,
    video_task,
)


def test_rerun_with_the_manifest_downloads_nothing(cdn, save, tmp_path):
    cdn.serve(VIDEO_URL, payload(20_000, 14), "video/mp4")
    cdn.serve(VIDEO_WM_URL, payload(21_000, 15), "video/mp4")
    task = video_task(watermark_url=VIDEO_WM_URL)
    first = save(task, tmp_path, watermark=True)
    cdn.requests.clear()

    again = save(task, tmp_path, watermark=True)

    assert cdn.requests == []
    assert again == first


def test_manifest_records_each_file(cdn, save, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(2000, 16), "video/mp4")
    save(video_task(), tmp_path)

    manifest = json.loads((tmp_path / MANIFEST).read_text())

    assert manifest["version"] == 1 and manifest["task_id"] == TASK_ID
    assert manifest["endpoint"] == "text2video"
    assert manifest["files"] == [
        {
            "name": f"text2video-{TASK_ID}-0.mp4",
            "location": str(tmp_path / f"text2video-{TASK_ID}-0.mp4"),
            "bytes": len(body),
            "sha256": sha(body),
            "url": VIDEO_URL,
            "kind": "video",
            "index": 0,
            "watermark": False,
            "video_id": "v-1",
            "duration": "5.1",
        }
    ]


@pytest.mark.parametrize("damage", ["same size", "truncated", "deleted"])
def test_a_damaged_file_is_downloaded_again(cdn, save, tmp_path, damage):
    body = cdn.serve(VIDEO_URL, payload(20_000, 17), "video/mp4")
    [saved] = save(video_task(), tmp_path)
    target = Path(saved.path)
    if damage == "same size":
        target.write_bytes(bytes(len(body)))
    elif damage == "truncated":
        target.write_bytes(body[:100])
    else:
        target.unlink()
    cdn.requests.clear()

    [again] = save(video_task(), tmp_path)

    assert len(cdn.requests) == 1
    assert target.read_bytes() == body and again == saved


def test_an_unreadable_manifest_means_downloading_again(cdn, save, tmp_path):
    cdn.serve(VIDEO_URL, payload(2000, 18), "video/mp4")
    save(video_task(), tmp_path)
    (tmp_path / MANIFEST).write_text("{not json")
    cdn.requests.clear()

    save(video_task(), tmp_path)

    assert len(cdn.requests) == 1
    assert json.loads((tmp_path / MANIFEST).read_text())["task_id"] == TASK_ID
