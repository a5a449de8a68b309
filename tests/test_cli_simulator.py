"""`prefect-kling simulator`: one banner, as docs/testing.md shows it, and an account with packs."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import prefect_kling.simulator as simulator_package
import prefect_kling.simulator.server as server_module
from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from prefect_kling.simulator.packs import DEMO_PACK_UNITS, PACK_NAMES
from prefect_kling.simulator.state_file import read_state_file
from tests.cli_processes import sigint_as_in_a_terminal
from tests.test_cli import run

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
BANNER_START = "Kling simulator on"


def documented_command_and_output() -> tuple[list[str], str]:
    """The `prefect-kling simulator` command of docs/testing.md and the text shown below it."""
    page = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    found = re.search(
        r"```bash\n(prefect-kling simulator [^\n]*)\n```\n.*?```text\n(.*?)```", page, re.S
    )
    assert found, "docs/testing.md shows no prefect-kling simulator command and its output"
    return shlex.split(found[1])[1:], found[2]


class _FakeSocket:
    """A socket that says it got the port asked for (the docs' 8000 may be taken here)."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)

    def getsockname(self) -> tuple[str, int]:
        return self.address

    def close(self) -> None:
        pass


def test_the_docs_show_exactly_what_the_command_prints(monkeypatch, capfd):
    argv, shown = documented_command_and_output()
    monkeypatch.setattr(server_module, "_bind", _FakeSocket)
    serve_at_once = lambda self, sockets: self.on_started()  # noqa: E731
    monkeypatch.setattr(server_module.ForegroundServer, "run", serve_at_once)
    code, out, err = run(*argv)
    assert (code, err) == (0, "")
    assert out == shown
    assert BANNER_START not in capfd.readouterr().err  # printed once, on stdout only


def test_the_command_prints_its_banner_once_and_keeps_its_state_file(tmp_path: Path):
    state = tmp_path / "account.json"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "prefect_kling.cli", "simulator", "--port", "0"),
            *("--state-file", str(state)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=sigint_as_in_a_terminal,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not lines or lines[-1] != "Press Ctrl-C to stop.\n":
            assert time.monotonic() < deadline and process.poll() is None, lines
            lines.append(process.stdout.readline())
        base_url = lines[0].removeprefix(BANNER_START).strip()
        assert not base_url.endswith(":0")
        assert httpx.get(f"{base_url}/_simulator/stats", timeout=5).status_code == 200
        made = httpx.post(
            f"{base_url}/kling/v1/videos/text2video",
            json={"prompt": "a fox"},
            headers={"Authorization": f"Bearer {SimulatorConfig().api_key}"},
            timeout=5,
        ).json()["data"]
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    printed = "".join(lines) + out + err
    assert printed.count(BANNER_START) == 1, printed
    assert f"  state file:    {state} (tasks kept across restarts)\n" in lines
    assert state.exists(), err
    assert [task["task_id"] for task in read_state_file(state)["tasks"]] == [made["task_id"]]


def test_the_account_has_a_trial_pack_per_family_by_default(monkeypatch):
    configs: list[SimulatorConfig] = []
    monkeypatch.setattr(
        simulator_package, "serve", lambda config, **options: configs.append(config)
    )
    assert run("simulator")[0] == 0
    assert run("simulator", "--pack-units", "25")[0] == 0
    assert run("simulator", "--pack-units", "0")[0] == 0
    assert [config.pack_limits for config in configs] == [
        dict.fromkeys(PACK_NAMES, DEMO_PACK_UNITS),
        dict.fromkeys(PACK_NAMES, 25),
        {},
    ]


def test_costs_shows_the_units_the_simulators_tasks_charged(monkeypatch, tmp_path: Path):
    """What `prefect-kling simulator` serves, read with `prefect-kling costs` after a task."""
    configs: list[SimulatorConfig] = []
    monkeypatch.setattr(
        simulator_package, "serve", lambda config, **options: configs.append(config)
    )
    assert run("simulator", "--queue-seconds", "0.05", "--processing-seconds", "0.2")[0] == 0
    with KlingSimulator(configs[0]) as sim:
        _point_at(sim, monkeypatch)
        code, out, err = run("costs")
        assert code == 0, err
        assert _remaining(out) == dict.fromkeys(PACK_NAMES.values(), ("1000", "1000", "0"))
        code, out, err = run(
            "text2video",
            "--prompt",
            "a fox",
            "--mode",
            "pro",
            "--output-dir",
            str(tmp_path),
            "--poll-interval",
            "0.05",
        )
        assert code == 0, err
        assert "succeeded, 3.5 units\n" in out
        sim.advance(2)  # account/costs answers once a second
        code, out, err = run("costs")
    assert code == 0, err
    video, image, try_on = PACK_NAMES.values()
    assert _remaining(out) == {
        video: ("1000", "996.5", "3.5"),
        image: ("1000", "1000", "0"),
        try_on: ("1000", "1000", "0"),
    }


def _point_at(sim: KlingSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KLING_PROVIDER", "KLING_API_KEY", "KLING_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    monkeypatch.setenv("KLING_ACCESS_KEY", sim.config.access_key)
    monkeypatch.setenv("KLING_SECRET_KEY", sim.config.secret_key)


def _remaining(table: str) -> dict[str, Any]:
    """Total, remaining and used units per pack name, from the costs table."""
    rows = {}
    for name in PACK_NAMES.values():
        [line] = [line for line in table.splitlines() if line.startswith(name)]
        total, remaining, used = line.removeprefix(name).split()[2:5]
        rows[name] = (total, remaining, used)
    return rows
