"""Kling's concurrency pools as Prefect global concurrency limits.

A Kling account runs only so many tasks of a family at once (video, image, try-on) and
answers 1303 beyond that. Holding a slot of the Prefect limit `kling-<family>-<account>`
from before the create until the task ends keeps every flow, worker and machine sharing the
Prefect server under the account's number, so the excess waits in Prefect instead of failing.

The account part is `KlingCredentials.account`: the block's `concurrency_key`, or a
fingerprint of its key, so two accounts on one Prefect server never share slots, and blocks
given the same `concurrency_key` do. Set the limits to your account's numbers once
(`prefect gcl create kling-video-<account> --limit 5`), or `prefect-kling` creates them with
`DEFAULT_LIMITS` when missing.

A batch holds its slots through a `SlotPool`: items asking at the same time share one
acquisition, and a slot an item gives back is handed to the batch's next item instead of
being released and acquired again, so a batch of any size costs the Prefect server a few
acquisitions, not two calls per item.

An acquisition that has to wait for slots others hold says so (`SlotWait`): a log line
such as `Waiting for a slot of kling-video-ab12cd34: 5 of 5 in use (since 10:15:02 UTC)`,
repeated while the wait lasts, and the same words for the run's progress artifact (an
acquisition that is merely slow, the slots being free, says nothing). It only watches: the
acquisition itself is Prefect's own, unchanged, so no slot can be taken and forgotten.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.context import ConcurrencyContext
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

from prefect_kling._logging import RunAwareLogger
from prefect_kling.endpoints import Family
from prefect_kling.exceptions import KlingValidationError

logger = RunAwareLogger(__name__)

DEFAULT_LIMITS: dict[Family, int] = {Family.VIDEO: 5, Family.IMAGE: 5, Family.TRY_ON: 5}
"""Slots created for a missing limit: a common resource-pack concurrency."""

LEASE_SECONDS = 120.0
"""Slots are leased and renewed while held; a crashed holder frees them after this (plus
up to the Prefect server's `PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS`, 15 s)."""
LEASE_VARIABLE = "KLING_SLOT_LEASE_SECONDS"
"""Sets the lease in seconds (60 or more: Prefect's server takes no shorter lease)."""
SHORTEST_LEASE_SECONDS = 60.0

SLOT_WAIT_NOTICE_SECONDS = 2.0
"""An acquisition still waiting after this long is reported as a wait for slots."""

SLOT_WAIT_REPEAT_SECONDS = 30.0
"""While the wait lasts, it is reported again this often."""

SlotWaitCallback = Callable[[str | None], None]
"""Told what a wait for slots looks like (`waiting for a slot: 5 of 5 in use`), and None
once the slots are held."""

_ENSURE_LOCK = threading.Lock()


def ensure_limit(family: Family, account: str, default: int | None = None) -> int:
    """Make sure the account's limit of the family exists; return its number of slots.

    Args:
        family: The Kling family.
        account: The account (`KlingCredentials.account`).
        default: Slots to create it with when missing (`DEFAULT_LIMITS` otherwise).
    """
    name = family.limit_name(account)
    # One thread at a time, so that the items of a batch do not all race to create it.
    with _ENSURE_LOCK, get_client(sync_client=True) as client:
        try:
            return client.read_global_concurrency_limit_by_name(name).limit
        except ObjectNotFound:
            pass
        limit = default or DEFAULT_LIMITS[family]
        try:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=limit)
            )
            logger.info("Created Prefect concurrency limit %s with %d slots", name, limit)
        except ObjectAlreadyExists:
            return client.read_global_concurrency_limit_by_name(name).limit
        return limit


def _held(name: str, slots: int) -> contextlib.AbstractContextManager[None]:
    # A failed lease renewal is logged, never fatal: ending the wait for a paid task
    # would not stop it on Kling's side.
    return concurrency(
        name,
        occupy=slots,
        lease_duration=lease_seconds(),
        strict=True,
        raise_on_lease_renewal_failure=False,
    )


def lease_seconds() -> float:
    """The slots' lease: `KLING_SLOT_LEASE_SECONDS`, or `LEASE_SECONDS`.

    A shorter lease gives the slots of a machine that died back sooner; a living holder
    renews its lease well before it runs out, whatever its length.

    Raises:
        KlingValidationError: The variable is not a number of seconds, 60 or more.

    Examples:
        >>> lease_seconds()
        120.0
    """
    text = os.environ.get(LEASE_VARIABLE)
    if text is None:
        return LEASE_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not SHORTEST_LEASE_SECONDS <= seconds < float("inf"):
        raise KlingValidationError.single(
            LEASE_VARIABLE,
            f"{text!r} is not a lease Prefect takes; allowed: seconds, "
            f"{SHORTEST_LEASE_SECONDS:.0f} or more",
        )
    return seconds


def slots_in_use(name: str) -> tuple[int, int] | None:
    """The slots of a limit held right now and its size, or None when it is unknown.

    Examples:
        ```python
        slots_in_use("kling-video-ab12cd34")  # (5, 5): every slot is taken
        ```
    """
    with get_client(sync_client=True) as client:
        try:
            current = client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            return None
    return current.active_slots, current.limit


class SlotWait:
    """Reports an acquisition of slots that has to wait, while it waits.

    Used around the acquisition: when it has not ended after `notice_after` seconds and
    the limit has too few slots free, a thread logs the wait with the limit's use (and
    tells `on_wait`), again every `repeat_every` seconds, and once the slots are held, how
    long it took. An acquisition that does not wait for others' slots says nothing.

    Args:
        name: The limit's name.
        occupy: Slots asked for.
        on_wait: Told the wait's description, and None when it is over.
        notice_after: Seconds of waiting before the first report.
        repeat_every: Seconds between two reports.

    Examples:
        ```python
        with SlotWait("kling-video-ab12cd34", 1, on_wait=print):
            ...  # acquire the slot
        ```
    """

    def __init__(
        self,
        name: str,
        occupy: int,
        *,
        on_wait: SlotWaitCallback | None = None,
        notice_after: float | None = None,
        repeat_every: float | None = None,
    ):
        self.name = name
        self.occupy = occupy
        self.on_wait = on_wait
        self.notice_after = SLOT_WAIT_NOTICE_SECONDS if notice_after is None else notice_after
        self.repeat_every = SLOT_WAIT_REPEAT_SECONDS if repeat_every is None else repeat_every
        self.reports = 0
        self._started = time.monotonic()
        self._since = ""
        self._done = threading.Event()
        # The caller's context travels along: the run whose log shows the wait.
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._watch,), name="kling-slot-wait", daemon=True
        )

    def __enter__(self) -> SlotWait:
        self._started = time.monotonic()
        self._since = datetime.now(UTC).strftime("%H:%M:%S")
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join(timeout=30)
        if self.reports and exc_info[0] is None:
            logger.info("Got %s of %s after %.0f s", self._slots, self.name, self._waited)
        if self.reports and self.on_wait is not None:
            self.on_wait(None)

    @property
    def _slots(self) -> str:
        return "a slot" if self.occupy == 1 else f"{self.occupy} slots"

    @property
    def _waited(self) -> float:
        return time.monotonic() - self._started

    def describe(self) -> str | None:
        """The wait as the log and the progress artifact show it, or None for no such wait.

        None when the limit has the slots free (Prefect is only slow to grant them). For
        instance `waiting for a slot of kling-video-studio: 5 of 5 in use (since 10:15:02
        UTC)`.
        """
        try:
            usage = slots_in_use(self.name)
        except Exception:  # only a report: the acquisition itself says what went wrong
            usage = None
        if usage is not None and usage[1] - usage[0] >= self.occupy:
            return None
        use = f": {usage[0]} of {usage[1]} in use" if usage else ""
        return f"waiting for {self._slots} of {self.name}{use} (since {self._since} UTC)"

    def _watch(self) -> None:
        wait = self.notice_after
        while not self._done.wait(wait):
            wait = self.repeat_every
            description = self.describe()
            if description is None:
                continue
            self.reports += 1
            logger.info("%s%s", description[0].upper(), description[1:])
            if self.on_wait is not None:
                self.on_wait(description)


@contextmanager
def kling_slots(
    family: Family,
    account: str,
    occupy: int = 1,
    *,
    default_limit: int | None = None,
    on_wait: SlotWaitCallback | None = None,
) -> Iterator[None]:
    """Hold `occupy` slots of the account's limit of the family (never more than it has).

    A wait for slots that other runs hold is logged, and told to `on_wait` (`SlotWait`).

    Examples:
        ```python
        with kling_slots(Family.IMAGE, credentials.account, occupy=4):
            reference = multi_image_to_image(credentials, subjects, n=4)
            task = wait_for_task(reference, credentials)
        ```
    """
    limit = ensure_limit(family, account, default_limit)
    name, slots = family.limit_name(account), max(1, min(occupy, limit))
    with ExitStack() as held:
        with SlotWait(name, slots, on_wait=on_wait):
            held.enter_context(_held(name, slots))
        yield


def _free_slots(name: str, limit: int) -> int:
    """Slots of a limit that nobody holds right now (a hint: others may take them)."""
    usage = slots_in_use(name)
    if usage is None:  # deleted meanwhile: the acquisition will say so
        return 0
    active, size = usage
    return max(0, min(limit, size) - active)


class _Holding:
    """Slots held by a thread of their own, which renews their lease until let go.

    A pool shares them out: `in_use` of the `slots` are taken by items right now.
    """

    def __init__(self, family: Family, name: str, slots: int):
        self.family = family
        self.name = name
        self.slots = slots
        self.in_use = 0
        self.idle_since = 0.0
        self._acquired = threading.Event()
        self._release = threading.Event()
        self._error: BaseException | None = None
        # The caller's context travels along: Prefect's settings and run context.
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._hold,), name=f"kling-slots-{family}", daemon=True
        )
        self._thread.start()
        try:
            self._acquired.wait()
        except BaseException:  # interrupted while waiting: let go as soon as acquired
            self._release.set()
            raise
        if self._error is not None:
            raise self._error

    @property
    def free(self) -> int:
        return self.slots - self.in_use

    def _hold(self) -> None:
        try:
            # A context of its own: the task run that asked for the slots ends before they
            # are released, and Prefect releases the leases left in a run's context.
            with ConcurrencyContext(), _held(self.name, self.slots):
                self._acquired.set()
                self._release.wait()
        except BaseException as error:  # handed to the caller waiting in __init__
            self._error = error
            self._acquired.set()

    def release(self) -> None:
        """Give the slots back to Prefect."""
        self._release.set()
        self._thread.join(timeout=30)


class SlotPool:
    """Slots of an account's limits, acquired as items need them and handed on.

    Items that ask for slots at the same time are served by one acquisition (as many slots
    as they ask for together, no more than the limit has free), and an item that ends
    gives its slots back to the pool, where the next item takes them at once. Slots are
    given back to Prefect per acquisition, once none of its slots has been in use for
    `linger` seconds, and all of them when the pool closes.

    With a `demand` (the slots a family's items will hold at once, such as a batch's
    `max_concurrency`), the pool's first acquisition of that family takes that many, as
    far as the limit has them free: the first items of a batch ask one by one, and one
    acquisition then serves them all instead of one for the first and one for the rest.
    Later acquisitions take only what the items waiting then ask for.

    Args:
        account: The account whose limits (`KlingCredentials.account`).
        linger: Seconds an unused acquisition waits for a taker before it is released.
        default_limit: Slots to create a missing limit with.
        demand: Per family, how many slots the first acquisition takes at most (a batch
            gives the items it runs at once; an image item with `n` images asks more).
        on_wait: Told of every wait for slots that others hold (`SlotWait`).

    Examples:
        ```python
        with SlotPool(credentials.account) as pool:
            with pool.hold(Family.VIDEO):
                ...  # create the task and wait for it
        ```
    """

    def __init__(
        self,
        account: str,
        *,
        linger: float = 2.0,
        default_limit: int | None = None,
        demand: Mapping[Family, int] | None = None,
        on_wait: SlotWaitCallback | None = None,
    ):
        self.account = account
        self.on_wait = on_wait
        self.linger = linger
        self.default_limit = default_limit
        self._first_demand = dict(demand or {})
        self.acquisitions = 0
        self._holdings: dict[Family, list[_Holding]] = defaultdict(list)
        self._wanted: Counter[Family] = Counter()
        self._acquiring: set[Family] = set()
        self._limits: dict[Family, int] = {}
        self._changed = threading.Condition()
        self._closed = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="kling-slot-pool", daemon=True)
        self._reaper.start()

    def __enter__(self) -> SlotPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def hold(self, family: Family, occupy: int = 1) -> Iterator[None]:
        """Hold `occupy` slots of the family's limit (never more than the limit has)."""
        limit = self._limit(family)
        occupy = max(1, min(occupy, limit))
        holding = self._take(family, occupy, limit)
        try:
            yield
        finally:
            with self._changed:
                holding.in_use -= occupy
                holding.idle_since = time.monotonic()
                self._changed.notify_all()
            if self._closed.is_set():
                self._release_idle()

    def waiting(self, family: Family) -> int:
        """Slots of the family that items have asked for and wait for right now."""
        with self._changed:
            return self._wanted[family]

    def _limit(self, family: Family) -> int:
        if family not in self._limits:
            self._limits[family] = ensure_limit(family, self.account, self.default_limit)
        return self._limits[family]

    def _take(self, family: Family, occupy: int, limit: int) -> _Holding:
        with self._changed:
            self._wanted[family] += occupy
            try:
                while True:
                    holding = next((h for h in self._holdings[family] if h.free >= occupy), None)
                    if holding is not None:
                        holding.in_use += occupy
                        return holding
                    if family not in self._acquiring:
                        break
                    self._changed.wait()
                # This thread acquires for every item of the family waiting right now (and,
                # the first time, for those the demand says are on their way).
                self._acquiring.add(family)
                wanted = max(self._wanted[family], self._first_demand.pop(family, 0))
            finally:
                self._wanted[family] -= occupy
        try:
            name = family.limit_name(self.account)
            slots = max(occupy, min(wanted, _free_slots(name, limit)))
            with SlotWait(name, slots, on_wait=self.on_wait):
                holding = _Holding(family, name, slots)
        except BaseException:
            with self._changed:
                self._acquiring.discard(family)
                self._changed.notify_all()
            raise
        with self._changed:
            self.acquisitions += 1
            self._acquiring.discard(family)
            holding.in_use = occupy
            self._holdings[family].append(holding)
            self._changed.notify_all()
        return holding

    def _reap(self) -> None:
        while not self._closed.wait(self.linger / 4):
            self._release_idle(older_than=self.linger)

    def _release_idle(self, older_than: float = 0.0) -> None:
        now = time.monotonic()
        expired = []
        with self._changed:
            for holdings in self._holdings.values():
                idle = [h for h in holdings if h.in_use == 0 and now - h.idle_since >= older_than]
                expired += idle
                holdings[:] = [h for h in holdings if h not in idle]
        for holding in expired:
            holding.release()

    def close(self) -> None:
        """Give every slot back to Prefect (slots still in use when their item ends)."""
        self._closed.set()
        self._reaper.join(timeout=30)
        self._release_idle()
