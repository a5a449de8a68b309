"""Every rule of the newer standard's rows: one request accepted, its twin refused, nothing sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from prefect_kling import KlingCredentials
from prefect_kling.exceptions import KlingValidationError

A, B, C = (f"https://img.test/{name}.png" for name in "abc")
VIDEO = "https://cdn.test/motion.mp4"

RULES: list[tuple[str, str, dict[str, Any], dict[str, Any], str, str]] = [
    # (rule, endpoint, accepted, refused: the changes, field, words of the refusal)
    (
        "3.0 Turbo to 15 s",
        "text2video",
        {"model_name": "kling-3.0-turbo", "duration": 15},
        {"duration": 20},
        "duration",
        "at most 15",
    ),
    (
        "3.0 Turbo no 4k",
        "text2video",
        {"model_name": "kling-3.0-turbo", "resolution": "1080p"},
        {"resolution": "4k"},
        "resolution",
        "'720p', '1080p'",
    ),
    (
        "3.0 takes 4k",
        "text2video",
        {"model_name": "kling-3.0", "resolution": "4k"},
        {"model_name": "kling-2.6"},
        "resolution",
        "'720p', '1080p'",
    ),
    (
        "2.5 Turbo 5 or 10 s",
        "text2video",
        {"model_name": "kling-2.5-turbo", "duration": 10},
        {"duration": 7},
        "duration",
        "'5', '10'",
    ),
    (
        "2.6 native audio at 1080p",
        "text2video",
        {"model_name": "kling-2.6", "audio": "native", "resolution": "1080p"},
        {"resolution": "720p"},
        "audio",
        "'off'",
    ),
    (
        "audio on 3.0 and 2.6 only",
        "text2video",
        {"model_name": "kling-3.0", "audio": "native"},
        {"model_name": "kling-2.5-turbo"},
        "audio",
        "only with model_name",
    ),
    (
        "no original sound without a video",
        "text2video",
        {"model_name": "kling-3.0", "audio": "off"},
        {"audio": "original"},
        "audio",
        "'native', 'off'",
    ),
    (
        "multi-shot on 3.0",
        "text2video",
        {"model_name": "kling-3.0", "multi_shot": False},
        {"model_name": "kling-3.0-turbo"},
        "multi_shot",
        "only with model_name",
    ),
    (
        "prompt of 2,500 on 2.6",
        "text2video",
        {"model_name": "kling-2.6", "prompt": "x" * 2500},
        {"prompt": "x" * 2501},
        "prompt",
        "at most 2500",
    ),
    (
        "prompt of 3,072 on 3.0",
        "text2video",
        {"model_name": "kling-3.0", "prompt": "x" * 3072},
        {"prompt": "x" * 3073},
        "prompt",
        "at most 3072",
    ),
    (
        "last frame needs a first",
        "image2video",
        {"model_name": "kling-3.0", "image": A, "image_tail": B},
        {"image": None},
        "last_frame",
        "without first_frame",
    ),
    (
        "no last frame on 3.0 Turbo",
        "image2video",
        {"model_name": "kling-3.0", "image": A, "image_tail": B},
        {"model_name": "kling-3.0-turbo"},
        "last_frame",
        "other than 'kling-3.0-turbo'",
    ),
    (
        "2.5 Turbo frames at 1080p",
        "image2video",
        {"model_name": "kling-2.5-turbo", "image": A, "image_tail": B, "resolution": "1080p"},
        {"resolution": "720p"},
        "resolution",
        "'1080p'",
    ),
    (
        "2.6 frames silent",
        "image2video",
        {"model_name": "kling-2.6", "image": A, "image_tail": B, "resolution": "1080p"},
        {"audio": "native"},
        "audio",
        "'off'",
    ),
    (
        "at most 3 elements",
        "image2video",
        {"model_name": "kling-3.0", "image": A, "elements": ["1", "2", "3"]},
        {"elements": ["1", "2", "3", "4"]},
        "elements",
        "1 to 3 items",
    ),
    (
        "elements on 3.0",
        "image2video",
        {"model_name": "kling-3.0", "image": A, "elements": ["1"]},
        {"model_name": "kling-2.6"},
        "elements",
        "only with model_name",
    ),
    (
        "at most 2 voices",
        "image2video",
        {
            "model_name": "kling-2.6",
            "image": A,
            "voices": ["1", "2"],
            "audio": "native",
            "resolution": "1080p",
        },
        {"voices": ["1", "2", "3"]},
        "voices",
        "1 to 2 items",
    ),
    (
        "a voice needs audio on",
        "image2video",
        {
            "model_name": "kling-2.6",
            "image": A,
            "voices": ["1"],
            "audio": "native",
            "resolution": "1080p",
        },
        {"audio": None, "resolution": None},
        "voices",
        "other than 'off'",
    ),
    (
        "omni: 7 references",
        "omni-video",
        {"reference_images": [A] * 7},
        {"reference_images": [A] * 8},
        "reference_images",
        "at most 7",
    ),
    (
        "omni: 4 references with a video",
        "omni-video",
        {"reference_images": [A] * 4, "feature_video": VIDEO},
        {"reference_images": [A] * 5},
        "reference_images",
        "at most 4",
    ),
    (
        "omni: one reference video",
        "omni-video",
        {"feature_video": VIDEO},
        {"base_video": VIDEO},
        "base_video",
        "one reference video",
    ),
    (
        "omni: no frames on a base video",
        "omni-video",
        {"base_video": VIDEO},
        {"first_frame": A},
        "first_frame",
        "base_video",
    ),
    (
        "omni: a feature video is silent",
        "omni-video",
        {"feature_video": VIDEO, "audio": "off"},
        {"audio": "native"},
        "audio",
        "'off'",
    ),
    (
        "O1 to 10 s",
        "omni-video",
        {"model_name": "kling-o1", "duration": 10},
        {"duration": 12},
        "duration",
        "'10'",
    ),
    (
        "O1 first frame alone: 5 or 10 s",
        "omni-video",
        {"model_name": "kling-o1", "first_frame": A, "reference_images": [B], "duration": 7},
        {"reference_images": None},
        "duration",
        "'5', '10'",
    ),
    (
        "O1 no native audio",
        "omni-video",
        {"model_name": "kling-o1", "audio": "original", "base_video": VIDEO},
        {"audio": "native", "base_video": None},
        "audio",
        "'original', 'off'",
    ),
    (
        "O1 frames without references",
        "omni-video",
        {"model_name": "kling-o1", "first_frame": A, "last_frame": B, "duration": 5},
        {"reference_images": [C]},
        "reference_images",
        "cannot be combined with last_frame",
    ),
    (
        "3.0 Omni takes 4k",
        "omni-video",
        {"model_name": "kling-3.0-omni", "resolution": "4k"},
        {"model_name": "kling-o1"},
        "resolution",
        "'720p', '1080p'",
    ),
    (
        "motion: one element on 3.0",
        "motion-control",
        {"elements": ["1"]},
        {"model_name": "kling-2.6"},
        "elements",
        "only with model_name",
    ),
    (
        "motion: no 4k",
        "motion-control",
        {"resolution": "1080p"},
        {"resolution": "4k"},
        "resolution",
        "'720p', '1080p'",
    ),
    (
        "motion: an orientation",
        "motion-control",
        {"character_orientation": "image"},
        {"character_orientation": None},
        "character_orientation",
        "required",
    ),
]

BASES = {
    "text2video": {"prompt": "a kite over the dunes"},
    "image2video": {"prompt": "it moves"},
    "omni-video": {"prompt": "@image_1 walks"},
    "motion-control": {"image": A, "video": VIDEO, "character_orientation": "video"},
}


def sending_nothing() -> tuple[Any, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    credentials = KlingCredentials(api_key="rules-key")
    client = credentials.get_client(transport=httpx.MockTransport(record), sleep=lambda s: None)
    return client, sent


def request(endpoint: str, *changes: dict[str, Any]) -> dict[str, Any]:
    fields = dict(BASES[endpoint])
    for change in changes:
        fields.update(change)
    return {name: value for name, value in fields.items() if value is not None}


@pytest.mark.parametrize(
    ("rule", "endpoint", "accepted", "refused", "field", "words"),
    RULES,
    ids=[rule[0] for rule in RULES],
)
def test_each_rule_accepts_one_request_and_refuses_its_twin(
    rule, endpoint, accepted, refused, field, words
):
    client, sent = sending_nothing()
    with client:
        client.prepare_create(endpoint, request(endpoint, accepted))
        with pytest.raises(KlingValidationError) as caught:
            client.create(endpoint, request(endpoint, accepted, refused))
    assert field in caught.value.fields, caught.value
    problem = next(problem for problem in caught.value.problems if problem.field == field)
    assert words in problem.message, problem.message
    assert sent == []
