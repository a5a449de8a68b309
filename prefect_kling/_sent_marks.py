"""Marks of creates about to be sent, kept in the result store of the cached create.

The cached create (`kling-create`) must never pay twice. Prefect writes its cache record
after the task returns, so a run killed between Kling's answer and that record leaves a task
that no record names. Looking every external id up before its create would cover that, at
one query to Kling per task. A mark written before the create is sent covers it for a
read and a write of the result store: a later attempt that finds no cache record but finds the mark
looks the external id up first; one that finds no mark knows that no create was ever sent.
(A batch item writes its mark before it waits for a place, off the path from a free place
to the create; a run killed during that wait costs its rerun one lookup, nothing more.)
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect.results import ResultStore, get_result_store

from prefect_kling._logging import RunAwareLogger

logger = RunAwareLogger(__name__)


UNKNOWN_SEND_TIME = datetime(1970, 1, 1, tzinfo=UTC)
"""When an earlier attempt sent a create whose mark cannot be read: any time at all."""


def mark_sent(key: str) -> datetime | None:
    """Mark the create of `key` as about to be sent; tell when an earlier attempt did.

    Args:
        key: Names the create: its provider, account, endpoint and external id.

    Returns:
        None when no earlier attempt marked it (this one has now). Otherwise the time of
        the earlier mark (`UNKNOWN_SEND_TIME` when it cannot be read, or no mark could be
        written): the create may have been sent since, so look its external id up among
        the tasks made since then before sending it.

    Examples:
        >>> import uuid
        >>> key = f"kling-sent-example-{uuid.uuid4().hex}"
        >>> first, second = mark_sent(key), mark_sent(key)
        >>> first is None, second is not None and second > UNKNOWN_SEND_TIME
        (True, True)
    """
    store = get_result_store()
    mark = f"{key}.sent"
    try:
        if store.exists(mark):
            return _marked_at(store, mark)
        store.write(obj=datetime.now(UTC).isoformat(), key=mark)
    except Exception as error:  # a store that cannot be written: be safe, look it up
        logger.warning("Could not mark the create %s as sent (%s)", key, error)
        return UNKNOWN_SEND_TIME
    return None


def _marked_at(store: ResultStore, mark: str) -> datetime:
    try:
        return datetime.fromisoformat(store.read(mark).result)
    except Exception:  # unreadable, or not a time: the create may have been sent any time
        return UNKNOWN_SEND_TIME
