"""Result files: real MP4s (optionally padded to any size) and generated PNG images.

The MP4 served is a task's rendered video (see `videos`) or a one-second 320x180 H.264
test pattern shipped as package data. A larger `video_bytes` is reached by appending an
MP4 `free` box, which players skip, so the file stays playable; the padding is streamed
from one reusable zero buffer and never held in memory. PNGs are drawn with Pillow at a
size that matches the requested aspect ratio.

Examples:
    >>> size = sample_video_size() + 1000
    >>> data = b"".join(iter_video(size, 0, size))
    >>> len(data) == size and data[4:8] == b"ftyp" and data[-992:] == bytes(992)
    True
    >>> video_size(None, 5000), video_size(9000, 5000), video_size(5004, 5000)
    (5000, 9000, 5000)
"""

from __future__ import annotations

import functools
import io
import struct
from collections.abc import Iterator
from importlib import resources

from PIL import Image, ImageDraw

CHUNK_SIZE = 1024 * 1024
_ZEROS = bytes(CHUNK_SIZE)


@functools.cache
def sample_video() -> bytes:
    """The bytes of the shipped sample MP4."""
    return resources.files("prefect_kling.simulator").joinpath("assets/sample.mp4").read_bytes()


def sample_video_size() -> int:
    """The size of the shipped sample MP4, in bytes."""
    return len(sample_video())


def video_size(requested: int | None, actual: int | None = None) -> int:
    """The size of a served video of `actual` bytes (default: the sample's).

    `requested` (`SimulatorConfig.video_bytes`) when the video can be padded to it: the
    same size, or at least 8 bytes more (a `free` box's header). Otherwise, and without a
    request, the video's own size: it is served whole, unpadded, as truncating it would
    break it.
    """
    actual = sample_video_size() if actual is None else actual
    if requested is None or requested < actual or 0 < requested - actual < 8:
        return actual
    return requested


def _free_box_header(box_size: int) -> bytes:
    if box_size < 2**32:
        return struct.pack(">I4s", box_size, b"free")
    # 64-bit "largesize" form: size field 1, then the real size after the type.
    return struct.pack(">I4sQ", 1, b"free", box_size)


def iter_video(size: int, start: int, end: int, video: bytes | None = None) -> Iterator[bytes]:
    """Yield bytes `[start, end)` of the video padded to `size`, in chunks of at most 1 MiB.

    Args:
        size: Total size of the file (the video's size, or at least 8 bytes more).
        start: First byte offset.
        end: Offset after the last byte (at most `size`).
        video: The MP4's bytes; the shipped sample by default.

    Yields:
        Consecutive chunks of the requested range.
    """
    video = sample_video() if video is None else video
    header = _free_box_header(size - len(video)) if size > len(video) else b""
    position = start
    for base, piece in ((0, video), (len(video), header)):
        offset = position - base
        while 0 <= offset < len(piece) and position < end:
            # The video and box header are held in memory: slices of them.
            chunk = piece[offset : offset + min(CHUNK_SIZE, end - position)]
            position += len(chunk)
            offset += len(chunk)
            yield chunk
    while position < end:
        count = min(CHUNK_SIZE, end - position)
        yield _ZEROS if count == CHUNK_SIZE else _ZEROS[:count]
        position += count


def image_size(aspect_ratio: str, long_side: int) -> tuple[int, int]:
    """Width and height for an aspect ratio such as `"16:9"`, with the given long side."""
    width_part, height_part = (int(part) for part in aspect_ratio.split(":"))
    if width_part >= height_part:
        return long_side, max(1, round(long_side * height_part / width_part))
    return max(1, round(long_side * width_part / height_part)), long_side


_PALETTE = [
    (66, 133, 244),
    (219, 68, 55),
    (244, 180, 0),
    (15, 157, 88),
    (171, 71, 188),
    (0, 172, 193),
    (255, 112, 67),
    (158, 157, 36),
    (92, 107, 192),
    (240, 98, 146),
]


@functools.lru_cache(maxsize=64)
def make_png(width: int, height: int, index: int, watermark: bool = False) -> bytes:
    """A PNG of the given size: a coloured gradient with a label.

    Args:
        width: Width in pixels.
        height: Height in pixels.
        index: Image index in its task; picks the colour.
        watermark: Whether to stamp a visible watermark.

    Returns:
        The PNG file's bytes.
    """
    gradient = Image.linear_gradient("L").resize((width, height))
    colour = Image.new("RGB", (width, height), _PALETTE[index % len(_PALETTE)])
    image = Image.composite(colour, Image.new("RGB", (width, height), (16, 16, 24)), gradient)
    draw = ImageDraw.Draw(image)
    draw.text((8, 8), f"Kling simulator - image {index}", fill=(255, 255, 255))
    if watermark:
        draw.text((8, height - 20), "WATERMARK", fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
