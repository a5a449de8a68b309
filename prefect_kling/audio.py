"""Audio inputs: a URL, a local file, bytes or Base64 text, turned into what Kling accepts.

Kling's lip-sync takes audio as a public `http(s)` URL or as raw Base64 (no `data:`
prefix). Local audio is checked against Kling's rules (its lip-sync page) before anything
is sent: MP3, WAV, M4A or AAC by content (not by name), at most 5 MB, 2 to 60 seconds
long. A file that is not audio (a text file, `/etc/passwd`, a picture) is refused before
it is read beyond its size, so it is never uploaded.

No decoder is needed: the length is read from the container (WAV's byte rate, M4A's
movie header) or counted frame by frame (MP3, AAC in ADTS frames).

Examples:
    >>> load_audio(make_wav(2.5), field="audio_file")[:8]
    'UklGRkRO'
    >>> identify_audio(make_wav(2.5))
    ('WAV', 2.5)
    >>> identify_audio(b"just some text") is None
    True
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import struct
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

from prefect_kling.exceptions import KlingValidationError
from prefect_kling.media import abridge, is_url, url_problem

AUDIO_FORMATS = ("MP3", "WAV", "M4A", "AAC")
"""The audio formats Kling's lip-sync takes (.mp3, .wav, .m4a, .aac)."""
MAX_AUDIO_BYTES = 5 * 1024 * 1024
"""Largest audio file Kling's lip-sync takes, in bytes."""
AUDIO_SECONDS = (2.0, 60.0)
"""Shortest and longest audio Kling's lip-sync takes, in seconds."""

_WHAT = (
    f"{', '.join(AUDIO_FORMATS[:-1])} or {AUDIO_FORMATS[-1]} audio of "
    f"{AUDIO_SECONDS[0]:g} to {AUDIO_SECONDS[1]:g} seconds, at most {MAX_AUDIO_BYTES // 2**20} MB"
)

Facts = tuple[str, float]
"""The format's name and the length in seconds."""
FrameReader = Callable[[bytes, int], tuple[int, float] | None]
"""Reads the frame at an offset: its length in bytes and in seconds, or None."""

_MP3_BITRATES = {
    # (MPEG-1?, layer): kbit/s for bitrate indexes 1 to 14.
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_ADTS_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


def load_audio(
    source: str | os.PathLike[str] | bytes,
    *,
    field: str,
    urls: bool = True,
    seconds: tuple[float, float] = AUDIO_SECONDS,
) -> str:
    """Turn an audio source into the value of a Kling audio field.

    Args:
        source: An `http(s)` URL (returned unchanged, where `urls`), a path to a local
            file, the audio bytes, or Base64 text with or without a `data:` prefix.
        field: The request field the audio is for, named in errors.
        urls: Whether the field takes a URL (`sound_file` does, `audio_file` does not).
        seconds: Shortest and longest audio the field takes (lip-sync's 2 to 60 s by
            default; the avatar's `sound_file` takes 2 to 300 s).

    Returns:
        The URL, or the audio as raw Base64 without a `data:` prefix.

    Raises:
        KlingValidationError: The source is not audio, or breaks one of Kling's rules.

    Examples:
        >>> try:
        ...     load_audio(b"hello", field="audio_file")
        ... except KlingValidationError as error:
        ...     print(error.problems[0].message)  # doctest: +NORMALIZE_WHITESPACE
        bytes is not audio; allowed: MP3, WAV, M4A or AAC audio (by content, not name)
    """
    forms = "a URL, a path, bytes or Base64" if urls else "a path, bytes or Base64"
    if isinstance(source, bytes | bytearray):
        return _checked(bytes(source), "bytes", field, seconds)
    if isinstance(source, os.PathLike):
        return _checked(_read(Path(source), field), os.fspath(source), field, seconds)
    if not isinstance(source, str):
        raise _refused(field, f"{type(source).__name__} is no audio source; allowed: {forms}")
    text = source.strip()
    if not text:
        raise _refused(field, f"{source!r} is empty; allowed: {forms} of {_WHAT}")
    if is_url(text):
        if not urls:
            raise _refused(
                field,
                f"{abridge(text)} is a URL; allowed: {forms} (a URL goes in "
                "audio_url, with audio_type 'url')",
            )
        problem = url_problem(text)
        if problem is not None:
            raise _refused(field, problem)
        return text
    if not text.startswith("data:") and os.path.isfile(text):
        return _checked(_read(Path(text), field), text, field, seconds)
    encoded = text.partition(",")[2] if text.startswith("data:") else text
    try:
        data = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        raise _refused(
            field,
            f"{abridge(source)} is not an existing file, a URL or Base64 audio; "
            f"allowed: {forms} of {_WHAT}",
        )
    return _checked(data, "base64 data", field, seconds)


def identify_audio(data: bytes) -> Facts | None:
    """The format and length of audio bytes, or None when they are no audio known here.

    Args:
        data: The whole file.

    Returns:
        `("MP3" | "WAV" | "M4A" | "AAC", seconds)`, or None.
    """
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return _wav(data)
    if data[4:8] == b"ftyp":
        return _m4a(data)
    start = _after_id3(data)
    for name, frames in (("MP3", _mp3_frames), ("AAC", _adts_frames)):
        seconds = _frame_stream(data, start, frames)
        if seconds is not None:
            return name, seconds
    return None


def make_wav(seconds: float, *, rate: int = 8000, seed: int = 0) -> bytes:
    """A quiet mono WAV file of a given length, for demos and tests.

    Args:
        seconds: Its length.
        rate: Samples per second.
        seed: Changes the samples, so that different seeds give different files.

    Examples:
        >>> len(make_wav(1.0)) - len(make_wav(0.5))
        4000
    """
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        samples = bytearray(128 + index % 7 for index in range(round(seconds * rate)))
        seed_bytes = (seed % 2**32).to_bytes(4, "little")[: len(samples)]
        samples[: len(seed_bytes)] = seed_bytes
        out.writeframes(bytes(samples))
    return buffer.getvalue()


def make_mp3(seconds: float, *, seed: int = 0) -> bytes:
    """A silent mono MP3 (MPEG-1 layer III, 32 kbit/s, 32 kHz) of about a given length.

    Every frame is a valid, silent one (36 ms each), so players and `identify_audio` read it.

    Args:
        seconds: Its length, rounded to whole frames (at least one).
        seed: Changes the bytes (in the frames' ancillary data), so that different seeds
            give different files.

    Examples:
        >>> kind, length = identify_audio(make_mp3(3.0))
        >>> kind, round(length, 2)
        ('MP3', 2.99)
    """
    frame_seconds = 1152 / 32000
    count = max(1, round(seconds / frame_seconds))
    frame = bytearray(b"\xff\xfb\x18\xc0" + bytes(140))
    frame[-4:] = (seed % 2**32).to_bytes(4, "little")
    return bytes(frame) * count


def _refused(field: str, message: str) -> KlingValidationError:
    return KlingValidationError.single(field, message)


def _read(path: Path, field: str) -> bytes:
    """Read a local audio file, refusing one too large before reading it."""
    try:
        size = path.stat().st_size
        if size > MAX_AUDIO_BYTES:
            raise _refused(field, _too_large(str(path), size))
        return path.read_bytes()
    except OSError as exc:
        raise _refused(
            field, f"{path} cannot be read ({exc.strerror}); allowed: a readable audio file"
        ) from None


def _checked(
    data: bytes, label: str, field: str, seconds: tuple[float, float] = AUDIO_SECONDS
) -> str:
    """Check audio bytes against Kling's rules and return them as Base64."""
    if not data:
        raise _refused(field, f"{label} is empty; allowed: {_WHAT}")
    if len(data) > MAX_AUDIO_BYTES:
        raise _refused(field, _too_large(label, len(data)))
    facts = identify_audio(data)
    if facts is None:
        raise _refused(
            field,
            f"{label} is not audio; allowed: {', '.join(AUDIO_FORMATS[:-1])} or "
            f"{AUDIO_FORMATS[-1]} audio (by content, not name)",
        )
    kind, length = facts
    shortest, longest = seconds
    if not shortest <= length <= longest:
        raise _refused(
            field,
            f"{label} is {kind} audio of {length:.1f} s; allowed: "
            f"{shortest:g} to {longest:g} seconds",
        )
    return base64.b64encode(data).decode("ascii")


def _too_large(label: str, size: int) -> str:
    return f"{label} is {size / 2**20:.1f} MB; allowed: at most {MAX_AUDIO_BYTES // 2**20} MB"


# --- Containers. -----------------------------------------------------------------------


def _wav(data: bytes) -> Facts | None:
    """RIFF chunks: the byte rate from `fmt `, the length from `data`."""
    byte_rate = 0
    for kind, start, end in _riff_chunks(data, 12):
        if kind == b"fmt " and end - start >= 12:
            byte_rate = struct.unpack_from("<I", data, start + 8)[0]
        elif kind == b"data" and byte_rate:
            return "WAV", (end - start) / byte_rate
    return None


def _m4a(data: bytes) -> Facts | None:
    """MP4 boxes: the movie header's length; a file with a video track is no audio."""
    moov = next((box for box in _boxes(data, 0) if box[0] == b"moov"), None)
    if moov is None:
        return None
    seconds = None
    for kind, start, end in _boxes(data, moov[1], moov[2]):
        if kind == b"mvhd":
            seconds = _movie_seconds(data, start, end)
        elif kind == b"trak" and _has_video(data, start, end):
            return None
    return None if seconds is None else ("M4A", seconds)


def _movie_seconds(data: bytes, start: int, end: int) -> float | None:
    version = data[start] if start < end else None
    layout = {0: ">12xII", 1: ">20xIQ"}.get(version) if version is not None else None
    if layout is None or end - start < struct.calcsize(layout):
        return None
    timescale, duration = struct.unpack_from(layout, data, start)
    return duration / timescale if timescale else None


def _has_video(data: bytes, start: int, end: int) -> bool:
    """Whether a track's handler (`trak/mdia/hdlr`) is a video one."""
    for kind, mdia_start, mdia_end in _boxes(data, start, end):
        if kind != b"mdia":
            continue
        for inner, hdlr_start, hdlr_end in _boxes(data, mdia_start, mdia_end):
            if inner == b"hdlr" and hdlr_end - hdlr_start >= 12:
                return data[hdlr_start + 8 : hdlr_start + 12] == b"vide"
    return False


def _riff_chunks(data: bytes, start: int) -> Iterator[tuple[bytes, int, int]]:
    """(kind, start, end) of each RIFF chunk from `start`: sizes leave out header and pad."""
    position = start
    while position + 8 <= len(data):
        kind, size = data[position : position + 4], struct.unpack_from("<I", data, position + 4)[0]
        yield kind, position + 8, min(position + 8 + size, len(data))
        position += 8 + size + size % 2


def _boxes(data: bytes, start: int, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(kind, start, end) of each MP4 box between two offsets."""
    end = len(data) if end is None else min(end, len(data))
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I", data, position)[0], data[position + 4 : position + 8]
        header = 8
        if size == 1 and position + 16 <= end:
            size, header = struct.unpack_from(">Q", data, position + 8)[0], 16
        elif size == 0:  # the last box, to the end
            size = end - position
        if size < header:
            return
        yield kind, position + header, min(position + size, end)
        position += size


# --- Frame streams. --------------------------------------------------------------------


def _after_id3(data: bytes) -> int:
    """Where the audio starts after an ID3v2 tag (0 without one)."""
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def _frame_stream(data: bytes, start: int, frames: FrameReader) -> float | None:
    """Seconds of a stream of frames, or None unless it starts with at least two frames."""
    seconds, count, position = 0.0, 0, start
    while position < len(data):
        frame = frames(data, position)
        if frame is None:
            break
        length, duration = frame
        seconds, count, position = seconds + duration, count + 1, position + length
    ended_cleanly = position >= len(data) and count >= 1
    return seconds if count >= 2 or ended_cleanly else None


def _mp3_frames(data: bytes, position: int) -> tuple[int, float] | None:
    """Length in bytes and in seconds of the MPEG audio frame at `position`, or None."""
    if position + 4 > len(data) or data[position] != 0xFF or data[position + 1] & 0xE0 != 0xE0:
        return None
    version, layer_bits = (data[position + 1] >> 3) & 3, (data[position + 1] >> 1) & 3
    bitrate_index, rate_index = data[position + 2] >> 4, (data[position + 2] >> 2) & 3
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer, mpeg1 = 4 - layer_bits, version == 3
    bitrate = _MP3_BITRATES[(mpeg1, layer)][bitrate_index - 1] * 1000
    rate = _MP3_RATES[version][rate_index]
    padding = (data[position + 2] >> 1) & 1
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4, 384 / rate
    samples = 1152 if layer == 2 or mpeg1 else 576
    return samples // 8 * bitrate // rate + padding, samples / rate


def _adts_frames(data: bytes, position: int) -> tuple[int, float] | None:
    """Length in bytes and in seconds of the AAC (ADTS) frame at `position`, or None."""
    header = data[position : position + 7]
    if len(header) < 7 or header[0] != 0xFF or header[1] & 0xF6 != 0xF0:
        return None
    rate_index = (header[2] >> 2) & 0xF
    length = ((header[3] & 3) << 11) | (header[4] << 3) | (header[5] >> 5)
    if rate_index >= len(_ADTS_RATES) or length < 7:
        return None
    blocks = (header[6] & 3) + 1
    return length, blocks * 1024 / _ADTS_RATES[rate_index]
