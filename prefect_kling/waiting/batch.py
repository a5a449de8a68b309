"""One watcher for a whole batch: bulk queries instead of one poller per task.

Every `interval` seconds the watcher reads the tasks pending and wakes the waiters whose
task changed. Tasks of the newer standard are read by id, 100 in one `GET /tasks?task_ids=`
(one request per round for a batch of up to 100 in flight). Tasks of the legacy standard
are met in pages of each endpoint's newest tasks (up to 500 per request); tasks not met in
those pages, and endpoints without list queries, are read one by one. The number of
requests per round grows with the number of endpoints, not with the size of the batch.
The watcher also keeps its waiters' deadlines: it wakes a waiter whose time ran out.

Examples:
    ```python
    with BatchWatcher(credentials, interval=5) as watcher:
        task = watcher.wait(reference, max_wait_seconds=3600, on_status=reporter)
    ```
"""

from __future__ import annotations

import contextvars
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self

from prefect_kling._logging import RunAwareLogger
from prefect_kling.client import MAX_PAGE_SIZE
from prefect_kling.client.base import chunks
from prefect_kling.endpoints import ApiStandard, get_endpoint
from prefect_kling.exceptions import KlingError
from prefect_kling.models.kling_task import KlingTask, TaskReference
from prefect_kling.runtime import Runtime, current_runtime
from prefect_kling.waiting.policy import StatusCallback, TaskWaiter

if TYPE_CHECKING:
    from prefect_kling.client import KlingClient
    from prefect_kling.credentials import KlingCredentials

logger = RunAwareLogger(__name__)

_MAX_LIST_PAGES = 4
_STOP_CHECK_SECONDS = 0.25
"""Longest sleep of the watcher's thread: how soon it notices that the batch is over."""


@dataclass
class _Waiter:
    reference: TaskReference
    deadline: float
    changed: threading.Event = field(default_factory=threading.Event)
    task: KlingTask | None = None
    status: str | None = None


class BatchWatcher:
    """Watches many tasks from one thread; each caller blocks in `wait` for its own task.

    Args:
        credentials: Where and how to reach Kling.
        interval: Seconds between two rounds of queries.
        runtime: Clock, sleep and client factory (the current runtime by default).
    """

    def __init__(
        self,
        credentials: KlingCredentials,
        *,
        interval: float = 5.0,
        runtime: Runtime | None = None,
    ):
        self.credentials = credentials
        self.interval = interval
        self.runtime = runtime or current_runtime()
        self._waiters: dict[str, _Waiter] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0
        self.requests = 0

    @property
    def watching(self) -> int:
        """How many tasks callers are waiting for right now."""
        with self._lock:
            return len(self._waiters)

    def __enter__(self) -> Self:
        context = contextvars.copy_context()  # the run's logger and settings
        self._thread = threading.Thread(
            target=context.run, args=(self._run,), name="kling-batch-watcher", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def wait(
        self,
        reference: TaskReference,
        *,
        max_wait_seconds: float,
        on_status: StatusCallback | None = None,
    ) -> KlingTask:
        """Block until the task succeeded; raise like `poll_task` otherwise.

        Raises:
            KlingTaskFailed: The task failed.
            KlingTaskTimedOut: `max_wait_seconds` passed first.
        """
        # The decisions are those of a poll; status changes are reported here, in the
        # waiting thread, so that events relate to its flow run.
        decisions = TaskWaiter(
            reference,
            max_wait_seconds=max_wait_seconds,
            clock=self.runtime.clock,
            on_status=on_status,
        )
        waiter = _Waiter(reference, deadline=self.runtime.clock() + max_wait_seconds)
        with self._lock:
            self._waiters[reference.task_id] = waiter
        try:
            while True:
                # The watcher wakes this waiter on news and once its deadline has passed;
                # the timeout only covers a watcher that stopped.
                waiter.changed.wait(timeout=decisions.remaining(max(self.interval, 0.05)))
                waiter.changed.clear()
                task = waiter.task
                if task is not None and decisions.observe(task):
                    return task
                decisions.remaining(self.interval)
        finally:
            with self._lock:
                self._waiters.pop(reference.task_id, None)

    def _run(self) -> None:
        clock, sleep = self.runtime.clock, self.runtime.sleep
        with self.runtime.client(self.credentials) as client:
            # One round every `interval`, counted from the start of the last one (a slow
            # round does not stretch the lag): new waiters join the next round, so that a
            # burst of them never multiplies the rounds.
            next_round = clock() + self.interval
            while not self._stop.is_set():
                pause = next_round - clock()
                if pause > 0:
                    sleep(min(pause, _STOP_CHECK_SECONDS))
                    continue
                next_round = max(next_round + self.interval, clock())
                try:
                    self._round(client)
                except Exception:  # the watcher must outlive any one bad answer
                    logger.exception("Kling batch watcher round failed; trying again")

    def _round(self, client: KlingClient) -> None:
        with self._lock:
            pending = list(self._waiters.values())
        if not pending:
            return
        self.rounds += 1
        by_endpoint: dict[str, dict[str, _Waiter]] = defaultdict(dict)
        newer: dict[str, _Waiter] = {}
        for waiter in pending:
            reference = waiter.reference
            if get_endpoint(reference.endpoint).standard is ApiStandard.NEW:
                newer[reference.task_id] = waiter
            else:
                by_endpoint[reference.endpoint][reference.task_id] = waiter
        if newer:
            self._read_by_ids(client, newer)
        for endpoint, waiters in by_endpoint.items():
            missing = self._read_lists(client, endpoint, waiters)
            for task_id in missing:
                self._read_one(client, waiters[task_id])
        now = self.runtime.clock()
        for waiter in pending:
            if now >= waiter.deadline:
                waiter.changed.set()

    def _read_lists(
        self, client: KlingClient, endpoint: str, waiters: dict[str, _Waiter]
    ) -> set[str]:
        """Read pages of the endpoint's newest tasks; return the ids not met."""
        missing = set(waiters)
        if client.provider not in get_endpoint(endpoint).list_query:
            return missing
        page_size = min(MAX_PAGE_SIZE, max(30, 2 * len(waiters)))
        for page in range(1, _MAX_LIST_PAGES + 1):
            try:
                self.requests += 1
                tasks = client.list_tasks(endpoint, page=page, page_size=page_size)
            except KlingError as error:
                logger.warning(
                    "List query of %s failed, reading tasks one by one: %s", endpoint, error
                )
                return missing
            for task in tasks:
                if task.task_id in missing:
                    missing.discard(task.task_id)
                    self._deliver(waiters[task.task_id], task)
            if not missing or len(tasks) < page_size:
                return missing
        return missing

    def _read_by_ids(self, client: KlingClient, waiters: dict[str, _Waiter]) -> None:
        """Read tasks of the newer standard in bulk, `MAX_IDS_PER_QUERY` per request."""
        for group in chunks(list(waiters)):
            try:
                self.requests += 1
                tasks = client.get_tasks(group)
            except KlingError as error:
                logger.warning(
                    "Query of %d Kling tasks failed, will ask again: %s", len(group), error
                )
                continue
            for task in tasks:
                if task.task_id in waiters:
                    self._deliver(waiters[task.task_id], task)

    def _read_one(self, client: KlingClient, waiter: _Waiter) -> None:
        try:
            self.requests += 1
            task = client.get_task(waiter.reference.endpoint, waiter.reference.task_id)
        except KlingError as error:
            logger.warning(
                "Query of Kling task %s failed, will ask again: %s", waiter.reference.task_id, error
            )
            return
        self._deliver(waiter, task)

    @staticmethod
    def _deliver(waiter: _Waiter, task: KlingTask) -> None:
        if task.status == waiter.status:
            return
        waiter.status = task.status
        waiter.task = task
        waiter.changed.set()
