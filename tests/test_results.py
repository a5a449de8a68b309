import doctest
import hashlib
import json
import logging
import os
import random
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prefect.filesystems import LocalFileSystem

from prefect_kling import results
from prefect_kling._retry import RetryPolicy
from prefect_kling.exceptions import KlingError, KlingTaskFailed, KlingTransportError
from prefect_kling.models.tasks import KlingTask, TaskReference
from prefect_kling.results import SavedFile, download_file, result_file_name, save_task_results

TASK_ID = "867283741759111202"
REF = TaskReference(task_id=TASK_ID, endpoint="text2video", provider="kling")
POLICY = RetryPolicy(max_attempts=3, base_delay=1.0, jitter=0)

VIDEO_URL = "https://cdn.test/evil/../../x.exe?sig=secret"
VIDEO_WM_URL = "https://cdn.test/wm/video.bin"
IMAGE_URLS = ["https://cdn.test/img/a.webp", "https://cdn.test/img/b"]

Fault = Callable[[bytes], httpx.Response]


def payload(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pieces(body: bytes, size: int = 4096) -> Iterator[bytes]:
    """The body as a stream, in pieces, as a network delivers it."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


class FakeCDN:
    """Serves bytes by path; scripted faults per path are answered first, in order."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str | None]] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[httpx.Request] = []

    def serve(self, url: str, body: bytes, content_type: str | None = None) -> bytes:
        self.files[httpx.URL(url).path] = (body, content_type)
        return body

    def fail(self, url: str, *faults: Fault) -> None:
        self.faults.setdefault(httpx.URL(url).path, []).extend(faults)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path not in self.files:
            return httpx.Response(404)
        body, content_type = self.files[path]
        if self.faults.get(path):
            return self.faults[path].pop(0)(body)
        headers = {"Content-Length": str(len(body))}
        if content_type:
            headers["Content-Type"] = content_type
        return httpx.Response(200, content=pieces(body), headers=headers)

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self), **kwargs)


def short_body(body: bytes) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Length": str(len(body))}, content=body[:-7])


def long_body(body: bytes) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Length": str(len(body))}, content=body + b"x")


def dropped_mid_stream(body: bytes) -> httpx.Response:
    def chunks() -> Iterator[bytes]:
        yield body[:1000]
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    return httpx.Response(200, headers={"Content-Length": str(len(body))}, content=chunks())


def status(code: int, **headers: str) -> Fault:
    return lambda body: httpx.Response(code, headers=headers)


def video_task(*, watermark_url: str | None = None) -> KlingTask:
    return KlingTask.model_validate(
        {
            "task_id": TASK_ID,
            "task_status": "succeed",
            "task_result": {
                "videos": [
                    {
                        "id": "v-1",
                        "url": VIDEO_URL,
                        "duration": "5.1",
                        "watermark_url": watermark_url,
                    }
                ]
            },
        }
    )


def image_task(*urls: str, index: list[int] | None = None) -> KlingTask:
    indexes = index if index is not None else list(range(len(urls)))
    return KlingTask.model_validate(
        {
            "task_id": TASK_ID,
            "task_status": "succeed",
            "task_result": {
                "images": [{"index": i, "url": u} for i, u in zip(indexes, urls, strict=True)]
            },
        }
    )


@pytest.fixture
def cdn() -> FakeCDN:
    return FakeCDN()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def save(cdn: FakeCDN, sleeps: list[float]) -> Callable[..., list[SavedFile]]:
    def run(task: KlingTask, destination, **kwargs) -> list[SavedFile]:
        kwargs.setdefault("retry_policy", POLICY)
        kwargs.setdefault("chunk_size", 4096)
        with cdn.client() as http:
            return save_task_results(
                task, REF, destination, http=http, sleep=sleeps.append, **kwargs
            )

    return run


def names(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


MANIFEST = f"text2video-{TASK_ID}.json"


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "watermark", "suffix", "expected"),
    [
        ("video", False, ".mp4", f"text2video-{TASK_ID}-0.mp4"),
        ("video", True, ".mp4", f"text2video-{TASK_ID}-0-watermark.mp4"),
        ("image", False, ".PNG", f"text2video-{TASK_ID}-0.png"),
    ],
)
def test_result_file_name(kind, watermark, suffix, expected):
    assert result_file_name(REF, kind, 0, watermark=watermark, suffix=suffix) == expected


@pytest.mark.parametrize("suffix", ["mp4", "./x", ".mp4/../../x", ""])
def test_result_file_name_refuses_bad_suffixes(suffix):
    with pytest.raises(ValueError, match="suffix"):
        result_file_name(REF, "video", 0, suffix=suffix)


def test_result_file_name_cannot_leave_the_folder():
    odd = TaskReference(task_id="../../etc/passwd", endpoint="a/b", provider="kling")
    name = result_file_name(odd, "image", 3, suffix=".png")
    assert "/" not in name and not name.startswith(".")


# --- saving ----------------------------------------------------------------------------------


def test_video_saved_under_a_name_from_the_task_not_the_url(cdn, save, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(300_000, 1), "video/mp4")

    [saved] = save(video_task(), tmp_path / "out")

    target = tmp_path / "out" / f"text2video-{TASK_ID}-0.mp4"
    assert saved == SavedFile(
        path=str(target),
        bytes=len(body),
        sha256=sha(body),
        url=VIDEO_URL,
        kind="video",
        index=0,
        video_id="v-1",
        duration="5.1",
    )
    assert target.read_bytes() == body
    assert names(tmp_path / "out") == {target.name, MANIFEST}
    assert not (tmp_path / "x.exe").exists()


def test_saved_files_get_the_usual_permissions(cdn, save, tmp_path):
    cdn.serve(VIDEO_URL, payload(100, 24), "video/mp4")
    umask = os.umask(0)
    os.umask(umask)

    [saved] = save(video_task(), tmp_path)

    assert stat.S_IMODE(Path(saved.path).stat().st_mode) == 0o666 & ~umask


def test_images_take_their_suffix_from_the_content_type_else_png(cdn, save, tmp_path):
    webp = cdn.serve(IMAGE_URLS[0], payload(5000, 2), "image/webp; charset=binary")
    unknown = cdn.serve(IMAGE_URLS[1], payload(6000, 3), "application/octet-stream")

    saved = save(image_task(*IMAGE_URLS), tmp_path)

    assert [Path(s.path).name for s in saved] == [
        f"text2video-{TASK_ID}-0.webp",
        f"text2video-{TASK_ID}-1.png",
    ]
    assert [(s.kind, s.index, s.bytes, s.sha256) for s in saved] == [
        ("image", 0, len(webp), sha(webp)),
        ("image", 1, len(unknown), sha(unknown)),
    ]
    assert Path(saved[1].path).read_bytes() == unknown


def test_images_numbered_twice_alike_are_numbered_by_position(cdn, save, tmp_path):
    for url in IMAGE_URLS:
        cdn.serve(url, payload(100, 4), "image/png")

    saved = save(image_task(*IMAGE_URLS, index=[0, 0]), tmp_path)

    assert [s.index for s in saved] == [0, 1]


@pytest.mark.parametrize("watermark", [False, True])
def test_watermark_variants_only_when_asked(cdn, save, tmp_path, watermark):
    cdn.serve(VIDEO_URL, payload(1000, 5), "video/mp4")
    marked = cdn.serve(VIDEO_WM_URL, payload(1200, 6))

    saved = save(video_task(watermark_url=VIDEO_WM_URL), tmp_path, watermark=watermark)

    assert [s.watermark for s in saved] == ([False, True] if watermark else [False])
    assert len(cdn.requests) == len(saved)
    if watermark:
        assert Path(saved[1].path).name == f"text2video-{TASK_ID}-0-watermark.mp4"
        assert saved[1].sha256 == sha(marked) and saved[1].video_id == "v-1"


def test_watermark_asked_but_absent_saves_the_plain_file(cdn, save, tmp_path):
    cdn.serve(VIDEO_URL, payload(1000, 5), "video/mp4")

    assert [s.watermark for s in save(video_task(), tmp_path, watermark=True)] == [False]


# --- broken transfers ------------------------------------------------------------------------


def test_short_body_is_retried_then_succeeds(cdn, save, sleeps, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(50_000, 7), "video/mp4")
    cdn.fail(VIDEO_URL, short_body)

    [saved] = save(video_task(), tmp_path)

    assert len(cdn.requests) == 2
    assert sleeps == [1.0]
    assert Path(saved.path).read_bytes() == body and saved.sha256 == sha(body)
    assert names(tmp_path) == {Path(saved.path).name, MANIFEST}


@pytest.mark.parametrize("fault", [short_body, long_body])
def test_wrong_length_every_time_fails_and_leaves_nothing(cdn, save, sleeps, tmp_path, fault):
    cdn.serve(VIDEO_URL, payload(50_000, 8), "video/mp4")
    cdn.fail(VIDEO_URL, fault, fault, fault)

    with pytest.raises(KlingTransportError, match="gave up after 3 attempts") as caught:
        save(video_task(), tmp_path)

    assert "announced" in str(caught.value) and "sig=secret" not in str(caught.value)
    assert len(cdn.requests) == 3
    assert sleeps == [1.0, 2.0]
    assert names(tmp_path) == set()


def test_connection_dropped_mid_stream_is_retried(cdn, save, sleeps, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(50_000, 9), "video/mp4")
    cdn.fail(VIDEO_URL, dropped_mid_stream)

    [saved] = save(video_task(), tmp_path)

    assert len(cdn.requests) == 2 and sleeps == [1.0]
    assert Path(saved.path).read_bytes() == body


def test_server_errors_are_retried_honouring_retry_after(cdn, save, sleeps, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(1000, 10), "video/mp4")
    cdn.fail(VIDEO_URL, status(503, **{"Retry-After": "7"}), status(502))

    [saved] = save(video_task(), tmp_path)

    assert sleeps == [7.0, 2.0]
    assert saved.sha256 == sha(body)


def test_timeouts_are_retried(cdn, save, sleeps, tmp_path):
    cdn.serve(VIDEO_URL, payload(1000, 11), "video/mp4")

    def timeout(body: bytes) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    cdn.fail(VIDEO_URL, timeout)

    assert save(video_task(), tmp_path)[0].bytes == 1000
    assert sleeps == [1.0]


@pytest.mark.parametrize("code", [403, 404, 410])
def test_expired_link_is_final_and_says_so(cdn, save, sleeps, tmp_path, code):
    cdn.serve(VIDEO_URL, b"never served", "video/mp4")
    cdn.fail(VIDEO_URL, status(code))

    with pytest.raises(KlingError, match="expired") as caught:
        save(video_task(), tmp_path)

    message = str(caught.value)
    assert not isinstance(caught.value, KlingTransportError)
    assert f"HTTP {code}" in message and "30 days" in message
    assert (
        TASK_ID in message
        and "https://cdn.test/evil/../../x.exe" in message
        and "sig=" not in message
    )
    assert len(cdn.requests) == 1 and sleeps == []
    assert names(tmp_path) == set()


def test_a_failure_after_some_files_keeps_them_for_the_rerun(cdn, save, tmp_path):
    cdn.serve(IMAGE_URLS[0], payload(500, 12), "image/png")
    task = image_task(*IMAGE_URLS)  # the second link is missing: 404

    with pytest.raises(KlingError, match="expired"):
        save(task, tmp_path)
    cdn.serve(IMAGE_URLS[1], payload(600, 13), "image/png")
    cdn.requests.clear()
    saved = save(task, tmp_path)

    assert [r.url.path for r in cdn.requests] == ["/img/b"]
    assert len(saved) == 2


# --- reruns ----------------------------------------------------------------------------------


def test_rerun_with_the_manifest_downloads_nothing(cdn, save, tmp_path):
    cdn.serve(VIDEO_URL, payload(20_000, 14), "video/mp4")
    cdn.serve(VIDEO_WM_URL, payload(21_000, 15), "video/mp4")
    task = video_task(watermark_url=VIDEO_WM_URL)
    first = save(task, tmp_path, watermark=True)
    cdn.requests.clear()

    again = save(task, tmp_path, watermark=True)

    assert cdn.requests == []
    assert again == first


def test_manifest_records_each_file(cdn, save, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(2000, 16), "video/mp4")
    save(video_task(), tmp_path)

    manifest = json.loads((tmp_path / MANIFEST).read_text())

    assert manifest["version"] == 1 and manifest["task_id"] == TASK_ID
    assert manifest["endpoint"] == "text2video"
    assert manifest["files"] == [
        {
            "name": f"text2video-{TASK_ID}-0.mp4",
            "bytes": len(body),
            "sha256": sha(body),
            "url": VIDEO_URL,
            "kind": "video",
            "index": 0,
            "watermark": False,
            "video_id": "v-1",
            "duration": "5.1",
        }
    ]


@pytest.mark.parametrize("damage", ["same size", "truncated", "deleted"])
def test_a_damaged_file_is_downloaded_again(cdn, save, tmp_path, damage):
    body = cdn.serve(VIDEO_URL, payload(20_000, 17), "video/mp4")
    [saved] = save(video_task(), tmp_path)
    target = Path(saved.path)
    if damage == "same size":
        target.write_bytes(bytes(len(body)))
    elif damage == "truncated":
        target.write_bytes(body[:100])
    else:
        target.unlink()
    cdn.requests.clear()

    [again] = save(video_task(), tmp_path)

    assert len(cdn.requests) == 1
    assert target.read_bytes() == body and again == saved


def test_an_unreadable_manifest_means_downloading_again(cdn, save, tmp_path):
    cdn.serve(VIDEO_URL, payload(2000, 18), "video/mp4")
    save(video_task(), tmp_path)
    (tmp_path / MANIFEST).write_text("{not json")
    cdn.requests.clear()

    save(video_task(), tmp_path)

    assert len(cdn.requests) == 1
    assert json.loads((tmp_path / MANIFEST).read_text())["task_id"] == TASK_ID


# --- destinations and clients ----------------------------------------------------------------


def test_local_filesystem_block_destination(cdn, save, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(30_000, 19), "video/mp4")
    block = LocalFileSystem(basepath=str(tmp_path / "block"))

    [saved] = save(video_task(), block)

    assert saved.path == f"text2video-{TASK_ID}-0.mp4"
    assert block.read_path(saved.path, _sync=True) == body
    assert names(tmp_path / "block") == {saved.path, MANIFEST}
    cdn.requests.clear()
    assert save(video_task(), block) == [saved]
    assert cdn.requests == []


async def test_block_destination_works_from_async_code(cdn, save, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(1000, 20), "video/mp4")
    block = LocalFileSystem(basepath=str(tmp_path))

    [saved] = save(video_task(), block)

    assert (tmp_path / saved.path).read_bytes() == body


def test_destination_of_another_type_is_refused(save):
    with pytest.raises(TypeError, match="WritableFileSystem"):
        save(video_task(), 42)


def test_credentials_of_the_given_client_are_not_sent(cdn, tmp_path):
    cdn.serve(VIDEO_URL, payload(100, 21), "video/mp4")
    with cdn.client(auth=("access", "secret")) as http:
        save_task_results(video_task(), REF, tmp_path, http=http)

    assert "authorization" not in cdn.requests[0].headers


def test_download_file_alone(cdn, sleeps, tmp_path):
    body = cdn.serve(VIDEO_URL, payload(10_000, 22))
    cdn.fail(VIDEO_URL, dropped_mid_stream)
    target = tmp_path / "a" / "b" / "clip.mp4"

    with cdn.client() as http:
        size, digest = download_file(
            http, VIDEO_URL, target, chunk_size=1000, retry_policy=POLICY, sleep=sleeps.append
        )

    assert (size, digest) == (len(body), sha(body))
    assert target.read_bytes() == body and names(target.parent) == {"clip.mp4"}


# --- tasks that cannot be saved --------------------------------------------------------------


def test_failed_task_raises_without_requests(cdn, save, tmp_path):
    task = KlingTask(task_id=TASK_ID, task_status="failed", task_status_msg="content")

    with pytest.raises(KlingTaskFailed):
        save(task, tmp_path)
    assert cdn.requests == []


def test_running_task_has_nothing_to_save(cdn, save, tmp_path):
    with pytest.raises(KlingError, match="processing"):
        save(KlingTask(task_id=TASK_ID, task_status="processing"), tmp_path)
    assert cdn.requests == []


def test_reference_of_another_task_is_refused(save, tmp_path):
    with pytest.raises(ValueError, match="does not match"):
        save(KlingTask(task_id="1", task_status="succeed"), tmp_path)


# --- logs and docs ---------------------------------------------------------------------------


def test_one_log_line_per_saved_file(cdn, save, tmp_path, caplog):
    body = cdn.serve(VIDEO_URL, payload(300_000, 23), "video/mp4")
    caplog.set_level(logging.INFO, logger="prefect_kling.results")

    save(video_task(), tmp_path)

    lines = [r.getMessage() for r in caplog.records if r.name == "prefect_kling.results"]
    assert lines == [f"Saved text2video-{TASK_ID}-0.mp4 (0.3 MB, sha256 {sha(body)[:12]}...)"]


def test_docstring_examples_run():
    assert doctest.testmod(results).failed == 0
