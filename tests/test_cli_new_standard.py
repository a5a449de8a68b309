"""The newer API standard from the command line, against the simulator: what goes on the wire."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from prefect_kling.media import make_png
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY, canary_simulator
from tests.test_cli import FAST, assert_files_match, run

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sim():
    with canary_simulator(seed=16) as simulator:
        yield simulator


@pytest.fixture
def api_key_only(sim, monkeypatch):
    """Only `KLING_API_KEY` and `KLING_BASE_URL`: Kling's own API key, no provider named."""
    for name in list(os.environ):
        if name.startswith("KLING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    monkeypatch.setenv("KLING_API_KEY", API_KEY)


def creates(sim, since: int) -> list[dict]:
    return [
        entry
        for entry in sim.requests()[since:]
        if entry["method"] == "POST" and entry["path"] != "/tasks"
    ]


def test_text2video_on_kling_3_0_turbo_with_an_api_key(api_key_only, sim, tmp_path):
    before = len(sim.requests())
    code, out, err = run(
        "text2video",
        "--model",
        "kling-3.0-turbo",
        "--prompt",
        "a lighthouse in a storm, twelve seconds",
        "--duration",
        "12",
        "--resolution",
        "1080p",
        "--output-dir",
        str(tmp_path),
        "--json",
        *FAST,
    )
    assert code == 0, err
    (create,) = creates(sim, before)
    assert create["path"] == "/text-to-video/kling-3.0-turbo" and create["auth"] == "bearer"
    body = create["body"]
    assert body["prompt"] == "a lighthouse in a storm, twelve seconds"
    assert body["settings"]["duration"] == 12 and isinstance(body["settings"]["duration"], int)
    assert body["settings"]["resolution"] == "1080p"
    assert body["options"]["external_task_id"]
    summary = json.loads(out)
    assert summary["status"] == "succeeded" and summary["endpoint"] == "text-to-video"
    assert summary["external_task_id"] == body["options"]["external_task_id"]
    assert_files_match(summary)
    assert API_KEY not in out + err


def test_image2video_on_kling_3_0_sends_both_frames_and_native_audio(api_key_only, sim, tmp_path):
    first, last = tmp_path / "a.png", tmp_path / "b.png"
    first.write_bytes(make_png(800, 600, seed=1))
    last.write_bytes(make_png(800, 600, seed=2))
    before = len(sim.requests())
    code, out, err = run(
        "image2video",
        "--model",
        "kling-3.0",
        "--image",
        str(first),
        "--last-frame",
        str(last),
        "--prompt",
        "the door opens",
        "--audio",
        "native",
        "--duration",
        "8",
        "--output-dir",
        str(tmp_path / "out"),
        "--json",
        *FAST,
    )
    assert code == 0, err
    (create,) = creates(sim, before)
    assert create["path"] == "/image-to-video/kling-3.0"
    kinds = [part["type"] for part in create["body"]["contents"]]
    assert kinds == ["prompt", "first_frame", "last_frame"]
    assert create["body"]["settings"] == {"duration": 8, "audio": "native"}
    assert_files_match(json.loads(out))


@pytest.mark.parametrize(
    ("argv", "field", "words"),
    [
        (["--model", "kling-3.0-turbo", "--duration", "20"], "duration", "at most 15"),
        (["--model", "kling-3.0-turbo", "--resolution", "4k"], "resolution", "'720p', '1080p'"),
        (["--model", "kling-2.5-turbo", "--duration", "7"], "duration", "'5', '10'"),
        (
            ["--model", "kling-2.6", "--audio", "native", "--resolution", "720p"],
            "audio",
            "resolution '720p'; allowed: 'off'",
        ),
    ],
)
def test_what_a_model_cannot_do_exits_2_and_sends_nothing(
    api_key_only, sim, tmp_path, argv, field, words
):
    before = len(sim.requests())
    code, _out, err = run(
        "text2video", "--prompt", "a kite", *argv, "--output-dir", str(tmp_path), *FAST
    )
    assert code == 2
    assert f"{field}: " in err and words in err and "Traceback" not in err
    assert sim.requests()[before:] == []


def test_access_keys_alone_are_told_an_api_key_is_needed(sim, monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("KLING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET_KEY)
    before = len(sim.requests())
    code, _out, err = run(
        "text2video", "--model", "kling-3.0", "--prompt", "a kite", "--output-dir", str(tmp_path)
    )
    assert code == 2 and "api_key" in err and "API key" in err and "Traceback" not in err
    assert sim.requests()[before:] == []


def test_omni_video_and_motion_control_run_end_to_end(api_key_only, sim, tmp_path):
    character = tmp_path / "me.png"
    character.write_bytes(make_png(800, 600, seed=3))
    before = len(sim.requests())
    code, out, err = run(
        "omni-video",
        "--prompt",
        "@image_1 dances in the rain",
        "--reference-image",
        str(character),
        "--aspect-ratio",
        "9:16",
        "--duration",
        "6",
        "--output-dir",
        str(tmp_path / "omni"),
        "--json",
        *FAST,
    )
    assert code == 0, err
    assert_files_match(json.loads(out))
    code, out, err = run(
        "motion-control",
        "--image",
        str(character),
        "--video",
        "https://cdn.example.com/dance.mp4",
        "--character-orientation",
        "video",
        "--output-dir",
        str(tmp_path / "motion"),
        "--json",
        *FAST,
    )
    assert code == 0, err
    assert_files_match(json.loads(out))
    paths = [entry["path"] for entry in creates(sim, before)]
    assert paths == ["/omni-video/kling-3.0-omni", "/motion-control/kling-3.0"]


def test_a_5000_after_the_create_leaves_one_task_at_kling(api_key_only, sim, tmp_path):
    made = sim.stats().tasks_created
    sim.inject("create_error_after")
    code, out, err = run(
        "text2video",
        "--model",
        "kling-2.6",
        "--prompt",
        "a harbour at dawn, answered 5000",
        "--output-dir",
        str(tmp_path),
        "--json",
        *FAST,
    )
    assert code == 0, err
    assert sim.stats().tasks_created == made + 1
    assert json.loads(out)["status"] == "succeeded"


def test_the_legacy_paths_are_unchanged_for_v1_models(api_key_only, sim, tmp_path: Path):
    before = len(sim.requests())
    code, _out, err = run(
        "text2video",
        "--model",
        "kling-v2-6",
        "--prompt",
        "a kite, the /v1 way",
        "--duration",
        "10",
        "--audio",
        "native",
        "--output-dir",
        str(tmp_path),
        "--json",
        *FAST,
    )
    assert code == 0, err
    (create,) = creates(sim, before)
    assert create["path"] == "/v1/videos/text2video"
    assert create["body"]["model_name"] == "kling-v2-6" and create["body"]["duration"] == "10"
    assert create["body"]["sound"] == "on" and create["body"]["external_task_id"]
