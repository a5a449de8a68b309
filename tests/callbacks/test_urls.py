"""The receiver's callback URLs."""

from prefect_kling.callbacks import callback_url
from tests.callbacks.hooks import PATH, TOKEN


def test_callback_url():
    assert callback_url("http://127.0.0.1:8080/", TOKEN) == f"http://127.0.0.1:8080{PATH}"
    assert callback_url("http://h", TOKEN, "image2video").endswith(f"{PATH}?endpoint=image2video")
