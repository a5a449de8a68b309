"""What an endpoint row is: `Endpoint` for the calls that create tasks, `Route` for the others.

An `Endpoint` row holds everything about one Kling capability: where it lives for each
provider, which concurrency pool its tasks take slots from, what kind of result it makes,
the request model, what each provider accepts beyond that model (`EndpointLimits`), the
units a task is assumed to cost, its `prefect-kling` command and its section of the docs.
The rows themselves live in `videos`, `images` and `edits`; `prefect_kling.endpoints`
collects them.

Examples:
    >>> from prefect_kling.models.videos import VideoExtendRequest
    >>> row = Endpoint(
    ...     name="video-extend",
    ...     family=Family.VIDEO,
    ...     paths=official_only("videos/video-extend"),
    ...     request_model=VideoExtendRequest,
    ...     result_kind=ResultKind.VIDEO,
    ... )
    >>> row.providers, row.query_path(Provider.KLING, "8672")
    ([<Provider.KLING: 'kling'>], 'videos/video-extend/8672')
    >>> row.limits == {Provider.KLING: EndpointLimits()}  # no more than the model
    True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel

from prefect_kling.capabilities import EndpointLimits
from prefect_kling.endpoints.command import Command
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.models.common import KlingRequest
from prefect_kling.providers import Provider

Value = TypeVar("Value")

UnitEstimate = Callable[[Mapping[str, Any]], float]
"""The units a create request is assumed to cost, from its fields, until Kling says."""


class Family(StrEnum):
    """Kling's concurrency pools: a task holds a slot of its family while it runs."""

    VIDEO = "video"
    IMAGE = "image"
    TRY_ON = "try-on"

    def limit_name(self, account: str) -> str:
        """Name of an account's Prefect global concurrency limit for this family.

        Examples:
            >>> Family.TRY_ON.limit_name("studio")
            'kling-try-on-studio'
        """
        return f"kling-{self.value}-{account}"


class ApiStandard(StrEnum):
    """Which of Kling's two API standards serves a row.

    Attributes:
        LEGACY: `/v1/<product>` with `model_name` in the body, tasks read at
            `/v1/<product>/<id>`, status `succeed`, files in `task_result`.
        NEW: `/<product>/<model>` on the host, with the model in the path and the body as
            `prompt` or `contents[]`, `settings` and `options`; tasks read in bulk at
            `GET /tasks?task_ids=`, status `succeeded`, files in `outputs[]`, charges in
            `billing[]`. API keys only (no access/secret-key JWT).
    """

    LEGACY = "legacy"
    NEW = "new"


class ResultKind(StrEnum):
    """What a finished task hands back.

    Videos, images and audio tracks (an MP3 and a WAV each) are files to download; an
    element or a voice is an entry of the account's library, known by its id, with nothing
    to download.
    """

    VIDEO = "video"
    IMAGE = "image"
    ELEMENT = "element"
    VOICE = "voice"
    AUDIO = "audio"


def one_unit(request: Mapping[str, Any]) -> float:
    """The estimate of an endpoint whose cost the request does not tell: 1 unit."""
    return 1.0


@dataclass(frozen=True)
class Endpoint:
    """One Kling capability that creates tasks.

    Attributes:
        name: Stable name used in task references and on the command line, e.g. `text2video`.
        family: Concurrency pool its tasks take slots from.
        paths: Create path per provider, relative to the provider's prefix. A provider
            missing from the mapping has no such route.
        request_model: Strict pydantic model of the create request.
        result_kind: Whether finished tasks carry videos, images, audio, an element or a voice.
        query_by_external_id: Providers whose single query accepts an external task id in
            place of the task id. Elsewhere an external id is found through list queries.
        list_query: Providers that answer list queries (`?pageNum=&pageSize=`) on the path
            (every provider that has the route, unless narrowed).
        limits: What each provider that has the route accepts beyond the request model
            (see `prefect_kling.capabilities`); left out, no more than the model. Given, it
            names exactly the providers that have the route.
        estimate: Units a request is assumed to cost until Kling says (`UnitBudget`).
        command: Its `prefect-kling` command; rows may share one (lip-sync and advanced
            lip-sync: the command picks the endpoint).
        title: Heading of its section in `docs/endpoints/*.md`.
        standard: The API standard that serves it. A `NEW` row's paths hold `{model}`
            and are relative to the host (`KlingCredentials.account_base_url`).
        newer: On a legacy row, the `NEW` row that serves the models it lists: a request
            naming one of them goes there (`prefect_kling.endpoints.routing`).
        refusals: Why a provider without the route has none, where that is known (it is
            added to the refusal's message).
    """

    name: str
    family: Family
    paths: Mapping[Provider, str]
    request_model: type[KlingRequest]
    result_kind: ResultKind
    query_by_external_id: frozenset[Provider] = field(default_factory=frozenset)
    list_query: frozenset[Provider] = field(default_factory=lambda: frozenset(Provider))
    limits: Mapping[Provider, EndpointLimits] = field(default_factory=dict)
    estimate: UnitEstimate = one_unit
    command: Command | None = None
    title: str = ""
    standard: ApiStandard = ApiStandard.LEGACY
    newer: str | None = None
    refusals: Mapping[Provider, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Only providers that have the route can query it.
        routes = frozenset(self.paths)
        object.__setattr__(self, "list_query", frozenset(self.list_query) & routes)
        object.__setattr__(
            self, "query_by_external_id", frozenset(self.query_by_external_id) & routes
        )
        if not self.limits:
            object.__setattr__(self, "limits", dict.fromkeys(self.providers, EndpointLimits()))
        elif set(self.limits) != routes:
            raise ValueError(
                f"{self.name}: limits name {sorted(self.limits)}, routes {sorted(routes)}; "
                "give limits for exactly the providers that have the route"
            )

    @property
    def providers(self) -> list[Provider]:
        """The providers that have this route, in `Provider` order."""
        return [provider for provider in Provider if provider in self.paths]

    def supports(self, provider: Provider) -> bool:
        """Whether the provider has this route."""
        return provider in self.paths

    def path_template(self, provider: Provider) -> str:
        """The create path for a provider as the row states it (`{model}` unfilled).

        Raises:
            KlingValidationError: The provider has no such route.
        """
        return _path(self.name, self.paths, provider, self.refusals)

    def create_path(self, provider: Provider, model: str | None = None) -> str:
        """The create path for a provider, relative to its prefix (or host, for `NEW` rows).

        Args:
            provider: Where the request goes.
            model: The model, for rows whose path names it (`text-to-video/{model}`).

        Raises:
            KlingValidationError: The provider has no such route.

        Examples:
            >>> from prefect_kling.endpoints import ENDPOINTS
            >>> ENDPOINTS["text-to-video"].create_path(Provider.KLING, "kling-3.0-turbo")
            'text-to-video/kling-3.0-turbo'
        """
        path = self.path_template(provider)
        if "{model}" in path:
            if not model or not fits_a_path(model.replace(".", "_")):
                raise KlingValidationError.single(
                    "model_name",
                    f"{model!r}; allowed: one of the models of {self.name}",
                    endpoint=self.name,
                )
            path = path.replace("{model}", model)
        return path

    def query_path(self, provider: Provider, task_id: str) -> str:
        """The single-query path of a task (create path plus the id).

        On the newer standard a task is read at `tasks?task_ids=<id>` on the host, whatever
        made it.

        Raises:
            KlingValidationError: The id could not be a task's (it would leave the path).

        Examples:
            >>> from prefect_kling.endpoints import ENDPOINTS
            >>> ENDPOINTS["text2video"].query_path(Provider.KLING, "8672")
            'videos/text2video/8672'
            >>> ENDPOINTS["text-to-video"].query_path(Provider.KLING, "8672")
            'tasks?task_ids=8672'
        """
        if not fits_a_path(task_id):
            raise KlingValidationError.single(
                "task_id",
                f"{task_id[:80]!r}; allowed: 1 to 128 letters, digits, '-' or '_'",
                endpoint=self.name,
            )
        if self.standard is ApiStandard.NEW:
            self.path_template(provider)
            return f"tasks?task_ids={task_id}"
        return f"{self.create_path(provider)}/{task_id}"


_TASK_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
"""What a task id (or external id) in a query path may be: no '/', '.', '?' or space."""


def fits_a_path(task_id: str) -> bool:
    """Whether an id can be the last part of a query path as it is.

    Examples:
        >>> fits_a_path("8672"), fits_a_path("../etc")
        (True, False)
    """
    return _TASK_ID.fullmatch(task_id) is not None


def _path(
    name: str,
    paths: Mapping[Provider, str],
    provider: Provider,
    refusals: Mapping[Provider, str] | None = None,
) -> str:
    try:
        return paths[Provider(provider)]
    except (KeyError, ValueError):
        available = ", ".join(paths) or "none"
        reason = (refusals or {}).get(provider)
        because = f" ({reason})" if reason else ""
        raise KlingValidationError.single(
            "provider",
            f"{str(provider)!r} has no {name} route{because}; allowed: {available}",
            endpoint=name,
        ) from None


def everywhere(value: Value) -> dict[Provider, Value]:
    """The same path (or limits) on every provider."""
    return dict.fromkeys(Provider, value)


def official_only(value: Value) -> dict[Provider, Value]:
    """A path (or limits) that only Kling's official API is known to serve."""
    return {Provider.KLING: value}


def cometapi_differs(official: EndpointLimits, **differences: Any) -> dict[Provider, Any]:
    """Limits of an endpoint both providers serve: the official ones, and CometAPI's.

    Args:
        official: What Kling's official API accepts.
        **differences: Only what CometAPI accepts otherwise (`EndpointLimits` fields).

    Examples:
        >>> limits = cometapi_differs(EndpointLimits(models=("kling-v2",)), max_chars={"prompt": 5})
        >>> limits[Provider.COMETAPI].max_chars, limits[Provider.COMETAPI].models
        ({'prompt': 5}, ('kling-v2',))
    """
    return {Provider.KLING: official, Provider.COMETAPI: replace(official, **differences)}


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
        units: Units Kling charges per call, from the dated price table (0 for a free call).
    """

    name: str
    method: str
    paths: Mapping[Provider, str]
    request_model: type[BaseModel]
    response_model: type[BaseModel]
    account: bool = False
    units: float = 0.0

    def supports(self, provider: Provider) -> bool:
        """Whether the provider has this route."""
        return provider in self.paths

    def path(self, provider: Provider) -> str:
        """The path for a provider, relative to its (account) prefix.

        Raises:
            KlingValidationError: The provider has no such route.

        Examples:
            >>> from prefect_kling.endpoints import ACCOUNT_COSTS
            >>> ACCOUNT_COSTS.path(Provider.KLING)
            'account/costs'
        """
        return _path(self.name, self.paths, provider)
