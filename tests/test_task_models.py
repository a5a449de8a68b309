from datetime import UTC, datetime

import pytest

from prefect_kling.models.kling_task import KlingTask, TaskReference, TaskStatus, parse_timestamp


def test_unknown_fields_are_kept():
    task = KlingTask.model_validate(
        {"task_id": "1", "task_status": "submitted", "brand_new": {"x": 1}}
    )
    assert task.model_extra == {"brand_new": {"x": 1}}


@pytest.mark.parametrize("empty", [{}, None])
def test_empty_or_null_info_and_result_are_tolerated(empty):
    task = KlingTask.model_validate(
        {"task_id": "1", "task_status": "processing", "task_info": empty, "task_result": empty}
    )
    assert task.videos == [] and task.images == [] and task.external_task_id is None


def test_null_lists_inside_a_result_are_empty():
    task = KlingTask.model_validate(
        {"task_id": "1", "task_result": {"videos": None, "images": None}}
    )
    assert task.videos == [] and task.images == []


@pytest.mark.parametrize(
    "value", [1773380633979, 1773380633.979, "1773380633979", "2026-03-13T05:43:53.979+00:00"]
)
def test_millisecond_second_and_iso_timestamps(value):
    assert parse_timestamp(value) == datetime(2026, 3, 13, 5, 43, 53, 979000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "units"), [("2.5", 2.5), (3, 3.0), ("", None), (None, None), ("n/a", None)]
)
def test_units_as_a_number(raw, units):
    assert KlingTask.model_validate({"task_id": "1", "final_unit_deduction": raw}).units == units


def test_numeric_ids_and_unknown_statuses():
    task = KlingTask.model_validate({"task_id": 867283741759111202, "task_status": "queued_v2"})
    assert task.task_id == "867283741759111202"
    assert task.status == "queued_v2" and not task.finished


def test_status_is_case_insensitive_and_finished_flags():
    task = KlingTask.model_validate({"task_id": "1", "task_status": "SUCCEED"})
    assert (
        task.task_status is TaskStatus.SUCCEED
        and task.finished
        and task.succeeded
        and not task.failed
    )


def test_video_durations_and_parent_video():
    task = KlingTask.model_validate(
        {
            "task_id": "1",
            "task_status": "succeed",
            "task_info": {
                "external_task_id": "pk-1",
                "parent_video": {"id": "v0", "url": "u", "duration": "5.0"},
            },
            "task_result": {"videos": [{"id": 42, "url": "https://x/v.mp4", "duration": "9.542"}]},
        }
    )
    assert task.videos[0].id == "42" and task.videos[0].duration_seconds == 9.542
    assert task.task_info.parent_video.id == "v0"


def test_reference_round_trips_and_keeps_its_endpoint():
    task = KlingTask.model_validate(
        {
            "task_id": "7",
            "task_status": "submitted",
            "task_info": {"external_task_id": "pk-7"},
            "created_at": 1773380633979,
        }
    )
    reference = TaskReference.from_task(task, endpoint="image2video", provider="cometapi")
    assert (reference.endpoint, reference.external_task_id, reference.status) == (
        "image2video",
        "pk-7",
        "submitted",
    )
    assert TaskReference.model_validate_json(reference.model_dump_json()) == reference
