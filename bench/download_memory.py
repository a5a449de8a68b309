"""Peak memory and throughput of `save_task_results` on one large file, against bare httpx streams.

A loopback HTTP server started here serves N bytes of a repeating pattern with a
Content-Length. Each side runs in child processes (spawned, so that the peak RSS each
reports, VmHWM, is its own; the sides alternate, round after round): a few timed downloads
first (peak RSS growth over the child's start, best time), then one more under tracemalloc
(peak of Python allocations). The figures are the best time and the worst memory of a side.

Three sides, each what one would write by hand, `client.stream("GET", url)` and
`iter_bytes()` into an open file:

- **bare + SHA-256**, the reference: the same loop also feeds each chunk to
  `hashlib.sha256()`, the work that makes a saved file verifiable (target: the package's
  throughput >= 0.95 x this one's);
- **bare**: without the hash, for scale;
- **bare + SHA-256 + fsync**: the reference, and an fsync of the file at the end (the
  package makes each file durable before it names it): what the reference would take with
  that one step more;
- **save_task_results**: SHA-256 too (in a thread of its own, beside the reads), plus an
  fsync, a checked Content-Length, an atomic rename and a manifest.

SHA-256's own speed on this machine, hashlib over the same bytes in memory (in the same
1 MiB pieces, best of three), is the ceiling of any download that checks every byte; the
script prints it. The last line printed is one JSON object.

    python bench/download_memory.py            # 500 MB
    python bench/download_memory.py --quick    # 20 MB, one round, a few seconds
    python bench/download_memory.py --link-mb-s 50   # a link as slow as a good CDN
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MB = 1 << 20
CHUNK = 1 << 20
TARGET_PEAK_GROWTH_MB = 64
TARGET_THROUGHPUT_RATIO = 0.95
"""The package's throughput over the bare stream that also computes SHA-256."""
PATTERN = bytes(range(256)) * (CHUNK // 256)


def make_handler(size: int, link_mb_s: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            began, sent = time.perf_counter(), 0
            while sent < size:
                piece = PATTERN[: size - sent]
                self.wfile.write(piece)
                sent += len(piece)
                if link_mb_s:
                    time.sleep(max(0.0, sent / (link_mb_s * MB) - (time.perf_counter() - began)))

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def start_server(size: int, link_mb_s: float = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(size, link_mb_s))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def baseline(url: str, folder: Path) -> None:
    import httpx

    with (
        httpx.Client(timeout=60) as client,
        client.stream("GET", url) as response,
        (folder / "clip.mp4").open("wb") as out,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes():
            out.write(chunk)


def hashing(url: str, folder: Path) -> str:
    """The bare stream that also computes SHA-256 in the same loop: the same work as ours."""
    import httpx

    digest = hashlib.sha256()
    with (
        httpx.Client(timeout=60) as client,
        client.stream("GET", url) as response,
        (folder / "clip.mp4").open("wb") as out,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes():
            out.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def hashing_fsync(url: str, folder: Path) -> str:
    """The reference with an fsync at the end, as the package makes each file durable."""
    import httpx

    digest = hashlib.sha256()
    with (
        httpx.Client(timeout=60) as client,
        client.stream("GET", url) as response,
        (folder / "clip.mp4").open("wb") as out,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes():
            out.write(chunk)
            digest.update(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def ours(url: str, folder: Path) -> None:
    from prefect_kling.downloads import save_task_results
    from prefect_kling.models.kling_task import KlingTask, TaskReference

    task = KlingTask.model_validate(
        {"task_id": "1", "task_status": "succeed", "task_result": {"videos": [{"url": url}]}}
    )
    reference = TaskReference(task_id="1", endpoint="text2video", provider="kling")
    save_task_results(task, reference, folder, chunk_size=CHUNK)


def child(variant: str, url: str, workdir: str, repeats: int, results: Any) -> None:
    import httpx

    if variant == "ours":
        import prefect_kling.downloads  # noqa: F401
    # Loaded before the start is read, on every side: modules and the TLS context of a client.
    httpx.Client().close()
    run = {
        "baseline": baseline,
        "hashing": hashing,
        "hashing_fsync": hashing_fsync,
        "ours": ours,
    }[variant]
    folder = Path(workdir) / variant
    start_hwm = status_kb("VmHWM")
    times = []
    for _ in range(repeats):
        shutil.rmtree(folder, ignore_errors=True)  # a rerun of ours would be free
        folder.mkdir(parents=True)
        began = time.perf_counter()
        run(url, folder)
        times.append(time.perf_counter() - began)
    peak_growth_kb = status_kb("VmHWM") - start_hwm

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    tracemalloc.start()
    run(url, folder)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    shutil.rmtree(folder, ignore_errors=True)
    results.put(
        {
            "variant": variant,
            "best_seconds": min(times),
            "peak_growth_mb": peak_growth_kb / 1024,
            "traced_peak_mb": traced_peak / MB,
        }
    )


def measure(variant: str, url: str, workdir: str, repeats: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=child, args=(variant, url, workdir, repeats, results))
    process.start()
    figures = results.get(timeout=600)
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the {variant} child exited with {process.exitcode}")
    return figures


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Best time, worst memory, over the children of one side."""
    return {
        "best_seconds": min(run["best_seconds"] for run in runs),
        "peak_growth_mb": max(run["peak_growth_mb"] for run in runs),
        "traced_peak_mb": max(run["traced_peak_mb"] for run in runs),
    }


def sha256_rate_mb_s(size: int, tries: int = 3) -> float:
    """SHA-256 alone on this CPU, over the bytes served (in memory, 1 MiB pieces), best of
    `tries`: the bound of any download that checks every byte."""
    best = float("inf")
    for _ in range(tries):
        digest = hashlib.sha256()
        began = time.perf_counter()
        left = size
        while left > 0:
            piece = PATTERN[: min(left, CHUNK)]
            digest.update(piece)
            left -= len(piece)
        best = min(best, time.perf_counter() - began)
    return size / MB / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500, help="size of the file (default 500)")
    parser.add_argument("--quick", action="store_true", help="20 MB and one round: a few seconds")
    parser.add_argument("--repeats", type=int, default=3, help="timed downloads per child")
    parser.add_argument("--rounds", type=int, default=2, help="children per side, alternating")
    parser.add_argument(
        "--link-mb-s",
        type=float,
        default=0,
        help="serve at most this fast, like a real CDN link (default: as fast as loopback)",
    )
    args = parser.parse_args()
    size_mb = 20 if args.quick else args.size_mb
    rounds = 1 if args.quick else args.rounds
    size = size_mb * MB

    server = start_server(size, args.link_mb_s)
    url = f"http://127.0.0.1:{server.server_address[1]}/result/clip.mp4"
    runs: dict[str, list[dict[str, Any]]] = {
        "hashing": [],
        "baseline": [],
        "hashing_fsync": [],
        "ours": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-download-") as workdir:
        # Rounds alternate the two sides, so that a busy moment of the machine hits both.
        for _ in range(rounds):
            for variant, figures in runs.items():
                figures.append(measure(variant, url, workdir, args.repeats))
    server.shutdown()
    hashed, base, durable, mine = (
        combine(runs[side]) for side in ("hashing", "baseline", "hashing_fsync", "ours")
    )
    hash_rate = sha256_rate_mb_s(size)

    hashed_rate = size_mb / hashed["best_seconds"]
    base_rate = size_mb / base["best_seconds"]
    our_rate = size_mb / mine["best_seconds"]
    durable_rate = size_mb / durable["best_seconds"]
    ratio = our_rate / hashed_rate
    for label, figures, rate in (
        ("bare httpx + sha256", hashed, hashed_rate),
        ("bare httpx", base, base_rate),
        ("+ sha256 + fsync", durable, durable_rate),
        ("save_task_results", mine, our_rate),
    ):
        print(
            f"{label:>19}: {rate:7.1f} MB/s, peak RSS growth {figures['peak_growth_mb']:6.1f} MB, "
            f"peak traced {figures['traced_peak_mb']:5.1f} MB"
        )
    print(f"{'sha256 alone':>19}: {hash_rate:7.1f} MB/s on this CPU, in memory (the ceiling)")
    print(
        f"{'throughput ratio':>19}: {ratio:.2f} of bare httpx + sha256 (target >= "
        f"{TARGET_THROUGHPUT_RATIO}); {our_rate / base_rate:.2f} of bare httpx without it; "
        f"{our_rate / durable_rate:.2f} of bare httpx + sha256 + fsync"
    )
    print(
        json.dumps(
            {
                "benchmark": "download",
                "quick": args.quick,
                "size_mb": size_mb,
                "link_mb_s": args.link_mb_s or None,
                "peak_growth_mb": round(mine["peak_growth_mb"], 1),
                "baseline_peak_growth_mb": round(base["peak_growth_mb"], 1),
                "hashing_peak_growth_mb": round(hashed["peak_growth_mb"], 1),
                "traced_peak_mb": round(mine["traced_peak_mb"], 2),
                "baseline_traced_peak_mb": round(base["traced_peak_mb"], 2),
                "throughput_mb_s": round(our_rate, 1),
                "hashing_throughput_mb_s": round(hashed_rate, 1),
                "baseline_throughput_mb_s": round(base_rate, 1),
                "hashing_fsync_throughput_mb_s": round(durable_rate, 1),
                "sha256_mb_s": round(hash_rate, 1),
                "throughput_ratio": round(ratio, 3),
                "throughput_ratio_unhashed": round(our_rate / base_rate, 3),
                "throughput_ratio_fsync": round(our_rate / durable_rate, 3),
                "of_sha256_ceiling": round(our_rate / hash_rate, 3),
                "target_peak_growth_mb": TARGET_PEAK_GROWTH_MB,
                "target_throughput_ratio": TARGET_THROUGHPUT_RATIO,
                "met": {
                    "peak_growth": mine["peak_growth_mb"] <= TARGET_PEAK_GROWTH_MB,
                    "throughput_ratio": ratio >= TARGET_THROUGHPUT_RATIO,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
