"""Chaos: a batch under injected faults: no task paid twice, no result lost, every leftover named.

The simulator injects its faults at random, every kind enabled: dropped connections before
and after a create, 5000/5002 after the task was made, gateway HTML pages, 1302/1303 bursts,
slow answers, downloads cut halfway, tasks that fail on Kling's side. `--fault-rate` is the
probability of each kind at each point of a request where it can happen; the share of
requests that actually met a fault is printed (about 10 % with the default).

`batch_generate` runs the items once with faults on, then once more with faults off and
`retry_failed=True`, as a user would rerun it. Checked after each run, from the simulator's
own records:

- **duplicate tasks**: tasks beyond the first for one request (same external_task_id; a
  fresh take of a task Kling failed has an id of its own, and is counted as a new task);
- **lost results**: tasks that succeeded (and were charged) whose files are not saved, or
  are saved with the wrong size, while the batch report does not name the task;
- **items needing action**: every item that did not end `succeeded`, with its task and
  reason.

The last line printed is one JSON object.

    python bench/chaos.py            # 200 requests, concurrency 10, 2 s tasks
    python bench/chaos.py --quick    # 8 requests, 5 slots, 1 s tasks
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

import _common  # first: it isolates Prefect

from prefect_kling.flows import BatchReport, batch_generate
from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from prefect_kling.simulator.assets import video_size

TARGET_DUPLICATES = 0
TARGET_LOST = 0


def run(
    sim: KlingSimulator,
    items: list[dict[str, Any]],
    output: Path,
    args: Any,
    *,
    retry_failed: bool = False,
) -> BatchReport:
    return batch_generate(
        items,
        credentials=sim.credentials(),
        output=str(output),
        max_concurrency=args.concurrency,
        poll_interval_seconds=args.processing_seconds / 10,
        retry_failed=retry_failed,
    )


def check(sim: KlingSimulator, report: BatchReport, before: Any) -> dict[str, Any]:
    """Figures over all the simulator's tasks; counters since `before` (a stats snapshot)."""
    tasks = sim.tasks()
    per_request = Counter(task["external_task_id"] for task in tasks)
    duplicates = sum(count - 1 for count in per_request.values())
    named = {o.reference.task_id for o in report.outcomes if o.reference is not None}
    size = video_size(sim.config.video_bytes)
    saved: dict[str, bool] = {}
    for outcome in report.outcomes:
        if outcome.reference is not None and outcome.status == "succeeded":
            saved[outcome.reference.task_id] = bool(outcome.files) and all(
                Path(file.path).is_file() and Path(file.path).stat().st_size == size
                for file in outcome.files
            )
    succeeded = [task for task in tasks if task["status"] == "succeed"]
    lost = [
        task["task_id"]
        for task in succeeded
        if not saved.get(task["task_id"]) and task["task_id"] not in named
    ]
    unsaved_but_named = [
        task["task_id"]
        for task in succeeded
        if not saved.get(task["task_id"]) and task["task_id"] in named
    ]
    leftovers = [
        {
            "item": outcome.name,
            "status": outcome.status,
            "task_id": outcome.reference.task_id if outcome.reference else None,
            "reason": (outcome.error or "")[:160],
        }
        for outcome in report.outcomes
        if outcome.status != "succeeded"
    ]
    stats = sim.stats()
    faults = Counter(stats.faults_injected) - Counter(before.faults_injected)
    requests = stats.requests + stats.downloads - before.requests - before.downloads
    return {
        "new_tasks": stats.tasks_created - before.tasks_created,
        "create_calls": stats.create_calls - before.create_calls,
        "duplicates": duplicates,
        "lost": lost,
        "paid_not_saved_but_named": unsaved_but_named,
        "counts": dict(report.counts),
        "needing_action": leftovers,
        "faults_injected": dict(faults),
        "fault_share": sum(faults.values()) / max(1, requests),
    }


def describe(label: str, figures: dict[str, Any]) -> None:
    print(
        f"{label}: {figures['new_tasks']} new tasks from {figures['create_calls']} create calls; "
        f"duplicates {figures['duplicates']}, lost {len(figures['lost'])}; outcomes "
        + ", ".join(f"{count} {status}" for status, count in sorted(figures["counts"].items()))
    )
    if figures["faults_injected"]:
        print(
            f"  faults met by {figures['fault_share']:.1%} of requests: "
            + ", ".join(f"{kind} {n}" for kind, n in sorted(figures["faults_injected"].items()))
        )
    for leftover in figures["needing_action"]:
        print(
            f"  needs action: {leftover['item']} ({leftover['status']}, task "
            f"{leftover['task_id']}): {leftover['reason']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 requests, 5 slots, 1 s tasks")
    parser.add_argument("--requests", type=int, help="items in the batch (default 200)")
    parser.add_argument("--concurrency", type=int, help="simulator and Prefect slots (10)")
    parser.add_argument("--processing-seconds", type=float, help="task time (default 2)")
    parser.add_argument(
        "--fault-rate", type=float, default=0.03, help="chance of each fault kind (0.03)"
    )
    args = parser.parse_args()
    args.requests = args.requests or (8 if args.quick else 200)
    args.concurrency = args.concurrency or (5 if args.quick else 10)
    args.processing_seconds = args.processing_seconds or (1.0 if args.quick else 2.0)

    config = SimulatorConfig(
        concurrency={"video": args.concurrency},
        queue_seconds=0,
        processing_seconds=args.processing_seconds,
        fault_rate=args.fault_rate,
        slow_seconds=1.0,
        seed=21,
        # The shipped sample, whose size `check` compares every saved file with; rendering
        # each task's video would add encoding CPU and test nothing more about faults.
        render_videos=False,
    )
    items = [
        {"prompt": f"Chaos clip {index}", "name": f"clip-{index}"} for index in range(args.requests)
    ]
    output = _common.scratch("bench-chaos-")
    with _common.prefect_server(), KlingSimulator(config) as sim:
        _common.set_limit("video", args.concurrency)
        before = sim.stats()
        first = check(sim, run(sim, items, output, args), before)
        sim.configure(fault_rate=0.0)
        before = sim.stats()
        rerun = check(sim, run(sim, items, output, args, retry_failed=True), before)

    describe(f"{args.requests} requests, fault rate {args.fault_rate:g} per kind", first)
    describe("rerun without faults, retry_failed=True", rerun)
    _common.emit(
        {
            "benchmark": "chaos",
            "quick": args.quick,
            "requests": args.requests,
            "fault_rate_per_kind": args.fault_rate,
            "first_run": first,
            "rerun": rerun,
            "targets": {"duplicates": TARGET_DUPLICATES, "lost": TARGET_LOST},
            "met": {
                "duplicates": first["duplicates"] == 0 and rerun["duplicates"] == 0,
                "lost": not first["lost"] and not rerun["lost"],
            },
        }
    )


if __name__ == "__main__":
    main()
