"""Kling's API as the simulator serves it: `/v1` (API key or JWT), a gateway's `/kling/v1`.

The account prefix (`/account/...` on the official host, `/kling/account/...` on the
gateway) serves `account/costs`. The newer standard's routes (`/<product>/<model>`,
`/tasks`, API key only) are `standard_api`'s; the gateway has none of them. Repeated
slashes in a path count as one, as behind the real service's front servers: Kling's own
client reads try-on tasks at `.../kolors-virtual-try-on//<id>`. A request goes through:
route match (unknown: 404 envelope 1202 officially, an HTML page on the gateway),
authentication, the faults drawn before work, the rate limit, then the create, query, list
or call itself. Every answer is counted by HTTP status and business code, and every
request is kept in the state's request log (`request_log`), whatever path it came to.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from prefect_kling.simulator.auth import check_bearer, check_official, credential_kind
from prefect_kling.simulator.connection import CutResponse
from prefect_kling.simulator.edits import validate_costs_query, validate_identify_face
from prefect_kling.simulator.faults import (
    AFTER_CREATE,
    BEFORE_CREATE,
    BEFORE_READ,
    FaultKind,
    Scope,
)
from prefect_kling.simulator.omni_images import validate_image_recognize
from prefect_kling.simulator.orders import Context, Invalid
from prefect_kling.simulator.refusals import CONCURRENCY_MESSAGE, RATE_MESSAGE, Refusal
from prefect_kling.simulator.routes import DEFAULT_PROMPT_LIMITS, TTS, Call, Match, resolve
from prefect_kling.simulator.standard_api import standard_routes
from prefect_kling.simulator.state import SimulatorState

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
SERVER_ERRORS = [
    (500, 5000, "Server internal error"),
    (504, 5002, "Server timeout, please try again later"),
]
_REPEATED_SLASHES = re.compile(r"/{2,}")
_HTML_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class KlingApi:
    """Request handlers for both prefixes.

    Args:
        state: The simulated account.
        flush: Brings tasks up to date and sends pending callbacks.
    """

    def __init__(self, state: SimulatorState, flush: Callable[[], None]) -> None:
        self.state = state
        self.flush = flush

    def routes(self) -> list[Route]:
        """The API routes of both standards, and a catch-all answering 404/1202."""
        return [
            Route("/v1/{rest:path}", self.official, methods=METHODS),
            Route("/account/{rest:path}", self.official_account, methods=METHODS),
            Route("/kling", self.gateway, methods=METHODS),
            Route("/kling/{rest:path}", self.gateway, methods=METHODS),
            *standard_routes(self),
            Route("/{rest:path}", self.stray, methods=METHODS),
        ]

    async def log(self, request: Request) -> None:
        """Keep the request in the request log (the kind of credential, never the value)."""
        kind = credential_kind(request.headers.get("authorization"))
        body = await request.body()
        self.state.request_log.add(
            request.method, request.url.path, request.query_params, kind, body
        )

    # -- answers --------------------------------------------------------------------------

    def envelope(
        self, status: int, code: int, message: str, data: Any = None, *, count: bool = True
    ) -> JSONResponse:
        """Kling's envelope; `data` only on success (as Kling's errors carry none)."""
        body: dict[str, Any] = {
            "code": code,
            "message": message,
            "request_id": self.state.new_request_id(),
        }
        if code == 0:
            body["data"] = data
        if count:
            self.state.count_answer(status, code=code)
        return JSONResponse(body, status)

    def gateway_error(self, status: int, message: str, code: str) -> JSONResponse:
        """CometAPI's own error shape."""
        self.state.count_answer(status, gateway_error=code)
        error = {"message": message, "type": "comet_api_error", "param": "", "code": code}
        return JSONResponse({"error": error}, status)

    def html(self, status: int, reason: str) -> HTMLResponse:
        """An HTML error page, as proxies and gateways send."""
        self.state.count_answer(status)
        return HTMLResponse(_HTML_PAGE.format(status=status, reason=reason), status)

    # -- handlers -------------------------------------------------------------------------

    async def official(self, request: Request) -> Response:
        """`/v1/...`."""
        return await self.handle(request, "kling", request.path_params["rest"])

    async def official_account(self, request: Request) -> Response:
        """`/account/...` (official host, no `/v1`)."""
        path = f"account/{request.path_params['rest']}"
        return await self.handle(request, "kling", path, account=True)

    async def gateway(self, request: Request) -> Response:
        """`/kling/...`: the API under `/kling/v1/...`, the account under `/kling/account/...`."""
        rest = request.path_params.get("rest", "")
        if rest.startswith("v1/"):
            return await self.handle(request, "cometapi", rest.removeprefix("v1/"))
        return await self.handle(request, "cometapi", rest, account=True)

    async def stray(self, request: Request) -> Response:
        """A path no route serves: logged, then 404/1202."""
        await self.log(request)
        return await self.unknown(request)

    async def unknown(self, request: Request) -> Response:
        """Any other path."""
        return self.envelope(404, 1202, f"{request.method} {request.url.path} is not supported")

    def authenticate(self, provider: str, request: Request) -> Response | None:
        """The refusal to answer when the credentials are wrong, else `None`."""
        header = request.headers.get("authorization")
        config = self.state.config
        if provider == "kling":
            failure = check_official(
                header,
                api_key=config.api_key,
                access_key=config.access_key,
                secret_key=config.secret_key,
                leeway=config.jwt_leeway_seconds,
            )
            return None if failure is None else self.envelope(401, failure.code, failure.message)
        if check_bearer(header, api_key=config.api_key):
            return None
        message = "Invalid token" if header else "No token provided"
        return self.gateway_error(401, message, "invalid_api_key")

    async def handle(
        self, request: Request, provider: str, path: str, *, account: bool = False
    ) -> Response:
        """Serve one API request; `path` is relative to the provider's (account) prefix."""
        state = self.state
        await self.log(request)
        state.count_request()
        self.flush()
        path = _REPEATED_SLASHES.sub("/", path).lstrip("/")
        match = resolve(provider, request.method, path, account=account)
        if match is None:
            if provider == "cometapi":
                return self.html(404, "Not Found")
            return await self.unknown(request)
        refused = self.authenticate(provider, request)
        if refused is not None:
            return refused
        state.count_call(match.counter)
        stopped = await self.gate(match.kind == "create", match.scope)
        if stopped is not None:
            return stopped
        if match.call is not None:
            return await self.call(request, provider, match.call)
        if match.kind == "create":
            return await self.create(request, provider, match)
        if match.kind == "query":
            return self.query(match)
        return self.list(request, match)

    async def gate(self, create: bool, scope: Scope) -> Response | None:
        """The faults drawn before work, then the rate limit: the answer that stops it, if any."""
        state = self.state
        fault = state.draw_fault(BEFORE_CREATE if create else BEFORE_READ, scope)
        if fault is FaultKind.SLOW:
            await asyncio.sleep(state.config.slow_seconds)
        elif fault is FaultKind.DROP:
            return CutResponse()
        elif fault is FaultKind.HTML:
            return self.html(502, "Bad Gateway")
        elif fault is FaultKind.GARBLED:
            state.count_answer(200)
            return PlainTextResponse("OK")
        elif fault is FaultKind.RATE_BURST:
            return self.envelope(429, 1302, RATE_MESSAGE)
        elif fault is FaultKind.CONCURRENCY_BURST:
            return self.envelope(429, 1303, CONCURRENCY_MESSAGE)
        if not state.take_token():
            return self.envelope(429, 1302, RATE_MESSAGE)
        return None

    async def json_body(self, request: Request) -> dict[str, Any] | Response:
        """The request's JSON object, or the 400/1200 answer when it is not one."""
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self.envelope(400, 1200, "the request body must be a JSON object")
        return body

    def answer(self, result: dict[str, Any] | Refusal) -> JSONResponse:
        """A success envelope around `result`, or the refusal's error envelope."""
        if isinstance(result, Refusal):
            return self.envelope(result.http_status, result.code, result.message)
        return self.envelope(200, 0, "SUCCEED", result)

    async def call(self, request: Request, provider: str, call: Call) -> Response:
        """A call that creates no task: identify-face, recognition, speech, selection, account."""
        if call.name == "account-costs":
            try:
                query = validate_costs_query(request.query_params)
            except Invalid as exc:
                return self.envelope(exc.http_status, exc.code, exc.message)
            return self.answer(self.state.account_costs(query))
        body = await self.json_body(request)
        if isinstance(body, Response):
            return body
        if call.name.startswith("account-billing-"):
            return self.answer(self.state.ledger(call.name.removeprefix("account-billing-"), body))
        step = call.name.removeprefix("multi-elements-")
        opens = call.name in ("identify-face", "multi-elements-init-selection")
        try:
            if call.name == "image-recognize":
                validate_image_recognize(body)
                return self.answer(self.state.recognize_image())
            if call.name == "tts":
                speech = TTS.validate(body, Context(provider, *DEFAULT_PROMPT_LIMITS))
                return self.answer(self.state.speak(TTS, speech, body))
            order = (
                validate_identify_face(body, Context(provider, *DEFAULT_PROMPT_LIMITS))
                if opens
                else None
            )
        except Invalid as exc:
            return self.envelope(exc.http_status, exc.code, exc.message)
        if call.name == "identify-face" and order is not None:
            return self.answer(self.state.identify_face(order))
        return self.answer(self.state.selection(step, body, order))

    async def create(self, request: Request, provider: str, match: Match) -> Response:
        """POST to a create path."""
        body = await self.json_body(request)
        if isinstance(body, Response):
            return body
        endpoint = match.pick(body)
        try:
            order = endpoint.validate(body, endpoint.context(provider))
        except Invalid as exc:
            return self.envelope(exc.http_status, exc.code, exc.message)
        return self.created(self.state.create_task(endpoint, provider, order, body))

    def created(self, created: dict[str, Any] | Refusal) -> Response:
        """The answer to a create the account took (or refused), after-create faults drawn."""
        if isinstance(created, Refusal):
            return self.envelope(created.http_status, created.code, created.message)
        self.flush()  # sends the `submitted` callback
        fault = self.state.draw_fault(AFTER_CREATE, "create")
        if fault is FaultKind.CREATE_ERROR_AFTER:
            return self.envelope(*self.state.choose(SERVER_ERRORS))
        answer = self.envelope(200, 0, "SUCCEED", created, count=fault is None)
        return CutResponse(answer) if fault is FaultKind.DROP_AFTER_CREATE else answer

    def query(self, match: Match) -> Response:
        """GET one task by task id (or external task id where allowed)."""
        view = self.state.query(match.endpoints, match.ident)
        if view is None:
            return self.envelope(404, 1203, f"task {match.ident} does not exist")
        return self.envelope(200, 0, "SUCCEED", view)

    def list(self, request: Request, match: Match) -> Response:
        """GET a page of tasks, newest first."""
        pages = {}
        for name, high, default in (("pageNum", 1000, 1), ("pageSize", 500, 30)):
            raw = request.query_params.get(name)
            try:
                value = default if raw in (None, "") else int(raw)
            except ValueError:
                value = -1
            if not 1 <= value <= high:
                return self.envelope(400, 1201, f"{name} must be an integer between 1 and {high}")
            pages[name] = value
        data = self.state.list_tasks(match.endpoints, pages["pageNum"], pages["pageSize"])
        return self.envelope(200, 0, "SUCCEED", data)
