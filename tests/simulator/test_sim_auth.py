"""Authentication on both prefixes (API key or JWT officially), and what unknown paths answer."""

from __future__ import annotations

import httpx
import pytest

from prefect_kling.simulator import KlingSimulator

from .conftest import make_token

BODY = {"prompt": "a red fox in the snow"}


@pytest.fixture
def post_official(sim: KlingSimulator, http: httpx.Client):
    def post(headers: dict[str, str]) -> httpx.Response:
        return http.post(f"{sim.base_url}/v1/videos/text2video", json=BODY, headers=headers)

    return post


def test_valid_jwt_creates_a_task(sim: KlingSimulator, post_official) -> None:
    response = post_official({"Authorization": f"Bearer {make_token(sim)}"})
    assert response.status_code == 200
    assert response.json()["code"] == 0


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, 1001),
        ({"Authorization": ""}, 1001),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 1002),
        ({"Authorization": "Bearer"}, 1002),
        ({"Authorization": "Bearer not.a.jwt"}, 1002),
        ({"Authorization": "Bearer not-the-api-key"}, 1000),
    ],
)
def test_missing_or_malformed_header(
    sim: KlingSimulator, post_official, headers: dict, code: int
) -> None:
    response = post_official(headers)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == code
    assert body["request_id"] and body["message"]
    assert sim.stats().tasks_created == 0


@pytest.mark.parametrize(
    ("token_args", "code"),
    [
        ({"secret": "another-secret-key-of-32-bytes!!"}, 1002),
        ({"iss": "someone-else"}, 1002),
        ({"nbf_in": 120}, 1003),
        ({"exp_in": -120}, 1004),
    ],
)
def test_bad_tokens(sim: KlingSimulator, post_official, token_args: dict, code: int) -> None:
    token = make_token(sim, **token_args)
    response = post_official({"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert sim.stats().answers_by_code[code] == 1


def test_small_clock_skew_is_allowed(sim: KlingSimulator, post_official) -> None:
    token = make_token(sim, exp_in=-2, nbf_in=2)
    assert post_official({"Authorization": f"Bearer {token}"}).status_code == 200


def test_official_prefix_accepts_its_api_key(sim: KlingSimulator, post_official) -> None:
    response = post_official({"Authorization": f"Bearer {sim.config.api_key}"})
    assert response.status_code == 200
    assert response.json()["code"] == 0
    assert sim.stats().tasks_created == 1


@pytest.mark.parametrize("authorization", ["Bearer {key}x", "Bearer x{key}", "bearer wrong-key"])
def test_a_wrong_api_key_answers_1000_as_kling_does(
    sim: KlingSimulator, post_official, authorization: str
) -> None:
    header = authorization.format(key=sim.config.api_key)
    response = post_official({"Authorization": header})
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == 1000 and body["request_id"]
    assert sim.config.api_key not in response.text
    assert sim.stats().tasks_created == 0


def test_the_api_key_is_the_configured_one(make_sim, http: httpx.Client) -> None:
    sim = make_sim(api_key="sk-own-key-42")
    url = f"{sim.base_url}/v1/videos/text2video"
    accepted = http.post(url, json=BODY, headers={"Authorization": "Bearer sk-own-key-42"})
    assert accepted.json()["code"] == 0
    demo = http.post(
        url, json=BODY, headers={"Authorization": "Bearer sk-simulator-demo-api-key-000001"}
    )
    assert demo.status_code == 401 and demo.json()["code"] == 1000


def test_gateway_accepts_its_bearer_key(sim: KlingSimulator, http: httpx.Client) -> None:
    response = http.post(
        f"{sim.base_url}/kling/v1/videos/text2video",
        json=BODY,
        headers={"Authorization": f"Bearer {sim.config.api_key}"},
    )
    assert response.status_code == 200
    assert response.json()["code"] == 0


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-key", "JWT"])
def test_gateway_rejects_other_keys_in_its_own_shape(
    sim: KlingSimulator, http: httpx.Client, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    if authorization == "JWT":
        headers = {"Authorization": f"Bearer {make_token(sim)}"}
    response = http.post(f"{sim.base_url}/kling/v1/videos/text2video", json=BODY, headers=headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "comet_api_error"
    assert error["code"] == "invalid_api_key"
    assert error["param"] == ""
    assert error["message"]
    assert "code" not in response.json()
    assert sim.stats().gateway_errors == {"invalid_api_key": 1}
    assert sim.stats().tasks_created == 0


@pytest.mark.parametrize(
    "path", ["/kling/v1/videos/nothing", "/kling/v2/videos/text2video", "/kling", "/kling/x"]
)
def test_unknown_gateway_paths_answer_html(
    sim: KlingSimulator, http: httpx.Client, path: str
) -> None:
    response = http.post(
        f"{sim.base_url}{path}", headers={"Authorization": f"Bearer {sim.config.api_key}"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/videos/nothing"),
        ("DELETE", "/v1/videos/text2video"),
        ("PUT", "/v1/videos/text2video/123"),
        ("GET", "/v2/videos/text2video"),
        ("GET", "/"),
    ],
)
def test_unknown_official_paths_answer_1202(
    sim: KlingSimulator, http: httpx.Client, method: str, path: str
) -> None:
    headers = {"Authorization": f"Bearer {make_token(sim)}"}
    response = http.request(method, f"{sim.base_url}{path}", headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == 1202
