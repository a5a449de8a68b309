"""Reading Kling's answers: the `{code, message, request_id, data}` envelope and its errors.

Pure functions shared by the sync and async clients. Whatever comes back, an envelope,
CometAPI's own `{"error": {...}}` shape, an HTML page, a redirect or garbage, ends as the
envelope's `data` or as one typed exception from `prefect_kling.exceptions`; never as a
`KeyError` or `JSONDecodeError`. A success status whose body is not the envelope (`200
text/plain`, a cut body) was garbled on its way: it is transient, like a gateway's 502 page.

Examples:
    >>> import httpx
    >>> body = {"code": 1102, "message": "balance not enough", "request_id": "r1"}
    >>> answer = httpx.Response(429, json=body)
    >>> try:
    ...     parse_envelope(answer, endpoint="text2video")
    ... except KlingInsufficientBalance as error:
    ...     print(error)
    Kling error 1102: balance not enough (HTTP 429, endpoint text2video, request_id r1)
"""

from __future__ import annotations

from typing import Any

import httpx

from prefect_kling._retry import parse_retry_after
from prefect_kling.exceptions import (
    KlingAccountError,
    KlingAPIError,
    KlingAuthError,
    KlingConcurrencyLimited,
    KlingContentRejected,
    KlingGatewayError,
    KlingInsufficientBalance,
    KlingInvalidRequest,
    KlingIPNotAllowed,
    KlingNotFound,
    KlingPermissionError,
    KlingPolicyError,
    KlingRateLimited,
    KlingServerError,
    KlingUnexpectedResponse,
)

ERRORS_BY_CODE: dict[int, type[KlingAPIError]] = {
    **dict.fromkeys(range(1000, 1005), KlingAuthError),
    1100: KlingAccountError,
    1101: KlingAccountError,
    1102: KlingInsufficientBalance,
    1103: KlingPermissionError,
    1200: KlingInvalidRequest,
    1201: KlingInvalidRequest,
    1202: KlingNotFound,
    1203: KlingNotFound,
    1300: KlingPolicyError,
    1301: KlingContentRejected,
    1302: KlingRateLimited,
    1303: KlingConcurrencyLimited,
    1304: KlingIPNotAllowed,
    **dict.fromkeys(range(5000, 5003), KlingServerError),
}
"""Kling's business codes (kling-api.md section 7) and the exception each raises."""

_SUCCESS_CODES = frozenset({0, 200})
_SNIPPET_LENGTH = 200


def error_class(code: int | None, status_code: int) -> type[KlingAPIError]:
    """The exception for a business code, or from the HTTP status when the code is unknown.

    Examples:
        >>> error_class(1303, 429).__name__, error_class(None, 503).__name__
        ('KlingConcurrencyLimited', 'KlingServerError')
    """
    if code in ERRORS_BY_CODE:
        return ERRORS_BY_CODE[code]
    if status_code >= 500:
        return KlingServerError
    if status_code == 429:
        return KlingRateLimited
    if status_code == 401:
        return KlingAuthError
    if status_code == 403:
        return KlingPermissionError
    if status_code == 404:
        return KlingNotFound
    return KlingAPIError


def parse_envelope(
    response: httpx.Response, *, endpoint: str | None = None, task_id: str | None = None
) -> Any:
    """The `data` of a successful answer; a typed exception for anything else.

    Args:
        response: The answer, with its body read.
        endpoint: Endpoint name, put on any exception.
        task_id: Task concerned, put on any exception.

    Returns:
        The envelope's `data` (a dict, a list, or None).

    Raises:
        KlingAPIError: One of its subclasses, chosen by Kling's business code.
    """
    context: dict[str, Any] = {
        "status_code": response.status_code,
        "endpoint": endpoint,
        "task_id": task_id,
        "retry_after": parse_retry_after(response.headers.get("retry-after")),
    }
    if response.is_redirect:
        location = response.headers.get("location", "nowhere")
        raise KlingUnexpectedResponse(
            f"redirected to {location}; the base URL or path prefix is probably wrong", **context
        )
    body = _json_object(response)
    if body is None:
        raise KlingUnexpectedResponse(_describe_non_json(response), **context)
    if "code" not in body and "error" in body:
        raise _gateway_error(body["error"], context)
    code = _as_int(body.get("code"))
    message = str(body.get("message") or "no message")
    context["request_id"] = _text(body.get("request_id")) or response.headers.get("x-request-id")
    if code in _SUCCESS_CODES and response.is_success:
        return body.get("data")
    if code is None and response.is_success:
        raise KlingUnexpectedResponse(f"answer without a code: {_snippet(response)}", **context)
    raise error_class(code, response.status_code)(message, code=code, **context)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _gateway_error(error: Any, context: dict[str, Any]) -> KlingGatewayError:
    if isinstance(error, dict):
        message = str(error.get("message") or error.get("code") or "gateway error")
        error_type = _text(error.get("type"))
    else:
        message, error_type = str(error), None
    return KlingGatewayError(message, error_type=error_type, **context)


def _describe_non_json(response: httpx.Response) -> str:
    content_type = response.headers.get("content-type", "no content type").split(";")[0]
    return f"expected Kling's JSON envelope, got {content_type}: {_snippet(response)}"


def _snippet(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    if len(text) > _SNIPPET_LENGTH:
        text = text[:_SNIPPET_LENGTH] + "..."
    return repr(text) if text else "an empty body"


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
