"""Request checks of the audio endpoints and of the avatar, from Kling's pages (2026-09-20).

Text to audio (`audio/text-to-audio`): `prompt` (required, at most 200 characters),
`duration` 3.0 to 10.0 s. Video to audio (`audio/video-to-audio`): exactly one of
`video_id` and `video_url` (the video is checked by the state, as for lip-sync),
`sound_effect_prompt` and `bgm_prompt` (at most 200 characters), `asmr_mode` (a bool).
Text to speech (`audio/tts`, answered at once): `text` (required, at most 1,000
characters), `voice_id` (required), `voice_language` `zh` or `en`, `voice_speed` 0.8 to
2.0. Avatar (`videos/avatar/image2video`): `image` (required), exactly one of `audio_id`
and `sound_file` (an http(s) URL or raw Base64), `prompt` (at most 2,500 characters),
`mode` `std` or `pro`.

The simulator knows the length of a speech given as Base64 (WAV, MP3, ...): the avatar's
video lasts as long, and one outside 2 to 300 s is refused; a speech named by `audio_id`
or given as a link lasts `DEFAULT_SPEECH_SECONDS`.

Examples:
    >>> ctx = Context(provider="kling", prompt_max=2500, negative_max=2500)
    >>> validate_text_to_audio({"prompt": "rain", "duration": 4.5}, ctx).duration
    4.5
    >>> validate_text_to_audio({"prompt": "rain", "duration": 12}, ctx)
    Traceback (most recent call last):
    ...
    prefect_kling.simulator.orders.Invalid: duration must be a number between 3 and 10; got 12
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from prefect_kling.audio import identify_audio
from prefect_kling.simulator.fields import Fields
from prefect_kling.simulator.orders import MODES, Context, Invalid, Order

AUDIO_PROMPT_MAX = 200
AUDIO_SECONDS = (3.0, 10.0)
SPEECH_TEXT_MAX = 1000
VOICE_LANGUAGES = ("zh", "en")
AVATAR_SPEECH_SECONDS = (2.0, 300.0)
DEFAULT_SPEECH_SECONDS = 5.0
"""Length of an avatar's speech the simulator cannot read (an audio id, a link)."""


def validate_text_to_audio(body: dict[str, Any], ctx: Context) -> Order:
    """Check an `audio/text-to-audio` body."""
    fields = Fields(body)
    prompt = fields.text("prompt", max_len=AUDIO_PROMPT_MAX, required=True)
    fields.require("duration")
    seconds = fields.number("duration", *AUDIO_SECONDS)
    return fields.order(model_name="", prompt=prompt, duration=seconds)


def validate_video_to_audio(body: dict[str, Any], ctx: Context) -> Order:
    """Check an `audio/video-to-audio` body (the video itself is checked by the state)."""
    fields = Fields(body)
    given = fields.one_of("video_id", "video_url")
    source = (
        {"video_id": fields.identifier("video_id")}
        if given == "video_id"
        else {"video_url": fields.url("video_url")}
    )
    effects = fields.text("sound_effect_prompt", max_len=AUDIO_PROMPT_MAX)
    music = fields.text("bgm_prompt", max_len=AUDIO_PROMPT_MAX)
    asmr = fields.get("asmr_mode")
    if asmr is not None and not isinstance(asmr, bool):
        raise Invalid(f"asmr_mode must be true or false; got {asmr!r}")
    # Both prompts go through the content checks, as a prompt does.
    return fields.order(model_name="", prompt=f"{effects} {music}".strip(), **source)


def validate_tts(body: dict[str, Any], ctx: Context) -> Order:
    """Check an `audio/tts` body (a call answered at once)."""
    fields = Fields(body)
    text = fields.text("text", max_len=SPEECH_TEXT_MAX, required=True)
    if not text.strip():
        raise Invalid("text must not be empty")
    voice_id = fields.require("voice_id")
    if not isinstance(voice_id, str) or not voice_id:
        raise Invalid("voice_id must be a non-empty string")
    fields.choice("voice_language", VOICE_LANGUAGES, "zh")
    fields.number("voice_speed", 0.8, 2.0)
    # A second of speech per 15 characters, at least 2 s.
    return fields.order(model_name="", prompt=text, duration=max(2.0, round(len(text) / 15, 1)))


def validate_avatar(body: dict[str, Any], ctx: Context) -> Order:
    """Check a `videos/avatar/image2video` body."""
    fields = Fields(body)
    fields.image("image", required=True)
    given = fields.one_of("audio_id", "sound_file")
    seconds = DEFAULT_SPEECH_SECONDS
    if given == "audio_id":
        fields.identifier("audio_id")
    else:
        sound = fields.audio("sound_file", urls=True) or ""
        seconds = _speech_seconds(sound)
    prompt = fields.text("prompt", max_len=ctx.prompt_max)
    mode = fields.choice("mode", MODES, "std")
    return fields.order(model_name="", prompt=prompt, mode=mode, duration=seconds)


def _speech_seconds(sound: str) -> float:
    """The length of a Base64 speech (2 to 300 s), or the default for a link."""
    if sound.startswith(("http://", "https://")):
        return DEFAULT_SPEECH_SECONDS
    try:
        facts = identify_audio(base64.b64decode("".join(sound.split()), validate=True))
    except (binascii.Error, ValueError):
        facts = None
    if facts is None:
        raise Invalid("sound_file must be mp3, wav, m4a or aac audio")
    shortest, longest = AVATAR_SPEECH_SECONDS
    if not shortest <= facts[1] <= longest:
        raise Invalid(
            f"sound_file lasts {facts[1]:.1f} s; it must last {shortest:g} to {longest:g} s"
        )
    return facts[1]
