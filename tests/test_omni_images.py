"""Omni image, AI multi-shot and image recognition, and the image corrections of 2026-09.

End to end against the simulator through the flows (on the simulator's clock) and the
command line; the limits as a table of accepted and refused requests (nothing sent on a
refusal); CometAPI refused before sending; the corrections (kling-v3 the default image
model, multi-image to image on kling-v2-1 only, identify-face charged, watermark_info on
advanced lip-sync, try-on on Kling's 3.0 pipeline). Inputs are unique per test: cached
creates persist for the whole session.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prefect_kling.budget import UnitBudget
from prefect_kling.capabilities import limits_for, validate_request
from prefect_kling.client import prepare_create
from prefect_kling.endpoints import IDENTIFY_FACE, ROUTES, Family
from prefect_kling.endpoints.omni_images import IMAGE_RECOGNIZE
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.flows import generate_image, recognize_image
from prefect_kling.media import make_png
from prefect_kling.models import KlingTask
from prefect_kling.models.omni_images import images_made
from prefect_kling.pricing import estimate_units
from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from tests import test_flows
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY, canary_environment
from tests.test_cli import FAST, assert_files_match, run
from tests.test_flows import artifacts, flow_run_id, on_sim, sha256, unique

ROOT = Path(__file__).resolve().parents[1]
URL = "https://img.example.com/a.png"

make_sim, held_slots = test_flows.make_sim, test_flows.held_slots


@pytest.fixture
def sim(make_sim: Callable[..., KlingSimulator]) -> KlingSimulator:
    return make_sim()


def picture(tmp_path: Path, name: str) -> str:
    """A local PNG no other test uses."""
    path = tmp_path / name
    path.write_bytes(make_png(640, 480, seed=uuid.uuid4().int % 1_000_000))
    return str(path)


def made_by(sim: KlingSimulator, task_id: str) -> dict[str, Any]:
    [made] = [task for task in sim.tasks() if task["task_id"] == task_id]
    return made


# --- Through the flows -------------------------------------------------------------------


def test_omni_image_single_images_hold_n_slots_and_are_saved(sim, tmp_path, held_slots):
    request = {
        "prompt": unique("<<<image_1>>> at the seaside"),
        "image_list": [{"image": picture(tmp_path, "cat.png")}],
        "n": 2,
        "resolution": "2k",
    }
    result = generate_image(request, endpoint="omni-image", output=tmp_path, **on_sim(sim))

    assert result.status == "succeeded" and result.units == 4  # 2 images at 2k
    assert held_slots == [(Family.IMAGE, 2, 2)]
    assert [file.index for file in result.files] == [0, 1]
    for file in result.files:
        assert Path(file.path).name.startswith(f"omni-image-{result.task_id}-{file.index}.")
        assert file.sha256 == sha256(file.path)
    assert made_by(sim, result.task_id)["model_name"] == "kling-image-o1"  # Kling's default


def test_an_omni_image_series_is_saved_in_order(sim, tmp_path, held_slots):
    request = {
        "prompt": unique("Four seasons of one garden"),
        "model_name": "kling-v3-omni",
        "result_type": "series",
        "series_amount": 3,
        "resolution": "4k",
    }
    result = generate_image(request, endpoint="omni-image", output=tmp_path, **on_sim(sim))

    made = made_by(sim, result.task_id)["task"]["task_result"]
    assert "images" not in made and len(made["series_images"]) == 3  # Kling's series shape
    assert held_slots == [(Family.IMAGE, 3, 3)]
    assert [file.index for file in result.files] == [0, 1, 2]
    assert [Path(file.path).name for file in result.files] == [
        f"omni-image-{result.task_id}-{index}.png" for index in range(3)
    ]
    assert len({file.sha256 for file in result.files}) == 3  # three different pictures
    manifest = json.loads((tmp_path / f"omni-image-{result.task_id}.json").read_text())
    assert len(manifest["files"]) == 3


def test_a_series_of_auto_length_holds_as_many_slots_as_a_series_can_have(
    make_sim, tmp_path, held_slots
):
    sim = make_sim(concurrency={"image": 9})
    request = {
        "prompt": unique("A comic strip"),
        "model_name": "kling-v3-omni",
        "result_type": "series",
        "series_amount": "auto",
    }
    result = generate_image(request, endpoint="omni-image", output=tmp_path, **on_sim(sim))

    assert [(family, occupy) for family, occupy, _ in held_slots] == [(Family.IMAGE, 9)]
    assert [file.index for file in result.files] == [0, 1, 2]  # the simulator chose 3


def test_multi_shot_saves_its_three_views_in_order(sim, tmp_path, held_slots):
    request = {"element_frontal_image": picture(tmp_path, "hero.png")}
    result = generate_image(request, endpoint="multi-shot", output=tmp_path, **on_sim(sim))

    [item] = made_by(sim, result.task_id)["task"]["task_result"]["images"]
    assert sorted(item) == ["index", "url_1", "url_2", "url_3"]
    assert held_slots == [(Family.IMAGE, 1, 1)]
    assert [file.index for file in result.files] == [0, 1, 2]
    assert [file.url for file in result.files] == [item["url_1"], item["url_2"], item["url_3"]]
    for file in result.files:
        assert file.sha256 == sha256(file.path)


def test_recognize_image_saves_every_mask_checksummed(sim, tmp_path):
    image = picture(tmp_path, "person.png")
    state = recognize_image(image, output=tmp_path / "out", return_state=True, **_flow_options(sim))
    result = state.result()
    shown = artifacts(flow_run_id(state))
    assert sorted(artifact.type for artifact in shown) == ["image"] * 4

    assert result.units == 0.1
    assert [part.type for part in result.parts] == [
        "object_seg",
        "head_seg",
        "face_seg",
        "cloth_seg",
    ]
    assert [file.index for file in result.files] == [0, 1, 2, 3]
    for file in result.files:
        assert Path(file.path).name == f"image-recognize-{result.name}-{file.index}.png"
        assert file.sha256 == sha256(file.path)
    assert result.mask("face_seg").index == 2
    assert (tmp_path / "out" / f"image-recognize-{result.name}.json").exists()
    assert sim.stats().create_calls == 0  # no task


def _flow_options(sim: KlingSimulator, provider: str = "kling") -> dict[str, Any]:
    return {"credentials": sim.credentials(provider), "runtime": sim.runtime()}


@pytest.mark.parametrize(
    ("endpoint", "request_fields"),
    [
        ("omni-image", {"prompt": "a fox"}),
        ("multi-shot", {"element_frontal_image": URL}),
    ],
)
def test_cometapi_is_refused_before_anything_is_sent(sim, tmp_path, endpoint, request_fields):
    before = sim.stats().requests
    state = generate_image(
        request_fields,
        endpoint=endpoint,
        output=tmp_path,
        return_state=True,
        **on_sim(sim, "cometapi"),
    )
    error = state.result(raise_on_failure=False)
    assert isinstance(error, KlingValidationError)
    assert f"'cometapi' has no {endpoint} route; allowed: kling" in str(error)
    assert sim.stats().requests == before


def test_image_recognition_through_cometapi_is_refused_before_anything_is_sent(sim, tmp_path):
    before = sim.stats().requests
    with pytest.raises(KlingValidationError, match="'cometapi' has no image-recognize route"):
        recognize_image(URL, output=tmp_path, **_flow_options(sim, "cometapi"))
    assert sim.stats().requests == before


# --- From the command line ---------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_sim():
    config = SimulatorConfig(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        api_key=API_KEY,
        queue_seconds=0.05,
        processing_seconds=0.2,
        image_long_side=64,
    )
    with KlingSimulator(config) as simulator:
        yield simulator


def run_json(*argv: str) -> dict[str, Any]:
    code, out, err = run(*argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_the_omni_image_command_saves_a_series(cli_sim, monkeypatch, tmp_path):
    canary_environment(monkeypatch, cli_sim, "kling")
    summary = run_json(
        "omni-image",
        *("--prompt", unique("<<<image_1>>> through the year")),
        *("--image", picture(tmp_path, "tree.png")),
        *("--model", "kling-v3-omni", "--result-type", "series", "--series-amount", "4"),
        *("--output-dir", str(tmp_path / "out"), *FAST),
    )
    assert summary["endpoint"] == "omni-image" and summary["status"] == "succeeded"
    assert [file["index"] for file in summary["files"]] == [0, 1, 2, 3]
    assert_files_match(summary)
    sent = made_by(cli_sim, summary["task_id"])["request"]
    assert (sent["result_type"], sent["series_amount"]) == ("series", 4)


def test_the_multi_shot_command_saves_three_views(cli_sim, monkeypatch, tmp_path):
    canary_environment(monkeypatch, cli_sim, "kling")
    summary = run_json(
        "multi-shot",
        *("--image", picture(tmp_path, "hero.png")),
        *("--output-dir", str(tmp_path / "out"), *FAST),
    )
    assert summary["endpoint"] == "multi-shot"
    assert [file["index"] for file in summary["files"]] == [0, 1, 2]
    assert_files_match(summary)


def test_the_image_recognize_command_saves_the_masks(cli_sim, monkeypatch, tmp_path):
    canary_environment(monkeypatch, cli_sim, "kling")
    creates = cli_sim.stats().create_calls
    summary = run_json(
        "image-recognize",
        *("--image", picture(tmp_path, "person.png")),
        *("--output-dir", str(tmp_path / "out")),
    )
    assert summary["found"] == ["object_seg", "head_seg", "face_seg", "cloth_seg"]
    assert [file["kind"] for file in summary["files"]] == summary["found"]
    assert_files_match(summary)
    assert cli_sim.stats().create_calls == creates

    code, out, err = run("image-recognize", "--image", URL, "--output-dir", str(tmp_path))
    assert (code, err) == (0, "")
    assert out.startswith("Recognized object_seg, head_seg, face_seg, cloth_seg (0.1 units)\n")


@pytest.mark.parametrize(
    "argv",
    [
        ["omni-image", "--prompt", "a fox", *FAST],
        ["multi-shot", "--image", URL, *FAST],
        ["image-recognize", "--image", URL],
    ],
    ids=["omni-image", "multi-shot", "image-recognize"],
)
def test_the_commands_through_cometapi_exit_2_sending_nothing(cli_sim, monkeypatch, argv):
    canary_environment(monkeypatch, cli_sim, "cometapi")
    before = cli_sim.stats().requests
    code, out, err = run(*argv)
    assert code == 2 and out == ""
    assert "provider: 'cometapi' has no" in err and "allowed: kling" in err
    assert "Traceback" not in err
    assert cli_sim.stats().requests == before


def test_a_bad_image_on_the_command_line_exits_2(cli_sim, monkeypatch, tmp_path):
    canary_environment(monkeypatch, cli_sim, "kling")
    small = tmp_path / "small.png"
    small.write_bytes(make_png(200, 200))
    before = cli_sim.stats().requests
    code, out, err = run("image-recognize", "--image", str(small))
    assert code == 2 and out == ""
    assert "image: " in err and "allowed" in err
    assert cli_sim.stats().requests == before


# --- The limits, as a table --------------------------------------------------------------

FOX = "A fox"
TEN_IMAGES = [{"image": URL}] * 6
FIVE_ELEMENTS = [{"element_id": 100 + index} for index in range(5)]
V3 = {"model_name": "kling-v3-omni"}
SERIES = {**V3, "result_type": "series"}

# (rule, accepted request, refused request, the field the refusal names, what it says)
LIMITS = {
    "omni-image": [
        ("prompt length", {"prompt": "x" * 2500}, {"prompt": "x" * 2501}, "prompt", "2500"),
        ("prompt required", {"prompt": FOX}, {"n": 1}, "prompt", "required"),
        (
            "references",
            {"prompt": FOX, "image_list": TEN_IMAGES[:5], "element_list": FIVE_ELEMENTS},
            {"prompt": FOX, "image_list": TEN_IMAGES, "element_list": FIVE_ELEMENTS},
            "image_list",
            "at most 10 images and elements together",
        ),
        (
            "images",
            {"prompt": FOX, "image_list": [{"image": URL}] * 10},
            {"prompt": FOX, "image_list": [{"image": URL}] * 11},
            "image_list",
            "10",
        ),
        (
            "model",
            {"prompt": FOX, **V3},
            {"prompt": FOX, "model_name": "kling-v9"},
            "model_name",
            "allowed: kling-image-o1, kling-v3-omni",
        ),
        (
            "4k",
            {"prompt": FOX, **V3, "resolution": "4k"},
            {"prompt": FOX, "resolution": "4k"},
            "resolution",
            "allowed: '1k', '2k'",
        ),
        (
            "resolution",
            {"prompt": FOX, "resolution": "2k"},
            {"prompt": FOX, "resolution": "8k"},
            "resolution",
            "'1k', '2k', '4k'",
        ),
        (
            "series",
            {"prompt": FOX, **SERIES},
            {"prompt": FOX, "result_type": "series"},
            "result_type",
            "allowed: 'single'",
        ),
        (
            "series amount",
            {"prompt": FOX, **SERIES, "series_amount": 9},
            {"prompt": FOX, **SERIES, "series_amount": 10},
            "series_amount",
            "9",
        ),
        (
            "series amount auto",
            {"prompt": FOX, **SERIES, "series_amount": "auto"},
            {"prompt": FOX, **SERIES, "series_amount": "many"},
            "series_amount",
            "auto",
        ),
        (
            "series amount of a series",
            {"prompt": FOX, **SERIES, "series_amount": 2},
            {"prompt": FOX, **V3, "series_amount": 2},
            "series_amount",
            "result_type 'series'",
        ),
        (
            "n of single images",
            {"prompt": FOX, "n": 9},
            {"prompt": FOX, **SERIES, "n": 2},
            "n",
            "result_type",
        ),
        ("n", {"prompt": FOX, "n": 1}, {"prompt": FOX, "n": 10}, "n", "9"),
        (
            "auto ratio of a prompt alone",
            {"prompt": FOX, **V3, "image_list": [{"image": URL}], "aspect_ratio": "auto"},
            {"prompt": FOX, **V3, "aspect_ratio": "auto"},
            "aspect_ratio",
            "with model_name 'kling-v3-omni'",
        ),
        (
            "aspect ratio",
            {"prompt": FOX, "aspect_ratio": "auto"},
            {"prompt": FOX, "aspect_ratio": "5:4"},
            "aspect_ratio",
            "21:9",
        ),
        (
            "watermark",
            {"prompt": FOX, "watermark_info": {"enabled": True}},
            {"prompt": FOX, "watermark_info": {"enabled": "yes"}},
            "watermark_info",
            "true or false",
        ),
    ],
    "multi-shot": [
        ("frontal image", {"element_frontal_image": URL}, {}, "element_frontal_image", "required"),
        (
            "image link",
            {"element_frontal_image": URL},
            {"element_frontal_image": "http://"},
            "element_frontal_image",
            "host",
        ),
    ],
}
LIMIT_CASES = [
    pytest.param(endpoint, *case, id=f"{endpoint}-{case[0]}")
    for endpoint, cases in LIMITS.items()
    for case in cases
]


@pytest.fixture(scope="module")
def table_sim():
    with KlingSimulator(SimulatorConfig(queue_seconds=0, processing_seconds=0.1)) as simulator:
        yield simulator


@pytest.mark.parametrize(("endpoint", "rule", "accepted", "refused", "field", "says"), LIMIT_CASES)
def test_each_limit_accepts_one_and_refuses_one_sending_nothing(
    table_sim, endpoint, rule, accepted, refused, field, says
):
    validate_request(endpoint, "kling", accepted)
    with table_sim.credentials("kling").get_client() as client:
        before = table_sim.stats().requests
        with pytest.raises(KlingValidationError) as caught:
            client.create(endpoint, refused)
        assert table_sim.stats().requests == before
    named = [name.split(".")[0] for name in caught.value.fields]
    assert field in named, str(caught.value)
    assert says in str(caught.value)
    if says != "required":  # a missing field is only said to be required
        assert "allowed" in str(caught.value)


def test_the_simulator_takes_what_the_table_accepts():
    """The simulator's own checks agree with the accepted requests (they reach Kling)."""
    accepted = [case[1] for case in LIMITS["omni-image"] if "element_list" not in case[1]]
    config = SimulatorConfig(queue_seconds=0, processing_seconds=0.1, concurrency={"image": 500})
    with KlingSimulator(config) as sim, sim.credentials("kling").get_client() as client:
        for request in accepted:
            client.create("omni-image", {**request, "external_task_id": uuid.uuid4().hex})


def test_image_recognition_refuses_a_bad_image_before_sending(table_sim, tmp_path):
    before = table_sim.stats().requests
    with pytest.raises(KlingValidationError) as caught:
        recognize_image("not an image", output=tmp_path, **_flow_options(table_sim))
    assert caught.value.fields == ["image"]
    assert table_sim.stats().requests == before


# --- Slots, units and results --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "images", "units"),
    [
        ({"model_name": "kling-image-o1", "n": 3}, 3, 24.0),
        ({"model_name": "kling-v3-omni", "resolution": "4k"}, 1, 16.0),
        ({"model_name": "kling-v3-omni", "result_type": "series"}, 4, 32.0),  # Kling's 4
        ({"model_name": "kling-v3-omni", "result_type": "series", "series_amount": 2}, 2, 16.0),
        (
            {"model_name": "kling-v3-omni", "result_type": "series", "series_amount": "auto"},
            9,
            72.0,
        ),
    ],
)
def test_an_omni_image_counts_the_images_it_can_make(fields, images, units):
    assert images_made(fields) == images
    assert estimate_units("omni-image", fields) == units
    assert UnitBudget().estimate("omni-image", fields) == units


def test_multi_shot_and_recognition_are_priced_per_call():
    assert UnitBudget().estimate("multi-shot", {}) == 20.0  # "General, AI Multi-Shot"
    assert IMAGE_RECOGNIZE.units == 0.1 and ROUTES["image-recognize"] is IMAGE_RECOGNIZE


def test_views_are_read_in_their_numbered_order():
    task = KlingTask.model_validate(
        {
            "task_id": "1",
            "task_status": "succeed",
            "task_result": {
                "images": [{"index": 0, "url_10": "j", "url_2": "b", "url_1": "a", "url_3": ""}]
            },
        }
    )
    assert [(image.index, image.url) for image in task.images] == [(0, "a"), (1, "b"), (2, "j")]


# --- Corrections ---------------------------------------------------------------------------


def test_kling_v3_is_the_default_image_model(sim, tmp_path):
    limits = limits_for("kling", "image-generation")
    assert limits.defaults["model_name"] == "kling-v3" and "kling-v3" in limits.models
    validate_request("image-generation", "kling", {"prompt": FOX, "model_name": "kling-v3"})
    result = generate_image(
        {"prompt": unique("A teapot")},
        endpoint="image-generation",
        output=tmp_path,
        **on_sim(sim),
    )
    assert made_by(sim, result.task_id)["model_name"] == "kling-v3"


def test_multi_image_to_image_is_kling_v2_1_on_kling_and_kling_v2_on_cometapi():
    subjects = {"subject_image_list": [{"subject_image": URL}, {"subject_image": URL}]}
    validate_request("multi-image2image", "kling", {**subjects, "model_name": "kling-v2-1"})
    with pytest.raises(KlingValidationError) as caught:
        validate_request("multi-image2image", "kling", {**subjects, "model_name": "kling-v2"})
    assert caught.value.fields == ["model_name"]
    assert "'kling-v2' is not a known multi-image2image model" in str(caught.value)
    assert "allowed: kling-v2-1 (" in str(caught.value)
    validate_request("multi-image2image", "cometapi", {**subjects, "model_name": "kling-v2"})


def test_identify_face_is_charged_and_counted_with_the_advanced_lip_sync():
    assert IDENTIFY_FACE.units == 0.05
    request = {"session_id": "s", "face_choose": [{"face_id": "0", "audio_id": "a"}]}
    budget = UnitBudget()
    assert budget.estimate("advanced-lip-sync", request) == budget.estimate("lip-sync", {}) + 0.05


def test_advanced_lip_sync_takes_watermark_info():
    request = {
        "session_id": "s",
        "face_choose": [{"face_id": "0", "audio_id": "a", "sound_end_time": 3000}],
        "watermark_info": {"enabled": True},
    }
    payload = prepare_create("advanced-lip-sync", request, "kling").payload
    assert payload["watermark_info"] == {"enabled": True}
    with pytest.raises(KlingValidationError) as caught:
        prepare_create("advanced-lip-sync", {**request, "watermark_info": {"on": 1}}, "kling")
    assert caught.value.fields[0].startswith("watermark_info")


def test_the_try_on_section_says_kling_runs_its_3_0_pipeline():
    page = (ROOT / "docs" / "endpoints" / "images.md").read_text(encoding="utf-8")
    section = page.split("## Virtual try-on", 1)[1].split("\n## ", 1)[0]
    assert "3.0 pipeline" in section and "2026-09-15" in section
    assert "kolors-virtual-try-on-v1" in section and "adapts their parameters" in section
