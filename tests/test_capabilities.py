import fnmatch
import logging
import warnings
from dataclasses import replace
from typing import get_args

import pytest

from prefect_kling.capabilities import (
    EndpointLimits,
    UnknownModelWarning,
    feature_support,
    limits_for,
    validate_request,
)
from prefect_kling.endpoints import ENDPOINTS, Endpoint, Family, ResultKind, get_endpoint
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.models import MultiImageToVideoRequest, TextToVideoRequest
from prefect_kling.providers import Provider

KLING, COMET = Provider.KLING, Provider.COMETAPI
URL = "https://example.com/ref.png"


def images(count: int) -> list[dict[str, str]]:
    return [{"image": URL} for _ in range(count)]


def subjects(count: int) -> list[dict[str, str]]:
    return [{"subject_image": URL} for _ in range(count)]


T2V_CAMERA = {"type": "simple", "config": {"zoom": 2}}


@pytest.mark.parametrize(
    ("endpoint", "provider", "data", "field", "expected"),
    [
        (
            "text2video",
            KLING,
            {"prompt": "x" * 2501},
            "prompt",
            "2501 characters; allowed: at most 2500 characters with provider kling",
        ),
        (
            "text2video",
            KLING,
            {"prompt": "x", "negative_prompt": "x" * 2501},
            "negative_prompt",
            "at most 2500 characters with provider kling",
        ),
        (
            "text2video",
            COMET,
            {"prompt": "x" * 612},
            "prompt",
            "612 characters; allowed: at most 500 characters with provider cometapi",
        ),
        (
            "text2video",
            COMET,
            {"prompt": "x", "negative_prompt": "x" * 201},
            "negative_prompt",
            "201 characters; allowed: at most 200 characters with provider cometapi",
        ),
        (
            "image2video",
            COMET,
            {"image": URL, "prompt": "x" * 501},
            "prompt",
            "at most 500 characters with provider cometapi",
        ),
        (
            "image2video",
            COMET,
            {"image": URL, "negative_prompt": "x" * 201},
            "negative_prompt",
            "at most 200 characters with provider cometapi",
        ),
        (
            "multi-image2video",
            COMET,
            {"image_list": images(2), "prompt": "x" * 501},
            "prompt",
            "at most 500 characters with provider cometapi",
        ),
        (
            "multi-image2video",
            KLING,
            {"image_list": images(2), "prompt": "x" * 2501},
            "prompt",
            "at most 2500 characters with provider kling",
        ),
        (
            "multi-image2image",
            COMET,
            {"subject_image_list": subjects(2), "prompt": "x" * 2501},
            "prompt",
            "at most 2500 characters with provider cometapi",
        ),
        (
            "multi-image2image",
            KLING,
            {"subject_image_list": subjects(2), "prompt": "x" * 2501},
            "prompt",
            "at most 2500 characters with provider kling",
        ),
        (
            "multi-image2video",
            KLING,
            {"image_list": images(5), "prompt": "x"},
            "image_list",
            "5 items; allowed: 1 to 4 items with provider kling",
        ),
        (
            "multi-image2video",
            COMET,
            {"image_list": images(1), "prompt": "x"},
            "image_list",
            "1 item; allowed: 2 to 4 items with provider cometapi",
        ),
        (
            "multi-image2image",
            KLING,
            {"subject_image_list": subjects(5)},
            "subject_image_list",
            "5 items; allowed: 1 to 4 items with provider kling",
        ),
        (
            "multi-image2image",
            COMET,
            {"subject_image_list": subjects(1)},
            "subject_image_list",
            "1 item; allowed: 2 to 4 items with provider cometapi",
        ),
        (
            "text2video",
            KLING,
            {"prompt": "x", "aspect_ratio": "4:3"},
            "aspect_ratio",
            "'4:3' is not allowed; allowed: '16:9', '9:16', '1:1' with provider kling",
        ),
        (
            "text2video",
            KLING,
            {"prompt": "x", "camera_control": T2V_CAMERA, "model_name": "kling-v1-6"},
            "camera_control",
            "not supported with model_name 'kling-v1-6'; "
            "allowed: only with model_name 'kling-v1', mode 'std', duration '5'",
        ),
        (
            "text2video",
            COMET,
            {"prompt": "x", "camera_control": T2V_CAMERA, "mode": "pro"},
            "camera_control",
            "not supported with mode 'pro'; allowed: only with model_name 'kling-v1'",
        ),
        (
            "text2video",
            KLING,
            {"prompt": "x", "camera_control": {"type": "forward_up"}, "duration": 10},
            "camera_control",
            "not supported with duration '10'",
        ),
        (
            "text2video",
            KLING,
            {"prompt": "x", "cfg_scale": 0.5, "model_name": "kling-v2-master"},
            "cfg_scale",
            "not supported with model_name 'kling-v2-master'; "
            "allowed: only with model_name other than 'kling-v2*'",
        ),
        (
            "image2video",
            COMET,
            {"image": URL, "cfg_scale": 0.5, "model_name": "kling-v2-1"},
            "cfg_scale",
            "not supported with model_name 'kling-v2-1'",
        ),
    ],
)
def test_provider_limits_and_feature_rules(endpoint, provider, data, field, expected):
    with pytest.raises(KlingValidationError) as caught:
        validate_request(endpoint, provider, data)

    assert caught.value.endpoint == endpoint
    assert caught.value.fields == [field]
    assert expected in caught.value.problems[0].message


@pytest.mark.parametrize(
    ("endpoint", "provider", "data"),
    [
        ("text2video", KLING, {"prompt": "x" * 2500, "negative_prompt": "x" * 2500}),
        ("text2video", COMET, {"prompt": "x" * 500, "negative_prompt": "x" * 200}),
        ("text2video", COMET, {"prompt": "x", "aspect_ratio": "4:3"}),
        ("text2video", KLING, {"prompt": "x", "camera_control": T2V_CAMERA}),
        (
            "text2video",
            KLING,
            {
                "prompt": "x",
                "camera_control": T2V_CAMERA,
                "model_name": "kling-v1",
                "mode": "std",
                "duration": 5,
            },
        ),
        ("text2video", KLING, {"prompt": "x", "cfg_scale": 0.2, "model_name": "kling-v1-6"}),
        (
            "image2video",
            KLING,
            {
                "image": URL,
                "camera_control": T2V_CAMERA,
                "model_name": "kling-v2-master",
                "mode": "pro",
            },
        ),
        ("multi-image2video", KLING, {"image_list": images(1), "prompt": "x"}),
        ("multi-image2video", COMET, {"image_list": images(4), "prompt": "x"}),
        ("multi-image2image", KLING, {"subject_image_list": subjects(1), "prompt": "x" * 2500}),
        ("multi-image2image", COMET, {"subject_image_list": subjects(4), "prompt": "x" * 2500}),
    ],
)
def test_requests_within_the_limits_pass(endpoint, provider, data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        request = validate_request(endpoint, provider, data)
    assert isinstance(request, get_endpoint(endpoint).request_model)


def test_every_problem_is_reported_at_once():
    data = {"prompt": "x" * 501, "negative_prompt": "x" * 201, "aspect_ratio": "1:1"}
    data["camera_control"] = {"type": "down_back"}
    data["mode"] = "pro"
    with pytest.raises(KlingValidationError) as caught:
        validate_request("text2video", COMET, data)
    assert caught.value.fields == ["prompt", "negative_prompt", "camera_control"]
    assert "(3 problems)" in str(caught.value)


@pytest.mark.parametrize(
    ("endpoint", "provider", "data", "known"),
    [
        ("text2video", KLING, {"prompt": "x", "model_name": "kling-v9"}, "kling-v1, kling-v1-6"),
        (
            "multi-image2video",
            KLING,
            {"image_list": images(2), "prompt": "x", "model_name": "kling-v2-master"},
            "kling-v1-6",
        ),
        (
            "multi-image2image",
            COMET,
            {"subject_image_list": subjects(2), "model_name": "kling-v2-1"},
            "kling-v2",
        ),
    ],
)
def test_unknown_model_is_refused_unless_strict_is_false(endpoint, provider, data, known, caplog):
    with pytest.raises(KlingValidationError) as caught:
        validate_request(endpoint, provider, data)
    assert caught.value.fields == ["model_name"]
    assert f"with provider {provider}; allowed: {known}" in str(caught.value)
    assert "strict=False in Python, --allow-unknown-model on the command line" in str(caught.value)
    with pytest.raises(KlingValidationError):
        validate_request(endpoint, provider, data, strict=True)

    with (
        caplog.at_level(logging.WARNING, logger="prefect_kling.capabilities"),
        pytest.warns(UnknownModelWarning, match=f"provider {provider}"),
    ):
        request = validate_request(endpoint, provider, data, strict=False)
    assert request.model_name == data["model_name"]
    assert any(data["model_name"] in record.getMessage() for record in caplog.records)


def test_known_model_and_left_out_model_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate_request("image2video", KLING, {"image": URL, "model_name": "kling-v2-1"})
        validate_request("text2video", COMET, {"prompt": "x"}, strict=True)


def test_model_instance_is_checked_again_for_the_provider():
    request = TextToVideoRequest(prompt="x" * 600)
    assert validate_request("text2video", KLING, request) == request
    with pytest.raises(KlingValidationError, match="at most 500 characters with provider cometapi"):
        validate_request("text2video", COMET, request)


def test_model_of_another_endpoint_is_refused():
    request = MultiImageToVideoRequest(image_list=images(2), prompt="x")
    with pytest.raises(KlingValidationError) as caught:
        validate_request("image2video", KLING, request)
    assert "image_list" in caught.value.fields


def test_endpoint_row_and_provider_name_are_accepted():
    request = validate_request(get_endpoint("text2video"), "cometapi", {"prompt": "x"})
    assert request == TextToVideoRequest(prompt="x")


def test_unknown_endpoint_is_refused():
    with pytest.raises(KlingValidationError) as caught:
        validate_request("text2music", KLING, {"prompt": "x"})
    assert caught.value.fields == ["endpoint"]


def test_every_provider_has_limits_for_exactly_the_endpoints_it_serves():
    for provider in Provider:
        limited = {name for name, row in ENDPOINTS.items() if provider in row.limits}
        assert limited == {name for name, row in ENDPOINTS.items() if row.supports(provider)}
        assert limited  # every provider serves some endpoint
    assert all(KLING in row.limits for row in ENDPOINTS.values())


def test_a_row_refuses_limits_for_a_provider_without_the_route():
    with pytest.raises(ValueError, match="give limits for exactly the providers"):
        Endpoint(
            name="x",
            family=Family.VIDEO,
            paths={KLING: "videos/x"},
            request_model=TextToVideoRequest,
            result_kind=ResultKind.VIDEO,
            limits={KLING: EndpointLimits(), COMET: EndpointLimits()},
        )


@pytest.mark.parametrize(
    ("provider", "endpoint"), [(p, name) for name, row in ENDPOINTS.items() for p in row.limits]
)
def test_every_row_is_consistent_with_its_request_model(provider, endpoint):
    limits = get_endpoint(endpoint).limits[provider]
    model = get_endpoint(endpoint).request_model
    top_level = {name.split(".")[0] for name in limits.max_chars}
    top_level |= {name.split(".")[0] for name in (*limits.item_counts, *limits.choices)}
    top_level |= {rule.feature.split(".")[0] for rule in limits.features}
    top_level |= {name.split(".")[0] for name in limits.defaults}
    if limits.models:
        top_level.add(limits.model_field.split(".")[0])
        assert all(fnmatch.fnmatchcase(name, limits.model_pattern) for name in limits.models)
    assert top_level <= set(model.model_fields), (provider, endpoint)
    for name, allowed in limits.choices.items():
        field_values = set(get_args(get_args(model.model_fields[name].annotation)[0]))
        assert set(allowed) <= field_values, (provider, endpoint, name)


def test_feature_support_answers_model_mode_duration_questions():
    v1 = feature_support("text2video", KLING)
    only_v3 = "not supported with model_name 'kling-v1'; allowed: only with model_name 'kling-v3*'"
    assert v1 == {
        "cfg_scale": None,
        "camera_control": None,
        "sound": "not supported with model_name 'kling-v1'; "
        "allowed: only with model_name 'kling-v2-6*' or 'kling-v3*'",
        "multi_shot": only_v3,
        "shot_type": only_v3,
        "multi_prompt": only_v3,
        "element_list": only_v3,
        "voice_list": only_v3,
    }
    v3 = feature_support("text2video", KLING, model_name="kling-v3", sound="on")
    assert v3["multi_shot"] is None and v3["voice_list"] is None
    v26 = feature_support("text2video", COMET, model_name="kling-v2-6", duration=10)
    assert v26["sound"] is None
    assert v26["cfg_scale"].startswith("not supported with model_name 'kling-v2-6'")
    assert v26["camera_control"].startswith("not supported with model_name 'kling-v2-6'")
    ten = feature_support("image2video", KLING, duration="10")
    assert ten["image_tail"] == "not supported with duration '10'; allowed: only with duration '5'"
    assert ten["dynamic_masks"] == ten["static_mask"] == ten["image_tail"]
    assert feature_support("image2video", KLING)["image_tail"] is None
    assert feature_support("image-generation", KLING, model_name="kling-v1-5") == {
        "image_reference": None
    }
    assert feature_support("lip-sync", COMET) == {}


def test_a_model_of_another_family_is_refused_even_without_strict():
    with pytest.raises(KlingValidationError) as caught:
        validate_request(
            "text2video", KLING, {"prompt": "x", "model_name": "kolors-virtual-try-on-v1"}
        )
    assert caught.value.fields == ["model_name"]
    assert "'kolors-virtual-try-on-v1' is not a model of text2video; allowed: kling-v1," in str(
        caught.value
    )
    assert "(or another kling-* name)" in str(caught.value)


def test_an_unknown_effect_scene_warns_under_its_own_name():
    data = {"effect_scene": "brand_new_scene", "images": [URL, URL]}
    with pytest.warns(UnknownModelWarning, match="effect_scene 'brand_new_scene' is not a known"):
        validate_request("effects", COMET, data, strict=False)
    with pytest.raises(KlingValidationError) as caught:
        validate_request("effects", COMET, data)
    assert caught.value.fields == ["effect_scene"]


def test_a_withdrawn_effect_scene_is_refused_even_when_unknown_names_are_allowed():
    data = {"effect_scene": "hug", "images": [URL, URL]}
    with pytest.raises(KlingValidationError) as caught:
        validate_request("effects", COMET, data, strict=False)
    assert caught.value.fields == ["effect_scene"]
    assert "its replacement 'hug_pro'" in str(caught.value)


def test_a_new_model_is_one_line(monkeypatch):
    data = {"prompt": "x", "model_name": "kling-v3-1", "sound": "on"}
    with pytest.raises(KlingValidationError):
        validate_request("text2video", KLING, data, strict=True)
    row = ENDPOINTS["text2video"]
    official = row.limits[KLING]
    limits = {**row.limits, KLING: replace(official, models=(*official.models, "kling-v3-1"))}
    monkeypatch.setitem(ENDPOINTS, "text2video", replace(row, limits=limits))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        request = validate_request("text2video", KLING, data, strict=True)
    assert request.sound == "on"  # kling-v3* already covers the new model's sound


def test_provider_without_the_route_is_refused_by_validation_too():
    with pytest.raises(KlingValidationError) as caught:
        validate_request("image-expand", COMET, {"image": URL, "up_expansion_ratio": 1})
    assert caught.value.fields == ["provider"]
    assert "'cometapi' has no image-expand route (" in str(caught.value)
    assert "answered 404 in 2026-03" in str(caught.value)
    assert str(caught.value).endswith("allowed: kling")


def test_cometapi_table_states_only_what_differs():
    assert limits_for(COMET, "text2video").features == limits_for(KLING, "text2video").features
    assert limits_for(COMET, "multi-image2image").models == ("kling-v2",)
    assert limits_for(KLING, "multi-image2video").models == ("kling-v1-6",)
