"""Request checks of the endpoints that start from existing media, and of the account query.

Extend, lip-sync, identify-face, advanced lip-sync, effects, image expand and virtual
try-on, written from kling-api.md like `validation`. A validator checks what the body alone
can tell (shapes, ranges, exclusive fields) and raises `Invalid` (400/1201, naming the
field) or returns an `Order`. What only the account knows (does the video exist, is the
session still valid, does the face belong to it) is checked by the state when the task
is created, see `lineage`.

Examples:
    >>> ctx = Context(provider="kling", prompt_max=2500, negative_max=2500)
    >>> validate_video_extend({"video_id": 8594}, ctx).video_id
    '8594'
    >>> validate_image_expand({"image": "https://x/a.png", "up_expansion_ratio": 3}, ctx)
    Traceback (most recent call last):
    ...
    prefect_kling.simulator.orders.Invalid: up_expansion_ratio must be a number between 0 ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prefect_kling.simulator.fields import Fields
from prefect_kling.simulator.orders import (
    TRY_ON_MODELS,
    Context,
    FaceChoice,
    Invalid,
    Order,
)

MAX_LIP_SYNC_TEXT = 120
VOICE_LANGUAGES = ("zh", "en")
LIP_SYNC_MODES = ("text2video", "audio2video")
AUDIO_SOURCES = {"file": "audio_file", "url": "audio_url"}

# Kling's effects page of 2026-09-20: 204 single-image scenes and these 15 dual-image
# ones. The simulator keeps only the dual ones and takes any other scene-like name as a
# single-image scene; the client's catalogue is the strict one.
DUAL_IMAGE_SCENES = (
    "pet_skateboard", "daily_ootd", "toss_run", "switch_to_silk", "studio_look",
    "french_elegance", "finger_swipe", "smooth_transition", "kiss_pro", "snow_night_kiss",
    "eternal_kiss", "cheers_2026", "fight_pro", "hug_pro", "heart_gesture_pro",
)  # fmt: skip
# Withdrawn on 2026-01-30 (changelog of 2025-12-18), or earlier.
WITHDRAWN_SCENES = (
    "hug", "kiss", "fight", "heart_gesture", "thumbs_up", "tiger_hug", "pet_lion",
    "3d_cartoon_1", "celebration", "c4d_cartoon",
)  # fmt: skip
SCENE_NAME = re.compile(r"[a-z0-9_]{1,64}")

EXPANSION_SIDES = ("up", "down", "left", "right")
MAX_EXPANDED_AREA = 3.0

MAX_MILLISECONDS = 24 * 3600 * 1000
MAX_FACES = 10


def validate_video_extend(body: dict[str, Any], ctx: Context) -> Order:
    """Check a `videos/video-extend` body (the video itself is checked by the state).

    The extension runs with the source video's model and mode, which the state fills in;
    `duration` 5 is the basis of its price.
    """
    fields = Fields(body)
    video_id = fields.identifier("video_id", required=True)
    # The gateway wants the parent task's id beside the video's; Kling's own API does not.
    if ctx.provider == "cometapi":
        fields.identifier("task_id", required=True)
    prompt = fields.text("prompt", max_len=ctx.prompt_max)
    negative = fields.text("negative_prompt", max_len=ctx.negative_max)
    fields.number("cfg_scale", 0.0, 1.0)
    return fields.order(model_name="", prompt=prompt, negative_prompt=negative, video_id=video_id)


def _video_source(fields: Fields) -> dict[str, str | None]:
    """`video_id` or `video_url`, exactly one."""
    given = fields.one_of("video_id", "video_url")
    if given == "video_id":
        return {"video_id": fields.identifier("video_id")}
    return {"video_url": fields.url("video_url")}


def _speech(fields: Fields) -> str:
    """The `text2video` settings of a lip-sync input; returns the text."""
    text = fields.text("text", max_len=MAX_LIP_SYNC_TEXT, required=True)
    voice_id = fields.require("voice_id")
    if not isinstance(voice_id, str):
        raise Invalid(f"{fields.label('voice_id')} must be a string")
    fields.choice("voice_language", VOICE_LANGUAGES, "zh")
    fields.number("voice_speed", 0.8, 2.0)
    return text


def _audio(fields: Fields) -> None:
    """The `audio2video` settings of a lip-sync input: a file or a link, as `audio_type` says."""
    audio_type = fields.choice("audio_type", tuple(AUDIO_SOURCES), "", required=True)
    if audio_type == "file":
        fields.audio("audio_file", urls=False, required=True)
    else:
        fields.url("audio_url", required=True)


def validate_lip_sync(body: dict[str, Any], ctx: Context) -> Order:
    """Check a legacy `videos/lip-sync` body: everything but the callback sits in `input`."""
    fields = Fields(body)
    speech = fields.nested("input")
    mode = speech.choice("mode", LIP_SYNC_MODES, "", required=True)
    source = _video_source(speech)
    text = _speech(speech) if mode == "text2video" else ""
    if mode == "audio2video":
        _audio(speech)
    # The spoken text goes through the content checks, as a prompt does.
    return fields.order(model_name="", prompt=text, **source)


def validate_identify_face(body: dict[str, Any], ctx: Context) -> Order:
    """Check a `videos/identify-face` body (a synchronous call, not a task)."""
    fields = Fields(body)
    return fields.order(model_name="", **_video_source(fields))


# The gateway spells the video's own volume otherwise.
ORIGINAL_VOLUME = {"kling": "original_audio_volume", "cometapi": "original_sound_volume"}


def _face_choice(fields: Fields, position: int, provider: str) -> FaceChoice:
    face_id = fields.identifier("face_id", required=True) or ""
    fields.one_of("audio_id", "sound_file")
    fields.identifier("audio_id")
    fields.audio("sound_file", urls=True)
    start = fields.integer("sound_start_time", 0, MAX_MILLISECONDS, 0)
    end = fields.integer("sound_end_time", 1, MAX_MILLISECONDS, 0, required=True)
    if end <= start:
        raise Invalid(
            f"{fields.label('sound_end_time')} ({end}) must be after "
            f"{fields.label('sound_start_time')} ({start})"
        )
    insert = fields.integer("sound_insert_time", 0, MAX_MILLISECONDS, 0)
    fields.number("sound_volume", 0.0, 2.0)
    fields.number(ORIGINAL_VOLUME[provider], 0.0, 2.0)
    return FaceChoice(face_id=face_id, insert_ms=insert, position=position)


def validate_advanced_lip_sync(body: dict[str, Any], ctx: Context) -> Order:
    """Check a `videos/advanced-lip-sync` body (the session is checked by the state)."""
    fields = Fields(body)
    session_id = fields.identifier("session_id", required=True)
    faces: list[FaceChoice] = []
    for position, child in enumerate(fields.objects("face_choose", 1, MAX_FACES)):
        face = _face_choice(child, position, ctx.provider)
        if face.face_id in {chosen.face_id for chosen in faces}:
            raise Invalid(f"face_choose[{position}].face_id {face.face_id!r} is chosen twice")
        faces.append(face)
    return fields.order(model_name="", session_id=session_id, faces=tuple(faces))


def validate_effects(body: dict[str, Any], ctx: Context) -> Order:
    """Check a `videos/effects` body: the scene decides the shape of `input`.

    Single-image scenes take `{image}`, dual-image scenes `{images: [left, right]}`; the
    page documents nothing else in `input` (other fields are ignored, and listed in the
    task's `ignored_fields`; a scene sets its own length: 5 s here), and a withdrawn
    scene is refused as no longer supported.
    """
    fields = Fields(body)
    scene = fields.require("effect_scene")
    if not isinstance(scene, str) or not SCENE_NAME.fullmatch(scene):
        raise Invalid(f"effect_scene {scene!r} is not a scene of the effects center")
    if scene in WITHDRAWN_SCENES:
        raise Invalid(f"effect_scene {scene!r} is no longer supported")
    settings = fields.nested("input")
    if scene in DUAL_IMAGE_SCENES:
        settings.image_list("images", None, 2, 2)
    else:
        settings.image("image", required=True)
    return fields.order(model_name="", duration=5)


def validate_image_expand(body: dict[str, Any], ctx: Context) -> Order:
    """Check an `images/editing/expand` body: ratios 0..2, new canvas at most 3x the area."""
    fields = Fields(body)
    fields.image("image", required=True)
    ratios = {
        side: fields.number(f"{side}_expansion_ratio", 0.0, 2.0) or 0.0 for side in EXPANSION_SIDES
    }
    names = [f"{side}_expansion_ratio" for side in EXPANSION_SIDES]
    if not any(ratios.values()):
        raise Invalid(f"{', '.join(names)} are all 0: at least one must be above 0")
    width = 1 + ratios["left"] + ratios["right"]
    height = 1 + ratios["up"] + ratios["down"]
    if width * height > MAX_EXPANDED_AREA + 1e-9:
        raise Invalid(
            f"(1 + left_expansion_ratio + right_expansion_ratio) * (1 + up_expansion_ratio + "
            f"down_expansion_ratio) = {width:g} * {height:g} = {width * height:g}; "
            f"the new canvas may be at most {MAX_EXPANDED_AREA:g} times the original area"
        )
    prompt = fields.text("prompt", max_len=ctx.prompt_max)
    n = fields.integer("n", 1, 9, 1)
    return fields.order(model_name="", prompt=prompt, n=n, aspect_ratio="1:1")


def validate_virtual_try_on(body: dict[str, Any], ctx: Context) -> Order:
    """Check an `images/kolors-virtual-try-on` body (one image out)."""
    fields = Fields(body)
    model = fields.model_name(TRY_ON_MODELS, TRY_ON_MODELS[0])
    fields.image("human_image", required=True)
    fields.image("cloth_image")
    return fields.order(model_name=model, aspect_ratio="3:4")


@dataclass(frozen=True)
class CostsQuery:
    """A checked `GET /account/costs` query string.

    Attributes:
        start_ms: Start of the window, Unix milliseconds.
        end_ms: End of the window, Unix milliseconds.
        resource_pack_name: Only the pack of this name, if given.
    """

    start_ms: int
    end_ms: int
    resource_pack_name: str | None = None


def _millis(params: Mapping[str, str], name: str) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        raise Invalid(f"{name} is required (Unix milliseconds)")
    try:
        return int(raw)
    except ValueError:
        raise Invalid(f"{name} must be an integer (Unix milliseconds); got {raw!r}") from None


def validate_costs_query(params: Mapping[str, str]) -> CostsQuery:
    """Check the query string of `GET /account/costs`.

    Examples:
        >>> validate_costs_query({"start_time": "1", "end_time": "2"}).end_ms
        2
    """
    start, end = _millis(params, "start_time"), _millis(params, "end_time")
    if end <= start:
        raise Invalid(f"end_time ({end}) must be after start_time ({start})")
    return CostsQuery(start, end, params.get("resource_pack_name") or None)
