"""A fake CDN and the tasks whose links it serves, for the download tests."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from prefect_kling._retry import RetryPolicy
from prefect_kling.models.kling_task import KlingTask, TaskReference

TASK_ID = "867283741759111202"
REF = TaskReference(task_id=TASK_ID, endpoint="text2video", provider="kling")
POLICY = RetryPolicy(max_attempts=3, base_delay=1.0, jitter=0)
MANIFEST = f"text2video-{TASK_ID}.json"

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


def names(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}
