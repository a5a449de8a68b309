"""A callback receiver: Kling's status POSTs in, Prefect events out.

Kling POSTs the task object to a create's `callback_url` on every status change, possibly
more than once and out of order, with no signature (a newer format may be signed the
Standard Webhooks way). The receiver is a small ASGI app at a path holding a secret token:
it answers at once, drops duplicates and updates that arrive after a later status, checks
the signature when a signing secret is set, and emits the same `kling.task.*` events as the
flows emit while they poll, with the same resource ids. Flows waiting with `callback_url`
react to those events, confirming with one query before acting: a callback is a hint, not
proof.

Run it with `prefect-kling receiver --port 8080 --token TOKEN`, or mount `create_receiver_app`
in an existing Starlette/FastAPI app.

Examples:
    >>> import asyncio, httpx
    >>> seen = []
    >>> app = create_receiver_app("s3cret", emit=lambda task, *how: seen.append(task.status))
    >>> async def post(body):
    ...     transport = httpx.ASGITransport(app=app)
    ...     async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
    ...         return (await client.post("/kling/callbacks/s3cret", json=body)).status_code
    >>> asyncio.run(post({"task_id": "1", "task_status": "succeed"})), seen
    (204, ['succeed'])
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from prefect_kling.models.tasks import KlingTask, TaskStatus
from prefect_kling.observe import EVENT_PREFIX, event_name

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/kling/callbacks/{token}"
SIGNATURE_TOLERANCE_SECONDS = 300
_RANK = {
    TaskStatus.SUBMITTED.value: 0,
    TaskStatus.PROCESSING.value: 1,
    TaskStatus.SUCCEED.value: 2,
    TaskStatus.FAILED.value: 2,
}
_NEWER_FORMAT_STATUS = {
    "succeeded": TaskStatus.SUCCEED.value,
    "success": TaskStatus.SUCCEED.value,
    "failed": TaskStatus.FAILED.value,
    "processing": TaskStatus.PROCESSING.value,
    "running": TaskStatus.PROCESSING.value,
    "queued": TaskStatus.SUBMITTED.value,
    "pending": TaskStatus.SUBMITTED.value,
    "submitted": TaskStatus.SUBMITTED.value,
}

Emitter = Callable[[KlingTask, str, "str | None"], None]
"""Told of each new status: the task, where it came from (`callback`), and its endpoint when
the callback URL named it (`?endpoint=text2video`, as the flows' callback URLs do)."""


class CallbackRejected(Exception):
    """A callback that must not be believed (bad or missing signature, stale timestamp)."""


def parse_callback(body: Mapping[str, Any]) -> KlingTask:
    """Read a callback body: Kling's bare task object, or the newer `id`/`status`/`outputs` shape.

    Raises:
        ValueError: Neither shape.

    Examples:
        >>> parse_callback({"id": "9", "status": "succeeded",
        ...                 "outputs": [{"type": "video", "url": "https://x/v.mp4"}]}).videos[0].url
        'https://x/v.mp4'
    """
    if "task_id" in body:
        return KlingTask.model_validate(body)
    if "id" in body and "status" in body:
        status = _NEWER_FORMAT_STATUS.get(str(body["status"]).lower(), str(body["status"]))
        outputs = body.get("outputs") or []
        videos = [
            item
            for item in outputs
            if isinstance(item, Mapping) and item.get("type", "video") == "video"
        ]
        images = [
            item for item in outputs if isinstance(item, Mapping) and item.get("type") == "image"
        ]
        return KlingTask.model_validate(
            {
                **{
                    key: value
                    for key, value in body.items()
                    if key not in {"id", "status", "outputs"}
                },
                "task_id": body["id"],
                "task_status": status,
                "task_status_msg": body.get("error") or body.get("status_message"),
                "task_result": {
                    "videos": videos,
                    "images": [
                        {"index": position, **image} for position, image in enumerate(images)
                    ],
                },
                "final_unit_deduction": _billed_units(body.get("billing")),
            }
        )
    raise ValueError("neither a Kling task object nor a newer-format callback")


def _billed_units(billing: Any) -> str | None:
    if not isinstance(billing, list):
        return None
    total = 0.0
    for item in billing:
        try:
            total += float(item.get("units", item.get("quantity", 0)))
        except (AttributeError, TypeError, ValueError):
            continue
    return f"{total:g}" if billing else None


def verify_signature(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> None:
    """Check a Standard Webhooks signature (`webhook-id`, `-timestamp`, `-signature` headers).

    The signed content is `{id}.{timestamp}.{body}`, HMAC-SHA256 with the secret (after its
    `whsec_` prefix, Base64-decoded); `webhook-signature` lists `v1,<base64>` entries.

    Raises:
        CallbackRejected: Missing headers, a timestamp over 5 minutes away, or no matching
            signature.
    """
    message_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (message_id and timestamp and signatures):
        raise CallbackRejected("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise CallbackRejected("webhook-timestamp is not a number") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > SIGNATURE_TOLERANCE_SECONDS:
        raise CallbackRejected("webhook-timestamp is more than 5 minutes away")
    expected = sign(secret, message_id, sent_at, body)
    for entry in signatures.split():
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return
    raise CallbackRejected("no valid signature")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks v1 signature (Base64) of a message."""
    key = secret.removeprefix("whsec_")
    try:
        key_bytes = base64.b64decode(key, validate=True)
    except ValueError:
        key_bytes = key.encode()
    content = f"{message_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key_bytes, content, hashlib.sha256).digest()).decode()


class StatusLedger:
    """The last status seen per task: tells new updates from repeats and stragglers.

    Bounded: the oldest tasks are forgotten first.
    """

    def __init__(self, max_tasks: int = 100_000):
        self._ranks: OrderedDict[str, int] = OrderedDict()
        self._max = max_tasks
        self._lock = threading.Lock()

    def advance(self, task: KlingTask) -> bool:
        """Record the task's status; False when it is not later than what was seen."""
        rank = _RANK.get(task.status, -1)
        with self._lock:
            if rank <= self._ranks.get(task.task_id, -1):
                return False
            self._ranks[task.task_id] = rank
            self._ranks.move_to_end(task.task_id)
            while len(self._ranks) > self._max:
                self._ranks.popitem(last=False)
            return True


def emit_callback_event(task: KlingTask, source: str, endpoint: str | None = None) -> None:
    """Emit `kling.task.<status>` for a task reported by a callback."""
    from prefect.events import emit_event

    payload = {
        "task_id": task.task_id,
        "endpoint": endpoint,
        "status": task.status,
        "external_task_id": task.external_task_id,
        "units": task.units,
        "status_message": task.task_status_msg,
        "source": source,
    }
    # The source label lets automations tell callbacks from the flows' own events.
    resource = {"prefect.resource.id": f"{EVENT_PREFIX}.{task.task_id}", "kling.source": source}
    if endpoint:
        resource["kling.endpoint"] = endpoint
    emit_event(
        event=event_name(task.status),
        resource=resource,
        payload={key: value for key, value in payload.items() if value is not None},
    )


def create_receiver_app(
    token: str,
    *,
    signing_secret: str | None = None,
    emit: Emitter = emit_callback_event,
    ledger: StatusLedger | None = None,
) -> Starlette:
    """The receiver as an ASGI app, serving `POST /kling/callbacks/<token>`.

    Args:
        token: Secret part of the path; other paths answer 404.
        signing_secret: Standard Webhooks secret; when set, unsigned or badly signed
            callbacks are refused with 401 and change nothing.
        emit: What to do with each new status (default: emit a Prefect event).
        ledger: Memory of statuses seen (shared between apps, or for tests).
    """
    seen = ledger or StatusLedger()

    async def receive(request: Request) -> Response:
        if not hmac.compare_digest(request.path_params["token"], token):
            return JSONResponse({"detail": "not found"}, status_code=404)
        body = await request.body()
        if signing_secret is not None:
            try:
                verify_signature(signing_secret, request.headers, body)
            except CallbackRejected as error:
                logger.warning("Refused a Kling callback: %s", error)
                return JSONResponse({"detail": str(error)}, status_code=401)
        try:
            task = parse_callback(json.loads(body))
        except (ValueError, ValidationError, TypeError) as error:
            return JSONResponse({"detail": f"not a Kling task: {error}"}, status_code=400)
        if not seen.advance(task):
            return Response(status_code=204)
        logger.info("Kling callback: task %s is %s", task.task_id, task.status)
        # Answer first, emit after: Kling gets its 2xx at once whatever Prefect's latency.
        emitting = BackgroundTask(emit, task, "callback", request.query_params.get("endpoint"))
        return Response(status_code=204, background=emitting)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route(CALLBACK_PATH, receive, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
        ]
    )


def callback_url(base_url: str, token: str, endpoint: str | None = None) -> str:
    """The `callback_url` to give Kling for a receiver at `base_url`.

    Naming the endpoint lets the events (and a `resume-task` trigger) say where to query.

    Examples:
        >>> callback_url("https://hooks.example.com/", "s3cret", "text2video")
        'https://hooks.example.com/kling/callbacks/s3cret?endpoint=text2video'
    """
    url = base_url.rstrip("/") + CALLBACK_PATH.format(token=token)
    return with_endpoint(url, endpoint) if endpoint else url


def with_endpoint(url: str, endpoint: str) -> str:
    """The callback URL with `endpoint=<name>` in its query (replacing any endpoint there).

    Examples:
        >>> with_endpoint("https://hooks.example.com/kling/callbacks/s3cret?x=1", "effects")
        'https://hooks.example.com/kling/callbacks/s3cret?x=1&endpoint=effects'
    """
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "endpoint"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("endpoint", endpoint)])))


@contextmanager
def running_receiver(
    token: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    signing_secret: str | None = None,
    emit: Emitter = emit_callback_event,
) -> Iterator[str]:
    """Serve the receiver in a background thread while the block runs; yield its base URL.

    For tests and local runs (with the simulator, say): the events go through this
    process's Prefect events client, to the API its profile or `PREFECT_API_URL` names
    (settings changed for one thread only, with `temporary_settings`, are not seen by the
    receiver's thread).

    Args:
        token: Secret part of the path.
        host: Interface to listen on (loopback by default).
        port: Port to listen on; 0 picks a free one.
        signing_secret: Standard Webhooks secret, as for `create_receiver_app`.
        emit: What to do with each new status (default: emit a Prefect event).

    Examples:
        >>> import httpx
        >>> seen = []
        >>> record = lambda task, *how: seen.append(task.status)
        >>> body = {"task_id": "1", "task_status": "failed"}
        >>> with running_receiver("s3cret", emit=record) as url:
        ...     answer = httpx.post(callback_url(url, "s3cret"), json=body)
        >>> answer.status_code, seen
        (204, ['failed'])
    """
    import uvicorn

    app = create_receiver_app(token, signing_secret=signing_secret, emit=emit)
    sock = socket.socket()
    sock.bind((host, port))
    bound_host, bound_port = sock.getsockname()[:2]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="kling-receiver", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the callback receiver did not start")
        time.sleep(0.01)
    try:
        yield f"http://{bound_host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve_receiver(
    *, host: str = "127.0.0.1", port: int = 8080, token: str, signing_secret: str | None = None
) -> None:
    """Run the receiver in the foreground until Ctrl-C (`prefect-kling receiver`).

    It needs `PREFECT_API_URL` (or a Prefect profile) to send its events to.
    """
    import uvicorn

    uvicorn.run(create_receiver_app(token, signing_secret=signing_secret), host=host, port=port)
