"""Checking credentials: Kling's API key or JWT on `/v1`, a gateway's bearer key on `/kling/v1`.

Kling's official API takes an API key as `Authorization: Bearer <key>` (every model) or a
JWT minted from an access key and a secret key (legacy standard only). The newer standard
(`/<product>/<model>`, `/tasks`) takes the API key only: a JWT there answers 401/1002.
JWTs are checked against the real wall clock (not the simulator's advanced clock), because
clients mint them from their own clock.

Examples:
    >>> import time, jwt
    >>> now = int(time.time())
    >>> token = jwt.encode({"iss": "ak", "exp": now + 60, "nbf": now - 5}, "s" * 32)
    >>> check_jwt(f"Bearer {token}", access_key="ak", secret_key="s" * 32) is None
    True
    >>> check_jwt(None, access_key="ak", secret_key="s" * 32).code
    1001
    >>> keys = {"api_key": "sk-1", "access_key": "ak", "secret_key": "s" * 32}
    >>> check_official("Bearer sk-1", **keys) is None
    True
    >>> check_official("Bearer sk-2", **keys).code
    1000
    >>> check_api_key(f"Bearer {token}", api_key="sk-1").code, credential_kind(f"Bearer {token}")
    (1002, 'jwt')
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import jwt


@dataclass(frozen=True)
class AuthFailure:
    """Why a request was not authenticated.

    Attributes:
        code: Kling's business code (1001 header empty, 1002 invalid, 1003 not yet
            valid, 1004 expired).
        message: What was wrong.
    """

    code: int
    message: str


def _bearer_token(authorization: str | None) -> str | None:
    """The token of a `Bearer` header, `""` for another scheme, `None` if empty."""
    if authorization is None or not authorization.strip():
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def check_jwt(
    authorization: str | None,
    *,
    access_key: str,
    secret_key: str,
    leeway: float = 5.0,
) -> AuthFailure | None:
    """Check an official-API `Authorization` header.

    Args:
        authorization: The header's value, if any.
        access_key: The expected issuer (`iss`).
        secret_key: The HS256 signing key.
        leeway: Seconds of clock skew allowed on `exp` and `nbf`.

    Returns:
        `None` when the token is valid, else the failure to answer with.
    """
    token = _bearer_token(authorization)
    if token is None:
        return AuthFailure(1001, "Authorization header is empty")
    if not token:
        return AuthFailure(1002, "Authorization header is invalid: expected 'Bearer <token>'")
    try:
        jwt.decode(
            token,
            secret_key,
            algorithms=["HS256"],
            issuer=access_key,
            leeway=leeway,
            options={"require": ["iss", "exp"]},
        )
    except jwt.ImmatureSignatureError:
        return AuthFailure(1003, "Authorization token is not yet valid (nbf is in the future)")
    except jwt.ExpiredSignatureError:
        return AuthFailure(1004, "Authorization token has expired")
    except jwt.InvalidIssuerError:
        return AuthFailure(1002, "Authorization token is invalid: unknown access key (iss)")
    except jwt.InvalidTokenError as exc:
        return AuthFailure(1002, f"Authorization token is invalid: {exc}")
    return None


def _is_key(token: str, api_key: str) -> bool:
    """Whether `token` is `api_key`, compared in constant time."""
    return bool(token) and hmac.compare_digest(token.encode(), api_key.encode())


def _looks_like_jwt(token: str) -> bool:
    """Whether a token has a JWT's shape: three dot-separated parts."""
    return token.count(".") == 2


def check_official(
    authorization: str | None,
    *,
    api_key: str,
    access_key: str,
    secret_key: str,
    leeway: float = 5.0,
) -> AuthFailure | None:
    """Check an official-API `Authorization` header: the API key, or else a JWT.

    A bearer token shaped like a JWT is checked as one (so an expired token still answers
    1004, and a client mints anew); any other token must be the API key. Kling's error table
    gives 401 with 1000 to 1002 for authentication failures without saying which a wrong
    API key gets: the simulator answers 1000 ("Authentication failed").

    Args:
        authorization: The header's value, if any.
        api_key: The accepted API key.
        access_key: The expected JWT issuer (`iss`).
        secret_key: The JWT's HS256 signing key.
        leeway: Seconds of clock skew allowed on a JWT's `exp` and `nbf`.

    Returns:
        `None` when the key or token is valid, else the failure to answer with.
    """
    token = _bearer_token(authorization)
    if token and _is_key(token, api_key):
        return None
    if token and not _looks_like_jwt(token):
        return AuthFailure(1000, "Authentication failed: the API key is not valid")
    return check_jwt(authorization, access_key=access_key, secret_key=secret_key, leeway=leeway)


JWT_ON_NEW_STANDARD = (
    "Authorization is invalid: this API takes an API key only (Authorization: Bearer "
    "<API key>); tokens made from an access key and a secret key work on the legacy /v1 API"
)


def check_api_key(authorization: str | None, *, api_key: str) -> AuthFailure | None:
    """Check a newer-standard `Authorization` header: the API key, and nothing else.

    Args:
        authorization: The header's value, if any.
        api_key: The accepted API key.

    Returns:
        `None` for the API key; 1001 for no header, 1002 for another scheme or a JWT
        (however valid on `/v1`), 1000 for another key.
    """
    token = _bearer_token(authorization)
    if token is None:
        return AuthFailure(1001, "Authorization header is empty")
    if not token:
        return AuthFailure(1002, "Authorization header is invalid: expected 'Bearer <API key>'")
    if _is_key(token, api_key):
        return None
    if _looks_like_jwt(token):
        return AuthFailure(1002, JWT_ON_NEW_STANDARD)
    return AuthFailure(1000, "Authentication failed: the API key is not valid")


def credential_kind(authorization: str | None) -> str | None:
    """What an `Authorization` header presents: `"jwt"`, `"bearer"` (a key) or `None`."""
    token = _bearer_token(authorization)
    if not token:
        return None
    return "jwt" if _looks_like_jwt(token) else "bearer"


def check_bearer(authorization: str | None, *, api_key: str) -> bool:
    """Whether a gateway `Authorization` header carries the expected API key."""
    token = _bearer_token(authorization)
    return bool(token) and _is_key(token, api_key)
