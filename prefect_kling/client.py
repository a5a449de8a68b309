"""Kling clients, sync and async: create tasks without ever paying twice, query them, list them.

`_BaseKlingClient` holds every decision that needs no I/O (paths, payloads, external ids,
parsing, what to do after an error); `KlingClient` and `AsyncKlingClient` only send requests
and sleep.

A create always carries an `external_task_id`: the caller's, or one derived from the
request's content (and an optional idempotency key), so the same request is the same task.
When a create fails in a way that leaves its outcome unknown (a timeout, a dropped
connection, 5000/5002, a gateway's error page), the client looks that external id up and
sends the create again only when the server certainly has no such task.

Examples:
    >>> from prefect_kling import KlingCredentials
    >>> from prefect_kling.simulator import KlingSimulator
    >>> with KlingSimulator() as sim, sim.credentials().get_client() as client:
    ...     ref = client.create("text2video", {"prompt": "a red fox in snow"})
    ...     client.get_task(ref.endpoint, ref.task_id).task_status
    <TaskStatus.SUBMITTED: 'submitted'>
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import httpx
from pydantic import BaseModel

from prefect_kling._envelope import parse_envelope
from prefect_kling._logging import RunAwareLogger
from prefect_kling._retry import CreateAction, RetryPolicy
from prefect_kling._tls import shared_ssl_context
from prefect_kling._version import __version__
from prefect_kling.capabilities import validate_request
from prefect_kling.credentials import KlingCredentials
from prefect_kling.endpoints import (
    ACCOUNT_COSTS,
    IDENTIFY_FACE,
    Endpoint,
    Route,
    fits_a_path,
    get_endpoint,
)
from prefect_kling.exceptions import (
    KlingError,
    KlingInvalidRequest,
    KlingNotFound,
    KlingTransportError,
    KlingUnexpectedResponse,
)
from prefect_kling.models.account import AccountCosts, AccountCostsQuery
from prefect_kling.models.lipsync import IdentifyFaceRequest, IdentifyFaceResult
from prefect_kling.models.tasks import KlingTask, TaskReference
from prefect_kling.providers import Provider

logger = RunAwareLogger(__name__)

MAX_PAGE_SIZE = 500
"""Largest page Kling's list queries serve."""

_LOOKUP_MAX_PAGES = 20
_CLOCK_SKEW = timedelta(minutes=10)
_EXTERNAL_ID_PREFIX = "pk-"
_UNHASHED_FIELDS = frozenset({"external_task_id", "callback_url"})


def derive_external_task_id(
    endpoint: str, payload: Mapping[str, Any], idempotency_key: str | None = None
) -> str:
    """A stable external task id for a request: same content and key, same id.

    The callback URL is left out: moving the receiver does not make a new video.

    Args:
        endpoint: Endpoint name.
        payload: The create body as it will be sent.
        idempotency_key: Any text; a new key asks for a fresh take of the same request.

    Examples:
        >>> a = derive_external_task_id("text2video", {"prompt": "fox"})
        >>> a == derive_external_task_id("text2video", {"prompt": "fox", "callback_url": "https://h"})
        True
        >>> a == derive_external_task_id("text2video", {"prompt": "fox"}, idempotency_key="take-2")
        False
    """
    content = {key: value for key, value in payload.items() if key not in _UNHASHED_FIELDS}
    canonical = json.dumps(
        {"endpoint": endpoint, "request": content, "key": idempotency_key},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return _EXTERNAL_ID_PREFIX + hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class PreparedCreate:
    """A validated create, ready to send (and to send again with the same external id)."""

    endpoint: Endpoint
    path: str
    payload: dict[str, Any]
    external_task_id: str
    started_at: datetime
    request: BaseModel


def prepare_create(
    endpoint: str | Endpoint,
    request: Mapping[str, Any] | BaseModel,
    provider: Provider,
    *,
    idempotency_key: str | None = None,
    strict: bool = False,
) -> PreparedCreate:
    """Validate a request and fix its body and external id, before anything is sent.

    Args:
        endpoint: Endpoint name or row.
        request: The request fields, or a request model.
        provider: The provider the request goes to (limits and spellings differ).
        idempotency_key: Ask for a fresh take of a request made before.
        strict: Refuse unknown model names instead of warning.

    Raises:
        KlingValidationError: The request breaks a rule of the endpoint or provider.
    """
    row = get_endpoint(endpoint)
    path = row.create_path(provider)
    model = validate_request(row, provider, request, strict=strict)
    payload = model.to_payload(provider)
    external_task_id = payload.get("external_task_id") or derive_external_task_id(
        row.name, payload, idempotency_key
    )
    payload["external_task_id"] = external_task_id
    return PreparedCreate(row, path, payload, external_task_id, datetime.now(UTC), model)


@dataclass(frozen=True)
class ListScan:
    """What one page of a list query says about an external id."""

    match: KlingTask | None
    exhausted: bool


class _BaseKlingClient:
    """Everything the sync and async clients share; no I/O here."""

    def __init__(
        self,
        credentials: KlingCredentials,
        *,
        retry_policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        strict_validation: bool = False,
    ):
        self.credentials = credentials
        self.provider = credentials.provider
        self.retry_policy = retry_policy or RetryPolicy()
        self.strict_validation = strict_validation
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def _http_options(self) -> dict[str, Any]:
        timeout = self.credentials.timeout_seconds
        return {
            "base_url": self.credentials.api_base_url,
            "auth": self.credentials.auth(),
            "timeout": httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            "headers": {"User-Agent": f"prefect-kling/{__version__}"},
            "follow_redirects": False,
            "verify": shared_ssl_context(),
        }

    def prepare_create(
        self,
        endpoint: str | Endpoint,
        request: Mapping[str, Any] | BaseModel,
        *,
        idempotency_key: str | None = None,
    ) -> PreparedCreate:
        """Validate a request for this client's provider (see `prepare_create`)."""
        return prepare_create(
            endpoint,
            request,
            self.provider,
            idempotency_key=idempotency_key,
            strict=self.strict_validation,
        )

    def _reference(
        self, endpoint: Endpoint, task: KlingTask, *, fallback_external_id: str | None = None
    ) -> TaskReference:
        reference = TaskReference.from_task(task, endpoint=endpoint.name, provider=self.provider)
        if reference.external_task_id is None and fallback_external_id:
            reference = reference.model_copy(update={"external_task_id": fallback_external_id})
        return reference

    @staticmethod
    def _task(data: Any, endpoint: Endpoint) -> KlingTask:
        if not isinstance(data, Mapping) or "task_id" not in data:
            raise KlingUnexpectedResponse(
                f"expected a task object, got {type(data).__name__}", endpoint=endpoint.name
            )
        return KlingTask.model_validate(data)

    def _tasks(self, data: Any, endpoint: Endpoint) -> list[KlingTask]:
        if not isinstance(data, list):
            raise KlingUnexpectedResponse(
                f"expected a list of tasks, got {type(data).__name__}", endpoint=endpoint.name
            )
        return [self._task(item, endpoint) for item in data]

    def _route_call(self, route: Route, request: BaseModel) -> tuple[str, dict[str, Any]]:
        """URL and httpx options of a call that creates no task."""
        path = route.path(self.provider)
        base = self.credentials.account_base_url if route.account else self.credentials.api_base_url
        url = f"{base}/{path}"
        if route.method == "GET":
            params = (
                request.to_params()
                if isinstance(request, AccountCostsQuery)
                else request.model_dump()
            )
            return url, {"params": params}
        return url, {"json": request.to_payload(self.provider)}

    @staticmethod
    def _route_answer(route: Route, data: Any) -> Any:
        return route.response_model.model_validate(data or {})

    def _create_action(self, error: KlingError, attempt: int) -> CreateAction:
        if _is_duplicate_external_id(error):
            return CreateAction.RECONCILE
        return self.retry_policy.create_action(error, attempt)

    def _may_resend(self, error: KlingError, attempt: int) -> bool:
        return attempt < self.retry_policy.max_attempts and not _is_duplicate_external_id(error)

    def _log_retry(self, what: str, error: BaseException, attempt: int, delay: float) -> None:
        logger.warning(
            "%s failed (%s); attempt %d of %d, next in %.1f s",
            what,
            error,
            attempt,
            self.retry_policy.max_attempts,
            delay,
        )

    @staticmethod
    def _scan(
        tasks: list[KlingTask], external_task_id: str, since: datetime | None, page_size: int
    ) -> ListScan:
        for task in tasks:
            if task.external_task_id == external_task_id:
                return ListScan(task, exhausted=True)
        if len(tasks) < page_size:
            return ListScan(None, exhausted=True)
        oldest = min((task.created_at for task in tasks if task.created_at), default=None)
        reached_older = since is not None and oldest is not None and oldest < since - _CLOCK_SKEW
        return ListScan(None, exhausted=reached_older)

    @staticmethod
    def _undecided(endpoint: Endpoint, external_task_id: str) -> KlingError:
        return KlingError(
            f"could not tell whether a {endpoint.name} task with external id {external_task_id} "
            f"exists after scanning {_LOOKUP_MAX_PAGES} pages; nothing was created again"
        )


def _is_duplicate_external_id(error: BaseException) -> bool:
    return isinstance(error, KlingInvalidRequest) and "external" in error.message.lower()


def _lookup_since(prepared: PreparedCreate, error: KlingError) -> datetime | None:
    """How far back a reconciling lookup scans: to this create's first sending.

    A duplicate-id refusal names a task made before it, maybe by a run days ago: no limit.
    """
    return None if _is_duplicate_external_id(error) else prepared.started_at


def _transport_error(error: httpx.HTTPError, request: str, endpoint: str | None) -> KlingError:
    if isinstance(error, httpx.TransportError):
        never_sent = isinstance(
            error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
        )
        detail = str(error) or type(error).__name__
        return KlingTransportError(
            f"{request}: {type(error).__name__}: {detail}", endpoint=endpoint, sent=not never_sent
        )
    return KlingUnexpectedResponse(f"{request}: {error}", endpoint=endpoint)


class KlingClient(_BaseKlingClient):
    """Synchronous Kling client.

    Args:
        credentials: Where and how to reach Kling.
        retry_policy: When and how long to wait before repeating a call.
        strict_validation: Refuse unknown model names instead of warning.
        transport: An `httpx` transport (e.g. `httpx.MockTransport` in tests).
        sleep: Function used to wait between attempts (injectable for tests).
        rng: Random source of the backoff jitter.
    """

    def __init__(
        self,
        credentials: KlingCredentials,
        *,
        retry_policy: RetryPolicy | None = None,
        strict_validation: bool = False,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        super().__init__(
            credentials, retry_policy=retry_policy, rng=rng, strict_validation=strict_validation
        )
        self._sleep = sleep
        self._http = httpx.Client(transport=transport, **self._http_options())

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _send(
        self, method: str, path: str, *, endpoint: str, task_id: str | None = None, **kwargs: Any
    ) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise _transport_error(error, f"{method} {path}", endpoint) from None
        return parse_envelope(response, endpoint=endpoint, task_id=task_id)

    def _read(self, path: str, *, endpoint: str, task_id: str | None = None, **kwargs: Any) -> Any:
        attempt = 1
        while True:
            try:
                return self._send("GET", path, endpoint=endpoint, task_id=task_id, **kwargs)
            except KlingError as error:
                if not self.retry_policy.should_retry(error, attempt):
                    raise
                delay = self.retry_policy.delay(error, attempt, self._rng)
                self._log_retry(f"GET {path}", error, attempt, delay)
                self._sleep(delay)
                attempt += 1

    def create(
        self,
        endpoint: str | Endpoint,
        request: Mapping[str, Any] | BaseModel,
        *,
        idempotency_key: str | None = None,
        reuse_existing: bool = False,
        sent_since: datetime | None = None,
    ) -> TaskReference:
        """Create a task, or find the one this same request already made.

        Args:
            endpoint: Endpoint name (e.g. `text2video`) or row.
            request: The request fields, or a request model.
            idempotency_key: Ask for a fresh take of a request made before.
            reuse_existing: Look the external id up first and return the task found
                (one query more, and certainty on providers that allow duplicate ids).
            sent_since: With `reuse_existing`, when an earlier attempt may first have sent
                it: a lookup through list pages stops at older tasks.

        Returns:
            A reference to the task.

        Raises:
            KlingValidationError: The request was refused before sending.
            KlingAPIError: Kling refused the create (never after it may have made a task
                that could not be found again).
        """
        prepared = self.prepare_create(endpoint, request, idempotency_key=idempotency_key)
        if reuse_existing:
            found = self.find_task(prepared.endpoint, prepared.external_task_id, since=sent_since)
            if found is not None:
                return self._reference(prepared.endpoint, found)
        return self.send_create(prepared)

    def send_create(self, prepared: PreparedCreate) -> TaskReference:
        """Send a prepared create, reconciling ambiguous failures through its external id."""
        row, attempt = prepared.endpoint, 1
        while True:
            try:
                data = self._send("POST", prepared.path, endpoint=row.name, json=prepared.payload)
                return self._reference(
                    row, self._task(data, row), fallback_external_id=prepared.external_task_id
                )
            except KlingError as error:
                action = self._create_action(error, attempt)
                if action is CreateAction.RAISE:
                    raise
                if action is CreateAction.RECONCILE:
                    found = self.find_task(
                        row, prepared.external_task_id, since=_lookup_since(prepared, error)
                    )
                    if found is not None:
                        logger.info("%s task %s found by its external id", row.name, found.task_id)
                        return self._reference(row, found)
                    if not self._may_resend(error, attempt):
                        raise
                delay = self.retry_policy.delay(error, attempt, self._rng)
                self._log_retry(f"create {row.name}", error, attempt, delay)
                self._sleep(delay)
                attempt += 1

    def get_task(
        self,
        endpoint: str | Endpoint,
        task_id: str | None = None,
        *,
        external_task_id: str | None = None,
    ) -> KlingTask:
        """Query one task by its id, or by its external id.

        Raises:
            KlingNotFound: No such task.
        """
        row = get_endpoint(endpoint)
        if task_id is None:
            if external_task_id is None:
                raise ValueError("give task_id or external_task_id")
            found = self.find_task(row, external_task_id)
            if found is None:
                raise KlingNotFound(
                    f"no {row.name} task with external id {external_task_id}", endpoint=row.name
                )
            return found
        data = self._read(
            row.query_path(self.provider, task_id), endpoint=row.name, task_id=task_id
        )
        return self._task(data, row)

    def list_tasks(
        self, endpoint: str | Endpoint, *, page: int = 1, page_size: int = 30
    ) -> list[KlingTask]:
        """One page of the endpoint's tasks, newest first (page 1..1000, size 1..500)."""
        row = get_endpoint(endpoint)
        params = {"pageNum": page, "pageSize": page_size}
        return self._tasks(
            self._read(row.create_path(self.provider), endpoint=row.name, params=params), row
        )

    def find_task(
        self, endpoint: str | Endpoint, external_task_id: str, *, since: datetime | None = None
    ) -> KlingTask | None:
        """The task with this external id, or None when the server certainly has none.

        Args:
            endpoint: Endpoint name or row.
            external_task_id: The id the create carried.
            since: When the create was first sent; list scans stop at older tasks.

        Raises:
            KlingError: The server could not be asked, or the answer was inconclusive.
        """
        row = get_endpoint(endpoint)
        # An external id of the caller's own that cannot be a path part is looked for in lists.
        if self.provider in row.query_by_external_id and fits_a_path(external_task_id):
            path = row.query_path(self.provider, external_task_id)
            try:
                return self._task(self._read(path, endpoint=row.name), row)
            except KlingNotFound:
                return None
        for page in range(1, _LOOKUP_MAX_PAGES + 1):
            scan = self._scan(
                self.list_tasks(row, page=page, page_size=MAX_PAGE_SIZE),
                external_task_id,
                since,
                MAX_PAGE_SIZE,
            )
            if scan.exhausted:
                return scan.match
        raise self._undecided(row, external_task_id)

    def identify_face(self, request: IdentifyFaceRequest | Mapping[str, Any]) -> IdentifyFaceResult:
        """Find the faces of a video for advanced lip-sync (synchronous; creates no task).

        Args:
            request: `video_id` (of a Kling video) or `video_url`.

        Returns:
            The session id (valid 24 hours) and the faces found.
        """
        model = IdentifyFaceRequest.model_validate(request)
        url, options = self._route_call(IDENTIFY_FACE, model)
        return self._route_answer(
            IDENTIFY_FACE, self._send("POST", url, endpoint=IDENTIFY_FACE.name, **options)
        )

    def account_costs(self, query: AccountCostsQuery | None = None) -> AccountCosts:
        """The account's resource packs and their remaining units (free; creates nothing).

        Args:
            query: Time window and pack name; the last 365 days by default.
        """
        url, options = self._route_call(ACCOUNT_COSTS, query or AccountCostsQuery())
        return self._route_answer(
            ACCOUNT_COSTS, self._read(url, endpoint=ACCOUNT_COSTS.name, **options)
        )


class AsyncKlingClient(_BaseKlingClient):
    """Asynchronous Kling client; the same calls as `KlingClient`, awaited.

    Args:
        credentials: Where and how to reach Kling.
        retry_policy: When and how long to wait before repeating a call.
        strict_validation: Refuse unknown model names instead of warning.
        transport: An `httpx` async transport (e.g. `httpx.MockTransport` in tests).
        sleep: Coroutine function used to wait between attempts (injectable for tests).
        rng: Random source of the backoff jitter.
    """

    def __init__(
        self,
        credentials: KlingCredentials,
        *,
        retry_policy: RetryPolicy | None = None,
        strict_validation: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ):
        super().__init__(
            credentials, retry_policy=retry_policy, rng=rng, strict_validation=strict_validation
        )
        self._sleep = sleep
        self._http = httpx.AsyncClient(transport=transport, **self._http_options())

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _send(
        self, method: str, path: str, *, endpoint: str, task_id: str | None = None, **kwargs: Any
    ) -> Any:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise _transport_error(error, f"{method} {path}", endpoint) from None
        return parse_envelope(response, endpoint=endpoint, task_id=task_id)

    async def _read(
        self, path: str, *, endpoint: str, task_id: str | None = None, **kwargs: Any
    ) -> Any:
        attempt = 1
        while True:
            try:
                return await self._send("GET", path, endpoint=endpoint, task_id=task_id, **kwargs)
            except KlingError as error:
                if not self.retry_policy.should_retry(error, attempt):
                    raise
                delay = self.retry_policy.delay(error, attempt, self._rng)
                self._log_retry(f"GET {path}", error, attempt, delay)
                await self._sleep(delay)
                attempt += 1

    async def create(
        self,
        endpoint: str | Endpoint,
        request: Mapping[str, Any] | BaseModel,
        *,
        idempotency_key: str | None = None,
        reuse_existing: bool = False,
        sent_since: datetime | None = None,
    ) -> TaskReference:
        """Create a task, or find the one this same request already made (`KlingClient.create`)."""
        prepared = self.prepare_create(endpoint, request, idempotency_key=idempotency_key)
        if reuse_existing:
            found = await self.find_task(
                prepared.endpoint, prepared.external_task_id, since=sent_since
            )
            if found is not None:
                return self._reference(prepared.endpoint, found)
        return await self.send_create(prepared)

    async def send_create(self, prepared: PreparedCreate) -> TaskReference:
        """Send a prepared create, reconciling ambiguous failures through its external id."""
        row, attempt = prepared.endpoint, 1
        while True:
            try:
                data = await self._send(
                    "POST", prepared.path, endpoint=row.name, json=prepared.payload
                )
                return self._reference(
                    row, self._task(data, row), fallback_external_id=prepared.external_task_id
                )
            except KlingError as error:
                action = self._create_action(error, attempt)
                if action is CreateAction.RAISE:
                    raise
                if action is CreateAction.RECONCILE:
                    found = await self.find_task(
                        row, prepared.external_task_id, since=_lookup_since(prepared, error)
                    )
                    if found is not None:
                        logger.info("%s task %s found by its external id", row.name, found.task_id)
                        return self._reference(row, found)
                    if not self._may_resend(error, attempt):
                        raise
                delay = self.retry_policy.delay(error, attempt, self._rng)
                self._log_retry(f"create {row.name}", error, attempt, delay)
                await self._sleep(delay)
                attempt += 1

    async def get_task(
        self,
        endpoint: str | Endpoint,
        task_id: str | None = None,
        *,
        external_task_id: str | None = None,
    ) -> KlingTask:
        """Query one task by its id, or by its external id (see `KlingClient.get_task`)."""
        row = get_endpoint(endpoint)
        if task_id is None:
            if external_task_id is None:
                raise ValueError("give task_id or external_task_id")
            found = await self.find_task(row, external_task_id)
            if found is None:
                raise KlingNotFound(
                    f"no {row.name} task with external id {external_task_id}", endpoint=row.name
                )
            return found
        data = await self._read(
            row.query_path(self.provider, task_id), endpoint=row.name, task_id=task_id
        )
        return self._task(data, row)

    async def list_tasks(
        self, endpoint: str | Endpoint, *, page: int = 1, page_size: int = 30
    ) -> list[KlingTask]:
        """One page of the endpoint's tasks, newest first (page 1..1000, size 1..500)."""
        row = get_endpoint(endpoint)
        params = {"pageNum": page, "pageSize": page_size}
        return self._tasks(
            await self._read(row.create_path(self.provider), endpoint=row.name, params=params), row
        )

    async def find_task(
        self, endpoint: str | Endpoint, external_task_id: str, *, since: datetime | None = None
    ) -> KlingTask | None:
        """The task with this external id, or None when the server certainly has none."""
        row = get_endpoint(endpoint)
        # An external id of the caller's own that cannot be a path part is looked for in lists.
        if self.provider in row.query_by_external_id and fits_a_path(external_task_id):
            path = row.query_path(self.provider, external_task_id)
            try:
                return self._task(await self._read(path, endpoint=row.name), row)
            except KlingNotFound:
                return None
        for page in range(1, _LOOKUP_MAX_PAGES + 1):
            tasks = await self.list_tasks(row, page=page, page_size=MAX_PAGE_SIZE)
            scan = self._scan(tasks, external_task_id, since, MAX_PAGE_SIZE)
            if scan.exhausted:
                return scan.match
        raise self._undecided(row, external_task_id)

    async def identify_face(
        self, request: IdentifyFaceRequest | Mapping[str, Any]
    ) -> IdentifyFaceResult:
        """Find the faces of a video for advanced lip-sync (synchronous; creates no task).

        Args:
            request: `video_id` (of a Kling video) or `video_url`.

        Returns:
            The session id (valid 24 hours) and the faces found.
        """
        model = IdentifyFaceRequest.model_validate(request)
        url, options = self._route_call(IDENTIFY_FACE, model)
        return self._route_answer(
            IDENTIFY_FACE, await self._send("POST", url, endpoint=IDENTIFY_FACE.name, **options)
        )

    async def account_costs(self, query: AccountCostsQuery | None = None) -> AccountCosts:
        """The account's resource packs and their remaining units (free; creates nothing).

        Args:
            query: Time window and pack name; the last 365 days by default.
        """
        url, options = self._route_call(ACCOUNT_COSTS, query or AccountCostsQuery())
        return self._route_answer(
            ACCOUNT_COSTS, await self._read(url, endpoint=ACCOUNT_COSTS.name, **options)
        )
