"""Every Python example in the documentation runs.

Each fenced ```python block of `docs/**/*.md` and `README.md` is one test, named
`<file>:<line>`. It runs in a fresh namespace (as a script: `__name__ == "__main__"`), in a
temporary working directory, with the `KLING_*` variables pointing at an embedded Kling
simulator started for it (its API key in `KLING_API_KEY`, which reaches both of Kling's API
standards, and its access and secret keys), so that `KlingCredentials.from_env()` and the
flows' default credentials reach it. The code is compiled with the Markdown file as its file
name and its own line numbers, so a traceback points at the line of the page.

What a block says it prints is checked: the comment at the end of a line that calls
`print`, and the comment lines right below it, must each appear in what the block printed
(`print(url)  # https://...`). Other comments are free.

A block that defines `test_*` functions (an example of a test for your own suite) also has
them called, with a temporary folder for a `tmp_path` parameter.

A block that cannot run offline (real keys, a Prefect Cloud workspace, a long-running
server) is marked on the line before its fence with `<!-- not run: <reason> -->`, and is
skipped with that reason.
"""

from __future__ import annotations

import ast
import inspect
import io
import re
import textwrap
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from prefect_kling.runtime import use_runtime
from prefect_kling.simulator import KlingSimulator, SimulatorConfig

pytestmark = pytest.mark.e2e  # the examples run flows and commands, on every supported Prefect

ROOT = Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\s`]*)")
_NOT_RUN = re.compile(r"^\s*<!--\s*not run:\s*(?P<reason>.+?)\s*-->\s*$")


@dataclass(frozen=True)
class Example:
    """One fenced Python block of a page."""

    path: Path
    line: int  # line number of the first line of code (1-based)
    code: str
    skip_reason: str | None

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def examples(path: Path) -> Iterator[Example]:
    """The Python blocks of a Markdown page, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        opening = _FENCE.match(lines[number])
        if opening is None:
            number += 1
            continue
        fence, info = opening["fence"], opening["info"].lower()
        start = number + 1
        end = start
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        if info in ("python", "py"):
            previous = lines[number - 1] if number > 0 else ""
            marker = _NOT_RUN.match(previous)
            yield Example(
                path=path,
                line=start + 1,
                code=textwrap.dedent("\n".join(lines[start:end])),
                skip_reason=marker["reason"] if marker else None,
            )
        number = end + 1


def shown_output(code: str) -> list[str]:
    """The outputs a block claims for its prints: their trailing and following comments."""
    tree = ast.parse(code)
    print_lines = {
        node.end_lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
    }
    comments = {
        token.start[0]: token.string.removeprefix("#").strip()
        for token in tokenize.generate_tokens(io.StringIO(code).readline)
        if token.type == tokenize.COMMENT
    }
    lines = code.splitlines()
    shown = []
    for number in sorted(print_lines):
        if number in comments:
            shown.append(comments[number])
        following = number + 1
        while following in comments and lines[following - 1].lstrip().startswith("#"):
            shown.append(comments[following])
            following += 1
    return [text for text in shown if text]


EXAMPLES = [example for page in PAGES for example in examples(page)]
CASES = [
    pytest.param(
        example,
        id=example.name,
        marks=[pytest.mark.skip(reason=example.skip_reason)] if example.skip_reason else [],
    )
    for example in EXAMPLES
]


@pytest.fixture
def kling_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[KlingSimulator]:
    """A simulator, the `KLING_*` variables pointing at it, and a temporary working directory."""
    # Its videos are the shipped sample: what the examples do with a file does not depend
    # on what it shows, and encoding each costs CPU.
    config = SimulatorConfig(queue_seconds=0.05, processing_seconds=0.2, render_videos=False)
    with KlingSimulator(config) as sim:
        for name in ("KLING_PROVIDER", "KLING_REGION"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
        # The API key reaches both of Kling's standards (the newer one takes nothing else);
        # the access keys are there too, as a user of the /v1 models may have them, and the
        # API key wins over them.
        monkeypatch.setenv("KLING_API_KEY", sim.config.api_key)
        monkeypatch.setenv("KLING_ACCESS_KEY", sim.config.access_key)
        monkeypatch.setenv("KLING_SECRET_KEY", sim.config.secret_key)
        monkeypatch.chdir(tmp_path)
        yield sim


def test_every_page_is_collected():
    assert any(example.path.name == "README.md" for example in EXAMPLES)
    assert all(example.code.strip() for example in EXAMPLES), "an empty python block"


@pytest.mark.parametrize("page", PAGES, ids=[str(page.relative_to(ROOT)) for page in PAGES])
def test_not_run_markers_stand_before_a_python_block(page: Path):
    lines = page.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "not run:" in line and line.lstrip().startswith("<!--"):
            following = _FENCE.match(lines[number + 1]) if number + 1 < len(lines) else None
            assert following and following["info"].lower() in ("python", "py"), (
                f"{page.name}:{number + 1}: a not-run marker must be on the line before a "
                "```python fence"
            )


@pytest.mark.parametrize("example", CASES)
def test_example_runs(
    example: Example,
    kling_environment: KlingSimulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The page's own line numbers, in tracebacks and for `inspect.getsource`.
    tree = ast.parse(example.code, filename=str(example.path))
    ast.increment_lineno(tree, example.line - 1)
    code = compile(tree, str(example.path), "exec")
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": str(example.path)}
    # On the simulator's clock: the examples' waits (2 s between queries by default) take
    # no real time.
    with use_runtime(kling_environment.runtime()):
        exec(code, namespace)
        for name, value in list(namespace.items()):
            if name.startswith("test_") and inspect.isfunction(value):
                folder = tmp_path / name
                folder.mkdir()
                value(
                    **(
                        {"tmp_path": folder}
                        if "tmp_path" in inspect.signature(value).parameters
                        else {}
                    )
                )
    printed = " ".join(capsys.readouterr().out.split())
    for claim in shown_output(example.code):
        assert " ".join(claim.split()) in printed, (
            f"{example.name}: the page says a print shows {claim!r}; it printed:\n{printed}"
        )


def test_shown_output_reads_trailing_and_following_comments():
    code = textwrap.dedent(
        """\
        x = 1  # not a print
        print(x)  # 1
        print(
            x + 1,
        )
        # 2
        # and 2
        y = 3
        # free
        """
    )
    assert shown_output(code) == ["1", "2", "and 2"]
