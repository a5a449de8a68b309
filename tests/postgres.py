"""A throwaway PostgreSQL server on loopback, for a Prefect server that runs on it.

Debian's PostgreSQL (`apt-get install postgresql`, which `scripts/dev.py test` installs
when its programs are missing) keeps its programs in `/usr/lib/postgresql/<version>/bin`,
off the `PATH`. `PostgresServer` makes a new cluster in a folder of its own (`initdb`),
listens on a free loopback port and a socket in that folder, creates one database and
is gone, folder and all, when stopped. PostgreSQL refuses to run as root: as root the
cluster belongs to, and runs as, the `postgres` user that the package creates.

Examples:
    >>> with PostgresServer() as database:  # doctest: +SKIP
    ...     database.url
    'postgresql+asyncpg://postgres@127.0.0.1:40123/prefect'
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tests.prefect_server import POLL_SECONDS, free_port

SEARCHED = Path("/usr/lib/postgresql")
"""Where Debian installs each PostgreSQL version's programs."""
DATABASE = "prefect"
SUPERUSER = "postgres"


def postgres_programs() -> Path | None:
    """The folder of the newest PostgreSQL's programs (`initdb`, `postgres`), if installed."""
    found = sorted(
        (folder for folder in SEARCHED.glob("*/bin") if (folder / "initdb").exists()),
        key=lambda folder: int(folder.parent.name) if folder.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


def missing_reason() -> str | None:
    """Why no PostgreSQL can be started here, or None when one can."""
    if postgres_programs() is None:
        return (
            f"PostgreSQL is not installed (no {SEARCHED}/*/bin/initdb): apt-get install postgresql"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            return f"running as root, and there is no {SUPERUSER!r} user to run PostgreSQL as"
    return None


class PostgresServer:
    """A PostgreSQL cluster of its own: `initdb`, `postgres` on a free port, one database.

    Args:
        settings: Server settings (`-c name=value`) beyond the defaults, e.g.
            `{"max_connections": "300"}`.
    """

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.settings = {"max_connections": "300", "fsync": "off", **(settings or {})}
        self.port = 0
        self.folder: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The database's URL as Prefect takes it (`PREFECT_API_DATABASE_CONNECTION_URL`)."""
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def log(self) -> Path:
        """The server's output."""
        assert self.folder is not None, "not started"
        return self.folder / "postgres.log"

    def start(self, timeout: float = 60) -> str:
        """Make the cluster, start the server, create the database; return its URL.

        Raises:
            RuntimeError: PostgreSQL is missing, or did not answer within `timeout`.
        """
        reason = missing_reason()
        if reason:
            raise RuntimeError(reason)
        programs = postgres_programs()
        assert programs is not None
        self.folder = Path(tempfile.mkdtemp(prefix="prefect-kling-postgres-"))
        data = self.folder / "data"
        self._own(self.folder)
        self._run([str(programs / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust"])
        self.port = free_port()
        options = [f"-c{name}={value}" for name, value in self.settings.items()]
        command = [
            str(programs / "postgres"),
            "-D",
            str(data),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-k",
            str(self.folder),
            *options,
        ]
        owner = {"user": SUPERUSER} if os.geteuid() == 0 else {}
        with self.log.open("ab") as log:
            # Started as its owner directly (no runuser between), so that it gets the signal.
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **owner)
        self._wait(programs, timeout)
        self._run([str(programs / "createdb"), *self._connection(), DATABASE])
        return self.url

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder; idempotent."""
        process, self._process = self._process, None
        if process is not None:
            # SIGINT is PostgreSQL's fast shutdown; SIGTERM, its smart one, waits for clients.
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _connection(self) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER]

    def _wait(self, programs: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        ready = [str(programs / "pg_isready"), "-q", *self._connection()]
        while subprocess.run(ready, check=False).returncode != 0:
            stopped = self._process is None or self._process.poll() is not None
            if stopped or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start: {self.log.read_text()[-2000:]}")
            time.sleep(POLL_SECONDS)

    @staticmethod
    def _as_owner(command: list[str]) -> list[str]:
        """Root runs PostgreSQL's programs as the `postgres` user (they refuse root)."""
        return ["runuser", "-u", SUPERUSER, "--", *command] if os.geteuid() == 0 else command

    @staticmethod
    def _own(folder: Path) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam(SUPERUSER)
            os.chown(folder, user.pw_uid, user.pw_gid)

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(self._as_owner(command), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} failed: {done.stderr[-2000:]}")
