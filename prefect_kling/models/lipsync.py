"""Lip-sync: the legacy one-step call, and the current identify-face + advanced-lip-sync pair.

Legacy (`videos/lip-sync`): Kling nests every setting under `input`:
`{"input": {"mode", "video_id" | "video_url", ...}, "callback_url", "external_task_id"}`.
`LipSyncRequest` keeps that shape, so that errors name the fields as Kling's documentation
does (`input.text`), and also takes the settings flat for convenience:
`LipSyncRequest(mode="text2video", video_id="8594", text="Hello", voice_id="...")` is
the same request as `LipSyncRequest(input={...})`.

Current (two steps): `videos/identify-face` is a synchronous call (no task) that answers a
`session_id` (valid 24 hours) and the faces found, each with a `face_id` and the time span
it appears in; `videos/advanced-lip-sync` then creates the task from the session and, per
chosen face, an audio source and its timing. The reference this package follows names the
pair without a field table; the fields below follow what Kling's clients send
(`face_choose` items with `face_id`, `audio_id` or `sound_file`, millisecond timings and
volumes 0 to 2). Only rules that hold whatever the details are checked (one audio source
per face, a clip that ends after it starts); Kling checks the rest itself, free of charge.

Audio fields take a URL, a path, bytes or Base64 text (a `data:` prefix is removed) and
hold, once validated, the URL or the raw Base64 content. Local audio is checked as
`prefect_kling.audio.load_audio` does: MP3, WAV, M4A or AAC by content, at most 5 MB,
2 to 60 seconds.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from prefect_kling.audio import load_audio
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.media import is_url, url_problem
from prefect_kling.models.common import (
    CallbackUrl,
    ExternalTaskId,
    KlingRequest,
    StrictModel,
    Text,
    VideoId,
    exactly_one,
    nest_input,
    rule_error,
    show,
    whole_error,
)
from prefect_kling.models.kling_task import _Lenient
from prefect_kling.models.videos import Watermark
from prefect_kling.providers import Provider

SOURCE_ERROR = "kling_source"
"""Pydantic error type of a URL or an audio value in a form Kling does not take."""


def _url_value(value: str) -> str:
    if not is_url(value):
        raise PydanticCustomError(SOURCE_ERROR, "allowed: an http(s) URL with a host")
    problem = url_problem(value)
    if problem is not None:
        raise whole_error(problem)
    return value.strip()


HttpUrlText = Annotated[str, AfterValidator(_url_value)]
"""A public `http(s)` URL with a host, kept as text."""


def _audio_value(value: Any, info: ValidationInfo, *, urls: bool = True) -> Any:
    """A URL (kept), bytes, a path or Base64 text (checked, turned into raw Base64)."""
    try:
        return load_audio(value, field=info.field_name or "audio", urls=urls)
    except KlingValidationError as exc:
        raise whole_error(exc.problems[0].message) from None


AudioInput = Annotated[str, BeforeValidator(_audio_value)]
"""An audio field: a URL, a path, bytes or Base64; holds the URL or raw Base64."""
AudioFile = Annotated[
    str, BeforeValidator(lambda value, info: _audio_value(value, info, urls=False))
]
"""An uploaded audio file: a path, bytes or Base64; holds raw Base64 (no URLs)."""

MAX_LIP_SYNC_TEXT = 120
"""Longest text of a legacy text-to-speech lip-sync, in characters."""

_SPEECH_FIELDS = ("text", "voice_id", "voice_language", "voice_speed")
_AUDIO_FIELDS = ("audio_type", "audio_file", "audio_url")
_AUDIO_SOURCE = {"file": "audio_file", "url": "audio_url"}


class LipSyncInput(StrictModel):
    """What a legacy lip-sync works on: the video, and speech as text or as audio.

    `text2video` speaks `text` with a Kling voice; `audio2video` uses your audio, as a file
    (`audio_type="file"`, `audio_file`) or a link (`audio_type="url"`, `audio_url`);
    `audio_type` is filled in from the source when left out.

    Examples:
        >>> LipSyncInput(mode="audio2video", video_id="8594", audio_url="https://x/a.mp3").audio_type
        'url'
    """

    mode: Literal["text2video", "audio2video"] = Field(
        description="`text2video` (Kling speaks `text`) or `audio2video` (your audio)."
    )
    video_id: VideoId | None = Field(
        None,
        description="Id of a video Kling made (under 30 days old); this or video_url.",
    )
    video_url: HttpUrlText | None = Field(
        None, description="Link to an mp4 or mov video with a face; this or video_id."
    )
    text: Text = Field(
        None,
        min_length=1,
        max_length=MAX_LIP_SYNC_TEXT,
        description="The words to speak, at most 120 characters (`text2video`).",
    )
    voice_id: str | None = Field(
        None, min_length=1, description="Kling voice that speaks the text (`text2video`)."
    )
    voice_language: Literal["zh", "en"] | None = Field(
        None, description="Language of the voice, `zh` (default) or `en` (`text2video`)."
    )
    voice_speed: float | None = Field(
        None, ge=0.8, le=2.0, description="Speaking speed, 0.8 to 2.0 (`text2video`)."
    )
    audio_type: Literal["file", "url"] | None = Field(
        None,
        description="`file` (audio_file) or `url` (audio_url) (`audio2video`); filled in "
        "from the source given when left out.",
    )
    audio_file: AudioFile | None = Field(
        None, description="The audio as a path, bytes or Base64 (`audio_type` `file`)."
    )
    audio_url: HttpUrlText | None = Field(
        None, description="Link to the audio (`audio_type` `url`)."
    )

    @model_validator(mode="before")
    @classmethod
    def _infer_audio_type(cls, data: Any) -> Any:
        audio = isinstance(data, dict) and data.get("mode") == "audio2video"
        if audio and data.get("audio_type") is None:
            given = [kind for kind, name in _AUDIO_SOURCE.items() if data.get(name) is not None]
            if len(given) == 1:
                return {**data, "audio_type": given[0]}
        return data

    @model_validator(mode="after")
    def _check_shape(self) -> Self:
        exactly_one(self, "video_id", "video_url")
        if self.mode == "text2video":
            self._check_speech()
        else:
            self._check_audio()
        return self

    def _check_speech(self) -> None:
        for name in _AUDIO_FIELDS:
            value = getattr(self, name)
            if value is not None:
                raise rule_error(
                    name,
                    f"{show(value)} is not allowed with mode 'text2video'; allowed: "
                    f"{', '.join(_SPEECH_FIELDS)} (or mode 'audio2video' for your own audio)",
                )
        if self.text is None:
            raise rule_error(
                "text",
                "missing with mode 'text2video'; allowed: the words to speak, "
                f"1 to {MAX_LIP_SYNC_TEXT} characters",
            )
        if self.voice_id is None:
            raise rule_error(
                "voice_id",
                "missing with mode 'text2video'; allowed: a voice id from Kling's voice list",
            )

    def _check_audio(self) -> None:
        for name in _SPEECH_FIELDS:
            value = getattr(self, name)
            if value is not None:
                raise rule_error(
                    name,
                    f"{show(value)} is not allowed with mode 'audio2video'; allowed: "
                    "audio_type with audio_file or audio_url (or mode 'text2video' for text)",
                )
        if self.audio_type is None:
            raise rule_error(
                "audio_type",
                "missing with mode 'audio2video', and so are audio_file and audio_url; "
                "allowed: 'file' with audio_file, or 'url' with audio_url",
            )
        wanted = _AUDIO_SOURCE[self.audio_type]
        other = _AUDIO_SOURCE["url" if self.audio_type == "file" else "file"]
        if getattr(self, other) is not None:
            raise rule_error(
                other,
                f"{show(getattr(self, other))} is not allowed with audio_type "
                f"{self.audio_type!r}; allowed: {wanted}",
            )
        if getattr(self, wanted) is None:
            form = "a path, bytes or Base64" if wanted == "audio_file" else "an http(s) URL"
            raise rule_error(
                wanted, f"missing with audio_type {self.audio_type!r}; allowed: the audio as {form}"
            )


class LipSyncRequest(KlingRequest):
    """Make the face in a video speak, in one step (legacy `videos/lip-sync`).

    The body nests the settings under `input`, as Kling expects; they may also be given
    flat (see the module docstring), never both ways at once.

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = LipSyncRequest(
        ...     mode="text2video", video_id="8594", text="Hello there.", voice_id="oversea_male1"
        ... )
        >>> request.to_payload(Provider.KLING)  # doctest: +NORMALIZE_WHITESPACE
        {'input': {'mode': 'text2video', 'video_id': '8594', 'text': 'Hello there.',
                   'voice_id': 'oversea_male1'}}
    """

    input: LipSyncInput = Field(description="The video and the speech (sent as `input`).")
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    @model_validator(mode="before")
    @classmethod
    def _nest_flat_fields(cls, data: Any) -> Any:
        return nest_input(data, LipSyncInput)


class IdentifyFaceRequest(KlingRequest):
    """Find the faces in a video, first step of the current lip-sync (`videos/identify-face`).

    A synchronous call, not a task: the answer (`IdentifyFaceResult`) comes at once.

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> IdentifyFaceRequest(video_id=8594).to_payload(Provider.KLING)
        {'video_id': '8594'}
    """

    video_id: VideoId | None = Field(
        None, description="Id of a video Kling made (under 30 days old); this or video_url."
    )
    video_url: HttpUrlText | None = Field(
        None, description="Link to an mp4 or mov video with a face; this or video_id."
    )

    @model_validator(mode="after")
    def _one_video(self) -> Self:
        exactly_one(self, "video_id", "video_url")
        return self


class FaceData(_Lenient):
    """One face found by identify-face."""

    face_id: str | None = Field(default=None, description="Id to choose the face by.")
    face_image: str | None = Field(default=None, description="Link to a picture of the face.")
    start_time: int | None = Field(
        default=None, description="When the face first appears, in milliseconds."
    )
    end_time: int | None = Field(
        default=None, description="When the face last appears, in milliseconds."
    )


class IdentifyFaceResult(_Lenient):
    """What identify-face answers: the session for advanced lip-sync, and the faces found.

    Examples:
        >>> result = IdentifyFaceResult.model_validate({
        ...     "session_id": "s-1",
        ...     "face_data": [{"face_id": "0", "start_time": 0, "end_time": 5200}],
        ... })
        >>> result.session_id, result.face_ids
        ('s-1', ['0'])
    """

    session_id: str = Field(description="Session of the advanced lip-sync; valid 24 hours.")
    face_data: list[FaceData] = Field(default_factory=list, description="The faces found.")

    @property
    def face_ids(self) -> list[str]:
        """The ids of the faces found, in Kling's order."""
        return [face.face_id for face in self.face_data if face.face_id is not None]


Milliseconds = Annotated[int, Field(ge=0)]
Volume = Annotated[float | None, Field(ge=0, le=2)]


FACE_CHOICE_NAMES: dict[Provider, dict[str, str]] = {
    Provider.COMETAPI: {"original_audio_volume": "original_sound_volume"}
}
"""Face-choice fields a provider spells differently from Kling (CometAPI's lip-sync page)."""


class FaceChoice(StrictModel):
    """One face to make speak, with its audio and when the audio plays.

    The audio is a Kling audio id (`audio_id`) or your own file (`sound_file`): exactly one.
    `sound_start_time` to `sound_end_time` cut the clip out of the audio;
    `sound_insert_time` places it in the video (all in milliseconds). Kling wants the clip
    to overlap the face's time span; it checks that itself.

    Examples:
        >>> choice = FaceChoice(face_id="0", sound_file="https://x/line.mp3", sound_end_time=3000)
        >>> choice.sound_start_time, choice.sound_file
        (0, 'https://x/line.mp3')
    """

    face_id: str = Field(min_length=1, description="Face to animate, from identify-face.")
    audio_id: str | None = Field(
        None, description="Id of audio Kling generated (text to speech); this or sound_file."
    )
    sound_file: AudioInput | None = Field(
        None, description="Your audio: URL, path, bytes or Base64; this or audio_id."
    )
    sound_start_time: Milliseconds = Field(
        0, description="Where the clip starts in the audio, in milliseconds."
    )
    sound_end_time: Milliseconds = Field(
        description="Where the clip ends in the audio, in milliseconds."
    )
    sound_insert_time: Milliseconds = Field(
        0, description="Where the clip starts in the video, in milliseconds."
    )
    sound_volume: Volume = Field(None, description="Volume of the clip, 0 to 2 (1 unchanged).")
    original_audio_volume: Volume = Field(
        None, description="Volume of the video's own sound, 0 to 2 (1 unchanged)."
    )

    @model_validator(mode="after")
    def _check_audio(self) -> Self:
        exactly_one(self, "audio_id", "sound_file")
        if self.sound_end_time <= self.sound_start_time:
            raise rule_error(
                "sound_end_time",
                f"{self.sound_end_time} is not after sound_start_time {self.sound_start_time}; "
                f"allowed: more than {self.sound_start_time} (milliseconds)",
            )
        return self


class AdvancedLipSyncRequest(KlingRequest):
    """Make chosen faces speak, second step of the current lip-sync (`videos/advanced-lip-sync`).

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> request = AdvancedLipSyncRequest(
        ...     session_id="s-1",
        ...     face_choose=[{"face_id": "0", "audio_id": "a-7", "sound_end_time": 4000}],
        ... )
        >>> request.to_payload(Provider.KLING)["face_choose"]  # doctest: +NORMALIZE_WHITESPACE
        [{'face_id': '0', 'audio_id': 'a-7', 'sound_start_time': 0, 'sound_end_time': 4000,
          'sound_insert_time': 0}]

        CometAPI spells the video's own volume `original_sound_volume`:

        >>> quiet = AdvancedLipSyncRequest(
        ...     session_id="s-1",
        ...     face_choose=[{"face_id": "0", "audio_id": "a-7", "sound_end_time": 4000,
        ...                   "original_audio_volume": 0.2}],
        ... )
        >>> quiet.to_payload(Provider.COMETAPI)["face_choose"][0]["original_sound_volume"]
        0.2
    """

    session_id: str = Field(
        min_length=1, description="Session from identify-face (valid 24 hours)."
    )
    face_choose: list[FaceChoice] = Field(
        min_length=1, description="The faces to animate, each with its audio."
    )
    watermark_info: Watermark = None
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    def to_payload(self, provider: Provider) -> dict[str, Any]:
        """The JSON body for a provider, each face choice in the provider's spelling."""
        payload = super().to_payload(provider)
        names = FACE_CHOICE_NAMES.get(Provider(provider), {})
        payload["face_choose"] = [
            {names.get(key, key): value for key, value in choice.items()}
            for choice in payload["face_choose"]
        ]
        return payload
