"""What the account was charged, per day and model: `python flows/account_report.py [DAYS]`.

Publishes the table artifact `kling-account-report`; deploy it with a nightly schedule, e.g.
`account_report.serve(name="nightly", cron="5 0 * * *")`.
"""

import sys

from prefect_kling.flows import account_report

if __name__ == "__main__":
    days = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    for total in account_report(days=days):
        print(total.day, total.model, total.entries, total.amount)
