"""The account's machinery on the newer standard: faults, limits, packs, external ids."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from prefect_kling.simulator import KlingSimulator

from .conftest import client_for
from .standard_helpers import api_client, body, create, data_of, one, refusal, tasks

T2V = "/text-to-video/kling-2.5-turbo"


@pytest.fixture
def kling(sim: KlingSimulator) -> Iterator[httpx.Client]:
    """A client on the simulator's root with the API key."""
    with api_client(sim) as client:
        yield client


def with_id(external: str, text: str = "a fox", **settings: object) -> dict[str, object]:
    return {**body(text=text, **settings), "options": {"external_task_id": external}}


def test_an_error_after_the_create_leaves_the_task(
    sim: KlingSimulator, kling: httpx.Client
) -> None:
    sim.inject("create_error_after", times=2)
    answers = [kling.post(T2V, json=with_id(f"e-{n}")) for n in range(2)]
    assert {(a.status_code, a.json()["code"]) for a in answers} <= {(500, 5000), (504, 5002)}
    assert all("data" not in answer.json() for answer in answers)
    assert sim.stats().tasks_created == 2
    found = tasks(kling, "e-0", "e-1", external=True)
    assert [task["status"] for task in found] == ["submitted", "submitted"]
    refusal(kling.post(T2V, json=with_id("e-0")))  # the retry learns the task is there


def test_a_cut_after_the_create_leaves_the_task(sim: KlingSimulator, kling: httpx.Client) -> None:
    sim.inject("drop_after_create")
    with pytest.raises(httpx.RemoteProtocolError):
        kling.post(T2V, json=with_id("cut-1"))
    (task,) = tasks(kling, "cut-1", external=True)
    assert task["external_id"] == "cut-1"
    assert sim.stats().faults_injected == {"drop_after_create": 1}


def test_faults_before_work_do_nothing(sim: KlingSimulator, kling: httpx.Client) -> None:
    sim.inject("drop", on="create")
    with pytest.raises(httpx.TransportError):
        kling.post(T2V, json=with_id("d-1"))
    assert sim.stats().tasks_created == 0
    sim.inject("html", on="query")
    page = kling.get("/tasks", params={"task_ids": "1"})
    assert page.status_code == 502 and page.headers["content-type"].startswith("text/html")
    sim.inject("rate_burst", on="list")
    refusal(kling.post("/tasks", json={}), 429, 1302)
    sim.inject("concurrency_burst", on="create")
    refusal(kling.post(T2V, json=with_id("d-1")), 429, 1303)
    assert create(kling, T2V, with_id("d-1"))["external_id"] == "d-1"  # nothing was taken
    assert sim.stats().faults_injected == {
        "drop": 1,
        "html": 1,
        "rate_burst": 1,
        "concurrency_burst": 1,
    }


def test_both_standards_share_the_concurrency_pool(make_sim) -> None:
    sim = make_sim(concurrency={"video": 2})
    with client_for(sim, "kling") as official, api_client(sim) as kling:
        data_of(official.post("videos/text2video", json={"prompt": "a"}))
        create(kling, T2V, body(text="a"))
        refusal(kling.post(T2V, json=body(text="a")), 429, 1303)
        assert sim.stats().peak_in_flight["video"] == 2
        sim.advance(3)
        create(kling, T2V, body(text="a"))


def test_the_rate_limit_counts_the_newer_routes(make_sim) -> None:
    sim = make_sim(requests_per_second=0.001, burst=2)
    with api_client(sim) as kling:
        create(kling, T2V, body(text="a"))
        data_of(kling.get("/tasks", params={"task_ids": "1"}))
        refusal(kling.post("/tasks", json={}), 429, 1302)
    assert sim.stats().answers_by_code[1302] == 1


def test_external_ids_are_one_namespace_across_standards(
    sim: KlingSimulator, kling: httpx.Client, official: httpx.Client
) -> None:
    create(kling, T2V, with_id("shared"))
    legacy = official.post("videos/text2video", json={"prompt": "a", "external_task_id": "shared"})
    assert "external_task_id" in refusal(legacy)
    data_of(official.post("videos/text2video", json={"prompt": "a", "external_task_id": "old"}))
    assert "external_task_id" in refusal(kling.post(T2V, json=with_id("old")))
    assert sim.stats().duplicate_external_ids == 2


def test_the_packs_pay_for_newer_tasks(make_sim) -> None:
    sim = make_sim(resource_pack_units={"video": 5})
    with api_client(sim) as kling:
        first = create(kling, T2V, body(text="a", duration=10))["id"]  # 0.3 x 10 = 3 units
        refusal(kling.post(T2V, json=body(text="b", duration=10)), 429, 1102)
        sim.advance(3)
        assert one(kling, first)["billing"][0]["amount"] == "3"
        sim.advance(1.1)  # account/costs answers once a second
        window = {"start_time": 0, "end_time": 4_000_000_000_000}
        packs = data_of(kling.get("/account/costs", params=window))
        (video,) = [
            pack
            for pack in packs["resource_pack_subscribe_infos"]
            if pack["resource_pack_type"] == "video"
        ]
        assert video["remaining_quantity"] == 2.0
        refusal(kling.post(T2V, json=body(text="c", duration=10)), 429, 1102)
        create(kling, T2V, body(text="d", duration=5))  # 1.5 units still fit
