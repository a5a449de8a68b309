"""What the flows take from their caller, resolved and checked before anything is sent.

Credentials come as a block, a saved block's name, or nothing (the `KLING_*` variables);
results go to a local folder, a Prefect writable filesystem block or any `Destination`;
waits are positive numbers of seconds; the callback URL comes from the credentials only
(never from an argument or the request, which Prefect stores), tagged with the endpoint to
query.

Examples:
    >>> with_callback({"prompt": "a fox"}, "https://hooks.example/kling/callbacks/t", "text2video")
    {'prompt': 'a fox', 'callback_url': 'https://hooks.example/kling/callbacks/t?endpoint=text2video'}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from prefect.filesystems import WritableFileSystem

from prefect_kling._checks import require_positive
from prefect_kling._hidden_input import HIDDEN
from prefect_kling._logging import RunAwareLogger
from prefect_kling.callbacks import with_endpoint
from prefect_kling.credentials import KlingCredentials
from prefect_kling.downloads import Destination
from prefect_kling.exceptions import KlingValidationError

logger = RunAwareLogger(__name__)

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


def callback_url_of(credentials: KlingCredentials) -> str | None:
    """The receiver URL the flows give Kling: the credentials block's, if any.

    The flows take it from nowhere else: Prefect stores a run's arguments and request as
    its parameters, where the URL's token would be in plain sight, and a block's secret
    fields only as asterisks.
    """
    return credentials.callback_url.get_secret_value() if credentials.callback_url else None


def with_callback(request: Mapping[str, Any], url: str | None, endpoint: str) -> dict[str, Any]:
    """The request carrying the receiver URL, tagged with the endpoint to query.

    Raises:
        KlingValidationError: The request has a `callback_url` of its own; it is also
            removed from the run's stored parameters.
    """
    if request.get("callback_url") is not None:
        forget_stored_callback_urls()
        raise KlingValidationError.single(
            "callback_url",
            "not taken in a flow's request (Prefect stores a flow's parameters, and the URL "
            "holds your receiver's token); allowed: the credentials' callback_url "
            "(KlingCredentials(callback_url=...), or KLING_CALLBACK_URL), or a create "
            "task's request in a flow of your own",
        )
    if url is None:
        return dict(request)
    return {**request, "callback_url": with_endpoint(url, endpoint)}


def forget_stored_callback_urls() -> None:
    """Hide every `callback_url` in the stored parameters of the current flow run.

    A request refused for its callback URL was stored as a parameter before the flow
    started; this leaves asterisks in its place. Outside a flow run it does nothing, and
    a failure to update the run is logged, not raised.
    """
    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    try:
        with get_client(sync_client=True) as client:
            stored = client.read_flow_run(context.flow_run.id).parameters
            hidden = _without_callback_urls(stored)
            if hidden != stored:
                client.update_flow_run(context.flow_run.id, parameters=hidden)
    except Exception as error:  # the refusal matters more than this clean-up
        logger.warning(
            "Could not hide a callback URL in the run's stored parameters: %s",
            type(error).__name__,
        )


def _without_callback_urls(value: Any) -> Any:
    """`value` with every `callback_url` text in it replaced by asterisks.

    Examples:
        >>> _without_callback_urls({"items": [{"prompt": "a fox", "callback_url": "https://h/t"}]})
        {'items': [{'prompt': 'a fox', 'callback_url': '**********'}]}
    """
    if isinstance(value, dict):
        return {
            key: HIDDEN
            if key == "callback_url" and isinstance(item, str)
            else _without_callback_urls(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_callback_urls(item) for item in value]
    return value
