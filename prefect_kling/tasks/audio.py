"""Tasks that make audio or speak: text to audio, video to audio, text to speech, avatar.

Text to speech creates no Kling task: the answer carries the audio. Kling takes no
external id for it, so nothing could find an earlier call again; instead the call is
cached by Prefect on its content, per provider and account (`speech_key`): the same text,
voice, language and speed is paid for once while Kling keeps the file (the cache's
lifetime, `cache_lifetime`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from prefect import task

from prefect_kling.credentials import KlingCredentials
from prefect_kling.endpoints.audio import TTS
from prefect_kling.exceptions import KlingTaskFailed
from prefect_kling.library import route_request
from prefect_kling.models.audio import (
    AvatarRequest,
    TextToAudioRequest,
    TextToSpeechRequest,
    VideoToAudioRequest,
)
from prefect_kling.models.kling_task import KlingTask, TaskReference
from prefect_kling.runtime import current_runtime
from prefect_kling.tasks.creating import TASK_OPTIONS, Fields, create_from, request_fields

__all__ = [
    "create_avatar",
    "text_to_audio",
    "text_to_speech",
    "video_to_audio",
]


@task(name="kling-text-to-audio", **TASK_OPTIONS)
def text_to_audio(
    credentials: KlingCredentials,
    prompt: str | None = None,
    duration: float | None = None,
    *,
    request: Fields | TextToAudioRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Make a sound effect or a piece of music from a prompt (an MP3 and a WAV).

    Args:
        credentials: Where and how to reach Kling.
        prompt: What should be heard, at most 200 characters.
        duration: Its length, 3.0 to 10.0 seconds.
        request: All fields at once, as a mapping or `TextToAudioRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: callback_url, external_task_id.
    """
    return create_from(
        credentials,
        "text-to-audio",
        request,
        idempotency_key,
        prompt=prompt,
        duration=duration,
        **fields,
    )


@task(name="kling-video-to-audio", **TASK_OPTIONS)
def video_to_audio(
    credentials: KlingCredentials,
    *,
    request: Fields | VideoToAudioRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Give a 3 to 20 s video sound effects and background music (official API).

    Args:
        credentials: Where and how to reach Kling.
        request: All fields at once, as a mapping or `VideoToAudioRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: `video_id` or `video_url`, `sound_effect_prompt`, `bgm_prompt`,
            `asmr_mode`, `callback_url`, `external_task_id`.
    """
    return create_from(credentials, "video-to-audio", request, idempotency_key, **fields)


@task(name="kling-avatar", **TASK_OPTIONS)
def create_avatar(
    credentials: KlingCredentials,
    image: Any = None,
    *,
    request: Fields | AvatarRequest | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Make the person in a picture speak: a video as long as the speech.

    Args:
        credentials: Where and how to reach Kling.
        image: The person: a URL, a path, bytes or Base64.
        request: All fields at once, as a mapping or `AvatarRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: `audio_id` (from `text_to_speech`) or `sound_file`, `prompt`, `mode`,
            `watermark_info`, `callback_url`, `external_task_id`.
    """
    return create_from(credentials, "avatar", request, idempotency_key, image=image, **fields)


def speech_key(credentials: KlingCredentials, request: Mapping[str, Any]) -> str:
    """Names one text-to-speech call of one account: its Prefect cache record.

    Examples:
        >>> creds = KlingCredentials(api_key="k")
        >>> one = speech_key(creds, {"text": "Hi", "voice_id": "v"})
        >>> one == speech_key(creds, {"voice_id": "v", "text": "Hi"}), one.startswith("kling-tts-")
        (True, True)
    """
    from prefect_kling.flows.create_step import account_fingerprint

    body = route_request(TTS, credentials, request).model_dump(mode="json", exclude_none=True)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]
    account = account_fingerprint(credentials)
    return f"kling-tts-{credentials.provider.value}-{account}-{digest}"


def _speech_cache_key(context: Any, parameters: dict[str, Any]) -> str:
    data = request_fields(
        parameters.get("request"),
        text=parameters.get("text"),
        voice_id=parameters.get("voice_id"),
        **parameters.get("fields", {}),
    )
    return speech_key(parameters["credentials"], data)


@task(
    name="kling-text-to-speech",
    cache_key_fn=_speech_cache_key,
    persist_result=True,
    tags=["kling"],
)
def text_to_speech(
    credentials: KlingCredentials,
    text: str | None = None,
    voice_id: str | None = None,
    *,
    request: Fields | TextToSpeechRequest | None = None,
    **fields: Any,
) -> KlingTask:
    """Speak a text with one of Kling's voices (official API; answered at once, no wait).

    The same call is paid for once: it is cached on its content per account (see the
    module docstring). The audio's id (`result.audios[0].id`) is what `create_avatar`
    takes as `audio_id`.

    Args:
        credentials: Where and how to reach Kling.
        text: The words, at most 1,000 characters.
        voice_id: One of Kling's voices, e.g. `oversea_male1`.
        request: All fields at once, as a mapping or `TextToSpeechRequest`.
        **fields: `voice_language` (`zh` or `en`), `voice_speed` (0.8 to 2.0).

    Returns:
        The answer, a task that has succeeded: `audios[0]` has the audio's id and link.

    Raises:
        KlingValidationError: A field breaks a rule, or the provider has no text to speech.
        KlingTaskFailed: Kling refused the text (its reason in the message).
    """
    data = request_fields(request, text=text, voice_id=voice_id, **fields)
    model = route_request(TTS, credentials, data)
    with current_runtime().client(credentials) as client:
        answer: KlingTask = client.call(TTS, model)
    if answer.failed:
        reference = TaskReference.from_task(
            answer, endpoint=TTS.name, provider=credentials.provider
        )
        raise KlingTaskFailed(answer, reference)
    return answer
