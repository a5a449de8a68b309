"""Concurrency slots per family (1303), the request-rate limit (1302) and content policy."""

from __future__ import annotations

import httpx

from prefect_kling.simulator import KlingSimulator

from .conftest import client_for

SUBJECTS = [{"subject_image": "https://example.com/a.png"}]


def test_video_limit_and_slots_freed(make_sim) -> None:
    sim = make_sim(concurrency={"video": 2})
    with client_for(sim, "kling") as client:
        for _ in range(2):
            assert client.post("videos/text2video", json={"prompt": "a"}).status_code == 200
        refused = client.post("videos/image2video", json={"image": "https://x/y.png"})
        assert refused.status_code == 429
        assert refused.json()["code"] == 1303
        assert sim.stats().tasks_created == 2

        sim.advance(1)  # processing still holds the slots
        assert client.post("videos/text2video", json={"prompt": "a"}).json()["code"] == 1303
        sim.advance(2)  # both ended
        assert client.post("videos/text2video", json={"prompt": "a"}).json()["code"] == 0

    stats = sim.stats()
    assert stats.answers_by_code[1303] == 2
    assert stats.peak_in_flight["video"] == 2
    assert stats.in_flight == {"video": 1, "image": 0, "try-on": 0}


def test_failed_tasks_hold_slots_until_they_end(make_sim) -> None:
    sim = make_sim(concurrency={"video": 1})
    with client_for(sim, "cometapi") as client:
        assert client.post("videos/text2video", json={"prompt": "forbidden"}).json()["code"] == 0
        assert client.post("videos/text2video", json={"prompt": "a"}).json()["code"] == 1303
        sim.advance(3)
        assert client.post("videos/text2video", json={"prompt": "a"}).json()["code"] == 0


def test_image_tasks_take_n_slots(make_sim) -> None:
    sim = make_sim(concurrency={"image": 4})
    with client_for(sim, "kling") as client:

        def make(n: int) -> int:
            body = {"subject_image_list": SUBJECTS, "n": n}
            return client.post("images/multi-image2image", json=body).json()["code"]

        assert make(3) == 0
        assert make(2) == 1303
        assert make(1) == 0
        assert sim.stats().in_flight["image"] == 4
        assert make(1) == 1303
        sim.advance(3)
        assert make(4) == 0
    assert sim.stats().peak_in_flight["image"] == 4


def test_families_are_separate(make_sim) -> None:
    sim = make_sim(concurrency={"video": 1, "image": 1})
    with client_for(sim, "kling") as client:
        assert client.post("videos/text2video", json={"prompt": "a"}).json()["code"] == 0
        body = {"subject_image_list": SUBJECTS}
        assert client.post("images/multi-image2image", json=body).json()["code"] == 0


def test_rate_limit_answers_1302(make_sim) -> None:
    # A slow rate, so that real time passing between requests adds no token.
    sim = make_sim(requests_per_second=0.5, burst=2)
    with client_for(sim, "cometapi") as client:
        codes = [client.get("videos/text2video").json()["code"] for _ in range(3)]
        assert codes == [0, 0, 1302]
        sim.advance(4)  # the bucket refills on the simulator's clock
        assert client.get("videos/text2video").json()["code"] == 0
        refused = client.post("videos/text2video", json={"prompt": "a"})
        refused = client.post("videos/text2video", json={"prompt": "a"})
    assert refused.status_code == 429
    assert refused.json()["code"] == 1302
    stats = sim.stats()
    assert stats.answers_by_code[1302] == 2
    assert stats.tasks_created == 1


def test_rate_limit_can_be_switched_at_run_time(sim: KlingSimulator, gateway: httpx.Client) -> None:
    sim.configure(requests_per_second=0.2)
    codes = [gateway.get("videos/text2video").json()["code"] for _ in range(2)]
    assert codes == [0, 1302]
    sim.configure(requests_per_second=None)
    assert gateway.get("videos/text2video").json()["code"] == 0


def test_risk_control_failure(sim: KlingSimulator, api: httpx.Client) -> None:
    created = api.post("videos/text2video", json={"prompt": "Something FORBIDDEN here"})
    task_id = created.json()["data"]["task_id"]
    sim.advance(1.5)
    assert api.get(f"videos/text2video/{task_id}").json()["data"]["task_status"] == "processing"
    sim.advance(2)
    answer = api.get(f"videos/text2video/{task_id}").json()
    assert answer["code"] == 0  # a failed task is still a successful query
    data = answer["data"]
    assert data["task_status"] == "failed"
    assert data["task_status_msg"] == "Failure to pass the risk control system"
    assert data["task_result"] == {}
    assert data["final_unit_deduction"] == "0"


def test_refusal_word_answers_1301(sim: KlingSimulator, api: httpx.Client) -> None:
    response = api.post("videos/text2video", json={"prompt": "this will be refused"})
    assert response.status_code == 400
    assert response.json()["code"] == 1301
    assert sim.stats().tasks_created == 0


def test_policy_words_are_configurable(make_sim) -> None:
    sim = make_sim(failure_word=None, refusal_word="banana")
    with client_for(sim, "kling") as client:
        assert client.post("videos/text2video", json={"prompt": "refused"}).json()["code"] == 0
        assert client.post("videos/text2video", json={"prompt": "Banana"}).json()["code"] == 1301


def test_resource_pack_used_up_answers_1102(make_sim) -> None:
    sim = make_sim(resource_pack_units=3)
    with client_for(sim, "kling") as client:
        assert (
            client.post("videos/text2video", json={"prompt": "a", "duration": "10"}).json()["code"]
            == 0
        )
        assert client.post("videos/text2video", json={"prompt": "a"}).json()["code"] == 0
        refused = client.post("videos/text2video", json={"prompt": "a"})
        assert refused.status_code == 429
        assert refused.json()["code"] == 1102
        sim.advance(10)  # finishing does not give units back
        assert client.post("videos/text2video", json={"prompt": "a"}).json()["code"] == 1102
    assert sim.stats().units_charged == 3
