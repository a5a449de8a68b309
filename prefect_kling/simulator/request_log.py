"""The last API requests the simulator received, for tests to read what a client sent.

Each entry is `{"method", "path", "query", "auth", "body"}`: `query` the query parameters
(the last value of a repeated one), `auth` the kind of credential presented (`"bearer"` for
a bearer key, `"jwt"` for a bearer token shaped like a JWT, `None` for none; never the key
or token itself), `body` the JSON body (long strings such as Base64 images summarised), the
text of a body that is not JSON, or `None` for no body. Entries are kept in arrival order,
at most `limit` of them (the oldest go first). Control routes (`/_simulator/...`) and
result downloads are not API requests and are not logged.

Examples:
    >>> log = RequestLog(limit=2)
    >>> for path in ("/a", "/b", "/c"):
    ...     log.add("GET", path, {}, None, b"")
    >>> [entry["path"] for entry in log.entries()]
    ['/b', '/c']
    >>> log.add("POST", "/tasks", {}, "bearer", b'{"limit": 5}')
    >>> log.entries()[-1]
    {'method': 'POST', 'path': '/tasks', 'query': {}, 'auth': 'bearer', 'body': {'limit': 5}}
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from prefect_kling.simulator.timeline import shorten

DEFAULT_LIMIT = 1000


def body_value(raw: bytes) -> Any:
    """A request body as logged: its JSON, else its text, `None` when empty."""
    if not raw.strip():
        return None
    try:
        return shorten(json.loads(raw))
    except ValueError:
        return shorten(raw.decode(errors="replace"))


class RequestLog:
    """The most recent API requests, thread-safe.

    Args:
        limit: How many entries are kept.
    """

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)

    def add(
        self, method: str, path: str, query: Mapping[str, str], auth: str | None, body: bytes
    ) -> None:
        """Record one request."""
        entry = {
            "method": method,
            "path": path,
            "query": dict(query),
            "auth": auth,
            "body": body_value(body),
        }
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        """The entries kept, oldest first."""
        with self._lock:
            return list(self._entries)
