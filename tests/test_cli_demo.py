"""`prefect-kling demo`: a rerun reuses its tasks and files, and its hint works as typed."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest

import prefect_kling.cli.demo as demo
import prefect_kling.simulator as simulator_package
from prefect_kling.cli.executables import prefect_command
from prefect_kling.simulator import KlingSimulator
from tests.test_cli import run

pytestmark = pytest.mark.e2e


@pytest.fixture
def simulators(monkeypatch: pytest.MonkeyPatch) -> list[KlingSimulator]:
    """The simulators the demo starts (quick tasks), to read their counters afterwards."""
    started: list[KlingSimulator] = []

    class Recorded(KlingSimulator):
        def start(self) -> KlingSimulator:
            started.append(self)
            return super().start()

    monkeypatch.setattr(simulator_package, "KlingSimulator", Recorded)
    monkeypatch.setattr(demo, "TIMING", {"queue_seconds": 0.05, "processing_seconds": 0.2})
    return started


def test_a_rerun_reuses_the_tasks_and_files_of_the_first(simulators, tmp_path: Path):
    output = tmp_path / "demo"
    code, first, err = run("demo", "--output-dir", str(output))
    assert code == 0, err
    videos = {path: path.stat().st_mtime_ns for path in output.glob("*.mp4")}
    code, again, err = run("demo", "--output-dir", str(output))
    assert code == 0, err

    made, rerun = (sim.stats() for sim in simulators)
    assert (made.tasks_created, made.create_calls, made.downloads) == (2, 2, 2)
    assert (rerun.tasks_created, rerun.create_calls, rerun.downloads) == (2, 0, 0)
    assert simulators[1].base_url == simulators[0].base_url  # the cache key's address
    assert {path: path.stat().st_mtime_ns for path in output.glob("*.mp4")} == videos
    assert len(videos) == 2

    assert "reused" not in first and "succeeded, 1 unit\n" in first
    assert first.count("holds 2 tasks (2 units charged)") == 1
    assert again.count("succeeded, 1 unit (reused from an earlier run: nothing new charged)") == 2
    assert "with the 2 tasks of the earlier runs" in again
    assert again.count("holds 2 tasks (2 units charged)") == 1
    assert (output / demo.STATE_FILE).is_file()


def test_the_hint_is_a_prefect_command_that_works_as_typed(simulators, tmp_path: Path):
    code, out, err = run("demo", "--output-dir", str(tmp_path))
    assert code == 0, err
    [hint] = [line for line in out.splitlines() if "server start" in line]
    command = shlex.split(hint.split("#")[0])
    assert command[-2:] == ["server", "start"]
    executable = command[0]
    assert shutil.which(executable) or Path(executable).is_file(), hint


def test_a_state_file_that_is_not_one_exits_2_naming_it(simulators, tmp_path: Path):
    (tmp_path / demo.STATE_FILE).write_text("not json")
    code, out, err = run("demo", "--output-dir", str(tmp_path))
    assert code == 2 and out == ""
    assert f"{demo.STATE_FILE} is not a Kling simulator state file; delete it" in err
    assert not simulators


def _environment(root: Path, *, prefect: bool = True) -> str:
    """A fake environment's python (a venv's bin folder, with or without `prefect`)."""
    bin_folder = root / ".venv" / "bin"
    bin_folder.mkdir(parents=True)
    if prefect:
        (bin_folder / "prefect").touch()
    return str(bin_folder / "python")


def never_on_path(name: str) -> Any:
    return None


def test_prefect_inside_the_working_folder_is_named_relative_to_it(tmp_path: Path):
    python = _environment(tmp_path)
    said = prefect_command("server", "start", python=python, cwd=tmp_path, which=never_on_path)
    assert said == ".venv/bin/prefect server start"
    bin_folder = tmp_path / ".venv" / "bin"
    said = prefect_command("version", python=python, cwd=bin_folder, which=never_on_path)
    assert said == "./prefect version"  # a bare name would be looked up on the PATH


def test_prefect_elsewhere_is_named_by_its_full_path(tmp_path: Path):
    python = _environment(tmp_path / "project")
    said = prefect_command(
        "server", "start", python=python, cwd=tmp_path / "elsewhere", which=never_on_path
    )
    assert said == f"{tmp_path}/project/.venv/bin/prefect server start"


def test_prefect_found_on_the_path_is_named_plainly(tmp_path: Path):
    python = _environment(tmp_path)
    beside = str(tmp_path / ".venv" / "bin" / "prefect")
    said = prefect_command("server", "start", python=python, which=lambda name: beside)
    assert said == "prefect server start"
    other = prefect_command(
        "server", "start", python=python, cwd=tmp_path, which=lambda name: "/usr/bin/prefect"
    )
    assert other == ".venv/bin/prefect server start"  # another prefect comes first on the PATH


def test_without_a_prefect_executable_the_module_is_run(tmp_path: Path):
    python = _environment(tmp_path, prefect=False)
    said = prefect_command("server", "start", python=python, which=never_on_path)
    assert said == f"{python} -m prefect server start"
