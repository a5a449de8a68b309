"""The endpoint table: one row per Kling task endpoint, and how request paths map to rows.

A row gives the create path per provider (relative to `/v1` or `/kling/v1`), the
concurrency family, the kind of result, the validator and the pricing function. Queries
are `GET <create path>/<id>` and lists `GET <create path>`. Two rows may share a path (the
gateway serves text-to-image and multi-image-to-image both at `images/generations`); `accepts`
then tells which body belongs to which row, and queries at that path see both rows' tasks.

Adding an endpoint is one row in `ENDPOINTS` plus its validator in `validation`.

Pricing (`final_unit_deduction`, made-up but plausible units):
    video: 1 unit per 5 seconds in `std`, 3.5 times that in `pro`
    (std 5 s = 1, std 10 s = 2, pro 5 s = 3.5, pro 10 s = 7).
    image: 1 unit per image (2 per image at `2k` resolution).
    A failed task is not charged ("0").

Example:
    >>> match = resolve("cometapi", "GET", "images/generations/123")
    >>> match.kind, match.ident, [row.name for row in match.endpoints]
    ('query', '123', ['text2image', 'multi-image2image'])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from prefect_kling.simulator import validation as v

PROVIDERS = ("kling", "cometapi")
DEFAULT_PROMPT_LIMITS = (2500, 2500)
# CometAPI's pages state 500/200 characters for its video endpoints.
GATEWAY_VIDEO_LIMITS = {"cometapi": (500, 200)}


def video_units(order: v.Order) -> float:
    """Units charged for a video: 1 per 5 s in std mode, 3.5 times that in pro mode."""
    units = order.duration / 5
    return units * 3.5 if order.mode == "pro" else units


def image_units(order: v.Order) -> float:
    """Units charged for images: 1 per image, 2 per image at 2k resolution."""
    return order.n * (2 if order.resolution == "2k" else 1)


@dataclass(frozen=True)
class Endpoint:
    """One Kling task endpoint.

    Attributes:
        name: Short name, e.g. `text2video`.
        family: Concurrency pool: `video`, `image` or `try-on`.
        result: `video` (`task_result.videos`) or `images` (`task_result.images`).
        paths: Create path per provider, relative to the provider's prefix.
        validate: Checks a create body; returns an `Order` or raises `Invalid`.
        units: Units charged for a finished, successful task.
        external_id_lookup: Whether queries accept an `external_task_id` in place of the
            task id.
        prompt_limits: `(prompt, negative_prompt)` maximum lengths per provider.
        accepts: For rows sharing a path: whether a create body is this row's.
    """

    name: str
    family: str
    result: Literal["video", "images"]
    paths: Mapping[str, str]
    validate: Callable[[dict[str, Any], v.Context], v.Order]
    units: Callable[[v.Order], float]
    external_id_lookup: bool = False
    prompt_limits: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    accepts: Callable[[dict[str, Any]], bool] = lambda body: True

    def context(self, provider: str) -> v.Context:
        """The validation context for a request arriving through `provider`."""
        prompt_max, negative_max = self.prompt_limits.get(provider, DEFAULT_PROMPT_LIMITS)
        return v.Context(provider=provider, prompt_max=prompt_max, negative_max=negative_max)

    def slots(self, order: v.Order) -> int:
        """Concurrency slots a task holds: `n` for images, 1 otherwise."""
        return order.n if self.family == "image" else 1


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="text2video",
        family="video",
        result="video",
        paths={"kling": "videos/text2video", "cometapi": "videos/text2video"},
        validate=v.validate_text2video,
        units=video_units,
        external_id_lookup=True,
        prompt_limits=GATEWAY_VIDEO_LIMITS,
    ),
    Endpoint(
        name="image2video",
        family="video",
        result="video",
        paths={"kling": "videos/image2video", "cometapi": "videos/image2video"},
        validate=v.validate_image2video,
        units=video_units,
        external_id_lookup=True,
        prompt_limits=GATEWAY_VIDEO_LIMITS,
    ),
    Endpoint(
        name="multi-image2video",
        family="video",
        result="video",
        paths={"kling": "videos/multi-image2video", "cometapi": "videos/multi-image2video"},
        validate=v.validate_multi_image2video,
        units=video_units,
        external_id_lookup=True,
        prompt_limits=GATEWAY_VIDEO_LIMITS,
    ),
    Endpoint(
        name="text2image",
        family="image",
        result="images",
        paths={"kling": "images/generations", "cometapi": "images/generations"},
        validate=v.validate_text2image,
        units=image_units,
        accepts=lambda body: "subject_image_list" not in body,
    ),
    Endpoint(
        name="multi-image2image",
        family="image",
        result="images",
        paths={"kling": "images/multi-image2image", "cometapi": "images/generations"},
        validate=v.validate_multi_image2image,
        units=image_units,
        accepts=lambda body: "subject_image_list" in body,
    ),
)

ENDPOINTS_BY_NAME: Mapping[str, Endpoint] = {row.name: row for row in ENDPOINTS}


@dataclass(frozen=True)
class Match:
    """What a request path points at.

    Attributes:
        kind: `create` (POST create path), `list` (GET create path) or `query`
            (GET create path + `/<id>`).
        endpoints: The rows served at that path (usually one).
        ident: The task id or external task id of a query.
    """

    kind: Literal["create", "query", "list"]
    endpoints: Sequence[Endpoint]
    ident: str = ""

    def pick(self, body: dict[str, Any]) -> Endpoint:
        """The row a create body belongs to (the first row when none claims it)."""
        return next((row for row in self.endpoints if row.accepts(body)), self.endpoints[0])


def rows_at(provider: str, path: str) -> list[Endpoint]:
    """The rows whose create path through `provider` is `path`."""
    return [row for row in ENDPOINTS if row.paths.get(provider) == path]


def resolve(provider: str, method: str, path: str) -> Match | None:
    """Map a method and a path relative to the provider's prefix to a `Match`.

    Args:
        provider: `kling` or `cometapi`.
        method: The HTTP method.
        path: The path after `/v1/` or `/kling/v1/`, without a leading slash.

    Returns:
        The match, or `None` when nothing is served there with that method.
    """
    rows = rows_at(provider, path)
    if rows:
        if method == "POST":
            return Match("create", rows)
        if method == "GET":
            return Match("list", rows)
        return None
    parent, _, ident = path.rpartition("/")
    rows = rows_at(provider, parent)
    if rows and ident and method == "GET":
        return Match("query", rows, ident)
    return None
