"""The `prefect-kling` command line.

Generation commands run the ready-made flows (so Prefect's caching, retries, artifacts and
events apply) against `KlingCredentials.from_env()` or a saved block (`--credentials NAME`).

Exit codes: 0 success; 2 input refused before anything was sent (the message names the field
and what is allowed); 1 a remote failure or a timeout (the message carries Kling's code,
message, request id and task id).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

for _name, _value in {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}.items():
    os.environ.setdefault(_name, _value)

EXIT_OK, EXIT_REMOTE, EXIT_INPUT = 0, 1, 2
GENERATION_COMMANDS = ("text2video", "image2video", "multi-image2video", "multi-image2image")


class ProgressLine:
    """A live `status, elapsed` line on a terminal while a task is waited for."""

    def __init__(self, stream: Any = sys.stderr, *, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self._clock = clock
        self._status = "creating"
        self._task_id = ""
        self._started = clock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProgressLine:
        from prefect_kling.polling import status_listeners

        status_listeners.append(self.update)
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        from prefect_kling.polling import status_listeners

        status_listeners.remove(self.update)
        self._stop.set()
        if self.enabled:
            self._thread.join(timeout=2)
            self.stream.write("\r\033[K")
            self.stream.flush()

    def update(self, task: Any, elapsed: float) -> None:
        """Take in a status change."""
        self._status, self._task_id = task.status, task.task_id

    def render(self) -> str:
        """The line as shown now."""
        elapsed = self._clock() - self._started
        task = f"task {self._task_id} " if self._task_id else ""
        return f"Kling {task}{self._status}, {elapsed:.0f} s"

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.stream.write("\r\033[K" + self.render())
            self.stream.flush()


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--credentials",
        metavar="BLOCK_NAME",
        help="saved KlingCredentials block (default: KLING_* variables)",
    )
    parser.add_argument(
        "--output-dir",
        default="kling-output",
        help="folder for the result files (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--max-wait",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="longest wait (default: %(default)s)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="first pause between queries; it grows to 30 s (default: %(default)s)",
    )


def _add_generation(parser: argparse.ArgumentParser, *, video: bool) -> None:
    _add_common(parser)
    parser.add_argument("--model", dest="model_name", help="Kling model, e.g. kling-v2-master")
    parser.add_argument("--negative-prompt", help="what the result should not show")
    parser.add_argument("--aspect-ratio", help="e.g. 16:9")
    if video:
        parser.add_argument("--mode", help="std or pro")
        parser.add_argument("--duration", help="5 or 10 (seconds)")
    parser.add_argument("--idempotency-key", help="ask for a fresh take of a request made before")
    parser.add_argument(
        "--refresh", action="store_true", help="ignore the cached create, make a new task"
    )
    parser.add_argument(
        "--watermark", action="store_true", help="also save the watermarked variants"
    )
    parser.add_argument("--max-units", type=float, help="refuse to create past this many units")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `prefect-kling`."""
    parser = argparse.ArgumentParser(
        prog="prefect-kling", description="Generate Kling videos and images with Prefect."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    text = commands.add_parser("text2video", help="generate a video from a prompt")
    text.add_argument("--prompt", required=True)
    text.add_argument("--cfg-scale", type=float)
    _add_generation(text, video=True)

    image = commands.add_parser(
        "image2video", help="animate an image (start and optional end frame)"
    )
    image.add_argument("--image", required=True, metavar="PATH_OR_URL")
    image.add_argument("--image-tail", metavar="PATH_OR_URL")
    image.add_argument("--prompt")
    image.add_argument("--cfg-scale", type=float)
    _add_generation(image, video=True)

    multi = commands.add_parser("multi-image2video", help="a video from 2 to 4 reference images")
    multi.add_argument(
        "--image", action="append", required=True, dest="images", metavar="PATH_OR_URL"
    )
    multi.add_argument("--prompt", required=True)
    _add_generation(multi, video=True)

    compose = commands.add_parser(
        "multi-image2image", help="an image from subject, scene and style images"
    )
    compose.add_argument(
        "--subject", action="append", required=True, dest="subjects", metavar="PATH_OR_URL"
    )
    compose.add_argument("--scene", metavar="PATH_OR_URL")
    compose.add_argument("--style", metavar="PATH_OR_URL")
    compose.add_argument("--prompt")
    compose.add_argument("--n", type=int, help="number of images (1..9)")
    _add_generation(compose, video=False)

    status = commands.add_parser("status", help="query a task once")
    status.add_argument("endpoint")
    status.add_argument("task_id")
    status.add_argument("--credentials", metavar="BLOCK_NAME")
    status.add_argument("--json", action="store_true")

    wait = commands.add_parser(
        "wait", help="wait for a task from an earlier run and save its files"
    )
    wait.add_argument("endpoint")
    wait.add_argument("task_id")
    _add_common(wait)
    wait.add_argument("--watermark", action="store_true")

    sim = commands.add_parser(
        "simulator", help="run the embedded Kling simulator in the foreground"
    )
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8000)
    sim.add_argument("--concurrency", type=int, help="slots per family (video, image, try-on)")
    sim.add_argument("--queue-seconds", type=float)
    sim.add_argument("--processing-seconds", type=float)
    sim.add_argument("--fault-rate", type=float)
    sim.add_argument("--seed", type=int)
    sim.add_argument("--requests-per-second", type=float)
    sim.add_argument("--link-ttl-seconds", type=float)

    demo = commands.add_parser("demo", help="run the ready-made flows on the embedded simulator")
    demo.add_argument("--output-dir", default="kling-output/demo")
    return parser


def _request_fields(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The endpoint and the request fields given on the command line."""
    names = (
        "prompt",
        "negative_prompt",
        "model_name",
        "mode",
        "duration",
        "aspect_ratio",
        "cfg_scale",
        "n",
    )
    fields = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    if args.command == "image2video":
        fields.update({"image": args.image, "image_tail": args.image_tail})
    elif args.command == "multi-image2video":
        fields["image_list"] = [{"image": image} for image in args.images]
    elif args.command == "multi-image2image":
        fields["subject_image_list"] = [{"subject_image": subject} for subject in args.subjects]
        fields.update({"scene_image": args.scene, "style_image": args.style})
    return args.command, {key: value for key, value in fields.items() if value is not None}


def _credentials(args: argparse.Namespace) -> Any:
    from prefect_kling.credentials import KlingCredentials

    return (
        KlingCredentials.load(args.credentials) if args.credentials else KlingCredentials.from_env()
    )


def _print_result(result: Any, as_json: bool, out: Any) -> None:
    summary = result.summary()
    if as_json:
        out.write(json.dumps(summary) + "\n")
        return
    units = "unknown" if summary["units"] is None else f"{summary['units']:g}"
    out.write(
        f"Kling {summary['endpoint']} task {summary['task_id']}: "
        f"{summary['status']}, {units} units\n"
    )
    for file in summary["files"]:
        out.write(
            f"  saved {file['path']} ({file['bytes']:,} bytes, sha256 {file['sha256'][:12]})\n"
        )


def _generate(args: argparse.Namespace, out: Any) -> int:
    from prefect_kling.client import prepare_create
    from prefect_kling.endpoints import ResultKind, get_endpoint
    from prefect_kling.flows import generate_image, generate_video

    credentials = _credentials(args)
    endpoint, fields = _request_fields(args)
    prepare_create(endpoint, fields, credentials.provider)  # refuse bad input before any run starts
    flow = (
        generate_image if get_endpoint(endpoint).result_kind is ResultKind.IMAGE else generate_video
    )
    with ProgressLine():
        result = flow(
            fields,
            endpoint=endpoint,
            credentials=credentials,
            output=args.output_dir,
            idempotency_key=args.idempotency_key,
            refresh=args.refresh,
            watermark=args.watermark,
            max_wait_seconds=args.max_wait,
            max_units=args.max_units,
            poll_interval_seconds=args.poll_interval,
        )
    _print_result(result, args.json, out)
    return EXIT_OK


def _status(args: argparse.Namespace, out: Any) -> int:
    credentials = _credentials(args)
    with credentials.get_client() as client:
        task = client.get_task(args.endpoint, args.task_id)
    if args.json:
        out.write(task.model_dump_json() + "\n")
    else:
        units = "" if task.units is None else f", {task.units:g} units"
        reason = f" ({task.task_status_msg})" if task.task_status_msg else ""
        out.write(f"Kling {args.endpoint} task {task.task_id}: {task.status}{reason}{units}\n")
        for item in [*task.videos, *task.images]:
            out.write(f"  {item.url}\n")
    return EXIT_OK


def _wait(args: argparse.Namespace, out: Any) -> int:
    from prefect_kling.flows import resume_task

    with ProgressLine():
        result = resume_task(
            args.endpoint,
            task_id=args.task_id,
            credentials=_credentials(args),
            output=args.output_dir,
            watermark=args.watermark,
            max_wait_seconds=args.max_wait,
            poll_interval_seconds=args.poll_interval,
        )
    _print_result(result, args.json, out)
    return EXIT_OK


def _simulator(args: argparse.Namespace, out: Any) -> int:
    from prefect_kling.simulator import SimulatorConfig, serve

    options: dict[str, Any] = {
        name: getattr(args, name)
        for name in (
            "queue_seconds",
            "processing_seconds",
            "fault_rate",
            "seed",
            "requests_per_second",
            "link_ttl_seconds",
        )
        if getattr(args, name) is not None
    }
    if args.concurrency is not None:
        options["concurrency"] = dict.fromkeys(("video", "image", "try-on"), args.concurrency)
    config = SimulatorConfig(**options)
    base = f"http://{args.host}:{args.port}"
    out.write(
        f"Kling simulator on {base}\n"
        f"  official API:  KLING_BASE_URL={base} KLING_ACCESS_KEY={config.access_key}"
        f" KLING_SECRET_KEY={config.secret_key}\n"
        f"  gateway API:   KLING_PROVIDER=cometapi KLING_BASE_URL={base}"
        f" KLING_API_KEY={config.api_key}\n"
        f"  inspection:    {base}/_simulator/stats\n"
    )
    out.flush()
    serve(config, host=args.host, port=args.port)
    return EXIT_OK


def _demo(args: argparse.Namespace, out: Any) -> int:
    from prefect_kling.flows import generate_video
    from prefect_kling.media import make_png
    from prefect_kling.simulator import KlingSimulator, SimulatorConfig

    output = Path(args.output_dir)
    config = SimulatorConfig(queue_seconds=1.0, processing_seconds=3.0)
    with KlingSimulator(config) as sim:
        credentials = sim.credentials("kling")
        out.write(
            f"Started the Kling simulator on {sim.base_url} (no account, no network needed)\n"
        )
        with tempfile.TemporaryDirectory() as scratch:
            start_frame = Path(scratch) / "start-frame.png"
            start_frame.write_bytes(make_png(1280, 720, seed=3))
            jobs = [
                (
                    "text2video",
                    {
                        "prompt": "A paper boat drifting down a rain-soaked street, cinematic",
                        "duration": "5",
                    },
                ),
                (
                    "image2video",
                    {"image": str(start_frame), "prompt": "The colours slowly swirl and glow"},
                ),
            ]
            for endpoint, request in jobs:
                out.write(f"\nRunning the ready-made flow generate_video ({endpoint})...\n")
                with ProgressLine():
                    state = generate_video(
                        request,
                        endpoint=endpoint,
                        credentials=credentials,
                        output=output,
                        poll_interval_seconds=0.5,
                        return_state=True,
                    )
                result = state.result()
                _print_result(result, False, out)
                out.write(f"  Prefect flow run: {state.state_details.flow_run_id}\n")
    out.write(
        f"\nDone. The videos are in {output.resolve()}.\n"
        "See the runs, their artifacts (task summaries, progress) and events in the Prefect UI:\n"
        "  prefect server start    # then open http://127.0.0.1:4200/runs and /artifacts\n"
    )
    return EXIT_OK


HANDLERS: dict[str, Callable[[argparse.Namespace, Any], int]] = {
    **dict.fromkeys(GENERATION_COMMANDS, _generate),
    "status": _status,
    "wait": _wait,
    "simulator": _simulator,
    "demo": _demo,
}


def main(argv: Sequence[str] | None = None, *, out: Any = None, err: Any = None) -> int:
    """Run `prefect-kling`; returns the exit code.

    Args:
        argv: Arguments without the program name (default: `sys.argv[1:]`).
        out: Where results go (default: stdout).
        err: Where errors go (default: stderr).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    from prefect_kling.exceptions import (
        KlingBudgetExceeded,
        KlingConfigurationError,
        KlingError,
        KlingValidationError,
    )

    try:
        return HANDLERS[args.command](args, out)
    except (KlingValidationError, KlingConfigurationError, KlingBudgetExceeded) as error:
        err.write(f"{error}\n")
        return EXIT_INPUT
    except KlingError as error:
        err.write(f"{error}\n")
        return EXIT_REMOTE
    except KeyboardInterrupt:
        err.write(
            "Interrupted. A created task keeps running at Kling;"
            " resume it with `prefect-kling wait`.\n"
        )
        return EXIT_REMOTE


if __name__ == "__main__":
    sys.exit(main())
