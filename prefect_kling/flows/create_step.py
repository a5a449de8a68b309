"""The cached create: a Kling task is paid for once, whatever retries, reruns and crashes do.

The step `kling-create` is a Prefect task cached on the request's external task id (derived
from its content, see `prefect_kling.client.identity`), per provider and account, in the
flow's result storage: rerunning a flow with the same inputs makes no new create. A
caller's own external id says nothing of the content, so its record's key also carries the
content digest: other content under the same id finds no record. Records expire
(`CACHE_LIFETIME`) before the provider deletes the task's files.

Sent marks close the gap the cache leaves (`prefect_kling.flows.sent_marks`): an attempt
that finds no record but finds the mark looks the external id up first, and one that finds
no mark knows that no create was ever sent: a first attempt sends no lookup. The mark
holds the content digest: a caller's id marked for other content is refused before
anything is sent (`KlingExternalIdInUse`), and so is one Kling refused as the id of a task
this package did not make.

An id of an earlier scheme (`PreparedCreate.earlier_ids`) may name the request's task too:
where its record exists, that record is the answer; where only its mark does, both forms
are looked up before sending. Neither exists for a request no earlier version sent, so a
first attempt still sends no lookup.

A fresh take (`take`) asks for a new task for the same request: it gets an external id of
its own (`fresh_take_id`) and its record replaces the cached one. A task found older than
a record lives (its files may be gone) is renewed the same way, with a take named after it.

`run_create_step` also tells whether the task was *reused* (`CreateOutcome.reused`): made
before this step, so that nothing new is charged for it. That is a cached record, or a task
found by its external id that Kling says was made more than `REUSED_AFTER` before the step
began (Kling's clock may differ from ours: a task this step made is never called reused).

Examples:
    >>> fresh_take_id("pk-0123", "after-8672") == fresh_take_id("pk-0123", "after-8672")
    True
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prefect import task
from prefect.results import get_result_store
from prefect.runtime import flow_run

from prefect_kling._logging import RunAwareLogger
from prefect_kling._retry import is_transient
from prefect_kling.client import KlingClient, PreparedCreate
from prefect_kling.client.identity import is_derived_id
from prefect_kling.credentials import KlingCredentials
from prefect_kling.exceptions import KlingError, KlingExternalIdInUse
from prefect_kling.flows.sent_marks import (
    UNKNOWN_SEND_TIME,
    claim_mark,
    mark_foreign,
    mark_sent,
    read_mark,
)
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.observe import emit_task_event
from prefect_kling.providers import Provider
from prefect_kling.runtime import current_runtime

__all__ = [
    "CACHE_LIFETIME",
    "REUSED_AFTER",
    "UNKNOWN_SEND_TIME",
    "CreateOutcome",
    "account_fingerprint",
    "before_send",
    "cache_lifetime",
    "create_key",
    "fresh_take_id",
    "mark_sent",
    "refresh_take",
    "retry_on_transient",
    "run_create_step",
    "submit_request",
]

logger = RunAwareLogger(__name__)

CACHE_LIFETIME: dict[Provider, timedelta] = {
    Provider.KLING: timedelta(days=29),
    # Some gateways keep result links for a day only.
    Provider.COMETAPI: timedelta(hours=23),
}
"""How long a cached create is reused: less than the provider keeps the task's files."""

REUSED_AFTER = timedelta(minutes=5)
"""A task found by its external id is reused when Kling made it this long before the step."""


@dataclass(frozen=True)
class CreateOutcome:
    """What the create step gave: the task, and whether it was made before this step.

    Attributes:
        reference: The task.
        reused: Made by an earlier run (a cached create, or a task found by its external
            id): nothing new is charged for it.
    """

    reference: TaskReference
    reused: bool


_BEFORE_SEND: ContextVar[Callable[[], None] | None] = ContextVar("kling_before_send", default=None)
"""Called by the create step right before it sends: a batch item takes its place there, so
that Prefect's bookkeeping of the step is done while the item still waits for one."""


def cache_lifetime(provider: Provider) -> timedelta:
    """How long a cached create of this provider is reused."""
    return CACHE_LIFETIME.get(provider, timedelta(hours=23))


def retry_on_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect retry condition: only 1302, 1303, 5000-5002 and network trouble."""
    return is_transient(state.result(raise_on_failure=False))


def account_fingerprint(credentials: KlingCredentials) -> str:
    """A short, one-way fingerprint of the account: another account's task is not ours."""
    key = credentials.access_key or credentials.api_key
    identity = f"{credentials.host}|{key.get_secret_value() if key else ''}"
    return hashlib.sha256(identity.encode()).hexdigest()[:12]


def create_key(
    kind: str, credentials: KlingCredentials, endpoint: str, external_task_id: str
) -> str:
    """Names one create of one account: its cache record (`kling-create`) or sent mark."""
    account = account_fingerprint(credentials)
    return "-".join((kind, credentials.provider.value, account, endpoint, external_task_id))


def record_key(
    credentials: KlingCredentials, endpoint: str, external_task_id: str, content_digest: str
) -> str:
    """Names the cache record of a create: a caller's own id with the content's digest."""
    key = create_key("kling-create", credentials, endpoint, external_task_id)
    if content_digest and not is_derived_id(external_task_id):
        return f"{key}-{content_digest}"
    return key


def _submit_cache_key(context: Any, parameters: dict[str, Any]) -> str:
    return record_key(
        parameters["credentials"],
        parameters["endpoint"],
        parameters["external_task_id"],
        parameters.get("content_digest") or "",
    )


def fresh_take_id(external_task_id: str, take: str) -> str:
    """The external id of a fresh take of the request whose external id is given."""
    digest = hashlib.sha256(f"{external_task_id}/{take}".encode()).hexdigest()
    return f"pk-{digest[:32]}"


def refresh_take(refresh: bool) -> str | None:
    """The take of a refresh: tied to this run, so that retries within the run find it again."""
    return f"refresh-{flow_run.id or uuid.uuid4()}" if refresh else None


@contextmanager
def before_send(hook: Callable[[], None]) -> Iterator[None]:
    """Have the create steps started inside the block call `hook` right before sending."""
    token = _BEFORE_SEND.set(hook)
    try:
        yield
    finally:
        _BEFORE_SEND.reset(token)


@task(
    name="kling-create",
    cache_key_fn=_submit_cache_key,
    persist_result=True,
    retries=3,
    retry_delay_seconds=[2, 10, 30],
    retry_condition_fn=retry_on_transient,
)
def submit_request(
    credentials: KlingCredentials,
    endpoint: str,
    request: dict[str, Any],
    external_task_id: str,
    take: str | None = None,
    content_digest: str = "",
    earlier_ids: Sequence[str] = (),
    strict: bool = True,
) -> TaskReference:
    """Create the task, or find the one an earlier attempt or run made with this external id.

    The record is cached on `external_task_id` (and, for a caller's own id, the content
    digest). A `take` (with `refresh_cache`) asks for a fresh take: it is created with an
    external id derived from both, and its record replaces the cached one. The external id
    is looked up first only when an earlier attempt marked it as sent; the `earlier_ids`
    (the request's ids of an earlier scheme) only when their record or mark exists.

    A task found that way (or through Kling's refusal of a duplicate id) that is older
    than a cache record lives (`CACHE_LIFETIME`) may have lost its files: it is renewed,
    with a fresh take named after it, as an expired record would have been. `strict=False`
    lets the client send a model name (or effect scene) unknown here, as the flow allowed.

    Raises:
        KlingExternalIdInUse: The caller's own external id names another request's task.
    """
    if take is not None:
        external_task_id = fresh_take_id(external_task_id, take)
        earlier_ids = [fresh_take_id(earlier, take) for earlier in earlier_ids]
    else:
        recorded = _earlier_record(credentials, endpoint, earlier_ids)
        if recorded is not None:
            return recorded
    runtime = current_runtime()
    renew_before = runtime.now() - cache_lifetime(credentials.provider)
    with runtime.client(credentials) as client:
        client.strict_validation = strict  # as the request was checked before: see `strict`
        while True:
            reference = _create_once(
                client,
                credentials,
                endpoint,
                request,
                external_task_id,
                content_digest,
                earlier_ids,
            )
            if reference.created_at is None or reference.created_at >= renew_before:
                return reference
            logger.info(
                "Kling task %s of %s was made %s, longer ago than its files are kept: "
                "making a fresh take",
                reference.task_id,
                endpoint,
                reference.created_at.isoformat(timespec="minutes"),
            )
            external_task_id = fresh_take_id(external_task_id, f"renew-{reference.task_id}")
            earlier_ids = []


def _earlier_record(
    credentials: KlingCredentials, endpoint: str, earlier_ids: Sequence[str]
) -> TaskReference | None:
    """The task a live cache record of an earlier-scheme id names, if any (no I/O to Kling)."""
    store = get_result_store()
    for earlier in earlier_ids:
        key = create_key("kling-create", credentials, endpoint, earlier)
        try:
            if store.exists(key):
                found = store.read(key).result
                if isinstance(found, TaskReference):
                    logger.info(
                        "Kling task %s of %s found by its earlier id", found.task_id, endpoint
                    )
                    return found
        except Exception as error:  # an unreadable record: the marks still tell
            logger.warning("Could not read the cached create %s (%s)", key, error)
    return None


def _create_once(
    client: KlingClient,
    credentials: KlingCredentials,
    endpoint: str,
    request: dict[str, Any],
    external_task_id: str,
    content_digest: str,
    earlier_ids: Sequence[str],
) -> TaskReference:
    """Mark the create as sent, call the before-send hook if any, and create (or find).

    Raises:
        KlingExternalIdInUse: The caller's own external id names another request's task.
    """
    key = create_key("kling-sent", credentials, endpoint, external_task_id)
    earlier = claim_mark(key, content_digest or None)
    own_id = not is_derived_id(external_task_id)
    if own_id and earlier is not None and earlier.names_other_content(content_digest):
        raise _in_use(client, endpoint, external_task_id)
    earlier_sent = {
        earlier_id: mark.sent_at
        for earlier_id in earlier_ids
        if (mark := read_mark(create_key("kling-sent", credentials, endpoint, earlier_id)))
    }
    sent = [*([earlier.sent_at] if earlier else []), *earlier_sent.values()]
    hook = _BEFORE_SEND.get()
    if hook is not None:
        hook()
    try:
        return client.create(
            endpoint,
            {**request, "external_task_id": external_task_id},
            reuse_existing=bool(sent),
            sent_since=min(sent) if sent else None,
            earlier_ids=list(earlier_sent),
        )
    except KlingExternalIdInUse:
        # Nothing of ours is under that id: a later attempt refuses it before sending.
        mark_foreign(key, earlier.sent_at if earlier else current_runtime().now())
        raise


def _in_use(client: KlingClient, endpoint: str, external_task_id: str) -> KlingExternalIdInUse:
    """The refusal of an id marked for other content, naming its task when Kling has it."""
    try:
        found = client.find_task(endpoint, external_task_id)
    except KlingError:  # the refusal stands; the task is only named when found
        found = None
    return KlingExternalIdInUse(
        external_task_id, found.task_id if found else None, endpoint=endpoint
    )


def run_create_step(
    credentials: KlingCredentials,
    prepared: PreparedCreate,
    *,
    take: str | None,
    result_storage: Any,
) -> CreateOutcome:
    """The cached create of a prepared request; a `take` replaces the cached record.

    Emits `kling.task.submitted` for the task made (or found again).

    Returns:
        The task, and whether it was reused (made before this step: nothing new charged).
    """
    options: dict[str, Any] = {
        "refresh_cache": take is not None,
        "cache_expiration": cache_lifetime(credentials.provider),
    }
    if result_storage is not None:
        options["result_storage"] = result_storage
    fields = prepared.request.model_dump(mode="json", exclude_none=True)
    fields.pop("external_task_id", None)
    began = current_runtime().now()
    state = submit_request.with_options(**options)(
        credentials,
        prepared.endpoint.name,
        fields,
        prepared.external_task_id,
        take,
        content_digest=prepared.content_digest,
        earlier_ids=list(prepared.earlier_ids),
        strict=prepared.strict,
        return_state=True,
    )
    reference: TaskReference = state.result()
    emit_task_event("submitted", reference, model=fields.get("model_name"))
    return CreateOutcome(reference, reused=state.name == "Cached" or _made_before(reference, began))


def _made_before(reference: TaskReference, began: datetime) -> bool:
    """Whether Kling made the task well before the step began (found, not created)."""
    created = reference.created_at
    return created is not None and created < began - REUSED_AFTER
