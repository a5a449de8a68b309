"""Records that pile up: the storage the create step's records take per task, and their cleanup.

Every create leaves a sent mark and a cached record in the result storage
(`prefect_kling.flows.retention`). Two measurements:

- **a real batch**: `batch_generate` of `--tasks` items (100; 20 in quick mode) against the
  simulator, with a result storage folder of its own; counts the marks and records it left,
  their bytes and the disk blocks they take, per task, and per 10,000 tasks;
- **10,000 tasks' records**: written as the create step writes them (a sent mark with its
  time and content digest, a cached `TaskReference` with its expiry; 1,000 in quick mode),
  half of them 40 days old: their bytes and disk blocks, then `clean_records` timed, first
  as a dry run, then for real (it removes the old half).

A record holds its own storage key, which for a local folder is its absolute path: the
bytes per task grow by two bytes per character of the folder's path (the figures name the
folder's length). The last line printed is one JSON object.

Called from another benchmark, `record_storage(storage)` counts what a run left in its
result storage and `per_tasks(figures, tasks)` scales it to 10,000 tasks.

    python bench/records.py            # a batch of 100, then 10,000 tasks' records
    python bench/records.py --quick    # a batch of 20, then 1,000
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _common  # first: it isolates Prefect

PER = 10_000


def record_storage(storage: Any) -> dict[str, Any]:
    """What the create step's records take in a result storage.

    Args:
        storage: A folder, a storage block or its slug, or an fsspec URL (as
            `clean_records` takes it).

    Returns:
        Counts and bytes of the marks and records, the disk they take (local folders:
        allocated blocks; None elsewhere), and the other files of the storage.
    """
    from prefect_kling.flows.record_storage import storage_of
    from prefect_kling.flows.retention import MARK, record_kind

    place = storage_of(storage)
    folder = Path(place.name) if Path(place.name).is_dir() else None
    figures: dict[str, Any] = {
        "marks": 0,
        "records": 0,
        "mark_bytes": 0,
        "record_bytes": 0,
        "disk_bytes": 0 if folder else None,
        "other_files": 0,
        "other_bytes": 0,
    }
    for name, size in place.entries():
        kind = record_kind(name)
        if kind is None:
            figures["other_files"] += 1
            figures["other_bytes"] += size
            continue
        which = "mark" if kind == MARK else "record"
        figures[f"{which}s"] += 1
        figures[f"{which}_bytes"] += size
        if folder is not None:
            figures["disk_bytes"] += os.stat(folder / name).st_blocks * 512
    figures["bytes"] = figures["mark_bytes"] + figures["record_bytes"]
    return figures


def per_tasks(figures: dict[str, Any], tasks: int, per: int = PER) -> dict[str, Any]:
    """Bytes per task and per `per` tasks, from what `record_storage` counted for `tasks`."""
    scaled = {
        "tasks": tasks,
        "bytes_per_task": figures["bytes"] / tasks,
        f"bytes_per_{per}_tasks": figures["bytes"] * per / tasks,
    }
    if figures.get("disk_bytes") is not None:
        scaled["disk_bytes_per_task"] = figures["disk_bytes"] / tasks
        scaled[f"disk_bytes_per_{per}_tasks"] = figures["disk_bytes"] * per / tasks
    return scaled


def real_batch(tasks: int) -> dict[str, Any]:
    """A batch of `tasks` items on the simulator, its records in a folder of their own."""
    from prefect.filesystems import LocalFileSystem

    from prefect_kling.flows import batch_generate
    from prefect_kling.simulator import KlingSimulator, SimulatorConfig

    folder = _common.scratch("bench-records-") / "results"
    folder.mkdir()
    name = f"bench-records-{uuid.uuid4().hex[:8]}"
    config = SimulatorConfig(
        concurrency={"video": 10}, queue_seconds=0, processing_seconds=0.2, render_videos=False
    )
    with _common.prefect_server(), KlingSimulator(config) as sim:
        _common.set_limit("video", 10)
        LocalFileSystem(basepath=str(folder)).save(name)
        report = batch_generate(
            [
                {"prompt": f"Records clip {index}", "name": f"clip-{index}"}
                for index in range(tasks)
            ],
            credentials=sim.credentials(),
            output=str(_common.scratch("bench-records-out-")),
            max_concurrency=10,
            poll_interval_seconds=0.1,
            result_storage=f"local-file-system/{name}",
        )
        created = sim.stats().tasks_created
    figures = record_storage(folder)
    return {
        "succeeded": report.counts["succeeded"],
        "tasks_created": created,
        "folder_path_chars": len(str(folder)),
        **figures,
        **per_tasks(figures, created),
    }


def synthetic(tasks: int) -> dict[str, Any]:
    """`tasks` creates' records, half 40 days old; their size, and `clean_records` timed."""
    from prefect.filesystems import LocalFileSystem
    from prefect.results import ResultStore

    from prefect_kling.flows.create_step import CACHE_LIFETIME
    from prefect_kling.flows.retention import clean_records
    from prefect_kling.models.kling_task import TaskReference
    from prefect_kling.providers import Provider

    folder = _common.scratch("bench-records-10k-") / "results"
    folder.mkdir()
    store = ResultStore(result_storage=LocalFileSystem(basepath=str(folder)))
    now = datetime.now(UTC)
    account = hashlib.sha256(b"bench account").hexdigest()[:12]
    began = time.perf_counter()
    for index in range(tasks):
        written = now - timedelta(days=40 if index % 2 else 1)
        external = "pk2-" + hashlib.sha256(f"request {index}".encode()).hexdigest()[:32]
        digest = hashlib.sha256(f"content {index}".encode()).hexdigest()[:32]
        key = f"kling-{{}}-kling-{account}-text2video-{external}"
        # As `claim_mark` writes a mark, and Prefect the create step's cached record.
        store.write(
            obj={"sent_at": written.isoformat(), "digest": digest},
            key=key.format("sent") + ".sent",
        )
        reference = TaskReference(
            task_id=str(866_000_000_000_000_000 + index),
            endpoint="text2video",
            provider=Provider.KLING,
            external_task_id=external,
            status="submitted",
            created_at=written,
        )
        store.write(
            obj=reference,
            key=key.format("create"),
            expiration=written + CACHE_LIFETIME[Provider.KLING],
        )
    write_seconds = time.perf_counter() - began
    figures = record_storage(folder)

    began = time.perf_counter()
    dry = clean_records(storage=folder, dry_run=True, now=now)
    dry_seconds = time.perf_counter() - began
    began = time.perf_counter()
    real = clean_records(storage=folder, now=now)
    clean_seconds = time.perf_counter() - began
    assert dry.removed == real.removed and real.removed.count == tasks  # the old half
    left = record_storage(folder)
    return {
        "folder_path_chars": len(str(folder)),
        "write_seconds": write_seconds,
        **figures,
        **per_tasks(figures, tasks),
        "dry_run_seconds": dry_seconds,
        "cleanup_seconds": clean_seconds,
        "removed_records": real.removed.count,
        "removed_bytes": real.removed.bytes,
        "left_bytes": left["bytes"],
        "files_read_per_second": 2 * tasks / dry_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a batch of 20, 1,000 records")
    parser.add_argument("--tasks", type=int, help="items of the real batch (default 100)")
    parser.add_argument(
        "--synthetic", type=int, help="creates whose records are written (default 10,000)"
    )
    args = parser.parse_args()
    batch_tasks = args.tasks or (20 if args.quick else 100)
    written_tasks = args.synthetic or (1_000 if args.quick else PER)

    batch = real_batch(batch_tasks)
    many = synthetic(written_tasks)
    print(
        f"real batch of {batch['tasks_created']} tasks: {batch['marks']} marks "
        f"({batch['mark_bytes'] / batch['marks']:.0f} bytes each) and {batch['records']} "
        f"records ({batch['record_bytes'] / batch['records']:.0f} bytes each): "
        f"{batch['bytes_per_task']:.0f} bytes per task, {batch['disk_bytes_per_task']:.0f} "
        f"on disk (4 KiB blocks); other files {batch['other_files']} "
        f"(folder path {batch['folder_path_chars']} characters)"
    )
    print(
        f"per 10,000 tasks: {batch['bytes_per_10000_tasks'] / 1e6:.1f} MB of records, "
        f"{batch['disk_bytes_per_10000_tasks'] / 1e6:.1f} MB on a local disk"
    )
    print(
        f"{written_tasks:,} tasks' records written: {many['bytes'] / 1e6:.1f} MB "
        f"({many['bytes_per_task']:.0f} bytes per task), {many['disk_bytes'] / 1e6:.1f} MB on "
        f"disk, in {many['write_seconds']:.1f} s; cleanup of the {many['removed_records']:,} "
        f"older than 31 days: dry run {many['dry_run_seconds']:.1f} s, removal "
        f"{many['cleanup_seconds']:.1f} s ({many['files_read_per_second']:.0f} files read per s)"
    )
    _common.emit(
        {
            "benchmark": "records",
            "quick": args.quick,
            "batch": batch,
            "written": many,
            "targets": {"reported": "bytes per 10,000 tasks (no target set)"},
        }
    )


if __name__ == "__main__":
    main()
