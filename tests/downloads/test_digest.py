"""The SHA-256 computed beside a download."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

from prefect_kling.downloads._digest import BackgroundSha256


def hashers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "kling-sha256"]


def test_the_digest_of_many_chunks_of_any_size_is_that_of_their_concatenation():
    chunks = [os.urandom(size) for size in (0, 1, 2047, 2048, 65_536, 1 << 20, 17)] * 5
    with BackgroundSha256(depth=2) as digest:  # a short queue: the feeder waits for the hasher
        for chunk in chunks:
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(b"".join(chunks)).hexdigest()


def test_the_hasher_stops_when_the_stream_breaks():
    before = len(hashers())
    with pytest.raises(ConnectionError), BackgroundSha256() as digest:
        digest.update(b"the first half")
        raise ConnectionError("dropped")
    assert len(hashers()) == before


def test_the_digest_can_be_read_twice():
    digest = BackgroundSha256()
    digest.update(b"abc")
    assert digest.hexdigest() == digest.hexdigest() == hashlib.sha256(b"abc").hexdigest()
