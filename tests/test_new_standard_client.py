"""The client on Kling's newer API standard: the model in the path, options, /tasks queries."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import httpx
import pytest

from prefect_kling import KlingCredentials
from prefect_kling.exceptions import KlingNotFound, KlingValidationError
from prefect_kling.models import KlingTask
from tests.fakes import envelope

API_KEY = "kling-api-key-for-tests"


class NewerKling:
    """Kling's newer standard as an httpx handler: creates, `GET /tasks`, `POST /tasks`.

    `fail_after_create` answers the next creates 500/5000 after making their task.
    """

    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []
        self.fail_after_create = 0
        self._ids = itertools.count(100)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/tasks" and request.method == "GET":
            return self._query(request.url.params)
        if path == "/tasks" and request.method == "POST":
            return envelope({"result": list(self.tasks.values()), "has_more": False})
        body = json.loads(request.content)
        task = {
            "id": str(next(self._ids)),
            "status": "submitted",
            "external_id": body.get("options", {}).get("external_task_id"),
            "create_time": 1781080778802,
        }
        self.tasks[task["id"]] = task
        if self.fail_after_create:
            self.fail_after_create -= 1
            return envelope(code=5000, message="Server internal error", status=500)
        return envelope(task)

    def _query(self, params: httpx.QueryParams) -> httpx.Response:
        if "task_ids" in params:
            wanted = params["task_ids"].split(",")
            return envelope([task for task in self.tasks.values() if task["id"] in wanted])
        wanted = params["external_task_ids"].split(",")
        return envelope([task for task in self.tasks.values() if task["external_id"] in wanted])

    def creates(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST" and r.url.path != "/tasks"]


def client(kling: NewerKling, asynchronous: bool = False, **keys: Any):
    credentials = KlingCredentials(**(keys or {"api_key": API_KEY}))
    transport = httpx.MockTransport(kling)
    if asynchronous:

        async def asleep(seconds: float) -> None:
            pass

        return credentials.get_async_client(transport=transport, sleep=asleep)
    return credentials.get_client(transport=transport, sleep=lambda seconds: None)


TURBO_12S = {
    "prompt": "a red fox",
    "model_name": "kling-3.0-turbo",
    "duration": 12,
    "resolution": "1080p",
}


def test_a_newer_model_goes_to_its_path_with_prompt_settings_and_options():
    kling = NewerKling()
    with client(kling) as kling_client:
        reference = kling_client.create("text2video", TURBO_12S)
    (create,) = kling.creates()
    body = json.loads(create.content)
    assert create.url.path == "/text-to-video/kling-3.0-turbo"
    assert create.headers["Authorization"] == f"Bearer {API_KEY}"
    assert body["prompt"] == "a red fox" and "model_name" not in body
    assert body["settings"] == {"duration": 12, "resolution": "1080p"}
    assert body["options"]["external_task_id"].startswith("pk2-")
    assert reference.endpoint == "text-to-video"
    assert reference.external_task_id == body["options"]["external_task_id"]


def test_image_to_video_sends_typed_contents():
    kling = NewerKling()
    request = {
        "model_name": "kling-3.0",
        "image": "https://img.test/first.png",
        "image_tail": "https://img.test/last.png",
        "prompt": "the door opens",
        "audio": "native",
        "duration": 8,
    }
    with client(kling) as kling_client:
        kling_client.create("image2video", request)
    body = json.loads(kling.creates()[0].content)
    assert kling.creates()[0].url.path == "/image-to-video/kling-3.0"
    assert body["contents"] == [
        {"type": "prompt", "text": "the door opens"},
        {"type": "first_frame", "url": "https://img.test/first.png"},
        {"type": "last_frame", "url": "https://img.test/last.png"},
    ]
    assert body["settings"] == {"duration": 8, "audio": "native"}


@pytest.mark.parametrize(
    ("keys", "field", "words"),
    [
        ({"access_key": "ak", "secret_key": "sk"}, "api_key", "takes an API key only"),
        ({"api_key": API_KEY, "provider": "cometapi"}, "model_name", "provider cometapi"),
    ],
)
def test_a_newer_model_without_a_way_in_is_refused_before_sending(keys, field, words):
    kling = NewerKling()
    with client(kling, **keys) as kling_client, pytest.raises(KlingValidationError) as caught:
        kling_client.create("text2video", TURBO_12S)
    assert caught.value.fields == [field]
    assert words in str(caught.value)
    assert kling.requests == []


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_5000_after_the_create_finds_the_task_instead_of_making_another(asynchronous):
    kling = NewerKling()
    kling.fail_after_create = 1

    async def create_async():
        async with client(kling, asynchronous=True) as kling_client:
            return await kling_client.create("text2video", TURBO_12S)

    if asynchronous:
        reference = asyncio.run(create_async())
    else:
        with client(kling) as kling_client:
            reference = kling_client.create("text2video", TURBO_12S)
    assert len(kling.tasks) == 1 and len(kling.creates()) == 1
    lookups = [r for r in kling.requests if "external_task_ids" in r.url.params]
    assert len(lookups) == 1
    assert reference.task_id == next(iter(kling.tasks))


def test_many_tasks_are_read_in_bulk_a_hundred_per_request():
    kling = NewerKling()
    for number in range(150):
        kling.tasks[str(number)] = {"id": str(number), "status": "processing"}
    with client(kling) as kling_client:
        tasks = kling_client.get_tasks([str(number) for number in range(150)])
        one = kling_client.get_task("text-to-video", "7")
        with pytest.raises(KlingNotFound):
            kling_client.get_task("text-to-video", "9999")
    queries = [r for r in kling.requests if r.url.path == "/tasks"]
    assert [len(r.url.params["task_ids"].split(",")) for r in queries] == [100, 50, 1, 1]
    assert len(tasks) == 150 and one.task_id == "7"


def test_the_cursor_query_sends_its_page_and_filters():
    kling = NewerKling()
    kling.tasks["5"] = {"id": "5", "status": "failed", "message": "risk control"}
    with client(kling) as kling_client:
        page = kling_client.list_recent_tasks(cursor="c1", limit=50, filters={"status": ["failed"]})
        with pytest.raises(KlingValidationError, match="limit"):
            kling_client.list_recent_tasks(limit=501)
    body = json.loads(kling.requests[0].content)
    assert body == {
        "limit": 50,
        "cursor": "c1",
        "filters": [{"key": "status", "values": ["failed"]}],
    }
    assert page.tasks[0].failed and page.tasks[0].task_status_msg == "risk control"
    assert len(kling.requests) == 1


def test_a_newer_task_reads_as_one_status_vocabulary_with_files_and_charges():
    task = KlingTask.model_validate(
        {
            "id": "893605946402811985",
            "status": "succeeded",
            "external_id": "pk2-abc",
            "create_time": 1781080778802,
            "outputs": [
                {
                    "type": "video",
                    "id": "v9",
                    "url": "https://cdn.test/v.mp4",
                    "duration": "12.042",
                },
                {"type": "audio", "id": "a1", "mp3_url": "https://cdn.test/a.mp3"},
                {"type": "voice", "id": "829", "name": "sweet"},
            ],
            "billing": [
                {"charge_type": "unit", "amount": "12", "package_type": "video"},
                {"charge_type": "cash", "amount": "0.7", "currency": "USD"},
            ],
        }
    )
    assert task.succeeded and task.finished and task.status_said == "succeeded"
    assert task.videos[0].duration_seconds == 12.042 and task.videos[0].id == "v9"
    assert task.task_result.audios[0].url_mp3 == "https://cdn.test/a.mp3"
    # Only unit charges are units; the voice output is kept as it came.
    assert task.units == 12.0
    assert task.model_extra["outputs"][2]["name"] == "sweet"
    assert task.external_task_id == "pk2-abc" and task.created_at.year == 2026
