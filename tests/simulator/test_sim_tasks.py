"""The task timeline, queries by id and external id, and list queries."""

from __future__ import annotations

import time

import httpx
import pytest

from prefect_kling.simulator import KlingSimulator

from .conftest import client_for, wait_until


def create(client: httpx.Client, path: str = "videos/text2video", **body) -> dict:
    response = client.post(path, json={"prompt": "a quiet lake", **body})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def query(client: httpx.Client, ident: str, path: str = "videos/text2video") -> dict:
    response = client.get(f"{path}/{ident}")
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_create_answer_has_kling_shape(api: httpx.Client) -> None:
    data = create(api, external_task_id="job-1")
    assert set(data) == {"task_id", "task_status", "task_info", "created_at", "updated_at"}
    assert data["task_id"].isdigit() and len(data["task_id"]) == 18
    assert data["task_status"] == "submitted"
    assert data["task_info"] == {"external_task_id": "job-1"}
    assert data["created_at"] == data["updated_at"] > 10**12  # milliseconds


def test_timeline_follows_the_clock(sim: KlingSimulator, api: httpx.Client) -> None:
    created = create(api, duration="10", mode="pro")
    task_id, t0 = created["task_id"], created["created_at"]

    data = query(api, task_id)
    assert data["task_status"] == "submitted"
    assert data["task_result"] == {} and data["task_status_msg"] == ""
    assert "final_unit_deduction" not in data

    sim.advance(1.0)
    data = query(api, task_id)
    assert data["task_status"] == "processing"
    assert data["updated_at"] == t0 + 1000
    assert sim.stats().in_flight["video"] == 1

    sim.advance(2.0)
    data = query(api, task_id)
    assert data["task_status"] == "succeed"
    assert data["updated_at"] == t0 + 3000
    assert data["final_unit_deduction"] == "7"  # pro, 10 s
    assert data["watermark_info"] == {"enabled": False}
    (video,) = data["task_result"]["videos"]
    assert video["duration"] == "10.042"
    assert video["id"].isdigit()
    assert video["url"].startswith(f"{sim.base_url}/_simulator/files/{task_id}/")

    stats = sim.stats()
    assert stats.in_flight["video"] == 0
    assert stats.tasks_by_status == {"succeed": 1}
    assert stats.units_charged == 7


def test_tasks_move_in_real_time_too(make_sim) -> None:
    sim = make_sim(queue_seconds=0.0, processing_seconds=0.05)
    with client_for(sim, "cometapi") as client:
        task_id = create(client)["task_id"]
        wait_until(lambda: query(client, task_id)["task_status"] == "succeed", timeout=3)


def test_image_results(sim: KlingSimulator, official: httpx.Client) -> None:
    body = {"subject_image_list": [{"subject_image": "https://example.com/a.png"}], "n": 3}
    task_id = create(official, "images/multi-image2image", **body)["task_id"]
    sim.advance(3)
    data = query(official, task_id, "images/multi-image2image")
    assert data["final_unit_deduction"] == "3"
    assert [image["index"] for image in data["task_result"]["images"]] == [0, 1, 2]


def test_same_seed_same_ids(make_sim) -> None:
    ids = []
    for _ in range(2):
        sim = make_sim(seed=42)
        with client_for(sim, "kling") as client:
            ids.append([create(client)["task_id"] for _ in range(3)])
    assert ids[0] == ids[1]


def test_query_unknown_task(api: httpx.Client) -> None:
    response = api.get("videos/text2video/123456789")
    assert response.status_code == 404
    assert response.json()["code"] == 1203


def test_tasks_are_scoped_to_their_endpoint(api: httpx.Client) -> None:
    task_id = create(api)["task_id"]
    assert api.get(f"videos/image2video/{task_id}").json()["code"] == 1203


def test_query_by_external_id_on_video_endpoints(api: httpx.Client) -> None:
    created = create(api, external_task_id="order-17")
    data = query(api, "order-17")
    assert data["task_id"] == created["task_id"]
    assert data["task_info"] == {"external_task_id": "order-17"}


def test_no_external_id_lookup_on_image_endpoints(
    sim: KlingSimulator, official: httpx.Client
) -> None:
    body = {"subject_image_list": [{"subject_image": "https://example.com/a.png"}]}
    task_id = create(official, "images/multi-image2image", external_task_id="img-1", **body)[
        "task_id"
    ]
    assert official.get("images/multi-image2image/img-1").json()["code"] == 1203
    assert query(official, task_id, "images/multi-image2image")["task_id"] == task_id


def test_external_ids_are_unique_per_account(sim: KlingSimulator, api: httpx.Client) -> None:
    create(api, external_task_id="dup")
    response = api.post(
        "videos/image2video", json={"image": "https://x/y.png", "external_task_id": "dup"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == 1201
    assert "dup" in response.json()["message"]
    stats = sim.stats()
    assert stats.tasks_created == 1
    assert stats.duplicate_external_ids == 1


def test_gateway_multi_image_to_image_is_read_back_at_generations(
    sim: KlingSimulator, gateway: httpx.Client
) -> None:
    subjects = [{"subject_image": "https://example.com/a.png"}] * 2
    body = {"subject_image_list": subjects, "scence_image": "https://example.com/s.png"}
    task_id = create(gateway, "images/generations", **body)["task_id"]
    assert query(gateway, task_id, "images/generations")["task_id"] == task_id
    assert sim.tasks()[0]["endpoint"] == "multi-image2image"
    assert sim.tasks()[0]["ignored_fields"] == []
    with client_for(sim, "kling") as official:
        # Same account: the official path of the same endpoint finds it too.
        assert query(official, task_id, "images/multi-image2image")["task_id"] == task_id
        assert official.get(f"images/generations/{task_id}").json()["code"] == 1203


def test_list_newest_first_with_pages(sim: KlingSimulator, api: httpx.Client) -> None:
    ids = [create(api)["task_id"] for _ in range(5)]
    sim.advance(5)  # free the five video slots
    create(api, "videos/image2video", image="https://x/y.png")

    answer = api.get("videos/text2video", params={"pageNum": 1, "pageSize": 2}).json()
    assert answer["code"] == 0
    assert [task["task_id"] for task in answer["data"]] == ids[::-1][:2]
    page3 = api.get("videos/text2video", params={"pageNum": 3, "pageSize": 2}).json()["data"]
    assert [task["task_id"] for task in page3] == [ids[0]]
    everything = api.get("videos/text2video").json()["data"]
    assert len(everything) == 5
    assert api.get("videos/text2video", params={"pageNum": 4, "pageSize": 2}).json()["data"] == []
    assert sim.stats().list_calls == 4


@pytest.mark.parametrize(
    "params",
    [
        {"pageNum": 0},
        {"pageNum": 1001},
        {"pageSize": 0},
        {"pageSize": 501},
        {"pageNum": "two"},
    ],
)
def test_list_bounds(api: httpx.Client, params: dict) -> None:
    response = api.get("videos/text2video", params=params)
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == 1201
    assert next(iter(params)) in answer["message"]


def test_list_accepts_the_extremes(api: httpx.Client) -> None:
    assert (
        api.get("videos/text2video", params={"pageNum": 1000, "pageSize": 500}).json()["code"] == 0
    )


def test_advance_is_instant(sim: KlingSimulator, official: httpx.Client) -> None:
    task_id = create(official)["task_id"]
    started = time.monotonic()
    sim.advance(3600)
    assert query(official, task_id)["task_status"] == "succeed"
    assert time.monotonic() - started < 1


def test_a_query_path_with_a_double_slash_is_served(api: httpx.Client) -> None:
    # Kling's own client (the vendor's ComfyUI nodes) reads try-on tasks this way.
    body = {"human_image": "https://example.com/person.png"}
    created = create(api, "images/kolors-virtual-try-on", **body)
    data = query(api, "/" + created["task_id"], "images/kolors-virtual-try-on")
    assert data["task_id"] == created["task_id"]
    assert (
        query(api, created["task_id"], "images//kolors-virtual-try-on")["task_id"]
        == (created["task_id"])
    )
