"""The rows of omni image and AI multi-shot, and the image recognition route.

omni-image (`images/omni-image`): images, or a series of related images, from a prompt and
up to 10 references, with `kling-image-o1` (the default; 1K or 2K, single images) or
`kling-v3-omni` (also 4K and series), as Kling's image capability map says. multi-shot
(`general/ai-multi-shot`): three views of a subject from its frontal image. Both are
image tasks; an omni image task takes a slot of the image pool for each image it can make
(`images_made`: `n`, or the series' amount, `auto` counting as 9).

Image recognition (`videos/image-recognize`) creates no task: Kling answers at once with
the masks it found, so it is a `Route`. CometAPI lists none of the three: each is refused
for it before anything is sent.

Examples:
    >>> [row.name for row in ROWS], IMAGE_RECOGNIZE.units
    (['omni-image', 'multi-shot'], 0.1)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefect_kling.capabilities import EndpointLimits
from prefect_kling.capability_rules import FeatureRule, ValueRule
from prefect_kling.endpoints.command import Command, item_option, option
from prefect_kling.endpoints.row import Endpoint, Family, ResultKind, Route, official_only
from prefect_kling.endpoints.shared import IMAGE_RATIOS, N_IMAGES, OFFICIAL_TEXT, PATH_OR_URL
from prefect_kling.models.omni_images import (
    MAX_REFERENCES,
    ImageRecognition,
    ImageRecognizeRequest,
    MultiShotRequest,
    OmniImageRequest,
)
from prefect_kling.pricing import estimate_units
from prefect_kling.pricing_table import PER_REQUEST_UNITS

OMNI_IMAGE_MODELS = ("kling-image-o1", "kling-v3-omni")
"""The models of omni image; the first is Kling's default."""
IMAGE_RECOGNIZE_PATH = "videos/image-recognize"
"""Image recognition, relative to the API prefix: POST `ImageRecognizeRequest`, answered at
once with an `ImageRecognition`."""

# Kling's image capability map: O1 makes single images at 1K or 2K; 3.0 Omni adds 4K and
# series, but chooses no ratio (`auto`) from a prompt alone. `n` and `series_amount` each
# belong to one result type.
OMNI_IMAGE_RULES = (
    ValueRule("resolution", ("1k", "2k"), when={"model_name": ("kling-image-o1",)}),
    ValueRule("result_type", ("single",), when={"model_name": ("kling-image-o1",)}),
    ValueRule(
        "aspect_ratio",
        IMAGE_RATIOS,
        when={"model_name": ("kling-v3-omni",)},
        unless=("image_list", "element_list"),
    ),
)
OMNI_IMAGE_FEATURES = (
    FeatureRule("series_amount", only_with={"result_type": ("series",)}),
    FeatureRule("n", not_with={"result_type": ("series",)}),
)


def series_amount(text: str) -> int | str:
    """`--series-amount`: `auto`, or a whole number (the request model checks its range).

    Examples:
        >>> series_amount("4"), series_amount("auto")
        (4, 'auto')
    """
    return text if text == "auto" else int(text)


def omni_image_units(request: Mapping[str, Any]) -> float:
    """Omni image: the model's units per image at its resolution x the images it can make."""
    return estimate_units("omni-image", request)


def multi_shot_units(request: Mapping[str, Any]) -> float:
    """AI multi-shot: Kling's price per call (three views)."""
    return estimate_units("multi-shot", request)


ROWS = (
    Endpoint(
        name="omni-image",
        family=Family.IMAGE,
        paths=official_only("images/omni-image"),
        request_model=OmniImageRequest,
        result_kind=ResultKind.IMAGE,
        limits=official_only(
            EndpointLimits(
                models=OMNI_IMAGE_MODELS,
                max_chars={"prompt": OFFICIAL_TEXT["prompt"]},
                item_counts={
                    "image_list": (1, MAX_REFERENCES),
                    "element_list": (1, MAX_REFERENCES),
                },
                choices={
                    "aspect_ratio": (*IMAGE_RATIOS, "auto"),
                    "resolution": ("1k", "2k", "4k"),
                    "result_type": ("single", "series"),
                },
                defaults={"model_name": OMNI_IMAGE_MODELS[0], "result_type": "single"},
                features=OMNI_IMAGE_FEATURES,
                value_rules=OMNI_IMAGE_RULES,
            )
        ),
        estimate=omni_image_units,
        command=Command(
            "omni-image",
            "images or a series of images from a prompt and up to 10 references",
            (
                option("--prompt", required=True, help="name references as <<<image_1>>>"),
                item_option("--image", "image_list", "image", metavar=PATH_OR_URL),
                item_option("--element", "element_list", "element_id", metavar="ELEMENT_ID"),
                option("--model", dest="model_name", help="kling-image-o1 or kling-v3-omni"),
                option("--resolution", help="1k, 2k or 4k (kling-v3-omni)"),
                option("--result-type", help="single or series (kling-v3-omni)"),
                option(
                    "--series-amount",
                    type=series_amount,
                    help="images of a series: 2..9 or auto",
                ),
                N_IMAGES,
                option("--aspect-ratio", help="e.g. 16:9, or auto"),
            ),
        ),
        title="Omni image",
    ),
    Endpoint(
        name="multi-shot",
        family=Family.IMAGE,
        paths=official_only("general/ai-multi-shot"),
        request_model=MultiShotRequest,
        result_kind=ResultKind.IMAGE,
        estimate=multi_shot_units,
        command=Command(
            "multi-shot",
            "three views of a subject from its frontal image",
            (
                option(
                    "--image",
                    dest="element_frontal_image",
                    required=True,
                    metavar=PATH_OR_URL,
                    help="the subject seen from the front",
                ),
            ),
        ),
        title="AI multi-shot",
    ),
)
"""Omni image and AI multi-shot, in the order `prefect-kling --help` lists them."""

IMAGE_RECOGNIZE = Route(
    name="image-recognize",
    method="POST",
    # CometAPI's pages do not list image recognition.
    paths=official_only(IMAGE_RECOGNIZE_PATH),
    request_model=ImageRecognizeRequest,
    response_model=ImageRecognition,
    units=PER_REQUEST_UNITS["Image Recognition", "Image Recognition"],
)
"""The subject, head, face and clothing masks of an image, answered at once (charged)."""

ROUTES = (IMAGE_RECOGNIZE,)
"""The calls of this module that create no task."""
