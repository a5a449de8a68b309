"""The simulator's own surface: lifecycle, inspection routes, configuration, docs examples."""

from __future__ import annotations

import doctest
import importlib
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

import prefect_kling.simulator as simulator_package
from prefect_kling.simulator import KlingSimulator, SimulatorConfig, SimulatorStats
from tests.cli_processes import sigint_as_in_a_terminal

from .conftest import client_for


def test_public_names() -> None:
    assert sorted(simulator_package.__all__) == [
        "CallbackFormat",
        "FaultKind",
        "KlingCallbackFormat",
        "KlingSimulator",
        "SignedCallbackFormat",
        "SimulatorConfig",
        "SimulatorStats",
        "serve",
    ]
    for name in simulator_package.__all__:
        assert getattr(simulator_package, name)


def test_the_simulator_is_independent_of_the_client() -> None:
    folder = os.path.dirname(simulator_package.__file__)
    for name in os.listdir(folder):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), encoding="utf-8") as source:
                text = source.read()
            for module in ("models", "capabilities", "endpoints", "client"):
                assert f"prefect_kling.{module}" not in text, (name, module)


@pytest.mark.parametrize(
    "module",
    [
        "prefect_kling.simulator",
        "prefect_kling.simulator.assets",
        "prefect_kling.simulator.auth",
        "prefect_kling.simulator.clock",
        "prefect_kling.simulator.faults",
        "prefect_kling.simulator.files",
        "prefect_kling.simulator.routes",
        "prefect_kling.simulator.validation",
        "prefect_kling.simulator.server",
    ],
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_start_and_stop_are_quick() -> None:
    started = time.monotonic()
    for _ in range(5):
        with KlingSimulator() as sim:
            assert sim.base_url.startswith("http://127.0.0.1:")
    assert time.monotonic() - started < 2.5


def test_stop_is_idempotent_and_the_port_is_released() -> None:
    sim = KlingSimulator().start()
    url = sim.base_url
    sim.stop()
    sim.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_simulator/stats")


def test_defaults_are_demo_keys() -> None:
    config = SimulatorConfig()
    assert config.access_key and config.secret_key and config.api_key
    assert config.concurrency == {"video": 5, "image": 5, "try-on": 2}
    assert SimulatorConfig(concurrency={"video": 4}).concurrency["image"] == 5
    with pytest.raises(ValueError):
        SimulatorConfig(concurrency={"audio": 1})


def test_stats_route_matches_stats(sim: KlingSimulator, http: httpx.Client) -> None:
    with client_for(sim, "kling") as client:
        client.post("videos/text2video", json={"prompt": "a"})
        client.get("videos/text2video/nope")
        client.get("videos/text2video")
    stats = sim.stats()
    assert isinstance(stats, SimulatorStats)
    assert (stats.create_calls, stats.query_calls, stats.list_calls) == (1, 1, 1)
    assert stats.tasks_by_endpoint == {"text2video": 1}
    assert stats.answers_by_code == {0: 2, 1203: 1}
    served = http.get(f"{sim.base_url}/_simulator/stats").json()
    assert served == stats.to_dict()
    assert served["answers_by_code"] == {"0": 2, "1203": 1}
    assert set(served) >= {
        "tasks_created",
        "peak_in_flight",
        "in_flight",
        "callbacks_sent",
        "callbacks_failed",
        "downloads",
        "faults_injected",
        "duplicate_external_ids",
    }


def test_control_routes(sim: KlingSimulator, http: httpx.Client) -> None:
    base = f"{sim.base_url}/_simulator"
    with client_for(sim, "cometapi") as client:
        body = {"prompt": "a", "external_task_id": "x-1", "mode": "pro"}
        task_id = client.post("videos/text2video", json=body).json()["data"]["task_id"]
    (task,) = http.get(f"{base}/tasks").json()
    assert task["task_id"] == task_id
    assert task["provider"] == "cometapi"
    assert task["request"] == body
    assert task["status"] == "submitted"

    assert http.post(f"{base}/advance", json={"seconds": 10}).json()["offset"] == 10
    assert http.get(f"{base}/tasks").json()[0]["status"] == "succeed"
    assert http.post(f"{base}/advance", json={"seconds": -1}).status_code == 400

    assert http.post(f"{base}/config", json={"fault_rate": 0.5}).json()["fault_rate"] == 0.5
    assert sim.config.fault_rate == 0.5
    assert http.post(f"{base}/config", json={"fault_rate": 2}).status_code == 400
    assert http.post(f"{base}/config", json={"colour": "red"}).status_code == 400
    assert http.get(f"{base}/config").json()["api_key"] == sim.config.api_key

    pending = http.post(f"{base}/inject", json={"kind": "html", "times": 2}).json()["pending"]
    assert pending == [{"kind": "html", "times": 2, "on": None}]
    assert http.post(f"{base}/inject", json={"kind": "meteor"}).status_code == 400

    assert http.post(f"{base}/reset").status_code == 200
    assert http.get(f"{base}/tasks").json() == []
    assert sim.stats().tasks_created == 0


def test_callback_sink_route(sim: KlingSimulator, http: httpx.Client) -> None:
    http.post(sim.callback_sink_url, json={"task_id": "1"})
    http.post(f"{sim.callback_sink_url}/any/path", content=b"plain")
    received = http.get(sim.callback_sink_url).json()
    assert [entry["body"] for entry in received] == [{"task_id": "1"}, "plain"]
    assert received[1]["path"] == "/_simulator/callbacks/any/path"


def test_reset_forgets_everything(sim: KlingSimulator, official: httpx.Client) -> None:
    official.post("videos/text2video", json={"prompt": "a", "external_task_id": "r-1"})
    sim.inject("html")
    sim.reset()
    assert sim.stats() == SimulatorStats(
        in_flight={"video": 0, "image": 0, "try-on": 0},
        peak_in_flight={"video": 0, "image": 0, "try-on": 0},
    )
    response = official.post("videos/text2video", json={"prompt": "a", "external_task_id": "r-1"})
    assert response.status_code == 200  # the html fault and the external id are gone


def test_credentials(sim: KlingSimulator) -> None:
    pytest.importorskip("prefect_kling.credentials")
    official = sim.credentials()
    assert official.provider == "kling"
    assert official.base_url == sim.base_url
    assert official.access_key.get_secret_value() == sim.config.access_key
    gateway = sim.credentials(provider="cometapi")
    assert gateway.provider == "cometapi"
    assert gateway.api_key.get_secret_value() == sim.config.api_key
    with pytest.raises(ValueError):
        sim.credentials(provider="elsewhere")


def test_serve_in_the_foreground() -> None:
    code = "from prefect_kling.simulator import serve; serve(port=0)"
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
        preexec_fn=sigint_as_in_a_terminal,
    )
    try:
        assert process.stderr is not None
        banner = next(line for line in process.stderr if line.startswith("Kling simulator on"))
        url = banner.split()[-1]
        assert url.startswith("http://127.0.0.1:")
        assert _answers(url)  # the banner comes once the server answers
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_simulator/stats").status_code == 200
    except httpx.TransportError:
        return False
