"""Rendering one simulated video: an H.264 MP4 of a given length, drawn frame by frame.

Every frame shows a caption (the endpoint and task id), the prompt (wrapped, at most three
lines, abridged with `...`), the time and the frame number; a square bounces across and a
bar fills as the video plays, over a background tinted from the caption. So no two tasks
share a file, and the file lasts as long as its task says: `round(seconds * fps)` frames at
a constant rate, within half a frame of `seconds`.

Frames are drawn with Pillow and encoded with PyAV (libx264, `ultrafast`), small (320
pixels on the long side by default): a 5 s video takes about a tenth of a second. PyAV is
the optional extra `prefect-kling[simulator]`; this module imports without it, and
`render_video` raises `ImportError` when it is missing.

Examples:
    >>> import io, av
    >>> data = render_video("a fox in the snow", "text2video task 1", seconds=1.042)
    >>> with av.open(io.BytesIO(data)) as container:
    ...     stream = container.streams.video[0]
    ...     (stream.frames, stream.width, stream.height, stream.codec_context.name)
    (25, 320, 180, 'h264')
"""

from __future__ import annotations

import hashlib
import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

FPS = 24
LONG_SIDE = 320
PROMPT_LINES = 3
# Speed over size: the files stay small anyway (about 10 kB a second at 320x180).
ENCODER_OPTIONS = {"preset": "ultrafast", "crf": "30"}
_MARGIN = 8
_SQUARE = 24

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def frame_size(aspect_ratio: str, long_side: int = LONG_SIDE) -> tuple[int, int]:
    """Width and height for an aspect ratio such as `"9:16"`, both even (as H.264 needs).

    Examples:
        >>> frame_size("16:9"), frame_size("9:16"), frame_size("3:2")
        ((320, 180), (180, 320), (320, 214))
    """
    width_part, height_part = (int(part) for part in aspect_ratio.split(":"))
    short = long_side * min(width_part, height_part) / max(width_part, height_part)
    short_side = max(2, 2 * round(short / 2))
    return (long_side, short_side) if width_part >= height_part else (short_side, long_side)


def frame_count(seconds: float, fps: int = FPS) -> int:
    """Frames of a video of `seconds` at `fps` (at least one).

    Examples:
        >>> frame_count(5.042), frame_count(10.042), frame_count(0)
        (121, 241, 1)
    """
    return max(1, round(seconds * fps))


def _font(size: int) -> Font:
    # Loaded for each video (0.1 ms): a FreeType face is not to be shared across threads.
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ImportError, OSError):  # Pillow < 10.1 or without FreeType
        return ImageFont.load_default()


def _printable(text: str, font: Font) -> str:
    """The text as the font can draw it (the bitmap fallback knows Latin-1 only)."""
    if isinstance(font, ImageFont.FreeTypeFont):
        return text
    return text.encode("latin-1", "replace").decode("latin-1")


def prompt_lines(prompt: str, columns: int, lines: int = PROMPT_LINES) -> list[str]:
    """The prompt wrapped to `columns`, at most `lines` lines, the last abridged with `...`.

    Examples:
        >>> prompt_lines("a paper boat drifting down a rain-soaked street", 16, 2)
        ['a paper boat', 'drifting down...']
    """
    wrapped = textwrap.wrap(" ".join(prompt.split()), max(4, columns)) or ["(no prompt)"]
    if len(wrapped) <= lines:
        return wrapped
    last = wrapped[lines - 1]
    return [*wrapped[: lines - 1], last[: max(1, columns - 3)].rstrip() + "..."]


def _tint(task_id: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(task_id.encode()).digest()
    return (24 + digest[0] % 48, 24 + digest[1] % 48, 40 + digest[2] % 64)


def _background(
    prompt: str, caption: str, size: tuple[int, int], watermark: bool
) -> tuple[Image.Image, Font]:
    """The still part of every frame, and the font for the moving text."""
    width, height = size
    font = _font(12)
    image = Image.new("RGB", size, _tint(caption))
    draw = ImageDraw.Draw(image)
    columns = int((width - 2 * _MARGIN) / (font.getlength("abcdefghijklmnopqrstuvwxyz") / 26))
    top = _MARGIN
    for line in textwrap.wrap(caption, columns)[:2]:
        draw.text((_MARGIN, top), _printable(line, font), fill=(255, 255, 255), font=font)
        top += 15
    top += 4
    for line in prompt_lines(prompt, columns):
        draw.text((_MARGIN, top), _printable(line, font), fill=(210, 220, 235), font=font)
        top += 15
    if watermark:
        draw.text((width - 84, height - 44), "WATERMARK", fill=(255, 80, 80), font=font)
    return image, font


def render_video(
    prompt: str,
    caption: str,
    seconds: float,
    size: tuple[int, int] = (LONG_SIDE, LONG_SIDE * 9 // 16),
    *,
    watermark: bool = False,
    fps: int = FPS,
) -> bytes:
    """Encode an MP4 of `seconds` showing `caption`, `prompt` and the time on every frame.

    Args:
        prompt: The prompt to show (wrapped and abridged; empty shows `(no prompt)`).
        caption: The first line, e.g. the endpoint and task id; also seeds the colours,
            so give each video its own.
        seconds: Length of the video; it gets `frame_count(seconds, fps)` frames.
        size: Width and height in pixels, both even (see `frame_size`).
        watermark: Whether to stamp a visible watermark.
        fps: Frames per second.

    Returns:
        The MP4 file's bytes (H.264, yuv420p, no audio).

    Raises:
        ImportError: PyAV is not installed (`pip install 'prefect-kling[simulator]'`).
    """
    import av

    width, height = size
    frames = frame_count(seconds, fps)
    still, font = _background(prompt, caption, size, watermark)
    square = tuple(255 - channel for channel in _tint(caption))
    bar_top = height - 6
    travel = max(1, width - _SQUARE)
    square_top = max(0, height - 48 - _SQUARE)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps, options=ENCODER_OPTIONS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for number in range(frames):
            image = still.copy()
            draw = ImageDraw.Draw(image)
            # Across and back every two seconds.
            phase = (number / (2 * fps)) % 1.0
            left = round(travel * (2 * phase if phase < 0.5 else 2 - 2 * phase))
            draw.rectangle((left, square_top, left + _SQUARE, square_top + _SQUARE), fill=square)
            draw.rectangle((0, bar_top, round(width * (number + 1) / frames), height), fill=square)
            clock = f"{number / fps:6.2f} s  frame {number + 1}/{frames}"
            draw.text((_MARGIN, bar_top - 18), clock, fill=(255, 230, 120), font=font)
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
