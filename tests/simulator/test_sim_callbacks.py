"""Callbacks: the bare task object POSTed on every status change."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from prefect_kling.simulator import KlingSimulator
from prefect_kling.simulator.server import _Server, _uvicorn_config

from .conftest import client_for, wait_until


def test_every_status_change_is_delivered(sim: KlingSimulator, api: httpx.Client) -> None:
    body = {"prompt": "a", "callback_url": sim.callback_sink_url, "external_task_id": "cb-1"}
    task_id = api.post("videos/text2video", json=body).json()["data"]["task_id"]
    wait_until(lambda: sim.stats().callbacks_sent == 1)
    sim.advance(1)
    wait_until(lambda: sim.stats().callbacks_sent == 2)
    sim.advance(2)
    wait_until(lambda: sim.stats().callbacks_sent == 3)

    received = sim.received_callbacks()
    bodies = [entry["body"] for entry in received]
    assert [b["task_status"] for b in bodies] == ["submitted", "processing", "succeed"]
    for delivered in bodies:
        assert "code" not in delivered and "data" not in delivered  # no envelope
        assert delivered["task_id"] == task_id
        assert delivered["task_info"] == {"external_task_id": "cb-1"}
        assert set(delivered) >= {"task_status_msg", "created_at", "updated_at", "task_result"}
    assert bodies[-1]["final_unit_deduction"] == "1"
    assert bodies[-1]["task_result"]["videos"][0]["url"].startswith(sim.base_url)
    assert received[0]["headers"]["content-type"] == "application/json"
    assert sim.stats().callbacks_failed == 0


def test_a_jump_over_several_statuses_sends_each(
    sim: KlingSimulator, gateway: httpx.Client
) -> None:
    body = {"prompt": "forbidden", "callback_url": sim.callback_sink_url}
    gateway.post("videos/text2video", json=body)
    sim.advance(60)
    wait_until(lambda: sim.stats().callbacks_sent == 3)
    statuses = [entry["body"]["task_status"] for entry in sim.received_callbacks()]
    assert statuses == ["submitted", "processing", "failed"]
    assert sim.received_callbacks()[-1]["body"]["task_status_msg"]


def test_failed_deliveries_are_counted(sim: KlingSimulator, official: httpx.Client) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    targets = [f"http://127.0.0.1:{closed_port}/hook", f"{sim.callback_sink_url}?status=500"]
    for target in targets:
        official.post("videos/text2video", json={"prompt": "a", "callback_url": target})
    sim.advance(10)
    wait_until(lambda: sim.stats().callbacks_failed == 6)
    assert sim.stats().callbacks_sent == 0
    # The server keeps working.
    assert official.get("videos/text2video").json()["code"] == 0


class Receiver:
    """A separate tiny HTTP server that records what it receives."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []

        async def hook(request: Request) -> JSONResponse:
            self.bodies.append(await request.json())
            return JSONResponse({"ok": True})

        app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.server = _Server(_uvicorn_config(app))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    import threading

    receiver = Receiver()
    thread = threading.Thread(
        target=receiver.server.run, kwargs={"sockets": [receiver.sock]}, daemon=True
    )
    thread.start()
    receiver.server.ready.wait(5)
    yield receiver
    receiver.server.request_exit()
    thread.join(5)


def test_delivery_to_another_server(sim: KlingSimulator, receiver: Receiver) -> None:
    with client_for(sim, "kling") as client:
        body = {
            "subject_image_list": [{"subject_image": "https://example.com/a.png"}],
            "n": 2,
            "callback_url": receiver.url,
        }
        client.post("images/multi-image2image", json=body)
    sim.advance(10)
    wait_until(lambda: len(receiver.bodies) == 3)
    assert [b["task_status"] for b in receiver.bodies] == ["submitted", "processing", "succeed"]
    assert len(receiver.bodies[-1]["task_result"]["images"]) == 2
