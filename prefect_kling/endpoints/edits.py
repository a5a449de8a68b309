"""The rows of the endpoints that start from your own media and change it.

video-extend, lip-sync, advanced-lip-sync, effects, image-expand, virtual-try-on and
multi-elements (editing an element of a video marked in a selection session): each
row with its routes, request model, limits per provider, unit estimate and `prefect-kling`
command (see `Endpoint`). CometAPI serves video-extend (with the parent task's id) and
advanced-lip-sync (with its own spelling of a volume); its image expand answered 404 in
2026-03, so that row has the official path only and says why it refuses CometAPI.

Examples:
    >>> [row.command.name for row in ROWS]
    ['extend', 'lip-sync', 'lip-sync', 'effect', 'expand', 'try-on', 'multi-elements']
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from prefect_kling.capabilities import EndpointLimits
from prefect_kling.capability_rules import FeatureRule
from prefect_kling.endpoints.command import Command, OneOf, Request, given, option
from prefect_kling.endpoints.row import (
    Endpoint,
    Family,
    ResultKind,
    cometapi_differs,
    everywhere,
    official_only,
)
from prefect_kling.endpoints.shared import (
    N_IMAGES,
    OFFICIAL_TEXT,
    PATH_OR_URL,
    advanced_lip_sync_units,
    expand_units,
    extend_units,
    lip_sync_units,
    try_on_units,
    video_units,
)
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.media import is_url
from prefect_kling.models.effect_scenes import SCENES
from prefect_kling.models.effects import TWO_PERSON_EFFECT_SCENES, VideoEffectRequest
from prefect_kling.models.images import ImageExpandRequest, VirtualTryOnRequest
from prefect_kling.models.lipsync import AdvancedLipSyncRequest, LipSyncRequest
from prefect_kling.models.multi_elements import MultiElementsRequest
from prefect_kling.models.videos import VideoExtendRequest
from prefect_kling.providers import Provider

EFFECT_SCENES = tuple(SCENES)
"""The effect scenes of the catalogue (`prefect_kling.models.effect_scenes`, dated); Kling
adds scenes often: another one is refused unless `strict=False` (`--allow-unknown-model`)."""
TRY_ON_MODELS = ("kolors-virtual-try-on-v1", "kolors-virtual-try-on-v1-5")
EXPAND_GONE_FROM_COMETAPI = (
    "CometAPI's image expand page says the route answered 404 in 2026-03; use Kling's own API"
)


def effect_units(request: Mapping[str, Any]) -> float:
    """An effect costs as a 5 s standard video until Kling says.

    Each scene has its own price on Kling's effects price list, which the request does not
    tell.
    """
    return video_units({})


# --- lip-sync: one command, two endpoints. --------------------------------------------------

_SPEECH = ("text", "voice_id", "voice_language", "voice_speed")


def _lip_sync_request(args: argparse.Namespace, fields: dict[str, Any]) -> Request:
    """The legacy lip-sync of a text or an audio, or with `--advanced` the current one."""
    if args.advanced:
        return "advanced-lip-sync", {
            **given(args, "video_id", "video_url"),
            "face_choose": [_face_choice(args)],
        }
    for name in ("face_id", "sound_end_ms"):
        value = getattr(args, name)
        if value is not None:
            raise KlingValidationError.single(name, f"{value!r} is only allowed with --advanced")
    if (args.text is None) == (args.audio is None):
        both = "both" if args.text is not None else "neither"
        raise KlingValidationError.single(
            "text",
            f"{both} of --text and --audio given; allowed: --text (with --voice-id) or --audio",
        )
    if args.text is not None:
        return "lip-sync", {**fields, "mode": "text2video"}
    audio = "audio_url" if is_url(args.audio) else "audio_file"
    # A voice given with an audio stays in: the request model refuses it, naming it.
    return "lip-sync", {**fields, "mode": "audio2video", audio: args.audio}


def _face_choice(args: argparse.Namespace) -> dict[str, Any]:
    for name in _SPEECH:
        if getattr(args, name) is not None:
            raise KlingValidationError.single(
                name, "not allowed with --advanced; allowed: --audio PATH_OR_URL"
            )
    if args.audio is None:
        raise KlingValidationError.single(
            "audio", "missing with --advanced; allowed: the audio as a path or URL"
        )
    choice = {
        "face_id": args.face_id,
        "sound_file": args.audio,
        "sound_end_time": args.sound_end_ms,
    }
    return {key: value for key, value in choice.items() if value is not None}


LIP_SYNC_COMMAND = Command(
    "lip-sync",
    "make the face in a video speak a text or an audio track",
    (
        OneOf(
            (
                option("--video-id", help="id of a video Kling made (under 30 days old)"),
                option("--video-url", help="link to an mp4 or mov video with a face"),
            ),
            required=True,
        ),
        option("--text", help="words to speak, at most 120 characters (with --voice-id)"),
        option("--voice-id", help="Kling voice that speaks --text"),
        option("--voice-language", help="zh or en"),
        option("--voice-speed", type=float, help="0.8..2.0"),
        option(
            "--audio",
            request_field=False,
            metavar=PATH_OR_URL,
            help="your own audio instead of --text",
        ),
        option(
            "--advanced",
            request_field=False,
            action="store_true",
            help="identify the faces first, then the advanced lip-sync (with --audio)",
        ),
        option(
            "--face-id",
            request_field=False,
            help="with --advanced: the face to animate (default: first)",
        ),
        option(
            "--sound-end-ms",
            request_field=False,
            type=int,
            metavar="MS",
            help="with --advanced: where the audio clip ends (default: when the face leaves)",
        ),
    ),
    request=_lip_sync_request,
)
"""Both lip-sync rows' command: `--advanced` picks the current pair."""

# --- effect ------------------------------------------------------------------------------------


def _effect_request(args: argparse.Namespace, fields: dict[str, Any]) -> Request:
    """A dual-image scene (or several images) takes `images`, any other scene `image`."""
    if args.effect_scene in TWO_PERSON_EFFECT_SCENES or len(args.images) > 1:
        return "effects", {**fields, "images": args.images}
    return "effects", {**fields, "image": args.images[0]}


# --- multi-elements -------------------------------------------------------------------------

SELECTION_FORMAT = "FRAME:X,Y[;X,Y...]"


def parse_selection(text: str, field: str = "selections") -> dict[str, Any]:
    """One `--select` value: a frame and its points, x and y in [0, 1].

    Raises:
        KlingValidationError: The text is not `FRAME:X,Y[;X,Y...]`.

    Examples:
        >>> parse_selection("12:0.5,0.25;0.6,0.3")
        {'frame_index': 12, 'points': [{'x': 0.5, 'y': 0.25}, {'x': 0.6, 'y': 0.3}]}
    """
    try:
        frame, _, clicks = text.partition(":")
        points = []
        for click in clicks.split(";"):
            x, y = click.split(",")
            points.append({"x": float(x), "y": float(y)})
        return {"frame_index": int(frame), "points": points}
    except ValueError:
        raise KlingValidationError.single(
            field, f"{text[:80]!r}; allowed: {SELECTION_FORMAT}, e.g. 0:0.5,0.4"
        ) from None


def _multi_elements_request(args: argparse.Namespace, fields: dict[str, Any]) -> Request:
    """The selections as frames and points; the images as `image_list` items."""
    request = {**fields, "selections": [parse_selection(text) for text in args.select]}
    if args.unselect:
        request["deletions"] = [parse_selection(text, "deletions") for text in args.unselect]
    if args.images:
        request["image_list"] = [{"image": image} for image in args.images]
    return "multi-elements", request


# --- The rows. ---------------------------------------------------------------------------

ROWS = (
    Endpoint(
        name="video-extend",
        family=Family.VIDEO,
        paths=everywhere("videos/video-extend"),
        request_model=VideoExtendRequest,
        result_kind=ResultKind.VIDEO,
        # The extension runs on the parent video's model, which the request does not name,
        # so no model rule (cfg_scale on kling-v2.x) can be checked before sending.
        # CometAPI's page: the parent task's id with the video id, prompts of 500 characters.
        limits=cometapi_differs(
            EndpointLimits(max_chars=OFFICIAL_TEXT),
            max_chars={**OFFICIAL_TEXT, "prompt": 500},
            features=(FeatureRule("task_id", required_with={"video_id": ("*",)}),),
        ),
        # A 5 s extension at the 1080p rate: it runs in the source video's mode, which the
        # request does not name, so the dearer one counts.
        estimate=extend_units,
        command=Command(
            "extend",
            "extend a video by 4-5 s, N times in a chain",
            (
                option("video_id", metavar="VIDEO_ID", help="video id from an earlier result"),
                option(
                    "--task-id",
                    help="id of the task that made the video (CometAPI requires it)",
                ),
                option("--prompt", help="what the added seconds should show"),
                option("--negative-prompt", help="what the added seconds should not show"),
                option("--cfg-scale", type=float),
            ),
            repeats=True,
        ),
        title="Video extend",
    ),
    Endpoint(
        name="lip-sync",
        family=Family.VIDEO,
        paths=everywhere("videos/lip-sync"),
        request_model=LipSyncRequest,
        result_kind=ResultKind.VIDEO,
        # 0.5 per 5 s of the source video, whose length the request does not give: the
        # longest it takes (60 s) counts.
        estimate=lip_sync_units,
        command=LIP_SYNC_COMMAND,
        title="Legacy lip-sync",
    ),
    Endpoint(
        name="advanced-lip-sync",
        family=Family.VIDEO,
        # CometAPI spells a face choice's original_audio_volume its own way: the request
        # model sends each provider its spelling.
        paths=everywhere("videos/advanced-lip-sync"),
        request_model=AdvancedLipSyncRequest,
        result_kind=ResultKind.VIDEO,
        estimate=advanced_lip_sync_units,
        command=LIP_SYNC_COMMAND,
        title="Advanced lip-sync",
    ),
    Endpoint(
        name="effects",
        family=Family.VIDEO,
        paths=everywhere("videos/effects"),
        request_model=VideoEffectRequest,
        result_kind=ResultKind.VIDEO,
        query_by_external_id=frozenset(Provider),
        limits=everywhere(EndpointLimits(open_choices={"effect_scene": EFFECT_SCENES})),
        estimate=effect_units,
        command=Command(
            "effect",
            "apply a video effect scene to one or two images",
            (
                option(
                    "effect_scene",
                    metavar="SCENE",
                    help="e.g. color_mixing, or hug_pro (two images)",
                ),
                option(
                    "--image",
                    request_field=False,
                    action="append",
                    required=True,
                    dest="images",
                    metavar=PATH_OR_URL,
                    help="the image; twice for a dual-image scene (hug_pro, kiss_pro, "
                    "fight_pro, heart_gesture_pro, ...), left then right",
                ),
            ),
            request=_effect_request,
        ),
        title="Video effects",
    ),
    Endpoint(
        name="image-expand",
        family=Family.IMAGE,
        paths=official_only("images/editing/expand"),
        request_model=ImageExpandRequest,
        result_kind=ResultKind.IMAGE,
        refusals={Provider.COMETAPI: EXPAND_GONE_FROM_COMETAPI},
        limits=official_only(EndpointLimits(max_chars={"prompt": 2500})),
        estimate=expand_units,
        command=Command(
            "expand",
            "extend an image beyond its borders (official API)",
            (
                option("--image", required=True, metavar=PATH_OR_URL),
                *(
                    option(
                        f"--{side}",
                        type=float,
                        dest=f"{side}_expansion_ratio",
                        metavar="RATIO",
                        help=f"grow the {side} side by this part of the original (0..2)",
                    )
                    for side in ("up", "down", "left", "right")
                ),
                option("--prompt", help="what the added area should show"),
                N_IMAGES,
            ),
        ),
        title="Image expand",
    ),
    Endpoint(
        name="virtual-try-on",
        family=Family.TRY_ON,
        paths=everywhere("images/kolors-virtual-try-on"),
        request_model=VirtualTryOnRequest,
        result_kind=ResultKind.IMAGE,
        limits=everywhere(
            EndpointLimits(
                models=TRY_ON_MODELS,
                model_pattern="kolors-virtual-try-on-*",
                defaults={"model_name": "kolors-virtual-try-on-v1"},
            )
        ),
        estimate=try_on_units,
        command=Command(
            "try-on",
            "dress a person in a garment",
            (
                option(
                    "--human",
                    required=True,
                    dest="human_image",
                    metavar=PATH_OR_URL,
                    help="the person",
                ),
                option("--cloth", dest="cloth_image", metavar=PATH_OR_URL, help="the garment"),
                option(
                    "--model",
                    dest="model_name",
                    help="kolors-virtual-try-on-v1 or kolors-virtual-try-on-v1-5",
                ),
            ),
        ),
        title="Virtual try-on",
    ),
    Endpoint(
        name="multi-elements",
        family=Family.VIDEO,
        # CometAPI lists multi-elements among its actions, at Kling's paths.
        paths=everywhere("videos/multi-elements"),
        request_model=MultiElementsRequest,
        result_kind=ResultKind.VIDEO,
        query_by_external_id=frozenset(Provider),  # the page allows it
        limits=everywhere(EndpointLimits(max_chars=OFFICIAL_TEXT)),
        estimate=video_units,
        command=Command(
            "multi-elements",
            "add, swap or remove an element of a video, marked by clicks on its frames",
            (
                OneOf(
                    (
                        option("--video-id", help="id of a video Kling made (2-5 s or 7-10 s)"),
                        option("--video-url", help="link to an mp4 or mov video"),
                    ),
                    required=True,
                ),
                option(
                    "--select",
                    request_field=False,
                    action="append",
                    required=True,
                    metavar=SELECTION_FORMAT,
                    help="mark the element: a frame and points on it, x and y from 0 to 1 "
                    "from the top-left corner (repeatable, at most 10 frames)",
                ),
                option(
                    "--unselect",
                    request_field=False,
                    action="append",
                    metavar=SELECTION_FORMAT,
                    help="unmark points added by --select (repeatable)",
                ),
                option(
                    "--edit-mode",
                    required=True,
                    choices=("addition", "swap", "removal"),
                    help="add an element, swap the marked one, or remove it",
                ),
                option(
                    "--image",
                    request_field=False,
                    action="append",
                    dest="images",
                    metavar=PATH_OR_URL,
                    help="a cropped reference image: 1-2 to add, 1 to swap (repeatable)",
                ),
                option("--prompt", required=True, help="e.g. Delete the chick from <<<video_1>>>"),
                option("--negative-prompt"),
                option("--mode", help="std or pro"),
                option("--duration", help="5 (a 2-5 s video) or 10 (a 7-10 s video)"),
            ),
            request=_multi_elements_request,
        ),
        title="Multi-element video editing",
    ),
)
"""Edits of your own media, in the order `prefect-kling --help` lists them."""
