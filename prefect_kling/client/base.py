"""What the sync and async Kling clients share: every decision that needs no I/O.

Paths, bodies and httpx options of each call, parsing of the answers, what to do after an
error, how a list page answers "is there a task with this external id?". `KlingClient`
and `AsyncKlingClient` only send requests and sleep.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel

from prefect_kling._logging import RunAwareLogger
from prefect_kling._retry import CreateAction, RetryPolicy
from prefect_kling._tls import shared_ssl_context
from prefect_kling._version import __version__
from prefect_kling.client.prepare import PreparedCreate, prepare_create
from prefect_kling.connection import Connection
from prefect_kling.endpoints import ApiStandard, Endpoint, Route, fits_a_path
from prefect_kling.exceptions import (
    KlingError,
    KlingExternalIdInUse,
    KlingInvalidRequest,
    KlingTransportError,
    KlingUnexpectedResponse,
    KlingValidationError,
)
from prefect_kling.models.kling_task import KlingTask, TaskPage, TaskReference

logger = RunAwareLogger(__name__)

MAX_PAGE_SIZE = 500
"""Largest page Kling's list queries serve."""

MAX_IDS_PER_QUERY = 100
"""Task ids one `GET /tasks?task_ids=` asks for at most (the newer standard)."""
TASKS_PATH = "tasks"
"""The newer standard's task queries, on the host: `GET` by ids, `POST` with a cursor."""

LOOKUP_MAX_PAGES = 20
"""List pages a lookup of an external id reads at most before it gives up undecided."""
_CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class ListScan:
    """What one page of a list query says about an external id."""

    match: KlingTask | None
    exhausted: bool


class BaseKlingClient:
    """Everything the sync and async clients share; no I/O here.

    Args:
        connection: Where and how to reach Kling.
        retry_policy: When and how long to wait before repeating a call.
        rng: Random source of the backoff jitter.
        strict_validation: Refuse model names (and effect scenes) unknown for the
            provider (the default); False sends them with an `UnknownModelWarning`.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        retry_policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        strict_validation: bool = True,
    ):
        self.connection = connection
        self.provider = connection.provider
        self.retry_policy = retry_policy or RetryPolicy()
        self.strict_validation = strict_validation
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def _http_options(self) -> dict[str, Any]:
        timeout = self.connection.timeout_seconds
        return {
            "base_url": self.connection.api_base_url,
            "auth": self.connection.auth,
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
            access_keys=self.connection.access_keys,
        )

    def _reference(
        self, endpoint: Endpoint, task: KlingTask, *, fallback_external_id: str | None = None
    ) -> TaskReference:
        reference = TaskReference.from_task(task, endpoint=endpoint.name, provider=self.provider)
        if reference.external_task_id is None and fallback_external_id:
            reference = reference.model_copy(update={"external_task_id": fallback_external_id})
        return reference

    @staticmethod
    def _task(data: Any, endpoint: Endpoint | str) -> KlingTask:
        if not isinstance(data, Mapping) or not ("task_id" in data or "id" in data):
            raise KlingUnexpectedResponse(
                f"expected a task object, got {type(data).__name__}", endpoint=_name(endpoint)
            )
        return KlingTask.model_validate(data)

    def _tasks(self, data: Any, endpoint: Endpoint | str) -> list[KlingTask]:
        if not isinstance(data, list):
            raise KlingUnexpectedResponse(
                f"expected a list of tasks, got {type(data).__name__}", endpoint=_name(endpoint)
            )
        return [self._task(item, endpoint) for item in data]

    def _create_url(self, prepared: PreparedCreate) -> str:
        """Where a create goes: the API prefix, or the host for the newer standard."""
        if prepared.endpoint.standard is ApiStandard.NEW:
            return f"{self.connection.account_base_url}/{prepared.path}"
        return prepared.path

    def _tasks_url(self) -> str:
        return f"{self.connection.account_base_url}/{TASKS_PATH}"

    @staticmethod
    def _page(data: Any) -> TaskPage:
        if not isinstance(data, Mapping):
            raise KlingUnexpectedResponse(
                f"expected a page of tasks, got {type(data).__name__}", endpoint=TASKS_PATH
            )
        return TaskPage.model_validate(data)

    @staticmethod
    def _page_body(
        cursor: str | None, limit: int, filters: Mapping[str, Sequence[str]] | None
    ) -> dict[str, Any]:
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise KlingValidationError.single(
                "limit", f"{limit!r}; allowed: 1 to {MAX_PAGE_SIZE}", endpoint=TASKS_PATH
            )
        body: dict[str, Any] = {"limit": limit}
        if cursor:
            body["cursor"] = cursor
        if filters:
            body["filters"] = [
                {"key": key, "values": list(values)} for key, values in filters.items()
            ]
        return body

    @staticmethod
    def _one_of(
        tasks: list[KlingTask], *, task_id: str | None = None, external: str | None = None
    ) -> KlingTask | None:
        for task in tasks:
            if (task_id and task.task_id == task_id) or (
                external and task.external_task_id == external
            ):
                return task
        return None

    @staticmethod
    def _list_params(page: int, page_size: int) -> dict[str, int]:
        return {"pageNum": page, "pageSize": page_size}

    def _by_external_id(self, endpoint: Endpoint, external_task_id: str) -> str | None:
        """The single-query path that finds an external id, where the provider has one."""
        # An external id of the caller's own that cannot be a path part is looked for in lists.
        if self.provider in endpoint.query_by_external_id and fits_a_path(external_task_id):
            return endpoint.query_path(self.provider, external_task_id)
        return None

    def _route_call(self, route: Route, request: BaseModel) -> tuple[str, dict[str, Any]]:
        """URL and httpx options of a call that creates no task."""
        path = route.path(self.provider)
        base = self.connection.account_base_url if route.account else self.connection.api_base_url
        url = f"{base}/{path}"
        if route.method == "GET":
            to_params = getattr(request, "to_params", None)
            params = to_params() if callable(to_params) else request.model_dump(exclude_none=True)
            return url, {"params": params}
        return url, {"json": request.to_payload(self.provider)}

    @staticmethod
    def _route_answer(route: Route, data: Any) -> Any:
        return route.response_model.model_validate({} if data is None else data)

    @staticmethod
    def _lookup_ids(prepared: PreparedCreate, earlier_ids: Sequence[str] | None) -> list[str]:
        """The ids a reuse lookup asks for: the create's own, then its earlier forms."""
        earlier = prepared.earlier_ids if earlier_ids is None else earlier_ids
        return list(dict.fromkeys([prepared.external_task_id, *earlier]))

    def _own_task(
        self, prepared: PreparedCreate, found: KlingTask, since: datetime | None
    ) -> TaskReference:
        """The reference of a task found by the create's external id, if it is the create's.

        A derived id names its content, so its task is this request's. A caller's id does
        not: a task made before the create was first sent is another request's.

        Raises:
            KlingExternalIdInUse: A caller's id names a task made before `since`.
        """
        made = found.created_at
        if not prepared.derived_id and since is not None and made and made < since - _CLOCK_SKEW:
            raise KlingExternalIdInUse(
                prepared.external_task_id,
                found.task_id,
                endpoint=prepared.endpoint.name,
                known_other=False,
            )
        self._log_found(prepared.endpoint, found)
        return self._reference(prepared.endpoint, found)

    @staticmethod
    def _foreign_duplicate(prepared: PreparedCreate, error: KlingError, maybe_sent: bool) -> bool:
        """Whether Kling refused a caller's id for a task no attempt of this create made."""
        return is_duplicate_external_id(error) and not (maybe_sent or prepared.derived_id)

    def _reconciled(
        self,
        prepared: PreparedCreate,
        error: KlingError,
        found: KlingTask | None,
        maybe_sent: bool,
    ) -> TaskReference | None:
        """What the lookup after a failed create says: the create's task, or none.

        Raises:
            KlingExternalIdInUse: The task found (or refused as a duplicate) is not this
                create's.
        """
        if self._foreign_duplicate(prepared, error, maybe_sent):
            raise KlingExternalIdInUse(
                prepared.external_task_id,
                found.task_id if found else None,
                endpoint=prepared.endpoint.name,
                known_other=False,
            )
        if found is None:
            return None
        since = None if is_duplicate_external_id(error) else prepared.started_at
        return self._own_task(prepared, found, since)

    def _create_action(self, error: KlingError, attempt: int) -> CreateAction:
        if is_duplicate_external_id(error):
            return CreateAction.RECONCILE
        return self.retry_policy.create_action(error, attempt)

    def _may_resend(self, error: KlingError, attempt: int) -> bool:
        return attempt < self.retry_policy.max_attempts and not is_duplicate_external_id(error)

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
    def _log_found(endpoint: Endpoint, task: KlingTask) -> None:
        logger.info("%s task %s found by its external id", endpoint.name, task.task_id)

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
            f"exists after scanning {LOOKUP_MAX_PAGES} pages; nothing was created again"
        )


def _name(endpoint: Endpoint | str) -> str:
    return endpoint if isinstance(endpoint, str) else endpoint.name


def chunks(ids: Sequence[str], size: int = MAX_IDS_PER_QUERY) -> list[list[str]]:
    """Task ids in groups of at most `size`, one query each.

    Examples:
        >>> chunks(["a", "b", "c"], size=2)
        [['a', 'b'], ['c']]
    """
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def is_duplicate_external_id(error: BaseException) -> bool:
    """Whether Kling refused a create because its external id was used before."""
    return isinstance(error, KlingInvalidRequest) and "external" in error.message.lower()


def lookup_since(prepared: PreparedCreate, error: KlingError) -> datetime | None:
    """How far back a reconciling lookup scans: to this create's first sending.

    A duplicate-id refusal names a task made before it, maybe by a run days ago: no limit.
    """
    return None if is_duplicate_external_id(error) else prepared.started_at


def transport_error(error: httpx.HTTPError, request: str, endpoint: str | None) -> KlingError:
    """The typed error of a request that did not complete, or of an answer httpx refused."""
    if isinstance(error, httpx.TransportError):
        never_sent = isinstance(
            error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
        )
        detail = str(error) or type(error).__name__
        return KlingTransportError(
            f"{request}: {type(error).__name__}: {detail}", endpoint=endpoint, sent=not never_sent
        )
    return KlingUnexpectedResponse(f"{request}: {error}", endpoint=endpoint)
