"""A unit budget for one flow run: no create is sent once charged plus in-flight units reach it.

Kling states the units a task cost only when it has ended (`final_unit_deduction` on the
legacy standard, the `unit` charges of `billing[]` on the newer), so tasks still running
count with an estimate until their real cost is known, and each is settled with what Kling
charged. Each endpoint row carries its estimate (`Endpoint.estimate` in
`prefect_kling.endpoints`), taken from the dated price table of `prefect_kling.pricing`:
per second of video by model, resolution and audio, per image; where the request cannot
tell (a lip-sync's length), the dearest case. An endpoint without a row counts 1.
Estimates can be replaced per run (`UnitBudget(estimates=...)`).

Examples:
    >>> budget = UnitBudget(max_units=8)
    >>> first = budget.reserve("text-to-video", {"model_name": "kling-3.0-turbo", "duration": 5})
    >>> budget.settle(first, charged=4.0)
    >>> second = budget.reserve("text-to-video", {"model_name": "kling-3.0", "duration": 10})
    Traceback (most recent call last):
    ...
    prefect_kling.exceptions.KlingBudgetExceeded: not creating text-to-video: 4 units charged + ...
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from typing import Any

from prefect_kling._checks import require_positive
from prefect_kling.endpoints import ENDPOINTS, UnitEstimate
from prefect_kling.endpoints.row import one_unit
from prefect_kling.exceptions import KlingBudgetExceeded


def units_said(units: float | None) -> str:
    """Units as people say them: `1 unit`, `0.5 units`, `2 units`.

    Examples:
        >>> units_said(1), units_said(2.5), units_said(None)
        ('1 unit', '2.5 units', 'units unknown')
    """
    if units is None:
        return "units unknown"
    return f"{units:g} unit{'' if units == 1 else 's'}"


class UnitBudget:
    """Thread-safe accounting of units charged and in flight against a ceiling.

    Args:
        max_units: The ceiling; None means no limit (everything is still counted).
        estimates: Estimate per endpoint name, in place of the rows' own.

    Attributes:
        estimates: The estimates given in place of the rows' own, by endpoint name.
    """

    def __init__(
        self, max_units: float | None = None, *, estimates: Mapping[str, UnitEstimate] | None = None
    ):
        if max_units is not None:
            require_positive("max_units", max_units, "units")
        self.max_units = max_units
        self.estimates = dict(estimates or {})
        self.charged = 0.0
        self._in_flight: dict[int, float] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> float:
        """Estimated units of tasks created and not yet settled."""
        return sum(self._in_flight.values())

    def estimate(self, endpoint: str, request: Mapping[str, Any]) -> float:
        """The units a request is assumed to cost: as given, else as its row says.

        Examples:
            >>> UnitBudget().estimate("image-generation", {"n": 4, "resolution": "2k"})
            32.0
        """
        estimate = self.estimates.get(endpoint)
        if estimate is None:
            row = ENDPOINTS.get(endpoint)
            estimate = row.estimate if row else one_unit
        return estimate(request)

    def reserve(self, endpoint: str, request: Mapping[str, Any]) -> int:
        """Count a create about to be sent; returns a ticket for `settle` or `release`.

        Raises:
            KlingBudgetExceeded: Sending it could pass the budget.
        """
        estimate = self.estimate(endpoint, request)
        with self._lock:
            if (
                self.max_units is not None
                and self.charged + self.in_flight + estimate > self.max_units
            ):
                raise KlingBudgetExceeded(
                    f"not creating {endpoint}: {self.charged:g} units charged + "
                    f"{self.in_flight:g} in flight + {estimate:g} estimated would pass the "
                    f"budget of {self.max_units:g} units"
                )
            ticket = next(self._ids)
            self._in_flight[ticket] = estimate
            return ticket

    def settle(self, ticket: int, charged: float | None) -> None:
        """Replace a ticket's estimate by what Kling charged (the estimate when unknown)."""
        with self._lock:
            estimate = self._in_flight.pop(ticket, 0.0)
            self.charged += estimate if charged is None else charged

    def release(self, ticket: int) -> None:
        """Drop a ticket whose create cost nothing (refused, or broken before it was sent)."""
        with self._lock:
            self._in_flight.pop(ticket, None)
