"""Fault injection: which request gets which failure, drawn at random or forced.

Each request is in one *scope* (`create`, `query`, `list`, `download`) and reaches points
where some fault kinds are *eligible*; at each point the injector answers with at most one
kind. Forced faults (queued with `inject`) are used first, in the order they were queued;
otherwise each enabled kind is tried in turn with probability `fault_rate`, using a seeded
`random.Random`, so that a seeded run is reproducible.

Examples:
    >>> injector = FaultInjector(seed=1)
    >>> injector.inject(FaultKind.DROP, times=1, on="query")
    >>> injector.draw({FaultKind.DROP, FaultKind.SLOW}, scope="create", rate=0.0, enabled=set())
    >>> injector.draw({FaultKind.DROP, FaultKind.SLOW}, scope="query", rate=0.0, enabled=set())
    <FaultKind.DROP: 'drop'>
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Scope = Literal["create", "query", "list", "download"]
SCOPES: tuple[Scope, ...] = ("create", "query", "list", "download")


class FaultKind(StrEnum):
    """The failures the simulator can inject.

    Attributes:
        CREATE_ERROR_AFTER: The create makes the task, then answers 500/5000 or 504/5002.
        DROP_AFTER_CREATE: The create makes the task, sends the response head (with its
            Content-Length) and closes the connection before the body.
        DROP: The connection is cut before anything is done or answered.
        SLOW: The answer is delayed by `slow_seconds` (real time), then served normally.
        HTML: A 502 HTML page instead of JSON; nothing is done.
        GARBLED: A 200 answer with a `text/plain` body instead of JSON, as a proxy that
            mangles answers sends; nothing is done.
        RATE_BURST: 429 with code 1302; nothing is done.
        CONCURRENCY_BURST: 429 with code 1303 on a create; nothing is done.
        DOWNLOAD_BREAK: A result download stops halfway (fewer bytes than its
            Content-Length) and the connection is closed.
        TASK_FAILURE: The create succeeds but the task later ends `failed` with an
            internal-error message (and is not charged).
    """

    CREATE_ERROR_AFTER = "create_error_after"
    DROP_AFTER_CREATE = "drop_after_create"
    DROP = "drop"
    SLOW = "slow"
    HTML = "html"
    GARBLED = "garbled"
    RATE_BURST = "rate_burst"
    CONCURRENCY_BURST = "concurrency_burst"
    DOWNLOAD_BREAK = "download_break"
    TASK_FAILURE = "task_failure"


# The points in a request where faults are drawn, and what is eligible there.
BEFORE_CREATE = frozenset(
    {
        FaultKind.DROP,
        FaultKind.SLOW,
        FaultKind.HTML,
        FaultKind.GARBLED,
        FaultKind.RATE_BURST,
        FaultKind.CONCURRENCY_BURST,
    }
)
BEFORE_READ = frozenset(
    {FaultKind.DROP, FaultKind.SLOW, FaultKind.HTML, FaultKind.GARBLED, FaultKind.RATE_BURST}
)
NEW_TASK = frozenset({FaultKind.TASK_FAILURE})
AFTER_CREATE = frozenset({FaultKind.CREATE_ERROR_AFTER, FaultKind.DROP_AFTER_CREATE})
DOWNLOAD = frozenset({FaultKind.DOWNLOAD_BREAK})


def seeded_random(label: str, seed: int | None) -> random.Random:
    """A generator for one purpose (`label`), reproducible when `seed` is given."""
    # Simulation only: nothing here needs unpredictable numbers.
    return random.Random(f"{label}:{seed}") if seed is not None else random.Random()  # noqa: S311


@dataclass
class _Forced:
    kind: FaultKind
    times: int
    on: Scope | None


class FaultInjector:
    """Decides faults for requests; not thread-safe (the simulator state locks around it).

    Args:
        seed: Seed of the generator; `None` for a random one.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._rng = seeded_random("faults", seed)
        self._forced: list[_Forced] = []

    @property
    def rng(self) -> random.Random:
        """The injector's generator, also used to pick among a fault's variants."""
        return self._rng

    def inject(self, kind: FaultKind | str, times: int = 1, on: Scope | None = None) -> None:
        """Queue a fault for the next `times` eligible requests.

        Args:
            kind: The fault kind.
            times: How many eligible requests get it.
            on: Only requests of this scope (`create`, `query`, `list`, `download`);
                `None` for any scope where the kind is eligible.

        Raises:
            ValueError: If the kind, scope or count is not valid.
        """
        if on is not None and on not in SCOPES:
            raise ValueError(f"on must be one of {SCOPES} or None, got {on!r}")
        if times < 1:
            raise ValueError(f"times must be >= 1, got {times}")
        self._forced.append(_Forced(FaultKind(kind), times, on))

    def pending(self) -> list[dict[str, object]]:
        """The forced faults still queued."""
        return [{"kind": f.kind.value, "times": f.times, "on": f.on} for f in self._forced]

    def draw(
        self,
        eligible: Collection[FaultKind],
        *,
        scope: Scope,
        rate: float,
        enabled: Collection[FaultKind],
    ) -> FaultKind | None:
        """Pick the fault for one request at one point, if any.

        Args:
            eligible: Kinds that make sense at this point of the request.
            scope: The request's scope.
            rate: Probability of each enabled, eligible kind.
            enabled: Kinds allowed for random draws.

        Returns:
            The fault to apply, or `None`.
        """
        for forced in self._forced:
            if forced.kind in eligible and forced.on in (None, scope):
                forced.times -= 1
                if forced.times == 0:
                    self._forced.remove(forced)
                return forced.kind
        if rate <= 0.0:
            return None
        for kind in FaultKind:
            if kind in eligible and kind in enabled and self._rng.random() < rate:
                return kind
        return None
