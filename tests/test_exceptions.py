"""The error tree drawn in the docstring of prefect_kling.exceptions is the tree in the code."""

from __future__ import annotations

import inspect
import re

import prefect_kling.exceptions as exceptions
from prefect_kling.exceptions import KlingError

_BRANCH = re.compile(r"^(?P<indent>(?:│   |    )*)(?:├── |└── )?(?P<name>Kling\w+)")


def drawn_tree() -> dict[str, str | None]:
    """Each class drawn in the module docstring, with the class drawn as its parent."""
    block = exceptions.__doc__.split("```")[1]
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in block.strip().splitlines():
        match = _BRANCH.match(line)
        assert match, f"not a line of the tree: {line!r}"
        depth = len(match["indent"]) // 4 + (0 if line.startswith("Kling") else 1)
        del stack[depth:]
        parents[match["name"]] = stack[-1] if stack else None
        stack.append(match["name"])
    return parents


def coded_tree() -> dict[str, str | None]:
    """Each KlingError class of the module, with its nearest KlingError base."""
    classes = {
        name: cls
        for name, cls in inspect.getmembers(exceptions, inspect.isclass)
        if issubclass(cls, KlingError) and cls.__module__ == exceptions.__name__
    }
    return {
        name: next((base.__name__ for base in cls.__bases__ if issubclass(base, KlingError)), None)
        for name, cls in classes.items()
    }


def test_the_drawn_tree_is_the_class_tree():
    assert drawn_tree() == coded_tree()


def test_every_error_says_what_it_is():
    for name in coded_tree():
        assert getattr(exceptions, name).__doc__, f"{name} has no docstring"


def test_an_external_id_in_use_names_the_field_and_survives_pickling():
    import pickle

    from prefect_kling.exceptions import KlingExternalIdInUse, KlingValidationError

    error = KlingExternalIdInUse("job-42", "8672", endpoint="text2video", known_other=False)
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, KlingValidationError) and again.fields == ["external_task_id"]
    assert (again.external_task_id, again.task_id, again.known_other) == ("job-42", "8672", False)
    assert str(again) == str(error) and "prefect-kling wait text2video 8672" in str(error)
