"""The rest of Kling's surface: extend, lip-sync, faces, effects, expand, try-on, account costs."""

from __future__ import annotations

import base64
import doctest
import importlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from prefect_kling.simulator import KlingSimulator

from .conftest import client_for, make_token, png_base64

IMAGE = "https://example.com/person.png"
AUDIO = base64.b64encode(b"ID3\x03\x00 not really an mp3").decode()
DAY = 24 * 3600
EVER = {"start_time": 0, "end_time": 2**42}

Body = Callable[[str], dict[str, Any]]


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["code"] == 0, answer
    return answer["data"]


def create(client: httpx.Client, path: str, body: dict[str, Any]) -> str:
    data = ok(client.post(path, json=body))
    assert data["task_status"] == "submitted"
    return data["task_id"]


def query(client: httpx.Client, path: str, ident: str) -> dict[str, Any]:
    return ok(client.get(f"{path}/{ident}"))


def finish(sim: KlingSimulator, client: httpx.Client, path: str, task_id: str) -> dict:
    """Walk a task through its timeline (1 s queued, 2 s processing) and return it."""
    assert query(client, path, task_id)["task_status"] == "submitted"
    sim.advance(1)
    assert query(client, path, task_id)["task_status"] == "processing"
    sim.advance(2)
    data = query(client, path, task_id)
    assert data["task_status"] == "succeed", data
    return data


def make_video(
    sim: KlingSimulator, client: httpx.Client, path: str = "videos/text2video", **body: Any
) -> dict[str, str]:
    """A finished video of this account: `{id, url, duration}`."""
    task_id = create(client, path, {"prompt": "a quiet lake", **body})
    sim.advance(3)
    (video,) = query(client, path, task_id)["task_result"]["videos"]
    return video


def refused(response: httpx.Response, words: str, code: int = 1201, status: int = 400) -> None:
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["code"] == code, answer
    assert words in answer["message"], answer["message"]
    assert "data" not in answer


def lip_sync_text(video_id: str) -> dict[str, Any]:
    return {"input": {"mode": "text2video", "video_id": video_id, "text": "Hi", "voice_id": "v1"}}


# -- every route, on every prefix that has it --------------------------------------------

# (provider, path, body from a finished video's id, result kind, expected units)
LIFECYCLE: list[tuple[str, str, Body, str, str]] = [
    ("kling", "images/generations", lambda v: {"prompt": "a fox", "n": 2}, "images", "2"),
    ("cometapi", "images/generations", lambda v: {"prompt": "a fox", "n": 2}, "images", "2"),
    ("kling", "videos/video-extend", lambda v: {"video_id": v}, "video", "1"),
    ("kling", "videos/lip-sync", lip_sync_text, "video", "0.5"),
    ("cometapi", "videos/lip-sync", lip_sync_text, "video", "0.5"),
    (
        "kling",
        "videos/effects",
        lambda v: {"effect_scene": "color_mixing", "input": {"image": IMAGE}},
        "video",
        "1",
    ),
    (
        "cometapi",
        "videos/effects",
        lambda v: {"effect_scene": "hug_pro", "input": {"images": [IMAGE, IMAGE]}},
        "video",
        "1",
    ),
    (
        "kling",
        "images/editing/expand",
        lambda v: {"image": IMAGE, "left_expansion_ratio": 0.5, "n": 3},
        "images",
        "3",
    ),
    ("kling", "images/kolors-virtual-try-on", lambda v: {"human_image": IMAGE}, "images", "1"),
    ("cometapi", "images/kolors-virtual-try-on", lambda v: {"human_image": IMAGE}, "images", "1"),
]


@pytest.mark.parametrize(
    ("provider", "path", "body", "kind", "units"),
    LIFECYCLE,
    ids=[f"{case[0]}-{case[1]}-{case[4]}" for case in LIFECYCLE],
)
def test_create_runs_to_success_and_lists(
    sim: KlingSimulator, provider: str, path: str, body: Body, kind: str, units: str
) -> None:
    with client_for(sim, provider) as client:
        source = make_video(sim, client)
        task_id = create(client, path, {**body(source["id"]), "external_task_id": "job-9"})
        data = finish(sim, client, path, task_id)
        assert data["final_unit_deduction"] == units
        assert data["task_info"]["external_task_id"] == "job-9"
        if kind == "video":
            (video,) = data["task_result"]["videos"]
            assert video["id"].isdigit() and float(video["duration"]) >= 5
            assert video["url"].startswith(f"{sim.base_url}/_simulator/files/{task_id}/")
        else:
            indexes = [image["index"] for image in data["task_result"]["images"]]
            assert indexes == list(range(int(float(units))))
        listed = ok(client.get(path, params={"pageNum": 1, "pageSize": 10}))
        assert [task["task_id"] for task in listed] == [task_id]
    assert sim.stats().tasks_by_status == {"succeed": 2}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/kling/v1/images/editing/expand"),
        ("GET", "/kling/v1/account/costs"),
        ("POST", "/kling/account/costs"),
    ],
)
def test_routes_the_gateway_lacks_answer_its_html_404(
    sim: KlingSimulator, http: httpx.Client, method: str, path: str
) -> None:
    headers = {"Authorization": f"Bearer {sim.config.api_key}"}
    response = http.request(method, f"{sim.base_url}{path}", headers=headers, json={})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert sim.stats().create_calls == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/account/costs"),
        ("GET", "/v1/videos/identify-face"),
        ("GET", "/v1/videos/identify-face/123"),
        ("POST", "/account/costs"),
        ("GET", "/account/other"),
        ("POST", "/v1/images/editing/expand/123"),
    ],
)
def test_official_paths_that_do_not_exist_answer_1202(
    sim: KlingSimulator, http: httpx.Client, method: str, path: str
) -> None:
    headers = {"Authorization": f"Bearer {make_token(sim)}"}
    response = http.request(method, f"{sim.base_url}{path}", headers=headers, json={})
    assert response.status_code == 404
    assert response.json()["code"] == 1202


def test_unknown_try_on_model_is_1203(official: httpx.Client) -> None:
    body = {"human_image": IMAGE, "model_name": "kolors-virtual-try-on-v9"}
    refused(official.post("images/kolors-virtual-try-on", json=body), "does not exist", 1203, 404)


# -- validators: each rule answers 1201 naming the field, and creates nothing ------------

TWO = {"images": [IMAGE, IMAGE]}
FACE = {"face_id": "0", "audio_id": "a-1", "sound_end_time": 1000}

# (provider, path, body, words in the message)
REFUSED: list[tuple[str, str, dict[str, Any], str]] = [
    # images/generations
    ("kling", "images/generations", {}, "prompt is required"),
    (
        "cometapi",
        "images/generations",
        {"prompt": "a", "image": IMAGE, "negative_prompt": "b"},
        "negative_prompt is not supported when image is set",
    ),
    (
        "kling",
        "images/generations",
        {"prompt": "a", "image": IMAGE, "image_reference": "face", "model_name": "kling-v2"},
        "image_reference needs model_name 'kling-v1-5'",
    ),
    (
        "kling",
        "images/generations",
        {"prompt": "a", "image": IMAGE, "image_reference": "body", "model_name": "kling-v1-5"},
        "image_reference must be one of 'subject', 'face'",
    ),
    (
        "kling",
        "images/generations",
        {"prompt": "a", "image": IMAGE, "model_name": "kling-v1-5"},
        "image_reference is required",
    ),
    ("kling", "images/generations", {"prompt": "a", "image_fidelity": 1.5}, "image_fidelity"),
    ("kling", "images/generations", {"prompt": "a", "human_fidelity": -0.1}, "human_fidelity"),
    ("kling", "images/generations", {"prompt": "a", "resolution": "4k"}, "resolution"),
    ("kling", "images/generations", {"prompt": "a", "n": 10}, "n must be an integer"),
    ("kling", "images/generations", {"prompt": "a", "n": 0}, "n must be an integer"),
    ("kling", "images/generations", {"prompt": "a", "aspect_ratio": "5:4"}, "aspect_ratio"),
    (
        "kling",
        "images/generations",
        {"prompt": "a", "model_name": "kling-v1-6"},
        "model_name must be one of",
    ),
    # videos/video-extend
    ("kling", "videos/video-extend", {}, "video_id is required"),
    ("kling", "videos/video-extend", {"video_id": ["1"]}, "video_id must be a string"),
    ("kling", "videos/video-extend", {"video_id": "1", "prompt": "x" * 2501}, "prompt is too"),
    ("kling", "videos/video-extend", {"video_id": "1", "cfg_scale": 2}, "cfg_scale"),
    ("kling", "videos/video-extend", {"video_id": "123"}, "video_id '123' does not exist"),
    # videos/lip-sync
    ("kling", "videos/lip-sync", {}, "input is required"),
    ("cometapi", "videos/lip-sync", {"input": "hello"}, "input must be an object"),
    ("kling", "videos/lip-sync", {"input": {"video_id": "1"}}, "input.mode is required"),
    (
        "kling",
        "videos/lip-sync",
        {"input": {"mode": "sing", "video_id": "1"}},
        "input.mode must be one of",
    ),
    (
        "kling",
        "videos/lip-sync",
        {"input": {"mode": "text2video", "text": "a", "voice_id": "v"}},
        "input.video_id or input.video_url is required",
    ),
    (
        "kling",
        "videos/lip-sync",
        {"input": {"mode": "text2video", "video_id": "1", "video_url": "https://x/v.mp4"}},
        "give one, not both",
    ),
    (
        "kling",
        "videos/lip-sync",
        {"input": {"mode": "audio2video", "video_url": "ftp://x/v.mp4"}},
        "input.video_url must be an http(s) URL",
    ),
    (
        "kling",
        "videos/lip-sync",
        {"input": {"mode": "text2video", "video_id": "1", "voice_id": "v"}},
        "input.text is required",
    ),
    (
        "cometapi",
        "videos/lip-sync",
        {"input": {"mode": "text2video", "video_id": "1", "voice_id": "v", "text": "x" * 121}},
        "input.text is too long: 121 characters, at most 120",
    ),
    (
        "kling",
        "videos/lip-sync",
        {"input": {"mode": "text2video", "video_id": "1", "text": "a"}},
        "input.voice_id is required",
    ),
    (
        "kling",
        "videos/lip-sync",
        {
            "input": {
                "mode": "text2video",
                "video_id": "1",
                "text": "a",
                "voice_id": "v",
                "voice_language": "fr",
            }
        },
        "input.voice_language must be one of 'zh', 'en'",
    ),
    (
        "kling",
        "videos/lip-sync",
        {
            "input": {
                "mode": "text2video",
                "video_id": "1",
                "text": "a",
                "voice_id": "v",
                "voice_speed": 2.5,
            }
        },
        "input.voice_speed must be a number between 0.8 and 2",
    ),
    (
        "kling",
        "videos/lip-sync",
        {"input": {"mode": "audio2video", "video_id": "1"}},
        "input.audio_type is required",
    ),
    (
        "kling",
        "videos/lip-sync",
        {"input": {"mode": "audio2video", "video_id": "1", "audio_type": "file"}},
        "input.audio_file is required",
    ),
    (
        "kling",
        "videos/lip-sync",
        {
            "input": {
                "mode": "audio2video",
                "video_id": "1",
                "audio_type": "file",
                "audio_file": "https://x/a.mp3",
            }
        },
        "input.audio_file must be raw Base64",
    ),
    (
        "kling",
        "videos/lip-sync",
        {"input": {"mode": "audio2video", "video_id": "1", "audio_type": "url"}},
        "input.audio_url is required",
    ),
    (
        "kling",
        "videos/lip-sync",
        {**lip_sync_text("1"), "callback_url": "ftp://x"},
        "callback_url must be an http(s) URL",
    ),
    ("kling", "videos/lip-sync", lip_sync_text("123"), "video_id '123' does not exist"),
    # videos/effects
    ("kling", "videos/effects", {"input": {"image": IMAGE}}, "effect_scene is required"),
    (
        "cometapi",
        "videos/effects",
        {"effect_scene": "Explode!", "input": {"image": IMAGE}},
        "effect_scene 'Explode!' is not a scene of the effects center",
    ),
    ("kling", "videos/effects", {"effect_scene": "color_mixing"}, "input is required"),
    (
        "kling",
        "videos/effects",
        {"effect_scene": "skateskate", "input": TWO},
        "input.image is required",
    ),
    (
        "kling",
        "videos/effects",
        {"effect_scene": "hug", "input": TWO},
        "effect_scene 'hug' is no longer supported",
    ),
    (
        "kling",
        "videos/effects",
        {"effect_scene": "hug_pro", "input": {"image": IMAGE}},
        "input.images is required",
    ),
    (
        "cometapi",
        "videos/effects",
        {"effect_scene": "kiss_pro", "input": {"images": [IMAGE]}},
        "input.images must hold exactly 2 images",
    ),
    (
        "kling",
        "videos/effects",
        {"effect_scene": "fight_pro", "input": {"images": [IMAGE] * 3}},
        "input.images must hold exactly 2 images",
    ),
    (
        "kling",
        "videos/effects",
        {"effect_scene": "heart_gesture_pro", "input": {"images": [IMAGE, "no!pe"]}},
        "input.images[1] is neither an http(s) URL nor valid Base64",
    ),
    # images/editing/expand
    ("kling", "images/editing/expand", {"up_expansion_ratio": 0.5}, "image is required"),
    (
        "kling",
        "images/editing/expand",
        {"image": IMAGE, "left_expansion_ratio": 2.5},
        "left_expansion_ratio must be a number between 0 and 2",
    ),
    (
        "kling",
        "images/editing/expand",
        {"image": IMAGE, "down_expansion_ratio": "1"},
        "down_expansion_ratio must be a number",
    ),
    ("kling", "images/editing/expand", {"image": IMAGE}, "are all 0: at least one"),
    (
        "kling",
        "images/editing/expand",
        {
            "image": IMAGE,
            "left_expansion_ratio": 1,
            "right_expansion_ratio": 1,
            "up_expansion_ratio": 0.1,
        },
        "= 3.3; the new canvas may be at most 3 times the original area",
    ),
    (
        "kling",
        "images/editing/expand",
        {"image": IMAGE, "up_expansion_ratio": 0.5, "n": 10},
        "n must be an integer between 1 and 9",
    ),
    # images/kolors-virtual-try-on
    ("kling", "images/kolors-virtual-try-on", {"cloth_image": IMAGE}, "human_image is required"),
    (
        "cometapi",
        "images/kolors-virtual-try-on",
        {"human_image": IMAGE, "model_name": "kling-v1"},
        "model_name must be one of 'kolors-virtual-try-on-v1', 'kolors-virtual-try-on-v1-5'",
    ),
    (
        "kling",
        "images/kolors-virtual-try-on",
        {"human_image": IMAGE, "cloth_image": "data:image/png;base64," + png_base64()},
        "cloth_image must be raw Base64",
    ),
    # videos/identify-face (a call, not a task)
    ("kling", "videos/identify-face", {}, "video_id or video_url is required"),
    ("kling", "videos/identify-face", {"video_id": "42"}, "video_id '42' does not exist"),
    ("kling", "videos/identify-face", {"video_url": "file:///v.mp4"}, "video_url must be"),
    # videos/advanced-lip-sync
    ("kling", "videos/advanced-lip-sync", {"face_choose": [FACE]}, "session_id is required"),
    ("kling", "videos/advanced-lip-sync", {"session_id": "s"}, "face_choose is required"),
    (
        "kling",
        "videos/advanced-lip-sync",
        {"session_id": "s", "face_choose": []},
        "face_choose must hold 1 to 10 items",
    ),
    (
        "kling",
        "videos/advanced-lip-sync",
        {"session_id": "s", "face_choose": [{"audio_id": "a", "sound_end_time": 10}]},
        "face_choose[0].face_id is required",
    ),
    (
        "kling",
        "videos/advanced-lip-sync",
        {"session_id": "s", "face_choose": [{"face_id": "0", "sound_end_time": 10}]},
        "face_choose[0].audio_id or face_choose[0].sound_file is required",
    ),
    (
        "kling",
        "videos/advanced-lip-sync",
        {"session_id": "s", "face_choose": [{**FACE, "sound_file": AUDIO}]},
        "give one, not both",
    ),
    (
        "kling",
        "videos/advanced-lip-sync",
        {"session_id": "s", "face_choose": [{"face_id": "0", "sound_file": "not audio!"}]},
        "face_choose[0].sound_file must be an http(s) URL or raw Base64 audio",
    ),
    (
        "kling",
        "videos/advanced-lip-sync",
        {"session_id": "s", "face_choose": [{"face_id": "0", "audio_id": "a"}]},
        "face_choose[0].sound_end_time is required",
    ),
    (
        "kling",
        "videos/advanced-lip-sync",
        {"session_id": "s", "face_choose": [{**FACE, "sound_start_time": 1000}]},
        "face_choose[0].sound_end_time (1000) must be after face_choose[0].sound_start_time",
    ),
    (
        "kling",
        "videos/advanced-lip-sync",
        {"session_id": "s", "face_choose": [{**FACE, "sound_volume": 3}]},
        "face_choose[0].sound_volume must be a number between 0 and 2",
    ),
    (
        "kling",
        "videos/advanced-lip-sync",
        {"session_id": "s", "face_choose": [FACE, {**FACE, "original_audio_volume": -1}]},
        "face_choose[1].original_audio_volume must be a number between 0 and 2",
    ),
    (
        "kling",
        "videos/advanced-lip-sync",
        {"session_id": "s", "face_choose": [FACE, FACE]},
        "face_choose[1].face_id '0' is chosen twice",
    ),
    (
        "kling",
        "videos/advanced-lip-sync",
        {"session_id": "nope", "face_choose": [FACE]},
        "session_id 'nope' does not exist",
    ),
]


@pytest.mark.parametrize(("provider", "path", "body", "words"), REFUSED)
def test_refused_with_1201_naming_the_field(
    sim: KlingSimulator, provider: str, path: str, body: dict, words: str
) -> None:
    with client_for(sim, provider) as client:
        refused(client.post(path, json=body), words)
    stats = sim.stats()
    assert stats.tasks_created == 0
    assert stats.in_flight == {"video": 0, "image": 0, "try-on": 0}


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"end_time": 5}, "start_time is required"),
        ({"start_time": 5}, "end_time is required"),
        ({"start_time": "yesterday", "end_time": 5}, "start_time must be an integer"),
        ({"start_time": 5, "end_time": 5}, "end_time (5) must be after start_time (5)"),
    ],
)
def test_account_costs_parameters(
    sim: KlingSimulator, http: httpx.Client, params: dict, words: str
) -> None:
    headers = {"Authorization": f"Bearer {make_token(sim)}"}
    refused(http.get(f"{sim.base_url}/account/costs", params=params, headers=headers), words)


def test_accepted_variants(sim: KlingSimulator, official: httpx.Client) -> None:
    reference = {"image": png_base64(), "prompt": "a", "model_name": "kling-v1-5"}
    accepted: list[tuple[str, dict[str, Any]]] = [
        ("images/generations", {**reference, "image_reference": "subject", "human_fidelity": 1}),
        (
            "images/generations",
            {"prompt": "a", "model_name": "kling-v2-new", "aspect_ratio": "21:9"},
        ),
        (
            "images/editing/expand",
            {"image": IMAGE, "left_expansion_ratio": 1, "right_expansion_ratio": 1},
        ),
        ("images/kolors-virtual-try-on", {"human_image": IMAGE, "cloth_image": IMAGE}),
        ("videos/effects", {"effect_scene": "expansion", "input": {"image": png_base64()}}),
        ("videos/effects", {"effect_scene": "kiss_pro", "input": TWO}),
    ]
    for path, body in accepted:
        ok(official.post(path, json=body))
    assert sim.stats().tasks_created == 6


# -- video extend -------------------------------------------------------------------------


def test_extend_an_extension(sim: KlingSimulator, official: httpx.Client) -> None:
    path = "videos/video-extend"
    source = make_video(sim, official, duration="10")
    first = finish(sim, official, path, create(official, path, {"video_id": source["id"]}))
    assert first["task_info"]["parent_video"] == source
    (middle,) = first["task_result"]["videos"]
    assert middle["duration"] == "14.542"

    second = finish(sim, official, path, create(official, path, {"video_id": middle["id"]}))
    assert second["task_info"]["parent_video"] == middle
    (last,) = second["task_result"]["videos"]
    assert last["duration"] == "19.042"
    assert last["id"] not in (source["id"], middle["id"])


def test_extend_chain_stops_at_three_minutes(sim: KlingSimulator, official: httpx.Client) -> None:
    video = make_video(sim, official, duration="10")  # 10.042 s
    extensions = 0
    while True:
        response = official.post("videos/video-extend", json={"video_id": video["id"]})
        if response.json()["code"] != 0:
            break
        sim.advance(3)
        task = query(official, "videos/video-extend", response.json()["data"]["task_id"])
        (video,) = task["task_result"]["videos"]
        extensions += 1
    refused(response, "extending it would pass the 180 s (3 minutes) limit")
    assert extensions == 37
    assert video["duration"] == "176.542"
    assert sim.stats().tasks_by_endpoint == {"text2video": 1, "video-extend": 37}


def test_extend_takes_the_source_model_and_mode(
    sim: KlingSimulator, official: httpx.Client
) -> None:
    source = make_video(sim, official, mode="pro", model_name="kling-v1-6")
    task_id = create(official, "videos/video-extend", {"video_id": int(source["id"])})
    assert finish(sim, official, "videos/video-extend", task_id)["final_unit_deduction"] == "3.5"
    extension = sim.tasks()[-1]
    assert (extension["model_name"], extension["units"]) == ("kling-v1-6", 3.5)


def test_extend_only_finished_videos_of_the_right_kind(
    sim: KlingSimulator, official: httpx.Client
) -> None:
    create(official, "videos/text2video", {"prompt": "a"})
    sim.advance(1)
    (video_id,) = sim.tasks()[0]["video_ids"]  # fixed at creation, shown once it succeeds
    refused(
        official.post("videos/video-extend", json={"video_id": video_id}),
        "is not ready yet (its task is processing)",
    )
    sim.advance(2)
    assert ok(official.post("videos/video-extend", json={"video_id": video_id}))

    images = [{"image": IMAGE}, {"image": IMAGE}]
    multi = make_video(sim, official, "videos/multi-image2video", image_list=images)
    synced = make_video(sim, official, "videos/lip-sync", **lip_sync_text(video_id))
    for other in (multi, synced):
        refused(
            official.post("videos/video-extend", json={"video_id": other["id"]}),
            "only videos made by text2video, image2video, video-extend can be extended",
        )


def test_failed_tasks_leave_no_video(sim: KlingSimulator, official: httpx.Client) -> None:
    task_id = create(official, "videos/text2video", {"prompt": "something forbidden"})
    sim.advance(3)
    assert query(official, "videos/text2video", task_id)["task_status"] == "failed"
    (video_id,) = sim.tasks()[0]["video_ids"]
    refused(official.post("videos/video-extend", json={"video_id": video_id}), "does not exist")


def test_videos_older_than_30_days_are_gone(sim: KlingSimulator, official: httpx.Client) -> None:
    video = make_video(sim, official)
    sim.advance(30 * DAY - 60)
    assert ok(official.post("videos/video-extend", json={"video_id": video["id"]}))
    sim.advance(120)
    for path, body in [
        ("videos/video-extend", {"video_id": video["id"]}),
        ("videos/lip-sync", lip_sync_text(video["id"])),
        ("videos/identify-face", {"video_id": video["id"]}),
    ]:
        refused(official.post(path, json=body), "is older than 30 days")


def test_extend_queries_by_external_id(sim: KlingSimulator, official: httpx.Client) -> None:
    video = make_video(sim, official)
    body = {"video_id": video["id"], "external_task_id": "ext-1"}
    task_id = create(official, "videos/video-extend", body)
    assert query(official, "videos/video-extend", "ext-1")["task_id"] == task_id


# -- lip-sync ------------------------------------------------------------------------------


def test_lip_sync_on_the_gateway_keeps_the_length(
    sim: KlingSimulator, gateway: httpx.Client
) -> None:
    source = make_video(sim, gateway, duration="10")
    body = {
        "input": {
            "mode": "audio2video",
            "video_id": source["id"],
            "audio_type": "url",
            "audio_url": "https://example.com/line.mp3",
        }
    }
    data = finish(sim, gateway, "videos/lip-sync", create(gateway, "videos/lip-sync", body))
    assert data["task_info"]["parent_video"] == source
    assert data["task_result"]["videos"][0]["duration"] == "10.042"
    assert data["final_unit_deduction"] == "1"
    with client_for(sim, "kling") as official:  # same account
        assert query(official, "videos/lip-sync", data["task_id"])["task_id"] == data["task_id"]


def test_lip_sync_by_url_and_audio_file(sim: KlingSimulator, official: httpx.Client) -> None:
    url = "https://example.com/talk.mp4"
    body = {
        "input": {
            "mode": "audio2video",
            "video_url": url,
            "audio_type": "file",
            "audio_file": AUDIO,
        }
    }
    data = finish(sim, official, "videos/lip-sync", create(official, "videos/lip-sync", body))
    assert data["task_info"]["parent_video"] == {"id": "", "url": url, "duration": "5.000"}
    assert data["final_unit_deduction"] == "0.5"


def test_lip_sync_text_goes_through_the_content_check(
    sim: KlingSimulator, official: httpx.Client
) -> None:
    video = make_video(sim, official)
    body = lip_sync_text(video["id"])
    body["input"]["text"] = "this will be refused"
    refused(official.post("videos/lip-sync", json=body), "content", 1301)


def test_lip_sync_is_not_queried_by_external_id(
    sim: KlingSimulator, official: httpx.Client
) -> None:
    video = make_video(sim, official)
    create(official, "videos/lip-sync", {**lip_sync_text(video["id"]), "external_task_id": "l-1"})
    refused(official.get("videos/lip-sync/l-1"), "does not exist", 1203, 404)


# -- identify-face and advanced lip-sync ----------------------------------------------------


def identify(client: httpx.Client, **body: Any) -> dict[str, Any]:
    return ok(client.post("videos/identify-face", json=body))


def test_identify_face_opens_a_session(
    sim: KlingSimulator, official: httpx.Client, http: httpx.Client
) -> None:
    video = make_video(sim, official)
    before = sim.stats()
    data = identify(official, video_id=video["id"])
    assert set(data) == {"session_id", "final_unit_deduction", "face_data"}
    assert data["final_unit_deduction"] == "0"
    faces = data["face_data"]
    assert [(face["face_id"], face["start_time"], face["end_time"]) for face in faces] == [
        ("0", 0, 5042),
        ("1", 2521, 5042),
    ]
    picture = http.get(faces[1]["face_image"])
    assert picture.status_code == 200 and picture.content[:4] == b"\x89PNG"
    assert http.get(faces[1]["face_image"].replace("/1.png", "/7.png")).status_code == 404

    after = sim.stats()
    assert (after.create_calls, after.tasks_created) == (before.create_calls, before.tasks_created)
    assert after.identify_face_calls == 1
    assert after.units_charged == before.units_charged


def test_advanced_lip_sync_runs_on_the_session_video(
    sim: KlingSimulator, official: httpx.Client
) -> None:
    video = make_video(sim, official, duration="10")
    session = identify(official, video_id=video["id"])["session_id"]
    body = {
        "session_id": session,
        "face_choose": [
            {
                "face_id": "1",
                "sound_file": AUDIO,
                "sound_start_time": 0,
                "sound_end_time": 3000,
                "sound_insert_time": 6000,
                "sound_volume": 1.5,
                "original_audio_volume": 0,
            },
            {"face_id": "0", "audio_id": "tts-1", "sound_end_time": 2000},
        ],
        "external_task_id": "adv-1",
    }
    path = "videos/advanced-lip-sync"
    data = finish(sim, official, path, create(official, path, body))
    assert data["task_info"] == {"external_task_id": "adv-1", "parent_video": video}
    assert data["task_result"]["videos"][0]["duration"] == "10.042"
    assert data["final_unit_deduction"] == "1"
    assert [task["task_id"] for task in ok(official.get(path))] == [data["task_id"]]


def test_advanced_lip_sync_checks_the_session(sim: KlingSimulator, official: httpx.Client) -> None:
    session = identify(official, video_url="https://example.com/v.mp4")["session_id"]

    def choose(**face: Any) -> httpx.Response:
        item = {**FACE, **face}
        return official.post(
            "videos/advanced-lip-sync", json={"session_id": session, "face_choose": [item]}
        )

    refused(choose(face_id="7"), f"face_choose[0].face_id '7' is not a face of session '{session}'")
    refused(choose(sound_insert_time=5000), "sound_insert_time 5000 is past the end of the video")
    sim.advance(DAY - 1)
    assert ok(choose())
    sim.advance(2)
    refused(choose(), "has expired (sessions last 24 hours)")
    assert sim.stats().tasks_created == 1


# -- effects -------------------------------------------------------------------------------


def test_dual_image_effect_makes_a_five_second_video(
    sim: KlingSimulator, official: httpx.Client
) -> None:
    body = {"effect_scene": "heart_gesture_pro", "input": TWO, "external_task_id": "fx-1"}
    task_id = create(official, "videos/effects", body)
    data = finish(sim, official, "videos/effects", "fx-1")
    assert data["task_id"] == task_id
    assert data["final_unit_deduction"] == "1"
    assert data["task_result"]["videos"][0]["duration"] == "5.042"
    (task,) = sim.tasks()
    assert (task["family"], task["ignored_fields"]) == ("video", [])


def test_effect_input_fields_the_page_does_not_document_are_ignored(
    sim: KlingSimulator, official: httpx.Client
) -> None:
    body = {"effect_scene": "pet_dance", "input": {"image": IMAGE, "mode": "pro", **TWO}}
    create(official, "videos/effects", body)
    assert sim.tasks()[0]["ignored_fields"] == ["input.images", "input.mode"]
    assert sim.tasks()[0]["units"] == 1


# -- image expand and try-on -----------------------------------------------------------------


def test_expand_and_try_on_results(
    sim: KlingSimulator, official: httpx.Client, http: httpx.Client
) -> None:
    expand = create(
        official, "images/editing/expand", {"image": IMAGE, "up_expansion_ratio": 2, "n": 2}
    )
    try_on = create(official, "images/kolors-virtual-try-on", {"human_image": IMAGE})
    assert sim.stats().in_flight == {"video": 0, "image": 2, "try-on": 1}
    expanded = finish(sim, official, "images/editing/expand", expand)
    dressed = query(official, "images/kolors-virtual-try-on", try_on)
    assert [image["index"] for image in expanded["task_result"]["images"]] == [0, 1]
    (image,) = dressed["task_result"]["images"]
    assert http.get(image["url"]).content[:4] == b"\x89PNG"
    assert sim.stats().units_by_family == {"image": 2, "try-on": 1}


def test_try_on_has_its_own_concurrency_pool(make_sim) -> None:
    sim = make_sim(concurrency={"try-on": 1})
    with client_for(sim, "cometapi") as client:
        ok(client.post("images/kolors-virtual-try-on", json={"human_image": IMAGE}))
        refused(
            client.post("images/kolors-virtual-try-on", json={"human_image": IMAGE}),
            "parallel task",
            1303,
            429,
        )
        ok(client.post("images/generations", json={"prompt": "a"}))


# -- account costs ---------------------------------------------------------------------------


def costs(client: httpx.Client, url: str, **params: Any) -> httpx.Response:
    return client.get(url, params={**EVER, **params})


def packs_by_type(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert data["code"] == 0
    return {pack["resource_pack_type"]: pack for pack in data["resource_pack_subscribe_infos"]}


def test_account_costs_follow_the_units_charged(make_sim) -> None:
    sim = make_sim(resource_pack_units=10)
    url = f"{sim.base_url}/account/costs"
    with client_for(sim, "kling") as client:
        packs = packs_by_type(ok(costs(client, url)))
        assert set(packs) == {"video", "image", "try-on"}
        video = packs["video"]
        assert (video["total_quantity"], video["remaining_quantity"]) == (10, 10)
        assert video["status"] == "online"
        assert video["effective_time"] < video["invalid_time"]

        create(client, "videos/text2video", {"prompt": "a", "mode": "pro"})  # 3.5
        create(client, "images/generations", {"prompt": "a", "n": 2})  # 2
        sim.advance(3)
        packs = packs_by_type(ok(costs(client, url)))
    assert {kind: pack["remaining_quantity"] for kind, pack in packs.items()} == {
        "video": 6.5,
        "image": 8,
        "try-on": 10,
    }
    stats = sim.stats()
    assert stats.units_by_family == {"video": 3.5, "image": 2}
    assert (stats.account_calls, stats.create_calls, stats.tasks_created) == (2, 2, 2)


def test_account_costs_answer_1302_within_a_second(make_sim) -> None:
    sim = make_sim(resource_pack_units=5)
    url = f"{sim.base_url}/account/costs"
    with client_for(sim, "kling") as client:
        ok(costs(client, url))
        refused(costs(client, url), "too fast", 1302, 429)
        sim.advance(0.5)
        refused(costs(client, url), "too fast", 1302, 429)
        sim.advance(0.6)  # a second after the last answered call
        ok(costs(client, url))
    stats = sim.stats()
    assert stats.account_calls == 4
    assert stats.answers_by_code == {0: 2, 1302: 2}
    assert (stats.create_calls, stats.tasks_created, stats.query_calls) == (0, 0, 0)


def test_gateway_account_costs_take_the_bearer_key(make_sim, http: httpx.Client) -> None:
    sim = make_sim(resource_pack_units={"video": 4})
    url = f"{sim.base_url}/kling/account/costs"
    with client_for(sim, "cometapi") as client:
        packs = packs_by_type(ok(costs(client, url)))
    assert list(packs) == ["video"]
    assert packs["video"]["remaining_quantity"] == 4
    response = costs(http, url)  # no key: the gateway's own error shape
    assert response.status_code == 401 and "error" in response.json()
    official = f"{sim.base_url}/account/costs"
    api_key = {"Authorization": f"Bearer {sim.config.api_key}"}  # Kling's API key: every API
    sim.advance(2)  # account/costs answers once a second
    assert packs_by_type(ok(http.get(official, params=EVER, headers=api_key)))["video"]
    wrong = http.get(official, params=EVER, headers={"Authorization": "Bearer sk-wrong"})
    assert wrong.status_code == 401 and wrong.json()["code"] == 1000


def test_account_costs_filter_by_window_and_name(make_sim) -> None:
    sim = make_sim(resource_pack_units=3)
    url = f"{sim.base_url}/account/costs"
    with client_for(sim, "kling") as client:
        video = packs_by_type(ok(costs(client, url)))["video"]
        sim.advance(1)
        name = video["resource_pack_name"]
        assert list(packs_by_type(ok(costs(client, url, resource_pack_name=name)))) == ["video"]
        sim.advance(1)
        before = {"start_time": 0, "end_time": video["effective_time"] - 1}
        assert ok(client.get(url, params=before))["resource_pack_subscribe_infos"] == []


def test_no_packs_when_units_are_unlimited(sim: KlingSimulator, official: httpx.Client) -> None:
    data = ok(costs(official, f"{sim.base_url}/account/costs"))
    assert data == {"code": 0, "msg": "success", "resource_pack_subscribe_infos": []}


def test_a_used_up_pack_runs_out_and_refuses_1102(make_sim) -> None:
    sim = make_sim(resource_pack_units={"video": 1})
    url = f"{sim.base_url}/account/costs"
    with client_for(sim, "kling") as client:
        create(client, "videos/text2video", {"prompt": "a"})
        refused(client.post("videos/text2video", json={"prompt": "a"}), "exhausted", 1102, 429)
        sim.advance(3)
        pack = packs_by_type(ok(costs(client, url)))["video"]
        assert (pack["remaining_quantity"], pack["status"]) == (0, "runOut")
        ok(client.post("images/generations", json={"prompt": "a"}))  # no image pack: unlimited


def test_an_expired_pack_refuses_1102(make_sim) -> None:
    sim = make_sim(resource_pack_units=100)
    url = f"{sim.base_url}/account/costs"
    with client_for(sim, "kling") as client:
        sim.advance(366 * DAY)
        packs = packs_by_type(ok(costs(client, url)))
        assert {pack["status"] for pack in packs.values()} == {"expired"}
        refused(client.post("videos/text2video", json={"prompt": "a"}), "expired", 1102, 429)


def test_pack_settings_are_checked(make_sim) -> None:
    with pytest.raises(ValueError, match="unknown resource pack families"):
        make_sim(resource_pack_units={"audio": 3})
    with pytest.raises(ValueError, match="numbers >= 0"):
        make_sim(resource_pack_units=-1)
    sim = make_sim(resource_pack_units={"image": 2.5})
    assert sim.config.pack_limits == {"image": 2.5}


@pytest.mark.parametrize(
    "module",
    ["prefect_kling.simulator.edits", "prefect_kling.simulator.packs"],
)
def test_docstring_examples_of_the_new_modules(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
