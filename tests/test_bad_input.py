"""Bad input on the command line: exit 2, the field named, the rule told, nothing sent.

A table of bad inputs, each run in-process through `prefect_kling.cli.main` against the
embedded simulator with the canary keys. Every case must:

- exit 2 with one message that names the field (`field: ...`) and says what is allowed;
- send nothing: the simulator's request counters do not move;
- start no Prefect flow or task run, and print or log no traceback.

`@name` in a command line stands for a file of `tests.bad_inputs.make_media`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from prefect_kling.cli import main
from tests.bad_inputs import make_media, watching
from tests.conftest import canary_environment, canary_simulator

URL = "https://img.example.com/a.png"
URL2 = "https://img.example.com/b.png"
VIDEO = "https://cdn.example.com/talk.mp4"
AUDIO = "https://cdn.example.com/line.mp3"
ZWSP = "\u200b"
ALLOW = "strict=False in Python, --allow-unknown-model on the command line"
DAMAGED = "allowed: a complete JPEG or PNG file"
NO_HOST = "has no host; allowed: an http(s) URL with a host"
NOT_AUDIO = "is not audio; allowed: MP3, WAV, M4A or AAC audio"
VIDEO_ID = "allowed: letters, digits, '_' and '-' (not first)"
FOLDER = "allowed: a folder that exists or can be made"


def cli(name: str, *argv: str, field: str, says: tuple[str, ...] = (), on: str = "kling") -> Any:
    """One case: the command line, the field it must name, what the message must say."""
    return pytest.param(argv, field, says, on, id=name)


# Each image option of each command, with each way an image can be broken.
IMAGE_OPTIONS = [
    ("image2video", ["image2video", "--image", "{}"], "image"),
    ("image2video-tail", ["image2video", "--image", URL, "--image-tail", "{}"], "image_tail"),
    (
        "multi-image2video",
        ["multi-image2video", "--image", "{}", "--prompt", "p"],
        "image_list.0.image",
    ),
    (
        "multi-image2image",
        ["multi-image2image", "--subject", "{}"],
        "subject_image_list.0.subject_image",
    ),
    (
        "multi-image2image-scene",
        ["multi-image2image", "--subject", URL, "--scene", "{}"],
        "scene_image",
    ),
    (
        "multi-image2image-style",
        ["multi-image2image", "--subject", URL, "--style", "{}"],
        "style_image",
    ),
    ("image", ["image", "--prompt", "p", "--image", "{}"], "image"),
    ("expand", ["expand", "--image", "{}", "--up", "0.5"], "image"),
    ("try-on-human", ["try-on", "--human", "{}"], "human_image"),
    ("try-on-cloth", ["try-on", "--human", URL, "--cloth", "{}"], "cloth_image"),
    ("effect", ["effect", "color_mixing", "--image", "{}"], "input.image"),
]
BROKEN_IMAGES = [
    ("bomb", "@bomb.png", ("claims more than", "too many to decode safely", "allowed: at most")),
    ("near-bomb", "@near-bomb.png", ("claims 10000x10000 px", "allowed: at most 89,478,485")),
    ("truncated-jpeg", "@truncated.jpg", ("damaged JPEG image", DAMAGED)),
    ("garbage-jpeg", "@garbage.jpg", ("damaged image", DAMAGED)),
    ("truncated-png", "@truncated.png", ("damaged PNG image", DAMAGED)),
    ("no-host", "http://", ("'http://' " + NO_HOST,)),
    ("no-host-https-path", "https:///a.png", (NO_HOST,)),
    ("gif", "@anim.gif", ("is a GIF image; allowed: JPEG or PNG",)),
    ("text-file", "@notes.txt", ("is not an image; allowed: JPEG or PNG",)),
    ("too-small", "@small.png", ("200x200 px; allowed: both sides at least 300 px",)),
    ("empty", "", ("'' is not a URL, an existing file or Base64 image data",)),
]


def _image_cases() -> list[Any]:
    cases = []
    for number, (kind, source, says) in enumerate(BROKEN_IMAGES):
        # Every kind of breakage on three options, turn by turn over all of them.
        for step in range(3):
            option, argv, field = IMAGE_OPTIONS[(number * 3 + step) % len(IMAGE_OPTIONS)]
            filled = [source if part == "{}" else part for part in argv]
            cases.append(cli(f"image-{kind}-{option}", *filled, field=field, says=says))
    return cases


CASES = [
    *_image_cases(),
    cli(
        "image-cometapi-bomb",
        "image2video",
        "--image",
        "@bomb.png",
        field="image",
        says=("too many to decode safely",),
        on="cometapi",
    ),
    # --- Prompts. -------------------------------------------------------------------------
    cli(
        "prompt-zero-width",
        "text2video",
        "--prompt",
        ZWSP * 3,
        field="prompt",
        says=("has no visible character", "allowed: words saying what to make"),
    ),
    cli(
        "prompt-zero-width-joiners",
        "text2video",
        "--prompt",
        "\u200d\u2060\ufeff",
        field="prompt",
        says=("has no visible character",),
    ),
    cli(
        "prompt-zero-width-and-spaces",
        "image",
        "--prompt",
        f" {ZWSP} \u00a0",
        field="prompt",
        says=("has no visible character",),
    ),
    cli(
        "prompt-zero-width-multi-image",
        "multi-image2video",
        "--image",
        URL,
        "--prompt",
        ZWSP,
        field="prompt",
        says=("has no visible character",),
    ),
    cli(
        "prompt-zero-width-cometapi",
        "text2video",
        "--prompt",
        ZWSP,
        field="prompt",
        says=("has no visible character",),
        on="cometapi",
    ),
    cli(
        "prompt-nul",
        "text2video",
        "--prompt",
        "a red\x00fox",
        field="prompt",
        says=("contains a NUL character", "allowed: text without NUL"),
    ),
    cli(
        "prompt-nul-image2video",
        "image2video",
        "--image",
        URL,
        "--prompt",
        "\x00",
        field="prompt",
        says=("contains a NUL character",),
    ),
    cli(
        "prompt-nul-image",
        "image",
        "--prompt",
        "fox\x00",
        field="prompt",
        says=("contains a NUL character",),
    ),
    cli(
        "prompt-nul-multi-image2image",
        "multi-image2image",
        "--subject",
        URL,
        "--prompt",
        "a\x00",
        field="prompt",
        says=("contains a NUL character",),
    ),
    cli(
        "prompt-nul-expand",
        "expand",
        "--image",
        URL,
        "--up",
        "0.5",
        "--prompt",
        "\x00sky",
        field="prompt",
        says=("contains a NUL character",),
    ),
    cli(
        "prompt-nul-extend",
        "extend",
        "859402",
        "--prompt",
        "on\x00",
        field="prompt",
        says=("contains a NUL character",),
    ),
    cli(
        "negative-prompt-nul",
        "text2video",
        "--prompt",
        "fox",
        "--negative-prompt",
        "x\x00",
        field="negative_prompt",
        says=("contains a NUL character",),
    ),
    cli(
        "lip-sync-text-nul",
        "lip-sync",
        "--video-id",
        "859402",
        "--text",
        "hi\x00",
        "--voice-id",
        "v1",
        field="input.text",
        says=("contains a NUL character",),
    ),
    # --- Models: unknown ones refused by default, naming the known ones. ---------------------
    cli(
        "model-text2video-v9",
        "text2video",
        "--prompt",
        "fox",
        "--model",
        "kling-v9",
        field="model_name",
        says=(
            "'kling-v9' is not a known text2video model with provider "
            "kling; allowed: kling-v1, kling-v1-6",
            ALLOW,
        ),
    ),
    cli(
        "model-text2video-v9-cometapi",
        "text2video",
        "--prompt",
        "fox",
        "--model",
        "kling-v9",
        field="model_name",
        says=("with provider cometapi; allowed: kling-v1", ALLOW),
        on="cometapi",
    ),
    cli(
        "model-multi-image2video-v1",
        "multi-image2video",
        "--image",
        URL,
        "--prompt",
        "p",
        "--model",
        "kling-v1",
        field="model_name",
        says=("'kling-v1' is not a known multi-image2video model", "allowed: kling-v1-6 (", ALLOW),
    ),
    cli(
        "model-image2video-v9",
        "image2video",
        "--image",
        URL,
        "--model",
        "kling-v9",
        field="model_name",
        says=("allowed: kling-v1, kling-v1-5", ALLOW),
    ),
    cli(
        "model-image-v4",
        "image",
        "--prompt",
        "p",
        "--model",
        "kling-v4",
        field="model_name",
        says=("allowed: kling-v3, kling-v1, kling-v1-5, kling-v2, kling-v2-new, kling-v2-1", ALLOW),
    ),
    cli(
        "model-multi-image2image-v9",
        "multi-image2image",
        "--subject",
        URL,
        "--model",
        "kling-v9",
        field="model_name",
        says=("allowed: kling-v2-1 (", ALLOW),
    ),
    cli(
        "model-multi-image2image-v2",
        "multi-image2image",
        "--subject",
        URL,
        "--model",
        "kling-v2",
        field="model_name",
        says=("'kling-v2' is not a known multi-image2image model", "allowed: kling-v2-1 ("),
    ),
    cli(
        "omni-image-4k-on-o1",
        "omni-image",
        "--prompt",
        "p",
        "--resolution",
        "4k",
        field="resolution",
        says=("with model_name 'kling-image-o1'", "allowed: '1k', '2k'"),
    ),
    cli(
        "omni-image-series-amount",
        "omni-image",
        "--prompt",
        "p",
        "--model",
        "kling-v3-omni",
        "--result-type",
        "series",
        "--series-amount",
        "12",
        field="series_amount",
        says=("allowed: 2 to 9, or 'auto'",),
    ),
    cli(
        "omni-image-cometapi",
        "omni-image",
        "--prompt",
        "p",
        field="provider",
        says=("'cometapi' has no omni-image route; allowed: kling",),
        on="cometapi",
    ),
    cli(
        "multi-shot-small-image",
        "multi-shot",
        "--image",
        "@small.png",
        field="element_frontal_image",
        says=("allowed",),
    ),
    cli(
        "image-recognize-cometapi",
        "image-recognize",
        "--image",
        URL,
        field="provider",
        says=("'cometapi' has no image-recognize route; allowed: kling",),
        on="cometapi",
    ),
    cli(
        "model-multi-image2image-cometapi",
        "multi-image2image",
        "--subject",
        URL,
        "--subject",
        URL2,
        "--model",
        "kling-v2-1",
        field="model_name",
        says=("with provider cometapi; allowed: kling-v2 (", ALLOW),
        on="cometapi",
    ),
    cli(
        "model-try-on-v9",
        "try-on",
        "--human",
        URL,
        "--model",
        "kolors-virtual-try-on-v9",
        field="model_name",
        says=("allowed: kolors-virtual-try-on-v1, kolors-virtual-try-on-v1-5", ALLOW),
    ),
    cli(
        "model-try-on-foreign",
        "try-on",
        "--human",
        URL,
        "--model",
        "kling-v1",
        field="model_name",
        says=("is not a model of virtual-try-on",),
    ),
    cli(
        "model-try-on-foreign-even-allowed",
        "try-on",
        "--human",
        URL,
        "--model",
        "kling-v1",
        "--allow-unknown-model",
        field="model_name",
        says=("is not a model of virtual-try-on",),
    ),
    cli(
        "model-text2video-foreign",
        "text2video",
        "--prompt",
        "p",
        "--model",
        "kolors-virtual-try-on-v1",
        field="model_name",
        says=("is not a model of text2video",),
    ),
    cli(
        "effect-withdrawn-hug",
        "effect",
        "hug",
        "--image",
        URL,
        "--image",
        URL2,
        field="effect_scene",
        says=("'hug' was withdrawn by Kling on 2026-01-30", "allowed: its replacement 'hug_pro'"),
    ),
    # --- Video ids: empty, blank, or able to leave the path. ----------------------------------
    cli(
        "extend-blank",
        "extend",
        "   ",
        field="video_id",
        says=("'   ' is blank; allowed: a video id",),
    ),
    cli("extend-empty", "extend", "", field="video_id", says=("'' is blank",)),
    cli(
        "extend-dot-dot",
        "extend",
        "1/../2",
        field="video_id",
        says=("'1/../2' is not a video id", VIDEO_ID),
    ),
    cli("extend-minus", "extend", "-5", field="video_id", says=("'-5' is not a video id",)),
    cli("extend-space-inside", "extend", "85 94", field="video_id", says=(VIDEO_ID,)),
    cli("extend-query", "extend", "8594?x=1", field="video_id", says=(VIDEO_ID,)),
    cli(
        "lip-sync-video-id-empty",
        "lip-sync",
        "--video-id",
        "",
        "--text",
        "hi",
        "--voice-id",
        "v1",
        field="input.video_id",
        says=("'' is blank",),
    ),
    cli(
        "lip-sync-video-id-blank",
        "lip-sync",
        "--video-id",
        "  ",
        "--audio",
        AUDIO,
        field="input.video_id",
        says=("is blank",),
    ),
    cli(
        "lip-sync-video-id-dot-dot",
        "lip-sync",
        "--video-id",
        "1/../2",
        "--audio",
        AUDIO,
        field="input.video_id",
        says=(VIDEO_ID,),
    ),
    cli(
        "lip-sync-video-id-minus",
        "lip-sync",
        "--video-id",
        "-5",
        "--text",
        "hi",
        "--voice-id",
        "v1",
        field="input.video_id",
        says=("'-5' is not a video id",),
    ),
    cli(
        "lip-sync-advanced-video-id-dot-dot",
        "lip-sync",
        "--advanced",
        "--video-id",
        "../x",
        "--audio",
        AUDIO,
        field="video_id",
        says=(VIDEO_ID,),
    ),
    cli(
        "lip-sync-advanced-video-id-blank",
        "lip-sync",
        "--advanced",
        "--video-id",
        " ",
        "--audio",
        AUDIO,
        field="video_id",
        says=("is blank",),
    ),
    cli(
        "lip-sync-video-url-no-host",
        "lip-sync",
        "--video-url",
        "http://",
        "--audio",
        AUDIO,
        field="input.video_url",
        says=(NO_HOST,),
    ),
    cli(
        "lip-sync-advanced-video-url-no-host",
        "lip-sync",
        "--advanced",
        "--video-url",
        "https://",
        "--audio",
        AUDIO,
        field="video_url",
        says=(NO_HOST,),
    ),
    # --- Audio: content, size and length, checked before anything is read out. ----------------
    cli(
        "audio-text-file",
        "lip-sync",
        "--video-id",
        "859402",
        "--audio",
        "@text.mp3",
        field="input.audio_file",
        says=(NOT_AUDIO,),
    ),
    cli(
        "audio-png",
        "lip-sync",
        "--video-id",
        "859402",
        "--audio",
        "@picture.mp3",
        field="input.audio_file",
        says=(NOT_AUDIO,),
    ),
    cli(
        "audio-12-mb",
        "lip-sync",
        "--video-id",
        "859402",
        "--audio",
        "@big.mp3",
        field="input.audio_file",
        says=("is 12.0 MB; allowed: at most 5 MB",),
    ),
    cli(
        "audio-empty-file",
        "lip-sync",
        "--video-id",
        "859402",
        "--audio",
        "@empty.mp3",
        field="input.audio_file",
        says=("empty.mp3 is empty; allowed: MP3, WAV, M4A or AAC",),
    ),
    cli(
        "audio-etc-passwd",
        "lip-sync",
        "--video-id",
        "859402",
        "--audio",
        "/etc/passwd",
        field="input.audio_file",
        says=("/etc/passwd " + NOT_AUDIO,),
    ),
    cli(
        "audio-empty-path",
        "lip-sync",
        "--video-id",
        "859402",
        "--audio",
        "",
        field="input.audio_file",
        says=("'' is empty; allowed: a path, bytes or Base64",),
    ),
    cli(
        "audio-too-short",
        "lip-sync",
        "--video-id",
        "859402",
        "--audio",
        "@short.wav",
        field="input.audio_file",
        says=("WAV audio of 1.0 s; allowed: 2 to 60 seconds",),
    ),
    cli(
        "audio-too-long",
        "lip-sync",
        "--video-url",
        VIDEO,
        "--audio",
        "@long.wav",
        field="input.audio_file",
        says=("WAV audio of 61.0 s; allowed: 2 to 60 seconds",),
    ),
    cli(
        "audio-a-video",
        "lip-sync",
        "--video-id",
        "859402",
        "--audio",
        "@clip.m4a",
        field="input.audio_file",
        says=(NOT_AUDIO,),
    ),
    cli(
        "audio-missing-file",
        "lip-sync",
        "--video-id",
        "859402",
        "--audio",
        "/no/such/line.mp3",
        field="input.audio_file",
        says=("is not an existing file, a URL or Base64 audio",),
    ),
    cli(
        "audio-url-no-host",
        "lip-sync",
        "--video-id",
        "859402",
        "--audio",
        "http://",
        field="input.audio_url",
        says=(NO_HOST,),
    ),
    cli(
        "audio-cometapi-etc-passwd",
        "lip-sync",
        "--video-id",
        "859402",
        "--audio",
        "/etc/passwd",
        field="input.audio_file",
        says=(NOT_AUDIO,),
        on="cometapi",
    ),
    cli(
        "advanced-audio-text-file",
        "lip-sync",
        "--advanced",
        "--video-id",
        "859402",
        "--audio",
        "@text.mp3",
        field="face_choose.0.sound_file",
        says=(NOT_AUDIO,),
    ),
    cli(
        "advanced-audio-12-mb",
        "lip-sync",
        "--advanced",
        "--video-id",
        "859402",
        "--audio",
        "@big.mp3",
        field="face_choose.0.sound_file",
        says=("allowed: at most 5 MB",),
    ),
    cli(
        "advanced-audio-empty",
        "lip-sync",
        "--advanced",
        "--video-id",
        "859402",
        "--audio",
        "@empty.mp3",
        field="face_choose.0.sound_file",
        says=("is empty",),
    ),
    cli(
        "advanced-audio-etc-passwd",
        "lip-sync",
        "--advanced",
        "--video-url",
        VIDEO,
        "--audio",
        "/etc/passwd",
        field="face_choose.0.sound_file",
        says=(NOT_AUDIO,),
    ),
    cli(
        "advanced-audio-no-host",
        "lip-sync",
        "--advanced",
        "--video-id",
        "859402",
        "--audio",
        "https://",
        field="face_choose.0.sound_file",
        says=(NO_HOST,),
    ),
    cli(
        "advanced-audio-too-short",
        "lip-sync",
        "--advanced",
        "--video-id",
        "859402",
        "--audio",
        "@short.wav",
        field="face_choose.0.sound_file",
        says=("allowed: 2 to 60 seconds",),
    ),
    # --- Effects. -------------------------------------------------------------------------------
    cli(
        "effect-unknown-scene",
        "effect",
        "nosuchscene",
        "--image",
        URL,
        field="effect_scene",
        says=("'nosuchscene' is not a known effect scene of effects", "net_the_fish", ALLOW),
    ),
    cli(
        "effect-unknown-scene-cometapi",
        "effect",
        "nosuchscene",
        "--image",
        URL,
        field="effect_scene",
        says=("with provider cometapi", ALLOW),
        on="cometapi",
    ),
    cli(
        "effect-withdrawn-kiss-cometapi",
        "effect",
        "kiss",
        "--image",
        URL,
        "--image",
        URL2,
        field="effect_scene",
        says=("'kiss' was withdrawn", "its replacement 'kiss_pro'"),
        on="cometapi",
    ),
    cli(
        "effect-withdrawn-without-replacement",
        "effect",
        "celebration",
        "--image",
        URL,
        field="effect_scene",
        says=("withdrawn by Kling on 2025-12-30", "another scene of the effects catalogue"),
    ),
    cli(
        "effect-dual-scene-one-image",
        "effect",
        "hug_pro",
        "--image",
        URL,
        field="input.images",
        says=("1 image with dual-image scene 'hug_pro'", "allowed: exactly 2 images"),
    ),
    cli(
        "effect-image-shows-the-path",
        "effect",
        "color_mixing",
        "--image",
        "@good.png",
        "--image",
        "@other.png",
        field="input.images",
        says=("good.png", "not allowed with single-image scene 'color_mixing'"),
    ),
    cli(
        "effect-broken-image-shows-the-path",
        "effect",
        "color_mixing",
        "--image",
        "@truncated.png",
        field="input.image",
        says=("truncated.png is a damaged PNG",),
    ),
    # --- The output folder: checked before the flow, so before anything is paid. ---------------
    cli(
        "output-dir-is-a-file",
        "text2video",
        "--prompt",
        "fox",
        "--output-dir",
        "@a-file",
        field="output_dir",
        says=("a-file' is a file", FOLDER),
    ),
    cli(
        "output-dir-below-a-file",
        "image",
        "--prompt",
        "fox",
        "--output-dir",
        "@a-file/sub",
        field="output_dir",
        says=("lies below a file", FOLDER),
    ),
    cli(
        "output-dir-extend",
        "extend",
        "859402",
        "--output-dir",
        "@a-file",
        field="output_dir",
        says=(FOLDER,),
    ),
    cli(
        "output-dir-effect-cometapi",
        "effect",
        "color_mixing",
        "--image",
        URL,
        "--output-dir",
        "@a-file",
        field="output_dir",
        says=(FOLDER,),
        on="cometapi",
    ),
    # --- Numbers: not a number, out of range, or true/false. ------------------------------------
    cli(
        "cfg-scale-nan",
        "text2video",
        "--prompt",
        "fox",
        "--cfg-scale",
        "nan",
        field="cfg_scale",
        says=("nan is not allowed; allowed: a number from 0 to 1",),
    ),
    cli(
        "cfg-scale-inf",
        "image2video",
        "--image",
        URL,
        "--cfg-scale",
        "inf",
        field="cfg_scale",
        says=("inf is not allowed; allowed: a number from 0 to 1",),
    ),
    cli(
        "cfg-scale-above-1",
        "extend",
        "859402",
        "--cfg-scale",
        "1.5",
        field="cfg_scale",
        says=("1.5 is not allowed; allowed: at most 1",),
    ),
    cli(
        "voice-speed-nan",
        "lip-sync",
        "--video-id",
        "859402",
        "--text",
        "hi",
        "--voice-id",
        "v1",
        "--voice-speed",
        "nan",
        field="input.voice_speed",
        says=("allowed: a number from 0.8 to 2",),
    ),
    cli(
        "image-fidelity-nan",
        "image",
        "--prompt",
        "p",
        "--image",
        URL,
        "--image-fidelity",
        "nan",
        field="image_fidelity",
        says=("allowed: a number from 0 to 1",),
    ),
    cli(
        "human-fidelity-minus-inf",
        "image",
        "--prompt",
        "p",
        "--human-fidelity=-inf",
        field="human_fidelity",
        says=("allowed: a number from 0 to 1",),
    ),
    cli(
        "expand-ratio-nan",
        "expand",
        "--image",
        URL,
        "--up",
        "nan",
        field="up_expansion_ratio",
        says=("allowed: a number from 0 to 2",),
    ),
    cli(
        "n-zero",
        "image",
        "--prompt",
        "p",
        "--n",
        "0",
        field="n",
        says=("0 is not allowed; allowed: at least 1",),
    ),
    # --- Budgets that cannot pay for the first create: refused before the flow runs. ------------
    cli(
        "max-units-0.1",
        "text2video",
        "--prompt",
        "fox",
        "--max-units",
        "0.1",
        field="max_units",
        says=("budget of 0.1 units", "allowed: at least 3 units"),
    ),
    cli(
        "max-units-pro",
        "text2video",
        "--prompt",
        "fox",
        "--mode",
        "pro",
        "--max-units",
        "3",
        field="max_units",
        says=("4 estimated units", "allowed: at least 4 units"),
    ),
    cli(
        "max-units-images",
        "image",
        "--prompt",
        "fox",
        "--n",
        "4",
        "--max-units",
        "0.5",
        field="max_units",
        says=("allowed: at least 32 units",),
    ),
    cli(
        "max-units-extend-chain",
        "extend",
        "859402",
        "--times",
        "3",
        "--max-units",
        "2",
        field="max_units",
        says=("3 x 4 estimated units", "allowed: at least 12 units"),
    ),
    cli(
        "max-units-effect-cometapi",
        "effect",
        "hug_pro",
        "--image",
        URL,
        "--image",
        URL2,
        "--max-units",
        "0.1",
        field="max_units",
        says=("allowed: at least",),
        on="cometapi",
    ),
    cli(
        "max-units-lip-sync",
        "lip-sync",
        "--video-id",
        "859402",
        "--text",
        "hi",
        "--voice-id",
        "v1",
        "--max-units",
        "0.25",
        field="max_units",
        says=("allowed: at least 6 units",),
    ),
    cli(
        "max-units-advanced-lip-sync",
        "lip-sync",
        "--advanced",
        "--video-id",
        "859402",
        "--audio",
        AUDIO,
        "--max-units",
        "0.5",
        field="max_units",
        says=("allowed: at least 6.05 units",),
    ),
    cli(
        "extend-times-0",
        "extend",
        "859402",
        "--times",
        "0",
        field="times",
        says=("0; allowed: 1 or more",),
    ),
    # --- Messages that must be true: the provider's own choices. -------------------------------
    cli(
        "aspect-ratio-21-9-official",
        "text2video",
        "--prompt",
        "fox",
        "--aspect-ratio",
        "21:9",
        field="aspect_ratio",
        says=("'21:9' is not allowed; allowed: '16:9', '9:16', '1:1' with provider kling",),
    ),
    cli(
        "aspect-ratio-4-3-official",
        "text2video",
        "--prompt",
        "fox",
        "--aspect-ratio",
        "4:3",
        field="aspect_ratio",
        says=("allowed: '16:9', '9:16', '1:1' with provider kling",),
    ),
    cli(
        "aspect-ratio-21-9-cometapi",
        "text2video",
        "--prompt",
        "fox",
        "--aspect-ratio",
        "21:9",
        field="aspect_ratio",
        says=("'4:3', '3:4', '3:2', '2:3' with provider cometapi",),
        on="cometapi",
    ),
    cli(
        "aspect-ratio-multi-image2video",
        "multi-image2video",
        "--image",
        URL,
        "--prompt",
        "p",
        "--aspect-ratio",
        "4:3",
        field="aspect_ratio",
        says=("allowed: '16:9', '9:16', '1:1' with provider kling",),
    ),
]


@pytest.fixture(scope="module")
def sim():
    with canary_simulator(seed=14) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("bad-media"))


def _filled(argv: tuple[str, ...], media: dict[str, Path], out: Path) -> list[str]:
    """The command line with `@name` replaced by the file's path, and an output folder."""
    filled = []
    for part in argv:
        if part.startswith("@"):
            name, _, rest = part[1:].partition("/")
            part = str(media[name]) + (f"/{rest}" if rest else "")
        filled.append(part)
    return filled if "--output-dir" in filled else [*filled, "--output-dir", str(out)]


def test_the_table_is_large_and_its_names_unique():
    names = [case.id for case in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 100


@pytest.mark.parametrize(("argv", "field", "says", "provider"), CASES)
def test_bad_input_exits_2_naming_the_field_with_nothing_sent(
    argv, field, says, provider, sim, media, monkeypatch, tmp_path, capsys
):
    canary_environment(monkeypatch, sim, provider)
    out, err = io.StringIO(), io.StringIO()
    with watching(sim) as watch:
        code = main(_filled(argv, media, tmp_path / "out"), out=out, err=err)
    said = err.getvalue()
    assert code == 2, said
    assert out.getvalue() == ""
    assert f"{field}: " in said, said
    assert "allowed" in said, said
    for fragment in says:
        assert fragment in said, said
    assert "Traceback" not in said
    assert said.count("\n") == 1, said  # one line, the whole message
    watch.assert_nothing_sent()
    watch.assert_no_run_and_no_traceback()
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_allow_unknown_model_sends_a_brand_new_model_on_purpose(sim, monkeypatch, tmp_path):
    canary_environment(monkeypatch, sim, "kling")
    before = sim.stats().create_calls
    out, err = io.StringIO(), io.StringIO()
    argv = ["text2video", "--prompt", "a fox in 2030", "--model", "kling-v9"]
    code = main([*argv, "--allow-unknown-model", "--output-dir", str(tmp_path)], out=out, err=err)
    assert code == 1, err.getvalue()
    assert "1203" in err.getvalue()  # the simulator, like Kling, does not know the model
    assert sim.stats().create_calls == before + 1
