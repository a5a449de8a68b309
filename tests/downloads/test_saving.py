"""save_task_results: which files of a task are saved, under which names, and what it says."""

import doctest
import logging
from pathlib import Path

import pytest

import prefect_kling.downloads
from prefect_kling.downloads import SavedFile, destinations, fetch, manifest, naming, saving
from prefect_kling.exceptions import KlingError, KlingTaskFailed
from prefect_kling.models.kling_task import KlingTask
from tests.downloads.cdn import (
    IMAGE_URLS,
    MANIFEST,
    TASK_ID,
    VIDEO_URL,
    VIDEO_WM_URL,
    image_task,
    names,
    payload,
    sha,
    video_task,
)


def test_video_saved_under_a_name_from_the_task_not_the_url(cdn, save, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(300_000, 1), "video/mp4")

    [saved] = save(video_task(), tmp_path / "out")

    target = tmp_path / "out" / f"text2video-{TASK_ID}-0.mp4"
    assert saved == SavedFile(
        path=str(target),
        bytes=len(body),
        sha256=sha(body),
        url=VIDEO_URL,
        kind="video",
        index=0,
        video_id="v-1",
        duration="5.1",
    )
    assert target.read_bytes() == body
    assert names(tmp_path / "out") == {target.name, MANIFEST}
    assert not (tmp_path / "x.exe").exists()


def test_images_take_their_suffix_from_the_content_type_else_png(cdn, save, tmp_path):
    webp = cdn.serve(IMAGE_URLS[0], payload(5000, 2), "image/webp; charset=binary")
    unknown = cdn.serve(IMAGE_URLS[1], payload(6000, 3), "application/octet-stream")

    saved = save(image_task(*IMAGE_URLS), tmp_path)

    assert [Path(s.path).name for s in saved] == [
        f"text2video-{TASK_ID}-0.webp",
        f"text2video-{TASK_ID}-1.png",
    ]
    assert [(s.kind, s.index, s.bytes, s.sha256) for s in saved] == [
        ("image", 0, len(webp), sha(webp)),
        ("image", 1, len(unknown), sha(unknown)),
    ]
    assert Path(saved[1].path).read_bytes() == unknown


def test_images_numbered_twice_alike_are_numbered_by_position(cdn, save, tmp_path):
    for url in IMAGE_URLS:
        cdn.serve(url, payload(100, 4), "image/png")

    saved = save(image_task(*IMAGE_URLS, index=[0, 0]), tmp_path)

    assert [s.index for s in saved] == [0, 1]


@pytest.mark.parametrize("watermark", [False, True])
def test_watermark_variants_only_when_asked(cdn, save, tmp_path, watermark):
    cdn.serve(VIDEO_URL, payload(1000, 5), "video/mp4")
    marked = cdn.serve(VIDEO_WM_URL, payload(1200, 6))

    saved = save(video_task(watermark_url=VIDEO_WM_URL), tmp_path, watermark=watermark)

    assert [s.watermark for s in saved] == ([False, True] if watermark else [False])
    assert len(cdn.requests) == len(saved)
    if watermark:
        assert Path(saved[1].path).name == f"text2video-{TASK_ID}-0-watermark.mp4"
        assert saved[1].sha256 == sha(marked) and saved[1].video_id == "v-1"


def test_watermark_asked_but_absent_saves_the_plain_file(cdn, save, tmp_path):
    cdn.serve(VIDEO_URL, payload(1000, 5), "video/mp4")

    assert [s.watermark for s in save(video_task(), tmp_path, watermark=True)] == [False]


# --- tasks that cannot be saved --------------------------------------------------------------


def test_failed_task_raises_without_requests(cdn, save, tmp_path):
    task = KlingTask(task_id=TASK_ID, task_status="failed", task_status_msg="content")

    with pytest.raises(KlingTaskFailed):
        save(task, tmp_path)
    assert cdn.requests == []


def test_running_task_has_nothing_to_save(cdn, save, tmp_path):
    with pytest.raises(KlingError, match="processing"):
        save(KlingTask(task_id=TASK_ID, task_status="processing"), tmp_path)
    assert cdn.requests == []


def test_reference_of_another_task_is_refused(save, tmp_path):
    with pytest.raises(ValueError, match="does not match"):
        save(KlingTask(task_id="1", task_status="succeed"), tmp_path)


# --- logs and docs ---------------------------------------------------------------------------


def test_one_log_line_per_saved_file(cdn, save, tmp_path, caplog):
    body = cdn.serve(VIDEO_URL, payload(300_000, 23), "video/mp4")
    caplog.set_level(logging.INFO, logger="prefect_kling.downloads")

    save(video_task(), tmp_path)

    lines = [r.getMessage() for r in caplog.records if r.name.startswith("prefect_kling.downloads")]
    assert lines == [f"Saved text2video-{TASK_ID}-0.mp4 (0.3 MB, sha256 {sha(body)[:12]}...)"]


@pytest.mark.parametrize(
    "module",
    [prefect_kling.downloads, naming, fetch, destinations, manifest, saving],
    ids=lambda module: module.__name__,
)
def test_docstring_examples_run(module):
    assert doctest.testmod(module).failed == 0
