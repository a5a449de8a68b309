"""Rendered result videos: as long as the task says, one per task, ranges, padding, fallback."""

from __future__ import annotations

import hashlib
import io
import logging
import struct
import sys
import threading
from typing import Any

import av
import httpx
import pytest

from prefect_kling.simulator import KlingSimulator
from prefect_kling.simulator.assets import sample_video, sample_video_size
from prefect_kling.simulator.render import FPS, frame_count
from prefect_kling.simulator.videos import MISSING_PYAV_WARNING, VideoSpec, VideoStore

from .conftest import client_for
from .test_sim_surface import IMAGE, lip_sync_text

FRAME = 1 / FPS


def finished(
    sim: KlingSimulator, client: httpx.Client, path: str = "videos/text2video", **body: Any
) -> dict[str, str]:
    """Create a task, run it to its end and return its video `{id, url, duration}`."""
    answer = client.post(path, json=body).json()
    assert answer["code"] == 0, answer
    task_id = answer["data"]["task_id"]
    sim.advance(3)
    (video,) = client.get(f"{path}/{task_id}").json()["data"]["task_result"]["videos"]
    return video


def probe(data: bytes) -> dict[str, Any]:
    """What PyAV reads in an MP4: duration, frames (counted by decoding), size, codec."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        decoded = sum(1 for _ in container.decode(stream))
        return {
            "seconds": container.duration / av.time_base,
            "frames": stream.frames,
            "decoded": decoded,
            "size": (stream.width, stream.height),
            "codec": stream.codec_context.name,
        }


def assert_honest(video: dict[str, str], data: bytes) -> dict[str, Any]:
    """The file lasts what the result says, within one frame, with the frames for it."""
    reported = float(video["duration"])
    found = probe(data)
    assert found["codec"] == "h264"
    assert abs(found["seconds"] - reported) <= FRAME, (found, reported)
    assert found["frames"] == found["decoded"] == frame_count(reported)
    return found


def test_each_task_gets_its_own_video_of_the_reported_length(
    sim: KlingSimulator, official: httpx.Client, http: httpx.Client
) -> None:
    first = finished(sim, official, prompt="a paper boat on a rainy street")
    second = finished(sim, official, prompt="a heron at dawn", duration="10")
    one, two = http.get(first["url"]).content, http.get(second["url"]).content
    assert hashlib.sha256(one).digest() != hashlib.sha256(two).digest()
    assert first["duration"] == "5.042" and second["duration"] == "10.042"
    assert assert_honest(first, one)["frames"] == 121
    assert assert_honest(second, two)["frames"] == 241
    assert probe(one)["size"] == (320, 180)


def test_same_prompt_still_differs_by_task(
    sim: KlingSimulator, official: httpx.Client, http: httpx.Client
) -> None:
    urls = [finished(sim, official, prompt="a fox")["url"] for _ in range(2)]
    assert http.get(urls[0]).content != http.get(urls[1]).content


def test_frames_follow_the_aspect_ratio(
    sim: KlingSimulator, official: httpx.Client, http: httpx.Client
) -> None:
    video = finished(sim, official, prompt="a tall tower", aspect_ratio="9:16")
    assert probe(http.get(video["url"]).content)["size"] == (180, 320)


@pytest.mark.parametrize(
    ("provider", "path", "body", "seconds"),
    [
        ("kling", "videos/video-extend", lambda v: {"video_id": v, "prompt": "on"}, "9.542"),
        ("cometapi", "videos/lip-sync", lip_sync_text, "5.042"),
        (
            "kling",
            "videos/effects",
            lambda v: {"effect_scene": "hug_pro", "input": {"images": [IMAGE] * 2}},
            "5.042",
        ),
    ],
    ids=["extend", "lip-sync", "effects"],
)
def test_every_video_endpoint_serves_an_honest_video(
    sim: KlingSimulator, http: httpx.Client, provider: str, path: str, body: Any, seconds: str
) -> None:
    with client_for(sim, provider) as client:
        source = finished(sim, client, prompt="a quiet lake")
        video = finished(sim, client, path, **body(source["id"]))
    assert video["duration"] == seconds
    data = http.get(video["url"]).content
    assert_honest(video, data)
    assert data != http.get(source["url"]).content


def test_watermark_variant_is_its_own_video(
    sim: KlingSimulator, official: httpx.Client, http: httpx.Client
) -> None:
    video = finished(sim, official, prompt="a fox", watermark_info={"enabled": True})
    plain, marked = http.get(video["url"]).content, http.get(video["watermark_url"]).content
    assert plain != marked
    assert_honest(video, marked)


def test_ranges_and_head_serve_one_rendering(
    sim: KlingSimulator, official: httpx.Client, http: httpx.Client
) -> None:
    url = finished(sim, official, prompt="a lighthouse")["url"]
    size = int(http.head(url).headers["content-length"])
    head = http.get(url, headers={"Range": "bytes=0-99"})
    assert head.status_code == 206
    assert head.headers["content-range"] == f"bytes 0-99/{size}"
    tail = http.get(url, headers={"Range": "bytes=100-"})
    assert tail.headers["content-range"] == f"bytes 100-{size - 1}/{size}"
    whole = http.get(url).content
    assert head.content + tail.content == whole and len(whole) == size
    assert head.content[4:8] == b"ftyp"
    assert http.get(url, headers={"Range": f"bytes={size}-"}).status_code == 416
    assert sim._state.videos.renders == 1  # rendered on the HEAD, kept for the rest
    assert sim.stats().downloads == 3


def test_padding_keeps_the_video_playable(make_sim, http: httpx.Client) -> None:
    size = 2_000_000
    sim = make_sim(video_bytes=size)
    with client_for(sim, "kling") as client:
        video = finished(sim, client, prompt="a long road")
    data = http.get(video["url"]).content
    assert len(data) == size
    rendered = data.rindex(b"free") - 4
    assert data[rendered : rendered + 8] == struct.pack(">I4s", size - rendered, b"free")
    assert data[rendered + 8 :] == bytes(size - rendered - 8)
    assert_honest(video, data)  # players skip the free box
    assert http.get(video["url"], headers={"Range": f"bytes={size - 4}-"}).content == bytes(4)


def test_a_video_larger_than_video_bytes_is_served_whole(make_sim, http: httpx.Client) -> None:
    sim = make_sim(video_bytes=sample_video_size() + 8)
    with client_for(sim, "kling") as client:
        video = finished(sim, client, prompt="a long road", duration="10")
    response = http.get(video["url"])
    assert int(response.headers["content-length"]) == len(response.content) > sample_video_size()
    assert_honest(video, response.content)


def test_render_videos_off_serves_the_sample(make_sim, http: httpx.Client) -> None:
    sim = make_sim(render_videos=False)
    with client_for(sim, "kling") as client:
        video = finished(sim, client, prompt="a fox")
    assert http.get(video["url"]).content == sample_video()
    assert sim.config.public_dict()["render_videos"] is False
    with pytest.raises(ValueError, match="render_videos"):
        sim.configure(render_videos="no")


def test_without_pyav_the_sample_is_served_with_one_warning(
    sim: KlingSimulator,
    official: httpx.Client,
    http: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` raises ImportError
    caplog.set_level(logging.WARNING, logger="prefect_kling.simulator.videos")
    urls = [finished(sim, official, prompt=f"clip {index}")["url"] for index in range(2)]
    assert [http.get(url).content for url in urls] == [sample_video()] * 2
    warnings = [r for r in caplog.records if r.name == "prefect_kling.simulator.videos"]
    assert [record.getMessage() for record in warnings] == [MISSING_PYAV_WARNING]
    assert "pip install 'prefect-kling[simulator]'" in MISSING_PYAV_WARNING


def spec(name: str) -> VideoSpec:
    return VideoSpec(task_id=name, endpoint="text2video", prompt=name, seconds=5, size=(2, 2))


def test_store_keeps_the_most_recently_used_within_its_bytes() -> None:
    store = VideoStore(max_bytes=30, renderer=lambda spec: spec.task_id.encode() * 10)
    for name in "abc":
        store.get(spec(name))
    assert store.kept == 3 and store.renders == 3
    store.get(spec("a"))  # kept: now the most recently used
    store.get(spec("d"))  # pushes out b, the least recently used
    assert store.kept == 3 and store.renders == 4
    store.get(spec("a"))
    store.get(spec("b"))
    assert store.renders == 5
    assert store.get(spec("x" * 40)) == b"x" * 400  # too big to keep, still served
    assert store.kept == 3


def test_store_renders_a_file_once_for_concurrent_requests() -> None:
    started, release = threading.Event(), threading.Event()

    def slow(spec: VideoSpec) -> bytes:
        started.set()
        assert release.wait(5)
        return b"video"

    store = VideoStore(renderer=slow)
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(store.get(spec("a")))) for _ in "123"]
    threads[0].start()
    assert started.wait(5)
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(5)
    assert results == [b"video"] * 3
    assert store.renders == 1


def test_a_failed_render_is_not_kept() -> None:
    calls: list[VideoSpec] = []

    def broken(spec: VideoSpec) -> bytes:
        calls.append(spec)
        raise RuntimeError("encoder broke")

    store = VideoStore(renderer=broken)
    for _ in range(2):
        with pytest.raises(RuntimeError, match="encoder broke"):
            store.get(spec("a"))
    assert len(calls) == 2 and store.kept == 0
