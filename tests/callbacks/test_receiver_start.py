"""`prefect-kling receiver` starts only where its events are seen, and leaves nothing behind.

Without a Prefect API the events would go to a private temporary server nobody watches
(and that server outlived the receiver after SIGTERM): the receiver refuses to start, in
one line, exit 2. With one, SIGTERM ends it and every process it started.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventResourceFilter
from prefect.settings import get_current_settings

from prefect_kling.simulator import SignedCallbackFormat
from tests.callbacks.hooks import SECRET, TOKEN
from tests.prefect_server import free_port, server_environment

pytestmark = pytest.mark.e2e

RECEIVER = [sys.executable, "-m", "prefect_kling.cli", "receiver", "--token", TOKEN]


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("api", ["unset", "unreachable"])
def test_the_receiver_refuses_to_start_without_a_reachable_prefect_api(tmp_path, api):
    environment = server_environment(tmp_path)  # a fresh PREFECT_HOME: no profile's API
    if api == "unreachable":
        environment["PREFECT_API_URL"] = f"http://127.0.0.1:{free_port()}/api"
    try:
        ended = subprocess.run(
            [*RECEIVER, "--port", str(free_port())],
            env=environment,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the receiver started without a Prefect API to send its events to")
    assert ended.returncode == 2, ended.stderr
    [line] = ended.stderr.strip().splitlines()
    assert "PREFECT_API_URL" in line
    assert "Traceback" not in ended.stderr
    assert "callback_url" not in ended.stdout  # nothing announced that will not run


def test_the_receiver_without_a_signing_secret_needs_kling_credentials_for_its_queries(
    tmp_path,
):
    environment = server_environment(tmp_path, str(get_current_settings().api.url))
    ended = subprocess.run(
        [*RECEIVER, "--port", str(free_port())],
        env=environment,  # no KLING_* variables
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ended.returncode == 2, ended.stderr
    [line] = ended.stderr.strip().splitlines()
    assert "KLING_ACCESS_KEY" in line and "Traceback" not in ended.stderr


def test_sigterm_ends_the_receiver_and_every_process_it_started(tmp_path):
    environment = server_environment(tmp_path, str(get_current_settings().api.url))
    port = free_port()
    receiver = subprocess.Popen(
        [*RECEIVER, "--port", str(port), "--signing-secret", SECRET],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/kling/callbacks/{TOKEN}?endpoint=text2video"
        task_id = str(uuid.uuid4().int)[:18]
        body = {"task_id": task_id, "task_status": "succeed"}
        deadline = time.monotonic() + 60
        while True:
            assert receiver.poll() is None, receiver.stdout.read().decode()
            headers, raw = SignedCallbackFormat(SECRET).encode(body)
            try:
                answer = httpx.post(url, content=raw, headers=headers, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the receiver never answered"
                time.sleep(0.1)
        assert answer.status_code in (202, 204), answer.text
        assert _event_reached_the_api(task_id), "the event never reached the Prefect API"
        started = _children(receiver.pid)
        receiver.send_signal(signal.SIGTERM)
        code = receiver.wait(timeout=20)
    finally:
        if receiver.poll() is None:
            receiver.kill()
    assert code in (0, -signal.SIGTERM, 128 + signal.SIGTERM)
    left = [pid for pid in started if Path(f"/proc/{pid}").exists()]
    assert not left, f"left running: {[_cmdline(pid) for pid in left]}"


def _event_reached_the_api(task_id: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Made anew each time: a filter's time window ends when it is made.
        event_filter = EventFilter(resource=EventResourceFilter(id=[f"kling.task.{task_id}"]))
        with get_client(sync_client=True) as client:
            if client.read_events(filter=event_filter, limit=5).events:
                return True
        time.sleep(0.1)
    return False


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return str(pid)
