"""`batch_generate`: many requests under a concurrency limit, one outcome each.

Every item runs the generation pipeline (`prefect_kling.flows.pipeline`) in a Prefect task
run of its own (`kling-batch-item`); one failure does not stop the others. The items share
a `BatchContext`: their places and Kling slots, the unit budget, the requests already
claimed, and one waiter for all of them (a `BatchWatcher` that follows every task with list
queries, or a `CallbackWatcher` when Kling reports to a receiver).
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import AbstractContextManager, closing, nullcontext
from dataclasses import dataclass, field
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.states import Completed, Failed, State
from prefect.task_runners import ThreadPoolTaskRunner

from prefect_kling.budget import UnitBudget
from prefect_kling.callbacks import CallbackWatcher
from prefect_kling.concurrency import SlotPool
from prefect_kling.credentials import KlingCredentials
from prefect_kling.endpoints import ENDPOINTS, Family
from prefect_kling.exceptions import (
    KlingError,
    KlingTaskFailed,
    KlingTaskTimedOut,
    KlingValidationError,
)
from prefect_kling.flows.arguments import (
    DEFAULT_OUTPUT,
    Credentials,
    Output,
    callback_url_of,
    check_waiting,
    resolve_credentials,
)
from prefect_kling.flows.batch_items import BatchItem, BatchOutcome, BatchReport, load_batch
from prefect_kling.flows.batch_places import InputOrder, Place, RequestClaims, same_request
from prefect_kling.flows.batch_progress import BatchProgress
from prefect_kling.flows.create_step import before_send, refresh_take
from prefect_kling.flows.pipeline import Generation
from prefect_kling.flows.preflight import check_output
from prefect_kling.observe import publish_batch_table
from prefect_kling.runtime import Runtime, use_runtime
from prefect_kling.waiting import DEFAULT_MAX_WAIT_SECONDS, BatchWatcher, StatusCallback, Waiter


@dataclass(frozen=True)
class BatchContext:
    """What every item of a batch shares (not a Prefect parameter: it holds live objects).

    Attributes:
        max_concurrency: Items in progress at once.
        places: One permit per item in progress.
        slots: The batch's Kling slots, handed from item to item.
        claims: The requests claimed so far.
        budget: Units charged and in flight, against the run's ceiling.
        waiter: Follows every task of the batch.
        callback_url: The receiver URL given to Kling, if any.
        refresh: Make new tasks instead of reusing cached creates.
        watermark: Also save the watermarked variants.
        max_wait_seconds: Longest wait for each task.
        strict: Refuse unknown model names (and effect scenes); False warns instead.
        result_storage: Where cached creates are kept.
        on_status: The caller's callback for every status change.
        progress: The batch's live progress artifact.
    """

    max_concurrency: int
    places: threading.Semaphore
    slots: SlotPool
    claims: RequestClaims
    budget: UnitBudget
    waiter: Waiter
    callback_url: str | None = field(repr=False)  # its token is a secret
    refresh: bool
    watermark: bool
    max_wait_seconds: float
    strict: bool
    result_storage: Any
    on_status: StatusCallback | None
    progress: BatchProgress


@task(name="kling-batch-item", task_run_name="kling-batch-item-{item.label}", cache_policy=NO_CACHE)
def generate_item(
    item: BatchItem,
    credentials: KlingCredentials,
    output: Output,
    context: BatchContext,
    take: str | None = None,
    turn: AbstractContextManager[None] | None = None,
) -> BatchOutcome | State:
    """One batch item as a task run of its own, which ends Failed when the item failed.

    The outcome is the run's result either way (a Failed state carries it as its data), so
    the batch reads every item's outcome, and the Prefect UI shows which items failed.
    """
    outcome = _generate(item, credentials, output, context, take, turn)
    context.progress.ended(outcome.status, started=outcome.reference is not None)
    if outcome.failed:
        # A task Kling failed says so in its error; other failures name their status.
        said = outcome.error if outcome.status == "failed" else f"{outcome.status}: {outcome.error}"
        return Failed(message=said, data=outcome)
    return outcome


def _generate(
    item: BatchItem,
    credentials: KlingCredentials,
    output: Output,
    context: BatchContext,
    take: str | None,
    turn: AbstractContextManager[None] | None,
) -> BatchOutcome:
    """One batch item from request to saved files; every failure becomes its outcome.

    A `take` makes a fresh take of the item (replacing its cached create), as for a task
    that Kling failed. Within its `turn` (the batch's input order) the item claims its
    request and reserves its units.

    The item takes one of the batch's places (`max_concurrency`) for its create and wait,
    and leaves it when its task has ended: the next item is created while this one saves
    its files. Its create step starts before it has a place, and takes one just before
    sending, so that a place that frees is used at once.
    """
    outcome = BatchOutcome(name=item.label, endpoint=item.endpoint)
    try:
        generation = Generation.prepare(
            item.endpoint,
            item.request,
            credentials,
            idempotency_key=item.idempotency_key,
            strict=context.strict,
            callback_url=context.callback_url,
            on_status=context.on_status,
            progress_artifact=False,
        )
    except KlingValidationError as error:
        with turn or nullcontext():
            return outcome.ended("refused", error)
    prepared = generation.prepared
    with turn or nullcontext():
        claim = (prepared.endpoint.name, prepared.external_task_id, take)
        first = context.claims.claim(claim, item)
        if first is not None:
            return outcome.ended("refused", same_request(item, first))
        try:
            ticket = context.budget.reserve(prepared.endpoint.name, prepared.priced_fields)
        except KlingError as error:
            return outcome.ended("skipped", error)
    try:
        family = prepared.endpoint.family
        with Place(context.places, context.slots, family, generation.slots) as place:
            with before_send(place.take):
                reference = generation.create(
                    take=take or refresh_take(context.refresh),
                    result_storage=context.result_storage,
                )
            outcome = outcome.created(reference)
            context.progress.started()
            earlier = generation.saved_before(output, watermark=context.watermark)
            if earlier is not None:
                context.budget.settle(ticket, earlier.units)
                return outcome.succeeded(earlier.units, earlier.files)
            place.take()  # a cached create sent nothing, and its task may still run
            finished = generation.wait(context.waiter, max_wait_seconds=context.max_wait_seconds)
        context.budget.settle(ticket, finished.units)
        result = generation.save(finished, output, watermark=context.watermark)
        return outcome.succeeded(result.units, result.files)
    except KlingTaskFailed as error:
        context.budget.settle(ticket, error.task.units)
        return outcome.ended("failed", error, units=error.task.units)
    except KlingTaskTimedOut as error:
        context.budget.settle(ticket, None)  # the task goes on, and will be charged
        return outcome.ended("timed-out", error)
    except Exception as error:
        context.budget.release(ticket)
        return outcome.ended("error", error)


def _run_items(
    items: list[BatchItem],
    takes: list[str | None],
    credentials: KlingCredentials,
    output: Output,
    context: BatchContext,
) -> list[BatchOutcome]:
    """Run the items as task runs; return their outcomes in order."""
    # Items run once there is room: those in progress, those saving their files, and as
    # many started ahead, ready to take the next free place at once.
    room = threading.Semaphore(2 * context.max_concurrency)
    order = InputOrder()
    futures: list[PrefectFuture[BatchOutcome]] = []
    for index, (item, take) in enumerate(zip(items, takes, strict=True)):
        room.acquire()
        turn = order.turn(index)
        futures.append(generate_item.submit(item, credentials, output, context, take, turn))
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


def _failed_tasks(outcomes: list[BatchOutcome]) -> dict[int, str]:
    """Items whose task Kling failed, by position: the failed task's id names a fresh take."""
    return {
        position: outcome.reference.task_id
        for position, outcome in enumerate(outcomes)
        if outcome.status == "failed" and outcome.reference is not None
    }


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
    strict: bool = True,
    result_storage: Any = None,
    callback_safety_poll_seconds: float = 300.0,
    retry_failed: bool = False,
    on_status: StatusCallback | None = None,
    runtime: Runtime | None = None,
    fail_on_failed_items: bool = False,
) -> BatchReport:
    """Generate many videos or images; report the outcome of every item.

    An item that failed (its task failed, its create was refused, its wait timed out or
    broke) ends its task run Failed. The batch's run then ends Completed under a name that
    counts them, such as `2 of 50 failed`, or Failed with `fail_on_failed_items`.

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
        strict: Refuse model names (and effect scenes) unknown for the provider (the
            default); False sends them with an `UnknownModelWarning`.
        result_storage: Where cached creates are kept (a block or block slug).
        callback_safety_poll_seconds: With a callback URL (the credentials'
            `callback_url`, or `KLING_CALLBACK_URL`: the batch then waits for your
            receiver's events, with one confirming query per task, instead of list
            queries), query a task anyway after this many seconds without an event. An
            item whose request has a `callback_url` of its own is refused.
        retry_failed: Make one fresh take of each item whose task Kling failed (in this
            run, or in an earlier run whose cached create this run reuses). The take is
            named after the failed task, so a rerun finds it instead of paying again.
        on_status: Called with the task and the seconds waited on every status change.
        runtime: Clocks, sleep and client factory (see `generate_video`).
        fail_on_failed_items: End the flow run Failed when any item failed (a caller of
            the flow then gets `prefect.exceptions.FailedRun`; the report stays the run's
            result) instead of Completed under a name that counts the failures.
    """
    logger = get_run_logger()
    if max_concurrency < 1:
        raise KlingValidationError.single(
            "max_concurrency", f"{max_concurrency}; allowed: 1 or more"
        )
    check_waiting(
        max_wait_seconds=max_wait_seconds,
        poll_interval_seconds=poll_interval_seconds,
        callback_safety_poll_seconds=callback_safety_poll_seconds,
    )
    check_output(output)
    batch = load_batch(items)
    creds = resolve_credentials(credentials)
    callback = callback_url_of(creds)
    progress = BatchProgress(len(batch))
    with use_runtime(runtime), closing(progress):
        watching: AbstractContextManager[CallbackWatcher | BatchWatcher] = (
            CallbackWatcher(creds, safety_interval=callback_safety_poll_seconds)
            if callback
            else BatchWatcher(creds, interval=poll_interval_seconds)
        )
        demand = _slot_demand(batch, max_concurrency)
        pool = SlotPool(creds.account, demand=demand, on_wait=progress.waiting_for_slots)
        with watching as watcher, pool as slots:
            context = BatchContext(
                max_concurrency=max_concurrency,
                places=threading.Semaphore(max_concurrency),
                slots=slots,
                claims=RequestClaims(),
                budget=UnitBudget(max_units),
                waiter=watcher,
                callback_url=callback,
                refresh=refresh,
                watermark=watermark,
                max_wait_seconds=max_wait_seconds,
                strict=strict,
                result_storage=result_storage,
                on_status=on_status,
                progress=progress,
            )
            outcomes = _run_items(batch, [None] * len(batch), creds, output, context)
            failed = _failed_tasks(outcomes)
            if retry_failed and failed:
                logger.info("Making fresh takes of %d items whose tasks Kling failed", len(failed))
                progress.retrying(len(failed))
                takes: list[str | None] = [f"after-{task_id}" for task_id in failed.values()]
                again = _run_items([batch[n] for n in failed], takes, creds, output, context)
                for n, outcome in zip(failed, again, strict=True):
                    outcomes[n] = outcome
    report = BatchReport(
        outcomes=outcomes, units=context.budget.charged, watcher_requests=watcher.requests
    )
    publish_batch_table(report.table_rows(), description=report.describe())
    logger.info(report.describe())
    skipped = [outcome for outcome in outcomes if outcome.status == "skipped"]
    if skipped:
        logger.warning("%d items were not created: %s", len(skipped), skipped[0].error)
    return _final_state(report, fail_on_failed_items)


def _final_state(report: BatchReport, fail: bool) -> BatchReport | State:
    """The batch run's end: the report, under a state that tells of its failed items."""
    if not report.failures:
        return report
    name = f"{report.failures} of {len(report.outcomes)} failed"
    if fail:
        return Failed(name=name, message=report.describe(), data=report)
    return Completed(name=name, message=report.describe(), data=report)
