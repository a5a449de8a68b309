"""The rows of the endpoints that make videos from prompts and images.

text2video, image2video and multi-image2video: each row with its routes, request model,
limits per provider, unit estimate and `prefect-kling` command (see `Endpoint`).

A new model of an endpoint is one line in its model tuple below; until then its name is
refused (sent with an `UnknownModelWarning` with `strict=False`). A feature that only
some models support is one `FeatureRule` in the row's limits.

Examples:
    >>> [row.name for row in ROWS]
    ['text2video', 'image2video', 'multi-image2video']
"""

from __future__ import annotations

from prefect_kling.capabilities import EndpointLimits
from prefect_kling.capability_rules import FeatureRule, ValueRule
from prefect_kling.endpoints.command import Command, item_option, option
from prefect_kling.endpoints.new_standard import AUDIO, ELEMENT, MULTI_SHOT, VOICE
from prefect_kling.endpoints.row import Endpoint, Family, ResultKind, cometapi_differs, everywhere
from prefect_kling.endpoints.shared import (
    COMETAPI_TEXT,
    MORE_RATIOS,
    OFFICIAL_TEXT,
    PATH_OR_URL,
    RATIOS,
    VIDEO_LOOK,
    video_units,
)
from prefect_kling.models.videos import (
    ImageToVideoRequest,
    MultiImageToVideoRequest,
    TextToVideoRequest,
)
from prefect_kling.providers import Provider

# --- Models: adding one is one line in its tuple. -------------------------------------

TEXT2VIDEO_MODELS = (
    "kling-v1",
    "kling-v1-6",
    "kling-v2-master",
    "kling-v2-1-master",
    "kling-v2-5-turbo",
    "kling-v2-6",
    "kling-v3",
)
IMAGE2VIDEO_MODELS = (
    "kling-v1",
    "kling-v1-5",
    "kling-v1-6",
    "kling-v2-master",
    "kling-v2-1",
    "kling-v2-1-master",
    "kling-v2-5-turbo",
    "kling-v2-6",
    "kling-v3",
)
MULTI_IMAGE2VIDEO_MODELS = ("kling-v1-6",)

VIDEO_DEFAULTS = {"model_name": "kling-v1", "mode": "std", "duration": "5"}
"""What Kling uses for a video setting left out."""

# --- Command-line options of text and image to video, on both standards. ---------------

EITHER_STANDARD_LOOK = (
    option(
        "--model",
        dest="model_name",
        help="Kling model: kling-3.0-turbo, kling-3.0, kling-2.6, kling-2.5-turbo (newer "
        "standard) or kling-v3, kling-v2-6, ... (/v1)",
    ),
    option("--negative-prompt", help="what the result should not show (/v1 models)"),
    option("--aspect-ratio", help="16:9, 9:16 or 1:1"),
    option("--mode", help="std or pro (/v1 models; the newer standard: --resolution)"),
    option(
        "--duration",
        type=int,
        help="seconds: 5 or 10 on most /v1 models; 3 to 15 on Kling 3.0, 5 or 10 on 2.6",
    ),
    option("--resolution", help="720p, 1080p or 4k (4k: Kling 3.0; on /v1 models 720p is std)"),
    AUDIO,
    MULTI_SHOT,
    ELEMENT,
    VOICE,
)
"""The look of a video, named alike for every model: the model picks the standard."""

# --- Rules that depend on the model, mode or duration. ----------------------------------

NO_CFG_SCALE_ON_V2 = FeatureRule("cfg_scale", not_with={"model_name": ("kling-v2*",)})
# A live answer to anything else: "1201 camera_control is only supported in std mode with
# 5s duration and kling-v1".
CAMERA_ON_V1_STD_5S = FeatureRule(
    "camera_control",
    only_with={"model_name": ("kling-v1",), "mode": ("std",), "duration": ("5",)},
)
SOUND_ON_V2_6_AND_NEWER = FeatureRule(
    "sound", only_with={"model_name": ("kling-v2-6*", "kling-v3*")}
)
BEFORE_V3 = {"model_name": ("kling-v1*", "kling-v2*")}
FIVE_OR_TEN_SECONDS_BEFORE_V3 = ValueRule("duration", ("5", "10"), when=BEFORE_V3)
STD_OR_PRO_BEFORE_V3 = ValueRule("mode", ("std", "pro"), when=BEFORE_V3)
KLING_V3_FIELDS = (
    *(
        FeatureRule(name, only_with={"model_name": ("kling-v3*",)})
        for name in ("multi_shot", "shot_type", "multi_prompt", "element_list", "voice_list")
    ),
    FeatureRule("multi_prompt", required_with={"shot_type": ("customize",)}),
    FeatureRule("voice_list", only_with={"sound": ("on",)}),
)
"""kling-v3's 3-15 s, 4k mode, multi-shot, elements and voices (a voice needs sound on)."""
FIVE_SECONDS_WITH_END_FRAME_OR_MASKS = tuple(
    FeatureRule(feature, only_with={"duration": ("5",)})
    for feature in ("image_tail", "static_mask", "dynamic_masks")
)

# --- The rows. ---------------------------------------------------------------------------

ROWS = (
    Endpoint(
        name="text2video",
        family=Family.VIDEO,
        paths=everywhere("videos/text2video"),
        request_model=TextToVideoRequest,
        result_kind=ResultKind.VIDEO,
        query_by_external_id=frozenset(Provider),
        limits=cometapi_differs(
            EndpointLimits(
                models=TEXT2VIDEO_MODELS,
                max_chars=OFFICIAL_TEXT,
                choices={"aspect_ratio": RATIOS},
                defaults=VIDEO_DEFAULTS,
                features=(
                    NO_CFG_SCALE_ON_V2,
                    CAMERA_ON_V1_STD_5S,
                    SOUND_ON_V2_6_AND_NEWER,
                    *KLING_V3_FIELDS,
                ),
                value_rules=(FIVE_OR_TEN_SECONDS_BEFORE_V3, STD_OR_PRO_BEFORE_V3),
            ),
            max_chars=COMETAPI_TEXT,
            choices={"aspect_ratio": MORE_RATIOS},
        ),
        estimate=video_units,
        newer="text-to-video",
        command=Command(
            "text2video",
            "generate a video from a prompt",
            (
                option("--prompt", required=True),
                option("--cfg-scale", type=float),
                *EITHER_STANDARD_LOOK,
            ),
        ),
        title="Text to video",
    ),
    Endpoint(
        name="image2video",
        family=Family.VIDEO,
        paths=everywhere("videos/image2video"),
        request_model=ImageToVideoRequest,
        result_kind=ResultKind.VIDEO,
        query_by_external_id=frozenset(Provider),
        limits=cometapi_differs(
            EndpointLimits(
                models=IMAGE2VIDEO_MODELS,
                max_chars=OFFICIAL_TEXT,
                defaults=VIDEO_DEFAULTS,
                features=(
                    NO_CFG_SCALE_ON_V2,
                    SOUND_ON_V2_6_AND_NEWER,
                    *FIVE_SECONDS_WITH_END_FRAME_OR_MASKS,
                    *KLING_V3_FIELDS,
                ),
                value_rules=(FIVE_OR_TEN_SECONDS_BEFORE_V3, STD_OR_PRO_BEFORE_V3),
            ),
            max_chars=COMETAPI_TEXT,
        ),
        estimate=video_units,
        newer="image-to-video",
        command=Command(
            "image2video",
            "animate an image (start and optional end frame)",
            (
                option("--image", required=True, metavar=PATH_OR_URL, help="the first frame"),
                option(
                    "--last-frame",
                    "--image-tail",
                    dest="image_tail",
                    metavar=PATH_OR_URL,
                    help="the last frame",
                ),
                option("--prompt"),
                option("--cfg-scale", type=float),
                *EITHER_STANDARD_LOOK,
            ),
        ),
        title="Image to video",
    ),
    Endpoint(
        name="multi-image2video",
        family=Family.VIDEO,
        paths=everywhere("videos/multi-image2video"),
        request_model=MultiImageToVideoRequest,
        result_kind=ResultKind.VIDEO,
        query_by_external_id=frozenset(Provider),
        limits=cometapi_differs(
            EndpointLimits(
                models=MULTI_IMAGE2VIDEO_MODELS,
                max_chars=OFFICIAL_TEXT,
                item_counts={"image_list": (1, 4)},
                choices={"aspect_ratio": RATIOS},
            ),
            max_chars=COMETAPI_TEXT,
            item_counts={"image_list": (2, 4)},
        ),
        estimate=video_units,
        command=Command(
            "multi-image2video",
            "a video from 1 to 4 reference images (2 to 4 on CometAPI)",
            (
                item_option("--image", "image_list", "image", required=True, metavar=PATH_OR_URL),
                option("--prompt", required=True),
                *VIDEO_LOOK,
            ),
        ),
        title="Multi-image to video",
    ),
)
"""Videos from prompts and images, in the order `prefect-kling --help` lists them."""
