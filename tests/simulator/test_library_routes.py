"""The simulator's library: custom elements and voices, Kling's presets, deletions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from prefect_kling.endpoints.library import LIBRARIES
from prefect_kling.providers import Provider
from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from prefect_kling.simulator.library import PRESET_ELEMENTS, PRESET_VOICES

from .conftest import FAST, client_for, png_base64, wait_until

ELEMENTS, VOICES = "general/advanced-custom-elements", "general/custom-voices"
FRONT, SIDE = "https://img.test/front.png", "https://img.test/side.png"


def element(**changes: Any) -> dict[str, Any]:
    """A valid element body with changes (None leaves a field out)."""
    body = {
        "element_name": "Rusty",
        "element_description": "A red fox",
        "reference_type": "image_refer",
        "element_image_list": {"frontal_image": FRONT, "refer_images": [{"image_url": SIDE}]},
    }
    return {key: value for key, value in {**body, **changes}.items() if value is not None}


def data_of(response: httpx.Response) -> Any:
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return body["data"]


def refused(response: httpx.Response, words: str, code: int = 1201, status: int = 400) -> None:
    body = response.json()
    assert (response.status_code, body["code"]) == (status, code), body
    assert words in body["message"], body["message"]


def made(official: httpx.Client, sim: KlingSimulator, path: str, body: dict) -> dict[str, Any]:
    """Create, let the clock run the task to its end, and return the finished task."""
    task_id = data_of(official.post(path, json=body))["task_id"]
    sim.advance(3)
    return data_of(official.get(f"{path}/{task_id}"))


def test_an_element_moves_along_the_clock_and_shows_once_done(
    sim: KlingSimulator, official: httpx.Client
) -> None:
    created = data_of(official.post(ELEMENTS, json=element(external_task_id="el-1")))
    assert set(created) == {"task_id", "task_status", "task_info", "created_at", "updated_at"}
    assert created["task_status"] == "submitted"
    assert created["task_info"] == {"external_task_id": "el-1"}
    task_id, t0 = created["task_id"], created["created_at"]

    sim.advance(1)
    running = data_of(official.get(f"{ELEMENTS}/{task_id}"))
    assert (running["task_status"], running["task_result"]) == ("processing", {})
    assert running["updated_at"] == t0 + 1000

    sim.advance(2)
    done = data_of(official.get(f"{ELEMENTS}/el-1"))  # by external id too
    assert done["task_id"] == task_id and done["task_status"] == "succeed"
    assert done["updated_at"] == t0 + 3000 and done["final_unit_deduction"] == "0"
    [fox] = done["task_result"]["elements"]
    assert fox["element_id"].isdigit() and fox["element_id"] != task_id
    assert fox["element_name"] == "Rusty" and fox["reference_type"] == "image_refer"
    assert fox["element_image_list"]["refer_images"] == [{"image_url": SIDE}]
    assert fox["status"] == "succeed" and fox["owned_by"] != "kling"


def test_lists_are_newest_first_and_paged(sim: KlingSimulator, official: httpx.Client) -> None:
    for name in ("One", "Two", "Three"):
        official.post(ELEMENTS, json=element(element_name=name))
    sim.advance(3)
    names = [
        task["task_result"]["elements"][0]["element_name"]
        for task in data_of(official.get(ELEMENTS, params={"pageNum": 1, "pageSize": 2}))
    ]
    assert names == ["Three", "Two"]
    [last] = data_of(official.get(ELEMENTS, params={"pageNum": 2, "pageSize": 2}))
    assert last["task_result"]["elements"][0]["element_name"] == "One"
    refused(official.get(ELEMENTS, params={"pageSize": 501}), "between 1 and 500")
    assert data_of(official.get(VOICES, params={"pageSize": 1000})) == []
    refused(official.get(VOICES, params={"pageNum": 1001}), "between 1 and 1000")


def test_presets_are_kling_s_and_their_samples_play(sim: KlingSimulator, official, http) -> None:
    elements = data_of(official.get("general/advanced-presets-elements"))
    listed = [task["task_result"]["elements"][0] for task in elements]
    assert [item["element_id"] for item in listed] == [e["element_id"] for e in PRESET_ELEMENTS]
    assert {item["owned_by"] for item in listed} == {"kling"}
    voice = listed[0]["element_voice_info"]
    assert voice["voice_id"] == PRESET_VOICES[2]["voice_id"]

    voices = data_of(official.get("general/presets-voices", params={"pageSize": 2}))
    assert len(voices) == 2
    sample = http.get(voices[0]["task_result"]["voices"][0]["trial_url"])
    assert sample.status_code == 200 and sample.content[:4] == b"RIFF"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (element(element_name="x" * 21), "element_name is too long: 21 characters, at most 20"),
        (element(element_description="x" * 101), "element_description is too long"),
        (element(reference_type=None), "reference_type is required"),
        (element(reference_type="audio_refer"), "reference_type must be one of"),
        (element(element_image_list=None), "element_image_list is required"),
        (
            element(element_image_list={"frontal_image": FRONT, "refer_images": [SIDE] * 4}),
            "refer_images must hold 1 to 3 images",
        ),
        (
            element(element_image_list={"refer_images": [{"image_url": SIDE}]}),
            "element_image_list.frontal_image is required",
        ),
        (
            element(
                reference_type="video_refer",
                element_video_list={"refer_videos": [{"video_url": "https://v.test/a.mp4"}] * 2},
            ),
            "refer_videos must hold 1 to 1 items",
        ),
        (element(tag_list=[{"tag_id": "o_109"}]), "tag_list[0].tag_id must be one of"),
        (element(element_voice_id="123"), "element_voice_id 123 is not a voice of this account"),
        ({"voice_name": "Ada"}, "voice_url or video_id is required"),
        ({"voice_name": "x" * 21, "video_id": "1"}, "voice_name is too long"),
    ],
)
def test_bodies_kling_would_refuse(official: httpx.Client, body: dict, words: str) -> None:
    path = VOICES if "voice_name" in body else ELEMENTS
    refused(official.post(path, json=body), words)


def test_refusal_and_failure_words_and_bad_pictures(
    sim: KlingSimulator, official: httpx.Client
) -> None:
    refused(official.post(ELEMENTS, json=element(element_name="refused fox")), "content", 1301)
    failed = made(official, sim, ELEMENTS, element(element_description="a forbidden fox"))
    assert failed["task_status"] == "failed" and failed["task_result"] == {}
    assert failed["task_status_msg"] and failed["final_unit_deduction"] == "0"
    tiny = {"frontal_image": png_base64(100, 100), "refer_images": [{"image_url": SIDE}]}
    pixels = made(official, sim, ELEMENTS, element(element_image_list=tiny))
    assert pixels["task_status"] == "failed" and "pixel" in pixels["task_status_msg"]


def test_a_duplicate_external_id_is_refused(official: httpx.Client) -> None:
    data_of(
        official.post(VOICES, json={"voice_name": "Ada", "video_id": "1", "external_task_id": "v"})
    )
    again = official.post(
        VOICES, json={"voice_name": "Bea", "video_id": "2", "external_task_id": "v"}
    )
    refused(again, "external_task_id 'v' already exists")


def test_deleted_entries_stay_listed_and_voices_stop_binding(
    sim: KlingSimulator, official: httpx.Client
) -> None:
    voice = made(official, sim, VOICES, {"voice_name": "Ada", "voice_url": "https://a.test/a.mp3"})
    voice_id = voice["task_result"]["voices"][0]["voice_id"]
    fox = made(official, sim, ELEMENTS, element(element_voice_id=voice_id))
    [bound] = fox["task_result"]["elements"]
    assert bound["element_voice_info"]["voice_id"] == voice_id

    deletion = {"element_id": bound["element_id"]}
    deleted = data_of(official.post("general/delete-advanced-elements", json=deletion))
    assert deleted["task_status"] == "succeed" and deleted["task_id"].isdigit()
    [listed] = data_of(official.get(ELEMENTS))
    assert listed["task_result"]["elements"][0]["status"] == "deleted"

    data_of(official.post("general/delete-voices", json={"voice_id": voice_id}))
    refused(official.post(ELEMENTS, json=element(element_voice_id=voice_id)), "not a voice")
    preset = {"element_id": PRESET_ELEMENTS[0]["element_id"]}
    refused(official.post("general/delete-advanced-elements", json=preset), "is a preset")
    unknown = official.post("general/delete-voices", json={"voice_id": "404"})
    refused(unknown, "voice_id 404 does not exist", 1203, 404)


def test_status_changes_are_called_back(sim: KlingSimulator, official: httpx.Client) -> None:
    body = {"voice_name": "Ada", "video_id": "8594", "callback_url": sim.callback_sink_url}
    task_id = data_of(official.post(VOICES, json=body))["task_id"]
    sim.advance(3)
    wait_until(lambda: sim.stats().callbacks_sent == 3)
    bodies = [entry["body"] for entry in sim.received_callbacks()]
    assert [b["task_status"] for b in bodies] == ["submitted", "processing", "succeed"]
    assert {b["task_id"] for b in bodies} == {task_id}
    assert bodies[-1]["task_result"]["voices"][0]["trial_url"].startswith(sim.base_url)


def test_only_the_official_prefix_serves_the_library(
    sim: KlingSimulator, gateway: httpx.Client, http: httpx.Client
) -> None:
    response = gateway.get(ELEMENTS)
    assert response.status_code == 404 and "<html>" in response.text
    unsigned = http.get(f"{sim.base_url}/v1/{ELEMENTS}")
    assert unsigned.status_code == 401
    assert unsigned.json()["code"] in (1000, 1001, 1002, 1003, 1004)
    # Every row and route of the package's library has its simulator route, officially.
    with client_for(sim, "kling") as official:
        for library in LIBRARIES.values():
            assert data_of(official.get(library.create.create_path(Provider.KLING))) == []
            for route in library.routes:
                answer = official.request(route.method, route.path(Provider.KLING), json={})
                assert answer.json()["code"] in (0, 1201), route.name


def test_the_state_file_keeps_creations_and_reset_forgets_them(tmp_path: Path) -> None:
    path = tmp_path / "account.json"
    first = KlingSimulator(SimulatorConfig(**FAST), state_path=path)
    with first, client_for(first, "kling") as official:
        fox = made(official, first, ELEMENTS, element(external_task_id="keep"))
        deletion = {"element_id": fox["task_result"]["elements"][0]["element_id"]}
        data_of(official.post("general/delete-advanced-elements", json=deletion))
        kept = data_of(official.get(f"{ELEMENTS}/keep"))
    assert kept["task_result"]["elements"][0]["status"] == "deleted"
    again = KlingSimulator(SimulatorConfig(**FAST), state_path=path)
    with again, client_for(again, "kling") as official:
        assert data_of(official.get(f"{ELEMENTS}/keep")) == kept
        again.reset()
        assert data_of(official.get(ELEMENTS)) == []
