"""How the command line says a task's outcome: its status, its cost, and when it ended.

Statuses are said in the package's words (`succeeded` for Kling's `succeed`), units with
their number (`1 unit`, `2.5 units`), and a task that ended a while ago (`LONG_AGO`) with
when (`succeeded 3 days ago (2026-12-02 10:15 UTC)`).

Examples:
    >>> units_said(1), units_said(2.5), units_said(None)
    ('1 unit', '2.5 units', 'units unknown')
    >>> now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    >>> status_said("succeed", datetime(2026, 12, 2, 10, 15, tzinfo=UTC), now)
    'succeeded 3 days ago (2026-12-02 10:15 UTC)'
    >>> status_said("succeed", now - timedelta(seconds=30), now)
    'succeeded'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prefect_kling.budget import units_said
from prefect_kling.models.kling_task import TaskStatus

__all__ = ["LONG_AGO", "ago_said", "result_line", "status_said", "units_said"]

LONG_AGO = timedelta(minutes=10)
"""A task that ended longer ago than this is said with when it ended."""


def ago_said(elapsed: timedelta) -> str:
    """How long ago, rounded, in minutes, hours (up to two days) or days.

    Examples:
        >>> ago_said(timedelta(minutes=12)), ago_said(timedelta(hours=1, minutes=5))
        ('12 minutes ago', '1 hour ago')
        >>> ago_said(timedelta(days=1, hours=3)), ago_said(timedelta(days=2, hours=23))
        ('27 hours ago', '3 days ago')
    """
    amount, unit = round(elapsed.total_seconds() / 60), "minute"
    if amount >= 60:
        amount, unit = round(amount / 60), "hour"
        if amount >= 48:
            amount, unit = round(amount / 24), "day"
    return f"{amount} {unit}{'' if amount == 1 else 's'} ago"


def status_said(status: str, finished_at: datetime | None, now: datetime | None = None) -> str:
    """A status in the package's words, with when the task ended if that was long ago."""
    said = TaskStatus.said(status)
    if finished_at is None:
        return said
    elapsed = (now or datetime.now(UTC)) - finished_at
    if elapsed < LONG_AGO:
        return said
    return f"{said} {ago_said(elapsed)} ({finished_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"


def result_line(summary: dict[str, Any], now: datetime | None = None) -> str:
    """The line that says what a generation gave (`GenerationResult.summary()`).

    Examples:
        >>> summary = {"endpoint": "text2video", "task_id": "4", "status": "succeed",
        ...            "units": 1.0, "reused": True, "finished_at": None}
        >>> print(result_line(summary))
        Kling text2video task 4: succeeded, 1 unit (reused from an earlier run: nothing new charged)
    """
    finished = summary.get("finished_at")
    finished_at = datetime.fromisoformat(finished) if finished else None
    line = (
        f"Kling {summary['endpoint']} task {summary['task_id']}: "
        f"{status_said(summary['status'], finished_at, now)}, {units_said(summary['units'])}"
    )
    if summary.get("reused"):
        line += " (reused from an earlier run: nothing new charged)"
    return line
