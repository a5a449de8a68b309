"""Rules of references on the newer standard: omni-video's and kling-o1's, motion control's."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from prefect_kling.simulator import KlingSimulator

from .standard_helpers import (
    BASE,
    CATALOG,
    FEATURE,
    MC3,
    MC26,
    MOTION_VIDEO,
    O1,
    OMNI,
    Case,
    api_client,
    body,
    chars,
    check_case,
    element,
    frame,
    motion,
    multi,
    prompt,
    refer,
    refers,
    video,
)

CASES = [
    # kling-3.0-omni.
    Case(
        "one reference video",
        OMNI,
        body(prompt(), FEATURE),
        body(prompt(), FEATURE, BASE),
        "at most one reference video",
    ),
    Case(
        "feature video: audio off",
        OMNI,
        body(prompt(), FEATURE),
        body(prompt(), FEATURE, audio="native"),
        "settings.audio must be 'off' with a feature_video",
    ),
    Case(
        "feature video: multi-shot",
        OMNI,
        body(prompt(), FEATURE, multi_shot=True),
        body(prompt(), FEATURE, multi_shot=False),
        "multi_shot can only be true",
    ),
    Case(
        "base video: no frames",
        OMNI,
        body(prompt(), BASE, audio="original"),
        body(prompt(), frame(), BASE),
        "takes no frames",
    ),
    Case(
        "base video: no native audio",
        OMNI,
        body(prompt(), BASE),
        body(prompt(), BASE, audio="native"),
        "cannot be 'native' with a base_video",
    ),
    Case(
        "base video: one shot",
        OMNI,
        body(prompt(), BASE, multi_shot=False),
        body(prompt(), BASE, multi_shot=True),
        "multi_shot cannot be true",
    ),
    Case(
        "omni 7 refer images",
        OMNI,
        body(prompt(), *refers(7)),
        body(prompt(), *refers(8)),
        "at most 7 without a reference video",
    ),
    Case(
        "omni images + elements 7",
        OMNI,
        body(prompt(), *refers(4), *multi(3)),
        body(prompt(), *refers(4), *multi(4)),
        "at most 7",
    ),
    Case(
        "omni 4 with a video",
        OMNI,
        body(prompt(), FEATURE, *refers(2), *multi(2)),
        body(prompt(), FEATURE, *refers(3), *multi(2)),
        "at most 4 with a reference video",
    ),
    Case(
        "omni 3 video characters",
        OMNI,
        body(prompt(), *chars(3)),
        body(prompt(), *chars(4)),
        "at most 3 video character",
    ),
    Case(
        "omni both kinds: 4 images",
        OMNI,
        body(prompt(), *chars(1), *multi(2), *refers(2)),
        body(prompt(), *chars(1), *multi(2), *refers(3)),
        "at most 4 without a reference video",
    ),
    Case(
        "omni video: character or refer",
        OMNI,
        body(prompt(), FEATURE, *chars(1)),
        body(prompt(), FEATURE, *chars(1), refer(0)),
        "not supported together",
    ),
    Case(
        "omni video: character or multi",
        OMNI,
        body(prompt(), FEATURE, *chars(1)),
        body(prompt(), FEATURE, *chars(1), *multi(1)),
        "not supported together",
    ),
    Case(
        "omni video: one character",
        OMNI,
        body(prompt(), FEATURE, *chars(1)),
        body(prompt(), FEATURE, *chars(2)),
        "at most one video character element",
    ),
    Case(
        "omni first frame: 3 elements",
        OMNI,
        body(prompt(), frame(), *multi(3)),
        body(prompt(), frame(), *multi(4)),
        "at most 3 elements with a first frame",
    ),
    Case(
        "omni video 3 to 15.5 s",
        OMNI,
        body(prompt(), video("feature_video", 15.5)),
        body(prompt(), video("feature_video", 16)),
        "must last 3 to 15.5 seconds",
    ),
    Case(
        "omni video from 3 s",
        OMNI,
        body(prompt(), video("base_video", 3)),
        body(prompt(), video("base_video", 2.9)),
        "must last 3 to 15.5 seconds",
    ),
    # kling-o1.
    Case(
        "o1 multi-image elements only",
        O1,
        body(prompt(), *multi(1)),
        body(prompt(), *chars(1)),
        "only supports multi-image elements",
    ),
    Case(
        "o1 first+last: no refer",
        O1,
        body(prompt(), frame(), frame("last_frame")),
        body(prompt(), frame(), frame("last_frame"), refer(0)),
        "take no refer_image",
    ),
    Case(
        "o1 first+last: no element",
        O1,
        body(prompt(), frame(), frame("last_frame")),
        body(prompt(), frame(), frame("last_frame"), *multi(1)),
        "take no element",
    ),
    Case(
        "o1 feature video: first frame only",
        O1,
        body(prompt(), frame(), FEATURE),
        body(prompt(), frame(), frame("last_frame"), FEATURE),
        "takes no last_frame",
    ),
    Case(
        "o1 base video: no frames",
        O1,
        body(prompt(), BASE),
        body(prompt(), frame(), BASE),
        "takes no frames",
    ),
    Case(
        "o1 first frame alone: 5 or 10 s",
        O1,
        body(prompt(), frame(), refer(0), duration=7),
        body(prompt(), frame(), duration=7),
        "must be 5 or 10 with a first frame",
    ),
    Case(
        "o1 images + elements 7",
        O1,
        body(prompt(), *refers(4), *multi(3)),
        body(prompt(), *refers(4), *multi(4)),
        "at most 7",
    ),
    Case(
        "o1 4 with a video",
        O1,
        body(prompt(), FEATURE, *refers(4)),
        body(prompt(), FEATURE, *refers(5)),
        "at most 4 with a reference video",
    ),
    Case(
        "o1 video up to 10 s",
        O1,
        body(prompt(), video("base_video", 10)),
        body(prompt(), video("base_video", 10.5)),
        "must last 3 to 10 seconds",
    ),
    # Motion control.
    Case(
        "orientation required",
        MC26,
        motion(frame("image"), MOTION_VIDEO),
        body(frame("image"), MOTION_VIDEO),
        "character_orientation is required",
    ),
    Case(
        "orientation values",
        MC26,
        motion(frame("image"), MOTION_VIDEO, character_orientation="image"),
        motion(frame("image"), MOTION_VIDEO, character_orientation="front"),
        "character_orientation",
    ),
    Case(
        "video orientation 30 s",
        MC3,
        motion(frame("image"), video("video", 30)),
        motion(frame("image"), video("video", 31)),
        "3 to 30 seconds with character_orientation 'video'",
    ),
    Case(
        "image orientation 10 s",
        MC3,
        motion(frame("image"), video("video", 10), character_orientation="image"),
        motion(frame("image"), video("video", 10.5), character_orientation="image"),
        "3 to 10 seconds with character_orientation 'image'",
    ),
    Case(
        "motion from 3 s",
        MC26,
        motion(frame("image"), video("video", 3)),
        motion(frame("image"), video("video", 2.5)),
        "must last 3 to 30 seconds",
    ),
    Case(
        "motion needs a video",
        MC26,
        motion(frame("image"), MOTION_VIDEO),
        motion(frame("image")),
        "needs a video",
    ),
    Case(
        "2.6 motion needs an image",
        MC26,
        motion(frame("image"), MOTION_VIDEO),
        motion(MOTION_VIDEO),
        "needs an image",
    ),
    Case(
        "3.0 motion: an element will do",
        MC3,
        motion(element("m1"), MOTION_VIDEO),
        motion(MOTION_VIDEO),
        "needs an image (or an element)",
    ),
    Case(
        "3.0 motion: one element",
        MC3,
        motion(frame("image"), *multi(1), MOTION_VIDEO),
        motion(frame("image"), *multi(2), MOTION_VIDEO),
        "at most 1 element",
    ),
    Case(
        "2.6 motion: no element",
        MC26,
        motion(frame("image"), MOTION_VIDEO),
        motion(frame("image"), MOTION_VIDEO, *multi(1)),
        "contents[2].type must be one of",
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
    check_case(sim, kling, case)
