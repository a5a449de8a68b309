"""Run every benchmark, each in a subprocess of its own; exit 1 if any of them fails.

Each script's output is passed through as it comes; its last line (one JSON object) is
collected. The last line printed here is one JSON object: every script's figures, its exit
code and how long it took. `--quick` is passed on (a smoke test: each script keeps under
about a minute); other arguments are not.

    python bench/run_all.py --quick     # what `python3 scripts/dev.py bench` runs
    python bench/run_all.py             # the full runs behind docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    "batch_throughput.py",
    "detection_lag.py",
    "overhead.py",
    "chaos.py",
    "download_memory.py",
    "records.py",
    "scale.py",
)
QUICK_TIMEOUT = 240
FULL_TIMEOUT = 1800


def run(script: str, quick: bool) -> dict[str, Any]:
    command = [sys.executable, str(HERE / script), *(["--quick"] if quick else [])]
    print(f"== {script}", flush=True)
    began = time.monotonic()
    # A session of its own, so that a script stopped on timeout takes its Prefect server
    # (a child process) along.
    child = subprocess.Popen(
        command, cwd=HERE.parent, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    lines: list[str] = []

    def echo() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            print(line, end="", flush=True)
            if line.strip():
                lines.append(line.strip())

    reader = threading.Thread(target=echo, daemon=True)
    reader.start()
    try:
        code = child.wait(timeout=QUICK_TIMEOUT if quick else FULL_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        print(f"{script} took too long and was stopped", flush=True)
        code = -signal.SIGKILL
    reader.join(timeout=10)
    seconds = time.monotonic() - began
    try:
        figures = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        figures = None
    if code == 0 and not isinstance(figures, dict):
        print(f"{script} did not end with a JSON line", flush=True)
        code = 1
    print(f"== {script}: exit {code} after {seconds:.1f} s", flush=True)
    return {"script": script, "exit_code": code, "seconds": round(seconds, 1), "figures": figures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every script in quick mode")
    args = parser.parse_args()
    results = [run(script, args.quick) for script in SCRIPTS]
    failed = [result["script"] for result in results if result["exit_code"] != 0]
    for result in results:
        print(f"{result['script']:>22}: exit {result['exit_code']}, {result['seconds']:6.1f} s")
    print(json.dumps({"quick": args.quick, "failed": failed, "results": results}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
