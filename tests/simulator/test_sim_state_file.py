"""A simulator started on a state file answers for the tasks of the run that wrote it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from prefect_kling.simulator.state_file import FORMAT, read_state_file
from tests.simulator.conftest import FAST, client_for

DAY_MS = 24 * 3600 * 1000
EVER = {"start_time": 0, "end_time": 4_000_000_000_000}


def config(**overrides: Any) -> SimulatorConfig:
    return SimulatorConfig(**{**FAST, "resource_pack_units": 100, **overrides})


def data_of(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


def video_pack(sim: KlingSimulator) -> dict[str, Any]:
    sim.advance(1.1)  # account/costs answers once a second
    with client_for(sim, "kling") as client:
        answer = client.get(f"{sim.base_url}/account/costs", params=EVER).json()
    [pack] = [
        pack
        for pack in answer["data"]["resource_pack_subscribe_infos"]
        if pack["resource_pack_type"] == "video"
    ]
    return pack


def test_a_restarted_simulator_has_the_tasks_packs_and_files_it_saved(tmp_path: Path):
    path = tmp_path / "account.json"
    with KlingSimulator(config(), state_path=path) as first:
        with client_for(first, "kling") as client:
            made = data_of(
                client.post(
                    "videos/text2video",
                    json={"prompt": "a fox", "mode": "pro", "external_task_id": "job-1"},
                )
            )
            data_of(client.post("images/generations", json={"prompt": "a fox", "n": 2}))
        first.advance(5)
        before = {task["task_id"]: task["task"] for task in first.tasks()}
        port = int(first.base_url.rsplit(":", 1)[1])
    assert read_state_file(path)["format"] == FORMAT

    with KlingSimulator(config(), state_path=path) as again:
        assert again.base_url.endswith(f":{port}")  # the saved port, free again
        assert {task["task_id"]: task["task"] for task in again.tasks()} == before
        stats = again.stats()
        assert (stats.tasks_created, stats.create_calls) == (2, 0)
        assert stats.units_by_family == {"video": 3.5, "image": 2}
        with client_for(again, "kling") as client:
            by_external = data_of(client.get("videos/text2video/job-1"))
            assert by_external["task_id"] == made["task_id"]
            refused = client.post(
                "videos/text2video", json={"prompt": "a fox", "external_task_id": "job-1"}
            )
            assert refused.json()["code"] == 1201  # the id is still taken
        video = httpx.get(by_external["task_result"]["videos"][0]["url"])
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
        pack = video_pack(again)
    assert (pack["remaining_quantity"], pack["status"]) == (96.5, "online")


def test_a_task_still_running_when_saved_runs_on_and_is_charged_once(tmp_path: Path):
    path = tmp_path / "account.json"
    with KlingSimulator(config(), state_path=path) as first:
        with client_for(first, "kling") as client:
            task_id = data_of(client.post("videos/text2video", json={"prompt": "a fox"}))["task_id"]
        first.advance(1.5)  # processing
    with KlingSimulator(config(), state_path=path) as again:
        stats = again.stats()
        assert stats.tasks_by_status == {"processing": 1}
        assert stats.in_flight["video"] == 1
        again.advance(5)
        [task] = again.tasks()
        assert (task["task_id"], task["status"]) == (task_id, "succeed")
        assert again.stats().units_by_family == {"video": 1}
        assert video_pack(again)["remaining_quantity"] == 99


def test_times_are_kept_in_milliseconds_so_old_tasks_stay_old(tmp_path: Path):
    path = tmp_path / "account.json"
    with KlingSimulator(config(), state_path=path) as first:
        with client_for(first, "kling") as client:
            data_of(client.post("videos/text2video", json={"prompt": "a fox"}))
        first.advance(5)
    saved = json.loads(path.read_text())
    for task in saved["tasks"]:
        task["created_ms"] -= 3 * DAY_MS
        task["updated_ms"] -= 3 * DAY_MS
    path.write_text(json.dumps(saved))
    with KlingSimulator(config(), state_path=path) as again:
        [task] = again.tasks()
        assert task["status"] == "succeed"
        assert task["task"]["updated_at"] == saved["tasks"][0]["updated_ms"]


def test_new_task_ids_do_not_retrace_the_saved_ones_with_a_fixed_seed(tmp_path: Path):
    path = tmp_path / "account.json"
    with (
        KlingSimulator(config(seed=3), state_path=path) as first,
        client_for(first, "kling") as client,
    ):
        first_id = data_of(client.post("videos/text2video", json={"prompt": "a"}))["task_id"]
    with KlingSimulator(config(seed=3), state_path=path) as again:
        with client_for(again, "kling") as client:
            data_of(client.post("videos/text2video", json={"prompt": "b"}))
        ids = [task["task_id"] for task in again.tasks()]
        videos = [video for task in again.tasks() for video in task["video_ids"]]
    assert ids[0] == first_id and len(set(ids + videos)) == 4


def test_a_taken_port_falls_back_to_a_free_one(tmp_path: Path):
    path = tmp_path / "account.json"
    with KlingSimulator(config(), state_path=path) as first:
        taken = first.base_url
        first.save()
        with KlingSimulator(config(), state_path=path) as second:
            assert second.base_url != taken


def test_a_file_that_is_not_a_state_file_is_refused_naming_it(tmp_path: Path):
    path = tmp_path / "notes.json"
    path.write_text('{"tasks": []}')
    with pytest.raises(ValueError, match=r"notes\.json is not a Kling simulator state file"):
        KlingSimulator(config(), state_path=path)
    path.write_text(json.dumps({"format": FORMAT, "version": 99}))
    with pytest.raises(ValueError, match="version 99"):
        KlingSimulator(config(), state_path=path)


def test_save_needs_a_path_without_a_state_path(tmp_path: Path):
    with KlingSimulator(config()) as sim:
        with pytest.raises(ValueError, match="state_path"):
            sim.save()
        written = sim.save(tmp_path / "copy.json")
    assert read_state_file(written)["tasks"] == []
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, nothing left over
