import re
from pathlib import Path

import pytest

from prefect_kling.capabilities import validate_request
from prefect_kling.cli.parser import build_parser, generation_commands
from prefect_kling.endpoints import (
    ACCOUNT_COSTS,
    ACCOUNT_COSTS_PATH,
    ENDPOINTS,
    IDENTIFY_FACE,
    IDENTIFY_FACE_PATH,
    ROUTES,
    ApiStandard,
    Endpoint,
    Family,
    ResultKind,
    get_endpoint,
)
from prefect_kling.endpoints.audio import TTS
from prefect_kling.endpoints.library import ROUTES as LIBRARY_ROUTES
from prefect_kling.endpoints.omni_images import IMAGE_RECOGNIZE
from prefect_kling.endpoints.routes import ACCOUNT_LEDGERS, SELECTION_CALLS
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.lip_sync_plan import LipSyncPlan
from prefect_kling.models import (
    AccountCosts,
    AccountCostsQuery,
    AdvancedLipSyncRequest,
    AvatarRequest,
    IdentifyFaceRequest,
    IdentifyFaceResult,
    ImageExpandRequest,
    ImageGenerationRequest,
    ImageToVideoRequest,
    KlingRequest,
    LipSyncRequest,
    MotionControlRequest,
    MultiImageToImageRequest,
    MultiImageToVideoRequest,
    NewImageToVideoRequest,
    NewTextToVideoRequest,
    OmniVideoRequest,
    TextToAudioRequest,
    TextToVideoRequest,
    VideoEffectRequest,
    VideoExtendRequest,
    VideoToAudioRequest,
    VirtualTryOnRequest,
)
from prefect_kling.models.multi_elements import MultiElementsRequest
from prefect_kling.models.omni_images import MultiShotRequest, OmniImageRequest
from prefect_kling.multi_elements_plan import MultiElementsPlan
from prefect_kling.providers import Provider
from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from prefect_kling.simulator.routes import resolve

KLING, COMET = Provider.KLING, Provider.COMETAPI
EVERYWHERE, OFFICIAL = (KLING, COMET), (KLING,)

# name: (paths per provider, family, result kind, request model, query by external id)
TABLE = {
    "text2video": (
        {KLING: "videos/text2video", COMET: "videos/text2video"},
        Family.VIDEO,
        ResultKind.VIDEO,
        TextToVideoRequest,
        EVERYWHERE,
    ),
    "image2video": (
        {KLING: "videos/image2video", COMET: "videos/image2video"},
        Family.VIDEO,
        ResultKind.VIDEO,
        ImageToVideoRequest,
        EVERYWHERE,
    ),
    "multi-image2video": (
        {KLING: "videos/multi-image2video", COMET: "videos/multi-image2video"},
        Family.VIDEO,
        ResultKind.VIDEO,
        MultiImageToVideoRequest,
        EVERYWHERE,
    ),
    "multi-image2image": (
        {KLING: "images/multi-image2image", COMET: "images/generations"},
        Family.IMAGE,
        ResultKind.IMAGE,
        MultiImageToImageRequest,
        (),
    ),
    "image-generation": (
        {KLING: "images/generations", COMET: "images/generations"},
        Family.IMAGE,
        ResultKind.IMAGE,
        ImageGenerationRequest,
        (),
    ),
    "omni-image": (
        {KLING: "images/omni-image"},
        Family.IMAGE,
        ResultKind.IMAGE,
        OmniImageRequest,
        (),
    ),
    "multi-shot": (
        {KLING: "general/ai-multi-shot"},
        Family.IMAGE,
        ResultKind.IMAGE,
        MultiShotRequest,
        (),
    ),
    "video-extend": (
        {KLING: "videos/video-extend", COMET: "videos/video-extend"},
        Family.VIDEO,
        ResultKind.VIDEO,
        VideoExtendRequest,
        (),
    ),
    "lip-sync": (
        {KLING: "videos/lip-sync", COMET: "videos/lip-sync"},
        Family.VIDEO,
        ResultKind.VIDEO,
        LipSyncRequest,
        (),
    ),
    "advanced-lip-sync": (
        {KLING: "videos/advanced-lip-sync", COMET: "videos/advanced-lip-sync"},
        Family.VIDEO,
        ResultKind.VIDEO,
        AdvancedLipSyncRequest,
        (),
    ),
    "effects": (
        {KLING: "videos/effects", COMET: "videos/effects"},
        Family.VIDEO,
        ResultKind.VIDEO,
        VideoEffectRequest,
        EVERYWHERE,
    ),
    "image-expand": (
        {KLING: "images/editing/expand"},
        Family.IMAGE,
        ResultKind.IMAGE,
        ImageExpandRequest,
        (),
    ),
    "virtual-try-on": (
        {KLING: "images/kolors-virtual-try-on", COMET: "images/kolors-virtual-try-on"},
        Family.TRY_ON,
        ResultKind.IMAGE,
        VirtualTryOnRequest,
        (),
    ),
    "multi-elements": (
        {KLING: "videos/multi-elements", COMET: "videos/multi-elements"},
        Family.VIDEO,
        ResultKind.VIDEO,
        MultiElementsRequest,
        EVERYWHERE,
    ),
    "text-to-audio": (
        {KLING: "audio/text-to-audio", COMET: "audio/text-to-audio"},
        Family.VIDEO,
        ResultKind.AUDIO,
        TextToAudioRequest,
        OFFICIAL,
    ),
    "video-to-audio": (
        {KLING: "audio/video-to-audio"},
        Family.VIDEO,
        ResultKind.AUDIO,
        VideoToAudioRequest,
        OFFICIAL,
    ),
    "avatar": (
        {KLING: "videos/avatar/image2video", COMET: "videos/avatar/image2video"},
        Family.VIDEO,
        ResultKind.VIDEO,
        AvatarRequest,
        OFFICIAL,
    ),
}
AUDIO = ("text-to-audio", "video-to-audio", "avatar")
"""The audio rows and the avatar (tests/test_audio.py), listed after the library's."""
NEW_STANDARD = {
    "text-to-video": NewTextToVideoRequest,
    "image-to-video": NewImageToVideoRequest,
    "omni-video": OmniVideoRequest,
    "motion-control": MotionControlRequest,
}
"""The newer standard's rows: official only, the model in the path, tasks read at /tasks."""
LIBRARY = ("element", "voice")
"""The library's rows (tests/test_library.py): official only, served by `simulator.library`."""
COMETAPI_MISSING = (
    "image-expand",
    "omni-image",
    "multi-shot",
    *NEW_STANDARD,
    *LIBRARY,
    "video-to-audio",
)


def test_the_table_has_exactly_these_endpoints():
    legacy = [name for name, row in ENDPOINTS.items() if row.standard is ApiStandard.LEGACY]
    newer = [name for name, row in ENDPOINTS.items() if row.standard is ApiStandard.NEW]
    before_audio = [name for name in TABLE if name not in AUDIO]
    assert (legacy, newer) == ([*before_audio, *LIBRARY, *AUDIO], list(NEW_STANDARD))


@pytest.mark.parametrize("name", NEW_STANDARD)
def test_every_newer_standard_row(name):
    row = get_endpoint(name)
    assert row.request_model is NEW_STANDARD[name]
    assert row.providers == [KLING]
    assert (row.family, row.result_kind) == (Family.VIDEO, ResultKind.VIDEO)
    model = row.limits[KLING].models[0]
    assert row.create_path(KLING, model) == f"{name}/{model}"
    # Their tasks are read in bulk at /tasks, never through pages of a list.
    assert row.list_query == frozenset()
    with pytest.raises(KlingValidationError, match="model_name"):
        row.create_path(KLING, "../v1/videos")


@pytest.mark.parametrize(
    ("legacy", "newer"), [("text2video", "text-to-video"), ("image2video", "image-to-video")]
)
def test_legacy_rows_name_their_newer_twin(legacy, newer):
    assert get_endpoint(legacy).newer == newer


@pytest.mark.parametrize("name", TABLE)
def test_every_row(name):
    paths, family, kind, model, by_external_id = TABLE[name]
    row = get_endpoint(name)
    assert row.name == name
    assert dict(row.paths) == paths
    assert (row.family, row.result_kind, row.request_model) == (family, kind, model)
    assert issubclass(row.request_model, KlingRequest)
    assert row.query_by_external_id == frozenset(by_external_id)
    assert row.list_query == frozenset(paths)
    assert row.providers == [provider for provider in Provider if provider in paths]
    for provider, path in paths.items():
        assert row.supports(provider)
        assert row.create_path(provider) == path
        assert row.query_path(provider, "8672") == f"{path}/8672"


def test_cometapi_routes_follow_its_action_list():
    # CometAPI queries `{images|videos|audio}/{action}/<id>` for these actions only, and
    # lists avatar and text-to-audio (kling-api.md, section 11) at paths its seed pages do
    # not give: the official ones are assumed.
    actions = {
        "text-to-audio",
        "avatar/image2video",
        "text2video",
        "image2video",
        "multi-image2video",
        "lip-sync",
        "advanced-lip-sync",
        "video-extend",
        "effects",
        "multi-elements",
        "generations",
        "kolors-virtual-try-on",
    }
    for row in ENDPOINTS.values():
        if row.supports(COMET):
            family, action = row.create_path(COMET).split("/", 1)
            assert family in {"images", "videos", "audio"} and action in actions, row.name
        else:
            assert row.name in COMETAPI_MISSING


@pytest.mark.parametrize("name", COMETAPI_MISSING)
def test_a_missing_route_is_a_clear_validation_error_naming_the_provider(name):
    row = get_endpoint(name)
    assert not row.supports(COMET)
    for call in (
        lambda: row.create_path(COMET),
        lambda: row.query_path(COMET, "1"),
    ):
        with pytest.raises(KlingValidationError) as caught:
            call()
        assert caught.value.endpoint == name
        assert caught.value.fields == ["provider"]
        because = f" ({row.refusals[COMET]})" if COMET in row.refusals else ""
        assert str(caught.value) == (
            f"Invalid request for {name}: provider: 'cometapi' has no {name} route{because}; "
            "allowed: kling"
        )


def test_image_expand_says_why_cometapi_lacks_it():
    assert "answered 404 in 2026-03" in get_endpoint("image-expand").refusals[COMET]


# A valid request per CometAPI-less endpoint: refused for the route, never for its content.
VALID = {
    "image-expand": {"image": "https://example.com/a.png", "up_expansion_ratio": 0.5},
    "omni-image": {"prompt": "a fox"},
    "multi-shot": {"element_frontal_image": "https://example.com/a.png"},
}


def test_the_client_refuses_missing_routes_before_sending_anything():
    config = SimulatorConfig(queue_seconds=0, processing_seconds=0.1)
    with KlingSimulator(config) as sim, sim.credentials("cometapi").get_client() as client:
        before = sim.stats().requests
        for name, request in VALID.items():
            with pytest.raises(KlingValidationError, match=f"'cometapi' has no {name} route"):
                client.create(name, request)
            with pytest.raises(KlingValidationError, match="'cometapi' has no"):
                client.get_task(name, "8672")
            with pytest.raises(KlingValidationError, match="'cometapi' has no"):
                client.list_tasks(name)
        assert sim.stats().requests == before


def test_list_query_never_names_a_provider_without_the_route():
    row = Endpoint(
        name="x",
        family=Family.VIDEO,
        paths={KLING: "videos/x"},
        request_model=VideoExtendRequest,
        result_kind=ResultKind.VIDEO,
        query_by_external_id=frozenset(Provider),
        list_query=frozenset(Provider),
    )
    assert row.list_query == row.query_by_external_id == frozenset({KLING})


def test_unknown_endpoint_lists_the_known_names():
    with pytest.raises(KlingValidationError) as caught:
        get_endpoint("text2music")
    assert caught.value.fields == ["endpoint"]
    assert "allowed: text2video, image2video" in str(caught.value)
    assert "virtual-try-on" in str(caught.value)


def test_routes_that_create_no_task():
    library = {route.name: route for route in LIBRARY_ROUTES}
    selections = {route.name: route for route in SELECTION_CALLS}
    expected = {
        "identify-face": IDENTIFY_FACE,
        "account-costs": ACCOUNT_COSTS,
        **selections,
        **{route.name: route for route in ACCOUNT_LEDGERS.values()},
        **library,
        "image-recognize": IMAGE_RECOGNIZE,
        "tts": TTS,
    }
    assert dict(ROUTES) == expected

    assert IDENTIFY_FACE.method == "POST"
    assert IDENTIFY_FACE.path(KLING) == IDENTIFY_FACE_PATH == "videos/identify-face"
    assert not IDENTIFY_FACE.account
    assert (IDENTIFY_FACE.request_model, IDENTIFY_FACE.response_model) == (
        IdentifyFaceRequest,
        IdentifyFaceResult,
    )

    assert ACCOUNT_COSTS.method == "GET"
    assert ACCOUNT_COSTS.path(KLING) == ACCOUNT_COSTS_PATH == "account/costs"
    assert ACCOUNT_COSTS.account
    assert (ACCOUNT_COSTS.request_model, ACCOUNT_COSTS.response_model) == (
        AccountCostsQuery,
        AccountCosts,
    )

    assert IDENTIFY_FACE.path(COMET) == IDENTIFY_FACE_PATH  # CometAPI lists it
    selections = [route for name, route in ROUTES.items() if name.startswith("multi-elements-")]
    steps = ("init", "add", "delete", "clear", "preview")
    assert [route.path(COMET) for route in selections] == [
        f"videos/multi-elements/{step}-selection" for step in steps
    ]
    served_by_both = (IDENTIFY_FACE, *selections)
    for route in (route for route in ROUTES.values() if route not in served_by_both):
        assert not route.supports(COMET)
        with pytest.raises(KlingValidationError) as caught:
            route.path(COMET)
        assert caught.value.fields == ["provider"]
        assert f"'cometapi' has no {route.name} route; allowed: kling" in str(caught.value)


def test_families_name_their_prefect_concurrency_limits_per_account():
    assert [family.limit_name("a1b2c3d4") for family in Family] == [
        "kling-video-a1b2c3d4",
        "kling-image-a1b2c3d4",
        "kling-try-on-a1b2c3d4",
    ]


# --- every row has a simulator route, a CLI command and a docs section --------------------------

ROOT = Path(__file__).resolve().parents[1]
URL = "https://img.test/a.png"
SIM_RESULT = {ResultKind.VIDEO: "video", ResultKind.IMAGE: "images", ResultKind.AUDIO: "audios"}
# Video to audio answers the video with its new sound as well as the audio track.
SIM_RESULT_OF = {"video-to-audio": "dubbed"}


@pytest.mark.parametrize("name", TABLE)
def test_every_row_has_a_simulator_route_where_it_has_a_path(name):
    # The simulator keeps its own table (it must stay independent); both must agree.
    row = get_endpoint(name)
    for provider in Provider:
        if not row.supports(provider):
            assert resolve(provider.value, "POST", row.create_path(KLING)) is None, provider
            continue
        path = row.create_path(provider)
        create = resolve(provider.value, "POST", path)
        assert create is not None and create.kind == "create", provider
        assert {served.family for served in create.endpoints} == {row.family.value}
        result = SIM_RESULT_OF.get(name, SIM_RESULT[row.result_kind])
        assert {served.result for served in create.endpoints} == {result}
        assert resolve(provider.value, "GET", f"{path}/8672").kind == "query"
        if provider in row.list_query:
            assert resolve(provider.value, "GET", path).kind == "list"


def test_every_route_that_creates_no_task_has_a_simulator_route():
    # The library's are `simulator.library`'s (tests/simulator/test_library_routes.py).
    library = {route.name for route in LIBRARY_ROUTES}
    for route in [route for name, route in ROUTES.items() if name not in library]:
        for provider in route.paths:
            served = resolve(
                provider.value, route.method, route.path(provider), account=route.account
            )
            assert served is not None and served.call is not None
            assert served.call.name == route.name


# One command line per row: the row's command makes a request for the row's endpoint.
COMMAND_LINES = {
    "text2video": ["text2video", "--prompt", "fox"],
    "image2video": ["image2video", "--image", URL],
    "multi-image2video": ["multi-image2video", "--image", URL, "--prompt", "fox"],
    "multi-image2image": ["multi-image2image", "--subject", URL],
    "image-generation": ["image", "--prompt", "fox"],
    "omni-image": ["omni-image", "--prompt", "fox", "--image", URL, "--n", "2"],
    "multi-shot": ["multi-shot", "--image", URL],
    "video-extend": ["extend", "859402"],
    "lip-sync": ["lip-sync", "--video-id", "1", "--text", "hi", "--voice-id", "v"],
    "advanced-lip-sync": ["lip-sync", "--advanced", "--video-id", "1", "--audio", URL],
    "effects": ["effect", "color_mixing", "--image", URL],
    "image-expand": ["expand", "--image", URL, "--up", "0.5"],
    "virtual-try-on": ["try-on", "--human", URL],
    "multi-elements": [
        "multi-elements",
        "--video-id",
        "8594",
        "--select",
        "0:0.5,0.5",
        "--edit-mode",
        "removal",
        "--prompt",
        "Delete the cup from <<<video_1>>>",
    ],
    "text-to-audio": ["text2audio", "--prompt", "rain", "--duration", "4"],
    "video-to-audio": ["video2audio", "--video-id", "1", "--bgm-prompt", "piano"],
    "avatar": ["avatar", "--image", URL, "--audio-id", "a-1"],
}


@pytest.mark.parametrize("name", TABLE)
def test_every_row_has_a_cli_command(name):
    row = get_endpoint(name)
    assert row.command is not None
    argv = COMMAND_LINES[name]
    assert argv[0] == row.command.name
    assert re.search(rf"^ {{4}}{re.escape(row.command.name)}\b", build_parser().format_help(), re.M)
    command, first_row = generation_commands()[row.command.name]
    assert command is row.command
    endpoint, fields = command.to_request(first_row.name, build_parser().parse_args(argv))
    assert endpoint == name
    if name == "advanced-lip-sync":  # names its video: identify-face completes it
        LipSyncPlan.check(fields, KLING)
    elif name == "multi-elements":  # names its video: the selection session completes it
        MultiElementsPlan.check(fields, KLING)
    else:
        validate_request(name, KLING, fields)


def test_the_cli_lists_the_commands_in_the_rows_order():
    assert list(generation_commands()) == [
        "text2video",
        "image2video",
        "multi-image2video",
        "omni-video",
        "motion-control",
        "multi-image2image",
        "image",
        "omni-image",
        "multi-shot",
        "extend",
        "lip-sync",
        "effect",
        "expand",
        "try-on",
        "multi-elements",
        "text2audio",
        "video2audio",
        "avatar",
    ]


def test_every_row_has_a_docs_section():
    headings = [
        line.removeprefix("## ").strip()
        for page in sorted((ROOT / "docs" / "endpoints").glob("*.md"))
        for line in page.read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    ]
    titles = [row.title for row in ENDPOINTS.values()]
    assert len(set(titles)) == len(titles)
    for title in titles:
        assert title in headings


def test_every_row_has_a_unit_estimate():
    for row in ENDPOINTS.values():
        assert row.estimate({}) > 0, row.name


def test_omni_video_says_why_cometapi_lacks_it():
    assert "kling-video-o1 only" in get_endpoint("omni-video").refusals[COMET]
