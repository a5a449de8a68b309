"""The endpoint table: one row per Kling endpoint, and how request paths map to rows.

A task row gives the create path per provider (relative to `/v1` or `/kling/v1`), the
concurrency family, the kind of result, the validator, the pricing function and, for rows
that start from an existing video, what the source must be. Queries are
`GET <create path>/<id>` and lists `GET <create path>`. Two rows may share a path (the
gateway serves text-to-image and multi-image-to-image both at `images/generations`);
`accepts` then tells which body belongs to which row, and queries at that path see both
rows' tasks. A provider missing from a row's `paths` has no such route (the gateway
answers its HTML 404 page, the official API 404/1202).

Calls that create no task (`CALLS`) are rows too: identify-face, image recognition and text
to speech (`POST`, answered at once; image recognition and text to speech official only;
text to speech's answer is a task that has already succeeded, whose MP3 is served like any
result file), multi-element editing's selection calls, the account's ledgers, and the
account's resource packs (`GET /account/costs` on the official host without `/v1`;
`/kling/account/costs` is a gateway equivalent of the simulator's own, as CometAPI
documents none). None counts as a create.

Refusals a client should know: a source video, session or face the account does not have
(unknown, unfinished, failed, older than 30 days, not extendable, a chain past 3 minutes,
an expired session) answers 400/1201 naming the field, never 404/1203 (see `lineage`).
`account/costs` answers 429/1302 to a call made less than a second after the last one it
answered, on the simulator clock (real time plus `advance`), whichever prefix it came in on.

Adding an endpoint is one row in `ENDPOINTS` plus its validator (in `validation`, `edits`
or `audio_validation`).

Pricing (`final_unit_deduction`, made-up but plausible units):
    video (text2video, image2video, multi-image2video, effects): 1 unit per 5 seconds in
    `std`, 3.5 times that in `pro` (std 5 s = 1, std 10 s = 2, pro 5 s = 3.5, pro 10 s = 7).
    video-extend: like a 5 s video in the source video's mode (std 1, pro 3.5).
    lip-sync and advanced lip-sync: 0.5 per started 5 s of the source video (its length
    rounded to whole seconds: 5.042 s = 0.5, 9.542 s = 1).
    images (text2image, multi-image2image, omni image, image expand, virtual try-on): 1
    unit per image (2 per image at `2k` resolution, 4 at `4k`); AI multi-shot 2 per call.
    text to audio and video to audio: 0.25 per task; text to speech 0.05 per call; avatar:
    like a video as long as its speech.
    A failed task is not charged ("0"); identify-face and account costs are free; image
    recognition answers "0.1".

Examples:
    >>> match = resolve("cometapi", "GET", "images/generations/123")
    >>> match.kind, match.ident, [row.name for row in match.endpoints]
    ('query', '123', ['text2image', 'multi-image2image'])
    >>> resolve("kling", "GET", "account/costs", account=True).call.name
    'account-costs'
    >>> resolve("cometapi", "POST", "images/editing/expand") is None
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from prefect_kling.simulator import audio_validation as a
from prefect_kling.simulator import edits as e
from prefect_kling.simulator import omni_images as o
from prefect_kling.simulator import selections as sel
from prefect_kling.simulator import validation as v

PROVIDERS = ("kling", "cometapi")
DEFAULT_PROMPT_LIMITS = (2500, 2500)
# CometAPI's pages state 500/200 characters for its video endpoints.
GATEWAY_VIDEO_LIMITS = {"cometapi": (500, 200)}
# A "5 s" video from Kling lasts 5.042 s.
VIDEO_OVERHANG_SECONDS = 0.042
EXTENSION_SECONDS = 4.5

Source = Literal["", "extend", "video", "session", "selection"]


def video_units(order: v.Order) -> float:
    """Units charged for a video: 1 per 5 s in std mode, 3.5 times that in pro mode."""
    units = order.duration / 5
    return units * 3.5 if order.mode == "pro" else units


def lip_sync_units(order: v.Order) -> float:
    """Units charged for a lip-sync: 0.5 per started 5 s of the source video."""
    seconds = round(order.parent.seconds) if order.parent else 5
    return 0.5 * max(1, math.ceil(seconds / 5))


def image_units(order: v.Order) -> float:
    """Units charged for images: 1 per image, 2 per image at 2k resolution, 4 at 4k."""
    return order.n * {"2k": 2, "4k": 4}.get(order.resolution, 1)


def multi_shot_units(order: v.Order) -> float:
    """Units charged for an AI multi-shot: 2 per call (its three views)."""
    return 2.0


def generated_length(order: v.Order) -> float:
    """Length of a generated video: the requested duration, as Kling renders it."""
    return order.duration + VIDEO_OVERHANG_SECONDS


def extended_length(order: v.Order) -> float:
    """Length of an extended video: its source plus about 4.5 s."""
    return (order.parent.seconds if order.parent else 0.0) + EXTENSION_SECONDS


def audio_units(order: v.Order) -> float:
    """Units charged for a text-to-audio or video-to-audio task."""
    return 0.25


def speech_units(order: v.Order) -> float:
    """Units charged for a text-to-speech call."""
    return 0.05


def speech_length(order: v.Order) -> float:
    """Length of an audio track or an avatar's video: the `duration` its order gives."""
    return float(order.duration)


def source_length(order: v.Order) -> float:
    """Length of a lip-synced video: the same as its source."""
    return order.parent.seconds if order.parent else generated_length(order)


@dataclass(frozen=True)
class Endpoint:
    """One Kling task endpoint.

    Attributes:
        name: Short name, e.g. `text2video`.
        family: Concurrency pool: `video`, `image` or `try-on`.
        result: `video` (`task_result.videos`), `images` (`task_result.images`), `audios`
            (`task_result.audios`, an MP3 and a WAV each), `dubbed` (a video and its audio
            track, as video to audio makes) or `speech` (text to speech's one MP3 in
            `task_result.audios`).
        paths: Create path per provider, relative to the provider's prefix.
        validate: Checks a create body; returns an `Order` or raises `Invalid`.
        units: Units charged for a finished, successful task.
        external_id_lookup: Whether queries accept an `external_task_id` in place of the
            task id.
        prompt_limits: `(prompt, negative_prompt)` maximum lengths per provider.
        accepts: For rows sharing a path: whether a create body is this row's.
        source: What the create starts from, checked by the state: `extend` (a video id
            of an `extendable` row's video), `video` (any video id of this account, or a
            video URL), `session` (an identify-face session), `selection` (a
            multi-element selection session with marks), or `""` (nothing).
        extendable: Whether this row's videos can be extended.
        length: Length in seconds of the videos this row makes.
        standard: Whether the row is of Kling's newer API standard (model in the path,
            task objects with `outputs[]` and `billing[]`; see `standard_routes`).
        views: For a row whose images are views of one subject (AI multi-shot): the
            result is one image item with `url_1`..`url_<views>`, and the task holds one
            slot.
    """

    name: str
    family: str
    result: Literal["video", "images", "audios", "speech", "dubbed"]
    paths: Mapping[str, str]
    validate: Callable[[dict[str, Any], v.Context], v.Order]
    units: Callable[[v.Order], float]
    external_id_lookup: bool = False
    prompt_limits: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    accepts: Callable[[dict[str, Any]], bool] = lambda body: True
    source: Source = ""
    extendable: bool = False
    length: Callable[[v.Order], float] = generated_length
    standard: bool = False
    views: bool = False

    def context(self, provider: str) -> v.Context:
        """The validation context for a request arriving through `provider`."""
        prompt_max, negative_max = self.prompt_limits.get(provider, DEFAULT_PROMPT_LIMITS)
        return v.Context(provider=provider, prompt_max=prompt_max, negative_max=negative_max)

    def slots(self, order: v.Order) -> int:
        """Concurrency slots a task holds: `n` for images, 1 otherwise (and for views)."""
        return order.n if self.family == "image" and not self.views else 1


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
        extendable=True,
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
        extendable=True,
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
    Endpoint(
        name="video-extend",
        family="video",
        result="video",
        paths={"kling": "videos/video-extend", "cometapi": "videos/video-extend"},
        validate=e.validate_video_extend,
        units=video_units,
        prompt_limits={"cometapi": (500, 2500)},
        external_id_lookup=True,  # the Chinese edition allows it
        source="extend",
        extendable=True,
        length=extended_length,
    ),
    Endpoint(
        name="lip-sync",
        family="video",
        result="video",
        paths={"kling": "videos/lip-sync", "cometapi": "videos/lip-sync"},
        validate=e.validate_lip_sync,
        units=lip_sync_units,
        source="video",
        length=source_length,
    ),
    Endpoint(
        name="advanced-lip-sync",
        family="video",
        result="video",
        paths={"kling": "videos/advanced-lip-sync", "cometapi": "videos/advanced-lip-sync"},
        validate=e.validate_advanced_lip_sync,
        units=lip_sync_units,
        source="session",
        length=source_length,
    ),
    Endpoint(
        name="effects",
        family="video",
        result="video",
        paths={"kling": "videos/effects", "cometapi": "videos/effects"},
        validate=e.validate_effects,
        units=video_units,
        external_id_lookup=True,
    ),
    Endpoint(
        name="image-expand",
        family="image",
        result="images",
        paths={"kling": "images/editing/expand"},
        validate=e.validate_image_expand,
        units=image_units,
    ),
    Endpoint(
        name="omni-image",
        family="image",
        result="images",
        paths={"kling": "images/omni-image"},
        validate=o.validate_omni_image,
        units=image_units,
        external_id_lookup=True,
    ),
    Endpoint(
        name="multi-shot",
        family="image",
        result="images",
        paths={"kling": "general/ai-multi-shot"},
        validate=o.validate_multi_shot,
        units=multi_shot_units,
        views=True,
    ),
    Endpoint(
        name="virtual-try-on",
        family="try-on",
        result="images",
        paths={
            "kling": "images/kolors-virtual-try-on",
            "cometapi": "images/kolors-virtual-try-on",
        },
        validate=e.validate_virtual_try_on,
        units=image_units,
    ),
    Endpoint(
        name="multi-elements",
        family="video",
        result="video",
        paths={"kling": "videos/multi-elements", "cometapi": "videos/multi-elements"},
        validate=sel.validate_multi_elements,
        units=video_units,
        external_id_lookup=True,
        source="selection",
    ),
    Endpoint(
        name="text-to-audio",
        family="video",
        result="audios",
        # CometAPI's path is assumed to be the official one (no seed page gives it).
        paths={"kling": "audio/text-to-audio", "cometapi": "audio/text-to-audio"},
        validate=a.validate_text_to_audio,
        units=audio_units,
        external_id_lookup=True,
        length=speech_length,
    ),
    Endpoint(
        name="video-to-audio",
        family="video",
        result="dubbed",
        paths={"kling": "audio/video-to-audio"},
        validate=a.validate_video_to_audio,
        units=audio_units,
        external_id_lookup=True,
        source="video",
        length=source_length,
    ),
    Endpoint(
        name="avatar",
        family="video",
        result="video",
        paths={"kling": "videos/avatar/image2video", "cometapi": "videos/avatar/image2video"},
        validate=a.validate_avatar,
        units=video_units,
        external_id_lookup=True,
        length=speech_length,
    ),
)

TTS = Endpoint(
    name="tts",
    family="video",
    result="speech",
    paths={},  # served as a call (`CALLS`), never as a create path
    validate=a.validate_tts,
    units=speech_units,
    length=speech_length,
)
"""Text to speech: a call answered at once with a task that has already succeeded."""

ENDPOINTS_BY_NAME: Mapping[str, Endpoint] = {row.name: row for row in ENDPOINTS}
EXTENDABLE = tuple(row.name for row in ENDPOINTS if row.extendable)


@dataclass(frozen=True)
class Call:
    """A call that creates no task: answered at once, never queried.

    Attributes:
        name: Short name, e.g. `account-costs`; also its counter in the stats.
        method: The HTTP method.
        paths: Path per provider, relative to the API prefix (`/v1`, `/kling/v1`) or, for
            an `account` call, to the account prefix (`/`, `/kling/`).
        account: Whether the path is relative to the account prefix.
    """

    name: str
    method: str
    paths: Mapping[str, str]
    account: bool = False


CALLS: tuple[Call, ...] = (
    Call(
        name="identify-face",
        method="POST",
        paths={"kling": "videos/identify-face", "cometapi": "videos/identify-face"},
    ),
    Call(name="image-recognize", method="POST", paths={"kling": "videos/image-recognize"}),
    Call(name="tts", method="POST", paths={"kling": "audio/tts"}),
    *(
        Call(
            name=f"multi-elements-{step}",
            method="POST",
            paths={provider: f"videos/multi-elements/{step}" for provider in PROVIDERS},
        )
        for step in (*sel.STEPS, sel.PREVIEW)
    ),
    *(
        Call(
            name=f"account-billing-{ledger}",
            method="POST",
            paths={"kling": f"account/billing/{ledger}"},
            account=True,
        )
        for ledger in ("package", "balance")
    ),
    Call(
        name="account-costs",
        method="GET",
        paths={"kling": "account/costs", "cometapi": "account/costs"},
        account=True,
    ),
)


@dataclass(frozen=True)
class Match:
    """What a request path points at.

    Attributes:
        kind: `create` (POST create path), `list` (GET create path), `query`
            (GET create path + `/<id>`) or `call` (a call that creates no task).
        endpoints: The rows served at that path (usually one; none for a call).
        ident: The task id or external task id of a query.
        call: The call, for kind `call`.
    """

    kind: Literal["create", "query", "list", "call"]
    endpoints: Sequence[Endpoint]
    ident: str = ""
    call: Call | None = None

    @property
    def counter(self) -> str:
        """The name this request is counted under: the kind, or the call's name."""
        return self.call.name if self.call else self.kind

    @property
    def scope(self) -> Literal["create", "query", "list"]:
        """The fault scope: calls are reads, like queries."""
        return "query" if self.kind == "call" else self.kind

    def pick(self, body: dict[str, Any]) -> Endpoint:
        """The row a create body belongs to (the first row when none claims it)."""
        return next((row for row in self.endpoints if row.accepts(body)), self.endpoints[0])


def rows_at(provider: str, path: str) -> list[Endpoint]:
    """The rows whose create path through `provider` is `path`."""
    return [row for row in ENDPOINTS if row.paths.get(provider) == path]


def call_at(provider: str, method: str, path: str, *, account: bool) -> Call | None:
    """The call served at `path` through `provider` with `method`, if any."""
    for call in CALLS:
        if call.account == account and call.paths.get(provider) == path:
            return call if call.method == method else None
    return None


def resolve(provider: str, method: str, path: str, *, account: bool = False) -> Match | None:
    """Map a method and a path relative to the provider's prefix to a `Match`.

    Args:
        provider: `kling` or `cometapi`.
        method: The HTTP method.
        path: The path after `/v1/` or `/kling/v1/` (after `/` or `/kling/` for the
            account prefix), without a leading slash.
        account: Whether the path came in on the account prefix.

    Returns:
        The match, or `None` when nothing is served there with that method.
    """
    call = call_at(provider, method, path, account=account)
    if call is not None:
        return Match("call", (), call=call)
    if account:
        return None
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
