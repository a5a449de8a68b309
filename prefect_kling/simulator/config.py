"""The simulator's settings: keys, timing, limits, content policy, faults and files.

Every field has a default that makes a usable demo server; tests and benchmarks override
what they need. A running simulator can be reconfigured with `KlingSimulator.configure`,
which builds a new, validated `SimulatorConfig` with `dataclasses.replace`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prefect_kling.simulator.assets import sample_video_size
from prefect_kling.simulator.callbacks import CallbackFormat, KlingCallbackFormat
from prefect_kling.simulator.faults import FaultKind

# Fixed demo keys so that a user can try the simulator without an account. They protect
# nothing: the simulator listens on loopback and serves made-up results.
DEMO_ACCESS_KEY = "AkSimulatorDemoAccessKey00000001"
DEMO_SECRET_KEY = "SkSimulatorDemoSecretKey00000001"  # noqa: S105
DEMO_API_KEY = "sk-simulator-demo-api-key-000001"

FAMILIES = ("video", "image", "try-on")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


DEFAULT_CONCURRENCY: Mapping[str, int] = {"video": 5, "image": 5, "try-on": 2}


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulated Kling account and server behave.

    Attributes:
        access_key: Access key expected as the JWT `iss` on the official `/v1` prefix (the
            newer standard refuses JWTs).
        secret_key: Secret key that signs valid JWTs (HS256).
        api_key: The API key (`Authorization: Bearer <key>`): taken on the official `/v1`
            (beside JWTs), on the newer standard (the only credential taken there) and on
            the gateway `/kling/v1` prefix.
        concurrency: Slots per family (`video`, `image`, `try-on`); missing families keep
            their default. A task holds its slots from `submitted` until it ends; an image
            task takes `n` slots.
        queue_seconds: Time a new task stays `submitted`.
        processing_seconds: Time a task then stays `processing` before it ends.
        resource_pack_units: Units in each of the account's resource packs, one per family
            (a number for every family, or a mapping `{family: units}`; a family left out
            is unlimited). A create whose price would take its family's charged and running
            tasks past the pack answers 429/1102 (resource pack used up), as does any create
            once the pack has expired (365 days of simulator clock). `GET /account/costs`
            reports these packs. `None`: unlimited, no packs.
        seed: Seed of the random generators (ids, faults); `None` for a random seed.
        jwt_leeway_seconds: Clock-skew allowance when checking a JWT's `exp` and `nbf`.
        requests_per_second: Optional token-bucket rate limit on API calls (answers 1302).
        burst: Bucket capacity; defaults to the rate rounded up (at least 1).
        failure_word: A prompt containing this word (case-insensitive) makes the task fail
            later with Kling's risk-control message; `None` turns it off.
        refusal_word: A prompt containing this word is refused at create time with 1301;
            `None` turns it off.
        fault_rate: Probability (0..1) with which each enabled fault kind is applied to an
            eligible request.
        faults: Fault kinds drawn at random with `fault_rate` (default: all kinds).
            Faults forced with `KlingSimulator.inject` apply whatever this holds.
        slow_seconds: Real delay added by the `slow` fault.
        video_bytes: Size of each served MP4: the video padded with a trailing `free` box
            to exactly this size. A rendered video larger than this (or less than 8 bytes
            smaller, too close for a box) is served whole at its own size. `None`: the
            video's own size. Must be reachable from the shipped sample (its size or at
            least 8 bytes more), which is served when rendering is off or impossible.
        render_videos: Render each video task's MP4 on its first download: H.264 of the
            length the task reports, showing the task id, the prompt and the time (needs
            PyAV, the `prefect-kling[simulator]` extra; without it, the sample is served
            and one warning logged). `False`: every video is the shipped one-second
            sample, for benchmarks whose figures the encoding CPU would distort.
        image_long_side: Pixels on the long side of generated PNGs.
        link_ttl_seconds: Result links stop working this long after the task ended
            (simulator clock); `None`: they never expire.
        callback_timeout_seconds: Timeout of each callback POST.
        callback_format: How callback requests are encoded (Kling's bare task object by
            default).
        tick_seconds: Period of the background loop that moves tasks and sends callbacks.
    """

    access_key: str = DEMO_ACCESS_KEY
    secret_key: str = DEMO_SECRET_KEY
    api_key: str = DEMO_API_KEY
    concurrency: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CONCURRENCY))
    queue_seconds: float = 1.0
    processing_seconds: float = 4.0
    resource_pack_units: float | Mapping[str, float] | None = None
    seed: int | None = None
    jwt_leeway_seconds: float = 5.0
    requests_per_second: float | None = None
    burst: int | None = None
    failure_word: str | None = "forbidden"
    refusal_word: str | None = "refused"
    fault_rate: float = 0.0
    faults: Iterable[FaultKind | str] = frozenset(FaultKind)
    slow_seconds: float = 2.0
    video_bytes: int | None = None
    render_videos: bool = True
    image_long_side: int = 1024
    link_ttl_seconds: float | None = None
    callback_timeout_seconds: float = 5.0
    callback_format: CallbackFormat = field(default_factory=KlingCallbackFormat)
    tick_seconds: float = 0.05

    def __post_init__(self) -> None:
        unknown = set(self.concurrency) - set(FAMILIES)
        if unknown:
            raise ValueError(f"unknown concurrency families {sorted(unknown)}; known: {FAMILIES}")
        limits = {**DEFAULT_CONCURRENCY, **self.concurrency}
        if any(not isinstance(v, int) or v < 0 for v in limits.values()):
            raise ValueError(f"concurrency limits must be integers >= 0, got {limits}")
        object.__setattr__(self, "concurrency", limits)
        object.__setattr__(self, "faults", frozenset(FaultKind(kind) for kind in self.faults))
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be between 0 and 1, got {self.fault_rate}")
        for name in ("queue_seconds", "processing_seconds", "slow_seconds", "jwt_leeway_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        self._check_packs()
        if self.tick_seconds <= 0:
            raise ValueError("tick_seconds must be > 0")
        if self.requests_per_second is not None and self.requests_per_second <= 0:
            raise ValueError("requests_per_second must be > 0 (or None for no limit)")
        if self.image_long_side < 16:
            raise ValueError("image_long_side must be at least 16")
        if not isinstance(self.render_videos, bool):
            raise ValueError(f"render_videos must be true or false, got {self.render_videos!r}")
        self._check_video_bytes()

    def _check_packs(self) -> None:
        units = self.resource_pack_units
        limits = units if isinstance(units, Mapping) else {}
        unknown = set(limits) - set(FAMILIES)
        if unknown:
            raise ValueError(f"unknown resource pack families {sorted(unknown)}; known: {FAMILIES}")
        values = list(limits.values()) if isinstance(units, Mapping) else [units]
        if any(value is not None and (not _is_number(value) or value < 0) for value in values):
            raise ValueError(f"resource_pack_units must be numbers >= 0, got {units!r}")

    @property
    def pack_limits(self) -> dict[str, float]:
        """Units of each family's resource pack; families without a pack are left out."""
        units = self.resource_pack_units
        if units is None:
            return {}
        if isinstance(units, Mapping):
            return {family: units[family] for family in FAMILIES if family in units}
        return dict.fromkeys(FAMILIES, units)

    def _packs_json(self) -> float | dict[str, float] | None:
        units = self.resource_pack_units
        return dict(units) if isinstance(units, Mapping) else units

    def _check_video_bytes(self) -> None:
        if self.video_bytes is None:
            return
        sample = sample_video_size()
        gap = self.video_bytes - sample
        # A `free` box is at least 8 bytes (its header), so sizes just above the sample
        # cannot be reached exactly.
        if gap < 0 or 0 < gap < 8:
            raise ValueError(
                f"video_bytes must be the sample size ({sample}) or at least {sample + 8}, "
                f"got {self.video_bytes}"
            )

    @property
    def fault_kinds(self) -> frozenset[FaultKind]:
        """The enabled fault kinds, as a frozenset of `FaultKind`."""
        return frozenset(self.faults)

    def public_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready values (keys included: they are demo values)."""
        return {
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "api_key": self.api_key,
            "concurrency": dict(self.concurrency),
            "queue_seconds": self.queue_seconds,
            "processing_seconds": self.processing_seconds,
            "resource_pack_units": self._packs_json(),
            "seed": self.seed,
            "jwt_leeway_seconds": self.jwt_leeway_seconds,
            "requests_per_second": self.requests_per_second,
            "burst": self.burst,
            "failure_word": self.failure_word,
            "refusal_word": self.refusal_word,
            "fault_rate": self.fault_rate,
            "faults": sorted(self.fault_kinds),
            "slow_seconds": self.slow_seconds,
            "video_bytes": self.video_bytes,
            "render_videos": self.render_videos,
            "image_long_side": self.image_long_side,
            "link_ttl_seconds": self.link_ttl_seconds,
            "callback_timeout_seconds": self.callback_timeout_seconds,
            "callback_format": type(self.callback_format).__name__,
            "tick_seconds": self.tick_seconds,
        }
