"""Overhead: the time prefect-kling adds per task over the bare client doing the same work.

Tasks take no time on the simulator (`processing_seconds=0`: a task has ended by the first
query), so what is left is what each side does around the same create, wait and download:

- **bare**: `KlingClient.create` + `poll_task` + `save_task_results` (the package's own
  client, polling and durable download, without Prefect);
- **generate_video**: the flow, run once per task: Prefect's flow and task machinery, the
  cached create step (with its sent mark before the create), the slot of the `kling-video-<account>`
  limit, events, the progress and summary artifacts, the download task;
- **batch item**: `batch_generate` with `max_concurrency=1`, its wall time divided by the
  number of items (one flow run for all of them, one task run per item);
- **empty Prefect flow**: a `@flow` that does nothing: what any flow run costs before
  prefect-kling does anything.

Prefect (3.8 and 3.9) ends a flow run only once the run's heartbeat thread has stopped, and
that thread sleeps in one-second steps, whatever the heartbeat's frequency
(`PREFECT_FLOWS_HEARTBEAT_FREQUENCY`, 180 s by default in Prefect 3.9, 30 s at least): a
short run ends on the next whole second after its start, whatever it did. So the empty flow
and `generate_video` run once more each with the heartbeat off (the setting at None, which
only Python can set: `temporary_settings`), `generate_video` once more at the shortest
frequency (30 s), and the package's own share is `generate_video` minus the empty flow minus
the bare client, both without heartbeat.

On tasks longer than a second the heartbeat's cost is the rest of the second the run ends
in: `generate_video` runs on tasks of 1.5 s (+-30 %) on a second simulator, heartbeat on and
off alternately, and what each run takes beyond its task's time (the simulator's timeline)
is compared.

The single-task sides run alternately, one task at a time, against one simulator and one
isolated Prefect; the figures are medians. The last line printed is one JSON object.

    python bench/overhead.py            # 20 tasks each side, a batch of 20
    python bench/overhead.py --quick    # 3 tasks each side, a batch of 3 (2 long ones)
"""

from __future__ import annotations

import argparse
import contextlib
import random
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import _common  # first: it isolates Prefect
from prefect import flow as prefect_flow
from prefect.settings import (
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    get_current_settings,
    temporary_settings,
)

import prefect_kling.flows.generate as generate_module
import prefect_kling.flows.pipeline as pipeline_module
import prefect_kling.waiting.poll as poll_module
from prefect_kling.downloads import save_task_results
from prefect_kling.flows import batch_generate, generate_video
from prefect_kling.simulator import KlingSimulator, SimulatorConfig
from prefect_kling.waiting import PollSchedule, poll_task

POLL = 0.05


def bare(credentials: Any, prompt: str, output: str) -> None:
    with credentials.get_client() as client:
        reference = client.create("text2video", {"prompt": prompt})
        task = poll_task(client, reference, schedule=PollSchedule(first_interval=POLL))
    save_task_results(task, reference, output)


def flow(credentials: Any, prompt: str, output: str, poll: float = POLL) -> None:
    generate_video(
        {"prompt": prompt}, credentials=credentials, output=output, poll_interval_seconds=poll
    )


@prefect_flow(name="empty")
def empty_flow() -> None:
    """Prefect's own cost of a flow run, with nothing inside."""


def without_heartbeat(function: Any, *args: Any) -> None:
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        function(*args)


def heartbeat_every_30_s(function: Any, *args: Any) -> None:
    """The shortest frequency Prefect takes: more heartbeat events, the same end of run."""
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 30}):
        function(*args)


LONG_TASK, LONG_SPREAD = 1.5, 0.3
"""Tasks longer than a second, ending at every phase of it."""


def beyond_task(
    sim: Any, heartbeat: bool, credentials: Any, prompt: str, output: str, poll: float
) -> float:
    """Seconds a `generate_video` run takes beyond its task's time on the simulator.

    `poll`: its first polling interval, drawn per run: with one interval for all, the runs
    would end at a few fixed moments after their start (the polls), always in the same
    phases of Prefect's one-second heartbeat steps.
    """
    began = time.perf_counter()
    if heartbeat:
        flow(credentials, prompt, output, poll)
    else:
        without_heartbeat(flow, credentials, prompt, output, poll)
    wall = time.perf_counter() - began
    task = sim.tasks()[-1]
    return wall - (task["updated_at"] - task["created_at"]) / 1000


PHASES = {
    "kling_slots": "slot of kling-video-<account> (acquire + release)",
    "run_create_step": "create step (cached task, sent mark, create, event)",
    "poll_task": "wait (queries)",
    "save_task_results": "download",
    "save": "finish (download task, events, summary artifact)",
}
PLACES = {
    "kling_slots": generate_module,
    "run_create_step": pipeline_module,
    "poll_task": poll_module,
    "save_task_results": pipeline_module,
    "save": pipeline_module.Generation,
}
"""Where `generate_video` finds each step, as it calls them."""


@contextlib.contextmanager
def phases(spent: dict[str, list[float]]) -> Iterator[None]:
    """Time the steps `generate_video` goes through, where the flow looks them up."""
    originals = {name: getattr(PLACES[name], name) for name in PHASES}

    def wrap(name: str, original: Any) -> Any:
        if name == "kling_slots":

            @contextlib.contextmanager
            def slots(*args: Any, **kwargs: Any) -> Iterator[None]:
                began = time.perf_counter()
                with original(*args, **kwargs):
                    entered = time.perf_counter()
                    yield
                    left = time.perf_counter()
                spent[name].append(entered - began + time.perf_counter() - left)

            return slots

        def timed_step(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[name].append(time.perf_counter() - began)

        return timed_step

    for name, original in originals.items():
        setattr(PLACES[name], name, wrap(name, original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(PLACES[name], name, original)


def timed(function: Any, *args: Any) -> float:
    began = time.perf_counter()
    function(*args)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 tasks per side")
    parser.add_argument("--tasks", type=int, help="tasks per side (default 20)")
    args = parser.parse_args()
    count = args.tasks or (3 if args.quick else 20)

    # The shipped sample, not a video rendered per task: encoding each task's MP4 (about
    # 0.1 s) would be counted in every side's download.
    config = SimulatorConfig(queue_seconds=0, processing_seconds=0, seed=9, render_videos=False)
    times: dict[str, list[float]] = {
        "bare": [],
        "generate_video": [],
        "empty_flow": [],
        "generate_video_no_heartbeat": [],
        "empty_flow_no_heartbeat": [],
        "generate_video_heartbeat_30": [],
        "long_heartbeat": [],
        "long_no_heartbeat": [],
    }
    frequency = get_current_settings().flows.heartbeat_frequency
    long_count = 2 if args.quick else count
    with _common.prefect_server(), KlingSimulator(config) as sim:
        _common.set_limit("video", 10)
        credentials = sim.credentials()
        output = str(_common.scratch("bench-overhead-"))
        # One of each first, untimed: imports, connections, the limit's creation.
        bare(credentials, "Warm-up clip (bare)", output)
        flow(credentials, "Warm-up clip (flow)", output)
        empty_flow()
        spent: dict[str, list[float]] = defaultdict(list)
        for index in range(count):
            times["bare"].append(timed(bare, credentials, f"Overhead clip {index} (bare)", output))
            with phases(spent):
                times["generate_video"].append(
                    timed(flow, credentials, f"Overhead clip {index} (flow)", output)
                )
            times["empty_flow"].append(timed(empty_flow))
            times["generate_video_no_heartbeat"].append(
                timed(without_heartbeat, flow, credentials, f"Quiet clip {index}", output)
            )
            times["empty_flow_no_heartbeat"].append(timed(without_heartbeat, empty_flow))
            times["generate_video_heartbeat_30"].append(
                timed(heartbeat_every_30_s, flow, credentials, f"Every 30 s {index}", output)
            )
        items = [{"prompt": f"Overhead clip {index} (batch)"} for index in range(count)]
        batch_seconds = timed(
            lambda: batch_generate(
                items,
                credentials=credentials,
                output=output,
                max_concurrency=1,
                poll_interval_seconds=POLL,
            )
        )
        long_config = SimulatorConfig(
            queue_seconds=0, processing_seconds=LONG_TASK, seed=10, render_videos=False
        )
        with (
            KlingSimulator(long_config) as long_sim,
            _common.varied_durations(long_sim, LONG_SPREAD),
        ):
            long_credentials = long_sim.credentials()
            flow(long_credentials, "Warm-up long clip", output)
            draws = random.Random(7)
            for index in range(long_count):
                for heartbeat in (index % 2 == 0, index % 2 == 1):  # who goes first alternates
                    side = "long_heartbeat" if heartbeat else "long_no_heartbeat"
                    times[side].append(
                        beyond_task(
                            long_sim,
                            heartbeat,
                            long_credentials,
                            f"Long {side} {index}",
                            output,
                            draws.uniform(0.05, 0.3),
                        )
                    )

    bare_p50 = _common.median(times["bare"])
    flow_p50 = _common.median(times["generate_video"])
    empty_p50 = _common.median(times["empty_flow"])
    quiet_flow_p50 = _common.median(times["generate_video_no_heartbeat"])
    quiet_empty_p50 = _common.median(times["empty_flow_no_heartbeat"])
    own = quiet_flow_p50 - quiet_empty_p50 - bare_p50
    per_item = batch_seconds / count
    print(f"{count} tasks per side, each ending at once on the simulator")
    print(f"{'bare client':>22}: p50 {bare_p50 * 1000:7.0f} ms per task")
    print(
        f"{'generate_video':>22}: p50 {flow_p50 * 1000:7.0f} ms per task "
        f"(+{(flow_p50 - bare_p50) * 1000:.0f} ms)"
    )
    print(
        f"{'batch_generate item':>22}: {per_item * 1000:7.0f} ms per item "
        f"(+{(per_item - bare_p50) * 1000:.0f} ms; {batch_seconds:.1f} s for {count}, "
        "max_concurrency=1)"
    )
    print(
        f"{'empty Prefect flow':>22}: p50 {empty_p50 * 1000:7.0f} ms per run "
        f"({quiet_empty_p50 * 1000:.0f} ms with the heartbeat off)"
    )
    print(
        f"{'heartbeat off':>22}: generate_video {quiet_flow_p50 * 1000:.0f} ms = empty flow "
        f"{quiet_empty_p50 * 1000:.0f} + bare client {bare_p50 * 1000:.0f} + prefect-kling's "
        f"own {own * 1000:.0f} ms"
    )
    every_30_p50 = _common.median(times["generate_video_heartbeat_30"])
    long_on = sum(times["long_heartbeat"]) / len(times["long_heartbeat"])
    long_off = sum(times["long_no_heartbeat"]) / len(times["long_no_heartbeat"])
    long_on_p50 = _common.median(times["long_heartbeat"])
    long_off_p50 = _common.median(times["long_no_heartbeat"])
    print(
        f"{'heartbeat':>22}: every {frequency} s by default (PREFECT_FLOWS_HEARTBEAT_FREQUENCY); "
        f"generate_video p50 {flow_p50 * 1000:.0f} ms at {frequency} s, "
        f"{every_30_p50 * 1000:.0f} ms at 30 s, {quiet_flow_p50 * 1000:.0f} ms off"
    )
    print(
        f"{'tasks of 1.5 s +-30 %':>22}: beyond the task, mean {long_on * 1000:.0f} ms with the "
        f"heartbeat, {long_off * 1000:.0f} ms without: it costs {(long_on - long_off) * 1000:.0f}"
        f" ms per run (p50 {long_on_p50 * 1000:.0f} and {long_off_p50 * 1000:.0f} ms: "
        f"{(long_on_p50 - long_off_p50) * 1000:.0f} ms; {len(times['long_heartbeat'])} runs each)"
    )
    steps = {name: _common.median(values) for name, values in spent.items()}
    inside = sum(value for name, value in steps.items() if name != "save_task_results")
    print("generate_video, p50 of each step:")
    for name, value in steps.items():
        print(f"{PHASES[name]:>52}: {value * 1000:6.0f} ms")
    rest = "flow run machinery, heartbeat included (the rest)"
    print(f"{rest:>52}: {(flow_p50 - inside) * 1000:6.0f} ms")
    _common.emit(
        {
            "benchmark": "overhead",
            "quick": args.quick,
            "tasks": count,
            "bare_p50_seconds": bare_p50,
            "generate_video_p50_seconds": flow_p50,
            "generate_video_overhead_p50_seconds": flow_p50 - bare_p50,
            "generate_video_p95_seconds": _common.percentile(times["generate_video"], 95),
            "generate_video_steps_p50_seconds": steps,
            "empty_flow_p50_seconds": empty_p50,
            "empty_flow_no_heartbeat_p50_seconds": quiet_empty_p50,
            "generate_video_no_heartbeat_p50_seconds": quiet_flow_p50,
            "own_share_p50_seconds": own,
            "heartbeat_frequency_seconds": frequency,
            "generate_video_heartbeat_30_p50_seconds": every_30_p50,
            "heartbeat_cost_short_run_p50_seconds": flow_p50 - quiet_flow_p50,
            "long_task_seconds": LONG_TASK,
            "long_runs": len(times["long_heartbeat"]),
            "long_beyond_task_heartbeat_mean_seconds": long_on,
            "long_beyond_task_no_heartbeat_mean_seconds": long_off,
            "heartbeat_cost_long_run_mean_seconds": long_on - long_off,
            "long_beyond_task_heartbeat_p50_seconds": long_on_p50,
            "long_beyond_task_no_heartbeat_p50_seconds": long_off_p50,
            "heartbeat_cost_long_run_p50_seconds": long_on_p50 - long_off_p50,
            "batch_item_seconds": per_item,
            "batch_item_overhead_seconds": per_item - bare_p50,
            "targets": {"reported": "p50 overhead per task (no target set)"},
        }
    )


if __name__ == "__main__":
    main()
