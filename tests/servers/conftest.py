"""The tests with real Prefect servers bring their own (`postgres_prefect_server`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_harness(no_secret_in_logs_or_reports: None) -> Iterator[None]:
    """No test Prefect server here: these tests run on the PostgreSQL-backed one.

    This replaces the package-wide session harness for this folder only, which under
    pytest-xdist a process runs alone (tests/scheduling.py). The leak guard of
    tests/conftest.py still reads every log record of the process.
    """
    yield
