"""The newer standard's task queries: `GET /tasks` by ids, `POST /tasks` by cursor.

Kling says these "support querying async tasks only"; the simulator serves the tasks made
on the newer standard's create paths there, and no `/v1` task (a `/v1` task is read at its
own path). Both answer Kling's newer task object (see `timeline.Task.standard_view`).

`GET /tasks?task_ids=a,b,c` or `?external_task_ids=x,y` (exactly one of the two; items
separated by commas, blanks and repeats dropped) answers `data`: the tasks found, in the
order asked; an id of no such task is left out (an answer of no task is an empty list).

`POST /tasks` takes `start_time` and `end_time` (Unix ms, a number or a string of digits;
by default the last 30 days up to now; start before end), `cursor`, `limit` (1 to 500,
default 100) and `filters` (`[{"key": "status" | "product_type", "values": [...]}]`: a
task passes when, for every filter, its value is one of the filter's). It answers
`data: {result, count, next_cursor, has_more}`: tasks created within the window, newest
first (by creation time, then task id), `count` the number in this page, `next_cursor`
(`""` on the last page). The cursor holds the window and the last task returned, so a
page continues where the last one stopped, whatever was created since; with a cursor,
`start_time` and `end_time` are ignored (as Kling says), `limit` and `filters` are read
again from each request.

Examples:
    >>> find_ids({"task_ids": "7, 8,,7"})
    Lookup(ids=('7', '8'), external=False)
    >>> request = page_request({"limit": 2, "filters": [{"key": "status", "values": ["failed"]}]},
    ...                        now_ms=40 * DAY_MS)
    >>> request.limit, request.start_ms, request.statuses
    (2, 864000000, frozenset({'failed'}))
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from prefect_kling.simulator.orders import Invalid
from prefect_kling.simulator.packs import DAY_MS
from prefect_kling.simulator.timeline import STANDARD_STATUS, Task

WINDOW_MS = 30 * DAY_MS
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
STATUSES = ("submitted", "processing", "succeeded", "failed")
PRODUCT_TYPES = ("video", "image", "try_on")
FAMILY_PRODUCT = {"video": "video", "image": "image", "try-on": "try_on"}


class Lookup(NamedTuple):
    """The ids a `GET /tasks` asks for.

    Attributes:
        ids: The ids, in order, without blanks or repeats.
        external: Whether they are external task ids.
    """

    ids: tuple[str, ...]
    external: bool


def _split(raw: str | None) -> tuple[str, ...]:
    items = (item.strip() for item in (raw or "").split(","))
    return tuple(dict.fromkeys(item for item in items if item))


def find_ids(params: Mapping[str, str]) -> Lookup:
    """The ids of a `GET /tasks` query string.

    Raises:
        Invalid: Neither `task_ids` nor `external_task_ids` is given, or both are.
    """
    ids, external = _split(params.get("task_ids")), _split(params.get("external_task_ids"))
    if ids and external:
        raise Invalid("task_ids and external_task_ids cannot be used together: give one")
    if not ids and not external:
        raise Invalid("task_ids or external_task_ids is required (ids separated by ',')")
    return Lookup(ids or external, bool(external))


def found(lookup: Lookup, tasks: Mapping[str, Task], by_external: Mapping[str, Task]) -> list[Task]:
    """The newer-standard tasks a lookup names, in the order asked."""
    source = by_external if lookup.external else tasks
    chosen = [source.get(ident) for ident in lookup.ids]
    return [task for task in chosen if task is not None and task.endpoint.standard]


@dataclass(frozen=True)
class PageRequest:
    """A `POST /tasks` body, read.

    Attributes:
        start_ms: Earliest creation time, Unix ms (inclusive).
        end_ms: Latest creation time, Unix ms (inclusive).
        limit: Most tasks in the page.
        after: `(create_time, id)` of the last task of the previous page, if any.
        statuses: Statuses to keep (newer-standard words), `None` for all.
        products: Product types to keep, `None` for all.
    """

    start_ms: int
    end_ms: int
    limit: int = DEFAULT_LIMIT
    after: tuple[int, str] | None = None
    statuses: frozenset[str] | None = None
    products: frozenset[str] | None = None


def _time(body: Mapping[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise Invalid(f"{name} must be a Unix time in milliseconds (a number or a string of digits)")


def _limit(body: Mapping[str, Any]) -> int:
    value = body.get("limit")
    if value is None:
        return DEFAULT_LIMIT
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise Invalid(f"limit must be an integer between 1 and {MAX_LIMIT}; got {value!r}")
    return value


def _filters(value: Any) -> dict[str, frozenset[str]]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise Invalid("filters must be a list of {'key': ..., 'values': [...]} objects")
    allowed = {"status": STATUSES, "product_type": PRODUCT_TYPES}
    chosen: dict[str, frozenset[str]] = {}
    for position, item in enumerate(value):
        where = f"filters[{position}]"
        key = item.get("key") if isinstance(item, dict) else None
        if key not in allowed:
            raise Invalid(f"{where}.key must be 'status' or 'product_type'; got {key!r}")
        values = item.get("values")
        if not isinstance(values, list) or not values:
            raise Invalid(f"{where}.values must be a non-empty list")
        for index, option in enumerate(values):
            if option not in allowed[key]:
                options = ", ".join(repr(choice) for choice in allowed[key])
                raise Invalid(f"{where}.values[{index}] must be one of {options}; got {option!r}")
        chosen[key] = chosen.get(key, frozenset(values)) & frozenset(values)
    return chosen


def encode_cursor(request: PageRequest, last: Task) -> str:
    """The cursor continuing after `last` in the window of `request`."""
    state = [request.start_ms, request.end_ms, last.created_ms, last.task_id]
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def _decode_cursor(cursor: Any) -> tuple[int, int, int, str]:
    if not isinstance(cursor, str):
        raise Invalid("cursor must be a string: the next_cursor of the previous page")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        start, end, created, task_id = json.loads(raw)
        return int(start), int(end), int(created), str(task_id)
    except (binascii.Error, ValueError, TypeError):
        raise Invalid("cursor is not valid: give the next_cursor of the previous page") from None


def page_request(body: Mapping[str, Any], *, now_ms: int) -> PageRequest:
    """Read a `POST /tasks` body.

    Args:
        body: The body (`{}` for none).
        now_ms: The time now, Unix ms: the default `end_time`.

    Raises:
        Invalid: A field is not right (the message names it).
    """
    limit, filters = _limit(body), _filters(body.get("filters"))
    after = None
    if body.get("cursor"):
        start, end, created, task_id = _decode_cursor(body["cursor"])
        after = (created, task_id)
    else:
        end = _time(body, "end_time")
        end = now_ms if end is None else end
        start = _time(body, "start_time")
        start = end - WINDOW_MS if start is None else start
        if start >= end:
            raise Invalid("start_time must be earlier than end_time")
    return PageRequest(start, end, limit, after, filters.get("status"), filters.get("product_type"))


class Page(NamedTuple):
    """One page of tasks, and whether more follow."""

    tasks: list[Task]
    has_more: bool


def page(tasks: Iterable[Task], request: PageRequest) -> Page:
    """The page a request asks for among the tasks of the account."""

    def kept(task: Task) -> bool:
        if not task.endpoint.standard or not request.start_ms <= task.created_ms <= request.end_ms:
            return False
        if request.after is not None and (task.created_ms, task.task_id) >= request.after:
            return False
        if request.statuses is not None and STANDARD_STATUS[task.status] not in request.statuses:
            return False
        product = FAMILY_PRODUCT.get(task.family)
        return request.products is None or product in request.products

    chosen = sorted(filter(kept, tasks), key=lambda task: (task.created_ms, task.task_id))
    chosen.reverse()
    return Page(chosen[: request.limit], len(chosen) > request.limit)
