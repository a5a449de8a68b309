"""When to repeat a call to Kling, and how long to wait first: small pure functions.

Reads (queries, lists) are repeated on transient errors. Creates cost money, so an error
after which the task *may* exist (a timeout, a dropped connection, 5000/5002 or any server
error but 5001 maintenance, a gateway's error page, a success status with a garbled body)
is followed by a lookup of the create's
external task id instead of a blind repeat; only 1302/1303, 5001 and errors that certainly
happened before the server acted are repeated directly.

Examples:
    >>> import random
    >>> from prefect_kling.exceptions import KlingConcurrencyLimited
    >>> policy = RetryPolicy(jitter=0)
    >>> error = KlingConcurrencyLimited("busy", code=1303, status_code=429)
    >>> policy.should_retry(error, attempt=1), policy.delay(error, attempt=3, rng=random.Random(0))
    (True, 4.0)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from prefect_kling.exceptions import (
    KlingConcurrencyLimited,
    KlingError,
    KlingGatewayError,
    KlingServerError,
    KlingTransportError,
    KlingUnexpectedResponse,
)

_NOTHING_DONE_CODES = frozenset({5001})
"""Server errors that certainly made no task: 5001 is maintenance."""


class CreateAction(Enum):
    """What to do after a create call failed."""

    RAISE = "raise"
    """The error is final, or the attempts are used up."""
    RETRY = "retry"
    """Nothing was created: wait and send again."""
    RECONCILE = "reconcile"
    """A task may exist: look its external id up, and send again only if it does not."""


def is_transient(error: BaseException) -> bool:
    """Whether the same call may succeed later (1302, 1303, 5000-5002, network trouble).

    Examples:
        >>> from prefect_kling.exceptions import KlingContentRejected
        >>> is_transient(KlingContentRejected("refused", code=1301))
        False
    """
    return isinstance(error, KlingError) and bool(getattr(error, "transient", False))


def create_may_have_succeeded(error: BaseException) -> bool:
    """Whether a failed create may all the same have made a (paid) task."""
    if isinstance(error, KlingTransportError):
        return error.sent
    if isinstance(error, KlingServerError):
        return error.code not in _NOTHING_DONE_CODES
    if isinstance(error, KlingUnexpectedResponse | KlingGatewayError):
        return error.transient
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, a cap, and respect for `Retry-After`.

    Attributes:
        max_attempts: Calls in all, the first included.
        base_delay: Wait before the second attempt, in seconds.
        max_delay: Cap of a computed wait.
        jitter: Fraction of the wait drawn at random (0 = none), to spread clients apart.
        min_concurrency_delay: Least wait after a 1303 (a slot frees only when a task ends).
        max_retry_after: Cap of a server-requested `Retry-After` wait.
    """

    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 30.0
    jitter: float = 0.25
    min_concurrency_delay: float = 1.0
    max_retry_after: float = 120.0

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """Whether a read that failed on its `attempt`-th call should be made again."""
        return attempt < self.max_attempts and is_transient(error)

    def create_action(self, error: BaseException, attempt: int) -> CreateAction:
        """What to do after a create failed on its `attempt`-th call."""
        if create_may_have_succeeded(error):
            return CreateAction.RECONCILE
        if self.should_retry(error, attempt):
            return CreateAction.RETRY
        return CreateAction.RAISE

    def delay(self, error: BaseException, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after the `attempt`-th call failed with `error`."""
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None and retry_after >= 0:
            return min(float(retry_after), self.max_retry_after)
        wait = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        wait *= 1 - self.jitter * rng.random()
        if isinstance(error, KlingConcurrencyLimited):
            wait = max(wait, self.min_concurrency_delay)
        return wait


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header given in seconds (dates are ignored).

    Examples:
        >>> parse_retry_after("3"), parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT")
        (3.0, None)
    """
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
