"""Callback bodies, signed headers and an in-process client of the receiver app."""

from __future__ import annotations

import time

import httpx

from prefect_kling.callbacks import sign

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


def asgi_client(app):
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://receiver.test"
    )


def signed_headers(body: bytes, *, secret=SECRET, timestamp=None, message_id="msg_1"):
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{sign(secret, message_id, timestamp, body)}",
        "content-type": "application/json",
    }
