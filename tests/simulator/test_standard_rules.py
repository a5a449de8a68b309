"""Every rule of a newer-standard create: one body accepted, one refused (400/1201) naming it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from prefect_kling.simulator import KlingSimulator

from .standard_helpers import (
    CATALOG,
    FEATURE,
    I2V3,
    I2V25,
    I2V26,
    I2VT,
    MC3,
    MC26,
    MOTION_VIDEO,
    O1,
    OMNI,
    T2V3,
    T2V25,
    T2V26,
    T2VT,
    VOICED,
    A,
    Case,
    api_client,
    body,
    create,
    data_of,
    element,
    frame,
    motion,
    multi,
    one,
    prompt,
    refusal,
    voice,
    with_options,
)

CASES = [
    # The body's own shape.
    Case("no model_name", T2V3, A, {**A, "model_name": "kling-v3"}, "model_name is not a field"),
    Case("no negative_prompt", T2V3, A, {**A, "negative_prompt": "blur"}, "negative_prompt"),
    Case(
        "no camera_control", T2V3, A, {**A, "camera_control": {"type": "simple"}}, "camera_control"
    ),
    Case("prompt required", T2V3, A, {"settings": {"duration": 5}}, "prompt is required"),
    Case("settings an object", T2V3, A, {**A, "settings": "fast"}, "settings must be an object"),
    Case("contents a list", I2V3, body(frame()), {"contents": frame()}, "contents is required"),
    Case(
        "known part types",
        I2V3,
        body(frame()),
        body(frame(), {"type": "audio"}),
        "contents[1].type",
    ),
    Case(
        "one prompt",
        I2V3,
        body(prompt(), frame()),
        body(prompt(), prompt(), frame()),
        "at most one prompt",
    ),
    Case(
        "ids unique",
        I2V3,
        body(frame(), element("m1", "a"), element("m2", "b")),
        body(frame(), element("m1", "a"), element("m2", "a")),
        "id 'a' is already used",
    ),
    Case(
        "element fields",
        I2V3,
        body(frame(), element("m1")),
        body(frame(), {"type": "element", "element_id": "m1"}),
        "contents[1].id is required",
    ),
    Case(
        "image not a data URL",
        I2V3,
        body(frame()),
        body(frame(url="data:image/png;base64,AA")),
        "without a 'data:",
    ),
    Case(
        "image URL or Base64", I2V3, body(frame()), body(frame(url="not base64!")), "valid Base64"
    ),
    Case(
        "videos by URL",
        OMNI,
        body(prompt(), FEATURE),
        body(prompt(), {"type": "feature_video", "url": "AAAA"}),
        "must be an http(s) URL",
    ),
    # Prompt lengths.
    Case("3.0 prompt 3072", T2V3, {"prompt": "x" * 3072}, {"prompt": "x" * 3073}, "at most 3072"),
    Case("turbo prompt 3072", T2VT, {"prompt": "x" * 3072}, {"prompt": "x" * 3073}, "at most 3072"),
    Case("2.6 prompt 2500", T2V26, {"prompt": "x" * 2500}, {"prompt": "x" * 2501}, "at most 2500"),
    Case(
        "turbo i2v prompt 2500",
        I2VT,
        body(prompt("x" * 2500), frame()),
        body(prompt("x" * 2501), frame()),
        "contents[0].text is too long",
    ),
    Case(
        "3.0 i2v prompt 3072",
        I2V3,
        body(prompt("x" * 3072), frame()),
        body(prompt("x" * 3073), frame()),
        "at most 3072",
    ),
    Case("o1 prompt 2500", O1, body(prompt("x" * 2500)), body(prompt("x" * 2501)), "at most 2500"),
    Case(
        "motion prompt 2500",
        MC26,
        motion(prompt("x" * 2500), frame("image"), MOTION_VIDEO),
        motion(prompt("x" * 2501), frame("image"), MOTION_VIDEO),
        "at most 2500",
    ),
    # Durations, resolutions, aspect ratios.
    Case(
        "3.0 up to 15 s",
        T2V3,
        body(text="a", duration=15),
        body(text="a", duration=16),
        "settings.duration must be an integer from 3 to 15",
    ),
    Case(
        "turbo from 3 s",
        T2VT,
        body(text="a", duration=3),
        body(text="a", duration=2),
        "from 3 to 15",
    ),
    Case(
        "duration an integer",
        T2V3,
        body(text="a", duration=5),
        body(text="a", duration="5"),
        "settings.duration",
    ),
    Case(
        "2.6 5 or 10 s", T2V26, body(text="a", duration=10), body(text="a", duration=7), "5 or 10"
    ),
    Case("2.5 5 or 10 s", I2V25, body(frame(), duration=10), body(frame(), duration=3), "5 or 10"),
    Case(
        "o1 up to 10 s",
        O1,
        body(prompt(), duration=10),
        body(prompt(), duration=11),
        "from 3 to 10",
    ),
    Case(
        "4k on 3.0 not turbo",
        T2V3,
        body(text="a", resolution="4k"),
        body(text="a", resolution="4k"),
        "settings.resolution must be one of '720p', '1080p'",
        bad_path=T2VT,
    ),
    Case(
        "4k on omni not o1",
        OMNI,
        body(prompt(), resolution="4k"),
        body(prompt(), resolution="4k"),
        "settings.resolution",
        bad_path=O1,
    ),
    Case(
        "no 4k on motion",
        MC3,
        motion(frame("image"), MOTION_VIDEO, resolution="1080p"),
        motion(frame("image"), MOTION_VIDEO, resolution="4k"),
        "settings.resolution",
    ),
    Case(
        "aspect ratios",
        T2V3,
        body(text="a", aspect_ratio="9:16"),
        body(text="a", aspect_ratio="3:4"),
        "settings.aspect_ratio",
    ),
    Case(
        "i2v takes no ratio",
        I2V3,
        body(frame()),
        body(frame(), aspect_ratio="16:9"),
        "settings.aspect_ratio is not supported",
    ),
    # Audio, multi-shot, voices.
    Case(
        "2.5 has no audio", T2V25, A, body(text="a", audio="off"), "settings.audio is not supported"
    ),
    Case(
        "o1 has no native audio",
        O1,
        body(prompt(), audio="original"),
        body(prompt(), audio="native"),
        "settings.audio must be one of 'original', 'off'",
    ),
    Case(
        "multi-shot where taken",
        T2V3,
        body(text="a", multi_shot=False),
        body(text="a", multi_shot=False),
        "settings.multi_shot is not supported",
        bad_path=T2V26,
    ),
    Case(
        "multi-shot a boolean",
        T2V3,
        body(text="a", multi_shot=True),
        body(text="a", multi_shot="yes"),
        "true or false",
    ),
    Case(
        "2.6 native audio at 1080p",
        T2V26,
        body(text="a", **VOICED),
        body(text="a", audio="native"),
        "'1080p' with settings.audio 'native'",
    ),
    Case(
        "two voices at most",
        I2V26,
        body(frame(), voice("v1"), voice("v2"), **VOICED),
        body(frame(), voice("v1"), voice("v2"), voice("v3"), **VOICED),
        "at most 2 voices",
    ),
    Case(
        "a voice needs audio",
        I2V26,
        body(frame(), voice("v1"), **VOICED),
        body(frame(), voice("v1"), resolution="1080p"),
        "settings.audio cannot be 'off'",
    ),
    Case(
        "known voices",
        I2V26,
        body(frame(), voice("v1"), **VOICED),
        body(frame(), voice("v9"), **VOICED),
        "voice_id 'v9' does not exist",
    ),
    Case(
        "known elements",
        I2V3,
        body(frame(), element("m1")),
        body(frame(), element("zz")),
        "element_id 'zz' does not exist",
    ),
    # Frames.
    Case("i2v needs a first frame", I2V26, body(frame()), body(prompt()), "needs a first_frame"),
    Case(
        "no last frame alone",
        I2V3,
        body(frame(), frame("last_frame")),
        body(prompt(), frame("last_frame")),
        "a last_frame needs a first_frame",
    ),
    Case(
        "omni: no last frame alone",
        OMNI,
        body(prompt(), frame(), frame("last_frame")),
        body(prompt(), frame("last_frame")),
        "a last_frame needs a first_frame",
    ),
    Case(
        "turbo: first frame only",
        I2VT,
        body(frame()),
        body(frame(), frame("last_frame")),
        "contents[1].type must be one of 'prompt', 'first_frame'",
    ),
    Case(
        "2.6 first+last at 1080p",
        I2V26,
        body(frame(), frame("last_frame"), resolution="1080p"),
        body(frame(), frame("last_frame")),
        "'1080p' with a first_frame and a last_frame",
    ),
    Case(
        "2.5 first+last at 1080p",
        I2V25,
        body(frame(), frame("last_frame"), resolution="1080p"),
        body(frame(), frame("last_frame")),
        "'1080p' with a first_frame and a last_frame",
    ),
    Case(
        "3.0 i2v 3 elements",
        I2V3,
        body(frame(), *multi(3)),
        body(frame(), *multi(4)),
        "at most 3 element",
    ),
    # Options.
    Case(
        "callback URL",
        T2V3,
        with_options(callback_url="https://example.com/cb"),
        with_options(callback_url="ftp://example.com/cb"),
        "options.callback_url",
    ),
    Case(
        "external id a string",
        T2V3,
        with_options(external_task_id=""),
        with_options(external_task_id=42),
        "options.external_task_id",
    ),
    Case(
        "watermark info",
        T2V3,
        with_options(watermark_info={"enabled": True}),
        with_options(watermark_info={"enabled": "yes"}),
        "options.watermark_info",
    ),
]


@pytest.fixture
def kling(sim: KlingSimulator) -> Iterator[httpx.Client]:
    """A client with the API key, on a simulator whose catalog has both kinds of element."""
    sim._state.catalog = CATALOG
    with api_client(sim) as client:
        yield client


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_rule_accepts_and_refuses(
    sim: KlingSimulator, kling: httpx.Client, case: Case
) -> None:
    data_of(kling.post(case.path, json=case.good))
    message = refusal(kling.post(case.bad_path or case.path, json=case.bad))
    assert case.words in message, message
    assert sim.stats().tasks_created == 1  # the refusal made nothing


def test_videos_of_the_account_are_read_at_their_length(
    sim: KlingSimulator, kling: httpx.Client
) -> None:
    source = create(kling, T2V3, body(text="a long shot", duration=15))["id"]
    url = f"{sim.base_url}/_simulator/files/{source}/0.mp4"
    reference = {"type": "feature_video", "url": url}
    assert "cannot be read" in refusal(kling.post(OMNI, json=body(prompt(), reference)))
    sim.advance(3)
    edited = create(kling, OMNI, body(prompt(), reference, duration=5))["id"]
    assert "lasts 15.042 s" in refusal(kling.post(O1, json=body(prompt(), reference)))
    moved = create(kling, MC3, motion(frame("image"), {"type": "video", "url": url}))["id"]
    sim.advance(3)
    edit, move = one(kling, edited), one(kling, moved)
    assert edit["billing"][0]["amount"] == "4.5"  # with a video input: 0.9 a second at 720p
    assert move["outputs"][0]["duration"] == "15.042"
    assert move["billing"][0]["amount"] == "13.5"  # motion control: 0.9 x 15 s


def test_fields_the_newer_standard_does_not_know_are_ignored_and_listed(
    sim: KlingSimulator, kling: httpx.Client
) -> None:
    payload = {
        **body({**frame(), "note": "x"}, duration=5),
        "mode": "pro",
        "options": {"priority": "high"},
    }
    data_of(kling.post(I2V3, json=payload))
    (task,) = sim.tasks()
    assert task["ignored_fields"] == ["contents[0].note", "mode", "options.priority"]
    assert task["model_name"] == "kling-3.0"
