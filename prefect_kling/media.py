"""Image inputs: a URL, a local file, bytes or Base64 text, turned into what Kling accepts.

Kling takes an image field as a public `http(s)` URL or as raw Base64 (no `data:` prefix).
Local data is checked against Kling's rules before anything is sent: JPEG or PNG, at most
10 MB, both sides at least 300 px, aspect ratio (width:height) between 1:2.5 and 2.5:1.
The whole image is decoded once, so that a truncated or damaged file is refused here
rather than by Kling; an image whose header claims more pixels than Pillow decodes safely
(a decompression bomb) is refused without decoding it. A URL must name its host.

Examples:
    >>> from prefect_kling.media import load_image, make_png
    >>> load_image("https://example.com/cat.png", field="image")
    'https://example.com/cat.png'
    >>> load_image(make_png(640, 480), field="image")[:12]
    'iVBORw0KGgoA'
"""

from __future__ import annotations

import base64
import io
import os
import warnings
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image, ImageDraw, UnidentifiedImageError

from prefect_kling.exceptions import KlingImageError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Largest image Kling accepts, in bytes."""
MIN_IMAGE_SIDE = 300
"""Shortest side Kling accepts, in pixels."""
MAX_ASPECT_RATIO = 2.5
"""Widest (and, inverted, tallest) width:height ratio Kling accepts."""
IMAGE_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG"}
"""Pillow format names Kling accepts, and the name each is reported as (MPO is a camera JPEG)."""

_URL_SCHEMES = ("http://", "https://")
_UNRECOGNISED = (
    "is not a URL, an existing file or Base64 image data; allowed: an http(s) URL, "
    "or a JPEG or PNG file as a path, bytes or Base64"
)
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError)
"""What Pillow raises for a file it recognises but cannot read to the end."""


def is_url(text: str) -> bool:
    """Whether a text is meant as an `http(s)` link (it starts with the scheme).

    Examples:
        >>> is_url("HTTPS://example.com/a.png"), is_url("cat.png")
        (True, False)
    """
    return text.strip().lower().startswith(_URL_SCHEMES)


def url_problem(text: str) -> str | None:
    """Why an `http(s)` link cannot be fetched by Kling, or None when it can.

    Examples:
        >>> url_problem("https://example.com/a.png") is None
        True
        >>> url_problem("http://")
        "'http://' has no host; allowed: an http(s) URL with a host, e.g. https://example.com/a.png"
    """
    try:
        host = urlsplit(text.strip()).hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        host = None
    if host:
        return None
    return (
        f"{abridge(text)} has no host; allowed: an http(s) URL with a host, "
        "e.g. https://example.com/a.png"
    )


def load_image(source: str | os.PathLike[str] | bytes, *, field: str) -> str:
    """Turn an image source into the value of a Kling image field.

    Args:
        source: An `http(s)` URL (returned unchanged), a path to a local file, the image
            bytes, or Base64 text with or without a `data:image/...;base64,` prefix.
        field: The request field the image is for, named in errors.

    Returns:
        The URL, or the image as raw Base64 without a `data:` prefix.

    Raises:
        KlingImageError: The source is not an image, or breaks one of Kling's rules.

    Examples:
        >>> encoded = load_image(make_png(300, 300), field="image")
        >>> load_image("data:image/png;base64," + encoded, field="image") == encoded
        True
    """
    if isinstance(source, bytes | bytearray):
        return _checked(bytes(source), "bytes", field)
    if isinstance(source, os.PathLike):
        return _checked(_read(Path(source), field), os.fspath(source), field)
    if not isinstance(source, str):
        raise KlingImageError.single(
            field,
            f"{type(source).__name__} is not an image source; "
            "allowed: a URL, a path, bytes or Base64 text",
        )
    text = source.strip()
    if is_url(text):
        problem = url_problem(text)
        if problem is not None:
            raise KlingImageError.single(field, problem)
        return text
    if not text.startswith("data:") and os.path.isfile(text):
        return _checked(_read(Path(text), field), text, field)
    data = _decode_base64(text.partition(",")[2] if text.startswith("data:") else text)
    if data is None or _identify(data, "base64 data", field) is None:
        raise KlingImageError.single(field, f"{abridge(source)} {_UNRECOGNISED}")
    return _checked(data, "base64 data", field)


def image_size(value: str) -> tuple[int, int] | None:
    """The size of an image field's value once validated: None for a URL (not fetched).

    Args:
        value: A URL, or raw Base64 as `load_image` returns it.

    Examples:
        >>> image_size(load_image(make_png(400, 300), field="image"))
        (400, 300)
        >>> image_size("https://example.com/cat.png") is None
        True
    """
    if is_url(value):
        return None
    data = _decode_base64(value)
    if data is None:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (*_DAMAGED, Image.DecompressionBombError):
        return None


def make_png(width: int, height: int, *, seed: int = 0) -> bytes:
    """Draw a PNG of coloured tiles, for demos and tests.

    Args:
        width: Width in pixels.
        height: Height in pixels.
        seed: Shifts the colours, so that different seeds give different images.

    Returns:
        The PNG file's bytes.

    Examples:
        >>> import io
        >>> from PIL import Image
        >>> Image.open(io.BytesIO(make_png(400, 300, seed=7))).size
        (400, 300)
    """
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    tile = 50
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            column, row = left // tile, top // tile
            colour = (
                (column * 37 + seed * 91) % 256,
                (row * 53 + seed * 17) % 256,
                ((column + row) * 29 + seed * 53) % 256,
            )
            draw.rectangle((left, top, left + tile - 1, top + tile - 1), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _read(path: Path, field: str) -> bytes:
    """Read a local image file, refusing one too large before reading it."""
    try:
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise KlingImageError.single(field, _too_large(str(path), size))
        return path.read_bytes()
    except OSError as exc:
        raise KlingImageError.single(
            field, f"{path} cannot be read ({exc.strerror}); allowed: a readable JPEG or PNG file"
        ) from None


def _checked(data: bytes, label: str, field: str) -> str:
    """Check image bytes against Kling's rules and return them as Base64."""
    if len(data) > MAX_IMAGE_BYTES:
        raise KlingImageError.single(field, _too_large(label, len(data)))
    identified = _identify(data, label, field)
    if identified is None:
        raise KlingImageError.single(field, f"{label} is not an image; allowed: JPEG or PNG")
    kind, width, height = identified
    if kind not in IMAGE_FORMATS:
        raise KlingImageError.single(field, f"{label} is a {kind} image; allowed: JPEG or PNG")
    if min(width, height) < MIN_IMAGE_SIDE:
        raise KlingImageError.single(
            field,
            f"{label} is {width}x{height} px; allowed: both sides at least {MIN_IMAGE_SIDE} px",
        )
    if max(width / height, height / width) > MAX_ASPECT_RATIO:
        raise KlingImageError.single(
            field,
            f"{label} is {width}x{height} px (aspect ratio {width / height:.2f}); "
            f"allowed: aspect ratio (width:height) between 1:{MAX_ASPECT_RATIO:g} "
            f"and {MAX_ASPECT_RATIO:g}:1",
        )
    _decode(data, kind, label, field)
    return base64.b64encode(data).decode("ascii")


def _identify(data: bytes, label: str, field: str) -> tuple[str, int, int] | None:
    """The format name and size of an image, read from its header; None if not an image.

    Raises:
        KlingImageError: The header claims too many pixels, or cannot be read to its end.
    """
    limit = Image.MAX_IMAGE_PIXELS or 0
    try:
        with warnings.catch_warnings():
            # Past the limit Pillow warns, past twice the limit it raises: refused below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format or "unknown", image.size
    except UnidentifiedImageError:
        return None
    except Image.DecompressionBombError:
        claims = f"more than {2 * limit:,} pixels"
        raise KlingImageError.single(field, _too_many_pixels(label, claims, limit)) from None
    except _DAMAGED as exc:
        raise KlingImageError.single(field, _damaged(label, None, exc)) from None
    if limit and width * height > limit:
        claims = f"{width}x{height} px"
        raise KlingImageError.single(field, _too_many_pixels(label, claims, limit))
    return kind, width, height


def _decode(data: bytes, kind: str, label: str, field: str) -> None:
    """Decode every pixel, so that a truncated or damaged image is refused here.

    Raises:
        KlingImageError: The image cannot be decoded to its end.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format == "JPEG":
                # Decoding at an eighth of the size still reads every byte of the scan.
                image.draft(image.mode, (image.width // 8, image.height // 8))
            image.load()
    except _DAMAGED as exc:
        raise KlingImageError.single(field, _damaged(label, IMAGE_FORMATS[kind], exc)) from None


def _decode_base64(text: str) -> bytes | None:
    """Decode standard Base64 (line breaks allowed), or None if the text is not Base64."""
    try:
        return base64.b64decode("".join(text.split()), validate=True) or None
    except ValueError:
        return None


def _damaged(label: str, kind: str | None, exc: BaseException) -> str:
    what = f"a damaged {kind} image" if kind else "a damaged image"
    return f"{label} is {what} ({exc}); allowed: a complete JPEG or PNG file"


def _too_many_pixels(label: str, claims: str, limit: int) -> str:
    return (
        f"{label} claims {claims} in its header, too many to decode safely; "
        f"allowed: at most {limit:,} pixels (width x height)"
    )


def _too_large(label: str, size: int) -> str:
    megabytes = MAX_IMAGE_BYTES / 1024 / 1024
    return f"{label} is {size / 1024 / 1024:.1f} MB; allowed: at most {megabytes:g} MB"


def abridge(text: str, limit: int = 60) -> str:
    """`repr` of a text, cut short so that a long Base64 string does not flood the message.

    Examples:
        >>> abridge("x" * 100, limit=10)
        "'xxxxxxxxxx'... (100 characters)"
    """
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"
