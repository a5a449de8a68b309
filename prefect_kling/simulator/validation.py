"""Request checks, written from kling-api.md independently of the client's models.

A validator reads a create body and either raises `Invalid` (the create answers 400/1201,
or 404/1203 for a model that does not exist) or returns an `Order`: the normalised facts
the simulator needs to run the task. Fields the endpoint does not know are not refused,
as Kling ignores them, but are listed in `Order.ignored_fields` so that tests can see them.

How images are checked is `prefect_kling.simulator.fields`'s job; the limits and the
`Order` are in `prefect_kling.simulator.orders`.

Examples:
    >>> ctx = Context(provider="kling", prompt_max=2500, negative_max=2500)
    >>> validate_text2video({"prompt": "a cat", "duration": "10"}, ctx).duration
    10
    >>> validate_text2video({"prompt": "a cat", "mode": "ultra"}, ctx)
    Traceback (most recent call last):
    ...
    prefect_kling.simulator.orders.Invalid: mode must be one of 'std', 'pro'; got 'ultra'
"""

from __future__ import annotations

from typing import Any

from prefect_kling.simulator.fields import Fields
from prefect_kling.simulator.orders import (
    GATEWAY_VIDEO_ASPECTS,
    IMAGE2VIDEO_MODELS,
    IMAGE_ASPECTS,
    MODES,
    MULTI_IMAGE2IMAGE_MODELS,
    MULTI_IMAGE2VIDEO_MODELS,
    TEXT2IMAGE_MODELS,
    TEXT2VIDEO_MODELS,
    VIDEO_ASPECTS,
    Context,
    Invalid,
    Order,
)


def validate_text2video(body: dict[str, Any], ctx: Context) -> Order:
    """Check a `videos/text2video` body."""
    fields = Fields(body)
    model = fields.model_name(TEXT2VIDEO_MODELS, "kling-v1")
    prompt = fields.text("prompt", max_len=ctx.prompt_max, required=True)
    negative = fields.text("negative_prompt", max_len=ctx.negative_max)
    fields.cfg_scale(model)
    mode = fields.choice("mode", MODES, "std")
    aspects = GATEWAY_VIDEO_ASPECTS if ctx.provider == "cometapi" else VIDEO_ASPECTS
    aspect_ratio = fields.choice("aspect_ratio", aspects, "16:9")
    duration = fields.duration()
    camera = fields.camera_control()
    if camera is not None and (model, mode, duration) != ("kling-v1", "std", 5):
        raise Invalid("camera_control is only supported in std mode with 5s duration and kling-v1")
    fields.choice("sound", ("on", "off"), "off")
    return fields.order(
        model_name=model,
        prompt=prompt,
        negative_prompt=negative,
        mode=mode,
        duration=duration,
        aspect_ratio=aspect_ratio,
    )


def validate_image2video(body: dict[str, Any], ctx: Context) -> Order:
    """Check a `videos/image2video` body (frames, masks and camera are exclusive groups)."""
    fields = Fields(body)
    model = fields.model_name(IMAGE2VIDEO_MODELS, "kling-v1")
    image = fields.image("image")
    tail = fields.image("image_tail")
    if image is None and tail is None:
        raise Invalid("image or image_tail is required")
    prompt = fields.text("prompt", max_len=ctx.prompt_max)
    negative = fields.text("negative_prompt", max_len=ctx.negative_max)
    fields.cfg_scale(model)
    mode = fields.choice("mode", MODES, "std")
    duration = fields.duration()
    static_mask = fields.image("static_mask")
    dynamic_masks = fields.dynamic_masks()
    masks = static_mask is not None or dynamic_masks is not None
    camera = fields.camera_control() is not None
    groups = [
        name
        for name, used in (
            ("image_tail", tail is not None),
            ("static_mask/dynamic_masks", masks),
            ("camera_control", camera),
        )
        if used
    ]
    if len(groups) > 1:
        raise Invalid(f"{' and '.join(groups)} cannot be used together")
    if (tail is not None or masks) and duration != 5:
        raise Invalid(f"{groups[0]} is only supported with 5s duration")
    return fields.order(
        model_name=model, prompt=prompt, negative_prompt=negative, mode=mode, duration=duration
    )


def validate_multi_image2video(body: dict[str, Any], ctx: Context) -> Order:
    """Check a `videos/multi-image2video` body."""
    fields = Fields(body)
    model = fields.model_name(MULTI_IMAGE2VIDEO_MODELS, "kling-v1-6")
    fields.image_list("image_list", "image", 2 if ctx.provider == "cometapi" else 1, 4)
    prompt = fields.text("prompt", max_len=ctx.prompt_max, required=True)
    negative = fields.text("negative_prompt", max_len=ctx.negative_max)
    mode = fields.choice("mode", MODES, "std")
    duration = fields.duration()
    aspect_ratio = fields.choice("aspect_ratio", VIDEO_ASPECTS, "16:9")
    return fields.order(
        model_name=model,
        prompt=prompt,
        negative_prompt=negative,
        mode=mode,
        duration=duration,
        aspect_ratio=aspect_ratio,
    )


def validate_multi_image2image(body: dict[str, Any], ctx: Context) -> Order:
    """Check a multi-image to image body (`scence_image` on the gateway, sic)."""
    fields = Fields(body)
    model = fields.model_name(MULTI_IMAGE2IMAGE_MODELS, "kling-v2")
    minimum = 2 if ctx.provider == "cometapi" else 1
    fields.image_list("subject_image_list", "subject_image", minimum, 4)
    prompt = fields.text("prompt", max_len=ctx.prompt_max)
    fields.image("scence_image" if ctx.provider == "cometapi" else "scene_image")
    fields.image("style_image")
    n = fields.integer("n", 1, 9, 1)
    aspect_ratio = fields.choice("aspect_ratio", IMAGE_ASPECTS, "16:9")
    return fields.order(model_name=model, prompt=prompt, n=n, aspect_ratio=aspect_ratio)


def validate_text2image(body: dict[str, Any], ctx: Context) -> Order:
    """Check an `images/generations` (text or image to image) body."""
    fields = Fields(body)
    model = fields.model_name(TEXT2IMAGE_MODELS, TEXT2IMAGE_MODELS[0])
    prompt = fields.text("prompt", max_len=ctx.prompt_max, required=True)
    image = fields.image("image")
    negative = fields.text("negative_prompt", max_len=ctx.negative_max)
    if image is not None and negative:
        raise Invalid("negative_prompt is not supported when image is set")
    reference = fields.get("image_reference")
    if reference is not None:
        fields.choice("image_reference", ("subject", "face"), "subject")
        if model != "kling-v1-5" or image is None:
            raise Invalid("image_reference needs model_name 'kling-v1-5' and an image")
    elif model == "kling-v1-5" and image is not None:
        raise Invalid("image_reference is required with model_name 'kling-v1-5' and an image")
    fields.number("image_fidelity", 0.0, 1.0)
    fields.number("human_fidelity", 0.0, 1.0)
    resolution = fields.choice("resolution", ("1k", "2k"), "1k")
    n = fields.integer("n", 1, 9, 1)
    aspect_ratio = fields.choice("aspect_ratio", IMAGE_ASPECTS, "16:9")
    return fields.order(
        model_name=model,
        prompt=prompt,
        negative_prompt=negative,
        n=n,
        resolution=resolution,
        aspect_ratio=aspect_ratio,
    )
