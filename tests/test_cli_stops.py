"""Ctrl-C and SIGTERM end `prefect-kling` at once, with the command that resumes its task.

The command runs as a process in a group of its own, against a simulator whose tasks take
ten minutes; the signal comes once the flow has reported the task. SIGTERM comes the two
ways it does in practice: to the whole group (`timeout`, Ctrl-C in a terminal), which also
stops Prefect's temporary server, and to the command's process alone (a container stop).
Nothing of the group may be left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.cli_processes import (
    cli_environment,
    end_group,
    flow_run_name,
    group_members,
    read_flow_run,
    start_cli,
    wait_for,
)
from tests.conftest import canary_simulator
from tests.test_cli import run

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc"),
]

SLOW = {"queue_seconds": 0.05, "processing_seconds": 600}
"""Tasks that are still processing when the signal comes."""


@pytest.fixture(scope="module")
def sim():
    with canary_simulator(seed=15, **SLOW) as simulator:
        yield simulator


def stop_mid_task(
    sim, tmp_path: Path, signum: int, *, group: bool, prefect_api: bool
) -> tuple[int, str, str, float]:
    """Run text2video, send `signum` once the task is processing; returns the exit code,
    stderr, the task id and the seconds from the signal to the end of the process group."""
    prompt = f"a clock tower in the rain {uuid.uuid4().hex[:8]}"
    log = tmp_path / "stderr.txt"
    argv = ["text2video", "--prompt", prompt, "--output-dir", str(tmp_path / "out")]
    process = start_cli(
        [*argv, "--poll-interval", "0.05"],
        cli_environment(sim.base_url, prefect_api=prefect_api),
        log,
    )

    def created() -> str | None:
        assert process.poll() is None, f"it ended early: {log.read_text()}"
        return next((str(t["task_id"]) for t in sim.tasks() if prompt in str(t)), None)

    try:
        task_id = wait_for(created, timeout=240, what="the task to be created")
        wait_for(
            lambda: f"Kling task {task_id} (text2video) processing after" in log.read_text(),
            timeout=30,
            what="the flow to log the task",
        )
        # The flow tells its `on_status` after the log line, before it queries again.
        queries = sim.stats().query_calls
        wait_for(lambda: sim.stats().query_calls > queries, timeout=30, what="the next query")
        signalled = time.monotonic()
        if group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        code = process.wait(timeout=60)
        wait_for(lambda: not group_members(process.pid), timeout=10, what="the group to end")
        return code, log.read_text(), str(task_id), time.monotonic() - signalled
    finally:
        end_group(process.pid)
        process.wait(timeout=10)


def assert_resumable(stderr: str, task_id: str, name: str) -> None:
    assert "Traceback" not in stderr
    resume = f"`prefect-kling wait text2video {task_id}`"
    [line] = [line for line in stderr.splitlines() if resume in line]
    assert line.startswith(f"Stopped by {name}. Kling task {task_id} (text2video) keeps running")


@pytest.mark.parametrize("group", [True, False], ids=["to-the-group", "to-the-process"])
def test_sigterm_ends_at_once_with_the_resume_command_and_leaves_nothing(sim, tmp_path, group):
    code, stderr, task_id, took = stop_mid_task(
        sim, tmp_path, signal.SIGTERM, group=group, prefect_api=False
    )
    assert code == 143, stderr
    assert_resumable(stderr, task_id, "SIGTERM")
    assert took < 30  # at most the 10 s grace and a 3 s stop; it was minutes of retries


def test_ctrl_c_ends_with_130_the_resume_command_and_a_crashed_run(sim, tmp_path):
    code, stderr, task_id, _took = stop_mid_task(
        sim, tmp_path, signal.SIGINT, group=True, prefect_api=True
    )
    assert code == 130, stderr
    assert_resumable(stderr, task_id, "SIGINT")
    assert read_flow_run(flow_run_name(stderr)).state.type.value == "CRASHED"


def test_sigterm_before_anything_was_sent_says_nothing_was_created(monkeypatch):
    def stopped_here(args: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # the handler runs as soon as the signal arrives
        raise AssertionError("SIGTERM did not stop the command")

    def not_ours(signum: int, frame: object) -> None:
        raise RuntimeError("SIGTERM reached the test's own handler")

    monkeypatch.setattr("prefect_kling.cli.generate.load_credentials", stopped_here)
    previous = signal.signal(signal.SIGTERM, not_ours)
    try:
        code, out, err = run("text2video", "--prompt", "never sent")
        assert signal.getsignal(signal.SIGTERM) is not_ours  # put back
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert (code, out) == (143, "")
    assert err == "Stopped by SIGTERM. Nothing was sent to Kling: no task was created.\n"


def test_the_simulator_command_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect_kling.cli", "simulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: process.stdout.readline().startswith("Kling simulator on"),
            timeout=60,
            what="the simulator to start",
        )
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    finally:
        end_group(process.pid)
    assert process.returncode == 143
    assert err.splitlines()[-1] == "Stopped by SIGTERM."
    assert "Traceback" not in err
