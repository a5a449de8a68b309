"""Screenshots of the Prefect UI for the docs: `python3 scripts/dev.py screenshots`.

Starts a Prefect server of its own (loopback, a free port, a temporary `PREFECT_HOME`) and
the embedded Kling simulator, runs a small batch on them (three prompts, one of which Kling
fails) and one `generate_video`, and photographs the pages a user looks at with headless
Chromium, driven over the DevTools protocol. The pictures go to `docs/assets/screenshots/`.

Every page is photographed only once it shows what it should (its `Shot.expect` texts) and
has no loading placeholder left; a page that does not within `PAGE_TIMEOUT_SECONDS` stops
the script with the page's name and the missing text, so a picture never shows a spinner or
a run that went otherwise than the docs say. The batch's outcome is checked too, before the
pages of the ended runs are photographed.

The batch runs on real time (tasks queue 1 s and process 20 s) under a Kling video limit
of 2 slots, so its third item waits for a slot; the pages of the running batch are taken
while its first two tasks process.

Runs in the project's environment (`scripts/dev.py screenshots` sets it up and installs
Debian's `chromium` when it is missing): `python scripts/screenshots.py [--out FOLDER]`.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "assets" / "screenshots"
"""Where the pictures go; the docs refer to them as `assets/screenshots/<name>.png`."""
WINDOW = (1400, 900)
"""Width and height of the browser window, in CSS pixels (one pixel each)."""
MAX_BYTES = 300_000
"""The largest picture saved; a larger one is reduced to 256 colours, then scaled down."""
PAGE_TIMEOUT_SECONDS = 45.0
"""Longest wait for a page to show its expected texts."""
RELOAD_SECONDS = 5.0
"""A page that does not show its texts yet is loaded again after this long, as by a user."""
QUIET_SECONDS = 10.0
"""Longest wait, once the texts show, for loading placeholders to go."""
SETTLE_SECONDS = 1.0
"""How long a page must keep showing its texts before its picture (charts, transitions)."""
SERVER_TIMEOUT_SECONDS = 180.0
"""Longest wait for the Prefect server to answer (its first start migrates a database)."""
PREFECT_SERVER = [sys.executable, "-m", "prefect", "server", "start"]
"""The Prefect server's command, in this environment."""
LIVE_SLOTS = 2
"""Slots of the batch's Kling video limit: the third item waits for one."""
PROCESSING_SECONDS = 20.0
"""How long the simulator's tasks process: the live shots are taken meanwhile."""
CONCURRENCY_KEY = "studio"
"""The simulator credentials' concurrency key, as in the docs: limits `kling-*-studio`."""
FAILURE_REASON = "Failure to pass the risk control system"
"""The simulator's message for a prompt with its failure word (Kling's own words)."""

BATCH = [
    {"name": "boat", "prompt": "A paper boat drifting down a rain-soaked street, cinematic"},
    {"name": "door", "prompt": "A forbidden door in an old library swings open"},
    {"name": "fox", "prompt": "A red fox running through fresh snow at dawn"},
]
"""The batch: the simulator fails the item whose prompt holds `forbidden`."""
FAILING_ITEM = "door"
SINGLE = {"prompt": "A lighthouse at dusk, waves breaking on the rocks", "duration": "5"}
"""The request of the one `generate_video` run."""
OUTPUT = "kling-output"
"""The flows' output folder, relative to the working folder as a user gives it."""

LOADING = ".animate-pulse, [aria-busy='true'], [data-slot='skeleton']"
"""CSS selector of the UI's loading placeholders."""
PAGE_STATE = """(texts, loading) => {
  // A text is visible when one text node holds it and every line of it lies inside the
  // window and inside every clipping box around it (a table scrolled sideways, an ellipsis),
  // with nothing drawn over it.
  const clipped = (rect, element) => {
    for (let box = element; box && box !== document.documentElement; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (style.overflowX === "visible" && style.overflowY === "visible") continue;
      const edge = box.getBoundingClientRect();
      if (rect.left < edge.left - 1 || rect.right > edge.right + 1
          || rect.top < edge.top - 1 || rect.bottom > edge.bottom + 1) return true;
    }
    return false;
  };
  const shown = (node, start, length) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, start + length);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
    return rects.length > 0 && rects.every((rect) => {
      if (rect.left < 0 || rect.top < 0 || rect.right > innerWidth || rect.bottom > innerHeight)
        return false;
      if (clipped(rect, node.parentElement)) return false;
      const hit = document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
      return hit !== null && (hit.contains(node) || node.parentElement.contains(hit));
    });
  };
  const visible = (text) => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const start = node.data.indexOf(text);
      if (start >= 0 && shown(node, start, text.length)) return true;
    }
    return false;
  };
  return JSON.stringify({
    missing: texts.filter((text) => !visible(text)),
    loading: document.querySelectorAll(loading).length,
    text: document.body ? document.body.innerText.slice(0, 1500) : "",
  });
}"""
"""A function of the expected texts and `LOADING`: the texts not visible, the placeholders."""


@dataclass(frozen=True)
class Shot:
    """One page to photograph.

    Attributes:
        name: The picture's file name, without `.png`.
        route: The UI route, with `{placeholders}` filled from the run's ids.
        expect: Texts that must be visible in the window before it is photographed.
        live: Taken while the batch runs (else after every run ended).
        height: The window's height for this page, in CSS pixels.
        prepare: JavaScript run before every look at the page, doing what a user would
            (scroll, type a search); it must be harmless to run again.
        settle: Seconds the page must keep showing its texts before the picture (the run
            graph, drawn on a canvas, takes a few).
    """

    name: str
    route: str
    expect: tuple[str, ...]
    live: bool = False
    height: int = WINDOW[1]
    prepare: str | None = None
    settle: float = SETTLE_SECONDS


def search_for(placeholder: str, text: str) -> str:
    """JavaScript that types `text` into the input with this placeholder, once."""
    return f"""(() => {{
  const input = document.querySelector('input[placeholder="{placeholder}"]');
  if (!input || input.value === "{text}") return;
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
  setter.call(input, "{text}");
  input.dispatchEvent(new Event("input", {{ bubbles: true }}));
}})()"""


def scroll_to(text: str) -> str:
    """JavaScript that scrolls the page (and any table) to the element that shows `text`."""
    return f"""(() => {{
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {{
    if (node.data.includes({json.dumps(text)})) {{
      node.parentElement.scrollIntoView({{ block: "nearest", inline: "end" }});
      return;
    }}
  }}
}})()"""


SHOTS = (
    Shot(
        "batch-running",
        "/runs/flow-run/{batch_run}",
        ("Running", f"Waiting for a slot of kling-video-{CONCURRENCY_KEY}"),
        live=True,
        height=1300,
        settle=4.0,
    ),
    Shot(
        "batch-progress",
        "/artifacts/artifact/{batch_progress}",
        ("2 in flight; 1 queued; waiting for a slot",),
        live=True,
        height=600,
    ),
    Shot(
        "concurrency-limits",
        "/concurrency-limits",
        (f"kling-video-{CONCURRENCY_KEY}",),
        live=True,
        height=600,
    ),
    Shot(
        "runs",
        "/runs",
        ("1 of 3 failed", "kling-batch-generate", "kling-generate-video"),
        height=1000,
    ),
    Shot(
        "batch-run",
        "/runs/flow-run/{batch_run}?tab=TaskRuns",
        ("1 of 3 failed", "Failed", "kling-batch-item"),
        height=1000,
        prepare=search_for("Search by run name", "kling-batch-item"),
        settle=3.0,
    ),
    Shot(
        "batch-artifacts",
        "/runs/flow-run/{batch_run}?tab=Artifacts",
        ("kling-batch-progress", "TABLE"),
        height=1150,
        settle=3.0,
    ),
    Shot(
        "batch-table",
        "/artifacts/artifact/{batch_table}",
        ("1 failed, 2 succeeded", FAILING_ITEM, "failed"),
        height=600,
    ),
    Shot(
        "batch-table-error",
        "/artifacts/artifact/{batch_table}",
        (FAILURE_REASON,),
        height=600,
        prepare=scroll_to(FAILURE_REASON),
    ),
    Shot(
        "failed-item",
        "/runs/task-run/{failed_item}",
        ("Failed", FAILURE_REASON),
    ),
    Shot(
        "task-summary",
        "/artifacts/artifact/{task_summary}",
        ("text2video", "succeed", OUTPUT),
        height=1300,
    ),
    Shot(
        "events",
        "/events?resource={failed_resource}",
        ("kling.task.failed", "kling.task.running", "kling.task.submitted"),
        height=1280,
    ),
    Shot(
        "event-failed",
        "/events/event/{failed_event_date}/{failed_event}?tab=raw",
        ("kling.task.failed", FAILURE_REASON),
    ),
)
"""The pages photographed, in the order taken (the live ones during the batch)."""


class ScreenshotError(RuntimeError):
    """The run or a page did not show what the pictures must show."""


_STARTED = time.monotonic()


def say(message: str) -> None:
    """Print a line of progress, after the seconds since the script started."""
    print(f"[{time.monotonic() - _STARTED:4.0f} s] {message}", flush=True)


def free_port() -> int:
    """A TCP port free on loopback at the time of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def shrink(png: bytes, limit: int = MAX_BYTES) -> bytes:
    """A PNG of the picture, as small as its looks allow and at most `limit` bytes.

    Screenshots hold few colours: 256 of them keep text and badges sharp, at a third of
    the size. A picture still too large is scaled down.

    Args:
        png: The picture, as a PNG.
        limit: The largest size, in bytes.

    Returns:
        The picture as an optimised PNG.
    """
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    while True:
        reduced = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=0)
        buffer = io.BytesIO()
        reduced.save(buffer, format="PNG", optimize=True)
        if buffer.tell() <= limit or image.width < 400:
            return buffer.getvalue()
        image = image.resize((image.width * 9 // 10, image.height * 9 // 10), Image.LANCZOS)


def stop_process(process: subprocess.Popen[Any], timeout: float) -> None:
    """Ask a process to end; kill it when it has not after `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def fill(template: str, ids: dict[str, str]) -> str:
    """A route or an expected text with its `{placeholders}` filled in.

    Raises:
        ScreenshotError: The run left a placeholder without a value.
    """
    try:
        return template.format(**ids)
    except KeyError as missing:
        raise ScreenshotError(f"no value for {missing} in {template}") from None


def clean_environment(home: Path, api_url: str) -> dict[str, str]:
    """This process's environment without Prefect or Kling settings, pointed at the server.

    Args:
        home: The temporary `PREFECT_HOME`.
        api_url: The server's API URL.
    """
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "KLING_"))
    }
    environment.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    return environment


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """`prefect server start` on a free loopback port; yields the API URL once it answers.

    Args:
        home: Its `PREFECT_HOME` (database and `server.log`).

    Raises:
        ScreenshotError: The server stopped, or did not answer in time.
    """
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    environment = {
        **clean_environment(home, api_url),
        # Events show on their pages a second after the fact (Prefect's default: 5 s).
        "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL": "1",
        # A run refused a slot asks again within 2 s (up to 30 s by default).
        "PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS": "2",
        # Prefect's own upgrade prompts are not part of what the pictures show.
        "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
    }
    log_path = home / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*PREFECT_SERVER, "--host", "127.0.0.1", "--port", str(port)],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + SERVER_TIMEOUT_SECONDS
            while not _answers(f"{api_url}/health"):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-2000:]
                    raise ScreenshotError(f"the Prefect server did not start:\n{tail}")
                time.sleep(0.2)
            yield api_url
        finally:
            stop_process(process, timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def ui_base(api_url: str) -> str:
    """The URL of the UI that the server opens by default (`/v2` on Prefect 3.9, else `/`)."""
    server = api_url.removesuffix("/api")
    try:
        settings = httpx.get(f"{server}/ui-settings", timeout=10).json()
    except (httpx.HTTPError, ValueError):
        return server
    base = settings.get(f"{settings.get('default_ui')}_base_url") or "/"
    return server + base.rstrip("/")


class Browser:
    """Headless Chromium, driven over the DevTools protocol.

    Args:
        executable: The `chromium` program.
        profile: A folder of its own for the browser's profile.
    """

    def __init__(self, executable: str, profile: Path) -> None:
        self.executable = executable
        self.profile = profile
        self._process: subprocess.Popen[bytes] | None = None
        self._socket: Any = None
        self._log: Any = None
        self._next_id = 0
        self._lock = threading.Lock()

    def __enter__(self) -> Browser:
        from websockets.sync.client import connect

        self.profile.mkdir(parents=True, exist_ok=True)
        self._log = (self.profile / "chromium.log").open("wb")
        width, height = WINDOW
        self._process = subprocess.Popen(
            [
                self.executable,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={width},{height}",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--mute-audio",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        try:
            port_file = self.profile / "DevToolsActivePort"
            deadline = time.monotonic() + 30
            while not port_file.exists() or not port_file.read_text().strip():
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise ScreenshotError(f"{self.executable} did not start its DevTools server")
                time.sleep(0.1)
            port = port_file.read_text().split()[0]
            targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
            page = next(target for target in targets if target["type"] == "page")
            self._socket = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        process, self._process = self._process, None
        if process is not None:
            stop_process(process, timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events met meanwhile are dropped).

        Raises:
            ScreenshotError: The browser answered with an error.
        """
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
            while True:
                message = json.loads(self._socket.recv(timeout=60))
                if message.get("id") == ident:
                    break
        if "error" in message:
            raise ScreenshotError(f"{method}: {message['error'].get('message')}")
        return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        return result.get("result", {}).get("value")

    def look(self, shot: Shot) -> dict[str, Any]:
        """Do the shot's `prepare`, then return which of its texts are not visible yet.

        Returns:
            `missing` (texts), `loading` (placeholders on the page) and `text` (its start).
        """
        if shot.prepare:
            self.evaluate(shot.prepare)
        arguments = f"{json.dumps(list(shot.expect))}, {json.dumps(LOADING)}"
        state = self.evaluate(f"({PAGE_STATE})({arguments})")
        return json.loads(state) if state else {"missing": shot.expect, "loading": 0, "text": ""}

    def photograph(self, url: str, shot: Shot) -> bytes:
        """Open the page, wait until it shows `shot.expect` and has loaded, return a PNG.

        The picture is taken once two looks `shot.settle` seconds apart found every text
        visible and no loading placeholder (or the placeholders stayed `QUIET_SECONDS`).
        A page still missing a text after `RELOAD_SECONDS` is loaded again.

        Raises:
            ScreenshotError: The texts were not all visible within `PAGE_TIMEOUT_SECONDS`.
        """
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=WINDOW[0],
            height=shot.height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Page.navigate", url=url)
        loaded = time.monotonic()
        deadline = loaded + PAGE_TIMEOUT_SECONDS
        shown_since: float | None = None
        ready_since: float | None = None
        while True:
            time.sleep(0.25)
            state = self.look(shot)
            now = time.monotonic()
            if state["missing"]:
                shown_since = ready_since = None
                if now > deadline:
                    raise ScreenshotError(
                        f"page {shot.name!r} ({url}) does not show {state['missing']};"
                        f" it shows:\n{state['text']}"
                    )
                if now - loaded > RELOAD_SECONDS:  # the UI does not poll every page
                    self.call("Page.reload")
                    loaded = now
                continue
            shown_since = shown_since or now
            if state["loading"] and now - shown_since < QUIET_SECONDS:
                ready_since = None
                continue
            ready_since = ready_since or now
            if now - ready_since >= shot.settle:
                break
        self.evaluate("document.fonts.ready.then(() => true)")
        picture = self.call("Page.captureScreenshot", format="png")
        return base64.b64decode(picture["data"])


@dataclass
class Photographer:
    """Takes the shots into a folder, with the ids the runs made.

    Attributes:
        browser: The browser.
        base: The UI's base URL.
        out: The folder of the pictures.
        ids: Values for the routes' placeholders.
        saved: The pictures saved so far.
    """

    browser: Browser
    base: str
    out: Path
    ids: dict[str, str] = field(default_factory=dict)
    saved: list[Path] = field(default_factory=list)

    def take(self, live: bool) -> None:
        """Photograph every shot of the kind (live or after the runs) and save it."""
        for shot in SHOTS:
            if shot.live is not live:
                continue
            url = self.base + fill(shot.route, self.ids)
            expect = tuple(fill(text, self.ids) for text in shot.expect)
            started = time.monotonic()
            png = shrink(self.browser.photograph(url, replace(shot, expect=expect)))
            path = self.out / f"{shot.name}.png"
            path.write_bytes(png)
            self.saved.append(path)
            say(
                f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
                f" ({len(png) // 1000} KB, {time.monotonic() - started:.1f} s)"
            )


class Api:
    """The few reads of the Prefect REST API that name what to photograph.

    Args:
        api_url: The server's API URL.
    """

    def __init__(self, api_url: str) -> None:
        self.client = httpx.Client(base_url=api_url, timeout=30)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST a filter; return the decoded answer."""
        response = self.client.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def artifact(self, flow_run: str, key: str) -> dict[str, Any]:
        """The flow run's artifact under `key` (the newest, when several).

        Raises:
            ScreenshotError: The run has no such artifact.
        """
        found = self.post(
            "/artifacts/filter",
            {
                "artifacts": {"flow_run_id": {"any_": [flow_run]}, "key": {"any_": [key]}},
                "sort": "CREATED_DESC",
            },
        )
        if not found:
            raise ScreenshotError(f"flow run {flow_run} has no artifact {key!r}")
        return found[0]

    def artifact_like(self, flow_run: str, prefix: str) -> dict[str, Any]:
        """The flow run's first artifact whose key starts with `prefix`."""
        found = self.post("/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [flow_run]}}})
        for artifact in found:
            if (artifact.get("key") or "").startswith(prefix):
                return artifact
        raise ScreenshotError(f"flow run {flow_run} has no artifact {prefix}*")

    def task_runs(self, flow_run: str) -> list[dict[str, Any]]:
        """The flow run's task runs."""
        return self.post("/task_runs/filter", {"flow_runs": {"id": {"any_": [flow_run]}}})

    def event(self, name: str, timeout: float = 30) -> dict[str, Any]:
        """The newest event of this name, once the server has stored one.

        Raises:
            ScreenshotError: None came within `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self.post(
                "/events/filter", {"filter": {"event": {"name": [name]}}, "limit": 5}
            )["events"]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise ScreenshotError(f"no {name} event reached the Prefect server")
            time.sleep(0.5)


def create_limit(api: Api, name: str, slots: int) -> None:
    """Create a global concurrency limit, as `prefect gcl create NAME --limit SLOTS` does."""
    api.post("/v2/concurrency_limits/", {"name": name, "limit": slots})


def run_flows(api: Api, photographer: Photographer, workdir: Path) -> tuple[Any, Any]:
    """Run the batch (taking the live shots while it runs) and one `generate_video`.

    Args:
        api: The Prefect API.
        photographer: Takes the live shots, and gets the ids the later shots need.
        workdir: The working folder of the runs (their output folder is relative to it).

    Returns:
        The batch's final state and the single run's.

    Raises:
        ScreenshotError: A run did not end as the pictures must show it.
    """
    from prefect.runtime import flow_run

    from prefect_kling.endpoints import Family
    from prefect_kling.flows import batch_generate, generate_video
    from prefect_kling.simulator import KlingSimulator, SimulatorConfig

    config = SimulatorConfig(queue_seconds=1.0, processing_seconds=PROCESSING_SECONDS)
    with KlingSimulator(config) as sim:
        credentials = sim.credentials("kling").model_copy(
            update={"concurrency_key": CONCURRENCY_KEY}
        )
        create_limit(api, Family.VIDEO.limit_name(credentials.account), LIVE_SLOTS)
        live = LiveShots(photographer, api, lambda: str(flow_run.id))
        try:
            say("Running the batch (3 prompts, one that Kling fails)...")
            batch = batch_generate(
                BATCH,
                credentials=credentials,
                output=OUTPUT,
                max_concurrency=3,
                poll_interval_seconds=0.5,
                on_status=live.on_status,
                return_state=True,
            )
            live.check()
            say(f"  ended {batch.type.value}, named {batch.name!r}")
            say("Running generate_video...")
            sim.configure(processing_seconds=4.0)  # no page is taken while it runs
            single = generate_video(
                SINGLE,
                credentials=credentials,
                output=OUTPUT,
                poll_interval_seconds=0.5,
                return_state=True,
            )
        finally:
            drain()  # while the server is up: every log line and event reaches it
    check_batch(batch, workdir)
    if not single.is_completed():
        raise ScreenshotError(f"generate_video ended {single.type.value}: {single.message}")
    return batch, single


class LiveShots:
    """The batch's `on_status`: starts the live shots once `LIVE_SLOTS` tasks process.

    The shots are taken in a thread of their own, so the batch goes on as it would: its
    tasks process for `PROCESSING_SECONDS`, long enough for the shots, and the pages show
    its true times.

    Args:
        photographer: Takes the shots.
        api: The Prefect API.
        flow_run_id: Reads the batch's flow run id (in a thread of the run).
    """

    def __init__(
        self, photographer: Photographer, api: Api, flow_run_id: Callable[[], str]
    ) -> None:
        self.photographer = photographer
        self.api = api
        self.flow_run_id = flow_run_id
        self.processing: set[str] = set()
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def on_status(self, task: Any, _elapsed: float) -> None:
        """Called on every status change of every item's task."""
        if task.status != "processing":
            return
        with self._lock:
            self.processing.add(task.task_id)
            if len(self.processing) < LIVE_SLOTS or self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._take, args=(self.flow_run_id(),), name="live-shots", daemon=True
            )
        self._thread.start()

    def _take(self, run: str) -> None:
        try:
            self.photographer.ids["batch_run"] = run
            progress = self.api.artifact(run, "kling-batch-progress")
            self.photographer.ids["batch_progress"] = progress["id"]
            say("Photographing the running batch...")
            self.photographer.take(live=True)
        except BaseException as error:  # raised again by `check`, after the batch
            self.error = error

    def check(self) -> None:
        """Wait for the live shots; raise what went wrong while taking them, if anything.

        Raises:
            ScreenshotError: The shots were never taken, or failed.
        """
        if self._thread is None:
            raise ScreenshotError(f"the batch never had {LIVE_SLOTS} tasks processing")
        self._thread.join()
        if self.error is not None:
            raise self.error


def drain() -> None:
    """Wait until the runs' logs and events have been sent to the Prefect server."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=30)
    EventsWorker.drain_all(timeout=30)


def check_batch(state: Any, workdir: Path) -> None:
    """Check that the batch ended as the pictures must show it.

    One of its three items failed with Kling's reason, the run says so in its state's name,
    and the saved files have absolute paths.

    Raises:
        ScreenshotError: It did not.
    """
    report = state.result(raise_on_failure=False)
    problems = []
    if state.name != "1 of 3 failed":
        problems.append(f"the run ended {state.type.value} {state.name!r}")
    statuses = {outcome.name: outcome.status for outcome in report.outcomes}
    wanted = {item["name"]: "succeeded" for item in BATCH} | {FAILING_ITEM: "failed"}
    if statuses != wanted:
        errors = [f"{o.name}: {o.error}" for o in report.outcomes if o.error]
        problems.append(f"the items ended {statuses}, not {wanted} ({errors})")
    failing = next(o for o in report.outcomes if o.name == FAILING_ITEM)
    if FAILURE_REASON not in (failing.error or ""):
        problems.append(f"the failed item's error is {failing.error!r}")
    for outcome in report.outcomes:
        for saved in outcome.files:
            path = Path(saved.path)
            if not path.is_absolute() or not path.is_relative_to(workdir.resolve()):
                problems.append(f"{outcome.name} saved {saved.path}, not under {workdir}")
    if problems:
        raise ScreenshotError("the batch did not end as the pictures show: " + "; ".join(problems))


def later_ids(api: Api, batch: Any, single: Any) -> dict[str, str]:
    """The ids that the pages after the runs show: artifacts, the failed item, its event."""
    batch_run = str(batch.state_details.flow_run_id)
    single_run = str(single.state_details.flow_run_id)
    failed = [
        run
        for run in api.task_runs(batch_run)
        if run["name"].startswith("kling-batch-item") and run["state_type"] == "FAILED"
    ]
    if len(failed) != 1:
        raise ScreenshotError(f"the batch has {len(failed)} failed item task runs, not 1")
    event = api.event("kling.task.failed")
    occurred = datetime.fromisoformat(event["occurred"].replace("Z", "+00:00")).astimezone()
    return {
        "batch_run": batch_run,
        "batch_table": api.artifact(batch_run, "kling-batch")["id"],
        "task_summary": api.artifact_like(single_run, "kling-task-")["id"],
        "failed_item": failed[0]["id"],
        "failed_event": event["id"],
        "failed_event_date": occurred.date().isoformat(),
        "failed_resource": quote(json.dumps([event["resource"]["prefect.resource.id"]])),
    }


def find_chromium() -> str:
    """The `chromium` program (or `$CHROMIUM`).

    Raises:
        ScreenshotError: There is none.
    """
    program = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not program:
        raise ScreenshotError(
            "no chromium: install Debian's (`apt-get install chromium`) or set CHROMIUM"
        )
    return program


def main(argv: list[str] | None = None) -> int:
    """Run the flows, take the pictures; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"default: {OUT}")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    started = time.monotonic()
    try:
        chromium = find_chromium()
        with ExitStack() as stack:
            scratch = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="prefect-kling-shots-"))
            )
            home = scratch / "prefect-home"
            home.mkdir()
            say(f"Starting a Prefect server (PREFECT_HOME={home})...")
            api_url = stack.enter_context(prefect_server(home))
            # Before Prefect is imported here: the flows report to this server.
            os.environ.clear()
            os.environ.update(clean_environment(home, api_url))
            # The flows' logs go to the server; the terminal shows this script's lines.
            os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "CRITICAL"
            base = ui_base(api_url)
            say(f"  {base}")
            browser = stack.enter_context(Browser(chromium, scratch / "chromium"))
            api = Api(api_url)
            stack.callback(api.client.close)
            out.mkdir(parents=True, exist_ok=True)
            photographer = Photographer(browser, base, out)
            workdir = scratch / "work"
            workdir.mkdir()
            # The start of the files' absolute paths: the table shows no more of them.
            photographer.ids["files_folder"] = str(Path(*workdir.resolve().parts[:2]))
            stack.callback(os.chdir, Path.cwd())
            os.chdir(workdir)
            batch, single = run_flows(api, photographer, workdir)
            photographer.ids.update(later_ids(api, batch, single))
            say("Photographing the ended runs...")
            photographer.take(live=False)
    except ScreenshotError as error:
        print(f"screenshots: {error}", file=sys.stderr)
        return 1
    say(f"{len(photographer.saved)} pictures in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
