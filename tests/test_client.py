import json
from datetime import UTC, datetime

import httpx
import jwt
import pytest

from prefect_kling import KlingCredentials
from prefect_kling._retry import RetryPolicy
from prefect_kling.client import MAX_PAGE_SIZE, derive_external_task_id, prepare_create
from prefect_kling.exceptions import (
    KlingConcurrencyLimited,
    KlingContentRejected,
    KlingError,
    KlingExternalIdInUse,
    KlingInsufficientBalance,
    KlingNotFound,
    KlingServerError,
    KlingValidationError,
)
from prefect_kling.providers import Provider
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY
from tests.fakes import ScriptedKling, envelope, task_data

KLING = {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "base_url": "http://kling.test"}
COMET = {"provider": "cometapi", "api_key": API_KEY, "base_url": "http://kling.test"}


def derived_id(endpoint: str, request: dict) -> str:
    """The external id the client derives for a request sent to Kling's official API."""
    return prepare_create(endpoint, request, Provider.KLING).external_task_id


class TaskStore:
    """A stateful fake Kling: creates really make tasks, faults are scripted per create."""

    def __init__(self, prefix: str, *create_faults: str):
        self.prefix = prefix
        self.tasks: dict[str, dict] = {}
        self.faults = list(create_faults)
        self.creates = 0
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix(self.prefix)
        if request.method == "POST":
            self.creates += 1
            fault = self.faults.pop(0) if self.faults else None
            if fault == "refuse-1303":
                return envelope(
                    code=1303, message="parallel task over resource pack limit", status=429
                )
            body = json.loads(request.content)
            external = body.get("external_task_id")
            if any(t["task_info"].get("external_task_id") == external for t in self.tasks.values()):
                return envelope(code=1201, message="external_task_id already exists", status=400)
            task = task_data(str(1000 + len(self.tasks)), external=external)
            task["endpoint"] = path
            self.tasks[task["task_id"]] = task
            if fault == "5000":
                return envelope(code=5000, message="server error", status=500)
            if fault == "html":
                return httpx.Response(
                    502, text="<html>Bad gateway</html>", headers={"content-type": "text/html"}
                )
            if fault == "drop":
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            if fault == "timeout":
                raise httpx.ReadTimeout("timed out")
            return envelope(task)
        if "pageNum" in request.url.params:
            ordered = sorted(self.tasks.values(), key=lambda t: -int(t["task_id"]))
            return envelope([t for t in ordered if t["endpoint"] == path])
        key = path.rsplit("/", 1)[-1]
        for task in self.tasks.values():
            if key in (task["task_id"], task["task_info"].get("external_task_id")):
                return envelope(task)
        return envelope(code=1203, message="task not found", status=404)


def make_client(transport_handler, provider=KLING, sleeps=None, asynchronous=False, **options):
    creds = KlingCredentials(**provider)
    recorded = [] if sleeps is None else sleeps
    if asynchronous:

        async def asleep(seconds):
            recorded.append(seconds)

        return creds.get_async_client(
            transport=httpx.MockTransport(transport_handler), sleep=asleep, **options
        )
    return creds.get_client(
        transport=httpx.MockTransport(transport_handler), sleep=recorded.append, **options
    )


def test_official_paths_and_jwt_header():
    kling = ScriptedKling().on("POST", "/v1/videos/text2video", envelope(task_data("1")))
    with make_client(kling) as client:
        ref = client.create("text2video", {"prompt": "a fox"})
    request = kling.requests[0]
    token = request.headers["Authorization"].removeprefix("Bearer ")
    assert jwt.decode(token, SECRET_KEY, algorithms=["HS256"])["iss"] == ACCESS_KEY
    assert ref.task_id == "1" and ref.endpoint == "text2video" and ref.provider == "kling"
    assert request.headers["content-type"] == "application/json"


def test_cometapi_paths_and_bearer_header():
    kling = ScriptedKling().on("POST", "/kling/v1/videos/text2video", envelope(task_data("2")))
    with make_client(kling, COMET) as client:
        client.create("text2video", {"prompt": "a fox"})
    assert kling.requests[0].headers["Authorization"] == f"Bearer {API_KEY}"


@pytest.mark.parametrize(
    ("provider", "path", "scene_key"),
    [
        (KLING, "/v1/images/multi-image2image", "scene_image"),
        (COMET, "/kling/v1/images/generations", "scence_image"),
    ],
)
def test_multi_image_to_image_route_and_spelling_per_provider(provider, path, scene_key):
    kling = ScriptedKling().on("POST", path, envelope(task_data("3")))
    subjects = [{"subject_image": f"https://img.test/{i}.png"} for i in range(2)]
    with make_client(kling, provider) as client:
        ref = client.create(
            "multi-image2image",
            {
                "subject_image_list": subjects,
                "scene_image": "https://img.test/s.png",
                "prompt": "p",
            },
        )
    body = ScriptedKling.body(kling.requests[0])
    assert body[scene_key] == "https://img.test/s.png"
    assert ref.endpoint == "multi-image2image"


def test_every_create_carries_a_content_derived_external_id():
    kling = ScriptedKling(default=lambda r: envelope(task_data("4")))
    with make_client(kling) as client:
        first = client.create("text2video", {"prompt": "a fox"})
        client.create("text2video", {"prompt": "a fox"}, idempotency_key="take-2")
        client.create("text2video", {"prompt": "a fox", "external_task_id": "mine-1"})
    ids = [ScriptedKling.body(r)["external_task_id"] for r in kling.requests]
    assert ids[0] == derived_id("text2video", {"prompt": "a fox"})
    assert ids[1] != ids[0] and ids[2] == "mine-1"
    assert first.external_task_id == ids[0]


@pytest.mark.parametrize("fault", ["5000", "drop", "timeout", "html"])
@pytest.mark.parametrize("provider", [KLING, COMET])
def test_ambiguous_create_is_reconciled_to_exactly_one_task(fault, provider):
    prefix = "/v1" if provider is KLING else "/kling/v1"
    store = TaskStore(prefix, fault)
    with make_client(store, provider) as client:
        ref = client.create("text2video", {"prompt": "a fox"})
    assert len(store.tasks) == 1
    assert ref.task_id == next(iter(store.tasks))
    assert store.creates == 1


async def test_ambiguous_create_is_reconciled_async():
    store = TaskStore("/v1", "5000")
    async with make_client(store, asynchronous=True) as client:
        ref = await client.create("text2video", {"prompt": "a fox"})
    assert list(store.tasks) == [ref.task_id] and store.creates == 1


def test_image_endpoint_reconciles_through_list_queries():
    store = TaskStore("/v1", "5000")
    subjects = [{"subject_image": f"https://img.test/{i}.png"} for i in range(2)]
    with make_client(store) as client:
        ref = client.create("multi-image2image", {"subject_image_list": subjects, "prompt": "p"})
    assert list(store.tasks) == [ref.task_id] and store.creates == 1
    lookups = [r for r in store.requests if r.method == "GET"]
    assert lookups and all("pageNum" in r.url.params for r in lookups)


def test_create_is_sent_again_only_when_the_lookup_finds_nothing():
    kling = ScriptedKling()
    kling.on(
        "POST", "/v1/videos/text2video", envelope(code=5000, message="server error", status=500)
    )
    kling.on("POST", "/v1/videos/text2video", envelope(task_data("9")))
    sleeps = []
    with make_client(kling, sleeps=sleeps) as client:
        ref = client.create("text2video", {"prompt": "a fox"})
    methods = [(r.method, r.url.path.rsplit("/", 1)[-1]) for r in kling.requests]
    assert (
        methods[0] == ("POST", "text2video")
        and methods[1][0] == "GET"
        and methods[2] == ("POST", "text2video")
    )
    assert ref.task_id == "9" and len(sleeps) == 1


def test_duplicate_external_id_answer_adopts_the_existing_task():
    store = TaskStore("/v1")
    with make_client(store) as client:
        first = client.create("text2video", {"prompt": "a fox"})
        again = client.create("text2video", {"prompt": "a fox"})
    assert again.task_id == first.task_id and len(store.tasks) == 1 and store.creates == 2


@pytest.mark.parametrize("own_id", [False, True], ids=["derived-id", "callers-id"])
def test_duplicate_external_id_is_looked_up_past_the_newest_page(own_id):
    # The refused create's task is older than the create, however many tasks came since.
    # A derived id names this content: its task is adopted. A caller's id does not: the
    # task is named in the refusal, not taken.
    path = "/v1/images/multi-image2image"
    subjects = [{"subject_image": f"https://img.test/{i}.png"} for i in range(2)]
    request = {"subject_image_list": subjects, "prompt": "p"}
    if own_id:
        request["external_task_id"] = "mine"
    external = derived_id("multi-image2image", request)
    kling = ScriptedKling()
    refusal = envelope(
        code=1201, message=f"external_task_id {external!r} already exists", status=400
    )
    kling.on("POST", path, refusal)
    newer = [task_data(str(n)) for n in range(MAX_PAGE_SIZE)]
    kling.on("GET", path, envelope(newer), envelope([task_data("7", "succeed", external=external)]))
    with make_client(kling) as client:
        if own_id:
            with pytest.raises(KlingExternalIdInUse) as raised:
                client.create("multi-image2image", request)
            assert (raised.value.external_task_id, raised.value.task_id) == ("mine", "7")
        else:
            assert client.create("multi-image2image", request).task_id == "7"
    assert [r.url.params["pageNum"] for r in kling.calls("GET", path)] == ["1", "2"]
    assert len(kling.calls("POST", path)) == 1


def test_a_reuse_lookup_scans_no_older_than_the_earlier_send():
    # The earlier attempt marked its send at `sent`: a full page of older tasks ends the scan.
    path = "/v1/images/multi-image2image"
    kling = ScriptedKling()
    older = [task_data(str(n)) for n in range(MAX_PAGE_SIZE)]  # made in March 2026
    kling.on("GET", path, envelope(older))
    kling.on("POST", path, envelope(task_data("7", external="mine")))
    subjects = [{"subject_image": f"https://img.test/{i}.png"} for i in range(2)]
    request = {"subject_image_list": subjects, "prompt": "p", "external_task_id": "mine"}
    sent = datetime(2026, 11, 1, tzinfo=UTC)
    with make_client(kling) as client:
        reference = client.create(
            "multi-image2image", request, reuse_existing=True, sent_since=sent
        )
    assert reference.task_id == "7"
    assert [r.url.params["pageNum"] for r in kling.calls("GET", path)] == ["1"]
    assert len(kling.calls("POST", path)) == 1


def test_an_external_id_that_cannot_be_a_path_is_looked_for_in_lists():
    kling = ScriptedKling()
    mine = task_data("7", "succeed", external="order 12/3")
    kling.on("GET", "/v1/videos/text2video", envelope([mine]))
    with make_client(kling) as client:
        found = client.find_task("text2video", "order 12/3")
    assert found is not None and found.task_id == "7"
    assert [r.url.path for r in kling.requests] == ["/v1/videos/text2video"]  # no "/order 12/3"


def test_concurrency_limit_backs_off_and_then_creates():
    store = TaskStore("/v1", "refuse-1303", "refuse-1303", "refuse-1303")
    sleeps = []
    policy = RetryPolicy(base_delay=0.5, jitter=0.0)
    with make_client(store, sleeps=sleeps, retry_policy=policy) as client:
        ref = client.create("text2video", {"prompt": "a fox"})
    assert sleeps == [1.0, 1.0, 2.0]  # at least 1 s after a 1303, then exponential
    assert list(store.tasks) == [ref.task_id] and store.creates == 4


def test_concurrency_limit_gives_up_after_max_attempts():
    store = TaskStore("/v1", *["refuse-1303"] * 10)
    with (
        make_client(store, retry_policy=RetryPolicy(max_attempts=3)) as client,
        pytest.raises(KlingConcurrencyLimited),
    ):
        client.create("text2video", {"prompt": "a fox"})
    assert store.creates == 3 and not store.tasks


def test_insufficient_balance_fails_after_one_call():
    kling = ScriptedKling().on(
        "POST",
        "/v1/videos/text2video",
        envelope(code=1102, message="balance not enough", status=429),
    )
    sleeps = []
    with (
        make_client(kling, sleeps=sleeps) as client,
        pytest.raises(KlingInsufficientBalance) as raised,
    ):
        client.create("text2video", {"prompt": "a fox"})
    assert len(kling.requests) == 1 and sleeps == []
    assert raised.value.endpoint == "text2video"


def test_content_rejection_fails_at_once_with_kling_message():
    kling = ScriptedKling().on(
        "POST",
        "/v1/videos/text2video",
        envelope(code=1301, message="prompt refused by content safety", status=400),
    )
    with make_client(kling) as client, pytest.raises(KlingContentRejected, match="content safety"):
        client.create("text2video", {"prompt": "a fox"})
    assert len(kling.requests) == 1


def test_invalid_request_is_refused_before_sending():
    kling = ScriptedKling()
    with make_client(kling) as client, pytest.raises(KlingValidationError) as raised:
        client.create("text2video", {"prompt": "a fox", "mode": "turbo"})
    assert "mode" in str(raised.value)
    assert kling.requests == []


def test_unknown_endpoint_is_refused_before_sending():
    kling = ScriptedKling()
    with (
        make_client(kling) as client,
        pytest.raises(KlingValidationError, match="allowed: text2video"),
    ):
        client.create("text2song", {"prompt": "a fox"})
    assert kling.requests == []


def test_reads_retry_transient_errors_then_give_up():
    busy = envelope(code=5002, message="timeout", status=504)
    kling = ScriptedKling().on("GET", "/v1/videos/text2video/5", *[busy] * 3)
    sleeps = []
    with (
        make_client(
            kling, sleeps=sleeps, retry_policy=RetryPolicy(max_attempts=3, jitter=0)
        ) as client,
        pytest.raises(KlingServerError) as raised,
    ):
        client.get_task("text2video", "5")
    assert len(kling.requests) == 3 and sleeps == [1.0, 2.0]
    assert raised.value.task_id == "5"


def test_get_task_by_external_id_and_not_found():
    store = TaskStore("/v1")
    with make_client(store) as client:
        ref = client.create("text2video", {"prompt": "a fox"})
        assert (
            client.get_task("text2video", external_task_id=ref.external_task_id).task_id
            == ref.task_id
        )
        with pytest.raises(KlingNotFound):
            client.get_task("text2video", external_task_id="nope")


def test_list_tasks_sends_page_parameters():
    kling = ScriptedKling(default=lambda r: envelope([task_data("1"), task_data("2")]))
    with make_client(kling) as client:
        tasks = client.list_tasks("image2video", page=2, page_size=500)
    assert [t.task_id for t in tasks] == ["1", "2"]
    assert dict(kling.requests[0].url.params) == {"pageNum": "2", "pageSize": "500"}


def test_an_inconclusive_lookup_never_sends_the_create_again():
    kling = ScriptedKling()
    kling.on(
        "POST", "/v1/videos/text2video", envelope(code=5000, message="server error", status=500)
    )
    kling.on(
        "GET",
        "/v1/videos/text2video/" + derived_id("text2video", {"prompt": "a fox"}),
        *[envelope(code=1002, message="invalid", status=401)],
    )
    with make_client(kling) as client, pytest.raises(KlingError):
        client.create("text2video", {"prompt": "a fox"})
    assert len(kling.calls("POST", "/v1/videos/text2video")) == 1


@pytest.mark.parametrize("fault", ["create_error_after", "drop_after_create"])
@pytest.mark.parametrize("provider", ["kling", "cometapi"])
def test_reconciliation_against_the_simulator_leaves_exactly_one_task(fault, provider):
    from prefect_kling.simulator import KlingSimulator, SimulatorConfig

    config = SimulatorConfig(access_key=ACCESS_KEY, secret_key=SECRET_KEY, api_key=API_KEY, seed=3)
    with KlingSimulator(config) as sim:
        sim.inject(fault, times=1, on="create")
        with sim.credentials(provider).get_client(sleep=lambda seconds: None) as client:
            reference = client.create("text2video", {"prompt": f"once only {fault}"})
        stats = sim.stats()
        assert stats.faults_injected.get(fault) == 1
        assert stats.tasks_created == 1
        assert [task["task_id"] for task in sim.tasks()] == [reference.task_id]


def test_jwt_is_reminted_across_a_two_hour_wait():
    from pydantic import SecretStr

    from prefect_kling._auth import KlingJWTAuth
    from prefect_kling.models.kling_task import TaskReference
    from prefect_kling.waiting import PollSchedule, poll_task

    now = [1_800_000_000.0]
    expired_answers = []

    def kling(request):
        token = request.headers["Authorization"].removeprefix("Bearer ")
        claims = jwt.decode(
            token,
            SECRET_KEY,
            algorithms=["HS256"],
            options={"verify_exp": False, "verify_nbf": False},
        )
        if claims["exp"] <= now[0]:
            expired_answers.append(token)
            return envelope(code=1004, message="token expired", status=401)
        finished = now[0] >= 1_800_000_000.0 + 7200
        return envelope(task_data("5", "succeed" if finished else "processing"))

    credentials = KlingCredentials(**KLING)
    auth = KlingJWTAuth(SecretStr(ACCESS_KEY), SecretStr(SECRET_KEY), clock=lambda: now[0])
    credentials._auth = auth

    def sleep(seconds):
        now[0] += seconds

    with credentials.get_client(transport=httpx.MockTransport(kling), sleep=sleep) as client:
        reference = TaskReference(task_id="5", endpoint="text2video", provider="kling")
        task = poll_task(
            client,
            reference,
            schedule=PollSchedule(30, 60, 2),
            clock=lambda: now[0],
            sleep=sleep,
            max_wait_seconds=10_000,
        )
    assert task.succeeded
    assert expired_answers == []
    assert auth.minted >= 4  # 2 hours of 30-minute tokens


def test_a_status_query_answered_200_text_plain_is_retried():
    garbled = httpx.Response(200, text="OK", headers={"content-type": "text/plain"})
    finished = envelope(task_data("5", "succeed"))
    kling = ScriptedKling().on("GET", "/v1/videos/text2video/5", garbled, finished)
    sleeps = []
    with make_client(kling, sleeps=sleeps, retry_policy=RetryPolicy(jitter=0)) as client:
        task = client.get_task("text2video", "5")
    assert task.task_status == "succeed"
    assert len(kling.requests) == 2 and sleeps == [1.0]


def test_the_same_request_with_its_defaults_spelled_out_is_one_task():
    store = TaskStore("/v1")
    spellings = [
        {"prompt": "a fox"},
        {"prompt": "a fox", "duration": "5"},
        {"prompt": "a fox", "duration": "5", "mode": "std", "model_name": "kling-v1"},
        {"prompt": "a fox", "negative_prompt": None},
    ]
    with make_client(store) as client:
        references = [client.create("text2video", request) for request in spellings]
        other = client.create("text2video", {"prompt": "a fox", "duration": "10"})
    assert {reference.task_id for reference in references} == {references[0].task_id}
    assert other.task_id != references[0].task_id
    assert len(store.tasks) == 2


def test_kling_refusing_a_callers_id_as_a_duplicate_is_not_adopted():
    store = TaskStore("/v1")
    with make_client(store) as client:
        cat = client.create("text2video", {"prompt": "a red cat", "external_task_id": "job-42"})
        with pytest.raises(KlingExternalIdInUse) as raised:
            client.create(
                "text2video",
                {"prompt": "a blue dog", "duration": "10", "external_task_id": "job-42"},
            )
    assert "job-42" in str(raised.value) and cat.task_id in str(raised.value)
    assert raised.value.fields == ["external_task_id"]
    assert len(store.tasks) == 1


async def test_kling_refusing_a_callers_id_as_a_duplicate_is_not_adopted_async():
    store = TaskStore("/v1")
    async with make_client(store, asynchronous=True) as client:
        cat = await client.create("text2video", {"prompt": "a cat", "external_task_id": "job-7"})
        with pytest.raises(KlingExternalIdInUse) as raised:
            await client.create("text2video", {"prompt": "a dog", "external_task_id": "job-7"})
        again = await client.create(
            "text2video", {"prompt": "a cat", "external_task_id": "job-7"}, reuse_existing=True
        )
    assert raised.value.task_id == cat.task_id and again.task_id == cat.task_id
    assert len(store.tasks) == 1


def test_a_callers_id_found_after_a_timeout_is_not_adopted_when_made_before_this_create():
    # The lookup after an ambiguous failure finds a task made months before this create:
    # another request's, whatever its external id says.
    kling = ScriptedKling()
    kling.on("POST", "/v1/videos/text2video", httpx.ReadTimeout("timed out"))
    old = task_data("7", "succeed", external="job-42")  # made in March 2026
    kling.on("GET", "/v1/videos/text2video/job-42", envelope(old))
    with make_client(kling) as client, pytest.raises(KlingExternalIdInUse) as raised:
        client.create("text2video", {"prompt": "a blue dog", "external_task_id": "job-42"})
    assert "job-42" in str(raised.value) and "7" in str(raised.value)
    assert len(kling.calls("POST", "/v1/videos/text2video")) == 1


def test_a_reuse_lookup_also_finds_a_task_sent_under_the_earlier_id_scheme():
    earlier = derive_external_task_id("text2video", {"prompt": "a fox"})  # scheme 1
    store = TaskStore("/v1")
    made = task_data("1000", "succeed", external=earlier)
    made["endpoint"] = "/videos/text2video"
    store.tasks["1000"] = made
    with make_client(store) as client:
        reference = client.create("text2video", {"prompt": "a fox"}, reuse_existing=True)
    assert reference.task_id == "1000" and store.creates == 0


def test_a_wait_rides_out_a_garbled_status_answer_from_the_simulator():
    from prefect_kling.simulator import KlingSimulator, SimulatorConfig
    from prefect_kling.waiting import PollWaiter

    config = SimulatorConfig(access_key=ACCESS_KEY, secret_key=SECRET_KEY, api_key=API_KEY)
    with KlingSimulator(config) as sim:
        runtime = sim.runtime()
        with sim.credentials().get_client(sleep=runtime.sleep) as client:
            reference = client.create("text2video", {"prompt": "a fox, answered in plain text"})
        sim.inject("garbled", times=2, on="query")
        with PollWaiter(sim.credentials(), runtime=runtime) as waiter:
            task = waiter.wait(reference, max_wait_seconds=3600)
        assert task.task_status == "succeed"
        assert sim.stats().faults_injected == {"garbled": 2}


@pytest.mark.parametrize(
    ("endpoint", "request_fields", "scheme_2", "scheme_1"),
    [
        (
            "text2video",
            {"prompt": "a fox"},
            "pk2-7d1023411d5913cbb1702d333426685e",
            "pk-c0fda18e5fa5bd351555bff69ea8590b",
        ),
        (
            "image-generation",
            {"prompt": "a fox"},
            # Changed on purpose: Kling's default image model is kling-v3 now (was kling-v1),
            # so a request without a model asks for another image (CHANGELOG, migration).
            "pk2-d60b01d078dbe0699e565bc8a2d4ffbe",
            "pk-f91a7848a2c408f8121e65b6822efbad",
        ),
        (
            "virtual-try-on",
            {"human_image": "https://img.test/a.png"},
            "pk2-3d3554f2d8391fbacf329684501f836a",
            "pk-4b3454abec15e7fca2bb94b29163123d",
        ),
    ],
)
def test_the_external_ids_of_both_schemes_never_change(
    endpoint, request_fields, scheme_2, scheme_1
):
    # The scheme-1 ids are those earlier versions sent. A change to the hashing, to a
    # row's defaults or to how a request model spells its body changes the ids of tasks
    # already made, and a rerun would pay again: make it a new scheme instead, keeping
    # this one as an earlier form (prefect_kling/client/identity.py).
    prepared = prepare_create(endpoint, request_fields, Provider.KLING)
    assert (prepared.external_task_id, prepared.earlier_ids) == (scheme_2, (scheme_1,))
