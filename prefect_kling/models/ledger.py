"""The account's ledgers: every deduction, from packs (`package`) or from the balance (`balance`).

Kling's pages `POST /account/billing/package` (unit deduction detail) and
`POST /account/billing/balance` (balance deduction detail), on the account prefix (no
`/v1`), answer cursor pages of at most 500 entries: `data.result.detail[]`,
`data.next_cursor`, `data.has_more`. The first page names a time window (Unix ms, the
start before the end) and filters (`api_key_name` on both; `product_type`, `package_name`
or `package_id` on the package ledger, never a name and an id together); the next pages
give only the cursor, which overrides everything else. `LedgerQuery` is that first body;
`ledger_totals` adds entries up per day and model.

Examples:
    >>> query = LedgerQuery(start_time=1767225600000, end_time=1769904000000,
    ...                     product_types=["video"])
    >>> query.to_body("package")  # doctest: +NORMALIZE_WHITESPACE
    {'start_time': 1767225600000, 'end_time': 1769904000000, 'limit': 500,
     'filters': [{'key': 'product_type', 'values': ['video']}]}
    >>> entry = LedgerEntry(task_id="1", model_name="kling-v3", deduction_amount=5.0,
    ...                     deduction_time="1767225600000")
    >>> ledger_totals([entry, entry])
    [LedgerTotal(day='2026-01-01', model='kling-v3', entries=2, amount=10.0)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from prefect_kling.models.account import Instant, to_milliseconds
from prefect_kling.models.common import StrictModel, rule_error
from prefect_kling.models.kling_task import _Lenient, parse_timestamp

Ledger = Literal["package", "balance"]
"""Which ledger: unit deductions from resource packs, or deductions from the balance."""
LEDGERS: tuple[Ledger, ...] = ("package", "balance")
MAX_PAGE = 500
"""Most entries a page holds (Kling's `limit`)."""
PRODUCT_TYPES = ("video", "image", "try-on")
"""The pack types the package ledger filters by."""


class LedgerQuery(StrictModel):
    """The first page's body: a time window and filters (the next pages give the cursor).

    Left out, the window is the last 30 days up to now (Kling requires one).
    """

    start_time: Instant = Field(None, description="Start of the window (task creation).")
    end_time: Instant = Field(None, description="End of the window; now when left out.")
    limit: int = Field(MAX_PAGE, ge=1, le=MAX_PAGE, description="Entries a page, 1 to 500.")
    api_key_names: list[str] = Field(default_factory=list, description="Only these keys.")
    product_types: list[Literal["video", "image", "try-on"]] = Field(
        default_factory=list, description="Only these pack types (package ledger)."
    )
    package_names: list[str] = Field(default_factory=list, description="Only these packs.")
    package_ids: list[str] = Field(default_factory=list, description="Only these pack ids.")

    @model_validator(mode="after")
    def _window_and_filters(self) -> Self:
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise rule_error(
                "end_time",
                f"{self.end_time.isoformat()} is not after start_time "
                f"{self.start_time.isoformat()}; allowed: a time after start_time",
            )
        if self.package_names and self.package_ids:
            raise rule_error(
                "package_ids",
                "cannot be combined with package_names; allowed: one of them",
            )
        return self

    def to_body(self, ledger: Ledger, now: datetime | None = None) -> dict[str, Any]:
        """The first page's JSON body for a ledger.

        Raises:
            KlingValidationError: A filter the balance ledger does not take.
        """
        from prefect_kling.exceptions import KlingValidationError

        end = self.end_time or now or datetime.now(UTC)
        start = self.start_time or datetime.fromtimestamp(end.timestamp() - 30 * 86400, UTC)
        filters = {
            "api_key_name": self.api_key_names,
            "product_type": list(self.product_types),
            "package_name": self.package_names,
            "package_id": self.package_ids,
        }
        if ledger == "balance":
            for key in ("product_type", "package_name", "package_id"):
                if filters.pop(key):
                    raise KlingValidationError.single(
                        f"{key}s",
                        "the balance ledger filters by API key name only; allowed: "
                        "api_key_names, or the package ledger",
                        endpoint="account-billing-balance",
                    )
        body: dict[str, Any] = {
            "start_time": to_milliseconds(start),
            "end_time": to_milliseconds(end),
            "limit": self.limit,
        }
        given = [{"key": key, "values": values} for key, values in filters.items() if values]
        if given:
            body["filters"] = given
        return body


class LedgerEntry(_Lenient):
    """One deduction: the task, what it made, and what it took (units or balance)."""

    task_id: str | None = Field(default=None, description="The task charged.")
    api_key_name: str | None = Field(default=None, description="The API key's name.")
    product_type: str | None = Field(default=None, description="Pack type (package ledger).")
    package_id: str | None = Field(default=None, description="The pack (package ledger).")
    product_function: str | None = Field(default=None, description="e.g. Image to Video.")
    model_name: str | None = Field(default=None, description="The model of the task.")
    resolution: str | None = Field(default=None, description="720p, 1080p or 4k.")
    duration: str | None = Field(default=None, description="Video seconds, as a string.")
    deduction_time: datetime | None = Field(default=None, description="When it was charged.")
    deduction_amount: float | None = Field(default=None, description="Units (or money).")
    currency: str | None = Field(default=None, description="CNY or USD (balance ledger).")

    @field_validator("task_id", "package_id", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return None if value is None else str(value)

    @field_validator("deduction_time", mode="before")
    @classmethod
    def _time(cls, value: Any) -> datetime | None:
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        return parse_timestamp(value)


class LedgerPage(_Lenient):
    """One page of a ledger (`data`)."""

    result: dict[str, Any] = Field(default_factory=dict, description="`detail` and `count`.")
    next_cursor: str | None = Field(default=None, description="The next page's cursor.")
    has_more: bool = Field(default=False, description="Whether another page follows.")

    @property
    def entries(self) -> list[LedgerEntry]:
        """The page's deductions."""
        return [LedgerEntry.model_validate(item) for item in self.result.get("detail") or []]


@dataclass(frozen=True)
class LedgerTotal:
    """What one model was charged on one day (UTC)."""

    day: str
    model: str
    entries: int
    amount: float


def ledger_totals(entries: Iterable[LedgerEntry]) -> list[LedgerTotal]:
    """The entries added up per day (UTC) and model, in order of day then model."""
    sums: dict[tuple[str, str], list[float]] = {}
    for entry in entries:
        day = entry.deduction_time.date().isoformat() if entry.deduction_time else "unknown"
        key = (day, entry.model_name or "unknown")
        total = sums.setdefault(key, [0, 0.0])
        total[0] += 1
        total[1] += entry.deduction_amount or 0.0
    return [
        LedgerTotal(day, model, int(count), round(amount, 6))
        for (day, model), (count, amount) in sorted(sums.items())
    ]
