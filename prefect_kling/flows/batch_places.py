"""What the items of a batch share while they run: their places, turns and claimed requests.

A batch runs at most `max_concurrency` items at once: an item holds a `Place` (and the
Kling slots of its family, from the batch's `SlotPool`) from just before its create is
sent until its task has ended, then leaves it for the next item while it saves its files.
Two items with the same request would share one Kling task, so the first to claim a
request owns it (`RequestClaims`) and the other is refused. Items claim their request and
reserve their units in input order (`InputOrder`), whatever order their threads run in: when
the budget runs out, the last items are the ones skipped, every time.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, Self

from prefect_kling.concurrency import SlotPool
from prefect_kling.endpoints import Family
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.flows.batch_items import BatchItem


class InputOrder:
    """Lets the items of a run through one point in their input order.

    Examples:
        >>> order = InputOrder()
        >>> with order.turn(0):
        ...     pass
        >>> order.passed
        1
    """

    def __init__(self) -> None:
        self.passed = 0
        self._changed = threading.Condition()

    @contextmanager
    def turn(self, index: int) -> Iterator[None]:
        """Wait until the items before `index` have had their turn; the next one's comes after."""
        with self._changed:
            self._changed.wait_for(lambda: self.passed >= index)
        try:
            yield
        finally:
            with self._changed:
                self.passed += 1
                self._changed.notify_all()


class RequestClaims:
    """The requests the items of a batch make, each claimed by the first item to make it."""

    def __init__(self) -> None:
        self._owners: dict[Hashable, BatchItem] = {}
        self._lock = threading.Lock()

    def claim(self, request: Hashable, item: BatchItem) -> BatchItem | None:
        """Claim a request for `item`; return the other item that claimed it first, if any."""
        with self._lock:
            first = self._owners.setdefault(request, item)
        return None if first.position == item.position else first


def same_request(item: BatchItem, first: BatchItem) -> KlingValidationError:
    """The refusal of an item whose request another item claimed first."""
    return KlingValidationError.single(
        f"items[{item.position}]",
        f"the same request as item {first.position} ({first.label}), so the same Kling task; "
        "allowed: another request, or an idempotency_key for a take of its own",
    )


class Place:
    """A batch item's place (`max_concurrency`) and slots: taken once, left on exit.

    The slots are left before the place, so that the next item finds them free.

    Args:
        places: The batch's places.
        slots: The batch's pool of Kling slots.
        family: The item's concurrency family.
        occupy: Slots the item's task holds.
    """

    def __init__(self, places: threading.Semaphore, slots: SlotPool, family: Family, occupy: int):
        self._places = places
        self._slots = slots
        self._family = family
        self._occupy = occupy
        self._held = ExitStack()
        self._taken = False

    def take(self) -> None:
        """Wait for a place and the slots, unless this item holds them already."""
        if self._taken:
            return
        with ExitStack() as taking:
            taking.enter_context(self._places)
            taking.enter_context(self._slots.hold(self._family, self._occupy))
            self._held.enter_context(taking.pop_all())
        self._taken = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._held.close()
