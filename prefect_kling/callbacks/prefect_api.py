"""The Prefect API a receiver's events go to: named, and answering, before it starts.

Without `PREFECT_API_URL` (in the environment or the active profile), Prefect's events
client starts a private temporary server in a child process: its events are seen by
nobody, no automation or waiting flow reacts to them, and the child outlived the receiver
after SIGTERM. `require_prefect_api` refuses that case, and an API that does not answer.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from prefect_kling.exceptions import KlingConfigurationError

HEALTH_TIMEOUT_SECONDS = 5.0
"""How long the API's health check may take."""


def require_prefect_api(timeout: float = HEALTH_TIMEOUT_SECONDS) -> str:
    """The Prefect API URL the events go to, once it has answered a health check.

    Args:
        timeout: Seconds the health check may take.

    Returns:
        The API URL.

    Raises:
        KlingConfigurationError: `PREFECT_API_URL` is not set, or the API does not answer.
    """
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise KlingConfigurationError(
            "PREFECT_API_URL is not set: the receiver's events would go to a private "
            "temporary Prefect server that nobody sees; set PREFECT_API_URL to your Prefect "
            "server's API (e.g. http://127.0.0.1:4200/api) or log in to Prefect Cloud"
        )
    # Set, the URL is used as is: the client starts no server of its own.
    with get_client(sync_client=True, httpx_settings={"timeout": timeout}) as client:
        failure = client.api_healthcheck()
    if failure is not None:
        detail = str(failure) or type(failure).__name__
        raise KlingConfigurationError(
            f"PREFECT_API_URL={_shown(str(url))} does not answer ({detail}); start the "
            "Prefect server, or set PREFECT_API_URL to one that runs"
        )
    return str(url)


def _shown(url: str) -> str:
    """The URL without any user and password in it.

    Examples:
        >>> _shown("http://me:pw@127.0.0.1:4200/api")
        'http://127.0.0.1:4200/api'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))
