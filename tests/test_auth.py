import httpx
import jwt
import pytest
from pydantic import SecretStr

from prefect_kling._auth import BearerKeyAuth, KlingJWTAuth
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def jwt_auth(clock: FakeClock, **options) -> KlingJWTAuth:
    return KlingJWTAuth(SecretStr(ACCESS_KEY), SecretStr(SECRET_KEY), clock=clock, **options)


def claims_of(token: str) -> dict:
    return jwt.decode(
        token, SECRET_KEY, algorithms=["HS256"], options={"verify_exp": False, "verify_nbf": False}
    )


def test_token_has_kling_claims_and_hs256_header():
    clock = FakeClock()
    token = jwt_auth(clock).token()
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    assert claims_of(token) == {
        "iss": ACCESS_KEY,
        "exp": int(clock.now) + 1800,
        "nbf": int(clock.now) - 5,
    }


def test_token_is_cached_until_close_to_expiry_then_minted_anew():
    clock = FakeClock()
    auth = jwt_auth(clock, lifetime_seconds=1800, refresh_margin_seconds=60)
    first = auth.token()
    clock.now += 1739
    assert auth.token() == first
    clock.now += 1
    second = auth.token()
    assert second != first
    assert claims_of(second)["exp"] == int(clock.now) + 1800
    assert auth.minted == 2


def test_expired_answer_mints_a_new_token_and_repeats_once():
    clock = FakeClock()
    auth = jwt_auth(clock)
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        if len(seen) == 1:
            clock.now += 120  # the server's clock is ahead: our token is already expired there
            return httpx.Response(401, json={"code": 1004, "message": "token expired"})
        return httpx.Response(200, json={"code": 0, "message": "SUCCEED", "data": {}})

    with httpx.Client(auth=auth, transport=httpx.MockTransport(handler)) as client:
        assert client.get("https://kling.test/v1/x").status_code == 200
    assert len(seen) == 2 and seen[0] != seen[1]
    assert auth.minted == 2


def test_invalid_key_answer_is_not_repeated():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(401, json={"code": 1002, "message": "invalid"})

    with httpx.Client(auth=jwt_auth(FakeClock()), transport=httpx.MockTransport(handler)) as client:
        assert client.get("https://kling.test/v1/x").status_code == 401
    assert len(calls) == 1


def test_bearer_key_auth_sends_the_key():
    seen = []
    transport = httpx.MockTransport(
        lambda request: seen.append(request.headers["Authorization"]) or httpx.Response(200)
    )
    with httpx.Client(auth=BearerKeyAuth(SecretStr(API_KEY)), transport=transport) as client:
        client.get("https://gateway.test/kling/v1/x")
    assert seen == [f"Bearer {API_KEY}"]


@pytest.mark.parametrize("auth", [jwt_auth(FakeClock()), BearerKeyAuth(SecretStr(API_KEY))])
def test_reprs_hide_keys(auth):
    text = repr(auth)
    assert SECRET_KEY not in text and API_KEY not in text and ACCESS_KEY not in text


def test_a_used_jwt_auth_pickles_without_its_lock_or_token():
    import copy
    import pickle

    auth = KlingJWTAuth(SecretStr(ACCESS_KEY), SecretStr(SECRET_KEY))
    token = auth.token()
    data = pickle.dumps(auth)
    assert token.encode() not in data  # a live token is not written down
    again = pickle.loads(data)
    assert claims_of(again.token())["iss"] == ACCESS_KEY
    assert claims_of(copy.deepcopy(auth).token())["iss"] == ACCESS_KEY
