"""How `prefect-kling` ends on an expected error, a bug, or an unreachable Kling.

One clear line on stderr and exit 1, never a traceback: not from the command, and not from
Prefect's log lines on the terminal, while the run's logs in the Prefect API keep theirs.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import re
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from prefect_kling.downloads import destinations
from tests.cli_processes import (
    CLI,
    cli_environment,
    flow_run_logs,
    flow_run_name,
    read_flow_run,
)
from tests.conftest import ACCESS_KEY, SECRET_KEY, canary_simulator
from tests.test_cli import FAST, run

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sim():
    with canary_simulator(seed=14) as simulator:
        yield simulator


@pytest.fixture
def kling_env(sim, monkeypatch):
    for name in list(os.environ):
        if name.startswith("KLING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET_KEY)


@contextmanager
def prefect_console() -> Iterator[io.StringIO]:
    """What Prefect's console handlers print while the block runs."""
    from prefect.logging.handlers import PrefectConsoleHandler

    handlers = [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]
    assert handlers, "Prefect's console handler is not on the root logger"
    buffer = io.StringIO()
    files = [handler.console.file for handler in handlers]
    for handler in handlers:
        handler.console.file = buffer
    try:
        yield buffer
    finally:
        for handler, file in zip(handlers, files, strict=True):
            handler.console.file = file


def task_of(sim, text: str) -> str:
    [task] = [t for t in sim.tasks() if text in str(t["request"])]
    return str(task["task_id"])


LOG_LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{3} \| ")
"""The start of a line of Prefect's console handler."""


@pytest.mark.parametrize(
    ("prompt", "said"),
    [("refused", "Kling error 1301: "), ("forbidden", "failed: Failure to pass the risk")],
)
def test_a_kling_refusal_is_one_line_without_a_traceback_and_the_api_keeps_it(
    sim, tmp_path, prompt, said
):
    """1301 at create, and a task that ends failed: Prefect's engine logs each with its
    traceback; the terminal shows none, the run's logs in the Prefect API do."""
    argv = ["text2video", "--prompt", f"{prompt} {uuid.uuid4().hex[:8]}", *FAST]
    done = subprocess.run(
        [*CLI, *argv, "--output-dir", str(tmp_path)],
        env=cli_environment(sim.base_url, prefect_api=True),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and 'File "' not in done.stderr
    [own] = [line for line in done.stderr.splitlines() if not LOG_LINE.match(line)]
    assert said in own
    run_logs = flow_run_logs(read_flow_run(flow_run_name(done.stderr)).id)
    assert any("Traceback (most recent call last)" in message for message in run_logs)


def test_a_full_disk_is_one_line_with_the_command_that_saves_the_files(
    kling_env, sim, tmp_path, monkeypatch
):
    def full_disk(self, chunk: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self._target))

    monkeypatch.setattr(destinations._PartFile, "write", full_disk)
    prompt = f"a harbour at dawn {uuid.uuid4().hex[:8]}"
    with prefect_console() as console:
        code, out, err = run("text2video", "--prompt", prompt, "--output-dir", str(tmp_path), *FAST)
    task_id = task_of(sim, prompt)
    assert code == 1 and out == ""
    assert err.count("\n") == 1, err
    assert f"Could not save the files of Kling task {task_id}: [Errno 28] No space left" in err
    assert f"save its files with `prefect-kling wait text2video {task_id}`" in err
    assert "Finished in state Failed" in console.getvalue()  # the console was captured
    assert "Traceback" not in console.getvalue()


def test_an_unexpected_error_names_the_file_that_holds_its_traceback(
    kling_env, sim, tmp_path, monkeypatch
):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the saver broke\non two lines")

    monkeypatch.setattr("prefect_kling.flows.pipeline.save_task_results", broken)
    prompt = f"a lantern festival {uuid.uuid4().hex[:8]}"
    with prefect_console() as console:
        code, out, err = run("text2video", "--prompt", prompt, "--output-dir", str(tmp_path), *FAST)
    task_id = task_of(sim, prompt)
    assert code == 1 and out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("Unexpected error: RuntimeError: the saver broke on two lines")
    assert f"`prefect-kling wait text2video {task_id}`" in err
    details = Path(err.split("the traceback is in ")[1].split(";")[0])
    try:
        kept = details.read_text()
    finally:
        details.unlink()
    assert "Traceback (most recent call last)" in kept and "RuntimeError: the saver broke" in kept
    assert "Traceback" not in console.getvalue()


@pytest.fixture
def hanging_up_kling(monkeypatch):
    """A Kling that accepts each connection and closes it at once; counts them."""
    accepted: list[int] = []
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            accepted.append(1)
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    for name in list(os.environ):
        if name.startswith("KLING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KLING_BASE_URL", f"http://127.0.0.1:{server.getsockname()[1]}")
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET_KEY)
    yield accepted
    server.close()


def test_status_queries_once_as_it_says(hanging_up_kling):
    from prefect_kling.cli import build_parser

    assert "query a task once" in build_parser().format_help()
    code, out, err = run("status", "text2video", "123456")
    assert code == 1 and out == ""
    assert len(hanging_up_kling) == 1
    assert err.count("\n") == 1 and "Traceback" not in err
