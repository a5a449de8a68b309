"""Credentials for the examples: your `KLING_*` variables, or the embedded simulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from prefect_kling import KlingCredentials
from prefect_kling.simulator import KlingSimulator, SimulatorConfig


@contextmanager
def kling_credentials() -> Iterator[KlingCredentials]:
    """Real credentials when `KLING_*` variables are set; otherwise a local simulator's."""
    if any(os.environ.get(name) for name in ("KLING_API_KEY", "KLING_ACCESS_KEY")):
        yield KlingCredentials.from_env()
        return
    with KlingSimulator(SimulatorConfig(queue_seconds=0.5, processing_seconds=2.0)) as sim:
        print(f"No KLING_* variables: using the embedded simulator on {sim.base_url}")
        yield sim.credentials()
