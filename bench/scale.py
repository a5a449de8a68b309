"""Scale: batches of 200 and 2,000 items over four workers on a PostgreSQL-backed Prefect.

A deployment that outgrew one machine: a Prefect server on PostgreSQL (a throwaway
cluster, as the tests start it: tests/postgres.py), four process workers that share
nothing but the Prefect API and a result store (each its own `PREFECT_HOME`), and one
Kling account (the simulator) running at most 50 video tasks at once, each taking 2 s
+-20 % (the same draws for every size). Each size is split into four `batch_generate`
runs of one deployment, one per worker, sharing the account's Prefect limit of 50.

For each size it reports:

- the wall time, from the first run asked for to the last one finished, over the
  **zero-lag floor**: a scheduler that starts a task the instant a slot frees, on the same
  drawn task times (`_common.zero_lag_floor`); and the same from the first create to the
  last task's end, without the runs' start (a flow run's process starts in some seconds);
- Prefect API requests per item (the server's access log), Kling requests per item (the
  simulator's count: creates, queries, lists, downloads);
- the peak memory (RSS) of each worker, with the flow-run processes it started;
- how each per-item figure changes from the smaller size to the larger;
- the storage of the cached creates and sent marks per 10,000 tasks (bench/records.py).

Targets: wall <= 1.10 x floor at 2,000 items; per-item Prefect and Kling requests grow by
at most 10 % from 200 to 2,000; each worker under 300 MB. The last line is one JSON object.

    python bench/scale.py            # 200 and 2,000 items, 50 slots, 2 s tasks
    python bench/scale.py --quick    # 20 and 80 items, 20 slots, 1 s tasks (about a minute)
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _common  # first: it isolates Prefect
import records

sys.path.insert(0, str(_common.ROOT))  # the tests' PostgreSQL and Prefect server helpers
from tests.postgres import PostgresServer, missing_reason
from tests.prefect_server import PrefectServer, descendants, wait_until, workers

WORKERS = 4
POOL = "kling-scale"
DEPLOYMENT = "kling-batch-generate/scale"
SPREAD = 0.2
CORES = os.cpu_count() or 1
TARGETS = {"wall_over_floor": 1.10, "request_growth": 0.10, "worker_rss_mb": 300}
CHART = _common.ROOT / "docs" / "assets" / "scale.png"
ACCESS_LINE = re.compile(r'"(GET|POST|PATCH|PUT|DELETE) /api/')
"""An access-log line of the Prefect server: one API request."""


class MemoryWatch:
    """Samples the resident memory of each worker and the processes it started.

    Args:
        processes: The workers.
        every: Seconds between samples.
    """

    def __init__(self, processes: list[Any], every: float = 0.25) -> None:
        self.processes = processes
        self.every = every
        self.peak_tree = [0] * len(processes)
        self.peak_process = [0] * len(processes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            for number, worker in enumerate(self.processes):
                sizes = [rss(pid) for pid in [worker.pid, *descendants(worker.pid)]]
                self.peak_tree[number] = max(self.peak_tree[number], sum(sizes))
                self.peak_process[number] = max(self.peak_process[number], *sizes)


def rss(pid: int) -> int:
    """Resident memory of a process in bytes (0 once it ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(found[1]) * 1024 if found else 0


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process, of its children that ended, and of those still running."""

    def own(process: int, *, with_ended_children: bool) -> float:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        if with_ended_children:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
        return ticks / CLOCK_TICKS

    running = sum(own(child, with_ended_children=True) for child in descendants(pid))
    return own(pid, with_ended_children=True) + running


def machine_cpu(server: PrefectServer, processes: list[Any]) -> float:
    """CPU seconds used so far by the Prefect server, the workers and this process (Kling)."""
    this = os.times()
    pids = [server.pid, *(worker.pid for worker in processes)]
    return sum(cpu_seconds(pid) for pid in pids) + this.user + this.system


def access_lines(log: Path) -> int:
    """API requests the server logged so far."""
    with log.open(errors="replace") as lines:
        return sum(1 for line in lines if ACCESS_LINE.search(line))


@contextlib.contextmanager
def prefect_on_postgres(folder: Path) -> Iterator[PrefectServer]:
    """A Prefect server on a throwaway PostgreSQL, logging every API request."""
    with PostgresServer() as database:
        server = PrefectServer(
            folder / "server",
            database_url=database.url,
            environment={"PREFECT_SERVER_LOGGING_LEVEL": "INFO"},  # uvicorn's access log
        )
        try:
            server.ready()
            yield server
        finally:
            server.stop()


def run_size(
    size: int,
    args: argparse.Namespace,
    sim: Any,
    server: PrefectServer,
    processes: list[Any],
    folder: Path,
) -> dict[str, Any]:
    """One batch of `size` items, split over the workers; its figures."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.filesystems import LocalFileSystem

    sim.reset()
    output, storage = folder / f"files-{size}", folder / f"records-{size}"
    LocalFileSystem(basepath=str(storage)).save(f"scale-records-{size}", overwrite=True)
    share = math.ceil(size / WORKERS)
    requests_before = access_lines(server.log)
    cpu_before = machine_cpu(server, processes)
    with MemoryWatch(processes) as memory, _common.varied_durations(sim, SPREAD, seed=size):
        began = time.time()
        runs = [
            run_deployment(
                DEPLOYMENT,
                parameters={
                    "items": [
                        {"prompt": f"scale {size} item {index}", "name": f"item-{index}"}
                        for index in range(part * share, min(size, (part + 1) * share))
                    ],
                    "credentials": "scale-sim",
                    "output": str(output),
                    "result_storage": f"local-file-system/scale-records-{size}",
                    "max_concurrency": args.concurrency,
                    "poll_interval_seconds": args.poll_interval,
                },
                timeout=0,
                work_queue_name=f"worker-{part}",  # one run per worker
            )
            for part in range(WORKERS)
        ]
        with get_client(sync_client=True) as client:

            def finished() -> list[Any]:
                found = [client.read_flow_run(run.id) for run in runs]
                return found if all(r.state and r.state.is_final() for r in found) else []

            final = wait_until(finished, 30 * size, lambda: f"the {size}-item runs never ended")
        wall = time.time() - began
    cpu = machine_cpu(server, processes) - cpu_before
    tasks = sim.tasks()
    table = [_common.timeline(task) for task in tasks if _common.finished_at(task)]
    floor = _common.zero_lag_floor(table, args.concurrency)
    first_create = min(row["created"] for row in table)
    last_saved = max(path.stat().st_mtime for path in output.iterdir())
    stats = sim.stats()
    kling_requests = stats.requests + stats.downloads
    prefect_requests = access_lines(server.log) - requests_before
    return {
        "items": size,
        "completed_runs": sum(r.state.type.value == "COMPLETED" for r in final),
        "tasks": stats.tasks_created,
        "files": sum(1 for path in output.iterdir() if path.suffix == ".mp4"),
        "wall_seconds": wall,
        "floor_seconds": floor,
        "wall_over_floor": wall / floor,
        "busy_seconds": last_saved - first_create,
        "busy_over_floor": (last_saved - first_create) / floor,
        "prefect_requests_per_item": prefect_requests / size,
        "kling_requests_per_item": kling_requests / size,
        "cpu_seconds_per_item": cpu / size,
        "cpu_share_of_machine": cpu / (wall * CORES),
        "cpu_budget_per_item_at_floor": floor * CORES / size,
        "peak_in_flight": stats.peak_in_flight["video"],
        "answers_1303": stats.answers_by_code.get(1303, 0),
        "worker_peak_rss_mb": [peak / 2**20 for peak in memory.peak_tree],
        "largest_process_rss_mb": max(memory.peak_process) / 2**20,
        "records": records.per_tasks(records.record_storage(str(storage)), stats.tasks_created),
    }


def growth(small: dict[str, Any], large: dict[str, Any], key: str) -> float:
    """How much a per-item figure grew from the smaller size to the larger, as a share."""
    return large[key] / small[key] - 1


def chart(sizes: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{size['items']:,} items" for size in sizes]
    panels = (
        ("wall time / zero-lag floor", "wall_over_floor", TARGETS["wall_over_floor"]),
        ("Prefect API requests per item", "prefect_requests_per_item", None),
        ("Kling requests per item", "kling_requests_per_item", None),
        ("peak RSS per worker (MB)", "worker_peak_rss_mb", TARGETS["worker_rss_mb"]),
    )
    figure, axes = plt.subplots(1, len(panels), figsize=(13, 3.4))
    for axis, (title, key, target) in zip(axes, panels, strict=True):
        values = [max(size[key]) if isinstance(size[key], list) else size[key] for size in sizes]
        axis.bar(labels, values, color=["#7aa6c2", "#1f5f8b"])
        if target is not None:
            axis.axhline(target, color="#c0392b", linestyle="--", linewidth=1, label="target")
            axis.legend(loc="lower right", fontsize=8)
        axis.set_title(title, fontsize=10)
        for index, value in enumerate(values):
            axis.annotate(f"{value:.2f}", (index, value), ha="center", va="bottom", fontsize=8)
    figure.suptitle(
        f"{WORKERS} workers on PostgreSQL, one account of 50 slots, 2 s tasks", fontsize=10
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 and 80 items, 20 slots, 1 s tasks")
    parser.add_argument("--sizes", help="item counts, comma-separated (default 200,2000)")
    parser.add_argument("--concurrency", type=int, help="account slots (default 50)")
    parser.add_argument("--task-seconds", type=float, help="task time (default 2)")
    parser.add_argument("--poll-interval", type=float, help="watcher interval (default 0.2)")
    parser.add_argument("--chart", type=Path, help=f"PNG to write (default {CHART})")
    args = parser.parse_args()
    default_sizes = "20,80" if args.quick else "200,2000"
    sizes = [int(size) for size in (args.sizes or default_sizes).split(",")]
    args.concurrency = args.concurrency or (20 if args.quick else 50)
    args.task_seconds = args.task_seconds or (1.0 if args.quick else 2.0)
    args.poll_interval = args.poll_interval or 0.1 * args.task_seconds
    reason = missing_reason()
    if reason:
        print(f"scale benchmark skipped: {reason}")
        _common.emit({"skipped": reason})
        return

    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from prefect_kling.endpoints import Family
    from prefect_kling.simulator import KlingSimulator, SimulatorConfig

    folder = _common.scratch("prefect-kling-scale-")
    config = SimulatorConfig(
        concurrency={"video": args.concurrency},
        queue_seconds=0,
        processing_seconds=args.task_seconds,
        seed=17,
        render_videos=False,  # the shipped sample: encoding thousands of MP4s is not the point
    )
    results = []
    with (
        prefect_on_postgres(folder) as server,
        KlingSimulator(config) as sim,
        temporary_settings(updates={PREFECT_API_URL: server.api_url}),
    ):
        with get_client(sync_client=True) as client:
            client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
            account = sim.credentials().account
            client.upsert_global_concurrency_limit_by_name(
                Family.VIDEO.limit_name(account), args.concurrency
            )
        sim.credentials().save("scale-sim", overwrite=True)
        with workers(folder, server.api_url, POOL, count=WORKERS, own_queues=True) as processes:
            flow.from_source(
                source=str(_common.ROOT), entrypoint="flows/deployments.py:batch_generate"
            ).deploy(name="scale", work_pool_name=POOL, print_next_steps=False)
            for size in sizes:
                figures = run_size(size, args, sim, server, processes, folder)
                results.append(figures)
                print(
                    f"{size:>6,} items: wall {figures['wall_seconds']:.1f} s = "
                    f"{figures['wall_over_floor']:.3f} x floor ({figures['floor_seconds']:.1f} s)"
                    f", first create to last file {figures['busy_over_floor']:.3f} x floor; "
                    f"Prefect {figures['prefect_requests_per_item']:.2f} and Kling "
                    f"{figures['kling_requests_per_item']:.2f} requests per item; "
                    f"workers' peak RSS {max(figures['worker_peak_rss_mb']):.0f} MB "
                    f"(largest process {figures['largest_process_rss_mb']:.0f} MB); "
                    f"CPU {figures['cpu_seconds_per_item']:.3f} s per item, budget at the floor "
                    f"{figures['cpu_budget_per_item_at_floor']:.3f} s",
                    flush=True,
                )
    small, large = results[0], results[-1]
    report = {
        "sizes": results,
        "growth": {
            key: growth(small, large, key)
            for key in ("prefect_requests_per_item", "kling_requests_per_item")
        },
        "targets": TARGETS,
    }
    report["met"] = {
        "wall_over_floor": large["wall_over_floor"] <= TARGETS["wall_over_floor"],
        "request_growth": all(g <= TARGETS["request_growth"] for g in report["growth"].values()),
        "worker_rss": all(
            max(size["worker_peak_rss_mb"]) < TARGETS["worker_rss_mb"] for size in results
        ),
    }
    chart(results, args.chart or (CHART if not args.quick else folder / "scale.png"))
    _common.emit(report)


if __name__ == "__main__":
    main()
