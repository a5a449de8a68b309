"""Kling's callbacks: a receiver that turns them into Prefect events, a watcher that waits.

Kling POSTs the task object to a create's `callback_url` on every status change. The pieces,
one job each:

- `checks`: what the receiver accepts (`MAX_BODY_BYTES`, every field; `CallbackRefused`);
- `parsing`: `parse_callback` reads a callback body; `StatusLedger` remembers the statuses
  Kling confirmed, and tells news from repeats and stragglers;
- `confirm`: callbacks are hints: an unsigned one is confirmed by a query
  (`query_confirmer`) before anything is emitted;
- `signatures`: Standard Webhooks signatures (`verify_signature`, `sign`);
- `urls`: the receiver's callback URLs (`callback_url`, `with_endpoint`);
- `events`: the `kling.task.*` events the receiver emits (`emit_callback_event`);
- `prefect_api`: the Prefect API the events go to, required before serving
  (`require_prefect_api`);
- `receiver`: the ASGI app (`create_receiver_app`), served in a thread
  (`running_receiver`) or in the foreground (`serve_receiver`, `prefect-kling receiver`);
- `watcher`: `CallbackWatcher`, which wakes a waiting flow when its task's event comes.

Everything public is importable from `prefect_kling.callbacks`.

Examples:
    >>> callback_url("https://hooks.example.com", "s3cret", "text2video")
    'https://hooks.example.com/kling/callbacks/s3cret?endpoint=text2video'
"""

from __future__ import annotations

from prefect_kling.callbacks.checks import MAX_BODY_BYTES, CallbackRefused
from prefect_kling.callbacks.confirm import Confirm, query_confirmer
from prefect_kling.callbacks.events import (
    TERMINAL_EVENTS,
    Emitter,
    emit_callback_event,
)
from prefect_kling.callbacks.parsing import StatusLedger, parse_callback
from prefect_kling.callbacks.prefect_api import require_prefect_api
from prefect_kling.callbacks.receiver import (
    create_receiver_app,
    running_receiver,
    serve_receiver,
)
from prefect_kling.callbacks.signatures import (
    SIGNATURE_TOLERANCE_SECONDS,
    CallbackRejected,
    sign,
    verify_signature,
)
from prefect_kling.callbacks.urls import CALLBACK_PATH, callback_url, with_endpoint
from prefect_kling.callbacks.watcher import CallbackWatcher

__all__ = [
    "CALLBACK_PATH",
    "MAX_BODY_BYTES",
    "SIGNATURE_TOLERANCE_SECONDS",
    "TERMINAL_EVENTS",
    "CallbackRefused",
    "CallbackRejected",
    "CallbackWatcher",
    "Confirm",
    "Emitter",
    "StatusLedger",
    "callback_url",
    "create_receiver_app",
    "emit_callback_event",
    "parse_callback",
    "query_confirmer",
    "require_prefect_api",
    "running_receiver",
    "serve_receiver",
    "sign",
    "verify_signature",
    "with_endpoint",
]
