"""The receiver app: each new status emitted once; wrong paths and garbage change nothing."""

import pytest

from prefect_kling.callbacks import create_receiver_app
from tests.callbacks.hooks import PATH, TOKEN, asgi_client, bare

pytestmark = pytest.mark.e2e


async def test_each_new_status_is_emitted_once(client, received):
    for status in ("submitted", "processing", "succeed"):
        assert (await client.post(PATH, json=bare(status=status))).status_code == 204
    assert received == [
        ("1", "submitted", "callback"),
        ("1", "processing", "callback"),
        ("1", "succeed", "callback"),
    ]


async def test_duplicates_and_out_of_order_updates_change_nothing(client, received):
    await client.post(PATH, json=bare(status="succeed"))
    for status in ("succeed", "processing", "submitted"):
        assert (await client.post(PATH, json=bare(status=status))).status_code == 204
    assert received == [("1", "succeed", "callback")]


async def test_tasks_are_tracked_separately(client, received):
    await client.post(PATH, json=bare("1", "succeed"))
    await client.post(PATH, json=bare("2", "processing"))
    assert [task_id for task_id, _, _ in received] == ["1", "2"]


async def test_wrong_token_is_404_and_changes_nothing(client, received):
    assert (
        await client.post("/kling/callbacks/guess", json=bare(status="succeed"))
    ).status_code == 404
    assert received == []


async def test_garbage_is_400(client, received):
    assert (await client.post(PATH, content=b"not json")).status_code == 400
    assert (await client.post(PATH, json={"hello": "world"})).status_code == 400
    assert received == []


async def test_the_endpoint_named_in_the_url_reaches_the_emitter():
    seen = []
    app = create_receiver_app(TOKEN, emit=lambda task, source, endpoint: seen.append(endpoint))
    async with asgi_client(app) as client:
        await client.post(f"{PATH}?endpoint=image2video", json=bare(status="succeed"))
    assert seen == ["image2video"]
