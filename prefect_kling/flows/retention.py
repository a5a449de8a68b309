"""Retention of the create step's records: remove them once Kling has forgotten their tasks.

Every create leaves two small files in the result storage: its sent mark
(`kling-sent-...sent`, written just before the create is sent) and its cached record
(`kling-create-...`, written once the step returns). Nothing in Prefect removes them: a
cached record expires (29 days on Kling's official API, 23 hours on CometAPI) but stays in
storage, and a mark never expires. `clean_records` removes those older than a retention
(`DEFAULT_RETENTION`, 31 days), and `prefect-kling cleanup` runs it.

Why this keeps "never paying twice": Kling keeps a task and its files 30 days
(`KLING_KEEPS_TASKS`). A record older than that names a task Kling no longer has, and has
expired anyway, so a rerun makes a new task whether the record is there or not; a mark
older than that stands for a create whose task is gone too, and its only effect on a rerun
would be a lookup that finds nothing usable. A retention shorter than 30 days is refused
unless asked for explicitly (`allow_under_30_days`), with a warning: a record removed while
its task lives makes a rerun send the create again. Kling's official API refuses the
duplicate external id, and the create step then finds the task (nothing is paid twice); a
gateway that accepts duplicates would make a second task.

A record's age counts from when it was written: a mark's `sent_at`; a cached record's
expiry minus the cache lifetime of its provider (Prefect sets the expiry when it writes the
record). A file that cannot be read is kept, and so is every file that is not one of these
records (other Prefect results in the same storage).

Examples:
    >>> import tempfile
    >>> report = clean_records(storage=tempfile.mkdtemp(), dry_run=True)
    >>> report.removed.count, report.kept.count, report.older_than.days
    (0, 0, 31)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prefect_kling._logging import RunAwareLogger
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.flows.record_storage import storage_of
from prefect_kling.providers import Provider
from prefect_kling.runtime import current_runtime

__all__ = [
    "DEFAULT_RETENTION",
    "KLING_KEEPS_TASKS",
    "CleanupReport",
    "Tally",
    "clean_records",
    "record_kind",
]

logger = RunAwareLogger(__name__)

KLING_KEEPS_TASKS = timedelta(days=30)
"""How long Kling keeps a task and its files: the shortest retention allowed by default."""

DEFAULT_RETENTION = timedelta(days=31)
"""How old a record must be to be removed: Kling's 30 days and a day's margin (clocks, and
the hours Kling may take to delete a task)."""

MARK_PREFIX = "kling-sent-"
RECORD_PREFIX = "kling-create-"
MARK = "sent mark"
RECORD = "cached create"


def record_kind(name: str) -> str | None:
    """Which of the create step's records a stored file is: `MARK`, `RECORD` or None.

    Examples:
        >>> record_kind("kling-sent-kling-0123456789ab-text2video-pk2-00.sent")
        'sent mark'
        >>> record_kind("kling-create-kling-0123456789ab-text2video-pk2-00")
        'cached create'
        >>> record_kind("3f2a9c1e0b7d4a65") is None  # another Prefect result
        True
    """
    if name.startswith(MARK_PREFIX) and name.endswith(".sent"):
        return MARK
    if name.startswith(RECORD_PREFIX):
        return RECORD
    return None


@dataclass
class Tally:
    """A count of records and their bytes, by kind.

    Attributes:
        marks: Sent marks.
        records: Cached creates.
        bytes: Their size in storage, together.
    """

    marks: int = 0
    records: int = 0
    bytes: int = 0

    @property
    def count(self) -> int:
        """Marks and records together."""
        return self.marks + self.records

    def add(self, kind: str, size: int) -> None:
        """Count one record of `kind` (`MARK` or `RECORD`) of `size` bytes."""
        if kind == MARK:
            self.marks += 1
        else:
            self.records += 1
        self.bytes += size

    def said(self) -> str:
        """`3 records (2 sent marks, 1 cached create), 1,234 bytes`.

        Examples:
            >>> Tally(marks=2, records=1, bytes=1234).said()
            '3 records (2 sent marks, 1 cached create), 1,234 bytes'
        """
        return (
            f"{_counted(self.count, 'record')} ({_counted(self.marks, MARK)}, "
            f"{_counted(self.records, RECORD)}), {self.bytes:,} bytes"
        )


@dataclass
class CleanupReport:
    """What `clean_records` removed (or, in a dry run, would remove) and kept.

    Attributes:
        storage: Where the records are (a folder or a URL).
        older_than: The retention: records older than this were removed.
        cutoff: Records written before this moment were removed.
        dry_run: Nothing was removed; `removed` says what would have been.
        removed: Records removed (or that would be).
        kept: Records younger than the retention, kept.
        unreadable: Records whose age could not be read, kept.
        other_files: Files of the storage that are none of these records, left alone.
    """

    storage: str
    older_than: timedelta
    cutoff: datetime
    dry_run: bool
    removed: Tally = field(default_factory=Tally)
    kept: Tally = field(default_factory=Tally)
    unreadable: Tally = field(default_factory=Tally)
    other_files: int = 0

    def lines(self) -> list[str]:
        """The report in words, one line each: removed, kept, and where."""
        days = f"{self.older_than / timedelta(days=1):g} days"
        verb = "Would remove" if self.dry_run else "Removed"
        lines = [
            f"{verb} {self.removed.said()}: older than {days} "
            f"(written before {self.cutoff:%Y-%m-%d %H:%M} UTC).",
            f"{'Would keep' if self.dry_run else 'Kept'} {self.kept.said()}: younger.",
        ]
        if self.unreadable.count:
            lines.append(f"Left alone {self.unreadable.said()} whose age could not be read.")
        where = f"In {self.storage}"
        if self.other_files:
            where += f" ({_counted(self.other_files, 'other file')} left alone)"
        lines.append(where + (": nothing was removed (dry run)." if self.dry_run else "."))
        return lines

    def summary(self) -> dict[str, Any]:
        """The report as JSON-ready data."""

        def tally(value: Tally) -> dict[str, int]:
            return {"marks": value.marks, "records": value.records, "bytes": value.bytes}

        return {
            "storage": self.storage,
            "older_than_days": self.older_than / timedelta(days=1),
            "cutoff": self.cutoff.isoformat(),
            "dry_run": self.dry_run,
            "removed": tally(self.removed),
            "kept": tally(self.kept),
            "unreadable": tally(self.unreadable),
            "other_files": self.other_files,
        }


def clean_records(
    older_than: timedelta = DEFAULT_RETENTION,
    *,
    storage: Any = None,
    dry_run: bool = False,
    allow_under_30_days: bool = False,
    now: datetime | None = None,
    warn: Callable[[str], None] | None = None,
) -> CleanupReport:
    """Remove the sent marks and cached creates older than `older_than` from a result storage.

    Args:
        older_than: The retention (default 31 days). Shorter than `KLING_KEEPS_TASKS` (30
            days) only with `allow_under_30_days`.
        storage: Where the flows keep their records, as their `result_storage`: a storage
            block (`LocalFileSystem`, `RemoteFileSystem`, prefect-aws's `S3Bucket`) or its
            slug (`local-file-system/kling-cache`), a folder, or an fsspec URL
            (`s3://bucket/prefix`, with s3fs). Default: Prefect's default result storage,
            where the flows keep them without one.
        dry_run: Remove nothing; report what would be removed.
        allow_under_30_days: Allow a retention under 30 days (a warning is logged).
        now: The current time (default: the current runtime's, `current_runtime().now()`).
        warn: Where the warning of a retention under 30 days goes (default: the log).

    Returns:
        What was removed and kept, counted and in bytes.

    Raises:
        KlingValidationError: The retention is not above 0, or under 30 days without
            `allow_under_30_days`; or the storage is not one this function can list.
    """
    check_retention(older_than, allow_under_30_days=allow_under_30_days)
    if older_than < KLING_KEEPS_TASKS:
        (warn or logger.warning)(short_retention_warning(older_than))
    place = storage_of(storage)
    moment = now or current_runtime().now()
    cutoff = _aware(moment) - older_than
    report = CleanupReport(place.name, older_than, cutoff, dry_run)
    for name, size in place.entries():
        kind = record_kind(name)
        if kind is None:
            report.other_files += 1
            continue
        try:
            written = _written_at(kind, name, place.read(name))
        except FileNotFoundError:  # removed meanwhile (another cleanup)
            continue
        except Exception as error:  # a record this version cannot read: keep it
            logger.debug("Could not read the age of %s (%s)", name, error)
            report.unreadable.add(kind, size)
            continue
        if written >= cutoff:
            report.kept.add(kind, size)
            continue
        if not dry_run:
            place.remove(name)
        report.removed.add(kind, size)
    logger.info(
        "%s %s in %s; kept %s",
        "Would remove" if dry_run else "Removed",
        report.removed.said(),
        place.name,
        report.kept.said(),
    )
    return report


def check_retention(older_than: timedelta, *, allow_under_30_days: bool = False) -> None:
    """Refuse a retention of 0 or less, or under 30 days unless allowed.

    Raises:
        KlingValidationError: Naming `older_than`.

    Examples:
        >>> check_retention(timedelta(days=30))  # Kling's own 30 days: allowed
        >>> check_retention(timedelta(days=7), allow_under_30_days=True)  # asked for
        >>> try:
        ...     check_retention(timedelta(days=7))
        ... except KlingValidationError as error:
        ...     print(error.fields)
        ['older_than']
    """
    days = older_than / timedelta(days=1)
    if not days > 0:
        raise KlingValidationError.single(
            "older_than", f"{days:g} days; allowed: a number of days above 0"
        )
    if older_than < KLING_KEEPS_TASKS and not allow_under_30_days:
        raise KlingValidationError.single(
            "older_than",
            f"{days:g} days is shorter than Kling keeps a task (30 days); allowed: 30 days "
            "or more, or a shorter one with allow_under_30_days (--allow-under-30-days)",
        )


def short_retention_warning(older_than: timedelta) -> str:
    """What a retention under 30 days risks, in one sentence."""
    return (
        "Removing records younger than Kling keeps their tasks "
        f"({older_than / timedelta(days=1):g} days < 30): a rerun of such a request sends "
        "its create again; Kling's official API refuses the duplicate id and the task is "
        "found again, but a gateway that accepts duplicates makes (and charges) a second "
        "task."
    )


def _written_at(kind: str, name: str, content: bytes) -> datetime:
    """When the record was written (see the module's notes).

    Raises:
        Exception: The record cannot be read.
    """
    if kind == MARK:
        from prefect.results import ResultRecord

        from prefect_kling.flows.sent_marks import parse_mark

        return _aware(parse_mark(ResultRecord.deserialize(content).result).sent_at)
    expiration = json.loads(content)["metadata"]["expiration"]
    if expiration is None:
        raise ValueError("a cached create without an expiry")
    return _aware(datetime.fromisoformat(expiration)) - _lifetime(name)


def _lifetime(name: str) -> timedelta:
    """The cache lifetime of a record's provider, named in its key.

    The shortest one when the provider is unknown: the record then looks younger, so it is
    kept longer, never removed early.
    """
    from prefect_kling.flows.create_step import CACHE_LIFETIME, cache_lifetime

    provider = name.removeprefix(RECORD_PREFIX).split("-", 1)[0]
    try:
        return cache_lifetime(Provider(provider))
    except ValueError:
        return min(CACHE_LIFETIME.values())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _counted(number: int, what: str) -> str:
    return f"{number:,} {what}{'' if number == 1 else 's'}"
