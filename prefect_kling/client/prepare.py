"""A create made ready to send: validated, its body fixed, its external task id derived.

Nothing here does I/O. The same request always gets the same external id, so sending it
twice (after a timeout, in a rerun) names the same task and Kling can be asked for it.

Examples:
    >>> from prefect_kling.providers import Provider
    >>> prepared = prepare_create("text2video", {"prompt": "a red fox"}, Provider.KLING)
    >>> prepared.path, prepared.external_task_id.startswith("pk-")
    ('videos/text2video', True)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from prefect_kling.capabilities import validate_request
from prefect_kling.endpoints import Endpoint, get_endpoint
from prefect_kling.providers import Provider

_EXTERNAL_ID_PREFIX = "pk-"
_UNHASHED_FIELDS = frozenset({"external_task_id", "callback_url"})


def derive_external_task_id(
    endpoint: str, payload: Mapping[str, Any], idempotency_key: str | None = None
) -> str:
    """A stable external task id for a request: same content and key, same id.

    The callback URL is left out: moving the receiver does not make a new video.

    Args:
        endpoint: Endpoint name.
        payload: The create body as it will be sent.
        idempotency_key: Any text; a new key asks for a fresh take of the same request.

    Examples:
        >>> a = derive_external_task_id("text2video", {"prompt": "fox"})
        >>> a == derive_external_task_id("text2video", {"prompt": "fox", "callback_url": "https://h"})
        True
        >>> a == derive_external_task_id("text2video", {"prompt": "fox"}, idempotency_key="take-2")
        False
    """
    content = {key: value for key, value in payload.items() if key not in _UNHASHED_FIELDS}
    canonical = json.dumps(
        {"endpoint": endpoint, "request": content, "key": idempotency_key},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return _EXTERNAL_ID_PREFIX + hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class PreparedCreate:
    """A validated create, ready to send (and to send again with the same external id).

    `strict` is how it was validated: False when it may name a model (or effect scene)
    unknown here, so that checking it again before sending does not refuse it.
    """

    endpoint: Endpoint
    path: str
    payload: dict[str, Any]
    external_task_id: str
    started_at: datetime
    request: BaseModel
    strict: bool = True


def prepare_create(
    endpoint: str | Endpoint,
    request: Mapping[str, Any] | BaseModel,
    provider: Provider,
    *,
    idempotency_key: str | None = None,
    strict: bool = True,
) -> PreparedCreate:
    """Validate a request and fix its body and external id, before anything is sent.

    Args:
        endpoint: Endpoint name or row.
        request: The request fields, or a request model.
        provider: The provider the request goes to (limits and spellings differ).
        idempotency_key: Ask for a fresh take of a request made before.
        strict: Refuse model names (and effect scenes) unknown for the provider (the
            default); False sends them with an `UnknownModelWarning`.

    Raises:
        KlingValidationError: The request breaks a rule of the endpoint or provider.
    """
    row = get_endpoint(endpoint)
    path = row.create_path(provider)
    model = validate_request(row, provider, request, strict=strict)
    payload = model.to_payload(provider)
    external_task_id = payload.get("external_task_id") or derive_external_task_id(
        row.name, payload, idempotency_key
    )
    payload["external_task_id"] = external_task_id
    return PreparedCreate(
        row, path, payload, external_task_id, datetime.now(UTC), model, strict=strict
    )
