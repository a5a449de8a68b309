"""What the flows take from their caller, resolved and checked before anything is sent.

Credentials come as a block, a saved block's name, or nothing (the `KLING_*` variables);
results go to a local folder, a Prefect writable filesystem block or any `Destination`;
waits are positive numbers of seconds; a callback URL is an http(s) URL, tagged with the
endpoint to query.

Examples:
    >>> with_callback({"prompt": "a fox"}, "https://hooks.example/kling/callbacks/t", "text2video")
    {'prompt': 'a fox', 'callback_url': 'https://hooks.example/kling/callbacks/t?endpoint=text2video'}
"""

from __future__ import annotations

import os
from typing import Any

from prefect.filesystems import WritableFileSystem

from prefect_kling._checks import require_positive
from prefect_kling._urls import is_http_url
from prefect_kling.callbacks import with_endpoint
from prefect_kling.credentials import KlingCredentials
from prefect_kling.downloads import Destination
from prefect_kling.exceptions import KlingValidationError

DEFAULT_OUTPUT = "kling-output"
"""Where results are saved when no output is given."""

Credentials = KlingCredentials | str | None
"""A block, the name of a saved block, or None for `KlingCredentials.from_env()`."""
Output = str | os.PathLike[str] | WritableFileSystem | Destination
"""A local folder, a Prefect writable filesystem block, or a `Destination` of your own."""


def resolve_credentials(credentials: Credentials) -> KlingCredentials:
    """A credentials block from a block, a saved block's name, or the environment."""
    if isinstance(credentials, KlingCredentials):
        return credentials
    if isinstance(credentials, str):
        return KlingCredentials.load(credentials)
    return KlingCredentials.from_env()


def destination(output: Output) -> str | WritableFileSystem | Destination:
    """The output as the downloads take it: a block or destination, or a folder path as text."""
    return output if isinstance(output, WritableFileSystem | Destination) else str(output)


def check_waiting(**seconds: float) -> None:
    """Refuse waits that are not a positive number of seconds, before anything is sent.

    Raises:
        KlingValidationError: A wait is no number above 0; the message names it.
    """
    for name, value in seconds.items():
        require_positive(name, value, "seconds")


def resolve_callback_url(argument: str | None, credentials: KlingCredentials) -> str | None:
    """The receiver URL the flow gives Kling: its argument, else the credentials block's.

    Raises:
        KlingValidationError: The argument is not an http(s) URL with a host.
    """
    if argument:
        if not is_http_url(argument):
            raise KlingValidationError.single(
                "callback_url", "not a URL; allowed: an http:// or https:// URL with a host"
            )
        return argument
    return credentials.callback_url.get_secret_value() if credentials.callback_url else None


def with_callback(request: dict[str, Any], url: str | None, endpoint: str) -> dict[str, Any]:
    """The request carrying the receiver URL, tagged with the endpoint to query."""
    if url is None:
        return request
    return {**request, "callback_url": with_endpoint(url, endpoint)}
