"""Running the simulator: in a background thread (`KlingSimulator`) or foreground (`serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from prefect_kling._foreground import ForegroundServer
from prefect_kling.simulator.app import build_app
from prefect_kling.simulator.banner import banner
from prefect_kling.simulator.config import SimulatorConfig
from prefect_kling.simulator.faults import FaultKind, Scope
from prefect_kling.simulator.state import SimulatorState
from prefect_kling.simulator.state_file import read_state_file, saved_port, write_state_file
from prefect_kling.simulator.stats import SimulatorStats

if TYPE_CHECKING:
    from prefect_kling.credentials import KlingCredentials
    from prefect_kling.runtime import Runtime

_START_TIMEOUT = 10.0
_GRACE_SECONDS = 1.0
_YIELD_SECONDS = 0.001
"""Real time a simulated sleep still takes, so that other threads get their turn."""


def _bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket bound to `host:port` (port 0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off only for sockets whose protocol
    # says TCP, and with Nagle on every small answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _bind_preferring(host: str, port: int, saved: int | None) -> socket.socket:
    """Bind `port`; for port 0, the saved port first when it is free (a state file's)."""
    if port == 0 and saved:
        with contextlib.suppress(OSError):  # taken: any free port will do
            return _bind(host, saved)
    return _bind(host, port)


def _base_url(host: str, port: int) -> str:
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - only to build a reachable URL
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _uvicorn_config(app: Any, **overrides: Any) -> uvicorn.Config:
    settings: dict[str, Any] = {
        # h11 and plain asyncio: the connection faults rely on their behaviour.
        "http": "h11",
        "loop": "asyncio",
        "ws": "none",
        "lifespan": "on",
        "proxy_headers": False,
        "timeout_graceful_shutdown": _GRACE_SECONDS,
        # Longer than httpx's 5 s keep-alive, as real servers are: the client lets an idle
        # connection go first, and never reuses one the server is just closing.
        "timeout_keep_alive": 30,
        # Leave the host process's logging alone.
        "log_config": None,
        "log_level": None,
    }
    settings.update(overrides)
    return uvicorn.Config(app, **settings)


class _Server(uvicorn.Server):
    """A uvicorn server that says when it is ready and stops without fixed sleeps."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        await super().startup(sockets=sockets)
        self.ready.set()

    async def main_loop(self) -> None:
        # uvicorn polls `should_exit` every 0.1 s; waiting on an event makes stop() quick.
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            assert self._wake is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Same steps as uvicorn's shutdown, polling every few milliseconds instead of
        # sleeping 0.1 s, and cutting whatever is still running after the grace period.
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.timeout_graceful_shutdown
        state = self.server_state
        while (state.connections or state.tasks) and loop.time() < deadline:
            await asyncio.sleep(0.005)
        for task in list(state.tasks):
            task.cancel()
        for connection in list(state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        await asyncio.sleep(0)
        await self.lifespan.shutdown()

    def request_exit(self) -> None:
        """Ask the server to stop (from any thread)."""
        self.should_exit = True
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._wake.set)


class KlingSimulator:
    """A Kling-compatible API server on loopback, run in a background thread.

    It serves Kling's official API (`/v1`, API key or JWT; the newer standard's
    `/<product>/<model>` and `/tasks` at the root, API key only) and a gateway's
    (`/kling/v1`, bearer key), runs tasks on its own clock, enforces concurrency, sends
    callbacks, serves real MP4 and PNG results, injects faults on demand, counts everything
    it does and keeps the last API requests (`requests`).

    Args:
        config: Settings; the defaults make a demo server with fixed demo keys.
        host: Interface to listen on (loopback by default).
        port: Port to listen on; 0 picks a free one (the state file's port first, when
            it names one that is free).
        state_path: A JSON file that keeps the account between runs: read when the
            simulator is made (when it exists), written when it stops (see `state_file`).

    Raises:
        ValueError: `state_path` exists and is not a simulator state file.

    Examples:
        >>> import httpx
        >>> from prefect_kling.simulator import KlingSimulator, SimulatorConfig
        >>> config = SimulatorConfig(queue_seconds=0, processing_seconds=5, seed=7)
        >>> with KlingSimulator(config) as sim:
        ...     headers = {"Authorization": f"Bearer {sim.config.api_key}"}
        ...     url = f"{sim.base_url}/kling/v1/videos/text2video"
        ...     task = httpx.post(url, json={"prompt": "a fox"}, headers=headers).json()["data"]
        ...     sim.advance(10)
        ...     done = httpx.get(f"{url}/{task['task_id']}", headers=headers).json()["data"]
        ...     (done["task_status"], sim.stats().tasks_created)
        ('succeed', 1)
    """

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self._state = SimulatorState(config or SimulatorConfig())
        self._host = host
        self._port = port
        self._state_path = Path(state_path) if state_path is not None else None
        self._saved_port: int | None = None
        if self._state_path is not None:
            saved = read_state_file(self._state_path)
            if saved is not None:
                self._state.restore(saved)
                self._saved_port = saved_port(saved)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> KlingSimulator:
        """Start serving in a background thread; returns once requests are accepted.

        Raises:
            RuntimeError: If the server did not come up.
        """
        if self._thread is not None:
            return self
        sock = _bind_preferring(self._host, self._port, self._saved_port)
        self._port = sock.getsockname()[1]
        self._state.base_url = _base_url(self._host, self._port)
        server = _Server(_uvicorn_config(build_app(self._state)))
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"kling-simulator-{self._port}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.ready.wait(0.01):
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError("the Kling simulator did not start")
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end, then save the state (idempotent)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.request_exit()
        thread.join(timeout=_GRACE_SECONDS + 5)
        self._server = self._thread = None
        if self._state_path is not None:
            self.save()

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the account (its tasks, packs and clock) to a state file.

        Args:
            path: Where; the `state_path` by default.

        Returns:
            The file written.

        Raises:
            ValueError: No path was given and the simulator has no `state_path`.
        """
        target = Path(path) if path is not None else self._state_path
        if target is None:
            raise ValueError("give a path: this simulator was made without a state_path")
        write_state_file(target, self._state.export())
        return target

    def __enter__(self) -> KlingSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        running = "running" if self._thread is not None else "stopped"
        return f"KlingSimulator({self.base_url!r}, {running})"

    # -- where and how to reach it ----------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Root URL, e.g. `http://127.0.0.1:53211` (add `/v1` or `/kling/v1` for the API)."""
        return self._state.base_url or _base_url(self._host, self._port)

    @property
    def config(self) -> SimulatorConfig:
        """The current settings (keys included)."""
        return self._state.config

    @property
    def state_path(self) -> Path | None:
        """The state file the account is kept in between runs, if any."""
        return self._state_path

    @property
    def callback_sink_url(self) -> str:
        """A `callback_url` that records deliveries; read them with `received_callbacks`."""
        return f"{self.base_url}/_simulator/callbacks"

    def credentials(self, provider: str = "kling", *, api_key: bool = False) -> KlingCredentials:
        """A `KlingCredentials` block pointed at this simulator.

        Args:
            provider: `kling` (Kling's own API) or `cometapi` (the gateway, bearer key).
            api_key: For `kling`: the API key, which Kling takes on `/v1` and on the newer
                standard alike, instead of the access and secret keys (JWTs, `/v1` only).

        Returns:
            The credentials.

        Raises:
            ValueError: For an unknown provider.
        """
        from prefect_kling.credentials import KlingCredentials

        config = self.config
        if provider == "kling" and api_key:
            return KlingCredentials(api_key=config.api_key, base_url=self.base_url)
        if provider == "kling":
            return KlingCredentials(
                provider="kling",
                base_url=self.base_url,
                access_key=config.access_key,
                secret_key=config.secret_key,
            )
        if provider == "cometapi":
            return KlingCredentials(
                provider="cometapi", base_url=self.base_url, api_key=config.api_key
            )
        raise ValueError(f"provider must be 'kling' or 'cometapi', got {provider!r}")

    def runtime(self) -> Runtime:
        """A `Runtime` on this simulator's clock, for flows and waits that take no real time.

        Its sleep moves the simulator's clock forward instead of waiting (tasks and
        callbacks catch up at once), and its clocks read the simulator's time, so a flow
        run with it polls a 5-minute task in a few milliseconds.

        Examples:
            >>> from prefect_kling.waiting import PollWaiter
            >>> config = SimulatorConfig(queue_seconds=60, processing_seconds=300)
            >>> with KlingSimulator(config) as sim, sim.credentials().get_client() as client:
            ...     reference = client.create("text2video", {"prompt": "a slow fox"})
            ...     with PollWaiter(sim.credentials(), runtime=sim.runtime()) as waiter:
            ...         task = waiter.wait(reference, max_wait_seconds=3600)
            ...     task.status, sim.clock_offset >= 360
            ('succeed', True)
        """
        from prefect_kling.runtime import Runtime

        clock = self._state.clock

        def sleep(seconds: float) -> None:
            self.advance(max(0.0, seconds))
            time.sleep(_YIELD_SECONDS)

        def now() -> datetime:
            return datetime.fromtimestamp(clock.wall_ms() / 1000, tz=UTC)

        return Runtime(clock=clock.now, now=now, sleep=sleep)

    @property
    def clock_offset(self) -> float:
        """Seconds the simulator's clock has been moved forward (by `advance`)."""
        return self._state.clock.offset

    # -- control and inspection -----------------------------------------------------------

    def stats(self) -> SimulatorStats:
        """A snapshot of what happened on the server side."""
        return self._state.stats()

    def tasks(self) -> list[dict[str, Any]]:
        """Every task with its request, status and internal details, oldest first."""
        return self._state.inspect_tasks()

    def received_callbacks(self) -> list[dict[str, Any]]:
        """Requests received at `callback_sink_url`, oldest first."""
        return self._state.received_callbacks()

    def requests(self) -> list[dict[str, Any]]:
        """The last API requests received (up to 1000), oldest first.

        Each is `{"method", "path", "query", "auth", "body"}`: `auth` says what credential
        came (`"bearer"` for a key, `"jwt"` for a token shaped like a JWT, `None`), never
        its value; `body` is the JSON body (long strings summarised), or `None`. See
        `request_log`.
        """
        return self._state.request_log.entries()

    def advance(self, seconds: float) -> None:
        """Move the simulator's clock forward; tasks and callbacks catch up at once."""
        self._state.advance(seconds)

    def reset(self) -> None:
        """Forget tasks, counters, queued faults, received callbacks and logged requests."""
        self._state.reset()

    def configure(self, **changes: Any) -> SimulatorConfig:
        """Change settings while running, e.g. `sim.configure(fault_rate=0.1)`.

        Returns:
            The new settings.
        """
        return self._state.configure(**changes)

    def inject(self, kind: FaultKind | str, times: int = 1, on: Scope | None = None) -> None:
        """Force a fault on the next `times` eligible requests.

        Args:
            kind: A `FaultKind` or its name, e.g. `"create_error_after"`.
            times: How many eligible requests get it.
            on: Restrict to one scope: `create`, `query`, `list` or `download`.
        """
        self._state.inject(kind, times, on)


def serve(
    config: SimulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    state_path: str | os.PathLike[str] | None = None,
    out: TextIO | None = None,
) -> None:
    """Run the simulator in the foreground until Ctrl-C; say once where it listens.

    Args:
        config: Settings; the defaults make a demo server with fixed demo keys.
        host: Interface to listen on.
        port: Port to listen on (0 picks a free one, the state file's first when it names
            one that is free; the banner shows the one it got).
        state_path: A JSON file that keeps the account between runs: read at the start
            (when it exists), written when the server stops.
        out: Where the banner goes (stderr by default; uvicorn's log lines go to stderr).

    Raises:
        ValueError: `state_path` exists and is not a simulator state file.
    """
    state = SimulatorState(config or SimulatorConfig())
    path = Path(state_path) if state_path is not None else None
    saved = read_state_file(path) if path is not None else None
    if saved is not None:
        state.restore(saved)
    sock = _bind_preferring(host, port, saved_port(saved))
    port = sock.getsockname()[1]
    state.base_url = _base_url(host, port)
    keeper = _StateKeeper(state, path)
    stream = out or sys.stderr

    def announce() -> None:
        stream.write(banner(state.config, state.base_url, path))
        stream.flush()

    server = ForegroundServer(
        _uvicorn_config(build_app(state), log_config=LOGGING_CONFIG, log_level="info"),
        on_started=announce,
        on_stopped=keeper.save,
    )
    try:
        # Inside the try: a Ctrl-C right after the banner is read still saves the state.
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    finally:
        keeper.save()


class _StateKeeper:
    """Writes the state file once, when the server has stopped (no file: does nothing)."""

    def __init__(self, state: SimulatorState, path: Path | None) -> None:
        self._state = state
        self._path = path
        self._saved = False

    def save(self) -> None:
        if self._path is not None and not self._saved:
            write_state_file(self._path, self._state.export())
            self._saved = True
