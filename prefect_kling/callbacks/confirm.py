"""Callbacks are hints: what the receiver emits for an unsigned one is what a query says.

Anyone who learns a receiver's URL can POST to it, and Kling signs nothing in its documented
format. So an unsigned callback only tells the receiver *which* task to ask about: it
queries the task (free; the endpoint named in the callback URL gives the path) and passes
on Kling's answer, if that is news. A task Kling does not have emits nothing; a forged
`failed` emits at most the status the task really has, and cannot hide the genuine
`succeed` that follows.

Examples:
    >>> from prefect_kling.models.kling_task import KlingTask
    >>> kling = {"8672": "processing"}
    >>> confirm = lambda endpoint, task_id: (
    ...     KlingTask(task_id=task_id, task_status=kling[task_id]) if task_id in kling else None
    ... )
    >>> emitted, ledger = [], StatusLedger()
    >>> hints = Hints(confirm, ledger, lambda task, source, endpoint: emitted.append(task.status))
    >>> hints.follow(KlingTask(task_id="8672", task_status="failed"), "text2video")  # forged
    >>> kling["8672"] = "succeed"
    >>> hints.follow(KlingTask(task_id="8672", task_status="succeed"), "text2video")
    >>> hints.follow(KlingTask(task_id="404", task_status="succeed"), "text2video")  # unknown
    >>> emitted
    ['processing', 'succeed']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from prefect_kling._logging import RunAwareLogger
from prefect_kling.callbacks.events import Emitter
from prefect_kling.callbacks.parsing import StatusLedger
from prefect_kling.exceptions import KlingError, KlingNotFound
from prefect_kling.models.kling_task import KlingTask
from prefect_kling.runtime import current_runtime

if TYPE_CHECKING:
    from prefect_kling.credentials import KlingCredentials

logger = RunAwareLogger(__name__)

Confirm = Callable[[str, str], "KlingTask | None"]
"""Asks Kling about a task: `(endpoint, task_id)` -> the task, or None when Kling has none.
May raise `KlingError` when Kling cannot be asked."""


def query_confirmer(credentials: KlingCredentials | None = None) -> Confirm:
    """Confirm with one query, with these credentials (default: `KLING_*`, read at first use).

    Args:
        credentials: Where and how to reach Kling.
    """
    chosen = credentials

    def confirm(endpoint: str, task_id: str) -> KlingTask | None:
        nonlocal chosen
        if chosen is None:
            from prefect_kling.credentials import KlingCredentials

            chosen = KlingCredentials.from_env()
        with current_runtime().client(chosen) as client:
            try:
                return client.get_task(endpoint, task_id)
            except KlingNotFound:
                return None

    return confirm


class Hints:
    """Follows callbacks up: confirm by a query, then emit the confirmed status if it is news.

    Args:
        confirm: Asks Kling about a task.
        ledger: The confirmed statuses (shared with the receiver, which skips claims that
            are not news).
        emit: What to do with each confirmed, new status.
    """

    def __init__(self, confirm: Confirm, ledger: StatusLedger, emit: Emitter):
        self._confirm = confirm
        self._ledger = ledger
        self._emit = emit

    def follow(self, claim: KlingTask, endpoint: str) -> None:
        """Query the task a callback names; emit what Kling answers, if it is news."""
        try:
            task = self._confirm(endpoint, claim.task_id)
        except KlingError as error:
            # The waiting flows' safety poll still finds the task.
            logger.warning("Could not confirm the callback of task %s: %s", claim.task_id, error)
            return
        except Exception as error:  # a background task must not die silently
            logger.warning(
                "Could not confirm the callback of task %s: %s: %s",
                claim.task_id,
                type(error).__name__,
                error,
            )
            return
        if task is None or task.task_id != claim.task_id:
            logger.warning(
                "Kling has no %s task %s: its callback is ignored", endpoint, claim.task_id
            )
            return
        if task.status != claim.status:
            logger.info(
                "A callback said task %s is %s; Kling says %s",
                claim.task_id,
                claim.status,
                task.status,
            )
        self.emit_news(task, endpoint)

    def emit_news(self, task: KlingTask, endpoint: str | None) -> None:
        """Emit a confirmed status if it is later than the last one confirmed."""
        if self._ledger.advance(task):
            logger.info("Kling callback: task %s is %s", task.task_id, task.status)
            self._emit(task, "callback", endpoint)
