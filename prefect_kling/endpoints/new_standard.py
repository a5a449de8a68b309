"""The rows of Kling's newer API standard: text and image to video, omni video, motion control.

The model is part of the path (`text-to-video/{model}`), on the host without `/v1`; tasks
are read in bulk at `GET /tasks?task_ids=`. Only Kling's official API serves them, with an
API key. The legacy `text2video` and `image2video` rows name their newer twin
(`Endpoint.newer`): a request for one of the models below goes there
(`prefect_kling.endpoints.routing`), so a caller never has to know which standard a
model uses. Every rule below is from Kling's pages as copied on 2026-09-20 (one page per
model and product; see docs/endpoints/new-standard.md).

Examples:
    >>> [row.name for row in ROWS]
    ['text-to-video', 'image-to-video', 'omni-video', 'motion-control']
    >>> NEW_STANDARD_MODELS["kling-3.0"]
    ('text-to-video', 'image-to-video', 'motion-control')
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from prefect_kling.capabilities import EndpointLimits
from prefect_kling.capability_rules import FeatureRule, LengthRule, PairRule, ValueRule
from prefect_kling.endpoints.command import Command, OneOf, option
from prefect_kling.endpoints.row import (
    ApiStandard,
    Endpoint,
    Family,
    ResultKind,
    UnitEstimate,
    official_only,
)
from prefect_kling.endpoints.shared import PATH_OR_URL
from prefect_kling.models.new_standard import (
    MotionControlRequest,
    NewImageToVideoRequest,
    NewTextToVideoRequest,
    OmniVideoRequest,
)
from prefect_kling.providers import Provider

# --- Models, and what they take. ----------------------------------------------------------

TEXT_OR_IMAGE_MODELS = ("kling-3.0-turbo", "kling-3.0", "kling-2.6", "kling-2.5-turbo")
OMNI_MODELS = ("kling-3.0-omni", "kling-o1")
MOTION_MODELS = ("kling-3.0", "kling-2.6")

UP_TO_15_S = tuple(str(seconds) for seconds in range(3, 16))
UP_TO_10_S = tuple(str(seconds) for seconds in range(3, 11))
FIVE_OR_TEN = ("5", "10")
WITHOUT_4K = ("720p", "1080p")
LONG_PROMPT, PROMPT = 3072, 2500
"""Kling 3.0 and 3.0 Omni take prompts of 3,072 characters; the others 2,500."""

DEFAULTS = {"duration": "5", "resolution": "720p", "audio": "off"}
"""What Kling uses for a setting left out."""


def _models(*names: str) -> dict[str, tuple[str, ...]]:
    return {"model_name": names}


DURATIONS = (
    ValueRule(
        "duration", UP_TO_15_S, when=_models("kling-3.0-turbo", "kling-3.0", "kling-3.0-omni")
    ),
    ValueRule("duration", UP_TO_10_S, when=_models("kling-o1")),
    ValueRule("duration", FIVE_OR_TEN, when=_models("kling-2.6", "kling-2.5-turbo")),
)
NO_4K = ValueRule(
    "resolution",
    WITHOUT_4K,
    when=_models("kling-3.0-turbo", "kling-o1", "kling-2.6", "kling-2.5-turbo"),
)
NATIVE_AUDIO_AT_1080P_ON_2_6 = ValueRule(
    "audio", ("off",), when={"model_name": ("kling-2.6",), "resolution": ("720p",)}
)
AUDIO_ON_3_0_AND_2_6 = FeatureRule("audio", only_with=_models("kling-3.0", "kling-2.6"))
MULTI_SHOT_ON_3_0 = FeatureRule("multi_shot", only_with=_models("kling-3.0", "kling-3.0-omni"))
SHORTER_PROMPTS = LengthRule(
    "prompt", PROMPT, when=_models("kling-3.0-turbo", "kling-o1", "kling-2.6", "kling-2.5-turbo")
)


def _units(product: str) -> UnitEstimate:
    """The estimate of a product from the dated price table, read when first used."""

    def estimate(fields: Mapping[str, Any]) -> float:
        from prefect_kling.pricing import new_standard_units

        return new_standard_units(product)(fields)

    return estimate


OMNI_ON_COMETAPI = (
    "CometAPI lists omni video for kling-video-o1 only, on its /kling/v1 path with the older "
    "body, which is not sent from here yet; use Kling's own API"
)


def _row(name: str, **settings: Any) -> Endpoint:
    return Endpoint(
        name=name,
        family=Family.VIDEO,
        paths=official_only(f"{name}/{{model}}"),
        result_kind=ResultKind.VIDEO,
        query_by_external_id=frozenset(Provider),
        list_query=frozenset(),
        estimate=_units(name),
        standard=ApiStandard.NEW,
        **settings,
    )


SETTINGS_OPTIONS = (
    option("--duration", type=int, help="seconds, an integer (which ones depends on the model)"),
    option("--resolution", help="720p, 1080p or 4k (Kling 3.0 and 3.0 Omni)"),
)
AUDIO = option("--audio", help="native, original or off (which ones depends on the model)")
MULTI_SHOT = option(
    "--multi-shot",
    action=argparse.BooleanOptionalAction,
    help="whether a multi-shot prompt makes a multi-shot video (Kling 3.0)",
)
ELEMENT = option(
    "--element",
    action="append",
    dest="elements",
    metavar="ID",
    help="an element id, or NAME=ID to name it in the prompt as @NAME",
)
VOICE = option(
    "--voice",
    action="append",
    dest="voices",
    metavar="ID",
    help="a voice id, or NAME=ID to name it in the prompt as @NAME (needs audio on)",
)

ROWS = (
    _row(
        "text-to-video",
        request_model=NewTextToVideoRequest,
        limits=official_only(
            EndpointLimits(
                models=TEXT_OR_IMAGE_MODELS,
                max_chars={"prompt": LONG_PROMPT},
                defaults=DEFAULTS,
                choices={"audio": ("native", "off")},
                features=(AUDIO_ON_3_0_AND_2_6, MULTI_SHOT_ON_3_0),
                value_rules=(*DURATIONS, NO_4K, NATIVE_AUDIO_AT_1080P_ON_2_6, SHORTER_PROMPTS),
            )
        ),
        title="Text to video (newer standard)",
    ),
    _row(
        "image-to-video",
        request_model=NewImageToVideoRequest,
        limits=official_only(
            EndpointLimits(
                models=TEXT_OR_IMAGE_MODELS,
                max_chars={"prompt": LONG_PROMPT},
                item_counts={"elements": (1, 3), "voices": (1, 2)},
                defaults=DEFAULTS,
                choices={"audio": ("native", "off")},
                features=(
                    AUDIO_ON_3_0_AND_2_6,
                    MULTI_SHOT_ON_3_0,
                    FeatureRule("last_frame", not_with=_models("kling-3.0-turbo")),
                    FeatureRule("elements", only_with=_models("kling-3.0")),
                    FeatureRule("voices", only_with=_models("kling-2.6")),
                    FeatureRule("voices", not_with={"audio": ("off",)}),
                ),
                value_rules=(
                    *DURATIONS,
                    NO_4K,
                    NATIVE_AUDIO_AT_1080P_ON_2_6,
                    SHORTER_PROMPTS,
                    # "First + last frame only supports 1080p" (2.6: silent videos only).
                    ValueRule(
                        "resolution",
                        ("1080p",),
                        when={"model_name": ("kling-2.6", "kling-2.5-turbo"), "last_frame": ("*",)},
                    ),
                    ValueRule(
                        "audio", ("off",), when={"model_name": ("kling-2.6",), "last_frame": ("*",)}
                    ),
                ),
            )
        ),
        title="Image to video (newer standard)",
    ),
    _row(
        "omni-video",
        request_model=OmniVideoRequest,
        refusals={Provider.COMETAPI: OMNI_ON_COMETAPI},
        limits=official_only(
            EndpointLimits(
                models=OMNI_MODELS,
                max_chars={"prompt": LONG_PROMPT},
                item_counts={"elements": (1, 3)},
                defaults=DEFAULTS,
                features=(MULTI_SHOT_ON_3_0,),
                value_rules=(
                    *DURATIONS,
                    NO_4K,
                    SHORTER_PROMPTS,
                    ValueRule("audio", ("original", "off"), when=_models("kling-o1")),
                    # "When using the first frame to generate a video without any other
                    # reference images or videos, only 5-second or 10-second videos".
                    ValueRule(
                        "duration",
                        FIVE_OR_TEN,
                        when={"model_name": ("kling-o1",), "first_frame": ("*",)},
                        unless=("reference_images", "feature_video", "base_video"),
                    ),
                    # O1: "When using both the first and last frames, no additional
                    # reference images can be added"; elements are not supported then.
                    PairRule("reference_images", "last_frame", when=_models("kling-o1")),
                    PairRule("elements", "last_frame", when=_models("kling-o1")),
                ),
            )
        ),
        command=Command(
            "omni-video",
            "a video from a prompt with frames, reference images, a video and elements",
            (
                option("--prompt", required=True),
                option("--model", dest="model_name", default="kling-3.0-omni"),
                option("--first-frame", metavar=PATH_OR_URL),
                option("--last-frame", metavar=PATH_OR_URL),
                option(
                    "--reference-image",
                    action="append",
                    dest="reference_images",
                    metavar=PATH_OR_URL,
                    help="a reference image, @image_1, @image_2... in the prompt",
                ),
                OneOf(
                    (
                        option(
                            "--feature-video",
                            metavar="URL",
                            help="a video to take style and motion from",
                        ),
                        option("--base-video", metavar="URL", help="the video to edit"),
                    )
                ),
                ELEMENT,
                *SETTINGS_OPTIONS,
                option("--aspect-ratio", help="16:9, 9:16 or 1:1"),
                AUDIO,
                MULTI_SHOT,
            ),
        ),
        title="Omni video",
    ),
    _row(
        "motion-control",
        request_model=MotionControlRequest,
        limits=official_only(
            EndpointLimits(
                models=MOTION_MODELS,
                max_chars={"prompt": PROMPT},
                defaults={"audio": "original"},
                features=(FeatureRule("elements", only_with=_models("kling-3.0")),),
            )
        ),
        command=Command(
            "motion-control",
            "make the character of an image move like the person in a video",
            (
                option("--image", required=True, metavar=PATH_OR_URL),
                option(
                    "--video", required=True, metavar="URL", help="the motion video (mp4 or mov)"
                ),
                option(
                    "--character-orientation",
                    required=True,
                    choices=("image", "video"),
                    help="face as in the image (video up to 10 s) or as in the video (up to 30 s)",
                ),
                option("--model", dest="model_name", default="kling-3.0"),
                option("--prompt"),
                ELEMENT,
                option("--resolution", help="720p or 1080p"),
                option("--audio", help="original or off"),
            ),
        ),
        title="Motion control",
    ),
)
"""The newer standard's video rows, in the order `prefect-kling --help` lists them."""

NEW_STANDARD_MODELS: dict[str, tuple[str, ...]] = {}
"""Each model of the newer standard and the rows that serve it."""
for _endpoint in ROWS:
    for _model in _endpoint.limits[Provider.KLING].models:
        NEW_STANDARD_MODELS.setdefault(_model, ())
        NEW_STANDARD_MODELS[_model] += (_endpoint.name,)
