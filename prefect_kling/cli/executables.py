"""Commands shown to the user, spelled so that they work as typed.

The `prefect` executable of the environment prefect-kling runs in lies beside its Python
(`.venv/bin/prefect`), which is often not on the `PATH`: the command then names it by its
path, relative to the working folder when it lies inside it.

Examples:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / ".venv" / "bin").mkdir(parents=True)
    >>> (folder / ".venv" / "bin" / "prefect").touch()
    >>> python = str(folder / ".venv" / "bin" / "python")
    >>> prefect_command("server", "start", python=python, cwd=folder, which=lambda name: None)
    '.venv/bin/prefect server start'
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


def prefect_command(
    *arguments: str,
    python: str | None = None,
    cwd: Path | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> str:
    """The `prefect` command with `arguments`, as it works when typed in `cwd`.

    Args:
        arguments: What follows `prefect`, e.g. `"server", "start"`.
        python: The interpreter whose environment is meant (default: this one).
        cwd: The folder the command will be typed in (default: the working folder).
        which: Finds a command on the `PATH` (`shutil.which`).

    Returns:
        `prefect ...` when the `PATH` finds this environment's `prefect`; its path
        otherwise (`.venv/bin/prefect ...`); `<python> -m prefect ...` when the
        environment has no `prefect` executable.
    """
    # Not resolved: a virtual environment's python is a link to the base interpreter.
    folder = Path(python or sys.executable).absolute().parent
    beside = folder / ("prefect.exe" if os.name == "nt" else "prefect")
    if not beside.exists():
        return _joined([python or sys.executable, "-m", "prefect", *arguments])
    found = which("prefect")
    if found is not None and Path(found).resolve() == beside.resolve():
        return _joined(["prefect", *arguments])
    here = (cwd or Path.cwd()).absolute()
    shown = beside.relative_to(here) if beside.is_relative_to(here) else beside
    # A bare name would be looked up on the PATH: `./prefect` in its own folder.
    spelled = str(shown) if shown.parent != Path() else os.path.join(os.curdir, shown)
    return _joined([spelled, *arguments])


def _joined(words: list[str]) -> str:
    if os.name == "nt":
        return subprocess.list2cmdline(words)
    return shlex.join(words)
