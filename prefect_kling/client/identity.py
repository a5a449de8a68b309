"""What a create is: the digest of its content and its external task ids, scheme by scheme.

The same request must name the same Kling task, so that a retry, a rerun or a crash never
pays twice; a different request must never be handed another's task. Nothing here does I/O.

- The **content digest** (`content_digest`) hashes the request as Kling reads it: the body
  with every setting left out filled in with Kling's default for the endpoint and provider
  (the row's `limits[provider].defaults`; the request model has filled its own defaults
  already), without `external_task_id` and `callback_url` (moving the receiver does not
  make a new video). `{"prompt": p}` and `{"prompt": p, "duration": "5"}` have one digest.
- A **derived external id** (the request gives none) is the package's own, and names
  the content it was derived from:
  - scheme 2 (this version; `pk2-` and 32 hex digits, `request_external_task_id`): a SHA-256
    of the content digest and the idempotency key;
  - scheme 1 (earlier versions; `pk-` and 32 hex digits, `derive_external_task_id`): a SHA-256 of
    the endpoint, the body as given and the key. A request's scheme-1 id is kept beside
    its scheme-2 id as an *earlier form*: where an earlier version may have made its task
    (a cache record or a sent mark of the earlier form exists), that form is looked up
    too, and a first attempt sends no lookup at all;
  - a fresh take (`prefect_kling.flows.create_step.fresh_take_id`) is `pk-` and 32 hex
    digits of its base id and take name, whatever the base's scheme.
  Because a derived id names its content, Kling's refusal of one as a duplicate means
  the same request: the task it names is this request's.
- The defaults a row states, and the way a request model spells its body, are part of
  scheme 2: changing them changes the ids of requests that leave those settings out, so
  a rerun would no longer find its task. Such a change is a new scheme, with this one kept
  as an earlier form (`tests/test_client.py` pins ids of both schemes).
- A **caller's own id** says nothing of the content. The create step records the content
  digest beside it and refuses the id for other content (`KlingExternalIdInUse`); the
  client takes a task found by it only when the task was made since the create was first
  sent, and never one that Kling's duplicate refusal names and no earlier attempt made.

Examples:
    >>> from prefect_kling.endpoints import get_endpoint
    >>> row, kling = get_endpoint("text2video"), Provider.KLING
    >>> short = content_digest(row, kling, {"prompt": "fox"})
    >>> short == content_digest(row, kling, {"prompt": "fox", "duration": "5", "mode": "std"})
    True
    >>> short == content_digest(row, kling, {"prompt": "fox", "duration": "10"})
    False
    >>> request_external_task_id(short).startswith("pk2-"), is_derived_id("job-42")
    (True, False)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prefect_kling.providers import Provider

if TYPE_CHECKING:
    from prefect_kling.endpoints import Endpoint

SCHEME = 2
"""The scheme this version derives external ids with."""

_UNHASHED_FIELDS = frozenset({"external_task_id", "callback_url"})
_SCHEME_1_PREFIX = "pk-"
_SCHEME_2_PREFIX = "pk2-"
_DERIVED = re.compile(r"pk2?-[0-9a-f]{32}")


def with_defaults(payload: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The body with every default filled in where the setting is left out.

    Args:
        payload: The body as it will be sent.
        defaults: Kling's default per setting; dotted names reach into nested objects.

    Examples:
        >>> with_defaults({"input": {"mode": "pro"}}, {"input.mode": "std", "input.n": 1})
        {'input': {'mode': 'pro', 'n': 1}}
        >>> with_defaults({"effect_scene": "hug"}, {"input.mode": "std"})  # no input: left as is
        {'effect_scene': 'hug'}
    """
    filled = json.loads(json.dumps(payload))  # a deep copy of the JSON body
    for name, value in defaults.items():
        *parents, leaf = name.split(".")
        holder: Any = filled
        for parent in parents:
            holder = holder.get(parent) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and holder.get(leaf) is None:
            holder[leaf] = value
    return filled


def content_digest(
    row: Endpoint,
    provider: Provider,
    payload: Mapping[str, Any],
    *,
    stand_ins: Mapping[str, Any] | None = None,
) -> str:
    """32 hex digits that name what a request asks Kling to make.

    Args:
        row: The endpoint row (its defaults for the provider are filled in).
        provider: Where the request goes.
        payload: The body as it will be sent.
        stand_ins: Values hashed in place of fields that differ on every call although
            the content does not: an identify-face session is new on every call, and the
            video it was opened on stands in for it.
    """
    content = {key: value for key, value in payload.items() if key not in _UNHASHED_FIELDS}
    content.update(stand_ins or {})
    defaults = row.limits.get(Provider(provider))
    filled = with_defaults(content, defaults.defaults if defaults else {})
    return _digest({"scheme": SCHEME, "endpoint": row.name, "request": filled})


def request_external_task_id(digest: str, idempotency_key: str | None = None) -> str:
    """The scheme-2 external id of a request: its content digest and idempotency key.

    Examples:
        >>> a = request_external_task_id("0123abcd")
        >>> a == request_external_task_id("0123abcd", idempotency_key="take-2")
        False
    """
    return _SCHEME_2_PREFIX + _digest({"content": digest, "key": idempotency_key})


def derive_external_task_id(
    endpoint: str, payload: Mapping[str, Any], idempotency_key: str | None = None
) -> str:
    """The scheme-1 external id: the content as given, the endpoint and the key.

    Requests are named with scheme 2 (`request_external_task_id`), which fills in Kling's
    defaults first; this one names what earlier versions made (looked up as an earlier
    form), and what a caller that hashes a canonical content of its own makes (the
    advanced lip-sync given by its video, `LipSyncPlan`).

    Args:
        endpoint: Endpoint name.
        payload: The content, e.g. the create body as it will be sent.
        idempotency_key: Any text; a new key asks for a fresh take of the same request.

    Examples:
        >>> a = derive_external_task_id("text2video", {"prompt": "fox"})
        >>> a == derive_external_task_id("text2video", {"prompt": "fox", "callback_url": "https://h"})
        True
        >>> a == derive_external_task_id("text2video", {"prompt": "fox"}, idempotency_key="take-2")
        False
    """
    content = {key: value for key, value in payload.items() if key not in _UNHASHED_FIELDS}
    return _SCHEME_1_PREFIX + _digest(
        {"endpoint": endpoint, "request": content, "key": idempotency_key}
    )


def is_derived_id(external_task_id: str) -> bool:
    """Whether an external id is one the package derives (any scheme, or a fresh take).

    Examples:
        >>> is_derived_id("pk2-" + "0" * 32), is_derived_id("pk-" + "a" * 32), is_derived_id("pk-x")
        (True, True, False)
    """
    return _DERIVED.fullmatch(external_task_id) is not None


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]
