"""Cutting HTTP connections on purpose, for the faults that break a connection.

ASGI gives an application no way to close its connection, so the outermost layer
(`ExposeConnection`) keeps uvicorn's per-request cycle, which holds the transport, in the
scope. Under another server the cut degrades to an incomplete response, which the server
then closes itself.
"""

from __future__ import annotations

import asyncio

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

_CYCLE_KEY = "prefect_kling.simulator.cycle"


class ExposeConnection:
    """Outermost ASGI layer: keeps uvicorn's request cycle (and transport) in the scope.

    Args:
        app: The application to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Record the cycle behind `send`, then call the wrapped app."""
        if scope["type"] == "http":
            scope[_CYCLE_KEY] = getattr(send, "__self__", None)
        await self.app(scope, receive, send)


async def sever(scope: Scope, *, graceful: bool) -> None:
    """Close the request's connection.

    Args:
        scope: The request's ASGI scope (as set up by `ExposeConnection`).
        graceful: Flush what was already sent first (`True`), or reset at once.
    """
    cycle = scope.get(_CYCLE_KEY)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return
    if graceful:
        transport.close()
    else:
        transport.abort()
    # Return only once the server has seen the disconnect, so that it does not try to
    # complete the response on a closed connection.
    for _ in range(500):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.01)
    transport.abort()


class CutResponse(Response):
    """A response that cuts the connection, optionally after the head of another response.

    With `head`, the client receives its status line and headers (Content-Length included)
    and then the connection closes before the body; without, nothing at all is sent.

    Args:
        head: The response whose head is sent first, if any.
    """

    def __init__(self, head: Response | None = None) -> None:
        self.head = head
        self.status_code = head.status_code if head is not None else 0
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the head (if any), then cut the connection."""
        if self.head is not None:
            message = {"type": "http.response.start", "status": self.head.status_code}
            await send({**message, "headers": self.head.raw_headers})
        await sever(scope, graceful=self.head is not None)
