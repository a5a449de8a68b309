import hashlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventResourceFilter
from prefect.settings import get_current_settings

from prefect_kling.callbacks import callback_url, query_confirmer, running_receiver
from prefect_kling.cli import ProgressLine, main
from prefect_kling.media import make_png
from prefect_kling.models.kling_task import KlingTask
from tests.cli_processes import sigint_as_in_a_terminal
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY, canary_simulator
from tests.prefect_server import free_port

pytestmark = pytest.mark.e2e

FAST = ["--poll-interval", "0.05", "--max-wait", "60"]


@pytest.fixture(scope="module")
def sim():
    with canary_simulator(seed=11) as simulator:
        yield simulator


@pytest.fixture(params=["kling", "cometapi"])
def provider_env(request, sim, monkeypatch):
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    if request.param == "kling":
        monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
        monkeypatch.setenv("KLING_SECRET_KEY", SECRET_KEY)
    else:
        monkeypatch.setenv("KLING_PROVIDER", "cometapi")
        monkeypatch.setenv("KLING_API_KEY", API_KEY)
    return request.param


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def image(tmp_path: Path, name: str, seed: int) -> str:
    path = tmp_path / name
    path.write_bytes(make_png(800, 600, seed=seed))
    return str(path)


def assert_files_match(summary: dict) -> None:
    assert summary["files"]
    for file in summary["files"]:
        data = Path(file["path"]).read_bytes()
        assert len(data) == file["bytes"]
        assert hashlib.sha256(data).hexdigest() == file["sha256"]


def test_text2video_json(provider_env, sim, tmp_path):
    code, out, err = run(
        "text2video",
        "--prompt",
        f"a lighthouse at dusk ({provider_env})",
        "--duration",
        "5",
        "--mode",
        "std",
        "--output-dir",
        str(tmp_path),
        "--json",
        *FAST,
    )
    assert code == 0, err
    summary = json.loads(out)
    assert set(summary) == {
        "task_id",
        "external_task_id",
        "endpoint",
        "status",
        "status_message",
        "units",
        "reused",
        "finished_at",
        "files",
    }
    assert summary["reused"] is False and summary["finished_at"]
    assert (
        summary["endpoint"] == "text2video"
        and summary["status"] == "succeeded"
        and summary["units"] > 0
    )
    assert summary["files"][0]["path"].endswith(".mp4")
    assert Path(summary["files"][0]["path"]).read_bytes()[4:8] == b"ftyp"
    assert_files_match(summary)


def test_a_callback_url_replaces_polling(provider_env, sim, tmp_path):
    confirmed = []
    ask_kling = query_confirmer()  # the KLING_* variables, as `prefect-kling receiver` reads

    def confirm(endpoint, task_id):
        confirmed.append(task_id)
        return ask_kling(endpoint, task_id)

    with running_receiver("tok-cli", confirm=confirm) as receiver:
        before = sim.stats()
        code, out, err = run(
            "text2video",
            "--prompt",
            f"a kite over the dunes ({provider_env})",
            "--output-dir",
            str(tmp_path),
            "--max-wait",
            "60",  # the safety poll (300 s) is longer: only the receiver's events end it in time
            "--callback-url",
            callback_url(receiver, "tok-cli"),
            "--json",
        )
    assert code == 0, err
    assert json.loads(out)["status"] == "succeeded"
    after = sim.stats()
    # The flow's one confirming query, the receiver's one per callback (an unsigned callback
    # is a hint), and no lookup before the create.
    assert confirmed
    queries = (after.query_calls + after.list_calls) - (before.query_calls + before.list_calls)
    assert queries == 1 + len(confirmed)


def test_image2video_with_local_frames(provider_env, tmp_path):
    start, end = image(tmp_path, "a.png", 1), image(tmp_path, "b.png", 2)
    code, out, err = run(
        "image2video",
        "--image",
        start,
        "--image-tail",
        end,
        "--prompt",
        f"morph {provider_env}",
        "--output-dir",
        str(tmp_path / "out"),
        "--json",
        *FAST,
    )
    assert code == 0, err
    assert_files_match(json.loads(out))


def test_multi_image2video(provider_env, tmp_path):
    images = [image(tmp_path, f"{i}.png", i) for i in range(3)]
    argv = ["multi-image2video", "--prompt", f"they dance {provider_env}", "--model", "kling-v1-6"]
    for path in images:
        argv += ["--image", path]
    code, out, err = run(*argv, "--output-dir", str(tmp_path / "out"), "--json", *FAST)
    assert code == 0, err
    assert_files_match(json.loads(out))


def test_multi_image2image_saves_n_images(provider_env, tmp_path):
    argv = [
        "multi-image2image",
        "--prompt",
        f"a team photo {provider_env}",
        "--n",
        "2",
        "--subject",
        image(tmp_path, "s1.png", 1),
        "--subject",
        image(tmp_path, "s2.png", 2),
        "--scene",
        image(tmp_path, "scene.png", 3),
    ]
    code, out, err = run(*argv, "--output-dir", str(tmp_path / "out"), "--json", *FAST)
    assert code == 0, err
    summary = json.loads(out)
    assert [Path(f["path"]).suffix for f in summary["files"]] == [".png", ".png"]
    assert_files_match(summary)


def test_status_and_wait_resume_an_earlier_task(provider_env, sim, tmp_path):
    from prefect_kling import KlingCredentials

    with KlingCredentials.from_env().get_client() as client:
        reference = client.create("text2video", {"prompt": f"resume me {provider_env}"})
    creates = sim.stats().create_calls
    code, out, err = run("status", "text2video", reference.task_id)
    assert code == 0, err
    assert reference.task_id in out
    code, out, err = run("status", "text2video", reference.task_id, "--json")
    assert KlingTask.model_validate_json(out).task_id == reference.task_id
    code, out, err = run(
        "wait", "text2video", reference.task_id, "--output-dir", str(tmp_path), "--json", *FAST
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["task_id"] == reference.task_id
    assert_files_match(summary)
    assert sim.stats().create_calls == creates


def test_status_and_wait_take_the_command_name_of_an_endpoint(provider_env, sim, tmp_path):
    from prefect_kling import KlingCredentials

    with KlingCredentials.from_env().get_client() as client:
        reference = client.create("image-generation", {"prompt": f"a kite {provider_env}"})
    code, out, err = run("status", "image", reference.task_id)
    assert (code, err) == (0, "")
    assert out.startswith(f"Kling image-generation task {reference.task_id}: ")
    sim.advance(60)
    code, out, err = run("status", "image", reference.task_id)
    assert out.startswith(f"Kling image-generation task {reference.task_id}: succeeded, ")
    code, out, err = run("wait", "image", reference.task_id, "--output-dir", str(tmp_path), *FAST)
    assert code == 0, err
    code, out, err = run("status", "imag", reference.task_id)
    assert code == 2 and "unknown endpoint 'imag'" in err and "image-generation, " in err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["text2video", "--prompt", "fox", "--duration", "7"], "duration"),
        (["text2video", "--prompt", "fox", "--mode", "turbo"], "mode"),
        (["text2video", "--prompt", "x" * 2600], "prompt"),
        (["image2video", "--image", "/no/such/file.png"], "image"),
        (["multi-image2image", "--subject", "https://img.test/a.png", "--n", "12"], "n"),
        (["text2video", "--prompt", "   "], "prompt"),
    ],
)
def test_bad_input_exits_2_naming_the_field_with_nothing_sent(provider_env, sim, argv, named):
    before = sim.stats().create_calls
    code, out, err = run(*argv, *FAST)
    assert code == 2
    assert err.startswith("Invalid request") and f"{named}:" in err
    assert "Traceback" not in err and out == ""
    assert sim.stats().create_calls == before


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["status", "text2video", "../../etc/passwd"], "task_id"),
        (["status", "text2video", ""], "task_id"),
        (["wait", "text2video", "../x"], "task_id"),
        (["wait", "nope", "123"], "endpoint"),
        (["text2video", "--prompt", "fox", "--credentials", "no-such-block"], "credentials"),
        (["costs", "--pack", ""], "resource_pack_name"),
    ],
)
def test_bad_references_exit_2_naming_the_field_with_nothing_asked(provider_env, sim, argv, named):
    before = sim.stats().requests
    code, out, err = run(*argv)
    assert code == 2 and f"{named}:" in err
    assert "Traceback" not in err and out == ""
    assert sim.stats().requests == before


@pytest.mark.parametrize(
    "option",
    [["--max-units", "-1"], ["--max-units", "nan"], ["--max-wait", "0"], ["--poll-interval", "-2"]],
)
def test_numbers_that_must_be_positive_are_refused_by_the_parser(
    option: list[str], capsys: pytest.CaptureFixture[str]
):
    with pytest.raises(SystemExit) as exited:
        run("text2video", "--prompt", "fox", *option)
    assert exited.value.code == 2
    said = capsys.readouterr().err
    assert f"argument {option[0]}: {option[1]}; allowed: a number above 0" in said


def test_simulator_settings_out_of_range_exit_2_without_a_traceback():
    code, out, err = run("simulator", "--port", "0", "--fault-rate", "5")
    assert code == 2 and out == ""
    assert err == "Invalid request: simulator: fault_rate must be between 0 and 1, got 5.0\n"


def test_missing_credentials_exit_2_naming_the_variable(monkeypatch):
    for name in list(os.environ):
        if name.startswith("KLING_"):
            monkeypatch.delenv(name)
    code, _out, err = run("text2video", "--prompt", "fox")
    assert code == 2 and "KLING_ACCESS_KEY" in err and "Traceback" not in err


def test_remote_failure_exits_1_with_reason_and_task_id(provider_env, sim, tmp_path):
    code, _out, err = run(
        "text2video",
        "--prompt",
        f"a forbidden scene {provider_env}",
        "--output-dir",
        str(tmp_path),
        *FAST,
    )
    assert code == 1
    assert "failed" in err and "risk control" in err.lower()
    failed = [t for t in sim.tasks() if provider_env in str(t) and "forbidden" in str(t)]
    assert failed and str(failed[-1]["task_id"]) in err


def test_refused_content_exits_1_with_kling_code(provider_env, sim, tmp_path):
    code, _out, err = run(
        "text2video", "--prompt", f"refused {provider_env}", "--output-dir", str(tmp_path), *FAST
    )
    assert code == 1 and "1301" in err


def test_progress_line_renders_status_and_elapsed():
    now = [100.0]
    line = ProgressLine(io.StringIO(), clock=lambda: now[0])
    line.update(KlingTask(task_id="42", task_status="processing"), 3.0)
    now[0] += 12.4
    assert line.render() == "Kling task 42 processing, 12 s"


def _visible_lines(output: str) -> list[str]:
    """What a terminal shows of each line: the text after the last erase of the line."""
    return [line.split("\r\x1b[2K")[-1] for line in output.split("\n")]


def test_log_lines_scroll_above_the_progress_line_never_glued_onto_it():
    from prefect.logging.handlers import PrefectConsoleHandler

    terminal = io.StringIO()
    handler = PrefectConsoleHandler(stream=io.StringIO())
    logger = logging.getLogger("prefect.tests.progress-line")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with ProgressLine(terminal, force_terminal=True) as line:
            line.update(KlingTask(task_id="42", task_status="processing"), 1.0)
            line._live.refresh()
            logger.warning("Saved [one] file")  # brackets are no markup
            line._live.refresh()
        assert handler.console.file is not terminal  # its own console is back
    finally:
        logger.removeHandler(handler)

    shown = _visible_lines(terminal.getvalue())
    assert "Saved [one] file" in shown
    assert any(text.endswith("Kling task 42 processing, 0 s") for text in shown)
    assert terminal.getvalue().endswith("\x1b[1A\x1b[2K")  # at the end, the line is erased


def test_the_line_says_prefect_is_reached_before_the_task_is_created():
    from prefect_kling.cli.progress import prepare_prefect

    phases: list[str] = []

    class Recording(ProgressLine):
        def phase(self, text: str) -> None:
            phases.append(text)
            super().phase(text)

    with Recording(io.StringIO()) as line:
        prepare_prefect(line)
    assert phases == ["Connecting to Prefect at 127.0.0.1", "Creating the Kling task"]
    assert line.render() == "Creating the Kling task, 0 s"


@contextmanager
def cli_server(
    *argv: str, probe: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, list[str]]]:
    """Run `prefect-kling <argv> --port P` until the block ends; yield its base URL and,
    once it has stopped (Ctrl-C), what it printed."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect_kling.cli", *argv, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=sigint_as_in_a_terminal,
    )
    base_url, printed = f"http://127.0.0.1:{port}", []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base_url + probe, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if process.poll() is not None:
                    pytest.fail(f"prefect-kling {argv[0]} stopped: {process.stderr.read()}")
                assert time.monotonic() < deadline, f"prefect-kling {argv[0]}: no answer"
                time.sleep(0.1)
        yield base_url, printed
    finally:
        process.send_signal(signal.SIGINT)
        printed.append(process.communicate(timeout=30)[0])


def test_simulator_command_serves_until_interrupted():
    args = ("simulator", "--concurrency", "3", "--seed", "1")
    with cli_server(*args, probe="/_simulator/stats") as (base_url, printed):
        assert httpx.get(f"{base_url}/_simulator/stats").json()["tasks_created"] == 0
    assert base_url in printed[0]


def test_demo_saves_real_videos(tmp_path):
    code, out, err = run("demo", "--output-dir", str(tmp_path))
    assert code == 0, err
    videos = sorted(tmp_path.glob("*.mp4"))
    assert len(videos) == 2
    assert all(video.read_bytes()[4:8] == b"ftyp" for video in videos)
    assert "Prefect flow run:" in out and "prefect server start" in out


def test_receiver_command_turns_callbacks_into_events(sim):
    # Its events go to this session's Prefect API; its confirming queries to the simulator.
    env = {
        **os.environ,
        "PREFECT_API_URL": str(get_current_settings().api.url),
        "KLING_BASE_URL": sim.base_url,
        "KLING_ACCESS_KEY": ACCESS_KEY,
        "KLING_SECRET_KEY": SECRET_KEY,
    }
    with sim.credentials().get_client() as kling:
        task_id = kling.create("text2video", {"prompt": "a receiver's first task"}).task_id
    with cli_server("receiver", "--token", "tok-1", probe="/healthz", env=env) as (
        base_url,
        printed,
    ):
        url = f"{base_url}/kling/callbacks/tok-1?endpoint=text2video"
        claim = {"task_id": task_id, "task_status": "failed"}  # not what Kling will say
        assert httpx.post(url, json=claim).status_code == 204
        assert httpx.post(url.replace("tok-1", "guess"), json=claim).status_code == 404
        events = _events_of(task_id)
        assert len(events) == 1 and "kling.task.failed" not in events  # Kling's word, confirmed
    # The token given is not printed; the URL's shape is.
    assert "/kling/callbacks/<token>?endpoint=<endpoint>" in printed[0]
    assert "tok-1" not in printed[0]


def _events_of(task_id: str, timeout: float = 30.0) -> set[str]:
    """The names of the events a task's resource has on the Prefect API, once it has any."""
    deadline = time.monotonic() + timeout
    while True:
        # Made anew each time: a filter's time window ends when it is made.
        event_filter = EventFilter(resource=EventResourceFilter(id=[f"kling.task.{task_id}"]))
        with get_client(sync_client=True) as client:
            events = client.read_events(filter=event_filter, limit=10).events
        if events or time.monotonic() > deadline:
            return {event.event for event in events}
        time.sleep(0.1)


def flow_runs() -> int:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.count_flow_runs()


def run_to_the_end(argv: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the command whether the parser or a handler ends it; return its code and all it
    wrote on stdout and stderr (Prefect's own console output included)."""
    try:
        code, out, err = run(*argv)
    except SystemExit as exited:
        code, out, err = int(exited.code or 0), "", ""
    captured = capfd.readouterr()
    return code, out + err + captured.out + captured.err


@pytest.mark.parametrize("url", ["ftp://h/x", "http://", "not a url", "https://:8080/kling"])
def test_a_callback_url_option_that_is_no_http_url_exits_2_before_anything_is_sent(
    provider_env, sim, url, capfd
):
    before, runs = sim.stats().requests, flow_runs()
    code, said = run_to_the_end(["text2video", "--prompt", "fox", "--callback-url", url], capfd)
    assert code == 2
    assert "--callback-url" in said and "allowed: an http:// or https:// URL with a host" in said
    assert "Traceback" not in said
    assert sim.stats().requests == before and flow_runs() == runs  # refused before any run


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KLING_CALLBACK_URL", "ftp://h/x"),
        ("KLING_CALLBACK_URL", "http://"),
        ("KLING_BASE_URL", "not a url"),
    ],
)
def test_a_bad_url_variable_exits_2_naming_it(
    provider_env, sim, monkeypatch, variable, value, capfd
):
    monkeypatch.setenv(variable, value)
    before, runs = sim.stats().requests, flow_runs()
    code, said = run_to_the_end(["text2video", "--prompt", "fox"], capfd)
    assert code == 2 and f"{variable}: " in said and "Traceback" not in said
    assert "allowed: an http:// or https:// URL with a host" in said
    assert sim.stats().requests == before and flow_runs() == runs


@pytest.fixture
def api_key_env(sim, monkeypatch):
    """Only `KLING_API_KEY` and `KLING_BASE_URL`: Kling's own API key, no provider named."""
    for name in list(os.environ):
        if name.startswith("KLING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    monkeypatch.setenv("KLING_API_KEY", API_KEY)


@pytest.fixture
def authentications(monkeypatch) -> list[tuple[str, str, str]]:
    """(prefix, path, what the header held) for each request the simulator authenticates."""
    from prefect_kling.simulator.api import KlingApi

    seen: list[tuple[str, str, str]] = []
    authenticate = KlingApi.authenticate

    def spy(self, provider, request):
        header = request.headers.get("authorization", "")
        held = "api key" if header == f"Bearer {API_KEY}" else "other"
        seen.append((provider, request.url.path, held))
        return authenticate(self, provider, request)

    monkeypatch.setattr(KlingApi, "authenticate", spy)
    return seen


def test_an_api_key_alone_reaches_klings_own_api_as_a_bearer_key(
    api_key_env, authentications, sim, tmp_path
):
    code, out, err = run(
        "text2video",
        "--prompt",
        "a kite over the dunes (Kling API key)",
        "--output-dir",
        str(tmp_path),
        "--json",
        *FAST,
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "succeeded" and summary["files"]
    assert_files_match(summary)
    assert ("kling", "/v1/videos/text2video", "api key") in authentications
    assert {(prefix, held) for prefix, _path, held in authentications} == {("kling", "api key")}
    assert API_KEY not in out + err


def test_a_wrong_api_key_exits_1_with_klings_auth_error_without_the_key(
    api_key_env, sim, monkeypatch, tmp_path
):
    wrong = "ck-canary-WRONG-APIKEY-5e6f7a8b"
    monkeypatch.setenv("KLING_API_KEY", wrong)
    created = sim.stats().tasks_created
    code, out, err = run(
        "text2video", "--prompt", "a kite, wrong key", "--output-dir", str(tmp_path), *FAST
    )
    assert code == 1, err
    assert "1000" in err and "HTTP 401" in err and "Traceback" not in err
    assert wrong not in out + err and API_KEY not in out + err
    assert sim.stats().tasks_created == created
