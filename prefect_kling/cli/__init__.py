"""The `prefect-kling` command line.

Generation commands (one per endpoint row's command: text2video, image2video,
multi-image2video, multi-image2image, image, extend, lip-sync, effect, expand, try-on) run
the ready-made flows (so Prefect's caching, retries, artifacts and events apply) against
`KlingCredentials.from_env()` or a saved block (`--credentials NAME`). `costs` lists the
account's resource packs with a free query; `status` and `wait` read earlier tasks.

The package by job: `parser` (the parser, generation commands from the rows), `generate`
(their runner), `progress` (the live status line), `queries` (costs, status, wait),
`servers` (simulator, receiver), `demo`, and `common` (exit codes, credentials, result
lines).

Exit codes: 0 success; 2 input refused before it was sent (the message names the field and
what is allowed, or the provider that has no such route), or a create that `--max-units`
stopped (in `extend --times N`, after the steps already made); 1 a remote failure or a
timeout (the message carries Kling's code, message, request id and task id).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from prefect_kling.cli.common import EXIT_INPUT, EXIT_OK, EXIT_REMOTE
from prefect_kling.cli.demo import run_demo
from prefect_kling.cli.generate import run_chain, run_generation
from prefect_kling.cli.parser import build_parser, generation_commands
from prefect_kling.cli.progress import ProgressLine
from prefect_kling.cli.queries import run_costs, run_status, run_wait
from prefect_kling.cli.servers import run_receiver, run_simulator

__all__ = [
    "EXIT_INPUT",
    "EXIT_OK",
    "EXIT_REMOTE",
    "HANDLERS",
    "ProgressLine",
    "build_parser",
    "main",
]

for _name, _value in {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}.items():
    os.environ.setdefault(_name, _value)

HANDLERS: dict[str, Callable[[argparse.Namespace, Any], int]] = {
    **{
        name: run_chain if command.repeats else run_generation
        for name, (command, _row) in generation_commands().items()
    },
    "costs": run_costs,
    "status": run_status,
    "wait": run_wait,
    "simulator": run_simulator,
    "receiver": run_receiver,
    "demo": run_demo,
}
"""The function that runs each command, by name; each returns the exit code."""


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

    from prefect_kling._checks import problems_from_pydantic
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
