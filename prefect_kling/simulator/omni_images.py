"""Omni image, AI multi-shot and image recognition, as the simulator checks and answers them.

Written from Kling's pages independently of the client's models: `kling-image-o1` makes
single images at 1K or 2K; `kling-v3-omni` also 4K and series (2 to 9 images, or `auto`,
which the simulator makes 3 of); references (images and elements) at most 10 together.
AI multi-shot makes three views of its frontal image, answered as one image item with
`url_1`..`url_3`. Image recognition creates no task: it answers at once with the four
masks Kling looks for, served at `/_simulator/masks/<id>/<index>.png`.

Examples:
    >>> from prefect_kling.simulator.orders import Context
    >>> ctx = Context(provider="kling", prompt_max=2500, negative_max=2500)
    >>> order = validate_omni_image(
    ...     {"prompt": "a fox", "model_name": "kling-v3-omni", "result_type": "series",
    ...      "series_amount": "auto"}, ctx)
    >>> order.series, order.n
    (True, 3)
    >>> validate_omni_image({"prompt": "a fox", "resolution": "4k"}, ctx)
    Traceback (most recent call last):
    ...
    prefect_kling.simulator.orders.Invalid: resolution '4k' needs model_name 'kling-v3-omni'
"""

from __future__ import annotations

from typing import Any

from prefect_kling.simulator.fields import Fields
from prefect_kling.simulator.orders import OMNI_IMAGE_MODELS, Context, Invalid, Order

OMNI_ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9", "auto")
MAX_REFERENCES = 10
AUTO_SERIES = 3
"""Images the simulator makes for `series_amount: "auto"`."""
MULTI_SHOT_VIEWS = 3
RECOGNIZED_KINDS = ("object_seg", "head_seg", "face_seg", "cloth_seg")
"""What image recognition looks for, in Kling's order."""
MASK_SIDE = 320


def validate_omni_image(body: dict[str, Any], ctx: Context) -> Order:
    """Check an `images/omni-image` body."""
    fields = Fields(body)
    model = fields.model_name(OMNI_IMAGE_MODELS, OMNI_IMAGE_MODELS[0])
    prompt = fields.text("prompt", max_len=ctx.prompt_max, required=True)
    images, elements = [], []
    if "image_list" in body:
        images = fields.image_list("image_list", "image", 1, MAX_REFERENCES)
    if "element_list" in body:
        elements = fields.objects("element_list", 1, MAX_REFERENCES)
    for element in elements:
        element.identifier("element_id", required=True)
    if len(images) + len(elements) > MAX_REFERENCES:
        raise Invalid(f"image_list and element_list hold more than {MAX_REFERENCES} references")
    resolution = fields.choice("resolution", ("1k", "2k", "4k"), "1k")
    result_type = fields.choice("result_type", ("single", "series"), "single")
    if model != "kling-v3-omni" and (resolution == "4k" or result_type == "series"):
        what = "resolution '4k'" if resolution == "4k" else "result_type 'series'"
        raise Invalid(f"{what} needs model_name 'kling-v3-omni'")
    n = fields.integer("n", 1, 9, 1)
    series = result_type == "series"
    if series:
        auto = fields.get("series_amount") == "auto"
        n = AUTO_SERIES if auto else fields.integer("series_amount", 2, 9, 4)
    aspect_ratio = fields.choice("aspect_ratio", OMNI_ASPECTS, "auto")
    return fields.order(
        model_name=model,
        prompt=prompt,
        n=n,
        resolution=resolution,
        aspect_ratio="1:1" if aspect_ratio == "auto" else aspect_ratio,
        series=series,
    )


def validate_multi_shot(body: dict[str, Any], ctx: Context) -> Order:
    """Check a `general/ai-multi-shot` body (three views out)."""
    fields = Fields(body)
    fields.image("element_frontal_image", required=True)
    return fields.order(model_name="", n=MULTI_SHOT_VIEWS, aspect_ratio="1:1")


def validate_image_recognize(body: dict[str, Any]) -> None:
    """Check a `videos/image-recognize` body (raises `Invalid`)."""
    fields = Fields(body)
    fields.image("image", required=True)
    if fields.problem():
        raise Invalid(f"image: {fields.problem()}")


def recognition_view(recognition_id: str, base_url: str) -> dict[str, Any]:
    """The `data` of an image recognition answer: every kind found, with its mask."""
    masks = f"{base_url}/_simulator/masks/{recognition_id}"
    return {
        "final_unit_deduction": "0.1",
        "task_result": {
            "images": [
                {"type": kind, "is_contain": True, "url": f"{masks}/{index}.png"}
                for index, kind in enumerate(RECOGNIZED_KINDS)
            ]
        },
    }


def mask_index(name: str) -> int | None:
    """The mask a file name asks for (`2.png`), or `None` for no mask.

    Examples:
        >>> mask_index("2.png"), mask_index("7.png"), mask_index("x.png")
        (2, None, None)
    """
    stem = name.removesuffix(".png")
    if not stem.isdigit() or int(stem) >= len(RECOGNIZED_KINDS):
        return None
    return int(stem)
