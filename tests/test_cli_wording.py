"""How the command line words a result: statuses, units, reuse, and tasks that ended long ago."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from prefect_kling.cli.common import print_result
from prefect_kling.cli.wording import ago_said, result_line, status_said, units_said
from prefect_kling.flows.result import GenerationResult
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.simulator import KlingSimulator
from tests.conftest import ACCESS_KEY, SECRET_KEY, canary_simulator
from tests.test_cli import FAST, run

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
DAY_MS = 24 * 3600 * 1000


def result(**fields: object) -> GenerationResult:
    reference = TaskReference(task_id="4785", endpoint="text2video", provider="kling")
    return GenerationResult(reference=reference, status="succeed", **fields)


@pytest.mark.parametrize(
    ("units", "said"),
    [(1, "1 unit"), (1.0, "1 unit"), (2, "2 units"), (0.5, "0.5 units"), (None, "units unknown")],
)
def test_units_are_said_with_their_number(units, said):
    assert units_said(units) == said


@pytest.mark.parametrize(
    ("elapsed", "said"),
    [
        (timedelta(minutes=1, seconds=20), "1 minute ago"),
        (timedelta(minutes=59), "59 minutes ago"),
        (timedelta(minutes=59, seconds=40), "1 hour ago"),
        (timedelta(hours=47), "47 hours ago"),
        (timedelta(days=2), "2 days ago"),
        (timedelta(days=2, hours=23, minutes=59), "3 days ago"),
        (timedelta(days=3, hours=1, minutes=45), "3 days ago"),
    ],
)
def test_how_long_ago_is_said_rounded_in_minutes_hours_or_days(elapsed, said):
    assert ago_said(elapsed) == said


def test_a_task_that_ended_long_ago_says_when():
    ended = datetime(2026, 12, 2, 10, 15, tzinfo=UTC)
    assert status_said("succeed", ended, NOW) == "succeeded 3 days ago (2026-12-02 10:15 UTC)"
    assert status_said("succeed", NOW - timedelta(minutes=9), NOW) == "succeeded"
    assert status_said("succeed", NOW + timedelta(hours=1), NOW) == "succeeded"  # clock ahead
    assert status_said("processing", None, NOW) == "processing"


def test_the_result_line_uses_the_packages_words():
    out = io.StringIO()
    print_result(result(units=1.0), False, out)
    assert out.getvalue() == "Kling text2video task 4785: succeeded, 1 unit\n"
    assert "succeeded, 2 units" in result_line(result(units=2.0).summary())


def test_a_reused_task_says_nothing_new_was_charged():
    line = result_line(result(units=3.5, reused=True).summary(), NOW)
    assert line == (
        "Kling text2video task 4785: succeeded, 3.5 units "
        "(reused from an earlier run: nothing new charged)"
    )


def test_the_json_summary_tells_reuse_and_when_the_task_ended():
    ended = datetime(2026, 12, 2, 10, 15, tzinfo=UTC)
    out = io.StringIO()
    print_result(result(units=1.0, reused=True, finished_at=ended), True, out)
    summary = json.loads(out.getvalue())
    assert summary["status"] == "succeed"  # Kling's own word in the JSON
    assert (summary["reused"], summary["finished_at"]) == (True, "2026-12-02T10:15:00+00:00")
    assert "3 days ago (2026-12-02 10:15 UTC)" in result_line(summary, NOW)


def test_the_wait_logs_each_status_as_what_the_task_did(caplog: pytest.LogCaptureFixture):
    from prefect_kling.models.kling_task import KlingTask
    from prefect_kling.waiting import TaskWaiter

    now = [0.0]
    reference = TaskReference(task_id="478", endpoint="text2video", provider="kling")
    waiter = TaskWaiter(reference, clock=lambda: now[0])
    with caplog.at_level("INFO", logger="prefect_kling.waiting.policy"):
        for status, at in (("submitted", 0.2), ("processing", 1.0), ("succeed", 5.0)):
            now[0] = at
            waiter.observe(KlingTask(task_id="478", task_status=status))
    assert [record.getMessage() for record in caplog.records] == [
        "Kling task 478 (text2video) submitted after 0 s",
        "Kling task 478 (text2video) processing after 1 s",
        "Kling task 478 (text2video) succeeded after 5 s",
    ]


# --- status and wait on a task that ended days ago ----------------------------------------------


@pytest.fixture
def old_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A simulator whose state file holds a task that succeeded three days ago."""
    path = tmp_path / "account.json"
    with canary_simulator(seed=None) as maker, maker.credentials().get_client() as client:
        task_id = client.create("text2video", {"prompt": "an owl, three days ago"}).task_id
        maker.advance(5)
        maker.save(path)
    saved = json.loads(path.read_text())
    [task] = saved["tasks"]
    task["created_ms"] -= 3 * DAY_MS
    task["updated_ms"] -= 3 * DAY_MS
    path.write_text(json.dumps(saved))
    ended = datetime.fromtimestamp(task["updated_ms"] / 1000, tz=UTC)
    with KlingSimulator(canary_simulator().config, state_path=path) as sim:
        monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
        monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
        monkeypatch.setenv("KLING_SECRET_KEY", SECRET_KEY)
        yield task_id, f"succeeded 3 days ago ({ended:%Y-%m-%d %H:%M} UTC)"


def test_status_of_a_task_that_ended_days_ago_says_when(old_task):
    task_id, when = old_task
    code, out, err = run("status", "text2video", task_id)
    assert code == 0, err
    assert out.splitlines()[0] == f"Kling text2video task {task_id}: {when}, 1 unit"


def test_wait_on_a_task_that_ended_days_ago_says_when(old_task, tmp_path: Path):
    task_id, when = old_task
    code, out, err = run("wait", "text2video", task_id, "--output-dir", str(tmp_path), *FAST)
    assert code == 0, err
    assert out.splitlines()[0] == f"Kling text2video task {task_id}: {when}, 1 unit"
    assert "saved " in out
