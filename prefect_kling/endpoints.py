"""The endpoint table: one row a Kling capability.

A row says where the capability lives for each provider, which concurrency pool its tasks
take slots from, which request model validates its input and what kind of result it makes.
Adding an endpoint is adding a row (and its request model); the client, the tasks and the
CLI read everything else from here.

Example:
    >>> from prefect_kling.endpoints import get_endpoint
    >>> from prefect_kling.providers import Provider
    >>> get_endpoint("multi-image2image").create_path(Provider.COMETAPI)
    'images/generations'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel

from prefect_kling.exceptions import KlingValidationError
from prefect_kling.models import (
    ImageToVideoRequest,
    MultiImageToImageRequest,
    MultiImageToVideoRequest,
    TextToVideoRequest,
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
        list_query: Providers that answer list queries (`?pageNum=&pageSize=`) on the path.
    """

    name: str
    family: Family
    paths: Mapping[Provider, str]
    request_model: type[BaseModel]
    result_kind: ResultKind
    query_by_external_id: frozenset[Provider] = field(default_factory=frozenset)
    list_query: frozenset[Provider] = field(default_factory=lambda: frozenset(Provider))

    def supports(self, provider: Provider) -> bool:
        """Whether the provider has this route."""
        return provider in self.paths

    def create_path(self, provider: Provider) -> str:
        """The create path for a provider, relative to its prefix.

        Raises:
            KlingValidationError: The provider has no such route.
        """
        try:
            return self.paths[provider]
        except KeyError:
            available = ", ".join(sorted(self.paths)) or "none"
            raise KlingValidationError.single(
                "provider",
                f"{provider.value!r} has no {self.name} route; available with: {available}",
                endpoint=self.name,
            ) from None

    def query_path(self, provider: Provider, task_id: str) -> str:
        """The single-query path of a task (create path plus the id)."""
        return f"{self.create_path(provider)}/{task_id}"


def _everywhere(path: str) -> dict[Provider, str]:
    """The same path on every provider."""
    return dict.fromkeys(Provider, path)


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
    )
}


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
