"""The `/_simulator` control and inspection routes (no auth).

`GET stats`, `GET tasks`, `GET requests` (the last API requests, see `request_log`),
`POST advance` (`{"seconds": 10}`), `POST reset`, `GET`/`POST config` (JSON of
`SimulatorConfig` fields), `POST inject` (`{"kind": "drop", "times": 1, "on": "create"}`),
and `callbacks`: a sink that records whatever is POSTed to it (answering `?status=` if
given) and lists it on `GET`.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from prefect_kling.simulator.state import SimulatorState


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, 400)


def control_routes(state: SimulatorState) -> list[Route]:
    """The control and inspection routes of a state."""

    async def stats(request: Request) -> Response:
        return JSONResponse(state.stats().to_dict())

    async def tasks(request: Request) -> Response:
        return JSONResponse(state.inspect_tasks())

    async def requests(request: Request) -> Response:
        return JSONResponse(state.request_log.entries())

    async def advance(request: Request) -> Response:
        try:
            data = await _json_object(request)
            state.advance(float(data.get("seconds", request.query_params.get("seconds", 0))))
        except (ValueError, TypeError) as exc:
            return _bad(str(exc))
        return JSONResponse({"offset": state.clock.offset})

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

    async def config(request: Request) -> Response:
        if request.method == "POST":
            try:
                state.configure(**await _json_object(request))
            except (ValueError, TypeError) as exc:
                return _bad(str(exc))
        return JSONResponse(state.config.public_dict())

    async def inject(request: Request) -> Response:
        try:
            data = await _json_object(request)
            state.inject(data["kind"], int(data.get("times", 1)), data.get("on"))
        except (KeyError, ValueError, TypeError) as exc:
            return _bad(f"bad fault: {exc}")
        return JSONResponse({"pending": state.pending_faults()})

    async def callbacks(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(state.received_callbacks())
        raw = await request.body()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        state.record_received_callback(
            {
                "path": request.url.path,
                "headers": dict(request.headers),
                "body": body,
                "received_at": state.clock.wall_ms(),
            }
        )
        status = request.query_params.get("status", "200")
        return JSONResponse({"received": True}, int(status) if status.isdigit() else 200)

    return [
        Route("/_simulator/stats", stats, methods=["GET"]),
        Route("/_simulator/tasks", tasks, methods=["GET"]),
        Route("/_simulator/requests", requests, methods=["GET"]),
        Route("/_simulator/advance", advance, methods=["POST"]),
        Route("/_simulator/reset", reset, methods=["POST"]),
        Route("/_simulator/config", config, methods=["GET", "POST"]),
        Route("/_simulator/inject", inject, methods=["POST"]),
        Route("/_simulator/callbacks", callbacks, methods=["GET", "POST"]),
        Route("/_simulator/callbacks/{rest:path}", callbacks, methods=["POST"]),
    ]
