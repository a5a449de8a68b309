"""The rows of the account's library: custom elements and custom voices.

Creating an element or a voice is a task (`Endpoint` rows `element` and `voice`, queried
at `<create path>/<task id>` or by external id); listing yours, listing Kling's presets and
deleting are answered at once (`Route`s). Everything is on the legacy `/v1` standard of
Kling's official API only: CometAPI's pages list no such route, so a CometAPI key is
refused before anything is sent, naming the provider that has it.

`LIBRARIES` ties each kind's rows together for the tasks and the command line.

Examples:
    >>> from prefect_kling.providers import Provider
    >>> ELEMENTS.create.create_path(Provider.KLING), ELEMENTS.presets.path(Provider.KLING)
    ('general/advanced-custom-elements', 'general/advanced-presets-elements')
    >>> [row.name for row in ROWS], [route.name for route in ROUTES][:3]
    (['element', 'voice'], ['list-elements', 'list-preset-elements', 'delete-element'])
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from prefect_kling.capabilities import EndpointLimits
from prefect_kling.endpoints.row import Endpoint, Family, ResultKind, Route, official_only
from prefect_kling.models.kling_task import KlingTask
from prefect_kling.models.library import (
    DESCRIPTION_CHARS,
    NAME_CHARS,
    REFER_IMAGES,
    REFER_VIDEOS,
    DeleteAnswer,
    DeleteElementRequest,
    DeleteVoiceRequest,
    Element,
    ElementRequest,
    LibraryPage,
    LibraryTasks,
    Voice,
    VoicePage,
    VoiceRequest,
    entries_of,
)
from prefect_kling.providers import Provider

ELEMENTS_PATH = "general/advanced-custom-elements"
"""Create (POST), list yours (GET) and query one creation (GET `/<task id>`)."""
PRESET_ELEMENTS_PATH = "general/advanced-presets-elements"
DELETE_ELEMENT_PATH = "general/delete-advanced-elements"
VOICES_PATH = "general/custom-voices"
"""Create (POST), list yours (GET) and query one creation (GET `/<task id>`)."""
PRESET_VOICES_PATH = "general/presets-voices"
DELETE_VOICE_PATH = "general/delete-voices"

# Both pages allow the single query by external id.
BY_EXTERNAL_ID = frozenset({Provider.KLING})

ELEMENT = Endpoint(
    name="element",
    # Kling names no concurrency pool for elements; the create tasks here take no slots.
    family=Family.VIDEO,
    paths=official_only(ELEMENTS_PATH),
    request_model=ElementRequest,
    result_kind=ResultKind.ELEMENT,
    query_by_external_id=BY_EXTERNAL_ID,
    limits=official_only(
        EndpointLimits(
            max_chars={"element_name": NAME_CHARS, "element_description": DESCRIPTION_CHARS},
            item_counts={
                "element_image_list.refer_images": REFER_IMAGES,
                "element_video_list.refer_videos": REFER_VIDEOS,
            },
        )
    ),
    title="Elements",
)
VOICE = Endpoint(
    name="voice",
    family=Family.VIDEO,
    paths=official_only(VOICES_PATH),
    request_model=VoiceRequest,
    result_kind=ResultKind.VOICE,
    query_by_external_id=BY_EXTERNAL_ID,
    limits=official_only(EndpointLimits(max_chars={"voice_name": NAME_CHARS})),
    title="Voices",
)
ROWS = (ELEMENT, VOICE)
"""The library's task rows, after the generation rows."""


@dataclass(frozen=True)
class Library:
    """One kind of library entry and every call about it.

    Attributes:
        kind: `element` or `voice`, as messages say it.
        create: The row that creates one (a task).
        custom: Lists yours, newest first (`GET`, `?pageNum=&pageSize=`).
        presets: Lists Kling's own (`GET`, same paging).
        delete: Deletes one of yours (`POST`).
        item: The model of one entry.
        results: The field of `task_result` that holds what a task made.
        id_field: The entry's id field, as a video request names it.
    """

    kind: str
    create: Endpoint
    custom: Route
    presets: Route
    delete: Route
    item: type[Element] | type[Voice]
    results: str
    id_field: str

    @property
    def routes(self) -> tuple[Route, Route, Route]:
        """The calls answered at once."""
        return (self.custom, self.presets, self.delete)

    def entries(self, task: KlingTask) -> list[Element] | list[Voice]:
        """What a creation task made (none until it succeeded)."""
        return entries_of(task, self.results, self.item)


def _list(name: str, path: str, page: type[BaseModel]) -> Route:
    return Route(
        name=name,
        method="GET",
        paths=official_only(path),
        request_model=page,
        response_model=LibraryTasks,
    )


def _delete(name: str, path: str, request: type[BaseModel]) -> Route:
    return Route(
        name=name,
        method="POST",
        paths=official_only(path),
        request_model=request,
        response_model=DeleteAnswer,
    )


ELEMENTS = Library(
    kind="element",
    create=ELEMENT,
    custom=_list("list-elements", ELEMENTS_PATH, LibraryPage),
    presets=_list("list-preset-elements", PRESET_ELEMENTS_PATH, LibraryPage),
    delete=_delete("delete-element", DELETE_ELEMENT_PATH, DeleteElementRequest),
    item=Element,
    results="elements",
    id_field="element_id",
)
VOICES = Library(
    kind="voice",
    create=VOICE,
    custom=_list("list-voices", VOICES_PATH, VoicePage),
    presets=_list("list-preset-voices", PRESET_VOICES_PATH, VoicePage),
    delete=_delete("delete-voice", DELETE_VOICE_PATH, DeleteVoiceRequest),
    item=Voice,
    results="voices",
    id_field="voice_id",
)
LIBRARIES = {library.kind: library for library in (ELEMENTS, VOICES)}
"""Elements and voices, by kind."""
ROUTES = (*ELEMENTS.routes, *VOICES.routes)
"""The library's calls that create no task."""
