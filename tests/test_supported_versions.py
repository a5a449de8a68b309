"""docs/getting-started.md states the versions that pyproject.toml and the constraints support.

The table "Supported versions" gives the Python and Prefect specifiers of pyproject.toml, and
the page gives the fastapi range that `constraints/prefect-3.8.txt` sets for Prefect 3.8.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "getting-started.md"
CONSTRAINTS = ROOT / "constraints" / "prefect-3.8.txt"


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def specifier(requirements: list[str], name: str) -> str:
    """The version specifier of `name` among requirement lines (markers left off)."""
    for line in requirements:
        match = re.match(rf"{re.escape(name)}(?![\w.-])\s*(?P<specifier>[^;#]*)", line.strip())
        if match:
            return match["specifier"].strip()
    raise AssertionError(f"no requirement {name!r} in {requirements}")


def constraints() -> list[str]:
    lines = (line.split("#")[0].strip() for line in CONSTRAINTS.read_text().splitlines())
    return [line for line in lines if line]


def stated(label: str) -> str:
    """The specifier in the page's table row `| <label> | `<specifier>` | ... |`."""
    match = re.search(rf"^\| {label} \| `(?P<specifier>[^`]+)` \|", PAGE.read_text(), re.M)
    assert match, f"{PAGE.name} has no row for {label} in its table of supported versions"
    return match["specifier"]


def test_the_page_states_the_supported_python():
    assert stated("Python") == project()["requires-python"]


def test_the_page_states_the_supported_prefect():
    assert stated("Prefect") == specifier(project()["dependencies"], "prefect")


def test_the_page_states_the_fastapi_range_of_the_constraints_file():
    fastapi = specifier(constraints(), "fastapi")
    assert f"`{fastapi}`" in PAGE.read_text()
    assert f'"fastapi{fastapi}"' in PAGE.read_text()


def test_the_constraints_file_starts_at_the_lowest_supported_prefect():
    lowest = re.search(r">=\s*([\w.]+)", specifier(project()["dependencies"], "prefect"))
    assert lowest, "pyproject.toml gives Prefect no lower bound"
    assert f">={lowest[1]}" in specifier(constraints(), "prefect")
    assert f'"prefect{specifier(constraints(), "prefect")}"' in PAGE.read_text()


def test_no_dependency_is_pinned_to_one_version():
    """A library shares its dependencies with the application: ranges only, no `==`."""
    pinned = [line for line in project()["dependencies"] if re.search(r"===?", line)]
    assert not pinned
