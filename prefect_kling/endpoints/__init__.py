"""The endpoint table: one row per Kling capability that creates tasks, and the other routes.

A row (`Endpoint`) says everything about an endpoint: where it lives for each provider,
which concurrency pool its tasks take slots from, which request model validates its input,
what kind of result it makes, what each provider accepts beyond the model, the units a
task is assumed to cost, its `prefect-kling` command and its section of the docs. The
client, the capability check, the budget, the tasks and the CLI read everything from
here. The rows live by what they do: `videos` and `images` (made from prompts and
images), `edits` (changes of your own media) and `library` (the account's custom elements
and voices); `row` says what a row is.

Routes per provider: Kling's official API has every row. CometAPI's pages list its routes
as `{images|videos|audio}/{action}` for `text2video`, `image2video`, `multi-image2video`,
`lip-sync`, `identify-face`, `advanced-lip-sync` (its own spelling of a volume),
`video-extend` (with the parent task's id), `effects`, `multi-elements`, `generations` and
`kolors-virtual-try-on`. A row without a CometAPI path (image expand, which answered 404
there in 2026-03; the library) is refused with a `KlingValidationError` naming the provider
that has it, and why where that is known, before anything is sent. A gateway answering an
unknown route with an HTML page or a redirect is worse than a clear refusal; add the path
once CometAPI documents the route.

`query_by_external_id` is set only where both editions of Kling's documentation allow an
external task id in the single query: text2video, image2video, multi-image2video and
effects. Elsewhere (images, video extend, lip-sync) an external id is found by scanning
list queries, which every edition documents.

Two calls create no task and are described apart, as `Route`s: `IDENTIFY_FACE` (first step
of the current lip-sync, answered at once, 0.05 units) and `ACCOUNT_COSTS` (the account's
resource packs, free; on the account prefix, without `/v1`). Image recognition
(`omni_images.IMAGE_RECOGNIZE`) is a `Route` too, answered at once. The library's lists
and deletions are `Route`s too (`library.ROUTES`), official only like its rows.

Examples:
    >>> from prefect_kling.providers import Provider
    >>> get_endpoint("multi-image2image").create_path(Provider.COMETAPI)
    'images/generations'
"""

from __future__ import annotations

from prefect_kling.endpoints import (
    audio,
    edits,
    images,
    library,
    new_standard,
    omni_images,
    videos,
)
from prefect_kling.endpoints.routes import (
    ACCOUNT_COSTS,
    ACCOUNT_COSTS_PATH,
    ACCOUNT_LEDGERS,
    IDENTIFY_FACE,
    IDENTIFY_FACE_PATH,
)
from prefect_kling.endpoints.routes import ROUTES as _ROUTES
from prefect_kling.endpoints.row import (
    ApiStandard,
    Endpoint,
    Family,
    ResultKind,
    Route,
    UnitEstimate,
    fits_a_path,
)
from prefect_kling.exceptions import KlingValidationError

__all__ = [
    "ACCOUNT_COSTS",
    "ACCOUNT_COSTS_PATH",
    "ACCOUNT_LEDGERS",
    "ENDPOINTS",
    "IDENTIFY_FACE",
    "IDENTIFY_FACE_PATH",
    "ROUTES",
    "ApiStandard",
    "Endpoint",
    "Family",
    "ResultKind",
    "Route",
    "UnitEstimate",
    "fits_a_path",
    "get_endpoint",
]

ENDPOINTS: dict[str, Endpoint] = {
    row.name: row
    for rows in (
        videos.ROWS,
        new_standard.ROWS,
        images.ROWS,
        omni_images.ROWS,
        edits.ROWS,
        library.ROWS,
        audio.ROWS,
    )
    for row in rows
}
"""Every task-creating endpoint, by name."""
ROUTES: dict[str, Route] = {
    **_ROUTES,
    **{route.name: route for route in (*library.ROUTES, *omni_images.ROUTES, *audio.ROUTES)},
}
"""The calls that create no task, by name: identify-face, account costs, image recognition,
text to speech (`tts`), and the lists and deletions of the account's elements and voices."""


def get_endpoint(name: str | Endpoint) -> Endpoint:
    """Look an endpoint up by name.

    Args:
        name: An endpoint name such as `text2video`, or an `Endpoint` (returned as is).

    Raises:
        KlingValidationError: No endpoint has that name; the message lists the known names.

    Examples:
        >>> get_endpoint("video-extend").family
        <Family.VIDEO: 'video'>
    """
    if isinstance(name, Endpoint):
        return name
    found = ENDPOINTS.get(name) or ENDPOINTS.get(_COMMAND_NAMES.get(name, ""))
    if found is None:
        known = ", ".join([*ENDPOINTS, *_COMMAND_NAMES])
        raise KlingValidationError.single(
            "endpoint", f"unknown endpoint {name!r}; allowed: {known}"
        )
    return found


def _command_names() -> dict[str, str]:
    """The `prefect-kling` command names that are not endpoint names, to the endpoint's."""
    names: dict[str, str] = {}
    for row in ENDPOINTS.values():
        if row.command is not None and row.command.name not in ENDPOINTS:
            names.setdefault(row.command.name, row.name)
    return names


_COMMAND_NAMES = _command_names()
"""`image` for `image-generation`, and so on: wherever an endpoint is named, its command's
name names it too."""
