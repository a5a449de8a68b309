"""The coverage page (docs/coverage.md) is the endpoint table, and says what it serves."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from prefect_kling.cli.parser import build_parser
from prefect_kling.endpoints import ENDPOINTS, ROUTES, get_endpoint
from prefect_kling.endpoints.coverage import (
    COMMANDS_ELSEWHERE,
    END,
    START,
    coverage_tables,
    page_tables,
    write_page,
)
from prefect_kling.providers import Provider

PAGE = Path(__file__).resolve().parents[1] / "docs" / "coverage.md"


def table_rows(tables: str) -> dict[str, list[str]]:
    rows = {}
    for line in tables.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| `"):
            rows[cells[0].strip("`")] = cells
    return rows


def test_the_page_shows_the_endpoint_table_as_it_is():
    assert page_tables(PAGE.read_text()) == coverage_tables(), (
        "docs/coverage.md is out of date: run `python -m prefect_kling.endpoints.coverage`"
    )


def test_every_row_and_call_has_a_line_with_its_providers():
    rows = table_rows(coverage_tables())
    assert set(rows) == set(ENDPOINTS) | set(ROUTES)
    for name, row in ENDPOINTS.items():
        cells = rows[name]
        assert cells[4] == ("yes" if row.supports(Provider.KLING) else "no")
        assert (cells[5] != "no") == row.supports(Provider.COMETAPI), name
        for model in row.limits[Provider.KLING].models if Provider.KLING in row.limits else ():
            assert f"`{model}`" in cells[3], (name, model)


def test_a_provider_route_removed_shows_as_not_served():
    row = get_endpoint("lip-sync")
    official_only = replace(
        row,
        paths={Provider.KLING: row.paths[Provider.KLING]},
        limits={Provider.KLING: row.limits[Provider.KLING]},
    )
    cells = table_rows(coverage_tables([official_only], []))["lip-sync"]
    assert cells[5] == "no"
    assert table_rows(coverage_tables([row], []))["lip-sync"][5] == "`videos/lip-sync`"


def test_fewer_models_on_the_gateway_are_named():
    cells = table_rows(coverage_tables([get_endpoint("multi-image2image")], []))
    official = get_endpoint("multi-image2image").limits[Provider.KLING].models
    gateway = get_endpoint("multi-image2image").limits[Provider.COMETAPI].models
    if official == gateway:
        pytest.skip("the gateway serves the same models")
    assert "only" in cells["multi-image2image"][5]


def test_every_command_the_page_names_exists():
    parser = build_parser()
    known = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    for cells in table_rows(coverage_tables()).values():
        if len(cells) > 6 and cells[6].startswith("`"):
            assert cells[6].strip("`").split("`")[0].split()[0] in known, cells
    assert {command.split()[0] for command in COMMANDS_ELSEWHERE.values()} <= known


def test_writing_the_page_replaces_only_what_lies_between_the_markers(tmp_path: Path):
    page = tmp_path / "coverage.md"
    page.write_text(f"# Title\n\n{START}\nstale\n{END}\n\nAfter.\n")
    subprocess.run(
        [sys.executable, "-m", "prefect_kling.endpoints.coverage", str(page)], check=True
    )
    text = page.read_text()
    assert text.startswith("# Title\n\n") and text.endswith("\n\nAfter.\n")
    assert "stale" not in text
    assert page_tables(text) == coverage_tables()
    write_page(page)  # again: nothing changes
    assert page.read_text() == text


def test_a_page_without_markers_is_refused():
    with pytest.raises(ValueError, match="coverage:start"):
        page_tables("# no tables")
