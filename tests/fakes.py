"""A scripted Kling peer for `httpx.MockTransport`: small handlers instead of patching."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def envelope(
    data: Any = None, *, code: int = 0, message: str = "SUCCEED", status: int = 200
) -> httpx.Response:
    body = {"code": code, "message": message, "request_id": "req-1"}
    if data is not None:
        body["data"] = data
    return httpx.Response(status, json=body)


def task_data(
    task_id: str = "100", status: str = "submitted", external: str | None = None, **extra: Any
) -> dict[str, Any]:
    data = {
        "task_id": task_id,
        "task_status": status,
        "task_info": {"external_task_id": external} if external else {},
        "created_at": 1773380633979,
        "updated_at": 1773380633979,
    }
    data.update(extra)
    return data


@dataclass
class ScriptedKling:
    """Answers each (method, path) from a queue of scripted answers, then a default.

    Requests are recorded; creates that "happened" (answered or scripted with
    `creates=True`) are counted in `tasks`, so tests can count paid tasks.
    """

    script: dict[tuple[str, str], list[Answer]] = field(default_factory=dict)
    default: Callable[[httpx.Request], httpx.Response] | None = None
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, path: str, *answers: Answer) -> ScriptedKling:
        self.script.setdefault((method, path), []).extend(answers)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.script.get((request.method, request.url.path))
        if queue:
            answer = queue.pop(0)
        elif self.default is not None:
            answer = self.default
        else:
            return envelope(
                code=1203, message=f"no script for {request.method} {request.url.path}", status=404
            )
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    @staticmethod
    def body(request: httpx.Request) -> dict[str, Any]:
        return json.loads(request.content)
