"""The account's ledgers (`POST /account/billing/package` and `/balance`) from the tasks it ran.

Each succeeded task is one deduction, dated when it succeeded: on the package ledger its
units from the pack of its family; on the balance ledger the same amount in USD (the
simulator's account pays from packs first, so the balance ledger is the same record in
money). A first page names a window (`start_time` before `end_time`, Unix ms, both
required without a cursor), `limit` (1 to 500) and filters; the answer holds a cursor while
more remain, and a cursor alone fetches the next page (it overrides everything else).

Examples:
    >>> page = ledger_page("package", {"start_time": 0, "end_time": 10, "limit": 1}, [], {})
    >>> page["result"], page["has_more"]
    ({'detail': [], 'count': 0}, False)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, MutableMapping
from typing import Any

from prefect_kling.simulator.orders import Invalid
from prefect_kling.simulator.timeline import SUCCEED, Task

MAX_LIMIT = 500
FILTER_KEYS = {
    "package": ("api_key_name", "product_type", "package_name", "package_id"),
    "balance": ("api_key_name",),
}
API_KEY_NAME = "default"


def _entry(ledger: str, task: Task, pack: str) -> dict[str, Any]:
    units = float(task.endpoint.units(task.order))
    entry: dict[str, Any] = {
        "task_id": task.task_id,
        "api_key_name": API_KEY_NAME,
        "product_function": task.endpoint.name,
        "model_name": task.order.model_name or task.endpoint.name,
        "resolution": "1080p" if task.order.mode == "pro" else "720p",
        "deduction_time": str(task.updated_ms),
        "deduction_amount": units,
    }
    if ledger == "package":
        return {**entry, "package_id": pack, "product_type": task.family}
    return {**entry, "cash_type": "balance", "list_price": units, "currency": "USD"}


def _selected(entry: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    """Same-key values are a union, different keys an intersection."""
    names = {"package_id": "package_id", "package_name": "package_id"}
    for item in filters:
        values = item.get("values") or []
        field = names.get(item["key"], item["key"])
        if values and entry.get(field) not in values:
            return False
    return True


def ledger_page(
    ledger: str,
    body: dict[str, Any],
    tasks: Iterable[Task],
    cursors: MutableMapping[str, tuple[list[dict[str, Any]], int]],
) -> dict[str, Any]:
    """One page of a ledger (`data`), remembering the rest under a new cursor.

    Raises:
        Invalid: A window, limit, filter or cursor Kling would refuse.
    """
    cursor = body.get("cursor")
    if cursor:
        if cursor not in cursors:
            raise Invalid(f"cursor {cursor!r} is unknown or used up")
        entries, limit = cursors.pop(cursor)
    else:
        start, end = body.get("start_time"), body.get("end_time")
        if not isinstance(start, int) or not isinstance(end, int) or start >= end:
            raise Invalid("start_time and end_time are required, start_time before end_time")
        limit = body.get("limit", MAX_LIMIT)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise Invalid(f"limit must be an integer between 1 and {MAX_LIMIT}")
        filters = body.get("filters") or []
        keys = [item.get("key") for item in filters if isinstance(item, dict)]
        unknown = [key for key in keys if key not in FILTER_KEYS[ledger]]
        if unknown or len(keys) != len(filters):
            raise Invalid(f"filters[].key must be one of {', '.join(FILTER_KEYS[ledger])}")
        if "package_name" in keys and "package_id" in keys:
            raise Invalid("package_name and package_id cannot be combined")
        entries = [
            _entry(ledger, task, f"pack-{task.family}")
            for task in tasks
            if task.status == SUCCEED and start <= task.created_ms <= end
        ]
        entries = [entry for entry in entries if _selected(entry, filters)]
    page, rest = entries[:limit], entries[limit:]
    answer: dict[str, Any] = {
        "result": {"detail": page, "count": len(page)},
        "next_cursor": "",
        "has_more": bool(rest),
    }
    if rest:
        answer["next_cursor"] = uuid.uuid4().hex
        cursors[answer["next_cursor"]] = (rest, limit)
    return answer
