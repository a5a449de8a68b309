"""The endpoint table: one row a Kling capability that creates tasks, and the other routes.

A row says where the capability lives for each provider, which concurrency pool its tasks
take slots from, which request model validates its input and what kind of result it makes.
Adding an endpoint is adding a row (and its request model, and its limits in
`prefect_kling.capabilities`); the client, the tasks and the CLI read everything else from
here.

Routes per provider: Kling's official API has every row. CometAPI's pages list its routes
as `{images|videos|audio}/{action}` for `text2video`, `image2video`, `multi-image2video`,
`lip-sync`, `effects`, `multi-elements`, `generations` and `kolors-virtual-try-on`;
`video-extend`, `advanced-lip-sync` (and its `identify-face`) and image expand are not
among them, so those rows have no CometAPI path and the client refuses them with a
`KlingValidationError` naming the provider, before anything is sent. A gateway answering
an unknown route with an HTML page or a redirect is worse than a clear refusal; add the
path once CometAPI documents the route.

Two calls create no task and are described apart, as `Route`s: `IDENTIFY_FACE` (first step
of the current lip-sync, answered at once) and `ACCOUNT_COSTS` (the account's resource
packs, free; on the account prefix, without `/v1`).

Examples:
    >>> from prefect_kling.endpoints import get_endpoint
    >>> from prefect_kling.providers import Provider
    >>> get_endpoint("multi-image2image").create_path(Provider.COMETAPI)
    'images/generations'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel

from prefect_kling.exceptions import KlingValidationError
from prefect_kling.models import (
    AccountCosts,
    AccountCostsQuery,
    AdvancedLipSyncRequest,
    IdentifyFaceRequest,
    IdentifyFaceResult,
    ImageExpandRequest,
    ImageGenerationRequest,
    ImageToVideoRequest,
    KlingRequest,
    LipSyncRequest,
    MultiImageToImageRequest,
    MultiImageToVideoRequest,
    TextToVideoRequest,
    VideoEffectRequest,
    VideoExtendRequest,
    VirtualTryOnRequest,
)
from prefect_kling.providers import Provider


class Family(StrEnum):
    """Kling's concurrency pools: a task holds a slot of its family while it runs."""

    VIDEO = "video"
    IMAGE = "image"
    TRY_ON = "try-on"

    @property
    def concurrency_limit_name(self) -> str:
        """Name of the Prefect global concurrency limit for this family, e.g. `kling-video`."""
        return f"kling-{self.value}"


class ResultKind(StrEnum):
    """What a finished task hands back."""

    VIDEO = "video"
    IMAGE = "image"


@dataclass(frozen=True)
class Endpoint:
    """One Kling capability.

    Attributes:
        name: Stable name used in task references and on the command line, e.g. `text2video`.
        family: Concurrency pool its tasks take slots from.
        paths: Create path per provider, relative to the provider's prefix. A provider
            missing from the mapping has no such route.
        request_model: Strict pydantic model of the create request.
        result_kind: Whether finished tasks carry videos or images.
        query_by_external_id: Providers whose single query accepts an external task id in
            place of the task id. Elsewhere an external id is found through list queries.
        list_query: Providers that answer list queries (`?pageNum=&pageSize=`) on the path
            (every provider that has the route, unless narrowed).
    """

    name: str
    family: Family
    paths: Mapping[Provider, str]
    request_model: type[KlingRequest]
    result_kind: ResultKind
    query_by_external_id: frozenset[Provider] = field(default_factory=frozenset)
    list_query: frozenset[Provider] = field(default_factory=lambda: frozenset(Provider))

    def __post_init__(self) -> None:
        # Only providers that have the route can query it.
        routes = frozenset(self.paths)
        object.__setattr__(self, "list_query", frozenset(self.list_query) & routes)
        object.__setattr__(
            self, "query_by_external_id", frozenset(self.query_by_external_id) & routes
        )

    @property
    def providers(self) -> list[Provider]:
        """The providers that have this route, in `Provider` order."""
        return [provider for provider in Provider if provider in self.paths]

    def supports(self, provider: Provider) -> bool:
        """Whether the provider has this route."""
        return provider in self.paths

    def create_path(self, provider: Provider) -> str:
        """The create path for a provider, relative to its prefix.

        Raises:
            KlingValidationError: The provider has no such route.
        """
        return _path(self.name, self.paths, provider)

    def query_path(self, provider: Provider, task_id: str) -> str:
        """The single-query path of a task (create path plus the id).

        Raises:
            KlingValidationError: The id could not be a task's (it would leave the path).

        Examples:
            >>> ENDPOINTS["text2video"].query_path(Provider.KLING, "8672")
            'videos/text2video/8672'
        """
        if not fits_a_path(task_id):
            raise KlingValidationError.single(
                "task_id",
                f"{task_id[:80]!r}; allowed: 1 to 128 letters, digits, '-' or '_'",
                endpoint=self.name,
            )
        return f"{self.create_path(provider)}/{task_id}"


_TASK_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
"""What a task id (or external id) in a query path may be: no '/', '.', '?' or space."""


def fits_a_path(task_id: str) -> bool:
    """Whether an id can be the last part of a query path as it is."""
    return _TASK_ID.fullmatch(task_id) is not None


def _path(name: str, paths: Mapping[Provider, str], provider: Provider) -> str:
    try:
        return paths[Provider(provider)]
    except (KeyError, ValueError):
        available = ", ".join(paths) or "none"
        raise KlingValidationError.single(
            "provider",
            f"{str(provider)!r} has no {name} route; allowed: {available}",
            endpoint=name,
        ) from None


def _everywhere(path: str) -> dict[Provider, str]:
    """The same path on every provider."""
    return dict.fromkeys(Provider, path)


def _official_only(path: str) -> dict[Provider, str]:
    """A path that only Kling's official API is known to serve."""
    return {Provider.KLING: path}


ENDPOINTS: dict[str, Endpoint] = {
    endpoint.name: endpoint
    for endpoint in (
        Endpoint(
            name="text2video",
            family=Family.VIDEO,
            paths=_everywhere("videos/text2video"),
            request_model=TextToVideoRequest,
            result_kind=ResultKind.VIDEO,
            query_by_external_id=frozenset(Provider),
        ),
        Endpoint(
            name="image2video",
            family=Family.VIDEO,
            paths=_everywhere("videos/image2video"),
            request_model=ImageToVideoRequest,
            result_kind=ResultKind.VIDEO,
            query_by_external_id=frozenset(Provider),
        ),
        Endpoint(
            name="multi-image2video",
            family=Family.VIDEO,
            paths=_everywhere("videos/multi-image2video"),
            request_model=MultiImageToVideoRequest,
            result_kind=ResultKind.VIDEO,
            query_by_external_id=frozenset(Provider),
        ),
        Endpoint(
            name="multi-image2image",
            family=Family.IMAGE,
            paths={
                Provider.KLING: "images/multi-image2image",
                # CometAPI serves multi-image to image on its generic image route.
                Provider.COMETAPI: "images/generations",
            },
            request_model=MultiImageToImageRequest,
            result_kind=ResultKind.IMAGE,
        ),
        Endpoint(
            name="image-generation",
            family=Family.IMAGE,
            # On CometAPI the same path also serves multi-image to image: queries at
            # images/generations/<id> find both kinds of task.
            paths=_everywhere("images/generations"),
            request_model=ImageGenerationRequest,
            result_kind=ResultKind.IMAGE,
        ),
        Endpoint(
            name="video-extend",
            family=Family.VIDEO,
            paths=_official_only("videos/video-extend"),
            request_model=VideoExtendRequest,
            result_kind=ResultKind.VIDEO,
        ),
        Endpoint(
            name="lip-sync",
            family=Family.VIDEO,
            paths=_everywhere("videos/lip-sync"),
            request_model=LipSyncRequest,
            result_kind=ResultKind.VIDEO,
        ),
        Endpoint(
            name="advanced-lip-sync",
            family=Family.VIDEO,
            paths=_official_only("videos/advanced-lip-sync"),
            request_model=AdvancedLipSyncRequest,
            result_kind=ResultKind.VIDEO,
        ),
        Endpoint(
            name="effects",
            family=Family.VIDEO,
            paths=_everywhere("videos/effects"),
            request_model=VideoEffectRequest,
            result_kind=ResultKind.VIDEO,
            query_by_external_id=frozenset(Provider),
        ),
        Endpoint(
            name="image-expand",
            family=Family.IMAGE,
            paths=_official_only("images/editing/expand"),
            request_model=ImageExpandRequest,
            result_kind=ResultKind.IMAGE,
        ),
        Endpoint(
            name="virtual-try-on",
            family=Family.TRY_ON,
            paths=_everywhere("images/kolors-virtual-try-on"),
            request_model=VirtualTryOnRequest,
            result_kind=ResultKind.IMAGE,
        ),
    )
}
"""Every task-creating endpoint, by name.

`query_by_external_id` is set only where both editions of Kling's documentation allow an
external task id in the single query: text2video, image2video, multi-image2video and
effects. Elsewhere (images, video extend, lip-sync) an external id is found by scanning
list queries, which every edition documents.
"""


@dataclass(frozen=True)
class Route:
    """A call that creates no task: answered at once, never polled.

    Attributes:
        name: Stable name, e.g. `identify-face`.
        method: HTTP method.
        paths: Path per provider, relative to the provider's prefix (or account prefix).
            A provider missing from the mapping has no such route.
        request_model: Model of the body (POST) or of the query string (GET).
        response_model: Model of the envelope's `data`.
        account: Whether the path is relative to the account prefix
            (`KlingCredentials.account_base_url`: no `/v1`) instead of the API prefix.
    """

    name: str
    method: str
    paths: Mapping[Provider, str]
    request_model: type[BaseModel]
    response_model: type[BaseModel]
    account: bool = False

    def supports(self, provider: Provider) -> bool:
        """Whether the provider has this route."""
        return provider in self.paths

    def path(self, provider: Provider) -> str:
        """The path for a provider, relative to its (account) prefix.

        Raises:
            KlingValidationError: The provider has no such route.

        Examples:
            >>> ACCOUNT_COSTS.path(Provider.KLING)
            'account/costs'
        """
        return _path(self.name, self.paths, provider)


IDENTIFY_FACE_PATH = "videos/identify-face"
"""Identify-face, relative to the API prefix: POST `IdentifyFaceRequest`, answered at once
with an `IdentifyFaceResult` (a session valid 24 hours, and the faces found)."""
ACCOUNT_COSTS_PATH = "account/costs"
"""Account resource packs, relative to the account prefix (Kling: `GET /account/costs`,
no `/v1`), query string from `AccountCostsQuery.to_params()`, answer `AccountCosts`.
Free, creates nothing, at most about one request a second."""

IDENTIFY_FACE = Route(
    name="identify-face",
    method="POST",
    # CometAPI does not list advanced-lip-sync, so its first step is of no use there.
    paths={Provider.KLING: IDENTIFY_FACE_PATH},
    request_model=IdentifyFaceRequest,
    response_model=IdentifyFaceResult,
)
"""First step of the current lip-sync."""
ACCOUNT_COSTS = Route(
    name="account-costs",
    method="GET",
    # Resource packs belong to a Kling account: a CometAPI key bills CometAPI credit and
    # has no Kling packs; kling-api.md places the endpoint on the official host only.
    paths={Provider.KLING: ACCOUNT_COSTS_PATH},
    request_model=AccountCostsQuery,
    response_model=AccountCosts,
    account=True,
)
"""The account's resource packs (free): also the way to check keys without a task."""

ROUTES: dict[str, Route] = {route.name: route for route in (IDENTIFY_FACE, ACCOUNT_COSTS)}
"""The calls that create no task, by name."""


def get_endpoint(name: str | Endpoint) -> Endpoint:
    """Look an endpoint up by name.

    Args:
        name: An endpoint name such as `text2video`, or an `Endpoint` (returned as is).

    Raises:
        KlingValidationError: No endpoint has that name; the message lists the known names.
    """
    if isinstance(name, Endpoint):
        return name
    try:
        return ENDPOINTS[name]
    except KeyError:
        known = ", ".join(ENDPOINTS)
        raise KlingValidationError.single(
            "endpoint", f"unknown endpoint {name!r}; allowed: {known}"
        ) from None
