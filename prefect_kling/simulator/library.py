"""The account's library as the simulator serves it: custom elements and voices, and presets.

Routes, on the official prefix only (the gateway has none: `/kling/v1/general/...` answers
its HTML 404 page, as any unknown route there does):

    `POST /v1/general/advanced-custom-elements`: create an element (a task).
    `GET /v1/general/advanced-custom-elements[/<task id or external id>]`: list, query.
    `GET /v1/general/advanced-presets-elements`: Kling's own elements.
    `POST /v1/general/delete-advanced-elements`: delete one of yours (`element_id`).
    `POST /v1/general/custom-voices`, `GET .../custom-voices[/<id>]`: the same for voices.
    `GET /v1/general/presets-voices`, `POST /v1/general/delete-voices` (`voice_id`).
    `GET /_simulator/voices/<voice id>.wav`: a voice's sample (`trial_url`), no auth.

A request is logged, counted, authenticated (`KlingApi.authenticate`), exposed to the faults
and rate limited (`KlingApi.gate`) as every API request is; a create also to the faults
after it (`KlingApi.created`), so that a client finds its task again by external id.

A creation runs on the simulator's clock like any task (`submitted`, `processing`,
`succeed`, see `library_store`) and costs nothing (Kling's pages state no price). The
refusal word in a name or description refuses the create (1301), the failure word makes
the task fail later, and an image Kling would not take (format, sides, aspect) fails it
too, as for the other tasks.

The limits are the simulator's own, written from Kling's element and voice pages apart
from the client's models, so that the two check each other. Checks a create body fails
answer 400/1201 naming the field; an unknown entry to delete 404/1203; a preset 400/1201.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from prefect_kling.audio import make_wav
from prefect_kling.simulator.api import KlingApi
from prefect_kling.simulator.fields import Fields
from prefect_kling.simulator.library_store import linked
from prefect_kling.simulator.orders import Invalid
from prefect_kling.simulator.refusals import CONTENT_REFUSAL_MESSAGE
from prefect_kling.simulator.state import SimulatorState
from prefect_kling.simulator.timeline import RISK_CONTROL_MESSAGE, shorten

# --- Kling's limits, from its element and voice pages. ----------------------------------------

NAME_MAX = 20
DESCRIPTION_MAX = 100
REFERENCE_TYPES = ("image_refer", "video_refer")
REFER_IMAGES = (1, 3)
TAG_IDS = ("o_101", "o_102", "o_103", "o_104", "o_105", "o_106", "o_107", "o_108")
MAX_PAGE = 1000
PAGE_SIZES = {"element": 500, "voice": 1000}
ACCOUNT_CREATOR_ID = "2210458"
"""`owned_by` of the account's own elements and voices (Kling's presets say `kling`)."""
SAMPLE_SECONDS = 5.0
"""Length of a voice's sample (`trial_url`)."""

# --- Kling's presets, as the simulator's account sees them. -------------------------------------

PRESETS_CREATED_MS = 1_767_225_600_000  # 2026-01-01
PRESET_VOICES = (
    {"voice_id": "829812475634184201", "voice_name": "Calm narrator"},
    {"voice_id": "829812475634184202", "voice_name": "Bright host"},
    {"voice_id": "829812475634184203", "voice_name": "Deep baritone"},
)
PRESET_ELEMENTS = (
    {
        "element_id": "829812475634185101",
        "element_name": "Astronaut",
        "element_description": "An astronaut in a white suit with a gold visor",
        "reference_type": "image_refer",
        "tag_list": [{"tag_id": "o_102"}],
        "voice_id": "829812475634184203",
    },
    {
        "element_id": "829812475634185102",
        "element_name": "Corgi",
        "element_description": "A corgi with a red collar",
        "reference_type": "image_refer",
        "tag_list": [{"tag_id": "o_103"}],
    },
    {
        "element_id": "829812475634185103",
        "element_name": "Vintage car",
        "element_description": "A mint-green convertible from the fifties",
        "reference_type": "image_refer",
        "tag_list": [{"tag_id": "o_104"}],
    },
)


def sample_link(voice_id: str) -> str:
    """Where a voice's sample is served, relative to the simulator's address."""
    return f"/_simulator/voices/{voice_id}.wav"


def preset_voice(voice_id: str) -> dict[str, Any] | None:
    """A preset voice as lists show it (its link relative), or `None`."""
    voice = next((item for item in PRESET_VOICES if item["voice_id"] == voice_id), None)
    if voice is None:
        return None
    return {**voice, "trial_url": sample_link(voice_id), "owned_by": "kling", "status": "succeed"}


def preset_element(element: dict[str, Any]) -> dict[str, Any]:
    """A preset element as lists show it, with its voice (if any)."""
    fields = {key: value for key, value in element.items() if key != "voice_id"}
    voice = preset_voice(element.get("voice_id", ""))
    return {
        **fields,
        "element_image_list": {},
        "element_video_list": {},
        "element_voice_info": voice or {},
        "owned_by": "kling",
        "status": "succeed",
    }


def preset_tasks(kind: str, base_url: str) -> list[dict[str, Any]]:
    """The presets of a kind as the list answers them: one succeeded task each."""
    if kind == "element":
        entries = [("elements", "element_id", preset_element(item)) for item in PRESET_ELEMENTS]
    else:
        entries = [("voices", "voice_id", preset_voice(item["voice_id"])) for item in PRESET_VOICES]
    return [
        {
            "task_id": f"9{entry[id_field][1:]}",
            "task_status": "succeed",
            "task_status_msg": "",
            "task_info": {},
            "task_result": {results: [linked(entry, base_url)]},
            "created_at": PRESETS_CREATED_MS,
            "updated_at": PRESETS_CREATED_MS,
        }
        for results, id_field, entry in entries
    ]


PRESET_IDS = {
    "element": {item["element_id"] for item in PRESET_ELEMENTS},
    "voice": {item["voice_id"] for item in PRESET_VOICES},
}

# --- Create bodies. ------------------------------------------------------------------------------


class LibraryOrder:
    """What a create body asks for, read and checked: the entry, and how its task goes.

    Attributes:
        entry: The entry's fields (no id, owner or status yet).
        words: The texts the refusal and failure words are looked for in.
        failure: Why the task will fail (an image Kling would not take), or `None`.
        external_task_id: The caller's id for the task.
        callback_url: Where status changes are sent.
    """

    def __init__(self, fields: Fields, entry: dict[str, Any], words: str) -> None:
        self.entry = entry
        self.words = words
        self.failure = fields.problem()
        self.callback_url = fields.url("callback_url")
        external = fields.get("external_task_id")
        if external is not None and not isinstance(external, str):
            raise Invalid("external_task_id must be a string")
        self.external_task_id = external


def read_element(
    body: dict[str, Any], voice_of: Callable[[str], dict[str, Any] | None]
) -> LibraryOrder:
    """Check an element create body.

    Args:
        body: The body.
        voice_of: The voice a voice id names, if the element can take it.

    Raises:
        Invalid: A field Kling would refuse (400/1201, naming it).
    """
    fields = Fields(body)
    name = fields.text("element_name", max_len=NAME_MAX, required=True)
    description = fields.text("element_description", max_len=DESCRIPTION_MAX, required=True)
    reference = fields.choice("reference_type", REFERENCE_TYPES, "", required=True)
    entry: dict[str, Any] = {
        "element_name": name,
        "element_description": description,
        "reference_type": reference,
        "element_image_list": {},
        "element_video_list": {},
    }
    if reference == "image_refer":
        images = fields.nested("element_image_list")
        frontal = images.image("frontal_image", required=True)
        refer = images.image_list("refer_images", "image_url", *REFER_IMAGES)
        entry["element_image_list"] = {
            "frontal_image": kept(frontal),
            "refer_images": [{"image_url": kept(image)} for image in refer],
        }
    else:
        videos = fields.nested("element_video_list")
        [video] = videos.objects("refer_videos", 1, 1)
        entry["element_video_list"] = {
            "refer_videos": [{"video_url": video.url("video_url", required=True)}]
        }
    tags = []
    if fields.get("tag_list") is not None:
        for tag in fields.objects("tag_list", 1, len(TAG_IDS)):
            tags.append({"tag_id": tag.choice("tag_id", TAG_IDS, "", required=True)})
    entry["tag_list"] = tags
    voice_id = fields.identifier("element_voice_id")
    voice = None if voice_id is None else voice_of(voice_id)
    if voice_id is not None and voice is None:
        raise Invalid(f"element_voice_id {voice_id} is not a voice of this account")
    entry["element_voice_info"] = voice or {}
    return LibraryOrder(fields, entry, f"{name} {description}")


def kept(image: str | None) -> str:
    """An image as the element keeps it: a link as given, Base64 as a short note.

    Examples:
        >>> kept("https://example.com/a.png"), kept("iVBORw0KGgo=")
        ('https://example.com/a.png', '<12 characters of Base64>')
    """
    text = image or ""
    if text.startswith(("http://", "https://")):
        return text
    return f"<{len(text)} characters of Base64>"


def read_voice(body: dict[str, Any]) -> LibraryOrder:
    """Check a voice create body.

    Raises:
        Invalid: A field Kling would refuse (400/1201, naming it).
    """
    fields = Fields(body)
    name = fields.text("voice_name", max_len=NAME_MAX, required=True)
    source = fields.one_of("voice_url", "video_id")
    if source == "voice_url":
        fields.url("voice_url", required=True)
    else:
        fields.identifier("video_id", required=True)
    return LibraryOrder(fields, {"voice_name": name}, name)


# --- Routes. ------------------------------------------------------------------------------------

Handler = Callable[[Request], Awaitable[Response]]


class LibraryApi:
    """The library's request handlers.

    Args:
        state: The simulated account (its `library` keeps the creations).
        api: The API whose envelope, authentication and flush these answers share.
    """

    def __init__(self, state: SimulatorState, api: KlingApi) -> None:
        self.state = state
        self.api = api

    def routes(self) -> list[Route]:
        """The routes; they go before the API's catch-all."""
        element, voice = "advanced-custom-elements", "custom-voices"
        return [
            Route(
                f"/v1/general/{element}",
                self.served(self.create_or_list("element"), "list", post="create"),
                methods=["GET", "POST"],
            ),
            Route(
                f"/v1/general/{element}/{{ident}}",
                self.served(self.query("element"), "query"),
                methods=["GET"],
            ),
            Route(
                "/v1/general/advanced-presets-elements",
                self.served(self.presets("element"), "list"),
                methods=["GET"],
            ),
            Route(
                "/v1/general/delete-advanced-elements",
                self.served(self.delete("element"), "delete-element"),
                methods=["POST"],
            ),
            Route(
                f"/v1/general/{voice}",
                self.served(self.create_or_list("voice"), "list", post="create"),
                methods=["GET", "POST"],
            ),
            Route(
                f"/v1/general/{voice}/{{ident}}",
                self.served(self.query("voice"), "query"),
                methods=["GET"],
            ),
            Route(
                "/v1/general/presets-voices",
                self.served(self.presets("voice"), "list"),
                methods=["GET"],
            ),
            Route(
                "/v1/general/delete-voices",
                self.served(self.delete("voice"), "delete-voice"),
                methods=["POST"],
            ),
            Route("/_simulator/voices/{voice_id}.wav", self.sample, methods=["GET", "HEAD"]),
        ]

    def served(self, handler: Handler, counter: str, *, post: str | None = None) -> Handler:
        """The handler behind the steps every API request takes (see `KlingApi.handle`).

        Args:
            handler: Answers the request.
            counter: The call it is counted as (`list`, `query`, `delete-element`, ...).
            post: The call a `POST` is counted as instead, on a path that takes both.
        """

        async def serve(request: Request) -> Response:
            api, state = self.api, self.state
            await api.log(request)
            state.count_request()
            api.flush()
            refused = api.authenticate("kling", request)
            if refused is not None:
                return refused
            counted = post if post and request.method == "POST" else counter
            state.count_call(counted)
            # A deletion draws the faults of a call, as identify-face does: those of a read.
            scope = counted if counted in ("create", "list", "query") else "query"
            stopped = await api.gate(counted == "create", scope)
            if stopped is not None:
                return stopped
            try:
                return await handler(request)
            except Invalid as exc:
                return self.api.envelope(exc.http_status, exc.code, exc.message)

        return serve

    def succeed(self, data: Any) -> Response:
        """Kling's success envelope."""
        return self.api.envelope(200, 0, "SUCCEED", data)

    def create_or_list(self, kind: str) -> Handler:
        """`POST` creates, `GET` lists the account's own."""

        async def handle(request: Request) -> Response:
            if request.method == "POST":
                return await self.create(kind, request)
            page_num, page_size = page_of(request, PAGE_SIZES[kind])
            library = self.state.library_store
            return self.succeed(library.page(kind, page_num, page_size, self.state.base_url))

        return handle

    async def create(self, kind: str, request: Request) -> Response:
        """Check the body, then make the creation task."""
        body = await self.api.json_body(request)
        if isinstance(body, Response):
            return body
        state, config = self.state, self.state.config
        creation = read_element(body, self.voice_of) if kind == "element" else read_voice(body)
        if _contains(creation.words, config.refusal_word):
            raise Invalid(CONTENT_REFUSAL_MESSAGE, 1301)
        failure = creation.failure
        if _contains(creation.words, config.failure_word):
            failure = RISK_CONTROL_MESSAGE
        made = state.library_store.create(
            kind,
            creation.entry,
            shorten(body),
            queue_seconds=config.queue_seconds,
            processing_seconds=config.processing_seconds,
            external_task_id=creation.external_task_id,
            callback_url=creation.callback_url,
            failure=failure,
            owner=ACCOUNT_CREATOR_ID,
        )
        return self.api.created(made)  # the after-create faults, the `submitted` callback

    def voice_of(self, voice_id: str) -> dict[str, Any] | None:
        """The preset or account voice an id names, unless deleted; else `None`."""
        voice = preset_voice(voice_id) or self.state.library_store.entry("voice", voice_id)
        return voice if voice is not None and voice["status"] != "deleted" else None

    def query(self, kind: str) -> Handler:
        """`GET` one creation by task id or external id."""

        async def handle(request: Request) -> Response:
            ident = request.path_params["ident"]
            found = self.state.library_store.query(kind, ident, self.state.base_url)
            if found is None:
                raise Invalid(f"task {ident} does not exist", 1203, 404)
            return self.succeed(found)

        return handle

    def presets(self, kind: str) -> Handler:
        """`GET` a page of Kling's own entries."""

        async def handle(request: Request) -> Response:
            page_num, page_size = page_of(request, PAGE_SIZES[kind])
            tasks = preset_tasks(kind, self.state.base_url)
            return self.succeed(tasks[(page_num - 1) * page_size : page_num * page_size])

        return handle

    def delete(self, kind: str) -> Handler:
        """`POST` the deletion of one of the account's entries."""
        id_field = f"{kind}_id"

        async def handle(request: Request) -> Response:
            body = await self.api.json_body(request)
            if isinstance(body, Response):
                return body
            entry_id = Fields(body).identifier(id_field, required=True)
            assert entry_id is not None  # required
            if entry_id in PRESET_IDS[kind]:
                raise Invalid(f"{id_field} {entry_id} is a preset; only custom ones can be deleted")
            return self.succeed(self.state.library_store.delete(kind, entry_id))

        return handle

    async def sample(self, request: Request) -> Response:
        """A voice's sample: a few quiet seconds of WAV, different per voice."""
        voice_id = request.path_params["voice_id"]
        seed = int(voice_id) if voice_id.isdigit() else len(voice_id)
        return Response(make_wav(SAMPLE_SECONDS, seed=seed), media_type="audio/wav")


def page_of(request: Request, largest: int) -> tuple[int, int]:
    """`pageNum` and `pageSize` of a list query (1 and 30 when left out).

    Raises:
        Invalid: One is not a whole number in range (400/1201).
    """
    pages = []
    for name, high, default in (("pageNum", MAX_PAGE, 1), ("pageSize", largest, 30)):
        raw = request.query_params.get(name)
        try:
            value = default if raw in (None, "") else int(raw)
        except ValueError:
            value = -1
        if not 1 <= value <= high:
            raise Invalid(f"{name} must be an integer between 1 and {high}")
        pages.append(value)
    return pages[0], pages[1]


def _contains(text: str, word: str | None) -> bool:
    return bool(word) and word.lower() in text.lower()


def library_routes(state: SimulatorState, api: KlingApi) -> list[Route]:
    """The library's routes for an app (see `LibraryApi`)."""
    return LibraryApi(state, api).routes()
