"""The public surface of `prefect_kling`: `__all__` lists exactly what it exports.

Like httpx's test of its exported members: every name in `__all__` is importable from the
package and documented (a docstring of its own, and a page of the API reference that shows
it), and every public member of the package is in `__all__`.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types
from pathlib import Path
from typing import Any

import pytest
from prefect import Task

import prefect_kling
from prefect_kling import tasks

ROOT = Path(__file__).resolve().parents[1]


def test_all_lists_exactly_the_public_members():
    public = {
        name
        for name, value in vars(prefect_kling).items()
        if not isinstance(value, types.ModuleType)
        and (not name.startswith("_") or name == "__version__")
    }
    assert len(prefect_kling.__all__) == len(set(prefect_kling.__all__))
    assert set(prefect_kling.__all__) == public


def test_every_prefect_task_is_exported_from_the_tasks_list():
    task_names = {name for name, value in vars(tasks).items() if isinstance(value, Task)}
    assert set(tasks.__all__) == task_names
    assert sorted(tasks.__all__) == tasks.__all__
    assert set(tasks.__all__) <= set(prefect_kling.__all__)


def _reference() -> dict[str, set[str] | None]:
    """The `:::` targets of docs/reference/*.md, with their `members:` list (None: all)."""
    targets: dict[str, set[str] | None] = {}
    for page in sorted((ROOT / "docs" / "reference").glob("*.md")):
        target = None
        in_members = False
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("::: "):
                target = line.removeprefix("::: ").strip()
                targets[target] = None
                in_members = False
            elif target and line.strip() == "members:":
                targets[target] = set()
                in_members = True
            elif target and in_members and (item := re.match(r"\s+- (\w+)$", line)):
                members = targets[target]
                assert members is not None
                members.add(item[1])
            elif not line.strip():
                target, in_members = None, False
    return targets


def _shown_on_a_page(name: str, member: Any) -> bool:
    """Whether a `:::` target of the reference renders this very object under its name."""
    for target, members in _reference().items():
        module_path, _, attribute = target.rpartition(".")
        try:
            module = importlib.import_module(target)
        except ImportError:  # a target naming a member of a module
            module = importlib.import_module(module_path)
            if attribute == name and getattr(module, attribute, None) is member:
                return True
            continue
        listed = members is None or name in members
        if listed and getattr(module, name, None) is member:
            return True
    return False


@pytest.mark.parametrize("name", [name for name in prefect_kling.__all__ if name != "__version__"])
def test_every_export_is_importable_and_documented(name: str):
    namespace: dict[str, Any] = {}
    exec(f"from prefect_kling import {name}", namespace)  # the import users write
    member = namespace[name]
    own = (member.fn if isinstance(member, Task) else member).__doc__
    assert own and own.strip(), f"{name} has no docstring"
    assert inspect.getdoc(member)
    assert _shown_on_a_page(name, member), f"{name} is on no page of docs/reference"


def test_the_version_is_exported():
    assert isinstance(prefect_kling.__version__, str) and prefect_kling.__version__
