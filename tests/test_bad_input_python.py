"""Bad input from Python: a typed error naming the field, the rule told, nothing sent.

The same promise as `test_bad_input` (the command line), through the Python API: the
Prefect tasks, the ready-made flows, the client and the checks they share. Every case
must raise a typed error (`KlingValidationError`, its `KlingImageError`, or
`KlingBudgetExceeded` for a budget) whose message names the field and says what is
allowed, with no request reaching the simulator.

Cases through a task or a flow run inside Prefect, which logs a failed run as it does
any; the cases through the client and the checks start no run and print nothing.
"""

from __future__ import annotations

import base64
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from prefect_kling import tasks
from prefect_kling.capabilities import UnknownModelWarning, validate_request
from prefect_kling.credentials import KlingCredentials
from prefect_kling.exceptions import (
    KlingAPIError,
    KlingBudgetExceeded,
    KlingImageError,
    KlingValidationError,
)
from prefect_kling.flows import (
    batch_generate,
    check_request,
    extend_video,
    generate_image,
    generate_video,
)
from prefect_kling.providers import Provider
from prefect_kling.simulator import KlingSimulator
from tests.bad_inputs import MB, make_media, make_wav, watching
from tests.conftest import canary_simulator

URL = "https://img.example.com/a.png"
URL2 = "https://img.example.com/b.png"
ZWSP = "\u200b"
ALLOW = "strict=False in Python, --allow-unknown-model on the command line"
NOT_A_NUMBER = "True is not allowed; allowed: a number, not true or false"
NOT_AUDIO = "is not audio; allowed: MP3, WAV, M4A or AAC audio"
VIDEO_ID = "allowed: letters, digits, '_' and '-' (not first)"
NO_HOST = "has no host; allowed: an http(s) URL with a host"
FOLDER = "allowed: a folder that exists or can be made"
TRACK = [{"x": 1, "y": 1}, {"x": 200, "y": 40}]


@dataclass
class Context:
    """What a case calls with: credentials for each provider, the media, an output folder."""

    sim: KlingSimulator
    media: dict[str, Path]
    out: Path

    @property
    def kling(self) -> KlingCredentials:
        return self.sim.credentials("kling")

    @property
    def comet(self) -> KlingCredentials:
        return self.sim.credentials("cometapi")

    def path(self, name: str) -> str:
        return str(self.media[name])

    def data(self, name: str) -> bytes:
        return self.media[name].read_bytes()

    def create(self, endpoint: str, request: dict[str, Any], provider: str = "kling") -> Any:
        """Through the client, as a program without Prefect would."""
        with self.sim.credentials(provider).get_client() as client:
            return client.create(endpoint, request)


Call = Callable[[Context], Any]


def py(name: str, call: Call, *, field: str, says: tuple[str, ...] = ()) -> Any:
    """One case: the call, the field its error must name, what the message must say."""
    return pytest.param(call, field, says, id=name)


def speak(**changes: Any) -> dict[str, Any]:
    """A legacy lip-sync of a text, changed."""
    request = {"mode": "text2video", "video_id": "859402", "text": "Hi.", "voice_id": "v1"}
    return {**request, **changes}


def hear(audio: Any, **changes: Any) -> dict[str, Any]:
    """A legacy lip-sync of an audio file, changed."""
    return {"mode": "audio2video", "video_id": "859402", "audio_file": audio, **changes}


def face(sound: Any) -> dict[str, Any]:
    """An advanced lip-sync of a video by its id, with one face's audio."""
    return {"video_id": "859402", "face_choose": [{"sound_file": sound}]}


CASES = [
    # --- Pydantic must not turn True into 1 or "yes" into True. --------------------------------
    py(
        "t2v-cfg-scale-true",
        lambda c: tasks.text_to_video(c.kling, "fox", cfg_scale=True),
        field="cfg_scale",
        says=(NOT_A_NUMBER,),
    ),
    py(
        "t2v-cfg-scale-false",
        lambda c: tasks.text_to_video(c.kling, "fox", cfg_scale=False),
        field="cfg_scale",
        says=("False is not allowed; allowed: a number",),
    ),
    py(
        "i2v-cfg-scale-true",
        lambda c: tasks.image_to_video(c.kling, URL, cfg_scale=True),
        field="cfg_scale",
        says=(NOT_A_NUMBER,),
    ),
    py(
        "extend-cfg-scale-true",
        lambda c: tasks.extend_video(c.kling, "859402", cfg_scale=True),
        field="cfg_scale",
        says=(NOT_A_NUMBER,),
    ),
    py(
        "image-n-true",
        lambda c: tasks.generate_image(c.kling, "fox", n=True),
        field="n",
        says=(NOT_A_NUMBER,),
    ),
    py(
        "image-fidelity-true",
        lambda c: tasks.generate_image(c.comet, "fox", image=URL, image_fidelity=True),
        field="image_fidelity",
        says=(NOT_A_NUMBER,),
    ),
    py(
        "expand-ratio-true",
        lambda c: tasks.expand_image(c.kling, URL, up_expansion_ratio=True),
        field="up_expansion_ratio",
        says=(NOT_A_NUMBER,),
    ),
    py(
        "voice-speed-true",
        lambda c: tasks.lip_sync(c.kling, **speak(voice_speed=True)),
        field="input.voice_speed",
        says=(NOT_A_NUMBER,),
    ),
    py(
        "camera-axis-true",
        lambda c: tasks.text_to_video(
            c.kling, "fox", camera_control={"type": "simple", "config": {"zoom": True}}
        ),
        field="camera_control.config.zoom",
        says=(NOT_A_NUMBER,),
    ),
    py(
        "trajectory-point-true",
        lambda c: tasks.image_to_video(
            c.kling,
            URL,
            dynamic_masks=[{"mask": URL, "trajectories": [{"x": True, "y": 1}, {"x": 2, "y": 3}]}],
        ),
        field="dynamic_masks.0.trajectories.0.x",
        says=(NOT_A_NUMBER,),
    ),
    py(
        "sound-end-time-true",
        lambda c: tasks.lip_sync(
            c.kling,
            advanced=True,
            session_id="s1",
            face_choose=[{"face_id": "0", "audio_id": "a1", "sound_end_time": True}],
        ),
        field="face_choose.0.sound_end_time",
        says=(NOT_A_NUMBER,),
    ),
    py(
        "watermark-enabled-yes",
        lambda c: tasks.text_to_video(c.kling, "fox", watermark_info={"enabled": "yes"}),
        field="watermark_info.enabled",
        says=("'yes' is not allowed; allowed: true or false",),
    ),
    py(
        "watermark-enabled-one",
        lambda c: tasks.image_to_video(c.kling, URL, watermark_info={"enabled": 1}),
        field="watermark_info.enabled",
        says=("1 is not allowed; allowed: true or false",),
    ),
    py(
        "watermark-enabled-text-false",
        lambda c: c.create("text2video", {"prompt": "fox", "watermark_info": {"enabled": "false"}}),
        field="watermark_info.enabled",
        says=("allowed: true or false",),
    ),
    py(
        "cfg-scale-nan",
        lambda c: c.create("text2video", {"prompt": "fox", "cfg_scale": float("nan")}),
        field="cfg_scale",
        says=("nan is not allowed; allowed: a number from 0 to 1",),
    ),
    py(
        "volume-inf",
        lambda c: tasks.lip_sync(
            c.kling,
            advanced=True,
            session_id="s1",
            face_choose=[
                {
                    "face_id": "0",
                    "audio_id": "a1",
                    "sound_end_time": 3000,
                    "sound_volume": float("inf"),
                }
            ],
        ),
        field="face_choose.0.sound_volume",
        says=("allowed: a number from 0 to 2",),
    ),
    # --- Motion-brush masks must have the image's aspect ratio, and one resolution. ------------
    py(
        "static-mask-aspect",
        lambda c: tasks.image_to_video(
            c.kling, c.path("good.png"), static_mask=c.path("square.png")
        ),
        field="static_mask",
        says=(
            "600x600 px (aspect ratio 1.00); allowed: the aspect ratio of image, 800x600 px (1.33)",
        ),
    ),
    py(
        "dynamic-mask-aspect",
        lambda c: tasks.image_to_video(
            c.kling,
            c.data("good.png"),
            dynamic_masks=[{"mask": c.data("square.png"), "trajectories": TRACK}],
        ),
        field="dynamic_masks.0.mask",
        says=("allowed: the aspect ratio of image",),
    ),
    py(
        "masks-resolution",
        lambda c: c.create(
            "image2video",
            {
                "image": c.path("good.png"),
                "static_mask": c.path("good.png"),
                "dynamic_masks": [{"mask": c.path("large.png"), "trajectories": TRACK}],
            },
        ),
        field="dynamic_masks.0.mask",
        says=("1600x1200 px; allowed: the resolution of static_mask, 800x600 px",),
    ),
    # --- Images. ---------------------------------------------------------------------------------
    py(
        "image-bomb-bytes",
        lambda c: tasks.image_to_video(c.kling, c.data("bomb.png")),
        field="image",
        says=("too many to decode safely",),
    ),
    py(
        "image-truncated-jpeg",
        lambda c: tasks.expand_image(c.kling, c.media["truncated.jpg"], left_expansion_ratio=0.5),
        field="image",
        says=("damaged JPEG image", "allowed: a complete JPEG or PNG file"),
    ),
    py(
        "image-truncated-png-base64",
        lambda c: tasks.virtual_try_on(c.comet, base64.b64encode(c.data("truncated.png")).decode()),
        field="human_image",
        says=("base64 data is a damaged PNG image",),
    ),
    py(
        "image-garbage-jpeg",
        lambda c: c.create("image-generation", {"prompt": "fox", "image": c.data("garbage.jpg")}),
        field="image",
        says=("bytes is a damaged image",),
    ),
    py(
        "image-no-host",
        lambda c: tasks.multi_image_to_video(c.kling, ["http://"], "two cats"),
        field="image_list.0.image",
        says=("'http://' " + NO_HOST,),
    ),
    py(
        "image-effect-no-host",
        lambda c: tasks.apply_video_effect(c.kling, "hug_pro", images=[URL, "https://"]),
        field="input.images.1",
        says=(NO_HOST,),
    ),
    # --- Prompts. --------------------------------------------------------------------------------
    py(
        "prompt-zero-width",
        lambda c: tasks.text_to_video(c.kling, ZWSP * 4),
        field="prompt",
        says=("has no visible character; allowed: words saying what to make",),
    ),
    py(
        "prompt-nul",
        lambda c: tasks.generate_image(c.kling, "a red\x00fox"),
        field="prompt",
        says=("contains a NUL character; allowed: text without NUL",),
    ),
    py(
        "prompt-nul-multi-image2image",
        lambda c: tasks.multi_image_to_image(c.kling, [URL], prompt="\x00"),
        field="prompt",
        says=("contains a NUL character",),
    ),
    py(
        "negative-prompt-nul",
        lambda c: c.create("text2video", {"prompt": "fox", "negative_prompt": "blur\x00"}),
        field="negative_prompt",
        says=("contains a NUL character",),
    ),
    # --- Ids. ------------------------------------------------------------------------------------
    py(
        "extend-id-minus-5",
        lambda c: tasks.extend_video(c.kling, -5),
        field="video_id",
        says=("'-5' is not a video id", VIDEO_ID),
    ),
    py(
        "extend-id-dot-dot",
        lambda c: tasks.extend_video(c.kling, "1/../2"),
        field="video_id",
        says=(VIDEO_ID,),
    ),
    py(
        "extend-id-empty",
        lambda c: tasks.extend_video(c.kling, ""),
        field="video_id",
        says=("'' is blank",),
    ),
    py(
        "lip-sync-id-blank",
        lambda c: tasks.lip_sync(c.kling, **speak(video_id="  ")),
        field="input.video_id",
        says=("is blank",),
    ),
    py(
        "lip-sync-id-minus",
        lambda c: tasks.lip_sync(c.comet, **speak(video_id=-5)),
        field="input.video_id",
        says=(VIDEO_ID,),
    ),
    py(
        "advanced-id-dot-dot",
        lambda c: tasks.lip_sync(
            c.kling, advanced=True, **{**face("https://a.example.com/l.mp3"), "video_id": "../x"}
        ),
        field="video_id",
        says=(VIDEO_ID,),
    ),
    # --- Audio. ----------------------------------------------------------------------------------
    py(
        "audio-etc-passwd",
        lambda c: tasks.lip_sync(c.kling, **hear("/etc/passwd")),
        field="input.audio_file",
        says=("/etc/passwd " + NOT_AUDIO,),
    ),
    py(
        "audio-etc-passwd-path",
        lambda c: tasks.lip_sync(c.kling, **hear(Path("/etc/passwd"))),
        field="input.audio_file",
        says=(NOT_AUDIO,),
    ),
    py(
        "audio-text-bytes",
        lambda c: tasks.lip_sync(c.kling, **hear(b"some words, no sound")),
        field="input.audio_file",
        says=("bytes " + NOT_AUDIO,),
    ),
    py(
        "audio-png",
        lambda c: tasks.lip_sync(c.comet, **hear(c.media["picture.mp3"])),
        field="input.audio_file",
        says=(NOT_AUDIO,),
    ),
    py(
        "audio-12-mb-bytes",
        lambda c: tasks.lip_sync(c.kling, **hear(b"\xff\xfb\x90\x00" + bytes(12 * MB))),
        field="input.audio_file",
        says=("bytes is 12.0 MB; allowed: at most 5 MB",),
    ),
    py(
        "audio-empty-bytes",
        lambda c: tasks.lip_sync(c.kling, **hear(b"")),
        field="input.audio_file",
        says=("bytes is empty",),
    ),
    py(
        "audio-base64-text",
        lambda c: tasks.lip_sync(
            c.kling, **hear(base64.b64encode(b"plain text, no sound").decode())
        ),
        field="input.audio_file",
        says=("base64 data " + NOT_AUDIO,),
    ),
    py(
        "audio-too-short",
        lambda c: c.create("lip-sync", {"input": hear(make_wav(1.5))}),
        field="input.audio_file",
        says=("WAV audio of 1.5 s; allowed: 2 to 60 seconds",),
    ),
    py(
        "advanced-sound-etc-passwd",
        lambda c: tasks.lip_sync(c.kling, advanced=True, **face("/etc/passwd")),
        field="face_choose.0.sound_file",
        says=(NOT_AUDIO,),
    ),
    py(
        "advanced-sound-file-video",
        lambda c: check_request("advanced-lip-sync", face(c.path("clip.m4a")), c.kling),
        field="face_choose.0.sound_file",
        says=(NOT_AUDIO,),
    ),
    # --- Models and effect scenes: unknown ones are refused by default. ------------------------
    py(
        "client-model-v9",
        lambda c: c.create("text2video", {"prompt": "fox", "model_name": "kling-v9"}),
        field="model_name",
        says=("allowed: kling-v1, kling-v1-6", ALLOW),
    ),
    py(
        "task-multi-image2video-v1",
        lambda c: tasks.multi_image_to_video(
            c.kling, [URL, URL2], "two cats", model_name="kling-v1"
        ),
        field="model_name",
        says=("allowed: kling-v1-6 (", ALLOW),
    ),
    py(
        "check-request-try-on-v9",
        lambda c: check_request(
            "virtual-try-on",
            {"human_image": URL, "model_name": "kolors-virtual-try-on-v9"},
            c.comet,
        ),
        field="model_name",
        says=("allowed: kolors-virtual-try-on-v1", ALLOW),
    ),
    py(
        "validate-request-image-v4",
        lambda c: validate_request(
            "image-generation", Provider.KLING, {"prompt": "fox", "model_name": "kling-v4"}
        ),
        field="model_name",
        says=(ALLOW,),
    ),
    py(
        "effect-unknown-scene",
        lambda c: tasks.apply_video_effect(c.kling, "nosuch", image=URL),
        field="effect_scene",
        says=("'nosuch' is not a known effect scene", ALLOW),
    ),
    py(
        "effect-duration",
        lambda c: tasks.apply_video_effect(c.kling, "color_mixing", image=URL, duration=10),
        field="duration",
        says=("is not a field of Kling's effects page",),
    ),
    py(
        "effect-withdrawn",
        lambda c: tasks.apply_video_effect(c.comet, "heart_gesture", images=[URL, URL2]),
        field="effect_scene",
        says=("its replacement 'heart_gesture_pro'",),
    ),
    py(
        "effect-error-shows-the-path",
        lambda c: tasks.apply_video_effect(c.kling, "hug_pro", image=c.path("good.png")),
        field="input.image",
        says=("good.png' is not allowed with dual-image scene 'hug_pro'",),
    ),
    # --- Flows: checked before the create. -------------------------------------------------------
    py(
        "flow-model-v9",
        lambda c: generate_video(
            {"prompt": "fox", "model_name": "kling-v9"}, credentials=c.kling, output=c.out
        ),
        field="model_name",
        says=(ALLOW,),
    ),
    py(
        "flow-prompt-nul",
        lambda c: generate_image(
            {"prompt": "a\x00b"}, endpoint="image-generation", credentials=c.kling, output=c.out
        ),
        field="prompt",
        says=("contains a NUL character",),
    ),
    py(
        "flow-output-is-a-file",
        lambda c: generate_video({"prompt": "fox"}, credentials=c.kling, output=c.media["a-file"]),
        field="output",
        says=("is a file", FOLDER),
    ),
    py(
        "flow-output-below-a-file",
        lambda c: generate_image(
            {"prompt": "fox"},
            endpoint="image-generation",
            credentials=c.kling,
            output=c.media["a-file"] / "images",
        ),
        field="output",
        says=("lies below a file", FOLDER),
    ),
    py(
        "flow-extend-output",
        lambda c: extend_video("859402", credentials=c.kling, output=c.path("a-file")),
        field="output",
        says=(FOLDER,),
    ),
    py(
        "flow-batch-output",
        lambda c: batch_generate([{"prompt": "fox"}], credentials=c.kling, output=c.path("a-file")),
        field="output",
        says=(FOLDER,),
    ),
    py(
        "flow-max-units",
        lambda c: generate_video(
            {"prompt": "fox"}, credentials=c.kling, output=c.out, max_units=0.1
        ),
        field="max_units",
        says=("budget of 0.1 units", "allowed: at least 3 units"),
    ),
    py(
        "flow-extend-max-units",
        lambda c: extend_video("859402", times=3, credentials=c.kling, output=c.out, max_units=2),
        field="max_units",
        says=("3 x 4 estimated units", "allowed: at least 12 units"),
    ),
    py(
        "flow-aspect-ratio",
        lambda c: generate_video(
            {"prompt": "fox", "aspect_ratio": "21:9"}, credentials=c.kling, output=c.out
        ),
        field="aspect_ratio",
        says=("allowed: '16:9', '9:16', '1:1' with provider kling",),
    ),
]


@pytest.fixture(scope="module")
def sim():
    with canary_simulator(seed=15) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("bad-media"))


def test_the_table_is_large_and_its_names_unique():
    names = [case.id for case in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 50


@pytest.mark.parametrize(("call", "field", "says"), CASES)
def test_bad_input_raises_a_typed_error_naming_the_field_with_nothing_sent(
    call, field, says, sim, media, tmp_path
):
    context = Context(sim, media, tmp_path / "out")
    with (
        watching(sim) as watch,
        pytest.raises((KlingValidationError, KlingBudgetExceeded)) as caught,
    ):
        call(context)
    error = caught.value
    said = str(error)
    if isinstance(error, KlingValidationError):
        assert error.fields == [field], said
        if isinstance(error, KlingImageError):
            assert "image" in field, said
    else:
        assert said.startswith(f"{field}: "), said
    assert "allowed" in said, said
    for fragment in says:
        assert fragment in said, said
    assert "Traceback" not in said
    watch.assert_nothing_sent()
    assert not context.out.exists()


def test_a_brand_new_model_is_sent_on_purpose_with_strict_false(sim, tmp_path):
    """`strict=False` gets an unknown model through the flow's checks and its create step."""
    before = sim.stats().create_calls
    request = {"prompt": "fox in the year 2030", "model_name": "kling-v9"}
    with pytest.warns(UnknownModelWarning), pytest.raises(KlingAPIError) as caught:
        generate_video(request, credentials=sim.credentials(), output=tmp_path, strict=False)
    assert caught.value.code == 1203  # the simulator, like Kling, does not know it
    assert sim.stats().create_calls == before + 1


def test_no_unknown_model_warning_for_known_names():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_request(
            "effects", Provider.KLING, {"effect_scene": "hug_pro", "images": [URL, URL2]}
        )
