"""Where a callback URL may come from, and what is refused before anything is sent.

The flows take the receiver's URL only from the credentials block (or `KLING_CALLBACK_URL`):
a flow's arguments and request are stored by Prefect as the run's parameters, and the URL
holds the receiver's secret token. The create tasks, whose inputs Prefect does not store,
take a `callback_url` in the request; it must be an http(s) URL with a host.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from prefect_kling.exceptions import KlingValidationError
from prefect_kling.flows import batch_generate, check_request, extend_video, generate_video
from prefect_kling.models.videos import TextToVideoRequest
from prefect_kling.simulator import KlingSimulator
from prefect_kling.tasks import text_to_video
from tests.conftest import canary_simulator

pytestmark = pytest.mark.e2e

ALLOWED = "allowed: an http:// or https:// URL with a host"
TOKEN = "tok-input-3b9e"
NOT_HTTP = {
    "ftp": ("ftp://hooks.test/kling/callbacks/" + TOKEN, "the scheme ftp"),
    "no host": ("http://", "no host"),
    "no URL": ("not a url", "not a URL"),
    "empty host": ("https://:8080/kling/callbacks/" + TOKEN, "no host"),
}


@pytest.fixture(scope="module")
def sim() -> Iterator[KlingSimulator]:
    with canary_simulator() as simulator:
        yield simulator


def prompt() -> str:
    return f"A fox #{uuid.uuid4().hex[:8]}"


def flow_runs() -> int:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.count_flow_runs()


def stored_parameters(state: Any) -> dict[str, Any]:
    """The parameters Prefect keeps for the flow run that ended in `state`."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id).parameters


@pytest.mark.parametrize(("url", "problem"), NOT_HTTP.values(), ids=NOT_HTTP)
def test_a_request_model_refuses_a_callback_url_that_is_no_http_url(url: str, problem: str):
    with pytest.raises(ValidationError):
        TextToVideoRequest(prompt="A fox", callback_url=url)


@pytest.mark.parametrize(("url", "problem"), NOT_HTTP.values(), ids=NOT_HTTP)
def test_a_checked_request_names_the_callback_url_and_what_is_allowed(
    sim: KlingSimulator, url: str, problem: str
):
    with pytest.raises(KlingValidationError) as refused:
        check_request("text2video", {"prompt": "A fox", "callback_url": url}, sim.credentials())
    said = str(refused.value)
    assert refused.value.fields == ["callback_url"]
    assert problem in said and ALLOWED in said and TOKEN not in said


@pytest.mark.parametrize(("url", "problem"), NOT_HTTP.values(), ids=NOT_HTTP)
def test_a_create_task_refuses_it_before_sending(sim: KlingSimulator, url: str, problem: str):
    before = sim.stats().requests
    with pytest.raises(KlingValidationError, match="callback_url: ") as refused:
        text_to_video(sim.credentials(), prompt=prompt(), callback_url=url)
    assert problem in str(refused.value) and TOKEN not in str(refused.value)
    assert sim.stats().requests == before


def test_a_create_task_sends_an_http_callback_url(sim: KlingSimulator):
    url = "https://hooks.test/kling/callbacks/" + TOKEN
    reference = text_to_video(sim.credentials(), prompt=prompt(), callback_url=url)
    (task,) = [t for t in sim.tasks() if str(t["task_id"]) == reference.task_id]
    assert task["request"]["callback_url"] == url


FLOWS: dict[str, Any] = {
    "generate_video": lambda **options: generate_video({"prompt": prompt()}, **options),
    "batch_generate": lambda **options: batch_generate([{"prompt": prompt()}], **options),
    "extend_video": lambda **options: extend_video("859402", **options),
}


@pytest.mark.parametrize("run", FLOWS.values(), ids=FLOWS)
def test_the_flows_take_no_callback_url_argument_and_start_no_run(
    sim: KlingSimulator, run, tmp_path
):
    before, runs = sim.stats().requests, flow_runs()
    with pytest.raises(TypeError, match="callback_url"):
        run(
            credentials=sim.credentials(),
            output=tmp_path,
            callback_url="https://hooks.test/kling/callbacks/" + TOKEN,
        )
    assert sim.stats().requests == before and flow_runs() == runs


def test_generate_video_refuses_a_callback_url_in_its_request(sim: KlingSimulator, tmp_path):
    before = sim.stats().requests
    request = {"prompt": prompt(), "callback_url": "https://hooks.test/kling/callbacks/" + TOKEN}
    state = generate_video(
        request, credentials=sim.credentials(), output=tmp_path, return_state=True
    )
    error = state.result(raise_on_failure=False)
    assert isinstance(error, KlingValidationError) and error.fields == ["callback_url"]
    said = str(error)
    assert "KLING_CALLBACK_URL" in said and "credentials" in said and TOKEN not in said
    assert sim.stats().requests == before
    # Prefect stored the request before the flow began: the refusal hides the URL there.
    stored = stored_parameters(state)
    assert stored["request"]["callback_url"] == "**********" and TOKEN not in str(stored)


def test_a_batch_item_with_a_callback_url_in_its_request_is_refused(sim: KlingSimulator, tmp_path):
    before = sim.stats().create_calls
    items = [
        {"prompt": prompt(), "callback_url": "https://hooks.test/kling/callbacks/" + TOKEN},
        {"prompt": prompt()},
    ]
    state = batch_generate(items, credentials=sim.credentials(), output=tmp_path, return_state=True)
    refused, made = state.result().outcomes
    assert refused.status == "refused" and "callback_url" in str(refused.error)
    assert TOKEN not in str(refused.error)
    assert made.status == "succeeded"
    assert sim.stats().create_calls == before + 1
    assert TOKEN not in str(stored_parameters(state))
