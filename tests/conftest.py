"""Test set-up: an isolated Prefect, canary secrets, and a guard that they never leak.

Every test that needs keys uses the canary values below. At the end of the session the
guard looks for them in every log record emitted, every failure report, and every artifact
in Prefect's database; finding one fails the run.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.prefect_server import EVENT_FLUSH_SECONDS, PrefectServer

if TYPE_CHECKING:
    from prefect_kling.simulator import KlingSimulator

_PREFECT_HOME = Path(tempfile.mkdtemp(prefix="prefect-kling-tests-"))
os.environ.update(
    {
        "PREFECT_HOME": str(_PREFECT_HOME),
        "PREFECT_LOCAL_STORAGE_PATH": str(_PREFECT_HOME / "storage"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.3",
        # The test server writes the events it received every 5 s by default: a test that
        # reads them back would wait for that.
        "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL": str(EVENT_FLUSH_SECONDS),
    }
)
for _name in list(os.environ):
    if _name.startswith("KLING_"):
        del os.environ[_name]

ACCESS_KEY = "ak-canary-ACCESS-4f1d2c9e8b7a"
SECRET_KEY = "sk-canary-SECRET-9a8b7c6d5e4f3a2b"
API_KEY = "ck-canary-APIKEY-0f9e8d7c6b5a4f3e"


def canary_simulator(**settings: Any) -> KlingSimulator:
    """A simulator (not started) that takes the canary keys, with quick tasks by default."""
    from prefect_kling.simulator import KlingSimulator, SimulatorConfig

    quick = {"queue_seconds": 0.05, "processing_seconds": 0.2}
    keys = {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "api_key": API_KEY}
    return KlingSimulator(SimulatorConfig(**{**quick, **keys, **settings}))


SECRETS = (ACCESS_KEY, SECRET_KEY, API_KEY)


class _RecordEverything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(record.getMessage())
        except Exception:  # a broken record must not break the guard
            self.lines.append(str(record.msg))
        if record.exc_info and record.exc_info[1] is not None:
            self.lines.append(repr(record.exc_info[1]))


_LOG_RECORDER = _RecordEverything()
_FAILURE_REPORTS: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger().addHandler(_LOG_RECORDER)
    logging.getLogger().setLevel(logging.DEBUG)


_REAL_SERVER = PrefectServer(_PREFECT_HOME / "real-server")
"""The `prefect server start` that the tests with workers share (see `real_prefect_server`)."""


@pytest.hookimpl(trylast=True)  # after -k and -m deselected what they do
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.option.collectonly:
        return
    if any("real_prefect_server" in getattr(item, "fixturenames", ()) for item in items):
        # Its start (some 10 s) overlaps the test server's and the tests before it.
        _REAL_SERVER.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    _REAL_SERVER.stop()


@pytest.fixture(scope="session")
def real_prefect_server() -> PrefectServer:
    """A real Prefect server (`prefect server start`, all its services) for tests with workers.

    Shared by the session: tests keep apart by their own work pools, deployments, blocks
    and Kling simulators.
    """
    _REAL_SERVER.ready()
    return _REAL_SERVER


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _FAILURE_REPORTS.append(str(report.longrepr))


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # The flow-run heartbeat's thread holds every flow run up to a second at its end
    # (it sleeps in one-second steps); the package does not depend on it.
    no_heartbeat = temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    with no_heartbeat, prefect_test_harness(server_startup_timeout=120):
        yield
        _assert_no_secret_in_artifacts()
    _assert_no_secret_in(_LOG_RECORDER.lines, "a log record")
    _assert_no_secret_in(_FAILURE_REPORTS, "a failure report")


def _assert_no_secret_in(texts: list[str], where: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"a secret appeared in {where}: {text[:200]!r}"


def _assert_no_secret_in_artifacts() -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(limit=200)
    _assert_no_secret_in(
        [str(artifact.data) + str(artifact.description) for artifact in artifacts], "an artifact"
    )


@pytest.fixture
def canary_keys() -> dict[str, str]:
    """The keys every test uses, so that the leak guard can look for them."""
    return {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "api_key": API_KEY}
