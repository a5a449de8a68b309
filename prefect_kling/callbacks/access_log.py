"""The receiver's access log without its token: every callback path is shown as `***`.

uvicorn logs each request's path on the `uvicorn.access` logger, and a callback's path
is the receiver's secret: `/kling/callbacks/<token>`. `hide_callback_tokens` adds a filter
to that logger which rewrites the path before any handler sees the record, whatever the
path's token (the right one, or a guess); the method, the `endpoint` query, the status and
the client's address stay, so that the log still tells what happened.

Examples:
    >>> import logging
    >>> record = logging.LogRecord(
    ...     "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
    ...     ("127.0.0.1:5000", "POST", "/kling/callbacks/s3cret?endpoint=text2video", "1.1", 204),
    ...     None,
    ... )
    >>> CallbackTokenFilter().filter(record), record.getMessage()
    (True, '127.0.0.1:5000 - "POST /kling/callbacks/***?endpoint=text2video HTTP/1.1" 204')
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
"""The logger uvicorn writes its access log to."""

_TOKEN = re.compile(r"(/kling/callbacks/)[^/?#\s\"]+")


def hide_token(text: str) -> str:
    """`text` with the token of every callback path in it replaced by `***`.

    Examples:
        >>> hide_token("POST /kling/callbacks/s3cret HTTP/1.1")
        'POST /kling/callbacks/*** HTTP/1.1'
    """
    return _TOKEN.sub(r"\1***", text)


class CallbackTokenFilter(logging.Filter):
    """Rewrites the callback paths of a log record (message and arguments); drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Hide the tokens in `record`; always keep it."""
        if isinstance(record.msg, str):
            record.msg = hide_token(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                hide_token(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


_FILTER = CallbackTokenFilter()


def hide_callback_tokens() -> None:
    """Hide the callback tokens of uvicorn's access log in this process (idempotent).

    The filter sits on the logger itself, so it holds whatever handlers uvicorn's logging
    configuration gives the logger, and for records that propagate to the root logger.
    """
    logging.getLogger(ACCESS_LOGGER).addFilter(_FILTER)
