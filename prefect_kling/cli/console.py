"""Prefect's log lines on the terminal, without tracebacks, while a command runs.

When a flow or task run fails, Prefect's engine logs the exception with its traceback
(`exc_info`), and its console handler prints all of it: 30 to 50 lines for a refusal the
command then explains in one. While a command runs, `tracebacks_off_the_terminal` gives
every handler that writes to the terminal a formatter that leaves the traceback out. The
records themselves are untouched: Prefect's API handler (`APILogHandler`, attached to the
`prefect.flow_runs` and `prefect.task_runs` loggers, which run before the root logger's
console handler) still sends each run's log with its full traceback to the Prefect API, so
the UI shows it.

This is the same in Prefect 3.8 and 3.9: `prefect/logging/logging.yml` gives the root
logger (and `uvicorn`, `fastapi`) one `PrefectConsoleHandler` on stderr, and
`prefect._internal` a `_SafeStreamHandler` on stderr; the run loggers send to the API and
propagate to the root.

Examples:
    >>> import logging, sys
    >>> formatter = WithoutTraceback(logging.Formatter("%(levelname)s %(message)s"))
    >>> try:
    ...     raise ValueError("boom")
    ... except ValueError:
    ...     record = logging.makeLogRecord({"msg": "it failed", "levelname": "ERROR",
    ...                                     "exc_info": sys.exc_info()})
    >>> formatter.format(record)
    'ERROR it failed'
    >>> record.exc_info is not None  # other handlers still see the traceback
    True
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager


class WithoutTraceback(logging.Formatter):
    """A formatter that formats like another one, leaving out tracebacks and stacks.

    Args:
        inner: The formatter whose format is kept (the default format when None).
    """

    def __init__(self, inner: logging.Formatter | None):
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        """The record's line as `inner` writes it, without `exc_info` or `stack_info`."""
        if not (record.exc_info or record.exc_text or record.stack_info):
            return self.inner.format(record)
        # A copy: the record goes on to other handlers (a file, the Prefect API) whole.
        plain = logging.makeLogRecord(record.__dict__)
        plain.exc_info, plain.exc_text, plain.stack_info = None, None, None
        return self.inner.format(plain)


def _writes_to_terminal(handler: logging.Handler) -> bool:
    from prefect.logging.handlers import PrefectConsoleHandler

    if isinstance(handler, PrefectConsoleHandler):
        return True
    if type(handler).__module__.startswith("prefect.") and isinstance(
        handler, logging.StreamHandler
    ):
        return not isinstance(handler, logging.FileHandler)
    streams = (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__)
    return type(handler) is logging.StreamHandler and handler.stream in streams


def terminal_handlers() -> list[logging.Handler]:
    """The logging handlers that write to the terminal: Prefect's and plain std streams."""
    import prefect  # noqa: F401 - importing Prefect configures its logging

    loggers = [logging.getLogger()]
    loggers += [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    found: dict[int, logging.Handler] = {}
    for logger in loggers:
        for handler in logger.handlers:
            if _writes_to_terminal(handler):
                found[id(handler)] = handler
    return list(found.values())


@contextmanager
def tracebacks_off_the_terminal(*, restore: bool = True) -> Iterator[None]:
    """While the block runs, log lines on the terminal carry no traceback.

    Args:
        restore: Give the handlers their own formatters back afterwards (a program about
            to end keeps the change, for the log lines of its shutdown).
    """
    changed = [(handler, handler.formatter) for handler in terminal_handlers()]
    for handler, formatter in changed:
        if not isinstance(formatter, WithoutTraceback):
            handler.setFormatter(WithoutTraceback(formatter))
    try:
        yield
    finally:
        if restore:
            for handler, formatter in changed:
                handler.setFormatter(formatter)
