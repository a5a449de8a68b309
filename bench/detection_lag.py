"""Detection lag: from the moment a task ends on the simulator to the moment the flow acts on it.

"Ends" is the end of the task's timeline on the simulator (`updated_at` of its final
status); the simulator's ticks make it visible at most 50 ms later, and that is counted in
the lag. Three ways of waiting, each on its own tasks, all in one isolated Prefect:

- **polling, batch**: `batch_generate` (one `BatchWatcher` with list queries every
  `poll_interval_seconds`, 5 s by default); acting = the start of the task's download.
- **polling, single flow**: several `generate_video` flows at once (`poll_task`: 2 s, then
  x1.1 up to 30 s); acting = the start of the task's download.
- **callback**: `batch_generate` with a `callback_url` on its credentials, pointing at
  `create_receiver_app` (uvicorn on loopback), whose emitter records the arrival and
  emits the `kling.task.*` Prefect event; the batch's `CallbackWatcher` (one Prefect event
  subscription) wakes each item, which confirms with one query; acting = the start of the
  task's download. The receiver's arrival time alone is reported too.

Task times are drawn within +-20 % of `--task-seconds` (60 s; tasks on Kling take minutes),
so that tasks end at every phase of a polling interval. Lags are given in seconds and as a
share of the task's duration. The last line printed is one JSON object.

    python bench/detection_lag.py            # 60 s tasks: about five minutes
    python bench/detection_lag.py --quick    # 1.5 s tasks, intervals scaled down alike
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import _common  # first: it isolates Prefect

from prefect_kling.callbacks import callback_url, emit_callback_event, running_receiver
from prefect_kling.flows import batch_generate, generate_video
from prefect_kling.models.kling_task import KlingTask
from prefect_kling.simulator import KlingSimulator, SimulatorConfig

TARGET_CALLBACK_P50 = 1.0
TARGET_POLLING_SHARE = 0.10
SPREAD = 0.2
TOKEN = "bench-token"


def simulator(args: argparse.Namespace, seed: int = 3) -> KlingSimulator:
    return KlingSimulator(
        SimulatorConfig(
            concurrency={"video": 100},
            queue_seconds=0,
            processing_seconds=args.task_seconds,
            seed=seed,
            # The shipped sample, not a video rendered per task: encoding MP4s in this
            # process would take CPU from the flows whose lag it measures.
            render_videos=False,
        )
    )


def summary(lags: list[float], shares: list[float]) -> dict[str, Any]:
    return {
        "samples": len(lags),
        "p50_seconds": _common.median(lags),
        "p95_seconds": _common.percentile(lags, 95),
        "p50_share": _common.median(shares),
        "p95_share": _common.percentile(shares, 95),
    }


def requests_per_task(sim: KlingSimulator) -> float:
    """HTTP requests per task as the simulator counted them, downloads included."""
    stats = sim.stats()
    return (stats.requests + stats.downloads) / max(1, stats.tasks_created)


def from_table(sim: KlingSimulator, acted: dict[str, float]) -> dict[str, Any]:
    lags, shares = [], []
    for task in sim.tasks():
        times = _common.timeline(task)
        if task["task_id"] in acted:
            lag = acted[task["task_id"]] - times["ended"]
            lags.append(lag)
            shares.append(lag / (times["ended"] - times["created"]))
    return summary(lags, shares)


def polling_batch(args: argparse.Namespace) -> dict[str, Any]:
    watch = _common.Stopwatch()
    with (
        simulator(args) as sim,
        _common.varied_durations(sim, SPREAD),
        _common.recorded_downloads(watch),
    ):
        batch_generate(
            [{"prompt": f"Lag clip {index} (batch)"} for index in range(args.tasks)],
            credentials=sim.credentials(),
            output=str(_common.scratch("bench-lag-batch-")),
            max_concurrency=args.tasks,
            poll_interval_seconds=args.batch_interval,
        )
        acted = {key: value["download_started"] for key, value in watch.moments.items()}
        return {
            "poll_interval_seconds": args.batch_interval,
            "requests_per_task": requests_per_task(sim),
            **from_table(sim, acted),
        }


def polling_flows(args: argparse.Namespace) -> dict[str, Any]:
    watch = _common.Stopwatch()
    with (
        simulator(args) as sim,
        _common.varied_durations(sim, SPREAD),
        _common.recorded_downloads(watch),
    ):
        output = str(_common.scratch("bench-lag-flows-"))
        credentials = sim.credentials()

        def one(index: int) -> None:
            generate_video(
                {"prompt": f"Lag clip {index} (single flow)"},
                credentials=credentials,
                output=output,
                poll_interval_seconds=args.flow_interval,
            )

        with ThreadPoolExecutor(max_workers=args.flows) as pool:
            list(pool.map(one, range(args.flows)))
        acted = {key: value["download_started"] for key, value in watch.moments.items()}
        return {
            "first_poll_interval_seconds": args.flow_interval,
            "requests_per_task": requests_per_task(sim),
            **from_table(sim, acted),
        }


def callbacks(args: argparse.Namespace) -> dict[str, Any]:
    arrived: dict[str, float] = {}

    def emit(task: KlingTask, *details: Any) -> None:
        if task.finished:
            arrived[task.task_id] = time.time()
        emit_callback_event(task, *details)

    watch = _common.Stopwatch()
    with (
        # Task ids of their own: the event subscription replays the last minute's events,
        # and those of the polling runs must not name these tasks.
        simulator(args, seed=4) as sim,
        _common.varied_durations(sim, SPREAD),
        _common.recorded_downloads(watch),
        running_receiver(TOKEN, emit=emit, credentials=sim.credentials()) as receiver,
    ):
        report = batch_generate(
            [{"prompt": f"Lag clip {index} (callback)"} for index in range(args.tasks)],
            # The flows take the receiver's URL from their credentials.
            credentials=sim.credentials().with_callback_url(callback_url(receiver, TOKEN)),
            output=str(_common.scratch("bench-lag-callback-")),
            max_concurrency=args.tasks,
            # The safety poll would hide a missing callback: make it longer than the run.
            callback_safety_poll_seconds=3600,
        )
        acted = {key: value["download_started"] for key, value in watch.moments.items()}
        stats = sim.stats()
        return {
            "callbacks_sent": stats.callbacks_sent,
            "callbacks_failed": stats.callbacks_failed,
            "confirming_queries": report.watcher_requests,
            "requests_per_task": requests_per_task(sim),
            "receiver": from_table(sim, arrived),
            **from_table(sim, acted),
        }


def line(label: str, figures: dict[str, Any]) -> str:
    return (
        f"{label:>26}: p50 {figures['p50_seconds']:6.2f} s ({figures['p50_share']:6.1%} of the "
        f"task), p95 {figures['p95_seconds']:6.2f} s ({figures['p95_share']:6.1%}); "
        f"{figures['samples']} tasks"
        + (
            f", {figures['requests_per_task']:.1f} requests per task"
            if "requests_per_task" in figures
            else ""
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1.5 s tasks, scaled intervals")
    parser.add_argument("--task-seconds", type=float, help="mean task time (default 60)")
    parser.add_argument("--tasks", type=int, help="tasks in the batch and callback runs (20)")
    parser.add_argument("--flows", type=int, help="generate_video flows at once (default 8)")
    args = parser.parse_args()
    args.task_seconds = args.task_seconds or (1.5 if args.quick else 60.0)
    args.tasks = args.tasks or (5 if args.quick else 20)
    args.flows = args.flows or (2 if args.quick else 8)
    # The flows' defaults (5 s for a batch, 2 s first poll) on minutes-long tasks; a quick
    # run keeps their proportion to its short tasks.
    scale = min(1.0, args.task_seconds / 60.0)
    args.batch_interval = 5.0 * scale
    args.flow_interval = 2.0 * scale

    with _common.prefect_server():
        _common.set_limit("video", 100)
        batch = polling_batch(args)
        flows = polling_flows(args)
        callback = callbacks(args)

    print(f"tasks of {args.task_seconds:g} s +-{SPREAD:.0%}")
    print(line(f"polling, batch ({args.batch_interval:g} s)", batch))
    print(line(f"polling, flows ({args.flow_interval:g} s x1.1)", flows))
    print(line("callback, receiver", callback["receiver"]))
    print(line("callback, batch", callback))
    print(
        f"callbacks sent {callback['callbacks_sent']}, failed {callback['callbacks_failed']}, "
        f"confirming queries {callback['confirming_queries']}"
    )
    _common.emit(
        {
            "benchmark": "detection_lag",
            "quick": args.quick,
            "task_seconds": args.task_seconds,
            "spread": SPREAD,
            "polling_batch": batch,
            "polling_flows": flows,
            "callback": callback,
            "targets": {
                "callback_p50_seconds_max": TARGET_CALLBACK_P50,
                "polling_share_max": TARGET_POLLING_SHARE,
            },
            "met": {
                "callback_p50": callback["p50_seconds"] <= TARGET_CALLBACK_P50,
                "polling_batch_p50_share": batch["p50_share"] <= TARGET_POLLING_SHARE,
                "polling_batch_p95_share": batch["p95_share"] <= TARGET_POLLING_SHARE,
                "polling_flows_p50_share": flows["p50_share"] <= TARGET_POLLING_SHARE,
                "polling_flows_p95_share": flows["p95_share"] <= TARGET_POLLING_SHARE,
            },
        }
    )


if __name__ == "__main__":
    main()
