"""A create made ready to send: validated, its body fixed, its external task id derived.

Nothing here does I/O. The same request always gets the same external id, so sending it
twice (after a timeout, in a rerun) names the same task and Kling can be asked for it;
how the ids are made, and which earlier forms are kept, is in `prefect_kling.client.identity`.

Examples:
    >>> from prefect_kling.providers import Provider
    >>> prepared = prepare_create("text2video", {"prompt": "a red fox"}, Provider.KLING)
    >>> prepared.path, prepared.external_task_id.startswith("pk2-"), len(prepared.earlier_ids)
    ('videos/text2video', True, 1)
    >>> spelled = {"prompt": "a red fox", "duration": "5"}
    >>> prepare_create("text2video", spelled, Provider.KLING).external_task_id == (
    ...     prepared.external_task_id
    ... )
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from prefect_kling.capabilities import validate_request
from prefect_kling.client.identity import (
    content_digest,
    derive_external_task_id,
    is_derived_id,
    request_external_task_id,
)
from prefect_kling.endpoints import ApiStandard, Endpoint, get_endpoint
from prefect_kling.endpoints.routing import route
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.providers import Provider

__all__ = ["PreparedCreate", "derive_external_task_id", "prepare_create"]


@dataclass(frozen=True)
class PreparedCreate:
    """A validated create, ready to send (and to send again with the same external id).

    Attributes:
        endpoint: The endpoint row.
        path: The create path for the provider.
        payload: The body, with its `external_task_id`.
        external_task_id: The caller's id, or the one derived from the content.
        started_at: When the create was prepared; a task found made long before is not
            this create's (for a caller's id).
        request: The validated request model.
        content_digest: What the request asks Kling to make (see `identity`).
        earlier_ids: The ids earlier versions derived for this request (none for a
            caller's id): looked up where an earlier attempt may have sent them.
        strict: How it was validated: False when it may name a model (or effect scene)
            unknown here, so that checking it again before sending does not refuse it.
    """

    endpoint: Endpoint
    path: str
    payload: dict[str, Any]
    external_task_id: str
    started_at: datetime
    request: BaseModel
    content_digest: str = ""
    earlier_ids: tuple[str, ...] = ()
    strict: bool = True

    @property
    def priced_fields(self) -> dict[str, Any]:
        """What the row's unit estimate reads: the body, or the flat fields with the model.

        The newer standard names the model in the path and nests the settings.
        """
        if self.endpoint.standard is ApiStandard.NEW:
            return self.request.model_dump(mode="json", exclude_none=True)
        return self.payload

    @property
    def derived_id(self) -> bool:
        """Whether the external id is the package's own, so names this content."""
        return is_derived_id(self.external_task_id)


def prepare_create(
    endpoint: str | Endpoint,
    request: Mapping[str, Any] | BaseModel,
    provider: Provider,
    *,
    idempotency_key: str | None = None,
    strict: bool = True,
    stand_ins: Mapping[str, Any] | None = None,
    access_keys: bool = False,
) -> PreparedCreate:
    """Validate a request and fix its body and external id, before anything is sent.

    Args:
        endpoint: Endpoint name or row.
        request: The request fields, or a request model.
        provider: The provider the request goes to (limits and spellings differ).
        idempotency_key: Ask for a fresh take of a request made before.
        strict: Refuse model names (and effect scenes) unknown for the provider (the
            default); False sends them with an `UnknownModelWarning`.
        stand_ins: Values the content digest takes in place of per-call fields (see
            `identity.content_digest`).
        access_keys: The request would be signed with access and secret keys (a JWT),
            which the newer standard refuses: a model of it is refused here.

    Raises:
        KlingValidationError: The request breaks a rule of the endpoint or provider, or
            names a model of the newer standard with `access_keys`.
    """
    row, request = route(get_endpoint(endpoint), request)
    if row.standard is ApiStandard.NEW and not row.supports(provider):
        raise KlingValidationError.single(
            "model_name",
            f"{_model_of(request)!r} is served by Kling's newer API standard, which provider "
            f"{Provider(provider).value} does not offer; allowed: provider kling (an API key "
            "of Kling's), or a /v1 model",
            endpoint=row.name,
        )
    if row.standard is ApiStandard.NEW and access_keys:
        raise KlingValidationError.single(
            "api_key",
            f"missing: {_model_of(request)!r} is served by Kling's newer API standard, which "
            "takes an API key only (access and secret keys work on /v1 models); allowed: "
            "KlingCredentials(api_key=...) or KLING_API_KEY",
            endpoint=row.name,
        )
    model = validate_request(row, provider, request, strict=strict)
    path = row.create_path(provider, getattr(model, "model_name", None))
    payload = model.to_payload(provider)
    newer = row.standard is ApiStandard.NEW
    # The newer standard names the model in the path and nests the settings: its digest
    # reads the flat fields, model included, as its defaults are stated.
    content = model.model_dump(mode="json", exclude_none=True) if newer else payload
    digest = content_digest(row, provider, content, stand_ins=stand_ins)
    options = payload.setdefault("options", {}) if newer else payload
    given = options.get("external_task_id")
    if given:
        external_task_id, earlier_ids = given, ()
    else:
        external_task_id = request_external_task_id(digest, idempotency_key)
        # Only /v1 requests were ever sent under an earlier scheme's id.
        earlier_ids = (
            () if newer else (derive_external_task_id(row.name, payload, idempotency_key),)
        )
    options["external_task_id"] = external_task_id
    return PreparedCreate(
        row,
        path,
        payload,
        external_task_id,
        datetime.now(UTC),
        model,
        digest,
        earlier_ids,
        strict=strict,
    )


def _model_of(request: Mapping[str, Any] | BaseModel) -> Any:
    if isinstance(request, BaseModel):
        return getattr(request, "model_name", None)
    return request.get("model_name")
