"""Ctrl-C and SIGTERM stop `prefect-kling` promptly, say how to resume, leave nothing running.

Ctrl-C raises `KeyboardInterrupt` as always; `StopSignals` makes SIGTERM raise `Stopped`,
so a `timeout` or a container stop unwinds the command like Ctrl-C does instead of killing
it on the spot (which left Prefect's temporary server behind). Inside a flow run, Prefect's
engine has its own SIGTERM handler: it marks the run Crashed, puts ours back and sends the
signal again, so `Stopped` arrives right after.

Unwinding can hang: a signal sent to the whole process group (`timeout`, Ctrl-C in a
terminal) also stops Prefect's temporary server, and the engine then retries its reports
to it for minutes. So, when the command is the program itself, `StopSignals` also watches
for the signals from a thread (`signal.set_wakeup_fd`: the watcher hears of each signal
whatever handler runs it) and ends the process itself, with the same message and exit code,
once the temporary server has died, a second signal came, or `grace_seconds` have passed.
It stops the temporary server first when that still runs.

Exit codes follow the shell's convention: 128 + the signal's number, 130 for Ctrl-C (SIGINT)
and 143 for SIGTERM.

Examples:
    >>> exit_code_for(signal.SIGTERM), exit_code_for(signal.SIGINT)
    (143, 130)
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""The signals that stop a command."""

GRACE_SECONDS = 10.0
"""How long a stopped program may take to report its run and end, before it is ended."""


class Stopped(BaseException):
    """The command received a stop signal (SIGTERM).

    A `BaseException`, as `KeyboardInterrupt` is: an `except Exception` does not swallow it.

    Attributes:
        signum: The signal's number.
    """

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"stopped by {signal_name(signum)}")


def signal_name(signum: int) -> str:
    """`SIGTERM` for 15, and so on.

    Examples:
        >>> signal_name(2)
        'SIGINT'
    """
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def exit_code_for(signum: int) -> int:
    """The exit code of a program ended by this signal: 128 + its number."""
    return 128 + int(signum)


def stop_signal_of(error: BaseException) -> int | None:
    """The signal behind an exception that stopped the command, or None for an error.

    `Stopped` (ours), Prefect's `TerminationSignal` and `KeyboardInterrupt` (SIGINT).
    """
    if isinstance(error, Stopped):
        return error.signum
    if isinstance(error, KeyboardInterrupt):
        return signal.SIGINT
    from prefect.exceptions import TerminationSignal

    if isinstance(error, TerminationSignal):
        return error.signal
    return None


def _raise_stopped(signum: int, frame: Any) -> None:
    raise Stopped(signum)


def temporary_servers_gone() -> bool:
    """Whether a temporary Prefect server this process started has exited since.

    Prefect starts one (`SubprocessASGIServer`) when no `PREFECT_API_URL` is set.
    """
    return any(process.poll() is not None for process in _temporary_server_processes())


def stop_temporary_servers(timeout: float = 3.0) -> None:
    """Stop every temporary Prefect server this process started: SIGTERM, then SIGKILL."""
    for process in _temporary_server_processes():
        with contextlib.suppress(OSError):
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except Exception:  # still running: end it
                process.kill()


def _temporary_server_processes() -> list[Any]:
    module = sys.modules.get("prefect.server.api.server")  # imported once one was started
    servers = getattr(getattr(module, "SubprocessASGIServer", None), "_instances", {})
    processes = [getattr(server, "server_process", None) for server in list(servers.values())]
    return [process for process in processes if process is not None]


class StopSignals:
    """SIGTERM raises `Stopped` while the block runs; a program also ends in bounded time.

    Args:
        announce: Writes the stop's message, given the signal's number; called by the
            watcher when it ends the process (the caller makes it write only once).
        end_process: The command is the program itself: after a stop signal, end the
            process if unwinding takes too long (never in a program that embeds `main`).
        grace_seconds: How long unwinding may take.
    """

    def __init__(
        self,
        announce: Callable[[int], None],
        *,
        end_process: bool,
        grace_seconds: float = GRACE_SECONDS,
    ):
        self._announce = announce
        self._end_process = end_process
        self._grace = grace_seconds
        self._previous: Any = None
        self._previous_fd = -1
        self._write: int | None = None
        self._closed = False
        self.exit_code: int | None = None
        """The exit code the command ends with, once it is known."""

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self  # signals reach the main thread only
        self._previous = signal.signal(signal.SIGTERM, _raise_stopped)
        if self._end_process:
            self._start_watcher()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._previous is None:
            return
        signal.signal(signal.SIGTERM, self._previous)
        if self._write is not None:
            signal.set_wakeup_fd(self._previous_fd)
            # The watcher ends when the pipe closes, unless a stop signal came: then it
            # keeps its deadline while the program ends.
            os.close(self._write)

    def _start_watcher(self) -> None:
        read, write = os.pipe()
        os.set_blocking(write, False)
        try:
            self._previous_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        except (ValueError, OSError):  # another wakeup fd cannot be replaced here: no watcher
            os.close(read)
            os.close(write)
            return
        self._write = write
        threading.Thread(target=self._watch, args=(read,), name="kling-stop", daemon=True).start()

    def _watch(self, read: int) -> None:
        first = None
        while first is None and not self._closed:
            first = self._next_signal(read, timeout=None)
        if first is None:
            os.close(read)
            return
        deadline = time.monotonic() + self._grace
        while (left := deadline - time.monotonic()) > 0:
            if self._next_signal(read, timeout=min(0.1, left)) is not None:
                break  # a second signal: stop now
            if self.exit_code is None and temporary_servers_gone():
                break  # nothing is left to report the run to
        self._end(first)

    def _next_signal(self, read: int, timeout: float | None) -> int | None:
        """The next stop signal within `timeout` seconds (None: another signal, or none)."""
        if self._closed:
            if timeout is not None:
                time.sleep(timeout)
            return None
        ready, _, _ = select.select([read], [], [], timeout)
        if not ready:
            return None
        data = os.read(read, 64)
        if not data:
            self._closed = True
        return next((byte for byte in data if byte in STOP_SIGNALS), None)

    def _end(self, signum: int) -> None:
        """End the process now: say how to go on, stop the temporary server, exit."""
        self._announce(signum)
        stop_temporary_servers()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(self.exit_code if self.exit_code is not None else exit_code_for(signum))
