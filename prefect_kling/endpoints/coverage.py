"""The coverage page: every Kling endpoint and model, and how prefect-kling serves it.

`docs/coverage.md` shows two tables made from the endpoint table itself: the rows that
create tasks (Kling's path, the API standard, the models, which providers serve it, the
command and the version of prefect-kling it came with) and the calls that create none.
The page holds them between two markers; a test keeps them equal to what
`coverage_tables` renders, so a row added, a model added or a provider route removed
shows on the page or fails the tests. Write the page again with:

    python -m prefect_kling.endpoints.coverage docs/coverage.md

Examples:
    >>> print(coverage_tables().splitlines()[0])
    | Endpoint | Kling's path | Standard | Models | Kling | CometAPI | Command | Since |
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from prefect_kling.endpoints import ENDPOINTS, ROUTES, ApiStandard, Endpoint, Route
from prefect_kling.providers import Provider

FIRST_RELEASE = "0.1.0"
"""The version every row came with, unless `SINCE` says otherwise."""
SINCE: dict[str, str] = {}
"""Rows added after the first release, by name, to the version that added them."""
COMMANDS_ELSEWHERE = {"element": "elements create", "voice": "voices create"}
"""Rows whose command is a subcommand of a command group rather than a command of the row."""
START, END = "<!-- coverage:start -->", "<!-- coverage:end -->"
"""The markers around the generated tables on the page."""


def coverage_tables(
    rows: Iterable[Endpoint] | None = None, routes: Iterable[Route] | None = None
) -> str:
    """The page's two tables, in Markdown: task-creating rows, then the other calls.

    Args:
        rows: The rows to show (default: every row of the endpoint table).
        routes: The calls that create no task (default: every route).
    """
    rows = list(ENDPOINTS.values() if rows is None else rows)
    routes = list(ROUTES.values() if routes is None else routes)
    lines = [
        "| Endpoint | Kling's path | Standard | Models | Kling | CometAPI | Command | Since |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *(_row_line(row) for row in rows),
        "",
        "| Call (no task) | Method and path | Kling | CometAPI |",
        "| --- | --- | --- | --- |",
        *(_route_line(route) for route in routes),
    ]
    return "\n".join(lines)


def _row_line(row: Endpoint) -> str:
    kling_path = row.path_template(Provider.KLING) if row.supports(Provider.KLING) else "-"
    standard = "newer" if row.standard is ApiStandard.NEW else "/v1"
    limits = row.limits.get(Provider.KLING) or next(iter(row.limits.values()), None)
    models = ", ".join(f"`{model}`" for model in limits.models) if limits else ""
    command = f"`{row.command.name}`" if row.command else _twin_command(row)
    cells = [
        f"`{row.name}`",
        f"`{kling_path}`",
        standard,
        models or "-",
        _served(row.supports(Provider.KLING)),
        _cometapi(row),
        command,
        SINCE.get(row.name, FIRST_RELEASE),
    ]
    return "| " + " | ".join(cells) + " |"


def _twin_command(row: Endpoint) -> str:
    """A library row's subcommand, or the /v1 command that reaches a newer-standard row."""
    if row.name in COMMANDS_ELSEWHERE:
        return f"`{COMMANDS_ELSEWHERE[row.name]}`"
    for other in ENDPOINTS.values():
        if other.newer == row.name and other.command:
            return f"`{other.command.name}` (by model)"
    return "-"


def _cometapi(row: Endpoint) -> str:
    if not row.supports(Provider.COMETAPI):
        return "no"
    path = f"`{row.path_template(Provider.COMETAPI)}`"
    official = row.limits.get(Provider.KLING)
    gateway = row.limits.get(Provider.COMETAPI)
    if official and gateway and official.models != gateway.models:
        return f"{path}, only " + ", ".join(f"`{model}`" for model in gateway.models)
    return path


def _route_line(route: Route) -> str:
    where = "account" if route.account else "API"
    path = route.path(Provider.KLING) if route.supports(Provider.KLING) else "-"
    cometapi = f"`{route.path(Provider.COMETAPI)}`" if route.supports(Provider.COMETAPI) else "no"
    cells = [
        f"`{route.name}`",
        f"`{route.method} {path}` ({where})",
        _served(route.supports(Provider.KLING)),
        cometapi,
    ]
    return "| " + " | ".join(cells) + " |"


def _served(served: bool) -> str:
    return "yes" if served else "no"


def page_tables(page: str) -> str:
    """The generated part of a coverage page: what lies between its markers.

    Raises:
        ValueError: The page lacks the markers.
    """
    try:
        start = page.index(START) + len(START)
        return page[start : page.index(END, start)].strip()
    except ValueError:
        raise ValueError(f"the page has no {START} ... {END} section") from None


def write_page(path: Path) -> None:
    """Put the current tables between the markers of the page at `path`."""
    page = path.read_text()
    page_tables(page)  # the markers are there
    before, rest = page.split(START, 1)
    after = rest.split(END, 1)[1]
    path.write_text(f"{before}{START}\n{coverage_tables()}\n{END}{after}")


if __name__ == "__main__":
    write_page(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/coverage.md"))
