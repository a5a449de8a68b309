"""Logging that lands in the Prefect run's log when there is a run, and in Python's otherwise."""

from __future__ import annotations

import logging
from typing import Any

from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger


class RunAwareLogger:
    """A logger that writes to the current run's log, or to the module's logger outside runs.

    Inside a flow or task run the Prefect UI shows the lines with the run; outside runs
    (and in threads of our own) they go to the named Python logger.

    Examples:
        >>> RunAwareLogger("prefect_kling.example").current().name
        'prefect_kling.example'
    """

    def __init__(self, name: str):
        self._fallback = logging.getLogger(name)

    def current(self) -> logging.Logger | logging.LoggerAdapter[Any]:
        """The run's logger, or the module's."""
        try:
            return get_run_logger()
        except MissingContextError:
            return self._fallback

    def debug(self, message: str, *args: Any, **kwargs: Any) -> None:
        """Log at DEBUG."""
        self.current().debug(message, *args, **kwargs)

    def info(self, message: str, *args: Any, **kwargs: Any) -> None:
        """Log at INFO."""
        self.current().info(message, *args, **kwargs)

    def warning(self, message: str, *args: Any, **kwargs: Any) -> None:
        """Log at WARNING."""
        self.current().warning(message, *args, **kwargs)

    def exception(self, message: str, *args: Any, **kwargs: Any) -> None:
        """Log at ERROR with the current exception."""
        self.current().exception(message, *args, **kwargs)
