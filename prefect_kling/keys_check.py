"""What `KlingCredentials.check()` found: which API accepted the keys, and the account's state.

Examples:
    >>> from prefect_kling.models.account import AccountCosts
    >>> costs = AccountCosts.model_validate({"resource_pack_subscribe_infos": [
    ...     {"resource_pack_type": "video", "remaining_quantity": 95, "status": "online"},
    ... ]})
    >>> print(KeysCheck("kling", "https://api-singapore.klingai.com/v1", "7a6e9b61", costs))
    Kling's official API at https://api-singapore.klingai.com/v1 accepted the keys.
      Resource packs: video 95 units left (1 active pack of 1)
      Concurrency limits: kling-video-7a6e9b61, kling-image-7a6e9b61, kling-try-on-7a6e9b61
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect_kling.budget import units_said
from prefect_kling.endpoints import Family
from prefect_kling.models.account import AccountCosts

_PROVIDERS = {"kling": "Kling's official API", "cometapi": "The CometAPI gateway"}


@dataclass(frozen=True)
class KeysCheck:
    """The outcome of a key check that succeeded; `str()` gives a readable summary.

    No key, token or secret is kept: only where the keys were accepted.

    Attributes:
        provider: `kling` or `cometapi`.
        base_url: The API that accepted the keys.
        account: The account's name in the concurrency limits (`KlingCredentials.account`).
        costs: The resource packs (official API), or None (a gateway has none to show).
    """

    provider: str
    base_url: str
    account: str
    costs: AccountCosts | None = None

    @property
    def limit_names(self) -> list[str]:
        """The Prefect concurrency limits these credentials' flows hold slots of."""
        return [family.limit_name(self.account) for family in Family]

    def _packs(self) -> str:
        if self.costs is None:
            return "none to show (a gateway reports no resource packs)"
        packs = self.costs.packs
        if not packs:
            return "none in the last 365 days"
        active = sum(1 for pack in packs if pack.active)
        left = ", ".join(
            f"{kind} {units_said(units)} left"
            for kind, units in self.costs.remaining_by_type.items()
        )
        counted = f"{active} active pack{'' if active == 1 else 's'} of {len(packs)}"
        return f"{left or 'no units left'} ({counted})"

    def __str__(self) -> str:
        who = _PROVIDERS.get(self.provider, self.provider)
        keys = "keys" if self.provider == "kling" else "key"
        return "\n".join(
            [
                f"{who} at {self.base_url} accepted the {keys}.",
                f"  Resource packs: {self._packs()}",
                f"  Concurrency limits: {', '.join(self.limit_names)}",
            ]
        )
