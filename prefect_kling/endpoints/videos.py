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

from prefect_kling.capabilities import EndpointLimits, FeatureRule
from prefect_kling.endpoints.command import Command, item_option, option
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
                features=(NO_CFG_SCALE_ON_V2, CAMERA_ON_V1_STD_5S, SOUND_ON_V2_6_AND_NEWER),
            ),
            max_chars=COMETAPI_TEXT,
            choices={"aspect_ratio": MORE_RATIOS},
        ),
        estimate=video_units,
        command=Command(
            "text2video",
            "generate a video from a prompt",
            (option("--prompt", required=True), option("--cfg-scale", type=float), *VIDEO_LOOK),
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
                ),
            ),
            max_chars=COMETAPI_TEXT,
        ),
        estimate=video_units,
        command=Command(
            "image2video",
            "animate an image (start and optional end frame)",
            (
                option("--image", required=True, metavar=PATH_OR_URL),
                option("--image-tail", metavar=PATH_OR_URL),
                option("--prompt"),
                option("--cfg-scale", type=float),
                *VIDEO_LOOK,
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
