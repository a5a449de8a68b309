"""Every capability rule and per-field limit, broken once, through a real client.

Each row is a request that breaks exactly one rule. Sent through `KlingClient.create`
against the embedded simulator, it must be refused before anything is sent: a
`KlingValidationError` whose only problem names the field, the refused value and what is
allowed, and not one request on the simulator's side.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from prefect_kling.exceptions import KlingImageError, KlingValidationError
from prefect_kling.media import make_png
from prefect_kling.providers import Provider
from prefect_kling.simulator import KlingSimulator, SimulatorConfig

K, C = Provider.KLING, Provider.COMETAPI
URL = "https://example.com/ref.png"
URL2 = "https://example.com/other.png"
VIDEO_URL = "https://example.com/talk.mp4"
AUDIO_URL = "https://example.com/line.mp3"
VID = "859402"
SIMPLE = {"type": "simple", "config": {"zoom": 2}}
CAMERA_V1 = {"model_name": "kling-v1", "mode": "std", "duration": "5"}
CAMERA_NEEDS = "allowed: only with model_name 'kling-v1', mode 'std', duration '5'"
GROUPS = "allowed: one of {image_tail}, {static_mask, dynamic_masks}, {camera_control}"
AXES = "exactly one non-zero of horizontal, vertical, pan, tilt, roll, zoom"
SOUND_NEEDS = "allowed: only with model_name 'kling-v2-6*' or 'kling-v3*'"
TRY_ON_MODELS = "allowed: kolors-virtual-try-on-v1, kolors-virtual-try-on-v1-5"
IMAGE_RATIOS = "'16:9', '9:16', '1:1', '4:3', '3:4', '3:2', '2:3', '21:9'"


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400)).save(buffer, format="GIF")
    return buffer.getvalue()


def points(count: int) -> list[dict[str, int]]:
    return [{"x": index, "y": index} for index in range(count)]


def mask(count: int = 2) -> dict[str, Any]:
    return {"mask": URL, "trajectories": points(count)}


def images(count: int) -> list[dict[str, str]]:
    return [{"image": URL} for _ in range(count)]


def subjects(count: int) -> list[dict[str, str]]:
    return [{"subject_image": URL} for _ in range(count)]


def text_lip_sync(**changes: Any) -> dict[str, Any]:
    data = {"mode": "text2video", "video_id": VID, "text": "Hello.", "voice_id": "oversea_male1"}
    return {key: value for key, value in {**data, **changes}.items() if value is not None}


def audio_lip_sync(**changes: Any) -> dict[str, Any]:
    data = {"mode": "audio2video", "video_id": VID, "audio_url": AUDIO_URL}
    return {key: value for key, value in {**data, **changes}.items() if value is not None}


def face(**changes: Any) -> dict[str, Any]:
    choice = {"face_id": "0", "audio_id": "a-1", "sound_end_time": 3000}
    choice = {key: value for key, value in {**choice, **changes}.items() if value is not None}
    return {"session_id": "sess-1", "face_choose": [choice]}


def hug(**changes: Any) -> dict[str, Any]:
    return {"effect_scene": "hug_pro", "images": [URL, URL2], **changes}


@dataclass(frozen=True)
class Rule:
    """A request that breaks one rule, and what the refusal must say."""

    endpoint: str
    provider: Provider
    request: dict[str, Any]
    field: str
    value: str
    allowed: str
    strict: bool = False


def rule(
    name: str,
    endpoint: str,
    provider: Provider,
    request: dict[str, Any],
    field: str,
    value: str,
    allowed: str,
    *,
    strict: bool = False,
) -> Any:
    return pytest.param(Rule(endpoint, provider, request, field, value, allowed, strict), id=name)


RULES = [
    # --- The capability map: model x mode x duration -> features. --------------------
    rule(
        "t2v-camera-not-on-kling-v1-6",
        "text2video",
        K,
        {"prompt": "x", "camera_control": SIMPLE, "model_name": "kling-v1-6"},
        "camera_control",
        "model_name 'kling-v1-6'",
        CAMERA_NEEDS,
    ),
    rule(
        "t2v-camera-not-in-pro",
        "text2video",
        C,
        {"prompt": "x", "camera_control": SIMPLE, "mode": "pro"},
        "camera_control",
        "mode 'pro'",
        CAMERA_NEEDS,
    ),
    rule(
        "t2v-camera-not-10s",
        "text2video",
        K,
        {"prompt": "x", "camera_control": {"type": "down_back"}, "duration": 10},
        "camera_control",
        "duration '10'",
        CAMERA_NEEDS,
    ),
    rule(
        "t2v-cfg-scale-not-on-v2",
        "text2video",
        K,
        {"prompt": "x", "cfg_scale": 0.5, "model_name": "kling-v2-master"},
        "cfg_scale",
        "0.5 is not supported with model_name 'kling-v2-master'",
        "allowed: only with model_name other than 'kling-v2*'",
    ),
    rule(
        "i2v-cfg-scale-not-on-v2",
        "image2video",
        C,
        {"image": URL, "cfg_scale": 0.3, "model_name": "kling-v2-1"},
        "cfg_scale",
        "model_name 'kling-v2-1'",
        "allowed: only with model_name other than 'kling-v2*'",
    ),
    rule(
        "t2v-sound-not-on-default-v1",
        "text2video",
        K,
        {"prompt": "x", "sound": "on"},
        "sound",
        "'on' is not supported with model_name 'kling-v1'",
        SOUND_NEEDS,
    ),
    rule(
        "i2v-sound-not-on-v2-5",
        "image2video",
        C,
        {"image": URL, "sound": "off", "model_name": "kling-v2-5-turbo"},
        "sound",
        "'off' is not supported with model_name 'kling-v2-5-turbo'",
        SOUND_NEEDS,
    ),
    rule(
        "i2v-end-frame-only-5s",
        "image2video",
        K,
        {"image": URL, "image_tail": URL2, "duration": "10"},
        "image_tail",
        "duration '10'",
        "allowed: only with duration '5'",
    ),
    rule(
        "i2v-static-mask-only-5s",
        "image2video",
        C,
        {"image": URL, "static_mask": URL2, "duration": 10},
        "static_mask",
        "duration '10'",
        "allowed: only with duration '5'",
    ),
    rule(
        "i2v-dynamic-masks-only-5s",
        "image2video",
        K,
        {"image": URL, "dynamic_masks": [mask()], "duration": 10},
        "dynamic_masks",
        "duration '10'",
        "allowed: only with duration '5'",
    ),
    rule(
        "image-reference-only-kling-v1-5",
        "image-generation",
        K,
        {"prompt": "x", "image": URL, "image_reference": "face"},
        "image_reference",
        "'face' is not supported with model_name 'kling-v3'",  # Kling's default
        "allowed: only with model_name 'kling-v1-5'",
    ),
    rule(
        "image-reference-not-kling-v2",
        "image-generation",
        C,
        {"prompt": "x", "image": URL, "image_reference": "subject", "model_name": "kling-v2"},
        "image_reference",
        "model_name 'kling-v2'",
        "allowed: only with model_name 'kling-v1-5'",
    ),
    # --- Model names. --------------------------------------------------------------------
    rule(
        "try-on-model-of-another-family",
        "virtual-try-on",
        K,
        {"human_image": URL, "model_name": "kling-v1"},
        "model_name",
        "'kling-v1' is not a model of virtual-try-on",
        TRY_ON_MODELS,
    ),
    rule(
        "try-on-unknown-model-strict",
        "virtual-try-on",
        C,
        {"human_image": URL, "model_name": "kolors-virtual-try-on-v9"},
        "model_name",
        "'kolors-virtual-try-on-v9' is not a known virtual-try-on model with provider cometapi",
        TRY_ON_MODELS,
        strict=True,
    ),
    rule(
        "t2v-unknown-model-strict",
        "text2video",
        K,
        {"prompt": "x", "model_name": "kling-v9"},
        "model_name",
        "'kling-v9' is not a known text2video model",
        "allowed: kling-v1, kling-v1-6, kling-v2-master",
        strict=True,
    ),
    rule(
        "t2v-model-of-another-family",
        "text2video",
        C,
        {"prompt": "x", "model_name": "kolors-virtual-try-on-v1"},
        "model_name",
        "'kolors-virtual-try-on-v1' is not a model of text2video",
        "allowed: kling-v1, kling-v1-6",
    ),
    rule(
        "multi-i2v-only-kling-v1-6-strict",
        "multi-image2video",
        C,
        {"image_list": images(2), "prompt": "x", "model_name": "kling-v2-master"},
        "model_name",
        "'kling-v2-master' is not a known multi-image2video model",
        "allowed: kling-v1-6",
        strict=True,
    ),
    rule(
        "multi-i2i-cometapi-only-kling-v2-strict",
        "multi-image2image",
        C,
        {"subject_image_list": subjects(2), "model_name": "kling-v2-1"},
        "model_name",
        "'kling-v2-1' is not a known multi-image2image model with provider cometapi",
        "allowed: kling-v2",
        strict=True,
    ),
    rule(
        "image-generation-unknown-model-strict",
        "image-generation",
        K,
        {"prompt": "x", "model_name": "kling-v4"},
        "model_name",
        "'kling-v4' is not a known image-generation model",
        "allowed: kling-v3, kling-v1, kling-v1-5, kling-v2, kling-v2-new, kling-v2-1",
        strict=True,
    ),
    rule(
        "effects-withdrawn-scene",
        "effects",
        K,
        {"effect_scene": "fight", "images": [URL, URL2]},
        "effect_scene",
        "'fight' was withdrawn by Kling on 2026-01-30",
        "allowed: its replacement 'fight_pro'",
    ),
    rule(
        "effects-withdrawn-scene-cometapi",
        "effects",
        C,
        {"effect_scene": "3d_cartoon_1", "image": URL},
        "effect_scene",
        "'3d_cartoon_1' was withdrawn",
        "allowed: its replacement '3d_cartoon_2'",
    ),
    # --- Prompt lengths, per provider. ---------------------------------------------------
    rule(
        "t2v-prompt-kling",
        "text2video",
        K,
        {"prompt": "x" * 2501},
        "prompt",
        "2501 characters",
        "allowed: at most 2500 characters with provider kling",
    ),
    rule(
        "t2v-prompt-cometapi",
        "text2video",
        C,
        {"prompt": "x" * 501},
        "prompt",
        "501 characters",
        "allowed: at most 500 characters with provider cometapi",
    ),
    rule(
        "t2v-negative-kling",
        "text2video",
        K,
        {"prompt": "x", "negative_prompt": "x" * 2501},
        "negative_prompt",
        "2501 characters",
        "allowed: at most 2500 characters with provider kling",
    ),
    rule(
        "t2v-negative-cometapi",
        "text2video",
        C,
        {"prompt": "x", "negative_prompt": "x" * 201},
        "negative_prompt",
        "201 characters",
        "allowed: at most 200 characters with provider cometapi",
    ),
    rule(
        "i2v-prompt-kling",
        "image2video",
        K,
        {"image": URL, "prompt": "x" * 2501},
        "prompt",
        "2501 characters",
        "allowed: at most 2500 characters with provider kling",
    ),
    rule(
        "i2v-prompt-cometapi",
        "image2video",
        C,
        {"image": URL, "prompt": "x" * 501},
        "prompt",
        "501 characters",
        "allowed: at most 500 characters with provider cometapi",
    ),
    rule(
        "i2v-negative-cometapi",
        "image2video",
        C,
        {"image": URL, "negative_prompt": "x" * 201},
        "negative_prompt",
        "201 characters",
        "allowed: at most 200 characters with provider cometapi",
    ),
    rule(
        "multi-i2v-prompt-kling",
        "multi-image2video",
        K,
        {"image_list": images(2), "prompt": "x" * 2501},
        "prompt",
        "2501 characters",
        "allowed: at most 2500 characters with provider kling",
    ),
    rule(
        "multi-i2v-prompt-cometapi",
        "multi-image2video",
        C,
        {"image_list": images(2), "prompt": "x" * 501},
        "prompt",
        "501 characters",
        "allowed: at most 500 characters with provider cometapi",
    ),
    rule(
        "multi-i2v-negative-cometapi",
        "multi-image2video",
        C,
        {"image_list": images(2), "prompt": "x", "negative_prompt": "x" * 201},
        "negative_prompt",
        "201 characters",
        "allowed: at most 200 characters with provider cometapi",
    ),
    rule(
        "multi-i2i-prompt-kling",
        "multi-image2image",
        K,
        {"subject_image_list": subjects(2), "prompt": "x" * 2501},
        "prompt",
        "2501 characters",
        "allowed: at most 2500 characters with provider kling",
    ),
    rule(
        "multi-i2i-prompt-cometapi",
        "multi-image2image",
        C,
        {"subject_image_list": subjects(2), "prompt": "x" * 2501},
        "prompt",
        "2501 characters",
        "allowed: at most 2500 characters with provider cometapi",
    ),
    rule(
        "image-generation-prompt-kling",
        "image-generation",
        K,
        {"prompt": "x" * 2501},
        "prompt",
        "2501 characters",
        "allowed: at most 2500 characters with provider kling",
    ),
    rule(
        "image-generation-prompt-cometapi",
        "image-generation",
        C,
        {"prompt": "x" * 2501},
        "prompt",
        "2501 characters",
        "allowed: at most 2500 characters with provider cometapi",
    ),
    rule(
        "image-generation-negative-cometapi",
        "image-generation",
        C,
        {"prompt": "x", "negative_prompt": "x" * 2501},
        "negative_prompt",
        "2501 characters",
        "allowed: at most 2500 characters with provider cometapi",
    ),
    rule(
        "extend-prompt-kling",
        "video-extend",
        K,
        {"video_id": VID, "prompt": "x" * 2501},
        "prompt",
        "2501 characters",
        "allowed: at most 2500 characters with provider kling",
    ),
    rule(
        "extend-negative-kling",
        "video-extend",
        K,
        {"video_id": VID, "negative_prompt": "x" * 2501},
        "negative_prompt",
        "2501 characters",
        "allowed: at most 2500 characters with provider kling",
    ),
    rule(
        "expand-prompt-kling",
        "image-expand",
        K,
        {"image": URL, "up_expansion_ratio": 0.5, "prompt": "x" * 2501},
        "prompt",
        "2501 characters",
        "allowed: at most 2500 characters with provider kling",
    ),
    rule(
        "lip-sync-text",
        "lip-sync",
        C,
        text_lip_sync(text="x" * 121),
        "input.text",
        "121 characters",
        "allowed: at most 120 characters",
    ),
    # --- Image counts, per provider. ------------------------------------------------------
    rule(
        "multi-i2v-images-kling",
        "multi-image2video",
        K,
        {"image_list": images(5), "prompt": "x"},
        "image_list",
        "5 items",
        "allowed: 1 to 4 items with provider kling",
    ),
    rule(
        "multi-i2v-images-cometapi",
        "multi-image2video",
        C,
        {"image_list": images(1), "prompt": "x"},
        "image_list",
        "1 item",
        "allowed: 2 to 4 items with provider cometapi",
    ),
    rule(
        "multi-i2v-images-empty",
        "multi-image2video",
        K,
        {"image_list": [], "prompt": "x"},
        "image_list",
        "0 items",
        "allowed: at least 1",
    ),
    rule(
        "multi-i2i-subjects-kling",
        "multi-image2image",
        K,
        {"subject_image_list": subjects(5)},
        "subject_image_list",
        "5 items",
        "allowed: 1 to 4 items with provider kling",
    ),
    rule(
        "multi-i2i-subjects-cometapi",
        "multi-image2image",
        C,
        {"subject_image_list": subjects(1)},
        "subject_image_list",
        "1 item",
        "allowed: 2 to 4 items with provider cometapi",
    ),
    rule(
        "effects-two-person-one-image",
        "effects",
        K,
        hug(images=[URL]),
        "input.images",
        "1 image with dual-image scene 'hug_pro'",
        "allowed: exactly 2 images",
    ),
    rule(
        "effects-two-person-three-images",
        "effects",
        C,
        {"effect_scene": "heart_gesture_pro", "images": [URL, URL, URL]},
        "input.images",
        "3 images with dual-image scene 'heart_gesture_pro'",
        "allowed: exactly 2 images",
    ),
    rule(
        "effects-two-person-no-images",
        "effects",
        K,
        {"effect_scene": "fight_pro", "input": {}},
        "input.images",
        "0 images with dual-image scene 'fight_pro'",
        "allowed: exactly 2 images",
    ),
    # --- Camera control, motion brush, exclusive groups. --------------------------------
    rule(
        "camera-simple-two-axes",
        "text2video",
        K,
        {"prompt": "x", "camera_control": {"type": "simple", "config": {"pan": 2, "zoom": 1}}},
        "camera_control.config",
        "2 non-zero values (pan=2, zoom=1)",
        AXES,
    ),
    rule(
        "camera-simple-no-axis",
        "image2video",
        C,
        {"image": URL, "camera_control": {"type": "simple", "config": {"tilt": 0}}},
        "camera_control.config",
        "0 non-zero values (none)",
        AXES,
    ),
    rule(
        "camera-simple-without-config",
        "image2video",
        K,
        {"image": URL, "camera_control": {"type": "simple"}},
        "camera_control.config",
        "missing",
        AXES,
    ),
    rule(
        "camera-preset-with-config",
        "text2video",
        C,
        {"prompt": "x", "camera_control": {"type": "forward_up", "config": {"zoom": 1}}},
        "camera_control.config",
        "not allowed with type 'forward_up'",
        "allowed: config only with type 'simple'",
    ),
    rule(
        "camera-type",
        "text2video",
        K,
        {"prompt": "x", "camera_control": {"type": "orbit"}},
        "camera_control.type",
        "'orbit'",
        "allowed: 'simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'",
    ),
    rule(
        "camera-axis-above-10",
        "text2video",
        K,
        {"prompt": "x", "camera_control": {"type": "simple", "config": {"zoom": 11}}},
        "camera_control.config.zoom",
        "11",
        "allowed: at most 10",
    ),
    rule(
        "camera-axis-below-minus-10",
        "image2video",
        C,
        {"image": URL, "camera_control": {"type": "simple", "config": {"roll": -10.5}}},
        "camera_control.config.roll",
        "-10.5",
        "allowed: at least -10",
    ),
    rule(
        "dynamic-masks-more-than-6",
        "image2video",
        K,
        {"image": URL, "dynamic_masks": [mask()] * 7},
        "dynamic_masks",
        "7 items",
        "allowed: at most 6",
    ),
    rule(
        "dynamic-masks-empty",
        "image2video",
        C,
        {"image": URL, "dynamic_masks": []},
        "dynamic_masks",
        "0 items",
        "allowed: at least 1",
    ),
    rule(
        "trajectory-1-point",
        "image2video",
        K,
        {"image": URL, "dynamic_masks": [mask(1)]},
        "dynamic_masks.0.trajectories",
        "1 item",
        "allowed: at least 2",
    ),
    rule(
        "trajectory-78-points",
        "image2video",
        C,
        {"image": URL, "dynamic_masks": [mask(), mask(78)]},
        "dynamic_masks.1.trajectories",
        "78 items",
        "allowed: at most 77",
    ),
    rule(
        "trajectory-point-not-whole",
        "image2video",
        K,
        {
            "image": URL,
            "dynamic_masks": [
                {"mask": URL, "trajectories": [{"x": 1.5, "y": 0}, {"x": 1, "y": 1}]}
            ],
        },
        "dynamic_masks.0.trajectories.0.x",
        "1.5",
        "allowed: a whole number",
    ),
    rule(
        "end-frame-with-camera",
        "image2video",
        K,
        {"image": URL, "image_tail": URL2, "camera_control": SIMPLE},
        "image_tail",
        "cannot be combined with camera_control",
        GROUPS,
    ),
    rule(
        "end-frame-with-masks",
        "image2video",
        C,
        {"image": URL, "image_tail": URL2, "dynamic_masks": [mask()]},
        "image_tail",
        "cannot be combined with dynamic_masks",
        GROUPS,
    ),
    rule(
        "masks-with-camera",
        "image2video",
        K,
        {"image": URL, "static_mask": URL2, "camera_control": SIMPLE},
        "static_mask",
        "cannot be combined with camera_control",
        GROUPS,
    ),
    rule(
        "i2v-no-frame",
        "image2video",
        C,
        {"prompt": "x"},
        "image",
        "missing, and so is image_tail",
        "allowed: image, image_tail or both",
    ),
    # --- Choices and ranges of the video endpoints. -------------------------------------
    rule(
        "t2v-aspect-ratio-kling",
        "text2video",
        K,
        {"prompt": "x", "aspect_ratio": "4:3"},
        "aspect_ratio",
        "'4:3'",
        "allowed: '16:9', '9:16', '1:1' with provider kling",
    ),
    rule(
        "t2v-aspect-ratio-cometapi",
        "text2video",
        C,
        {"prompt": "x", "aspect_ratio": "5:4"},
        "aspect_ratio",
        "'5:4'",
        "allowed: '16:9', '9:16', '1:1', '4:3', '3:4', '3:2', '2:3'",
    ),
    rule(
        "multi-i2v-aspect-ratio",
        "multi-image2video",
        C,
        {"image_list": images(2), "prompt": "x", "aspect_ratio": "4:3"},
        "aspect_ratio",
        "'4:3'",
        "allowed: '16:9', '9:16', '1:1'",
    ),
    rule(
        "t2v-mode",
        "text2video",
        K,
        {"prompt": "x", "mode": "fast"},
        "mode",
        "'fast'",
        "allowed: 'std', 'pro'",
    ),
    rule(
        "multi-i2v-duration",
        "multi-image2video",
        K,
        {"image_list": images(2), "prompt": "x", "duration": 7},
        "duration",
        "'7'",
        "allowed: '5', '10'",
    ),
    rule(
        "i2v-cfg-scale-above-1",
        "image2video",
        K,
        {"image": URL, "cfg_scale": 1.5},
        "cfg_scale",
        "1.5",
        "allowed: at most 1",
    ),
    rule(
        "t2v-cfg-scale-below-0",
        "text2video",
        C,
        {"prompt": "x", "cfg_scale": -0.1},
        "cfg_scale",
        "-0.1",
        "allowed: at least 0",
    ),
    rule(
        "t2v-sound-value",
        "text2video",
        K,
        {"prompt": "x", "sound": "loud", "model_name": "kling-v2-6"},
        "sound",
        "'loud'",
        "allowed: 'on', 'off'",
    ),
    rule(
        "t2v-prompt-missing",
        "text2video",
        C,
        {"negative_prompt": "x"},
        "prompt",
        "missing",
        "this field is required",
    ),
    rule(
        "t2v-unknown-field",
        "text2video",
        K,
        {"prompt": "x", "modle_name": "kling-v1"},
        "modle_name",
        "unknown field; did you mean 'model_name'?",
        "allowed: prompt, negative_prompt, model_name",
    ),
    rule(
        "t2v-watermark-needs-enabled",
        "text2video",
        K,
        {"prompt": "x", "watermark_info": {}},
        "watermark_info.enabled",
        "missing",
        "this field is required",
    ),
    # --- Video extend. --------------------------------------------------------------------
    rule(
        "extend-video-id-missing",
        "video-extend",
        K,
        {"prompt": "More."},
        "video_id",
        "missing",
        "this field is required",
    ),
    rule(
        "extend-cfg-scale-above-1",
        "video-extend",
        K,
        {"video_id": VID, "cfg_scale": 2},
        "cfg_scale",
        "2",
        "allowed: at most 1",
    ),
    # --- Images: generation, multi-image, expand, try-on. -------------------------------
    rule(
        "image-generation-negative-with-image",
        "image-generation",
        K,
        {"prompt": "x", "image": URL, "negative_prompt": "blurry"},
        "negative_prompt",
        "'blurry' is not allowed together with image",
        "allowed: negative_prompt only without image",
    ),
    rule(
        "image-generation-prompt-missing",
        "image-generation",
        C,
        {"image": URL},
        "prompt",
        "missing",
        "this field is required",
    ),
    rule(
        "image-generation-image-reference-value",
        "image-generation",
        C,
        {"prompt": "x", "image": URL, "image_reference": "body", "model_name": "kling-v1-5"},
        "image_reference",
        "'body'",
        "allowed: 'subject', 'face'",
    ),
    rule(
        "image-generation-image-fidelity",
        "image-generation",
        K,
        {"prompt": "x", "image": URL, "image_fidelity": 1.2},
        "image_fidelity",
        "1.2",
        "allowed: at most 1",
    ),
    rule(
        "image-generation-human-fidelity",
        "image-generation",
        C,
        {"prompt": "x", "image": URL, "human_fidelity": -0.1},
        "human_fidelity",
        "-0.1",
        "allowed: at least 0",
    ),
    rule(
        "image-generation-resolution",
        "image-generation",
        K,
        {"prompt": "x", "resolution": "4k"},
        "resolution",
        "'4k'",
        "allowed: '1k', '2k'",
    ),
    rule(
        "image-generation-n-above-9",
        "image-generation",
        C,
        {"prompt": "x", "n": 10},
        "n",
        "10",
        "allowed: at most 9",
    ),
    rule(
        "image-generation-n-below-1",
        "image-generation",
        K,
        {"prompt": "x", "n": 0},
        "n",
        "0",
        "allowed: at least 1",
    ),
    rule(
        "image-generation-aspect-ratio",
        "image-generation",
        K,
        {"prompt": "x", "aspect_ratio": "5:4"},
        "aspect_ratio",
        "'5:4'",
        "allowed: " + IMAGE_RATIOS,
    ),
    rule(
        "multi-i2i-aspect-ratio",
        "multi-image2image",
        C,
        {"subject_image_list": subjects(2), "aspect_ratio": "1:2"},
        "aspect_ratio",
        "'1:2'",
        "allowed: " + IMAGE_RATIOS,
    ),
    rule(
        "multi-i2i-n-above-9",
        "multi-image2image",
        K,
        {"subject_image_list": subjects(2), "n": 12},
        "n",
        "12",
        "allowed: at most 9",
    ),
    rule(
        "multi-i2i-cometapi-spelling-is-internal",
        "multi-image2image",
        C,
        {"subject_image_list": subjects(2), "scence_image": URL},
        "scence_image",
        "unknown field; did you mean 'scene_image'?",
        "allowed: subject_image_list, prompt, scene_image",
    ),
    rule(
        "expand-canvas-over-3x",
        "image-expand",
        K,
        {
            "image": URL,
            "up_expansion_ratio": 1,
            "down_expansion_ratio": 1,
            "left_expansion_ratio": 0.5,
        },
        "up_expansion_ratio",
        "(1 + 0.5 + 0) * (1 + 1 + 1) = 4.5 times the original area",
        "allowed: at most 3 times ((1 + left + right) * (1 + up + down) <= 3)",
    ),
    rule(
        "expand-nothing",
        "image-expand",
        K,
        {"image": URL},
        "up_expansion_ratio",
        "all four expansion ratios are 0",
        "allowed: at least one of up_expansion_ratio, down_expansion_ratio",
    ),
    rule(
        "expand-ratio-above-2",
        "image-expand",
        K,
        {"image": URL, "right_expansion_ratio": 2.5},
        "right_expansion_ratio",
        "2.5",
        "allowed: at most 2",
    ),
    rule(
        "expand-ratio-below-0",
        "image-expand",
        K,
        {"image": URL, "left_expansion_ratio": -0.1, "up_expansion_ratio": 1},
        "left_expansion_ratio",
        "-0.1",
        "allowed: at least 0",
    ),
    rule(
        "expand-n-above-9",
        "image-expand",
        K,
        {"image": URL, "up_expansion_ratio": 0.5, "n": 10},
        "n",
        "10",
        "allowed: at most 9",
    ),
    rule(
        "try-on-human-image-missing",
        "virtual-try-on",
        C,
        {"cloth_image": URL},
        "human_image",
        "missing",
        "this field is required",
    ),
    rule(
        "try-on-unknown-field",
        "virtual-try-on",
        K,
        {"human_image": URL, "cloth": URL},
        "cloth",
        "unknown field; did you mean 'cloth_image'?",
        "allowed: model_name, human_image, cloth_image",
    ),
    rule(
        "image-format",
        "virtual-try-on",
        K,
        {"human_image": gif()},
        "human_image",
        "bytes",
        "allowed: JPEG or PNG",
    ),
    rule(
        "image-sides",
        "image-generation",
        C,
        {"prompt": "x", "image": make_png(200, 900)},
        "image",
        "200x900 px",
        "allowed: both sides at least 300 px",
    ),
    # --- Effects. --------------------------------------------------------------------------
    rule(
        "effects-two-person-single-image",
        "effects",
        K,
        {"effect_scene": "kiss_pro", "image": URL},
        "input.image",
        "'https://example.com/ref.png' is not allowed with dual-image scene 'kiss_pro'",
        "allowed: input.images, two images",
    ),
    rule(
        "effects-single-image-with-images",
        "effects",
        C,
        {"effect_scene": "color_mixing", "images": [URL, URL2]},
        "input.images",
        "not allowed with single-image scene 'color_mixing'",
        "allowed: input.image, one image",
    ),
    rule(
        "effects-undocumented-model",
        "effects",
        K,
        {"effect_scene": "pet_lion_pro", "image": URL, "model_name": "kling-v1-6"},
        "model_name",
        "'kling-v1-6' is not a field of Kling's effects page (2026-09-20)",
        "allowed: input.image or input.images",
    ),
    rule(
        "effects-single-image-missing",
        "effects",
        C,
        {"effect_scene": "skateskate", "input": {}},
        "input.image",
        "missing with single-image scene 'skateskate'",
        "allowed: one image",
    ),
    rule(
        "effects-undocumented-duration",
        "effects",
        K,
        {"effect_scene": "hug_pro", "input": {"images": [URL, URL2], "duration": "10"}},
        "input.duration",
        "'10' is not a field of Kling's effects page",
        "allowed: input.image or input.images",
    ),
    rule(
        "effects-undocumented-mode",
        "effects",
        C,
        hug(mode="pro"),
        "mode",
        "'pro' is not a field",
        "a scene sets its own length, model and mode",
    ),
    rule(
        "effects-scene-empty",
        "effects",
        K,
        {"effect_scene": "", "image": URL},
        "effect_scene",
        "''",
        "allowed: at least 1 character",
    ),
    rule(
        "effects-flat-and-nested",
        "effects",
        C,
        {"effect_scene": "hug_pro", "input": {"images": [URL, URL2]}, "image": URL},
        "image",
        "given both at the top level and inside input",
        "allowed: every setting either inside input or at the top level",
    ),
    # --- Lip-sync, legacy. ------------------------------------------------------------------
    rule(
        "lip-sync-both-videos",
        "lip-sync",
        K,
        text_lip_sync(video_url=VIDEO_URL),
        "input.video_url",
        f"'{VIDEO_URL}' cannot be combined with video_id '{VID}'",
        "allowed: exactly one of video_id, video_url",
    ),
    rule(
        "lip-sync-no-video",
        "lip-sync",
        C,
        text_lip_sync(video_id=None),
        "input.video_id",
        "missing, and so is video_url",
        "allowed: exactly one of video_id, video_url",
    ),
    rule(
        "lip-sync-mode",
        "lip-sync",
        K,
        text_lip_sync(mode="video2video"),
        "input.mode",
        "'video2video'",
        "allowed: 'text2video', 'audio2video'",
    ),
    rule(
        "lip-sync-text-missing",
        "lip-sync",
        C,
        text_lip_sync(text=None),
        "input.text",
        "missing with mode 'text2video'",
        "allowed: the words to speak, 1 to 120 characters",
    ),
    rule(
        "lip-sync-voice-missing",
        "lip-sync",
        K,
        text_lip_sync(voice_id=None),
        "input.voice_id",
        "missing with mode 'text2video'",
        "allowed: a voice id",
    ),
    rule(
        "lip-sync-voice-language",
        "lip-sync",
        K,
        text_lip_sync(voice_language="fr"),
        "input.voice_language",
        "'fr'",
        "allowed: 'zh', 'en'",
    ),
    rule(
        "lip-sync-voice-speed-above-2",
        "lip-sync",
        C,
        text_lip_sync(voice_speed=2.5),
        "input.voice_speed",
        "2.5",
        "allowed: at most 2",
    ),
    rule(
        "lip-sync-voice-speed-below-0.8",
        "lip-sync",
        K,
        text_lip_sync(voice_speed=0.5),
        "input.voice_speed",
        "0.5",
        "allowed: at least 0.8",
    ),
    rule(
        "lip-sync-audio-in-text-mode",
        "lip-sync",
        K,
        text_lip_sync(audio_url=AUDIO_URL),
        "input.audio_url",
        f"'{AUDIO_URL}' is not allowed with mode 'text2video'",
        "allowed: text, voice_id, voice_language, voice_speed",
    ),
    rule(
        "lip-sync-text-in-audio-mode",
        "lip-sync",
        C,
        audio_lip_sync(text="Hello."),
        "input.text",
        "'Hello.' is not allowed with mode 'audio2video'",
        "allowed: audio_type with audio_file or audio_url",
    ),
    rule(
        "lip-sync-no-audio",
        "lip-sync",
        K,
        audio_lip_sync(audio_url=None),
        "input.audio_type",
        "missing with mode 'audio2video'",
        "allowed: 'file' with audio_file, or 'url' with audio_url",
    ),
    rule(
        "lip-sync-audio-type-value",
        "lip-sync",
        K,
        audio_lip_sync(audio_type="stream"),
        "input.audio_type",
        "'stream'",
        "allowed: 'file', 'url'",
    ),
    rule(
        "lip-sync-url-with-file-type",
        "lip-sync",
        C,
        audio_lip_sync(audio_type="file"),
        "input.audio_url",
        f"'{AUDIO_URL}' is not allowed with audio_type 'file'",
        "allowed: audio_file",
    ),
    rule(
        "lip-sync-url-type-without-url",
        "lip-sync",
        K,
        audio_lip_sync(audio_type="url", audio_url=None),
        "input.audio_url",
        "missing with audio_type 'url'",
        "allowed: the audio as an http(s) URL",
    ),
    rule(
        "lip-sync-file-given-a-url",
        "lip-sync",
        K,
        audio_lip_sync(audio_url=None, audio_file=AUDIO_URL),
        "input.audio_file",
        f"'{AUDIO_URL}' is a URL",
        "allowed: a path, bytes or Base64 (a URL goes in audio_url",
    ),
    rule(
        "lip-sync-video-url-scheme",
        "lip-sync",
        C,
        text_lip_sync(video_id=None, video_url="file:///tmp/talk.mp4"),
        "input.video_url",
        "'file:///tmp/talk.mp4'",
        "allowed: an http(s) URL",
    ),
    # --- Lip-sync, advanced. ----------------------------------------------------------------
    rule(
        "advanced-two-audio-sources",
        "advanced-lip-sync",
        K,
        face(sound_file=AUDIO_URL),
        "face_choose.0.sound_file",
        f"'{AUDIO_URL}' cannot be combined with audio_id 'a-1'",
        "allowed: exactly one of audio_id, sound_file",
    ),
    rule(
        "advanced-no-audio-source",
        "advanced-lip-sync",
        K,
        face(audio_id=None),
        "face_choose.0.audio_id",
        "missing, and so is sound_file",
        "allowed: exactly one of audio_id, sound_file",
    ),
    rule(
        "advanced-clip-ends-before-start",
        "advanced-lip-sync",
        K,
        face(sound_start_time=2000, sound_end_time=1000),
        "face_choose.0.sound_end_time",
        "1000 is not after sound_start_time 2000",
        "allowed: more than 2000",
    ),
    rule(
        "advanced-clip-end-missing",
        "advanced-lip-sync",
        K,
        {"session_id": "s", "face_choose": [{"face_id": "0", "audio_id": "a"}]},
        "face_choose.0.sound_end_time",
        "missing",
        "this field is required",
    ),
    rule(
        "advanced-insert-time-negative",
        "advanced-lip-sync",
        K,
        face(sound_insert_time=-5),
        "face_choose.0.sound_insert_time",
        "-5",
        "allowed: at least 0",
    ),
    rule(
        "advanced-sound-volume",
        "advanced-lip-sync",
        K,
        face(sound_volume=3),
        "face_choose.0.sound_volume",
        "3",
        "allowed: at most 2",
    ),
    rule(
        "advanced-original-volume",
        "advanced-lip-sync",
        K,
        face(original_audio_volume=-1),
        "face_choose.0.original_audio_volume",
        "-1",
        "allowed: at least 0",
    ),
    rule(
        "advanced-no-face",
        "advanced-lip-sync",
        K,
        {"session_id": "s", "face_choose": []},
        "face_choose",
        "0 items",
        "allowed: at least 1",
    ),
    rule(
        "advanced-session-missing",
        "advanced-lip-sync",
        K,
        {"face_choose": face()["face_choose"]},
        "session_id",
        "missing",
        "this field is required",
    ),
]


@pytest.fixture(scope="module")
def simulator():
    with KlingSimulator(SimulatorConfig(queue_seconds=0, processing_seconds=0.1)) as sim:
        yield sim


@pytest.mark.parametrize("broken", RULES)
def test_each_rule_is_refused_before_anything_is_sent(simulator, broken: Rule):
    before = simulator.stats()
    credentials = simulator.credentials(broken.provider.value)
    with (
        credentials.get_client(strict_validation=broken.strict) as client,
        pytest.raises(KlingValidationError) as caught,
    ):
        client.create(broken.endpoint, broken.request)

    error = caught.value
    assert error.endpoint == broken.endpoint
    assert error.fields == [broken.field], str(error)
    message = error.problems[0].message
    assert str(error) == f"Invalid request for {broken.endpoint}: {broken.field}: {message}"
    assert broken.value in message, message
    assert broken.allowed in message, message
    assert re.search(r"\ballowed\b|\brequired\b", message), message
    if isinstance(error, KlingImageError):
        assert broken.field in {"human_image", "image"}

    after = simulator.stats()
    assert after.create_calls == before.create_calls
    assert after.requests == before.requests


def test_the_simulator_does_answer_a_valid_request(simulator):
    # The same client set-up does reach the simulator when nothing is broken.
    before = simulator.stats().create_calls
    with simulator.credentials("kling").get_client() as client:
        reference = client.create("text2video", {"prompt": "A fox in snow."})
    assert reference.task_id
    assert simulator.stats().create_calls == before + 1


def test_every_rule_row_is_distinct():
    names = [param.id for param in RULES]
    assert len(names) == len(set(names))
    assert len(RULES) >= 100


def test_image_reference_is_required_with_kling_v1_5_and_an_image():
    from prefect_kling.capabilities import validate_request
    from prefect_kling.exceptions import KlingValidationError

    request = {
        "prompt": "a portrait",
        "model_name": "kling-v1-5",
        "image": "https://img.test/face.png",
    }
    with pytest.raises(KlingValidationError) as raised:
        validate_request("image-generation", "kling", request)
    assert raised.value.fields == ["image_reference"]
    assert "required with model_name 'kling-v1-5' and image" in str(raised.value)
    assert validate_request("image-generation", "kling", {**request, "image_reference": "subject"})
    assert validate_request(
        "image-generation", "kling", {"prompt": "x", "model_name": "kling-v1-5"}
    )
