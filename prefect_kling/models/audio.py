"""Audio and avatar requests: text to audio, video to audio, text to speech, avatar.

Kling's pages (as copied 2026-09-20) state:

- text to audio (`audio/text-to-audio`, a task): `prompt` (required, at most 200
  characters: a limit of the endpoint row) and `duration`, 3.0 to 10.0 seconds with one
  decimal;
- video to audio (`audio/video-to-audio`, a task): a video (`video_id` of a Kling video
  under 30 days old, or `video_url` of an mp4/mov of at most 100 MB), 3 to 20 seconds
  long (Kling checks the length, as only it reads the video), `sound_effect_prompt` and
  `bgm_prompt` (at most 200 characters each) and `asmr_mode`;
- text to speech (`audio/tts`, answered at once, no task): `text` (at most 1,000
  characters), `voice_id`, `voice_language` (`zh` or `en`) and `voice_speed` (0.8 to 2.0);
  its audio's id feeds the avatar and the advanced lip-sync;
- avatar (`videos/avatar/image2video`, a task): an `image`, and the speech as the
  `audio_id` of a text-to-speech result or a `sound_file` (MP3, WAV, M4A or AAC, at most
  5 MB, 2 to 300 seconds): exactly one; `prompt` (at most 2,500 characters), `mode`
  (`std` or `pro`), `watermark_info`.

Examples:
    >>> from prefect_kling.providers import Provider
    >>> TextToAudioRequest(prompt="Rain on a tin roof", duration=4.5).to_payload(Provider.KLING)
    {'prompt': 'Rain on a tin roof', 'duration': 4.5}
    >>> VideoToAudioRequest(video_id="8594", asmr_mode=True).to_payload(Provider.KLING)
    {'video_id': '8594', 'asmr_mode': True}
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from prefect_kling.audio import load_audio
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.models.common import (
    CallbackUrl,
    ExternalTaskId,
    ImageInput,
    KlingRequest,
    RequiredPrompt,
    Text,
    VideoId,
    exactly_one,
    whole_error,
)
from prefect_kling.models.lipsync import HttpUrlText
from prefect_kling.models.videos import Mode, Watermark

AUDIO_SECONDS = (3.0, 10.0)
"""Shortest and longest audio text to audio makes, in seconds."""
SOURCE_VIDEO_SECONDS = (3.0, 20.0)
"""Shortest and longest video video to audio takes, in seconds (Kling checks it)."""
MAX_SPEECH_TEXT = 1000
"""Longest text of a text-to-speech call, in characters."""
AVATAR_AUDIO_SECONDS = (2.0, 300.0)
"""Shortest and longest speech an avatar takes, in seconds."""


class TextToAudioRequest(KlingRequest):
    """Make a sound effect or a piece of music from a description (`audio/text-to-audio`).

    The task's result is one audio track, as MP3 and as WAV (`KlingTask.audios`).

    Examples:
        >>> TextToAudioRequest(prompt="Fireworks at new year", duration=3).duration
        3.0
    """

    prompt: RequiredPrompt = Field(
        description="What should be heard, at most 200 characters.",
    )
    duration: float = Field(
        ge=AUDIO_SECONDS[0],
        le=AUDIO_SECONDS[1],
        description="Length of the audio, 3.0 to 10.0 seconds, one decimal at most.",
    )
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    @field_validator("duration")
    @classmethod
    def _one_decimal(cls, value: float) -> float:
        if round(value, 1) != value:
            raise whole_error(f"{value!r} has more than one decimal; allowed: e.g. 3.5")
        return value


class VideoToAudioRequest(KlingRequest):
    """Give a video its sound effects and background music (`audio/video-to-audio`).

    The video is a Kling video's id or a link to an mp4 or mov, 3 to 20 seconds long:
    exactly one of them. Both prompts are optional.

    Examples:
        >>> VideoToAudioRequest(video_url="https://x/clip.mp4", bgm_prompt="calm piano").video_url
        'https://x/clip.mp4'
    """

    video_id: VideoId | None = Field(
        None, description="Id of a video Kling made (under 30 days old); this or video_url."
    )
    video_url: HttpUrlText | None = Field(
        None, description="Link to an mp4 or mov of at most 100 MB; this or video_id."
    )
    sound_effect_prompt: Text = Field(
        None, description="The sound effects wanted, at most 200 characters."
    )
    bgm_prompt: Text = Field(
        None, description="The background music wanted, at most 200 characters."
    )
    asmr_mode: bool | None = Field(
        None, description="Stress fine, immersive sound detail (Kling's default: off)."
    )
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    @model_validator(mode="after")
    def _one_video(self) -> Self:
        exactly_one(self, "video_id", "video_url")
        return self


class TextToSpeechRequest(KlingRequest):
    """Speak a text with one of Kling's voices (`audio/tts`, answered at once, no task).

    The answer carries the audio (`KlingTask.audios[0]`: its `id` and `url`); the id is
    what the avatar (`audio_id`) and the advanced lip-sync take.

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> TextToSpeechRequest(
        ...     text="Hello there.", voice_id="oversea_male1", voice_language="en"
        ... ).to_payload(Provider.KLING)
        {'text': 'Hello there.', 'voice_id': 'oversea_male1', 'voice_language': 'en'}
    """

    text: RequiredPrompt = Field(
        max_length=MAX_SPEECH_TEXT, description="The words to speak, at most 1,000 characters."
    )
    voice_id: str = Field(min_length=1, description="One of Kling's voices, by id.")
    voice_language: Literal["zh", "en"] = Field(
        "zh", description="The voice's language, `zh` (Kling's default) or `en`."
    )
    voice_speed: float | None = Field(
        None, ge=0.8, le=2.0, description="Speaking speed, 0.8 to 2.0 (1.0 unchanged)."
    )


def _avatar_audio(value: Any, info: ValidationInfo) -> Any:
    try:
        return load_audio(
            value, field=info.field_name or "sound_file", seconds=AVATAR_AUDIO_SECONDS
        )
    except KlingValidationError as exc:
        raise whole_error(exc.problems[0].message) from None


AvatarSound = Annotated[str, BeforeValidator(_avatar_audio)]
"""The avatar's speech: a URL, a path, bytes or Base64 of 2 to 300 s; holds the URL or
raw Base64."""


class AvatarRequest(KlingRequest):
    """Make a picture of a person speak (`videos/avatar/image2video`).

    The speech is the `audio_id` of a text-to-speech result or your own `sound_file`:
    exactly one. Priced per second of video (the speech's length).

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> AvatarRequest(
        ...     image="https://x/face.png", audio_id="a-17", mode="pro"
        ... ).to_payload(Provider.KLING)
        {'image': 'https://x/face.png', 'audio_id': 'a-17', 'mode': 'pro'}
    """

    image: ImageInput = Field(
        description="The person: a URL, a path, bytes or Base64 (JPG or PNG, at most "
        "10 MB, at least 300 px, 1:2.5 to 2.5:1)."
    )
    audio_id: str | None = Field(
        None,
        min_length=1,
        description="Id of a text-to-speech audio (under 30 days old); this or sound_file.",
    )
    sound_file: AvatarSound | None = Field(
        None,
        description="Your speech: a URL, a path, bytes or Base64 (MP3, WAV, M4A or AAC, at "
        "most 5 MB, 2 to 300 seconds); this or audio_id.",
    )
    prompt: Text = Field(
        None, description="The avatar's actions, emotions and camera moves (2,500 characters)."
    )
    mode: Mode = None
    watermark_info: Watermark = None
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    @model_validator(mode="after")
    def _one_speech(self) -> Self:
        exactly_one(self, "audio_id", "sound_file")
        return self
