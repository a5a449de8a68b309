"""Reading a create body field by field, as Kling would: what counts as given, images checked.

Images are a public URL or raw Base64. Base64 that does not decode, a `data:` prefix or a
file over 10 MB is refused at once; a decodable image with the wrong format, fewer than
300 px on a side or an aspect ratio outside 1:2.5..2.5:1 makes the task fail later, as
Kling reports pixel problems in `task_status_msg` (e.g. "Image pixel is invalid").
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Sequence
from typing import Any

from PIL import Image, UnidentifiedImageError

from prefect_kling.simulator.orders import (
    CAMERA_AXES,
    CAMERA_TYPES,
    DURATIONS,
    KNOWN_MODELS,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_RATIO,
    MIN_IMAGE_SIDE,
    Invalid,
    Order,
)


def present(value: Any) -> bool:
    """Whether a field counts as given."""
    # Kling treats null and "" as "not given" (clients send "image_tail": "").
    return value is not None and value != ""


def is_number(value: Any) -> bool:
    """Whether a value is a JSON number (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def image_problem(raw: bytes) -> str | None:
    """Why Kling would fail a task for this image later (its message), or None."""
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


class Fields:
    """Reads a body field by field, remembering which fields were read.

    A nested object (lip-sync's `input`, effects' `input`, each `face_choose` item) is read
    by a child reader whose `prefix` makes messages name the field in full (`input.text`).
    """

    def __init__(self, body: dict[str, Any], prefix: str = "") -> None:
        self.body = body
        self.prefix = prefix
        self.read: set[str] = set()
        self.children: list[Fields] = []
        self.image_problem: str | None = None

    def label(self, name: str) -> str:
        """The field's full name, for messages (`input.text`)."""
        return f"{self.prefix}{name}"

    def get(self, name: str) -> Any:
        """The field's value, or None when it is not given."""
        self.read.add(name)
        value = self.body.get(name)
        return value if present(value) else None

    def require(self, name: str) -> Any:
        """The field's value; refused when it is not given."""
        value = self.get(name)
        if value is None:
            raise Invalid(f"{self.label(name)} is required")
        return value

    def nested(self, name: str) -> Fields:
        """A reader of a nested object (required)."""
        value = self.require(name)
        if not isinstance(value, dict):
            raise Invalid(f"{self.label(name)} must be an object")
        child = Fields(value, prefix=f"{self.label(name)}.")
        self.children.append(child)
        return child

    def objects(self, name: str, low: int, high: int) -> list[Fields]:
        """Readers for a required list of `low` to `high` objects (`face_choose`)."""
        items = self.require(name)
        if not isinstance(items, list) or not low <= len(items) <= high:
            raise Invalid(f"{self.label(name)} must hold {low} to {high} items; got {items!r:.80}")
        children = []
        for position, item in enumerate(items):
            where = f"{self.label(name)}[{position}]"
            if not isinstance(item, dict):
                raise Invalid(f"{where} must be an object")
            children.append(Fields(item, prefix=f"{where}."))
        self.children.extend(children)
        return children

    def ignored(self) -> list[str]:
        """The fields nobody read, here and in nested readers."""
        unread = [self.label(name) for name in set(self.body) - self.read]
        return unread + [name for child in self.children for name in child.ignored()]

    def text(self, name: str, *, max_len: int, required: bool = False) -> str:
        """A string of at most `max_len` characters (empty when not given)."""
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
        """One of `allowed`, or the default."""
        value = self.require(name) if required else self.get(name)
        if value is None:
            return default
        if value not in allowed:
            options = ", ".join(repr(option) for option in allowed)
            raise Invalid(f"{self.label(name)} must be one of {options}; got {value!r}")
        return value

    def model_name(self, allowed: Sequence[str], default: str) -> str:
        """The model: 404/1203 for a model that does not exist, 1201 for one not allowed."""
        value = self.get("model_name")
        if value is None:
            return default
        if value not in KNOWN_MODELS:
            raise Invalid(
                f"{self.label('model_name')} {value!r} does not exist", code=1203, http_status=404
            )
        return self.choice("model_name", allowed, default)

    def number(self, name: str, low: float, high: float) -> float | None:
        """A number between `low` and `high`, or None."""
        value = self.get(name)
        if value is None:
            return None
        if not is_number(value) or not low <= value <= high:
            raise Invalid(
                f"{self.label(name)} must be a number between {low:g} and {high:g}; got {value!r}"
            )
        return float(value)

    def integer(
        self, name: str, low: int, high: int, default: int, *, required: bool = False
    ) -> int:
        """A whole number between `low` and `high`, or the default."""
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
        """An http(s) URL, or None."""
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
        """The video length in seconds, from its allowed strings."""
        value = self.get("duration")
        if value is None:
            return 5
        # Kling documents strings; a number is accepted as well.
        key = str(value) if is_number(value) and value == int(value) else value
        if not isinstance(key, str) or key not in allowed:
            options = " or ".join(repr(option) for option in allowed)
            raise Invalid(f"{self.label('duration')} must be {options}; got {value!r}")
        return DURATIONS[key]

    def cfg_scale(self, model_name: str) -> None:
        """Check `cfg_scale`: 0 to 1, and not on kling-v2 models."""
        value = self.number("cfg_scale", 0.0, 1.0)
        if value is not None and model_name.startswith("kling-v2"):
            raise Invalid(f"cfg_scale is not supported by {model_name}")

    def image(self, name: str, *, required: bool = False) -> str | None:
        """An image field (URL or Base64), checked as Kling checks it."""
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
            self.image_problem = image_problem(raw)
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
        """The camera control object, checked."""
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
            if not is_number(amount) or not -10 <= amount <= 10:
                raise Invalid(f"camera_control.config.{axis} must be between -10 and 10")
        if sum(1 for amount in config.values() if amount != 0) != 1:
            raise Invalid("camera_control.config must have exactly one non-zero value")
        return value

    def dynamic_masks(self) -> list[Any] | None:
        """The motion-brush groups, checked."""
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
        """The `Order` of these facts plus the fields every create shares."""
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
