"""A uvicorn server for the command line: says it is ready once it can be stopped cleanly.

A command that prints "listening on ..." before uvicorn has taken over SIGTERM and Ctrl-C
leaves a window in which a stop signal lands in the middle of building the event loop: the
program then ends with asyncio's warnings instead of its one line. `ForegroundServer` calls
`on_started` from inside the running server, after uvicorn has installed its signal handlers
and bound its sockets, and `on_stopped` once it has shut down, before uvicorn raises the stop
signal again for the program (whose handler may end the process at once).

Examples:
    >>> import uvicorn
    >>> server = ForegroundServer(uvicorn.Config(app=None), on_started=lambda: print("ready"))
    >>> server.should_exit
    False
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn


class ForegroundServer(uvicorn.Server):
    """uvicorn's server with a hook once it serves and once it has shut down.

    Args:
        config: uvicorn's settings.
        on_started: Called once the server accepts connections (print the banner there).
        on_stopped: Called once the server has shut down (save what must be saved there).
    """

    def __init__(
        self,
        config: uvicorn.Config,
        *,
        on_started: Callable[[], None] | None = None,
        on_stopped: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(config)
        self.on_started = on_started
        self.on_stopped = on_stopped

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.on_started is not None:  # not started: the port was taken
            self.on_started()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets=sockets)
        if self.on_stopped is not None:
            self.on_stopped()
