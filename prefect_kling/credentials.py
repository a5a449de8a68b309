"""The `KlingCredentials` block: which provider, which keys, and clients built from them."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self

import httpx
from prefect.blocks.core import Block
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, ValidationError, model_validator

from prefect_kling._auth import BearerKeyAuth, KlingJWTAuth
from prefect_kling._hidden_input import refusing_quietly
from prefect_kling._urls import base_url_refusal, secret_url_refusal
from prefect_kling.client import AsyncKlingClient, KlingClient
from prefect_kling.connection import Connection
from prefect_kling.exceptions import KlingConfigurationError
from prefect_kling.providers import PRESETS, Provider, Region

if TYPE_CHECKING:
    from prefect_kling.keys_check import KeysCheck

DOCS_URL = "https://prefect-kling.github.io/prefect-kling/"

ENVIRONMENT_VARIABLES = (
    "KLING_PROVIDER",
    "KLING_REGION",
    "KLING_BASE_URL",
    "KLING_API_KEY",
    "KLING_ACCESS_KEY",
    "KLING_SECRET_KEY",
    "KLING_CALLBACK_URL",
    "KLING_CONCURRENCY_KEY",
)

CONCURRENCY_KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"


class KlingCredentials(Block):
    """Credentials for Kling, reached directly (API key or access + secret key) or via a gateway.

    With `api_key`, requests carry it as a bearer key: Kling's own API key (the default
    provider, valid for every model and both of Kling's API standards) or, with
    `provider="cometapi"`, the gateway's. With `access_key` and `secret_key`, every request
    carries a short-lived HS256 JWT minted from them (Kling's official API, legacy `/v1`
    standard only). Given both, the API key is used. `provider` sets the host and path
    prefix; `base_url` replaces the host, for example to point at the embedded simulator.

    The keys and the callback URL are secrets: hidden from the block's repr, from Prefect's
    record of a run that takes the block, and from every refusal (a refused block's
    `ValidationError` holds none of the values it was given). Fields are checked again when
    assigned, and a block that made a client can still be pickled and copied.

    Examples:
        Load stored credentials:
        ```python
        from prefect_kling import KlingCredentials

        kling_credentials = KlingCredentials.load("BLOCK_NAME")
        ```

        Official Kling keys, and CometAPI:
        ```python
        from prefect_kling import KlingCredentials

        official = KlingCredentials(api_key="...")
        legacy = KlingCredentials(access_key="AK...", secret_key="SK...")
        china = KlingCredentials(access_key="AK...", secret_key="SK...", region="china")
        gateway = KlingCredentials(provider="cometapi", api_key="sk-...")
        ```
    """

    _block_type_name = "Kling Credentials"
    # No logo URL: the Prefect UI loads a block's logo from its URL, which an offline or
    # air-gapped server cannot reach (a broken image); without one it shows its block icon.
    # Prefect only takes http(s) URLs here, so the picture cannot travel with the package.
    _logo_url = None
    _documentation_url = f"{DOCS_URL}credentials/"  # type: ignore[assignment]
    _description = (
        "Credentials for Kling's video and image generation API, official keys or a gateway."
    )

    # Pydantic shows a refused model's input in its error: here, keys and tokens (the
    # errors' own inputs are hidden by `refusing_quietly`). A field assigned later is
    # checked, and a secret assigned as text is kept as a `SecretStr`.
    model_config = ConfigDict(hide_input_in_errors=True, validate_assignment=True)

    provider: Provider = Field(
        default=Provider.KLING,
        description=(
            "How Kling is reached: kling (official API: an API key, or access and secret "
            "keys) or cometapi (the gateway's API key)."
        ),
    )
    region: Region = Field(
        default=Region.GLOBAL,
        description="Region of the official API: global (Singapore host) or china (Beijing host).",
    )
    base_url: str | None = Field(
        default=None,
        description="Host to use instead of the provider's, such as the simulator's address.",
        examples=["http://127.0.0.1:8000"],
    )
    access_key: SecretStr | None = Field(
        default=None,
        description=(
            "Kling access key, used with the secret key to mint tokens (legacy /v1 API only)."
        ),
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Kling secret key, used to sign tokens; never sent."
    )
    api_key: SecretStr | None = Field(
        default=None,
        description=(
            "An API key, sent as a bearer token: Kling's own (every model), or the "
            "gateway's with provider cometapi. Used rather than access and secret keys."
        ),
    )
    callback_url: SecretStr | None = Field(
        default=None,
        description=(
            "Your callback receiver's URL, secret token included: the ready-made flows give "
            "it to Kling and wait for its events instead of polling."
        ),
        examples=["https://hooks.example.com/kling/callbacks/<token>"],
    )
    concurrency_key: str | None = Field(
        default=None,
        pattern=CONCURRENCY_KEY_PATTERN,
        description=(
            "Names this account's Prefect concurrency limits (kling-<family>-<key>): blocks "
            "with the same key share their slots. Default: a fingerprint of the key."
        ),
        examples=["studio-account"],
    )
    timeout_seconds: float = Field(
        default=60.0, gt=0, description="Time limit of one HTTP request, in seconds."
    )
    token_lifetime_seconds: int = Field(
        default=1800, ge=60, le=86400, description="Lifetime of each minted token, in seconds."
    )

    _auth: httpx.Auth | None = PrivateAttr(default=None)

    @property
    def account(self) -> str:
        """What names this account's concurrency limits (`kling-video-<account>`, ...).

        `concurrency_key`, or else the first 8 hex digits of a SHA-256 of the provider and
        the key requests are signed with (the API key if given, else the access key): never
        the key itself.

        Examples:
            >>> KlingCredentials(api_key="k", provider="cometapi").account
            '41010315'
            >>> KlingCredentials(api_key="k", concurrency_key="studio").account
            'studio'
        """
        if self.concurrency_key:
            return self.concurrency_key
        key = self.api_key or self.access_key
        seen = f"{self.provider.value}:{key.get_secret_value() if key else ''}"
        return hashlib.sha256(seen.encode()).hexdigest()[:8]

    def __init__(self, *args: Any, **data: Any):
        initialize = super().__init__
        refusing_quietly(lambda: initialize(*args, **data))

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Self:
        """Validate stored values (as `load` does), refusing without showing them."""
        validate = super().model_validate
        return refusing_quietly(lambda: validate(obj, **options))

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **options: Any) -> Self:
        """Validate a JSON document of the fields, refusing without showing them."""
        validate = super().model_validate_json
        return refusing_quietly(lambda: validate(json_data, **options))

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in type(self).model_fields:
            super().__setattr__(name, value)
            return
        before, assign = self.__dict__.get(name), super().__setattr__
        try:
            refusing_quietly(lambda: assign(name, value))
        except ValidationError:
            # Pydantic sets the field before the checks across fields refuse it.
            self.__dict__[name] = before
            raise
        self._auth = None  # new keys (or settings) sign the next client's requests

    @model_validator(mode="after")
    def _one_complete_way_in(self) -> KlingCredentials:
        if (self.access_key is None) != (self.secret_key is None):
            missing = "secret_key" if self.secret_key is None else "access_key"
            raise KlingConfigurationError(
                f"{missing} is missing: access_key and secret_key are used together"
            )
        if self.base_url is not None and (refusal := base_url_refusal("base_url", self.base_url)):
            raise KlingConfigurationError(refusal)
        if self.callback_url is not None and (
            refusal := secret_url_refusal("callback_url", self.callback_url.get_secret_value())
        ):
            raise KlingConfigurationError(refusal)
        return self

    def with_callback_url(self, url: str | SecretStr | None) -> KlingCredentials:
        """A copy of these credentials with another callback URL (None: no callbacks).

        The ready-made flows take the receiver's URL from their credentials only, so that
        its token is kept as a secret, never as a run parameter; this is how the command
        line's `--callback-url` reaches them.

        Args:
            url: Your receiver's URL, secret token included.

        Raises:
            KlingConfigurationError: `url` is not an http(s) URL with a host (the message
                says why, without the URL).

        Examples:
            >>> creds = KlingCredentials(api_key="k")
            >>> creds.with_callback_url("https://hooks.example.com/kling/callbacks/t0k").callback_url
            SecretStr('**********')
        """
        text = url.get_secret_value() if isinstance(url, SecretStr) else url
        if text is not None and (refusal := secret_url_refusal("callback_url", text)):
            raise KlingConfigurationError(refusal)
        copy = self.model_copy()
        copy.callback_url = text  # type: ignore[assignment] - validated into a SecretStr
        return copy

    @property
    def uses_jwt(self) -> bool:
        """Whether requests are signed with a JWT: access and secret keys, and no API key.

        Examples:
            >>> KlingCredentials(api_key="k").uses_jwt
            False
            >>> KlingCredentials(access_key="ak", secret_key="sk").uses_jwt
            True
        """
        return self.api_key is None and self.access_key is not None

    @property
    def api_base_url(self) -> str:
        """Host and path prefix of the generation endpoints, e.g. `https://.../v1`."""
        return self.host + PRESETS[self.provider].prefix

    @property
    def account_base_url(self) -> str:
        """Host and path prefix of the account endpoints."""
        return self.host + PRESETS[self.provider].account_prefix

    @property
    def host(self) -> str:
        """The host requests go to."""
        return (self.base_url or PRESETS[self.provider].base_url(self.region)).rstrip("/")

    def auth(self) -> httpx.Auth:
        """The `httpx.Auth` for these credentials, shared by every client built from them.

        The API key when one is given (a bearer key, valid for every model on Kling and the
        only key a gateway takes), else a JWT minted from the access and secret keys.

        Raises:
            KlingConfigurationError: No keys were given, or a gateway was given access and
                secret keys instead of its API key.
        """
        if self._auth is None:
            if self.api_key is not None:
                self._auth = BearerKeyAuth(self.api_key)
            elif not PRESETS[self.provider].accepts_access_keys:
                raise KlingConfigurationError(
                    f"api_key is missing: provider {self.provider.value} takes its own API "
                    "key (access_key and secret_key are Kling's, for provider kling)"
                )
            elif self.access_key is not None and self.secret_key is not None:
                self._auth = KlingJWTAuth(
                    self.access_key,
                    self.secret_key,
                    lifetime_seconds=self.token_lifetime_seconds,
                )
            else:
                raise KlingConfigurationError(
                    "no keys: give api_key (Kling's API key, or a gateway's with provider "
                    "cometapi) or access_key and secret_key (Kling's legacy /v1 API)"
                )
        return self._auth

    def connection(self) -> Connection:
        """The plain values a client is built from: provider, base URLs, auth, timeout.

        Raises:
            KlingConfigurationError: No keys were given.
        """
        return Connection(
            provider=self.provider,
            api_base_url=self.api_base_url,
            account_base_url=self.account_base_url,
            auth=self.auth(),
            timeout_seconds=self.timeout_seconds,
            access_keys=self.uses_jwt,
        )

    def get_client(self, **options: Any) -> KlingClient:
        """A synchronous client; use it as a context manager.

        Args:
            **options: Passed to `KlingClient` (e.g. `retry_policy`, `transport`, `sleep`).
        """
        return KlingClient(self.connection(), **options)

    def get_async_client(self, **options: Any) -> AsyncKlingClient:
        """An asynchronous client; use it as an async context manager.

        Args:
            **options: Passed to `AsyncKlingClient` (e.g. `retry_policy`, `transport`).
        """
        return AsyncKlingClient(self.connection(), **options)

    def check(self) -> KeysCheck:
        """Verify the keys with a free call; never creates (or pays for) a task.

        On Kling's official API this reads the account's resource packs; on a gateway, which
        has no packs, one list query.

        Returns:
            Where the keys were accepted and the resource packs (official API); `str()` of
            it is a readable summary, e.g. `print(credentials.check())`.

        Raises:
            KlingAuthError: The keys were refused.
            KlingGatewayError: The gateway refused the key.
        """
        from prefect_kling.endpoints import ACCOUNT_COSTS
        from prefect_kling.keys_check import KeysCheck

        costs = None
        with self.get_client() as client:
            if ACCOUNT_COSTS.supports(self.provider):
                costs = client.account_costs()
            else:
                client.list_tasks("text2video", page_size=1)
        return KeysCheck(self.provider.value, self.api_base_url, self.account, costs)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KlingCredentials:
        """Credentials from `KLING_*` environment variables.

        `KLING_PROVIDER` (kling or cometapi) defaults to kling, Kling's official API: a
        gateway is used only when named. The keys are `KLING_API_KEY` (Kling's API key, sent
        as a bearer key, valid for every model; or the gateway's, with
        `KLING_PROVIDER=cometapi`) or `KLING_ACCESS_KEY` with `KLING_SECRET_KEY` (Kling's
        legacy `/v1` API only, signed as JWTs). When both kinds are set, the API key is used
        and the access and secret keys are left out (they must still come as a pair).
        `KLING_REGION`, `KLING_BASE_URL`, `KLING_CALLBACK_URL` and `KLING_CONCURRENCY_KEY` are
        optional.

        Args:
            environ: Variables to read instead of `os.environ`.

        Raises:
            KlingConfigurationError: A needed variable is missing or invalid; the message
                names it (and shows no key, token or password).

        Examples:
            >>> KlingCredentials.from_env({"KLING_API_KEY": "k"}).api_base_url
            'https://api-singapore.klingai.com/v1'
            >>> env = {"KLING_PROVIDER": "cometapi", "KLING_API_KEY": "k"}
            >>> creds = KlingCredentials.from_env(env)
            >>> creds.api_base_url
            'https://api.cometapi.com/kling/v1'
        """
        env = os.environ if environ is None else environ
        values = {name: env.get(name, "").strip() for name in ENVIRONMENT_VARIABLES}
        for name, refusal_of in (
            ("KLING_BASE_URL", base_url_refusal),
            ("KLING_CALLBACK_URL", secret_url_refusal),
        ):
            if values[name] and (refusal := refusal_of(name, values[name])):
                raise KlingConfigurationError(refusal)
        provider = _choice(
            Provider, "KLING_PROVIDER", values["KLING_PROVIDER"] or Provider.KLING.value
        )
        region = _choice(Region, "KLING_REGION", values["KLING_REGION"] or Region.GLOBAL.value)
        keys = _keys_from(values, provider)
        concurrency_key = values["KLING_CONCURRENCY_KEY"] or None
        if concurrency_key and not re.match(CONCURRENCY_KEY_PATTERN, concurrency_key):
            raise KlingConfigurationError(
                f"KLING_CONCURRENCY_KEY={concurrency_key!r} is not allowed; allowed: up to 40 "
                "lowercase letters, digits and dashes"
            )
        return cls(
            provider=provider,
            region=region,
            base_url=values["KLING_BASE_URL"] or None,
            callback_url=values["KLING_CALLBACK_URL"] or None,
            concurrency_key=concurrency_key,
            **keys,
        )


def _keys_from(values: Mapping[str, str], provider: Provider) -> dict[str, str]:
    """The block's key fields from the variables: the API key if set, else the key pair.

    Raises:
        KlingConfigurationError: Half a key pair, no key, or only Kling's key pair for a
            gateway; the message names the variables (never their values).
    """
    pair = ("KLING_ACCESS_KEY", "KLING_SECRET_KEY")
    if values["KLING_ACCESS_KEY"] or values["KLING_SECRET_KEY"]:
        for name in pair:
            if not values[name]:
                raise KlingConfigurationError(
                    f"{name} is not set; KLING_ACCESS_KEY and KLING_SECRET_KEY go together"
                )
    if values["KLING_API_KEY"]:
        return {"api_key": values["KLING_API_KEY"]}
    if not PRESETS[provider].accepts_access_keys:
        given = "; KLING_ACCESS_KEY and KLING_SECRET_KEY are Kling's own keys"
        raise KlingConfigurationError(
            f"KLING_API_KEY is not set (needed for KLING_PROVIDER={provider.value}"
            f"{given if values['KLING_ACCESS_KEY'] else ''})"
        )
    if values["KLING_ACCESS_KEY"]:
        return {"access_key": values["KLING_ACCESS_KEY"], "secret_key": values["KLING_SECRET_KEY"]}
    raise KlingConfigurationError(
        "KLING_API_KEY is not set: set KLING_API_KEY (Kling's API key; with "
        "KLING_PROVIDER=cometapi, the gateway's), or KLING_ACCESS_KEY and KLING_SECRET_KEY "
        "(Kling's legacy /v1 API only)"
    )


def _choice(kind: type[Provider] | type[Region], variable: str, value: str) -> Any:
    try:
        return kind(value.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise KlingConfigurationError(
            f"{variable}={value!r} is not allowed; allowed: {allowed}"
        ) from None
