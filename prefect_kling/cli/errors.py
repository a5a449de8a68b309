"""What `prefect-kling` prints, and exits with, when a command ends with an error.

Always one line on stderr, never a traceback (a stop signal has its own line,
`stopped_line`):

- input refused before it was sent (`KlingValidationError`, `KlingConfigurationError`,
  `KlingBudgetExceeded`, a model the command filled from its options): the message, exit 2;
- any other `KlingError` (Kling refused, the task failed, the wait ran out, Kling could not
  be reached): the message, and how to resume the task when one is under way; exit 1;
- an `OSError` (a full disk, a folder that cannot be written): what failed and, once the
  task has succeeded, the command that saves its files; exit 1;
- anything else, a bug: its type and message, and the file that holds its traceback; exit 1.

Examples:
    >>> import io
    >>> from prefect_kling.cli.session import Session
    >>> from prefect_kling.exceptions import KlingContentRejected
    >>> err = io.StringIO()
    >>> report(KlingContentRejected("refused", code=1301), Session(), err)
    1
    >>> print(err.getvalue(), end="")
    Kling error 1301: refused
"""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from typing import Any

from prefect_kling.cli.common import EXIT_INPUT, EXIT_REMOTE
from prefect_kling.cli.interrupts import signal_name
from prefect_kling.cli.session import Session


def report(error: BaseException, session: Session, err: Any) -> int:
    """Write the one line an error ends a command with; returns the exit code.

    Args:
        error: What ended the command.
        session: What the command had under way (its Kling task).
        err: Where the line goes (stderr).

    Raises:
        BaseException: `error` itself when it is no error (`SystemExit`, a stop signal).
    """
    if not isinstance(error, Exception):
        raise error
    code, line = _describe(error, session)
    err.write(line + "\n")
    return code


def stopped_line(signum: int, session: Session) -> str:
    """`Stopped by SIGTERM.` and what to do about the task.

    Examples:
        >>> stopped_line(15, Session(creates=True))
        'Stopped by SIGTERM. Nothing was sent to Kling: no task was created.'
    """
    return _joined(f"Stopped by {signal_name(signum)}.", session.next_step())


def _describe(error: Exception, session: Session) -> tuple[int, str]:
    from pydantic import ValidationError

    from prefect_kling._checks import problems_from_pydantic
    from prefect_kling.exceptions import (
        KlingBudgetExceeded,
        KlingConfigurationError,
        KlingError,
        KlingTaskFailed,
        KlingTaskTimedOut,
        KlingValidationError,
    )

    if isinstance(error, KlingValidationError | KlingConfigurationError | KlingBudgetExceeded):
        return EXIT_INPUT, str(error)
    if isinstance(error, ValidationError):  # a model the command filled from its options
        return EXIT_INPUT, str(KlingValidationError(problems_from_pydantic(error.errors())))
    if isinstance(error, KlingTaskFailed | KlingTaskTimedOut):  # they say it all
        return EXIT_REMOTE, str(error)
    if isinstance(error, KlingError):
        return EXIT_REMOTE, _joined(str(error), session.task_step())
    if isinstance(error, OSError):
        return EXIT_REMOTE, _joined(_file_problem(error, session), session.task_step())
    details = _keep_traceback(error)
    return EXIT_REMOTE, _joined(
        f"Unexpected error: {_named(error)} (the traceback is in {details}; please report it).",
        session.task_step(),
    )


def _file_problem(error: OSError, session: Session) -> str:
    if session.status == "succeed":
        return f"Could not save the files of Kling task {session.task_id}: {error}."
    return f"Could not use a local file: {error}."


def _named(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _keep_traceback(error: BaseException) -> str:
    """Write the error's traceback to a new file in the temporary folder; returns its path."""
    handle, path = tempfile.mkstemp(
        prefix=f"prefect-kling-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".log", text=True
    )
    with os.fdopen(handle, "w") as file:
        file.write("".join(traceback.format_exception(error)))
    return path


def _joined(*sentences: str) -> str:
    return " ".join(sentence for sentence in sentences if sentence)
