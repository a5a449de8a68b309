"""find_earlier_save: a task whose files an earlier run saved whole needs no word from Kling."""

from __future__ import annotations

import json
from pathlib import Path

from prefect.filesystems import LocalFileSystem

from prefect_kling.downloads import find_earlier_save
from tests.downloads.cdn import (
    IMAGE_URLS,
    MANIFEST,
    REF,
    TASK_ID,
    VIDEO_URL,
    VIDEO_WM_URL,
    image_task,
    payload,
    sha,
    video_task,
)


def test_a_complete_save_is_found_with_its_files_and_units(cdn, save, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(3000, 1), "video/mp4")
    saved = save(video_task(), tmp_path)

    earlier = find_earlier_save(REF, tmp_path)

    assert earlier is not None and earlier.files == saved
    assert earlier.units == video_task().units
    assert earlier.files[0].sha256 == sha(body)
    assert json.loads((tmp_path / MANIFEST).read_text())["complete"] is True


def test_a_save_cut_short_is_not_complete(cdn, save, tmp_path):
    for url in IMAGE_URLS:
        cdn.serve(url, payload(500, 2), "image/png")
    save(image_task(*IMAGE_URLS), tmp_path)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    # What a run killed between its two files leaves: the first recorded, no end mark.
    manifest.update(complete=False, files=manifest["files"][:1])
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))

    assert find_earlier_save(REF, tmp_path) is None


def test_a_missing_or_changed_file_makes_the_save_unknown(cdn, save, tmp_path):
    cdn.serve(VIDEO_URL, payload(3000, 3), "video/mp4")
    [saved] = save(video_task(), tmp_path)

    Path(saved.path).write_bytes(b"something else")
    assert find_earlier_save(REF, tmp_path) is None
    Path(saved.path).unlink()
    assert find_earlier_save(REF, tmp_path) is None


def test_watermarked_variants_asked_for_must_have_been_saved(cdn, save, tmp_path):
    cdn.serve(VIDEO_URL, payload(1000, 4), "video/mp4")
    cdn.serve(VIDEO_WM_URL, payload(1200, 5), "video/mp4")
    save(video_task(watermark_url=VIDEO_WM_URL), tmp_path)

    assert find_earlier_save(REF, tmp_path, watermark=True) is None
    save(video_task(watermark_url=VIDEO_WM_URL), tmp_path, watermark=True)
    with_variants = find_earlier_save(REF, tmp_path, watermark=True)
    plain = find_earlier_save(REF, tmp_path)

    assert with_variants is not None and [f.watermark for f in with_variants.files] == [
        False,
        True,
    ]
    assert plain is not None and [f.watermark for f in plain.files] == [False]


def test_a_rerun_of_the_save_rewrites_nothing(cdn, save, tmp_path):
    cdn.serve(VIDEO_URL, payload(1000, 6), "video/mp4")
    save(video_task(), tmp_path)
    written = (tmp_path / MANIFEST).stat().st_mtime_ns

    save(video_task(), tmp_path)

    assert (tmp_path / MANIFEST).stat().st_mtime_ns == written
    assert len(cdn.requests) == 1


def test_a_block_destination_names_its_files_by_location(cdn, save, tmp_path):
    cdn.serve(VIDEO_URL, payload(1000, 7), "video/mp4")
    block = LocalFileSystem(basepath=str(tmp_path / "shared"))
    save(video_task(), block)

    earlier = find_earlier_save(REF, block)

    assert earlier is not None
    assert [file.path for file in earlier.files] == [
        f"{tmp_path}/shared/text2video-{TASK_ID}-0.mp4"
    ]
