"""Reading Kling's callbacks, and telling news from repeats and stragglers.

Kling POSTs the task object to a create's `callback_url` on every status change, possibly
more than once and out of order. `parse_callback` reads the body (Kling's bare task object,
or the newer `id`/`status`/`outputs` shape). `StatusLedger` remembers the latest status of
each task *as Kling confirmed it* (a query's answer, or a callback whose signature proves it
comes from Kling): only a later status counts as news, and a callback's claim alone never
enters it, so a forged status cannot hide the genuine one that follows.

Examples:
    >>> ledger = StatusLedger()
    >>> [ledger.advance(parse_callback({"task_id": "1", "task_status": status}))
    ...  for status in ("processing", "succeed", "processing", "succeed")]
    [True, True, False, False]
    >>> ledger.is_news(parse_callback({"task_id": "1", "task_status": "failed"}))
    False
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from prefect_kling.models.kling_task import KlingTask, TaskStatus, from_newer_standard

_RANK = {
    TaskStatus.SUBMITTED.value: 0,
    TaskStatus.PROCESSING.value: 1,
    TaskStatus.SUCCEED.value: 2,
    TaskStatus.FAILED.value: 2,
}


def parse_callback(body: Mapping[str, Any]) -> KlingTask:
    """Read a callback body: Kling's bare task object, or the newer `id`/`status`/`outputs` shape.

    Raises:
        ValueError: Neither shape.

    Examples:
        >>> parse_callback({"id": "9", "status": "succeeded",
        ...                 "outputs": [{"type": "video", "url": "https://x/v.mp4"}]}).videos[0].url
        'https://x/v.mp4'
    """
    return KlingTask.model_validate(legacy_shape(body))


def legacy_shape(body: Mapping[str, Any]) -> dict[str, Any]:
    """A callback body as Kling's bare task object (the newer shape mapped onto it).

    The newer standard's callback carries the task as `GET /tasks` shows it: the failure
    reason in `message`, the charges in `billing[].amount` (`charge_type` unit).

    Raises:
        ValueError: Neither shape.

    Examples:
        >>> shaped = legacy_shape({"id": "9", "status": "failed", "message": "risk control"})
        >>> shaped["task_id"], shaped["task_status"], shaped["task_status_msg"]
        ('9', 'failed', 'risk control')
    """
    if "task_id" in body:
        return dict(body)
    if "id" in body and "status" in body:
        return from_newer_standard(dict(body))
    raise ValueError("neither a Kling task object nor a newer-format callback")


class StatusLedger:
    """The last confirmed status per task: tells news from repeats and stragglers.

    Only statuses Kling confirmed go in (`advance`); a callback's claim is compared with
    them (`is_news`) to decide whether it is worth a confirming query. Bounded: the oldest
    tasks are forgotten first.

    Args:
        max_tasks: How many tasks to remember.
    """

    def __init__(self, max_tasks: int = 100_000):
        self._ranks: OrderedDict[str, int] = OrderedDict()
        self._max = max_tasks
        self._lock = threading.Lock()

    def is_news(self, task: KlingTask) -> bool:
        """Whether the task's status is later than the one confirmed; records nothing."""
        with self._lock:
            return _RANK.get(task.status, -1) > self._ranks.get(task.task_id, -1)

    def advance(self, task: KlingTask) -> bool:
        """Record a confirmed status; False when it is not later than what was confirmed."""
        rank = _RANK.get(task.status, -1)
        with self._lock:
            if rank <= self._ranks.get(task.task_id, -1):
                return False
            self._ranks[task.task_id] = rank
            self._ranks.move_to_end(task.task_id)
            while len(self._ranks) > self._max:
                self._ranks.popitem(last=False)
            return True
