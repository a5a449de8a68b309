"""The commands that serve until interrupted: `simulator` and `receiver`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from prefect_kling.cli.common import EXIT_OK


def run_receiver(args: argparse.Namespace, out: Any) -> int:
    """Serve the callback receiver until interrupted; print the callback URL first.

    A token given with `--token` is not printed (the output may end up in a log); a
    random one is, as there is no other way to learn it.

    Raises:
        KlingConfigurationError: No Prefect API answers, or no Kling credentials are set
            (nothing is printed but the message).
    """
    import secrets

    from prefect_kling.callbacks import callback_url, serve_receiver

    token = args.token or secrets.token_urlsafe(24)
    base = f"http://{args.host}:{args.port}"

    def announce() -> None:
        out.write(
            f"Kling callback receiver on {base}\n"
            f"  callback_url:  {callback_url(base, '<token>' if args.token else token)}"
            "?endpoint=<endpoint>\n"
            "  (behind your public address; events go to this machine's Prefect API)\n"
        )
        out.flush()

    serve_receiver(
        host=args.host,
        port=args.port,
        token=token,
        signing_secret=args.signing_secret,
        announce=announce,
    )
    return EXIT_OK


def run_simulator(args: argparse.Namespace, out: Any) -> int:
    """Serve the Kling simulator until interrupted; print how to reach it first (once).

    Its account has a trial resource pack per family (`--pack-units`, 1000 units by
    default), which `prefect-kling costs` lists and its tasks spend.

    Raises:
        KlingValidationError: A setting is out of range, or the state file is not one
            (the message names it).
    """
    from prefect_kling.exceptions import KlingValidationError
    from prefect_kling.simulator import SimulatorConfig, serve
    from prefect_kling.simulator.packs import DEMO_PACK_UNITS
    from prefect_kling.simulator.state_file import read_state_file

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
    units = DEMO_PACK_UNITS if args.pack_units is None else args.pack_units
    options["resource_pack_units"] = units or None  # 0: unlimited, no packs
    try:
        config = SimulatorConfig(**options)
    except ValueError as error:  # a setting out of range, named in the message
        raise KlingValidationError.single("simulator", str(error)) from None
    if args.state_file is not None:
        try:
            read_state_file(Path(args.state_file))
        except ValueError as error:  # not a state file: the message names it
            raise KlingValidationError.single("--state-file", str(error)) from None
    serve(config, host=args.host, port=args.port, state_path=args.state_file, out=out)
    return EXIT_OK
