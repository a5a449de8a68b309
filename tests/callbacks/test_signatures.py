"""Signed callbacks: accepted when the Standard Webhooks signature holds, refused otherwise."""

import json
import time

import pytest

from prefect_kling.callbacks import CallbackRejected, sign, verify_signature
from tests.callbacks.hooks import PATH, SECRET, bare, signed_headers


async def test_signed_callback_is_accepted(signed_client, received):
    body = json.dumps(bare(status="succeed")).encode()
    assert (
        await signed_client.post(PATH, content=body, headers=signed_headers(body))
    ).status_code == 204
    assert received == ["succeed"]


@pytest.mark.parametrize(
    "forge",
    [
        lambda body: {"content-type": "application/json"},
        lambda body: signed_headers(body, secret="whsec_" + "A" * 32),
        lambda body: signed_headers(body, timestamp=int(time.time()) - 600),
        lambda body: signed_headers(b'{"task_id": "1", "task_status": "failed"}'),
    ],
    ids=["unsigned", "wrong-secret", "stale", "body-swapped"],
)
async def test_forged_callbacks_are_refused(signed_client, received, forge):
    body = json.dumps(bare(status="succeed")).encode()
    assert (await signed_client.post(PATH, content=body, headers=forge(body))).status_code == 401
    assert received == []


def test_signature_accepts_any_listed_v1_entry():
    body = b"{}"
    now = int(time.time())
    good = sign(SECRET, "m", now, body)
    verify_signature(
        SECRET,
        {
            "webhook-id": "m",
            "webhook-timestamp": str(now),
            "webhook-signature": f"v1,bad v1,{good}",
        },
        body,
    )
    with pytest.raises(CallbackRejected):
        verify_signature(
            SECRET,
            {"webhook-id": "m", "webhook-timestamp": str(now), "webhook-signature": f"v2,{good}"},
            body,
        )


def test_kling_s_published_verification_example_holds():
    # "Verification Example" of Kling's Callback Protocol page (Webhook Signature).
    secret = "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI="
    body = (
        b'{"id":"1234567890","status":"succeeded","message":"","create_time":1781080778802,'
        b'"update_time":1781080794151}'
    )
    assert sign(secret, "9876543210", 1781080794, body) == (
        "UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4="
    )
    headers = {
        "Webhook-Id": "9876543210",
        "Webhook-Timestamp": "1781080794",
        "Webhook-Signature": "v1,UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4=",
    }
    verify_signature(secret, headers, body, now=1781080794 + 60)
    with pytest.raises(CallbackRejected):
        verify_signature(secret, headers, body.replace(b"succeeded", b"failed"), now=1781080794)


def test_during_a_rotation_the_old_and_the_new_secret_both_hold():
    old, new = SECRET, "whsec_bmV3LXNpZ25pbmcta2V5LWFmdGVyLXJvdGF0aW9u"
    body, now = b'{"id":"1","status":"processing"}', 1781080794
    headers = {
        "webhook-id": "m1",
        "webhook-timestamp": str(now),
        "webhook-signature": "v1," + sign(new, "m1", now, body),
    }
    verify_signature([old, new], headers, body, now=now)
    with pytest.raises(CallbackRejected):
        verify_signature(old, headers, body, now=now)
