"""The receiver's callback URLs: a secret token in the path, the endpoint in the query.

Naming the endpoint in the URL lets the receiver's events (and a `resume-task` trigger) say
where the task is queried.

Examples:
    >>> url = callback_url("https://hooks.example.com", "s3cret")
    >>> with_endpoint(url, "text2video")
    'https://hooks.example.com/kling/callbacks/s3cret?endpoint=text2video'
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

CALLBACK_PATH = "/kling/callbacks/{token}"
"""The receiver's route; the token is the secret part of the URL."""


def callback_url(base_url: str, token: str, endpoint: str | None = None) -> str:
    """The `callback_url` to give Kling for a receiver at `base_url`.

    Naming the endpoint lets the events (and a `resume-task` trigger) say where to query.

    Examples:
        >>> callback_url("https://hooks.example.com/", "s3cret", "text2video")
        'https://hooks.example.com/kling/callbacks/s3cret?endpoint=text2video'
    """
    url = base_url.rstrip("/") + CALLBACK_PATH.format(token=token)
    return with_endpoint(url, endpoint) if endpoint else url


def with_endpoint(url: str, endpoint: str) -> str:
    """The callback URL with `endpoint=<name>` in its query (replacing any endpoint there).

    Examples:
        >>> with_endpoint("https://hooks.example.com/kling/callbacks/s3cret?x=1", "effects")
        'https://hooks.example.com/kling/callbacks/s3cret?x=1&endpoint=effects'
    """
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "endpoint"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("endpoint", endpoint)])))
