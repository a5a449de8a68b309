"""Audio and avatar end to end on the simulator: the commands, the flow, the tasks."""

import base64
import hashlib
import io
import json
import wave
from pathlib import Path

import httpx
import pytest
from prefect import flow

from prefect_kling.audio import identify_audio, make_mp3, make_wav
from prefect_kling.cli import main
from prefect_kling.credentials import KlingCredentials
from prefect_kling.downloads import save_task_results
from prefect_kling.exceptions import KlingError, KlingValidationError
from prefect_kling.flows import generate_audio, generate_video
from prefect_kling.media import make_png
from prefect_kling.models.kling_task import KlingTask, TaskReference
from prefect_kling.pricing import estimate_units
from prefect_kling.providers import Provider
from prefect_kling.tasks import create_avatar, text_to_audio, text_to_speech
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY, canary_simulator

pytestmark = pytest.mark.e2e

FAST = ["--poll-interval", "0.05", "--max-wait", "60"]
IMAGE = "https://img.example.com/presenter.png"


@pytest.fixture(scope="module")
def sim():
    with canary_simulator(seed=17) as simulator:
        yield simulator


@pytest.fixture
def kling_env(sim, monkeypatch):
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET_KEY)


@pytest.fixture
def comet_env(sim, monkeypatch):
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    monkeypatch.setenv("KLING_PROVIDER", "cometapi")
    monkeypatch.setenv("KLING_API_KEY", API_KEY)


def official(sim) -> KlingCredentials:
    return KlingCredentials(base_url=sim.base_url, access_key=ACCESS_KEY, secret_key=SECRET_KEY)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def tts_calls(sim) -> int:
    return sum(entry["path"] == "/v1/audio/tts" for entry in sim.requests())


def checked(files: list[dict]) -> list[bytes]:
    """Each saved file's bytes, once its size and SHA-256 match the summary."""
    contents = []
    for file in files:
        data = Path(file["path"]).read_bytes()
        assert len(data) == file["bytes"]
        assert hashlib.sha256(data).hexdigest() == file["sha256"]
        contents.append(data)
    return contents


def test_text2audio_saves_the_mp3_then_the_wav(kling_env, sim, tmp_path):
    code, out, err = run(
        "text2audio",
        "--prompt",
        "rain on a tin roof",
        "--duration",
        "4.5",
        "--output-dir",
        str(tmp_path),
        "--json",
        *FAST,
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["endpoint"] == "text-to-audio" and summary["status"] == "succeeded"
    assert [file["kind"] for file in summary["files"]] == ["mp3", "wav"]
    assert [Path(file["path"]).suffix for file in summary["files"]] == [".mp3", ".wav"]
    mp3, wav = checked(summary["files"])
    assert identify_audio(mp3)[0] == "MP3"
    with wave.open(io.BytesIO(wav)) as track:
        assert track.getnframes() / track.getframerate() == pytest.approx(4.5)
    audio_ids = {file["audio_id"] for file in summary["files"]}
    assert len(audio_ids) == 1 and None not in audio_ids
    manifest = json.loads((tmp_path / f"text-to-audio-{summary['task_id']}.json").read_text())
    assert [entry["kind"] for entry in manifest["files"]] == ["mp3", "wav"]


def test_text2audio_through_cometapi(comet_env, sim, tmp_path):
    code, out, err = run(
        "text2audio",
        "--prompt",
        "a door creaks",
        "--duration",
        "3",
        "--output-dir",
        str(tmp_path),
        "--json",
        *FAST,
    )
    assert code == 0, err
    assert len(checked(json.loads(out)["files"])) == 2


def test_video2audio_on_a_kling_video(kling_env, sim, tmp_path):
    code, out, err = run(
        "text2video", "--prompt", "waves", "--output-dir", str(tmp_path), "--json", *FAST
    )
    assert code == 0, err
    video_id = json.loads(out)["files"][0]["video_id"]
    code, out, err = run(
        "video2audio",
        "--video-id",
        video_id,
        "--sound-effect-prompt",
        "waves breaking",
        "--bgm-prompt",
        "calm piano",
        "--asmr",
        "--output-dir",
        str(tmp_path),
        "--json",
        *FAST,
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["endpoint"] == "video-to-audio"
    # Kling answers the video with its new sound, and the audio track alone.
    assert [file["kind"] for file in summary["files"]] == ["video", "mp3", "wav"]
    video, mp3, wav = checked(summary["files"])
    assert video[4:8] == b"ftyp" and identify_audio(mp3)[0] == "MP3" and wav[:4] == b"RIFF"
    sent = [entry for entry in sim.requests() if entry["path"] == "/v1/audio/video-to-audio"]
    assert sent[-1]["body"]["asmr_mode"] is True


def test_video2audio_is_refused_on_cometapi_before_sending(comet_env, sim, tmp_path):
    before = len(sim.requests())
    code, _, err = run(
        "video2audio", "--video-url", "https://x.example/clip.mp4", "--output-dir", str(tmp_path)
    )
    assert code == 2
    assert "provider" in err and "kling" in err
    assert len(sim.requests()) == before


def test_tts_then_avatar_from_the_command_line(kling_env, sim, tmp_path):
    code, out, err = run(
        "tts",
        "--text",
        "Hello from the simulator.",
        "--voice-id",
        "oversea_male1",
        "--voice-language",
        "en",
        "--output-dir",
        str(tmp_path),
    )
    assert code == 0, err
    audio_id = out.rsplit("audio id: ", 1)[1].strip()
    assert audio_id and audio_id != "None"
    [saved] = list(tmp_path.glob("tts-*.mp3"))
    assert identify_audio(saved.read_bytes())[0] == "MP3"

    face = tmp_path / "face.png"
    face.write_bytes(make_png(600, 800, seed=3))
    code, out, err = run(
        "avatar",
        "--image",
        str(face),
        "--audio-id",
        audio_id,
        "--prompt",
        "nods, smiling",
        "--output-dir",
        str(tmp_path),
        "--json",
        *FAST,
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["endpoint"] == "avatar" and summary["files"][0]["kind"] == "video"
    assert checked(summary["files"])[0][4:8] == b"ftyp"


def test_tts_twice_is_paid_once(sim, tmp_path):
    credentials = official(sim)
    request = {"text": "Paid once.", "voice_id": "oversea_female1", "voice_language": "en"}
    first = generate_audio(request, endpoint="tts", credentials=credentials, output=tmp_path)
    calls = tts_calls(sim)
    second = generate_audio(request, endpoint="tts", credentials=credentials, output=tmp_path)
    assert tts_calls(sim) == calls >= 1
    assert second.reused and not first.reused
    assert second.audio_id == first.audio_id and second.files[0].sha256 == first.files[0].sha256


def test_avatar_with_a_local_wav_through_generate_video(sim, tmp_path):
    speech = tmp_path / "line.wav"
    speech.write_bytes(make_wav(6.0, seed=4))
    face = tmp_path / "face.png"
    face.write_bytes(make_png(600, 800, seed=5))
    result = generate_video(
        {"image": str(face), "sound_file": str(speech), "mode": "pro"},
        endpoint="avatar",
        credentials=official(sim),
        output=tmp_path,
        poll_interval_seconds=0.05,
        runtime=sim.runtime(),
    )
    [video] = result.files
    assert video.kind == "video" and float(video.duration) == pytest.approx(6.0, abs=0.1)


def test_generate_audio_refuses_a_video_endpoint(sim, tmp_path):
    with pytest.raises(KlingValidationError, match="text-to-audio"):
        generate_audio({"prompt": "x"}, endpoint="text2video", credentials=official(sim))


def test_text_to_speech_task_refuses_cometapi_before_sending(sim):
    before = len(sim.requests())
    comet = KlingCredentials(base_url=sim.base_url, provider=Provider.COMETAPI, api_key=API_KEY)
    with pytest.raises(KlingValidationError, match="provider"):
        text_to_speech.fn(comet, "Hi", "oversea_male1")
    assert len(sim.requests()) == before


def test_an_audio_track_is_saved_as_mp3_then_wav_whatever_the_server_calls_them(tmp_path):
    served = {"/a.mp3": make_mp3(3.0), "/a.wav": make_wav(3.0)}
    fetched = []

    def cdn(request: httpx.Request) -> httpx.Response:
        fetched.append(request.url.path)
        # A server that calls both files MP3 must not make them share a name.
        body = served[request.url.path]
        return httpx.Response(200, content=body, headers={"Content-Type": "audio/mpeg"})

    task = KlingTask.model_validate(
        {
            "task_id": "77",
            "task_status": "succeed",
            "task_result": {
                "audios": [
                    {
                        "id": "au-1",
                        "url_mp3": "https://cdn.test/a.mp3",
                        "url_wav": "https://cdn.test/a.wav",
                        "duration_mp3": "3.0",
                        "duration_wav": "3.0",
                    }
                ]
            },
        }
    )
    reference = TaskReference(task_id="77", endpoint="text-to-audio", provider="kling")
    with httpx.Client(transport=httpx.MockTransport(cdn)) as http:
        files = save_task_results(task, reference, tmp_path, http=http)
        again = save_task_results(task, reference, tmp_path, http=http)
    assert [Path(file.path).name for file in files] == [
        "text-to-audio-77-0.mp3",
        "text-to-audio-77-0.wav",
    ]
    assert [(file.kind, file.audio_id, file.duration) for file in files] == [
        ("mp3", "au-1", "3.0"),
        ("wav", "au-1", "3.0"),
    ]
    for file, body in zip(files, served.values(), strict=True):
        assert file.sha256 == hashlib.sha256(body).hexdigest()
    assert fetched == ["/a.mp3", "/a.wav"]  # the rerun downloaded nothing
    assert [file.sha256 for file in again] == [file.sha256 for file in files]
    manifest = json.loads((tmp_path / "text-to-audio-77.json").read_text())
    assert [entry["audio_id"] for entry in manifest["files"]] == ["au-1", "au-1"]


def test_speech_answers_one_file_counted_as_mp3():
    task = KlingTask.model_validate(
        {
            "task_id": "9",
            "task_status": "succeed",
            "task_result": {"audios": [{"id": 12, "url": "https://x/s.mp3", "duration": 2.5}]},
        }
    )
    [audio] = task.audios
    assert (audio.id, audio.duration, audio.links) == ("12", "2.5", [("mp3", "https://x/s.mp3")])


def test_prices_of_the_audio_endpoints_and_the_avatar():
    speech = base64.b64encode(make_wav(6.0)).decode()
    # Kling's pages of 2026-09-20: avatar 0.4 units a second (std), 0.8 (pro).
    assert estimate_units("avatar", {"sound_file": speech, "mode": "pro"}) == pytest.approx(4.8)
    assert estimate_units("avatar", {"sound_file": speech}) == pytest.approx(2.4)
    # A speech whose length is unknown counts as the longest the avatar takes, 300 s.
    assert estimate_units("avatar", {"audio_id": "a-1"}) == pytest.approx(120.0)
    assert estimate_units("avatar", {"sound_file": "https://x/a.mp3"}) == pytest.approx(120.0)
    assert estimate_units("text-to-audio", {"prompt": "rain", "duration": 5}) == 0.25
    assert estimate_units("video-to-audio", {"video_id": "1"}) == 0.25
    assert estimate_units("tts", {"text": "hi"}) == 0.05


def test_the_tasks_in_a_flow_of_your_own(sim):
    credentials = official(sim)

    @flow
    def narrated() -> tuple:
        speech = text_to_speech(credentials, "Good evening.", "oversea_male1", voice_language="en")
        again = text_to_speech(credentials, "Good evening.", "oversea_male1", voice_language="en")
        avatar = create_avatar(credentials, IMAGE, audio_id=speech.audios[0].id, mode="std")
        sound = text_to_audio(credentials, "applause", 3.5)
        return speech, again, avatar, sound

    calls = tts_calls(sim)
    speech, again, avatar, sound = narrated()
    assert tts_calls(sim) == calls + 1  # the second call was the cached answer
    assert again.audios[0].id == speech.audios[0].id
    assert (avatar.endpoint, sound.endpoint) == ("avatar", "text-to-audio")
    sent = [entry for entry in sim.requests() if entry["path"] == "/v1/videos/avatar/image2video"]
    assert sent[-1]["body"]["audio_id"] == speech.audios[0].id


@pytest.mark.parametrize(
    ("text", "says"),
    [("a forbidden line", "risk control"), ("a refused line", "1301")],
)
def test_a_speech_kling_fails_or_refuses_ends_in_one_line_exit_1(kling_env, text, says, tmp_path):
    code, out, err = run("tts", "--text", text, "--voice-id", "v1", "--output-dir", str(tmp_path))
    assert code == 1 and out == ""
    assert says in err and err.count("\n") == 1 and "Traceback" not in err
    assert not list(tmp_path.glob("*.mp3"))


def test_an_audio_id_names_no_video(sim, tmp_path):
    credentials = official(sim)
    sound = generate_audio(
        {"prompt": "a bell", "duration": 3},
        credentials=credentials,
        output=tmp_path,
        poll_interval_seconds=0.05,
        runtime=sim.runtime(),
    )
    before = len(sim.requests())
    with pytest.raises(KlingError, match="does not exist"):
        generate_audio(
            {"video_id": sound.audio_id},
            endpoint="video-to-audio",
            credentials=credentials,
            output=tmp_path,
            runtime=sim.runtime(),
        )
    assert len(sim.requests()) > before  # Kling (the simulator) refused it, not the client


def test_a_batch_mixes_audio_and_avatar_items(sim, tmp_path):
    from prefect_kling.flows import batch_generate

    report = batch_generate(
        [
            {"endpoint": "text-to-audio", "prompt": "birdsong", "duration": 4},
            {"endpoint": "avatar", "image": IMAGE, "audio_id": "a-3", "name": "presenter"},
        ],
        credentials=official(sim),
        output=tmp_path,
        poll_interval_seconds=0.05,
        runtime=sim.runtime(),
    )
    assert [outcome.status for outcome in report.outcomes] == ["succeeded", "succeeded"]
    kinds = [[file.kind for file in outcome.files] for outcome in report.outcomes]
    assert kinds == [["mp3", "wav"], ["video"]]
