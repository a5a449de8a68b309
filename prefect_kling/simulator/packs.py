"""The account's resource packs, as `GET /account/costs` reports them.

With `resource_pack_units` set, the account has one pack per concurrency family that has
a limit (`video`, `image`, `try-on`), each holding that many units, online from the moment
the simulator started (or was reset) for `PACK_DAYS` days of simulator clock. A family
without a limit has no pack to report. A task's units are taken from its family's pack
when it ends (`remaining_quantity` follows at once, where Kling may lag up to 12 hours);
a pack that is used up or expired makes creates of its family answer 429/1102.

Examples:
    >>> pack = Pack("video", total=10, effective_ms=0, invalid_ms=PACK_DAYS * DAY_MS)
    >>> view = pack.view(used=10.5, now_ms=1000)
    >>> view["remaining_quantity"], view["status"]
    (0.0, 'runOut')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DAY_MS = 24 * 3600 * 1000
PACK_DAYS = 365
DEMO_PACK_UNITS = 1000.0
"""Units in each family's trial pack on a demo simulator (`prefect-kling simulator`, `demo`)."""
PACK_NAMES = {
    "video": "Video generation resource pack",
    "image": "Image generation resource pack",
    "try-on": "Virtual try-on resource pack",
}


@dataclass(frozen=True)
class Pack:
    """One resource pack.

    Attributes:
        family: The family whose tasks it pays for; also its `resource_pack_type`.
        total: Units it holds.
        effective_ms: When it came online, Unix milliseconds (simulator clock).
        invalid_ms: When it expires, Unix milliseconds (simulator clock).
    """

    family: str
    total: float
    effective_ms: int
    invalid_ms: int

    @property
    def name(self) -> str:
        """Its `resource_pack_name`."""
        return PACK_NAMES.get(self.family, f"{self.family} resource pack")

    def expired(self, now_ms: int) -> bool:
        """Whether it has expired."""
        return now_ms >= self.invalid_ms

    def overlaps(self, start_ms: int, end_ms: int) -> bool:
        """Whether it was valid at some time in `[start_ms, end_ms]`."""
        return self.effective_ms <= end_ms and start_ms < self.invalid_ms

    def status(self, used: float, now_ms: int) -> str:
        """`toBeOnline`, `online`, `expired` or `runOut`."""
        if now_ms < self.effective_ms:
            return "toBeOnline"
        if self.expired(now_ms):
            return "expired"
        return "runOut" if used >= self.total else "online"

    def view(self, used: float, now_ms: int) -> dict[str, Any]:
        """The pack as an item of `resource_pack_subscribe_infos`."""
        return {
            "resource_pack_id": f"sim-pack-{self.family}",
            "resource_pack_name": self.name,
            "resource_pack_type": self.family,
            "total_quantity": float(self.total),
            "remaining_quantity": max(0.0, float(self.total) - used),
            "effective_time": self.effective_ms,
            "invalid_time": self.invalid_ms,
            "status": self.status(used, now_ms),
        }


def pack_short(packs: list[Pack], family: str, now_ms: int, committed: float, price: float) -> bool:
    """Whether the family's pack (if it has one) is expired or cannot pay `price` more.

    Args:
        packs: The account's packs.
        family: The family of the task to pay for.
        now_ms: The time now, Unix milliseconds.
        committed: Units the family's charged and running tasks take.
        price: Units of the new task.
    """
    pack = next((pack for pack in packs if pack.family == family), None)
    if pack is None:
        return False
    return pack.expired(now_ms) or committed + price > pack.total


def account_packs(limits: dict[str, float], opened_ms: int) -> list[Pack]:
    """The packs of an account opened at `opened_ms`, with `limits` units per family."""
    invalid_ms = opened_ms + PACK_DAYS * DAY_MS
    return [Pack(family, total, opened_ms, invalid_ms) for family, total in limits.items()]
