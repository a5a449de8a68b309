"""An embedded Kling-compatible API server for demos, tests and benchmarks.

`KlingSimulator` runs it on loopback in a background thread; `serve` runs it in the
foreground. It speaks Kling's official API in both of its standards (the legacy `/v1`, API
key or JWT; the newer one of 2026 at the host's root, `/<product>/<model>` and `/tasks`,
API key only) and a gateway's (`/kling/v1`, bearer key), and tells what happened on the
server side through `stats()` and `requests()`.

Examples:
    >>> from prefect_kling.simulator import KlingSimulator, SimulatorConfig
    >>> with KlingSimulator(SimulatorConfig(seed=7)) as sim:
    ...     sim.base_url.startswith("http://127.0.0.1:")
    True
"""

from prefect_kling.simulator.callbacks import (
    CallbackFormat,
    KlingCallbackFormat,
    SignedCallbackFormat,
)
from prefect_kling.simulator.config import SimulatorConfig
from prefect_kling.simulator.faults import FaultKind
from prefect_kling.simulator.server import KlingSimulator, serve
from prefect_kling.simulator.stats import SimulatorStats

__all__ = [
    "CallbackFormat",
    "FaultKind",
    "KlingCallbackFormat",
    "KlingSimulator",
    "SignedCallbackFormat",
    "SimulatorConfig",
    "SimulatorStats",
    "serve",
]
