"""What happened on the server side, counted.

`Counters` is the live, mutable tally kept by the simulator state; `SimulatorStats` is an
immutable snapshot of it, returned by `KlingSimulator.stats()` and, as JSON, by
`GET /_simulator/stats`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class SimulatorStats:
    """A snapshot of the simulator's counters.

    Attributes:
        requests: HTTP requests to the API (`/v1`, `/account`, `/kling`, and the newer
            standard's `/<product>/<model>` and `/tasks`), answered or not.
        create_calls: Authenticated create calls (refused ones included).
        query_calls: Authenticated task queries: a `/v1` query of one task, or a `GET /tasks`
            of the newer standard, one call however many ids it names.
        list_calls: Authenticated list queries (`/v1` pages, `POST /tasks` cursor pages).
        tasks_queried: Task ids asked for by `GET /tasks` queries, all together (a query of
            3 ids counts 3 here and 1 in `query_calls`).
        account_calls: Authenticated `account/costs` calls (those refused as too fast too).
        identify_face_calls: Authenticated identify-face calls (they create no task).
        tasks_created: Tasks created.
        tasks_by_endpoint: Tasks created per endpoint name.
        tasks_by_status: Current number of tasks in each status.
        in_flight: Slots held now, per family.
        peak_in_flight: Most slots held at once, per family.
        answers_by_code: Envelope answers per business code (0 for success).
        answers_by_http_status: Answers per HTTP status (envelopes, gateway errors and
            HTML pages; not downloads).
        gateway_errors: Gateway-shaped (CometAPI) errors per error code.
        callbacks_sent: Callback deliveries answered with a 2xx status.
        callbacks_failed: Callback deliveries that failed (error, timeout or non-2xx).
        callbacks_received: Bodies received by the built-in callback sink.
        downloads: Result-file responses started (HEAD requests not included).
        download_bytes: Result-file bytes sent.
        faults_injected: Faults applied, per kind.
        duplicate_external_ids: Creates refused because their external_task_id existed.
        units_charged: Sum of `final_unit_deduction` over finished tasks.
        units_by_family: `units_charged` per family (families with charges only).
    """

    requests: int = 0
    create_calls: int = 0
    query_calls: int = 0
    list_calls: int = 0
    tasks_queried: int = 0
    account_calls: int = 0
    identify_face_calls: int = 0
    tasks_created: int = 0
    tasks_by_endpoint: dict[str, int] = field(default_factory=dict)
    tasks_by_status: dict[str, int] = field(default_factory=dict)
    in_flight: dict[str, int] = field(default_factory=dict)
    peak_in_flight: dict[str, int] = field(default_factory=dict)
    answers_by_code: dict[int, int] = field(default_factory=dict)
    answers_by_http_status: dict[int, int] = field(default_factory=dict)
    gateway_errors: dict[str, int] = field(default_factory=dict)
    callbacks_sent: int = 0
    callbacks_failed: int = 0
    callbacks_received: int = 0
    downloads: int = 0
    download_bytes: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)
    duplicate_external_ids: int = 0
    units_charged: float = 0.0
    units_by_family: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The snapshot as JSON-ready data (integer keys become strings)."""
        data = asdict(self)
        for name in ("answers_by_code", "answers_by_http_status"):
            data[name] = {str(key): value for key, value in sorted(data[name].items())}
        return data


@dataclass
class Counters:
    """The live tally behind `SimulatorStats` (guarded by the state's lock)."""

    requests: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    tasks_queried: int = 0
    tasks_by_endpoint: Counter[str] = field(default_factory=Counter)
    tasks_by_status: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    peak_in_flight: Counter[str] = field(default_factory=Counter)
    answers_by_code: Counter[int] = field(default_factory=Counter)
    answers_by_http_status: Counter[int] = field(default_factory=Counter)
    gateway_errors: Counter[str] = field(default_factory=Counter)
    callbacks_sent: int = 0
    callbacks_failed: int = 0
    callbacks_received: int = 0
    downloads: int = 0
    download_bytes: int = 0
    faults_injected: Counter[str] = field(default_factory=Counter)
    duplicate_external_ids: int = 0
    units_charged: float = 0.0
    units_by_family: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def charge(self, family: str, units: float) -> None:
        """Count the units of a task that has ended."""
        self.units_charged += units
        self.units_by_family[family] += units

    def snapshot(self, families: list[str]) -> SimulatorStats:
        """An immutable copy; every family appears in the per-family maps."""
        return SimulatorStats(
            requests=self.requests,
            create_calls=self.calls["create"],
            query_calls=self.calls["query"],
            list_calls=self.calls["list"],
            tasks_queried=self.tasks_queried,
            account_calls=self.calls["account-costs"],
            identify_face_calls=self.calls["identify-face"],
            tasks_created=sum(self.tasks_by_endpoint.values()),
            tasks_by_endpoint=dict(self.tasks_by_endpoint),
            tasks_by_status={k: v for k, v in self.tasks_by_status.items() if v},
            in_flight={family: self.in_flight[family] for family in families},
            peak_in_flight={family: self.peak_in_flight[family] for family in families},
            answers_by_code=dict(self.answers_by_code),
            answers_by_http_status=dict(self.answers_by_http_status),
            gateway_errors=dict(self.gateway_errors),
            callbacks_sent=self.callbacks_sent,
            callbacks_failed=self.callbacks_failed,
            callbacks_received=self.callbacks_received,
            downloads=self.downloads,
            download_bytes=self.download_bytes,
            faults_injected=dict(self.faults_injected),
            duplicate_external_ids=self.duplicate_external_ids,
            units_charged=self.units_charged,
            units_by_family={k: v for k, v in self.units_by_family.items() if v},
        )
