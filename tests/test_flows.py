"""End-to-end tests of the ready-made flows, against the simulator and Prefect's test server.

Every test runs its own simulator with the canary keys, so that the session's leak guard
also watches what the flows log and publish. Prompts are made unique per test: cached creates
are persisted for the whole session and must not be shared between tests.

The flows run on the simulator's clock (`runtime=sim.runtime()`): tasks queue for 10 s and
process for 30 s, the flows poll every 5 s and retry after Kling's own backoff, all in
simulated seconds that take no real time. Only a child process killed mid-wait runs on
real time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.events.worker import EventsWorker
from prefect.filesystems import LocalFileSystem
from prefect.settings import get_current_settings

import prefect_kling.flows.create_step as create_step
import prefect_kling.flows.generate as generate_module
from prefect_kling.client import derive_external_task_id, prepare_create
from prefect_kling.endpoints import Family
from prefect_kling.exceptions import (
    KlingBudgetExceeded,
    KlingContentRejected,
    KlingTaskFailed,
    KlingTaskTimedOut,
)
from prefect_kling.flows import (
    batch_generate,
    generate_image,
    generate_video,
    resume_task,
)
from prefect_kling.flows.create_step import mark_sent
from prefect_kling.flows.sent_marks import SentMark
from prefect_kling.media import make_png
from prefect_kling.observe import RESULT_LIFETIME
from prefect_kling.providers import Provider
from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY
from tests.prefect_server import wait_until

pytestmark = pytest.mark.e2e

QUEUE, PROCESSING = 10.0, 30.0
SIMULATED = {
    "queue_seconds": QUEUE,
    "processing_seconds": PROCESSING,
    "seed": None,  # task ids differ between tests
    "image_long_side": 64,
    "render_videos": False,  # the shipped sample: encoding costs CPU, and no test here watches
    "slow_seconds": 0.05,  # real time: the `slow` fault delays the answer itself
    "access_key": ACCESS_KEY,
    "secret_key": SECRET_KEY,
    "api_key": API_KEY,
}
POLL = 5.0


@pytest.fixture
def make_sim() -> Iterator[Callable[..., KlingSimulator]]:
    """Start simulators with the simulated durations plus overrides; stop them afterwards."""
    started: list[KlingSimulator] = []

    def make(**overrides: Any) -> KlingSimulator:
        simulator = KlingSimulator(SimulatorConfig(**{**SIMULATED, **overrides})).start()
        started.append(simulator)
        return simulator

    yield make
    for simulator in started:
        simulator.stop()


@pytest.fixture
def sim(make_sim: Callable[..., KlingSimulator]) -> KlingSimulator:
    return make_sim()


def unique(text: str) -> str:
    """A prompt no other test uses, so that cached creates never cross tests."""
    return f"{text} #{uuid.uuid4().hex[:8]}"


def on_sim(sim: KlingSimulator, provider: str = "kling", **options: Any) -> dict[str, Any]:
    """The options of a flow run against the simulator, on its clock.

    Args:
        sim: The simulator.
        provider: `kling` or `cometapi`, for the credentials.
        **options: More flow arguments, or replacements of the ones given here.

    Returns:
        Credentials, the poll interval and the simulator's runtime, updated with `options`.
    """
    return {
        "credentials": sim.credentials(provider),
        "poll_interval_seconds": POLL,
        "runtime": sim.runtime(),
        **options,
    }


def video(sim: KlingSimulator, request: dict[str, Any], output: Path, **options: Any) -> Any:
    """Run generate_video against the simulator, on its clock; returns the final state."""
    return generate_video(request, output=output, return_state=True, **on_sim(sim, **options))


def batch(sim: KlingSimulator, items: Any, output: Path, **options: Any) -> Any:
    """Run batch_generate against the simulator, on its clock; returns the final state."""
    return batch_generate(items, output=output, return_state=True, **on_sim(sim, **options))


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def flow_run_id(state: Any) -> UUID:
    return state.state_details.flow_run_id


def artifacts(run_id: UUID, key: str | None = None) -> list[Any]:
    """The artifacts a flow run (or its task runs) published, oldest first."""
    artifact_filter = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
    if key is not None:
        artifact_filter.key = ArtifactFilterKey(any_=[key])
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=artifact_filter)
    return sorted(found, key=lambda artifact: artifact.created)


def kling_events(task_id: str, expected: set[str], timeout: float = 20.0) -> list[Any]:
    """The `kling.task.*` events of a task, once all the expected ones reached the server."""
    EventsWorker.drain_all()
    event_filter = EventFilter(
        event=EventNameFilter(prefix=["kling.task."]),
        resource=EventResourceFilter(id=[f"kling.task.{task_id}"]),
    )
    deadline = time.monotonic() + timeout
    while True:
        with get_client(sync_client=True) as client:
            events = client.read_events(filter=event_filter, limit=50).events
        if expected <= {event.event for event in events} or time.monotonic() > deadline:
            return events
        time.sleep(0.2)


def run_logs(run_id: UUID, needle: str, timeout: float = 10.0) -> str:
    """The flow run's log messages, once one containing `needle` reached the server."""
    deadline = time.monotonic() + timeout
    while True:
        with get_client(sync_client=True) as client:
            logs = client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id]))
            )
        text = "\n".join(log.message for log in logs)
        if needle in text or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


def task_runs(run_id: UUID) -> list[Any]:
    with get_client(sync_client=True) as client:
        return client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
        )


def finished_task_runs(run_id: UUID, prefix: str, count: int) -> list[Any]:
    """The flow run's `count` task runs named `prefix...`, once each has its final state.

    Prefect records task runs from their events, a moment after the flow run returns.
    """

    def named() -> list[Any]:
        return [run for run in task_runs(run_id) if run.name.startswith(prefix)]

    def finished() -> list[Any]:
        runs = named()
        final = [run for run in runs if run.state is not None and run.state.is_final()]
        return runs if len(final) == len(runs) == count else []

    return wait_until(
        finished,
        timeout=30,
        message=lambda: f"{prefix} task runs recorded: {[(r.name, r.state) for r in named()]}",
    )


def create_state(state: Any) -> str:
    """The name of the final state of the flow run's create step."""
    [create] = finished_task_runs(flow_run_id(state), "kling-create", 1)
    return create.state.name


@pytest.fixture
def held_slots(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Family, int, int]]:
    """Record (family, occupy, slots active on the Prefect server) for every slot grab."""
    real = generate_module.kling_slots
    held: list[tuple[Family, int, int]] = []

    @contextmanager
    def spy(family: Family, account: str, occupy: int = 1, **options: Any) -> Iterator[None]:
        with real(family, account, occupy, **options), get_client(sync_client=True) as client:
            limit = client.read_global_concurrency_limit_by_name(family.limit_name(account))
            held.append((family, occupy, limit.active_slots))
            yield

    monkeypatch.setattr(generate_module, "kling_slots", spy)
    return held


# --- generate_video: caching, fresh takes, crash safety ----------------------------------------


def test_generate_video_saves_files_and_a_rerun_makes_no_create(
    sim: KlingSimulator, tmp_path: Path
):
    request = {"prompt": unique("A red fox running through snow"), "duration": "5"}
    first = video(sim, request, tmp_path).result()
    assert first.status == "succeeded"
    assert first.units == 1
    [saved] = first.files
    assert Path(saved.path).name == f"text2video-{first.task_id}-0.mp4"
    assert saved.sha256 == sha256(saved.path)
    assert saved.bytes == Path(saved.path).stat().st_size
    assert sim.stats().create_calls == 1

    rerun = video(sim, request, tmp_path)
    again = rerun.result()
    assert create_state(rerun) == "Cached"
    stats = sim.stats()
    assert stats.create_calls == 1
    assert stats.tasks_created == 1
    assert again.task_id == first.task_id
    assert [(f.path, f.sha256) for f in again.files] == [(saved.path, saved.sha256)]


def test_the_cache_key_holds_the_image_content_not_its_path(sim: KlingSimulator, tmp_path: Path):
    image = tmp_path / "in" / "start.png"
    image.parent.mkdir()
    image.write_bytes(make_png(400, 300, seed=1))
    request = {"prompt": unique("The picture comes alive"), "image": str(image)}
    options = {"endpoint": "image2video"}
    first = video(sim, request, tmp_path / "out", **options).result()

    copy = tmp_path / "in" / "copy.png"
    copy.write_bytes(image.read_bytes())
    same = video(sim, {**request, "image": str(copy)}, tmp_path / "out", **options).result()
    assert same.task_id == first.task_id
    assert sim.stats().create_calls == 1

    image.write_bytes(make_png(400, 300, seed=2))
    changed = video(sim, request, tmp_path / "out", **options).result()
    assert changed.task_id != first.task_id
    assert sim.stats().create_calls == 2


def test_a_new_idempotency_key_makes_exactly_one_new_create(sim: KlingSimulator, tmp_path: Path):
    request = {"prompt": unique("An owl at dusk")}
    first = video(sim, request, tmp_path).result()
    take_two = video(sim, request, tmp_path, idempotency_key="take-2").result()
    assert take_two.task_id != first.task_id
    assert sim.stats().create_calls == 2
    assert take_two.reference.external_task_id != first.reference.external_task_id

    again = video(sim, request, tmp_path, idempotency_key="take-2").result()
    assert again.task_id == take_two.task_id
    assert sim.stats().create_calls == 2


def test_refresh_makes_exactly_one_new_create_and_becomes_the_cached_take(
    sim: KlingSimulator, tmp_path: Path
):
    request = {"prompt": unique("Waves on a pebble beach")}
    first = video(sim, request, tmp_path).result()
    fresh = video(sim, request, tmp_path, refresh=True).result()
    assert fresh.task_id != first.task_id
    assert sim.stats().create_calls == 2

    later = video(sim, request, tmp_path).result()
    assert later.task_id == fresh.task_id
    assert sim.stats().create_calls == 2


def test_the_cache_lives_in_the_given_result_storage_and_expires_before_the_files(
    sim: KlingSimulator, tmp_path: Path
):
    storage = LocalFileSystem(basepath=str(tmp_path / "shared-cache"))
    name = f"kling-cache-{uuid.uuid4().hex[:8]}"
    storage.save(name)
    request = {"prompt": unique("A harbour at dawn")}
    first = video(sim, request, tmp_path / "out", result_storage=storage).result()
    files = sorted(path.name for path in (tmp_path / "shared-cache").iterdir() if path.is_file())
    external_id = first.reference.external_task_id
    assert [name.split("-")[1] for name in files] == ["create", "sent"]
    record, mark = (tmp_path / "shared-cache" / name for name in files)
    assert record.name.startswith("kling-create-kling-")
    assert record.name.endswith(external_id)
    assert mark.name.startswith("kling-sent-kling-")  # written before the create was sent
    assert mark.name.endswith(f"{external_id}.sent")
    metadata = json.loads(record.read_text())["metadata"]
    expires = datetime.fromisoformat(metadata["expiration"])
    assert timedelta(days=28) < expires - datetime.now(UTC) < RESULT_LIFETIME

    slug = f"local-file-system/{name}"  # what a worker on another machine would pass
    again = video(sim, request, tmp_path / "out", result_storage=slug).result()
    assert again.task_id == first.task_id
    assert sim.stats().create_calls == 1


def test_a_first_create_sends_no_lookup_and_marks_itself_sent(sim: KlingSimulator, tmp_path: Path):
    request = {"prompt": unique("A kettle on the hob")}
    video(sim, request, tmp_path)
    stats = sim.stats()
    assert stats.create_calls == 1
    assert stats.answers_by_http_status.get(404, 0) == 0  # no lookup of the unknown id

    key = _sent_key(sim, request)
    assert mark_sent(key) is not None  # the flow marked it before sending


def test_a_create_marked_sent_without_a_record_is_looked_up_and_adopted(
    sim: KlingSimulator, tmp_path: Path
):
    """A run killed between Kling's answer and the cache record: the mark says look first."""
    request = {"prompt": unique("A lighthouse in fog")}
    assert mark_sent(_sent_key(sim, request)) is None  # what the killed run wrote
    with sim.credentials().get_client() as client:
        made = client.send_create(prepare_create("text2video", request, Provider.KLING))

    result = video(sim, request, tmp_path).result()
    assert result.task_id == made.task_id
    stats = sim.stats()
    assert stats.tasks_created == 1
    assert stats.create_calls == 1  # the one made above: the lookup found it
    assert stats.duplicate_external_ids == 0
    assert len(result.files) == 1


def test_a_task_found_older_than_a_cache_record_is_renewed_with_a_fresh_take(
    sim: KlingSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Past a record's lifetime the task's files may be gone: a rerun makes a fresh take."""
    lifetime = timedelta(milliseconds=50)
    monkeypatch.setitem(create_step.CACHE_LIFETIME, Provider.KLING, lifetime)
    request = {"prompt": unique("An old harbour")}
    first = video(sim, request, tmp_path / "first").result()
    # Prefect expires the record on the real clock: let its 50 ms pass. On the simulator's
    # clock the task is already 40 s old.
    expired = time.monotonic() + lifetime.total_seconds()
    while time.monotonic() < expired:
        time.sleep(0.01)
    # The record has expired; the mark leads to the old task, which is too old to reuse.
    again = video(sim, request, tmp_path / "again").result()
    assert again.task_id != first.task_id
    renewal = create_step.fresh_take_id(first.reference.external_task_id, f"renew-{first.task_id}")
    assert again.reference.external_task_id == renewal
    assert sim.stats().tasks_created == 2
    assert len(again.files) == 1


def test_a_task_made_without_a_mark_is_adopted_when_kling_refuses_its_id(
    sim: KlingSimulator, tmp_path: Path
):
    """No record, no mark (another store): Kling refuses the duplicate id, the create finds it."""
    request = {"prompt": unique("A windmill at noon")}
    with sim.credentials().get_client() as client:
        made = client.send_create(prepare_create("text2video", request, Provider.KLING))

    result = video(sim, request, tmp_path).result()
    assert result.task_id == made.task_id
    stats = sim.stats()
    assert stats.tasks_created == 1
    assert stats.duplicate_external_ids == 1
    assert len(result.files) == 1


def test_a_callers_external_id_reused_for_another_request_is_refused_before_any_create(
    sim: KlingSimulator, tmp_path: Path
):
    job = f"job-{uuid.uuid4().hex[:8]}"
    cat_request = {"prompt": unique("a red cat"), "external_task_id": job}
    cat = video(sim, cat_request, tmp_path).result()

    dog = video(
        sim, {"prompt": unique("a blue dog"), "duration": "10", "external_task_id": job}, tmp_path
    )
    assert dog.is_failed()
    error = dog.result(raise_on_failure=False)
    assert job in str(error) and cat.task_id in str(error)
    assert sim.stats().create_calls == 1

    again = video(sim, cat_request, tmp_path).result()  # the same request still finds its task
    assert again.task_id == cat.task_id
    assert sim.stats().create_calls == 1


def test_after_a_crash_a_callers_id_finds_its_own_task_and_refuses_another_request(
    sim: KlingSimulator, tmp_path: Path
):
    """A run killed before its cache record: the mark tells which request was sent."""
    storage = LocalFileSystem(basepath=str(tmp_path / "cache"))
    storage.save(f"kling-cache-{uuid.uuid4().hex[:8]}")
    job = f"job-{uuid.uuid4().hex[:8]}"
    request = {"prompt": unique("A lighthouse in fog"), "external_task_id": job}
    first = video(sim, request, tmp_path / "out", result_storage=storage).result()
    for record in (tmp_path / "cache").glob("kling-create-*"):
        record.unlink()  # what a run killed between Kling's answer and the record leaves

    again = video(sim, request, tmp_path / "out", result_storage=storage).result()
    assert again.task_id == first.task_id
    other = video(
        sim, {**request, "prompt": unique("A windmill")}, tmp_path / "out", result_storage=storage
    )
    assert other.is_failed()
    assert first.task_id in str(other.result(raise_on_failure=False))
    stats = sim.stats()
    assert stats.tasks_created == 1 and stats.create_calls == 1


def test_a_callers_id_that_kling_refuses_as_a_duplicate_is_not_adopted_by_a_create(
    sim: KlingSimulator, tmp_path: Path
):
    """No record, no mark: the package did not make that task here, so it is not taken."""
    job = f"job-{uuid.uuid4().hex[:8]}"
    with sim.credentials().get_client() as client:
        made = client.create("text2video", {"prompt": unique("a red cat"), "external_task_id": job})

    state = video(sim, {"prompt": unique("a blue dog"), "external_task_id": job}, tmp_path)
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert job in str(error) and made.task_id in str(error)
    assert sim.stats().tasks_created == 1


def test_the_same_request_with_its_defaults_spelled_out_is_one_create(
    sim: KlingSimulator, tmp_path: Path
):
    prompt = unique("A fox at the edge of a wood")
    first = video(sim, {"prompt": prompt}, tmp_path).result()
    spelled = video(sim, {"prompt": prompt, "duration": "5", "mode": "std"}, tmp_path).result()
    assert spelled.task_id == first.task_id
    assert sim.stats().create_calls == 1


def test_a_rerun_finds_the_record_of_a_create_made_under_the_earlier_id_scheme(
    sim: KlingSimulator, tmp_path: Path
):
    request = {"prompt": unique("A harbour under snow")}
    earlier = derive_external_task_id("text2video", request)  # what versions before used
    first = video(sim, {**request, "external_task_id": earlier}, tmp_path).result()

    again = video(sim, request, tmp_path).result()
    assert again.task_id == first.task_id
    stats = sim.stats()
    assert stats.create_calls == 1
    assert stats.answers_by_http_status.get(404, 0) == 0  # the record answered: no lookup


def test_a_create_sent_under_the_earlier_id_scheme_is_looked_up_and_adopted(
    sim: KlingSimulator, tmp_path: Path
):
    """A run of an earlier version killed after sending: its mark names the earlier id."""
    request = {"prompt": unique("A lantern in the rain")}
    earlier = derive_external_task_id("text2video", request)
    credentials = sim.credentials()
    assert (
        mark_sent(create_step.create_key("kling-sent", credentials, "text2video", earlier)) is None
    )
    with credentials.get_client() as client:
        made = client.create("text2video", {**request, "external_task_id": earlier})

    result = video(sim, request, tmp_path).result()
    assert result.task_id == made.task_id
    stats = sim.stats()
    assert stats.tasks_created == 1 and stats.create_calls == 1


def _sent_key(sim: KlingSimulator, request: dict[str, Any]) -> str:
    credentials = sim.credentials()
    external_id = prepare_create("text2video", request, Provider.KLING).external_task_id
    return create_step.create_key("kling-sent", credentials, "text2video", external_id)


_CHILD = """
import json, sys
from prefect_kling import KlingCredentials
from prefect_kling.flows import generate_video

args = json.loads(sys.argv[1])
credentials = KlingCredentials(
    provider="kling", base_url=args["base_url"],
    access_key=args["access_key"], secret_key=args["secret_key"],
)
generate_video(
    args["request"], credentials=credentials, output=args["output"], poll_interval_seconds=0.05
)
"""


def test_a_run_killed_while_waiting_is_continued_by_the_rerun_without_paying_again(
    make_sim: Callable[..., KlingSimulator], tmp_path: Path
):
    sim = make_sim(processing_seconds=600)
    request = {"prompt": unique("A paper boat in the rain"), "duration": "5"}
    args = {
        "base_url": sim.base_url,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "request": request,
        "output": str(tmp_path),
    }
    environment = {**os.environ, "PREFECT_API_URL": str(get_current_settings().api.url)}
    log = tmp_path / "child.log"
    with log.open("wb") as output:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, json.dumps(args)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        # Created, and queried after the create: the child is waiting for the task.
        deadline = time.monotonic() + 60
        while not (sim.stats().tasks_created == 1 and sim.stats().query_calls >= 3):
            said = log.read_text(errors="replace")[-2000:]
            assert child.poll() is None, f"the child ended before it was killed:\n{said}"
            assert time.monotonic() < deadline, f"the child never created its task:\n{said}"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert list(tmp_path.glob("*.mp4")) == []
    _free_slots_of_a_killed_run(Family.VIDEO, sim.credentials().account)

    sim.advance(700)
    state = video(sim, request, tmp_path)
    result = state.result()
    assert create_state(state) == "Cached"  # the record the killed run persisted
    stats = sim.stats()
    assert stats.tasks_created == 1
    assert stats.create_calls == 1
    [saved] = result.files
    assert Path(saved.path).is_file()
    assert saved.sha256 == sha256(saved.path)


def _free_slots_of_a_killed_run(family: Family, account: str) -> None:
    """A killed holder keeps its slot until its lease expires; give it back for later tests."""
    with get_client(sync_client=True) as client:
        client.delete_global_concurrency_limit_by_name(family.limit_name(account))


# --- failures ------------------------------------------------------------------------------------


def test_a_content_refusal_fails_at_once_without_retry(sim: KlingSimulator, tmp_path: Path):
    state = video(sim, {"prompt": unique("This prompt is refused")}, tmp_path)
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, KlingContentRejected)
    assert error.code == 1301
    assert "content security" in str(error)
    assert sim.stats().create_calls == 1
    [create] = finished_task_runs(flow_run_id(state), "kling-create", 1)
    assert create.state.is_failed()
    assert create.run_count == 1


def test_a_failed_task_raises_with_klings_message(sim: KlingSimulator, tmp_path: Path):
    with pytest.raises(KlingTaskFailed, match="Failure to pass the risk control system"):
        video(sim, {"prompt": unique("Something forbidden")}, tmp_path).result()
    assert sim.stats().create_calls == 1
    assert list(tmp_path.iterdir()) == []


def test_a_wait_that_runs_out_says_how_to_resume(make_sim, tmp_path: Path):
    sim = make_sim(processing_seconds=600)
    request = {"prompt": unique("A very slow sunrise")}
    state = video(sim, request, tmp_path, max_wait_seconds=300)
    error = state.result(raise_on_failure=False)
    assert isinstance(error, KlingTaskTimedOut)
    assert "prefect-kling wait text2video" in str(error)
    assert error.last_status == "processing"
    # The last pause ends at the deadline; only the real time of one query comes on top.
    assert 300 <= error.waited_seconds < 300 + POLL
    events = kling_events(error.reference.task_id, {"kling.task.timed-out"})
    [timed_out] = [event for event in events if event.event == "kling.task.timed-out"]
    assert 300 <= timed_out.payload["waited_seconds"] < 300 + POLL


def test_the_budget_guard_sends_no_create_past_max_units(sim: KlingSimulator, tmp_path: Path):
    request = {"prompt": unique("A pro clip"), "mode": "pro"}
    with pytest.raises(KlingBudgetExceeded, match="budget of 2 units"):
        video(sim, request, tmp_path, max_units=2).result()
    assert sim.stats().create_calls == 0


# --- what a waiting run shows -------------------------------------------------------------------


def test_a_wait_for_a_slot_is_logged_and_shown_in_the_progress_artifact(
    sim: KlingSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import prefect_kling.concurrency as concurrency
    from prefect_kling.observe import SlotWaitProgress

    monkeypatch.setattr(concurrency, "SLOT_WAIT_NOTICE_SECONDS", 0.02)
    account = sim.credentials().account
    limit = concurrency.ensure_limit(Family.VIDEO, account)
    shown, holding = threading.Event(), threading.Event()
    told = SlotWaitProgress.__call__

    def spy(self: SlotWaitProgress, description: str | None) -> None:
        told(self, description)
        if description is not None:
            shown.set()  # the run shows its wait: the other run lets go

    monkeypatch.setattr(SlotWaitProgress, "__call__", spy)

    def another_run() -> None:
        with concurrency.kling_slots(Family.VIDEO, account, occupy=limit):
            holding.set()
            shown.wait(60)

    holder = threading.Thread(target=another_run)
    holder.start()
    assert holding.wait(30)
    state = video(sim, {"prompt": unique("A queue of paper boats")}, tmp_path)
    holder.join()

    assert state.is_completed()
    name = Family.VIDEO.limit_name(account)
    logs = run_logs(flow_run_id(state), "Got a slot")
    assert f"Waiting for a slot of {name}: {limit} of {limit} in use" in logs
    assert f"Got a slot of {name} after " in logs
    # One progress artifact: the wait's, which the task's progress then took over.
    [progress] = [a for a in artifacts(flow_run_id(state)) if a.type == "progress"]
    task_id = state.result().task_id
    assert progress.data == 100.0
    assert progress.description.startswith(f"Kling text2video task {task_id}: succeeded")


def test_a_waiting_tasks_progress_moves_on_between_status_changes():
    from prefect import flow

    from prefect_kling.models.kling_task import KlingTask, TaskReference
    from prefect_kling.observe import ProgressReporter

    task_id = str(uuid.uuid4().int)[:18]
    reference = TaskReference(task_id=task_id, endpoint="text2video", provider="kling")
    now = [0.0]

    @flow
    def wait_a_while() -> list[Any]:
        reporter = ProgressReporter(reference, clock=lambda: now[0], refresh_seconds=0.01)
        reporter(KlingTask(task_id=task_id, task_status="processing"), 1.0)
        now[0] += 125.0  # no news from Kling for two minutes
        with reporter.ticking():
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with get_client(sync_client=True) as client:
                    found = client.read_artifacts(
                        artifact_filter=ArtifactFilter(
                            key=ArtifactFilterKey(any_=[f"kling-progress-{task_id}"])
                        )
                    )
                if found and found[0].data > 10.0:
                    return found
                time.sleep(0.02)
        return found

    [progress] = wait_a_while()
    assert 60.0 < progress.data < 95.0
    assert progress.description == f"Kling text2video task {task_id}: processing for 2 min 5 s"


# --- images and resume ---------------------------------------------------------------------------


def test_generate_image_takes_n_slots_and_publishes_the_images(
    sim: KlingSimulator, tmp_path: Path, held_slots: list[tuple[Family, int, int]]
):
    subjects = []
    for seed in (1, 2):
        path = tmp_path / f"subject-{seed}.png"
        path.write_bytes(make_png(400, 400, seed=seed))
        subjects.append({"subject_image": str(path)})
    request = {"subject_image_list": subjects, "prompt": unique("Both on a beach"), "n": 3}
    state = generate_image(request, output=tmp_path / "out", return_state=True, **on_sim(sim))
    result = state.result()
    assert held_slots == [(Family.IMAGE, 3, 3)]
    assert sim.stats().peak_in_flight["image"] == 3
    assert [Path(file.path).name for file in result.files] == [
        f"multi-image2image-{result.task_id}-{index}.png" for index in range(3)
    ]
    images = [a for a in artifacts(flow_run_id(state)) if a.type == "image"]
    assert sorted(a.key for a in images) == [
        f"kling-image-{result.task_id}-{index}" for index in range(3)
    ]
    assert all(a.data.startswith(sim.base_url) for a in images)


def test_generate_image_through_the_gateway_finds_its_task_by_listing(
    sim: KlingSimulator, tmp_path: Path
):
    """The gateway's image route has no lookup by external id: the create scans a list."""
    subjects = []
    for seed in (3, 4):
        path = tmp_path / f"subject-{seed}.png"
        path.write_bytes(make_png(400, 400, seed=seed))
        subjects.append({"subject_image": str(path)})
    request = {"subject_image_list": subjects, "prompt": unique("Two cats")}
    options = on_sim(sim, "cometapi")
    sim.inject("create_error_after", on="create")  # made, then answered 500
    first = generate_image(request, output=tmp_path / "out", **options)
    assert sim.stats().tasks_created == 1
    assert sim.stats().list_calls >= 1
    assert [Path(f.path).name for f in first.files] == [f"multi-image2image-{first.task_id}-0.png"]
    again = generate_image(request, output=tmp_path / "out", **options)
    assert again.task_id == first.task_id
    assert sim.stats().tasks_created == 1


def test_generate_image_refuses_a_video_endpoint(sim: KlingSimulator, tmp_path: Path):
    state = generate_image(
        {"prompt": "x"},
        endpoint="text2video",
        credentials=sim.credentials(),
        output=tmp_path,
        return_state=True,
    )
    error = state.result(raise_on_failure=False)
    assert "'text2video' makes no images; allowed: multi-image2image" in str(error)
    assert sim.stats().create_calls == 0


@pytest.mark.parametrize("by", ["task_id", "external_task_id"])
def test_resume_task_waits_and_saves_without_creating(sim: KlingSimulator, tmp_path: Path, by: str):
    with sim.credentials().get_client() as client:
        made = client.create("text2video", {"prompt": unique("A kite over dunes")})
    ident = made.task_id if by == "task_id" else made.external_task_id
    result = resume_task("text2video", **{by: ident}, output=tmp_path, **on_sim(sim))
    assert result.task_id == made.task_id
    assert Path(result.files[0].path).is_file()
    stats = sim.stats()
    assert stats.create_calls == 1
    assert stats.tasks_created == 1


def test_resume_task_of_a_finished_task_queries_it_once(sim: KlingSimulator, tmp_path: Path):
    with sim.credentials().get_client() as client:
        made = client.create("text2video", {"prompt": unique("A lighthouse at dusk")})
    sim.advance(60)
    before = sim.stats().query_calls
    result = resume_task("text2video", task_id=made.task_id, output=tmp_path, **on_sim(sim))
    assert result.status == "succeeded" and Path(result.files[0].path).is_file()
    assert sim.stats().query_calls - before == 1


# --- what Prefect shows --------------------------------------------------------------------------


def test_events_follow_every_transition_and_relate_to_the_flow_run(
    sim: KlingSimulator, tmp_path: Path
):
    request = {"prompt": unique("A hummingbird"), "model_name": "kling-v2-master"}
    state = video(sim, request, tmp_path)
    result = state.result()
    expected = {
        "kling.task.submitted",
        "kling.task.running",
        "kling.task.succeeded",
        "kling.task.downloaded",
    }
    events = kling_events(result.task_id, expected)
    by_name = {event.event: event for event in events}
    assert expected <= set(by_name)
    for event in by_name.values():
        assert event.resource.id == f"kling.task.{result.task_id}"
        assert f"prefect.flow-run.{flow_run_id(state)}" in {r.id for r in event.related}
        assert event.payload["endpoint"] == "text2video"
        assert event.payload["model"] == "kling-v2-master"
        assert event.payload["external_task_id"] == result.reference.external_task_id
    assert by_name["kling.task.succeeded"].payload["units"] == 1
    assert by_name["kling.task.downloaded"].payload["units"] == 1


def test_a_failed_task_emits_a_failed_event_and_a_summary(sim: KlingSimulator, tmp_path: Path):
    state = video(sim, {"prompt": unique("A forbidden scene")}, tmp_path)
    error = state.result(raise_on_failure=False)
    assert isinstance(error, KlingTaskFailed)
    task_id = error.task.task_id
    events = kling_events(task_id, {"kling.task.failed"})
    [failed] = [event for event in events if event.event == "kling.task.failed"]
    assert failed.payload["status_message"] == "Failure to pass the risk control system"
    # Where the UI's event page shows it, and an automation's trigger can match it.
    assert failed.resource["kling.status_message"] == "Failure to pass the risk control system"
    [summary] = artifacts(flow_run_id(state), key=f"kling-task-{task_id}")
    assert "Failure to pass the risk control system" in summary.data
    assert "| Status | failed |" in summary.data


def test_the_summary_and_progress_artifacts(sim: KlingSimulator, tmp_path: Path):
    prompt = unique("A slow pan across a misty valley")
    state = video(sim, {"prompt": prompt, "mode": "std", "duration": "10"}, tmp_path)
    result = state.result()
    run_id = flow_run_id(state)
    [summary] = artifacts(run_id, key=f"kling-task-{result.task_id}")
    assert summary.type == "markdown"
    text = summary.data
    [saved] = result.files
    task = next(t for t in sim.tasks() if t["task_id"] == result.task_id)
    created = task["created_at"] / 1000
    expiry = (datetime.fromtimestamp(created, UTC) + RESULT_LIFETIME).strftime("%Y-%m-%d")
    for needle in (
        result.task_id,
        result.reference.external_task_id,
        "text2video",
        "| Mode | std |",
        "| Duration | 10 s |",
        prompt,
        "| Units charged | 2 |",
        saved.sha256,
        f"{saved.bytes:,} bytes",
        expiry,
    ):
        assert needle in text, needle
    # Seen on the simulator's clock, within one poll of each change (polls are 5-11 s
    # apart around 10 s and 40 s), and shown rounded to the second.
    queue = int(re.search(r"\| Queue time \| (\d+) s \|", text)[1])
    processing = int(re.search(r"\| Processing time \| (\d+) s \|", text)[1])
    assert QUEUE <= queue <= QUEUE + 7
    assert QUEUE + PROCESSING - 1 <= queue + processing <= QUEUE + PROCESSING + 11
    [progress] = [a for a in artifacts(run_id) if a.type == "progress"]
    assert progress.data == 100


def test_publishing_problems_never_fail_the_run(
    sim: KlingSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import prefect_kling.observe as observe

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Prefect is unreachable")

    for name in ("create_markdown_artifact", "create_progress_artifact", "emit_event"):
        monkeypatch.setattr(observe, name, broken)
    result = video(sim, {"prompt": unique("A quiet street")}, tmp_path).result()
    assert result.status == "succeeded"


# --- batches -------------------------------------------------------------------------------------


def test_a_batch_of_50_with_faults_under_a_limit_of_5(
    make_sim: Callable[..., KlingSimulator], tmp_path: Path
):
    # The shipped sample, not rendered videos: this test is about faults and slots.
    sim = make_sim(concurrency={"video": 5}, fault_rate=0.1)
    tag = uuid.uuid4().hex[:8]
    items = [
        {"prompt": f"Batch clip {index} {tag}", "name": f"clip-{index}"} for index in range(50)
    ]
    started = time.monotonic()
    state = batch(sim, items, tmp_path, max_concurrency=5)
    report = state.result()
    elapsed = time.monotonic() - started
    print(f"batch of 50: {elapsed:.1f} s, {report.describe()}")

    assert len(report.outcomes) == 50
    for outcome in report.outcomes:
        assert outcome.status in {"succeeded", "failed"}, outcome
        if outcome.status == "succeeded":
            assert outcome.files and Path(outcome.files[0].path).is_file()
        else:  # an injected task failure, with Kling's reason
            assert outcome.error.startswith("Kling failed the task: ")
            assert "internal error" in outcome.error
    assert report.counts["succeeded"] >= 35

    stats = sim.stats()
    assert sum(stats.faults_injected.values()) >= 20
    assert stats.peak_in_flight["video"] <= 5
    assert stats.tasks_created == 50
    per_item = Counter(task["external_task_id"] for task in sim.tasks())
    assert len(per_item) == 50 and set(per_item.values()) == {1}
    assert len({outcome.reference.task_id for outcome in report.outcomes}) == 50

    [table] = artifacts(flow_run_id(state), key="kling-batch")
    rows = json.loads(table.data)
    assert [row["item"] for row in rows] == [f"clip-{index}" for index in range(50)]
    assert all(row["task_id"] for row in rows)


def test_a_waiting_item_has_its_create_step_under_way_and_sends_when_a_place_frees(
    make_sim: Callable[..., KlingSimulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Prefect's bookkeeping of the next create is done before the place frees, not after.

    Each create step marks its create as sent before it takes a place. The simulated clock
    stands still until both marks are made (for at most 30 s of real time), so the first task
    cannot end before the second step had every chance to be under way; a step that only
    started once a place freed would mark after the first task ended.
    """
    sim = make_sim(concurrency={"video": 1})
    runtime = sim.runtime()
    marked: list[datetime] = []
    both_marked = threading.Event()
    claim_mark_really = create_step.claim_mark

    def claim_mark_noted(key: str, digest: str | None) -> SentMark | None:
        marked.append(runtime.now())
        if len(marked) == 2:
            both_marked.set()
        return claim_mark_really(key, digest)

    def sleep_once_both_marked(seconds: float) -> None:
        both_marked.wait(timeout=30)
        runtime.sleep(seconds)

    monkeypatch.setattr(create_step, "claim_mark", claim_mark_noted)
    tag = uuid.uuid4().hex[:8]
    items = [{"prompt": f"Queued clip {index} {tag}"} for index in range(2)]
    gated = dataclasses.replace(runtime, sleep=sleep_once_both_marked)
    state = batch(sim, items, tmp_path, max_concurrency=1, runtime=gated)
    assert state.result().all_succeeded
    first, second = sorted(sim.tasks(), key=lambda task: task["created_at"])
    first_ended = datetime.fromtimestamp(first["updated_at"] / 1000, UTC)
    assert second["created_at"] >= first["updated_at"]  # sent once the place was free
    assert first["updated_at"] - first["created_at"] >= (QUEUE + PROCESSING) * 1000

    finished_task_runs(flow_run_id(state), "kling-create", 2)
    # Both steps were under way (they run the mark) before the first task ended.
    assert len(marked) == 2 and all(mark < first_ended for mark in marked)
    assert sim.stats().peak_in_flight["video"] == 1


def test_a_batch_gives_every_item_its_own_outcome(sim: KlingSimulator, tmp_path: Path):
    tag = uuid.uuid4().hex[:8]
    items = [
        {"prompt": f"A fine clip {tag}", "name": "fine"},
        {"prompt": f"A refused clip {tag}", "name": "refused"},
        {"prompt": f"A forbidden clip {tag}", "name": "failing"},
        {"prompt": f"A bad mode {tag}", "mode": "turbo", "name": "invalid"},
        {"endpoint": "multi-image2image", "request": {"subject_image_list": []}, "name": "empty"},
    ]
    report = batch(sim, items, tmp_path).result()
    outcomes = {outcome.name: outcome for outcome in report.outcomes}
    assert outcomes["fine"].status == "succeeded"
    assert outcomes["refused"].status == "error"
    assert "1301" in outcomes["refused"].error
    assert outcomes["failing"].status == "failed"
    assert "risk control" in outcomes["failing"].error
    assert outcomes["invalid"].status == "refused"
    assert "mode" in outcomes["invalid"].error
    assert outcomes["empty"].status == "refused"
    assert sim.stats().tasks_created == 2


@pytest.mark.parametrize("fail_on_failed_items", [False, True])
def test_a_batch_with_a_failed_item_shows_it_in_prefect(
    sim: KlingSimulator, tmp_path: Path, fail_on_failed_items: bool
):
    tag = uuid.uuid4().hex[:8]
    items = [
        {"prompt": f"A fine clip {tag}", "name": "fine"},
        {"prompt": f"A forbidden clip {tag}", "name": "failing"},
        {"prompt": f"Another fine clip {tag}", "name": "also-fine"},
    ]
    output = Path(os.path.relpath(tmp_path))  # as a user gives it: relative to the cwd
    state = batch(sim, items, output, fail_on_failed_items=fail_on_failed_items)

    assert state.name == "1 of 3 failed"
    assert state.is_failed() is fail_on_failed_items
    assert state.is_completed() is not fail_on_failed_items
    report = state.result(raise_on_failure=False)
    assert report.counts == Counter({"succeeded": 2, "failed": 1})
    runs = finished_task_runs(flow_run_id(state), "kling-batch-item", 3)
    assert sorted(run.state.type.value for run in runs) == ["COMPLETED", "COMPLETED", "FAILED"]
    (failed_run,) = [run for run in runs if run.state.is_failed()]
    assert "risk control" in failed_run.state.message

    [table] = artifacts(flow_run_id(state), key="kling-batch")
    assert table.description == report.describe()
    assert "1 failed, 2 succeeded" in table.description
    rows = {row["item"]: row for row in json.loads(table.data)}
    assert rows["failing"]["error"] == report.outcomes[1].error  # Kling's reason, in full
    assert "Failure to pass the risk control system" in rows["failing"]["error"]
    for name in ("fine", "also-fine"):
        (saved,) = next(o for o in report.outcomes if o.name == name).files
        assert Path(saved.path).is_absolute() and Path(saved.path).is_file()
        assert rows[name]["files"] == f"{saved.path} (sha256 {sha256(saved.path)})"

    [progress] = artifacts(flow_run_id(state), key="kling-batch-progress")
    assert progress.data == 100.0
    assert progress.description == "3 of 3 done (2 succeeded, 1 failed); 0 in flight; 0 queued"


def test_a_running_batch_shows_its_progress_live(sim: KlingSimulator, tmp_path: Path):
    from prefect.runtime import flow_run

    tag = uuid.uuid4().hex[:8]
    items = [{"prompt": f"Live clip {index} {tag}"} for index in range(3)]
    seen: list[str] = []

    def on_status(task: Any, elapsed: float) -> None:
        if seen:
            return
        # The batch is running: its first task has just been seen. The artifact shows it.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = artifacts(UUID(flow_run.id), key="kling-batch-progress")
            if found and re.search(r"[1-9] in flight", found[0].description or ""):
                seen.append(found[0].description)
                return
            time.sleep(0.05)
        seen.append("never in flight")

    state = batch(sim, items, tmp_path, on_status=on_status, max_concurrency=3)
    assert state.is_completed()
    assert re.fullmatch(r"0 of 3 done; [1-3] in flight; [0-2] queued", seen[0]), seen
    [progress] = artifacts(flow_run_id(state), key="kling-batch-progress")
    assert progress.description == "3 of 3 done (3 succeeded); 0 in flight; 0 queued"


def test_a_repeated_request_in_a_batch_is_refused_before_sending(
    sim: KlingSimulator, tmp_path: Path
):
    prompt = unique("Twice the same lighthouse")
    items = [
        {"prompt": prompt, "name": "first"},
        {"prompt": prompt, "name": "again"},
        {"prompt": prompt, "name": "second-take", "idempotency_key": "take-2"},
    ]
    report = batch(sim, items, tmp_path).result()
    outcomes = {outcome.name: outcome for outcome in report.outcomes}
    refused = [outcome for outcome in report.outcomes if outcome.status == "refused"]
    assert len(refused) == 1 and report.counts["succeeded"] == 2
    # Whichever of the two came first made the task; the other names it.
    other = "first" if refused[0].name == "again" else "again"
    assert f"({other}), so the same Kling task" in refused[0].error
    assert "idempotency_key for a take of its own" in refused[0].error
    assert outcomes["second-take"].status == "succeeded"
    assert sim.stats().create_calls == 2 and sim.stats().duplicate_external_ids == 0
    assert report.units == 2


TURBO_2_5 = {"model_name": "kling-2.5-turbo"}
"""5 s at 720p: 1.5 units, the price table's figure and the simulator's charge alike."""


def test_a_batch_stops_creating_at_its_budget(sim: KlingSimulator, tmp_path: Path):
    tag = uuid.uuid4().hex[:8]
    items = [{"prompt": f"Budget clip {index} {tag}", **TURBO_2_5} for index in range(5)]
    keys = sim.credentials(api_key=True)
    state = batch(sim, items, tmp_path, max_units=3, credentials=keys)
    report = state.result()
    assert report.counts == Counter({"succeeded": 2, "skipped": 3})
    for outcome in report.outcomes:
        if outcome.status == "skipped":
            assert "budget of 3 units" in outcome.error
    assert sim.stats().create_calls == 2
    assert report.units == 3
    said = run_logs(flow_run_id(state), "were not created")
    assert "3 items were not created: KlingBudgetExceeded: not creating text-to-video" in said


def test_a_rerun_counts_the_tasks_it_reuses_against_its_budget(sim: KlingSimulator, tmp_path: Path):
    tag = uuid.uuid4().hex[:8]
    items = [{"prompt": f"Budget rerun clip {index} {tag}", **TURBO_2_5} for index in range(5)]
    keys = sim.credentials(api_key=True)
    assert batch(sim, items, tmp_path, max_units=3, credentials=keys).result().units == 3

    # The two cached creates send nothing but count what Kling charged for them: a budget
    # of 4.5 leaves room for one new task, so the batch stays within 4.5 units across runs.
    rerun = batch(sim, items, tmp_path, max_units=4.5, credentials=keys).result()
    assert rerun.counts == Counter({"succeeded": 3, "skipped": 2})
    assert sim.stats().create_calls == 3
    assert rerun.units == 4.5


def test_retry_failed_makes_one_fresh_take_of_failed_items_only(
    sim: KlingSimulator, tmp_path: Path
):
    tag = uuid.uuid4().hex[:8]
    items = [{"prompt": f"Retry clip {index} {tag}", "name": f"clip-{index}"} for index in range(3)]
    sim.inject("task_failure", times=1, on="create")
    first = batch(sim, items, tmp_path).result()
    assert first.counts == Counter({"succeeded": 2, "failed": 1})
    (failed,) = [outcome for outcome in first.outcomes if outcome.status == "failed"]
    assert sim.stats().create_calls == 3

    second = batch(sim, items, tmp_path, retry_failed=True).result()
    assert second.all_succeeded
    assert sim.stats().create_calls == 4  # one fresh take, of the failed item only
    retried = next(outcome for outcome in second.outcomes if outcome.name == failed.name)
    assert retried.reference.task_id != failed.reference.task_id

    third = batch(sim, items, tmp_path, retry_failed=True).result()
    assert third.all_succeeded
    assert sim.stats().create_calls == 4  # the fresh take is the cached create now
    assert {o.reference.task_id for o in third.outcomes} == {
        o.reference.task_id for o in second.outcomes
    }


def test_a_batch_from_a_csv_file_reuses_the_cached_creates(sim: KlingSimulator, tmp_path: Path):
    tag = uuid.uuid4().hex[:8]
    source = tmp_path / "batch.csv"
    source.write_text(
        "name,prompt,duration,idempotency_key\n"
        f"one,A CSV clip {tag},5,\n"
        f"two,A CSV clip {tag},5,take-2\n",
        encoding="utf-8",
    )
    first = batch(sim, str(source), tmp_path / "out").result()
    assert first.all_succeeded
    assert sim.stats().create_calls == 2
    second = batch(sim, str(source), tmp_path / "out").result()
    assert second.all_succeeded
    assert sim.stats().create_calls == 2
    assert [o.reference.task_id for o in second.outcomes] == [
        o.reference.task_id for o in first.outcomes
    ]


def test_a_batch_rerun_with_every_file_saved_asks_kling_nothing(
    sim: KlingSimulator, tmp_path: Path
):
    tag = uuid.uuid4().hex[:8]
    items = [{"prompt": f"Saved clip {index} {tag}"} for index in range(2)]
    first = batch(sim, items, tmp_path).result()
    assert first.all_succeeded
    seen, downloads = len(sim.requests()), sim.stats().downloads

    second = batch(sim, items, tmp_path).result()
    assert second.all_succeeded
    assert sim.requests()[seen:] == []  # no create, no lookup, no status query
    assert sim.stats().downloads == downloads
    assert [o.files for o in second.outcomes] == [o.files for o in first.outcomes]
    assert second.units == first.units == 2

    # A file gone from the output: that task's status is asked again and its file fetched.
    Path(first.outcomes[0].files[0].path).unlink()
    third = batch(sim, items, tmp_path).result()
    assert third.all_succeeded
    asked = sim.requests()[seen:]
    assert asked and all(request["method"] == "GET" for request in asked)
    assert sim.stats().downloads == downloads + 1
    assert third.outcomes[0].files[0].sha256 == sha256(third.outcomes[0].files[0].path)
    assert sim.stats().create_calls == 2


def test_cache_lifetime_is_shorter_than_the_files_are_kept():
    assert create_step.CACHE_LIFETIME[Provider.KLING] < RESULT_LIFETIME
    assert create_step.CACHE_LIFETIME[Provider.COMETAPI] < timedelta(days=1)
