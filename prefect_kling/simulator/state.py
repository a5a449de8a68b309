"""The simulated account: task store, timeline ticks, concurrency, faults and counters.

Both API standards share it (one task store and external-id namespace, the same packs and
pools); `read` serves the newer standard's queries, `catalog` is the account's elements
and voices (`standard_inputs`), `request_log` the last API requests (`request_log`).

Everything here is guarded by one lock, because the server's event loop (requests, the
ticker) and the caller's thread (`advance`, `reset`, `stats`, `configure`) both use it.
Methods are short and never wait on I/O while holding the lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal, TypeVar

from prefect_kling.simulator.assets import image_size
from prefect_kling.simulator.callbacks import CallbackEvent
from prefect_kling.simulator.clock import SimClock, TokenBucket
from prefect_kling.simulator.config import FAMILIES, SimulatorConfig
from prefect_kling.simulator.edits import CostsQuery
from prefect_kling.simulator.faults import NEW_TASK, FaultInjector, FaultKind, Scope, seeded_random
from prefect_kling.simulator.ledgers import ledger_page
from prefect_kling.simulator.library_store import LibraryStore
from prefect_kling.simulator.lineage import Library
from prefect_kling.simulator.omni_images import recognition_view
from prefect_kling.simulator.orders import Invalid, Order
from prefect_kling.simulator.packs import Pack, account_packs, pack_short
from prefect_kling.simulator.refusals import (
    CONCURRENCY_MESSAGE,
    CONTENT_REFUSAL_MESSAGE,
    PACK_USED_UP_MESSAGE,
    RATE_MESSAGE,
    Refusal,
    mentions,
)
from prefect_kling.simulator.request_log import RequestLog
from prefect_kling.simulator.result_files import FileRef, result_file
from prefect_kling.simulator.routes import Endpoint
from prefect_kling.simulator.standard_inputs import Catalog, OpenCatalog
from prefect_kling.simulator.state_file import task_from_json, task_json
from prefect_kling.simulator.stats import Counters, SimulatorStats
from prefect_kling.simulator.timeline import (
    INTERNAL_FAILURE_MESSAGE,
    RISK_CONTROL_MESSAGE,
    SUCCEED,
    Task,
    shorten,
)
from prefect_kling.simulator.videos import VideoStore

T = TypeVar("T")
# `account/costs` answers at most one call a second (simulator clock).
COSTS_INTERVAL_SECONDS = 1.0


class SimulatorState:
    """The simulated account and its bookkeeping.

    Args:
        config: The initial configuration.
    """

    def __init__(self, config: SimulatorConfig) -> None:
        self._lock = threading.RLock()
        self.config = config
        self.clock = SimClock()
        self.base_url = ""
        # Set by the running app: wakes the server loop to send pending callbacks now.
        self.waker: Callable[[], None] | None = None
        # Rendered videos, kept across resets: a spec names everything its file shows.
        self.videos = VideoStore()
        self.catalog: Catalog = OpenCatalog()
        self._reset_locked()

    def _reset_locked(self) -> None:
        seed = self.config.seed
        self._ids = seeded_random("ids", seed)
        self._request_ids = seeded_random("requests", seed)
        self._faults = FaultInjector(seed)
        self._bucket: TokenBucket | None = None
        self._tasks: dict[str, Task] = {}
        self._ledger_cursors: dict[str, Any] = {}
        self._by_external: dict[str, Task] = {}
        self._active: dict[str, Task] = {}
        self._outbox: list[CallbackEvent] = []
        self._received: list[dict[str, Any]] = []
        self._library = Library()
        self._opened_ms = self.clock.wall_ms()
        self._last_costs_call: float | None = None
        self.counters = Counters()
        self.request_log = RequestLog()
        self.library_store = LibraryStore(self.clock, seed)  # custom elements and voices

    # -- configuration and time ---------------------------------------------------------

    def configure(self, **changes: Any) -> SimulatorConfig:
        """Replace settings; raises `TypeError`/`ValueError` for unknown or bad values."""
        with self._lock:
            self.config = dataclasses.replace(self.config, **changes)
            if {"requests_per_second", "burst"} & changes.keys():
                self._bucket = None
            return self.config

    def reset(self) -> None:
        """Forget tasks, counters, queued faults and received callbacks; re-seed."""
        with self._lock:
            self._reset_locked()

    def export(self) -> dict[str, Any]:
        """What a state file keeps: the tasks, the packs' opening, the clock's offset."""
        with self._lock:
            self._tick_locked()
            return {
                "base_url": self.base_url,
                "saved_ms": self.clock.wall_ms(),
                "clock_offset": self.clock.offset,
                "opened_ms": self._opened_ms,
                "tasks": [task_json(task) for task in self._tasks.values()],
                "library": self.library_store.export(),
            }

    def restore(self, data: dict[str, Any]) -> None:
        """Start over from what `export` gave: the same tasks, counted again from them.

        Raises:
            ValueError: A task cannot be read back.
        """
        with self._lock:
            self._reset_locked()
            self.clock.advance(max(0.0, float(data.get("clock_offset", 0.0)) - self.clock.offset))
            self._opened_ms = int(data.get("opened_ms", self._opened_ms))
            now, now_ms = self.clock.now(), self.clock.wall_ms()
            for item in data.get("tasks", []):
                self._restore_task_locked(task_from_json(item, now=now, now_ms=now_ms))
            self.library_store.restore(data.get("library") or {})
            # New ids must not retrace the saved ones' sequence (a fixed seed would).
            self._ids = seeded_random(f"ids-after-{len(self._tasks)}", self.config.seed)
            self._tick_locked()

    def _index_locked(self, task: Task) -> None:
        """Make a task findable by id, external id and lineage, and count it."""
        self._tasks[task.task_id] = task
        self._library.add(task)
        if task.order.external_task_id:
            self._by_external[task.order.external_task_id] = task
        self.counters.tasks_by_endpoint[task.endpoint.name] += 1
        self.counters.tasks_by_status[task.status] += 1

    def _restore_task_locked(self, task: Task) -> None:
        self._index_locked(task)
        counters = self.counters
        if task.terminal:
            counters.charge(task.family, float(task.units()))
        else:
            self._active[task.task_id] = task
            counters.in_flight[task.family] += task.slots

    def advance(self, seconds: float) -> None:
        """Move the clock forward and bring every task up to date."""
        with self._lock:
            self.clock.advance(seconds)
            self._tick_locked()
        self.wake()

    def wake(self) -> None:
        """Ask the server loop to send pending callbacks now (no-op when not running)."""
        waker = self.waker
        if waker is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closing
                waker()

    def tick(self) -> None:
        """Move every running task to the status its timeline gives now."""
        with self._lock:
            self._tick_locked()

    def _tick_locked(self) -> None:
        now = self.clock.now()
        for task in list(self._active.values()):
            target = task.status_at(now)
            if target == task.status:
                continue
            steps = task.steps()
            for status in steps[steps.index(task.status) + 1 : steps.index(target) + 1]:
                self._move(task, status)

    def _move(self, task: Task, status: str) -> None:
        counters = self.counters
        counters.tasks_by_status[task.status] -= 1
        counters.tasks_by_status[status] += 1
        task.status = status
        task.updated_ms = task.began_ms(status)
        if task.terminal:
            del self._active[task.task_id]
            counters.in_flight[task.family] -= task.slots
            counters.charge(task.family, float(task.units()))
        self._queue_callback(task)

    def _queue_callback(self, task: Task) -> None:
        if task.order.callback_url:
            view, url = task.view(self.base_url), task.order.callback_url
            self._outbox.append(CallbackEvent(task.task_id, url, view, task.terminal))

    def take_outbox(self) -> list[CallbackEvent]:
        """Remove and return the callback deliveries waiting to be sent."""
        with self._lock:
            events, self._outbox = self._outbox, []
            return events

    # -- request bookkeeping --------------------------------------------------------------

    def new_request_id(self) -> str:
        """A request id for an answer (a UUID, as Kling sends)."""
        with self._lock:
            return str(uuid.UUID(int=self._request_ids.getrandbits(128), version=4))

    def count_request(self) -> None:
        """Count one HTTP request to an API prefix."""
        with self._lock:
            self.counters.requests += 1

    def count_call(self, kind: str) -> None:
        """Count an authenticated `create`, `query` or `list` call."""
        with self._lock:
            self.counters.calls[kind] += 1

    def count_queried(self, ids: int) -> None:
        """Count the task ids one multi-id query asked for."""
        with self._lock:
            self.counters.tasks_queried += ids

    def count_answer(
        self, http_status: int, code: int | None = None, gateway_error: str | None = None
    ) -> None:
        """Count an answer by HTTP status, and by business or gateway error code."""
        with self._lock:
            self.counters.answers_by_http_status[http_status] += 1
            if code is not None:
                self.counters.answers_by_code[code] += 1
            if gateway_error is not None:
                self.counters.gateway_errors[gateway_error] += 1

    def count_download(self, started: bool = False, sent: int = 0) -> None:
        """Count a result download starting, or bytes of one sent."""
        with self._lock:
            self.counters.downloads += int(started)
            self.counters.download_bytes += sent

    def record_callback_result(self, ok: bool) -> None:
        """Count one callback delivery."""
        with self._lock:
            if ok:
                self.counters.callbacks_sent += 1
            else:
                self.counters.callbacks_failed += 1

    def record_received_callback(self, entry: dict[str, Any]) -> None:
        """Keep a request received by the built-in callback sink."""
        with self._lock:
            self._received.append(entry)
            self.counters.callbacks_received += 1

    def received_callbacks(self) -> list[dict[str, Any]]:
        """Requests received by the built-in callback sink, oldest first."""
        with self._lock:
            return list(self._received)

    def take_token(self) -> bool:
        """Whether the rate limit lets this request through."""
        with self._lock:
            rate = self.config.requests_per_second
            if rate is None:
                return True
            now = self.clock.now()
            if self._bucket is None:
                self._bucket = TokenBucket(rate, self.config.burst, now)
            return self._bucket.take(now)

    # -- faults ---------------------------------------------------------------------------

    def inject(self, kind: FaultKind | str, times: int = 1, on: Scope | None = None) -> None:
        """Queue a fault for the next eligible requests (see `FaultInjector.inject`)."""
        with self._lock:
            self._faults.inject(kind, times, on)

    def pending_faults(self) -> list[dict[str, object]]:
        """Forced faults still queued."""
        with self._lock:
            return self._faults.pending()

    def draw_fault(self, eligible: Collection[FaultKind], scope: Scope) -> FaultKind | None:
        """Pick (and count) the fault to apply at one point of a request, if any."""
        with self._lock:
            return self._draw_locked(eligible, scope)

    def _draw_locked(self, eligible: Collection[FaultKind], scope: Scope) -> FaultKind | None:
        kind = self._faults.draw(
            eligible, scope=scope, rate=self.config.fault_rate, enabled=self.config.fault_kinds
        )
        if kind is not None:
            self.counters.faults_injected[kind.value] += 1
        return kind

    def choose(self, options: Sequence[T]) -> T:
        """Pick one variant of a fault with the seeded fault generator."""
        with self._lock:
            return self._faults.rng.choice(options)

    # -- tasks ----------------------------------------------------------------------------

    def _new_id(self) -> str:
        while True:
            candidate = str(self._ids.randrange(10**17, 10**18))
            if candidate not in self._tasks:
                return candidate

    def create_task(
        self, endpoint: Endpoint, provider: str, order: Order, body: dict[str, Any]
    ) -> dict[str, Any] | Refusal:
        """Create a task, or refuse as the account would.

        Checks, in order: the source video or session (1201, see `lineage`), the refusal
        word (1301), a duplicate external id (1201), the family's resource pack (1102),
        the family's concurrency limit (1303).

        Returns:
            The `data` of the create answer, or the refusal.
        """
        with self._lock:
            self._tick_locked()
            try:
                order = self._library.resolve(endpoint, order, self.clock.now(), self.base_url)
            except Invalid as exc:
                return Refusal(exc.http_status, exc.code, exc.message)
            refusal = self._refusal_locked(endpoint, order)
            if refusal is not None:
                return refusal
            task = self._new_task_locked(endpoint, provider, order, body)
            self._store_locked(task)
            return task.create_view()

    def _refusal_locked(self, endpoint: Endpoint, order: Order) -> Refusal | None:
        config = self.config
        if mentions(order.prompt, config.refusal_word):
            return Refusal(400, 1301, CONTENT_REFUSAL_MESSAGE)
        external = order.external_task_id
        if external and external in self._by_external:
            self.counters.duplicate_external_ids += 1
            return Refusal(400, 1201, f"external_task_id {external!r} already exists")
        if self._pack_short_locked(endpoint, order):
            return Refusal(429, 1102, PACK_USED_UP_MESSAGE)
        family, slots = endpoint.family, endpoint.slots(order)
        if self.counters.in_flight[family] + slots > config.concurrency[family]:
            return Refusal(429, 1303, CONCURRENCY_MESSAGE)
        return None

    def _packs_locked(self) -> list[Pack]:
        return account_packs(self.config.pack_limits, self._opened_ms)

    def _pack_short_locked(self, endpoint: Endpoint, order: Order) -> bool:
        """Whether the family's pack is expired or cannot pay for this order too."""
        family = endpoint.family
        running = [task for task in self._active.values() if task.family == family]
        committed = self.counters.units_by_family.get(family, 0.0) + sum(
            task.endpoint.units(task.order) for task in running
        )
        now_ms, price = self.clock.wall_ms(), endpoint.units(order)
        return pack_short(self._packs_locked(), family, now_ms, committed, price)

    def _new_task_locked(
        self, endpoint: Endpoint, provider: str, order: Order, body: dict[str, Any]
    ) -> Task:
        config = self.config
        failure = None
        if mentions(order.prompt, config.failure_word):
            failure = RISK_CONTROL_MESSAGE
        elif order.image_problem:
            failure = order.image_problem
        elif self._draw_locked(NEW_TASK, "create"):
            failure = INTERNAL_FAILURE_MESSAGE
        task = Task(
            task_id=self._new_id(),
            endpoint=endpoint,
            provider=provider,
            order=order,
            request=shorten(body),
            created_mono=self.clock.now(),
            created_ms=self.clock.wall_ms(),
            queue_seconds=config.queue_seconds,
            processing_seconds=config.processing_seconds,
            image_size=image_size(order.aspect_ratio, config.image_long_side),
            failure=failure,
        )
        if endpoint.result in ("video", "audios", "dubbed"):
            count = 2 if endpoint.result == "dubbed" else 1  # a video and its audio track
            task.output_ids = [str(self._ids.randrange(10**17, 10**18)) for _ in range(count)]
        return task

    def _store_locked(self, task: Task) -> None:
        self._index_locked(task)  # a new task: submitted
        self._active[task.task_id] = task
        counters = self.counters
        counters.in_flight[task.family] += task.slots
        counters.peak_in_flight[task.family] = max(
            counters.peak_in_flight[task.family], counters.in_flight[task.family]
        )
        self._queue_callback(task)

    # -- calls that create no task ----------------------------------------------------------

    def speak(
        self, endpoint: Endpoint, order: Order, body: dict[str, Any]
    ) -> dict[str, Any] | Refusal:
        """Text to speech: a task that has ended by the time it is answered (its view)."""
        with self._lock:
            self._tick_locked()
            refusal = self._refusal_locked(endpoint, order)
            if refusal is not None:
                return refusal
            task = self._new_task_locked(endpoint, "kling", order, body)
            task.queue_seconds = task.processing_seconds = 0.0
            self._store_locked(task)
            self._tick_locked()
            return task.kling_view(self.base_url)

    def identify_face(self, order: Order) -> dict[str, Any] | Refusal:
        """Open a face session on a video (free, no task): the `data` of the answer."""
        with self._lock:
            self._tick_locked()
            now = self.clock.now()
            try:
                video = self._library.source(order, now, self.base_url)
            except Invalid as exc:
                return Refusal(exc.http_status, exc.code, exc.message)
            session_id = str(uuid.UUID(int=self._ids.getrandbits(128), version=4))
            return self._library.open_session(session_id, video, now).view(self.base_url)

    def recognize_image(self) -> dict[str, Any]:
        """Recognize an image (no task): the `data` of the answer, its masks served at once."""
        with self._lock:
            self._tick_locked()
            recognition_id = str(uuid.UUID(int=self._ids.getrandbits(128), version=4))
            return recognition_view(recognition_id, self.base_url)

    def selection(
        self, step: str, body: dict[str, Any], video: Order | None = None
    ) -> dict[str, Any] | Refusal:
        """Answer a multi-element selection call (free, no task); `video` opens a session."""
        with self._lock:
            self._tick_locked()
            now = self.clock.now()
            selections = self._library.selections
            try:
                if video is None:
                    return selections.answer(step, body, now, self.base_url)
                parent = self._library.source(video, now, self.base_url)
                return selections.open(str(self._ids.getrandbits(60)), parent, now)
            except Invalid as exc:
                return Refusal(exc.http_status, exc.code, exc.message)

    def ledger(self, ledger: str, body: dict[str, Any]) -> dict[str, Any] | Refusal:
        """A page of the account's `package` or `balance` ledger (free, no task)."""
        with self._lock:
            self._tick_locked()
            try:
                return ledger_page(ledger, body, self._tasks.values(), self._ledger_cursors)
            except Invalid as exc:
                return Refusal(exc.http_status, exc.code, exc.message)

    def face_image(self, session_id: str, face_id: str) -> int | None:
        """The position of a session's face (for its picture), or `None`."""
        with self._lock:
            return self._library.face_index(session_id, face_id)

    def account_costs(self, query: CostsQuery) -> dict[str, Any] | Refusal:
        """The resource packs of a time window, or 429/1302 within a second of the last call."""
        with self._lock:
            self._tick_locked()
            now = self.clock.now()
            last = self._last_costs_call
            if last is not None and now - last < COSTS_INTERVAL_SECONDS:
                return Refusal(429, 1302, RATE_MESSAGE)
            self._last_costs_call = now
            now_ms = self.clock.wall_ms()
            used = self.counters.units_by_family
            infos = [
                pack.view(used.get(pack.family, 0.0), now_ms)
                for pack in self._packs_locked()
                if pack.overlaps(query.start_ms, query.end_ms)
                and query.resource_pack_name in (None, pack.name)
            ]
            return {"code": 0, "msg": "success", "resource_pack_subscribe_infos": infos}

    def query(self, endpoints: Sequence[Endpoint], ident: str) -> dict[str, Any] | None:
        """The task object for a task id (or external id, where allowed) at a path."""
        names = {row.name for row in endpoints}
        with self._lock:
            self._tick_locked()
            task = self._tasks.get(ident)
            if task is None or task.endpoint.name not in names:
                task = self._by_external.get(ident)
                if task is None or not task.endpoint.external_id_lookup:
                    return None
                if task.endpoint.name not in names:
                    return None
            return task.kling_view(self.base_url)

    def list_tasks(
        self, endpoints: Sequence[Endpoint], page_num: int, page_size: int
    ) -> list[dict[str, Any]]:
        """One page of the tasks made at a path, newest first."""
        names = {row.name for row in endpoints}
        with self._lock:
            self._tick_locked()
            tasks = [t for t in reversed(self._tasks.values()) if t.endpoint.name in names]
            page = tasks[(page_num - 1) * page_size : page_num * page_size]
            return [task.kling_view(self.base_url) for task in page]

    def read(self, reader: Callable[[Mapping[str, Task], Mapping[str, Task]], T]) -> T:
        """`reader(tasks by id, by external id)` on the up-to-date store (not to keep them)."""
        with self._lock:
            self._tick_locked()
            return reader(self._tasks, self._by_external)

    def inspect_tasks(self) -> list[dict[str, Any]]:
        """Everything known about every task, oldest first."""
        with self._lock:
            self._tick_locked()
            return [task.inspect_view(self.base_url) for task in self._tasks.values()]

    def file(self, task_id: str, name: str) -> FileRef | Literal["expired"] | None:
        """The result file `name` of a task, `"expired"`, or `None` when there is none."""
        with self._lock:
            self._tick_locked()
            task = self._tasks.get(task_id)
            if task is None or task.status != SUCCEED or name not in task.file_names():
                return None
            ttl = self.config.link_ttl_seconds
            if ttl is not None and self.clock.now() > task.ends_at + ttl:
                return "expired"
            return result_file(
                task,
                name,
                render_videos=self.config.render_videos,
                video_bytes=self.config.video_bytes,
            )

    def stats(self) -> SimulatorStats:
        """A snapshot of the counters, with tasks brought up to date first."""
        with self._lock:
            self._tick_locked()
            return self.counters.snapshot(list(FAMILIES))
