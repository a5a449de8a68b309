"""Request checks, written from kling-api.md independently of the client's models.

A validator reads a create body and either raises `Invalid` (the create answers 400/1201,
or 404/1203 for a model that does not exist) or returns an `Order`: the normalised facts
the simulator needs to run the task. Fields the endpoint does not know are not refused,
as Kling ignores them, but are listed in `Order.ignored_fields` so that tests can see them.

Images are a public URL or raw Base64. Base64 that does not decode, a `data:` prefix or a
file over 10 MB is refused at once; a decodable image with the wrong format, fewer than
300 px on a side or an aspect ratio outside 1:2.5..2.5:1 makes the task fail later, as
Kling reports pixel problems in `task_status_msg` (e.g. "Image pixel is invalid").

Examples:
    >>> ctx = Context(provider="kling", prompt_max=2500, negative_max=2500)
    >>> validate_text2video({"prompt": "a cat", "duration": "10"}, ctx).duration
    10
    >>> validate_text2video({"prompt": "a cat", "mode": "ultra"}, ctx)
    Traceback (most recent call last):
    ...
    prefect_kling.simulator.validation.Invalid: mode must be one of 'std', 'pro'; got 'ultra'
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MIN_IMAGE_SIDE = 300
MAX_IMAGE_RATIO = 2.5

MODES = ("std", "pro")
DURATIONS = {"5": 5, "10": 10}
VIDEO_ASPECTS = ("16:9", "9:16", "1:1")
GATEWAY_VIDEO_ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3")
IMAGE_ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9")

TEXT2VIDEO_MODELS = (
    "kling-v1",
    "kling-v1-6",
    "kling-v2-master",
    "kling-v2-1-master",
    "kling-v2-5-turbo",
    "kling-v2-6",
    "kling-v3",
)
IMAGE2VIDEO_MODELS = (*TEXT2VIDEO_MODELS, "kling-v1-5", "kling-v2-1")
MULTI_IMAGE2VIDEO_MODELS = ("kling-v1-6",)
MULTI_IMAGE2IMAGE_MODELS = ("kling-v2", "kling-v2-1")
TEXT2IMAGE_MODELS = ("kling-v1", "kling-v1-5", "kling-v2", "kling-v2-new", "kling-v2-1")
TRY_ON_MODELS = ("kolors-virtual-try-on-v1", "kolors-virtual-try-on-v1-5")
KNOWN_MODELS = frozenset(
    IMAGE2VIDEO_MODELS + MULTI_IMAGE2IMAGE_MODELS + TEXT2IMAGE_MODELS + TRY_ON_MODELS
)

CAMERA_TYPES = ("simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward")
CAMERA_AXES = ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")


class Invalid(Exception):
    """A create request Kling would refuse.

    Args:
        message: What is wrong, naming the field.
        code: Kling's business code (1201 by default).
        http_status: The HTTP status that goes with it.
    """

    def __init__(self, message: str, code: int = 1201, http_status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status


@dataclass(frozen=True)
class Context:
    """What a validator needs to know about where the request came in.

    Attributes:
        provider: `kling` (official `/v1`) or `cometapi` (gateway `/kling/v1`).
        prompt_max: Longest `prompt` accepted, in characters.
        negative_max: Longest `negative_prompt` accepted, in characters.
    """

    provider: str
    prompt_max: int
    negative_max: int


@dataclass(frozen=True)
class ParentVideo:
    """The video a task starts from (`task_info.parent_video`).

    Attributes:
        id: The video's id (`""` for a video given by URL).
        url: Where the video is.
        seconds: Its length.
    """

    id: str
    url: str
    seconds: float

    def view(self) -> dict[str, str]:
        """`{id, url, duration}` as Kling shows it (duration a string of seconds)."""
        return {"id": self.id, "url": self.url, "duration": f"{self.seconds:.3f}"}


@dataclass(frozen=True)
class FaceChoice:
    """One face chosen in an advanced lip-sync body.

    Attributes:
        face_id: The face, from the identify-face session.
        insert_ms: `sound_insert_time`: where the sound starts in the video.
        position: Index in `face_choose` (for messages).
    """

    face_id: str
    insert_ms: int
    position: int


@dataclass(frozen=True)
class Order:
    """A validated create request, reduced to what the simulator uses.

    Attributes:
        model_name: The model that will run (the endpoint's default when not given).
        prompt: The prompt (empty when not given).
        negative_prompt: The negative prompt (empty when not given).
        mode: `std` or `pro`.
        duration: Video length in seconds (5 or 10).
        aspect_ratio: Output aspect ratio.
        n: Number of images (1 for videos).
        resolution: Image resolution (`1k` or `2k`).
        watermark: Whether `watermark_info.enabled` was set.
        external_task_id: The caller's id, if any.
        callback_url: Where status changes are POSTed, if anywhere.
        ignored_fields: Body fields the endpoint does not know.
        image_problem: Why the task will fail later because of an input image, if it will.
        video_id: The video a task or call starts from, by id (checked by the state).
        video_url: The video a task or call starts from, by URL.
        session_id: The identify-face session an advanced lip-sync uses.
        faces: The faces an advanced lip-sync animates.
        parent: The source video, once the state has found it.
    """

    model_name: str
    prompt: str = ""
    negative_prompt: str = ""
    mode: str = "std"
    duration: int = 5
    aspect_ratio: str = "16:9"
    n: int = 1
    resolution: str = "1k"
    watermark: bool = False
    external_task_id: str | None = None
    callback_url: str | None = None
    ignored_fields: tuple[str, ...] = ()
    image_problem: str | None = None
    video_id: str | None = None
    video_url: str | None = None
    session_id: str | None = None
    faces: tuple[FaceChoice, ...] = ()
    parent: ParentVideo | None = None


def _present(value: Any) -> bool:
    # Kling treats null and "" as "not given" (clients send "image_tail": "").
    return value is not None and value != ""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _image_problem(raw: bytes) -> str | None:
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image_format, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return "Image format is invalid"
    if image_format not in ("JPEG", "PNG"):
        return "Image format is invalid"
    if min(width, height) < MIN_IMAGE_SIDE:
        return "Image pixel is invalid"
    if not 1 / MAX_IMAGE_RATIO <= width / height <= MAX_IMAGE_RATIO:
        return "Image aspect ratio is invalid"
    return None


class _Fields:
    """Reads a body field by field, remembering which fields were read.

    A nested object (lip-sync's `input`, effects' `input`, each `face_choose` item) is read
    by a child reader whose `prefix` makes messages name the field in full (`input.text`).
    """

    def __init__(self, body: dict[str, Any], prefix: str = "") -> None:
        self.body = body
        self.prefix = prefix
        self.read: set[str] = set()
        self.children: list[_Fields] = []
        self.image_problem: str | None = None

    def label(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def get(self, name: str) -> Any:
        self.read.add(name)
        value = self.body.get(name)
        return value if _present(value) else None

    def require(self, name: str) -> Any:
        value = self.get(name)
        if value is None:
            raise Invalid(f"{self.label(name)} is required")
        return value

    def nested(self, name: str) -> _Fields:
        value = self.require(name)
        if not isinstance(value, dict):
            raise Invalid(f"{self.label(name)} must be an object")
        child = _Fields(value, prefix=f"{self.label(name)}.")
        self.children.append(child)
        return child

    def objects(self, name: str, low: int, high: int) -> list[_Fields]:
        """Readers for a required list of `low` to `high` objects (`face_choose`)."""
        items = self.require(name)
        if not isinstance(items, list) or not low <= len(items) <= high:
            raise Invalid(f"{self.label(name)} must hold {low} to {high} items; got {items!r:.80}")
        children = []
        for position, item in enumerate(items):
            where = f"{self.label(name)}[{position}]"
            if not isinstance(item, dict):
                raise Invalid(f"{where} must be an object")
            children.append(_Fields(item, prefix=f"{where}."))
        self.children.extend(children)
        return children

    def ignored(self) -> list[str]:
        unread = [self.label(name) for name in set(self.body) - self.read]
        return unread + [name for child in self.children for name in child.ignored()]

    def text(self, name: str, *, max_len: int, required: bool = False) -> str:
        value = self.require(name) if required else self.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise Invalid(f"{self.label(name)} must be a string")
        if len(value) > max_len:
            raise Invalid(
                f"{self.label(name)} is too long: {len(value)} characters, at most {max_len}"
            )
        return value

    def choice(
        self, name: str, allowed: Sequence[str], default: str, *, required: bool = False
    ) -> str:
        value = self.require(name) if required else self.get(name)
        if value is None:
            return default
        if value not in allowed:
            options = ", ".join(repr(option) for option in allowed)
            raise Invalid(f"{self.label(name)} must be one of {options}; got {value!r}")
        return value

    def model_name(self, allowed: Sequence[str], default: str) -> str:
        value = self.get("model_name")
        if value is None:
            return default
        if value not in KNOWN_MODELS:
            raise Invalid(
                f"{self.label('model_name')} {value!r} does not exist", code=1203, http_status=404
            )
        return self.choice("model_name", allowed, default)

    def number(self, name: str, low: float, high: float) -> float | None:
        value = self.get(name)
        if value is None:
            return None
        if not _is_number(value) or not low <= value <= high:
            raise Invalid(
                f"{self.label(name)} must be a number between {low:g} and {high:g}; got {value!r}"
            )
        return float(value)

    def integer(
        self, name: str, low: int, high: int, default: int, *, required: bool = False
    ) -> int:
        value = self.require(name) if required else self.get(name)
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise Invalid(
                f"{self.label(name)} must be an integer between {low} and {high}; got {value!r}"
            )
        return value

    def identifier(self, name: str, *, required: bool = False) -> str | None:
        """A string id; a number is accepted too (ids are numeric strings)."""
        value = self.require(name) if required else self.get(name)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise Invalid(f"{self.label(name)} must be a string")
        return value

    def url(self, name: str, *, required: bool = False) -> str | None:
        value = self.require(name) if required else self.get(name)
        if value is not None and (
            not isinstance(value, str) or not value.startswith(("http://", "https://"))
        ):
            raise Invalid(f"{self.label(name)} must be an http(s) URL")
        return value

    def audio(self, name: str, *, urls: bool, required: bool = False) -> str | None:
        """Audio as raw Base64 (and, where `urls`, as an http(s) URL)."""
        value = self.require(name) if required else self.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise Invalid(f"{self.label(name)} must be a string")
        if value.startswith(("http://", "https://")):
            if urls:
                return value
            raise Invalid(f"{self.label(name)} must be raw Base64 audio, not a URL")
        try:
            base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            allowed = "an http(s) URL or raw Base64" if urls else "raw Base64"
            raise Invalid(f"{self.label(name)} must be {allowed} audio") from None
        return value

    def one_of(self, first: str, second: str) -> str:
        """The name of the one field given among two exclusive, required fields."""
        given = [name for name in (first, second) if self.get(name) is not None]
        pair = f"{self.label(first)} or {self.label(second)}"
        if not given:
            raise Invalid(f"{pair} is required")
        if len(given) == 2:
            raise Invalid(f"{pair}: give one, not both")
        return given[0]

    def duration(self, allowed: Sequence[str] = tuple(DURATIONS)) -> int:
        value = self.get("duration")
        if value is None:
            return 5
        # Kling documents strings; a number is accepted as well.
        key = str(value) if _is_number(value) and value == int(value) else value
        if not isinstance(key, str) or key not in allowed:
            options = " or ".join(repr(option) for option in allowed)
            raise Invalid(f"{self.label('duration')} must be {options}; got {value!r}")
        return DURATIONS[key]

    def cfg_scale(self, model_name: str) -> None:
        value = self.number("cfg_scale", 0.0, 1.0)
        if value is not None and model_name.startswith("kling-v2"):
            raise Invalid(f"cfg_scale is not supported by {model_name}")

    def image(self, name: str, *, required: bool = False) -> str | None:
        return self._check_image(self.label(name), self.get(name), required=required)

    def _check_image(self, name: str, value: Any, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                raise Invalid(f"{name} is required")
            return None
        if not isinstance(value, str):
            raise Invalid(f"{name} must be a string (an image URL or raw Base64)")
        if value.startswith(("http://", "https://")):
            return value
        if value.startswith("data:"):
            raise Invalid(f"{name} must be raw Base64 without a 'data:...;base64,' prefix")
        try:
            raw = base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise Invalid(f"{name} is neither an http(s) URL nor valid Base64") from None
        if len(raw) > MAX_IMAGE_BYTES:
            raise Invalid(f"{name} is larger than 10 MB ({len(raw)} bytes)")
        if self.image_problem is None:
            self.image_problem = _image_problem(raw)
        return value

    def image_list(self, name: str, key: str | None, low: int, high: int) -> list[str]:
        """Images as `[{key: image}, ...]`, or as plain `[image, ...]` when `key` is `None`."""
        label = self.label(name)
        value = self.require(name)
        if not isinstance(value, list) or not low <= len(value) <= high:
            count = f"{low} to {high}" if low != high else f"exactly {low}"
            raise Invalid(f"{label} must hold {count} images; got {value!r:.80}")
        images = []
        for position, item in enumerate(value):
            if key is None:
                images.append(self._check_image(f"{label}[{position}]", item, required=True))
                continue
            if not isinstance(item, dict):
                raise Invalid(f"{label}[{position}] must be an object with {key!r}")
            field_name = f"{label}[{position}].{key}"
            images.append(self._check_image(field_name, item.get(key), required=True))
        return images

    def camera_control(self) -> dict[str, Any] | None:
        value = self.get("camera_control")
        if value is None:
            return None
        if not isinstance(value, dict):
            raise Invalid("camera_control must be an object")
        kind = value.get("type")
        if kind not in CAMERA_TYPES:
            options = ", ".join(repr(option) for option in CAMERA_TYPES)
            raise Invalid(f"camera_control.type must be one of {options}; got {kind!r}")
        config = value.get("config")
        if kind != "simple":
            if config:
                raise Invalid(f"camera_control.config must be empty for type {kind!r}")
            return value
        if not isinstance(config, dict) or not config:
            raise Invalid("camera_control.config is required for type 'simple'")
        unknown = sorted(set(config) - set(CAMERA_AXES))
        if unknown:
            raise Invalid(f"camera_control.config has unknown keys {unknown}")
        for axis, amount in config.items():
            if not _is_number(amount) or not -10 <= amount <= 10:
                raise Invalid(f"camera_control.config.{axis} must be between -10 and 10")
        if sum(1 for amount in config.values() if amount != 0) != 1:
            raise Invalid("camera_control.config must have exactly one non-zero value")
        return value

    def dynamic_masks(self) -> list[Any] | None:
        value = self.get("dynamic_masks")
        if value is None:
            return None
        if not isinstance(value, list) or not 1 <= len(value) <= 6:
            raise Invalid("dynamic_masks must hold 1 to 6 groups")
        for position, group in enumerate(value):
            where = f"dynamic_masks[{position}]"
            if not isinstance(group, dict):
                raise Invalid(f"{where} must be an object with 'mask' and 'trajectories'")
            self._check_image(f"{where}.mask", group.get("mask"), required=True)
            points = group.get("trajectories")
            if not isinstance(points, list) or not 2 <= len(points) <= 77:
                raise Invalid(f"{where}.trajectories must hold 2 to 77 points")
            for point in points:
                if not isinstance(point, dict) or not all(
                    isinstance(point.get(axis), int) and not isinstance(point.get(axis), bool)
                    for axis in ("x", "y")
                ):
                    raise Invalid(f"{where}.trajectories points must be {{'x': int, 'y': int}}")
        return value

    def problem(self) -> str | None:
        """The first input-image problem found here or in a nested object."""
        problems = [self.image_problem, *(child.problem() for child in self.children)]
        return next((problem for problem in problems if problem), None)

    def order(self, **facts: Any) -> Order:
        callback_url = self.url("callback_url")
        external_task_id = self.get("external_task_id")
        if external_task_id is not None and not isinstance(external_task_id, str):
            raise Invalid("external_task_id must be a string")
        watermark_info = self.get("watermark_info")
        if watermark_info is not None and (
            not isinstance(watermark_info, dict)
            or not isinstance(watermark_info.get("enabled", False), bool)
        ):
            raise Invalid("watermark_info must be an object {'enabled': bool}")
        return Order(
            **facts,
            watermark=bool(watermark_info and watermark_info.get("enabled")),
            external_task_id=external_task_id,
            callback_url=callback_url,
            ignored_fields=tuple(sorted(self.ignored())),
            image_problem=self.problem(),
        )


def validate_text2video(body: dict[str, Any], ctx: Context) -> Order:
    """Check a `videos/text2video` body."""
    fields = _Fields(body)
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
    fields = _Fields(body)
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
    fields = _Fields(body)
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
    fields = _Fields(body)
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
    fields = _Fields(body)
    model = fields.model_name(TEXT2IMAGE_MODELS, "kling-v1")
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
