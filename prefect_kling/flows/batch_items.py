"""Batch inputs and outcomes: items from a list, a CSV or a JSON-lines file; one outcome each.

A CSV has one column per request field plus the optional columns `endpoint`,
`idempotency_key` and `name`; empty cells are left out. A JSON-lines file has one object per
line, either flat like a CSV row or `{"endpoint": ..., "request": {...}}`.

Examples:
    >>> items = load_batch(
    ...     [{"prompt": "a fox"}, {"endpoint": "text2video", "request": {"prompt": "an owl"}}]
    ... )
    >>> [(item.endpoint, item.request["prompt"], item.label) for item in items]
    [('text2video', 'a fox', 'item-1'), ('text2video', 'an owl', 'item-2')]
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, Field

from prefect_kling.budget import units_said
from prefect_kling.downloads import SavedFile
from prefect_kling.exceptions import KlingTaskFailed, KlingValidationError
from prefect_kling.models.kling_task import TaskReference

_ITEM_KEYS = frozenset({"endpoint", "idempotency_key", "name", "request"})


class BatchItem(BaseModel):
    """One request of a batch."""

    endpoint: str = Field(default="text2video", description="Endpoint name, e.g. text2video.")
    request: dict[str, Any] = Field(description="The request fields.")
    idempotency_key: str | None = Field(default=None, description="Ask for a fresh take.")
    name: str | None = Field(default=None, description="A label for reports.")
    position: int = Field(default=0, description="Place in the batch, from 1.")

    @property
    def label(self) -> str:
        """The item's name, or its place in the batch."""
        return self.name or f"item-{self.position}"


FAILED_STATUSES = frozenset({"failed", "refused", "timed-out", "error"})
"""How an item ends when it needs someone's attention (a budget's `skipped` does not)."""


class BatchOutcome(BaseModel):
    """How one item ended: succeeded, failed, refused, skipped, timed-out or error."""

    name: str = Field(description="The item's label.")
    endpoint: str = Field(description="Endpoint name.")
    status: str = Field(default="pending", description="How the item ended.")
    reference: TaskReference | None = Field(
        default=None, description="The task, if one was created."
    )
    units: float | None = Field(default=None, description="Units charged.")
    files: list[SavedFile] = Field(default_factory=list, description="Files saved.")
    error: str | None = Field(default=None, description="What went wrong.")

    def created(self, reference: TaskReference) -> Self:
        """The item has a task."""
        return self.model_copy(update={"reference": reference, "status": "created"})

    def succeeded(self, units: float | None, files: list[SavedFile]) -> Self:
        """The item's files are saved."""
        return self.model_copy(update={"status": "succeeded", "units": units, "files": files})

    def ended(self, status: str, error: BaseException, *, units: float | None = None) -> Self:
        """The item ended without files.

        A task Kling failed is told by Kling's reason (its id and endpoint are columns of
        their own): what a narrow table cell shows first is why.
        """
        if isinstance(error, KlingTaskFailed):
            said = f"Kling failed the task: {error.status_message}"
        else:
            said = f"{type(error).__name__}: {error}"
        return self.model_copy(update={"status": status, "error": said, "units": units})

    def row(self) -> dict[str, Any]:
        """One row of the batch table."""
        return {
            "item": self.name,
            "endpoint": self.endpoint,
            "status": self.status,
            # The reason before the wide columns: in view without scrolling sideways.
            "error": self.error or "",
            "task_id": self.reference.task_id if self.reference else "",
            "units": "" if self.units is None else f"{self.units:g}",
            "files": "; ".join(f"{file.path} (sha256 {file.sha256})" for file in self.files),
        }

    def __repr__(self) -> str:
        # Prefect logs a failed item's state with its result: one line, not every field.
        return f"BatchOutcome({self.name!r}: {self.status})"

    @property
    def failed(self) -> bool:
        """Whether the item ended in one of `FAILED_STATUSES`."""
        return self.status in FAILED_STATUSES


class BatchReport(BaseModel):
    """Every item's outcome, and what the batch cost."""

    outcomes: list[BatchOutcome] = Field(description="One outcome per item, in input order.")
    units: float = Field(default=0.0, description="Units charged in all.")
    watcher_requests: int = Field(
        default=0,
        description="Queries sent while waiting: list queries, or confirmations of callbacks.",
    )

    @property
    def counts(self) -> Counter[str]:
        """How many items ended in each status."""
        return Counter(outcome.status for outcome in self.outcomes)

    @property
    def all_succeeded(self) -> bool:
        """Whether every item saved its files."""
        return all(outcome.status == "succeeded" for outcome in self.outcomes)

    @property
    def failures(self) -> int:
        """How many items ended in one of `FAILED_STATUSES`."""
        return sum(outcome.failed for outcome in self.outcomes)

    def table_rows(self) -> list[dict[str, Any]]:
        """The rows of the batch's table artifact."""
        return [outcome.row() for outcome in self.outcomes]

    def describe(self) -> str:
        """One line for the log."""
        counts = ", ".join(f"{count} {status}" for status, count in sorted(self.counts.items()))
        return f"Kling batch of {len(self.outcomes)}: {counts}; {units_said(self.units)} charged"


def load_batch(source: Iterable[Mapping[str, Any] | BatchItem] | str | Path) -> list[BatchItem]:
    """Read batch items from a list, or a `.csv`, `.jsonl`, `.ndjson` or `.json` file.

    Raises:
        KlingValidationError: The file cannot be read (missing, not UTF-8, a line that is
            not a JSON object), or an item is not a mapping or has no request fields.
    """
    rows = _read_file(Path(source)) if isinstance(source, str | Path) else list(source)
    items = []
    for position, row in enumerate(rows, start=1):
        if isinstance(row, BatchItem):
            items.append(row.model_copy(update={"position": position}))
            continue
        field = f"items[{position}]"
        if not isinstance(row, Mapping):
            raise KlingValidationError.single(
                field, f"a {type(row).__name__}; allowed: a dict of request fields or a BatchItem"
            )
        if "request" in row and not isinstance(row["request"], Mapping):
            raise KlingValidationError.single(
                f"{field}.request", f"a {type(row['request']).__name__}; allowed: a dict"
            )
        request = (
            dict(row["request"])
            if "request" in row
            else {k: v for k, v in row.items() if k not in _ITEM_KEYS}
        )
        if not request:
            raise KlingValidationError.single(field, "no request fields")
        items.append(
            BatchItem(
                endpoint=row.get("endpoint") or "text2video",
                request=request,
                idempotency_key=row.get("idempotency_key") or None,
                name=row.get("name") or None,
                position=position,
            )
        )
    return items


_JSON_LINES = frozenset({".jsonl", ".ndjson", ".json"})


def _read_file(path: Path) -> list[Any]:
    if not path.is_file():
        raise KlingValidationError.single("items", f"{path} is not a file")
    suffix = path.suffix.lower()
    if suffix != ".csv" and suffix not in _JSON_LINES:
        raise KlingValidationError.single(
            "items", f"{path.name}: allowed: a .csv, .jsonl, .ndjson or .json file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise KlingValidationError.single(
            "items", f"{path.name} is not UTF-8 text (byte {error.start}); allowed: UTF-8"
        ) from None
    if suffix == ".csv":
        return [
            {key: value for key, value in row.items() if value not in (None, "")}
            for row in csv.DictReader(text.splitlines())
        ]
    return [
        _json_object(line, f"{path.name} line {number}")
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def _json_object(line: str, place: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise KlingValidationError.single(place, f"not JSON: {error.msg}") from None
    if not isinstance(value, dict):
        raise KlingValidationError.single(
            place, f"a JSON {type(value).__name__}; allowed: one object per line"
        )
    return value
