"""The Prefect events of callbacks: what the receiver emits, and what the watcher listens to.

The receiver emits `kling.task.<status>` with the same resource id as the flows' own events
(`kling.task.<task_id>`), labelled `kling.source: callback` so that automations can tell
them apart. The `CallbackWatcher` listens to the terminal ones.

Examples:
    >>> TERMINAL_EVENTS
    ('kling.task.succeeded', 'kling.task.failed')
    >>> task_id_of("kling.task.8672"), task_id_of("prefect.flow-run.1")
    ('8672', None)
"""

from __future__ import annotations

from collections.abc import Callable

from prefect_kling.models.kling_task import KlingTask
from prefect_kling.observe import EVENT_PREFIX, event_name, status_labels

TERMINAL_EVENTS = (event_name("succeed"), event_name("failed"))
"""The events after which a waiting flow queries its task."""

Emitter = Callable[[KlingTask, str, "str | None"], None]
"""Told of each new status: the task, where it came from (`callback`), and its endpoint when
the callback URL named it (`?endpoint=text2video`, as the flows' callback URLs do)."""


def task_id_of(resource_id: str) -> str | None:
    """The task id of a `kling.task.<task_id>` resource, None for any other resource."""
    prefix = f"{EVENT_PREFIX}."
    return resource_id.removeprefix(prefix) if resource_id.startswith(prefix) else None


def emit_callback_event(task: KlingTask, source: str, endpoint: str | None = None) -> None:
    """Emit `kling.task.<status>` for a task reported by a callback."""
    from prefect.events import emit_event

    payload = {
        "task_id": task.task_id,
        "endpoint": endpoint,
        "status": task.status,
        "external_task_id": task.external_task_id,
        "units": task.units,
        "status_message": task.task_status_msg,
        "source": source,
    }
    # The source label lets automations tell callbacks from the flows' own events.
    resource = {
        "prefect.resource.id": f"{EVENT_PREFIX}.{task.task_id}",
        "kling.source": source,
        **status_labels(task),
    }
    if endpoint:
        resource["kling.endpoint"] = endpoint
    emit_event(
        event=event_name(task.status),
        resource=resource,
        payload={key: value for key, value in payload.items() if value is not None},
    )
