"""Ready-made flows: generate, resume and batch, without ever paying twice.

- `generate_video` / `generate_image`: one request -> create -> wait -> save the files, on
  any endpoint that makes videos (text2video, image2video, multi-image2video, video-extend,
  lip-sync, advanced-lip-sync, effects) or images (multi-image2image, image-generation,
  image-expand, virtual-try-on). An advanced lip-sync may name its video instead of a
  session: the flow then identifies the faces first (free, no task).
- `extend_video`: extend a video N times in a chain, each step extending the last result.
- `resume_task`: wait for and save a task created earlier, without creating anything.
- `batch_generate`: many requests (a list, a CSV or a JSON-lines file) under a concurrency
  limit; every item ends with an outcome, and one failure does not stop the others.

What keeps them safe and visible:

- **Caching.** The create step is cached on the request's external task id, derived from its
  *content* (images included) and an optional idempotency key: rerunning a flow with the
  same inputs makes no new create. The record is persisted in the flow's result storage (set
  `result_storage` to a shared block so every worker sees it) and expires before Kling
  deletes the files. A new `idempotency_key` asks for a take of its own; `refresh=True` makes
  a fresh take that replaces the cached one.
- **Crash safety.** The create step marks each create in the result storage before sending it
  (in a batch, before the item waits for its place); an attempt that finds the mark but no
  cached record looks the external id up first, so a run killed between create and record
  finds its task again on the rerun. A first attempt sends no lookup.
- **Retries.** Prefect retries steps only on transient Kling errors (1302, 1303, 5000-5002,
  network); refusals and bad parameters fail at once with Kling's message.
- **Concurrency.** Creates hold slots of the Prefect global concurrency limit `kling-<family>`
  until their task ends, so the account's limit turns into queueing instead of 1303s. A
  batch hands its slots from item to item (`SlotPool`) and creates the next item as soon
  as an earlier one's task has ended; one watcher follows all its tasks with list queries.
- **Callbacks.** With a `callback_url` (an argument, or the credentials block's), Kling
  reports to your receiver (`prefect_kling.receiver`) and the flows wait for its events:
  one confirming query per task instead of polling, and a slow safety poll.
- **Budget.** `max_units` stops sending creates once units charged plus in flight reach it.
- **Visibility.** Events on every transition, a progress artifact while waiting, a summary
  artifact per task, image artifacts, and a table per batch.

Examples:
    ```python
    from prefect_kling.flows import generate_video

    result = generate_video({"prompt": "A red fox running through snow", "duration": "5"})
    print(result.files[0].path)
    ```
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, Self

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.filesystems import WritableFileSystem
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import BaseModel, Field

from prefect_kling._logging import RunAwareLogger
from prefect_kling._retry import is_transient
from prefect_kling._sent_marks import mark_sent
from prefect_kling.batch import BatchItem, BatchOutcome, BatchReport, load_batch
from prefect_kling.budget import UnitBudget
from prefect_kling.callback_wait import CallbackWatcher
from prefect_kling.client import KlingClient, PreparedCreate, prepare_create
from prefect_kling.concurrency import SlotPool, kling_slots
from prefect_kling.credentials import KlingCredentials, is_http_url
from prefect_kling.endpoints import ENDPOINTS, Endpoint, Family, ResultKind, get_endpoint
from prefect_kling.exceptions import (
    KlingBudgetExceeded,
    KlingError,
    KlingTaskFailed,
    KlingTaskTimedOut,
    KlingValidationError,
    require_positive,
)
from prefect_kling.lip_sync_plan import LipSyncPlan
from prefect_kling.models.tasks import KlingTask, TaskReference, TaskStatus
from prefect_kling.observe import (
    ProgressReporter,
    emit_task_event,
    publish_batch_table,
    publish_images,
    publish_task_summary,
)
from prefect_kling.polling import (
    DEFAULT_MAX_WAIT_SECONDS,
    PollSchedule,
    StatusCallback,
    TaskWaiter,
    poll_task,
)
from prefect_kling.providers import Provider
from prefect_kling.receiver import with_endpoint
from prefect_kling.results import SavedFile, save_task_results
from prefect_kling.watcher import BatchWatcher

DEFAULT_OUTPUT = "kling-output"
logger = RunAwareLogger(__name__)

CACHE_LIFETIME: dict[Provider, timedelta] = {
    Provider.KLING: timedelta(days=29),
    # Some gateways keep result links for a day only.
    Provider.COMETAPI: timedelta(hours=23),
}
"""How long a cached create is reused: less than the provider keeps the task's files."""

Credentials = KlingCredentials | str | None
"""A block, the name of a saved block, or None for `KlingCredentials.from_env()`."""
Output = str | os.PathLike[str] | WritableFileSystem


class GenerationResult(BaseModel):
    """The outcome of one generation: the task, what it cost, and the files saved."""

    reference: TaskReference = Field(description="The task: id, external id, endpoint, provider.")
    status: str = Field(description="Kling's final status: succeed (a failure raises).")
    status_message: str | None = Field(default=None, description="Kling's reason for a failure.")
    units: float | None = Field(default=None, description="Units Kling charged.")
    files: list[SavedFile] = Field(default_factory=list, description="Files saved.")

    @property
    def task_id(self) -> str:
        """Kling's task id."""
        return self.reference.task_id

    @property
    def video_id(self) -> str | None:
        """Kling's id of the (first) video made, for a next step such as an extend."""
        return next(
            (file.video_id for file in self.files if file.kind == "video" and file.video_id),
            None,
        )

    def summary(self) -> dict[str, Any]:
        """A flat, JSON-ready summary (what `prefect-kling --json` prints)."""
        return {
            "task_id": self.reference.task_id,
            "external_task_id": self.reference.external_task_id,
            "endpoint": self.reference.endpoint,
            "status": self.status,
            "status_message": self.status_message,
            "units": self.units,
            "files": [
                {
                    "path": file.path,
                    "bytes": file.bytes,
                    "sha256": file.sha256,
                    "url": file.url,
                    "kind": file.kind,
                    "index": file.index,
                    "video_id": file.video_id,
                    "duration": file.duration,
                }
                for file in self.files
            ],
        }


def resolve_credentials(credentials: Credentials) -> KlingCredentials:
    """A credentials block from a block, a saved block's name, or the environment."""
    if isinstance(credentials, KlingCredentials):
        return credentials
    if isinstance(credentials, str):
        return KlingCredentials.load(credentials)
    return KlingCredentials.from_env()


def retry_on_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect retry condition: only 1302, 1303, 5000-5002 and network trouble."""
    return is_transient(state.result(raise_on_failure=False))


def _account(credentials: KlingCredentials) -> str:
    """A short, one-way fingerprint of the account: another account's task is not ours."""
    key = credentials.access_key or credentials.api_key
    identity = f"{credentials.host}|{key.get_secret_value() if key else ''}"
    return hashlib.sha256(identity.encode()).hexdigest()[:12]


def _create_key(
    kind: str, credentials: KlingCredentials, endpoint: str, external_task_id: str
) -> str:
    """Names one create of one account, for its cache record and its sent mark."""
    return "-".join(
        (kind, credentials.provider.value, _account(credentials), endpoint, external_task_id)
    )


def _submit_cache_key(context: Any, parameters: dict[str, Any]) -> str:
    return _create_key(
        "kling-create",
        parameters["credentials"],
        parameters["endpoint"],
        parameters["external_task_id"],
    )


def fresh_take_id(external_task_id: str, take: str) -> str:
    """The external id of a fresh take of the request whose external id is given."""
    digest = hashlib.sha256(f"{external_task_id}/{take}".encode()).hexdigest()
    return f"pk-{digest[:32]}"


_BEFORE_SEND: ContextVar[Callable[[], None] | None] = ContextVar("kling_before_send", default=None)
"""Called by the create step right before it sends: a batch item takes its place there, so
that Prefect's bookkeeping of the step is done while the item still waits for one."""


@task(
    name="kling-create",
    cache_key_fn=_submit_cache_key,
    persist_result=True,
    retries=3,
    retry_delay_seconds=[2, 10, 30],
    retry_condition_fn=retry_on_transient,
)
def submit_request(
    credentials: KlingCredentials,
    endpoint: str,
    request: dict[str, Any],
    external_task_id: str,
    take: str | None = None,
) -> TaskReference:
    """Create the task, or find the one an earlier attempt or run made with this external id.

    The record is cached on `external_task_id`. A `take` (with `refresh_cache`) asks for a
    fresh take: it is created with an external id derived from both, and its record
    replaces the cached one. The external id is looked up first only when an earlier
    attempt marked it as sent (`mark_sent`).

    A task found that way (or through Kling's refusal of a duplicate id) that is older
    than a cache record lives (`CACHE_LIFETIME`) may have lost its files: it is renewed,
    with a fresh take named after it, as an expired record would have been.
    """
    if take is not None:
        external_task_id = fresh_take_id(external_task_id, take)
    renew_before = datetime.now(UTC) - CACHE_LIFETIME.get(credentials.provider, timedelta(hours=23))
    with credentials.get_client() as client:
        while True:
            reference = _create_once(client, credentials, endpoint, request, external_task_id)
            if reference.created_at is None or reference.created_at >= renew_before:
                return reference
            logger.info(
                "Kling task %s of %s was made %s, longer ago than its files are kept: "
                "making a fresh take",
                reference.task_id,
                endpoint,
                reference.created_at.isoformat(timespec="minutes"),
            )
            external_task_id = fresh_take_id(external_task_id, f"renew-{reference.task_id}")


def _create_once(
    client: KlingClient,
    credentials: KlingCredentials,
    endpoint: str,
    request: dict[str, Any],
    external_task_id: str,
) -> TaskReference:
    """Mark the create as sent, take the batch item's place if any, and create (or find)."""
    sent_at = mark_sent(_create_key("kling-sent", credentials, endpoint, external_task_id))
    before_send = _BEFORE_SEND.get()
    if before_send is not None:
        before_send()
    return client.create(
        endpoint,
        {**request, "external_task_id": external_task_id},
        reuse_existing=sent_at is not None,
        sent_since=sent_at,
    )


@task(
    name="kling-save-results",
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=retry_on_transient,
)
def save_results(
    task: KlingTask, reference: TaskReference, output: Output, watermark: bool
) -> list[SavedFile]:
    """Stream every result file to the output, atomically and checksummed."""
    return save_task_results(task, reference, _destination(output), watermark=watermark)


def _destination(output: Output) -> str | WritableFileSystem:
    return output if isinstance(output, WritableFileSystem) else str(output)


class _Tracker(ProgressReporter):
    """The progress artifact and events of one task, plus when it started and ended."""

    def __init__(
        self, reference: TaskReference, *, model: str | None, progress_artifact: bool = True
    ):
        self.processing_at: datetime | None = None
        self.finished_at: datetime | None = None
        self.progress_artifact = progress_artifact
        super().__init__(reference, model=model)

    def _create(self) -> Any:
        return super()._create() if self.progress_artifact else None

    def __call__(self, task: KlingTask, elapsed: float) -> None:
        now = datetime.now(UTC)
        if task.status == TaskStatus.PROCESSING.value and self.processing_at is None:
            self.processing_at = now
        if task.finished:
            self.finished_at = now
            self.processing_at = self.processing_at or now
        super().__call__(task, elapsed)


class _Waiter(Protocol):
    def wait(
        self,
        reference: TaskReference,
        *,
        max_wait_seconds: float,
        on_status: StatusCallback | None = None,
    ) -> KlingTask: ...


class _Poller:
    """Waits for one task at a time by polling it on a schedule."""

    def __init__(self, credentials: KlingCredentials, schedule: PollSchedule):
        self._client = credentials.get_client()
        self.schedule = schedule

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._client.close()

    def wait(
        self,
        reference: TaskReference,
        *,
        max_wait_seconds: float,
        on_status: StatusCallback | None = None,
    ) -> KlingTask:
        return poll_task(
            self._client,
            reference,
            max_wait_seconds=max_wait_seconds,
            schedule=self.schedule,
            on_status=on_status,
        )


def _callback_url(argument: str | None, credentials: KlingCredentials) -> str | None:
    """The receiver URL the flow gives Kling: its argument, else the credentials block's."""
    if argument:
        if not is_http_url(argument):
            raise KlingValidationError.single(
                "callback_url", "not a URL; allowed: an http:// or https:// URL with a host"
            )
        return argument
    return credentials.callback_url.get_secret_value() if credentials.callback_url else None


def _with_callback(request: dict[str, Any], callback_url: str | None, endpoint: str) -> dict:
    """The request carrying the receiver URL, tagged with the endpoint to query."""
    if callback_url is None:
        return request
    return {**request, "callback_url": with_endpoint(callback_url, endpoint)}


def _waiter(
    credentials: KlingCredentials,
    callback_url: str | None,
    *,
    poll_interval_seconds: float,
    safety_poll_seconds: float,
) -> AbstractContextManager[_Waiter]:
    """Events from the receiver when there is a callback URL, polling otherwise."""
    if callback_url is not None:
        return CallbackWatcher(credentials, safety_interval=safety_poll_seconds)
    return _Poller(credentials, PollSchedule(first_interval=poll_interval_seconds))


def _check_waiting(**seconds: float) -> None:
    """Refuse waits that are not a positive number of seconds, before anything is sent."""
    for name, value in seconds.items():
        require_positive(name, value, "seconds")


def _refresh_take(refresh: bool) -> str | None:
    """The take of a refresh: tied to this run, so that retries within the run find it again."""
    return f"refresh-{flow_run.id or uuid.uuid4()}" if refresh else None


def _create_step(
    credentials: KlingCredentials,
    prepared: PreparedCreate,
    *,
    take: str | None,
    result_storage: Any,
) -> TaskReference:
    """The cached create; a `take` makes a fresh take that replaces the cached record."""
    options: dict[str, Any] = {
        "refresh_cache": take is not None,
        "cache_expiration": CACHE_LIFETIME.get(credentials.provider, timedelta(hours=23)),
    }
    if result_storage is not None:
        options["result_storage"] = result_storage
    fields = prepared.request.model_dump(mode="json", exclude_none=True)
    fields.pop("external_task_id", None)
    reference = submit_request.with_options(**options)(
        credentials, prepared.endpoint.name, fields, prepared.external_task_id, take
    )
    emit_task_event("submitted", reference, model=fields.get("model_name"))
    return reference


def _finish(
    reference: TaskReference,
    task: KlingTask,
    tracker: _Tracker,
    request: dict[str, Any],
    output: Output,
    watermark: bool,
) -> GenerationResult:
    files = save_results(task, reference, output, watermark)
    emit_task_event(
        "downloaded", reference, task=task, model=request.get("model_name"), files=len(files)
    )
    publish_task_summary(
        reference,
        task=task,
        request=request,
        files=files,
        started_processing=tracker.processing_at,
        finished=tracker.finished_at,
    )
    if get_endpoint(reference.endpoint).result_kind is ResultKind.IMAGE:
        publish_images(reference, task)
    return GenerationResult(reference=reference, status=task.status, units=task.units, files=files)


def _on_failure(
    reference: TaskReference, error: KlingError, tracker: _Tracker, request: dict[str, Any]
) -> None:
    if isinstance(error, KlingTaskTimedOut):
        emit_task_event(
            "timed-out",
            reference,
            model=request.get("model_name"),
            waited_seconds=round(error.waited_seconds),
        )
    task = error.task if isinstance(error, KlingTaskFailed) else None
    publish_task_summary(
        reference,
        task=task,
        request=request,
        started_processing=tracker.processing_at,
        finished=tracker.finished_at,
    )


def _generate(
    kind: ResultKind,
    endpoint: str,
    request: dict[str, Any],
    credentials: Credentials,
    output: Output,
    *,
    idempotency_key: str | None,
    refresh: bool,
    watermark: bool,
    max_wait_seconds: float,
    max_units: float | None,
    strict: bool,
    result_storage: Any,
    poll_interval_seconds: float,
    callback_url: str | None,
    callback_safety_poll_seconds: float,
) -> GenerationResult:
    _check_waiting(
        max_wait_seconds=max_wait_seconds,
        poll_interval_seconds=poll_interval_seconds,
        callback_safety_poll_seconds=callback_safety_poll_seconds,
    )
    row = get_endpoint(endpoint)
    if row.result_kind is not kind:
        allowed = ", ".join(name for name, other in ENDPOINTS.items() if other.result_kind is kind)
        raise KlingValidationError.single(
            "endpoint", f"{endpoint!r} makes no {kind.value}s; allowed: {allowed}"
        )
    creds = resolve_credentials(credentials)
    callback = _callback_url(callback_url, creds)
    request = _with_callback(request, callback, row.name)
    prepared = _prepare(row, request, creds, idempotency_key=idempotency_key, strict=strict)
    budget = UnitBudget(max_units)
    ticket = budget.reserve(row.name, prepared.payload)
    shown = _shown_request(prepared)
    # With callbacks, the event subscription opens before the create: no event is missed.
    waiting = _waiter(
        creds,
        callback,
        poll_interval_seconds=poll_interval_seconds,
        safety_poll_seconds=callback_safety_poll_seconds,
    )
    with waiting as waiter, kling_slots(row.family, occupy=_slots(prepared)):
        reference = _create_step(
            creds, prepared, take=_refresh_take(refresh), result_storage=result_storage
        )
        tracker = _Tracker(reference, model=shown.get("model_name"))
        try:
            finished = waiter.wait(reference, max_wait_seconds=max_wait_seconds, on_status=tracker)
        except (KlingTaskFailed, KlingTaskTimedOut) as error:
            _on_failure(reference, error, tracker, shown)
            raise
    budget.settle(ticket, finished.units)
    return _finish(reference, finished, tracker, shown, output, watermark)


_SHOWN_FIELDS = frozenset(
    {"prompt", "model_name", "mode", "duration", "aspect_ratio", "n", "effect_scene", "video_id"}
)


def _shown_request(prepared: PreparedCreate) -> dict[str, Any]:
    """The request as artifacts may show it: no image or audio data, no callback URL."""
    fields = prepared.request.model_dump(mode="json", exclude_none=True)
    nested = fields.get("input")  # effects and lip-sync nest their settings
    if isinstance(nested, dict):
        fields = {**fields, **nested}
    return {key: value for key, value in fields.items() if key in _SHOWN_FIELDS}


def _slots(prepared: PreparedCreate) -> int:
    """Kling counts an image task with `n` images as `n` tasks."""
    return int(prepared.payload.get("n") or 1) if prepared.endpoint.family.value == "image" else 1


def _prepare(
    row: Endpoint,
    request: dict[str, Any],
    credentials: KlingCredentials,
    *,
    idempotency_key: str | None,
    strict: bool,
) -> PreparedCreate:
    """Validate the request; an advanced lip-sync by video first identifies its faces."""
    if not _names_its_video(row, request):
        return prepare_create(
            row, request, credentials.provider, idempotency_key=idempotency_key, strict=strict
        )
    plan = LipSyncPlan.check(
        request, credentials.provider, idempotency_key=idempotency_key, strict=strict
    )
    with credentials.get_client() as client:
        faces = client.identify_face(plan.source)
    return prepare_create(row, plan.request(faces), credentials.provider, strict=strict)


def _names_its_video(row: Endpoint, request: Any) -> bool:
    return row.name == "advanced-lip-sync" and LipSyncPlan.names_its_video(request)


def check_request(
    endpoint: str,
    request: dict[str, Any],
    credentials: KlingCredentials,
    *,
    idempotency_key: str | None = None,
    strict: bool = False,
) -> None:
    """Check a request as `generate_video` / `generate_image` will, sending nothing.

    Raises:
        KlingValidationError: The request breaks a rule, or the provider has no such
            route; the message names the field (or the provider).
    """
    row = get_endpoint(endpoint)
    if _names_its_video(row, request):
        LipSyncPlan.check(
            request, credentials.provider, idempotency_key=idempotency_key, strict=strict
        )
    else:
        prepare_create(
            row, request, credentials.provider, idempotency_key=idempotency_key, strict=strict
        )


@flow(name="kling-generate-video")
def generate_video(
    request: dict[str, Any],
    endpoint: str = "text2video",
    credentials: Credentials = None,
    output: Output = DEFAULT_OUTPUT,
    idempotency_key: str | None = None,
    refresh: bool = False,
    watermark: bool = False,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    max_units: float | None = None,
    strict: bool = False,
    result_storage: Any = None,
    poll_interval_seconds: float = 2.0,
    callback_url: str | None = None,
    callback_safety_poll_seconds: float = 300.0,
) -> GenerationResult:
    """Generate a video: validate, create (or reuse), wait, save the files.

    Args:
        request: The request fields, e.g. `{"prompt": "...", "duration": "5"}`; images
            may be URLs, local paths, bytes or Base64. An `advanced-lip-sync` request
            may give `video_id` or `video_url` instead of `session_id`: the faces are
            then identified first, and face choices may leave out `face_id` (the first
            face not chosen otherwise), `sound_insert_time` (when the face appears) and
            `sound_end_time` (the audio plays until the face leaves).
        endpoint: A video endpoint: `text2video`, `image2video`, `multi-image2video`,
            `video-extend`, `lip-sync`, `advanced-lip-sync` or `effects`.
        credentials: A block, a saved block's name, or None for the `KLING_*` variables.
        output: A local folder or a Prefect writable filesystem block.
        idempotency_key: A new key asks for a new take of the same request.
        refresh: Ignore the cached create and make a new task, which becomes the cached one.
        watermark: Also save the watermarked variants.
        max_wait_seconds: Longest wait for the task.
        max_units: Send no create that could take the run past this many units.
        strict: Refuse model names unknown for the provider instead of warning.
        result_storage: Where cached creates are kept (a block or block slug); share it
            between workers so that none of them pays for a request another already made.
        poll_interval_seconds: First pause between queries (it grows to 30 s).
        callback_url: Your receiver's URL (secret token included; the credentials block's
            `callback_url` by default, which keeps it out of the run's parameters). Kling
            reports to it and the flow waits for the receiver's events instead of polling,
            with one confirming query.
        callback_safety_poll_seconds: With a callback URL, query anyway after this many
            seconds without an event.

    Returns:
        The task, its cost and the files saved.
    """
    return _generate(
        ResultKind.VIDEO,
        endpoint,
        request,
        credentials,
        output,
        idempotency_key=idempotency_key,
        refresh=refresh,
        watermark=watermark,
        max_wait_seconds=max_wait_seconds,
        max_units=max_units,
        strict=strict,
        result_storage=result_storage,
        poll_interval_seconds=poll_interval_seconds,
        callback_url=callback_url,
        callback_safety_poll_seconds=callback_safety_poll_seconds,
    )


@flow(name="kling-generate-image")
def generate_image(
    request: dict[str, Any],
    endpoint: str = "multi-image2image",
    credentials: Credentials = None,
    output: Output = DEFAULT_OUTPUT,
    idempotency_key: str | None = None,
    refresh: bool = False,
    watermark: bool = False,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    max_units: float | None = None,
    strict: bool = False,
    result_storage: Any = None,
    poll_interval_seconds: float = 2.0,
    callback_url: str | None = None,
    callback_safety_poll_seconds: float = 300.0,
) -> GenerationResult:
    """Generate images: validate, create (or reuse), wait, save the files.

    Takes the same arguments as `generate_video` (`callback_url` included); `endpoint`
    is an image endpoint:
    `multi-image2image`, `image-generation`, `image-expand` or `virtual-try-on` (whose
    tasks hold slots of the Prefect limit `kling-try-on`).
    """
    return _generate(
        ResultKind.IMAGE,
        endpoint,
        request,
        credentials,
        output,
        idempotency_key=idempotency_key,
        refresh=refresh,
        watermark=watermark,
        max_wait_seconds=max_wait_seconds,
        max_units=max_units,
        strict=strict,
        result_storage=result_storage,
        poll_interval_seconds=poll_interval_seconds,
        callback_url=callback_url,
        callback_safety_poll_seconds=callback_safety_poll_seconds,
    )


@flow(name="kling-extend-video")
def extend_video(
    video_id: str,
    times: int = 1,
    prompt: str | None = None,
    credentials: Credentials = None,
    output: Output = DEFAULT_OUTPUT,
    negative_prompt: str | None = None,
    cfg_scale: float | None = None,
    idempotency_key: str | None = None,
    refresh: bool = False,
    watermark: bool = False,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    max_units: float | None = None,
    strict: bool = False,
    result_storage: Any = None,
    poll_interval_seconds: float = 2.0,
    callback_url: str | None = None,
    callback_safety_poll_seconds: float = 300.0,
) -> list[GenerationResult]:
    """Extend a video `times` times in a chain, each step extending the one before.

    Each step is a `generate_video` subflow on `video-extend`, fed with the video id of the
    previous step's result, so each adds 4 to 5 seconds; a rerun with the same inputs
    reuses every step already made. Kling's official API only (a gateway without the
    route is refused before anything is sent), for videos under 30 days old and up to
    3 minutes long in the end.

    Args:
        video_id: The video to extend, e.g. `GenerationResult.video_id` of an earlier run.
        times: How many extensions to chain, 1 or more.
        prompt: What the added seconds should show (every step).
        credentials: A block, a saved block's name, or None for the `KLING_*` variables.
        output: A local folder or a Prefect writable filesystem block.
        negative_prompt: What the added seconds should not show.
        cfg_scale: How closely to follow the prompt, 0 to 1.
        idempotency_key: A new key asks for a new take of the chain.
        refresh: Ignore the cached creates and make new tasks.
        watermark: Also save the watermarked variants.
        max_wait_seconds: Longest wait for each step.
        max_units: Send no create that could take the chain past this many units:
            checked before the first step with estimates (1 unit a step), and before
            each step with what the steps before it were charged.
        strict: Refuse unknown model names instead of warning.
        result_storage: Where cached creates are kept (a block or block slug).
        poll_interval_seconds: First pause between queries.
        callback_url: Your receiver's URL: wait for its events instead of polling.
        callback_safety_poll_seconds: With a callback URL, query anyway after this long.

    Returns:
        One result a step, in order; the last one holds the full-length video.
    """
    if times < 1:
        raise KlingValidationError.single("times", f"{times}; allowed: 1 or more")
    creds = resolve_credentials(credentials)
    fields = {"prompt": prompt, "negative_prompt": negative_prompt, "cfg_scale": cfg_scale}
    request = {"video_id": video_id, **{k: v for k, v in fields.items() if v is not None}}
    prepared = prepare_create("video-extend", request, creds.provider, strict=strict)
    if max_units is not None:
        require_positive("max_units", max_units, "units")
    estimate = UnitBudget().estimate("video-extend", prepared.payload)
    if max_units is not None and estimate * times > max_units:
        raise KlingBudgetExceeded(
            f"not extending {times} times: {times} x {estimate:g} estimated units would pass "
            f"the budget of {max_units:g} units"
        )
    results: list[GenerationResult] = []
    spent = 0.0
    for step in range(1, times + 1):
        if max_units is not None and spent >= max_units:
            raise KlingBudgetExceeded(
                f"not extending again: {spent:g} units charged reach the budget of "
                f"{max_units:g} units"
            )
        result = generate_video(
            request,
            endpoint="video-extend",
            credentials=creds,
            output=output,
            idempotency_key=idempotency_key,
            refresh=refresh,
            watermark=watermark,
            max_wait_seconds=max_wait_seconds,
            max_units=None if max_units is None else max_units - spent,
            strict=strict,
            result_storage=result_storage,
            poll_interval_seconds=poll_interval_seconds,
            callback_url=callback_url,
            callback_safety_poll_seconds=callback_safety_poll_seconds,
        )
        results.append(result)
        spent += estimate if result.units is None else result.units
        if result.video_id is None:
            raise KlingError(f"extend step {step} (task {result.task_id}) gave no video id")
        request = {**request, "video_id": result.video_id}
    return results


@flow(name="kling-resume-task")
def resume_task(
    endpoint: str,
    task_id: str | None = None,
    external_task_id: str | None = None,
    credentials: Credentials = None,
    output: Output = DEFAULT_OUTPUT,
    watermark: bool = False,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    poll_interval_seconds: float = 2.0,
) -> GenerationResult:
    """Wait for a task created earlier and save its files; never creates anything.

    Args:
        endpoint: The endpoint the task was created on, e.g. `text2video`.
        task_id: Kling's task id.
        external_task_id: The create's external id, when the task id is not known.
        credentials: A block, a saved block's name, or None for the `KLING_*` variables.
        output: A local folder or a Prefect writable filesystem block.
        watermark: Also save the watermarked variants.
        max_wait_seconds: Longest wait for the task.
        poll_interval_seconds: First pause between queries.
    """
    if task_id is None and external_task_id is None:
        raise KlingValidationError.single("task_id", "give task_id or external_task_id")
    _check_waiting(max_wait_seconds=max_wait_seconds, poll_interval_seconds=poll_interval_seconds)
    row = get_endpoint(endpoint)
    creds = resolve_credentials(credentials)
    with creds.get_client() as client:
        current = client.get_task(row, task_id, external_task_id=external_task_id)
        reference = TaskReference.from_task(current, endpoint=row.name, provider=creds.provider)
        tracker = _Tracker(reference, model=None)
        try:
            # A task already done (as when a callback's event started this run) costs no
            # second query.
            if current.finished and TaskWaiter(reference, on_status=tracker).observe(current):
                finished = current
            else:
                finished = poll_task(
                    client,
                    reference,
                    max_wait_seconds=max_wait_seconds,
                    schedule=PollSchedule(first_interval=poll_interval_seconds),
                    on_status=tracker,
                )
        except (KlingTaskFailed, KlingTaskTimedOut) as error:
            _on_failure(reference, error, tracker, {})
            raise
    return _finish(reference, finished, tracker, {}, output, watermark)


@task(name="kling-batch-item", cache_policy=NO_CACHE)
def generate_item(
    item: BatchItem,
    credentials: KlingCredentials,
    output: Output,
    context: _BatchContext,
    take: str | None = None,
) -> BatchOutcome:
    """One batch item from request to saved files; every failure becomes its outcome.

    A `take` makes a fresh take of the item (replacing its cached create), as for a task
    that Kling failed.

    The item takes one of the batch's places (`max_concurrency`) for its create and wait,
    and leaves it when its task has ended: the next item is created while this one saves
    its files. Its create step starts before it has a place, and takes one just before
    sending, so that a place that frees is used at once.
    """
    outcome = BatchOutcome(name=item.label, endpoint=item.endpoint)
    try:
        row = get_endpoint(item.endpoint)
        prepared = prepare_create(
            row,
            _with_callback(item.request, context.callback_url, row.name),
            credentials.provider,
            idempotency_key=item.idempotency_key,
            strict=context.strict,
        )
    except KlingValidationError as error:
        return outcome.ended("refused", error)
    # Two items with the same request would share one task, and one of them would wait on
    # a task the other one created.
    first = context.requests.claim((row.name, prepared.external_task_id, take), item)
    if first is not None:
        return outcome.ended("refused", _same_request(item, first))
    shown = _shown_request(prepared)
    try:
        ticket = context.budget.reserve(row.name, prepared.payload)
    except KlingError as error:
        return outcome.ended("skipped", error)
    try:
        with _Place(context, row.family, _slots(prepared)) as place:
            with place.taken_before_send():
                reference = _create_step(
                    credentials,
                    prepared,
                    take=take or _refresh_take(context.refresh),
                    result_storage=context.result_storage,
                )
            place.take()  # a cached create sent nothing, and its task may still run
            outcome = outcome.created(reference)
            tracker = _Tracker(reference, model=shown.get("model_name"), progress_artifact=False)
            finished = context.watcher.wait(
                reference, max_wait_seconds=context.max_wait_seconds, on_status=tracker
            )
        context.budget.settle(ticket, finished.units)
        result = _finish(reference, finished, tracker, shown, output, context.watermark)
        return outcome.succeeded(result.units, result.files)
    except KlingTaskFailed as error:
        context.budget.settle(ticket, error.task.units)
        _on_failure(reference, error, tracker, shown)
        return outcome.ended("failed", error, units=error.task.units)
    except KlingTaskTimedOut as error:
        context.budget.settle(ticket, None)  # the task goes on, and will be charged
        _on_failure(reference, error, tracker, shown)
        return outcome.ended("timed-out", error)
    except Exception as error:
        context.budget.release(ticket)
        return outcome.ended("error", error)


class _BatchContext:
    """What every item of a batch shares (not a Prefect parameter: it holds live objects)."""

    def __init__(self, **values: Any):
        self.__dict__.update(values)


class _Claims:
    """The requests the items of a batch make, each claimed by the first item to make it."""

    def __init__(self) -> None:
        self._owners: dict[Hashable, BatchItem] = {}
        self._lock = threading.Lock()

    def claim(self, request: Hashable, item: BatchItem) -> BatchItem | None:
        """Claim a request for `item`; return the other item that claimed it first, if any."""
        with self._lock:
            first = self._owners.setdefault(request, item)
        return None if first.position == item.position else first


def _same_request(item: BatchItem, first: BatchItem) -> KlingValidationError:
    return KlingValidationError.single(
        f"items[{item.position}]",
        f"the same request as item {first.position} ({first.label}), so the same Kling task; "
        "allowed: another request, or an idempotency_key for a take of its own",
    )


class _Place:
    """A batch item's place (`max_concurrency`) and slots: taken once, left on exit.

    The slots are left before the place, so that the next item finds them free.
    """

    def __init__(self, context: _BatchContext, family: Family, slots: int):
        self._context = context
        self._family = family
        self._slots = slots
        self._held = ExitStack()
        self._taken = False

    def take(self) -> None:
        """Wait for a place and the slots, unless this item holds them already."""
        if self._taken:
            return
        with ExitStack() as taking:
            taking.enter_context(self._context.places)
            taking.enter_context(self._context.slots.hold(self._family, self._slots))
            self._held.enter_context(taking.pop_all())
        self._taken = True

    @contextmanager
    def taken_before_send(self) -> Iterator[None]:
        """Have the create step take the place just before it sends (`_BEFORE_SEND`)."""
        token = _BEFORE_SEND.set(self.take)
        try:
            yield
        finally:
            _BEFORE_SEND.reset(token)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._held.close()


def _run_items(
    items: list[BatchItem],
    takes: list[str | None],
    credentials: KlingCredentials,
    output: Output,
    context: _BatchContext,
) -> list[BatchOutcome]:
    """Run the items as task runs; return their outcomes in order."""
    # Items run once there is room: those in progress, those saving their files, and as
    # many started ahead, ready to take the next free place at once.
    room = threading.Semaphore(2 * context.max_concurrency)
    futures: list[PrefectFuture[BatchOutcome]] = []
    for item, take in zip(items, takes, strict=True):
        room.acquire()
        futures.append(generate_item.submit(item, credentials, output, context, take))
        futures[-1].add_done_callback(lambda _: room.release())
    return [_outcome(future, item) for future, item in zip(futures, items, strict=True)]


def _slot_demand(items: list[BatchItem], max_concurrency: int) -> dict[Family, int]:
    """Per family, the items that will hold slots at once (unknown endpoints are refused later)."""
    families = Counter(
        ENDPOINTS[item.endpoint].family for item in items if item.endpoint in ENDPOINTS
    )
    return {family: min(count, max_concurrency) for family, count in families.items()}


def _outcome(future: PrefectFuture[BatchOutcome], item: BatchItem) -> BatchOutcome:
    result = future.result(raise_on_failure=False)
    if isinstance(result, BaseException):  # the item's task run itself broke
        return BatchOutcome(name=item.label, endpoint=item.endpoint).ended("error", result)
    return result


@flow(name="kling-batch-generate", task_runner=ThreadPoolTaskRunner(max_workers=64))
def batch_generate(
    items: list[dict[str, Any]] | str,
    credentials: Credentials = None,
    output: Output = DEFAULT_OUTPUT,
    max_concurrency: int = 5,
    max_units: float | None = None,
    refresh: bool = False,
    watermark: bool = False,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    poll_interval_seconds: float = 5.0,
    strict: bool = False,
    result_storage: Any = None,
    callback_url: str | None = None,
    callback_safety_poll_seconds: float = 300.0,
    retry_failed: bool = False,
) -> BatchReport:
    """Generate many videos or images; report the outcome of every item.

    Args:
        items: Requests as a list of dicts, or the path of a CSV or JSON-lines file. Each
            item has an `endpoint` (default `text2video`), its request fields (flat or
            under `request`), and optionally `idempotency_key` and `name`.
        credentials: A block, a saved block's name, or None for the `KLING_*` variables.
        output: A local folder or a Prefect writable filesystem block.
        max_concurrency: Items in progress at once in this run (the Prefect limits
            `kling-<family>` also hold across runs and workers).
        max_units: Send no create that could take the run past this many units (the
            tasks that cached creates reuse count at what Kling charged for them).
        refresh: Ignore cached creates and make new tasks.
        watermark: Also save the watermarked variants.
        max_wait_seconds: Longest wait for each task.
        poll_interval_seconds: Pause between two rounds of the batch watcher's list queries.
        strict: Refuse model names unknown for the provider instead of warning.
        result_storage: Where cached creates are kept (a block or block slug).
        callback_url: Your receiver's URL (the credentials block's by default): wait for
            its events, with one confirming query per task, instead of list queries.
        callback_safety_poll_seconds: With a callback URL, query a task anyway after this
            many seconds without an event.
        retry_failed: Make one fresh take of each item whose task Kling failed (in this
            run, or in an earlier run whose cached create this run reuses). The take is
            named after the failed task, so a rerun finds it instead of paying again.
    """
    logger = get_run_logger()
    if max_concurrency < 1:
        raise KlingValidationError.single(
            "max_concurrency", f"{max_concurrency}; allowed: 1 or more"
        )
    _check_waiting(
        max_wait_seconds=max_wait_seconds,
        poll_interval_seconds=poll_interval_seconds,
        callback_safety_poll_seconds=callback_safety_poll_seconds,
    )
    batch = load_batch(items)
    creds = resolve_credentials(credentials)
    budget = UnitBudget(max_units)
    callback = _callback_url(callback_url, creds)
    watching: AbstractContextManager[CallbackWatcher | BatchWatcher] = (
        CallbackWatcher(creds, safety_interval=callback_safety_poll_seconds)
        if callback
        else BatchWatcher(creds, interval=poll_interval_seconds)
    )
    with watching as watcher, SlotPool(demand=_slot_demand(batch, max_concurrency)) as slots:
        context = _BatchContext(
            callback_url=callback,
            max_concurrency=max_concurrency,
            places=threading.Semaphore(max_concurrency),
            requests=_Claims(),
            budget=budget,
            watcher=watcher,
            slots=slots,
            refresh=refresh,
            watermark=watermark,
            max_wait_seconds=max_wait_seconds,
            strict=strict,
            result_storage=result_storage,
        )
        outcomes = _run_items(batch, [None] * len(batch), creds, output, context)
        # Items whose task Kling failed, by position: the failed task's id names a fresh take.
        failed = {
            n: outcome.reference.task_id
            for n, outcome in enumerate(outcomes)
            if outcome.status == "failed" and outcome.reference is not None
        }
        if retry_failed and failed:
            logger.info("Making fresh takes of %d items whose tasks Kling failed", len(failed))
            takes: list[str | None] = [f"after-{task_id}" for task_id in failed.values()]
            again = _run_items([batch[n] for n in failed], takes, creds, output, context)
            for n, outcome in zip(failed, again, strict=True):
                outcomes[n] = outcome
    report = BatchReport(outcomes=outcomes, units=budget.charged, watcher_requests=watcher.requests)
    publish_batch_table(report.table_rows())
    logger.info(report.describe())
    skipped = [outcome for outcome in outcomes if outcome.status == "skipped"]
    if skipped:
        logger.warning("%d items were not created: %s", len(skipped), skipped[0].error)
    return report


__all__ = [
    "GenerationResult",
    "batch_generate",
    "extend_video",
    "generate_image",
    "generate_video",
    "resume_task",
]
