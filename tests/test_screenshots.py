"""The docs' screenshots and the parts of `scripts/screenshots.py` that need no browser.

The pictures themselves are taken by `python3 scripts/dev.py screenshots` (a Prefect server,
the simulator and headless Chromium: too slow for the suite). Here: every picture the docs
show exists, is one the script takes, has alt text and stays small; every picture in the
folder is shown somewhere; and the script's own helpers do what they say.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "docs" / "assets" / "screenshots"
PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<path>[^)\s]*assets/screenshots/[^)\s]+)\)")


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts/screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("screenshots", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


screenshots = load_script()


def references() -> list[tuple[Path, str, Path]]:
    """Every screenshot the docs show: (page, alt text, resolved file)."""
    found = []
    for page in PAGES:
        for match in IMAGE.finditer(page.read_text()):
            found.append((page, match["alt"], (page.parent / match["path"]).resolve()))
    return found


def test_the_docs_show_every_screenshot_the_script_takes_and_no_other():
    shown = {path for _, _, path in references()}
    taken = {(FOLDER / f"{shot.name}.png").resolve() for shot in screenshots.SHOTS}
    on_disk = {path.resolve() for path in FOLDER.glob("*")}
    assert shown == taken, "docs and scripts/screenshots.py SHOTS disagree"
    assert on_disk == taken, "docs/assets/screenshots holds other files than the script takes"
    assert len({shot.name for shot in screenshots.SHOTS}) == len(screenshots.SHOTS)


def test_every_screenshot_has_alt_text():
    for page, alt, path in references():
        assert len(alt.split()) >= 3, f"{page.name}: {path.name} needs alt text"


@pytest.mark.parametrize("shot", screenshots.SHOTS, ids=lambda shot: shot.name)
def test_every_screenshot_is_a_small_png_of_the_window(shot):
    path = FOLDER / f"{shot.name}.png"
    assert path.stat().st_size <= screenshots.MAX_BYTES
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (screenshots.WINDOW[0], shot.height)


def test_shrink_keeps_the_picture_and_its_size_under_the_limit():
    width, height = screenshots.WINDOW
    bands = [
        Image.linear_gradient("L").resize((width, height)),
        Image.radial_gradient("L").resize((width, height)),
        Image.effect_noise((width, height), 8),
    ]
    picture = Image.merge("RGB", bands)  # far more than 256 colours
    original = io.BytesIO()
    picture.save(original, format="PNG")

    small = screenshots.shrink(original.getvalue())

    assert len(small) <= screenshots.MAX_BYTES
    with Image.open(io.BytesIO(small)) as image:
        assert image.format == "PNG"
        assert image.size == (width, height)
        assert len(image.getcolors(maxcolors=256) or []) <= 256


def test_shrink_scales_down_what_256_colours_cannot_fit():
    noise = Image.effect_noise((800, 600), 100).convert("RGB")
    original = io.BytesIO()
    noise.save(original, format="PNG")

    small = screenshots.shrink(original.getvalue(), limit=150_000)

    assert len(small) <= 150_000
    with Image.open(io.BytesIO(small)) as image:
        assert image.width < 800
        assert image.width / image.height == pytest.approx(800 / 600, rel=0.01)


def test_routes_and_expected_texts_are_filled_from_the_runs_ids():
    assert screenshots.fill("/runs/flow-run/{batch_run}", {"batch_run": "abc"}) == (
        "/runs/flow-run/abc"
    )
    with pytest.raises(screenshots.ScreenshotError, match="batch_run"):
        screenshots.fill("/runs/flow-run/{batch_run}", {})


def test_the_live_shots_need_only_what_the_running_batch_gives():
    names = set()
    for shot in screenshots.SHOTS:
        if shot.live:
            for text in (shot.route, *shot.expect):
                names |= set(re.findall(r"\{(\w+)\}", text))
    assert names <= {"batch_run", "batch_progress"}


def test_the_batch_holds_one_prompt_that_the_simulator_fails():
    from prefect_kling.simulator import SimulatorConfig

    word = SimulatorConfig().failure_word
    failing = [item["name"] for item in screenshots.BATCH if word in item["prompt"].lower()]
    assert failing == [screenshots.FAILING_ITEM]
    assert len(screenshots.BATCH) == 3
