"""What every create task does: take the request as given, create, return the reference.

No Prefect cache on these tasks: a create is made idempotent by its external task id
instead, and a query must read the status as it is now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from prefect_kling.credentials import KlingCredentials
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.runtime import current_runtime

ImageSource = Any
"""A URL, a local path, bytes, or Base64 text."""
Fields = Mapping[str, Any]
"""Request fields by name."""

TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE, "tags": ["kling"]}
"""The options of every task here."""


def create_task(
    credentials: KlingCredentials,
    endpoint: str,
    request: Mapping[str, Any] | BaseModel,
    *,
    idempotency_key: str | None = None,
) -> TaskReference:
    """Create a Kling task on any endpoint (the function behind every create task).

    Args:
        credentials: Where and how to reach Kling.
        endpoint: Endpoint name, e.g. `text2video`.
        request: The request fields, or a request model.
        idempotency_key: Ask for a fresh take of a request made before.

    Returns:
        A reference to the task: id, external id, endpoint, provider, status.
    """
    with current_runtime().client(credentials) as client:
        return client.create(endpoint, request, idempotency_key=idempotency_key)


def request_fields(request: Fields | BaseModel | None, **fields: Any) -> dict[str, Any]:
    """The request of a create task: `request` as given, or the fields given (not None).

    Raises:
        TypeError: Both a whole request and separate fields are given.

    Examples:
        >>> request_fields(None, prompt="fox", duration=None)
        {'prompt': 'fox'}
        >>> request_fields({"prompt": "fox"}, duration=None)
        {'prompt': 'fox'}
    """
    given = {key: value for key, value in fields.items() if value is not None}
    if request is None:
        return given
    if given:
        raise TypeError("give either request or individual fields, not both")
    return (
        request.model_dump(exclude_none=True) if isinstance(request, BaseModel) else dict(request)
    )


def create_from(
    credentials: KlingCredentials,
    endpoint: str,
    request: Fields | BaseModel | None,
    idempotency_key: str | None,
    **fields: Any,
) -> TaskReference:
    """Create a task from a create task's arguments: `request`, or the fields given."""
    data = request_fields(request, **fields)
    return create_task(credentials, endpoint, data, idempotency_key=idempotency_key)


def as_items(images: Sequence[ImageSource] | None, key: str) -> list[dict[str, Any]] | None:
    """Images as the items of a request's list: each `{key: image}` unless already an item."""
    if images is None:
        return None
    return [image if isinstance(image, Mapping) else {key: image} for image in images]
