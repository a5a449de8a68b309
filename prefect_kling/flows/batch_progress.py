"""A batch's live progress artifact: done, in flight, queued, failed, while the batch runs.

The batch's table artifact comes at its end; until then its progress artifact
(`kling-batch-progress`) says how far it got, for instance `12 of 50 done (10 succeeded,
2 failed); 5 in flight; 33 queued; waiting for a slot of kling-video-ab12cd34: 5 of 5 in
use (since 10:15:02 UTC)`, and its bar is the share of items done.

Items report as they go (`started` when their task exists, `ended` with their outcome's
status), from many threads. The artifact is updated from a thread of its own, at most once
every `min_interval` seconds however many items change, so a batch of thousands costs the
Prefect server a few updates a second at most; `close` writes the final figures.

Examples:
    >>> progress = BatchProgress(3, publish=False)
    >>> progress.started(); progress.started(); progress.ended("succeeded", started=True)
    >>> progress.describe()
    '1 of 3 done (1 succeeded); 1 in flight; 1 queued'
    >>> progress.ended("refused", started=False); progress.percent
    66.7
"""

from __future__ import annotations

import contextvars
import threading
from collections import Counter
from typing import Any

from prefect_kling.observe import new_progress_artifact, set_progress

MIN_INTERVAL_SECONDS = 2.0
"""The shortest time between two updates of the artifact."""

_FAILURES = {"failed": "failed", "timed-out": "failed", "error": "failed"}
"""Outcome statuses counted together as failed (refused and skipped are shown apart)."""

_ORDER = ("succeeded", "failed", "refused", "skipped")


class BatchProgress:
    """The live progress artifact of one batch run.

    Args:
        total: The batch's items.
        min_interval: Seconds between two updates of the artifact at least.
        publish: Create and update the artifact (False only counts, as in the example).
    """

    def __init__(
        self, total: int, *, min_interval: float = MIN_INTERVAL_SECONDS, publish: bool = True
    ):
        self.total = total
        self.in_flight = 0
        self.ended_as: Counter[str] = Counter()
        self.slot_wait: str | None = None
        self.updates = 0
        self._lock = threading.Lock()
        self._changed = threading.Event()
        self._closed = threading.Event()
        self._min_interval = min_interval
        self._publish = publish
        self.artifact_id: Any = None
        self._publisher: threading.Thread | None = None
        if publish:
            self.artifact_id = new_progress_artifact(
                0.0, self.describe(), key="kling-batch-progress"
            )
        if self.artifact_id is not None:
            # The caller's context travels along: Prefect's settings and the flow run.
            context = contextvars.copy_context()
            self._publisher = threading.Thread(
                target=context.run, args=(self._run,), name="kling-batch-progress", daemon=True
            )
            self._publisher.start()

    @property
    def done(self) -> int:
        """Items that have ended, whatever their outcome."""
        return sum(self.ended_as.values())

    @property
    def percent(self) -> float:
        """The share of items done, in percent."""
        return round(100.0 * self.done / self.total, 1) if self.total else 100.0

    def started(self) -> None:
        """An item's task exists (created, or found again): it is in flight."""
        with self._lock:
            self.in_flight += 1
        self._changed.set()

    def ended(self, status: str, *, started: bool) -> None:
        """An item ended with this outcome status (`succeeded`, `failed`, `refused`, ...).

        Args:
            status: The outcome's status.
            started: Whether the item was in flight (its task existed).
        """
        with self._lock:
            self.in_flight -= int(started)
            self.ended_as[_FAILURES.get(status, status)] += 1
        self._changed.set()

    def retrying(self, count: int) -> None:
        """`count` failed items go back to the queue for a fresh take."""
        with self._lock:
            self.ended_as["failed"] -= count
        self._changed.set()

    def waiting_for_slots(self, description: str | None) -> None:
        """A `SlotWaitCallback`: the batch's wait for concurrency slots, or None when over."""
        with self._lock:
            self.slot_wait = description
        self._changed.set()

    def describe(self) -> str:
        """The artifact's description: done (by outcome), in flight, queued, any slot wait."""
        with self._lock:
            ended = [f"{self.ended_as[name]} {name}" for name in _ORDER if self.ended_as[name]]
            queued = self.total - self.done - self.in_flight
            done = f"{self.done} of {self.total} done"
            parts = [f"{done} ({', '.join(ended)})" if ended else done]
            parts += [f"{self.in_flight} in flight", f"{queued} queued"]
            if self.slot_wait:
                parts.append(self.slot_wait)
        return "; ".join(parts)

    def close(self) -> None:
        """Stop the updates and write the final figures."""
        self._closed.set()
        self._changed.set()
        if self._publisher is not None:
            self._publisher.join(timeout=30)
            self._update()

    def _update(self) -> None:
        self.updates += 1
        set_progress(self.artifact_id, self.percent, self.describe())

    def _run(self) -> None:
        while True:
            self._changed.wait()
            if self._closed.is_set():
                return
            self._changed.clear()
            self._update()
            # At most one update per interval; changes meanwhile go out together after it.
            if self._closed.wait(self._min_interval):
                return
