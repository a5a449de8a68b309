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

from prefect.results import get_result_store

from prefect_kling._logging import RunAwareLogger

logger = RunAwareLogger(__name__)


def mark_sent(key: str) -> bool:
    """Mark the create of `key` as about to be sent; tell whether an earlier attempt did.

    Args:
        key: Names the create: its provider, account, endpoint and external id.

    Returns:
        True when a mark was there already, or none could be written: the create may have
        been sent before, so look its external id up before sending it.

    Examples:
        >>> import uuid
        >>> key = f"kling-sent-example-{uuid.uuid4().hex}"
        >>> mark_sent(key), mark_sent(key)
        (False, True)
    """
    store = get_result_store()
    mark = f"{key}.sent"
    try:
        if store.exists(mark):
            return True
        store.write(obj=datetime.now(UTC).isoformat(), key=mark)
    except Exception as error:  # a store that cannot be written: be safe, look it up
        logger.warning("Could not mark the create %s as sent (%s)", key, error)
        return True
    return False
