"""Validation errors that keep what was refused to themselves: no input, no chained error.

Pydantic's `hide_input_in_errors` hides the input from the message only: `errors()` and
`json()` of the error still hold it, and for a model-wide check the input is every field
given, keys and tokens included. `without_inputs` rebuilds the error with each input
replaced, keeping its type, place and message; `refusing_quietly` raises it in place of
pydantic's error, chained to nothing.

Examples:
    >>> from pydantic import BaseModel
    >>> class Keys(BaseModel):
    ...     key: int
    >>> try:
    ...     refusing_quietly(lambda: Keys(key="s3cret"))
    ... except ValidationError as error:
    ...     print(error.errors()[0]["input"], error.__context__)
    ********** None
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

T = TypeVar("T")

HIDDEN = "**********"
"""What a refused input shows instead of itself, as for a `SecretStr`."""


def without_inputs(error: ValidationError) -> ValidationError:
    """The same refusal (title, types, places, messages), with every input hidden."""
    details: list[InitErrorDetails] = [
        {
            # The message is final: written again as given, with nothing to fill in.
            "type": PydanticCustomError(line["type"], line["msg"]),
            "loc": line["loc"],
            "input": HIDDEN,
        }
        for line in error.errors(include_url=False, include_context=False)
    ]
    return ValidationError.from_exception_data(error.title, details, hide_input=True)


def refusing_quietly(call: Callable[[], T]) -> T:
    """Return `call()`; a `ValidationError` it raises is raised without its inputs.

    The quiet error is raised outside the `except` block, so that it does not carry the
    original one as its context.
    """
    try:
        return call()
    except ValidationError as error:
        quiet = without_inputs(error)
    raise quiet
