"""The cached create: a Kling task is paid for once, whatever retries, reruns and crashes do.

The step `kling-create` is a Prefect task cached on the request's external task id (derived
from its content, see `prefect_kling.client.derive_external_task_id`), per provider and
account, in the flow's result storage: rerunning a flow with the same inputs makes no new
create. Its record expires (`CACHE_LIFETIME`) before the provider deletes the task's files.

Sent marks close the gap the cache leaves. Prefect writes the cache record after the task
returns, so a run killed between Kling's answer and that record leaves a task no record
names. Before sending, the step writes a mark beside the records (`mark_sent`); an attempt
that finds no record but finds the mark looks the external id up first, and one that finds
no mark knows that no create was ever sent: a first attempt sends no lookup.

A fresh take (`take`) asks for a new task for the same request: it gets an external id of
its own (`fresh_take_id`) and its record replaces the cached one. A task found older than
a record lives (its files may be gone) is renewed the same way, with a take named after it.

Examples:
    >>> fresh_take_id("pk-0123", "after-8672") == fresh_take_id("pk-0123", "after-8672")
    True
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import task
from prefect.results import ResultStore, get_result_store
from prefect.runtime import flow_run

from prefect_kling._logging import RunAwareLogger
from prefect_kling._retry import is_transient
from prefect_kling.client import KlingClient, PreparedCreate
from prefect_kling.credentials import KlingCredentials
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.observe import emit_task_event
from prefect_kling.providers import Provider
from prefect_kling.runtime import current_runtime

logger = RunAwareLogger(__name__)

CACHE_LIFETIME: dict[Provider, timedelta] = {
    Provider.KLING: timedelta(days=29),
    # Some gateways keep result links for a day only.
    Provider.COMETAPI: timedelta(hours=23),
}
"""How long a cached create is reused: less than the provider keeps the task's files."""

UNKNOWN_SEND_TIME = datetime(1970, 1, 1, tzinfo=UTC)
"""When an earlier attempt sent a create whose mark cannot be read: any time at all."""

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


def _submit_cache_key(context: Any, parameters: dict[str, Any]) -> str:
    return create_key(
        "kling-create",
        parameters["credentials"],
        parameters["endpoint"],
        parameters["external_task_id"],
    )


def fresh_take_id(external_task_id: str, take: str) -> str:
    """The external id of a fresh take of the request whose external id is given."""
    digest = hashlib.sha256(f"{external_task_id}/{take}".encode()).hexdigest()
    return f"pk-{digest[:32]}"


def refresh_take(refresh: bool) -> str | None:
    """The take of a refresh: tied to this run, so that retries within the run find it again."""
    return f"refresh-{flow_run.id or uuid.uuid4()}" if refresh else None


def mark_sent(key: str) -> datetime | None:
    """Mark the create of `key` as about to be sent; tell when an earlier attempt did.

    Args:
        key: Names the create: its provider, account, endpoint and external id.

    Returns:
        None when no earlier attempt marked it (this one has now). Otherwise the time of
        the earlier mark (`UNKNOWN_SEND_TIME` when it cannot be read, or no mark could be
        written): the create may have been sent since, so look its external id up among
        the tasks made since then before sending it.

    Examples:
        >>> key = f"kling-sent-example-{uuid.uuid4().hex}"
        >>> first, second = mark_sent(key), mark_sent(key)
        >>> first is None, second is not None and second > UNKNOWN_SEND_TIME
        (True, True)
    """
    store = get_result_store()
    mark = f"{key}.sent"
    try:
        if store.exists(mark):
            return _marked_at(store, mark)
        store.write(obj=current_runtime().now().isoformat(), key=mark)
    except Exception as error:  # a store that cannot be written: be safe, look it up
        logger.warning("Could not mark the create %s as sent (%s)", key, error)
        return UNKNOWN_SEND_TIME
    return None


def _marked_at(store: ResultStore, mark: str) -> datetime:
    try:
        return datetime.fromisoformat(store.read(mark).result)
    except Exception:  # unreadable, or not a time: the create may have been sent any time
        return UNKNOWN_SEND_TIME


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
    strict: bool = True,
) -> TaskReference:
    """Create the task, or find the one an earlier attempt or run made with this external id.

    The record is cached on `external_task_id`. A `take` (with `refresh_cache`) asks for a
    fresh take: it is created with an external id derived from both, and its record
    replaces the cached one. The external id is looked up first only when an earlier
    attempt marked it as sent (`mark_sent`).

    A task found that way (or through Kling's refusal of a duplicate id) that is older
    than a cache record lives (`CACHE_LIFETIME`) may have lost its files: it is renewed,
    with a fresh take named after it, as an expired record would have been. `strict=False`
    lets the client send a model name (or effect scene) unknown here, as the flow allowed.
    """
    if take is not None:
        external_task_id = fresh_take_id(external_task_id, take)
    runtime = current_runtime()
    renew_before = runtime.now() - cache_lifetime(credentials.provider)
    with runtime.client(credentials) as client:
        client.strict_validation = strict  # as the request was checked before: see `strict`
        while True:
            reference = _create_once(client, credentials, endpoint, request, external_task_id)
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


def _create_once(
    client: KlingClient,
    credentials: KlingCredentials,
    endpoint: str,
    request: dict[str, Any],
    external_task_id: str,
) -> TaskReference:
    """Mark the create as sent, call the before-send hook if any, and create (or find)."""
    sent_at = mark_sent(create_key("kling-sent", credentials, endpoint, external_task_id))
    hook = _BEFORE_SEND.get()
    if hook is not None:
        hook()
    return client.create(
        endpoint,
        {**request, "external_task_id": external_task_id},
        reuse_existing=sent_at is not None,
        sent_since=sent_at,
    )


def run_create_step(
    credentials: KlingCredentials,
    prepared: PreparedCreate,
    *,
    take: str | None,
    result_storage: Any,
) -> TaskReference:
    """The cached create of a prepared request; a `take` replaces the cached record.

    Emits `kling.task.submitted` for the task made (or found again).
    """
    options: dict[str, Any] = {
        "refresh_cache": take is not None,
        "cache_expiration": cache_lifetime(credentials.provider),
    }
    if result_storage is not None:
        options["result_storage"] = result_storage
    fields = prepared.request.model_dump(mode="json", exclude_none=True)
    fields.pop("external_task_id", None)
    reference = submit_request.with_options(**options)(
        credentials,
        prepared.endpoint.name,
        fields,
        prepared.external_task_id,
        take,
        strict=prepared.strict,
    )
    emit_task_event("submitted", reference, model=fields.get("model_name"))
    return reference
