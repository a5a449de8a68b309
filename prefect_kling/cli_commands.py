"""The generation commands of `prefect-kling`: their options, and the request each one makes.

Each command is a `Command` row: its name and help, how its options are added to the
parser, and how its arguments become an endpoint and request fields. `prefect_kling.cli`
runs them all the same way: check the request (exit 2 before anything is sent), run the
ready-made flow, print the result. Adding a command is one builder, one request function
and one row.

Arguments that cannot make a request at all (neither `--text` nor `--audio` for a
lip-sync, say) are refused here with a `KlingValidationError` naming the option; every
other rule is the request model's and the capability map's, as for the flows.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prefect_kling.exceptions import KlingValidationError

Request = tuple[str, dict[str, Any]]
"""An endpoint name and the request fields for it."""


@dataclass(frozen=True)
class Command:
    """One generation command.

    Attributes:
        name: The command, e.g. `text2video`.
        help: One line for `prefect-kling --help`.
        add_arguments: Adds the command's own options (the shared ones are added apart).
        request: The endpoint and request fields from the parsed arguments.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    request: Callable[[argparse.Namespace], Request]


def positive_number(text: str) -> float:
    """An option's number above 0 (argparse names the option in its message).

    Examples:
        >>> positive_number("2.5")
        2.5
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text}; allowed: a number above 0")
    return value


def port_number(text: str) -> int:
    """A TCP port: 0 (any free one) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text}; allowed: 0 to 65535")
    return value


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options of every command that waits for a task: credentials, output, waiting."""
    parser.add_argument(
        "--credentials",
        metavar="BLOCK_NAME",
        help="saved KlingCredentials block (default: KLING_* variables)",
    )
    parser.add_argument(
        "--output-dir",
        default="kling-output",
        help="folder for the result files (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--max-wait",
        type=positive_number,
        default=3600.0,
        metavar="SECONDS",
        help="longest wait (default: %(default)s)",
    )
    parser.add_argument(
        "--poll-interval",
        type=positive_number,
        default=2.0,
        metavar="SECONDS",
        help="first pause between queries; it grows to 30 s (default: %(default)s)",
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The shared options of the generation commands: `add_common` plus caching and budget."""
    add_common(parser)
    parser.add_argument("--idempotency-key", help="ask for a fresh take of a request made before")
    parser.add_argument(
        "--refresh", action="store_true", help="ignore the cached create, make a new task"
    )
    parser.add_argument(
        "--watermark", action="store_true", help="also save the watermarked variants"
    )
    parser.add_argument(
        "--max-units", type=positive_number, help="refuse to create past this many units"
    )
    parser.add_argument(
        "--callback-url",
        metavar="URL",
        help="your receiver's URL: wait for its events instead of polling "
        "(default: KLING_CALLBACK_URL, or the credentials block's)",
    )


def _add_look(parser: argparse.ArgumentParser, *, video: bool) -> None:
    parser.add_argument("--model", dest="model_name", help="Kling model, e.g. kling-v2-master")
    parser.add_argument("--negative-prompt", help="what the result should not show")
    parser.add_argument("--aspect-ratio", help="e.g. 16:9")
    if video:
        parser.add_argument("--mode", help="std or pro")
        parser.add_argument("--duration", help="5 or 10 (seconds)")


def _present(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The named arguments that were given."""
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def _fields(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


_VIDEO_LOOK = ("model_name", "negative_prompt", "aspect_ratio", "mode", "duration")


def _is_url(value: str) -> bool:
    return value.strip().lower().startswith(("http://", "https://"))


# --- text2video, image2video, multi-image2video, multi-image2image --------------------------


def _text2video_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--cfg-scale", type=float)
    _add_look(parser, video=True)


def _text2video(args: argparse.Namespace) -> Request:
    return "text2video", _present(args, "prompt", "cfg_scale", *_VIDEO_LOOK)


def _image2video_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", required=True, metavar="PATH_OR_URL")
    parser.add_argument("--image-tail", metavar="PATH_OR_URL")
    parser.add_argument("--prompt")
    parser.add_argument("--cfg-scale", type=float)
    _add_look(parser, video=True)


def _image2video(args: argparse.Namespace) -> Request:
    return "image2video", _present(args, "image", "image_tail", "prompt", "cfg_scale", *_VIDEO_LOOK)


def _multi_image2video_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--image", action="append", required=True, dest="images", metavar="PATH_OR_URL"
    )
    parser.add_argument("--prompt", required=True)
    _add_look(parser, video=True)


def _multi_image2video(args: argparse.Namespace) -> Request:
    fields = _present(args, "prompt", *_VIDEO_LOOK)
    fields["image_list"] = [{"image": image} for image in args.images]
    return "multi-image2video", fields


def _multi_image2image_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--subject", action="append", required=True, dest="subjects", metavar="PATH_OR_URL"
    )
    parser.add_argument("--scene", metavar="PATH_OR_URL")
    parser.add_argument("--style", metavar="PATH_OR_URL")
    parser.add_argument("--prompt")
    parser.add_argument("--n", type=int, help="number of images (1..9)")
    _add_look(parser, video=False)


def _multi_image2image(args: argparse.Namespace) -> Request:
    fields = _present(args, "prompt", "n", "model_name", "negative_prompt", "aspect_ratio")
    fields["subject_image_list"] = [{"subject_image": subject} for subject in args.subjects]
    fields.update(_fields(scene_image=args.scene, style_image=args.style))
    return "multi-image2image", fields


# --- image: text or image to image ----------------------------------------------------------


def _image_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--image", metavar="PATH_OR_URL", help="reference image")
    parser.add_argument("--image-reference", help="subject or face (kling-v1-5)")
    parser.add_argument("--image-fidelity", type=float, help="0..1")
    parser.add_argument("--human-fidelity", type=float, help="0..1")
    parser.add_argument("--resolution", help="1k or 2k")
    parser.add_argument("--n", type=int, help="number of images (1..9)")
    _add_look(parser, video=False)


def _image(args: argparse.Namespace) -> Request:
    return "image-generation", _present(
        args,
        "prompt",
        "image",
        "image_reference",
        "image_fidelity",
        "human_fidelity",
        "resolution",
        "n",
        "model_name",
        "negative_prompt",
        "aspect_ratio",
    )


# --- extend ----------------------------------------------------------------------------------


def _extend_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video_id", metavar="VIDEO_ID", help="video id from an earlier result")
    parser.add_argument("--prompt", help="what the added seconds should show")
    parser.add_argument("--negative-prompt", help="what the added seconds should not show")
    parser.add_argument("--cfg-scale", type=float)
    parser.add_argument(
        "--times",
        type=int,
        default=1,
        metavar="N",
        help="extend N times in a chain, each step the last result (default: %(default)s)",
    )


def _extend(args: argparse.Namespace) -> Request:
    if args.times < 1:
        raise KlingValidationError.single("times", f"{args.times}; allowed: 1 or more")
    return "video-extend", _present(args, "video_id", "prompt", "negative_prompt", "cfg_scale")


# --- lip-sync --------------------------------------------------------------------------------


def _lip_sync_arguments(parser: argparse.ArgumentParser) -> None:
    video = parser.add_mutually_exclusive_group(required=True)
    video.add_argument("--video-id", help="id of a video Kling made (under 30 days old)")
    video.add_argument("--video-url", help="link to an mp4 or mov video with a face")
    parser.add_argument("--text", help="words to speak, at most 120 characters (with --voice-id)")
    parser.add_argument("--voice-id", help="Kling voice that speaks --text")
    parser.add_argument("--voice-language", help="zh or en")
    parser.add_argument("--voice-speed", type=float, help="0.8..2.0")
    parser.add_argument("--audio", metavar="PATH_OR_URL", help="your own audio instead of --text")
    parser.add_argument(
        "--advanced",
        action="store_true",
        help="identify the faces first, then the advanced lip-sync (with --audio)",
    )
    parser.add_argument("--face-id", help="with --advanced: the face to animate (default: first)")
    parser.add_argument(
        "--sound-end-ms",
        type=int,
        metavar="MS",
        help="with --advanced: where the audio clip ends (default: when the face leaves)",
    )


def _lip_sync(args: argparse.Namespace) -> Request:
    source = _fields(video_id=args.video_id, video_url=args.video_url)
    if args.advanced:
        for option in ("text", "voice_id", "voice_language", "voice_speed"):
            if getattr(args, option) is not None:
                raise KlingValidationError.single(
                    option, "not allowed with --advanced; allowed: --audio PATH_OR_URL"
                )
        if args.audio is None:
            raise KlingValidationError.single(
                "audio", "missing with --advanced; allowed: the audio as a path or URL"
            )
        choice = _fields(
            face_id=args.face_id, sound_file=args.audio, sound_end_time=args.sound_end_ms
        )
        return "advanced-lip-sync", {**source, "face_choose": [choice]}
    for option, value in (("face_id", args.face_id), ("sound_end_ms", args.sound_end_ms)):
        if value is not None:
            raise KlingValidationError.single(option, f"{value!r} is only allowed with --advanced")
    if (args.text is None) == (args.audio is None):
        given = "both" if args.text is not None else "neither"
        raise KlingValidationError.single(
            "text",
            f"{given} of --text and --audio given; allowed: --text (with --voice-id) or --audio",
        )
    if args.text is not None:
        speech = _present(args, "text", "voice_id", "voice_language", "voice_speed")
        return "lip-sync", {**source, "mode": "text2video", **speech}
    audio = "audio_url" if _is_url(args.audio) else "audio_file"
    voice = _present(args, "voice_id", "voice_language", "voice_speed")  # refused by the model
    return "lip-sync", {**source, "mode": "audio2video", audio: args.audio, **voice}


# --- effect ----------------------------------------------------------------------------------


def _effect_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("effect_scene", metavar="SCENE", help="e.g. squish, or hug (two people)")
    parser.add_argument(
        "--image",
        action="append",
        required=True,
        dest="images",
        metavar="PATH_OR_URL",
        help="the image; twice for a two-person scene (hug, kiss, heart_gesture, fight)",
    )
    parser.add_argument("--duration", help="5 or 10 (seconds)")
    parser.add_argument("--model", dest="model_name", help="two-person scenes, e.g. kling-v1-6")
    parser.add_argument("--mode", help="two-person scenes: std or pro")


def _effect(args: argparse.Namespace) -> Request:
    from prefect_kling.models.effects import TWO_PERSON_EFFECT_SCENES

    fields = _present(args, "effect_scene", "duration", "model_name", "mode")
    if args.effect_scene in TWO_PERSON_EFFECT_SCENES or len(args.images) > 1:
        fields["images"] = args.images
    else:
        fields["image"] = args.images[0]
    return "effects", fields


# --- expand ----------------------------------------------------------------------------------


def _expand_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", required=True, metavar="PATH_OR_URL")
    for side in ("up", "down", "left", "right"):
        parser.add_argument(
            f"--{side}",
            type=float,
            dest=f"{side}_expansion_ratio",
            metavar="RATIO",
            help=f"grow the {side} side by this part of the original (0..2)",
        )
    parser.add_argument("--prompt", help="what the added area should show")
    parser.add_argument("--n", type=int, help="number of images (1..9)")


def _expand(args: argparse.Namespace) -> Request:
    return "image-expand", _present(
        args,
        "image",
        "up_expansion_ratio",
        "down_expansion_ratio",
        "left_expansion_ratio",
        "right_expansion_ratio",
        "prompt",
        "n",
    )


# --- try-on ----------------------------------------------------------------------------------


def _try_on_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--human", required=True, metavar="PATH_OR_URL", help="the person")
    parser.add_argument("--cloth", metavar="PATH_OR_URL", help="the garment")
    parser.add_argument(
        "--model", dest="model_name", help="kolors-virtual-try-on-v1 or kolors-virtual-try-on-v1-5"
    )


def _try_on(args: argparse.Namespace) -> Request:
    fields = _fields(human_image=args.human, cloth_image=args.cloth, model_name=args.model_name)
    return "virtual-try-on", fields


COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        Command("text2video", "generate a video from a prompt", _text2video_arguments, _text2video),
        Command(
            "image2video",
            "animate an image (start and optional end frame)",
            _image2video_arguments,
            _image2video,
        ),
        Command(
            "multi-image2video",
            "a video from 1 to 4 reference images (2 to 4 on CometAPI)",
            _multi_image2video_arguments,
            _multi_image2video,
        ),
        Command(
            "multi-image2image",
            "an image from subject, scene and style images",
            _multi_image2image_arguments,
            _multi_image2image,
        ),
        Command(
            "image", "images from a prompt, optionally from an image", _image_arguments, _image
        ),
        Command(
            "extend",
            "extend a video by 4-5 s, N times in a chain (official API)",
            _extend_arguments,
            _extend,
        ),
        Command(
            "lip-sync",
            "make the face in a video speak a text or an audio track",
            _lip_sync_arguments,
            _lip_sync,
        ),
        Command(
            "effect", "apply a video effect scene to one or two images", _effect_arguments, _effect
        ),
        Command(
            "expand",
            "extend an image beyond its borders (official API)",
            _expand_arguments,
            _expand,
        ),
        Command("try-on", "dress a person in a garment", _try_on_arguments, _try_on),
    )
}
"""Every generation command, by name, in the order `--help` lists them."""


def add_generation_commands(commands: Any) -> None:
    """Add every generation command to the subparsers `commands`."""
    for command in COMMANDS.values():
        parser = commands.add_parser(command.name, help=command.help)
        command.add_arguments(parser)
        add_run_options(parser)
