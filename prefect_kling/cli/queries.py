"""The commands that read what exists: `costs` (free), `status` and `wait`.

`costs` lists the account's resource packs; `status` queries a task once (no retry: an
unreachable Kling is reported at once); `wait` resumes an earlier task with the
`resume_task` flow and saves its files.

Examples:
    >>> print(packs_table([]), end="")
    No resource packs in the last 365 days.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from prefect_kling.cli.common import EXIT_OK, load_credentials, print_result
from prefect_kling.cli.progress import ProgressLine, prepare_prefect
from prefect_kling.cli.session import follow
from prefect_kling.cli.wording import status_said, units_said


def run_costs(args: argparse.Namespace, out: Any) -> int:
    """List the account's resource packs and remaining units (a free query)."""
    from prefect_kling.models.account import AccountCostsQuery

    credentials = load_credentials(args)
    if args.ledger:
        return _print_ledger(args, credentials, out)
    with credentials.get_client() as client:
        costs = client.account_costs(AccountCostsQuery(resource_pack_name=args.pack))
    if args.json:
        packs = [
            {**pack.model_dump(mode="json"), "used_quantity": pack.used_quantity}
            for pack in costs.packs
        ]
        out.write(json.dumps({"packs": packs, "remaining_by_type": costs.remaining_by_type}))
        out.write("\n")
        return EXIT_OK
    out.write(packs_table(costs.packs))
    return EXIT_OK


def _print_ledger(args: argparse.Namespace, credentials: Any, out: Any) -> int:
    """The ledger's deductions of the last days, totalled per day and model."""
    from datetime import UTC, datetime, timedelta

    from prefect_kling.exceptions import KlingValidationError
    from prefect_kling.models.ledger import LedgerQuery, ledger_totals

    if args.days < 1:
        raise KlingValidationError.single("days", f"{args.days}; allowed: 1 or more")
    now = datetime.now(UTC)
    query = LedgerQuery(
        start_time=now - timedelta(days=args.days),
        end_time=now,
        package_names=[args.pack] if args.pack else [],
    )
    with credentials.get_client() as client:
        entries = client.ledger_entries(args.ledger, query)
    totals = ledger_totals(entries)
    if args.json:
        rows = [total.__dict__ for total in totals]
        out.write(json.dumps({"ledger": args.ledger, "entries": len(entries), "totals": rows}))
        out.write("\n")
        return EXIT_OK
    unit = "units" if args.ledger == "package" else "amount"
    out.write(f"{'day':<12}{'model':<28}{'tasks':>7}{unit:>12}\n")
    for total in totals:
        out.write(f"{total.day:<12}{total.model:<28}{total.entries:>7}{total.amount:>12g}\n")
    grand = sum(total.amount for total in totals)
    out.write(f"{'total':<40}{len(entries):>7}{grand:>12g}\n")
    return EXIT_OK


def packs_table(packs: Sequence[Any]) -> str:
    """The resource packs as an aligned text table."""
    if not packs:
        return "No resource packs in the last 365 days.\n"

    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:g}"

    header = ("NAME", "TYPE", "STATUS", "TOTAL", "REMAINING", "USED", "VALID UNTIL")
    rows = [
        (
            pack.resource_pack_name or "-",
            pack.resource_pack_type or "-",
            pack.status or "-",
            number(pack.total_quantity),
            number(pack.remaining_quantity),
            number(pack.used_quantity),
            pack.invalid_time.strftime("%Y-%m-%d %H:%M UTC") if pack.invalid_time else "-",
        )
        for pack in packs
    ]
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header))]
    numeric = {3, 4, 5}
    lines = [
        "  ".join(
            cell.rjust(width) if column in numeric else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in (header, *rows)
    ]
    note = "Kling updates remaining units with up to 12 hours of delay."
    return "\n".join([*lines, "", note]) + "\n"


def run_status(args: argparse.Namespace, out: Any) -> int:
    """Query a task once and print its status (and links, once it has any).

    Once means once: when Kling cannot be reached or answers with an error, the command
    says so at once (exit 1) instead of retrying, as a wait would.
    """
    from prefect_kling._retry import RetryPolicy
    from prefect_kling.endpoints import get_endpoint

    args.endpoint = get_endpoint(args.endpoint).name  # a command's name names it too
    credentials = load_credentials(args)
    with credentials.get_client(retry_policy=RetryPolicy(max_attempts=1)) as client:
        task = client.get_task(args.endpoint, args.task_id)
    if args.json:
        out.write(task.model_dump_json() + "\n")
    else:
        units = "" if task.units is None else f", {units_said(task.units)}"
        reason = f" ({task.task_status_msg})" if task.task_status_msg else ""
        finished_at = task.updated_at if task.finished else None
        said = f"{status_said(task.status, finished_at)}{reason}{units}"
        out.write(f"Kling {args.endpoint} task {task.task_id}: {said}\n")
        for item in [*task.videos, *task.images]:
            out.write(f"  {item.url}\n")
    return EXIT_OK


def run_wait(args: argparse.Namespace, out: Any) -> int:
    """Wait for a task made earlier (`resume_task`), save its files and print them."""
    from prefect_kling.endpoints import get_endpoint
    from prefect_kling.flows import resume_task

    args.endpoint = get_endpoint(args.endpoint).name  # a command's name names it too
    credentials = load_credentials(args)
    # A bad task id is refused here, before a flow run starts.
    get_endpoint(args.endpoint).query_path(credentials.provider, args.task_id)
    with ProgressLine() as progress:
        prepare_prefect(progress)
        result = resume_task(
            args.endpoint,
            task_id=args.task_id,
            credentials=credentials,
            output=args.output_dir,
            watermark=args.watermark,
            max_wait_seconds=args.max_wait,
            poll_interval_seconds=args.poll_interval,
            on_status=follow(args.endpoint, progress.update, task_id=args.task_id),
        )
    print_result(result, args.json, out)
    return EXIT_OK
