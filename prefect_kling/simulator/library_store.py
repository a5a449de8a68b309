"""The simulated account's library: element and voice creations on the simulator's clock.

A creation is a task like the others: `submitted` for the account's `queue_seconds`, then
`processing` for its `processing_seconds`, then `succeed` with the element or voice it made
(or `failed`, with the reason, when it carries one). The entry's id is drawn when the task
is made and shows once the task has succeeded. Deleting an entry marks it `deleted`: lists
still show it; a new element can no longer take a deleted voice.

The store belongs to the account (`SimulatorState.library`): reset with it, and kept in its
state file (`export`, `restore`). Callbacks of status changes wait in `take_outbox` for the
server loop, as the other tasks' do.

Examples:
    >>> from prefect_kling.simulator.clock import SimClock
    >>> store = LibraryStore(SimClock(), seed=7)
    >>> made = store.create(
    ...     "voice", {"voice_name": "Ada"}, {}, queue_seconds=1, processing_seconds=2
    ... )
    >>> store.clock.advance(5)
    >>> task = store.query("voice", made["task_id"], "http://sim")
    >>> task["task_status"], task["task_result"]["voices"][0]["voice_name"]
    ('succeed', 'Ada')
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

from prefect_kling.simulator.callbacks import CallbackEvent
from prefect_kling.simulator.clock import SimClock
from prefect_kling.simulator.faults import seeded_random
from prefect_kling.simulator.orders import Invalid
from prefect_kling.simulator.timeline import FAILED, PROCESSING, SUBMITTED, SUCCEED, TERMINAL

RESULTS = {"element": "elements", "voice": "voices"}
"""The field of `task_result` that holds what a creation of each kind made."""
ID_FIELDS = {"element": "element_id", "voice": "voice_id"}
DELETED = "deleted"
LINKED = "trial_url"
"""The entry field (of a voice, also inside an element) that holds a path on the simulator."""


def linked(value: Any, base_url: str) -> Any:
    """An entry with its simulator paths (`trial_url`) as links: the address in front.

    Examples:
        >>> linked({"voice_info": {"trial_url": "/_simulator/voices/1.wav"}}, "http://sim")
        {'voice_info': {'trial_url': 'http://sim/_simulator/voices/1.wav'}}
    """
    if isinstance(value, dict):
        return {
            key: f"{base_url}{item}"
            if key == LINKED and isinstance(item, str) and item.startswith("/")
            else linked(item, base_url)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [linked(item, base_url) for item in value]
    return value


@dataclass
class Creation:
    """One element or voice creation and what it makes.

    Attributes:
        task_id: Kling-style numeric task id.
        kind: `element` or `voice`.
        entry: The element or voice as lists will show it (`status` `succeed` or `deleted`).
        request: The create body as received (long strings summarised).
        created_mono: Creation time on the simulator's monotonic clock.
        created_ms: Creation time, Unix milliseconds (simulator clock).
        queue_seconds: Time spent `submitted`.
        processing_seconds: Time spent `processing`.
        external_task_id: The caller's id for the task, if any.
        callback_url: Where status changes are sent, if anywhere.
        failure: `task_status_msg` of a creation that will fail, else `None`.
        status: The status reached so far (moved by ticks, which queue the callbacks).
    """

    task_id: str
    kind: str
    entry: dict[str, Any]
    request: dict[str, Any]
    created_mono: float
    created_ms: int
    queue_seconds: float
    processing_seconds: float
    external_task_id: str | None = None
    callback_url: str | None = None
    failure: str | None = None
    status: str = SUBMITTED

    @property
    def entry_id(self) -> str:
        """The id of the element or voice it makes."""
        return str(self.entry[ID_FIELDS[self.kind]])

    def status_at(self, now: float) -> str:
        """The status the timeline gives at time `now`."""
        elapsed = now - self.created_mono
        if elapsed < self.queue_seconds:
            return SUBMITTED
        if elapsed < self.queue_seconds + self.processing_seconds:
            return PROCESSING
        return FAILED if self.failure else SUCCEED

    def began_ms(self, status: str) -> int:
        """When the timeline enters `status`, Unix milliseconds."""
        if status == SUBMITTED:
            return self.created_ms
        queued = self.created_ms + round(self.queue_seconds * 1000)
        return queued if status == PROCESSING else queued + round(self.processing_seconds * 1000)

    def _info(self) -> dict[str, Any]:
        return {"external_task_id": self.external_task_id} if self.external_task_id else {}

    def create_view(self, status: str | None = None) -> dict[str, Any]:
        """The `data` of the create answer (at `status`, the status reached by default)."""
        status = status or self.status
        return {
            "task_id": self.task_id,
            "task_status": status,
            "task_info": self._info(),
            "created_at": self.created_ms,
            "updated_at": self.began_ms(status),
        }

    def view(self, base_url: str, status: str | None = None) -> dict[str, Any]:
        """The task object of queries, lists and callbacks (at `status`, as `create_view`)."""
        status = status or self.status
        entry = linked(self.entry, base_url)
        view: dict[str, Any] = {
            **self.create_view(status),
            "task_status_msg": self.failure if status == FAILED else "",
            "task_result": {RESULTS[self.kind]: [entry]} if status == SUCCEED else {},
        }
        if status in TERMINAL:
            # Kling's pages state no price for these; the simulator charges nothing.
            view["final_unit_deduction"] = "0"
        return view


class LibraryStore:
    """The account's element and voice creations, and its deletions.

    Args:
        clock: The simulator's clock, that the creations' timelines run on.
        seed: Seed of the ids (`None`: random).
    """

    def __init__(self, clock: SimClock, seed: int | None) -> None:
        self.clock = clock
        self._seed = seed
        self._lock = threading.RLock()
        self._ids = seeded_random("library-ids", seed)
        self._creations: dict[str, Creation] = {}
        self._by_external: dict[str, Creation] = {}
        # (task id, callback URL, status) of each change, rendered when the loop takes it.
        self._outbox: list[tuple[str, str, str]] = []

    def _new_id(self) -> str:
        taken = {*self._creations, *(c.entry_id for c in self._creations.values())}
        while True:
            candidate = str(self._ids.randrange(10**17, 10**18))
            if candidate not in taken:
                return candidate

    def create(
        self,
        kind: str,
        entry: dict[str, Any],
        request: dict[str, Any],
        *,
        queue_seconds: float,
        processing_seconds: float,
        external_task_id: str | None = None,
        callback_url: str | None = None,
        failure: str | None = None,
        owner: str = "",
    ) -> dict[str, Any]:
        """Make a creation task; returns the `data` of the create answer.

        Args:
            kind: `element` or `voice`.
            entry: The entry's fields, without its id, owner and status.
            request: The body as received (long strings summarised).
            queue_seconds: Time it stays `submitted`.
            processing_seconds: Time it then stays `processing`.
            external_task_id: The caller's id for the task.
            callback_url: Where status changes are sent.
            failure: Why it will fail, if it will.
            owner: `owned_by` of the entry (the account's creator id).

        Raises:
            Invalid: The external id names a creation already (400/1201).
        """
        with self._lock:
            self._tick_locked()
            if external_task_id and external_task_id in self._by_external:
                raise Invalid(f"external_task_id {external_task_id!r} already exists")
            entry_id = self._new_id()
            if kind == "voice":
                entry = {**entry, LINKED: f"/_simulator/voices/{entry_id}.wav"}
            creation = Creation(
                task_id=self._new_id(),
                kind=kind,
                entry={ID_FIELDS[kind]: entry_id, **entry, "owned_by": owner, "status": SUCCEED},
                request=request,
                created_mono=self.clock.now(),
                created_ms=self.clock.wall_ms(),
                queue_seconds=queue_seconds,
                processing_seconds=processing_seconds,
                external_task_id=external_task_id,
                callback_url=callback_url,
                failure=failure,
            )
            self._add_locked(creation)
            self._queue_locked(creation)
            return creation.create_view()

    def _add_locked(self, creation: Creation) -> None:
        self._creations[creation.task_id] = creation
        if creation.external_task_id:
            self._by_external[creation.external_task_id] = creation

    def query(self, kind: str, ident: str, base_url: str) -> dict[str, Any] | None:
        """A creation's task object, by task id or external id; `None` when there is none."""
        with self._lock:
            self._tick_locked()
            found = self._creations.get(ident) or self._by_external.get(ident)
            return found.view(base_url) if found and found.kind == kind else None

    def page(self, kind: str, page_num: int, page_size: int, base_url: str) -> list[dict[str, Any]]:
        """One page of the creations of a kind, newest first."""
        with self._lock:
            self._tick_locked()
            made = [c for c in reversed(self._creations.values()) if c.kind == kind]
            chosen = made[(page_num - 1) * page_size : page_num * page_size]
            return [creation.view(base_url) for creation in chosen]

    def entry(self, kind: str, entry_id: str) -> dict[str, Any] | None:
        """A custom entry that exists (its creation succeeded), deleted or not."""
        with self._lock:
            self._tick_locked()
            for creation in self._creations.values():
                done = creation.kind == kind and creation.status == SUCCEED
                if done and creation.entry_id == entry_id:
                    return dict(creation.entry)
            return None

    def delete(self, kind: str, entry_id: str) -> dict[str, Any]:
        """Mark an entry deleted (again, harmlessly); returns the `data` of the answer.

        Raises:
            Invalid: No custom entry of that kind has the id (404/1203).
        """
        with self._lock:
            self._tick_locked()
            for creation in self._creations.values():
                done = creation.kind == kind and creation.status == SUCCEED
                if done and creation.entry_id == entry_id:
                    creation.entry["status"] = DELETED
                    return {"task_id": self._new_id(), "task_status": SUCCEED}
            raise Invalid(f"{ID_FIELDS[kind]} {entry_id} does not exist", 1203, 404)

    # -- timelines and callbacks --------------------------------------------------------------

    def tick(self) -> None:
        """Move every creation to the status its timeline gives now."""
        with self._lock:
            self._tick_locked()

    def _tick_locked(self) -> None:
        now = self.clock.now()
        for creation in self._creations.values():
            if creation.status in TERMINAL:
                continue
            steps = [SUBMITTED, PROCESSING, creation.status_at(float("inf"))]
            target = creation.status_at(now)
            for status in steps[steps.index(creation.status) + 1 : steps.index(target) + 1]:
                creation.status = status
                self._queue_locked(creation)

    def _queue_locked(self, creation: Creation) -> None:
        if creation.callback_url:
            self._outbox.append((creation.task_id, creation.callback_url, creation.status))

    def take_outbox(self, base_url: str) -> list[CallbackEvent]:
        """Remove and return the callback deliveries waiting to be sent, in order.

        Args:
            base_url: The simulator's address, for the links the task objects hold.
        """
        with self._lock:
            changes, self._outbox = self._outbox, []
            return [
                CallbackEvent(
                    task_id,
                    url,
                    self._creations[task_id].view(base_url, status),
                    final=status in TERMINAL,
                )
                for task_id, url, status in changes
            ]

    # -- the state file ---------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """What a state file keeps: every creation, its timeline in Unix milliseconds."""
        with self._lock:
            self._tick_locked()
            return {
                "creations": [
                    {key: value for key, value in asdict(c).items() if key != "created_mono"}
                    for c in self._creations.values()
                ]
            }

    def restore(self, data: dict[str, Any]) -> None:
        """Take back what `export` gave, the timelines placed on this process's clock.

        Raises:
            ValueError: A creation cannot be read back.
        """
        now, now_ms = self.clock.now(), self.clock.wall_ms()
        with self._lock:
            for item in data.get("creations", []):
                try:
                    made_ms = item["created_ms"]
                    creation = Creation(**item, created_mono=now - (now_ms - made_ms) / 1000)
                except (KeyError, TypeError) as error:
                    problem = f"a creation the simulator cannot read back ({error!r})"
                    raise ValueError(problem) from None
                self._add_locked(creation)
            # New ids must not retrace the saved ones' sequence (a fixed seed would).
            self._ids = seeded_random(f"library-ids-after-{len(self._creations)}", self._seed)
