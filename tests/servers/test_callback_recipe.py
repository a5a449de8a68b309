"""End to end: the "No waiting worker" recipe of docs/callbacks.md, on a real Prefect server.

A task is created with a callback URL and nothing waits for it. The simulator calls the
receiver back; the receiver emits `kling.task.succeeded` (label `kling.source: callback`) to
the server; the trigger of the `resume-task` deployment of flows/prefect.yaml, enabled as the
recipe says, starts one `resume_task` run on a process worker, which saves the video.

The task runs on the simulator's clock (a minute queued, five minutes processing), moved on
by the test; the server is the session's real one, on PostgreSQL (`postgres_prefect_server`).
"""

from __future__ import annotations

import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.events import emit_event
from prefect.events.actions import DoNothing
from prefect.events.clients import PrefectEventsClient
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.events.worker import EventsWorker
from prefect.settings import PREFECT_API_URL, temporary_settings

from prefect_kling.callbacks import callback_url, emit_callback_event, running_receiver
from prefect_kling.models.kling_task import KlingTask
from tests.conftest import canary_simulator
from tests.prefect_server import PREFECT, PrefectServer, server_environment, wait_until, workers

PROJECT = Path(__file__).resolve().parents[2]
POOL = "kling-callbacks"
DEPLOYMENT = "kling-resume-task/resume-task"
TOKEN = "tok-recipe-5d2e7a"
RUN_TIMEOUT = 180.0
QUEUE_SECONDS, PROCESSING_SECONDS = 60.0, 300.0

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.postgres]


def recipe_prefect_file(folder: Path, output: Path) -> Path:
    """flows/prefect.yaml's `resume-task` deployment with its trigger enabled, as the recipe says.

    Only what a user adapts changes: `enabled: true`, the pool, and the output folder.
    """
    config = yaml.safe_load((PROJECT / "flows" / "prefect.yaml").read_text())
    (deployment,) = [item for item in config["deployments"] if item["name"] == "resume-task"]
    (trigger,) = deployment["triggers"]
    assert trigger == {
        "type": "event",
        "enabled": False,
        "match": {"prefect.resource.id": "kling.task.*", "kling.source": "callback"},
        "expect": ["kling.task.succeeded"],
        "parameters": {
            "endpoint": "{{ event.payload.endpoint }}",
            "task_id": "{{ event.payload.task_id }}",
        },
    }, "the resume-task trigger of flows/prefect.yaml is no longer the one the recipe shows"
    trigger["enabled"] = True
    deployment["parameters"]["output"] = str(output)
    deployment["work_pool"] = {"name": POOL, "work_queue_name": "default"}
    config["deployments"] = [deployment]
    path = folder / "prefect.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def deploy(prefect_file: Path, home: Path, api_url: str) -> None:
    """`prefect deploy` from the project root, as flows/prefect.yaml says to."""
    done = subprocess.run(
        [*PREFECT, "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file)],
        cwd=PROJECT,
        env=server_environment(home, api_url),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, (
        f"prefect deploy failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    )


@contextmanager
def events_to(api_url: str) -> Iterator[None]:
    """Send this process's Prefect events to the server at `api_url`.

    The session's test harness points the process at its own server. `temporary_settings`
    made here would not help: the receiver's thread does not see them, and Prefect keeps one
    `EventsWorker` per client type, not per API URL, so one the session already started would
    keep its server. So `emit_event` (which the receiver calls) gets a worker with an explicit
    client for the real server, drained before that server goes away.
    """
    EventsWorker.set_client_override(PrefectEventsClient, api_url=api_url)
    try:
        yield
    finally:
        try:
            EventsWorker.instance().drain()
        finally:
            EventsWorker.set_client_override(None)


class Emitted:
    """The receiver's real emitter (`emit_callback_event`), with a record of its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []
        self._lock = threading.Lock()

    def __call__(self, task: KlingTask, source: str, endpoint: str | None) -> None:
        with self._lock:
            self.calls.append((task.task_id, task.status, endpoint))
        emit_callback_event(task, source, endpoint)

    def statuses(self) -> list[str]:
        with self._lock:
            return [status for _, status, _ in self.calls]


class Sentinel:
    """An automation that fires on an event of its own, to tell when the server caught up.

    The server's trigger service takes events in the order they came (two at a time), and
    a firing is on record only once the server has written it (every `EVENT_FLUSH_SECONDS`).
    So when the sentinel's firing can be read, every event sent before the sentinel's has
    been weighed against every automation, and their firings are on record too.
    """

    def __init__(self, prefect: Any) -> None:
        self.prefect = prefect
        self.resource = f"kling-tests.sentinel.{uuid.uuid4().hex}"
        trigger = EventTrigger(
            match={"prefect.resource.id": self.resource},
            expect={"kling-tests.sentinel"},
            posture=Posture.Reactive,
            threshold=1,
        )
        automation = AutomationCore(
            name=f"sentinel {self.resource}", trigger=trigger, actions=[DoNothing()]
        )
        self.automation_id = prefect.create_automation(automation)

    def send_and_wait(self, timeout: float, message: Any) -> None:
        """Send the sentinel's event; return once the sentinel has fired."""
        emit_event(event="kling-tests.sentinel", resource={"prefect.resource.id": self.resource})
        EventsWorker.instance().drain()
        wait_until(lambda: fired(self.prefect, self.automation_id), timeout, message)


def fired(prefect: Any, automation_id: Any) -> list[Any]:
    """The recorded firings (`prefect.automation.triggered`) of an automation."""
    event_filter = EventFilter(
        event=EventNameFilter(name=["prefect.automation.triggered"]),
        resource=EventResourceFilter(id=[f"prefect.automation.{automation_id}"]),
    )
    return prefect.read_events(filter=event_filter, limit=50).events


def tail(path: Path, size: int = 2500) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else f"({path.name}: none)"


def test_a_callback_starts_resume_task_and_nothing_waits(
    tmp_path: Path, postgres_prefect_server: PrefectServer
):
    home, output = tmp_path / "prefect", tmp_path / "videos"
    home.mkdir()
    emitted = Emitted()
    api_url = postgres_prefect_server.api_url
    with (
        canary_simulator(
            queue_seconds=QUEUE_SECONDS, processing_seconds=PROCESSING_SECONDS, seed=5
        ) as sim,
        temporary_settings(updates={PREFECT_API_URL: api_url}),
        get_client(sync_client=True) as prefect,
    ):
        prefect.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
        # The block name that flows/prefect.yaml passes as `credentials`.
        sim.credentials("kling").save("kling", overwrite=True)
        # The worker starts (a few seconds) while `prefect deploy` runs.
        with workers(home, api_url, POOL, count=1, cwd=PROJECT):
            deploy(recipe_prefect_file(tmp_path, output), home, api_url)
            deployment = prefect.read_deployment_by_name(DEPLOYMENT)
            automations = prefect.read_resource_related_automations(
                f"prefect.deployment.{deployment.id}"
            )
            assert [automation.enabled for automation in automations] == [True], automations
            (recipe,) = automations

            def runs() -> list[Any]:
                return prefect.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
                )

            def server_events(task_id: str) -> list[Any]:
                event_filter = EventFilter(
                    event=EventNameFilter(prefix=["kling.task."]),
                    resource=EventResourceFilter(id=[f"kling.task.{task_id}"]),
                )
                return prefect.read_events(filter=event_filter, limit=50).events

            def callback_succeeded(task_id: str) -> list[Any]:
                return [
                    event
                    for event in server_events(task_id)
                    if event.event == "kling.task.succeeded"
                    and event.resource.get("kling.source") == "callback"
                ]

            with (
                events_to(api_url),
                running_receiver(
                    TOKEN, emit=emitted, credentials=sim.credentials("kling")
                ) as receiver,
            ):
                sentinel = Sentinel(prefect)
                url = callback_url(receiver, TOKEN, "text2video")
                with sim.credentials("kling").get_client() as kling:
                    reference = kling.create(
                        "text2video", {"prompt": "a kite over the dunes", "callback_url": url}
                    )
                # Nothing waits: the create returned as soon as Kling took the task.
                assert reference.status == "submitted", reference

                def diagnosis() -> str:
                    events = server_events(reference.task_id)
                    return (
                        f"emitted by the receiver: {emitted.calls}\n"
                        f"simulator: {sim.stats().to_dict()}\n"
                        f"events on the server: {[(e.event, dict(e.resource)) for e in events]}\n"
                        f"runs: {[(run.name, run.state_name) for run in runs()]}\n"
                        f"worker log: {tail(home / 'worker-0.log')}\n"
                        f"server log: {tail(postgres_prefect_server.log)}"
                    )

                # Kling takes the task through its queue, then its processing; each step
                # waits for the callback of the one before, which Kling sends minutes apart
                # (the receiver emits what a query confirms, so a step taken earlier would
                # turn the callback of the one before into the status after it).
                wait_until(
                    lambda: "submitted" in emitted.statuses(),
                    30,
                    lambda: f"the receiver got no submitted callback\n{diagnosis()}",
                )
                sim.advance(QUEUE_SECONDS)
                wait_until(
                    lambda: "processing" in emitted.statuses(),
                    30,
                    lambda: f"the receiver got no processing callback\n{diagnosis()}",
                )
                sim.advance(PROCESSING_SECONDS)
                wait_until(
                    lambda: "succeed" in emitted.statuses(),
                    30,
                    lambda: f"the receiver got no final callback\n{diagnosis()}",
                )
                (event,) = wait_until(
                    lambda: callback_succeeded(reference.task_id),
                    30,
                    lambda: f"kling.task.succeeded never reached the server\n{diagnosis()}",
                )
                assert event.payload["task_id"] == reference.task_id
                assert event.payload["endpoint"] == "text2video"
                assert event.resource["kling.endpoint"] == "text2video"

                (run,) = wait_until(
                    runs, 60, lambda: f"the trigger started no resume_task run\n{diagnosis()}"
                )
                # Kling may call back again with the same status: the receiver drops the repeat.
                (task,) = sim.tasks()
                assert task["task"]["task_status"] == "succeed"
                repeat = httpx.post(url, json=task["task"], timeout=10, trust_env=False)
                assert repeat.status_code == 204

                def final_state() -> Any:
                    current = prefect.read_flow_run(run.id)
                    return current if current.state and current.state.is_final() else None

                finished = wait_until(
                    final_state,
                    RUN_TIMEOUT,
                    lambda: f"the resume_task run did not finish\n{diagnosis()}",
                )
                assert finished.state.is_completed(), f"{finished.state!r}\n{diagnosis()}"

                # Would anything start a second run? The run's last event on the server
                # means its earlier ones are there too; the sentinel then tells when the
                # server has weighed them all, and the repeat, against the trigger.
                wait_until(
                    lambda: any(
                        e.event == "kling.task.downloaded" for e in server_events(reference.task_id)
                    ),
                    30,
                    lambda: f"the run's kling.task.downloaded never arrived\n{diagnosis()}",
                )
                sentinel.send_and_wait(
                    30, lambda: f"the server never caught up with the events\n{diagnosis()}"
                )
                assert len(runs()) == 1, diagnosis()
                assert len(fired(prefect, recipe.id)) == 1, diagnosis()
                assert len(callback_succeeded(reference.task_id)) == 1, diagnosis()

    assert finished.parameters["endpoint"] == "text2video"
    assert finished.parameters["task_id"] == reference.task_id
    assert finished.parameters["credentials"] == "kling"
    assert emitted.statuses() == ["submitted", "processing", "succeed"]
    assert {(task_id, endpoint) for task_id, _, endpoint in emitted.calls} == {
        (reference.task_id, "text2video")
    }
    videos = list(output.rglob("*.mp4"))
    assert len(videos) == 1, list(output.rglob("*"))
    assert videos[0].read_bytes()[4:8] == b"ftyp"
    stats = sim.stats()
    assert (stats.create_calls, stats.tasks_created) == (1, 1)
    assert stats.callbacks_failed == 0
    assert stats.callbacks_sent >= 3
    assert stats.downloads >= 1
