"""Retention of the create step's records: `clean_records` and `prefect-kling cleanup`.

Records are written as the create step writes them (`claim_mark` for the sent marks,
Prefect's `ResultStore` for the cached creates, with the expiry the step gives them) into a
folder of the test's own; the clock is injected (`now`, and the runtime's `now` for the
marks), so that "40 days later" takes no time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prefect.filesystems import LocalFileSystem, RemoteFileSystem
from prefect.results import ResultStore

import prefect_kling.flows.sent_marks as sent_marks
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.flows import generate_video
from prefect_kling.flows.create_step import CACHE_LIFETIME
from prefect_kling.flows.retention import DEFAULT_RETENTION, clean_records
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.providers import Provider
from prefect_kling.runtime import Runtime, use_runtime
from tests.conftest import canary_simulator
from tests.test_cli import run

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
"""When the old records were written."""

RECENTLY = T0 + timedelta(days=20)


def _write(store: ResultStore, create: str, provider: Provider, at: datetime) -> None:
    """The mark, then the cached record, of one create, as the create step writes them at `at`."""
    with use_runtime(Runtime(now=lambda: at)):
        assert sent_marks.claim_mark(f"kling-sent-{create}", "d1") is None  # ...{create}.sent
    reference = TaskReference(task_id="8672", endpoint="text2video", provider=provider)
    store.write(
        obj=reference, key=f"kling-create-{create}", expiration=at + CACHE_LIFETIME[provider]
    )


@pytest.fixture
def storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder of records: two creates written at T0, two 20 days later, and others' files."""
    folder = tmp_path / "results"
    folder.mkdir()
    store = ResultStore(result_storage=LocalFileSystem(basepath=str(folder)))
    monkeypatch.setattr(sent_marks, "get_result_store", lambda: store)
    _write(store, "kling-0123456789ab-text2video-pk2-old", Provider.KLING, T0)
    _write(store, "cometapi-0123456789ab-text2video-pk2-old", Provider.COMETAPI, T0)
    _write(store, "kling-0123456789ab-text2video-pk2-new", Provider.KLING, RECENTLY)
    _write(store, "cometapi-0123456789ab-text2video-pk2-new", Provider.COMETAPI, RECENTLY)
    store.write(obj={"a": "flow result"}, key="3f2a9c1e0b7d4a65")  # not ours: left alone
    (folder / "kling-sent-broken.sent").write_bytes(b"not a record")  # unreadable: kept
    yield folder


def _sizes(folder: Path, part: str) -> int:
    return sum(path.stat().st_size for path in folder.iterdir() if part in path.name)


def test_records_older_than_the_retention_are_removed_and_the_rest_kept(storage: Path):
    old_bytes = _sizes(storage, "-old")
    new_bytes = _sizes(storage, "-new")

    report = clean_records(storage=storage, now=T0 + timedelta(days=40))

    names = sorted(path.name for path in storage.iterdir())
    assert not [name for name in names if "-old" in name]
    assert len([name for name in names if "-new" in name]) == 4
    assert "3f2a9c1e0b7d4a65" in names and "kling-sent-broken.sent" in names
    assert (report.removed.marks, report.removed.records, report.removed.bytes) == (2, 2, old_bytes)
    assert (report.kept.marks, report.kept.records, report.kept.bytes) == (2, 2, new_bytes)
    assert report.unreadable.marks == 1 and report.other_files == 1
    assert report.older_than == DEFAULT_RETENTION == timedelta(days=31)
    assert report.cutoff == T0 + timedelta(days=9)
    assert not report.dry_run


def test_a_dry_run_removes_nothing_and_reports_the_same(storage: Path):
    before = sorted(path.name for path in storage.iterdir())
    dry = clean_records(storage=storage, now=T0 + timedelta(days=40), dry_run=True)
    assert sorted(path.name for path in storage.iterdir()) == before
    real = clean_records(storage=storage, now=T0 + timedelta(days=40))
    assert (dry.removed, dry.kept) == (real.removed, real.kept)
    assert dry.lines()[0].startswith("Would remove 4 records (2 sent marks, 2 cached creates)")
    assert real.lines()[0].startswith("Removed 4 records (2 sent marks, 2 cached creates)")
    assert dry.lines()[-1].endswith("nothing was removed (dry run).")


def test_a_record_is_kept_until_it_is_older_than_the_retention(storage: Path):
    """Ages count from when each record was written: the mark's time, the record's expiry
    minus its provider's lifetime (29 days on Kling, 23 hours on CometAPI)."""
    just_before = clean_records(storage=storage, now=T0 + DEFAULT_RETENTION - timedelta(seconds=1))
    assert just_before.removed.count == 0 and just_before.kept.count == 8
    just_after = clean_records(storage=storage, now=T0 + DEFAULT_RETENTION + timedelta(seconds=1))
    assert (just_after.removed.marks, just_after.removed.records) == (2, 2)


@pytest.mark.parametrize(("days", "later"), [(7, 25), (29.9, 29.95)])
def test_a_retention_under_30_days_is_refused_unless_asked_for(
    storage: Path, days: float, later: float
):
    now = T0 + timedelta(days=later)  # the old records are older than `days`, not 30
    with pytest.raises(KlingValidationError) as refused:
        clean_records(timedelta(days=days), storage=storage, now=now)
    assert refused.value.fields == ["older_than"]
    assert "--allow-under-30-days" in str(refused.value)
    assert len(list(storage.iterdir())) == 10  # nothing removed

    warned: list[str] = []
    report = clean_records(
        timedelta(days=days), storage=storage, now=now, allow_under_30_days=True, warn=warned.append
    )
    assert report.removed.count == 4
    assert len(warned) == 1 and "second task" in warned[0]


def test_a_retention_of_zero_days_is_refused_even_when_short_ones_are_allowed(storage: Path):
    with pytest.raises(KlingValidationError) as refused:
        clean_records(timedelta(0), storage=storage, allow_under_30_days=True)
    assert refused.value.fields == ["older_than"]


def test_records_in_an_fsspec_storage_are_cleaned_too(monkeypatch: pytest.MonkeyPatch):
    basepath = f"memory://kling-records-{uuid.uuid4().hex[:8]}"
    block = RemoteFileSystem(basepath=basepath)
    store = ResultStore(result_storage=block)
    monkeypatch.setattr(sent_marks, "get_result_store", lambda: store)
    _write(store, "kling-0123456789ab-text2video-pk2-old", Provider.KLING, T0)
    _write(store, "kling-0123456789ab-text2video-pk2-new", Provider.KLING, RECENTLY)

    by_url = clean_records(storage=basepath, now=T0 + timedelta(days=40), dry_run=True)
    assert (by_url.removed.count, by_url.kept.count) == (2, 2)
    by_block = clean_records(storage=block, now=T0 + timedelta(days=40))
    assert (by_block.removed.count, by_block.kept.count) == (2, 2)
    assert sorted(block.filesystem.ls(basepath.removeprefix("memory://"), detail=False)) == [
        f"/{basepath.removeprefix('memory://')}/kling-create-kling-0123456789ab-text2video-pk2-new",
        f"/{basepath.removeprefix('memory://')}/kling-sent-kling-0123456789ab-text2video-pk2-new.sent",
    ]


def test_records_in_an_s3_bucket_block_are_cleaned_too(monkeypatch: pytest.MonkeyPatch):
    """prefect-aws's S3Bucket (the `s3` extra), on moto's in-process S3."""
    pytest.importorskip("prefect_aws")
    moto = pytest.importorskip("moto")
    from prefect_aws import AwsCredentials
    from prefect_aws.s3 import S3Bucket

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        credentials = AwsCredentials(region_name="us-east-1")
        credentials.get_s3_client().create_bucket(Bucket="kling-results")
        bucket = S3Bucket(
            bucket_name="kling-results", bucket_folder="shared", credentials=credentials
        )
        store = ResultStore(result_storage=bucket)
        monkeypatch.setattr(sent_marks, "get_result_store", lambda: store)
        _write(store, "kling-0123456789ab-text2video-pk2-old", Provider.KLING, T0)
        _write(store, "kling-0123456789ab-text2video-pk2-new", Provider.KLING, RECENTLY)
        bucket.write_path("elsewhere/kling-create-kling-0-text2video-pk2-old", b"not in the folder")

        report = clean_records(storage=bucket, now=T0 + timedelta(days=40))
        assert (report.removed.count, report.kept.count, report.other_files) == (2, 2, 0)
        assert report.storage == "s3://kling-results/shared/"
        keys = sorted(found["Key"] for found in bucket.list_objects())
    assert keys == [
        "shared/elsewhere/kling-create-kling-0-text2video-pk2-old",
        "shared/kling-create-kling-0123456789ab-text2video-pk2-new",
        "shared/kling-sent-kling-0123456789ab-text2video-pk2-new.sent",
    ]


@pytest.mark.parametrize("storage", ["no/such-block-xyz", "/no/such/folder", "./nowhere"])
def test_a_storage_that_is_neither_a_folder_nor_a_block_is_refused(storage: str):
    with pytest.raises(KlingValidationError) as refused:
        clean_records(storage=storage, dry_run=True)
    assert refused.value.fields == ["storage"]


# -- the command ------------------------------------------------------------------------------


@pytest.fixture
def aged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with one create written 40 days ago and one 10 days ago (real clock)."""
    folder = tmp_path / "results"
    folder.mkdir()
    store = ResultStore(result_storage=LocalFileSystem(basepath=str(folder)))
    monkeypatch.setattr(sent_marks, "get_result_store", lambda: store)
    now = datetime.now(UTC)
    _write(store, "kling-0123456789ab-text2video-pk2-old", Provider.KLING, now - timedelta(days=40))
    _write(store, "kling-0123456789ab-text2video-pk2-new", Provider.KLING, now - timedelta(days=10))
    return folder


def test_cleanup_says_what_it_removed_and_kept(aged: Path):
    removed_bytes = _sizes(aged, "-old")
    code, out, err = run("cleanup", "--storage", str(aged), "--dry-run")
    assert code == 0 and err == ""
    assert out.splitlines()[0].startswith(
        f"Would remove 2 records (1 sent mark, 1 cached create), {removed_bytes:,} bytes: "
        "older than 31 days"
    )
    assert len(list(aged.iterdir())) == 4

    code, out, err = run("cleanup", "--storage", str(aged), "--json")
    assert code == 0 and err == ""
    summary = json.loads(out)
    assert summary["removed"] == {"marks": 1, "records": 1, "bytes": removed_bytes}
    assert summary["kept"]["marks"] == summary["kept"]["records"] == 1
    assert summary["older_than_days"] == 31 and summary["dry_run"] is False
    assert sorted(path.name.rsplit("-", 1)[-1] for path in aged.iterdir()) == ["new", "new.sent"]


def test_cleanup_under_30_days_exits_2_naming_the_field(aged: Path):
    code, out, err = run("cleanup", "--storage", str(aged), "--older-than", "7")
    assert code == 2 and out == ""
    assert err.startswith("Invalid request: older_than: 7 days is shorter than Kling keeps")
    assert "--allow-under-30-days" in err and "Traceback" not in err
    assert len(list(aged.iterdir())) == 4


def test_cleanup_under_30_days_when_asked_for_warns_on_stderr(
    aged: Path, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = run(
        "cleanup", "--storage", str(aged), "--older-than", "7", "--allow-under-30-days"
    )
    assert code == 0 and out.startswith("Removed 4 records")
    warning = capsys.readouterr().err
    assert warning.startswith("Warning: Removing records younger than Kling keeps their tasks")


@pytest.mark.parametrize("value", ["abc", "0", "-3"])
def test_cleanup_refuses_a_days_value_that_is_no_positive_number(
    value: str, capsys: pytest.CaptureFixture[str]
):
    with pytest.raises(SystemExit) as exited:
        run("cleanup", "--older-than", value)
    assert exited.value.code == 2
    assert "argument --older-than" in capsys.readouterr().err


def test_cleanup_of_a_missing_folder_exits_2_naming_the_storage(tmp_path: Path):
    code, out, err = run("cleanup", "--storage", str(tmp_path / "missing"))
    assert code == 2 and out == ""
    assert err.startswith("Invalid request: storage: no folder") and "Traceback" not in err


# -- with the flows ---------------------------------------------------------------------------


@pytest.mark.e2e
def test_after_the_retention_a_rerun_makes_one_new_task_and_before_it_none(tmp_path: Path):
    """The records of a real run: kept at 30 days (the rerun is cached: no create at all);
    removed at 32 days, when Kling's task is gone too: the rerun makes one new task."""
    folder = tmp_path / "results"
    folder.mkdir()
    name = f"kling-records-{uuid.uuid4().hex[:8]}"
    LocalFileSystem(basepath=str(folder)).save(name)
    storage = f"local-file-system/{name}"  # as a worker (and the command) names it
    request = {"prompt": f"A fox on a frozen lake #{uuid.uuid4().hex[:8]}"}
    with canary_simulator() as sim:

        def rerun() -> str:
            return generate_video(
                request,
                credentials=sim.credentials(),
                output=tmp_path / "out",
                result_storage=storage,
                poll_interval_seconds=5,
                runtime=sim.runtime(),
            ).task_id

        first = rerun()
        assert sorted(path.name.split("-")[1] for path in folder.iterdir()) == ["create", "sent"]
        month = datetime.now(UTC) + timedelta(days=30)
        assert clean_records(storage=storage, now=month).removed.count == 0
        assert rerun() == first
        assert sim.stats().create_calls == 1

        sim.advance(timedelta(days=32).total_seconds())  # Kling's task is 32 days old
        later = datetime.now(UTC) + timedelta(days=32)
        assert clean_records(storage=storage, now=later).removed.count == 2
        renewed = rerun()
        assert renewed != first
        assert sim.stats().tasks_created == 2  # one new task, as its files were gone
