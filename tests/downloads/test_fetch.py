"""Broken transfers are retried from scratch; expired links are final; nothing half is left."""

from pathlib import Path

import httpx
import pytest

from prefect_kling.downloads import download_file, save_task_results
from prefect_kling.exceptions import KlingError, KlingTransportError
from tests.downloads.cdn import (
    IMAGE_URLS,
    MANIFEST,
    POLICY,
    REF,
    TASK_ID,
    VIDEO_URL,
    dropped_mid_stream,
    image_task,
    long_body,
    names,
    payload,
    sha,
    short_body,
    status,
    video_task,
)


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
