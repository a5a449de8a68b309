"""A real Prefect server and workers on loopback, each with its own temporary home.

Starting `prefect server start` on a fresh database takes some 10 s (most of it migrations),
so the tests that need one share a single server for the session, on PostgreSQL (the
`postgres_prefect_server` fixture of tests/conftest.py), started in the background as soon
as collection shows that a test will need it. Workers ask for work every
`WORKER_QUERY_SECONDS` instead of Prefect's 10 s, and the server writes the events it
received every `EVENT_FLUSH_SECONDS` instead of 5 s, so that a flow run starts, and an
event can be read back, soon after the fact.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

PREFECT = [sys.executable, "-m", "prefect"]
WORKER_QUERY_SECONDS = 1.0
"""How often the workers ask the server for flow runs to start."""
EVENT_FLUSH_SECONDS = 1.0
"""How often the servers write the events they received (Prefect's default: 5 s)."""
REPOSSESSOR_SECONDS = 1.0
"""How often the servers free the slots of expired leases (Prefect's default: 15 s)."""
SLOT_WAIT_SECONDS = 2.0
"""Longest pause of a client asking again for a concurrency slot."""
POLL_SECONDS = 0.05
"""Pause between two looks at a condition that is not met yet."""

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], T], timeout: float, message: Callable[[], str]) -> T:
    """Look at `condition` every `POLL_SECONDS` until it returns something true.

    Args:
        condition: Returns a false value while the wait should go on.
        timeout: Real seconds to wait at most.
        message: Builds the failure message (called only on a timeout).

    Returns:
        The first true value `condition` returned.

    Raises:
        AssertionError: `condition` returned nothing true within `timeout`.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, message()
        time.sleep(POLL_SECONDS)


def sigint_as_in_a_terminal() -> None:
    """For `preexec_fn`: SIGINT raises KeyboardInterrupt, whatever the parent ignores.

    A suite started in the background (`... &`, as CI may) ignores SIGINT, and a child
    inherits that: a Prefect worker, which stops on SIGTERM by sending itself SIGINT, would
    then not stop at all.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def server_environment(home: Path, api_url: str | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PREFECT_") and not key.startswith("KLING_")
    }
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if "PREFECT_API_SSL_CERT_FILE" in os.environ:  # see tests/prefect_api_ca.py
        env["PREFECT_API_SSL_CERT_FILE"] = os.environ["PREFECT_API_SSL_CERT_FILE"]
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


class PrefectServer:
    """`prefect server start` on a free loopback port, with a home of its own.

    `start` returns at once; `ready` waits for the API to answer. Starting early and
    waiting late lets the server come up while other work goes on.

    Every setting that makes the server answer sooner adds writes to its SQLite database,
    and a write that meets another one is answered 503 and repeated by the client after
    2 s or more: the values below are a balance, not a minimum.

    Args:
        home: Its `PREFECT_HOME` (its SQLite database, unless `database_url`, and `server.log`).
        database_url: Another database, e.g. PostgreSQL's `postgresql+asyncpg://...`.
        environment: More settings of the server, e.g. `PREFECT_SERVER_LOGGING_LEVEL`.
    """

    def __init__(
        self,
        home: Path,
        database_url: str | None = None,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.home = home
        self.database_url = database_url
        self.environment = environment or {}
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def api_url(self) -> str:
        """The API's URL (once started)."""
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def log(self) -> Path:
        """The server's output."""
        return self.home / "server.log"

    @property
    def pid(self) -> int:
        """The server process's id (once started)."""
        assert self._process is not None, "not started"
        return self._process.pid

    def start(self) -> None:
        """Start the server process (once); does not wait for it."""
        if self._process is not None:
            return
        self.home.mkdir(parents=True, exist_ok=True)
        self._log = self.log.open("ab")
        self.port = free_port()
        environment = {
            **server_environment(self.home),
            "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL": str(EVENT_FLUSH_SECONDS),
            # A client refused a concurrency slot asks again after the slots' average
            # occupancy (up to 30 s by default).
            "PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS": str(
                SLOT_WAIT_SECONDS
            ),
            "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": str(REPOSSESSOR_SECONDS),
            **self.environment,
        }
        if self.database_url:
            environment["PREFECT_API_DATABASE_CONNECTION_URL"] = self.database_url
        self._process = subprocess.Popen(
            [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def ready(self, timeout: float = 120) -> str:
        """Start the server if needed and wait until it answers; return its API URL.

        A server that stops before answering (its port taken meanwhile, say) is started
        once more on another port.

        Raises:
            RuntimeError: The server stopped twice, or did not answer within `timeout`.
        """
        self.start()
        deadline = time.monotonic() + timeout
        attempts = 1
        while True:
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return self.api_url
            except httpx.HTTPError:
                pass
            process = self._process
            stopped = process is None or process.poll() is not None
            if stopped and attempts < 2:
                attempts += 1
                self.stop()
                self.start()
            elif stopped or time.monotonic() > deadline:
                raise RuntimeError(f"Prefect server did not start: {self.log.read_text()[-2000:]}")
            time.sleep(POLL_SECONDS)

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def descendants(pid: int) -> list[int]:
    """The processes started by `pid`, by their children and so on (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, waiting = [], [pid]
    while waiting:
        for child in children.get(waiting.pop(), []):
            found.append(child)
            waiting.append(child)
    return found


def kill_machine(worker: subprocess.Popen) -> None:
    """SIGKILL a worker and every process it started (its flow runs), as if its machine died."""
    for pid in [*descendants(worker.pid), worker.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    worker.wait(timeout=10)


@contextmanager
def workers(
    home: Path,
    api_url: str,
    pool: str,
    count: int,
    cwd: Path | None = None,
    environment: dict[str, str] | None = None,
    first: int = 0,
    own_queues: bool = False,
) -> Iterator[list[subprocess.Popen]]:
    """Start `count` process workers on the pool, asking for work every `WORKER_QUERY_SECONDS`.

    Each worker is a machine of its own that shares nothing with the others but the Prefect
    API: its own `PREFECT_HOME` (`home/worker-<n>`, so its own local result storage and
    profile) and, unless `cwd` is given, its own working folder (`home/worker-<n>/work`).
    Its output goes to `home/worker-<n>.log`. Workers are numbered from `first`. With
    `own_queues`, each takes only the runs of the pool's work queue `worker-<n>` (made when
    missing), so that a run can be sent to one worker: `run_deployment(...,
    work_queue_name="worker-<n>")`.
    """
    processes, logs = [], []
    try:
        for number in range(first, first + count):
            machine = home / f"worker-{number}"
            (machine / "work").mkdir(parents=True, exist_ok=True)
            variables = {
                **server_environment(machine, api_url),
                "PREFECT_WORKER_QUERY_SECONDS": str(WORKER_QUERY_SECONDS),
                **(environment or {}),
            }
            log = (home / f"worker-{number}.log").open("wb")
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [
                        *PREFECT,
                        "worker",
                        "start",
                        "--pool",
                        pool,
                        "--type",
                        "process",
                        "--name",
                        f"worker-{number}",
                        *(["--work-queue", f"worker-{number}"] if own_queues else []),
                    ],
                    env=variables,
                    cwd=cwd or machine / "work",
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=sigint_as_in_a_terminal,
                )
            )
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


def set_video_limit(client: Any, account: str, slots: int) -> str:
    """Give the account's video limit `slots` slots on the server; return the limit's name.

    The server is shared with other tests, whose flows may have made the limit with its
    default size: the test sets its own.
    """
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    from prefect_kling.endpoints import Family

    name = Family.VIDEO.limit_name(account)
    with contextlib.suppress(ObjectNotFound):
        client.delete_global_concurrency_limit_by_name(name)
    client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=slots))
    return name
