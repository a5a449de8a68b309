"""The rows of the endpoints that make images from prompts and images.

multi-image2image and image-generation (text or image to image): each row with its routes,
request model, limits per provider, unit estimate and `prefect-kling` command (see
`Endpoint`). On CometAPI both share `images/generations`: queries there find both kinds
of task.

Examples:
    >>> [row.name for row in ROWS]
    ['multi-image2image', 'image-generation']
"""

from __future__ import annotations

from prefect_kling.capabilities import EndpointLimits
from prefect_kling.capability_rules import FeatureRule
from prefect_kling.endpoints.command import Command, item_option, option
from prefect_kling.endpoints.row import Endpoint, Family, ResultKind, cometapi_differs, everywhere
from prefect_kling.endpoints.shared import (
    IMAGE_LOOK,
    IMAGE_RATIOS,
    N_IMAGES,
    OFFICIAL_TEXT,
    PATH_OR_URL,
    image_units,
    multi_image_units,
)
from prefect_kling.models.images import ImageGenerationRequest, MultiImageToImageRequest
from prefect_kling.providers import Provider

# --- Models: adding one is one line in its tuple. -------------------------------------

# Kling's multi-image-to-image page documents kling-v2-1 only (its default); CometAPI's
# page still names kling-v2.
MULTI_IMAGE2IMAGE_MODELS = ("kling-v2-1",)
COMETAPI_MULTI_IMAGE2IMAGE_MODELS = ("kling-v2",)
# kling-v3 is Kling's default image model now; the older names are still served.
IMAGE_GENERATION_MODELS = (
    "kling-v3",
    "kling-v1",
    "kling-v1-5",
    "kling-v2",
    "kling-v2-new",
    "kling-v2-1",
)
DEFAULT_IMAGE_MODEL = IMAGE_GENERATION_MODELS[0]

# Kling needs the reference type when kling-v1-5 gets a reference image.
IMAGE_REFERENCE_ON_V1_5 = FeatureRule(
    "image_reference",
    only_with={"model_name": ("kling-v1-5",)},
    required_with={"model_name": ("kling-v1-5",), "image": ("*",)},
)

# --- The rows. ---------------------------------------------------------------------------

ROWS = (
    Endpoint(
        name="multi-image2image",
        family=Family.IMAGE,
        paths={
            Provider.KLING: "images/multi-image2image",
            # CometAPI serves multi-image to image on its generic image route.
            Provider.COMETAPI: "images/generations",
        },
        request_model=MultiImageToImageRequest,
        result_kind=ResultKind.IMAGE,
        limits=cometapi_differs(
            EndpointLimits(
                models=MULTI_IMAGE2IMAGE_MODELS,
                max_chars={"prompt": 2500},
                item_counts={"subject_image_list": (1, 4)},
                choices={"aspect_ratio": IMAGE_RATIOS},
            ),
            models=COMETAPI_MULTI_IMAGE2IMAGE_MODELS,
            item_counts={"subject_image_list": (2, 4)},
        ),
        estimate=multi_image_units,
        command=Command(
            "multi-image2image",
            "an image from subject, scene and style images",
            (
                item_option(
                    "--subject",
                    "subject_image_list",
                    "subject_image",
                    required=True,
                    metavar=PATH_OR_URL,
                ),
                option("--scene", dest="scene_image", metavar=PATH_OR_URL),
                option("--style", dest="style_image", metavar=PATH_OR_URL),
                option("--prompt"),
                N_IMAGES,
                *IMAGE_LOOK,
            ),
        ),
        title="Multi-image to image",
    ),
    Endpoint(
        name="image-generation",
        family=Family.IMAGE,
        # On CometAPI the same path also serves multi-image to image: queries at
        # images/generations/<id> find both kinds of task.
        paths=everywhere("images/generations"),
        request_model=ImageGenerationRequest,
        result_kind=ResultKind.IMAGE,
        # CometAPI's page for images/generations (multi-image) allows 2500-character
        # prompts; it states nothing narrower for text to image, so Kling's own limits apply.
        limits=everywhere(
            EndpointLimits(
                models=IMAGE_GENERATION_MODELS,
                max_chars=OFFICIAL_TEXT,
                choices={"aspect_ratio": IMAGE_RATIOS, "resolution": ("1k", "2k")},
                defaults={"model_name": DEFAULT_IMAGE_MODEL},
                features=(IMAGE_REFERENCE_ON_V1_5,),
            )
        ),
        estimate=image_units,
        command=Command(
            "image",
            "images from a prompt, optionally from an image",
            (
                option("--prompt", required=True),
                option("--image", metavar=PATH_OR_URL, help="reference image"),
                option("--image-reference", help="subject or face (kling-v1-5)"),
                option("--image-fidelity", type=float, help="0..1"),
                option("--human-fidelity", type=float, help="0..1"),
                option("--resolution", help="1k or 2k"),
                N_IMAGES,
                *IMAGE_LOOK,
            ),
        ),
        title="Text or image to image",
    ),
)
"""Images from prompts and images, in the order `prefect-kling --help` lists them."""
