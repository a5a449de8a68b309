"""The simulated account as a JSON file, so that a simulator started again has its tasks.

A state file (`KlingSimulator(state_path=...)`, `serve(state_path=...)`, `prefect-kling
simulator --state-file`) keeps what an account keeps: its tasks of both API standards
(request, timeline, results, external ids, what each charged), when its resource packs
opened, and how far `advance` had moved the clock. A simulator started on it answers for the
same tasks: a rerun finds them by id or external id, their result links work (while
`link_ttl_seconds` allows), their videos can be extended, and the packs show what they
charged. What follows from the tasks
(tasks by status and endpoint, units charged, slots in flight) is counted again from them;
the other counters, received callbacks, identify-face sessions and queued faults start
afresh. The file also names the address the simulator last served on, which it takes again
when that port is free: cached creates are keyed on the address (`saved_port`).

Times are kept as Unix milliseconds: the monotonic clock a task's timeline runs on starts
anew in every process, and is set again from them (`task_from_json`).

Examples:
    >>> from prefect_kling.simulator.routes import ENDPOINTS_BY_NAME
    >>> order = Order(model_name="kling-v1", prompt="a fox", external_task_id="pk2-1")
    >>> task = Task("42", ENDPOINTS_BY_NAME["text2video"], "kling", order, {"prompt": "a fox"},
    ...             created_mono=0.0, created_ms=1_000, queue_seconds=1, processing_seconds=4)
    >>> again = task_from_json(task_json(task), now=100.0, now_ms=101_000)
    >>> again.order == order, again.created_mono, again.status
    (True, 0.0, 'submitted')
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from prefect_kling.simulator.orders import FaceChoice, Order, ParentVideo
from prefect_kling.simulator.standard_routes import endpoint_named
from prefect_kling.simulator.timeline import Task

FORMAT = "prefect-kling-simulator-state"
VERSION = 1


def task_json(task: Task) -> dict[str, Any]:
    """A task as JSON-ready data (its monotonic creation time left out)."""
    return {
        "task_id": task.task_id,
        "endpoint": task.endpoint.name,
        "provider": task.provider,
        "order": dataclasses.asdict(task.order),
        "request": task.request,
        "created_ms": task.created_ms,
        "queue_seconds": task.queue_seconds,
        "processing_seconds": task.processing_seconds,
        "output_ids": list(task.output_ids),
        "image_size": list(task.image_size),
        "failure": task.failure,
        "status": task.status,
        "updated_ms": task.updated_ms,
    }


def _order(data: dict[str, Any]) -> Order:
    parent = data.get("parent")
    return Order(
        **{
            **data,
            "ignored_fields": tuple(data.get("ignored_fields") or ()),
            "element_ids": tuple(data.get("element_ids") or ()),
            "voice_ids": tuple(data.get("voice_ids") or ()),
            "faces": tuple(FaceChoice(**face) for face in data.get("faces") or ()),
            "parent": ParentVideo(**parent) if parent else None,
        }
    )


def task_from_json(data: dict[str, Any], *, now: float, now_ms: int) -> Task:
    """A task read back, its timeline placed on this process's monotonic clock.

    Args:
        data: What `task_json` wrote.
        now: The simulator's monotonic time now.
        now_ms: The simulator's wall time now, Unix milliseconds.

    Raises:
        ValueError: The data is not a task this version reads (an unknown endpoint, a
            missing or unknown field).
    """
    try:
        endpoint = endpoint_named(data["endpoint"])
        if endpoint is None:
            raise KeyError(data["endpoint"])
        return Task(
            task_id=str(data["task_id"]),
            endpoint=endpoint,
            provider=data["provider"],
            order=_order(data["order"]),
            request=data["request"],
            created_mono=now - (now_ms - data["created_ms"]) / 1000,
            created_ms=data["created_ms"],
            queue_seconds=data["queue_seconds"],
            processing_seconds=data["processing_seconds"],
            output_ids=[str(video_id) for video_id in data["output_ids"]],
            image_size=(data["image_size"][0], data["image_size"][1]),
            failure=data["failure"],
            status=data["status"],
            updated_ms=data["updated_ms"],
        )
    except (KeyError, TypeError, IndexError) as error:
        raise ValueError(f"a task the simulator cannot read back ({error!r})") from None


def read_state_file(path: Path) -> dict[str, Any] | None:
    """The saved account, or `None` when there is no file yet.

    Raises:
        ValueError: The file is not a simulator state file of this version (the message
            names it).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a Kling simulator state file")
    if data.get("version") != VERSION:
        raise ValueError(
            f"{path} is a Kling simulator state file of version {data.get('version')!r}; "
            f"this version reads version {VERSION}"
        )
    return data


def write_state_file(path: Path, data: dict[str, Any]) -> None:
    """Write the account atomically: a crash leaves the previous file whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as file:
            json.dump({"format": FORMAT, "version": VERSION, **data}, file, indent=1)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def saved_port(data: dict[str, Any] | None) -> int | None:
    """The port the saved simulator served on, if the file says.

    Examples:
        >>> saved_port({"base_url": "http://127.0.0.1:53211"}), saved_port(None)
        (53211, None)
    """
    base_url = (data or {}).get("base_url") or ""
    try:
        return urlsplit(base_url).port
    except ValueError:
        return None
