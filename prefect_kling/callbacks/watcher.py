"""Waiting through callbacks: Prefect events instead of polling.

With a `callback_url` on the create, Kling tells the receiver of every status change, and
the receiver emits `kling.task.succeeded` / `.failed` events. The `CallbackWatcher` listens
to those events over one Prefect event subscription and wakes the waiter of that task,
which then makes one confirming query before acting (a callback is a hint, not proof). A
slow safety poll covers callbacks that never come.

Examples:
    ```python
    with CallbackWatcher(credentials, safety_interval=300) as watcher:
        reference = client.create("text2video", {"prompt": "...", "callback_url": url})
        task = watcher.wait(reference, max_wait_seconds=3600)
    ```
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Self

from prefect_kling._logging import RunAwareLogger
from prefect_kling.callbacks.events import TERMINAL_EVENTS, task_id_of
from prefect_kling.credentials import KlingCredentials
from prefect_kling.exceptions import KlingError
from prefect_kling.models.kling_task import KlingTask, TaskReference
from prefect_kling.runtime import Runtime, current_runtime
from prefect_kling.waiting.policy import PollSchedule, StatusCallback, TaskWaiter

logger = RunAwareLogger(__name__)

_REMEMBERED = 10_000


class _WakeUps:
    """One `threading.Event` per task, set when an event names the task; bounded."""

    def __init__(self, max_tasks: int = _REMEMBERED):
        self._events: OrderedDict[str, threading.Event] = OrderedDict()
        self._max = max_tasks
        self._lock = threading.Lock()

    def of(self, task_id: str) -> threading.Event:
        with self._lock:
            event = self._events.get(task_id)
            if event is None:
                event = self._events[task_id] = threading.Event()
                while len(self._events) > self._max:
                    self._events.popitem(last=False)
            return event

    def wake(self, task_id: str) -> None:
        self.of(task_id).set()


class _Subscription:
    """A Prefect event subscription to the terminal task events, in a thread of its own."""

    def __init__(self, on_task: Callable[[str], None], connect_timeout: float):
        self._on_task = on_task
        self._connect_timeout = connect_timeout
        self._connected = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    def open(self) -> None:
        """Start listening; raise when the subscription is not open in time."""
        self._thread = threading.Thread(
            target=self._run, name="kling-callback-watcher", daemon=True
        )
        self._thread.start()
        if not self._connected.wait(self._connect_timeout) or self._failure is not None:
            self.close()
            raise KlingError(
                f"could not subscribe to Prefect events: {self._failure or 'timed out'}"
            )

    def close(self) -> None:
        """Stop listening."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._listen())
        except BaseException as error:  # reported to open() or logged
            self._failure = error
            self._connected.set()
            logger.warning("Kling callback watcher stopped: %s", error)
        finally:
            self._loop.close()

    async def _listen(self) -> None:
        from prefect.events.clients import get_events_subscriber
        from prefect.events.filters import EventFilter, EventNameFilter

        self._stop = asyncio.Event()
        # Prefect replays the last minute's events on connecting: an older event naming a
        # task waited for here costs one confirming query, nothing more.
        subscription = EventFilter(event=EventNameFilter(name=list(TERMINAL_EVENTS)))
        async with get_events_subscriber(
            filter=subscription, reconnect_on_clean_close=True
        ) as subscriber:
            self._connected.set()
            events = subscriber.__aiter__()
            stop = asyncio.ensure_future(self._stop.wait())
            while not self._stop.is_set():
                following = asyncio.ensure_future(events.__anext__())
                done, _ = await asyncio.wait({following, stop}, return_when=asyncio.FIRST_COMPLETED)
                if following not in done:
                    following.cancel()
                    break
                task_id = task_id_of(following.result().resource.id)
                if task_id is not None:
                    self._on_task(task_id)


class CallbackWatcher:
    """Wakes waiters when a terminal `kling.task.*` event names their task.

    Use it as a context manager: entering opens the event subscription (before the create,
    so that a fast task's callback is not missed), leaving closes it.

    Args:
        credentials: Where and how to reach Kling, for the confirming queries.
        safety_interval: Query anyway after this many seconds without an event.
        connect_timeout: How long to wait for the event subscription to open.
        runtime: Clock and client factory of the confirming queries (the current runtime
            by default).

    Attributes:
        requests: Queries sent so far, by all waits.
    """

    def __init__(
        self,
        credentials: KlingCredentials,
        *,
        safety_interval: float = 300.0,
        connect_timeout: float = 30.0,
        runtime: Runtime | None = None,
    ):
        self.credentials = credentials
        self.requests = 0
        # The pauses of a poll every safety interval; the task's events cut them short.
        self._safety = PollSchedule(
            first_interval=safety_interval, max_interval=safety_interval, factor=1.0
        )
        self.runtime = runtime or current_runtime()
        self._wake_ups = _WakeUps()
        self._subscription = _Subscription(self._wake_ups.wake, connect_timeout)

    def __enter__(self) -> Self:
        self._subscription.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._subscription.close()

    def wait(
        self,
        reference: TaskReference,
        *,
        max_wait_seconds: float,
        on_status: StatusCallback | None = None,
    ) -> KlingTask:
        """Block until the task succeeded, querying only after an event or a safety interval.

        Raises:
            KlingTaskFailed: The task failed.
            KlingTaskTimedOut: `max_wait_seconds` passed before an event or a safety query
                found the task finished.
        """
        decisions = TaskWaiter(
            reference,
            max_wait_seconds=max_wait_seconds,
            schedule=self._safety,
            clock=self.runtime.clock,
            on_status=on_status,
        )
        woken = self._wake_ups.of(reference.task_id)
        with self.runtime.client(self.credentials) as client:
            while True:
                woken.wait(timeout=decisions.next_pause())
                woken.clear()
                self.requests += 1
                try:
                    task = client.get_task(reference.endpoint, reference.task_id)
                except KlingError as error:
                    decisions.query_failed(error)
                    continue
                if decisions.observe(task):
                    return task
