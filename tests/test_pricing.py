"""The unit estimates against Kling's pricing pages as copied on 2026-09-20.

Every expected figure below is written from the pages ("Video" and "Image" pricing, "API
Updates"), not from `prefect_kling.pricing_table`: a typo in the table fails here.
"""

from __future__ import annotations

import doctest
import itertools

import pytest

import prefect_kling.pricing as pricing
import prefect_kling.pricing_table as pricing_table
from prefect_kling.budget import UnitBudget
from prefect_kling.endpoints import ENDPOINTS
from prefect_kling.pricing import (
    estimate_units,
    image_units_per_image,
    new_standard_units,
    video_units_per_second,
)

# The video page, one line per row: model (API name), product, features, 720P, 1080P, 4K.
SILENT = {"audio": False, "video_input": False}
SOUND = {"audio": True, "video_input": False}
PAGE = [
    ("kling-3.0-turbo", "text-to-video", SOUND, 0.8, 1.0, None),
    ("kling-3.0", "text-to-video", SILENT, 0.6, 0.8, 3.0),
    ("kling-3.0", "text-to-video", SOUND, 0.9, 1.2, 3.0),
    ("kling-3.0", "motion-control", SILENT, 0.9, 1.2, None),
    ("kling-3.0-omni", "omni-video", SILENT, 0.6, 0.8, 3.0),
    ("kling-3.0-omni", "omni-video", SOUND, 0.8, 1.0, 3.0),
    ("kling-3.0-omni", "omni-video", {"audio": False, "video_input": True}, 0.9, 1.2, 3.0),
    ("kling-o1", "omni-video", SILENT, 0.6, 0.8, None),
    ("kling-o1", "omni-video", {"audio": False, "video_input": True}, 0.9, 1.2, None),
    ("kling-2.6", "text-to-video", SILENT, 0.3, 0.5, None),
    ("kling-2.6", "text-to-video", SOUND, None, 1.0, None),
    ("kling-2.6", "text-to-video", {**SOUND, "voice": True}, None, 1.2, None),
    ("kling-2.6", "motion-control", SILENT, 0.5, 0.8, None),
    ("kling-2.5-turbo", "text-to-video", SILENT, 0.3, 0.5, None),
]
CELLS = [
    (model, product, features, resolution, figure)
    for model, product, features, *figures in PAGE
    for resolution, figure in zip(("720p", "1080p", "4k"), figures, strict=True)
    if figure is not None
]
LEGACY_NAMES = {
    "kling-3.0": "kling-v3",
    "kling-3.0-omni": "kling-v3-omni",
    "kling-o1": "kling-video-o1",
    "kling-2.6": "kling-v2-6",
    "kling-2.5-turbo": "kling-v2-5-turbo",
}
NOT_ON_THE_PAGE = ("kling-v1", "kling-v1-5", "kling-v1-6", "kling-v2-master", "kling-v2-1-master")


def test_the_module_examples_run():
    for module in (pricing, pricing_table):
        assert doctest.testmod(module).failed == 0


@pytest.mark.parametrize(("model", "product", "features", "resolution", "figure"), CELLS)
def test_every_rate_of_the_video_page(model, product, features, resolution, figure):
    rate = video_units_per_second(model, resolution=resolution, product=product, **features)
    assert rate == figure
    if model in LEGACY_NAMES:
        legacy = LEGACY_NAMES[model]
        assert (
            video_units_per_second(legacy, resolution=resolution, product=product, **features)
            == figure
        )


@pytest.mark.parametrize(
    ("endpoint", "fields", "units"),
    [
        # Kling 3.0 Turbo: 1.0 unit/s at 1080P, 0.8 at 720P (it always makes sound).
        (
            "text-to-video",
            {"model_name": "kling-3.0-turbo", "duration": 12, "resolution": "1080p"},
            12.0,
        ),
        ("image-to-video", {"model_name": "kling-3.0-turbo", "duration": 5, "audio": "off"}, 4.0),
        # Kling 3.0: 4K 3.0 units/s; native audio at 1080P 1.2 units/s.
        ("text2video", {"model_name": "kling-v3", "mode": "4k", "duration": "10"}, 30.0),
        (
            "text2video",
            {"model_name": "kling-v3", "mode": "pro", "duration": "8", "sound": "on"},
            9.6,
        ),
        ("text-to-video", {"model_name": "kling-3.0", "duration": 15, "resolution": "720p"}, 9.0),
        # Kling 3.0 Omni: no video + native audio 720P 0.8/s; a reference video 1080P 1.2/s.
        ("omni-video", {"model_name": "kling-3.0-omni", "duration": 5, "audio": "native"}, 4.0),
        (
            "omni-video",
            {
                "model_name": "kling-3.0-omni",
                "duration": 10,
                "resolution": "1080p",
                "feature_video": "https://example.com/v.mp4",
            },
            12.0,
        ),
        # Kling O1: a base video at 720P 0.9/s; none at 1080P 0.8/s.
        (
            "omni-video",
            {"model_name": "kling-o1", "duration": 5, "base_video": "https://x/v.mp4"},
            4.5,
        ),
        ("omni-video", {"model_name": "kling-o1", "duration": 10, "resolution": "1080p"}, 8.0),
        # Kling 2.6: silent 720P 0.3/s; native audio 1080P 1.0/s; with voice control 1.2/s
        # (API Updates 12/16/2025: "6 units will be deducted for 5 seconds").
        ("text2video", {"model_name": "kling-v2-6", "mode": "std", "duration": "10"}, 3.0),
        (
            "text2video",
            {"model_name": "kling-v2-6", "mode": "pro", "duration": "5", "sound": "on"},
            5.0,
        ),
        (
            "image-to-video",
            {
                "model_name": "kling-2.6",
                "duration": 5,
                "resolution": "1080p",
                "audio": "native",
                "voices": [{"voice_id": "v1"}],
            },
            6.0,
        ),
        # Kling 2.5 Turbo: API Updates 11/11/2025 "1.5 units [for] a 5-second video" (std),
        # 11/17/2025 "5 units [for] a 10-second video" (pro).
        ("image2video", {"model_name": "kling-v2-5-turbo", "mode": "std", "duration": "5"}, 1.5),
        ("image2video", {"model_name": "kling-v2-5-turbo", "mode": "pro", "duration": "10"}, 5.0),
        # Motion control: by the output's seconds; 3.0 at 1080P 1.2/s, 2.6 at 720P 0.5/s.
        (
            "motion-control",
            {"model_name": "kling-3.0", "duration": 12, "resolution": "1080p"},
            14.4,
        ),
        # Length unknown: the longest reference video, 30 s (10 s facing as in the image).
        ("motion-control", {"model_name": "kling-3.0", "resolution": "1080p"}, 36.0),
        ("motion-control", {"model_name": "kling-2.6", "character_orientation": "image"}, 5.0),
        # Lip Sync 0.5 units per 5 s, at the longest video it takes (60 s).
        ("lip-sync", {"input": {"video_id": "8672", "mode": "text2video"}}, 6.0),
        # With the identify-face call its session needs (0.05 units).
        ("advanced-lip-sync", {"session_id": "1", "face_choose": []}, 6.05),
        # Images: Kling Image 2.1 text 4, image 8, multi-image 16 units per image;
        # Outpainting 8 units per image.
        ("image-generation", {"model_name": "kling-v2-1", "n": 3}, 12.0),
        ("image-generation", {"model_name": "kling-v2-1", "image": "https://x/a.png"}, 8.0),
        ("multi-image2image", {"model_name": "kling-v2-1", "n": 2}, 32.0),
        ("image-expand", {"n": 2}, 16.0),
    ],
)
def test_an_estimate_is_the_page_price_times_seconds_or_images(endpoint, fields, units):
    assert estimate_units(endpoint, fields) == units


def test_image_prices_by_model_and_resolution():
    # Image page: 3.0 Omni 8 units at 1K/2K, 16 at 4K; Image 3.0 and O1 8 units at 1K/2K.
    assert image_units_per_image("kling-v3-omni", resolution="2k") == 8
    assert image_units_per_image("kling-v3-omni", resolution="4k") == 16
    assert image_units_per_image("kling-v3", function="image-to-image") == 8
    assert image_units_per_image("kling-image-o1", resolution="1k") == 8
    # Image 3.0 has no 4K row: never below the page's 4K figure.
    assert image_units_per_image("kling-v3", resolution="4k") >= 16


@pytest.mark.parametrize("model", NOT_ON_THE_PAGE)
def test_a_model_not_on_the_page_costs_the_dearest_comparable_rate(model):
    for resolution, audio in itertools.product(("720p", "1080p", "4k"), (False, True)):
        comparable = [
            figure
            for _, product, features, at, figure in CELLS
            if product != "motion-control"
            and at == resolution
            and features["audio"] == audio
            and not features["video_input"]
            and not features.get("voice")
        ]
        rate = video_units_per_second(model, resolution=resolution, audio=audio)
        assert rate == max(comparable), (resolution, audio)
    # Never a silent 1 unit: a std 5 s video is 5 s at the dearest 720P silent rate, 0.6.
    assert (
        estimate_units("text2video", {"model_name": model, "mode": "std", "duration": "5"}) == 3.0
    )


def test_an_image_model_not_on_the_page_costs_the_dearest_comparable_price():
    # Text or image to image at 1K/2K: 8 units at most; multi-image: 16.
    for model in ("kling-v1", "kling-v1-5", "kling-v2", "kling-v2-new"):
        assert image_units_per_image(model, resolution="2k") == 8
        assert estimate_units("image-generation", {"model_name": model, "n": 4}) == 32
    assert estimate_units("multi-image2image", {"model_name": "kling-v2"}) == 16


def test_what_the_pages_leave_out_is_priced_at_its_dearest():
    # Try-on has no row: priced as a multi-image to image, the dearest per-image row (16).
    assert estimate_units("virtual-try-on", {"human_image": "https://x/p.png"}) == 16
    # An extension adds up to 5 s of a model the page does not price, mode unknown: at
    # least 5 s at the dearest 1080P silent rate (0.8).
    assert estimate_units("video-extend", {"video_id": "1"}) >= 5 * 0.8
    # Kling 2.6 makes no 720P video with audio ("-"): not below its 1080P price.
    assert video_units_per_second("kling-2.6", resolution="720p", audio=True) >= 1.0
    # An omni video with the reference video's own sound has a reference video.
    original = {"model_name": "kling-o1", "duration": 5, "audio": "original"}
    assert estimate_units("omni-video", original) == 4.5


@pytest.mark.parametrize("model", sorted({cell[0] for cell in CELLS}))
def test_no_setting_prices_a_model_below_its_cheapest_row(model):
    # Kling 3.0 Turbo asked without audio, O1 asked with audio: still at least the page.
    for product, resolution in {(cell[1], cell[3]) for cell in CELLS if cell[0] == model}:
        cheapest = min(
            cell[4] for cell in CELLS if cell[:2] == (model, product) and cell[3] == resolution
        )
        for name, audio, video_input, voice in itertools.product(
            (model, LEGACY_NAMES.get(model, model)), *[(False, True)] * 3
        ):
            rate = video_units_per_second(
                name,
                resolution=resolution,
                product=product,
                audio=audio,
                video_input=video_input,
                voice=voice,
            )
            assert rate >= cheapest, (name, product, resolution, audio, video_input, voice)


def test_new_standard_units_serves_each_product_and_refuses_others():
    fields = {"model_name": "kling-2.5-turbo", "duration": 10, "resolution": "1080p"}
    assert new_standard_units("text-to-video")(fields) == 5.0  # 0.5 units/s at 1080P
    with pytest.raises(ValueError, match="allowed: text-to-video"):
        new_standard_units("text2video")
    with pytest.raises(ValueError, match="no estimate for 'upscale'"):
        estimate_units("upscale", {})


def test_a_custom_voice_is_a_call():
    assert estimate_units("voice", {"voice_name": "narrator"}) == 0.05  # "Custom Voice" /call


WIRED = (
    "text2video",
    "image2video",
    "multi-image2video",
    "effects",
    "video-extend",
    "lip-sync",
    "advanced-lip-sync",
    "image-generation",
    "multi-image2image",
    "image-expand",
    "virtual-try-on",
)


def test_the_rows_and_the_budget_use_the_table():
    request = {"model_name": "kling-v2-6", "mode": "pro", "duration": "10", "sound": "on"}
    newer = [name for name in pricing.VIDEO_PRODUCTS if name in ENDPOINTS]
    for name in (*WIRED, *newer):
        assert ENDPOINTS[name].estimate(request) == estimate_units(name, request), name
    assert UnitBudget().estimate("image2video", request) == 10.0  # 1.0 unit/s at 1080P
