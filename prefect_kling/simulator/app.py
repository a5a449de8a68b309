"""The simulator's ASGI application: the API, result files, control routes and a ticker.

Routes:
    `/v1/...` and `/kling/v1/...`: Kling's API (see `api`).
    `/_simulator/files/<task_id>/<name>`: result downloads (see `files`).
    `/_simulator/...`: inspection and control (see `control`).
    `/v1/general/...`: the account's custom elements and voices, and Kling's presets
    (see `library`).

A background task ticks every `tick_seconds`: it moves tasks along their timelines and
sends the callbacks that produces, so callbacks go out even when nobody polls.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.types import ASGIApp

from prefect_kling.simulator.api import KlingApi
from prefect_kling.simulator.callbacks import CallbackDispatcher
from prefect_kling.simulator.connection import ExposeConnection
from prefect_kling.simulator.control import control_routes
from prefect_kling.simulator.files import file_routes
from prefect_kling.simulator.library import library_routes
from prefect_kling.simulator.state import SimulatorState


def build_app(state: SimulatorState) -> ASGIApp:
    """Build the simulator's ASGI application around a state.

    Args:
        state: The simulated account the app serves.

    Returns:
        The ASGI application (serve it with uvicorn's h11 protocol, which the
        connection-cutting faults rely on).
    """
    dispatcher = CallbackDispatcher(
        get_format=lambda: state.config.callback_format,
        get_timeout=lambda: state.config.callback_timeout_seconds,
        record=state.record_callback_result,
    )

    def flush() -> None:
        state.tick()
        library = state.library_store
        library.tick()
        dispatcher.dispatch([*state.take_outbox(), *library.take_outbox(state.base_url)])

    async def ticker() -> None:
        while True:
            await asyncio.sleep(state.config.tick_seconds)
            flush()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        ticking = loop.create_task(ticker())
        state.waker = lambda: loop.call_soon_threadsafe(flush)
        try:
            yield
        finally:
            state.waker = None
            ticking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticking
            await dispatcher.aclose()

    # The API's catch-all route comes last.
    api = KlingApi(state, flush)
    routes = file_routes(state) + control_routes(state) + library_routes(state, api) + api.routes()
    return ExposeConnection(Starlette(routes=routes, lifespan=lifespan))
