"""The argument parser of `prefect-kling`: generation commands from the endpoint rows, and the rest.

Each endpoint row carries its command (`Endpoint.command`: name, help, own options); the
parser adds every row's command, in the rows' order, with the options every generation
command shares (`add_run_options`). A command that several rows share (lip-sync) is added
once. `elements`, `voices` (see `library`), `image-recognize` (see `recognize`), `costs`,
`status`, `wait`, `simulator`, `receiver`, `cleanup` and `demo` are the CLI's own.

Examples:
    >>> args = build_parser().parse_args(["expand", "--image", "a.png", "--up", "0.5"])
    >>> command, row = generation_commands()[args.command]
    >>> command.to_request(row.name, args)
    ('image-expand', {'image': 'a.png', 'up_expansion_ratio': 0.5})
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

from prefect_kling._urls import HTTP_URL, url_problem
from prefect_kling.endpoints import ENDPOINTS, Endpoint
from prefect_kling.endpoints.command import Command

Number = TypeVar("Number", int, float)


def _number(text: str, convert: Callable[[str], Number], kind: str) -> Number:
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None


def positive_number(text: str) -> float:
    """An option's number above 0 (argparse names the option in its message).

    Examples:
        >>> positive_number("2.5")
        2.5
    """
    value = _number(text, float, "a number")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text}; allowed: a number above 0")
    return value


def port_number(text: str) -> int:
    """A TCP port: 0 (any free one) to 65535.

    Examples:
        >>> port_number("8080")
        8080
    """
    value = _number(text, int, "a whole number")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text}; allowed: 0 to 65535")
    return value


def callback_url_option(text: str) -> str:
    """`--callback-url`: an http(s) URL with a host.

    A refusal does not repeat the URL: its path holds the receiver's token.

    Examples:
        >>> callback_url_option("https://hooks.example.com/kling/callbacks/t0k")
        'https://hooks.example.com/kling/callbacks/t0k'
    """
    problem = url_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{problem}; allowed: {HTTP_URL}")
    return text


CREDENTIALS_HELP = "saved KlingCredentials block (default: KLING_* variables)"


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options of every command that waits for a task: credentials, output, waiting."""
    parser.add_argument(
        "--credentials",
        metavar="BLOCK_NAME",
        help=CREDENTIALS_HELP,
    )
    parser.add_argument(
        "--output-dir",
        default="kling-output",
        help="folder for the result files (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--max-wait",
        type=positive_number,
        default=3600.0,
        metavar="SECONDS",
        help="longest wait (default: %(default)s)",
    )
    parser.add_argument(
        "--poll-interval",
        type=positive_number,
        default=2.0,
        metavar="SECONDS",
        help="first pause between queries; it grows to 30 s (default: %(default)s)",
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The shared options of the generation commands: `add_common` plus caching and budget."""
    add_common(parser)
    parser.add_argument("--idempotency-key", help="ask for a fresh take of a request made before")
    parser.add_argument(
        "--refresh", action="store_true", help="ignore the cached create, make a new task"
    )
    parser.add_argument(
        "--watermark", action="store_true", help="also save the watermarked variants"
    )
    parser.add_argument(
        "--max-units", type=positive_number, help="refuse to create past this many units"
    )
    parser.add_argument(
        "--allow-unknown-model",
        action="store_true",
        help="send a model name (or effect scene) this version does not know yet, "
        "instead of refusing it",
    )
    parser.add_argument(
        "--callback-url",
        type=callback_url_option,
        metavar="URL",
        help="your receiver's URL: wait for its events instead of polling "
        "(default: KLING_CALLBACK_URL, or the credentials block's)",
    )


def generation_commands() -> dict[str, tuple[Command, Endpoint]]:
    """Each generation command and the row behind it, by command name, in the rows' order.

    A command that several rows share comes with the first of them; its `request` picks
    the endpoint.
    """
    commands: dict[str, tuple[Command, Endpoint]] = {}
    for row in ENDPOINTS.values():
        if row.command is not None:
            commands.setdefault(row.command.name, (row.command, row))
    return commands


def _add_generation_commands(commands: argparse._SubParsersAction) -> None:
    for command, row in generation_commands().values():
        parser = commands.add_parser(command.name, help=command.help)
        command.add_arguments(parser)
        _explain_options(parser, row)
        if command.repeats:
            parser.add_argument(
                "--times",
                type=int,
                default=1,
                metavar="N",
                help="extend N times in a chain, each step the last result (default: %(default)s)",
            )
        add_run_options(parser)


def _explain_options(parser: argparse.ArgumentParser, row: Endpoint) -> None:
    """Give an option without help its request field's description, and say which repeat."""
    fields = row.request_model.model_fields
    for action in parser._actions:
        if action.help is None and action.dest in fields:
            action.help = (fields[action.dest].description or "").replace("`", "")
        said = action.help or action.dest
        if isinstance(action, argparse._AppendAction) and not {"repeat", "twice"} & set(
            said.split()
        ):
            action.help = f"{said.rstrip('.')}; repeat the option for each"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `prefect-kling`."""
    parser = argparse.ArgumentParser(
        prog="prefect-kling", description="Generate Kling videos and images with Prefect."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_generation_commands(commands)
    from prefect_kling.cli.library import add_library_commands  # it imports this module

    add_library_commands(commands)
    from prefect_kling.cli.recognize import add_recognize_command

    add_recognize_command(commands, CREDENTIALS_HELP)

    from prefect_kling.cli.speech import add_tts_command  # it imports this module

    add_tts_command(commands)

    costs = commands.add_parser(
        "costs", help="list the account's resource packs and remaining units (free)"
    )
    costs.add_argument("--pack", metavar="NAME", help="only the resource pack of this name")
    costs.add_argument(
        "--ledger",
        nargs="?",
        const="package",
        choices=("package", "balance"),
        help="instead: the deductions of the last --days, totalled per day and model "
        "(package: units from packs, the default; balance: money)",
    )
    costs.add_argument(
        "--days", type=int, default=30, help="with --ledger: how many days back (default 30)"
    )
    costs.add_argument("--credentials", metavar="BLOCK_NAME", help=CREDENTIALS_HELP)
    costs.add_argument("--json", action="store_true", help="print JSON on stdout")

    status = commands.add_parser("status", help="query a task once")
    status.add_argument("endpoint", help=f"the task's endpoint: {endpoint_names()}")
    status.add_argument("task_id", help="Kling's task id")
    status.add_argument("--credentials", metavar="BLOCK_NAME", help=CREDENTIALS_HELP)
    status.add_argument("--json", action="store_true", help="print the task as JSON on stdout")

    wait = commands.add_parser(
        "wait", help="wait for a task from an earlier run and save its files"
    )
    wait.add_argument("endpoint", help=f"the task's endpoint: {endpoint_names()}")
    wait.add_argument("task_id", help="Kling's task id")
    add_common(wait)
    wait.add_argument("--watermark", action="store_true", help="also save the watermarked variants")

    sim = commands.add_parser(
        "simulator", help="run the embedded Kling simulator in the foreground"
    )
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    sim.add_argument(
        "--port", type=port_number, default=8000, help="port to listen on; 0 picks a free one"
    )
    sim.add_argument("--concurrency", type=int, help="slots per family (video, image, try-on)")
    sim.add_argument("--queue-seconds", type=float, help="how long a task stays submitted")
    sim.add_argument("--processing-seconds", type=float, help="how long a task processes")
    sim.add_argument(
        "--fault-rate", type=float, help="chance, 0 to 1, that each kind of fault hits a request"
    )
    sim.add_argument("--seed", type=int, help="seed of the random faults and task times")
    sim.add_argument(
        "--requests-per-second", type=float, help="rate above which Kling's 1302 is answered"
    )
    sim.add_argument(
        "--link-ttl-seconds", type=float, help="how long result links work after a task ends"
    )
    sim.add_argument(
        "--pack-units",
        type=float,
        help="units in the account's resource pack of each family (default: 1000; 0: no "
        "packs, unlimited)",
    )
    sim.add_argument(
        "--state-file",
        metavar="PATH",
        help="JSON file that keeps the tasks across restarts (read at start, written at stop)",
    )

    receiver = commands.add_parser(
        "receiver", help="receive Kling's callbacks and turn them into Prefect events"
    )
    receiver.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    receiver.add_argument(
        "--port", type=port_number, default=8080, help="port to listen on (%(default)s)"
    )
    receiver.add_argument("--token", help="secret part of the callback path (default: random)")
    receiver.add_argument(
        "--signing-secret", help="Standard Webhooks secret; unsigned callbacks are then refused"
    )

    from prefect_kling.cli.cleanup import add_cleanup_command  # it imports this module

    add_cleanup_command(commands)

    demo = commands.add_parser("demo", help="run the ready-made flows on the embedded simulator")
    demo.add_argument(
        "--output-dir",
        default="kling-output/demo",
        help="folder for the demo's files (default: %(default)s)",
    )
    return parser


def endpoint_names() -> str:
    """The names `status` and `wait` take: every endpoint's, and its command's."""
    names = dict.fromkeys(ENDPOINTS)
    for row in ENDPOINTS.values():
        if row.command is not None:
            names.setdefault(row.command.name)
    return ", ".join(names)
