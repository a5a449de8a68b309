"""Set up everything and run one job: `python3 scripts/dev.py demo|test|docs|bench|screenshots`.

Needs only Python 3.11+. Creates `.venv` beside this project on first use, installs the
project with what the job needs and the newest Prefect it supports (again only when
pyproject.toml, a constraints file or the install command changed), and runs:

- `demo`: the main job, `prefect-kling demo`, on the embedded simulator (no account, no network);
- `test`: the linter and the whole test suite (installing Debian's `postgresql` with apt-get
  when it is missing, for the tests on PostgreSQL);
- `test --oldest`: the end-to-end tests (marker `e2e`) on the oldest supported Prefect, in
  `.venv-oldest`, installed with `constraints/prefect-3.8.txt`;
- `docs`: a strict build of the documentation;
- `bench`: the benchmarks in quick mode;
- `screenshots`: the Prefect UI pictures of the docs (`docs/assets/screenshots/`), taken by
  `scripts/screenshots.py` with headless Chromium (Debian's `chromium`, installed with
  apt-get when missing).

Extra arguments go to the command, e.g. `python3 scripts/dev.py test -k client -x`.
"""

from __future__ import annotations

import collections
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EXTRAS = {"demo": "[simulator]", "test": "[test]", "docs": "[docs]", "bench": "[bench]"}
EXTRAS["screenshots"] = EXTRAS["demo"]  # the pictures show the demo's simulator at work
QUIET_PREFECT = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
PYTEST_NO_TESTS = 5
OLDEST_CONSTRAINTS = "constraints/prefect-3.8.txt"
"""What the oldest supported Prefect needs beside it (a fastapi range); see the file."""
E2E_MARKER = "e2e"
"""The tests that `test --oldest` runs: end-to-end flow, CLI and server tests."""
WORKERS = ["-n", "4", "--dist", "loadfile"]
"""pytest-xdist: one process runs the tests with real Prefect servers (tests/servers/, most
of it waiting for them), three take the other files whole, longest first, each with its own
test Prefect server (tests/scheduling.py)."""


@dataclass(frozen=True)
class Environment:
    """A virtual environment of this project and what goes into it besides the project.

    Attributes:
        path: The environment's folder.
        pins: Requirements added to the install command, e.g. `prefect==3.8.8`.
        constraints: A constraints file for pip, relative to the project folder.
    """

    path: Path
    pins: tuple[str, ...] = ()
    constraints: str | None = None

    @property
    def bin(self) -> Path:
        """The folder of the environment's programs."""
        return self.path / ("Scripts" if os.name == "nt" else "bin")

    @property
    def python(self) -> Path:
        """The environment's Python."""
        return self.bin / ("python.exe" if os.name == "nt" else "python")


NEWEST = Environment(ROOT / ".venv")
"""The README's environment: the newest Prefect that pyproject.toml allows."""


def main(argv: list[str]) -> int:
    """Run one job; returns its exit code."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before anything is installed
        print(f"prefect-kling needs Python 3.11 or newer; this is {sys.version.split()[0]}")
        return 2
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    job, extra = argv[0], argv[1:]
    oldest = "--oldest" in extra
    if oldest and job != "test":
        print("--oldest goes with `test` only")
        return 2
    extra = [argument for argument in extra if argument != "--oldest"]
    environment = oldest_environment() if oldest else NEWEST
    install(environment, EXTRAS[job])
    python = str(environment.python)
    env = {**os.environ, **QUIET_PREFECT}
    if job == "demo":
        return run([str(environment.bin / "prefect-kling"), "demo", *extra], env)
    if job == "docs":
        return run([python, "-m", "mkdocs", "build", "--strict", *extra], env)
    if job == "bench":
        ensure_postgresql()  # the scale benchmark's Prefect server runs on it
        return run([python, "bench/run_all.py", "--quick", *extra], env)
    if job == "screenshots":
        if not ensure_chromium():
            return 1
        return run([python, "scripts/screenshots.py", *extra], env)
    ensure_postgresql()
    if oldest:  # the linter does not depend on Prefect: the newest environment runs it
        code = run([python, "-m", "pytest", *WORKERS, "-m", E2E_MARKER, *extra], env)
    else:
        lint = run([python, "-m", "ruff", "check", "prefect_kling", "tests", "flows", "bench"], env)
        if lint != 0:
            return lint
        code = run([python, "-m", "pytest", *WORKERS, *extra], env)
    if code == PYTEST_NO_TESTS:
        if oldest and not extra:  # the marker got lost: the oldest Prefect went untested
            print(f"pytest selected no test marked {E2E_MARKER!r}")
            return 1
        print("pytest collected no tests")
        return 0
    return code


def oldest_environment() -> Environment:
    """`.venv-oldest`: the lowest Prefect that pyproject.toml allows, with its constraints."""
    return Environment(
        ROOT / ".venv-oldest",
        pins=(f"prefect=={lowest_version('prefect')}",),
        constraints=OLDEST_CONSTRAINTS,
    )


def lowest_version(name: str) -> str:
    """The version in the `>=` bound of a dependency in pyproject.toml.

    Args:
        name: The distribution's name, as pyproject.toml spells it.

    Raises:
        SystemExit: The dependency is missing or has no `>=` bound.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        match = re.match(rf"{re.escape(name)}(?![\w.-])(?P<specifiers>[^;]*)", requirement)
        lower = match and re.search(r">=\s*(?P<version>[\w.]+)", match["specifiers"])
        if lower:
            return lower["version"]
    raise SystemExit(f"pyproject.toml has no dependency {name}>=...")


def install(environment: Environment, extras: str) -> None:
    """Create the virtual environment and install the project, when anything changed.

    Installs the newest versions that the requirements allow (`--upgrade-strategy eager`),
    so an existing environment moves on too, not only a new one. The stamp covers
    pyproject.toml, the constraints file and the install command itself, so a change to any
    of them installs again.

    Args:
        environment: Where to install, and what goes with the project.
        extras: The project's extras, e.g. `[test]`, or an empty string.
    """
    python = environment.python
    if not python.exists():
        print(f"creating {environment.path}", flush=True)
        venv.EnvBuilder(with_pip=True).create(environment.path)
    arguments = ["install", "--progress-bar", "off", "--upgrade", "--upgrade-strategy", "eager"]
    arguments += ["--editable", f".{extras}", *environment.pins]
    inputs = (ROOT / "pyproject.toml").read_bytes()
    if environment.constraints:
        arguments += ["--constraint", environment.constraints]
        inputs += (ROOT / environment.constraints).read_bytes()
    wanted = hashlib.sha256(inputs + " ".join(arguments).encode()).hexdigest()
    stamp = environment.path / f".installed{extras.strip('[]') or '-base'}"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print(f"installing prefect-kling{extras} into {environment.path}", flush=True)
    pip_with_progress([str(python), "-m", "pip", *arguments])
    stamp.write_text(wanted)


def pip_with_progress(command: list[str]) -> None:
    """Run pip, saying how far it got in a few lines instead of all of its output.

    On a terminal one line is redrawn; elsewhere (CI) a line every 20 packages. When pip
    fails, the end of its output is shown.

    Raises:
        subprocess.CalledProcessError: pip failed.
    """
    started = time.monotonic()
    terminal = sys.stdout.isatty()
    seen: collections.deque[str] = collections.deque(maxlen=40)
    collected = 0

    def say(text: str, *, every: bool = True) -> None:
        if terminal:
            print(f"\r\033[K  {text}", end="", flush=True)
        elif every:
            print(f"  {text}", flush=True)

    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        words = line.split()
        if line.startswith("Collecting ") and len(words) > 1:
            collected += 1
            say(f"resolving: {collected} packages ({words[1]})", every=collected % 20 == 1)
        elif line.startswith("Installing collected packages"):
            say(f"installing {line.count(',') + 1} packages")
    if process.wait() != 0:
        print("".join(seen), end="" if terminal else "\n")
        raise subprocess.CalledProcessError(process.returncode, command)
    say(f"installed in {time.monotonic() - started:.0f} s")
    if terminal:
        print(flush=True)


def ensure_chromium() -> bool:
    """Install Debian's `chromium` with apt-get when it is missing; False when that fails."""
    return bool(shutil.which("chromium")) or apt_install("chromium", "screenshots")


def ensure_postgresql() -> None:
    """Install Debian's `postgresql` when missing: tests marked `postgres`, bench/scale.py.

    Where it cannot be installed those tests are skipped (they fail instead where
    `PREFECT_KLING_TESTS_NEED_POSTGRES` is set, as in CI).
    """
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        apt_install("postgresql", "the tests and benchmark on PostgreSQL")


def apt_install(package: str, needed_by: str) -> bool:
    """Install one of Debian's packages with apt-get (as root, or with `sudo -n`).

    Args:
        package: The package's name, e.g. `chromium`.
        needed_by: What needs it, for the messages.

    Returns:
        Whether it was installed.
    """
    root = getattr(os, "geteuid", lambda: -1)() == 0
    sudo = [] if root else ["sudo", "-n"]
    if not shutil.which("apt-get") or not (root or shutil.which("sudo")):
        print(f"{needed_by} need Debian's {package}: install it (`apt-get install {package}`)")
        return False
    print(f"{package} is missing: installing Debian's {package} with apt-get", flush=True)
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", package]):
        if subprocess.run([*sudo, *command], env=quiet, check=False).returncode != 0:
            print(f"could not install {package} for {needed_by}: `{' '.join(command)}` failed")
            return False
    return True


def run(command: list[str], env: dict[str, str]) -> int:
    """Run a command in the project folder, echoing it first."""
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
