"""The `prefect-kling` command line.

Generation commands (one per endpoint row's command: text2video, image2video,
multi-image2video, multi-image2image, image, omni-image, multi-shot, extend, lip-sync,
effect, expand, try-on, text2audio, video2audio, avatar, ...) run the ready-made flows (so
Prefect's caching, retries, artifacts and events apply) against `KlingCredentials.from_env()`
or a saved block (`--credentials NAME`). `elements` and `voices` create, list and delete the
account's custom elements and voices (and list Kling's presets); `image-recognize` saves the
masks of an image (answered at once, `recognize`); `tts` speaks a text with a Kling voice,
saves the MP3 and prints the audio's id; `costs` lists the account's resource packs with a
free query; `status` and `wait` read earlier tasks; `cleanup` removes the sent marks and
cached creates older than Kling keeps their tasks (`prefect_kling.flows.retention`).

The package by job: `parser` (the parser, generation commands from the rows), `generate`
(their runner), `progress` (the live status line), `library` (elements and voices),
`speech` (tts),
`queries` (costs, status, wait), `servers` (simulator, receiver), `cleanup`, `demo`,
`common` (exit codes, credentials, result lines),
`session` (the task a command has under way), `errors` (the one line an error ends a
command with), `interrupts` (Ctrl-C and SIGTERM) and `console` (Prefect's log lines on the
terminal, without tracebacks).

Exit codes: 0 success; 2 input refused before it was sent (the message names the field and
what is allowed, or the provider that has no such route), or a create that `--max-units`
stopped (in `extend --times N`, after the steps already made); 1 a remote failure, a
timeout, a file that could not be written, or an unexpected error (the message carries
Kling's code, message, request id and task id, or where the traceback was written); 130
stopped by Ctrl-C and 143 by SIGTERM (the message gives the command that resumes the task).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from prefect_kling.cli.cleanup import run_cleanup
from prefect_kling.cli.common import EXIT_INPUT, EXIT_OK, EXIT_REMOTE
from prefect_kling.cli.console import tracebacks_off_the_terminal
from prefect_kling.cli.demo import run_demo
from prefect_kling.cli.errors import report, stopped_line
from prefect_kling.cli.generate import run_chain, run_generation
from prefect_kling.cli.interrupts import StopSignals, exit_code_for, stop_signal_of
from prefect_kling.cli.library import run_elements, run_voices
from prefect_kling.cli.parser import build_parser, generation_commands
from prefect_kling.cli.progress import ProgressLine
from prefect_kling.cli.queries import run_costs, run_status, run_wait
from prefect_kling.cli.recognize import run_recognize
from prefect_kling.cli.servers import run_receiver, run_simulator
from prefect_kling.cli.session import Session, using
from prefect_kling.cli.speech import run_tts

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
    "elements": run_elements,
    "voices": run_voices,
    "image-recognize": run_recognize,
    "tts": run_tts,
    "costs": run_costs,
    "status": run_status,
    "wait": run_wait,
    "simulator": run_simulator,
    "receiver": run_receiver,
    "cleanup": run_cleanup,
    "demo": run_demo,
}
"""The function that runs each command, by name; each returns the exit code."""


def main(argv: Sequence[str] | None = None, *, out: Any = None, err: Any = None) -> int:
    """Run `prefect-kling`; returns the exit code.

    Every way a command can end prints at most one line on stderr and no traceback
    (`errors.report`): Prefect's own log lines on the terminal leave their tracebacks out
    (`console`), while the runs' logs in the Prefect API keep them. SIGTERM stops a command
    as Ctrl-C does (`interrupts`).

    Args:
        argv: Arguments without the program name (default: `sys.argv[1:]`). None also
            means that this is the program itself: after a stop signal, the process is
            then ended if it does not end by itself within `interrupts.GRACE_SECONDS`.
        out: Where results go (default: stdout).
        err: Where errors go (default: stderr).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    program = argv is None
    session = Session(creates=args.command in generation_commands())
    saying = threading.Lock()
    said: list[int] = []

    def announce(signum: int) -> None:
        # Once: by the command, or by the watcher ending the process. The lock makes the
        # watcher wait for the command's line to be written before it ends the process.
        with saying:
            if not said:
                err.write(stopped_line(signum, session) + "\n")
                err.flush()
                said.append(signum)

    stops = StopSignals(announce, end_process=program)
    with tracebacks_off_the_terminal(restore=not program), stops, using(session):
        try:
            code = HANDLERS[args.command](args, out)
        except BaseException as error:
            signum = stop_signal_of(error)
            if signum is None:
                code = report(error, session, err)
            else:
                announce(signum)
                code = exit_code_for(signum)
        stops.exit_code = code
        return code
