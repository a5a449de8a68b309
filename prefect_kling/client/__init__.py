"""Kling clients, sync and async: create tasks without ever paying twice, query them, list them.

A client is built from a `Connection` (plain values: provider, base URLs, auth, timeout);
`KlingCredentials.get_client()` builds one from a block. `BaseKlingClient` holds every
decision that needs no I/O (paths, payloads, parsing, what to do after an error);
`KlingClient` and `AsyncKlingClient` only send requests and sleep.

A create always carries an `external_task_id`: the caller's, or one derived from the
request's content with Kling's defaults filled in (and an optional idempotency key), so the
same request is the same task (`identity` tells how, and which earlier forms are looked up).
When a create fails in a way that leaves its outcome unknown (a timeout, a dropped
connection, 5000/5002, a gateway's error page), the client looks that external id up and
sends the create again only when the server certainly has no such task. A task found by a
caller's own id is taken only when no other request can have made it: Kling's refusal of
the id as a duplicate of a task no attempt made, or a task made before the create was
first sent, is `KlingExternalIdInUse`.
"""

from prefect_kling.client.async_client import AsyncKlingClient
from prefect_kling.client.base import MAX_PAGE_SIZE, BaseKlingClient
from prefect_kling.client.prepare import PreparedCreate, derive_external_task_id, prepare_create
from prefect_kling.client.sync import KlingClient

__all__ = [
    "MAX_PAGE_SIZE",
    "AsyncKlingClient",
    "BaseKlingClient",
    "KlingClient",
    "PreparedCreate",
    "derive_external_task_id",
    "prepare_create",
]
