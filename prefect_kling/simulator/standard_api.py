"""Kling's newer API standard (2026) as the simulator serves it, at the official host's root.

Routes (none under the gateway's `/kling/...`, which answers its HTML 404 page there):
    `POST /text-to-video/<model>`, `/image-to-video/<model>`, `/omni-video/<model>`,
    `/motion-control/<model>`: create a task (the models are `standard_models`'s).
    `GET /tasks?task_ids=...` or `?external_task_ids=...`: the tasks asked for.
    `POST /tasks`: a cursor page of tasks (see `standard_queries`).

A request goes through what a `/v1` request does: the request log, the count of requests,
authentication (`Authorization: Bearer <API key>` only: no header 401/1001, another
scheme or a JWT from access and secret keys 401/1002, another key 401/1000), the count of
the call (`create`, `query` for `GET /tasks` however many ids, `list` for `POST /tasks`),
the faults drawn before work, the rate limit, then the work. Another method on these paths
answers 404/1202; a model the product does not serve 404/1203 (after authentication, as an
unknown `model_name` does on `/v1`). A create body is checked (`standard_validation`,
400/1201 naming the field, nothing created) and goes to the account as a `/v1` create does
(content refusal 1301, duplicate `external_task_id` 1201, resource pack 1102, concurrency
1303), then the faults drawn after a create (the task exists, the answer is lost).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from prefect_kling.simulator.auth import check_api_key
from prefect_kling.simulator.faults import Scope
from prefect_kling.simulator.orders import Invalid
from prefect_kling.simulator.standard_inputs import AccountInputs
from prefect_kling.simulator.standard_models import PRODUCTS, find_model, models_of
from prefect_kling.simulator.standard_queries import (
    encode_cursor,
    find_ids,
    found,
    page,
    page_request,
)
from prefect_kling.simulator.standard_routes import STANDARD_BY_NAME
from prefect_kling.simulator.standard_validation import validate_standard

if TYPE_CHECKING:
    from prefect_kling.simulator.api import KlingApi

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class StandardApi:
    """Request handlers of the newer standard, on the `/v1` handlers' machinery.

    Args:
        api: The `/v1` handlers, for their envelopes, fault gate and request log.
    """

    def __init__(self, api: KlingApi) -> None:
        self.api = api
        self.state = api.state

    def routes(self) -> list[Route]:
        """One route per product, and `/tasks`."""
        creates = [
            Route(f"/{product}/{{model}}", functools.partial(self.create, product), methods=METHODS)
            for product in PRODUCTS
        ]
        return [*creates, Route("/tasks", self.tasks, methods=METHODS)]

    async def admit(self, request: Request, method: str, counter: Scope) -> Response | None:
        """Log, count, authenticate and gate a request; the answer that stops it, if any."""
        api, state = self.api, self.state
        await api.log(request)
        state.count_request()
        api.flush()
        if request.method != method:
            return await api.unknown(request)
        failure = check_api_key(request.headers.get("authorization"), api_key=state.config.api_key)
        if failure is not None:
            return api.envelope(401, failure.code, failure.message)
        state.count_call(counter)
        return await api.gate(counter == "create", counter)

    async def create(self, product: str, request: Request) -> Response:
        """`POST /<product>/<model>`."""
        stopped = await self.admit(request, "POST", "create")
        if stopped is not None:
            return stopped
        api, state = self.api, self.state
        model = request.path_params["model"]
        spec = find_model(product, model)
        if spec is None:
            served = ", ".join(models_of(product))
            message = f"model {model!r} does not exist for {product} (it serves {served})"
            return api.envelope(404, 1203, message)
        body = await api.json_body(request)
        if isinstance(body, Response):
            return body
        inputs = AccountInputs(state.base_url, state.read, state.catalog)
        try:
            order = validate_standard(spec, body, inputs)
        except Invalid as exc:
            return api.envelope(exc.http_status, exc.code, exc.message)
        return api.created(state.create_task(STANDARD_BY_NAME[spec.name], "kling", order, body))

    async def tasks(self, request: Request) -> Response:
        """`GET /tasks` (by ids) and `POST /tasks` (by cursor)."""
        if request.method == "POST":
            return await self.page(request)
        stopped = await self.admit(request, "GET", "query")
        if stopped is not None:
            return stopped
        api, state = self.api, self.state
        try:
            lookup = find_ids(request.query_params)
        except Invalid as exc:
            return api.envelope(exc.http_status, exc.code, exc.message)
        state.count_queried(len(lookup.ids))
        base_url = state.base_url
        views = state.read(
            lambda tasks, by_external: [
                task.view(base_url) for task in found(lookup, tasks, by_external)
            ]
        )
        return api.envelope(200, 0, "SUCCEED", views)

    async def page(self, request: Request) -> Response:
        """`POST /tasks`: one page, newest first."""
        stopped = await self.admit(request, "POST", "list")
        if stopped is not None:
            return stopped
        api, state = self.api, self.state
        body: dict[str, Any] | Response = {}
        if (await request.body()).strip():
            body = await api.json_body(request)
        if isinstance(body, Response):
            return body
        try:
            asked = page_request(body, now_ms=state.clock.wall_ms())
        except Invalid as exc:
            return api.envelope(exc.http_status, exc.code, exc.message)
        base_url = state.base_url

        def read(tasks: Any, by_external: Any) -> dict[str, Any]:
            chosen = page(tasks.values(), asked)
            cursor = encode_cursor(asked, chosen.tasks[-1]) if chosen.has_more else ""
            return {
                "result": [task.view(base_url) for task in chosen.tasks],
                "count": len(chosen.tasks),
                "next_cursor": cursor,
                "has_more": chosen.has_more,
            }

        return api.envelope(200, 0, "SUCCEED", state.read(read))


def standard_routes(api: KlingApi) -> list[Route]:
    """The newer standard's routes, served with `api`'s machinery."""
    return StandardApi(api).routes()
