"""The account's library through a client: make an element or voice and wait, list, delete.

What the Prefect tasks (`prefect_kling.tasks.library`) and the command line
(`prefect-kling elements|voices`) share. A creation is an ordinary create (validated
before sending, its external id derived from the content, so a rerun finds the task
instead of making a second element), then a wait on the runtime's clock; what it
returns is the entry, whose id later video requests name. Lists and deletions are calls
answered at once; each is refused before sending when the provider has no such route or
a value breaks Kling's rules.

Examples:
    >>> from prefect_kling.endpoints.library import ELEMENTS
    >>> from prefect_kling.simulator import KlingSimulator
    >>> with KlingSimulator() as sim:
    ...     presets = list_entries(sim.credentials(), ELEMENTS, presets=True)
    >>> presets[0].official
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from prefect_kling._checks import problems_from_pydantic, require_positive
from prefect_kling.credentials import KlingCredentials
from prefect_kling.endpoints.library import Library
from prefect_kling.endpoints.row import Route
from prefect_kling.exceptions import KlingUnexpectedResponse, KlingValidationError
from prefect_kling.models.common import explain_errors
from prefect_kling.models.kling_task import KlingTask
from prefect_kling.models.library import DeleteAnswer, Element, LibraryTasks, Voice
from prefect_kling.runtime import Runtime, current_runtime
from prefect_kling.waiting import (
    DEFAULT_MAX_WAIT_SECONDS,
    PollSchedule,
    PollWaiter,
    StatusCallback,
)

Entry = Element | Voice
"""An element or a voice."""


@dataclass(frozen=True)
class Made:
    """A finished creation: the entry, and the task that made it.

    Attributes:
        entry: The element or voice; its id is what video requests name.
        task: The finished task (its id, units and times).
    """

    entry: Entry
    task: KlingTask


def create_entry(
    credentials: KlingCredentials,
    library: Library,
    request: Mapping[str, Any] | BaseModel,
    *,
    idempotency_key: str | None = None,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    poll_interval_seconds: float = 2.0,
    on_status: StatusCallback | None = None,
    runtime: Runtime | None = None,
) -> Made:
    """Create an element or voice (or find the task this same request made) and wait for it.

    Args:
        credentials: Where and how to reach Kling.
        library: `ELEMENTS` or `VOICES` (`prefect_kling.endpoints.library`).
        request: The request fields, or the request model.
        idempotency_key: Ask for a fresh take of a request made before.
        max_wait_seconds: Longest wait for the task.
        poll_interval_seconds: First pause between queries (it grows to 30 s).
        on_status: Called with the task and the seconds waited on every status change.
        runtime: Clock, sleep and client factory (the current runtime by default).

    Raises:
        KlingValidationError: A value breaks Kling's rules, or the provider has no such
            route (nothing is sent); or this same request made an entry before that was
            deleted since (a new `idempotency_key` makes it again).
        KlingTaskFailed: The task failed.
        KlingTaskTimedOut: The wait ran out; the error carries the task's reference.
    """
    require_positive("max_wait_seconds", max_wait_seconds, "seconds")
    require_positive("poll_interval_seconds", poll_interval_seconds, "seconds")
    runtime = runtime or current_runtime()
    with runtime.client(credentials) as client:
        reference = client.create(library.create, request, idempotency_key=idempotency_key)
    schedule = PollSchedule(first_interval=poll_interval_seconds)
    with PollWaiter(credentials, schedule, runtime=runtime) as waiter:
        task = waiter.wait(reference, max_wait_seconds=max_wait_seconds, on_status=on_status)
    return Made(entry_of(library, task), task)


def entry_of(library: Library, task: KlingTask) -> Entry:
    """The entry a succeeded creation made.

    Raises:
        KlingUnexpectedResponse: The task holds none.
        KlingValidationError: It was deleted since: the same request names the same task,
            so only a new `idempotency_key` makes the entry again.
    """
    entries = library.entries(task)
    name = library.create.name
    if not entries:
        raise KlingUnexpectedResponse(
            f"the task succeeded without an {library.kind}", endpoint=name, task_id=task.task_id
        )
    entry = entries[0]
    if entry.deleted:
        said = getattr(entry, library.id_field)
        raise KlingValidationError.single(
            "idempotency_key",
            f"this same request made {library.kind} {said} (Kling task {task.task_id}), "
            f"deleted since; allowed: a new idempotency_key (--idempotency-key on the command "
            f"line) to make it again",
            endpoint=name,
        )
    return entry


def list_entries(
    credentials: KlingCredentials,
    library: Library,
    *,
    presets: bool = False,
    page: int = 1,
    page_size: int = 30,
    runtime: Runtime | None = None,
) -> list[Entry]:
    """One page of your elements or voices (newest first), or of Kling's presets.

    Deleted entries of yours are listed too, with `status` `deleted`. A creation that
    failed or is still running lists nothing.

    Raises:
        KlingValidationError: The page is out of range, or the provider has no such route.
    """
    route = library.presets if presets else library.custom
    query = route_request(route, credentials, {"page": page, "page_size": page_size})
    with (runtime or current_runtime()).client(credentials) as client:
        answer: LibraryTasks = client.call(route, query)
    return [entry for task in answer.root for entry in library.entries(task)]


def delete_entry(
    credentials: KlingCredentials,
    library: Library,
    entry_id: str,
    *,
    runtime: Runtime | None = None,
) -> DeleteAnswer:
    """Delete one of your elements or voices (Kling's presets cannot be deleted).

    Raises:
        KlingValidationError: The id cannot be one, or the provider has no such route.
    """
    route = library.delete
    request = route_request(route, credentials, {library.id_field: entry_id})
    with (runtime or current_runtime()).client(credentials) as client:
        return client.call(route, request)


def route_request(
    route: Route, credentials: KlingCredentials, fields: Mapping[str, Any]
) -> BaseModel:
    """The request of a call, checked before anything is sent.

    Raises:
        KlingValidationError: The provider has no such route (named first), or a field
            breaks the model's rules.
    """
    route.path(credentials.provider)
    model = route.request_model
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        errors = explain_errors(model, exc.errors())
    # Raised outside the handler: pydantic's error would stay attached as its context.
    raise KlingValidationError(problems_from_pydantic(errors), endpoint=route.name)
