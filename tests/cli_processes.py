"""Helpers of the tests that run `prefect-kling` as a process: its environment, its group."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ACCESS_KEY, SECRET_KEY
from tests.prefect_server import sigint_as_in_a_terminal

CLI = [sys.executable, "-m", "prefect_kling.cli"]


def cli_environment(base_url: str, *, prefect_api: bool) -> dict[str, str]:
    """The environment of a `prefect-kling` process that uses the simulator at `base_url`.

    Args:
        base_url: The simulator.
        prefect_api: Use this session's Prefect server; otherwise the process starts its own
            temporary one, as the command does where no `PREFECT_API_URL` is set.
    """
    from prefect.settings import PREFECT_API_URL

    env = {name: value for name, value in os.environ.items() if not name.startswith("KLING_")}
    env.pop("PREFECT_API_URL", None)
    env.update(
        KLING_BASE_URL=base_url,
        KLING_ACCESS_KEY=ACCESS_KEY,
        KLING_SECRET_KEY=SECRET_KEY,
        PYTHONUNBUFFERED="1",
        PREFECT_LOGGING_COLORS="false",
    )
    if prefect_api:
        env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    else:  # a busy machine starts it slowly (Prefect waits 20 s by default)
        env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
    return env


def start_cli(argv: list[str], env: dict[str, str], stderr: Path) -> subprocess.Popen[str]:
    """Start `prefect-kling` in a process group of its own (as a shell starts a job).

    Ctrl-C's SIGINT is handled as in a terminal even when the tests run in the background,
    where the shell made SIGINT ignored, and the command would inherit that.
    """
    return subprocess.Popen(
        [*CLI, *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr.open("w"),
        text=True,
        start_new_session=True,
        preexec_fn=sigint_as_in_a_terminal,
    )


def wait_for(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    """Poll `condition` every 0.05 s until it is true; returns its value."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.05)
    return value


def group_members(group: int) -> list[int]:
    """The live processes (not zombies) of a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _parent, process_group = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(process_group) == group and state != "Z":
            members.append(int(entry.name))
    return members


def end_group(group: int) -> None:
    """Kill whatever is left of a process group a test started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def flow_run_name(stderr: str) -> str:
    """The name of the flow run whose start the command logged."""
    match = re.search(r"Beginning flow run '([^']+)'", stderr)
    assert match, stderr
    return match[1]


def read_flow_run(name: str) -> object:
    """The flow run of that name, from this session's Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        [run] = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name]))
        )
    return run


def flow_run_logs(flow_run_id: object) -> list[str]:
    """The messages of a flow run's logs (and its task runs'), from this session's server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
        )
    return [log.message for log in logs]
