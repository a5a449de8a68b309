"""The account report: what the account's ledger charged, per day and model, as a table.

`account_report` reads the package ledger (units taken from resource packs) or the balance
ledger of the last `days` days, following its cursor pages (free queries, no task), adds
the deductions up per day (UTC) and model, and publishes them as the Prefect table
artifact `kling-account-report`. A deployment can run it nightly (`flows/account_report.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect import flow

from prefect_kling.exceptions import KlingValidationError
from prefect_kling.flows.arguments import Credentials, resolve_credentials
from prefect_kling.models.ledger import Ledger, LedgerQuery, LedgerTotal, ledger_totals
from prefect_kling.observe import publish_batch_table
from prefect_kling.runtime import Runtime, current_runtime, use_runtime

REPORT_KEY = "kling-account-report"
"""The key of the report's table artifact."""


@flow(name="kling-account-report")
def account_report(
    days: int = 1,
    ledger: Ledger = "package",
    credentials: Credentials = None,
    api_key_names: list[str] | None = None,
    runtime: Runtime | None = None,
) -> list[LedgerTotal]:
    """Publish what the account was charged in the last `days` days, per day and model.

    Args:
        days: How many days back, 1 or more (1 for a nightly run).
        ledger: `package` (units from resource packs) or `balance` (money).
        credentials: A block, a saved block's name, or None for the `KLING_*` variables.
        api_key_names: Only the deductions of these API keys.
        runtime: Clocks, sleep and client factory (tests give the simulator's).

    Returns:
        The totals, one per day and model, as the table shows them.
    """
    if days < 1:
        raise KlingValidationError.single("days", f"{days}; allowed: 1 or more")
    creds = resolve_credentials(credentials)
    now = datetime.now(UTC)
    query = LedgerQuery(
        start_time=now - timedelta(days=days), end_time=now, api_key_names=api_key_names or []
    )
    with use_runtime(runtime), current_runtime().client(creds) as client:
        entries = client.ledger_entries(ledger, query)
    totals = ledger_totals(entries)
    charged = sum(total.amount for total in totals)
    unit = "units" if ledger == "package" else "of balance"
    publish_batch_table(
        [{"day": t.day, "model": t.model, "tasks": t.entries, "charged": t.amount} for t in totals],
        description=f"Kling {ledger} ledger, last {days} day(s): {len(entries)} tasks, "
        f"{charged:g} {unit}",
        key=REPORT_KEY,
    )
    return totals
