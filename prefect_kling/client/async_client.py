"""The asynchronous Kling client: the same calls as `KlingClient`, awaited.

Examples:
    >>> import asyncio
    >>> from prefect_kling.simulator import KlingSimulator
    >>> async def create_and_read(credentials):
    ...     async with credentials.get_async_client() as client:
    ...         ref = await client.create("text2video", {"prompt": "a red fox in snow"})
    ...         return (await client.get_task(ref.endpoint, ref.task_id)).task_status
    >>> with KlingSimulator() as sim:
    ...     asyncio.run(create_and_read(sim.credentials()))
    <TaskStatus.SUBMITTED: 'submitted'>
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Self

import httpx
from pydantic import BaseModel

from prefect_kling._envelope import parse_envelope
from prefect_kling._retry import CreateAction, RetryPolicy, create_may_have_succeeded
from prefect_kling.client.base import (
    LOOKUP_MAX_PAGES,
    MAX_PAGE_SIZE,
    TASKS_PATH,
    BaseKlingClient,
    chunks,
    lookup_since,
    transport_error,
)
from prefect_kling.client.prepare import PreparedCreate
from prefect_kling.connection import Connection
from prefect_kling.endpoints import (
    ACCOUNT_COSTS,
    IDENTIFY_FACE,
    ApiStandard,
    Endpoint,
    Route,
    get_endpoint,
)
from prefect_kling.exceptions import KlingError, KlingNotFound
from prefect_kling.models.account import AccountCosts, AccountCostsQuery
from prefect_kling.models.kling_task import KlingTask, TaskPage, TaskReference
from prefect_kling.models.lipsync import IdentifyFaceRequest, IdentifyFaceResult


class AsyncKlingClient(BaseKlingClient):
    """Asynchronous Kling client; the same calls as `KlingClient`, awaited.

    Args:
        connection: Where and how to reach Kling (`KlingCredentials.connection()`).
        retry_policy: When and how long to wait before repeating a call.
        strict_validation: Refuse model names (and effect scenes) unknown for the
            provider (the default); False sends them with an `UnknownModelWarning`.
        transport: An `httpx` async transport (e.g. `httpx.MockTransport` in tests).
        sleep: Coroutine function used to wait between attempts (injectable for tests).
        rng: Random source of the backoff jitter.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        retry_policy: RetryPolicy | None = None,
        strict_validation: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ):
        super().__init__(
            connection, retry_policy=retry_policy, rng=rng, strict_validation=strict_validation
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
            raise transport_error(error, f"{method} {path}", endpoint) from None
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
        earlier_ids: Sequence[str] | None = None,
    ) -> TaskReference:
        """Create a task, or find the one this same request already made (`KlingClient.create`)."""
        prepared = self.prepare_create(endpoint, request, idempotency_key=idempotency_key)
        if reuse_existing:
            for external_id in self._lookup_ids(prepared, earlier_ids):
                found = await self.find_task(prepared.endpoint, external_id, since=sent_since)
                if found is not None:
                    return self._own_task(prepared, found, sent_since)
        return await self.send_create(prepared, maybe_sent=reuse_existing)

    async def send_create(
        self, prepared: PreparedCreate, *, maybe_sent: bool = False
    ) -> TaskReference:
        """Send a prepared create, reconciling ambiguous failures (`KlingClient.send_create`)."""
        row, attempt = prepared.endpoint, 1
        while True:
            try:
                data = await self._send(
                    "POST", self._create_url(prepared), endpoint=row.name, json=prepared.payload
                )
                return self._reference(
                    row, self._task(data, row), fallback_external_id=prepared.external_task_id
                )
            except KlingError as error:
                action = self._create_action(error, attempt)
                if action is CreateAction.RAISE:
                    raise
                if action is CreateAction.RECONCILE:
                    try:
                        found = await self.find_task(
                            row, prepared.external_task_id, since=lookup_since(prepared, error)
                        )
                    except KlingError:
                        if not self._foreign_duplicate(prepared, error, maybe_sent):
                            raise
                        found = None  # only to name it in the refusal
                    reference = self._reconciled(prepared, error, found, maybe_sent)
                    if reference is not None:
                        return reference
                    if not self._may_resend(error, attempt):
                        raise
                    maybe_sent = maybe_sent or create_may_have_succeeded(error)
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
        if row.standard is ApiStandard.NEW:
            found = self._one_of(await self.get_tasks([task_id]), task_id=task_id)
            if found is None:
                raise KlingNotFound(f"task {task_id} does not exist", endpoint=row.name)
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
        params = self._list_params(page, page_size)
        return self._tasks(
            await self._read(row.create_path(self.provider), endpoint=row.name, params=params), row
        )

    async def find_task(
        self, endpoint: str | Endpoint, external_task_id: str, *, since: datetime | None = None
    ) -> KlingTask | None:
        """The task with this external id, or None when the server certainly has none."""
        row = get_endpoint(endpoint)
        if row.standard is ApiStandard.NEW:
            params = {"external_task_ids": external_task_id}
            data = await self._read(self._tasks_url(), endpoint=row.name, params=params)
            return self._one_of(self._tasks(data, row), external=external_task_id)
        path = self._by_external_id(row, external_task_id)
        if path is not None:
            try:
                return self._task(await self._read(path, endpoint=row.name), row)
            except KlingNotFound:
                return None
        for page in range(1, LOOKUP_MAX_PAGES + 1):
            tasks = await self.list_tasks(row, page=page, page_size=MAX_PAGE_SIZE)
            scan = self._scan(tasks, external_task_id, since, MAX_PAGE_SIZE)
            if scan.exhausted:
                return scan.match
        raise self._undecided(row, external_task_id)

    async def get_tasks(self, task_ids: Sequence[str]) -> list[KlingTask]:
        """Tasks of the newer standard by id, up to 100 in one `GET /tasks?task_ids=`.

        Args:
            task_ids: Kling's ids of the tasks (any number; asked for 100 at a time).

        Returns:
            The tasks Kling knows, in its order; an unknown id is left out.
        """
        tasks: list[KlingTask] = []
        for group in chunks(list(task_ids)):
            params = {"task_ids": ",".join(group)}
            data = await self._read(self._tasks_url(), endpoint=TASKS_PATH, params=params)
            tasks.extend(self._tasks(data, TASKS_PATH))
        return tasks

    async def list_recent_tasks(
        self,
        *,
        cursor: str | None = None,
        limit: int = 100,
        filters: Mapping[str, Sequence[str]] | None = None,
    ) -> TaskPage:
        """One page of the account's newer-standard tasks, newest first (`POST /tasks`).

        Args:
            cursor: The `next_cursor` of the page before; the newest page without one.
            limit: Tasks per page, 1 to 500.
            filters: E.g. `{"status": ["failed"], "product_type": ["video"]}`.
        """
        body = self._page_body(cursor, limit, filters)
        return self._page(
            await self._send("POST", self._tasks_url(), endpoint=TASKS_PATH, json=body)
        )

    async def call(self, route: Route, request: BaseModel) -> Any:
        """Send a call that creates no task (a `Route`) and parse its answer's `data`.

        A `GET` is retried like any read; a `POST` is sent once.

        Args:
            route: The route, e.g. one of `prefect_kling.endpoints.ROUTES`.
            request: Its request model (`to_params()` makes a `GET`'s query string).

        Raises:
            KlingValidationError: The provider has no such route.
        """
        url, options = self._route_call(route, request)
        if route.method == "GET":
            return self._route_answer(route, await self._read(url, endpoint=route.name, **options))
        return self._route_answer(
            route, await self._send(route.method, url, endpoint=route.name, **options)
        )

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
