"""Never pay twice, over every endpoint that creates tasks: one table, three ways to fail.

Each row of the endpoint table has a request here (`SAMPLES`; a new row without one fails
`test_the_table_covers_every_endpoint`). Each request goes through the cached create step
and the wait of the generation pipeline (`Generation`), as every ready-made flow runs it:

- **an ambiguous create**: Kling makes the task and the answer is lost (a 500 after the
  task was made, or the connection cut before the body). One task, and the wait finds it;
- **a rerun** of the same request: no create, and no lookup of the external id either;
- **a SIGKILL mid-wait**: one process creates every row's task and is killed while it
  waits; the rerun in another process finds each record and creates nothing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from prefect.settings import get_current_settings

from prefect_kling import KlingCredentials
from prefect_kling.endpoints import ENDPOINTS, ApiStandard, Family
from prefect_kling.flows.pipeline import Generation
from prefect_kling.media import make_png
from prefect_kling.runtime import Runtime, use_runtime
from prefect_kling.simulator import FaultKind, KlingSimulator
from prefect_kling.waiting import PollSchedule, PollWaiter
from tests.conftest import canary_simulator

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[1]
QUEUE, PROCESSING = 0.05, 0.2
REQUEST_LOG_SIZE = 1000
"""Requests the simulator's log keeps (`KlingSimulator.requests`)."""
CREATED = "CREATED"
LONG_TASK = 3600.0
"""Simulated seconds a task of the killed process takes: it is killed while waiting."""


@flow(name="pay-once", persist_result=False)
def pay_once(
    endpoint: str,
    request: dict[str, Any],
    credentials: KlingCredentials,
    runtime: Runtime | None = None,
) -> tuple[str, str]:
    """Create (or find) the request's task through the cached create step, wait for it.

    Prints `CREATED <endpoint>` once the create step has ended (its record is kept).

    Returns:
        The task's id and external id.
    """
    with use_runtime(runtime):
        generation = Generation.prepare(endpoint, request, credentials, progress_artifact=False)
        reference = generation.create()
        print(f"{CREATED} {endpoint}", flush=True)
        schedule = PollSchedule(first_interval=1.0, max_interval=1.0)
        with PollWaiter(credentials, schedule) as waiter:
            generation.wait(waiter, max_wait_seconds=2 * LONG_TASK)
    assert generation.prepared is not None
    return reference.task_id, generation.prepared.external_task_id


# --- the table -------------------------------------------------------------------------------


def picture(folder: Path) -> str:
    path = folder / f"{uuid.uuid4().hex}.png"
    path.write_bytes(make_png(500, 400, seed=uuid.uuid4().int % 1_000_000))
    return str(path)


def source_video(sim: KlingSimulator) -> str:
    """The id of a finished text2video video, made without the create step."""
    with sim.credentials().get_client() as client:
        made = client.create("text2video", {"prompt": f"source {uuid.uuid4().hex}"})
        sim.advance(QUEUE + PROCESSING)
        return client.get_task("text2video", made.task_id).videos[0].id


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


Sample = Callable[[KlingSimulator, Path], dict[str, Any]]
SAMPLES: dict[str, Sample] = {
    "text2video": lambda sim, folder: {"prompt": unique("A fox in the snow")},
    "image2video": lambda sim, folder: {"image": picture(folder), "prompt": unique("It moves")},
    "multi-image2video": lambda sim, folder: {
        "image_list": [{"image": picture(folder)}, {"image": picture(folder)}],
        "prompt": unique("Together"),
    },
    "text-to-video": lambda sim, folder: {
        "model_name": "kling-3.0-turbo",
        "prompt": unique("A lighthouse at dusk"),
        "duration": 5,
    },
    "image-to-video": lambda sim, folder: {
        "model_name": "kling-2.6",
        "first_frame": f"https://img.test/{uuid.uuid4().hex}.png",
        "prompt": unique("Waves"),
        "duration": 5,
    },
    "omni-video": lambda sim, folder: {
        "model_name": "kling-o1",
        "prompt": unique("A paper crane unfolds"),
        "duration": 5,
        "aspect_ratio": "16:9",
    },
    "motion-control": lambda sim, folder: {
        "model_name": "kling-2.6",
        "image": f"https://img.test/{uuid.uuid4().hex}.png",
        "video": f"https://video.test/{uuid.uuid4().hex}.mp4",
        "character_orientation": "image",
        "resolution": "720p",
    },
    "multi-image2image": lambda sim, folder: {
        "model_name": "kling-v2-1",
        "subject_image_list": [{"subject_image": picture(folder)} for _ in range(2)],
        "prompt": unique("Both of them"),
    },
    "image-generation": lambda sim, folder: {"prompt": unique("A teapot")},
    "video-extend": lambda sim, folder: {
        "video_id": source_video(sim),
        "prompt": unique("It goes on"),
    },
    "lip-sync": lambda sim, folder: {
        "mode": "audio2video",
        "video_url": f"https://cdn.example.com/{uuid.uuid4().hex}.mp4",
        "audio_url": "https://cdn.example.com/line.mp3",
    },
    "advanced-lip-sync": lambda sim, folder: {
        "video_id": source_video(sim),
        "face_choose": [{"sound_file": f"https://cdn.example.com/{uuid.uuid4().hex}.mp3"}],
    },
    "effects": lambda sim, folder: {"effect_scene": "color_mixing", "image": picture(folder)},
    "omni-image": lambda sim, folder: {
        "prompt": unique("<<<image_1>>> at the seaside"),
        "image_list": [{"image": picture(folder)}],
    },
    "multi-shot": lambda sim, folder: {"element_frontal_image": picture(folder)},
    "text-to-audio": lambda sim, folder: {"prompt": unique("Rain on a tin roof"), "duration": 4},
    "video-to-audio": lambda sim, folder: {
        "video_id": source_video(sim),
        "sound_effect_prompt": unique("Waves breaking"),
        "bgm_prompt": "calm piano",
    },
    "avatar": lambda sim, folder: {
        "image": picture(folder),
        "sound_file": f"https://audio.test/{uuid.uuid4().hex}.mp3",
        "mode": "std",
    },
    "multi-elements": lambda sim, folder: {
        "video_id": source_video(sim),
        "selections": [{"frame_index": 0, "points": [{"x": 0.5, "y": 0.4}]}],
        "edit_mode": "removal",
        "prompt": unique("Delete the chick from <<<video_1>>>"),
    },
    "image-expand": lambda sim, folder: {
        "image": picture(folder),
        "up_expansion_ratio": 0.5,
        "prompt": unique("More sky"),
    },
    "virtual-try-on": lambda sim, folder: {
        "human_image": picture(folder),
        "cloth_image": picture(folder),
    },
    "element": lambda sim, folder: {
        "element_name": uuid.uuid4().hex[:12],
        "element_description": unique("Me, waving"),
        "element_video_list": {
            "refer_videos": [{"video_url": f"https://video.test/{uuid.uuid4().hex}.mp4"}]
        },
    },
    "voice": lambda sim, folder: {
        "voice_name": uuid.uuid4().hex[:12],
        "voice_url": f"https://audio.test/{uuid.uuid4().hex}.mp3",
    },
}
ROWS = sorted(SAMPLES)


def credentials_for(sim: KlingSimulator, endpoint: str) -> KlingCredentials:
    return sim.credentials(api_key=ENDPOINTS[endpoint].standard is ApiStandard.NEW)


def test_the_table_covers_every_endpoint():
    assert set(SAMPLES) == set(ENDPOINTS), "every endpoint that creates tasks needs a sample"


@pytest.fixture(scope="module")
def sim() -> Iterator[KlingSimulator]:
    # Room for every row's task at once: the killed process waits for all of them.
    room = {family.value: len(ROWS) for family in Family}
    settings = {"queue_seconds": QUEUE, "processing_seconds": PROCESSING, "concurrency": room}
    with canary_simulator(seed=31, **settings) as simulator:
        yield simulator


@dataclass
class Run:
    """What one run of `pay_once` sent, from the simulator's request log."""

    task_id: str
    external_id: str
    requests: list[dict[str, Any]]

    @property
    def creates(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST" and _is_create(r["path"])]

    @property
    def lookups(self) -> list[dict[str, Any]]:
        """Searches for the task by its external id: by id, in bulk, or page by page."""
        return [r for r in self.requests if _is_lookup(r, self.external_id)]


def _is_create(path: str) -> bool:
    """A POST that makes a task: not a query, a face or selection call, an account call."""
    calls = ("/tasks", "identify-face", "-selection", "account")
    return not any(part in path for part in calls)


def _is_lookup(request: dict[str, Any], external_id: str) -> bool:
    query = request["query"]
    if request["method"] == "POST":
        return request["path"].rstrip("/").endswith("/tasks")  # a cursor page
    return (
        "pageNum" in query
        or "external_task_ids" in query
        or request["path"].rsplit("/", 1)[-1] == external_id
    )


def run_once(sim: KlingSimulator, endpoint: str, request: dict[str, Any]) -> Run:
    before = len(sim.requests())
    assert before < REQUEST_LOG_SIZE, "the simulator's request log is full: use a fresh one"
    credentials = credentials_for(sim, endpoint)
    task_id, external_id = pay_once(endpoint, request, credentials, runtime=sim.runtime())
    return Run(task_id, external_id, sim.requests()[before:])


FAULTS = (FaultKind.CREATE_ERROR_AFTER, FaultKind.DROP_AFTER_CREATE)


@pytest.mark.parametrize("endpoint", ROWS)
def test_an_ambiguous_create_and_a_rerun_make_one_task(
    sim: KlingSimulator, tmp_path: Path, endpoint: str
):
    request = SAMPLES[endpoint](sim, tmp_path)
    fault = FAULTS[ROWS.index(endpoint) % len(FAULTS)]
    applied = sim.stats().faults_injected.get(fault.value, 0)
    sim.inject(fault, on="create")

    first = run_once(sim, endpoint, request)

    assert sim.stats().faults_injected.get(fault.value) == applied + 1, "no answer was lost"
    assert len(first.creates) == 1, f"{fault}: the create was sent again"
    assert first.lookups, "the lost answer is looked up by the external id"
    again = run_once(sim, endpoint, request)
    assert again.task_id == first.task_id
    assert again.creates == [] and again.lookups == [], "a rerun sends no create and no lookup"


# --- a process killed while it waits ---------------------------------------------------------

_CHILD = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
from prefect_kling import KlingCredentials
from tests.test_never_pay_twice import pay_once

runs = json.loads(sys.argv[1])
def run(item):
    credentials = KlingCredentials(**item["credentials"])
    return pay_once(item["endpoint"], item["request"], credentials)
with ThreadPoolExecutor(len(runs)) as pool:
    list(pool.map(run, runs))
"""


def credentials_fields(credentials: KlingCredentials) -> dict[str, Any]:
    fields = {"provider": credentials.provider.value, "base_url": credentials.base_url}
    for name in ("access_key", "secret_key", "api_key"):
        secret = getattr(credentials, name)
        if secret is not None:
            fields[name] = secret.get_secret_value()
    return fields


@dataclass
class Killed:
    """A process killed while every row's task was waiting, and what it made."""

    requests: dict[str, dict[str, Any]]
    creates: int


@pytest.fixture(scope="module")
def killed(sim: KlingSimulator, tmp_path_factory: pytest.TempPathFactory) -> Killed:
    folder = tmp_path_factory.mktemp("killed")
    requests = {endpoint: SAMPLES[endpoint](sim, folder) for endpoint in ROWS}
    sim.configure(processing_seconds=LONG_TASK)
    before = len(sim.requests())
    runs = [
        {
            "endpoint": endpoint,
            "request": request,
            "credentials": credentials_fields(credentials_for(sim, endpoint)),
        }
        for endpoint, request in requests.items()
    ]
    environment = {**os.environ, "PREFECT_API_URL": str(get_current_settings().api.url)}
    log = folder / "child.log"
    with log.open("wb") as output:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, json.dumps(runs)],
            env=environment,
            cwd=PROJECT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        # Every task is waited for: its create step ended and recorded it.
        deadline = time.monotonic() + 90
        while log.read_text(errors="replace").count(CREATED) < len(ROWS):
            said = log.read_text(errors="replace")[-3000:]
            assert child.poll() is None, f"the process ended before it was killed:\n{said}"
            assert time.monotonic() < deadline, f"not every task was waited for:\n{said}"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    sim.configure(processing_seconds=PROCESSING)
    sim.advance(LONG_TASK + 60)
    sent = Run("", "", sim.requests()[before:])
    return Killed(requests, len(sent.creates))


@pytest.mark.parametrize("endpoint", ROWS)
def test_a_rerun_after_a_kill_mid_wait_creates_nothing(
    sim: KlingSimulator, killed: Killed, endpoint: str
):
    assert killed.creates == len(ROWS), "the killed process created each row's task once"
    rerun = run_once(sim, endpoint, killed.requests[endpoint])
    assert rerun.creates == [] and rerun.lookups == []
