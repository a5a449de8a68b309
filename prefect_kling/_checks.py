"""Checks of input before anything is sent, shaped as the field problems of a refusal."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from prefect_kling.exceptions import FieldProblem, KlingValidationError


def require_positive(field: str, value: Any, unit: str) -> None:
    """Refuse anything but a finite number above 0, naming the field.

    Raises:
        KlingValidationError: `value` is not such a number.

    Examples:
        >>> try:
        ...     require_positive("max_units", -1, "units")
        ... except KlingValidationError as error:
        ...     print(error)
        Invalid request: max_units: -1; allowed: units above 0
    """
    allowed = f"allowed: {unit} above 0"
    if not isinstance(value, int | float):
        raise KlingValidationError.single(field, f"{value!r}; {allowed}")
    if not (math.isfinite(value) and value > 0):
        raise KlingValidationError.single(field, f"{value:g}; {allowed}")


def problems_from_pydantic(errors: Iterable[dict[str, Any]]) -> list[FieldProblem]:
    """Turn pydantic's error list into field problems with readable field paths.

    Args:
        errors: The output of `pydantic.ValidationError.errors()`.

    Returns:
        One `FieldProblem` a pydantic error, fields as dotted paths.
    """
    problems = []
    for error in errors:
        field = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "invalid value"))
        message = message.removeprefix("Value error, ")
        problems.append(FieldProblem(field, message))
    return problems
