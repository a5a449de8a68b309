"""Checks of a run's own settings before anything is sent: the output folder, the budget.

A task paid for whose files cannot be saved, or a budget that cannot pay for even the
first create, is refused here, before the create (and, on the command line, before the
flow run starts).

Examples:
    >>> check_budget("text2video", {"mode": "pro"}, max_units=5)
    4.0
    >>> try:
    ...     check_output(__file__)
    ... except KlingValidationError as error:
    ...     print(error.problems[0].message)  # doctest: +ELLIPSIS
    '...preflight.py' is a file; allowed: a folder that exists or can be made
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prefect.filesystems import WritableFileSystem

from prefect_kling._checks import require_positive
from prefect_kling.budget import UnitBudget
from prefect_kling.downloads import Destination
from prefect_kling.exceptions import KlingBudgetExceeded, KlingValidationError

_FOLDER = "allowed: a folder that exists or can be made"


def check_output(output: Any, *, field: str = "output") -> None:
    """Refuse a local output folder that cannot hold the results, before anything is paid.

    A block or a `Destination` is left to itself. A folder must be a writable folder,
    or be missing below a writable folder (it is made when the first file is saved).

    Args:
        output: The flow's `output`: a folder path, a block or a destination.
        field: The name the refusal gives it (`output_dir` on the command line).

    Raises:
        KlingValidationError: The path is a file, lies below a file, or cannot be written.
    """
    if isinstance(output, WritableFileSystem | Destination):
        return
    if not isinstance(output, str | os.PathLike) or not os.fspath(output):
        raise KlingValidationError.single(field, f"{output!r}; {_FOLDER}")
    path = Path(output)
    existing = next(place for place in (path, *path.parents) if place.exists() or place == Path())
    if existing.exists() and not existing.is_dir():
        where = "" if existing == path else f" (inside {str(existing)!r})"
        kind = "is a file" if existing == path else "lies below a file"
        raise KlingValidationError.single(field, f"{str(path)!r} {kind}{where}; {_FOLDER}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise KlingValidationError.single(
            field, f"{str(path)!r} cannot be written ({str(existing)!r} is read-only); {_FOLDER}"
        )


def check_budget(
    endpoint: str, payload: Mapping[str, Any], max_units: float | None, *, times: int = 1
) -> float:
    """The units `times` creates of a request are estimated at; refused past `max_units`.

    Args:
        endpoint: The endpoint name.
        payload: The request as it will be sent.
        max_units: The budget, or None for none.
        times: How many creates of it (a chain of extensions).

    Returns:
        The estimate of one create.

    Raises:
        KlingValidationError: `max_units` is not a number above 0.
        KlingBudgetExceeded: The estimate passes the budget; the message names `max_units`.
    """
    estimate = UnitBudget().estimate(endpoint, payload)
    if max_units is None:
        return estimate
    require_positive("max_units", max_units, "units")
    if estimate * times > max_units:
        count = f"{times} x " if times > 1 else ""
        raise KlingBudgetExceeded(
            f"max_units: not creating {endpoint}: {count}{estimate:g} estimated units would "
            f"pass the budget of {max_units:g} units; allowed: at least "
            f"{estimate * times:g} units, or no budget"
        )
    return estimate
