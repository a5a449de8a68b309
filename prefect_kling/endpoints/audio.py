"""The rows of the audio endpoints and of the avatar, and text to speech's route.

text-to-audio and video-to-audio make audio tracks (`ResultKind.AUDIO`: an MP3 and a WAV
each); the avatar makes a video of a picture speaking. Text to speech (`TTS`) creates no
task: Kling answers it at once with the audio, so it is a `Route` (its result is a task
object that has already succeeded).

Kling prices all four on its video pricing page, in video units: their tasks are counted
in the video pool (`Family.VIDEO`).

CometAPI: kling-api.md (section 11) says CometAPI now lists avatar and text-to-audio, but
its pages among the seeds give no exact path. Both rows take the official paths under
CometAPI's `/kling/v1` prefix (`audio/text-to-audio`, `videos/avatar/image2video`) until a
page states otherwise. Video-to-audio and text to speech are official only: the client
refuses them on CometAPI, naming the provider, before anything is sent.

Examples:
    >>> [(row.name, row.command.name) for row in ROWS]
    [('text-to-audio', 'text2audio'), ('video-to-audio', 'video2audio'), ('avatar', 'avatar')]
    >>> TTS.path(Provider.KLING)
    'audio/tts'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefect_kling.capabilities import EndpointLimits
from prefect_kling.endpoints.command import Command, OneOf, option
from prefect_kling.endpoints.row import (
    Endpoint,
    Family,
    ResultKind,
    Route,
    everywhere,
    official_only,
)
from prefect_kling.endpoints.shared import PATH_OR_URL
from prefect_kling.models.audio import (
    AvatarRequest,
    TextToAudioRequest,
    TextToSpeechRequest,
    VideoToAudioRequest,
)
from prefect_kling.models.kling_task import KlingTask
from prefect_kling.pricing import estimate_units
from prefect_kling.providers import Provider

AUDIO_TEXT = {"prompt": 200}
"""Longest text-to-audio prompt, in characters (its page)."""
VIDEO_TO_AUDIO_TEXT = {"sound_effect_prompt": 200, "bgm_prompt": 200}
"""Longest video-to-audio prompts, in characters (its page)."""
AVATAR_TEXT = {"prompt": 2500}
"""Longest avatar prompt, in characters (its page)."""
AVATAR_MODES = ("std", "pro")


def text_to_audio_units(request: Mapping[str, Any]) -> float:
    """Text to audio: the page's per-request price."""
    return estimate_units("text-to-audio", request)


def video_to_audio_units(request: Mapping[str, Any]) -> float:
    """Video to audio: the page's per-request price."""
    return estimate_units("video-to-audio", request)


def avatar_units(request: Mapping[str, Any]) -> float:
    """An avatar: its mode's rate per second x the speech's seconds (300 when unknown)."""
    return estimate_units("avatar", request)


TTS = Route(
    name="tts",
    method="POST",
    paths=official_only("audio/tts"),
    request_model=TextToSpeechRequest,
    response_model=KlingTask,
)
"""Text to speech: answered at once with a task object that carries the audio."""

ROUTES = (TTS,)
"""The audio calls that create no task."""

ROWS = (
    Endpoint(
        name="text-to-audio",
        family=Family.VIDEO,
        # No CometAPI page among the seeds gives the path: the official one is assumed.
        paths=everywhere("audio/text-to-audio"),
        request_model=TextToAudioRequest,
        result_kind=ResultKind.AUDIO,
        query_by_external_id=frozenset({Provider.KLING}),
        limits=everywhere(EndpointLimits(max_chars=AUDIO_TEXT)),
        estimate=text_to_audio_units,
        command=Command(
            "text2audio",
            "make a sound effect or music from a prompt (saved as MP3 and WAV)",
            (
                option("--prompt", required=True, help="what should be heard, 200 characters"),
                option("--duration", type=float, required=True, help="3.0..10.0 (seconds)"),
            ),
        ),
        title="Text to audio",
    ),
    Endpoint(
        name="video-to-audio",
        family=Family.VIDEO,
        paths=official_only("audio/video-to-audio"),
        request_model=VideoToAudioRequest,
        result_kind=ResultKind.AUDIO,
        query_by_external_id=frozenset({Provider.KLING}),
        limits=official_only(EndpointLimits(max_chars=VIDEO_TO_AUDIO_TEXT)),
        estimate=video_to_audio_units,
        command=Command(
            "video2audio",
            "give a 3-20 s video sound effects and music (official API)",
            (
                OneOf(
                    (
                        option("--video-id", help="id of a video Kling made (under 30 days)"),
                        option("--video-url", help="link to an mp4 or mov, 100 MB at most"),
                    ),
                    required=True,
                ),
                option("--sound-effect-prompt", help="the sound effects, 200 characters"),
                option("--bgm-prompt", help="the background music, 200 characters"),
                option(
                    "--asmr",
                    dest="asmr_mode",
                    action="store_const",
                    const=True,
                    help="stress fine, immersive sound detail",
                ),
            ),
        ),
        title="Video to audio",
    ),
    Endpoint(
        name="avatar",
        family=Family.VIDEO,
        # No CometAPI page among the seeds gives the path: the official one is assumed.
        paths=everywhere("videos/avatar/image2video"),
        request_model=AvatarRequest,
        result_kind=ResultKind.VIDEO,
        query_by_external_id=frozenset({Provider.KLING}),
        limits=everywhere(
            EndpointLimits(
                max_chars=AVATAR_TEXT,
                choices={"mode": AVATAR_MODES},
                defaults={"mode": "std"},
            )
        ),
        estimate=avatar_units,
        command=Command(
            "avatar",
            "make the person in a picture speak (an audio id from tts, or your audio)",
            (
                option("--image", required=True, metavar=PATH_OR_URL, help="the person"),
                OneOf(
                    (
                        option(
                            "--audio-id", help="id of a text-to-speech audio (prefect-kling tts)"
                        ),
                        option(
                            "--sound",
                            dest="sound_file",
                            metavar=PATH_OR_URL,
                            help="your speech: mp3, wav, m4a or aac, 2-300 s, 5 MB at most",
                        ),
                    ),
                    required=True,
                ),
                option("--prompt", help="actions, emotions and camera moves"),
                option("--mode", help="std or pro"),
            ),
        ),
        title="Avatar",
    ),
)
"""Audio and avatar endpoints, in the order `prefect-kling --help` lists them."""
