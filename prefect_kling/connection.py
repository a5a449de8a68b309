"""Where and how a client reaches Kling, as plain values.

A `Connection` is what a client needs and nothing more: the provider (limits and spellings
differ), the two URL prefixes, the `httpx.Auth` that signs requests and the time limit of
one request. `KlingCredentials.connection()` builds one from a block; tests and other
callers can build one by hand, with any `httpx.Auth`.

Examples:
    >>> import httpx
    >>> connection = Connection(
    ...     provider=Provider.COMETAPI,
    ...     api_base_url="http://127.0.0.1:8000/kling/v1",
    ...     account_base_url="http://127.0.0.1:8000/kling",
    ...     auth=httpx.BasicAuth("user", "pass"),
    ... )
    >>> connection
    Connection(provider=<Provider.COMETAPI: 'cometapi'>, api_base_url='http://127.0.0.1:8000/kling/v1', account_base_url='http://127.0.0.1:8000/kling', timeout_seconds=60.0, access_keys=False)
"""  # noqa: E501

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from prefect_kling.providers import Provider


@dataclass(frozen=True)
class Connection:
    """The plain values a client is built from.

    Attributes:
        provider: How Kling is reached (official API or a gateway).
        api_base_url: Host and prefix of the generation endpoints, e.g. `https://.../v1`.
        account_base_url: Host and prefix of the account endpoints (no `/v1` at Kling).
        auth: Signs every request (a JWT from access and secret keys, or a bearer key);
            left out of the repr, as it holds the keys.
        timeout_seconds: Time limit of one HTTP request.
        access_keys: Requests are signed with a JWT of access and secret keys, which
            only the legacy `/v1` standard takes: newer-standard models are refused.
    """

    provider: Provider
    api_base_url: str
    account_base_url: str
    auth: httpx.Auth = field(repr=False)
    timeout_seconds: float = 60.0
    access_keys: bool = False
