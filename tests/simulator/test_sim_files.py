"""Result files: playable MP4s (padded and streamed), PNGs, ranges, expiry, watermarks."""

from __future__ import annotations

import io
import struct
import tracemalloc

import httpx
import pytest
from PIL import Image

from prefect_kling.simulator import KlingSimulator
from prefect_kling.simulator.assets import iter_video, sample_video_size

from .conftest import client_for


def finished_video(sim: KlingSimulator, **body) -> dict:
    with client_for(sim, "kling") as client:
        task_id = client.post("videos/text2video", json={"prompt": "a", **body}).json()["data"][
            "task_id"
        ]
        sim.advance(5)
        return client.get(f"videos/text2video/{task_id}").json()["data"]


def boxes(data: bytes) -> list[tuple[bytes, int]]:
    """Top-level MP4 boxes (type, size) of a complete file held in memory."""
    found, offset = [], 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        found.append((kind, size))
        offset += size
    return found


def test_sample_video_is_a_small_mp4(sim: KlingSimulator, http: httpx.Client) -> None:
    url = finished_video(sim)["task_result"]["videos"][0]["url"]
    response = http.get(url)  # no credentials: result links are public
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    assert int(response.headers["content-length"]) == len(response.content) < 100_000
    kinds = [kind for kind, _ in boxes(response.content)]
    assert kinds[0] == b"ftyp" and b"moov" in kinds and b"mdat" in kinds
    assert sim.stats().downloads == 1


def test_padded_video_streams_with_exact_length(make_sim, http: httpx.Client) -> None:
    size = 64 * 1024 * 1024 + 3
    # The shipped sample, whose size is known here (rendered videos: test_sim_videos.py).
    sim = make_sim(video_bytes=size, render_videos=False)
    url = finished_video(sim)["task_result"]["videos"][0]["url"]
    sample = sample_video_size()
    tracemalloc.start()
    try:
        with http.stream("GET", url) as response:
            assert response.headers["content-length"] == str(size)
            head, total, pad_header = b"", 0, b""
            for chunk in response.iter_raw():
                if len(head) < sample + 8:
                    head += chunk[: sample + 8 - len(head)]
                total += len(chunk)
            pad_header = head[sample : sample + 8]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size
    assert head[4:8] == b"ftyp"
    assert boxes(head[:sample])[-1][0] == b"mdat"
    assert pad_header == struct.pack(">I4s", size - sample, b"free")
    assert peak < 16 * 1024 * 1024  # streamed, never held whole
    assert sim.stats().download_bytes == size


def test_video_bytes_must_be_reachable(make_sim) -> None:
    with pytest.raises(ValueError, match="video_bytes"):
        make_sim(video_bytes=sample_video_size() + 3)


def test_ranges_and_head(make_sim, http: httpx.Client) -> None:
    sim = make_sim(video_bytes=1_000_000)
    url = finished_video(sim)["task_result"]["videos"][0]["url"]
    part = http.get(url, headers={"Range": "bytes=0-7"})
    assert part.status_code == 206
    assert part.headers["content-range"] == "bytes 0-7/1000000"
    assert part.content[4:8] == b"ftyp"
    tail = http.get(url, headers={"Range": "bytes=999990-"})
    assert tail.content == bytes(10)
    assert http.get(url, headers={"Range": "bytes=2000000-"}).status_code == 416
    head = http.head(url)
    assert head.status_code == 200
    assert head.headers["content-length"] == "1000000"
    assert head.content == b""


def test_download_break(make_sim, http: httpx.Client) -> None:
    sim = make_sim(video_bytes=4_000_000)
    url = finished_video(sim)["task_result"]["videos"][0]["url"]
    sim.inject("download_break")
    received = 0
    with pytest.raises(httpx.RemoteProtocolError), http.stream("GET", url) as response:
        assert response.headers["content-length"] == "4000000"
        for chunk in response.iter_raw():
            received += len(chunk)
    assert 0 < received < 4_000_000
    assert sim.stats().faults_injected == {"download_break": 1}
    # Resuming with a range request completes the file.
    rest = http.get(url, headers={"Range": f"bytes={received}-"})
    assert received + len(rest.content) == 4_000_000


@pytest.mark.parametrize(("aspect_ratio", "size"), [("16:9", (64, 36)), ("9:16", (36, 64))])
def test_images_are_pngs_of_the_aspect_ratio(
    sim: KlingSimulator, gateway: httpx.Client, http: httpx.Client, aspect_ratio: str, size: tuple
) -> None:
    body = {"prompt": "a bowl of fruit", "n": 2, "aspect_ratio": aspect_ratio}
    task_id = gateway.post("images/generations", json=body).json()["data"]["task_id"]
    sim.advance(5)
    images = gateway.get(f"images/generations/{task_id}").json()["data"]["task_result"]["images"]
    assert len(images) == 2
    for image in images:
        response = http.get(image["url"])
        assert response.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(response.content)) as picture:
            assert picture.format == "PNG"
            assert picture.size == size


def test_watermark_variant(sim: KlingSimulator, official: httpx.Client, http: httpx.Client) -> None:
    video = finished_video(sim, watermark_info={"enabled": True})
    assert video["watermark_info"] == {"enabled": True}
    (result,) = video["task_result"]["videos"]
    assert http.get(result["watermark_url"]).content[4:8] == b"ftyp"
    body = {
        "subject_image_list": [{"subject_image": "https://example.com/a.png"}],
        "watermark_info": {"enabled": True},
    }
    task_id = official.post("images/multi-image2image", json=body).json()["data"]["task_id"]
    sim.advance(5)
    data = official.get(f"images/multi-image2image/{task_id}").json()["data"]
    (image,) = data["task_result"]["images"]
    marked, plain = http.get(image["watermark_url"]).content, http.get(image["url"]).content
    assert marked != plain
    with Image.open(io.BytesIO(marked)) as picture:
        assert picture.format == "PNG"


def test_no_watermark_url_without_watermark(sim: KlingSimulator, http: httpx.Client) -> None:
    (result,) = finished_video(sim)["task_result"]["videos"]
    assert "watermark_url" not in result
    assert http.get(result["url"].replace("0.mp4", "0-watermark.mp4")).status_code == 404


def test_links_expire(make_sim, http: httpx.Client) -> None:
    sim = make_sim(link_ttl_seconds=60)
    url = finished_video(sim)["task_result"]["videos"][0]["url"]  # ended 2 s ago
    assert http.get(url).status_code == 200
    sim.advance(59)
    assert http.get(url).status_code == 403


def test_unknown_files(sim: KlingSimulator, official: httpx.Client, http: httpx.Client) -> None:
    assert http.get(f"{sim.base_url}/_simulator/files/123/0.mp4").status_code == 404
    task_id = official.post("videos/text2video", json={"prompt": "a"}).json()["data"]["task_id"]
    base = f"{sim.base_url}/_simulator/files/{task_id}"
    assert http.get(f"{base}/0.mp4").status_code == 404  # not finished yet
    sim.advance(5)
    assert http.get(f"{base}/0.mp4").status_code == 200
    assert http.get(f"{base}/1.mp4").status_code == 404
    assert http.get(f"{base}/0.png").status_code == 404
    sim.reset()
    assert http.get(f"{base}/0.mp4").status_code == 404


def test_padding_over_4_gib_uses_a_64_bit_box() -> None:
    sample = sample_video_size()
    size = 2**32 + 100_000
    header = b"".join(iter_video(size, sample, sample + 16))
    assert header == struct.pack(">I4sQ", 1, b"free", size - sample)
    assert b"".join(iter_video(size, size - 5, size)) == bytes(5)
