"""`scripts/dev.py`'s install step says how far it got instead of staying silent."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev", ROOT / "scripts/dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dev"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def fake_pip(lines: list[str], code: int = 0) -> list[str]:
    """A command that prints pip-like lines and exits with `code`."""
    text = "\n".join(lines)
    script = f"import sys; print({text!r}); sys.exit({code})"
    return [sys.executable, "-c", script]


def test_the_install_reports_its_progress(dev: ModuleType, capsys: pytest.CaptureFixture[str]):
    lines = [f"Collecting package-{n}" for n in range(25)]
    lines += ["  Downloading package-0.whl", "Installing collected packages: a, b, c"]
    dev.pip_with_progress(fake_pip(lines))
    shown = capsys.readouterr().out.splitlines()
    assert shown[:2] == [
        "  resolving: 1 packages (package-0)",
        "  resolving: 21 packages (package-20)",
    ]
    assert shown[2] == "  installing 3 packages"
    assert shown[3].startswith("  installed in ")


def test_a_failed_install_shows_the_end_of_pips_output(
    dev: ModuleType, capsys: pytest.CaptureFixture[str]
):
    lines = ["Collecting nothing-such", "ERROR: No matching distribution found for nothing-such"]
    with pytest.raises(subprocess.CalledProcessError):
        dev.pip_with_progress(fake_pip(lines, code=1))
    assert "ERROR: No matching distribution found for nothing-such" in capsys.readouterr().out
