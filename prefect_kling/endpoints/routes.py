"""The calls that create no task: identify-face, the account's resource packs, selections.

`IDENTIFY_FACE` is the first step of the current lip-sync, answered at once and charged
0.05 units a call (the pricing page's "Lip Sync, Face Recognition" row);
`ACCOUNT_COSTS` lists the account's resource packs, free, on the account prefix (no `/v1`);
`SELECTION_CALLS` are multi-element editing's session (init, add, delete, clear, preview).

Examples:
    >>> from prefect_kling.providers import Provider
    >>> IDENTIFY_FACE.path(Provider.KLING), ACCOUNT_COSTS.account
    ('videos/identify-face', True)
    >>> IDENTIFY_FACE.units, ACCOUNT_COSTS.units
    (0.05, 0.0)
"""

from __future__ import annotations

from prefect_kling.endpoints.row import Route, everywhere, official_only
from prefect_kling.models.account import AccountCosts, AccountCostsQuery
from prefect_kling.models.ledger import LEDGERS, LedgerPage, LedgerQuery
from prefect_kling.models.lipsync import IdentifyFaceRequest, IdentifyFaceResult
from prefect_kling.models.multi_elements import (
    MultiElementsVideo,
    SelectionRequest,
    SelectionSession,
    SessionRequest,
)
from prefect_kling.pricing_table import PER_REQUEST_UNITS

IDENTIFY_FACE_PATH = "videos/identify-face"
"""Identify-face, relative to the API prefix: POST `IdentifyFaceRequest`, answered at once
with an `IdentifyFaceResult` (a session valid 24 hours, and the faces found); charged."""
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
    units=PER_REQUEST_UNITS["Lip Sync", "Face Recognition"],
)
"""First step of the current lip-sync (0.05 units a call)."""
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


def _selection_call(step: str, request_model: type[SessionRequest | MultiElementsVideo]) -> Route:
    """One call of multi-element editing's selection session, answered at once."""
    return Route(
        name=f"multi-elements-{step}",
        method="POST",
        # CometAPI lists multi-elements among its actions, at Kling's paths.
        paths=everywhere(f"videos/multi-elements/{step}"),
        request_model=request_model,
        response_model=SelectionSession,
    )


SELECTION_INIT = _selection_call("init-selection", MultiElementsVideo)
"""Open a selection session on a video (valid 24 hours)."""
SELECTION_ADD = _selection_call("add-selection", SelectionRequest)
"""Mark points on one frame."""
SELECTION_DELETE = _selection_call("delete-selection", SelectionRequest)
"""Unmark points on one frame, named exactly as they were added."""
SELECTION_CLEAR = _selection_call("clear-selection", SessionRequest)
"""Forget every mark of the session."""
SELECTION_PREVIEW = _selection_call("preview-selection", SessionRequest)
"""Render the marks on the video (a preview link)."""
SELECTION_CALLS = (
    SELECTION_INIT,
    SELECTION_ADD,
    SELECTION_DELETE,
    SELECTION_CLEAR,
    SELECTION_PREVIEW,
)
"""Multi-element editing's session calls, in the order a session uses them."""

ACCOUNT_LEDGERS: dict[str, Route] = {
    ledger: Route(
        name=f"account-billing-{ledger}",
        method="POST",
        # As the resource packs: a Kling account's, on the official host only.
        paths=official_only(f"account/billing/{ledger}"),
        request_model=LedgerQuery,
        response_model=LedgerPage,
        account=True,
    )
    for ledger in LEDGERS
}
"""The account's ledgers (free cursor pages): `package` (unit deductions from packs) and
`balance` (deductions from the balance)."""

ROUTES: dict[str, Route] = {
    route.name: route
    for route in (IDENTIFY_FACE, ACCOUNT_COSTS, *SELECTION_CALLS, *ACCOUNT_LEDGERS.values())
}
"""The calls that create no task, by name."""
