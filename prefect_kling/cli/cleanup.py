"""`prefect-kling cleanup`: remove the sent marks and cached creates older than a retention.

It runs `prefect_kling.flows.retention.clean_records` on the result storage the flows use
(Prefect's default, or `--storage`), and says how many records and bytes it removed and
kept. A retention under 30 days (Kling keeps a task 30 days) exits 2 unless
`--allow-under-30-days` is given, and then a warning says what it risks.

Examples:
    >>> import argparse
    >>> commands = argparse.ArgumentParser().add_subparsers(dest="command")
    >>> add_cleanup_command(commands)
    >>> args = commands.choices["cleanup"].parse_args(["--dry-run"])
    >>> args.older_than, args.dry_run
    (31.0, True)
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from typing import Any

from prefect_kling.cli.common import EXIT_OK
from prefect_kling.cli.parser import positive_number


def add_cleanup_command(commands: argparse._SubParsersAction) -> None:
    """Add `cleanup` to the commands."""
    cleanup = commands.add_parser(
        "cleanup",
        help="remove the sent marks and cached creates older than Kling keeps their tasks",
    )
    cleanup.add_argument(
        "--older-than",
        type=positive_number,
        default=31.0,
        metavar="DAYS",
        help="remove the records written more than DAYS ago (default: %(default)g; Kling "
        "keeps a task 30 days, and less is refused without --allow-under-30-days)",
    )
    cleanup.add_argument(
        "--dry-run", action="store_true", help="remove nothing; say what would be removed"
    )
    cleanup.add_argument(
        "--storage",
        metavar="BLOCK_OR_FOLDER",
        help="the flows' result storage: a block slug (local-file-system/kling-cache, "
        "s3-bucket/kling-results), a folder, or an fsspec URL such as gs://bucket/folder "
        "(default: Prefect's default result storage)",
    )
    cleanup.add_argument(
        "--allow-under-30-days",
        action="store_true",
        help="allow --older-than under 30 days: a rerun may then send a create again",
    )
    cleanup.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def run_cleanup(args: argparse.Namespace, out: Any) -> int:
    """Remove (or, with `--dry-run`, count) the old records; print what was removed and kept."""
    from prefect_kling.flows.retention import clean_records

    report = clean_records(
        timedelta(days=args.older_than),
        storage=args.storage,
        dry_run=args.dry_run,
        allow_under_30_days=args.allow_under_30_days,
        warn=lambda line: print(f"Warning: {line}", file=sys.stderr, flush=True),
    )
    if args.json:
        out.write(json.dumps(report.summary()) + "\n")
    else:
        out.write("".join(line + "\n" for line in report.lines()))
    return EXIT_OK
