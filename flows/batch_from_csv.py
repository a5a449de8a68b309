"""Generate a batch from a CSV file: `python flows/batch_from_csv.py [flows/prompts.csv]`.

Every item ends with an outcome (succeeded, refused, failed, ...), shown in the run's table
artifact; one refused prompt does not stop the others.
"""

import sys

from _local import kling_credentials

from prefect_kling.flows import batch_generate

if __name__ == "__main__":
    source = sys.argv[1] if len(sys.argv) > 1 else "flows/prompts.csv"
    with kling_credentials() as credentials:
        report = batch_generate(
            source, credentials=credentials, max_concurrency=5, poll_interval_seconds=1.0
        )
    print(report.describe())
    for row in report.table_rows():
        print(f"  {row['item']:<12} {row['status']:<10} {row['task_id']:<22} {row['error']}")
