"""The CLI commands beyond text/image to video, end to end against the simulator.

Every command runs in both provider modes where the provider has the route, and exits 2
with a message naming the provider where it does not. Inputs are unique per test: cached
creates persist for the whole session.
"""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path

import pytest

from prefect_kling import KlingCredentials
from prefect_kling.audio import make_wav
from prefect_kling.cli import build_parser
from prefect_kling.media import make_png
from prefect_kling.models.account import AccountCosts
from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from prefect_kling.simulator.packs import PACK_NAMES
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY, canary_environment
from tests.test_cli import FAST, assert_files_match, run

pytestmark = pytest.mark.e2e

PACK_UNITS = 10_000


@pytest.fixture(scope="module")
def sim():
    config = SimulatorConfig(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        api_key=API_KEY,
        queue_seconds=0.05,
        processing_seconds=0.2,
        image_long_side=64,
        render_videos=False,
        resource_pack_units=PACK_UNITS,
    )
    with KlingSimulator(config) as simulator:
        yield simulator


@pytest.fixture(params=["kling", "cometapi"])
def provider_env(request, sim, monkeypatch):
    """Each provider in turn (for commands that both providers serve)."""
    return canary_environment(monkeypatch, sim, request.param)


@pytest.fixture
def kling_env(sim, monkeypatch):
    return canary_environment(monkeypatch, sim, "kling")


@pytest.fixture
def cometapi_env(sim, monkeypatch):
    return canary_environment(monkeypatch, sim, "cometapi")


def tag() -> str:
    return uuid.uuid4().hex[:8]


def picture(tmp_path: Path, name: str) -> str:
    """A local PNG no other test uses."""
    path = tmp_path / name
    path.write_bytes(make_png(640, 480, seed=uuid.uuid4().int % 1_000_000))
    return str(path)


def out_dir(tmp_path: Path) -> list[str]:
    return ["--output-dir", str(tmp_path / "out")]


def source_video(sim: KlingSimulator, provider: str) -> str:
    """The id of a finished text2video video of this simulator's account."""
    with sim.credentials(provider).get_client() as client:
        made = client.create("text2video", {"prompt": f"a source clip {tag()}"})
        sim.advance(10)
        return client.get_task("text2video", made.task_id).videos[0].id


def run_json(*argv: str) -> dict:
    code, out, err = run(*argv, "--json", *FAST)
    assert code == 0, err
    return json.loads(out)


def no_route(provider: str, sim: KlingSimulator, *argv: str) -> str:
    """Run a command the provider has no route for; returns stderr."""
    before = sim.stats()
    code, out, err = run(*argv)
    assert code == 2, err
    assert f"provider: '{provider}' has no" in err
    assert "Traceback" not in err and out == ""
    after = sim.stats()
    assert after.create_calls == before.create_calls
    assert after.identify_face_calls == before.identify_face_calls
    assert after.account_calls == before.account_calls
    return err


# --- image -------------------------------------------------------------------------------------


def test_image_from_a_prompt_saves_n_indexed_images(provider_env, tmp_path):
    summary = run_json(
        "image",
        "--prompt",
        f"a lighthouse in fog {tag()}",
        "--n",
        "2",
        "--aspect-ratio",
        "1:1",
        "--resolution",
        "2k",
        "--negative-prompt",
        "people",
        *out_dir(tmp_path),
    )
    assert summary["endpoint"] == "image-generation" and summary["status"] == "succeeded"
    assert summary["units"] == 4  # 2 images at 2k
    assert [(f["kind"], f["index"]) for f in summary["files"]] == [("image", 0), ("image", 1)]
    assert [Path(f["path"]).suffix for f in summary["files"]] == [".png", ".png"]
    assert_files_match(summary)


def test_image_from_a_reference_image(provider_env, sim, tmp_path):
    summary = run_json(
        "image",
        "--prompt",
        f"the same cat as a statue {tag()}",
        "--image",
        picture(tmp_path, "cat.png"),
        "--image-reference",
        "subject",
        "--image-fidelity",
        "0.6",
        "--human-fidelity",
        "0.3",
        "--model",
        "kling-v1-5",
        *out_dir(tmp_path),
    )
    assert_files_match(summary)
    [made] = [t for t in sim.tasks() if t["task_id"] == summary["task_id"]]
    assert made["request"]["image_reference"] == "subject"
    assert made["request"]["model_name"] == "kling-v1-5"


# --- extend ------------------------------------------------------------------------------------


def test_extend_chains_from_an_earlier_result(kling_env, sim, tmp_path):
    first = run_json("text2video", "--prompt", f"a fox in snow {tag()}", *out_dir(tmp_path))
    video_id = first["files"][0]["video_id"]
    assert video_id

    chain = run_json(
        "extend", video_id, "--times", "2", "--prompt", "the fox runs on", *out_dir(tmp_path)
    )
    steps = chain["steps"]
    assert len(steps) == 2
    assert chain["task_id"] == steps[-1]["task_id"]
    tasks = {t["task_id"]: t for t in sim.tasks()}
    parents = [tasks[step["task_id"]]["task"]["task_info"]["parent_video"]["id"] for step in steps]
    assert parents == [video_id, steps[0]["files"][0]["video_id"]]
    durations = [float(first["files"][0]["duration"])]
    durations += [float(step["files"][0]["duration"]) for step in steps]
    assert durations == sorted(durations) and len(set(durations)) == 3
    for step in steps:
        assert step["endpoint"] == "video-extend"
        assert_files_match(step)


def test_extend_text_output_names_every_step(kling_env, sim, tmp_path):
    video_id = source_video(sim, "kling")
    code, out, err = run(
        "extend", video_id, "--negative-prompt", f"blur {tag()}", *out_dir(tmp_path), *FAST
    )
    assert code == 0, err
    assert out.startswith("Step 1 of 1: Kling video-extend task ")
    assert ", video id " in out


def test_extend_through_the_gateway_names_the_parent_task(cometapi_env, sim, tmp_path):
    first = run_json("text2video", "--prompt", f"a fox in snow {tag()}", *out_dir(tmp_path))
    video_id = first["files"][0]["video_id"]
    chain = run_json(
        "extend", video_id, "--task-id", first["task_id"], "--times", "2", *out_dir(tmp_path)
    )
    tasks = {t["task_id"]: t for t in sim.tasks()}
    sent = [tasks[step["task_id"]]["request"]["task_id"] for step in chain["steps"]]
    assert sent == [first["task_id"], chain["steps"][0]["task_id"]]


def test_extend_through_the_gateway_without_the_parent_task_exits_2(cometapi_env, sim):
    before = sim.stats().create_calls
    code, out, err = run("extend", "12345", "--prompt", "more", *FAST)
    assert code == 2 and out == ""
    assert "task_id" in err and "Traceback" not in err
    assert sim.stats().create_calls == before


# --- lip-sync ----------------------------------------------------------------------------------


def test_lip_sync_speaks_a_text_on_an_earlier_video(provider_env, sim, tmp_path):
    video_id = source_video(sim, provider_env)
    summary = run_json(
        "lip-sync",
        "--video-id",
        video_id,
        "--text",
        f"Hello there {tag()}",
        "--voice-id",
        "oversea_male1",
        "--voice-language",
        "en",
        "--voice-speed",
        "1.2",
        *out_dir(tmp_path),
    )
    assert summary["endpoint"] == "lip-sync" and summary["units"] == 0.5
    assert_files_match(summary)
    [made] = [t for t in sim.tasks() if t["task_id"] == summary["task_id"]]
    assert made["task"]["task_info"]["parent_video"]["id"] == video_id


def test_lip_sync_with_an_audio_file_on_a_video_link(provider_env, sim, tmp_path):
    audio = tmp_path / "line.mp3"
    audio.write_bytes(make_wav(2.5, seed=uuid.uuid4().int))
    summary = run_json(
        "lip-sync",
        "--video-url",
        f"https://cdn.example.com/{tag()}.mp4",
        "--audio",
        str(audio),
        *out_dir(tmp_path),
    )
    assert_files_match(summary)
    [made] = [t for t in sim.tasks() if t["task_id"] == summary["task_id"]]
    assert made["request"]["input"]["mode"] == "audio2video"
    assert made["request"]["input"]["audio_type"] == "file"


def test_advanced_lip_sync_identifies_the_faces_then_syncs(kling_env, sim, tmp_path):
    video_id = source_video(sim, "kling")
    before = sim.stats()
    summary = run_json(
        "lip-sync",
        "--advanced",
        "--video-id",
        video_id,
        "--audio",
        f"https://cdn.example.com/{tag()}.mp3",
        *out_dir(tmp_path),
    )
    assert summary["endpoint"] == "advanced-lip-sync"
    assert_files_match(summary)
    after = sim.stats()
    assert after.identify_face_calls == before.identify_face_calls + 1
    assert after.create_calls == before.create_calls + 1
    [made] = [t for t in sim.tasks() if t["task_id"] == summary["task_id"]]
    [choice] = made["request"]["face_choose"]
    assert choice["face_id"] == "0"  # the first face found
    assert choice["sound_end_time"] > 0


def test_advanced_lip_sync_with_a_chosen_face_and_clip(kling_env, sim, tmp_path):
    video_id = source_video(sim, "kling")
    summary = run_json(
        "lip-sync",
        "--advanced",
        "--video-id",
        video_id,
        "--audio",
        f"https://cdn.example.com/{tag()}.mp3",
        "--face-id",
        "1",
        "--sound-end-ms",
        "2000",
        *out_dir(tmp_path),
    )
    [made] = [t for t in sim.tasks() if t["task_id"] == summary["task_id"]]
    [choice] = made["request"]["face_choose"]
    assert (choice["face_id"], choice["sound_end_time"]) == ("1", 2000)


def test_advanced_lip_sync_through_the_gateway_in_its_spelling(cometapi_env, sim, tmp_path):
    video_id = source_video(sim, "cometapi")
    before = sim.stats()
    summary = run_json(
        "lip-sync",
        "--advanced",
        "--video-id",
        video_id,
        "--audio",
        f"https://cdn.example.com/{tag()}.mp3",
        *out_dir(tmp_path),
    )
    assert summary["endpoint"] == "advanced-lip-sync"
    assert_files_match(summary)
    assert sim.stats().identify_face_calls == before.identify_face_calls + 1
    [made] = [t for t in sim.tasks() if t["task_id"] == summary["task_id"]]
    assert made["provider"] == "cometapi"


# --- effect, expand, try-on --------------------------------------------------------------------


def test_effect_on_a_single_image(provider_env, sim, tmp_path):
    summary = run_json(
        "effect",
        "color_mixing",
        "--image",
        picture(tmp_path, "cake.png"),
        *out_dir(tmp_path),
    )
    assert summary["endpoint"] == "effects" and summary["files"][0]["kind"] == "video"
    assert_files_match(summary)
    [made] = [t for t in sim.tasks() if t["task_id"] == summary["task_id"]]
    assert sorted(made["request"]["input"]) == ["image"]  # exactly what the page documents
    assert made["ignored_fields"] == []


def test_effect_on_two_images(provider_env, sim, tmp_path):
    summary = run_json(
        "effect",
        "hug_pro",
        "--image",
        picture(tmp_path, "a.png"),
        "--image",
        picture(tmp_path, "b.png"),
        *out_dir(tmp_path),
    )
    assert_files_match(summary)
    [made] = [t for t in sim.tasks() if t["task_id"] == summary["task_id"]]
    assert sorted(made["request"]["input"]) == ["images"]
    assert len(made["request"]["input"]["images"]) == 2


def test_expand_saves_n_images(kling_env, tmp_path):
    summary = run_json(
        "expand",
        "--image",
        picture(tmp_path, "room.png"),
        "--left",
        "0.5",
        "--right",
        "0.5",
        "--up",
        "0.2",
        "--prompt",
        f"more of the room {tag()}",
        "--n",
        "2",
        *out_dir(tmp_path),
    )
    assert summary["endpoint"] == "image-expand"
    assert [f["index"] for f in summary["files"]] == [0, 1]
    assert_files_match(summary)


def test_expand_through_the_gateway_exits_2(cometapi_env, sim):
    no_route("cometapi", sim, "expand", "--image", "https://img.test/a.png", "--up", "0.5", *FAST)


def test_try_on(provider_env, sim, tmp_path):
    summary = run_json(
        "try-on",
        "--human",
        picture(tmp_path, "person.png"),
        "--cloth",
        picture(tmp_path, "shirt.png"),
        "--model",
        "kolors-virtual-try-on-v1-5",
        *out_dir(tmp_path),
    )
    assert summary["endpoint"] == "virtual-try-on"
    assert [f["kind"] for f in summary["files"]] == ["image"]
    assert_files_match(summary)
    [made] = [t for t in sim.tasks() if t["task_id"] == summary["task_id"]]
    assert made["family"] == "try-on"


# --- costs and credential checks: never a create -----------------------------------------------


def test_costs_prints_the_packs_and_creates_nothing(kling_env, sim):
    sim.advance(2)  # the costs query answers at most once a second
    before = sim.stats()
    code, out, err = run("costs")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == [
        "NAME",
        "TYPE",
        "STATUS",
        "TOTAL",
        "REMAINING",
        "USED",
        "VALID",
        "UNTIL",
    ]
    for family, name in PACK_NAMES.items():
        [row] = [line for line in lines if line.startswith(name)]
        assert f" {family} " in row and " online " in row and f"{PACK_UNITS:g}" in row
    assert "12 hours" in out
    after = sim.stats()
    assert after.create_calls == before.create_calls
    assert after.tasks_created == before.tasks_created
    assert after.account_calls == before.account_calls + 1


def test_costs_json_lists_every_pack(kling_env, sim):
    sim.advance(2)
    before = sim.stats().create_calls
    code, out, err = run("costs", "--json")
    assert code == 0, err
    data = json.loads(out)
    packs = {pack["resource_pack_type"]: pack for pack in data["packs"]}
    assert set(packs) == set(PACK_NAMES)
    for pack in packs.values():
        assert pack["total_quantity"] == PACK_UNITS
        assert pack["used_quantity"] == PACK_UNITS - pack["remaining_quantity"]
        assert pack["status"] == "online"
    assert set(data["remaining_by_type"]) == set(PACK_NAMES)
    assert sim.stats().create_calls == before


def test_costs_through_the_gateway_exits_2(cometapi_env, sim):
    no_route("cometapi", sim, "costs")


def test_credentials_check_creates_nothing(provider_env, sim):
    sim.advance(2)
    before = sim.stats()
    credentials = KlingCredentials.from_env()
    checked = credentials.check()
    summary = str(checked)
    if provider_env == "kling":
        assert isinstance(checked.costs, AccountCosts) and len(checked.costs.packs) == 3
        assert summary.startswith(f"Kling's official API at {sim.base_url}/v1 accepted the keys.")
        assert "units left (3 active packs of 3)" in summary
    else:
        assert checked.costs is None
        assert summary.startswith(f"The CometAPI gateway at {sim.base_url}/kling/v1 accepted")
        assert "none to show (a gateway reports no resource packs)" in summary
    assert f"kling-video-{credentials.account}" in summary
    secrets = [credentials.secret_key, credentials.api_key, credentials.access_key]
    assert not [key for key in secrets if key and key.get_secret_value() in summary + repr(checked)]
    after = sim.stats()
    assert after.create_calls == before.create_calls
    assert after.tasks_created == before.tasks_created
    assert after.identify_face_calls == before.identify_face_calls


# --- input refused before anything is sent -----------------------------------------------------

URL = "https://img.test/a.png"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["image", "--prompt", "x", "--n", "12"], "n"),
        (["image", "--prompt", "x", "--image", URL, "--negative-prompt", "y"], "negative_prompt"),
        (["image", "--prompt", "x", "--resolution", "8k"], "resolution"),
        (["lip-sync", "--video-id", "1"], "text"),
        (["lip-sync", "--video-id", "1", "--text", "hi", "--audio", URL], "text"),
        (["lip-sync", "--video-id", "1", "--text", "x" * 121, "--voice-id", "v"], "input.text"),
        (["lip-sync", "--video-id", "1", "--text", "hi"], "input.voice_id"),
        (["lip-sync", "--video-id", "1", "--audio", URL, "--face-id", "0"], "face_id"),
        (["lip-sync", "--video-id", "1", "--audio", "/no/such/line.mp3"], "input.audio_file"),
        (["effect", "hug_pro", "--image", URL], "input.images"),
        (["effect", "hug", "--image", URL, "--image", URL], "effect_scene"),
        (["effect", "color_mixing", "--image", "/no/such/file.png"], "input.image"),
        (["try-on", "--human", URL, "--model", "kling-v1"], "model_name"),
        (["try-on", "--human", "/no/such/file.png"], "human_image"),
    ],
)
def test_bad_input_exits_2_naming_the_field(provider_env, sim, argv, named):
    before = sim.stats()
    code, out, err = run(*argv, *FAST)
    assert code == 2, err
    assert err.startswith("Invalid request") and f"{named}:" in err
    assert "Traceback" not in err and out == ""
    assert sim.stats().create_calls == before.create_calls


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["extend", "12345", "--times", "0"], "times"),
        (["extend", "12345", "--cfg-scale", "2"], "cfg_scale"),
        (["extend", "12345", "--prompt", "x" * 2600], "prompt"),
        (["expand", "--image", URL], "up_expansion_ratio"),
        (
            ["expand", "--image", URL, "--left", "1", "--right", "1", "--up", "0.5"],
            "left_expansion_ratio",
        ),
        (["lip-sync", "--advanced", "--video-id", "1", "--text", "hi"], "text"),
        (["lip-sync", "--advanced", "--video-id", "1"], "audio"),
        (
            ["lip-sync", "--advanced", "--video-url", "not-a-link", "--audio", URL],
            "video_url",
        ),
        (
            ["lip-sync", "--advanced", "--video-id", "1", "--audio", "/no/such/line.mp3"],
            "sound_file",
        ),
    ],
)
def test_bad_input_of_official_only_commands_exits_2(kling_env, sim, argv, named):
    before = sim.stats()
    code, out, err = run(*argv, *FAST)
    assert code == 2, err
    assert err.startswith("Invalid request") and f"{named}:" in err
    assert "Traceback" not in err and out == ""
    after = sim.stats()
    assert after.create_calls == before.create_calls
    assert after.identify_face_calls == before.identify_face_calls


def _options(parser: argparse.ArgumentParser, prefix: str = ""):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{prefix}{name} ")
        elif not isinstance(action, argparse._HelpAction):
            yield f"{prefix}{'/'.join(action.option_strings) or action.dest}", action


def test_every_option_has_help_and_repeatable_ones_say_so():
    options = dict(_options(build_parser()))
    assert len(options) > 100
    assert [name for name, action in options.items() if not action.help] == []
    repeatable = {
        name: action.help
        for name, action in options.items()
        if isinstance(action, argparse._AppendAction)
    }
    assert "multi-image2image --subject" in repeatable
    for name, said in repeatable.items():
        assert "repeat" in said or "twice" in said, name
