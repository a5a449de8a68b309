"""The callback receiver: Kling's status POSTs in, Prefect events out.

A self-hosted Prefect server cannot turn an HTTP call into an event by itself. The receiver
is a small ASGI app at a path holding a secret token: it answers at once, drops duplicates
and updates that arrive after a later status (`StatusLedger`), checks the signature when a
signing secret is set, and emits the same `kling.task.*` events as the flows emit while
they poll, with the same resource ids. Flows waiting with `callback_url` react to those
events, confirming with one query before acting: a callback is a hint, not proof.

Run it with `prefect-kling receiver --port 8080 --token TOKEN` (`serve_receiver`), mount
`create_receiver_app` in an existing Starlette/FastAPI app, or serve it in a background
thread for tests and local runs (`running_receiver`).

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

import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from prefect_kling.callbacks.access_log import hide_callback_tokens
from prefect_kling.callbacks.events import Emitter, emit_callback_event
from prefect_kling.callbacks.parsing import StatusLedger, parse_callback
from prefect_kling.callbacks.signatures import CallbackRejected, verify_signature
from prefect_kling.callbacks.urls import CALLBACK_PATH

logger = logging.getLogger(__name__)


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
        >>> from prefect_kling.callbacks import callback_url
        >>> seen = []
        >>> record = lambda task, *how: seen.append(task.status)
        >>> body = {"task_id": "1", "task_status": "failed"}
        >>> with running_receiver("s3cret", emit=record) as url:
        ...     answer = httpx.post(callback_url(url, "s3cret"), json=body)
        >>> answer.status_code, seen
        (204, ['failed'])
    """
    import uvicorn

    hide_callback_tokens()
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

    It needs `PREFECT_API_URL` (or a Prefect profile) to send its events to. Its access log
    shows every callback path as `/kling/callbacks/***`: the token is never printed.
    """
    import uvicorn

    hide_callback_tokens()
    uvicorn.run(create_receiver_app(token, signing_secret=signing_secret), host=host, port=port)
