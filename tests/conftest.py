"""Test set-up: an isolated Prefect, canary secrets, and a guard that they never leak.

Every test that needs keys uses the canary values below, and every test that needs a
receiver's secret token the canary token. At the end of the session the guard looks for
them in every log record emitted, every failure report, every artifact, every block
document as Prefect's API shows it (secret fields hidden), and every row of Prefect's
database (flow-run parameters, task runs, logs, events, ...); finding one fails the run.
A JWT counts as the keys it was made from: its claims are read and searched too.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests import database_template, scheduling
from tests.postgres import PostgresServer, missing_reason
from tests.prefect_api_ca import write_certificate_file
from tests.prefect_server import EVENT_FLUSH_SECONDS, PrefectServer

if TYPE_CHECKING:
    from prefect_kling.simulator import KlingSimulator

collect_ignore_glob = ["conftest.py", "*/conftest.py"]
"""Not doctest modules: collecting a conftest.py imports it again, and its session fixtures
(the test harness first) would then start a second time halfway through the session, while
Prefect's process-wide services (concurrency slots, events) keep talking to the first."""

if os.environ.get("PREFECT_KLING_TESTS_PID") == str(os.getpid()):  # see collect_ignore_glob
    raise RuntimeError("tests/conftest.py was imported a second time in one session")
os.environ["PREFECT_KLING_TESTS_PID"] = str(os.getpid())
_PREFECT_HOME = Path(tempfile.mkdtemp(prefix="prefect-kling-tests-"))
os.environ.update(
    {
        "PREFECT_HOME": str(_PREFECT_HOME),
        "PREFECT_LOCAL_STORAGE_PATH": str(_PREFECT_HOME / "storage"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "0.3",
        # The test server writes the events it received every 5 s by default: a test that
        # reads them back would wait for that.
        "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL": str(EVENT_FLUSH_SECONDS),
        # Plain http on loopback: see tests/prefect_api_ca.py.
        "PREFECT_API_SSL_CERT_FILE": str(write_certificate_file(_PREFECT_HOME / "api-ca.pem")),
    }
)
for _name in list(os.environ):
    if _name.startswith("KLING_"):
        del os.environ[_name]

ACCESS_KEY = "ak-canary-ACCESS-4f1d2c9e8b7a"
SECRET_KEY = "sk-canary-SECRET-9a8b7c6d5e4f3a2b"
API_KEY = "ck-canary-APIKEY-0f9e8d7c6b5a4f3e"


def canary_simulator(**settings: Any) -> KlingSimulator:
    """A simulator (not started) that takes the canary keys, with quick tasks by default.

    Its videos are the shipped sample unless `render_videos=True`: encoding one costs a
    tenth of a second of CPU, which hundreds of downloads in the suite would add up.
    """
    from prefect_kling.simulator import KlingSimulator, SimulatorConfig

    quick = {"queue_seconds": 0.05, "processing_seconds": 0.2, "render_videos": False}
    keys = {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "api_key": API_KEY}
    return KlingSimulator(SimulatorConfig(**{**quick, **keys, **settings}))


def canary_environment(monkeypatch: pytest.MonkeyPatch, sim: KlingSimulator, provider: str) -> str:
    """Point the `KLING_*` variables at `sim` with the canary keys of `provider`; return it.

    Every other `KLING_*` variable is removed, so that `KlingCredentials.from_env()` and the
    command line see exactly one provider: `kling` (access and secret key) or `cometapi`.
    """
    for name in list(os.environ):
        if name.startswith("KLING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    if provider == "kling":
        monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
        monkeypatch.setenv("KLING_SECRET_KEY", SECRET_KEY)
    else:
        monkeypatch.setenv("KLING_PROVIDER", "cometapi")
        monkeypatch.setenv("KLING_API_KEY", API_KEY)
    return provider


CALLBACK_TOKEN = "tok-canary-CALLBACK-7c2e5a91d4b3"
"""The secret part of a receiver's callback URL (`prefect_kling.callbacks.callback_url`)."""

SECRETS = (ACCESS_KEY, SECRET_KEY, API_KEY, CALLBACK_TOKEN)
KEYS = (ACCESS_KEY, SECRET_KEY, API_KEY)

_JWT = re.compile(r"eyJ[\w-]+\.(eyJ[\w-]+)\.[\w-]+")


def secrets_in(text: str, secrets: tuple[str, ...] = SECRETS) -> list[str]:
    """The canaries `text` shows, plainly or inside the claims of a JWT it holds.

    Examples:
        >>> secrets_in(f"Bearer {API_KEY}") == [API_KEY]
        True
    """
    shown = [secret for secret in secrets if secret in text]
    for claims in _JWT.findall(text):
        try:
            decoded = base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            continue
        shown += [secret for secret in secrets if secret in decoded and secret not in shown]
    return shown


def canary_callback_url(base_url: str) -> str:
    """The callback URL of a receiver at `base_url` with the canary token."""
    from prefect_kling.callbacks import callback_url

    return callback_url(base_url, CALLBACK_TOKEN)


class _RecordEverything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.simulator_lines: list[str] = []
        """Records of the simulator's threads: it plays Kling, which is given callback URLs."""

    def emit(self, record: logging.LogRecord) -> None:
        lines = (
            self.simulator_lines if record.threadName.startswith("kling-simulator-") else self.lines
        )
        try:
            lines.append(record.getMessage())
        except Exception:  # a broken record must not break the guard
            lines.append(str(record.msg))
        if record.exc_info and record.exc_info[1] is not None:
            lines.append(repr(record.exc_info[1]))


_LOG_RECORDER = _RecordEverything()
_FAILURE_REPORTS: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(scheduling, "kling-scheduling")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(scheduling.XdistHooks(), "kling-xdist-scheduling")
    xdist_controller = config.getoption("numprocesses", None) and not os.environ.get(
        "PYTEST_XDIST_WORKER"
    )
    if xdist_controller and not config.option.collectonly:
        database_template.start_building(_PREFECT_HOME)
    logging.getLogger().addHandler(_LOG_RECORDER)
    logging.getLogger().setLevel(logging.DEBUG)


_POSTGRES = PostgresServer()
_POSTGRES_SERVER = PrefectServer(_PREFECT_HOME / "postgres-server")
NEED_POSTGRES = "PREFECT_KLING_TESTS_NEED_POSTGRES"
"""Set (to 1) where the PostgreSQL tests must run, as in CI: a missing PostgreSQL fails them
instead of skipping them."""


@pytest.hookimpl(trylast=True)  # after -k and -m deselected what they do
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.option.collectonly or os.environ.get("PYTEST_XDIST_WORKER"):
        # Each of pytest-xdist's processes collects every test but runs only some files:
        # there the servers start when a test first needs them, in that process alone.
        return
    wanted = any("postgres_prefect_server" in getattr(item, "fixturenames", ()) for item in items)
    if wanted and missing_reason() is None:
        # PostgreSQL (under a second) and then Prefect's migrations on it (some 5 s).
        _POSTGRES_SERVER.database_url = _POSTGRES.start()
        _POSTGRES_SERVER.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    _POSTGRES_SERVER.stop()
    _POSTGRES.stop()


@pytest.fixture(scope="session")
def postgres_prefect_server() -> PrefectServer:
    """A real Prefect server on a throwaway PostgreSQL database (tests/postgres.py).

    Skipped where PostgreSQL is not installed, unless `PREFECT_KLING_TESTS_NEED_POSTGRES`
    is set (CI), which fails instead.
    """
    reason = missing_reason()
    if reason:
        if os.environ.get(NEED_POSTGRES):
            pytest.fail(f"{NEED_POSTGRES} is set, but {reason}")
        pytest.skip(reason)
    if _POSTGRES_SERVER.database_url is None:
        _POSTGRES_SERVER.database_url = _POSTGRES.start()
    _POSTGRES_SERVER.ready()
    return _POSTGRES_SERVER


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _FAILURE_REPORTS.append(str(report.longrepr))


UNUSED_SERVER_SERVICES = (
    "SCHEDULER",
    "LATE_RUNS",
    "FOREMAN",
    "PAUSE_EXPIRATIONS",
    "CANCELLATION_CLEANUP",
    "CLEANUP_RECONCILER",
    "TRIGGERS",
)
"""Services of the session's test server that no test on it needs (the tests with workers,
schedules and automations have a real server of their own: tests/servers/)."""


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_logs_or_reports() -> Iterator[None]:
    """At the end of the session: no secret in a log record or a failure report.

    Set up before `prefect_harness` and so ended after it: the records of its end count.
    """
    yield
    _assert_no_secret_in(_LOG_RECORDER.lines, "a log record")
    _assert_no_secret_in(_LOG_RECORDER.simulator_lines, "a log record of the simulator", KEYS)
    _assert_no_secret_in(_FAILURE_REPORTS, "a failure report")


@pytest.fixture(scope="session", autouse=True)
def prefect_harness(no_secret_in_logs_or_reports: None) -> Iterator[None]:
    import prefect.settings
    from prefect.testing.utilities import prefect_test_harness

    # The flow-run heartbeat's thread holds every flow run up to a second at its end
    # (it sleeps in one-second steps); the package does not depend on it.
    settings = {prefect.settings.PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    # The test server runs the services that the tests read from (task runs, events,
    # slot leases), not the ones that no test here uses and that wake up every few seconds.
    for service in UNUSED_SERVER_SERVICES:
        settings[getattr(prefect.settings, f"PREFECT_SERVER_SERVICES_{service}_ENABLED")] = False
    with contextlib.ExitStack() as harness:
        harness.enter_context(prefect.settings.temporary_settings(updates=settings))
        with database_template.harness_starts_on_a_copy():
            harness.enter_context(prefect_test_harness(server_startup_timeout=120))
        yield
        _assert_no_secret_in_artifacts()
        _assert_no_secret_in(block_documents_shown(), "a block document")
        _assert_no_secret_in(
            [f"{where}: {text}" for where, text in database_texts()], "Prefect's database"
        )


def _assert_no_secret_in(texts: list[str], where: str, secrets: tuple[str, ...] = SECRETS) -> None:
    for text in texts:
        shown = secrets_in(text, secrets)
        # The message names the place, never the secret (it would be a leak of its own).
        assert not shown, f"{len(shown)} secret(s) appeared in {where}: {len(text)} characters"


def database_texts() -> list[tuple[str, str]]:
    """Every text and binary value of every row of the test Prefect's SQLite database, as
    `("table.column", text)`: flow-run parameters, task runs, logs, events, artifacts,
    block documents (their data is stored encrypted), variables, and everything else."""
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL

    path = PREFECT_SERVER_DATABASE_CONNECTION_URL.value().split(":///", 1)[1]
    found: list[tuple[str, str]] = []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as database:
        tables = database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        for (table,) in tables.fetchall():
            cursor = database.execute(f'SELECT * FROM "{table}"')
            columns = [column[0] for column in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, bytes):
                        value = value.decode("latin-1")
                    if isinstance(value, str):
                        found.append((f"{table}.{column}", value))
    return found


def block_documents_shown() -> list[str]:
    """Every block document as Prefect's API shows it, secret fields hidden."""
    from prefect.client.orchestration import get_client

    shown: list[str] = []
    with get_client(sync_client=True) as client:
        while page := client.read_block_documents(
            include_secrets=False, offset=len(shown), limit=200
        ):
            shown += [document.model_dump_json() for document in page]
    return shown


def _assert_no_secret_in_artifacts() -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(limit=200)
    _assert_no_secret_in(
        [str(artifact.data) + str(artifact.description) for artifact in artifacts], "an artifact"
    )


@pytest.fixture
def canary_keys() -> dict[str, str]:
    """The keys every test uses, so that the leak guard can look for them."""
    return {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "api_key": API_KEY}
