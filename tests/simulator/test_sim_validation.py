"""Create-time validation: 1201 (and 1203, 1200) for what Kling refuses; nothing created."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from prefect_kling.simulator import KlingSimulator
from prefect_kling.simulator.orders import Context, Invalid
from prefect_kling.simulator.validation import validate_text2video

from .conftest import client_for, png_base64

IMAGE = "https://example.com/cat.png"
CAMERA = {"type": "simple", "config": {"horizontal": 0, "zoom": 5}}

# (provider, path, body, expected words in the message)
REFUSED: list[tuple[str, str, dict[str, Any], str]] = [
    ("kling", "videos/text2video", {}, "prompt is required"),
    ("kling", "videos/text2video", {"prompt": ""}, "prompt is required"),
    ("kling", "videos/text2video", {"prompt": "x" * 2501}, "prompt is too long"),
    ("cometapi", "videos/text2video", {"prompt": "x" * 501}, "at most 500"),
    ("cometapi", "videos/text2video", {"prompt": "a", "negative_prompt": "x" * 201}, "negative"),
    ("kling", "videos/text2video", {"prompt": "a", "mode": "ultra"}, "mode must be one of"),
    ("kling", "videos/text2video", {"prompt": "a", "duration": "7"}, "duration"),
    ("kling", "videos/text2video", {"prompt": "a", "aspect_ratio": "4:3"}, "aspect_ratio"),
    ("kling", "videos/text2video", {"prompt": "a", "cfg_scale": 1.5}, "cfg_scale"),
    ("kling", "videos/text2video", {"prompt": "a", "cfg_scale": "0.5"}, "cfg_scale"),
    (
        "kling",
        "videos/text2video",
        {"prompt": "a", "model_name": "kling-v2-master", "cfg_scale": 0.5},
        "cfg_scale is not supported",
    ),
    ("kling", "videos/text2video", {"prompt": "a", "model_name": "kling-v2"}, "model_name"),
    (
        "kling",
        "videos/text2video",
        {"prompt": "a", "camera_control": CAMERA, "mode": "pro"},
        "camera_control is only supported in std mode with 5s duration and kling-v1",
    ),
    (
        "kling",
        "videos/text2video",
        {"prompt": "a", "camera_control": CAMERA, "model_name": "kling-v1-6"},
        "camera_control is only supported",
    ),
    (
        "kling",
        "videos/text2video",
        {"prompt": "a", "camera_control": {"type": "simple", "config": {"zoom": 5, "pan": 1}}},
        "exactly one non-zero",
    ),
    (
        "kling",
        "videos/text2video",
        {"prompt": "a", "camera_control": {"type": "simple", "config": {"zoom": 11}}},
        "between -10 and 10",
    ),
    (
        "kling",
        "videos/text2video",
        {"prompt": "a", "camera_control": {"type": "down_back", "config": {"zoom": 1}}},
        "must be empty",
    ),
    ("kling", "videos/text2video", {"prompt": "a", "callback_url": "ftp://x"}, "callback_url"),
    ("kling", "videos/text2video", {"prompt": "a", "external_task_id": 5}, "external_task_id"),
    ("kling", "videos/image2video", {"prompt": "a"}, "image or image_tail is required"),
    (
        "kling",
        "videos/image2video",
        {"image": IMAGE, "image_tail": IMAGE, "camera_control": {"type": "down_back"}},
        "image_tail and camera_control cannot be used together",
    ),
    (
        "kling",
        "videos/image2video",
        {"image": IMAGE, "static_mask": IMAGE, "camera_control": {"type": "forward_up"}},
        "cannot be used together",
    ),
    (
        "kling",
        "videos/image2video",
        {"image": IMAGE, "image_tail": IMAGE, "duration": "10"},
        "only supported with 5s duration",
    ),
    (
        "kling",
        "videos/image2video",
        {"image": IMAGE, "dynamic_masks": [{"mask": IMAGE, "trajectories": []}] * 7},
        "1 to 6 groups",
    ),
    (
        "kling",
        "videos/image2video",
        {"image": IMAGE, "dynamic_masks": [{"mask": IMAGE, "trajectories": [{"x": 1, "y": 1}]}]},
        "2 to 77 points",
    ),
    (
        "kling",
        "videos/image2video",
        {"image": "data:image/png;base64," + png_base64()},
        "without a 'data:",
    ),
    ("kling", "videos/image2video", {"image": "example"}, "neither an http(s) URL nor valid"),
    (
        "kling",
        "videos/multi-image2video",
        {"prompt": "a", "image_list": [{"image": IMAGE}] * 5},
        "image_list must hold 1 to 4",
    ),
    (
        "cometapi",
        "videos/multi-image2video",
        {"prompt": "a", "image_list": [{"image": IMAGE}]},
        "image_list must hold 2 to 4",
    ),
    (
        "kling",
        "videos/multi-image2video",
        {"prompt": "a", "image_list": [{"img": IMAGE}]},
        "image_list[0].image is required",
    ),
    (
        "kling",
        "images/multi-image2image",
        {"subject_image_list": [{"subject_image": IMAGE}], "n": 10},
        "n must be an integer between 1 and 9",
    ),
    (
        "cometapi",
        "images/generations",
        {"subject_image_list": [{"subject_image": IMAGE}], "prompt": "a"},
        "subject_image_list must hold 2 to 4",
    ),
    (
        "kling",
        "images/generations",
        {"prompt": "a", "image": IMAGE, "negative_prompt": "b"},
        "negative_prompt is not supported when image is set",
    ),
    (
        "kling",
        "images/generations",
        {"prompt": "a", "image": IMAGE, "image_reference": "face"},
        "kling-v1-5",
    ),
]


@pytest.mark.parametrize(("provider", "path", "body", "words"), REFUSED)
def test_refused_with_1201(
    sim: KlingSimulator, provider: str, path: str, body: dict, words: str
) -> None:
    with client_for(sim, provider) as client:
        response = client.post(path, json=body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["code"] == 1201
    assert words in answer["message"]
    assert "data" not in answer
    assert sim.stats().tasks_created == 0


def test_unknown_model_is_1203(official: httpx.Client, sim: KlingSimulator) -> None:
    response = official.post("videos/text2video", json={"prompt": "a", "model_name": "kling-v9"})
    assert response.status_code == 404
    assert response.json()["code"] == 1203
    assert "kling-v9" in response.json()["message"]


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b""])
def test_body_must_be_a_json_object(official: httpx.Client, content: bytes) -> None:
    response = official.post(
        "videos/text2video", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == 1200


ACCEPTED: list[tuple[str, str, dict[str, Any]]] = [
    ("kling", "videos/text2video", {"prompt": "a", "camera_control": CAMERA}),
    ("kling", "videos/text2video", {"prompt": "a", "duration": 10, "mode": "pro"}),
    ("cometapi", "videos/text2video", {"prompt": "x" * 500, "aspect_ratio": "4:3"}),
    ("kling", "videos/image2video", {"image_tail": IMAGE, "image": "", "negative_prompt": ""}),
    (
        "kling",
        "videos/image2video",
        {
            "image": png_base64(),
            "dynamic_masks": [
                {"mask": IMAGE, "trajectories": [{"x": 1, "y": 2}, {"x": 3, "y": 4}]}
            ],
        },
    ),
    ("kling", "videos/multi-image2video", {"prompt": "a", "image_list": [{"image": IMAGE}]}),
    ("kling", "images/multi-image2image", {"subject_image_list": [{"subject_image": IMAGE}]}),
    ("kling", "images/generations", {"prompt": "a", "n": 5, "resolution": "2k"}),
]


@pytest.mark.parametrize(("provider", "path", "body"), ACCEPTED)
def test_accepted(sim: KlingSimulator, provider: str, path: str, body: dict) -> None:
    with client_for(sim, provider) as client:
        response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["task_status"] == "submitted"


def test_unknown_fields_are_ignored_but_recorded(
    sim: KlingSimulator, gateway: httpx.Client
) -> None:
    # The gateway spells it "scence_image"; the official spelling is silently ignored there.
    body = {
        "subject_image_list": [{"subject_image": IMAGE}, {"subject_image": IMAGE}],
        "scene_image": IMAGE,
        "model": "kling-v2-1",
    }
    assert gateway.post("images/generations", json=body).status_code == 200
    (task,) = sim.tasks()
    assert task["endpoint"] == "multi-image2image"
    assert task["ignored_fields"] == ["model", "scene_image"]
    assert task["model_name"] == "kling-v2"


def test_undersized_image_fails_the_task_later(sim: KlingSimulator, official: httpx.Client) -> None:
    body = {"image": png_base64(100, 100), "prompt": "a"}
    task_id = official.post("videos/image2video", json=body).json()["data"]["task_id"]
    sim.advance(5)
    data = official.get(f"videos/image2video/{task_id}").json()["data"]
    assert data["task_status"] == "failed"
    assert data["task_status_msg"] == "Image pixel is invalid"
    assert data["final_unit_deduction"] == "0"


def test_validators_work_without_a_server() -> None:
    ctx = Context(provider="kling", prompt_max=10, negative_max=10)
    assert validate_text2video({"prompt": "short"}, ctx).model_name == "kling-v1"
    with pytest.raises(Invalid, match="too long"):
        validate_text2video({"prompt": "far too long"}, ctx)
