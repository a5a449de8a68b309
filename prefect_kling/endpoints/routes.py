"""The calls that create no task: identify-face and the account's resource packs.

`IDENTIFY_FACE` is the first step of the current lip-sync, answered at once;
`ACCOUNT_COSTS` lists the account's resource packs, free, on the account prefix (no `/v1`).

Examples:
    >>> from prefect_kling.providers import Provider
    >>> IDENTIFY_FACE.path(Provider.KLING), ACCOUNT_COSTS.account
    ('videos/identify-face', True)
"""

from __future__ import annotations

from prefect_kling.endpoints.row import Route, everywhere, official_only
from prefect_kling.models.account import AccountCosts, AccountCostsQuery
from prefect_kling.models.lipsync import IdentifyFaceRequest, IdentifyFaceResult

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
    # CometAPI lists identify-face and advanced-lip-sync at Kling's paths.
    paths=everywhere(IDENTIFY_FACE_PATH),
    request_model=IdentifyFaceRequest,
    response_model=IdentifyFaceResult,
)
"""First step of the current lip-sync."""
ACCOUNT_COSTS = Route(
    name="account-costs",
    method="GET",
    # Resource packs belong to a Kling account: a CometAPI key bills CometAPI credit and
    # has no Kling packs; kling-api.md places the endpoint on the official host only.
    paths=official_only(ACCOUNT_COSTS_PATH),
    request_model=AccountCostsQuery,
    response_model=AccountCosts,
    account=True,
)
"""The account's resource packs (free): also the way to check keys without a task."""

ROUTES: dict[str, Route] = {route.name: route for route in (IDENTIFY_FACE, ACCOUNT_COSTS)}
"""The calls that create no task, by name."""
