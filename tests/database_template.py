"""One migrated SQLite database for every test Prefect server of a pytest-xdist run.

Prefect's test harness starts its server on an empty database and migrates it first: half
of its start (some 6 s of CPU), once in each xdist process, all at the same time. The
controller process, which runs no tests, migrates one template while the processes start
and collect (`start_building`); each process's harness then starts on a copy of it
(`harness_starts_on_a_copy`). Without the template (no xdist, or its migration failed),
the harness migrates its own database as before.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TEMPLATE_VARIABLE = "PREFECT_KLING_TESTS_DATABASE_TEMPLATE"
"""Where the controller puts the template; the xdist processes inherit it."""
HARNESS_DATABASE = "prefect-test.db"
"""The file name that `prefect_test_harness` gives its database, in a folder of its own."""
WAIT_SECONDS = 120


def start_building(home: Path) -> None:
    """Migrate a template database in the background; tell the xdist processes where."""
    folder = Path(tempfile.mkdtemp(prefix="template-", dir=home))
    building, template = folder / "building.db", folder / HARNESS_DATABASE
    environment = {
        **os.environ,
        "PREFECT_HOME": str(folder),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{building}",
    }

    def build() -> None:
        done = subprocess.run(
            [sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
            env=environment,
            capture_output=True,
        )
        if done.returncode == 0:
            building.rename(template)  # whole or not at all
        (folder / "done").touch()

    threading.Thread(target=build, name="kling-database-template", daemon=True).start()
    os.environ[TEMPLATE_VARIABLE] = str(template)


def _template() -> Path | None:
    value = os.environ.get(TEMPLATE_VARIABLE)
    if not value:
        return None
    template = Path(value)
    deadline = time.monotonic() + WAIT_SECONDS
    while not (template.parent / "done").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return template if template.exists() else None


@contextlib.contextmanager
def harness_starts_on_a_copy() -> Iterator[None]:
    """While the block runs, `prefect_test_harness` finds a migrated database in its folder."""
    template = _template()
    if template is None:
        yield
        return
    import prefect.testing.utilities as harness

    def folder_with_a_copy() -> str:
        folder = tempfile.mkdtemp()
        shutil.copyfile(template, Path(folder) / HARNESS_DATABASE)
        return folder

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(harness, "mkdtemp", folder_with_a_copy)
        yield
