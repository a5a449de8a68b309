"""The one generation pipeline: prepare, create, wait, save. Every flow and batch item uses it.

A `Generation` is one request on its way to saved files:

1. `Generation.prepare` validates the request for the provider, adds the callback URL and
   fixes the external task id, sending nothing (an advanced lip-sync that names its video
   first asks identify-face for the session, which is free and creates no task; a
   multi-element edit that names its video first runs its selection session);
2. `create` runs the cached create step (`kling-create`), which never pays twice;
3. `wait` hands the task to a `Waiter`, with a `Tracker` as its `on_status`; a failed or
   timed-out task gets its summary artifact (and event) before the error goes on;
4. `save` downloads the files durably and publishes the events and artifacts.

`resume_task` starts at step 3 with `Generation.resume`.
"""

from __future__ import annotations

from typing import Any, Self

from prefect import task

from prefect_kling.client import PreparedCreate, prepare_create
from prefect_kling.credentials import KlingCredentials
from prefect_kling.downloads import EarlierSave, SavedFile, find_earlier_save, save_task_results
from prefect_kling.endpoints import Endpoint, ResultKind, get_endpoint
from prefect_kling.endpoints.routing import route
from prefect_kling.exceptions import KlingError, KlingTaskFailed, KlingTaskTimedOut
from prefect_kling.flows.arguments import Output, destination, with_callback
from prefect_kling.flows.create_step import retry_on_transient, run_create_step
from prefect_kling.flows.preflight import check_budget
from prefect_kling.flows.result import GenerationResult
from prefect_kling.flows.tracking import Tracker
from prefect_kling.lip_sync_plan import LipSyncPlan
from prefect_kling.models.kling_task import KlingTask, TaskReference
from prefect_kling.models.omni_images import images_made
from prefect_kling.multi_elements_plan import MultiElementsPlan
from prefect_kling.observe import (
    SlotWaitProgress,
    emit_task_event,
    publish_images,
    publish_task_summary,
)
from prefect_kling.runtime import current_runtime
from prefect_kling.waiting import StatusCallback, TaskWaiter, Waiter

_SHOWN_FIELDS = frozenset(
    {
        "prompt",
        "model_name",
        "mode",
        "duration",
        "aspect_ratio",
        "n",
        "effect_scene",
        "edit_mode",
        "video_id",
    }
)


def _names_its_video(row: Endpoint, request: Any) -> bool:
    return row.name == "advanced-lip-sync" and LipSyncPlan.names_its_video(request)


def _edits_elements_of_a_video(row: Endpoint, request: Any) -> bool:
    return row.name == "multi-elements" and MultiElementsPlan.names_its_video(request)


def check_request(
    endpoint: str,
    request: dict[str, Any],
    credentials: KlingCredentials,
    *,
    idempotency_key: str | None = None,
    strict: bool = True,
    max_units: float | None = None,
    times: int = 1,
) -> None:
    """Check a request as the flows will, sending nothing.

    Args:
        endpoint: The endpoint name.
        request: The request fields.
        credentials: Where the request would go (limits differ between providers).
        idempotency_key: The take asked for.
        strict: Refuse model names (and effect scenes) unknown for the provider.
        max_units: The run's budget: refused when `times` creates of the request are
            estimated to pass it.
        times: How many creates of it the run makes (a chain of extensions).

    Raises:
        KlingValidationError: The request breaks a rule, or the provider has no such
            route; the message names the field (or the provider).
        KlingBudgetExceeded: The estimate passes `max_units`; the message names it.
    """
    row = get_endpoint(endpoint)
    payload: dict[str, Any] = {}
    if _names_its_video(row, request):
        LipSyncPlan.check(
            request, credentials.provider, idempotency_key=idempotency_key, strict=strict
        )
    elif _edits_elements_of_a_video(row, request):
        MultiElementsPlan.check(
            request, credentials.provider, idempotency_key=idempotency_key, strict=strict
        )
    else:
        prepared = prepare_create(
            row,
            request,
            credentials.provider,
            idempotency_key=idempotency_key,
            strict=strict,
            access_keys=credentials.uses_jwt,
        )
        row, payload = prepared.endpoint, prepared.priced_fields
    check_budget(row.name, payload, max_units, times=times)


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
    return save_task_results(
        task, reference, destination(output), watermark=watermark, sleep=current_runtime().sleep
    )


class Generation:
    """One request on its way from validation to saved files.

    Args:
        credentials: Where and how to reach Kling.
        prepared: The validated create (None when resuming a task made earlier).
        reference: The task, once created (or the task resumed).
        on_status: The caller's callback for every status change.
        progress_artifact: Publish a progress artifact while waiting.
    """

    def __init__(
        self,
        credentials: KlingCredentials,
        *,
        prepared: PreparedCreate | None = None,
        reference: TaskReference | None = None,
        on_status: StatusCallback | None = None,
        progress_artifact: bool = True,
    ):
        self.credentials = credentials
        self.prepared = prepared
        self.reference = reference
        self._on_status = on_status
        self._progress_artifact = progress_artifact
        self._tracker: Tracker | None = None
        self.slot_wait = SlotWaitProgress(self.endpoint.name) if progress_artifact else None
        self.reused = False
        """Whether `create` found a task made before it (nothing new charged)."""

    @classmethod
    def prepare(
        cls,
        endpoint: str | Endpoint,
        request: dict[str, Any],
        credentials: KlingCredentials,
        *,
        idempotency_key: str | None = None,
        strict: bool = True,
        callback_url: str | None = None,
        on_status: StatusCallback | None = None,
        progress_artifact: bool = True,
    ) -> Self:
        """Validate the request and fix its external id; nothing is created.

        Raises:
            KlingValidationError: The request breaks a rule of the endpoint or provider.
        """
        # The model picks the row first: the callback URL names the row that makes the task.
        row, request = route(get_endpoint(endpoint), request)
        request = with_callback(request, callback_url, row.name)
        provider = credentials.provider
        if _names_its_video(row, request):
            plan = LipSyncPlan.check(
                request, provider, idempotency_key=idempotency_key, strict=strict
            )
            with current_runtime().client(credentials) as client:
                faces = client.identify_face(plan.source)
            # The session is new on every call; the video it was opened on names the content.
            prepared = prepare_create(
                row,
                plan.request(faces),
                provider,
                strict=strict,
                stand_ins={"session_id": plan.source},
            )
        elif _edits_elements_of_a_video(row, request):
            edit = MultiElementsPlan.check(
                request, provider, idempotency_key=idempotency_key, strict=strict
            )
            with current_runtime().client(credentials) as client:
                session_request = edit.run(client)
            # Each run opens a new session: the video and its selections name the content.
            prepared = prepare_create(
                row,
                session_request,
                provider,
                strict=strict,
                stand_ins={"session_id": {**edit.source, "selections": edit.selections}},
            )
        else:
            prepared = prepare_create(
                row,
                request,
                provider,
                idempotency_key=idempotency_key,
                strict=strict,
                access_keys=credentials.uses_jwt,
            )
        return cls(
            credentials,
            prepared=prepared,
            on_status=on_status,
            progress_artifact=progress_artifact,
        )

    @classmethod
    def resume(
        cls,
        credentials: KlingCredentials,
        reference: TaskReference,
        *,
        on_status: StatusCallback | None = None,
    ) -> Self:
        """The last steps (wait, save) of a task created earlier."""
        generation = cls(credentials, reference=reference, on_status=on_status)
        generation._track(model=None)
        return generation

    @property
    def endpoint(self) -> Endpoint:
        """The endpoint row."""
        if self.prepared is not None:
            return self.prepared.endpoint
        return get_endpoint(self._known_reference.endpoint)

    @property
    def shown_request(self) -> dict[str, Any]:
        """The request as artifacts may show it: no image or audio data, no callback URL."""
        if self.prepared is None:
            return {}
        fields = self.prepared.request.model_dump(mode="json", exclude_none=True)
        nested = fields.get("input")  # effects and lip-sync nest their settings
        if isinstance(nested, dict):
            fields = {**fields, **nested}
        return {key: value for key, value in fields.items() if key in _SHOWN_FIELDS}

    @property
    def slots(self) -> int:
        """Concurrency slots the task holds: Kling counts an image task of `n` images as `n`.

        A series counts its images (`auto` as many as a series can have, 9).
        """
        if self.prepared is None or self.endpoint.result_kind is not ResultKind.IMAGE:
            return 1
        return images_made(self.prepared.payload)

    @property
    def _known_reference(self) -> TaskReference:
        if self.reference is None:
            raise RuntimeError("the task has not been created yet")
        return self.reference

    def _track(self, model: str | None) -> Tracker:
        self._tracker = Tracker(
            self._known_reference,
            model=model,
            progress_artifact=self._progress_artifact,
            artifact_id=self.slot_wait.artifact_id if self.slot_wait else None,
            on_status=self._on_status,
        )
        return self._tracker

    @property
    def tracker(self) -> Tracker:
        """The progress artifact, events and timings of the task."""
        return self._tracker or self._track(model=self.shown_request.get("model_name"))

    def create(self, *, take: str | None = None, result_storage: Any = None) -> TaskReference:
        """Create the task through the cached create step (or find it again)."""
        if self.prepared is None:
            raise RuntimeError("a resumed task is not created again")
        created = run_create_step(
            self.credentials, self.prepared, take=take, result_storage=result_storage
        )
        self.reference, self.reused = created.reference, created.reused
        self._track(model=self.shown_request.get("model_name"))
        return self.reference

    def saved_before(self, output: Output, *, watermark: bool) -> EarlierSave | None:
        """The files of a task found again, when an earlier run saved them all.

        Only a reused task can have them: the rerun then asks Kling nothing more, not even
        its status (the manifest in `output` says it succeeded).
        """
        if not self.reused:
            return None
        return find_earlier_save(self._known_reference, destination(output), watermark=watermark)

    def take_in(self, task: KlingTask) -> bool:
        """Report a task queried already; True when it has succeeded (no wait needed).

        Raises:
            KlingTaskFailed: The task failed (its summary artifact is published first).
        """
        if not task.finished:
            return False
        try:
            return TaskWaiter(self._known_reference, on_status=self.tracker).observe(task)
        except KlingTaskFailed as error:
            self.report_failure(error)
            raise

    def wait(self, waiter: Waiter, *, max_wait_seconds: float) -> KlingTask:
        """Wait for the task to succeed, reporting its progress.

        Raises:
            KlingTaskFailed: The task failed (its summary artifact is published first).
            KlingTaskTimedOut: The wait ran out (the summary and a `timed-out` event first).
        """
        try:
            with self.tracker.ticking():
                return waiter.wait(
                    self._known_reference,
                    max_wait_seconds=max_wait_seconds,
                    on_status=self.tracker,
                )
        except (KlingTaskFailed, KlingTaskTimedOut) as error:
            self.report_failure(error)
            raise

    def report_failure(self, error: KlingError) -> None:
        """Publish what a failed or timed-out task leaves: its summary, its event."""
        reference = self._known_reference
        shown = self.shown_request
        if isinstance(error, KlingTaskTimedOut):
            emit_task_event(
                "timed-out",
                reference,
                model=shown.get("model_name"),
                waited_seconds=round(error.waited_seconds),
            )
        publish_task_summary(
            reference,
            task=error.task if isinstance(error, KlingTaskFailed) else None,
            request=shown,
            started_processing=self.tracker.processing_at,
            finished=self.tracker.finished_at,
        )

    def save(self, task: KlingTask, output: Output, *, watermark: bool) -> GenerationResult:
        """Save the task's files and publish its events and artifacts."""
        reference = self._known_reference
        shown = self.shown_request
        files = save_results(task, reference, output, watermark)
        emit_task_event(
            "downloaded", reference, task=task, model=shown.get("model_name"), files=len(files)
        )
        publish_task_summary(
            reference,
            task=task,
            request=shown,
            files=files,
            started_processing=self.tracker.processing_at,
            finished=self.tracker.finished_at,
        )
        if get_endpoint(reference.endpoint).result_kind is ResultKind.IMAGE:
            publish_images(reference, task)
        return GenerationResult(
            reference=reference,
            status=task.status_said,
            units=task.units,
            files=files,
            reused=self.reused,
            finished_at=task.updated_at if task.finished else None,
        )
