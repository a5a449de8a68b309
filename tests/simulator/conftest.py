"""Fixtures for the simulator's tests: a fresh simulator and plain httpx clients for it."""

from __future__ import annotations

import base64
import io
import ssl
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import pytest
from PIL import Image

from prefect_kling.simulator import KlingSimulator, SimulatorConfig

# Building an SSL context loads CA certificates (~0.1 s); share one across test clients.
_SSL = ssl.create_default_context()

FAST = {"queue_seconds": 1.0, "processing_seconds": 2.0, "seed": 7, "image_long_side": 64}


def make_token(
    sim: KlingSimulator,
    *,
    iss: str | None = None,
    secret: str | None = None,
    exp_in: float = 1800,
    nbf_in: float = -5,
) -> str:
    """A Kling JWT for the simulator, with optional wrong parts."""
    now = int(time.time())
    payload = {"iss": iss or sim.config.access_key, "exp": now + exp_in, "nbf": now + nbf_in}
    return jwt.encode(payload, secret or sim.config.secret_key, algorithm="HS256")


def client_for(sim: KlingSimulator, provider: str) -> httpx.Client:
    """An httpx client on one provider's prefix, with valid credentials."""
    if provider == "kling":
        return httpx.Client(
            base_url=f"{sim.base_url}/v1",
            headers={"Authorization": f"Bearer {make_token(sim)}"},
            timeout=10,
            verify=_SSL,
        )
    return httpx.Client(
        base_url=f"{sim.base_url}/kling/v1",
        headers={"Authorization": f"Bearer {sim.config.api_key}"},
        timeout=10,
        verify=_SSL,
    )


def png_base64(width: int = 400, height: int = 300) -> str:
    """A raw Base64 PNG (no data: prefix)."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def wait_until(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll a condition in real time (for work done by the server's background loop)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


@pytest.fixture(scope="session")
def prefect_harness(no_secret_in_logs_or_reports: None) -> Iterator[None]:
    """No Prefect API here: the simulator's tests talk plain HTTP to the simulator.

    This replaces the package-wide session harness for this folder only (it takes ~20 s to
    start); the rest of the suite, and its end-of-session leak guard, still use it.
    """
    yield


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """A plain client without credentials or base URL."""
    with httpx.Client(timeout=10, verify=_SSL) as client:
        yield client


@pytest.fixture
def make_sim() -> Iterator[Callable[..., KlingSimulator]]:
    """Start simulators with the fast test settings plus overrides; stop them afterwards."""
    started: list[KlingSimulator] = []

    def make(**overrides: Any) -> KlingSimulator:
        sim = KlingSimulator(SimulatorConfig(**{**FAST, **overrides})).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim: Callable[..., KlingSimulator]) -> KlingSimulator:
    """A running simulator with the fast test settings."""
    return make_sim()


@pytest.fixture
def official(sim: KlingSimulator) -> Iterator[httpx.Client]:
    """A client on `/v1` with a valid JWT."""
    with client_for(sim, "kling") as client:
        yield client


@pytest.fixture
def gateway(sim: KlingSimulator) -> Iterator[httpx.Client]:
    """A client on `/kling/v1` with the gateway key."""
    with client_for(sim, "cometapi") as client:
        yield client


@pytest.fixture(params=["kling", "cometapi"])
def api(request: pytest.FixtureRequest, sim: KlingSimulator) -> Iterator[httpx.Client]:
    """A client on each provider's prefix in turn."""
    with client_for(sim, request.param) as client:
        yield client
