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
