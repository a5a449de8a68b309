"""Why the account refuses a create or a call: Kling's answers, and the content words.

Examples:
    >>> Refusal(429, 1303, CONCURRENCY_MESSAGE).code
    1303
    >>> mentions("A FORBIDDEN fox", "forbidden"), mentions("a fox", None)
    (True, False)
"""

from __future__ import annotations

from typing import NamedTuple

CONCURRENCY_MESSAGE = "parallel task over resource pack limit"
PACK_USED_UP_MESSAGE = "resource pack exhausted or expired"
CONTENT_REFUSAL_MESSAGE = "The content you submitted failed the content security check"
RATE_MESSAGE = "The API request is too fast, please slow down the request frequency"


class Refusal(NamedTuple):
    """A create refused by the account: HTTP status, business code and message."""

    http_status: int
    code: int
    message: str


def mentions(text: str, word: str | None) -> bool:
    """Whether `text` contains `word`, case-insensitively (`None` or `""`: never)."""
    return bool(word) and word.lower() in text.lower()
