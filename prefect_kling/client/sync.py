"""The synchronous Kling client: create tasks without ever paying twice, query them, list them.

Examples:
    >>> from prefect_kling.simulator import KlingSimulator
    >>> with KlingSimulator() as sim, sim.credentials().get_client() as client:
    ...     ref = client.create("text2video", {"prompt": "a red fox in snow"})
    ...     client.get_task(ref.endpoint, ref.task_id).task_status
    <TaskStatus.SUBMITTED: 'submitted'>
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
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
    ACCOUNT_LEDGERS,
    IDENTIFY_FACE,
    ApiStandard,
    Endpoint,
    Route,
    get_endpoint,
)
from prefect_kling.exceptions import KlingError, KlingNotFound
from prefect_kling.models.account import AccountCosts, AccountCostsQuery
from prefect_kling.models.kling_task import KlingTask, TaskPage, TaskReference
from prefect_kling.models.ledger import Ledger, LedgerEntry, LedgerPage, LedgerQuery
from prefect_kling.models.lipsync import IdentifyFaceRequest, IdentifyFaceResult


class KlingClient(BaseKlingClient):
    """Synchronous Kling client.

    Args:
        connection: Where and how to reach Kling (`KlingCredentials.connection()`).
        retry_policy: When and how long to wait before repeating a call.
        strict_validation: Refuse model names (and effect scenes) unknown for the
            provider (the default); False sends them with an `UnknownModelWarning`.
        transport: An `httpx` transport (e.g. `httpx.MockTransport` in tests).
        sleep: Function used to wait between attempts (injectable for tests).
        rng: Random source of the backoff jitter.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        retry_policy: RetryPolicy | None = None,
        strict_validation: bool = True,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        super().__init__(
            connection, retry_policy=retry_policy, rng=rng, strict_validation=strict_validation
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
            raise transport_error(error, f"{method} {path}", endpoint) from None
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
        earlier_ids: Sequence[str] | None = None,
    ) -> TaskReference:
        """Create a task, or find the one this same request already made.

        Args:
            endpoint: Endpoint name (e.g. `text2video`) or row.
            request: The request fields, or a request model.
            idempotency_key: Ask for a fresh take of a request made before.
            reuse_existing: An earlier attempt may have sent this create: look its external
                id (and its earlier forms) up first and return the task found.
            sent_since: With `reuse_existing`, when an earlier attempt may first have sent
                it: a lookup through list pages stops at older tasks, and a task made before
                is not taken for a caller's own external id.
            earlier_ids: With `reuse_existing`, the ids earlier versions may have sent this
                request under (default: the forms derived for it, `PreparedCreate.earlier_ids`).

        Returns:
            A reference to the task.

        Raises:
            KlingValidationError: The request was refused before sending.
            KlingExternalIdInUse: The caller's own external id names another request's
                task (nothing is made, and that task is not taken).
            KlingAPIError: Kling refused the create (never after it may have made a task
                that could not be found again).
        """
        prepared = self.prepare_create(endpoint, request, idempotency_key=idempotency_key)
        if reuse_existing:
            for external_id in self._lookup_ids(prepared, earlier_ids):
                found = self.find_task(prepared.endpoint, external_id, since=sent_since)
                if found is not None:
                    return self._own_task(prepared, found, sent_since)
        return self.send_create(prepared, maybe_sent=reuse_existing)

    def send_create(self, prepared: PreparedCreate, *, maybe_sent: bool = False) -> TaskReference:
        """Send a prepared create, reconciling ambiguous failures through its external id.

        Args:
            prepared: The create.
            maybe_sent: An earlier attempt may have sent it: Kling's refusal of its id as a
                duplicate then names its own task.
        """
        row, attempt = prepared.endpoint, 1
        while True:
            try:
                data = self._send(
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
                        found = self.find_task(
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
        if row.standard is ApiStandard.NEW:
            found = self._one_of(self.get_tasks([task_id]), task_id=task_id)
            if found is None:
                raise KlingNotFound(f"task {task_id} does not exist", endpoint=row.name)
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
        params = self._list_params(page, page_size)
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
        if row.standard is ApiStandard.NEW:
            params = {"external_task_ids": external_task_id}
            data = self._read(self._tasks_url(), endpoint=row.name, params=params)
            return self._one_of(self._tasks(data, row), external=external_task_id)
        path = self._by_external_id(row, external_task_id)
        if path is not None:
            try:
                return self._task(self._read(path, endpoint=row.name), row)
            except KlingNotFound:
                return None
        for page in range(1, LOOKUP_MAX_PAGES + 1):
            tasks = self.list_tasks(row, page=page, page_size=MAX_PAGE_SIZE)
            scan = self._scan(tasks, external_task_id, since, MAX_PAGE_SIZE)
            if scan.exhausted:
                return scan.match
        raise self._undecided(row, external_task_id)

    def get_tasks(self, task_ids: Sequence[str]) -> list[KlingTask]:
        """Tasks of the newer standard by id, up to 100 in one `GET /tasks?task_ids=`.

        Args:
            task_ids: Kling's ids of the tasks (any number; asked for 100 at a time).

        Returns:
            The tasks Kling knows, in its order; an unknown id is left out.
        """
        tasks: list[KlingTask] = []
        for group in chunks(list(task_ids)):
            params = {"task_ids": ",".join(group)}
            data = self._read(self._tasks_url(), endpoint=TASKS_PATH, params=params)
            tasks.extend(self._tasks(data, TASKS_PATH))
        return tasks

    def list_recent_tasks(
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
        return self._page(self._send("POST", self._tasks_url(), endpoint=TASKS_PATH, json=body))

    def call(self, route: Route, request: BaseModel) -> Any:
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
            return self._route_answer(route, self._read(url, endpoint=route.name, **options))
        return self._route_answer(
            route, self._send(route.method, url, endpoint=route.name, **options)
        )

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

    def ledger_entries(
        self, ledger: Ledger = "package", query: LedgerQuery | None = None
    ) -> list[LedgerEntry]:
        """Every deduction of a ledger in a window, following its cursor (free).

        Args:
            ledger: `package` (units from resource packs) or `balance`.
            query: The window and filters; the last 30 days by default.

        Raises:
            KlingValidationError: The provider has no ledger, or a filter does not fit it.
        """
        route = ACCOUNT_LEDGERS[ledger]
        url = f"{self.connection.account_base_url}/{route.path(self.provider)}"
        body: dict[str, Any] = (query or LedgerQuery()).to_body(ledger)
        entries: list[LedgerEntry] = []
        while True:
            data = self._send("POST", url, endpoint=route.name, json=body)
            page = LedgerPage.model_validate(data or {})
            entries.extend(page.entries)
            if not page.has_more or not page.next_cursor:
                return entries
            body = {"cursor": page.next_cursor}
