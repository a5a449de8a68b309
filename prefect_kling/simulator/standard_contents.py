"""Reading the newer standard's `contents[]`: typed parts, each checked for its own fields.

Each part is an object with a `type` the model takes and that type's fields:

- `prompt`: `text` (at most the model's prompt length; one prompt at most);
- `first_frame`, `last_frame`, `refer_image`, `image`: `url`, an http(s) URL or raw Base64
  (no `data:` prefix, at most 50 MB); a decodable image Kling would fail on later (format,
  fewer than 300 px a side, a ratio outside 1:2.5..2.5:1) makes the task fail, as on `/v1`;
- `feature_video`, `base_video`, `video`: `url`, an http(s) URL (videos are not sent inline);
- `element`: `element_id` and `id`; `voice`: `voice_id` and `id` (all required);
- on omni-video, images and videos may carry an `id` too. Ids are unique within a task.

A refusal is `Invalid` naming the part, e.g. `contents[1].url is required`.

Examples:
    >>> from prefect_kling.simulator.standard_models import find_model
    >>> spec = find_model("image-to-video", "kling-2.6")
    >>> parts = read_contents(spec, [{"type": "prompt", "text": "a fox"},
    ...                              {"type": "first_frame", "url": "https://x/a.png"}])
    >>> parts.prompt, [part.label for part in parts.of("first_frame")]
    ('a fox', ['contents[1]'])
    >>> read_contents(spec, [{"type": "element", "element_id": "1", "id": "e"}])
    Traceback (most recent call last):
    ...
    prefect_kling.simulator.orders.Invalid: contents[0].type must be one of 'prompt', \
'first_frame', 'last_frame', 'voice' for image-to-video/kling-2.6; got 'element'
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from prefect_kling.simulator.fields import image_problem, present
from prefect_kling.simulator.orders import Invalid
from prefect_kling.simulator.standard_models import StandardModel

MAX_IMAGE_BYTES = 50 * 1024 * 1024
IMAGES = ("first_frame", "last_frame", "refer_image", "image")
VIDEOS = ("feature_video", "base_video", "video")
REFERENCE_VIDEOS = ("feature_video", "base_video")
_IDS = {"element": "element_id", "voice": "voice_id"}


@dataclass(frozen=True)
class Part:
    """One item of `contents[]`.

    Attributes:
        type: Its `type`.
        position: Its index in `contents`.
        value: Its main value: the text, the URL (or Base64), or the element or voice id.
        id: Its `id` (the name the prompt refers to it by), if any.
    """

    type: str
    position: int
    value: str
    id: str | None = None

    @property
    def label(self) -> str:
        """`contents[<position>]`, for messages."""
        return f"contents[{self.position}]"


@dataclass(frozen=True)
class Contents:
    """The parts of a body, and what reading them found.

    Attributes:
        parts: The parts, in order.
        image_problem: Why the task will fail later because of an image, if it will.
        ignored: Fields of parts that their type does not take.
    """

    parts: tuple[Part, ...] = ()
    image_problem: str | None = None
    ignored: tuple[str, ...] = field(default=())

    def of(self, *types: str) -> list[Part]:
        """The parts of these types, in order."""
        return [part for part in self.parts if part.type in types]

    def has(self, *types: str) -> bool:
        """Whether any part is of these types."""
        return any(part.type in types for part in self.parts)

    @property
    def prompt(self) -> str:
        """The prompt's text (empty without a prompt part)."""
        prompts = self.of("prompt")
        return prompts[0].value if prompts else ""


def _string(item: dict[str, Any], name: str, label: str, *, required: bool) -> str | None:
    value = item.get(name)
    if not present(value):
        if required:
            raise Invalid(f"{label}.{name} is required")
        return None
    if isinstance(value, int) and not isinstance(value, bool) and name != "text":
        return str(value)  # ids are numeric strings; a number is taken too
    if not isinstance(value, str):
        raise Invalid(f"{label}.{name} must be a string")
    return value


def check_image(label: str, value: str) -> str | None:
    """Check an image given as a URL or raw Base64; returns a later failure reason, if any."""
    if value.startswith(("http://", "https://")):
        return None
    if value.startswith("data:"):
        raise Invalid(f"{label} must be raw Base64 without a 'data:...;base64,' prefix")
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(f"{label} is neither an http(s) URL nor valid Base64") from None
    if len(raw) > MAX_IMAGE_BYTES:
        raise Invalid(f"{label} is larger than 50 MB ({len(raw)} bytes)")
    return image_problem(raw)


def _part(spec: StandardModel, item: Any, position: int) -> tuple[Part, str | None, list[str]]:
    label = f"contents[{position}]"
    if not isinstance(item, dict):
        raise Invalid(f"{label} must be an object with a 'type'")
    kind = item.get("type")
    if kind not in spec.contents:
        options = ", ".join(repr(option) for option in spec.contents)
        raise Invalid(f"{label}.type must be one of {options} for {spec.name}; got {kind!r}")
    problem = None
    if kind == "prompt":
        fields = ["type", "text"]
        value = _string(item, "text", label, required=True) or ""
        if len(value) > spec.prompt_max:
            raise Invalid(
                f"{label}.text is too long: {len(value)} characters, at most {spec.prompt_max}"
            )
        ident = None
    elif kind in _IDS:
        fields = ["type", _IDS[kind], "id"]
        value = _string(item, _IDS[kind], label, required=True) or ""
        ident = _string(item, "id", label, required=True)
    else:
        # Only omni-video's images and videos have an `id` of their own.
        fields = ["type", "url", *(["id"] if spec.product == "omni-video" else [])]
        value = _string(item, "url", label, required=True) or ""
        ident = _string(item, "id", label, required=False) if "id" in fields else None
        if kind in IMAGES:
            problem = check_image(f"{label}.url", value)
        elif not value.startswith(("http://", "https://")):
            raise Invalid(f"{label}.url must be an http(s) URL (videos are given by URL)")
    ignored = [f"{label}.{name}" for name in item if name not in fields]
    return Part(kind, position, value, ident), problem, ignored


def read_contents(spec: StandardModel, value: Any) -> Contents:
    """Read and check a body's `contents` for a model.

    Raises:
        Invalid: `contents` is missing or not a list, or a part is not right.
    """
    if not isinstance(value, list) or not value:
        raise Invalid("contents is required: a list of typed parts such as {'type': 'prompt'}")
    parts, problems, ignored = [], [], []
    for position, item in enumerate(value):
        part, problem, unread = _part(spec, item, position)
        parts.append(part)
        problems.append(problem)
        ignored.extend(unread)
    contents = Contents(
        tuple(parts), next((p for p in problems if p), None), tuple(sorted(ignored))
    )
    _check_unique(contents)
    return contents


def _check_unique(contents: Contents) -> None:
    """One prompt, one first frame, one last frame at most, and no id used twice."""
    for kind in ("prompt", "first_frame", "last_frame", "image", "video"):
        extra = contents.of(kind)[1:]
        if extra:
            raise Invalid(f"{extra[0].label}: at most one {kind} can be given")
    seen: dict[str, Part] = {}
    for part in contents.parts:
        if part.id is None:
            continue
        if part.id in seen:
            raise Invalid(
                f"{part.label}.id {part.id!r} is already used by {seen[part.id].label}: "
                "ids must not be duplicated in a task"
            )
        seen[part.id] = part
