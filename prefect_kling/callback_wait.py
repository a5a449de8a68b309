"""Waiting through callbacks: Prefect events instead of polling.

With a `callback_url` on the create, Kling tells the receiver (`prefect_kling.receiver`) of
every status change, and the receiver emits `kling.task.succeeded` / `.failed` events. The
`CallbackWatcher` listens to those events over one Prefect event subscription and wakes the
waiter of that task, which then makes one confirming query before acting (a callback is a
hint, not proof). A slow safety poll covers callbacks that never come.

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
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Self

from prefect_kling._logging import RunAwareLogger
from prefect_kling.credentials import KlingCredentials
from prefect_kling.exceptions import KlingError, KlingTaskTimedOut
from prefect_kling.models.tasks import KlingTask, TaskReference
from prefect_kling.observe import EVENT_PREFIX, event_name
from prefect_kling.waiting.policy import StatusCallback, TaskWaiter

logger = RunAwareLogger(__name__)

TERMINAL_EVENTS = (event_name("succeed"), event_name("failed"))
_REMEMBERED = 10_000


class CallbackWatcher:
    """Wakes waiters when a terminal `kling.task.*` event names their task.

    Args:
        credentials: Where and how to reach Kling, for the confirming queries.
        safety_interval: Query anyway after this many seconds without an event.
        connect_timeout: How long to wait for the event subscription to open.
        clock: Monotonic clock (injectable for tests).
    """

    def __init__(
        self,
        credentials: KlingCredentials,
        *,
        safety_interval: float = 300.0,
        connect_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.credentials = credentials
        self.safety_interval = safety_interval
        self.connect_timeout = connect_timeout
        self._clock = clock
        self._hints: OrderedDict[str, threading.Event] = OrderedDict()
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self.requests = 0

    def __enter__(self) -> Self:
        self._thread = threading.Thread(
            target=self._run, name="kling-callback-watcher", daemon=True
        )
        self._thread.start()
        if not self._connected.wait(self.connect_timeout) or self._failure is not None:
            self.__exit__()
            raise KlingError(
                f"could not subscribe to Prefect events: {self._failure or 'timed out'}"
            )
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _hint(self, task_id: str) -> threading.Event:
        with self._lock:
            hint = self._hints.get(task_id)
            if hint is None:
                hint = self._hints[task_id] = threading.Event()
                while len(self._hints) > _REMEMBERED:
                    self._hints.popitem(last=False)
            return hint

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
            KlingTaskTimedOut: `max_wait_seconds` passed first.
        """
        waiter = TaskWaiter(
            reference, max_wait_seconds=max_wait_seconds, clock=self._clock, on_status=on_status
        )
        hint = self._hint(reference.task_id)
        with self.credentials.get_client() as client:
            while True:
                remaining = max_wait_seconds - waiter.elapsed
                if remaining <= 0:
                    raise KlingTaskTimedOut(reference, waiter.last_status, waiter.elapsed)
                hint.wait(timeout=min(remaining, self.safety_interval))
                hint.clear()
                try:
                    self.requests += 1
                    task = client.get_task(reference.endpoint, reference.task_id)
                except KlingError as error:
                    waiter.query_failed(error)
                    continue
                if waiter.observe(task):
                    return task

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._listen())
        except BaseException as error:  # reported to __enter__ or logged
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
                resource_id = following.result().resource.id
                if resource_id.startswith(f"{EVENT_PREFIX}."):
                    self._hint(resource_id.removeprefix(f"{EVENT_PREFIX}.")).set()
