import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from prefect_kling.exceptions import KlingImageError, KlingValidationError
from prefect_kling.media import MAX_IMAGE_BYTES, load_image, make_png


def encoded(data: bytes) -> str:
    return base64.b64encode(data).decode()


def image_bytes(width: int, height: int, kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def too_large_png() -> bytes:
    png = make_png(400, 400)
    return png + b"\0" * (11 * 1024 * 1024 - len(png))


@pytest.mark.parametrize(
    "url", ["https://example.com/cat.png", "http://example.com/a.jpg?x=1", "HTTPS://EXAMPLE.COM/A"]
)
def test_url_is_kept(url):
    assert load_image(url, field="image") == url


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_local_file_becomes_raw_base64_of_its_bytes(tmp_path, kind):
    data = image_bytes(640, 480, kind)
    path = tmp_path / f"photo.{kind.lower()}"
    path.write_bytes(data)

    assert load_image(path, field="image") == encoded(data)
    assert load_image(str(path), field="image") == encoded(data)


def test_bytes_become_raw_base64():
    data = make_png(300, 750)
    assert load_image(data, field="image") == encoded(data)
    assert load_image(bytearray(data), field="image") == encoded(data)


def test_data_prefix_is_stripped():
    data = image_bytes(500, 500, "JPEG")
    assert load_image(f"data:image/jpeg;base64,{encoded(data)}", field="image") == encoded(data)


def test_base64_with_line_breaks_comes_back_without_them():
    data = make_png(750, 300)
    wrapped = base64.encodebytes(data).decode()
    assert "\n" in wrapped
    assert load_image(wrapped, field="image") == encoded(data)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make_source", "field", "expected"),
    [
        pytest.param(
            lambda tmp: write(tmp, "photo.gif", image_bytes(400, 400, "GIF")),
            "image",
            ["photo.gif is a GIF image; allowed: JPEG or PNG"],
            id="gif-file",
        ),
        pytest.param(
            lambda tmp: encoded(image_bytes(400, 400, "WEBP")),
            "image",
            ["base64 data is a WEBP image; allowed: JPEG or PNG"],
            id="webp-base64",
        ),
        pytest.param(
            lambda tmp: too_large_png(),
            "image",
            ["bytes is 11.0 MB; allowed: at most 10 MB"],
            id="11-mb-bytes",
        ),
        pytest.param(
            lambda tmp: write(tmp, "big.png", too_large_png()),
            "image",
            ["big.png is 11.0 MB; allowed: at most 10 MB"],
            id="11-mb-file",
        ),
        pytest.param(
            lambda tmp: str(write(tmp, "a.png", make_png(200, 900))),
            "image_tail",
            ["a.png is 200x900 px; allowed: both sides at least 300 px"],
            id="too-small",
        ),
        pytest.param(
            lambda tmp: make_png(1000, 300),
            "image",
            [
                "bytes is 1000x300 px",
                "allowed: aspect ratio (width:height) between 1:2.5 and 2.5:1",
            ],
            id="too-wide",
        ),
        pytest.param(
            lambda tmp: make_png(300, 751),
            "static_mask",
            ["bytes is 300x751 px", "between 1:2.5 and 2.5:1"],
            id="too-tall",
        ),
        pytest.param(
            lambda tmp: b"not an image at all",
            "image",
            ["bytes is not an image; allowed: JPEG or PNG"],
            id="bytes-not-image",
        ),
        pytest.param(
            lambda tmp: "photo.png",
            "image",
            ["'photo.png' is not a URL, an existing file or Base64 image data"],
            id="missing-file-name",
        ),
        pytest.param(
            lambda tmp: encoded(b"plain text, no picture"),
            "image",
            ["is not a URL, an existing file or Base64 image data"],
            id="base64-not-image",
        ),
        pytest.param(
            lambda tmp: "",
            "image",
            ["'' is not a URL, an existing file or Base64 image data"],
            id="empty",
        ),
        pytest.param(
            lambda tmp: tmp / "nowhere.png",
            "image",
            ["nowhere.png cannot be read", "allowed: a readable JPEG or PNG file"],
            id="missing-path",
        ),
        pytest.param(
            lambda tmp: 42,
            "image",
            ["int is not an image source; allowed: a URL, a path, bytes or Base64 text"],
            id="wrong-type",
        ),
    ],
)
def test_refused_images_name_field_source_value_and_rule(tmp_path, make_source, field, expected):
    with pytest.raises(KlingImageError) as caught:
        load_image(make_source(tmp_path), field=field)

    error = caught.value
    assert isinstance(error, KlingValidationError)
    assert error.fields == [field]
    for fragment in expected:
        assert fragment in str(error)


def test_long_unrecognised_text_is_abridged_in_the_message():
    with pytest.raises(KlingImageError) as caught:
        load_image("x" * 5000, field="image")
    assert "(5000 characters)" in str(caught.value)
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize(("width", "height"), [(300, 300), (750, 300), (300, 750), (4000, 3000)])
def test_limits_are_inclusive(width, height):
    data = make_png(width, height)
    assert load_image(data, field="image") == encoded(data)


def test_make_png_is_a_deterministic_png_of_the_requested_size():
    data = make_png(640, 360, seed=3)
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("PNG", (640, 360))
    assert make_png(640, 360, seed=3) == data
    assert make_png(640, 360, seed=4) != data


def test_size_limit_is_ten_mebibytes():
    assert MAX_IMAGE_BYTES == 10 * 1024 * 1024
