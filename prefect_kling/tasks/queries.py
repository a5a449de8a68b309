"""Tasks that read: one task, a page of tasks, the account's resource packs."""

from __future__ import annotations

from prefect import task

from prefect_kling.credentials import KlingCredentials
from prefect_kling.models.account import AccountCosts, AccountCostsQuery
from prefect_kling.models.kling_task import KlingTask, TaskReference
from prefect_kling.runtime import current_runtime
from prefect_kling.tasks.creating import TASK_OPTIONS

__all__ = [
    "get_account_costs",
    "get_task",
    "list_tasks",
]


@task(name="kling-get-task", **TASK_OPTIONS)
def get_task(
    credentials: KlingCredentials,
    reference: TaskReference | None = None,
    *,
    endpoint: str | None = None,
    task_id: str | None = None,
    external_task_id: str | None = None,
) -> KlingTask:
    """Query a task once: by reference, or by endpoint and task id or external id.

    Args:
        credentials: Where and how to reach Kling.
        reference: A reference from a create task (this run or an earlier one).
        endpoint: Endpoint name, when no reference is given.
        task_id: Kling's task id, when no reference is given.
        external_task_id: The create's external id, when no task id is known.
    """
    if reference is not None:
        endpoint, task_id = reference.endpoint, reference.task_id
    if endpoint is None:
        raise ValueError("give a reference, or an endpoint with a task_id or external_task_id")
    with current_runtime().client(credentials) as client:
        return client.get_task(endpoint, task_id, external_task_id=external_task_id)


@task(name="kling-list-tasks", **TASK_OPTIONS)
def list_tasks(
    credentials: KlingCredentials, endpoint: str, *, page: int = 1, page_size: int = 30
) -> list[KlingTask]:
    """One page of an endpoint's tasks, newest first (page 1..1000, size 1..500)."""
    with current_runtime().client(credentials) as client:
        return client.list_tasks(endpoint, page=page, page_size=page_size)


@task(name="kling-get-account-costs", **TASK_OPTIONS)
def get_account_costs(
    credentials: KlingCredentials, *, resource_pack_name: str | None = None
) -> AccountCosts:
    """The account's resource packs and remaining units (official API; free, creates nothing).

    Kling updates remaining units with a delay of up to 12 hours.
    """
    with current_runtime().client(credentials) as client:
        return client.account_costs(AccountCostsQuery(resource_pack_name=resource_pack_name))
