import base64
import doctest
import io
import warnings
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image
from pydantic import BaseModel, ValidationError

import prefect_kling.models as models
from prefect_kling import capabilities, endpoints, media
from prefect_kling.audio import make_wav
from prefect_kling.capabilities import validate_request
from prefect_kling.exceptions import KlingImageError, KlingValidationError
from prefect_kling.media import make_png
from prefect_kling.models import (
    AccountCosts,
    AccountCostsQuery,
    AdvancedLipSyncRequest,
    CameraControl,
    FaceData,
    IdentifyFaceRequest,
    IdentifyFaceResult,
    ImageExpandRequest,
    ImageGenerationRequest,
    ImageToVideoRequest,
    LipSyncRequest,
    MultiImageToImageRequest,
    MultiImageToVideoRequest,
    ResourcePack,
    TextToVideoRequest,
    VideoEffectRequest,
    VideoExtendRequest,
    VirtualTryOnRequest,
    account,
    common,
    effects,
    images,
    lipsync,
    videos,
)
from prefect_kling.providers import Provider

PNG = make_png(640, 480)
PNG_B64 = base64.b64encode(PNG).decode()
URL = "https://example.com/frame.png"


def encoded(data: bytes) -> str:
    return base64.b64encode(data).decode()


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400)).save(buffer, format="GIF")
    return buffer.getvalue()


def points(count: int) -> list[dict[str, int]]:
    return [{"x": index, "y": index * 2} for index in range(count)]


CAMERA = {"type": "simple", "config": {"zoom": 5}}
MASK = {"mask": PNG, "trajectories": points(2)}


@pytest.mark.parametrize(
    ("endpoint", "data", "field", "expected"),
    [
        ("text2video", {}, "prompt", "missing; this field is required"),
        ("text2video", {"prompt": ""}, "prompt", "allowed: at least 1 character"),
        (
            "text2video",
            {"prompt": "a", "cfg_scale": 1.5},
            "cfg_scale",
            "1.5 is not allowed; allowed: at most 1",
        ),
        ("text2video", {"prompt": "a", "cfg_scale": -0.1}, "cfg_scale", "allowed: at least 0"),
        (
            "text2video",
            {"prompt": "a", "mode": "fast"},
            "mode",
            "'fast' is not allowed; allowed: 'std', 'pro'",
        ),
        (
            "text2video",
            {"prompt": "a", "aspect_ratio": "5:4"},
            "aspect_ratio",
            # The model allows CometAPI's ratios too; the refusal lists the provider's own.
            "'5:4' is not allowed; allowed: '16:9', '9:16', '1:1' with provider kling",
        ),
        (
            "text2video",
            {"prompt": "a", "duration": "7"},
            "duration",
            "'7' is not allowed with model_name 'kling-v1'; allowed: '5', '10'",
        ),
        (
            "text2video",
            {"prompt": "a", "duration": 7, "model_name": "kling-v2-6"},
            "duration",
            "'7' is not allowed with model_name 'kling-v2-6'; allowed: '5', '10'",
        ),
        (
            "text2video",
            {"prompt": "a", "duration": True},
            "duration",
            "True is not allowed; allowed: '3', '4', '5',",
        ),
        ("text2video", {"prompt": "a", "sound": "loud"}, "sound", "allowed: 'on', 'off'"),
        ("text2video", {"prompt": "a", "watermark_info": {}}, "watermark_info.enabled", "required"),
        (
            "text2video",
            {"prompt": "a", "modle_name": "kling-v1"},
            "modle_name",
            "unknown field; did you mean 'model_name'? "
            "allowed: prompt, negative_prompt, model_name",
        ),
        (
            "text2video",
            {"prompt": "a", "camera_control": {"type": "orbit"}},
            "camera_control.type",
            "'orbit' is not allowed; allowed: 'simple', 'down_back', 'forward_up', "
            "'right_turn_forward', 'left_turn_forward'",
        ),
        (
            "text2video",
            {"prompt": "a", "camera_control": {"type": "simple"}},
            "camera_control.config",
            "missing; allowed with type 'simple': "
            "exactly one non-zero of horizontal, vertical, pan, tilt, roll, zoom",
        ),
        (
            "text2video",
            {"prompt": "a", "camera_control": {"type": "simple", "config": {"pan": 2, "zoom": 1}}},
            "camera_control.config",
            "2 non-zero values (pan=2, zoom=1); allowed with type 'simple': exactly one non-zero",
        ),
        (
            "text2video",
            {"prompt": "a", "camera_control": {"type": "simple", "config": {"pan": 0}}},
            "camera_control.config",
            "0 non-zero values (none); allowed with type 'simple': exactly one non-zero",
        ),
        (
            "text2video",
            {"prompt": "a", "camera_control": {"type": "down_back", "config": {"pan": 1}}},
            "camera_control.config",
            "not allowed with type 'down_back'; allowed: config only with type 'simple'",
        ),
        (
            "text2video",
            {"prompt": "a", "camera_control": {"type": "simple", "config": {"zoom": 11}}},
            "camera_control.config.zoom",
            "11 is not allowed; allowed: at most 10",
        ),
        (
            "text2video",
            {"prompt": "a", "camera_control": {"type": "simple", "config": {"zom": 1}}},
            "camera_control.config.zom",
            "did you mean 'zoom'? allowed: horizontal, vertical, pan, tilt, roll, zoom",
        ),
        (
            "image2video",
            {"prompt": "a"},
            "image",
            "missing, and so is image_tail; allowed: image, image_tail or both",
        ),
        (
            "image2video",
            {"image": URL, "image_tail": URL, "camera_control": CAMERA},
            "image_tail",
            "cannot be combined with camera_control; "
            "allowed: one of {image_tail}, {static_mask, dynamic_masks}, {camera_control}",
        ),
        (
            "image2video",
            {"image": URL, "image_tail": URL, "dynamic_masks": [MASK]},
            "image_tail",
            "cannot be combined with dynamic_masks; allowed: one of",
        ),
        (
            "image2video",
            {"image": URL, "static_mask": PNG, "camera_control": CAMERA},
            "static_mask",
            "cannot be combined with camera_control",
        ),
        (
            "image2video",
            {"image": URL, "dynamic_masks": [MASK] * 7},
            "dynamic_masks",
            "7 items; allowed: at most 6",
        ),
        (
            "image2video",
            {"image": URL, "dynamic_masks": []},
            "dynamic_masks",
            "0 items; allowed: at least 1",
        ),
        (
            "image2video",
            {"image": URL, "dynamic_masks": [{"mask": PNG, "trajectories": points(1)}]},
            "dynamic_masks.0.trajectories",
            "1 item; allowed: at least 2",
        ),
        (
            "image2video",
            {"image": URL, "dynamic_masks": [{"mask": PNG, "trajectories": points(78)}]},
            "dynamic_masks.0.trajectories",
            "78 items; allowed: at most 77",
        ),
        (
            "image2video",
            {
                "image": URL,
                "dynamic_masks": [
                    {"mask": PNG, "trajectories": [{"x": 1.5, "y": 0}, {"x": 1, "y": 1}]}
                ],
            },
            "dynamic_masks.0.trajectories.0.x",
            "1.5 is not allowed; allowed: a whole number",
        ),
        (
            "multi-image2video",
            {"prompt": "a", "image_list": []},
            "image_list",
            "0 items; allowed: at least 1",
        ),
        (
            "multi-image2video",
            {"image_list": [{"image": URL}, {"image": URL}]},
            "prompt",
            "required",
        ),
        (
            "multi-image2video",
            {"prompt": "a", "image_list": [{"image": URL}] * 2, "aspect_ratio": "4:3"},
            "aspect_ratio",
            "allowed: '16:9', '9:16', '1:1'",
        ),
        (
            "multi-image2video",
            {"prompt": "a", "image_list": [{"image": URL}] * 2, "cfg_scale": 0.5},
            "cfg_scale",
            "unknown field",
        ),
        ("multi-image2image", {}, "subject_image_list", "required"),
        (
            "multi-image2image",
            {"subject_image_list": [{"subject_image": URL}] * 2, "n": 0},
            "n",
            "0 is not allowed; allowed: at least 1",
        ),
        (
            "multi-image2image",
            {"subject_image_list": [{"subject_image": URL}] * 2, "n": 10},
            "n",
            "10 is not allowed; allowed: at most 9",
        ),
        (
            "multi-image2image",
            {"subject_image_list": [{"subject_image": URL}] * 2, "aspect_ratio": "5:4"},
            "aspect_ratio",
            "allowed: '16:9', '9:16', '1:1', '4:3', '3:4', '3:2', '2:3', '21:9'",
        ),
        (
            "multi-image2image",
            {"subject_image_list": [{"subject_image": URL}] * 2, "scence_image": URL},
            "scence_image",
            "did you mean 'scene_image'?",
        ),
    ],
)
def test_each_model_rule_names_field_value_and_what_is_allowed(endpoint, data, field, expected):
    with pytest.raises(KlingValidationError) as caught:
        validate_request(endpoint, Provider.KLING, data)

    error = caught.value
    assert type(error) is KlingValidationError
    assert error.endpoint == endpoint
    assert error.fields == [field]
    assert expected in error.problems[0].message


@pytest.mark.parametrize(
    ("endpoint", "data", "field", "expected"),
    [
        ("image2video", {"image": gif()}, "image", "bytes is a GIF image; allowed: JPEG or PNG"),
        (
            "image2video",
            {"image": URL, "image_tail": make_png(200, 900)},
            "image_tail",
            "bytes is 200x900 px; allowed: both sides at least 300 px",
        ),
        (
            "image2video",
            {"image": URL, "static_mask": "mask.png"},
            "static_mask",
            "'mask.png' is not a URL, an existing file or Base64 image data",
        ),
        (
            "image2video",
            {"image": URL, "dynamic_masks": [{"mask": gif(), "trajectories": points(2)}]},
            "dynamic_masks.0.mask",
            "GIF image",
        ),
        (
            "multi-image2video",
            {"prompt": "a", "image_list": [{"image": URL}, {"image": make_png(1000, 300)}]},
            "image_list.1.image",
            "aspect ratio",
        ),
        (
            "multi-image2image",
            {"subject_image_list": [{"subject_image": gif()}] * 2},
            "subject_image_list.0.subject_image",
            "GIF",
        ),
        (
            "multi-image2image",
            {"subject_image_list": [{"subject_image": URL}] * 2, "scene_image": gif()},
            "scene_image",
            "GIF",
        ),
        (
            "multi-image2image",
            {"subject_image_list": [{"subject_image": URL}] * 2, "style_image": gif()},
            "style_image",
            "GIF",
        ),
    ],
)
def test_every_image_field_is_checked(endpoint, data, field, expected):
    with pytest.raises(KlingImageError) as caught:
        validate_request(endpoint, Provider.KLING, data)

    assert caught.value.fields[0] == field
    assert expected in caught.value.problems[0].message


def test_an_image_problem_among_others_is_a_plain_validation_error():
    with pytest.raises(KlingValidationError) as caught:
        validate_request("image2video", Provider.KLING, {"image": gif(), "mode": "fast"})
    assert type(caught.value) is KlingValidationError
    assert sorted(caught.value.fields) == ["image", "mode"]


def test_direct_construction_raises_pydantic_errors_naming_the_field():
    with pytest.raises(ValidationError) as caught:
        ImageToVideoRequest(image=URL, image_tail=URL, camera_control=CAMERA)
    assert "image_tail: cannot be combined with camera_control" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_models_are_frozen():
    request = TextToVideoRequest(prompt="a")
    with pytest.raises(ValidationError):
        request.prompt = "b"


def test_duration_given_as_int_is_sent_as_string():
    assert TextToVideoRequest(prompt="a", duration=10).duration == "10"
    assert TextToVideoRequest(prompt="a", duration=5).to_payload(Provider.KLING)["duration"] == "5"


def test_validated_model_holds_the_image_content_not_the_path(tmp_path):
    path = tmp_path / "start.png"
    path.write_bytes(PNG)
    request = ImageToVideoRequest(image=path, image_tail=str(path))
    path.unlink()

    assert request.image == request.image_tail == PNG_B64
    assert request.to_payload(Provider.KLING) == {"image": PNG_B64, "image_tail": PNG_B64}


def test_repr_abridges_base64_images():
    text = repr(ImageToVideoRequest(image=PNG))
    assert f"({len(PNG_B64)} characters)" in text
    assert PNG_B64 not in text


def test_camera_presets_take_no_config():
    assert CameraControl(type="left_turn_forward").config is None


FULL_TEXT2VIDEO = {
    "prompt": "A red fox runs through fresh snow.",
    "negative_prompt": "blur",
    "model_name": "kling-v1",
    "cfg_scale": 0.5,
    "mode": "std",
    "aspect_ratio": "1:1",
    "duration": 5,
    "camera_control": {"type": "simple", "config": {"pan": -4}},
    "callback_url": "https://hooks.example.com/kling",
    "external_task_id": "run-1-text",
    "watermark_info": {"enabled": True},
}
TEXT2VIDEO_PAYLOAD = {
    **FULL_TEXT2VIDEO,
    "cfg_scale": 0.5,
    "duration": "5",
    "camera_control": {"type": "simple", "config": {"pan": -4.0}},
}
FULL_IMAGE2VIDEO = {
    "image": PNG,
    "prompt": "The tiles ripple.",
    "negative_prompt": "text",
    "model_name": "kling-v1-6",
    "cfg_scale": 0.7,
    "mode": "pro",
    "duration": "5",
    "static_mask": URL,
    "dynamic_masks": [{"mask": PNG, "trajectories": points(3)}],
    "callback_url": "https://hooks.example.com/kling",
    "external_task_id": "run-1-image",
    "watermark_info": {"enabled": False},
}
IMAGE2VIDEO_PAYLOAD = {
    **FULL_IMAGE2VIDEO,
    "image": PNG_B64,
    "dynamic_masks": [{"mask": PNG_B64, "trajectories": points(3)}],
}
FULL_MULTI_IMAGE2VIDEO = {
    "image_list": [{"image": URL}, {"image": PNG}],
    "prompt": "The two cats meet.",
    "negative_prompt": "dogs",
    "model_name": "kling-v1-6",
    "mode": "std",
    "duration": "10",
    "aspect_ratio": "9:16",
    "callback_url": "https://hooks.example.com/kling",
    "external_task_id": "run-1-multi",
}
MULTI_IMAGE2VIDEO_PAYLOAD = {
    **FULL_MULTI_IMAGE2VIDEO,
    "image_list": [{"image": URL}, {"image": PNG_B64}],
}
FULL_MULTI_IMAGE2IMAGE = {
    "subject_image_list": [{"subject_image": PNG}, {"subject_image": URL}],
    "prompt": "Both cats on the beach.",
    "scene_image": URL,
    "style_image": PNG,
    # No model: Kling documents kling-v2-1 only, CometAPI kling-v2 only.
    "n": 2,
    "aspect_ratio": "21:9",
    "callback_url": "https://hooks.example.com/kling",
    "external_task_id": "run-1-compose",
}
MULTI_IMAGE2IMAGE_PAYLOAD = {
    **FULL_MULTI_IMAGE2IMAGE,
    "subject_image_list": [{"subject_image": PNG_B64}, {"subject_image": URL}],
    "style_image": PNG_B64,
}


HOOK = "https://hooks.example.com/kling"
AUDIO = make_wav(2.5)
AUDIO_B64 = encoded(AUDIO)
FULL_IMAGE_GENERATION = {
    "prompt": "The same cat as a watercolour.",
    "image": PNG,
    "image_reference": "subject",
    "image_fidelity": 0.6,
    "human_fidelity": 0.3,
    "resolution": "2k",
    "n": 3,
    "aspect_ratio": "21:9",
    "model_name": "kling-v1-5",
    "callback_url": HOOK,
    "external_task_id": "run-1-generate",
}
IMAGE_GENERATION_PAYLOAD = {**FULL_IMAGE_GENERATION, "image": PNG_B64}
TEXT_TO_IMAGE = {"prompt": "A lighthouse at dawn.", "negative_prompt": "people", "n": 1}
FULL_VIDEO_EXTEND = {
    "video_id": 859402,
    "prompt": "The fox looks back.",
    "negative_prompt": "blur",
    "cfg_scale": 0.4,
    "callback_url": HOOK,
    "external_task_id": "run-1-extend",
}
VIDEO_EXTEND_PAYLOAD = {**FULL_VIDEO_EXTEND, "video_id": "859402"}
TEXT_LIP_SYNC = {
    "mode": "text2video",
    "video_id": "859402",
    "text": "Hello there.",
    "voice_id": "oversea_male1",
    "voice_language": "en",
    "voice_speed": 1.2,
}
TEXT_LIP_SYNC_PAYLOAD = {"input": TEXT_LIP_SYNC, "callback_url": HOOK}
AUDIO_LIP_SYNC = {
    "mode": "audio2video",
    "video_url": "https://example.com/v.mp4",
    "audio_file": AUDIO,
}
AUDIO_LIP_SYNC_PAYLOAD = {
    "input": {
        "mode": "audio2video",
        "video_url": "https://example.com/v.mp4",
        "audio_type": "file",
        "audio_file": AUDIO_B64,
    }
}
FULL_ADVANCED_LIP_SYNC = {
    "session_id": "sess-1",
    "face_choose": [
        {
            "face_id": "0",
            "sound_file": AUDIO,
            "sound_start_time": 500,
            "sound_end_time": 4500,
            "sound_insert_time": 1000,
            "sound_volume": 1.5,
            "original_audio_volume": 0.2,
        }
    ],
    "callback_url": HOOK,
    "external_task_id": "run-1-lips",
}
ADVANCED_LIP_SYNC_PAYLOAD = {
    **FULL_ADVANCED_LIP_SYNC,
    "face_choose": [{**FULL_ADVANCED_LIP_SYNC["face_choose"][0], "sound_file": AUDIO_B64}],
}
ADVANCED_LIP_SYNC_COMETAPI_PAYLOAD = {
    **ADVANCED_LIP_SYNC_PAYLOAD,
    "face_choose": [
        {
            ("original_sound_volume" if key == "original_audio_volume" else key): value
            for key, value in ADVANCED_LIP_SYNC_PAYLOAD["face_choose"][0].items()
        }
    ],
}
TWO_PERSON_EFFECT = {
    "effect_scene": "hug_pro",
    "input": {"images": [URL, PNG]},
    "external_task_id": "run-1-hug",
}
# Exactly what Kling's effects page documents: no duration, model or mode.
TWO_PERSON_EFFECT_PAYLOAD = {**TWO_PERSON_EFFECT, "input": {"images": [URL, PNG_B64]}}
SINGLE_IMAGE_EFFECT = {"effect_scene": "color_mixing", "image": URL, "callback_url": HOOK}
SINGLE_IMAGE_EFFECT_PAYLOAD = {
    "effect_scene": "color_mixing",
    "input": {"image": URL},
    "callback_url": HOOK,
}
FULL_IMAGE_EXPAND = {
    "image": PNG,
    "up_expansion_ratio": 0.5,
    "left_expansion_ratio": 0.25,
    "right_expansion_ratio": 0.25,
    "prompt": "More of the beach.",
    "n": 2,
    "callback_url": HOOK,
    "external_task_id": "run-1-expand",
}
IMAGE_EXPAND_PAYLOAD = {
    **FULL_IMAGE_EXPAND,
    "image": PNG_B64,
    "up_expansion_ratio": 0.5,
    "down_expansion_ratio": 0.0,
}
FULL_TRY_ON = {
    "model_name": "kolors-virtual-try-on-v1-5",
    "human_image": PNG,
    "cloth_image": URL,
    "callback_url": HOOK,
    "external_task_id": "run-1-dress",
}
TRY_ON_PAYLOAD = {**FULL_TRY_ON, "human_image": PNG_B64}
NO_ROUTE = None


def renamed(payload: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {new if key == old else key: value for key, value in payload.items()}


@pytest.mark.parametrize(
    ("endpoint", "data", "kling", "cometapi"),
    [
        ("text2video", {"prompt": "Waves."}, {"prompt": "Waves."}, {"prompt": "Waves."}),
        ("text2video", FULL_TEXT2VIDEO, TEXT2VIDEO_PAYLOAD, TEXT2VIDEO_PAYLOAD),
        ("image2video", {"image_tail": URL}, {"image_tail": URL}, {"image_tail": URL}),
        ("image2video", FULL_IMAGE2VIDEO, IMAGE2VIDEO_PAYLOAD, IMAGE2VIDEO_PAYLOAD),
        (
            "multi-image2video",
            FULL_MULTI_IMAGE2VIDEO,
            MULTI_IMAGE2VIDEO_PAYLOAD,
            MULTI_IMAGE2VIDEO_PAYLOAD,
        ),
        (
            "multi-image2image",
            FULL_MULTI_IMAGE2IMAGE,
            MULTI_IMAGE2IMAGE_PAYLOAD,
            renamed(MULTI_IMAGE2IMAGE_PAYLOAD, "scene_image", "scence_image"),
        ),
        (
            "text2video",
            {"prompt": "Rain.", "model_name": "kling-v2-6", "sound": "on"},
            {"prompt": "Rain.", "model_name": "kling-v2-6", "sound": "on"},
            {"prompt": "Rain.", "model_name": "kling-v2-6", "sound": "on"},
        ),
        (
            "image2video",
            {"image": URL, "model_name": "kling-v3", "sound": "off", "duration": 10},
            {"image": URL, "model_name": "kling-v3", "sound": "off", "duration": "10"},
            {"image": URL, "model_name": "kling-v3", "sound": "off", "duration": "10"},
        ),
        (
            "image-generation",
            FULL_IMAGE_GENERATION,
            IMAGE_GENERATION_PAYLOAD,
            IMAGE_GENERATION_PAYLOAD,
        ),
        ("image-generation", TEXT_TO_IMAGE, TEXT_TO_IMAGE, TEXT_TO_IMAGE),
        (
            "video-extend",
            {**FULL_VIDEO_EXTEND, "task_id": 8672},
            VIDEO_EXTEND_PAYLOAD,  # Kling's API knows the parent from the video
            {**VIDEO_EXTEND_PAYLOAD, "task_id": "8672"},
        ),
        (
            "lip-sync",
            {**TEXT_LIP_SYNC, "callback_url": HOOK},
            TEXT_LIP_SYNC_PAYLOAD,
            TEXT_LIP_SYNC_PAYLOAD,
        ),
        ("lip-sync", TEXT_LIP_SYNC_PAYLOAD, TEXT_LIP_SYNC_PAYLOAD, TEXT_LIP_SYNC_PAYLOAD),
        ("lip-sync", AUDIO_LIP_SYNC, AUDIO_LIP_SYNC_PAYLOAD, AUDIO_LIP_SYNC_PAYLOAD),
        (
            "advanced-lip-sync",
            FULL_ADVANCED_LIP_SYNC,
            ADVANCED_LIP_SYNC_PAYLOAD,
            ADVANCED_LIP_SYNC_COMETAPI_PAYLOAD,
        ),
        ("effects", TWO_PERSON_EFFECT, TWO_PERSON_EFFECT_PAYLOAD, TWO_PERSON_EFFECT_PAYLOAD),
        (
            "effects",
            SINGLE_IMAGE_EFFECT,
            SINGLE_IMAGE_EFFECT_PAYLOAD,
            SINGLE_IMAGE_EFFECT_PAYLOAD,
        ),
        ("image-expand", FULL_IMAGE_EXPAND, IMAGE_EXPAND_PAYLOAD, NO_ROUTE),
        ("virtual-try-on", FULL_TRY_ON, TRY_ON_PAYLOAD, TRY_ON_PAYLOAD),
        (
            "virtual-try-on",
            {"human_image": URL},
            {"human_image": URL},
            {"human_image": URL},
        ),
    ],
)
def test_valid_requests_give_exactly_the_expected_payload(endpoint, data, kling, cometapi):
    for provider, expected in ((Provider.KLING, kling), (Provider.COMETAPI, cometapi)):
        if expected is NO_ROUTE:
            with pytest.raises(KlingValidationError) as caught:
                validate_request(endpoint, provider, data)
            assert caught.value.fields == ["provider"]
            assert f"'{provider}' has no {endpoint} route" in str(caught.value)
            assert str(caught.value).endswith("allowed: kling")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            request = validate_request(endpoint, provider, data)
        assert request.to_payload(provider) == expected
        # The payload, validated again, is the same request (what tasks and reruns rely on).
        assert validate_request(endpoint, provider, request) == request


def test_payload_spelling_follows_the_provider_not_the_model():
    request = MultiImageToImageRequest(
        subject_image_list=[{"subject_image": URL}], scene_image=URL, style_image=URL
    )
    assert request.to_payload(Provider.KLING)["scene_image"] == URL
    assert "scence_image" not in request.to_payload(Provider.KLING)
    assert request.to_payload(Provider.COMETAPI)["scence_image"] == URL
    assert "scene_image" not in request.to_payload(Provider.COMETAPI)


def test_camera_control_dumps_only_the_given_axis():
    request = TextToVideoRequest(
        prompt="a", camera_control={"type": "simple", "config": {"roll": 3}}
    )
    assert request.to_payload(Provider.KLING)["camera_control"] == {
        "type": "simple",
        "config": {"roll": 3.0},
    }


def _models(model: type[BaseModel]) -> set[type[BaseModel]]:
    found = {model}
    for info in model.model_fields.values():
        nested = common._nested_model(info.annotation)
        if nested is not None:
            found |= _models(nested)
    return found


ALL_MODELS = set().union(
    *map(
        _models,
        (
            TextToVideoRequest,
            ImageToVideoRequest,
            MultiImageToVideoRequest,
            MultiImageToImageRequest,
            ImageGenerationRequest,
            VideoExtendRequest,
            LipSyncRequest,
            IdentifyFaceRequest,
            AdvancedLipSyncRequest,
            VideoEffectRequest,
            ImageExpandRequest,
            VirtualTryOnRequest,
            AccountCostsQuery,
        ),
    )
)
LENIENT_MODELS = (IdentifyFaceResult, FaceData, AccountCosts, ResourcePack)


@pytest.mark.parametrize("model", sorted(ALL_MODELS, key=lambda model: model.__name__))
def test_every_field_has_a_description_ending_with_a_period(model):
    for name, info in model.model_fields.items():
        assert info.description, f"{model.__name__}.{name}"
        assert info.description.endswith("."), f"{model.__name__}.{name}"
    assert model.model_config["extra"] == "forbid"
    assert model.model_config["frozen"] is True


@pytest.mark.parametrize("model", LENIENT_MODELS, ids=lambda model: model.__name__)
def test_every_answer_field_is_documented_and_unknown_fields_are_kept(model):
    for name, info in model.model_fields.items():
        assert info.description and info.description.endswith("."), f"{model.__name__}.{name}"
    assert model.model_config["extra"] == "allow"


def test_models_package_exports_what_it_lists():
    assert sorted(models.__all__) == models.__all__
    for name in models.__all__:
        assert getattr(models, name) is not None


@pytest.mark.parametrize(
    "module", [media, common, videos, images, lipsync, effects, account, capabilities, endpoints]
)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


# --- Lip-sync: nesting under input, audio sources, identify-face. -----------------------


def test_lip_sync_flat_and_nested_fields_are_the_same_request():
    flat = LipSyncRequest(**TEXT_LIP_SYNC)
    nested = LipSyncRequest(input=TEXT_LIP_SYNC)
    assert flat == nested
    assert flat.to_payload(Provider.KLING) == {"input": TEXT_LIP_SYNC}
    assert flat.input.voice_speed == 1.2


def test_lip_sync_refuses_fields_given_both_flat_and_nested():
    with pytest.raises(KlingValidationError) as caught:
        validate_request("lip-sync", Provider.KLING, {"input": TEXT_LIP_SYNC, "text": "Hi."})
    assert caught.value.fields == ["text"]
    assert "both at the top level and inside input" in str(caught.value)


def test_lip_sync_unknown_field_inside_input_names_the_nested_fields():
    with pytest.raises(KlingValidationError) as caught:
        validate_request(
            "lip-sync", Provider.KLING, {"input": {**TEXT_LIP_SYNC, "voice_lang": "en"}}
        )
    assert caught.value.fields == ["input.voice_lang"]
    assert "did you mean 'voice_language'?" in str(caught.value)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (AUDIO, AUDIO_B64),
        (AUDIO_B64, AUDIO_B64),
        ("data:audio/mpeg;base64," + AUDIO_B64, AUDIO_B64),
        ("https://example.com/line.mp3", "https://example.com/line.mp3"),
    ],
    ids=["bytes", "base64", "data-url", "url"],
)
def test_audio_sources_become_url_or_raw_base64(source, expected):
    choice = {"face_id": "0", "sound_file": source, "sound_end_time": 2000}
    request = AdvancedLipSyncRequest(session_id="s", face_choose=[choice])
    assert request.face_choose[0].sound_file == expected


def test_audio_file_is_read_from_a_path_and_no_longer_needed(tmp_path):
    path = tmp_path / "line.mp3"
    path.write_bytes(AUDIO)
    from_text = LipSyncRequest(mode="audio2video", video_id="1", audio_file=str(path))
    request = LipSyncRequest(mode="audio2video", video_id="1", audio_file=path)
    path.unlink()
    assert request == from_text
    assert request.input.audio_file == AUDIO_B64
    assert request.input.audio_type == "file"


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        (
            {"mode": "audio2video", "video_id": "1", "audio_file": "not base64 at all!"},
            "input.audio_file",
            "'not base64 at all!' is not an existing file, a URL or Base64 audio; "
            "allowed: a path, bytes or Base64 of MP3, WAV, M4A or AAC audio",
        ),
        (
            {"mode": "audio2video", "video_id": "1", "audio_url": "ftp://host/a.mp3"},
            "input.audio_url",
            "'ftp://host/a.mp3' is not allowed; allowed: an http(s) URL",
        ),
        (
            {"mode": "audio2video", "video_id": "1", "audio_type": "url"},
            "input.audio_url",
            "missing with audio_type 'url'; allowed: the audio as an http(s) URL",
        ),
    ],
)
def test_audio_values_are_checked(data, field, expected):
    with pytest.raises(KlingValidationError) as caught:
        validate_request("lip-sync", Provider.KLING, data)
    assert caught.value.fields == [field]
    assert expected in str(caught.value)


def test_identify_face_request_and_result():
    assert IdentifyFaceRequest(video_url="https://example.com/v.mp4").to_payload(
        Provider.KLING
    ) == {"video_url": "https://example.com/v.mp4"}
    with pytest.raises(ValidationError, match="exactly one of video_id, video_url"):
        IdentifyFaceRequest()
    result = IdentifyFaceResult.model_validate(
        {
            "session_id": "sess-9",
            "final_unit_deduction": "0",
            "face_data": [
                {
                    "face_id": "0",
                    "face_image": "https://x/f0.png",
                    "start_time": 0,
                    "end_time": 4200,
                },
                {"face_id": "1", "start_time": 1200, "end_time": 5000, "new_field": True},
            ],
        }
    )
    assert result.face_ids == ["0", "1"]
    assert result.face_data[1].end_time == 5000
    assert result.face_data[1].model_extra == {"new_field": True}
    assert result.model_extra == {"final_unit_deduction": "0"}


# --- Effects, expand. --------------------------------------------------------------------


def test_unknown_effect_scene_takes_what_is_given():
    request = VideoEffectRequest(effect_scene="newscene", image=URL)
    assert not request.two_person
    assert request.to_payload(Provider.KLING)["input"] == {"image": URL}
    assert VideoEffectRequest(effect_scene="newscene", images=[URL, URL]).two_person
    assert VideoEffectRequest(effect_scene="kiss_pro", images=[URL, URL]).two_person


def test_the_effects_catalogue_is_the_pages():
    from prefect_kling.models import effect_scenes

    assert effect_scenes.TAKEN.isoformat() == "2026-09-20"
    assert (len(effect_scenes.SINGLE_IMAGE), len(effect_scenes.DUAL_IMAGE)) == (204, 15)
    assert {"hug_pro", "kiss_pro", "fight_pro", "heart_gesture_pro"} <= set(
        effect_scenes.DUAL_IMAGE
    )
    # A withdrawn scene is never in the catalogue, and its replacement always is.
    for name, gone in effect_scenes.WITHDRAWN.items():
        assert name not in effect_scenes.SCENES
        assert gone.replacement is None or gone.replacement in effect_scenes.SCENES
    assert all(scene.durations == () for scene in effect_scenes.SCENES.values())


def test_expand_canvas_of_exactly_three_times_passes():
    request = ImageExpandRequest(image=URL, up_expansion_ratio=0.5, left_expansion_ratio=1)
    assert request.area_factor == 3.0
    request = ImageExpandRequest(image=URL, up_expansion_ratio=2)
    assert request.area_factor == 3.0


# --- Account costs. ----------------------------------------------------------------------


def test_account_costs_query_takes_datetimes_or_milliseconds():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    query = AccountCostsQuery(start_time=start, end_time=1769904000000, resource_pack_name="P")
    assert query.to_params() == {
        "start_time": 1767225600000,
        "end_time": 1769904000000,
        "resource_pack_name": "P",
    }
    naive = AccountCostsQuery(start_time=datetime(2026, 1, 1), end_time=datetime(2026, 2, 1))
    assert naive.to_params()["start_time"] == 1767225600000


def test_account_costs_query_defaults_to_the_last_year():
    now = datetime(2026, 3, 1, tzinfo=UTC)
    params = AccountCostsQuery().to_params(now=now)
    assert params == {
        "start_time": account.to_milliseconds(now - account.DEFAULT_COSTS_WINDOW),
        "end_time": account.to_milliseconds(now),
    }


def test_account_costs_query_refuses_a_window_backwards():
    with pytest.raises(ValidationError, match=r"end_time: .* is not after start_time"):
        AccountCostsQuery(start_time=1769904000000, end_time=1767225600000)


def test_account_costs_answer_is_read_leniently():
    costs = AccountCosts.model_validate(
        {
            "code": 0,
            "msg": "",
            "resource_pack_subscribe_infos": [
                {
                    "resource_pack_name": "Video 1000",
                    "resource_pack_id": 509,
                    "resource_pack_type": "decreasing_total",
                    "total_quantity": "1000",
                    "remaining_quantity": 250.5,
                    "effective_time": 1767225600000,
                    "invalid_time": 1798761600,
                    "status": "online",
                },
                {"resource_pack_name": "Old", "status": "runOut", "remaining_quantity": None},
            ],
        }
    )
    video, old = costs.packs
    assert (video.resource_pack_id, video.total_quantity, video.used_quantity) == (
        "509",
        1000.0,
        749.5,
    )
    assert video.effective_time == datetime(2026, 1, 1, tzinfo=UTC)
    assert video.invalid_time == datetime(2027, 1, 1, tzinfo=UTC)
    assert video.active and not old.active
    assert old.used_quantity is None
    assert costs.remaining_by_type == {"decreasing_total": 250.5}
    assert AccountCosts.model_validate({"resource_pack_subscribe_infos": None}).packs == []
