"""Fixtures of the download tests: a fake CDN, recorded sleeps, and a saver wired to both."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from prefect_kling.downloads import SavedFile, save_task_results
from prefect_kling.models.kling_task import KlingTask
from tests.downloads.cdn import POLICY, REF, FakeCDN


@pytest.fixture
def cdn() -> FakeCDN:
    return FakeCDN()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def save(cdn: FakeCDN, sleeps: list[float]) -> Callable[..., list[SavedFile]]:
    def run(task: KlingTask, destination, **kwargs) -> list[SavedFile]:
        kwargs.setdefault("retry_policy", POLICY)
        kwargs.setdefault("chunk_size", 4096)
        with cdn.client() as http:
            return save_task_results(
                task, REF, destination, http=http, sleep=sleeps.append, **kwargs
            )

    return run
