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
