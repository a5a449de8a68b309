"""Callbacks end to end: simulator -> receiver -> Prefect events -> the waiting flow.

The simulator POSTs every status change to the receiver (served by uvicorn on loopback and
signing-checked), which emits `kling.task.*` events to Prefect's test server; the flows
subscribe to those events and confirm each with one query. The safety poll is set far
beyond the wait, so a flow only finishes in time if the events reach it.

These run on real time: a flow waiting for callbacks sleeps on no clock, it waits for the
simulator's own loop to call back. The tasks' statuses stay a good fraction of a second
apart, as Kling's are minutes apart: the receiver emits each callback's event after
answering it, so two callbacks that arrive at once may have their events emitted in either
order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from prefect_kling.callbacks import (
    CallbackWatcher,
    callback_url,
    emit_callback_event,
    running_receiver,
)
from prefect_kling.flows import batch_generate, generate_video
from prefect_kling.models.kling_task import KlingTask
from prefect_kling.simulator import KlingSimulator, SignedCallbackFormat
from tests.conftest import canary_simulator

pytestmark = pytest.mark.e2e

TOKEN = "tok-callbacks-e2e"
SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NO_SAFETY_POLL = 3600.0  # longer than any wait here: only events can end it in time
MAX_WAIT = 60.0


@pytest.fixture
def sim() -> Iterator[KlingSimulator]:
    signed = SignedCallbackFormat(SIGNING_SECRET)
    with canary_simulator(queue_seconds=0.2, processing_seconds=1.0, callback_format=signed) as sim:
        yield sim


class Receiver:
    """The receiver app on loopback, recording what it emitted."""

    def __init__(self, base_url: str, emitted: list[tuple[str, str, str | None]]):
        self.base_url = base_url
        self.emitted = emitted

    @property
    def url(self) -> str:
        return callback_url(self.base_url, TOKEN)

    def post(self, body: dict[str, Any], *, secret: str = SIGNING_SECRET) -> int:
        headers, raw = SignedCallbackFormat(secret).encode(body)
        return httpx.post(self.url, content=raw, headers=headers).status_code

    def statuses(self, task_id: str) -> list[str]:
        return [status for seen, status, _ in self.emitted if seen == task_id]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    emitted: list[tuple[str, str, str | None]] = []

    def emit(task: KlingTask, source: str, endpoint: str | None = None) -> None:
        emitted.append((task.task_id, task.status, endpoint))
        emit_callback_event(task, source, endpoint)

    with running_receiver(TOKEN, signing_secret=SIGNING_SECRET, emit=emit) as base_url:
        yield Receiver(base_url, emitted)


def unique(text: str) -> str:
    return f"{text} #{uuid.uuid4().hex[:8]}"


def test_generate_video_waits_for_the_callback_and_queries_at_most_twice(
    sim: KlingSimulator, receiver: Receiver, tmp_path: Path
):
    result = generate_video(
        {"prompt": unique("A heron at dawn")},
        credentials=sim.credentials().with_callback_url(receiver.url),
        output=tmp_path,
        callback_safety_poll_seconds=NO_SAFETY_POLL,
        max_wait_seconds=MAX_WAIT,
    )

    assert result.status == "succeeded"
    assert Path(result.files[0].path).read_bytes()[4:8] == b"ftyp"
    stats = sim.stats()
    # One confirming query; no lookup before the create (no earlier attempt marked it sent).
    assert stats.create_calls == 1
    assert stats.query_calls == 1
    assert stats.list_calls == 0
    (task,) = sim.tasks()
    assert task["request"]["callback_url"] == f"{receiver.url}?endpoint=text2video"
    assert receiver.statuses(result.task_id)[-1] == "succeed"
    assert ("succeed", "text2video") in {(s, e) for _, s, e in receiver.emitted}


def test_a_batch_waits_for_callbacks_to_the_credentials_url(
    sim: KlingSimulator, receiver: Receiver, tmp_path: Path
):
    credentials = sim.credentials().model_copy(update={"callback_url": SecretStr(receiver.url)})
    items = [{"prompt": unique(f"Lantern {n}")} for n in range(4)]

    report = batch_generate(
        items,
        credentials=credentials,
        output=tmp_path,
        max_concurrency=4,
        callback_safety_poll_seconds=NO_SAFETY_POLL,
        max_wait_seconds=MAX_WAIT,
    )

    assert [outcome.status for outcome in report.outcomes] == ["succeeded"] * 4
    stats = sim.stats()
    assert stats.tasks_created == 4
    assert stats.query_calls == 4
    assert stats.list_calls == 0
    assert report.watcher_requests == 4  # one confirming query per task
    assert stats.callbacks_failed == 0


def test_forged_duplicate_and_reordered_callbacks_change_nothing(
    sim: KlingSimulator, receiver: Receiver
):
    sim.configure(processing_seconds=2.0)
    credentials = sim.credentials()
    with CallbackWatcher(credentials, safety_interval=NO_SAFETY_POLL) as watcher:
        with credentials.get_client() as client:
            reference = client.create(
                "text2video",
                {
                    "prompt": unique("A paper boat"),
                    "callback_url": f"{receiver.url}?endpoint=text2video",
                },
            )
        early = {"task_id": reference.task_id, "task_status": "succeed"}
        # Forged: a wrong signature, and no signature at all. Both refused before the end.
        assert receiver.post(early, secret="whsec_" + "A" * 32) == 401
        assert httpx.post(receiver.url, json=early).status_code == 401

        task = watcher.wait(reference, max_wait_seconds=MAX_WAIT)

        assert task.status == "succeed"
        assert watcher.requests == 1  # no forged hint woke the waiter early
        statuses = receiver.statuses(reference.task_id)
        assert statuses[-1] == "succeed" and len(statuses) == len(set(statuses))
        # A repeat of the final callback and a late `processing` one emit nothing more.
        assert receiver.post({**early, "task_status": "succeed"}) == 204
        assert receiver.post({**early, "task_status": "processing"}) == 204
        assert receiver.statuses(reference.task_id) == statuses


def test_a_newer_standard_model_is_waited_for_through_its_callback(
    sim: KlingSimulator, receiver: Receiver, tmp_path: Path
):
    # The callback URL names the row the model picks (text-to-video), not the one asked for.
    result = generate_video(
        {"prompt": unique("A heron at dusk"), "model_name": "kling-3.0-turbo"},
        credentials=sim.credentials(api_key=True).with_callback_url(receiver.url),
        output=tmp_path,
        callback_safety_poll_seconds=NO_SAFETY_POLL,
        max_wait_seconds=MAX_WAIT,
    )

    assert result.status == "succeeded" and result.reference.endpoint == "text-to-video"
    assert receiver.statuses(result.task_id)
    assert {endpoint for _, _, endpoint in receiver.emitted} == {"text-to-video"}
