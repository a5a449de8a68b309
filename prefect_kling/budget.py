"""A unit budget for one flow run: no create is sent once charged plus in-flight units reach it.

Kling states the units a task cost (`final_unit_deduction`) only when it has ended, so tasks
still running count with an estimate until their real cost is known. The estimates are
deliberately simple and can be replaced per run (`UnitBudget(estimates=...)`).

Examples:
    >>> budget = UnitBudget(max_units=3)
    >>> first = budget.reserve("text2video", {"mode": "std", "duration": "5"})
    >>> budget.settle(first, charged=1.0)
    >>> second = budget.reserve("text2video", {"mode": "pro", "duration": "5"})
    Traceback (most recent call last):
    ...
    prefect_kling.exceptions.KlingBudgetExceeded: not creating text2video: 1 units charged + ...
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from typing import Any

from prefect_kling.exceptions import KlingBudgetExceeded, require_positive

UnitEstimate = Callable[[Mapping[str, Any]], float]


def _video_units(request: Mapping[str, Any]) -> float:
    base = 3.5 if request.get("mode") == "pro" else 1.0
    return base * (2 if str(request.get("duration")) == "10" else 1)


def _effect_units(request: Mapping[str, Any]) -> float:
    # Effects nest their settings under `input`.
    return _video_units(request.get("input") or {})


def _image_units(request: Mapping[str, Any]) -> float:
    per_image = 0.5 if request.get("resolution") == "2k" else 0.25
    return per_image * int(request.get("n") or 1)


def _flat(units: float) -> UnitEstimate:
    return lambda request: units


DEFAULT_ESTIMATES: dict[str, UnitEstimate] = {
    "text2video": _video_units,
    "image2video": _video_units,
    "multi-image2video": _video_units,
    "effects": _effect_units,
    # The extension runs in the source video's mode, which the request does not name.
    "video-extend": _flat(1.0),
    # 0.5 per 5 s of the source video, whose length the request does not give.
    "lip-sync": _flat(1.0),
    "advanced-lip-sync": _flat(1.0),
    "multi-image2image": _image_units,
    "image-generation": _image_units,
    "image-expand": _image_units,
    "virtual-try-on": _flat(1.0),
}
"""Units a task is assumed to cost until Kling says.

- videos (text2video, image2video, multi-image2video, effects): std 5 s = 1, pro x 3.5,
  10 s x 2;
- video-extend: 1 (a 5 s extension in std mode);
- lip-sync and advanced lip-sync: 1 (0.5 per 5 s of a source video of up to 10 s);
- images (multi-image2image, image-generation, image-expand): 0.25 per image, 0.5 at 2k;
- virtual try-on: 1.

Endpoints missing here count 1.
"""


class UnitBudget:
    """Thread-safe accounting of units charged and in flight against a ceiling.

    Args:
        max_units: The ceiling; None means no limit (everything is still counted).
        estimates: Estimate per endpoint name, replacing `DEFAULT_ESTIMATES` entries.
    """

    def __init__(
        self, max_units: float | None = None, *, estimates: Mapping[str, UnitEstimate] | None = None
    ):
        if max_units is not None:
            require_positive("max_units", max_units, "units")
        self.max_units = max_units
        self.estimates = {**DEFAULT_ESTIMATES, **(estimates or {})}
        self.charged = 0.0
        self._in_flight: dict[int, float] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> float:
        """Estimated units of tasks created and not yet settled."""
        return sum(self._in_flight.values())

    def estimate(self, endpoint: str, request: Mapping[str, Any]) -> float:
        """The units a request is assumed to cost."""
        estimate = self.estimates.get(endpoint)
        return estimate(request) if estimate else 1.0

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
