"""Set up everything and run one job: `python3 scripts/dev.py demo|test|docs|bench`.

Needs only Python 3.11+. Creates `.venv` beside this project on first use, installs the
project with what the job needs (again only when pyproject.toml changed), and runs:

- `demo`: the main job, `prefect-kling demo`, on the embedded simulator (no account, no network);
- `test`: the linter and the whole test suite;
- `docs`: a strict build of the documentation;
- `bench`: the benchmarks in quick mode.

Extra arguments go to the command, e.g. `python3 scripts/dev.py test -k client -x`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

EXTRAS = {"demo": "", "test": "[test]", "docs": "[docs]", "bench": "[bench]"}
QUIET_PREFECT = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
PYTEST_NO_TESTS = 5


def main(argv: list[str]) -> int:
    """Run one job; returns its exit code."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before anything is installed
        print(f"prefect-kling needs Python 3.11 or newer; this is {sys.version.split()[0]}")
        return 2
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    job, extra = argv[0], argv[1:]
    install(EXTRAS[job])
    env = {**os.environ, **QUIET_PREFECT}
    if job == "demo":
        return run([str(BIN / "prefect-kling"), "demo", *extra], env)
    if job == "docs":
        return run([str(PYTHON), "-m", "mkdocs", "build", "--strict", *extra], env)
    if job == "bench":
        return run([str(PYTHON), "bench/run_all.py", "--quick", *extra], env)
    lint = run(
        [str(PYTHON), "-m", "ruff", "check", "prefect_kling", "tests", "flows", "bench"], env
    )
    if lint != 0:
        return lint
    code = run([str(PYTHON), "-m", "pytest", *extra], env)
    if code == PYTEST_NO_TESTS:
        print("pytest collected no tests")
        return 0
    return code


def install(extras: str) -> None:
    """Create the virtual environment and install the project, when anything changed."""
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed{extras.strip('[]') or '-base'}"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print(f"installing prefect-kling{extras} into {VENV}", flush=True)
    command = [str(PYTHON), "-m", "pip", "install", "--quiet", "--editable", f".{extras}"]
    subprocess.run(command, cwd=ROOT, check=True)
    stamp.write_text(wanted)


def run(command: list[str], env: dict[str, str]) -> int:
    """Run a command in the project folder, echoing it first."""
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
