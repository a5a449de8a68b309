"""What the receiver accepts of a callback: its size, its depth, and every field it passes on.

The receiver is open to anyone who knows (or guesses) its URL. Before a callback is even
believed to be a task object it must fit in `MAX_BODY_BYTES` (413 otherwise, read no
further), be JSON nested at most `MAX_DEPTH` levels, and carry fields of Kling's shape: a
task id that could be Kling's (and be the last part of a query path), one of Kling's four
statuses, an endpoint of the package's rows, and bounded texts, numbers and times. Anything
else is a `CallbackRefused` with status 400, naming the field.

Examples:
    >>> checked_task({"task_id": "8672", "task_status": "succeed"}).status
    'succeed'
    >>> try:
    ...     checked_task({"task_id": "../account", "task_status": "succeed"})
    ... except CallbackRefused as refused:
    ...     print(refused.status, refused.detail)
    400 task_id: '../account' is not a Kling task id; allowed: 1 to 128 letters, digits, '-' or '_'
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from prefect_kling.callbacks.parsing import legacy_shape
from prefect_kling.endpoints import ENDPOINTS, fits_a_path
from prefect_kling.models.kling_task import KlingTask, TaskStatus

MAX_BODY_BYTES = 1024 * 1024
"""Largest callback body read; a task object with ten results is a few kilobytes."""

MAX_DEPTH = 12
"""Deepest JSON nesting accepted; a task object nests 5 levels (task_result.videos[0].url)."""

MAX_TEXT = 4096
"""Longest text of a field (a status message, a link, an id of the caller's)."""

MAX_EXTERNAL_ID = 256
"""Longest external task id accepted."""

_STATUSES = frozenset(status.value for status in TaskStatus)
_TIMES = ("created_at", "updated_at")


class CallbackRefused(Exception):
    """A callback refused before it changes anything.

    Attributes:
        status: The HTTP status to answer (400 or 413).
        detail: What was wrong, naming the field.
    """

    def __init__(self, status: int, detail: str):
        self.status = status
        self.detail = detail
        super().__init__(detail)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request's body, read no further than `limit` bytes.

    Raises:
        CallbackRefused: 413 when the body (or its announced length) is over the limit.
    """
    announced = request.headers.get("content-length")
    if announced is not None and (not announced.isdigit() or int(announced) > limit):
        raise CallbackRefused(413, f"body: over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise CallbackRefused(413, f"body: over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def load_json(body: bytes) -> Any:
    """The body as JSON, no deeper than `MAX_DEPTH`.

    Raises:
        CallbackRefused: 400 for anything but such JSON.

    Examples:
        >>> load_json(b'{"a": [1]}')
        {'a': [1]}
        >>> try:
        ...     load_json(b"[" * 50_000 + b"]" * 50_000)
        ... except CallbackRefused as refused:
        ...     print(refused.detail)
        body: JSON nested deeper than 12 levels
    """
    try:
        value = json.loads(body)
    except RecursionError:
        raise CallbackRefused(400, f"body: JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:
        raise CallbackRefused(400, f"body: not JSON ({error})") from None
    if _depth(value) > MAX_DEPTH:
        raise CallbackRefused(400, f"body: JSON nested deeper than {MAX_DEPTH} levels")
    return value


def checked_endpoint(value: str | None, *, required: bool) -> str | None:
    """The `endpoint` of the callback URL: one of the package's endpoint names.

    Args:
        value: The query parameter, None when absent.
        required: Whether the callback cannot be used without it (an unsigned callback
            is confirmed by a query, and the query path depends on the endpoint).

    Raises:
        CallbackRefused: 400 for a missing (when required) or unknown endpoint.

    Examples:
        >>> checked_endpoint("text2video", required=True)
        'text2video'
    """
    if value is None and not required:
        return None
    if value not in ENDPOINTS:
        shown = "missing" if value is None else f"{value[:80]!r} is not an endpoint"
        raise CallbackRefused(
            400,
            f"endpoint: {shown}; allowed: a callback URL ending in ?endpoint=<name>, "
            f"one of {', '.join(ENDPOINTS)}",
        )
    return value


def checked_task(body: Any) -> KlingTask:
    """The task a callback body tells of, every field checked.

    Raises:
        CallbackRefused: 400 naming the first field out of shape.
    """
    if not isinstance(body, Mapping):
        raise CallbackRefused(400, "body: not a JSON object; allowed: Kling's task object")
    try:
        shaped = legacy_shape(body)
    except (TypeError, ValueError) as error:
        raise CallbackRefused(400, f"body: {error}") from None
    _check_fields(shaped)
    try:
        return KlingTask.model_validate(shaped)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        raise CallbackRefused(400, f"{where}: {problem['msg']}") from None


def _check_fields(task: Mapping[str, Any]) -> None:
    task_id = task.get("task_id")
    if not isinstance(task_id, str) or not fits_a_path(task_id):
        shown = repr(task_id[:80]) if isinstance(task_id, str) else type(task_id).__name__
        raise CallbackRefused(
            400,
            f"task_id: {shown} is not a Kling task id; "
            "allowed: 1 to 128 letters, digits, '-' or '_'",
        )
    status = task.get("task_status")
    if status not in _STATUSES:
        shown = repr(status)[:80]
        raise CallbackRefused(
            400, f"task_status: {shown} is not allowed; allowed: {', '.join(sorted(_STATUSES))}"
        )
    _check_text(task, "task_status_msg", MAX_TEXT)
    info = task.get("task_info")
    if info is not None and not isinstance(info, Mapping):
        raise CallbackRefused(400, "task_info: not an object")
    _check_text(info or {}, "external_task_id", MAX_EXTERNAL_ID, where="task_info.")
    units = task.get("final_unit_deduction")
    if units not in (None, "") and not _finite_number(units, at_least=0):
        raise CallbackRefused(400, f"final_unit_deduction: {repr(units)[:80]} is not a number")
    for name in _TIMES:
        value = task.get(name)
        if value not in (None, "", 0) and not _finite_number(value, at_least=0):
            raise CallbackRefused(400, f"{name}: {repr(value)[:80]} is not a Unix time")
    for name in ("task_result", "watermark_info"):
        if task.get(name) is not None and not isinstance(task[name], Mapping):
            raise CallbackRefused(400, f"{name}: not an object")
    _check_all_texts(task)


def _check_text(holder: Mapping[str, Any], name: str, most: int, *, where: str = "") -> None:
    value = holder.get(name)
    if value is None:
        return
    if not isinstance(value, str):
        raise CallbackRefused(400, f"{where}{name}: {type(value).__name__}, not text")
    if len(value) > most:
        raise CallbackRefused(400, f"{where}{name}: {len(value)} characters; allowed: {most}")


def _check_all_texts(value: Any, where: str = "") -> None:
    """No text anywhere in the task is longer than `MAX_TEXT` (links, ids, messages)."""
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            field = where or "body"
            raise CallbackRefused(
                400, f"{field}: {len(value)} characters; allowed: at most {MAX_TEXT}"
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_all_texts(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _check_all_texts(item, f"{where}.{position}")


def _finite_number(value: Any, *, at_least: float) -> bool:
    if isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and number >= at_least


def _depth(value: Any) -> int:
    """How deeply a JSON value nests (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth + 1)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest
