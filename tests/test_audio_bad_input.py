"""The audio and avatar limits, rule by rule: one request accepted, one refused, nothing sent.

Each rule of Kling's pages (2026-09-20) has a row: a request that keeps the rule is accepted
by the checks the flows and the command line make before sending, and one that breaks it is
refused with a `KlingValidationError` naming the field; neither reaches the simulator. The
command line refuses a share of the same requests with exit 2 and one line, and refuses
video to audio and text to speech on CometAPI, naming the provider.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from prefect_kling.audio import make_wav
from prefect_kling.cli import main
from prefect_kling.credentials import KlingCredentials
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.flows import check_request
from prefect_kling.flows.audio import check_speech
from prefect_kling.media import make_png
from prefect_kling.providers import Provider
from tests.bad_inputs import watching
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY, canary_environment, canary_simulator

IMAGE = "https://img.example.com/face.png"
VIDEO = "https://cdn.example.com/clip.mp4"
ZWSP = "\u200b"


@pytest.fixture(scope="module")
def sim():
    with canary_simulator(seed=23) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("audio-media")
    files = {
        "speech.wav": make_wav(6.0),
        "two.wav": make_wav(2.0),
        "short.wav": make_wav(1.5),
        "long.wav": make_wav(301.0),
        "big.wav": make_wav(700.0),  # 5.6 MB at 8000 bytes a second
        "text.mp3": b"not audio at all\n" * 20,
        "small.png": make_png(200, 200),
        "face.png": make_png(600, 800),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return {name: str(folder / name) for name in files}


def rule(name: str, endpoint: str, good: dict, bad: dict, field: str, says: str) -> Any:
    """A rule: the endpoint, a request keeping it, one breaking it, the field and words named."""
    return pytest.param(endpoint, good, bad, field, says, id=name)


TEXT_TO_AUDIO = {"prompt": "rain on a tin roof", "duration": 5}
VIDEO_TO_AUDIO = {"video_id": "859402751"}
TTS = {"text": "Hello.", "voice_id": "oversea_male1", "voice_language": "en"}
AVATAR = {"image": IMAGE, "audio_id": "a-17"}

RULES = [
    # --- text to audio ------------------------------------------------------------------
    rule(
        "t2a-prompt-200",
        "text-to-audio",
        {**TEXT_TO_AUDIO, "prompt": "r" * 200},
        {**TEXT_TO_AUDIO, "prompt": "r" * 201},
        "prompt",
        "at most 200 characters",
    ),
    rule(
        "t2a-prompt-required",
        "text-to-audio",
        TEXT_TO_AUDIO,
        {"duration": 5},
        "prompt",
        "required",
    ),
    rule(
        "t2a-prompt-visible",
        "text-to-audio",
        TEXT_TO_AUDIO,
        {**TEXT_TO_AUDIO, "prompt": ZWSP * 3},
        "prompt",
        "no visible character",
    ),
    rule(
        "t2a-duration-low",
        "text-to-audio",
        {**TEXT_TO_AUDIO, "duration": 3},
        {**TEXT_TO_AUDIO, "duration": 2.9},
        "duration",
        "3",
    ),
    rule(
        "t2a-duration-high",
        "text-to-audio",
        {**TEXT_TO_AUDIO, "duration": 10},
        {**TEXT_TO_AUDIO, "duration": 10.5},
        "duration",
        "10",
    ),
    rule(
        "t2a-duration-one-decimal",
        "text-to-audio",
        {**TEXT_TO_AUDIO, "duration": 4.5},
        {**TEXT_TO_AUDIO, "duration": 4.55},
        "duration",
        "one decimal",
    ),
    rule(
        "t2a-duration-required",
        "text-to-audio",
        TEXT_TO_AUDIO,
        {"prompt": "rain"},
        "duration",
        "required",
    ),
    # --- video to audio -----------------------------------------------------------------
    rule(
        "v2a-a-video",
        "video-to-audio",
        VIDEO_TO_AUDIO,
        {"bgm_prompt": "piano"},
        "video_id",
        "exactly one of video_id, video_url",
    ),
    rule(
        "v2a-one-video",
        "video-to-audio",
        {"video_url": VIDEO},
        {**VIDEO_TO_AUDIO, "video_url": VIDEO},
        "video_url",
        "exactly one of video_id, video_url",
    ),
    rule(
        "v2a-video-url",
        "video-to-audio",
        {"video_url": VIDEO},
        {"video_url": "ftp://cdn.example.com/clip.mp4"},
        "video_url",
        "allowed",
    ),
    rule(
        "v2a-sound-effect-200",
        "video-to-audio",
        {**VIDEO_TO_AUDIO, "sound_effect_prompt": "s" * 200},
        {**VIDEO_TO_AUDIO, "sound_effect_prompt": "s" * 201},
        "sound_effect_prompt",
        "at most 200 characters",
    ),
    rule(
        "v2a-bgm-200",
        "video-to-audio",
        {**VIDEO_TO_AUDIO, "bgm_prompt": "b" * 200},
        {**VIDEO_TO_AUDIO, "bgm_prompt": "b" * 201},
        "bgm_prompt",
        "at most 200 characters",
    ),
    rule(
        "v2a-asmr-bool",
        "video-to-audio",
        {**VIDEO_TO_AUDIO, "asmr_mode": True},
        {**VIDEO_TO_AUDIO, "asmr_mode": "loud"},
        "asmr_mode",
        "allowed",
    ),
    # --- text to speech -----------------------------------------------------------------
    rule(
        "tts-text-1000",
        "tts",
        {**TTS, "text": "t" * 1000},
        {**TTS, "text": "t" * 1001},
        "text",
        "1000",
    ),
    rule("tts-text-visible", "tts", TTS, {**TTS, "text": ZWSP}, "text", "no visible character"),
    rule(
        "tts-voice-required",
        "tts",
        TTS,
        {"text": "Hello.", "voice_language": "en"},
        "voice_id",
        "required",
    ),
    rule(
        "tts-language",
        "tts",
        {**TTS, "voice_language": "zh"},
        {**TTS, "voice_language": "fr"},
        "voice_language",
        "'zh'",
    ),
    rule(
        "tts-speed-low",
        "tts",
        {**TTS, "voice_speed": 0.8},
        {**TTS, "voice_speed": 0.7},
        "voice_speed",
        "0.8",
    ),
    rule(
        "tts-speed-high",
        "tts",
        {**TTS, "voice_speed": 2.0},
        {**TTS, "voice_speed": 2.1},
        "voice_speed",
        "2",
    ),
    # --- avatar (files are `@name` of the `media` fixture) ------------------------------
    rule("avatar-image", "avatar", AVATAR, {**AVATAR, "image": "@small.png"}, "image", "300 px"),
    rule(
        "avatar-a-speech",
        "avatar",
        AVATAR,
        {"image": IMAGE},
        "audio_id",
        "exactly one of audio_id, sound_file",
    ),
    rule(
        "avatar-one-speech",
        "avatar",
        {"image": "@face.png", "sound_file": "@speech.wav"},
        {**AVATAR, "sound_file": "@speech.wav"},
        "sound_file",
        "exactly one of audio_id, sound_file",
    ),
    rule(
        "avatar-speech-2s",
        "avatar",
        {"image": IMAGE, "sound_file": "@two.wav"},
        {"image": IMAGE, "sound_file": "@short.wav"},
        "sound_file",
        "2 to 300 seconds",
    ),
    rule(
        "avatar-speech-300s",
        "avatar",
        {"image": IMAGE, "sound_file": "@speech.wav"},
        {"image": IMAGE, "sound_file": "@long.wav"},
        "sound_file",
        "2 to 300 seconds",
    ),
    rule(
        "avatar-speech-5mb",
        "avatar",
        {"image": IMAGE, "sound_file": "@speech.wav"},
        {"image": IMAGE, "sound_file": "@big.wav"},
        "sound_file",
        "at most 5 MB",
    ),
    rule(
        "avatar-speech-is-audio",
        "avatar",
        {"image": IMAGE, "sound_file": "https://cdn.example.com/line.mp3"},
        {"image": IMAGE, "sound_file": "@text.mp3"},
        "sound_file",
        "is not audio",
    ),
    rule(
        "avatar-prompt-2500",
        "avatar",
        {**AVATAR, "prompt": "p" * 2500},
        {**AVATAR, "prompt": "p" * 2501},
        "prompt",
        "at most 2500 characters",
    ),
    rule(
        "avatar-mode", "avatar", {**AVATAR, "mode": "pro"}, {**AVATAR, "mode": "4k"}, "mode", "std"
    ),
]


def _files(request: dict, media: dict[str, str]) -> dict:
    return {
        key: media[value[1:]] if isinstance(value, str) and value.startswith("@") else value
        for key, value in request.items()
    }


def _check(endpoint: str, request: dict, credentials: KlingCredentials) -> None:
    if endpoint == "tts":
        check_speech(request, credentials)
    else:
        check_request(endpoint, request, credentials)


def official(sim) -> KlingCredentials:
    return KlingCredentials(base_url=sim.base_url, access_key=ACCESS_KEY, secret_key=SECRET_KEY)


def test_every_endpoint_has_rules():
    endpoints = {case.values[0] for case in RULES}
    assert endpoints == {"text-to-audio", "video-to-audio", "tts", "avatar"}


@pytest.mark.parametrize(("endpoint", "good", "bad", "field", "says"), RULES)
def test_a_rule_accepts_one_request_and_refuses_the_other(
    endpoint, good, bad, field, says, sim, media
):
    credentials = official(sim)
    with watching(sim) as watch:
        _check(endpoint, _files(good, media), credentials)
        with pytest.raises(KlingValidationError) as refused:
            _check(endpoint, _files(bad, media), credentials)
    assert refused.value.fields[0] == field, str(refused.value)
    assert says in str(refused.value)
    assert "allowed" in str(refused.value) or "required" in str(refused.value)
    watch.assert_nothing_sent()


@pytest.mark.parametrize(
    ("endpoint", "request_"),
    [("video-to-audio", VIDEO_TO_AUDIO), ("tts", TTS)],
)
def test_official_only_endpoints_are_refused_on_cometapi_naming_the_provider(
    endpoint, request_, sim
):
    comet = KlingCredentials(base_url=sim.base_url, provider=Provider.COMETAPI, api_key=API_KEY)
    with watching(sim) as watch, pytest.raises(KlingValidationError) as refused:
        _check(endpoint, request_, comet)
    assert refused.value.fields == ["provider"]
    assert "'cometapi' has no" in str(refused.value) and "allowed: kling" in str(refused.value)
    watch.assert_nothing_sent()


@pytest.mark.parametrize(
    ("endpoint", "request_"), [("text-to-audio", TEXT_TO_AUDIO), ("avatar", AVATAR)]
)
def test_cometapi_takes_text_to_audio_and_the_avatar(endpoint, request_, sim):
    comet = KlingCredentials(base_url=sim.base_url, provider=Provider.COMETAPI, api_key=API_KEY)
    check_request(endpoint, request_, comet)


# --- the command line: exit 2, one line naming the field, nothing sent, no run ---------------

COMMAND_LINES = [
    pytest.param(["text2audio", "--prompt", "r" * 201, "--duration", "5"], "prompt", "kling"),
    pytest.param(["text2audio", "--prompt", "rain", "--duration", "11"], "duration", "kling"),
    pytest.param(
        ["text2audio", "--prompt", "r" * 201, "--duration", "5"], "prompt", "cometapi", id="comet"
    ),
    pytest.param(
        ["video2audio", "--video-id", "1", "--bgm-prompt", "b" * 201], "bgm_prompt", "kling"
    ),
    pytest.param(["video2audio", "--video-id", "1"], "provider", "cometapi", id="v2a-comet"),
    pytest.param(["tts", "--text", "t" * 1001, "--voice-id", "v"], "text", "kling"),
    pytest.param(
        ["tts", "--text", "hi", "--voice-id", "v", "--voice-speed", "3"], "voice_speed", "kling"
    ),
    pytest.param(
        ["tts", "--text", "hi", "--voice-id", "v"], "provider", "cometapi", id="tts-comet"
    ),
    pytest.param(["avatar", "--image", IMAGE, "--sound", "@short.wav"], "sound_file", "kling"),
    pytest.param(["avatar", "--image", IMAGE, "--audio-id", "a", "--mode", "4k"], "mode", "kling"),
    # An audio id's length is unknown: the longest speech, 300 s at 0.4 units, is estimated.
    pytest.param(
        ["avatar", "--image", IMAGE, "--audio-id", "a", "--max-units", "100"], "max_units", "kling"
    ),
    pytest.param(
        ["tts", "--text", "hi", "--voice-id", "v", "--max-units", "0.01"], "max_units", "kling"
    ),
]


@pytest.mark.parametrize(("argv", "field", "provider"), COMMAND_LINES)
def test_the_command_line_refuses_with_exit_2_and_sends_nothing(
    argv, field, provider, sim, media, monkeypatch, tmp_path: Path
):
    canary_environment(monkeypatch, sim, provider)
    filled = [media[part[1:]] if part.startswith("@") else part for part in argv]
    out, err = io.StringIO(), io.StringIO()
    with watching(sim) as watch:
        code = main([*filled, "--output-dir", str(tmp_path / "out")], out=out, err=err)
    said = err.getvalue()
    assert code == 2, said
    assert f"{field}: " in said and "allowed" in said, said
    assert said.count("\n") == 1 and "Traceback" not in said
    watch.assert_nothing_sent()
    watch.assert_no_run_and_no_traceback()
    assert not (tmp_path / "out").exists()
