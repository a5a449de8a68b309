"""Injected faults: each one seen from the client and counted by the server."""

from __future__ import annotations

import time

import httpx
import pytest

from prefect_kling.simulator import FaultKind, KlingSimulator, SimulatorConfig
from prefect_kling.simulator.faults import FaultInjector

from .conftest import client_for


def create(client: httpx.Client, **body) -> httpx.Response:
    return client.post("videos/text2video", json={"prompt": "a", **body})


def test_drop_cuts_the_connection_and_does_nothing(sim: KlingSimulator, api: httpx.Client) -> None:
    sim.inject("drop")
    with pytest.raises(httpx.TransportError):
        create(api, external_task_id="d-1")
    stats = sim.stats()
    assert stats.tasks_created == 0
    assert stats.faults_injected == {"drop": 1}
    assert create(api, external_task_id="d-1").json()["code"] == 0  # the next one works


def test_drop_after_create_leaves_a_task(sim: KlingSimulator, api: httpx.Client) -> None:
    sim.inject(FaultKind.DROP_AFTER_CREATE)
    with pytest.raises(httpx.RemoteProtocolError):
        create(api, external_task_id="dac-1")
    assert sim.stats().tasks_created == 1
    assert sim.stats().faults_injected == {"drop_after_create": 1}
    # The client can find the task it did not hear about.
    found = api.get("videos/text2video/dac-1").json()
    assert found["code"] == 0
    assert found["data"]["task_info"] == {"external_task_id": "dac-1"}


def test_create_error_after_leaves_a_task(sim: KlingSimulator, api: httpx.Client) -> None:
    sim.inject("create_error_after", times=4)
    answers = [create(api, external_task_id=f"e-{i}") for i in range(4)]
    assert {(r.status_code, r.json()["code"]) for r in answers} <= {(500, 5000), (504, 5002)}
    assert all("data" not in r.json() for r in answers)
    stats = sim.stats()
    assert stats.tasks_created == 4
    assert sum(stats.answers_by_code.get(code, 0) for code in (5000, 5002)) == 4
    assert api.get("videos/text2video/e-3").json()["code"] == 0


def test_html_page_and_nothing_done(sim: KlingSimulator, api: httpx.Client) -> None:
    sim.inject("html")
    response = create(api)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()
    assert sim.stats().tasks_created == 0
    assert sim.stats().answers_by_http_status[502] == 1


def test_garbled_success_answer_and_nothing_done(sim: KlingSimulator, api: httpx.Client) -> None:
    sim.inject("garbled", times=2)
    response = create(api)
    assert (response.status_code, response.headers["content-type"]) == (
        200,
        "text/plain; charset=utf-8",
    )
    assert response.text == "OK"
    assert api.get("videos/text2video/123").text == "OK"
    stats = sim.stats()
    assert stats.tasks_created == 0
    assert stats.faults_injected == {"garbled": 2}


@pytest.mark.parametrize(("kind", "code"), [("rate_burst", 1302), ("concurrency_burst", 1303)])
def test_bursts(sim: KlingSimulator, api: httpx.Client, kind: str, code: int) -> None:
    sim.inject(kind)
    response = create(api)
    assert response.status_code == 429
    assert response.json()["code"] == code
    assert sim.stats().tasks_created == 0
    assert sim.stats().faults_injected == {kind: 1}


def test_slow(sim: KlingSimulator, official: httpx.Client) -> None:
    sim.configure(slow_seconds=0.2)
    sim.inject("slow", times=2)
    with pytest.raises(httpx.ReadTimeout):
        official.get("videos/text2video", timeout=0.05)
    started = time.monotonic()
    assert official.get("videos/text2video").json()["code"] == 0
    assert time.monotonic() - started >= 0.2
    assert sim.stats().faults_injected == {"slow": 2}


def test_task_failure(sim: KlingSimulator, official: httpx.Client) -> None:
    sim.inject("task_failure")
    task_id = create(official).json()["data"]["task_id"]
    sim.advance(5)
    data = official.get(f"videos/text2video/{task_id}").json()["data"]
    assert data["task_status"] == "failed"
    assert "internal error" in data["task_status_msg"]


def test_forced_faults_can_target_a_scope(sim: KlingSimulator, official: httpx.Client) -> None:
    sim.inject("html", on="query")
    task_id = create(official).json()["data"]["task_id"]  # not a query: untouched
    assert official.get("videos/text2video").status_code == 200  # a list: untouched
    assert official.get(f"videos/text2video/{task_id}").status_code == 502
    assert official.get(f"videos/text2video/{task_id}").status_code == 200


def test_faults_are_not_used_up_by_refused_requests(sim: KlingSimulator) -> None:
    sim.inject("html")
    with httpx.Client() as anonymous:
        assert anonymous.get(f"{sim.base_url}/v1/videos/text2video").status_code == 401
    with client_for(sim, "kling") as client:
        assert client.get("videos/text2video").status_code == 502


def test_random_faults_follow_the_rate(make_sim) -> None:
    sim = make_sim(fault_rate=1.0, faults={"rate_burst"})
    with client_for(sim, "cometapi") as client:
        assert {client.get("videos/text2video").json()["code"] for _ in range(5)} == {1302}
    sim.configure(fault_rate=0.0)
    with client_for(sim, "cometapi") as client:
        assert client.get("videos/text2video").json()["code"] == 0
    assert sim.stats().faults_injected == {"rate_burst": 5}


def test_random_faults_are_reproducible(make_sim) -> None:
    outcomes = []
    for _ in range(2):
        sim = make_sim(seed=3, fault_rate=0.3, faults={"html", "rate_burst"})
        with client_for(sim, "kling") as client:
            outcomes.append([client.get("videos/text2video").status_code for _ in range(30)])
    assert outcomes[0] == outcomes[1]
    assert len(set(outcomes[0])) > 1


def test_injector_unit() -> None:
    injector = FaultInjector(seed=1)
    injector.inject("drop", times=2)
    assert injector.draw({FaultKind.SLOW}, scope="create", rate=0, enabled=()) is None
    assert injector.draw({FaultKind.DROP}, scope="list", rate=0, enabled=()) is FaultKind.DROP
    assert injector.pending() == [{"kind": "drop", "times": 1, "on": None}]
    with pytest.raises(ValueError):
        injector.inject("drop", on="everywhere")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        injector.inject("meteor")


def test_config_rejects_bad_fault_settings() -> None:
    with pytest.raises(ValueError):
        SimulatorConfig(fault_rate=1.5)
    with pytest.raises(ValueError):
        SimulatorConfig(faults={"meteor"})
