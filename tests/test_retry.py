import random

import pytest

from prefect_kling import exceptions as exc
from prefect_kling._retry import CreateAction, RetryPolicy, parse_retry_after

POLICY = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=10.0, jitter=0.0)


def api(error_type, code, status):
    return error_type("x", code=code, status_code=status)


@pytest.mark.parametrize(
    ("error", "action"),
    [
        (api(exc.KlingRateLimited, 1302, 429), CreateAction.RETRY),
        (api(exc.KlingConcurrencyLimited, 1303, 429), CreateAction.RETRY),
        (api(exc.KlingServerError, 5000, 500), CreateAction.RECONCILE),
        (api(exc.KlingServerError, 5001, 503), CreateAction.RETRY),
        (api(exc.KlingServerError, 5002, 504), CreateAction.RECONCILE),
        (api(exc.KlingServerError, None, 502), CreateAction.RECONCILE),
        (api(exc.KlingServerError, 5003, 500), CreateAction.RECONCILE),  # unknown: may exist
        (exc.KlingUnexpectedResponse("html", status_code=502), CreateAction.RECONCILE),
        (exc.KlingGatewayError("upstream", status_code=503), CreateAction.RECONCILE),
        (exc.KlingTransportError("read timeout", sent=True), CreateAction.RECONCILE),
        (exc.KlingTransportError("connection refused", sent=False), CreateAction.RETRY),
        (api(exc.KlingInsufficientBalance, 1102, 429), CreateAction.RAISE),
        (api(exc.KlingAccountError, 1100, 429), CreateAction.RAISE),
        (api(exc.KlingAccountError, 1101, 429), CreateAction.RAISE),
        (api(exc.KlingPermissionError, 1103, 403), CreateAction.RAISE),
        (api(exc.KlingInvalidRequest, 1200, 400), CreateAction.RAISE),
        (api(exc.KlingInvalidRequest, 1201, 400), CreateAction.RAISE),
        (api(exc.KlingNotFound, 1202, 404), CreateAction.RAISE),
        (api(exc.KlingNotFound, 1203, 404), CreateAction.RAISE),
        (api(exc.KlingPolicyError, 1300, 400), CreateAction.RAISE),
        (api(exc.KlingContentRejected, 1301, 400), CreateAction.RAISE),
        (api(exc.KlingIPNotAllowed, 1304, 429), CreateAction.RAISE),
        (exc.KlingUnexpectedResponse("html", status_code=404), CreateAction.RAISE),
    ],
)
def test_create_actions(error, action):
    assert POLICY.create_action(error, attempt=1) is action


def test_retry_stops_after_max_attempts():
    error = api(exc.KlingRateLimited, 1302, 429)
    assert [POLICY.should_retry(error, attempt) for attempt in (1, 2, 3, 4)] == [
        True,
        True,
        True,
        False,
    ]
    assert POLICY.create_action(error, attempt=4) is CreateAction.RAISE


def test_backoff_is_exponential_and_capped():
    error = api(exc.KlingServerError, 5001, 503)
    delays = [POLICY.delay(error, attempt, random.Random(1)) for attempt in range(1, 7)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_jitter_shortens_within_its_fraction_and_is_seeded():
    policy = RetryPolicy(base_delay=4.0, jitter=0.25)
    error = api(exc.KlingServerError, 5001, 503)
    delays = [policy.delay(error, 1, random.Random(seed)) for seed in range(50)]
    assert all(3.0 <= delay <= 4.0 for delay in delays)
    assert len(set(delays)) > 40
    assert policy.delay(error, 1, random.Random(3)) == policy.delay(error, 1, random.Random(3))


def test_concurrency_limit_waits_at_least_a_second():
    policy = RetryPolicy(base_delay=0.1, jitter=0.0)
    assert policy.delay(api(exc.KlingConcurrencyLimited, 1303, 429), 1, random.Random()) == 1.0
    assert policy.delay(api(exc.KlingRateLimited, 1302, 429), 1, random.Random()) == pytest.approx(
        0.1
    )


def test_retry_after_is_honoured_and_capped():
    error = exc.KlingRateLimited("x", code=1302, status_code=429, retry_after=12.0)
    assert POLICY.delay(error, 1, random.Random()) == 12.0
    error = exc.KlingRateLimited("x", code=1302, status_code=429, retry_after=9999.0)
    assert POLICY.delay(error, 1, random.Random()) == POLICY.max_retry_after


@pytest.mark.parametrize(
    ("value", "expected"), [("3", 3.0), ("0.5", 0.5), ("-1", 0.0), (None, None), ("soon", None)]
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected
