"""No key and no callback token leaks: the acceptance test of the package's secrets.

Real flows and the command line run against the simulator with the canary keys, and with
the canary receiver token in the callback URL, given each way the package takes it: on a
credentials block passed to the flow, on a saved block named by the flow, through the
`KLING_*` variables, with `--callback-url` and with `KLING_CALLBACK_URL` on the command
line, and in the request of a create task. The simulator calls back a real
`prefect-kling receiver` process, which emits its events to the test Prefect server. Then
the test searches, for every canary (a JWT counting as the keys it was made from):

- Prefect's database: every row of every table (flow-run parameters, task runs and their
  inputs, logs, artifacts, events, block documents, ...), and what Prefect's API shows of
  the runs made here (parameters, task inputs, logs, artifacts, events) and of every block
  document (secret fields hidden);
- the result storage: cached creates, sent marks, persisted results;
- the receiver's stdout and stderr;
- the command line's output;
- every exception raised on the paths exercised (credentials refused, keys refused,
  connection refused, a task failed, input refused), with its chain, arguments and
  pydantic's `errors()` and `json()`, and the `repr` and `str` of what the package hands
  out (credentials, auth, connection, clients, results, references, reports).

Each search also checks that it looked at something (a prompt of this test is found where
it should be), so that a search of the wrong place cannot pass.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from prefect import flow, tags
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags, LogFilter
from prefect.events.filters import EventFilter, EventOccurredFilter
from prefect.settings import PREFECT_API_URL, PREFECT_LOCAL_STORAGE_PATH

from prefect_kling import KlingCredentials
from prefect_kling.cli import main
from prefect_kling.flows import batch_generate, extend_video, generate_video
from prefect_kling.sensors import wait_for_task
from prefect_kling.simulator import KlingSimulator
from prefect_kling.tasks import text_to_video
from tests.cli_processes import sigint_as_in_a_terminal
from tests.conftest import (
    ACCESS_KEY,
    API_KEY,
    CALLBACK_TOKEN,
    SECRET_KEY,
    block_documents_shown,
    canary_callback_url,
    canary_simulator,
    database_texts,
    secrets_in,
)
from tests.prefect_server import free_port

pytestmark = pytest.mark.e2e

TAG = f"leak-test-{uuid.uuid4().hex[:8]}"
MARK = f"leak-probe-{uuid.uuid4().hex[:8]}"
"""In every prompt here: where it is found, a search looked at this test's data."""
BLOCK = f"leak-test-{uuid.uuid4().hex[:8]}"
MAX_WAIT = 60.0
NO_SAFETY_POLL = 3600.0  # only the receiver's events end a wait in time


def prompt(text: str) -> str:
    return f"{text} ({MARK} {uuid.uuid4().hex[:6]})"


@dataclass
class Seen:
    """What the package produced while the flows and the command line ran."""

    texts: dict[str, list[str]] = field(default_factory=dict)

    def add(self, where: str, *texts: str) -> None:
        self.texts.setdefault(where, []).extend(texts)

    def error(self, where: str, error: BaseException) -> None:
        self.add(where, *_said_by(error))

    def reprs(self, where: str, *objects: Any) -> None:
        for shown in objects:
            self.add(where, repr(shown), str(shown))


def _said_by(error: BaseException, depth: int = 0) -> list[str]:
    """An exception as anything could show it: message, repr, args, pydantic's errors and
    JSON, the attributes it carries, and its chain."""
    import pydantic

    said = [str(error), repr(error), *map(repr, error.args)]
    if isinstance(error, pydantic.ValidationError):
        said += [str(error.errors()), error.json()]
    said += [f"{name}={value!r}" for name, value in vars(error).items()]
    for linked in (error.__cause__, error.__context__):
        if linked is not None and depth < 5:
            said += _said_by(linked, depth + 1)
    return said


class Receiver:
    """`prefect-kling receiver` as a process of its own, with the canary token."""

    def __init__(self, tmp: Path, kling_url: str):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "receiver.log"
        # It confirms each callback by a query of its own, to Kling (the simulator).
        environment = {
            **os.environ,
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            "KLING_BASE_URL": kling_url,
            "KLING_ACCESS_KEY": ACCESS_KEY,
            "KLING_SECRET_KEY": SECRET_KEY,
        }
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "prefect_kling.cli",
                    "receiver",
                    "--port",
                    str(self.port),
                    "--token",
                    CALLBACK_TOKEN,
                ],
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=sigint_as_in_a_terminal,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert self.process.poll() is None, "the receiver stopped"
                assert time.monotonic() < deadline, "the receiver did not start"
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return canary_callback_url(self.base_url)

    def stop(self) -> str:
        """Stop it as Ctrl-C would; return all it printed."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.log.read_text(errors="replace")


def post_as_kling(url: str, body: dict[str, Any]) -> int:
    """POST a callback as Kling would; httpx's log line of it (Kling's side, which is given
    the URL) stays out of this process's log."""
    httpx_logger = logging.getLogger("httpx")
    level = httpx_logger.level
    httpx_logger.setLevel(logging.WARNING)
    try:
        return httpx.post(url, json=body).status_code
    finally:
        httpx_logger.setLevel(level)


def run_cli(seen: Seen, *argv: str) -> int:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    seen.add("the command line's output", out.getvalue(), err.getvalue())
    return code


@flow(name="kling-leak-test-own-flow")
def own_flow_with_a_create_task(credentials: KlingCredentials, text: str) -> str:
    """A flow of the user's own: the create task takes the URL in its request."""
    url = f"{credentials.callback_url.get_secret_value()}?endpoint=text2video"
    reference = text_to_video(credentials, prompt=text, callback_url=url)
    return wait_for_task(reference, credentials, first_interval_seconds=0.05).status


@pytest.fixture(scope="module")
def exercised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seen]:
    """Run everything once; yield what was produced (the receiver's output included)."""
    tmp = tmp_path_factory.mktemp("leaks")
    seen = Seen()
    monkeypatch = pytest.MonkeyPatch()
    with canary_simulator(seed=14) as sim:
        receiver = Receiver(tmp, sim.base_url)
        try:
            with tags(TAG):
                _run_flows(sim, receiver, tmp, seen, monkeypatch)
                _run_command_line(sim, receiver, tmp, seen, monkeypatch)
                _refuse_and_fail(sim, receiver, tmp, seen)
            assert sim.stats().callbacks_failed == 0
            seen.add("the simulator's callback URLs", *(str(t["request"]) for t in sim.tasks()))
        finally:
            monkeypatch.undo()
            seen.add("the receiver's output", receiver.stop())
    yield seen


def _run_flows(
    sim: KlingSimulator, receiver: Receiver, tmp: Path, seen: Seen, mp: pytest.MonkeyPatch
) -> None:
    waiting = {"max_wait_seconds": MAX_WAIT, "callback_safety_poll_seconds": NO_SAFETY_POLL}
    block = sim.credentials().with_callback_url(receiver.url)
    result = generate_video(
        {"prompt": prompt("A block's callback")}, credentials=block, output=tmp, **waiting
    )
    seen.reprs("a generation result", result, result.reference)

    (step,) = extend_video(
        result.video_id, prompt=prompt("Extended"), credentials=block, output=tmp, **waiting
    )
    seen.reprs("an extend result", step)

    report = batch_generate(
        [{"prompt": prompt(f"Batch {n}")} for n in range(2)],
        credentials=block,
        output=tmp,
        max_concurrency=2,
        **waiting,
    )
    assert [outcome.status for outcome in report.outcomes] == ["succeeded"] * 2
    seen.reprs("a batch report", report, *report.outcomes)

    saved = sim.credentials("cometapi").with_callback_url(receiver.url)
    saved.save(BLOCK, overwrite=True)
    by_name = generate_video(
        {"prompt": prompt("A saved block's callback")}, credentials=BLOCK, output=tmp, **waiting
    )
    seen.reprs("a generation result", by_name, KlingCredentials.load(BLOCK))

    mp.setenv("KLING_BASE_URL", sim.base_url)
    mp.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
    mp.setenv("KLING_SECRET_KEY", SECRET_KEY)
    mp.setenv("KLING_CALLBACK_URL", receiver.url)
    from_env = generate_video({"prompt": prompt("KLING_CALLBACK_URL")}, output=tmp, **waiting)
    seen.reprs("a generation result", from_env)
    for name in ("KLING_BASE_URL", "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLING_CALLBACK_URL"):
        mp.delenv(name)

    assert own_flow_with_a_create_task(block, prompt("A create task's request")) == "succeed"

    for credentials in (block, saved, KlingCredentials.from_env(_environment(sim, receiver))):
        with credentials.get_client() as client:
            client.get_task("text2video", result.task_id)
            seen.reprs("credentials, auth, connection and clients", client)
        async_client = credentials.get_async_client()
        seen.reprs("credentials, auth, connection and clients", async_client)
        asyncio.run(async_client.aclose())
        seen.reprs(
            "credentials, auth, connection and clients",
            credentials,
            credentials.auth(),
            credentials.connection(),
        )
        seen.add("credentials, auth, connection and clients", credentials.model_dump_json())


def _environment(sim: KlingSimulator, receiver: Receiver) -> dict[str, str]:
    return {
        "KLING_PROVIDER": "cometapi",
        "KLING_BASE_URL": sim.base_url,
        "KLING_API_KEY": API_KEY,
        "KLING_CALLBACK_URL": receiver.url,
    }


def _run_command_line(
    sim: KlingSimulator, receiver: Receiver, tmp: Path, seen: Seen, mp: pytest.MonkeyPatch
) -> None:
    common = ["--output-dir", str(tmp), "--max-wait", str(MAX_WAIT), "--json"]
    mp.setenv("KLING_BASE_URL", sim.base_url)
    mp.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
    mp.setenv("KLING_SECRET_KEY", SECRET_KEY)
    option = ["--callback-url", receiver.url]
    assert run_cli(seen, "text2video", "--prompt", prompt("CLI option"), *option, *common) == 0
    assert (
        run_cli(
            seen,
            "text2video",
            "--prompt",
            prompt("CLI block"),
            "--credentials",
            BLOCK,
            *option,
            *common,
        )
        == 0
    )
    mp.setenv("KLING_CALLBACK_URL", receiver.url)
    assert run_cli(seen, "text2video", "--prompt", prompt("CLI variable"), *common) == 0
    for name in ("KLING_BASE_URL", "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLING_CALLBACK_URL"):
        mp.delenv(name)


def query(credentials: KlingCredentials) -> None:
    """One status query, repeated without waiting where the client would repeat it."""
    with credentials.get_client(sleep=lambda seconds: None) as client:
        client.get_task("text2video", "859402")


def _refuse_and_fail(sim: KlingSimulator, receiver: Receiver, tmp: Path, seen: Seen) -> None:
    """The errors the package raises around the secrets: refusals, failures, no route."""
    keys = {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY}
    refusals: list[tuple[str, Any]] = [
        ("credentials refused", lambda: KlingCredentials(access_key=ACCESS_KEY)),
        ("credentials refused", lambda: KlingCredentials(**keys, api_key=[API_KEY])),
        ("credentials refused", lambda: KlingCredentials(**keys, base_url=f"http://u:{API_KEY}@h")),
        (
            "credentials refused",
            lambda: KlingCredentials(api_key=API_KEY, callback_url=f"ftp://h/{CALLBACK_TOKEN}"),
        ),
        (
            "credentials refused",
            lambda: KlingCredentials.from_env(
                {"KLING_API_KEY": API_KEY, "KLING_CALLBACK_URL": f"ftp://h/{CALLBACK_TOKEN}"}
            ),
        ),
        (
            "credentials refused",
            lambda: KlingCredentials.from_env(
                {"KLING_API_KEY": API_KEY, "KLING_BASE_URL": f"https://{SECRET_KEY}@h"}
            ),
        ),
        (
            "credentials refused",
            lambda: sim.credentials().with_callback_url(f"http:///{CALLBACK_TOKEN}"),
        ),
        (
            "keys refused",
            lambda: query(
                KlingCredentials(
                    base_url=sim.base_url, access_key="ak-wrong", secret_key=SECRET_KEY
                )
            ),
        ),
        (
            "keys refused",
            lambda: query(
                KlingCredentials(provider="cometapi", base_url=sim.base_url, api_key=API_KEY + "-x")
            ),
        ),
        (
            "connection refused",
            lambda: query(
                KlingCredentials(
                    base_url=f"http://127.0.0.1:{free_port()}", timeout_seconds=1, **keys
                )
            ),
        ),
        (
            "input refused",
            lambda: text_to_video(
                sim.credentials(), prompt=prompt("x"), callback_url=f"ftp://h/{CALLBACK_TOKEN}"
            ),
        ),
        (
            "input refused",
            lambda: generate_video(
                {"prompt": prompt("x")},
                credentials=sim.credentials(),
                output=tmp,
                callback_url=receiver.url,
            ),
        ),
        (
            "input refused",
            lambda: generate_video(
                {"prompt": prompt("In the request"), "callback_url": receiver.url},
                credentials=sim.credentials(),
                output=tmp,
            ),
        ),
        (
            "a task failed",
            lambda: generate_video(
                {"prompt": prompt("a forbidden scene")},
                credentials=sim.credentials().with_callback_url(receiver.url),
                output=tmp,
                max_wait_seconds=MAX_WAIT,
                callback_safety_poll_seconds=NO_SAFETY_POLL,
            ),
        ),
    ]
    for where, attempt in refusals:
        with pytest.raises(Exception) as raised:
            attempt()
        seen.error(where, raised.value)


# -- the searches ---------------------------------------------------------------------------


def test_the_search_finds_a_canary_plainly_and_inside_a_jwt():
    import jwt

    signing_key = "a signing key of thirty-two bytes or more"
    token = jwt.encode({"iss": ACCESS_KEY}, signing_key, algorithm="HS256")
    assert secrets_in(f"Bearer {API_KEY}") == [API_KEY]
    assert secrets_in(f"Authorization: Bearer {token}") == [ACCESS_KEY]
    assert secrets_in("Bearer eyJnotbase64.eyJ!!!.x and nothing else") == []


def assert_nothing_in(texts: list[str], where: str) -> None:
    for text in texts:
        shown = secrets_in(text)
        # The message names the place and the canary's kind, never the canary itself.
        kinds = ["the callback token" if s == CALLBACK_TOKEN else "a key" for s in shown]
        assert not shown, f"{', '.join(kinds)} in {where}"


def test_the_database_holds_no_secret(exercised: Seen):
    rows = database_texts()
    marked = {where for where, text in rows if MARK in text}
    assert {"flow_run.parameters", "events.payload", "artifact.data"} <= marked, sorted(marked)
    assert any(where == "log.message" and "Kling task" in text for where, text in rows)
    for where, text in rows:
        assert_nothing_in([text], f"the database, {where}")


def test_what_prefect_shows_of_the_runs_holds_no_secret(exercised: Seen):
    runs_filter = FlowRunFilter(tags=FlowRunFilterTags(all_=[TAG]))
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=runs_filter, limit=200)
        ids = [run.id for run in runs]
        task_runs = client.read_task_runs(flow_run_filter=runs_filter, limit=200)
        logs = client.read_logs(LogFilter(flow_run_id={"any_": ids}), limit=200)
        artifacts = client.read_artifacts(flow_run_filter=runs_filter, limit=200)
        events = _events_since(client, min(run.created for run in runs))
    assert len(runs) >= 10
    assert any(run.name.startswith("kling-create") for run in task_runs)
    assert any(run.name.startswith("kling-batch-item") for run in task_runs)
    assert any(MARK in str(run.parameters) for run in runs)
    assert_nothing_in([run.model_dump_json() for run in runs], "a flow run")
    assert_nothing_in([run.model_dump_json() for run in task_runs], "a task run")
    assert_nothing_in([log.message for log in logs], "a run's log")
    assert_nothing_in([a.model_dump_json() for a in artifacts], "an artifact")
    assert events and any(e.event.startswith("kling.task.") for e in events)
    assert any(e.resource.get("kling.source") == "callback" for e in events)
    assert_nothing_in([e.model_dump_json() for e in events], "an event")
    assert_nothing_in(block_documents_shown(), "a block document")


def _events_since(client: Any, since: Any) -> list[Any]:
    """Every event since `since`, once the receiver's last ones are stored."""
    occurred = EventOccurredFilter(since=since)
    deadline = time.monotonic() + 20
    while True:
        page = client.read_events(filter=EventFilter(occurred=occurred), limit=50)
        events = list(page.events)
        while page.next_page:
            page = client.read_events_page(page.next_page)
            events += page.events
        if any(e.resource.get("kling.source") == "callback" for e in events):
            return events
        assert time.monotonic() < deadline, "no event of the receiver was stored"
        time.sleep(0.1)


def test_the_result_storage_holds_no_secret(exercised: Seen):
    storage = Path(PREFECT_LOCAL_STORAGE_PATH.value())
    files = [path for path in storage.rglob("*") if path.is_file()]
    assert files
    assert_nothing_in([path.read_bytes().decode("latin-1") for path in files], "the result storage")


def test_the_receiver_prints_no_token(exercised: Seen):
    (printed,) = exercised.texts["the receiver's output"]
    assert "POST /kling/callbacks/" in printed and " 204" in printed  # it did log callbacks
    assert_nothing_in([printed], "the receiver's output")


def test_no_exception_repr_or_output_shows_a_secret(exercised: Seen):
    expected = {
        "credentials refused",
        "keys refused",
        "connection refused",
        "input refused",
        "a task failed",
        "credentials, auth, connection and clients",
        "the command line's output",
        "a generation result",
        "a batch report",
    }
    assert expected <= set(exercised.texts)
    assert any('"succeeded"' in text for text in exercised.texts["the command line's output"])
    for where, texts in exercised.texts.items():
        if where != "the simulator's callback URLs":  # Kling is given the URL
            assert_nothing_in(texts, where)
    # The simulator (Kling) was given the URL with the token: the positive control.
    assert any(CALLBACK_TOKEN in text for text in exercised.texts["the simulator's callback URLs"])


# -- each leak of issue 14 on its own ----------------------------------------------------------


def test_a_callback_url_option_becomes_no_run_parameter(tmp_path: Path):
    """`--callback-url` used to be stored as the flow run's `callback_url` parameter."""
    from prefect_kling.callbacks import running_receiver
    from prefect_kling.runtime import use_runtime

    tag = f"leak-option-{uuid.uuid4().hex[:8]}"
    with canary_simulator() as sim, running_receiver(CALLBACK_TOKEN) as base_url:
        argv = ["text2video", "--prompt", prompt("An option"), "--output-dir", str(tmp_path)]
        argv += ["--callback-url", canary_callback_url(base_url), "--max-wait", "60"]
        environment = {"KLING_BASE_URL": sim.base_url, "KLING_API_KEY": API_KEY}
        with pytest.MonkeyPatch.context() as mp, tags(tag), use_runtime(None):
            mp.setenv("KLING_PROVIDER", "cometapi")
            for name, value in environment.items():
                mp.setenv(name, value)
            assert run_cli(Seen(), *argv) == 0
        assert CALLBACK_TOKEN in str(sim.tasks()[-1]["request"])  # Kling was given it
    with get_client(sync_client=True) as client:
        (run,) = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[tag]))
        )
    assert MARK in str(run.parameters)
    assert_nothing_in([run.model_dump_json()], "the flow run's parameters")


def test_the_receiver_process_prints_no_token(tmp_path: Path):
    """uvicorn's access log used to print the callback path, token included, every time."""
    with canary_simulator(queue_seconds=30.0) as sim:
        with sim.credentials().get_client() as kling:
            task_id = kling.create("text2video", {"prompt": "a paper boat"}).task_id
        receiver = Receiver(tmp_path, sim.base_url)
        try:
            body = {"task_id": task_id, "task_status": "submitted"}
            assert post_as_kling(f"{receiver.url}?endpoint=text2video", body) in (202, 204)
            assert post_as_kling(receiver.url.replace(CALLBACK_TOKEN, "tok-guessed"), body) == 404
        finally:
            printed = receiver.stop()
    assert "POST /kling/callbacks/" in printed and " 404" in printed
    assert "tok-guessed" not in printed  # a path is never shown, right or wrong
    assert_nothing_in([printed], "the receiver's output")
