import httpx
import pytest

from prefect_kling import exceptions as exc
from prefect_kling._envelope import parse_envelope
from prefect_kling._retry import is_transient

CODES = [
    (401, 1000, exc.KlingAuthError, False),
    (401, 1001, exc.KlingAuthError, False),
    (401, 1002, exc.KlingAuthError, False),
    (401, 1003, exc.KlingAuthError, False),
    (401, 1004, exc.KlingAuthError, False),
    (429, 1100, exc.KlingAccountError, False),
    (429, 1101, exc.KlingAccountError, False),
    (429, 1102, exc.KlingInsufficientBalance, False),
    (403, 1103, exc.KlingPermissionError, False),
    (400, 1200, exc.KlingInvalidRequest, False),
    (400, 1201, exc.KlingInvalidRequest, False),
    (404, 1202, exc.KlingNotFound, False),
    (404, 1203, exc.KlingNotFound, False),
    (400, 1300, exc.KlingPolicyError, False),
    (400, 1301, exc.KlingContentRejected, False),
    (429, 1302, exc.KlingRateLimited, True),
    (429, 1303, exc.KlingConcurrencyLimited, True),
    (429, 1304, exc.KlingIPNotAllowed, False),
    (500, 5000, exc.KlingServerError, True),
    (503, 5001, exc.KlingServerError, True),
    (504, 5002, exc.KlingServerError, True),
]


@pytest.mark.parametrize(("status", "code", "error_type", "transient"), CODES)
def test_every_kling_code_maps_to_its_error(status, code, error_type, transient):
    response = httpx.Response(
        status, json={"code": code, "message": f"message {code}", "request_id": "rid-7"}
    )
    with pytest.raises(error_type) as raised:
        parse_envelope(response, endpoint="text2video", task_id="42")
    error = raised.value
    assert type(error) is error_type
    assert (error.status_code, error.code, error.request_id) == (status, code, "rid-7")
    assert (error.endpoint, error.task_id) == ("text2video", "42")
    assert is_transient(error) is transient
    assert f"{code}" in str(error) and "rid-7" in str(error) and "42" in str(error)


def test_success_returns_data_for_both_success_messages():
    for message in ("SUCCEED", "success"):
        response = httpx.Response(
            200, json={"code": 0, "message": message, "data": {"task_id": "1"}}
        )
        assert parse_envelope(response) == {"task_id": "1"}


def test_code_as_text_is_understood():
    response = httpx.Response(429, json={"code": "1303", "message": "busy"})
    with pytest.raises(exc.KlingConcurrencyLimited):
        parse_envelope(response)


def test_cometapi_error_shape_becomes_gateway_error():
    body = {
        "error": {
            "message": "invalid token",
            "type": "comet_api_error",
            "param": "",
            "code": "invalid_request",
        }
    }
    with pytest.raises(exc.KlingGatewayError) as raised:
        parse_envelope(httpx.Response(401, json=body), endpoint="text2video")
    assert raised.value.error_type == "comet_api_error"
    assert "invalid token" in str(raised.value) and raised.value.status_code == 401
    assert not is_transient(raised.value)


def test_cometapi_error_as_plain_text_and_5xx_is_transient():
    with pytest.raises(exc.KlingGatewayError) as raised:
        parse_envelope(httpx.Response(502, json={"error": "upstream timed out"}))
    assert "upstream timed out" in str(raised.value)
    assert is_transient(raised.value)


@pytest.mark.parametrize(
    ("response", "transient"),
    [
        (
            httpx.Response(
                502,
                text="<html><body><h1>502 Bad Gateway</h1></body></html>",
                headers={"content-type": "text/html"},
            ),
            True,
        ),
        (
            httpx.Response(
                404,
                text="<!doctype html><title>Not found</title>",
                headers={"content-type": "text/html"},
            ),
            False,
        ),
        (httpx.Response(200, text="{not json"), True),
        (httpx.Response(200, json=["a", "list"]), True),
        (httpx.Response(200, text=""), True),
    ],
)
def test_non_json_answers_become_unexpected_response(response, transient):
    with pytest.raises(exc.KlingUnexpectedResponse) as raised:
        parse_envelope(response, endpoint="image2video")
    assert raised.value.endpoint == "image2video"
    assert is_transient(raised.value) is transient


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="OK", headers={"content-type": "text/plain"}),
        httpx.Response(200, text="{not json"),
        httpx.Response(200, json=["a", "list"]),
        httpx.Response(200, text=""),
        httpx.Response(200, json={"message": "ok"}),
    ],
)
def test_a_garbled_success_answer_is_retried_like_other_garbled_answers(response):
    # A 2xx that is not Kling's envelope was mangled on its way (a proxy, a cut body):
    # the same call may well succeed; a create that got it is looked up, never resent blind.
    with pytest.raises(exc.KlingUnexpectedResponse) as raised:
        parse_envelope(response, endpoint="text2video", task_id="42")
    assert is_transient(raised.value)
    assert raised.value.task_id == "42"


def test_redirect_names_the_location():
    response = httpx.Response(302, headers={"location": "https://www.cometapi.com/login"})
    with pytest.raises(exc.KlingUnexpectedResponse, match=r"cometapi\.com/login"):
        parse_envelope(response)


def test_envelope_without_code_on_success_is_unexpected():
    with pytest.raises(exc.KlingUnexpectedResponse, match="without a code"):
        parse_envelope(httpx.Response(200, json={"message": "ok"}))


def test_retry_after_header_is_carried():
    response = httpx.Response(
        429, json={"code": 1302, "message": "slow down"}, headers={"retry-after": "7"}
    )
    with pytest.raises(exc.KlingRateLimited) as raised:
        parse_envelope(response)
    assert raised.value.retry_after == 7.0


def test_unknown_code_falls_back_on_http_status():
    with pytest.raises(exc.KlingServerError):
        parse_envelope(httpx.Response(500, json={"code": 9999, "message": "odd"}))
    with pytest.raises(exc.KlingAPIError) as raised:
        parse_envelope(httpx.Response(400, json={"code": 9998, "message": "odd"}))
    assert type(raised.value) is exc.KlingAPIError


def test_api_errors_survive_pickling_with_their_context():
    import pickle

    error = exc.KlingConcurrencyLimited(
        "busy", code=1303, status_code=429, request_id="r", task_id="t", endpoint="e"
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is exc.KlingConcurrencyLimited
    assert (copy.code, copy.status_code, copy.request_id, copy.task_id, copy.endpoint) == (
        1303,
        429,
        "r",
        "t",
        "e",
    )
