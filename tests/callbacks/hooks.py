"""Callback bodies, signed headers, a scripted Kling and an in-process client of the receiver."""

from __future__ import annotations

import time

import httpx

from prefect_kling.callbacks import sign
from prefect_kling.models.kling_task import KlingTask

TOKEN = "tok-7f3a"
PATH = f"/kling/callbacks/{TOKEN}"
URL = f"{PATH}?endpoint=text2video"
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


class ScriptedKling:
    """Answers the receiver's confirming queries with the statuses a test sets.

    A task without a status set is one Kling does not have (the query answers None).
    """

    def __init__(self) -> None:
        self.statuses: dict[str, str] = {}
        self.queries: list[tuple[str, str]] = []

    def __call__(self, endpoint: str, task_id: str) -> KlingTask | None:
        self.queries.append((endpoint, task_id))
        status = self.statuses.get(task_id)
        return None if status is None else KlingTask(task_id=task_id, task_status=status)


async def genuine(client, kling: ScriptedKling, task_id: str, status: str, url: str = URL):
    """Post the callback Kling sends when a task moves to `status`."""
    kling.statuses[task_id] = status
    return await client.post(url, json=bare(task_id, status))
