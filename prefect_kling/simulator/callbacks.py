"""Callback delivery: POST a task to its `callback_url` on every status change.

The wire format is pluggable (`CallbackFormat`): Kling's documented format is the bare task
object, unsigned: the legacy object (`task_id`, `task_status`, ...) for `/v1` tasks, the
newer one (`id`, `status`, `outputs`, `billing`, as `GET /tasks` shows it) for tasks of the
newer standard. A signed format (e.g. Standard Webhooks) is another class with the same
`encode` method. Deliveries to one task are sent in order; a failed delivery is counted and
never retried or raised.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallbackEvent:
    """One delivery to make.

    Attributes:
        task_id: The task whose status changed.
        url: Where to POST.
        task: The task object as it was right after the change.
        final: Whether the change ended the task (nothing follows it).
    """

    task_id: str
    url: str
    task: dict[str, Any]
    final: bool = False


class CallbackFormat(Protocol):
    """Turns a task object into the headers and body of a callback request."""

    def encode(self, task: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        """Return the request headers and body for one delivery."""
        ...


class KlingCallbackFormat:
    """Kling's format: the bare task object as JSON, no envelope, no signature."""

    def encode(self, task: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        """Return JSON headers and the task object as the body."""
        return {"content-type": "application/json"}, json.dumps(task).encode()


@dataclass(frozen=True)
class SignedCallbackFormat:
    """The bare task object signed the Standard Webhooks way, for testing signed receivers.

    Attributes:
        secret: The signing secret (`whsec_...`), as given to the receiver.
    """

    secret: str

    def encode(self, task: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        """Return JSON and `webhook-id`/`-timestamp`/`-signature` headers, and the body."""
        from prefect_kling.callbacks.signatures import sign

        body = json.dumps(task).encode()
        message_id, timestamp = f"msg_{uuid.uuid4().hex}", int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": f"v1,{sign(self.secret, message_id, timestamp, body)}",
        }
        return headers, body


class CallbackDispatcher:
    """Sends callback events from the server's event loop.

    Args:
        get_format: Returns the format to use (read at each delivery, so that a
            reconfigured simulator switches format).
        get_timeout: Returns the timeout of one delivery, in seconds.
        record: Called with `True` for a delivery answered 2xx, `False` otherwise.
    """

    def __init__(
        self,
        get_format: Callable[[], CallbackFormat],
        get_timeout: Callable[[], float],
        record: Callable[[bool], None],
    ) -> None:
        self._get_format = get_format
        self._get_timeout = get_timeout
        self._record = record
        self._client: httpx.AsyncClient | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self._closed = False

    def _http(self) -> httpx.AsyncClient:
        # Made on first use: building a client loads CA certificates, which would slow
        # down every simulator start for the many runs that send no callback.
        if self._closed:
            raise RuntimeError("callback client is closed")
        if self._client is None:
            self._client = httpx.AsyncClient(trust_env=False)
        return self._client

    async def aclose(self) -> None:
        """Cancel deliveries still running and close the client."""
        self._closed = True
        for task in list(self._pending):
            task.cancel()
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def dispatch(self, events: Iterable[CallbackEvent]) -> None:
        """Schedule deliveries; must be called from the server's loop."""
        for event in events:
            # asyncio.Lock wakes waiters in FIFO order, so one task's deliveries keep
            # the order in which they were scheduled.
            lock = self._locks.setdefault(event.task_id, asyncio.Lock())
            task = asyncio.get_running_loop().create_task(self._deliver(event, lock))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _deliver(self, event: CallbackEvent, lock: asyncio.Lock) -> None:
        async with lock:
            ok = False
            try:
                headers, body = self._get_format().encode(event.task)
                response = await self._http().post(
                    event.url, content=body, headers=headers, timeout=self._get_timeout()
                )
                ok = response.is_success
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure of a delivery is only counted
                logger.debug("callback to %s failed: %r", event.url, exc)
            self._record(ok)
        if event.final:
            # The terminal change is the last one of a task: nothing waits behind it.
            self._locks.pop(event.task_id, None)
