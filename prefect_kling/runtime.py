"""What a run takes from its surroundings: clocks, a sleep, and a way to build clients.

The flows, tasks and waiters never call `time.sleep` or `time.monotonic` themselves, nor
build a client by hand: they ask the current `Runtime`. By default that is real time and
`KlingCredentials.get_client()`. A test, a benchmark or a user testing their own flows
offline swaps in another one, for the flows' `runtime` argument or around any code with
`use_runtime`; `KlingSimulator.runtime()` gives one on the simulator's clock, so an hour
of waiting takes no real time.

Examples:
    >>> ticks = []
    >>> fake = Runtime(clock=lambda: 42.0, sleep=ticks.append)
    >>> with use_runtime(fake):
    ...     current_runtime().sleep(5)
    ...     current_runtime().clock()
    42.0
    >>> ticks, current_runtime() is fake
    ([5], False)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prefect_kling.client import KlingClient
from prefect_kling.credentials import KlingCredentials

ClientFactory = Callable[[KlingCredentials], KlingClient]
"""Builds a (sync) client from a credentials block."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    """Clocks, sleep and client factory of a run.

    Attributes:
        clock: Monotonic seconds, for deadlines and intervals.
        now: The wall clock as an aware datetime, for timestamps compared with Kling's.
        sleep: Waits that many seconds (between queries, before a retry).
        client_factory: Builds the client of a credentials block; by default
            `credentials.get_client(sleep=self.sleep)`, so retries wait on this runtime.
    """

    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = _utc_now
    sleep: Callable[[float], None] = time.sleep
    client_factory: ClientFactory | None = field(default=None, repr=False)

    def client(self, credentials: KlingCredentials) -> KlingClient:
        """A client for the credentials, from the factory (use it as a context manager)."""
        if self.client_factory is not None:
            return self.client_factory(credentials)
        return credentials.get_client(sleep=self.sleep)


REAL_TIME = Runtime()
"""The runtime of a run that nobody swapped anything into."""

_CURRENT: ContextVar[Runtime] = ContextVar("prefect_kling_runtime", default=REAL_TIME)


def current_runtime() -> Runtime:
    """The runtime in effect here (`REAL_TIME` unless `use_runtime` says otherwise)."""
    return _CURRENT.get()


@contextmanager
def use_runtime(runtime: Runtime | None) -> Iterator[Runtime]:
    """Make `runtime` the current one inside the block (None keeps the current one).

    Prefect runs tasks in threads with a copy of the caller's context, so the tasks of a
    flow run inside the block see it too.
    """
    if runtime is None:
        yield current_runtime()
        return
    token = _CURRENT.set(runtime)
    try:
        yield runtime
    finally:
        _CURRENT.reset(token)
