"""The account's resource packs: the free `GET /account/costs` query and its answer.

The query creates no task and costs nothing (Kling allows about one a second), which also
makes it the way to check keys without spending anything. Remaining quantities are
updated by Kling with up to 12 hours of delay.

Examples:
    >>> costs = AccountCosts.model_validate({
    ...     "code": 0,
    ...     "resource_pack_subscribe_infos": [{
    ...         "resource_pack_name": "Video pack", "resource_pack_type": "decreasing_total",
    ...         "total_quantity": 200.0, "remaining_quantity": 118.5, "status": "online",
    ...         "effective_time": 1767225600000, "invalid_time": 1798761600000,
    ...     }],
    ... })
    >>> pack = costs.packs[0]
    >>> pack.remaining_quantity, pack.used_quantity, pack.active, pack.invalid_time.year
    (118.5, 81.5, True, 2027)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, field_validator, model_validator

from prefect_kling.models.common import StrictModel, rule_error
from prefect_kling.models.kling_task import _Lenient, parse_timestamp

DEFAULT_COSTS_WINDOW = timedelta(days=365)
"""How far back `AccountCostsQuery` looks when no start time is given."""
PACK_STATUSES = ("toBeOnline", "online", "expired", "runOut")
"""Statuses Kling gives a resource pack (others are kept as sent)."""


def _instant(value: Any) -> Any:
    """A datetime, or Unix milliseconds (seconds under 10^11) read into one."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return parse_timestamp(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


Instant = Annotated[datetime | None, BeforeValidator(_instant)]


def to_milliseconds(moment: datetime) -> int:
    """A datetime as Unix milliseconds, as Kling's account query wants it.

    Examples:
        >>> to_milliseconds(datetime(2026, 1, 1, tzinfo=UTC))
        1767225600000
    """
    return int(moment.timestamp() * 1000)


class AccountCostsQuery(StrictModel):
    """Which resource packs to list: those of a time window, optionally by name.

    Times are datetimes (naive ones are UTC) or Unix milliseconds. Left out, the window is
    the last 365 days up to now.

    Examples:
        >>> query = AccountCostsQuery(start_time=1767225600000, end_time=1769904000000)
        >>> query.to_params()
        {'start_time': 1767225600000, 'end_time': 1769904000000}
    """

    start_time: Instant = Field(
        None, description="Start of the window; 365 days before end_time when left out."
    )
    end_time: Instant = Field(None, description="End of the window; now when left out.")
    resource_pack_name: str | None = Field(
        None, min_length=1, description="Only the pack of this name."
    )

    @model_validator(mode="after")
    def _window_in_order(self) -> Self:
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise rule_error(
                "end_time",
                f"{self.end_time.isoformat()} is not after start_time "
                f"{self.start_time.isoformat()}; allowed: a time after start_time",
            )
        return self

    def to_params(self, now: datetime | None = None) -> dict[str, Any]:
        """The query string of `GET /account/costs`, times in Unix milliseconds.

        Args:
            now: The current time, for a window left open (injectable for tests).
        """
        end = self.end_time or now or datetime.now(UTC)
        start = self.start_time or end - DEFAULT_COSTS_WINDOW
        params: dict[str, Any] = {
            "start_time": to_milliseconds(start),
            "end_time": to_milliseconds(end),
        }
        if self.resource_pack_name is not None:
            params["resource_pack_name"] = self.resource_pack_name
        return params


def _number(value: Any) -> Any:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class ResourcePack(_Lenient):
    """One resource pack of the account, as Kling reports it."""

    resource_pack_id: str | None = Field(default=None, description="Kling's id of the pack.")
    resource_pack_name: str | None = Field(default=None, description="Name of the pack.")
    resource_pack_type: str | None = Field(
        default=None, description="Kind of pack, e.g. `decreasing_total` or `constant_period`."
    )
    total_quantity: float | None = Field(default=None, description="Units the pack holds.")
    remaining_quantity: float | None = Field(
        default=None, description="Units left (updated with up to 12 hours of delay)."
    )
    effective_time: datetime | None = Field(default=None, description="When the pack starts.")
    invalid_time: datetime | None = Field(default=None, description="When the pack expires.")
    status: str | None = Field(
        default=None, description="`toBeOnline`, `online`, `expired` or `runOut`."
    )

    @field_validator("resource_pack_id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return None if value is None else str(value)

    @field_validator("total_quantity", "remaining_quantity", mode="before")
    @classmethod
    def _quantities(cls, value: Any) -> Any:
        return _number(value)

    @field_validator("effective_time", "invalid_time", mode="before")
    @classmethod
    def _times(cls, value: Any) -> datetime | None:
        return parse_timestamp(value)

    @property
    def active(self) -> bool:
        """Whether the pack can be spent now (status `online`)."""
        return self.status == "online"

    @property
    def used_quantity(self) -> float | None:
        """Units spent, when both quantities are known."""
        if self.total_quantity is None or self.remaining_quantity is None:
            return None
        return self.total_quantity - self.remaining_quantity


class AccountCosts(_Lenient):
    """The answer of `GET /account/costs`: the account's resource packs."""

    resource_pack_subscribe_infos: list[ResourcePack] = Field(
        default_factory=list, description="The resource packs of the window."
    )

    @field_validator("resource_pack_subscribe_infos", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def packs(self) -> list[ResourcePack]:
        """The resource packs (short name of `resource_pack_subscribe_infos`)."""
        return self.resource_pack_subscribe_infos

    @property
    def remaining_by_type(self) -> dict[str, float]:
        """Units left in the active packs, summed per pack type.

        Examples:
            >>> AccountCosts.model_validate({"resource_pack_subscribe_infos": [
            ...     {"resource_pack_type": "video", "remaining_quantity": 5, "status": "online"},
            ...     {"resource_pack_type": "video", "remaining_quantity": 2, "status": "online"},
            ...     {"resource_pack_type": "video", "remaining_quantity": 9, "status": "expired"},
            ... ]}).remaining_by_type
            {'video': 7.0}
        """
        totals: dict[str, float] = {}
        for pack in self.packs:
            if pack.active and pack.remaining_quantity is not None:
                kind = pack.resource_pack_type or "unknown"
                totals[kind] = totals.get(kind, 0.0) + pack.remaining_quantity
        return totals
