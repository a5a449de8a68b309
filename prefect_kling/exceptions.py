"""Every error prefect-kling raises, as one tree.

```
KlingError
├── KlingValidationError          bad input, refused before anything was sent (also a ValueError)
│   ├── KlingImageError           a local image breaks a Kling rule (format, size, sides, aspect)
│   └── KlingExternalIdInUse      the caller's external_task_id names another request's task
├── KlingConfigurationError       credentials or settings that cannot work (also a ValueError)
├── KlingAPIError                 Kling (or a gateway) answered with an error
│   ├── KlingAuthError            1000-1004: keys or token refused
│   ├── KlingAccountError         1100-1102: account locked, in arrears, or out of units
│   │   └── KlingInsufficientBalance   1102: resource pack used up or expired
│   ├── KlingPermissionError      1103: no access to this API or model
│   ├── KlingInvalidRequest       1200, 1201: parameters refused (the message says which)
│   ├── KlingNotFound             1202, 1203: method or resource (task, model) does not exist
│   ├── KlingPolicyError          1300: platform policy
│   ├── KlingContentRejected      1301: content safety refused the prompt or image
│   ├── KlingRateLimited          1302: requests too fast (transient)
│   │   └── KlingConcurrencyLimited   1303: too many tasks in flight for the pack (transient)
│   ├── KlingIPNotAllowed         1304: IP allow-list policy
│   ├── KlingServerError          5000-5002 and unknown 5xx (transient)
│   ├── KlingGatewayError         a gateway's own error shape (CometAPI's {"error": {...}})
│   └── KlingUnexpectedResponse   not Kling's JSON envelope: an HTML page, a redirect, garbage
├── KlingTransportError           the request did not complete: refused, dropped, timed out
│   └── KlingDownloadError        a result download broke or came short (retried)
├── KlingResultExpired            a result link answered 403/404/410: expired or never there
├── KlingTaskFailed               the task ended with status "failed"
├── KlingTaskTimedOut             the wait ran out of time; the task may still finish
└── KlingBudgetExceeded           a create would go over the run's unit budget
```

Every `KlingAPIError` carries the HTTP status, Kling's business code, its message, the
`request_id` and, where known, the task id and the endpoint, so that a log line or an alert
has everything support needs. None of them ever holds a key or a token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect_kling.models.kling_task import KlingTask, TaskReference


class KlingError(Exception):
    """Base class of every error raised by prefect-kling."""


@dataclass(frozen=True)
class FieldProblem:
    """One refused field: where it is, and what is wrong with it.

    Attributes:
        field: Dotted path of the field, e.g. `camera_control.config`.
        message: What is wrong and what is allowed.
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class KlingValidationError(KlingError, ValueError):
    """A request was refused before anything was sent.

    Attributes:
        problems: Every refused field with its reason.
        endpoint: The endpoint the request was meant for, when known.
    """

    def __init__(self, problems: Sequence[FieldProblem], *, endpoint: str | None = None):
        self.problems = tuple(problems)
        self.endpoint = endpoint
        super().__init__(self._render())

    @classmethod
    def single(
        cls, field: str, message: str, *, endpoint: str | None = None
    ) -> KlingValidationError:
        """Build the error for one refused field.

        Examples:
            >>> str(KlingValidationError.single("mode", "'fast' is not allowed; allowed: std, pro"))
            "Invalid request: mode: 'fast' is not allowed; allowed: std, pro"
        """
        return cls([FieldProblem(field, message)], endpoint=endpoint)

    @property
    def fields(self) -> list[str]:
        """The refused fields, in order."""
        return [problem.field for problem in self.problems]

    def _render(self) -> str:
        where = f" for {self.endpoint}" if self.endpoint else ""
        if len(self.problems) == 1:
            return f"Invalid request{where}: {self.problems[0]}"
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        return f"Invalid request{where} ({len(self.problems)} problems):\n{lines}"


class KlingImageError(KlingValidationError):
    """A local image breaks one of Kling's rules for input images."""


class KlingExternalIdInUse(KlingValidationError):
    """The request's own `external_task_id` already names a task made for another request.

    Raised before sending where the package knows the id was used for other content, and
    when Kling refuses the id as a duplicate of a task this create did not make (nothing
    is made then either). The task is never taken as this request's.

    Attributes:
        external_task_id: The id.
        task_id: The task the id names, when known.
        known_other: True when the package knows the id was sent with other content;
            False when Kling has a task under it that this create did not make.
    """

    def __init__(
        self,
        external_task_id: str,
        task_id: str | None,
        *,
        endpoint: str | None = None,
        known_other: bool = True,
    ):
        self.external_task_id = external_task_id
        self.task_id = task_id
        self.known_other = known_other
        shown = repr(external_task_id[:80])
        if known_other:
            task = f", Kling task {task_id}" if task_id else ""
            said = f"{shown} was sent before with another request{task}"
        else:
            task = f"Kling task {task_id}" if task_id else "a Kling task"
            said = f"{shown} already names {task} this create did not make (maybe another's)"
        resume = (
            f"; resume that task with `prefect-kling wait {endpoint} {task_id}`"
            if task_id and endpoint
            else ""
        )
        message = (
            f"{said}; allowed: an id not used before, or none (one is derived from the "
            f"content){resume}"
        )
        super().__init__([FieldProblem("external_task_id", message)], endpoint=endpoint)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_in_use,
            (self.external_task_id, self.task_id, self.endpoint, self.known_other),
        )


def _rebuild_in_use(
    external_task_id: str, task_id: str | None, endpoint: str | None, known_other: bool
) -> KlingExternalIdInUse:
    return KlingExternalIdInUse(
        external_task_id, task_id, endpoint=endpoint, known_other=known_other
    )


class KlingConfigurationError(KlingError, ValueError):
    """Credentials or settings that cannot work, such as a missing key."""


class KlingAPIError(KlingError):
    """Kling, or a gateway in front of it, answered with an error.

    Attributes:
        status_code: HTTP status of the answer.
        code: Kling's business code (e.g. 1303), or None when the answer had none.
        message: The server's message.
        request_id: The server's request id, for support.
        task_id: The task concerned, when known.
        endpoint: The endpoint name (e.g. `text2video`), when known.
        retry_after: Seconds the server asked to wait (`Retry-After`), when it said.
    """

    transient: bool = False
    """Whether repeating the same request later may succeed."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: int | None = None,
        request_id: str | None = None,
        task_id: str | None = None,
        endpoint: str | None = None,
        retry_after: float | None = None,
    ):
        self.message = message
        self.retry_after = retry_after
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.task_id = task_id
        self.endpoint = endpoint
        super().__init__(message)

    def __str__(self) -> str:
        head = f"Kling error {self.code}" if self.code is not None else "Kling error"
        details = [
            f"{name} {value}"
            for name, value in (
                ("HTTP", self.status_code),
                ("endpoint", self.endpoint),
                ("task", self.task_id),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        suffix = f" ({', '.join(details)})" if details else ""
        return f"{head}: {self.message}{suffix}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments are lost by the default pickling, and Prefect pickles
        # exceptions into failed task states.
        return (_rebuild_api_error, (type(self), self.message, self._context()))

    def _context(self) -> dict[str, Any]:
        return {
            "status_code": self.status_code,
            "code": self.code,
            "request_id": self.request_id,
            "task_id": self.task_id,
            "endpoint": self.endpoint,
            "retry_after": self.retry_after,
        }


def _rebuild_api_error(
    cls: type[KlingAPIError], message: str, context: dict[str, Any]
) -> KlingAPIError:
    return cls(message, **context)


class KlingAuthError(KlingAPIError):
    """1000-1004: the keys or the token were refused. Check the credentials."""


class KlingAccountError(KlingAPIError):
    """1100-1102: the account cannot create tasks now (locked, in arrears, out of units)."""


class KlingInsufficientBalance(KlingAccountError):
    """1102: the resource pack is used up or expired. Retrying does not help."""


class KlingPermissionError(KlingAPIError):
    """1103: the account has no permission for this API or model."""


class KlingInvalidRequest(KlingAPIError):
    """1200, 1201: Kling refused the parameters; its message names the problem."""


class KlingNotFound(KlingAPIError):
    """1202, 1203: the method or resource (a task id, a model) does not exist."""


class KlingPolicyError(KlingAPIError):
    """1300: refused by the platform's policy."""


class KlingContentRejected(KlingAPIError):
    """1301: content safety refused the prompt or an image."""


class KlingRateLimited(KlingAPIError):
    """1302: requests are arriving too fast. Retried with backoff."""

    transient = True


class KlingConcurrencyLimited(KlingRateLimited):
    """1303: more tasks in flight than the resource pack allows. Retried with backoff."""


class KlingIPNotAllowed(KlingAPIError):
    """1304: the caller's IP address is not on the account's allow-list."""


class KlingServerError(KlingAPIError):
    """5000-5002 or an unexplained 5xx: Kling failed or is in maintenance. Retried.

    On a create call a task may have been made all the same (unless 5001, maintenance);
    the client looks it up by its external task id before sending the create again.
    """

    transient = True


class KlingGatewayError(KlingAPIError):
    """A gateway (CometAPI) refused the call with its own error shape.

    Attributes:
        error_type: The gateway's error type, e.g. `comet_api_error`.
    """

    def __init__(self, message: str, *, error_type: str | None = None, **context: Any):
        self.error_type = error_type
        super().__init__(message, **context)
        self.transient = self.status_code is not None and self.status_code >= 500

    def __reduce__(self) -> tuple[Any, ...]:
        context = {**self._context(), "error_type": self.error_type}
        return (_rebuild_api_error, (type(self), self.message, context))


class KlingUnexpectedResponse(KlingAPIError):
    """The answer was not Kling's JSON envelope (an HTML error page, a redirect, bad JSON).

    Transient (retried, and a create looked up) when the same call may succeed: a 5xx, 408
    or 429, or a success status whose body is not the envelope (garbled on its way, say by
    a proxy). A redirect or a 4xx page points at a wrong URL and is not repeated.
    """

    def __init__(self, message: str, **context: Any):
        super().__init__(message, **context)
        status = self.status_code
        self.transient = (
            status is None or 200 <= status < 300 or status >= 500 or status in (408, 429)
        )


class KlingTransportError(KlingError):
    """The request did not complete: connection refused or dropped, or a timeout.

    Attributes:
        endpoint: The endpoint concerned, when known.
        sent: Whether the request may have reached the server (for example a read
            timeout, as opposed to a refused connection).
    """

    transient = True

    def __init__(self, message: str, *, endpoint: str | None = None, sent: bool = True):
        self.endpoint = endpoint
        self.sent = sent
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_transport_error, (type(self), str(self), self.endpoint, self.sent))


class KlingDownloadError(KlingTransportError):
    """A result file's transfer broke, came short, or met a 5xx; retried from scratch."""


class KlingResultExpired(KlingError):
    """A result link answered 403, 404 or 410: expired (after 30 days at Kling) or wrong.

    Attributes:
        url: The link, without its query string (signed links carry a signature there).
    """

    def __init__(self, message: str, *, url: str):
        self.url = url
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_expired, (str(self), self.url))


def _rebuild_expired(message: str, url: str) -> KlingResultExpired:
    return KlingResultExpired(message, url=url)


def _rebuild_transport_error(
    cls: type[KlingTransportError], message: str, endpoint: str | None, sent: bool
) -> KlingTransportError:
    return cls(message, endpoint=endpoint, sent=sent)


class KlingTaskFailed(KlingError):
    """The task finished with status `failed`.

    Attributes:
        task: The finished task as Kling reported it.
        reference: The reference of the task (id, external id, endpoint, provider).
        status_message: Kling's `task_status_msg`, the reason for the failure.
    """

    def __init__(self, task: KlingTask, reference: TaskReference | None = None):
        self.task = task
        self.reference = reference
        self.status_message = task.task_status_msg or "no reason given"
        endpoint = f" ({reference.endpoint})" if reference else ""
        super().__init__(f"Kling task {task.task_id}{endpoint} failed: {self.status_message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.task, self.reference))


class KlingTaskTimedOut(KlingError):
    """The wait ended before the task did. The task goes on (and is charged); resume it later.

    Attributes:
        reference: What a later run needs to resume waiting (id, external id, endpoint).
        last_status: The last status seen.
        waited_seconds: How long the wait lasted.
    """

    def __init__(self, reference: TaskReference, last_status: str, waited_seconds: float):
        self.reference = reference
        self.last_status = last_status
        self.waited_seconds = waited_seconds
        super().__init__(
            f"Kling task {reference.task_id} ({reference.endpoint}) still {last_status} after "
            f"{waited_seconds:.0f} s; it keeps running and is charged. Resume it with "
            f"`prefect-kling wait {reference.endpoint} {reference.task_id}`."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reference, self.last_status, self.waited_seconds))


class KlingBudgetExceeded(KlingError):
    """No further create is sent because the run's unit budget would be exceeded."""
