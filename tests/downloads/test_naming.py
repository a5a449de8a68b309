"""File names come from the task, never from the link."""

import pytest

from prefect_kling.downloads import result_file_name
from prefect_kling.models.kling_task import TaskReference
from tests.downloads.cdn import REF, TASK_ID


@pytest.mark.parametrize(
    ("kind", "watermark", "suffix", "expected"),
    [
        ("video", False, ".mp4", f"text2video-{TASK_ID}-0.mp4"),
        ("video", True, ".mp4", f"text2video-{TASK_ID}-0-watermark.mp4"),
        ("image", False, ".PNG", f"text2video-{TASK_ID}-0.png"),
    ],
)
def test_result_file_name(kind, watermark, suffix, expected):
    assert result_file_name(REF, kind, 0, watermark=watermark, suffix=suffix) == expected


@pytest.mark.parametrize("suffix", ["mp4", "./x", ".mp4/../../x", ""])
def test_result_file_name_refuses_bad_suffixes(suffix):
    with pytest.raises(ValueError, match="suffix"):
        result_file_name(REF, "video", 0, suffix=suffix)


def test_result_file_name_cannot_leave_the_folder():
    odd = TaskReference(task_id="../../etc/passwd", endpoint="a/b", provider="kling")
    name = result_file_name(odd, "image", 3, suffix=".png")
    assert "/" not in name and not name.startswith(".")
