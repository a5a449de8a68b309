"""Bad media and the checks every bad-input case makes, shared by the two bad-input tables.

`make_media` writes one file of each kind the tables refer to as `@name`; `Watch` records
what a case may not do: reach the simulator, start a Prefect run, or log a traceback.
"""

from __future__ import annotations

import io
import logging
import struct
import wave
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from prefect_kling.media import make_png
from prefect_kling.simulator import KlingSimulator

MB = 1024 * 1024


def make_wav(seconds: float, *, rate: int = 8000) -> bytes:
    """A quiet mono WAV file of a given length (written here, not by the package)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(bytes([128]) * round(seconds * rate))
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size its (tiny) pixel data does not have."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 100)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _encoded(image: Image.Image, kind: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue()


def _mp4_with_video() -> bytes:
    """An MP4 whose only track is a video track: not audio, whatever its name."""

    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    movie_header = box(b"mvhd", b"\0" * 4 + struct.pack(">IIII", 0, 0, 1000, 5000) + b"\0" * 80)
    handler = box(b"hdlr", b"\0" * 8 + b"vide" + b"\0" * 12)
    track = box(b"trak", box(b"mdia", handler))
    return box(b"ftyp", b"isom\0\0\0\0isom") + box(b"moov", movie_header + track)


def make_media(folder: Path) -> dict[str, Path]:
    """Write every file the tables name, good and bad; returns them by name."""
    noise = Image.effect_noise((800, 600), 60).convert("RGB")
    jpeg, png = _encoded(noise, "JPEG"), _encoded(noise, "PNG")
    files = {
        # Images.
        "good.png": make_png(800, 600),
        "other.png": make_png(800, 600, seed=2),
        "square.png": make_png(600, 600),
        "large.png": make_png(1600, 1200),
        "bomb.png": _png_claiming(40000, 40000),
        "near-bomb.png": _png_claiming(10000, 10000),
        "truncated.jpg": jpeg[: len(jpeg) // 2],
        "garbage.jpg": b"\xff\xd8\xff\xe0" + b"garbage" * 100,
        "truncated.png": png[: len(png) // 2],
        "anim.gif": _encoded(Image.new("RGB", (400, 400)), "GIF"),
        "small.png": make_png(200, 200),
        "notes.txt": b"just some notes, no picture\n",
        # Audio.
        "line.wav": make_wav(2.5),
        "text.mp3": b"hello, this is not audio\n" * 20,
        "picture.mp3": make_png(400, 400),
        "big.mp3": b"\xff\xfb\x90\x00" + b"\0" * (12 * MB),
        "empty.mp3": b"",
        "short.wav": make_wav(1.0),
        "long.wav": make_wav(61.0),
        "clip.m4a": _mp4_with_video(),
        # Output.
        "a-file": b"not a folder",
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    return paths


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Watch:
    """What happened while a case ran: requests to the simulator, Prefect's log records."""

    def __init__(self, sim: KlingSimulator) -> None:
        self.sim = sim
        self.before = sim.stats()
        self.records: list[logging.LogRecord] = []

    def assert_nothing_sent(self) -> None:
        """No request of any kind reached the simulator (creates, queries, identify-face)."""
        after = self.sim.stats()
        assert after.requests == self.before.requests
        assert after.create_calls == self.before.create_calls
        assert after.identify_face_calls == self.before.identify_face_calls

    def assert_no_run_and_no_traceback(self) -> None:
        """No flow or task run started, and nothing was logged with a traceback."""
        runs = [
            r for r in self.records if r.name.startswith(("prefect.flow_runs", "prefect.task_runs"))
        ]
        assert not runs, [r.getMessage() for r in runs]
        assert not [r for r in self.records if r.exc_info], "a record with a traceback"
        assert not [r for r in self.records if "Traceback" in r.getMessage()]


@contextmanager
def watching(sim: KlingSimulator) -> Iterator[Watch]:
    """Watch a case: the simulator's counters and every record Prefect logs meanwhile."""
    watch = Watch(sim)
    handler = _Records()
    logger = logging.getLogger("prefect")
    logger.addHandler(handler)
    try:
        yield watch
    finally:
        logger.removeHandler(handler)
        watch.records = handler.records
