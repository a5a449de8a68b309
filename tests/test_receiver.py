import json
import time

import httpx
import pytest

from prefect_kling.receiver import (
    CallbackRejected,
    StatusLedger,
    callback_url,
    create_receiver_app,
    parse_callback,
    sign,
    verify_signature,
)

pytestmark = pytest.mark.e2e

TOKEN = "tok-7f3a"
PATH = f"/kling/callbacks/{TOKEN}"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def bare(task_id="1", status="processing", **extra):
    return {
        "task_id": task_id,
        "task_status": status,
        "task_info": {"external_task_id": "pk-1"},
        **extra,
    }


@pytest.fixture
def received():
    return []


def asgi_client(app):
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://receiver.test"
    )


@pytest.fixture
async def client(received):
    app = create_receiver_app(
        TOKEN,
        emit=lambda task, source, endpoint: received.append((task.task_id, task.status, source)),
    )
    async with asgi_client(app) as test_client:
        yield test_client


async def test_each_new_status_is_emitted_once(client, received):
    for status in ("submitted", "processing", "succeed"):
        assert (await client.post(PATH, json=bare(status=status))).status_code == 204
    assert received == [
        ("1", "submitted", "callback"),
        ("1", "processing", "callback"),
        ("1", "succeed", "callback"),
    ]


async def test_duplicates_and_out_of_order_updates_change_nothing(client, received):
    await client.post(PATH, json=bare(status="succeed"))
    for status in ("succeed", "processing", "submitted"):
        assert (await client.post(PATH, json=bare(status=status))).status_code == 204
    assert received == [("1", "succeed", "callback")]


async def test_tasks_are_tracked_separately(client, received):
    await client.post(PATH, json=bare("1", "succeed"))
    await client.post(PATH, json=bare("2", "processing"))
    assert [task_id for task_id, _, _ in received] == ["1", "2"]


async def test_wrong_token_is_404_and_changes_nothing(client, received):
    assert (
        await client.post("/kling/callbacks/guess", json=bare(status="succeed"))
    ).status_code == 404
    assert received == []


async def test_garbage_is_400(client, received):
    assert (await client.post(PATH, content=b"not json")).status_code == 400
    assert (await client.post(PATH, json={"hello": "world"})).status_code == 400
    assert received == []


async def test_newer_callback_format_is_understood(client, received):
    body = {
        "id": "9",
        "status": "succeeded",
        "outputs": [{"type": "video", "url": "https://x/v.mp4", "id": "v9"}],
        "billing": [{"units": 2.5}],
    }
    assert (await client.post(PATH, json=body)).status_code == 204
    assert received == [("9", "succeed", "callback")]
    task = parse_callback(body)
    assert task.videos[0].url == "https://x/v.mp4" and task.units == 2.5


def signed_headers(body: bytes, *, secret=SECRET, timestamp=None, message_id="msg_1"):
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{sign(secret, message_id, timestamp, body)}",
        "content-type": "application/json",
    }


@pytest.fixture
async def signed_client(received):
    app = create_receiver_app(
        TOKEN,
        signing_secret=SECRET,
        emit=lambda task, source, endpoint: received.append(task.status),
    )
    async with asgi_client(app) as test_client:
        yield test_client


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


def test_ledger_is_bounded():
    from prefect_kling.models.tasks import KlingTask

    ledger = StatusLedger(max_tasks=2)
    for task_id in ("a", "b", "c"):
        assert ledger.advance(KlingTask(task_id=task_id, task_status="processing"))
    assert ledger.advance(
        KlingTask(task_id="a", task_status="processing")
    )  # forgotten, so new again
    assert not ledger.advance(KlingTask(task_id="c", task_status="submitted"))


def test_callback_url():
    assert callback_url("http://127.0.0.1:8080/", TOKEN) == f"http://127.0.0.1:8080{PATH}"
    assert callback_url("http://h", TOKEN, "image2video").endswith(f"{PATH}?endpoint=image2video")


async def test_the_endpoint_named_in_the_url_reaches_the_emitter():
    seen = []
    app = create_receiver_app(TOKEN, emit=lambda task, source, endpoint: seen.append(endpoint))
    async with asgi_client(app) as client:
        await client.post(f"{PATH}?endpoint=image2video", json=bare(status="succeed"))
    assert seen == ["image2video"]
