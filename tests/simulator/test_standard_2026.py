"""Kling's newer API standard (2026) on the simulator: creates, queries, cursors, auth, log."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from prefect_kling.simulator.request_log import DEFAULT_LIMIT, RequestLog
from prefect_kling.simulator.timeline import RISK_CONTROL_MESSAGE

from .conftest import FAST, client_for, make_token, png_base64, wait_until
from .standard_helpers import (
    api_client,
    body,
    create,
    data_of,
    element,
    frame,
    one,
    prompt,
    refer,
    refusal,
    tasks,
    video,
    voice,
)
from .test_sim_videos import probe

T2V = "/text-to-video/kling-2.5-turbo"

MOTION_3 = body(
    prompt(), frame("image"), video("video", 12), character_orientation="video", resolution="1080p"
)
LIFECYCLE = [
    (
        "/text-to-video/kling-3.0-turbo",
        body(text="a", duration=3, resolution="1080p"),
        "3",
        "3.042",
    ),
    (
        "/text-to-video/kling-3.0",
        body(text="a", duration=10, resolution="4k", audio="native"),
        "30",
        "10.042",
    ),
    ("/text-to-video/kling-2.6", body(text="a", resolution="1080p", audio="native"), "5", "5.042"),
    (T2V, body(text="a fox"), "1.5", "5.042"),
    ("/image-to-video/kling-3.0-turbo", body(prompt(), frame(), duration=4), "3.2", "4.042"),
    (
        "/image-to-video/kling-3.0",
        body(prompt(), frame(), frame("last_frame"), element("1"), duration=6, resolution="1080p"),
        "4.8",
        "6.042",
    ),
    (
        "/image-to-video/kling-2.6",
        body(prompt("@vo_1 says hi"), frame(), voice("1"), audio="native", resolution="1080p"),
        "6",
        "5.042",
    ),
    (
        "/image-to-video/kling-2.5-turbo",
        body(prompt(), frame(), frame("last_frame"), resolution="1080p", duration=10),
        "5",
        "10.042",
    ),
    (
        "/omni-video/kling-3.0-omni",
        body(prompt(), refer(1), video("feature_video", 8), duration=7),
        "6.3",
        "7.042",
    ),
    ("/omni-video/kling-o1", body(prompt(), resolution="1080p", duration=3), "2.4", "3.042"),
    ("/motion-control/kling-3.0", MOTION_3, "14.4", "12.000"),
    (
        "/motion-control/kling-2.6",
        body(frame("image"), video("video", 7.5), character_orientation="image"),
        "4",
        "7.500",
    ),
]


@pytest.fixture
def kling(sim: KlingSimulator) -> Iterator[httpx.Client]:
    """A client on the simulator's root with the API key."""
    with api_client(sim) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "payload", "amount", "seconds"), LIFECYCLE, ids=[case[0] for case in LIFECYCLE]
)
def test_each_model_runs_to_its_video_and_bill(
    sim: KlingSimulator,
    kling: httpx.Client,
    path: str,
    payload: dict[str, Any],
    amount: str,
    seconds: str,
) -> None:
    created = create(kling, path, {**payload, "options": {"external_task_id": "job-1"}})
    assert set(created) == {"id", "status", "create_time", "update_time", "external_id"}
    assert created["id"].isdigit() and created["external_id"] == "job-1"
    assert created["status"] == "submitted"
    assert created["create_time"] == created["update_time"] > 10**12  # milliseconds
    task_id, started = created["id"], created["create_time"]

    waiting = one(kling, task_id)
    assert (waiting["status"], waiting["outputs"], waiting["billing"]) == ("submitted", [], [])
    sim.advance(1)
    assert one(kling, task_id)["status"] == "processing"
    sim.advance(2)
    done = one(kling, task_id)
    assert done["status"] == "succeeded" and done["message"] == ""
    assert (done["create_time"], done["update_time"]) == (started, started + 3000)
    (output,) = done["outputs"]
    assert output["type"] == "video" and output["id"].isdigit()
    assert output["duration"] == seconds
    assert output["url"] == f"{sim.base_url}/_simulator/files/{task_id}/0.mp4"
    assert "watermark_url" not in output
    assert done["billing"] == [{"charge_type": "unit", "amount": amount, "package_type": "video"}]
    stats = sim.stats()
    assert stats.tasks_by_endpoint == {path.lstrip("/"): 1}
    assert stats.units_by_family == {"video": float(amount)}
    assert sim.tasks()[0]["task"] == done


def test_a_watermarked_video_and_its_rendered_size(
    sim: KlingSimulator, kling: httpx.Client, http: httpx.Client
) -> None:
    options = {"watermark_info": {"enabled": True}}
    payload = body(text="a heron", duration=3, resolution="1080p", aspect_ratio="9:16")
    task_id = create(kling, "/text-to-video/kling-3.0", {**payload, "options": options})["id"]
    sim.advance(3)
    (output,) = one(kling, task_id)["outputs"]
    assert output["watermark_url"].endswith(f"/{task_id}/0-watermark.mp4")
    found = probe(http.get(output["url"]).content)
    assert found["size"] == (270, 480)  # a quarter of 1080p, upright
    assert abs(found["seconds"] - 3.042) < 0.05
    assert http.get(output["watermark_url"]).status_code == 200


def test_failures_carry_the_reason_and_no_bill(sim: KlingSimulator, kling: httpx.Client) -> None:
    words = create(kling, T2V, body(text="a forbidden fox"))["id"]
    pixels = create(kling, "/image-to-video/kling-2.6", body(frame(url=png_base64(100, 100))))["id"]
    sim.inject("task_failure")
    internal = create(kling, T2V, body(text="a fox"))["id"]
    message = refusal(kling.post(T2V, json=body(text="a refused fox")), 400, 1301)
    assert "content" in message
    sim.advance(3)
    failed = {task["id"]: task for task in tasks(kling, words, pixels, internal)}
    assert failed[words]["message"] == RISK_CONTROL_MESSAGE
    assert failed[pixels]["message"] == "Image pixel is invalid"
    assert "internal error" in failed[internal]["message"]
    for task in failed.values():
        assert (task["status"], task["outputs"], task["billing"]) == ("failed", [], [])
    stats = sim.stats()
    assert stats.tasks_created == 3 and stats.units_charged == 0


def test_three_tasks_in_one_query(sim: KlingSimulator, kling: httpx.Client) -> None:
    ids = [
        create(kling, T2V, {**body(text=f"fox {n}"), "options": {"external_task_id": f"x-{n}"}})[
            "id"
        ]
        for n in range(3)
    ]
    asked = [ids[2], ids[0], "404404404", ids[1]]
    assert [task["id"] for task in tasks(kling, *asked)] == [ids[2], ids[0], ids[1]]
    stats = sim.stats()
    assert (stats.query_calls, stats.tasks_queried) == (1, 4)
    assert [r["query"] for r in sim.requests() if r["path"] == "/tasks"] == [
        {"task_ids": ",".join(asked)}
    ]
    by_external = tasks(kling, "x-1", "x-0", external=True)
    assert [task["external_id"] for task in by_external] == ["x-1", "x-0"]
    assert tasks(kling, "nothing-here") == []


def test_the_id_query_asks_for_exactly_one_kind_of_id(
    sim: KlingSimulator, kling: httpx.Client, official: httpx.Client
) -> None:
    legacy = official.post("videos/text2video", json={"prompt": "a", "external_task_id": "old"})
    legacy_id = data_of(legacy)["task_id"]
    assert tasks(kling, legacy_id) == [] and tasks(kling, "old", external=True) == []
    both = {"task_ids": "1", "external_task_ids": "2"}
    assert "together" in refusal(kling.get("/tasks", params=both))
    assert "required" in refusal(kling.get("/tasks"))
    assert "required" in refusal(kling.get("/tasks", params={"task_ids": " , "}))


def page(client: httpx.Client, **request: Any) -> dict[str, Any]:
    return data_of(client.post("/tasks", json=request))


def test_cursor_pages_newest_first_and_stable(sim: KlingSimulator, kling: httpx.Client) -> None:
    made = [create(kling, T2V, body(text=f"fox {n}")) for n in range(5)]
    sim.advance(3)  # their slots are free again
    newest_first = sorted(made, key=lambda task: (task["create_time"], task["id"]), reverse=True)
    expected = [task["id"] for task in newest_first]

    first = page(kling, limit=2)
    assert [t["id"] for t in first["result"]] == expected[:2]
    assert (first["count"], first["has_more"]) == (2, True) and first["next_cursor"]
    latecomer = create(kling, T2V, body(text="late fox"))["id"]
    second = page(kling, limit=2, cursor=first["next_cursor"])
    assert [t["id"] for t in second["result"]] == expected[2:4]
    third = page(kling, limit=2, cursor=second["next_cursor"])
    assert [t["id"] for t in third["result"]] == expected[4:]
    assert (third["count"], third["has_more"], third["next_cursor"]) == (1, False, "")
    assert latecomer not in {t["id"] for p in (first, second, third) for t in p["result"]}
    assert page(kling)["result"][0]["id"] == latecomer  # a new query sees it
    assert sim.stats().list_calls == 4


def test_cursor_filters_and_window(
    sim: KlingSimulator, kling: httpx.Client, official: httpx.Client
) -> None:
    good = create(kling, T2V, body(text="a fox"))
    bad = create(kling, T2V, body(text="a forbidden fox"))["id"]
    data_of(official.post("videos/text2video", json={"prompt": "a legacy fox"}))
    sim.advance(3)
    status = [{"key": "status", "values": ["failed"]}]
    assert [t["id"] for t in page(kling, filters=status)["result"]] == [bad]
    image = [{"key": "product_type", "values": ["image", "try_on"]}]
    assert page(kling, filters=image)["result"] == []
    both = [
        {"key": "status", "values": ["succeeded"]},
        {"key": "product_type", "values": ["video"]},
    ]
    assert [t["id"] for t in page(kling, filters=both)["result"]] == [good["id"]]
    before = {"start_time": "0", "end_time": str(good["create_time"] - 1)}
    assert page(kling, **before)["result"] == []
    assert (
        len(page(kling, start_time=good["create_time"])["result"]) == 2
    )  # the legacy task is not here


@pytest.mark.parametrize(
    ("request_body", "words"),
    [
        ({"start_time": 5, "end_time": 5}, "start_time must be earlier"),
        ({"end_time": "soon"}, "end_time"),
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"filters": [{"key": "model", "values": ["x"]}]}, "filters[0].key"),
        ({"filters": [{"key": "status", "values": ["succeed"]}]}, "filters[0].values[0]"),
    ],
)
def test_cursor_query_refusals(
    kling: httpx.Client, request_body: dict[str, Any], words: str
) -> None:
    assert words in refusal(kling.post("/tasks", json=request_body))


def test_cursor_query_body_must_be_an_object(kling: httpx.Client) -> None:
    refusal(kling.post("/tasks", json=[]), 400, 1200)
    assert data_of(kling.post("/tasks"))["result"] == []  # no body: every field has a default


def test_only_the_api_key_opens_the_newer_standard(
    sim: KlingSimulator, official: httpx.Client, http: httpx.Client
) -> None:
    jwt = {"Authorization": f"Bearer {make_token(sim)}"}
    for method, path in [("POST", T2V), ("GET", "/tasks?task_ids=1"), ("POST", "/tasks")]:
        url = f"{sim.base_url}{path}"
        message = refusal(http.request(method, url, headers=jwt, json=body(text="a")), 401, 1002)
        assert "API key" in message
        refusal(http.request(method, url, json={}), 401, 1001)
        wrong = {"Authorization": "Bearer sk-not-the-key"}
        refusal(http.request(method, url, headers=wrong, json={}), 401, 1000)
    data_of(official.post("videos/text2video", json={"prompt": "a"}))  # the JWT works on /v1
    with api_client(sim) as kling:
        data_of(kling.post("/v1/videos/text2video", json={"prompt": "a"}))  # so does the key
    stats = sim.stats()
    assert (stats.tasks_created, stats.create_calls) == (2, 2)
    assert {entry["auth"] for entry in sim.requests()} == {"jwt", "bearer", None}


def test_paths_that_are_not_served(sim: KlingSimulator, kling: httpx.Client) -> None:
    gateway_key = {"Authorization": f"Bearer {sim.config.api_key}"}
    for method, path in [
        ("POST", "/kling/text-to-video/kling-3.0"),
        ("POST", "/kling/v1/text-to-video/kling-3.0"),
        ("GET", "/kling/tasks?task_ids=1"),
        ("POST", "/kling/tasks"),
    ]:
        answer = kling.request(method, path, headers=gateway_key, json=body(text="a"))
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
    for method, path in [
        ("POST", "/v1/text-to-video/kling-3.0"),
        ("GET", "/text-to-video/kling-3.0"),
        ("POST", "/lip-sync/kling-3.0"),
        ("POST", "/text-to-video/kling-3.0/extra"),
        ("DELETE", "/tasks"),
    ]:
        refusal(kling.request(method, path, json=body(text="a")), 404, 1202)
    message = refusal(kling.post("/text-to-video/kling-9", json=body(text="a")), 404, 1203)
    assert "kling-9" in message and "kling-3.0-turbo" in message
    assert "kling-3.0-omni" in refusal(kling.post("/omni-video/kling-3.0", json={}), 404, 1203)
    assert sim.stats().tasks_created == 0


def test_callbacks_carry_the_newer_task_object(sim: KlingSimulator, kling: httpx.Client) -> None:
    options = {"callback_url": sim.callback_sink_url, "external_task_id": "cb-1"}
    task_id = create(kling, T2V, {**body(text="a fox"), "options": options})["id"]
    wait_until(lambda: sim.stats().callbacks_sent == 1)
    sim.advance(3)
    wait_until(lambda: sim.stats().callbacks_sent == 3)
    bodies = [entry["body"] for entry in sim.received_callbacks()]
    assert [b["status"] for b in bodies] == ["submitted", "processing", "succeeded"]
    for delivered in bodies:
        assert "code" not in delivered and "data" not in delivered  # no envelope
        assert (delivered["id"], delivered["external_id"]) == (task_id, "cb-1")
    assert bodies[-1] == one(kling, task_id)
    assert bodies[-1]["billing"][0]["amount"] == "1.5"


def test_signed_callbacks_verify(make_sim) -> None:
    from prefect_kling.callbacks.signatures import verify_signature
    from prefect_kling.simulator import SignedCallbackFormat

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    sim = make_sim(callback_format=SignedCallbackFormat(secret))
    with api_client(sim) as kling:
        options = {"callback_url": sim.callback_sink_url}
        create(kling, T2V, {**body(text="a fox"), "options": options})
    (entry,) = wait_until(sim.received_callbacks)
    verify_signature(secret, entry["headers"], json.dumps(entry["body"]).encode())
    assert entry["body"]["status"] == "submitted"


def test_the_request_log(sim: KlingSimulator, kling: httpx.Client, http: httpx.Client) -> None:
    image = base64.b64encode(bytes(range(256)) * 24).decode()  # long: summarised in the log
    payload = body(prompt(), frame(url=image))
    create(kling, "/image-to-video/kling-2.5-turbo", payload)
    kling.get("/tasks", params={"task_ids": "1,2"})
    http.get(f"{sim.base_url}/_simulator/stats")  # control routes are not API requests
    http.get(f"{sim.base_url}/nowhere", headers={"Authorization": f"Bearer {make_token(sim)}"})
    created, queried, stray = sim.requests()
    assert created == {
        "method": "POST",
        "path": "/image-to-video/kling-2.5-turbo",
        "query": {},
        "auth": "bearer",
        "body": {"contents": [prompt(), frame(url=f"<{len(image)} characters>")]},
    }
    assert (queried["query"], queried["body"]) == ({"task_ids": "1,2"}, None)
    assert (stray["path"], stray["auth"]) == ("/nowhere", "jwt")
    assert sim.config.api_key not in json.dumps(sim.requests())
    assert http.get(f"{sim.base_url}/_simulator/requests").json() == sim.requests()
    sim.reset()
    assert sim.requests() == []


def test_the_request_log_keeps_the_last_thousand() -> None:
    log = RequestLog()
    for number in range(DEFAULT_LIMIT + 5):
        log.add("GET", f"/tasks/{number}", {}, None, b"")
    entries = log.entries()
    assert DEFAULT_LIMIT == 1000 and len(entries) == 1000
    assert (entries[0]["path"], entries[-1]["path"]) == ("/tasks/5", "/tasks/1004")


def test_tasks_survive_a_state_file(tmp_path: Path) -> None:
    path = tmp_path / "account.json"
    config = SimulatorConfig(**FAST)
    with KlingSimulator(config, state_path=path) as sim, api_client(sim) as kling:
        options = {"external_task_id": "kept"}
        task_id = create(
            kling, "/text-to-video/kling-3.0", {**body(text="a fox"), "options": options}
        )["id"]
        sim.advance(3)
        before = one(kling, task_id)
    with KlingSimulator(config, state_path=path) as again, api_client(again) as kling:
        assert one(kling, task_id) == before
        assert tasks(kling, "kept", external=True) == [before]
        assert page(kling)["result"] == [before]
        assert again.stats().units_by_family == {"video": 3.0}
        refusal(kling.post(T2V, json={**body(text="a"), "options": options}))  # id still taken


def test_simulator_credentials_with_the_api_key(sim: KlingSimulator) -> None:
    pytest.importorskip("prefect_kling.credentials")
    keyed = sim.credentials(api_key=True)
    assert keyed.provider == "kling" and keyed.base_url == sim.base_url
    assert keyed.api_key.get_secret_value() == sim.config.api_key
    assert keyed.access_key is None
    assert sim.credentials().access_key.get_secret_value() == sim.config.access_key


def test_legacy_clients_are_untouched(sim: KlingSimulator) -> None:
    with client_for(sim, "kling") as official:
        data = data_of(official.post("videos/text2video", json={"prompt": "a"}))
    assert set(data) == {"task_id", "task_status", "task_info", "created_at", "updated_at"}
