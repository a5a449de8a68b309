"""Authentication as `httpx.Auth`: an API key (Kling's or a gateway's), or Kling's short-lived JWT.

The JWT is cached and minted anew shortly before it expires, so a wait of hours or a batch
of hundreds crosses token lifetimes unnoticed; a 401 answer with 1003/1004 (not yet valid,
expired) mints a new token and repeats the request once. Both pickle (a block that made a
client can go to another process); the JWT auth leaves its cached token behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import httpx
import jwt
from pydantic import SecretStr

_REMINT_CODES = frozenset({1003, 1004})


def _business_code(response: httpx.Response) -> int | None:
    try:
        return int(response.json().get("code"))
    except (ValueError, TypeError, AttributeError):
        return None


class KlingJWTAuth(httpx.Auth):
    """Signs requests with an HS256 JWT minted from an access key and a secret key.

    Args:
        access_key: Kling access key, sent as the token's `iss`.
        secret_key: Kling secret key, used to sign the token; never sent.
        lifetime_seconds: Validity of a token (`exp` = now + lifetime).
        refresh_margin_seconds: Mint a new token when less than this remains.
        not_before_skew_seconds: Back-dating of `nbf`, for clocks running a little ahead.
        clock: Wall clock in seconds (injectable for tests).

    Examples:
        >>> import jwt
        >>> secret = "a-secret-key-of-at-least-32-bytes"
        >>> auth = KlingJWTAuth(SecretStr("ak"), SecretStr(secret), clock=lambda: 1_000_000)
        >>> options = {"verify_exp": False, "verify_nbf": False}
        >>> claims = jwt.decode(auth.token(), secret, algorithms=["HS256"], options=options)
        >>> claims == {"iss": "ak", "exp": 1_001_800, "nbf": 999_995}
        True
    """

    requires_response_body = True

    def __init__(
        self,
        access_key: SecretStr,
        secret_key: SecretStr,
        *,
        lifetime_seconds: int = 1800,
        refresh_margin_seconds: int = 60,
        not_before_skew_seconds: int = 5,
        clock: Callable[[], float] = time.time,
    ):
        self._access_key = access_key
        self._secret_key = secret_key
        self._lifetime = lifetime_seconds
        self._margin = min(refresh_margin_seconds, lifetime_seconds // 2)
        self._skew = not_before_skew_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.minted = 0
        """How many tokens this object has minted (for tests and diagnostics)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(access_key=SecretStr('**********'))"

    def __getstate__(self) -> dict[str, Any]:
        # A lock cannot be pickled, and a live token is not written down: the copy (a
        # credentials block sent to a worker, say) mints its own.
        state = {**self.__dict__, "_token": None, "_expires_at": 0.0}
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def token(self, *, force: bool = False) -> str:
        """The current token, minted anew when missing, near expiry, or forced."""
        with self._lock:
            now = self._clock()
            if force or self._token is None or now >= self._expires_at - self._margin:
                self._expires_at = int(now) + self._lifetime
                claims = {
                    "iss": self._access_key.get_secret_value(),
                    "exp": int(self._expires_at),
                    "nbf": int(now) - self._skew,
                }
                self._token = jwt.encode(
                    claims, self._secret_key.get_secret_value(), algorithm="HS256"
                )
                self.minted += 1
            return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send with the cached token; after a 1003/1004 answer, mint anew and send once more."""
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401 and _business_code(response) in _REMINT_CODES:
            request.headers["Authorization"] = f"Bearer {self.token(force=True)}"
            yield request


class BearerKeyAuth(httpx.Auth):
    """Sends an API key as `Authorization: Bearer <key>`: Kling's own, or a gateway's.

    Kling's API keys are valid for every model and both of its API standards; a gateway such
    as CometAPI takes only its own key this way.

    Examples:
        >>> auth = BearerKeyAuth(SecretStr("k-1"))
        >>> next(auth.auth_flow(httpx.Request("GET", "https://h.test/v1"))).headers["Authorization"]
        'Bearer k-1'
        >>> auth
        BearerKeyAuth(api_key=SecretStr('**********'))
    """

    def __init__(self, api_key: SecretStr):
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_key=SecretStr('**********'))"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the bearer header."""
        request.headers["Authorization"] = f"Bearer {self._api_key.get_secret_value()}"
        yield request
