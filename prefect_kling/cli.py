"""The `prefect-kling` command line.

Generation commands (`prefect_kling.cli_commands`: text2video, image2video,
multi-image2video, multi-image2image, image, extend, lip-sync, effect, expand, try-on) run
the ready-made flows (so Prefect's caching, retries, artifacts and events apply) against
`KlingCredentials.from_env()` or a saved block (`--credentials NAME`). `costs` lists the
account's resource packs with a free query; `status` and `wait` read earlier tasks.

Exit codes: 0 success; 2 input refused before it was sent (the message names the field and
what is allowed, or the provider that has no such route), or a create that `--max-units`
stopped (in `extend --times N`, after the steps already made); 1 a remote failure or a
timeout (the message carries Kling's code, message, request id and task id).
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

from prefect_kling.cli_commands import (
    COMMANDS,
    add_common,
    add_generation_commands,
    port_number,
)

for _name, _value in {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}.items():
    os.environ.setdefault(_name, _value)

EXIT_OK, EXIT_REMOTE, EXIT_INPUT = 0, 1, 2
GENERATION_COMMANDS = tuple(name for name in COMMANDS if name != "extend")
"""The commands that run `generate_video` or `generate_image` once (`extend` runs a chain)."""


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
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self.enabled:
            self._thread.join(timeout=2)
            self.stream.write("\r\033[K")
            self.stream.flush()

    def update(self, task: Any, elapsed: float) -> None:
        """Take in a status change (the flows' `on_status` callback)."""
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `prefect-kling`."""
    parser = argparse.ArgumentParser(
        prog="prefect-kling", description="Generate Kling videos and images with Prefect."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_generation_commands(commands)

    costs = commands.add_parser(
        "costs", help="list the account's resource packs and remaining units (free)"
    )
    costs.add_argument("--pack", metavar="NAME", help="only the resource pack of this name")
    costs.add_argument("--credentials", metavar="BLOCK_NAME")
    costs.add_argument("--json", action="store_true")

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
    add_common(wait)
    wait.add_argument("--watermark", action="store_true")

    sim = commands.add_parser(
        "simulator", help="run the embedded Kling simulator in the foreground"
    )
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=port_number, default=8000)
    sim.add_argument("--concurrency", type=int, help="slots per family (video, image, try-on)")
    sim.add_argument("--queue-seconds", type=float)
    sim.add_argument("--processing-seconds", type=float)
    sim.add_argument("--fault-rate", type=float)
    sim.add_argument("--seed", type=int)
    sim.add_argument("--requests-per-second", type=float)
    sim.add_argument("--link-ttl-seconds", type=float)

    receiver = commands.add_parser(
        "receiver", help="receive Kling's callbacks and turn them into Prefect events"
    )
    receiver.add_argument("--host", default="127.0.0.1")
    receiver.add_argument("--port", type=port_number, default=8080)
    receiver.add_argument("--token", help="secret part of the callback path (default: random)")
    receiver.add_argument(
        "--signing-secret", help="Standard Webhooks secret; unsigned callbacks are then refused"
    )

    demo = commands.add_parser("demo", help="run the ready-made flows on the embedded simulator")
    demo.add_argument("--output-dir", default="kling-output/demo")
    return parser


def _credentials(args: argparse.Namespace) -> Any:
    from prefect_kling.credentials import KlingCredentials
    from prefect_kling.exceptions import KlingValidationError

    if not args.credentials:
        return KlingCredentials.from_env()
    try:
        return KlingCredentials.load(args.credentials)
    except ValueError as error:  # Prefect's "Unable to find block document named ..."
        raise KlingValidationError.single(
            "credentials",
            f"no saved KlingCredentials block named {args.credentials!r} ({error}); allowed: "
            "a block saved with KlingCredentials(...).save(name), or none for KLING_*",
        ) from None


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
        video = (
            f", video id {file['video_id']}, {file['duration']} s" if file.get("video_id") else ""
        )
        out.write(
            f"  saved {file['path']} ({file['bytes']:,} bytes, "
            f"sha256 {file['sha256'][:12]}{video})\n"
        )


def _run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The flow arguments every generation command shares."""
    return {
        "output": args.output_dir,
        "idempotency_key": args.idempotency_key,
        "refresh": args.refresh,
        "watermark": args.watermark,
        "max_wait_seconds": args.max_wait,
        "max_units": args.max_units,
        "poll_interval_seconds": args.poll_interval,
        "callback_url": args.callback_url,
    }


def _generate(args: argparse.Namespace, out: Any) -> int:
    from prefect_kling.endpoints import ResultKind, get_endpoint
    from prefect_kling.flows import check_request, generate_image, generate_video

    credentials = _credentials(args)
    endpoint, fields = COMMANDS[args.command].request(args)
    # Refuse bad input (or a provider without the route) before any run starts.
    check_request(endpoint, fields, credentials, idempotency_key=args.idempotency_key)
    flow = (
        generate_image if get_endpoint(endpoint).result_kind is ResultKind.IMAGE else generate_video
    )
    with ProgressLine() as progress:
        result = flow(
            fields,
            endpoint=endpoint,
            credentials=credentials,
            on_status=progress.update,
            **_run_options(args),
        )
    _print_result(result, args.json, out)
    return EXIT_OK


def _extend(args: argparse.Namespace, out: Any) -> int:
    from prefect_kling.flows import check_request, extend_video

    credentials = _credentials(args)
    endpoint, fields = COMMANDS["extend"].request(args)
    check_request(endpoint, fields, credentials)
    with ProgressLine() as progress:
        results = extend_video(
            args.video_id,
            times=args.times,
            prompt=args.prompt,
            negative_prompt=args.negative_prompt,
            cfg_scale=args.cfg_scale,
            credentials=credentials,
            on_status=progress.update,
            **_run_options(args),
        )
    if args.json:
        last = results[-1].summary()
        out.write(json.dumps({**last, "steps": [r.summary() for r in results]}) + "\n")
        return EXIT_OK
    for step, result in enumerate(results, start=1):
        out.write(f"Step {step} of {len(results)}: ")
        _print_result(result, False, out)
    return EXIT_OK


def _costs(args: argparse.Namespace, out: Any) -> int:
    from prefect_kling.models.account import AccountCostsQuery

    credentials = _credentials(args)
    with credentials.get_client() as client:
        costs = client.account_costs(AccountCostsQuery(resource_pack_name=args.pack))
    if args.json:
        packs = [
            {**pack.model_dump(mode="json"), "used_quantity": pack.used_quantity}
            for pack in costs.packs
        ]
        out.write(json.dumps({"packs": packs, "remaining_by_type": costs.remaining_by_type}))
        out.write("\n")
        return EXIT_OK
    out.write(_packs_table(costs.packs))
    return EXIT_OK


def _packs_table(packs: Sequence[Any]) -> str:
    """The resource packs as an aligned text table."""
    if not packs:
        return "No resource packs in the last 365 days.\n"

    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:g}"

    header = ("NAME", "TYPE", "STATUS", "TOTAL", "REMAINING", "USED", "VALID UNTIL")
    rows = [
        (
            pack.resource_pack_name or "-",
            pack.resource_pack_type or "-",
            pack.status or "-",
            number(pack.total_quantity),
            number(pack.remaining_quantity),
            number(pack.used_quantity),
            pack.invalid_time.strftime("%Y-%m-%d %H:%M UTC") if pack.invalid_time else "-",
        )
        for pack in packs
    ]
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header))]
    numeric = {3, 4, 5}
    lines = [
        "  ".join(
            cell.rjust(width) if column in numeric else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in (header, *rows)
    ]
    note = "Kling updates remaining units with up to 12 hours of delay."
    return "\n".join([*lines, "", note]) + "\n"


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
    from prefect_kling.endpoints import get_endpoint
    from prefect_kling.flows import resume_task

    credentials = _credentials(args)
    # A bad endpoint or task id is refused here, before a flow run starts.
    get_endpoint(args.endpoint).query_path(credentials.provider, args.task_id)
    with ProgressLine() as progress:
        result = resume_task(
            args.endpoint,
            task_id=args.task_id,
            credentials=credentials,
            output=args.output_dir,
            watermark=args.watermark,
            max_wait_seconds=args.max_wait,
            poll_interval_seconds=args.poll_interval,
            on_status=progress.update,
        )
    _print_result(result, args.json, out)
    return EXIT_OK


def _receiver(args: argparse.Namespace, out: Any) -> int:
    import secrets

    from prefect_kling.callbacks import callback_url, serve_receiver

    token = args.token or secrets.token_urlsafe(24)
    base = f"http://{args.host}:{args.port}"
    out.write(
        f"Kling callback receiver on {base}\n"
        f"  callback_url:  {callback_url(base, token)}?endpoint=<endpoint>\n"
        "  (behind your public address; events go to this machine's Prefect API)\n"
    )
    out.flush()
    serve_receiver(host=args.host, port=args.port, token=token, signing_secret=args.signing_secret)
    return EXIT_OK


def _simulator(args: argparse.Namespace, out: Any) -> int:
    from prefect_kling.exceptions import KlingValidationError
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
    try:
        config = SimulatorConfig(**options)
    except ValueError as error:  # a setting out of range, named in the message
        raise KlingValidationError.single("simulator", str(error)) from None
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
                with ProgressLine() as progress:
                    state = generate_video(
                        request,
                        endpoint=endpoint,
                        credentials=credentials,
                        output=output,
                        poll_interval_seconds=0.5,
                        on_status=progress.update,
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
    "extend": _extend,
    "costs": _costs,
    "status": _status,
    "wait": _wait,
    "simulator": _simulator,
    "receiver": _receiver,
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
    from pydantic import ValidationError

    from prefect_kling.exceptions import (
        KlingBudgetExceeded,
        KlingConfigurationError,
        KlingError,
        KlingValidationError,
        problems_from_pydantic,
    )

    try:
        return HANDLERS[args.command](args, out)
    except (KlingValidationError, KlingConfigurationError, KlingBudgetExceeded) as error:
        err.write(f"{error}\n")
        return EXIT_INPUT
    except ValidationError as error:  # a model the command filled from its options
        err.write(f"{KlingValidationError(problems_from_pydantic(error.errors()))}\n")
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
