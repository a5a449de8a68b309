"""The callback receiver: Kling's status POSTs in, Prefect events out.

A self-hosted Prefect server cannot turn an HTTP call into an event by itself. The receiver
is a small ASGI app at a path holding a secret token. It answers at once and checks before
it believes anything (`checks`): a body over `MAX_BODY_BYTES` is refused with 413, JSON
nested too deep, a field out of Kling's shape or an endpoint that is not one of the
package's with 400. A callback that passes is still a hint (`confirm`): the receiver
queries the task, after answering, and emits what Kling says, if it is news
(`StatusLedger`). Only a callback signed with the Standard Webhooks secret, when one is
set, is Kling's own word and emitted as it is (an unsigned or badly signed one is then
refused with 401). The events are the same `kling.task.*` events as the flows emit while
they poll, with the same resource ids; flows waiting with `callback_url` react to them,
confirming with one query of their own before acting.

Run it with `prefect-kling receiver --port 8080 --token TOKEN` (`serve_receiver`; it needs
a Prefect API to send its events to, and Kling credentials for its queries), mount
`create_receiver_app` in an existing Starlette/FastAPI app, or serve it in a background
thread for tests and local runs (`running_receiver`).

Examples:
    >>> import asyncio, httpx
    >>> from prefect_kling.models.kling_task import KlingTask
    >>> seen = []
    >>> kling = lambda endpoint, task_id: KlingTask(task_id=task_id, task_status="succeed")
    >>> app = create_receiver_app(
    ...     "s3cret", confirm=kling, emit=lambda task, *how: seen.append(task.status)
    ... )
    >>> async def post(body):
    ...     transport = httpx.ASGITransport(app=app)
    ...     async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
    ...         url = "/kling/callbacks/s3cret?endpoint=text2video"
    ...         return (await client.post(url, json=body)).status_code
    >>> asyncio.run(post({"task_id": "1", "task_status": "succeed"})), seen
    (204, ['succeed'])
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from prefect_kling.callbacks.access_log import hide_callback_tokens
from prefect_kling.callbacks.checks import (
    CallbackRefused,
    checked_endpoint,
    checked_task,
    load_json,
    read_body,
)
from prefect_kling.callbacks.confirm import Confirm, Hints, query_confirmer
from prefect_kling.callbacks.events import Emitter, emit_callback_event
from prefect_kling.callbacks.parsing import StatusLedger
from prefect_kling.callbacks.prefect_api import require_prefect_api
from prefect_kling.callbacks.signatures import CallbackRejected, verify_signature
from prefect_kling.callbacks.urls import CALLBACK_PATH

if TYPE_CHECKING:
    from prefect_kling.credentials import KlingCredentials

logger = logging.getLogger(__name__)

GRACEFUL_SHUTDOWN_SECONDS = 10
"""How long `serve_receiver` lets callbacks in progress finish after SIGTERM or Ctrl-C."""


def create_receiver_app(
    token: str,
    *,
    signing_secret: str | Sequence[str] | None = None,
    emit: Emitter = emit_callback_event,
    ledger: StatusLedger | None = None,
    credentials: KlingCredentials | None = None,
    confirm: Confirm | None = None,
) -> Starlette:
    """The receiver as an ASGI app, serving `POST /kling/callbacks/<token>?endpoint=<name>`.

    Args:
        token: Secret part of the path; other paths answer 404.
        signing_secret: Standard Webhooks secret (or the old and the new one while Kling
            rotates it, 7 days); when set, unsigned or badly signed
            callbacks are refused with 401 and change nothing, and signed ones are
            emitted without a confirming query.
        emit: What to do with each new status (default: emit a Prefect event).
        ledger: Memory of confirmed statuses (shared between apps, or for tests).
        credentials: Where and how to query Kling to confirm an unsigned callback
            (default: the `KLING_*` variables, read at the first callback).
        confirm: Asks Kling about a task instead of a query with `credentials`.
    """
    seen = ledger or StatusLedger()
    hints = Hints(confirm or query_confirmer(credentials), seen, emit)

    async def receive(request: Request) -> Response:
        if not hmac.compare_digest(request.path_params["token"], token):
            return JSONResponse({"detail": "not found"}, status_code=404)
        try:
            body = await read_body(request)
        except CallbackRefused as refused:
            return JSONResponse({"detail": refused.detail}, status_code=refused.status)
        if signing_secret is not None:
            try:
                verify_signature(signing_secret, request.headers, body)
            except CallbackRejected as error:
                logger.warning("Refused a Kling callback: %s", error)
                return JSONResponse({"detail": str(error)}, status_code=401)
        try:
            endpoint = checked_endpoint(
                request.query_params.get("endpoint"), required=signing_secret is None
            )
            claim = checked_task(load_json(body))
        except CallbackRefused as refused:
            return JSONResponse({"detail": refused.detail}, status_code=refused.status)
        if not seen.is_news(claim):
            return Response(status_code=204)
        # Answer first, act after: Kling gets its 2xx at once whatever the query's and
        # Prefect's latency.
        if signing_secret is not None:
            acting = BackgroundTask(hints.emit_news, claim, endpoint)
        else:
            acting = BackgroundTask(hints.follow, claim, endpoint)
        return Response(status_code=204, background=acting)

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
    signing_secret: str | Sequence[str] | None = None,
    emit: Emitter = emit_callback_event,
    credentials: KlingCredentials | None = None,
    confirm: Confirm | None = None,
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
        credentials: Where and how to query Kling, as for `create_receiver_app`.
        confirm: Asks Kling about a task, as for `create_receiver_app`.

    Examples:
        >>> import httpx
        >>> from prefect_kling.callbacks import callback_url
        >>> from prefect_kling.simulator import KlingSimulator
        >>> seen = []
        >>> record = lambda task, *how: seen.append(task.status)
        >>> with KlingSimulator() as sim, sim.credentials().get_client() as kling:
        ...     task_id = kling.create("text2video", {"prompt": "a heron"}).task_id
        ...     forged = {"task_id": task_id, "task_status": "failed"}
        ...     with running_receiver("s3cret", emit=record, credentials=sim.credentials()) as url:
        ...         answer = httpx.post(callback_url(url, "s3cret", "text2video"), json=forged)
        >>> answer.status_code, seen  # what Kling says, not what the callback claimed
        (204, ['submitted'])
    """
    import uvicorn

    hide_callback_tokens()
    app = create_receiver_app(
        token, signing_secret=signing_secret, emit=emit, credentials=credentials, confirm=confirm
    )
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
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    token: str,
    signing_secret: str | Sequence[str] | None = None,
    credentials: KlingCredentials | None = None,
    announce: Callable[[], None] | None = None,
) -> None:
    """Run the receiver in the foreground until Ctrl-C or SIGTERM (`prefect-kling receiver`).

    Its access log shows every callback path as `/kling/callbacks/***`: the token is never
    printed. It checks first what it needs: a Prefect API that answers (`PREFECT_API_URL`, or a
    profile's), and, without a signing secret, Kling credentials for its confirming
    queries (default: the `KLING_*` variables). It starts no other process.

    Args:
        host: Interface to listen on.
        port: Port to listen on.
        token: Secret part of the path.
        signing_secret: Standard Webhooks secret, as for `create_receiver_app`.
        credentials: Where and how to query Kling (default: `KLING_*`).
        announce: Called once the checks have passed and the server accepts connections
            (the CLI prints the callback URL there).

    Raises:
        KlingConfigurationError: No Prefect API answers, or no Kling credentials are set;
            the message names the variable.
    """
    import uvicorn

    from prefect_kling._foreground import ForegroundServer

    require_prefect_api()
    if signing_secret is None and credentials is None:
        from prefect_kling.credentials import KlingCredentials

        credentials = KlingCredentials.from_env()
    app = create_receiver_app(token, signing_secret=signing_secret, credentials=credentials)
    hide_callback_tokens()
    config = uvicorn.Config(
        app, host=host, port=port, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS
    )
    ForegroundServer(config, on_started=announce).run()
