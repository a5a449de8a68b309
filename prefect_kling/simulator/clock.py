"""The simulator's clock (real time plus a test-controlled offset) and its rate limiter.

Examples:
    >>> clock = SimClock()
    >>> before = clock.now()
    >>> clock.advance(60)
    >>> clock.now() - before >= 60
    True
"""

from __future__ import annotations

import math
import time


class SimClock:
    """Monotonic and wall time, both moved forward by `advance`."""

    def __init__(self) -> None:
        self._offset = 0.0

    @property
    def offset(self) -> float:
        """Seconds added by `advance` so far."""
        return self._offset

    def now(self) -> float:
        """Monotonic seconds (for timelines, link expiry and rate limiting)."""
        return time.monotonic() + self._offset

    def wall_ms(self) -> int:
        """Unix time in milliseconds (for `created_at` and `updated_at`)."""
        return int((time.time() + self._offset) * 1000)

    def advance(self, seconds: float) -> None:
        """Move both clocks forward.

        Raises:
            ValueError: If `seconds` is negative (time does not go back).
        """
        if seconds < 0:
            raise ValueError(f"cannot move the clock back ({seconds} s)")
        self._offset += seconds


class TokenBucket:
    """A token bucket: `rate` tokens a second, at most `capacity` saved up.

    Args:
        rate: Tokens added per second.
        capacity: Largest number of tokens; defaults to the rate rounded up (at least 1).
        now: The current time on the clock the caller will use.
    """

    def __init__(self, rate: float, capacity: int | None, now: float) -> None:
        self.rate = rate
        self.capacity = float(capacity if capacity is not None else max(1, math.ceil(rate)))
        self._tokens = self.capacity
        self._last = now

    def take(self, now: float) -> bool:
        """Take one token if there is one; `False` means the request is too fast."""
        self._tokens = min(self.capacity, self._tokens + max(0.0, now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
