"""What the benchmarks share: an isolated Prefect, the simulator's timeline, figures, output.

Importing this module isolates Prefect (`isolate_prefect`): import it before anything that
imports Prefect, which reads its settings on import. Its name sorts before every other
third-party module, so the import order keeps it first.
"""

from __future__ import annotations

import atexit
import heapq
import json
import math
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def isolate_prefect() -> Path:
    """A temporary PREFECT_HOME, no telemetry, no console logs below WARNING."""
    home = Path(tempfile.mkdtemp(prefix="prefect-kling-bench-"))
    atexit.register(shutil.rmtree, home, True)
    os.environ.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_LOCAL_STORAGE_PATH": str(home / "storage"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            # The runs still log to the API; only the terminal stays readable.
            "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
        }
    )
    os.environ.pop("PREFECT_API_URL", None)
    for name in list(os.environ):
        if name.startswith("KLING_"):
            del os.environ[name]
    return home


@contextmanager
def prefect_server() -> Iterator[None]:
    """A Prefect API of its own (temporary database, subprocess server) for the block."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def set_limit(family: str, slots: int) -> None:
    """Create or resize the simulator account's limits `kling-<family>-<account>`.

    Every benchmark's simulator takes the demo keys, so their account is one: named after
    the access key for the /v1 side, after the API key for the newer standard's.
    """
    from prefect.client.orchestration import get_client

    from prefect_kling import KlingCredentials
    from prefect_kling.endpoints import Family
    from prefect_kling.simulator import SimulatorConfig

    config = SimulatorConfig()
    accounts = {
        KlingCredentials(access_key=config.access_key, secret_key=config.secret_key).account,
        KlingCredentials(api_key=config.api_key).account,
    }
    with get_client(sync_client=True) as client:
        for account in accounts:
            client.upsert_global_concurrency_limit_by_name(
                Family(family).limit_name(account), slots
            )


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """The median; NaN when empty."""
    return statistics.median(values) if values else math.nan


def rounded(value: Any, digits: int = 3) -> Any:
    """Floats rounded for the JSON line (NaN becomes null)."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, digits)
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item, digits) for item in value]
    return value


def emit(figures: dict[str, Any]) -> None:
    """Print the figures as one JSON object: the last line of every benchmark."""
    print(json.dumps(rounded(figures)), flush=True)


def finished_at(task: dict[str, Any]) -> float | None:
    """When the simulator's timeline ended a task, Unix seconds (None while running).

    `updated_at` of a finished task is the moment its timeline says it ended (the
    simulator's ticks, every 50 ms, make the status visible at most one tick later).
    """
    if task["status"] not in ("succeed", "failed"):
        return None
    return task["updated_at"] / 1000


def timeline(task: dict[str, Any]) -> dict[str, float]:
    """Created and ended times of one finished simulator task (Unix seconds)."""
    return {"created": task["created_at"] / 1000, "ended": task["updated_at"] / 1000}


@contextmanager
def varied_durations(sim: Any, spread: float, seed: int = 5) -> Iterator[None]:
    """Give each new task of `sim` a processing time within +-`spread` of the configured one.

    Real Kling tasks vary in length; with every task exactly as long as a poller's interval,
    a poller that sleeps that interval after the create would always find its task just
    finished. The draws are seeded: the n-th task of every run gets the same length.
    The simulator fixes durations at creation; this wraps its (private) task factory.
    """
    state = sim._state
    original = state._new_task_locked
    draws = random.Random(seed)

    def varied(*args: Any, **kwargs: Any) -> Any:
        task = original(*args, **kwargs)
        task.processing_seconds *= 1 + draws.uniform(-spread, spread)
        return task

    state._new_task_locked = varied
    try:
        yield
    finally:
        state._new_task_locked = original


def zero_lag_floor(table: list[dict[str, float]], slots: int) -> float:
    """Seconds a scheduler with no lag at all would take on these task times, in this order.

    It starts a task the instant a slot frees; `table` holds each task's `created` and
    `ended` times (its length is their difference), taken in order of creation.
    """
    durations = [row["ended"] - row["created"] for row in sorted(table, key=lambda r: r["created"])]
    free_at = [0.0] * slots
    for duration in durations:
        heapq.heappush(free_at, heapq.heappop(free_at) + duration)
    return max(free_at)


class Stopwatch:
    """Thread-safe records of named moments per key, on the Unix clock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.moments: dict[str, dict[str, float]] = {}

    def mark(self, key: str, what: str, at: float | None = None) -> None:
        with self._lock:
            self.moments.setdefault(key, {}).setdefault(what, time.time() if at is None else at)


@contextmanager
def recorded_downloads(watch: Stopwatch) -> Iterator[None]:
    """Record when the flows start and finish saving each task's files (by task id).

    Wraps `save_task_results` as the generation pipeline calls it: the start of the
    download is the moment the flow acts on a finished task.
    """
    import prefect_kling.flows.pipeline as pipeline

    original = pipeline.save_task_results

    def timed(task: Any, reference: Any, *args: Any, **kwargs: Any) -> Any:
        watch.mark(reference.task_id, "download_started")
        try:
            return original(task, reference, *args, **kwargs)
        finally:
            watch.mark(reference.task_id, "downloaded")

    pipeline.save_task_results = timed
    try:
        yield
    finally:
        pipeline.save_task_results = original


def scratch(prefix: str) -> Path:
    """A temporary folder removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, True)
    return folder


HOME = isolate_prefect()
