"""The ready-made flows on every endpoint beyond text/image to video, and the extend chain.

Against a fresh simulator per test (the fixtures of `test_flows`) and Prefect's test server,
on the simulator's clock: tasks take 40 simulated seconds and no real time. Inputs are unique
per test: cached creates persist for the whole session.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import prefect_kling.flows as flows
from prefect_kling.budget import UnitBudget
from prefect_kling.endpoints import ENDPOINTS, Family
from prefect_kling.exceptions import KlingBudgetExceeded, KlingValidationError
from prefect_kling.flows import batch_generate, extend_video, generate_image, generate_video
from prefect_kling.media import make_png
from prefect_kling.simulator import KlingSimulator
from tests import test_flows
from tests.test_flows import PROCESSING, QUEUE, artifacts, flow_run_id, on_sim, sha256, unique

pytestmark = pytest.mark.e2e

# The fixtures of test_flows: simulators started (and stopped) per test, and the slots held.
make_sim, held_slots = test_flows.make_sim, test_flows.held_slots


@pytest.fixture
def sim(make_sim: Callable[..., KlingSimulator]) -> KlingSimulator:
    return make_sim()


def picture(tmp_path: Path, name: str) -> str:
    """A local PNG no other test uses."""
    path = tmp_path / name
    path.write_bytes(make_png(500, 400, seed=uuid.uuid4().int % 1_000_000))
    return str(path)


def source_video(sim: KlingSimulator, provider: str = "kling") -> str:
    """The id of a finished text2video video, made without a flow."""
    return source_task(sim, provider)[1]


def source_task(sim: KlingSimulator, provider: str = "kling") -> tuple[str, str]:
    """The task id and video id of a finished text2video video, made without a flow."""
    with sim.credentials(provider).get_client() as client:
        made = client.create("text2video", {"prompt": unique("A source clip")})
        sim.advance(QUEUE + PROCESSING)
        return made.task_id, client.get_task("text2video", made.task_id).videos[0].id


def run_flow(sim: KlingSimulator, endpoint: str, request: dict, output: Path, **options: Any):
    """The right flow for the endpoint's results, on the simulator's clock; returns its state."""
    flow = generate_image if ENDPOINTS[endpoint].result_kind.value == "image" else generate_video
    options = on_sim(sim, options.pop("provider", "kling"), **options)
    return flow(request, endpoint=endpoint, output=output, return_state=True, **options)


@dataclass(frozen=True)
class Case:
    """One endpoint run through its flow."""

    endpoint: str
    request: Callable[[KlingSimulator, Path, str], dict[str, Any]]
    family: Family
    slots: int
    files: int


CASES = {
    "image-generation": Case(
        "image-generation",
        lambda sim, tmp, provider: {"prompt": unique("A teapot"), "n": 2, "aspect_ratio": "1:1"},
        Family.IMAGE,
        2,
        2,
    ),
    "image-to-image": Case(
        "image-generation",
        lambda sim, tmp, provider: {
            "prompt": unique("The same teapot in gold"),
            "image": picture(tmp, "teapot.png"),
            "image_fidelity": 0.5,
        },
        Family.IMAGE,
        1,
        1,
    ),
    "image-expand": Case(
        "image-expand",
        lambda sim, tmp, provider: {
            "image": picture(tmp, "room.png"),
            "left_expansion_ratio": 0.5,
            "right_expansion_ratio": 0.5,
            "prompt": unique("More of the room"),
            "n": 2,
        },
        Family.IMAGE,
        2,
        2,
    ),
    "omni-image": Case(
        "omni-image",
        lambda sim, tmp, provider: {
            "prompt": unique("<<<image_1>>> by the sea"),
            "image_list": [{"image": picture(tmp, "cat.png")}],
            "n": 2,
        },
        Family.IMAGE,
        2,
        2,
    ),
    "omni-image-series": Case(
        "omni-image",
        lambda sim, tmp, provider: {
            "prompt": unique("A garden through the seasons"),
            "model_name": "kling-v3-omni",
            "result_type": "series",
            "series_amount": 3,
        },
        Family.IMAGE,
        3,
        3,
    ),
    "multi-shot": Case(
        "multi-shot",
        lambda sim, tmp, provider: {"element_frontal_image": picture(tmp, "hero.png")},
        Family.IMAGE,
        1,
        3,
    ),
    "virtual-try-on": Case(
        "virtual-try-on",
        lambda sim, tmp, provider: {
            "human_image": picture(tmp, "person.png"),
            "cloth_image": picture(tmp, "shirt.png"),
        },
        Family.TRY_ON,
        1,
        1,
    ),
    "video-extend": Case(
        "video-extend",
        lambda sim, tmp, provider: {
            # CometAPI wants the parent task's id too; Kling's API is not sent it.
            **dict(zip(("task_id", "video_id"), source_task(sim, provider), strict=True)),
            "prompt": unique("It goes on"),
        },
        Family.VIDEO,
        1,
        1,
    ),
    "lip-sync-text": Case(
        "lip-sync",
        lambda sim, tmp, provider: {
            "mode": "text2video",
            "video_id": source_video(sim, provider),
            "text": unique("Hello"),
            "voice_id": "oversea_male1",
        },
        Family.VIDEO,
        1,
        1,
    ),
    "lip-sync-audio": Case(
        "lip-sync",
        lambda sim, tmp, provider: {
            "mode": "audio2video",
            "video_url": f"https://cdn.example.com/{uuid.uuid4().hex}.mp4",
            "audio_url": "https://cdn.example.com/line.mp3",
        },
        Family.VIDEO,
        1,
        1,
    ),
    "advanced-lip-sync": Case(
        "advanced-lip-sync",
        lambda sim, tmp, provider: {
            "video_id": source_video(sim, provider),
            "face_choose": [{"sound_file": f"https://cdn.example.com/{uuid.uuid4().hex}.mp3"}],
        },
        Family.VIDEO,
        1,
        1,
    ),
    "effect-single-image": Case(
        "effects",
        lambda sim, tmp, provider: {
            "effect_scene": "color_mixing",
            "image": picture(tmp, "cake.png"),
        },
        Family.VIDEO,
        1,
        1,
    ),
    "effect-two-person": Case(
        "effects",
        lambda sim, tmp, provider: {
            "effect_scene": "hug_pro",
            "images": [picture(tmp, "a.png"), picture(tmp, "b.png")],
        },
        Family.VIDEO,
        1,
        1,
    ),
}
RUNS = [
    pytest.param(name, provider, id=f"{name}-{provider}")
    for name, case in CASES.items()
    for provider in ("kling", "cometapi")
    if ENDPOINTS[case.endpoint].supports(provider)
]


@pytest.mark.parametrize(("name", "provider"), RUNS)
def test_every_endpoint_through_its_flow(
    sim: KlingSimulator,
    tmp_path: Path,
    held_slots: list[tuple[Family, int, int]],
    name: str,
    provider: str,
):
    case = CASES[name]
    request = case.request(sim, tmp_path, provider)
    result = run_flow(sim, case.endpoint, request, tmp_path / "out", provider=provider).result()

    assert result.status == "succeeded" and result.reference.endpoint == case.endpoint
    assert result.units and result.units > 0
    assert held_slots == [(case.family, case.slots, case.slots)]
    assert len(result.files) == case.files
    kind = ENDPOINTS[case.endpoint].result_kind.value
    for index, saved in enumerate(result.files):
        assert (saved.kind, saved.index) == (kind, index)
        assert Path(saved.path).name.startswith(f"{case.endpoint}-{result.task_id}-{index}.")
        assert saved.sha256 == sha256(saved.path)
    if kind == "video":
        assert result.video_id and result.files[0].duration
    else:
        assert result.video_id is None


@pytest.mark.parametrize("endpoint", ["image-expand", "omni-image", "multi-shot"])
def test_a_gateway_without_the_route_is_refused_before_anything_is_sent(
    sim: KlingSimulator, tmp_path: Path, endpoint: str
):
    requests = {
        "video-extend": {"video_id": "12345"},
        "advanced-lip-sync": {
            "video_id": "12345",
            "face_choose": [{"sound_file": "https://cdn.example.com/line.mp3"}],
        },
        "image-expand": {"image": "https://img.test/a.png", "up_expansion_ratio": 0.5},
        "omni-image": {"prompt": "a fox"},
        "multi-shot": {"element_frontal_image": "https://img.test/a.png"},
    }
    state = run_flow(sim, endpoint, requests[endpoint], tmp_path, provider="cometapi")
    error = state.result(raise_on_failure=False)
    assert isinstance(error, KlingValidationError)
    assert f"'cometapi' has no {endpoint} route" in str(error)
    stats = sim.stats()
    assert stats.create_calls == 0 and stats.identify_face_calls == 0


# --- lip-sync ----------------------------------------------------------------------------------


def test_advanced_lip_sync_fills_the_session_and_a_rerun_pays_nothing(
    sim: KlingSimulator, tmp_path: Path
):
    video_id = source_video(sim)
    request = {
        "video_id": video_id,
        "face_choose": [
            {"sound_file": f"https://cdn.example.com/{uuid.uuid4().hex}.mp3"},
            {"face_id": "0", "audio_id": "a-7", "sound_end_time": 1500},
        ],
    }
    first = run_flow(sim, "advanced-lip-sync", request, tmp_path).result()
    [made] = [task for task in sim.tasks() if task["task_id"] == first.task_id]
    sent = made["request"]
    assert sent["session_id"] and "video_id" not in sent
    # The choice without a face takes the face not chosen otherwise, from when it appears
    # until it leaves the video (the simulator's face "1" is in the second half).
    assert sent["face_choose"][0]["face_id"] == "1"
    assert sent["face_choose"][0]["sound_insert_time"] > 0
    assert sent["face_choose"][0]["sound_end_time"] > 0
    assert sent["face_choose"][1]["face_id"] == "0"
    assert made["task"]["task_info"]["parent_video"]["id"] == video_id
    creates = sim.stats().create_calls

    again = run_flow(sim, "advanced-lip-sync", request, tmp_path).result()
    assert again.task_id == first.task_id
    stats = sim.stats()
    assert stats.create_calls == creates
    assert stats.tasks_by_endpoint["advanced-lip-sync"] == 1
    assert stats.identify_face_calls == 2  # free; a new session each time


def test_a_rerun_of_a_lip_sync_by_video_with_a_callers_id_finds_its_task(
    sim: KlingSimulator, tmp_path: Path
):
    """identify-face opens a new session every time: the video names the content instead."""
    request = {
        "video_id": source_video(sim),
        "face_choose": [{"sound_file": f"https://cdn.example.com/{uuid.uuid4().hex}.mp3"}],
        "external_task_id": f"job-{uuid.uuid4().hex[:8]}",
    }
    first = run_flow(sim, "advanced-lip-sync", request, tmp_path).result()
    again = run_flow(sim, "advanced-lip-sync", request, tmp_path).result()
    assert again.task_id == first.task_id
    assert sim.stats().tasks_by_endpoint["advanced-lip-sync"] == 1

    other = {**request, "video_id": source_video(sim)}
    refused = run_flow(sim, "advanced-lip-sync", other, tmp_path)
    assert refused.is_failed()
    assert first.task_id in str(refused.result(raise_on_failure=False))
    assert sim.stats().tasks_by_endpoint["advanced-lip-sync"] == 1


def test_advanced_lip_sync_by_video_runs_in_a_batch_as_in_its_own_flow(
    sim: KlingSimulator, tmp_path: Path
):
    video_id = source_video(sim)
    request = {
        "video_id": video_id,
        "face_choose": [{"sound_file": f"https://cdn.example.com/{uuid.uuid4().hex}.mp3"}],
    }
    items = [{"endpoint": "advanced-lip-sync", "request": request, "name": "speaker"}]
    report = batch_generate(items, output=tmp_path, **on_sim(sim))
    [outcome] = report.outcomes
    assert outcome.status == "succeeded", outcome.error
    [made] = [task for task in sim.tasks() if task["task_id"] == outcome.reference.task_id]
    assert made["request"]["session_id"] and made["request"]["face_choose"][0]["face_id"] == "0"
    assert sim.stats().identify_face_calls == 1
    assert outcome.files and outcome.files[0].kind == "video"

    # The same request in its own flow is the same task: nothing is paid twice.
    alone = run_flow(sim, "advanced-lip-sync", request, tmp_path).result()
    assert alone.task_id == outcome.reference.task_id
    assert sim.stats().tasks_by_endpoint["advanced-lip-sync"] == 1


def test_advanced_lip_sync_input_is_refused_before_identifying_faces(
    sim: KlingSimulator, tmp_path: Path
):
    both = {
        "video_id": "12345",
        "video_url": "https://cdn.example.com/v.mp4",
        "face_choose": [{"sound_file": "https://cdn.example.com/a.mp3"}],
    }
    error = run_flow(sim, "advanced-lip-sync", both, tmp_path).result(raise_on_failure=False)
    assert isinstance(error, KlingValidationError) and "video_url:" in str(error)
    state = run_flow(
        sim,
        "advanced-lip-sync",
        {"video_id": "12345", "face_choose": [{"audio_id": "a", "sound_file": "https://x/a"}]},
        tmp_path,
    )
    error = state.result(raise_on_failure=False)
    assert isinstance(error, KlingValidationError) and "face_choose.0" in str(error)
    stats = sim.stats()
    assert stats.identify_face_calls == 0 and stats.create_calls == 0


def test_the_summary_shows_the_effect_scene(sim: KlingSimulator, tmp_path: Path):
    request = {
        "effect_scene": "kiss_pro",
        "images": [picture(tmp_path, "a.png"), picture(tmp_path, "b.png")],
    }
    state = run_flow(sim, "effects", request, tmp_path / "out")
    result = state.result()
    [summary] = artifacts(flow_run_id(state), key=f"kling-task-{result.task_id}")
    assert "kiss_pro" in summary.data
    [made] = [task for task in sim.tasks() if task["task_id"] == result.task_id]
    assert made["request"]["input"] == {"images": made["request"]["input"]["images"]}


# --- the extend chain --------------------------------------------------------------------------


def test_extend_video_chains_three_extensions(sim: KlingSimulator, tmp_path: Path):
    video_id = source_video(sim)
    prompt = unique("The road goes on")
    state = extend_video(
        video_id, times=3, prompt=prompt, output=tmp_path, return_state=True, **on_sim(sim)
    )
    results = state.result()
    assert len(results) == 3
    assert sim.stats().tasks_by_endpoint["video-extend"] == 3
    tasks = {task["task_id"]: task for task in sim.tasks()}
    parents = [tasks[r.task_id]["task"]["task_info"]["parent_video"]["id"] for r in results]
    assert parents == [video_id, results[0].video_id, results[1].video_id]
    durations = [float(result.files[0].duration) for result in results]
    assert durations == sorted(durations) and len(set(durations)) == 3
    assert durations[-1] > 5 + 3 * 4  # the source's 5 s plus three extensions
    for result in results:
        [saved] = result.files
        assert Path(saved.path).name == f"video-extend-{result.task_id}-0.mp4"
        assert saved.sha256 == sha256(saved.path)

    rerun = extend_video(video_id, times=3, prompt=prompt, output=tmp_path, **on_sim(sim))
    assert [r.task_id for r in rerun] == [r.task_id for r in results]
    assert sim.stats().tasks_by_endpoint["video-extend"] == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_units": -1}, "max_units: -1; allowed: units above 0"),
        ({"max_units": float("nan")}, "max_units: nan; allowed: units above 0"),
        ({"max_wait_seconds": 0}, "max_wait_seconds: 0; allowed: seconds above 0"),
        ({"poll_interval_seconds": -1}, "poll_interval_seconds: -1; allowed: seconds above 0"),
    ],
)
def test_bad_waits_and_budgets_are_refused_before_anything_is_sent(
    sim: KlingSimulator, tmp_path: Path, options: dict[str, Any], message: str
):
    for run in (generate_video, batch_generate):
        first = {"prompt": "A fox"} if run is generate_video else [{"prompt": "A fox"}]
        state = run(
            first, credentials=sim.credentials(), output=tmp_path, return_state=True, **options
        )
        error = state.result(raise_on_failure=False)
        assert isinstance(error, KlingValidationError) and message in str(error)
    assert sim.stats().requests == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"times": 0}, "times: 0; allowed: 1 or more"),
        ({"provider": "cometapi"}, "task_id"),
        ({"cfg_scale": 1.5}, "cfg_scale"),
        ({"times": 3, "max_units": 2}, "budget of 2 units"),
    ],
)
def test_extend_video_refuses_before_anything_is_sent(
    sim: KlingSimulator, tmp_path: Path, options: dict[str, Any], message: str
):
    provider = options.pop("provider", "kling")
    state = extend_video(
        "12345",
        credentials=sim.credentials(provider),
        output=tmp_path,
        return_state=True,
        **options,
    )
    error = state.result(raise_on_failure=False)
    assert isinstance(error, KlingValidationError | KlingBudgetExceeded)
    assert message in str(error)
    assert sim.stats().create_calls == 0


# --- budget estimates --------------------------------------------------------------------------


def test_every_endpoint_has_a_budget_estimate():
    budget = UnitBudget()
    for name, row in ENDPOINTS.items():
        assert budget.estimate(name, {}) == row.estimate({}) > 0
    # Each effect scene has its own price: counted as a 5 s standard video until Kling says.
    assert budget.estimate("effects", {"effect_scene": "hug_pro", "input": {}}) == 3
    assert budget.estimate("image-generation", {"n": 4, "resolution": "2k"}) == 32
    assert budget.estimate("image-expand", {"n": 2}) == 16  # "Outpainting": 8 per image
    # Extension: 5 s at 0.8/s; lip-sync: 60 s at 0.5 per 5 s (advanced: and its 0.05-unit
    # identify-face); try-on: as multi-image (16).
    expected = {"video-extend": 4, "lip-sync": 6, "advanced-lip-sync": 6.05, "virtual-try-on": 16}
    for endpoint, units in expected.items():
        assert budget.estimate(endpoint, {}) == units


def test_flows_export_the_extend_chain():
    assert "extend_video" in flows.__all__
    assert extend_video.name == "kling-extend-video"


def test_the_lip_sync_task_reuses_its_advanced_task_on_a_rerun(sim: KlingSimulator):
    from prefect import flow

    from prefect_kling.tasks import lip_sync

    fields = {
        "video_id": source_video(sim),
        "face_choose": [{"sound_file": f"https://cdn.example.com/{uuid.uuid4().hex}.mp3"}],
    }

    @flow
    def speak_twice() -> list[str]:
        return [lip_sync(sim.credentials(), advanced=True, **fields).task_id for _ in range(2)]

    first, again = speak_twice()
    assert again == first
    stats = sim.stats()
    assert stats.tasks_by_endpoint["advanced-lip-sync"] == 1
    assert stats.identify_face_calls == 2
