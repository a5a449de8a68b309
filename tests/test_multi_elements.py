"""Multi-element video editing end to end: the selection session, the edit, its saved video.

Against the simulator (on its clock) from the ready-made flow, the one Prefect task and the
CLI; bad input is refused before any call; the same request is the same task.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from prefect_kling import edit_video_elements
from prefect_kling.endpoints import ROUTES, get_endpoint
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.flows import generate_video
from prefect_kling.providers import Provider
from prefect_kling.simulator import KlingSimulator
from tests import test_flows
from tests.test_cli import FAST, assert_files_match, run
from tests.test_flows import on_sim, sha256, unique
from tests.test_flows_surface import source_video

pytestmark = pytest.mark.e2e

make_sim, held_slots = test_flows.make_sim, test_flows.held_slots
CLICK = {"frame_index": 0, "points": [{"x": 0.5, "y": 0.4}, {"x": 0.55, "y": 0.45}]}
STEPS = ("init-selection", "add-selection", "delete-selection", "preview-selection")


@pytest.fixture
def sim(make_sim: Any) -> KlingSimulator:
    return make_sim()


def removal(video_id: str, **more: Any) -> dict[str, Any]:
    """Remove the element marked on frame 0 (then unmark one point of frame 12)."""
    return {
        "video_id": video_id,
        "selections": [CLICK, {"frame_index": 12, "points": [{"x": 0.1, "y": 0.1}]}],
        "deletions": [{"frame_index": 12, "points": [{"x": 0.1, "y": 0.1}]}],
        "edit_mode": "removal",
        "prompt": unique("Delete the chick from <<<video_1>>>"),
        **more,
    }


@pytest.mark.parametrize("provider", ["kling", "cometapi"])
def test_the_flow_runs_the_session_then_saves_the_edit(
    sim: KlingSimulator, tmp_path: Path, provider: str
):
    request = removal(source_video(sim, provider))
    result = generate_video(
        request, endpoint="multi-elements", output=tmp_path, **on_sim(sim, provider)
    )
    [saved] = result.files
    assert Path(saved.path).name == f"multi-elements-{result.task_id}-0.mp4"
    assert saved.sha256 == sha256(saved.path)
    [made] = [task for task in sim.tasks() if task["task_id"] == result.task_id]
    assert made["provider"] == provider
    assert made["request"]["edit_mode"] == "removal"
    assert made["request"]["session_id"]  # the session the flow opened
    assert "selections" not in made["request"]  # sent to the session, never to the create

    # The same request is the same task, though a new session is opened for it.
    again = generate_video(
        request, endpoint="multi-elements", output=tmp_path, **on_sim(sim, provider)
    )
    assert again.task_id == result.task_id
    assert sim.stats().tasks_by_endpoint["multi-elements"] == 1


def test_the_task_runs_the_whole_session_logging_each_step(
    sim: KlingSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    from prefect import flow

    from prefect_kling.runtime import use_runtime

    video_id = source_video(sim)

    @flow
    def edit() -> Any:
        with use_runtime(sim.runtime()):
            return edit_video_elements(
                sim.credentials(),
                output=tmp_path,
                poll_interval_seconds=test_flows.POLL,
                **removal(video_id, edit_mode="swap", image_list=[{"image": URL}]),
            )

    caplog.set_level("INFO")
    result = edit()
    [saved] = result.files
    assert saved.sha256 == sha256(saved.path)
    logged = caplog.text
    for step in ("session", "marked 2 point(s) on frame 0", "unmarked 1 point(s) on frame 12"):
        assert step in logged, step
    assert "selection preview" in logged


def test_bad_input_is_refused_before_any_call(sim: KlingSimulator, tmp_path: Path):
    before = sim.stats()
    cases = [
        ({"selections": []}, "selections"),
        ({"selections": [{"frame_index": 0, "points": [{"x": 1.5, "y": 0.1}]}]}, "x"),
        ({"edit_mode": "swap"}, "image_list"),
        ({"edit_mode": "teleport"}, "edit_mode"),
        ({"video_id": None}, "video_id"),
        ({"prompt": "x" * 2501}, "prompt"),
    ]
    for change, field in cases:
        request = {**removal("8594"), **change}
        with pytest.raises(KlingValidationError) as caught:
            generate_video(request, endpoint="multi-elements", output=tmp_path, **on_sim(sim))
        assert any(field in name for name in caught.value.fields), (change, caught.value)
    after = sim.stats()
    assert after.create_calls == before.create_calls
    assert after.requests == before.requests


def test_the_simulator_refuses_an_edit_without_marks(sim: KlingSimulator):
    video_id = source_video(sim)
    with sim.credentials().get_client() as client:
        opened = client.call(ROUTES["multi-elements-init-selection"], _video(video_id))
        with pytest.raises(Exception, match="has no selection"):
            client.create(
                "multi-elements",
                {"session_id": opened.session_id, "edit_mode": "removal", "prompt": "Delete"},
            )


def _video(video_id: str) -> Any:
    from prefect_kling.models.multi_elements import MultiElementsVideo

    return MultiElementsVideo(video_id=video_id)


URL = "https://example.com/hat.png"


def test_the_row_routes_and_command():
    row = get_endpoint("multi-elements")
    assert row.providers == [Provider.KLING, Provider.COMETAPI]
    assert row.create_path(Provider.COMETAPI) == "videos/multi-elements"
    assert row.command is not None and row.command.name == "multi-elements"
    for step in (*STEPS, "clear-selection"):
        assert ROUTES[f"multi-elements-{step}"].path(Provider.KLING) == (
            f"videos/multi-elements/{step}"
        )


@pytest.fixture
def kling_env(make_sim: Any, monkeypatch: pytest.MonkeyPatch) -> KlingSimulator:
    """A simulator whose tasks finish in a fraction of a real second, for the CLI."""
    from tests.conftest import ACCESS_KEY, SECRET_KEY

    sim = make_sim(queue_seconds=0.05, processing_seconds=0.2)

    for name in list(os.environ):
        if name.startswith("KLING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET_KEY)
    return sim


def test_the_cli_edits_an_element(kling_env: KlingSimulator, tmp_path: Path):
    sim = kling_env
    video_id = source_video(sim)
    code, out, err = run(
        "multi-elements",
        "--video-id",
        video_id,
        "--select",
        "0:0.5,0.4;0.55,0.45",
        "--edit-mode",
        "addition",
        "--image",
        URL,
        "--prompt",
        unique("Using <<<video_1>>>, add the hat from <<<image_1>>>"),
        "--output-dir",
        str(tmp_path),
        "--json",
        *FAST,
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["endpoint"] == "multi-elements"
    assert_files_match(summary)


def test_the_cli_refuses_a_bad_selection_with_exit_2(kling_env: KlingSimulator):
    before = kling_env.stats().requests
    code, out, err = run(
        "multi-elements",
        "--video-id",
        "8594",
        "--select",
        "zero:half",
        "--edit-mode",
        "removal",
        "--prompt",
        "Delete <<<video_1>>>",
        *FAST,
    )
    assert code == 2 and out == ""
    assert "selections" in err and "FRAME:X,Y" in err and "Traceback" not in err
    assert kling_env.stats().requests == before


def _frames(count: int) -> list[dict[str, Any]]:
    return [{"frame_index": index, "points": [{"x": 0.5, "y": 0.5}]} for index in range(count)]


def _points(count: int) -> list[dict[str, Any]]:
    return [{"frame_index": 0, "points": [{"x": 0.1, "y": 0.1}] * count}]


IMAGE = {"image": URL}
# Each rule: a change accepted, a change refused, and the field the refusal names.
RULES = [
    ("point-in-range", {"selections": [CLICK]}, {"selections": _points(1) and [
        {"frame_index": 0, "points": [{"x": 1.5, "y": 0.1}]}]}, "selections.0.points.0.x"),
    ("ten-points-a-frame", {"selections": _points(10)}, {"selections": _points(11)},
     "selections.0.points"),
    ("ten-frames", {"selections": _frames(10)}, {"selections": _frames(11)}, "selections"),
    ("a-selection", {"selections": _frames(1)}, {"selections": []}, "selections"),
    ("addition-images", {"edit_mode": "addition", "image_list": [IMAGE] * 2},
     {"edit_mode": "addition", "image_list": [IMAGE] * 3}, "image_list"),
    ("swap-image", {"edit_mode": "swap", "image_list": [IMAGE]},
     {"edit_mode": "swap", "image_list": []}, "image_list"),
    ("removal-no-image", {"edit_mode": "removal"},
     {"edit_mode": "removal", "image_list": [IMAGE]}, "image_list"),
    ("edit-mode", {"edit_mode": "removal"}, {"edit_mode": "teleport"}, "edit_mode"),
    ("prompt-length", {"prompt": "x" * 2500}, {"prompt": "x" * 2501}, "prompt"),
    ("negative-prompt-length", {"negative_prompt": "x" * 2500},
     {"negative_prompt": "x" * 2501}, "negative_prompt"),
    ("duration", {"duration": "10"}, {"duration": "7"}, "duration"),
    ("mode", {"mode": "pro"}, {"mode": "ultra"}, "mode"),
    ("one-video", {"video_id": None, "video_url": "https://example.com/a.mp4"},
     {"video_url": "https://example.com/a.mp4"}, "video_url"),
]  # fmt: skip


@pytest.mark.parametrize(("accepted", "refused", "field"), [r[1:] for r in RULES],
                         ids=[r[0] for r in RULES])  # fmt: skip
@pytest.mark.parametrize("provider", [Provider.KLING, Provider.COMETAPI])
def test_each_rule_accepts_one_and_refuses_one(accepted, refused, field, provider):
    from prefect_kling.multi_elements_plan import MultiElementsPlan

    MultiElementsPlan.check({**removal("8594"), **accepted}, provider)
    with pytest.raises(KlingValidationError) as caught:
        MultiElementsPlan.check({**removal("8594"), **refused}, provider)
    assert any(name == field or name.startswith(f"{field}.") for name in caught.value.fields), (
        caught.value
    )
