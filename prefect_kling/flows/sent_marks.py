"""Sent marks: what the create step writes just before it sends, and reads on a later attempt.

Prefect writes a create's cache record after the step returns, so a run killed between
Kling's answer and that record leaves a task no record names. The mark closes that gap:
written beside the records before the create is sent, it tells a later attempt that the
create may have been sent, since when, and with which content (the request's content
digest, `prefect_kling.client.identity`). An attempt that finds no mark knows that no
create was ever sent.

A mark is `{"sent_at": <ISO time>, "digest": <content digest>}`; marks of earlier versions
are the time alone (content unknown). A caller's external id that Kling refused as the id of
a task this package did not make is marked `FOREIGN`: no content of ours matches it.

Examples:
    >>> import uuid
    >>> key = f"kling-sent-example-{uuid.uuid4().hex}"
    >>> claim_mark(key, "d1") is None  # none before: this attempt has written one
    True
    >>> claim_mark(key, "d2").digest
    'd1'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prefect.results import ResultStore, get_result_store

from prefect_kling._logging import RunAwareLogger
from prefect_kling.runtime import current_runtime

logger = RunAwareLogger(__name__)

UNKNOWN_SEND_TIME = datetime(1970, 1, 1, tzinfo=UTC)
"""When an earlier attempt sent a create whose mark cannot be read: any time at all."""

FOREIGN = "foreign"
"""The digest of a mark whose id names a task of unknown content: matches no request."""


@dataclass(frozen=True)
class SentMark:
    """What a mark says about an earlier attempt.

    Attributes:
        sent_at: When the create may first have been sent.
        digest: The content digest it was sent with (None: unknown, an earlier version's).
    """

    sent_at: datetime
    digest: str | None = None

    def names_other_content(self, digest: str | None) -> bool:
        """Whether the mark was written for content other than `digest` (as far as known).

        Examples:
            >>> mark = SentMark(UNKNOWN_SEND_TIME, "d1")
            >>> mark.names_other_content("d2"), mark.names_other_content("d1")
            (True, False)
            >>> SentMark(UNKNOWN_SEND_TIME).names_other_content("d2")  # content unknown
            False
        """
        return bool(self.digest and digest and self.digest != digest)


def claim_mark(key: str, digest: str | None) -> SentMark | None:
    """Mark the create of `key` as about to be sent, unless an earlier attempt did.

    Args:
        key: Names the create: its provider, account, endpoint and external id.
        digest: The content digest of the request about to be sent.

    Returns:
        None when no earlier attempt marked it (this one has now). Otherwise the earlier
        mark (sent `UNKNOWN_SEND_TIME` when it cannot be read, or no mark could be
        written): the create may have been sent since, so look its external id up among
        the tasks made since then before sending it.
    """
    store = get_result_store()
    mark = f"{key}.sent"
    try:
        if store.exists(mark):
            return _read(store, mark)
        now = current_runtime().now().isoformat()
        store.write(obj={"sent_at": now, "digest": digest}, key=mark)
    except Exception as error:  # a store that cannot be written: be safe, look it up
        logger.warning("Could not mark the create %s as sent (%s)", key, error)
        return SentMark(UNKNOWN_SEND_TIME)
    return None


def read_mark(key: str) -> SentMark | None:
    """The mark of the create of `key`, without writing one; None when there is none."""
    store = get_result_store()
    mark = f"{key}.sent"
    try:
        return _read(store, mark) if store.exists(mark) else None
    except Exception:  # an unreadable store: the create may have been sent any time
        return SentMark(UNKNOWN_SEND_TIME)


def mark_foreign(key: str, sent_at: datetime) -> None:
    """Record that the id of `key` names a task this package did not make (best effort)."""
    try:
        get_result_store().write(
            obj={"sent_at": sent_at.isoformat(), "digest": FOREIGN}, key=f"{key}.sent"
        )
    except Exception as error:
        logger.warning("Could not mark the external id of %s as another's (%s)", key, error)


def mark_sent(key: str, digest: str | None = None) -> datetime | None:
    """Mark the create of `key` as about to be sent; tell when an earlier attempt did.

    Returns:
        None when no earlier attempt marked it (this one has now); otherwise the time of
        the earlier mark (see `claim_mark`).

    Examples:
        >>> import uuid
        >>> key = f"kling-sent-example-{uuid.uuid4().hex}"
        >>> first, second = mark_sent(key), mark_sent(key)
        >>> first is None, second is not None and second > UNKNOWN_SEND_TIME
        (True, True)
    """
    earlier = claim_mark(key, digest)
    return None if earlier is None else earlier.sent_at


def parse_mark(value: Any) -> SentMark:
    """The mark a stored value says: `{"sent_at": ..., "digest": ...}`, or an earlier time alone.

    Raises:
        KeyError, TypeError, ValueError: The value is no mark.

    Examples:
        >>> parse_mark({"sent_at": "2026-01-02T03:04:05+00:00", "digest": "d1"}).digest
        'd1'
        >>> parse_mark("2026-01-02T03:04:05+00:00").sent_at.year
        2026
    """
    if isinstance(value, dict):
        digest = value.get("digest")
        return SentMark(datetime.fromisoformat(value["sent_at"]), digest and str(digest))
    return SentMark(datetime.fromisoformat(value))


def _read(store: ResultStore, mark: str) -> SentMark:
    try:
        return parse_mark(store.read(mark).result)
    except Exception:  # unreadable, or not a time: the create may have been sent any time
        return SentMark(UNKNOWN_SEND_TIME)
