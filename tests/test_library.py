"""Custom elements and voices: the Prefect tasks and `prefect-kling elements|voices`.

Everything runs against the simulator. The tasks wait on its clock (`sim.runtime()`),
the command line in real time on its quick timeline. Requests are unique per test: the
same request names the same Kling task for the whole module.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prefect import flow

from prefect_kling import (
    KlingTaskFailed,
    KlingValidationError,
    create_element,
    create_voice,
    delete_element,
    delete_voice,
    list_elements,
    list_preset_elements,
    list_preset_voices,
    list_voices,
)
from prefect_kling.endpoints.library import ELEMENTS, VOICES, Library
from prefect_kling.exceptions import KlingContentRejected, KlingInvalidRequest, KlingNotFound
from prefect_kling.library import create_entry, delete_entry, list_entries
from prefect_kling.media import make_png
from prefect_kling.simulator import KlingSimulator
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY, canary_simulator
from tests.test_cli import run

pytestmark = pytest.mark.e2e

FRONT, SIDE, BACK = (f"https://img.test/fox-{side}.png" for side in ("front", "side", "back"))
CLIP = "https://video.test/me-waving.mp4"
SPEECH = "https://audio.test/rusty.mp3"


@pytest.fixture(scope="module")
def sim():
    with canary_simulator(seed=13) as simulator:
        yield simulator


def waits_on(sim: KlingSimulator) -> dict[str, Any]:
    """The waiting arguments of a create task: on the simulator's clock, in no real time."""
    return {"runtime": sim.runtime(), "poll_interval_seconds": 1.0}


def pictures(name: str, description: str = "A red fox") -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "frontal_image": FRONT,
        "refer_images": [SIDE, BACK],
    }


# --- the Prefect tasks -------------------------------------------------------------------------


def test_a_voice_and_an_element_that_speaks_with_it_from_a_flow(sim):
    credentials = sim.credentials()

    @flow
    def cast():
        voice = create_voice(credentials, "Rusty's voice", voice_url=SPEECH, **waits_on(sim))
        fox = create_element(
            credentials,
            **pictures("Rusty", "A talking fox"),
            voice_id=voice.voice_id,
            tags=["Character", "o_103"],
            **waits_on(sim),
        )
        return voice, fox, list_elements(credentials), list_voices(credentials)

    voice, fox, elements, voices = cast()
    assert fox.element_id and fox.element_id.isdigit()
    assert (fox.element_name, fox.reference_type, fox.status) == ("Rusty", "image_refer", "succeed")
    assert fox.tags == ["Character", "Animal"] and not fox.official and not fox.deleted
    assert fox.voice is not None and fox.voice.voice_id == voice.voice_id
    assert fox.element_id in [element.element_id for element in elements]
    assert voice.voice_id in [listed.voice_id for listed in voices]
    assert voice.trial_url and voice.trial_url.startswith(sim.base_url)


def test_an_element_from_a_video_and_a_voice_from_a_kling_video(sim):
    credentials = sim.credentials()
    me = create_element.fn(credentials, "Me", "Me, waving", video_url=CLIP, **waits_on(sim))
    assert me.reference_type == "video_refer"
    narrator = create_voice.fn(credentials, "Narrator", video_id="859402", **waits_on(sim))
    assert narrator.voice_name == "Narrator"


def test_presets_are_kling_s_own(sim):
    credentials = sim.credentials()
    elements = list_preset_elements.fn(credentials)
    voices = list_preset_voices.fn(credentials, page_size=2)
    assert len(elements) == 3 and all(element.official for element in elements)
    assert len(voices) == 2 and all(voice.official for voice in voices)
    assert elements[0].voice is not None and elements[0].voice.official


def test_a_rerun_finds_the_element_made_before_and_a_new_key_makes_another(sim):
    credentials = sim.credentials()
    first = create_element.fn(credentials, **pictures("Rerun"), **waits_on(sim))
    creates = sim.stats().create_calls
    again = create_element.fn(credentials, **pictures("Rerun"), **waits_on(sim))
    assert again.element_id == first.element_id
    assert sim.stats().create_calls == creates + 1  # refused as a duplicate, found by its id
    other = create_element.fn(
        credentials, **pictures("Rerun"), idempotency_key="take-2", **waits_on(sim)
    )
    assert other.element_id != first.element_id


def test_delete_then_list_shows_it_deleted(sim):
    credentials = sim.credentials()
    owl = create_element.fn(credentials, **pictures("Hoot", "A snowy owl"), **waits_on(sim))
    answer = delete_element.fn(credentials, owl.element_id)
    assert answer.task_status == "succeed"
    [listed] = [e for e in list_elements.fn(credentials) if e.element_id == owl.element_id]
    assert listed.deleted and listed.status == "deleted"

    # The same request names the same (deleted) element: refused with the way out.
    with pytest.raises(KlingValidationError) as caught:
        create_element.fn(credentials, **pictures("Hoot", "A snowy owl"), **waits_on(sim))
    assert caught.value.fields == ["idempotency_key"]
    assert f"element {owl.element_id}" in str(caught.value)
    assert "--idempotency-key" in str(caught.value)

    voice = create_voice.fn(credentials, "Gone", voice_url=SPEECH, **waits_on(sim))
    delete_voice.fn(credentials, voice.voice_id)
    [gone] = [v for v in list_voices.fn(credentials) if v.voice_id == voice.voice_id]
    assert gone.deleted


def test_what_kling_refuses_after_sending(sim):
    credentials = sim.credentials()
    preset = list_preset_elements.fn(credentials)[0]
    with pytest.raises(KlingInvalidRequest, match="preset"):
        delete_element.fn(credentials, preset.element_id)
    with pytest.raises(KlingNotFound, match="does not exist"):
        delete_voice.fn(credentials, "404")
    with pytest.raises(KlingContentRejected):
        create_voice.fn(credentials, "refused", voice_url=SPEECH, **waits_on(sim))
    with pytest.raises(KlingTaskFailed, match="risk control"):
        create_element.fn(credentials, **pictures("Vex", "a forbidden fox"), **waits_on(sim))


# --- CometAPI has none of these routes ----------------------------------------------------------

COMETAPI_CALLS: dict[str, Callable[[Any], Any]] = {
    "element": lambda c: create_element.fn(c, **pictures("Comet")),
    "list-elements": lambda c: list_elements.fn(c),
    "list-preset-elements": lambda c: list_preset_elements.fn(c),
    "delete-element": lambda c: delete_element.fn(c, "859402"),
    "voice": lambda c: create_voice.fn(c, "Comet", voice_url=SPEECH),
    "list-voices": lambda c: list_voices.fn(c),
    "list-preset-voices": lambda c: list_preset_voices.fn(c),
    "delete-voice": lambda c: delete_voice.fn(c, "859402"),
}


@pytest.mark.parametrize("name", COMETAPI_CALLS)
def test_cometapi_is_refused_before_sending_naming_the_provider_that_has_it(sim, name):
    before = sim.stats().requests
    with pytest.raises(KlingValidationError) as caught:
        COMETAPI_CALLS[name](sim.credentials("cometapi"))
    assert caught.value.fields == ["provider"]
    assert str(caught.value) == (
        f"Invalid request for {name}: provider: 'cometapi' has no {name} route; allowed: kling"
    )
    assert sim.stats().requests == before


# --- every rule: one value accepted, one refused with nothing sent -------------------------------


def element_request(**changes: Any) -> dict[str, Any]:
    """A valid element request with changes (None leaves a field out)."""
    request = {
        "element_name": "Rules",
        "element_description": "A fox for the rules",
        "element_image_list": {"frontal_image": FRONT, "refer_images": [{"image_url": SIDE}]},
    }
    return {key: value for key, value in {**request, **changes}.items() if value is not None}


def images(count: int, frontal: Any = FRONT) -> dict[str, Any]:
    refer = [{"image_url": f"https://img.test/{n}.png"} for n in range(count)]
    return {"frontal_image": frontal, "refer_images": refer}


def video(*links: str) -> dict[str, Any]:
    return {"refer_videos": [{"video_url": link} for link in links]}


def voice_request(**changes: Any) -> dict[str, Any]:
    request = {"voice_name": "Rules", "voice_url": SPEECH}
    return {key: value for key, value in {**request, **changes}.items() if value is not None}


LOCAL = "local.png"
"""Stands for a local picture of the case's size (made in the test's folder)."""

# (library, request, refused field or None when accepted)
RULES = {
    "name at most 20": (ELEMENTS, element_request(element_name="x" * 20), None),
    "name of 21": (ELEMENTS, element_request(element_name="x" * 21), "element_name"),
    "name blank": (ELEMENTS, element_request(element_name=" \u200b"), "element_name"),
    "description at most 100": (ELEMENTS, element_request(element_description="d" * 100), None),
    "description of 101": (
        ELEMENTS,
        element_request(element_description="d" * 101),
        "element_description",
    ),
    "reference type named": (ELEMENTS, element_request(reference_type="image_refer"), None),
    "reference type unknown": (
        ELEMENTS,
        element_request(reference_type="audio_refer"),
        "reference_type",
    ),
    "neither pictures nor video": (
        ELEMENTS,
        element_request(element_image_list=None),
        "element_image_list",
    ),
    "pictures and a video": (
        ELEMENTS,
        element_request(element_video_list=video(CLIP)),
        "element_video_list",
    ),
    "video type without a video": (
        ELEMENTS,
        element_request(reference_type="video_refer"),
        "element_image_list",
    ),
    "3 more pictures": (ELEMENTS, element_request(element_image_list=images(3)), None),
    "4 more pictures": (
        ELEMENTS,
        element_request(element_image_list=images(4)),
        "element_image_list.refer_images",
    ),
    "no more picture": (
        ELEMENTS,
        element_request(element_image_list=images(0)),
        "element_image_list.refer_images",
    ),
    "no frontal picture": (
        ELEMENTS,
        element_request(element_image_list=images(1, frontal=None)),
        "element_image_list.frontal_image",
    ),
    "local picture of 300 px": (
        ELEMENTS,
        element_request(element_image_list=images(1, frontal=(300, 300))),
        None,
    ),
    "local picture of 200 px": (
        ELEMENTS,
        element_request(element_image_list=images(1, frontal=(200, 200))),
        "element_image_list.frontal_image",
    ),
    "one .mov video": (
        ELEMENTS,
        element_request(element_image_list=None, element_video_list=video("https://v.test/a.mov")),
        None,
    ),
    "two videos": (
        ELEMENTS,
        element_request(element_image_list=None, element_video_list=video(CLIP, CLIP)),
        "element_video_list.refer_videos",
    ),
    "an .avi video": (
        ELEMENTS,
        element_request(element_image_list=None, element_video_list=video("https://v.test/a.avi")),
        "element_video_list.refer_videos.0.video_url",
    ),
    "a video that is no link": (
        ELEMENTS,
        element_request(element_image_list=None, element_video_list=video("me.mp4")),
        "element_video_list.refer_videos.0.video_url",
    ),
    "tags by id and name": (
        ELEMENTS,
        element_request(tag_list=[{"tag_id": "o_108"}, {"tag_id": "costume"}]),
        None,
    ),
    "tag o_109": (ELEMENTS, element_request(tag_list=[{"tag_id": "o_109"}]), "tag_list.0.tag_id"),
    "voice id of a preset": (
        ELEMENTS,
        element_request(element_voice_id="829812475634184201"),
        None,
    ),
    "voice id with a slash": (
        ELEMENTS,
        element_request(element_voice_id="../1"),
        "element_voice_id",
    ),
    "callback URL": (ELEMENTS, element_request(callback_url="ftp://hooks.test/x"), "callback_url"),
    "voice name at most 20": (VOICES, voice_request(voice_name="v" * 20), None),
    "voice name of 21": (VOICES, voice_request(voice_name="v" * 21), "voice_name"),
    "a .wav link": (VOICES, voice_request(voice_url="https://audio.test/a.wav"), None),
    "an .ogg link": (VOICES, voice_request(voice_url="https://audio.test/a.ogg"), "voice_url"),
    "a Kling video instead": (VOICES, voice_request(voice_url=None, video_id="859402"), None),
    "no speech": (VOICES, voice_request(voice_url=None), "voice_url"),
    "link and video": (VOICES, voice_request(video_id="859402"), "video_id"),
    "bad video id": (VOICES, voice_request(voice_url=None, video_id="-8"), "video_id"),
}


def _local_pictures(request: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The request with a picture size `(w, h)` replaced by a local PNG of that size."""
    pictures = request.get("element_image_list")
    if not pictures or not isinstance(pictures.get("frontal_image"), tuple):
        return request
    width, height = pictures["frontal_image"]
    path = folder / LOCAL
    path.write_bytes(make_png(width, height, seed=width))
    return {**request, "element_image_list": {**pictures, "frontal_image": str(path)}}


@pytest.mark.parametrize("case", RULES)
def test_each_rule_accepts_one_value_and_refuses_another_before_sending(sim, case, tmp_path):
    library, request, refused = RULES[case]
    request = _local_pictures(request, tmp_path)
    credentials = sim.credentials()
    before = sim.stats()
    if refused is None:
        # Accepted here, and by the simulator, whose limits are its own.
        with credentials.get_client() as client:
            reference = client.create(library.create, request)
        assert reference.endpoint == library.create.name
        assert sim.stats().create_calls == before.create_calls + 1
        return
    with pytest.raises(KlingValidationError) as caught:
        create_entry(credentials, library, request)
    assert caught.value.fields == [refused]
    assert "allowed" in str(caught.value)
    assert sim.stats().requests == before.requests


PAGES = [
    (ELEMENTS, {"page": 1000, "page_size": 500}, None),
    (ELEMENTS, {"page": 1001}, "page"),
    (ELEMENTS, {"page": 0}, "page"),
    (ELEMENTS, {"page_size": 501}, "page_size"),
    (VOICES, {"page_size": 1000}, None),
    (VOICES, {"page_size": 1001}, "page_size"),
]


@pytest.mark.parametrize(("library", "paging", "refused"), PAGES)
def test_pages_of_the_lists(sim, library: Library, paging: dict, refused: str | None):
    before = sim.stats().requests
    for presets in (False, True):
        if refused is None:
            listed = list_entries(sim.credentials(), library, presets=presets, **paging)
            assert len(listed) <= paging.get("page_size", 30)
            continue
        with pytest.raises(KlingValidationError) as caught:
            list_entries(sim.credentials(), library, presets=presets, **paging)
        assert caught.value.fields == [refused]
        assert sim.stats().requests == before


@pytest.mark.parametrize("entry_id", ["", "../1", "8 5"])
def test_a_delete_needs_an_id(sim, entry_id):
    before = sim.stats().requests
    for library in (ELEMENTS, VOICES):
        with pytest.raises(KlingValidationError) as caught:
            delete_entry(sim.credentials(), library, entry_id)
        assert caught.value.fields == [library.id_field]
    assert sim.stats().requests == before


# --- the command line --------------------------------------------------------------------------

FAST = ["--poll-interval", "0.05", "--max-wait", "60"]


@pytest.fixture
def kling_env(sim, monkeypatch):
    for name in list(os.environ):
        if name.startswith("KLING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET_KEY)


def test_cli_creates_lists_and_deletes(kling_env, sim, tmp_path):
    front, side = tmp_path / "front.png", tmp_path / "side.png"
    front.write_bytes(make_png(640, 480, seed=1))
    side.write_bytes(make_png(640, 480, seed=2))

    code, out, err = run("voices", "create", "Cli voice", "--url", SPEECH, "--json", *FAST)
    assert code == 0, err
    voice = json.loads(out)
    assert voice["status"] == "succeeded" and voice["voice"]["voice_id"] == voice["voice_id"]

    code, out, err = run(
        "elements",
        "create",
        "Cli fox",
        "--description",
        "A fox from the shell",
        "--front",
        str(front),
        "--image",
        str(side),
        "--tag",
        "Animal",
        "--voice",
        voice["voice_id"],
        *FAST,
    )
    assert code == 0, err
    assert out.startswith("Element ") and "(Cli fox) is ready: Kling element task" in out
    element_id = out.split()[1]

    code, out, err = run("elements", "list", "--json")
    assert code == 0, err
    [mine] = [e for e in json.loads(out)["elements"] if e["element_id"] == element_id]
    assert mine["element_voice_info"]["voice_id"] == voice["voice_id"]

    code, out, err = run("elements", "delete", element_id)
    assert (code, out, err) == (0, f"Element {element_id} deleted.\n", "")
    code, out, err = run("elements", "list")
    assert code == 0, err
    [row] = [line for line in out.splitlines() if line.startswith(element_id)]
    assert row.split()[-1] == "deleted" and "Animal" in row
    assert out.splitlines()[0].split() == ["ID", "NAME", "TYPE", "TAGS", "VOICE", "OWNER", "STATUS"]


def test_cli_lists_the_presets(kling_env, sim):
    code, out, err = run("elements", "presets")
    assert code == 0, err
    assert "Astronaut" in out and all(" kling " in line for line in out.splitlines()[1:])
    code, out, err = run("voices", "presets", "--json")
    assert code == 0, err
    assert {voice["owned_by"] for voice in json.loads(out)["voices"]} == {"kling"}
    code, out, err = run("voices", "presets", "--page", "2")
    assert (code, out) == (0, "No preset voices on page 2.\n")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            [
                "elements",
                "create",
                "x" * 21,
                "--description",
                "d",
                "--front",
                FRONT,
                "--image",
                SIDE,
            ],
            "element_name: 21 characters; allowed: at most 20",
        ),
        (["elements", "create", "Fox", "--description", "d", "--front", FRONT], "refer_images"),
        (["elements", "create", "Fox", "--description", "d", "--video", "clip.mp4"], "video_url"),
        (["voices", "create", "Ada", "--url", "https://audio.test/a.ogg"], "voice_url"),
        (["voices", "list", "--page-size", "1001"], "page_size: 1001"),
        (["elements", "delete", "../1"], "element_id"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line_and_sends_nothing(kling_env, sim, argv, said):
    before = sim.stats().requests
    code, out, err = run(*argv, *(FAST if "create" in argv else []))
    assert code == 2 and out == ""
    assert err.startswith("Invalid request") and said in err and err.count("\n") == 1
    assert "Traceback" not in err
    assert sim.stats().requests == before


def test_cli_expected_failures_exit_1_in_one_line(kling_env, sim):
    code, out, err = run("voices", "delete", "404")
    assert code == 1 and out == ""
    assert err.startswith("Kling error 1203: voice_id 404 does not exist") and err.count("\n") == 1


def test_cli_refuses_cometapi_naming_the_provider(sim, monkeypatch):
    for name in list(os.environ):
        if name.startswith("KLING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    monkeypatch.setenv("KLING_PROVIDER", "cometapi")
    monkeypatch.setenv("KLING_API_KEY", API_KEY)
    before = sim.stats().requests
    code, out, err = run("voices", "create", "Ada", "--url", SPEECH)
    assert (code, out) == (2, "")
    assert (
        err
        == "Invalid request for voice: provider: 'cometapi' has no voice route; allowed: kling\n"
    )
    code, out, err = run("elements", "list")
    assert code == 2 and "'cometapi' has no list-elements route" in err
    assert sim.stats().requests == before
