"""What the receiver refuses, and why a callback never decides a task's fate on its own.

Bodies too large (413), too deep or malformed, fields out of shape and endpoints that are
not Kling's (400) change nothing. A callback that passes those checks is a hint: what the
receiver emits is what Kling answers to a query of the task, so a forged status neither
reaches Prefect nor blocks the genuine one that follows, and a task Kling does not have
emits nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from prefect_kling.callbacks import create_receiver_app
from tests.callbacks.hooks import PATH, TOKEN, asgi_client, bare
from tests.conftest import canary_simulator

pytestmark = pytest.mark.e2e

URL = f"{PATH}?endpoint=text2video"


async def test_a_body_over_the_size_limit_is_413_before_it_is_read(client, received):
    padding = b"x" * (30 * 1024 * 1024)
    body = b'{"task_id": "1", "task_status": "succeed", "pad": "' + padding + b'"}'
    answer = await client.post(URL, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert received == []


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 50_000 + b"]" * 50_000,
        b'{"task_id": "1", "task_status": "succeed", "task_info": '
        + b'{"a": ' * 50_000
        + b"1"
        + b"}" * 50_000
        + b"}",
        b'{"task_id": "1", "task_status": "succeed", "task_result": '
        + b"[" * 64
        + b"]" * 64
        + b"}",
    ],
    ids=["array", "object-field", "deep-result"],
)
async def test_json_nested_deeper_than_a_task_is_400(client, received, body):
    answer = await client.post(URL, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert received == []


@pytest.mark.parametrize(
    "task_id",
    ["", "   ", "x" * 10_000, "../1", "1/2", "1?x=2", None, 17, ["1"], {"id": "1"}],
    ids=["empty", "blank", "10k", "dots", "slash", "query", "null", "number", "list", "object"],
)
async def test_a_task_id_that_could_not_be_klings_is_400(client, received, task_id):
    answer = await client.post(URL, json={"task_id": task_id, "task_status": "succeed"})
    assert answer.status_code == 400
    assert "task_id" in answer.json()["detail"]
    assert received == []


@pytest.mark.parametrize("status", ["", "exploded", "SUCCEED!", None, 2])
async def test_a_status_kling_does_not_have_is_400(client, received, status):
    answer = await client.post(URL, json={"task_id": "1", "task_status": status})
    assert answer.status_code == 400
    assert "status" in answer.json()["detail"]
    assert received == []


@pytest.mark.parametrize(
    "endpoint", ["../../account", "account/costs", "nope", "", "text2video/../x", "x" * 5000]
)
async def test_an_endpoint_that_is_not_klings_is_400(client, received, endpoint):
    answer = await client.post(PATH, params={"endpoint": endpoint}, json=bare(status="succeed"))
    assert answer.status_code == 400
    assert "endpoint" in answer.json()["detail"]
    assert received == []


@pytest.mark.parametrize(
    "field",
    [
        {"task_info": "not an object"},
        {"task_info": {"external_task_id": "x" * 10_000}},
        {"task_status_msg": "m" * 100_000},
        {"final_unit_deduction": "lots"},
        {"created_at": "yesterday"},
    ],
    ids=["task-info", "external-id", "message", "units", "created-at"],
)
async def test_every_other_field_is_checked_too(client, received, field):
    answer = await client.post(URL, json={**bare(status="succeed"), **field})
    assert answer.status_code == 400
    assert received == []


# --- callbacks are hints: confirmed by a query before anything is emitted ------------------


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A simulator whose keys are in KLING_*: the receiver's credentials for its queries."""
    with canary_simulator(queue_seconds=1.0, processing_seconds=30.0) as sim:
        monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
        monkeypatch.setenv("KLING_ACCESS_KEY", sim.config.access_key)
        monkeypatch.setenv("KLING_SECRET_KEY", sim.config.secret_key)
        yield sim


def _recording_app(emitted: list[tuple[str, str]]):
    return create_receiver_app(
        TOKEN, emit=lambda task, source, endpoint: emitted.append((task.task_id, task.status))
    )


async def test_a_forged_final_status_neither_reaches_prefect_nor_blocks_the_real_one(sim):
    with sim.credentials().get_client() as kling:
        task_id = kling.create("text2video", {"prompt": "a paper boat"}).task_id
    emitted: list[tuple[str, str]] = []
    async with asgi_client(_recording_app(emitted)) as client:
        forged = await client.post(URL, json=bare(task_id, "failed"))
        assert forged.status_code in (202, 204)
        assert (task_id, "failed") not in emitted

        sim.advance(60)
        genuine = await client.post(URL, json=bare(task_id, "succeed"))
        assert genuine.status_code in (202, 204)
    assert emitted[-1] == (task_id, "succeed")
    assert (task_id, "failed") not in emitted


async def test_a_callback_for_a_task_kling_does_not_have_emits_nothing(sim):
    emitted: list[tuple[str, str]] = []
    async with asgi_client(_recording_app(emitted)) as client:
        answer = await client.post(URL, json=bare("123456789012345678", "succeed"))
    assert answer.status_code in (400, 202, 204)
    assert emitted == []
