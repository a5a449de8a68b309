"""Kling families as Prefect global concurrency limits, against the Prefect test server.

The tests use the try-on family, which no flow test touches.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.exceptions import ObjectNotFound

from prefect_kling.concurrency import (
    DEFAULT_LIMITS,
    SlotPool,
    SlotWait,
    ensure_limit,
    kling_slots,
)
from prefect_kling.endpoints import Family

pytestmark = pytest.mark.e2e

FAMILY = Family.TRY_ON
ACCOUNT = "tests"
NAME = FAMILY.limit_name(ACCOUNT)


def active_slots() -> int:
    with get_client(sync_client=True) as client:
        return client.read_global_concurrency_limit_by_name(NAME).active_slots


@pytest.fixture(autouse=True)
def no_limit() -> Iterator[None]:
    """Every test starts without the limit and leaves none behind."""

    def delete() -> None:
        with get_client(sync_client=True) as client, contextlib.suppress(ObjectNotFound):
            client.delete_global_concurrency_limit_by_name(NAME)

    delete()
    yield
    delete()


def test_a_missing_limit_is_created_and_an_existing_one_kept():
    assert ensure_limit(FAMILY, ACCOUNT) == DEFAULT_LIMITS[FAMILY]
    with get_client(sync_client=True) as client:
        client.delete_global_concurrency_limit_by_name(NAME)
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=NAME, limit=2))
    assert ensure_limit(FAMILY, ACCOUNT, default=9) == 2


def test_kling_slots_holds_its_slots_until_the_block_ends():
    with kling_slots(FAMILY, ACCOUNT, occupy=2, default_limit=3):
        assert active_slots() == 2
    assert active_slots() == 0


def test_kling_slots_never_asks_for_more_than_the_limit_has():
    with kling_slots(FAMILY, ACCOUNT, occupy=9, default_limit=3):
        assert active_slots() == 3
    assert active_slots() == 0


def test_the_pool_hands_slots_from_item_to_item():
    with SlotPool(ACCOUNT, linger=30, default_limit=3) as pool:
        for _ in range(4):
            with pool.hold(FAMILY):
                assert active_slots() == 1
        with pool.hold(FAMILY), pool.hold(FAMILY):
            assert active_slots() == 2
        assert pool.acquisitions == 2
        assert active_slots() == 2  # idle, kept for the next items
    assert active_slots() == 0


def test_the_pool_gives_back_slots_nobody_takes():
    with SlotPool(ACCOUNT, linger=0.2, default_limit=3) as pool:
        with pool.hold(FAMILY, 2):
            assert active_slots() == 2
        deadline = time.monotonic() + 10
        while active_slots() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert active_slots() == 0


def test_slots_outlive_the_task_run_that_took_them():
    """Prefect releases the leases a task run leaves behind; pooled ones are not its own."""
    pool = SlotPool(ACCOUNT, linger=30, default_limit=3)

    @task
    def item() -> int:
        with pool.hold(FAMILY):
            return active_slots()

    @flow
    def batch() -> list[int]:
        held = [item(), item()]
        return [*held, active_slots()]

    try:
        assert batch() == [1, 1, 1]
        assert pool.acquisitions == 1
    finally:
        pool.close()
    assert active_slots() == 0


def test_an_acquisition_error_reaches_the_caller(monkeypatch: pytest.MonkeyPatch):
    import prefect_kling.concurrency as concurrency

    monkeypatch.setattr(concurrency, "ensure_limit", lambda family, account, default=None: 1)
    with SlotPool(ACCOUNT) as pool, pytest.raises(Exception, match=NAME), pool.hold(FAMILY):
        pass  # the limit does not exist: strict acquisition refuses


HOLD_SECONDS = 0.1
"""How long each item holds its slot, so that items overlap."""


def _items_at_once(pool: SlotPool, count: int, seen: list[int] | None = None) -> list[int]:
    """Run `count` items that ask the pool for a slot at the same moment; return what each saw.

    Each item appends the slots active on the server, once it has its own, to `seen`.
    """
    start = threading.Barrier(count)
    seen = [] if seen is None else seen

    def item() -> None:
        start.wait()
        with pool.hold(FAMILY):
            seen.append(active_slots())
            time.sleep(HOLD_SECONDS)

    threads = [threading.Thread(target=item) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return seen


def _until(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def test_items_that_ask_meanwhile_share_the_next_acquisition(monkeypatch: pytest.MonkeyPatch):
    import prefect_kling.concurrency as concurrency

    held = concurrency._held
    pools: list[SlotPool] = []
    calls = 0

    def slow_server(family: Family, slots: int) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:  # as a busy Prefect server answers: the other items ask meanwhile
            _until(lambda: pools[0].waiting(FAMILY) == 4)
        return held(family, slots)

    monkeypatch.setattr(concurrency, "_held", slow_server)
    with SlotPool(ACCOUNT, linger=30, default_limit=5) as pool:
        pools.append(pool)
        seen = _items_at_once(pool, 5)
        assert len(seen) == 5 and max(seen) <= 5
        # The first item's acquisition, then one for all the items that asked meanwhile.
        assert pool.acquisitions == 2
    assert active_slots() == 0


def test_a_shared_acquisition_takes_no_more_than_the_limit_has_free():
    ensure_limit(FAMILY, ACCOUNT, default=3)
    other_run = threading.Event()
    seen: list[int] = []

    def elsewhere() -> None:
        with kling_slots(FAMILY, ACCOUNT, occupy=2):
            other_run.set()
            _until(lambda: seen)  # the other run ends once a first item has its slot

    holder = threading.Thread(target=elsewhere)
    holder.start()
    assert other_run.wait(30)
    with SlotPool(ACCOUNT, linger=30) as pool:
        _items_at_once(pool, 2, seen)
    holder.join()
    # One slot was free: one item ran beside the other run (not waiting for two free
    # slots at once), the second one after it; never more than the limit.
    assert len(seen) == 2 and seen[0] == 3 and max(seen) <= 3
    assert active_slots() == 0


def test_with_a_demand_the_first_acquisition_serves_the_items_on_their_way():
    """A batch's first items ask one by one: the first acquisition takes for all of them."""
    with SlotPool(ACCOUNT, linger=30, default_limit=5, demand={FAMILY: 3}) as pool:
        with pool.hold(FAMILY):
            assert active_slots() == 3  # one in use, two for the items on their way
            with pool.hold(FAMILY), pool.hold(FAMILY):
                assert active_slots() == 3
        assert pool.acquisitions == 1
    assert active_slots() == 0


def test_a_demand_takes_only_the_slots_the_limit_has_free():
    ensure_limit(FAMILY, ACCOUNT, default=3)
    with (
        kling_slots(FAMILY, ACCOUNT, occupy=2),
        SlotPool(ACCOUNT, linger=30, demand={FAMILY: 3}) as pool,
    ):
        with pool.hold(FAMILY):
            assert active_slots() == 3  # this run's one, the other run's two
        assert pool.acquisitions == 1
    assert active_slots() == 0


def test_a_demand_counts_for_the_first_acquisition_only():
    with SlotPool(ACCOUNT, linger=0.2, default_limit=5, demand={FAMILY: 3}) as pool:
        with pool.hold(FAMILY):
            assert active_slots() == 3
        deadline = time.monotonic() + 10
        while active_slots() and time.monotonic() < deadline:  # nobody took them: given back
            time.sleep(0.05)
        with pool.hold(FAMILY):
            assert active_slots() == 1  # later acquisitions take what is asked
        assert pool.acquisitions == 2
    assert active_slots() == 0


def test_two_accounts_hold_slots_of_limits_of_their_own():
    other = FAMILY.limit_name("other-account")
    try:
        with kling_slots(FAMILY, ACCOUNT, default_limit=1):
            assert active_slots() == 1  # this account's only slot is taken
            with (
                kling_slots(FAMILY, "other-account", default_limit=1),
                get_client(sync_client=True) as client,
            ):
                assert client.read_global_concurrency_limit_by_name(other).active_slots == 1
    finally:
        with get_client(sync_client=True) as client, contextlib.suppress(ObjectNotFound):
            client.delete_global_concurrency_limit_by_name(other)


@pytest.fixture
def quick_wait_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Waits for slots are reported after 20 ms, and again every 20 ms."""
    import prefect_kling.concurrency as concurrency

    monkeypatch.setattr(concurrency, "SLOT_WAIT_NOTICE_SECONDS", 0.02)
    monkeypatch.setattr(concurrency, "SLOT_WAIT_REPEAT_SECONDS", 0.02)


def _held_elsewhere(until: threading.Event, slots: int) -> threading.Thread:
    """Another run holding `slots` of the limit until `until` is set; started and holding."""
    holding = threading.Event()

    def elsewhere() -> None:
        with kling_slots(FAMILY, ACCOUNT, occupy=slots):
            holding.set()
            until.wait(60)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    assert holding.wait(30)
    return thread


@pytest.mark.usefixtures("quick_wait_reports")
def test_a_wait_for_slots_others_hold_is_logged_and_told_until_it_ends(
    caplog: pytest.LogCaptureFixture,
):
    ensure_limit(FAMILY, ACCOUNT, default=2)
    told: list[str | None] = []
    release = threading.Event()

    def on_wait(description: str | None) -> None:
        told.append(description)
        if len(told) == 2:  # reported twice: the other run lets go
            release.set()

    holder = _held_elsewhere(release, 2)
    with (
        caplog.at_level("INFO", logger="prefect_kling.concurrency"),
        kling_slots(FAMILY, ACCOUNT, on_wait=on_wait),
    ):
        assert active_slots() == 1
    holder.join()

    assert told[-1] is None and len(told) >= 3
    assert all(f"waiting for a slot of {NAME}: 2 of 2 in use (since " in text for text in told[:2])
    logged = caplog.text
    assert f"Waiting for a slot of {NAME}: 2 of 2 in use" in logged
    assert f"Got a slot of {NAME} after " in logged


@pytest.mark.usefixtures("quick_wait_reports")
def test_a_pool_tells_of_its_waits_for_slots():
    ensure_limit(FAMILY, ACCOUNT, default=1)
    told: list[str | None] = []
    release = threading.Event()

    def on_wait(description: str | None) -> None:
        told.append(description)
        release.set()

    holder = _held_elsewhere(release, 1)
    with SlotPool(ACCOUNT, linger=30, on_wait=on_wait) as pool, pool.hold(FAMILY):
        assert active_slots() == 1
    holder.join()
    assert told[0] is not None and f"{NAME}: 1 of 1 in use" in told[0]
    assert told[-1] is None


def test_an_acquisition_that_does_not_wait_says_nothing(caplog: pytest.LogCaptureFixture):
    told: list[str | None] = []
    with (
        caplog.at_level("INFO", logger="prefect_kling.concurrency"),
        SlotWait(NAME, 1, on_wait=told.append, notice_after=60) as wait,
    ):
        pass  # acquired at once
    assert wait.reports == 0 and told == []
    assert "slot" not in caplog.text


def test_a_slow_acquisition_with_the_slots_free_says_nothing(caplog: pytest.LogCaptureFixture):
    ensure_limit(FAMILY, ACCOUNT, default=2)
    told: list[str | None] = []
    wait = SlotWait(NAME, 1, on_wait=told.append, notice_after=0.01, repeat_every=0.01)
    with caplog.at_level("INFO", logger="prefect_kling.concurrency"), wait:
        # Prefect takes its time to grant a free slot: the watcher looks several times.
        _until(lambda: wait._thread.is_alive() and time.monotonic() - wait._started > 0.1)
    assert wait.reports == 0 and told == []
    assert "slot" not in caplog.text
