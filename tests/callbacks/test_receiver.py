"""The receiver app: each new status confirmed and emitted once; wrong paths and garbage
change nothing; a callback's claim never blocks what Kling says next."""

import pytest

from prefect_kling.callbacks import create_receiver_app
from prefect_kling.exceptions import KlingServerError
from tests.callbacks.hooks import PATH, TOKEN, URL, ScriptedKling, asgi_client, bare, genuine

pytestmark = pytest.mark.e2e


async def test_each_new_status_is_emitted_once(client, received, kling):
    for status in ("submitted", "processing", "succeed"):
        assert (await genuine(client, kling, "1", status)).status_code == 204
    assert received == [
        ("1", "submitted", "callback"),
        ("1", "processing", "callback"),
        ("1", "succeed", "callback"),
    ]
    assert kling.queries == [("text2video", "1")] * 3  # one confirming query each


async def test_duplicates_and_out_of_order_updates_change_nothing(client, received, kling):
    await genuine(client, kling, "1", "succeed")
    for status in ("succeed", "processing", "submitted"):
        assert (await client.post(URL, json=bare(status=status))).status_code == 204
    assert received == [("1", "succeed", "callback")]
    assert len(kling.queries) == 1  # a claim that is no news is not even queried


async def test_tasks_are_tracked_separately(client, received, kling):
    await genuine(client, kling, "1", "succeed")
    await genuine(client, kling, "2", "processing")
    assert [task_id for task_id, _, _ in received] == ["1", "2"]


async def test_a_forged_status_is_confirmed_away_and_never_blocks_the_real_one(
    client, received, kling
):
    kling.statuses["1"] = "processing"
    assert (await client.post(URL, json=bare(status="failed"))).status_code == 204
    assert received == [("1", "processing", "callback")]  # what Kling says, not the claim

    await genuine(client, kling, "1", "succeed")
    assert received[-1] == ("1", "succeed", "callback")
    assert ("1", "failed", "callback") not in received


async def test_a_task_kling_does_not_have_emits_nothing(client, received, kling):
    assert (await client.post(URL, json=bare("777", "succeed"))).status_code == 204
    assert received == []
    assert kling.queries == [("text2video", "777")]


async def test_a_failed_confirmation_emits_nothing_and_blocks_nothing(received):
    answers = [KlingServerError("down", code=5000, status_code=500), None]
    kling = ScriptedKling()

    def confirm(endpoint, task_id):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return kling(endpoint, task_id)

    app = create_receiver_app(
        TOKEN, confirm=confirm, emit=lambda task, *how: received.append(task.status)
    )
    async with asgi_client(app) as client:
        assert (await client.post(URL, json=bare(status="succeed"))).status_code == 204
        assert received == []
        assert (await genuine(client, kling, "1", "succeed")).status_code == 204
    assert received == ["succeed"]


async def test_an_unsigned_callback_without_its_endpoint_is_400(client, received, kling):
    answer = await client.post(PATH, json=bare(status="succeed"))
    assert answer.status_code == 400
    assert "endpoint" in answer.json()["detail"]
    assert received == [] and kling.queries == []


async def test_wrong_token_is_404_and_changes_nothing(client, received, kling):
    assert (
        await client.post("/kling/callbacks/guess?endpoint=text2video", json=bare(status="succeed"))
    ).status_code == 404
    assert received == [] and kling.queries == []


async def test_garbage_is_400(client, received, kling):
    assert (await client.post(URL, content=b"not json")).status_code == 400
    assert (await client.post(URL, json={"hello": "world"})).status_code == 400
    assert received == [] and kling.queries == []


async def test_the_endpoint_named_in_the_url_reaches_the_query_and_the_emitter():
    seen, kling = [], ScriptedKling()
    app = create_receiver_app(
        TOKEN, confirm=kling, emit=lambda task, source, endpoint: seen.append(endpoint)
    )
    async with asgi_client(app) as client:
        await genuine(client, kling, "1", "succeed", url=f"{PATH}?endpoint=image2video")
    assert seen == ["image2video"]
    assert kling.queries == [("image2video", "1")]
