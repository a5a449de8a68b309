"""Checking a newer-standard create body (`POST /<product>/<model>`) against its model's row.

A body has `prompt` (text-to-video, required) or `contents` (the other products, see
`standard_contents`), `settings` and `options`, and is read as Kling reads it:

- `settings`: each key the model takes, with its enumeration (`duration` an integer);
  a key the model does not take (`audio` on kling-2.5-turbo, `aspect_ratio` on
  image-to-video, `multi_shot` on kling-2.6, ...) is refused, as the model cannot do it;
  `character_orientation` is required on motion control;
- `options`: `callback_url` (http(s)), `external_task_id` (a string; `""` is "not given",
  as Kling's examples send), `watermark_info` (`{"enabled": bool}`);
- the legacy standard's `model_name`, `negative_prompt` and `camera_control` are refused:
  the model is in the path, and the newer standard has no such fields. Other fields it
  does not know are ignored, as Kling ignores them, and listed in `Order.ignored_fields`.

Then the rules between parts and settings (`standard_rules`), the elements and voices
(`Inputs`: the account's catalog) and the lengths of videos given by URL: a reference
video 3 to 15.5 s (kling-o1: 3 to 10 s), a motion video 3 to 30 s (orientation `video`)
or 3 to 10 s (orientation `image`). A refusal is `Invalid` (400/1201) naming the field.

Where the pages leave room, the simulator chooses: `settings.aspect_ratio` defaults to
`16:9` also where the omni-video pages call it required (no first frame, no reference
video), as their own "only prompt" example sends none; `audio` `original` is taken without
a reference video; with a `base_video`, a `multi_shot` not given counts as false (only
`true` is refused); a prompt part is optional outside text-to-video; the prompt limit is
each page's (3072 characters for kling-3.0-turbo text-to-video, kling-3.0 and
kling-3.0-omni; 2500 for the others, kling-3.0-turbo image-to-video included).

Examples:
    >>> from prefect_kling.simulator.standard_inputs import OfflineInputs
    >>> from prefect_kling.simulator.standard_models import find_model
    >>> spec = find_model("text-to-video", "kling-2.6")
    >>> body = {"prompt": "a fox", "settings": {"duration": 10, "resolution": "1080p"}}
    >>> order = validate_standard(spec, body, OfflineInputs())
    >>> order.model_name, order.duration, order.resolution, order.audio
    ('kling-2.6', 10, '1080p', 'off')
    >>> validate_standard(spec, {"prompt": "a fox", "settings": {"duration": 7}}, OfflineInputs())
    Traceback (most recent call last):
    ...
    prefect_kling.simulator.orders.Invalid: settings.duration must be 5 or 10 for \
text-to-video/kling-2.6; got 7
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from prefect_kling.simulator.fields import present
from prefect_kling.simulator.orders import Invalid, Order, ParentVideo
from prefect_kling.simulator.standard_contents import REFERENCE_VIDEOS, Contents, read_contents
from prefect_kling.simulator.standard_inputs import Inputs
from prefect_kling.simulator.standard_models import MOTION_SECONDS, StandardModel
from prefect_kling.simulator.standard_rules import (
    Settings,
    check_audio,
    check_element_count,
    check_frames,
    check_motion,
    check_omni,
)

LEGACY_FIELDS = ("model_name", "negative_prompt", "camera_control")
ORIENTATIONS = ("image", "video")
_BODY_FIELDS = ("settings", "options")


def billed_seconds(seconds: float) -> int:
    """Whole seconds billed for a motion-control video: its length rounded, half up.

    Examples:
        >>> billed_seconds(10.042), billed_seconds(7.5), billed_seconds(8.5)
        (10, 8, 9)
    """
    return max(1, math.floor(seconds + 0.5))


def _object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if not present(value):
        return {}
    if not isinstance(value, dict):
        raise Invalid(f"{name} must be an object")
    return value


def _one_of(name: str, value: Any, allowed: Sequence[Any], spec: StandardModel) -> Any:
    # `5.0` or `"5"` is not the integer 5: the newer standard types its settings.
    if value in allowed and type(value) is type(allowed[0]):
        return value
    if all(isinstance(option, int) for option in allowed):
        if list(allowed) == list(range(allowed[0], allowed[-1] + 1)) and len(allowed) > 2:
            options = f"an integer from {allowed[0]} to {allowed[-1]}"
        else:
            options = " or ".join(str(option) for option in allowed)
    else:
        options = "one of " + ", ".join(repr(option) for option in allowed)
    raise Invalid(f"settings.{name} must be {options} for {spec.name}; got {value!r}")


def read_settings(spec: StandardModel, settings: dict[str, Any]) -> Settings:
    """The settings, checked against what the model takes, defaults filled in."""
    taken = {"resolution"}
    taken |= {"duration"} if spec.durations else set()
    taken |= {"aspect_ratio"} if spec.aspect_ratios else set()
    taken |= {"audio"} if spec.audio else set()
    taken |= {"multi_shot"} if spec.multi_shot else set()
    taken |= {"character_orientation"} if spec.product == "motion-control" else set()
    given = {key: value for key, value in settings.items() if present(value)}
    for key in given:
        if key not in taken:
            raise Invalid(f"settings.{key} is not supported by {spec.name}")
    multi_shot = given.get("multi_shot")
    if multi_shot is not None and not isinstance(multi_shot, bool):
        raise Invalid(f"settings.multi_shot must be true or false; got {multi_shot!r}")
    orientation = None
    if "character_orientation" in taken:
        if "character_orientation" not in given:
            raise Invalid("settings.character_orientation is required: 'image' or 'video'")
        orientation = _one_of(
            "character_orientation", given["character_orientation"], ORIENTATIONS, spec
        )

    def setting(name: str, allowed: Sequence[Any], default: Any, absent: Any) -> Any:
        """The value given or the default, checked; `absent` where the model lacks it."""
        return _one_of(name, given.get(name, default), allowed, spec) if allowed else absent

    return Settings(
        duration=setting("duration", spec.durations, 5, 0),
        resolution=setting("resolution", spec.resolutions, spec.resolutions[0], ""),
        aspect_ratio=setting("aspect_ratio", spec.aspect_ratios, "16:9", "16:9"),
        audio=setting("audio", spec.audio, spec.audio_default, ""),
        multi_shot=multi_shot,
        orientation=orientation,
    )


def read_options(options: dict[str, Any]) -> tuple[str | None, str | None, bool, list[str]]:
    """`(callback_url, external_task_id, watermark, ignored option fields)`."""
    callback_url = options.get("callback_url")
    if present(callback_url) and (
        not isinstance(callback_url, str) or not callback_url.startswith(("http://", "https://"))
    ):
        raise Invalid("options.callback_url must be an http(s) URL")
    external = options.get("external_task_id")
    if present(external) and not isinstance(external, str):
        raise Invalid("options.external_task_id must be a string")
    watermark_info = options.get("watermark_info")
    if present(watermark_info) and (
        not isinstance(watermark_info, dict)
        or not isinstance(watermark_info.get("enabled", False), bool)
    ):
        raise Invalid("options.watermark_info must be an object {'enabled': bool}")
    known = ("callback_url", "external_task_id", "watermark_info")
    ignored = [f"options.{name}" for name in options if name not in known]
    return (
        callback_url if present(callback_url) else None,
        external if present(external) else None,
        bool(watermark_info and watermark_info.get("enabled")),
        ignored,
    )


def _prompt(spec: StandardModel, body: dict[str, Any]) -> str:
    value = body.get("prompt")
    if not present(value):
        raise Invalid("prompt is required")
    if not isinstance(value, str):
        raise Invalid("prompt must be a string")
    if len(value) > spec.prompt_max:
        raise Invalid(f"prompt is too long: {len(value)} characters, at most {spec.prompt_max}")
    return value


def _catalogued(contents: Contents, inputs: Inputs) -> dict[int, str]:
    """Each element's type by position; refuses elements and voices the account lacks."""
    kinds = {}
    for part in contents.of("element"):
        kind = inputs.element_type(part.value)
        if kind is None:
            raise Invalid(f"{part.label}.element_id {part.value!r} does not exist")
        kinds[part.position] = kind
    for part in contents.of("voice"):
        if not inputs.voice_exists(part.value):
            raise Invalid(f"{part.label}.voice_id {part.value!r} does not exist")
    return kinds


def _video(
    spec: StandardModel, contents: Contents, settings: Settings, inputs: Inputs
) -> ParentVideo | None:
    """The reference or motion video, its length checked."""
    if spec.product == "motion-control":
        parts, what = contents.of("video"), "motion video"
        low, high = MOTION_SECONDS[settings.orientation or "video"]
    else:
        parts, what = contents.of(*REFERENCE_VIDEOS), "reference video"
        low, high = spec.reference_seconds or (0.0, 0.0)
    if not parts:
        return None
    part = parts[0]
    seconds = inputs.video_seconds(part.value)
    if seconds is None:
        raise Invalid(f"{part.label}.url cannot be read: no finished video is there")
    if not low <= seconds <= high:
        orientation = f" with character_orientation {settings.orientation!r}"
        raise Invalid(
            f"{part.label}.url: the {what} must last {low:g} to {high:g} seconds"
            f"{orientation if settings.orientation else ''}; it lasts {seconds:.3f} s"
        )
    return ParentVideo("", part.value, seconds)


def _check_rules(
    spec: StandardModel, contents: Contents, settings: Settings, kinds: dict[int, str]
) -> None:
    check_frames(spec, contents, settings)
    check_audio(spec, contents, settings)
    if spec.product == "omni-video":
        check_omni(spec, contents, settings, kinds)
    else:
        check_element_count(spec, contents)
    if spec.product == "motion-control":
        check_motion(spec, contents)


def validate_standard(spec: StandardModel, body: dict[str, Any], inputs: Inputs) -> Order:
    """Check a create body for a model; returns the `Order` the simulator runs.

    Raises:
        Invalid: The body breaks one of the model's rules (the message names the field).
    """
    for name in LEGACY_FIELDS:
        if present(body.get(name)):
            raise Invalid(
                f"{name} is not a field of {spec.name}: the newer API standard takes the "
                "model in the path and has no model_name, negative_prompt or camera_control"
            )
    settings = read_settings(spec, _object(body, "settings"))
    callback_url, external, watermark, ignored = read_options(_object(body, "options"))
    main = "contents" if spec.contents else "prompt"
    if spec.contents:
        contents = read_contents(spec, body.get("contents"))
        prompt = contents.prompt
    else:
        contents, prompt = Contents(), _prompt(spec, body)
    kinds = _catalogued(contents, inputs)
    _check_rules(spec, contents, settings, kinds)
    video = _video(spec, contents, settings, inputs)
    motion = spec.product == "motion-control" and video is not None
    ignored += [name for name in body if name not in (main, *_BODY_FIELDS)]
    return Order(
        model_name=spec.model,
        prompt=prompt,
        duration=billed_seconds(video.seconds) if motion and video else settings.duration,
        aspect_ratio=settings.aspect_ratio,
        resolution=settings.resolution,
        watermark=watermark,
        external_task_id=external,
        callback_url=callback_url,
        ignored_fields=tuple(sorted([*ignored, *contents.ignored])),
        image_problem=contents.image_problem,
        parent=video,
        audio=settings.audio,
        element_ids=tuple(part.value for part in contents.of("element")),
        voice_ids=tuple(part.value for part in contents.of("voice")),
    )
