"""Standard Webhooks signatures: checked on the callbacks a signing sender POSTs.

Kling's documented callback format is unsigned; the token in the receiver's path is what
keeps strangers out. A sender that signs the Standard Webhooks way sends `webhook-id`,
`webhook-timestamp` and `webhook-signature: v1,<base64>` headers, where the signed content
is `{id}.{timestamp}.{body}`, HMAC-SHA256 with the secret (after its `whsec_` prefix,
Base64-decoded).

Examples:
    >>> secret, body = "whsec_c2VjcmV0LXNpZ25pbmcta2V5", b'{"task_id": "1"}'
    >>> headers = {"webhook-id": "msg_1", "webhook-timestamp": "1700000000",
    ...            "webhook-signature": "v1," + sign(secret, "msg_1", 1700000000, body)}
    >>> verify_signature(secret, headers, body, now=1700000060)  # passes
    >>> verify_signature(secret, headers, b"{}", now=1700000060)
    Traceback (most recent call last):
    prefect_kling.callbacks.signatures.CallbackRejected: no valid signature
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence

SIGNATURE_TOLERANCE_SECONDS = 300
"""How far a signed callback's timestamp may be from now, either way."""


class CallbackRejected(Exception):
    """A callback that must not be believed (bad or missing signature, stale timestamp)."""


def verify_signature(
    secret: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
) -> None:
    """Check a Standard Webhooks signature (`webhook-id`, `-timestamp`, `-signature` headers).

    The signed content is `{id}.{timestamp}.{body}`, HMAC-SHA256 with the secret (after its
    `whsec_` prefix, Base64-decoded); `webhook-signature` lists `v1,<base64>` entries.

    Args:
        secret: The signing secret (`whsec_...`), or several: during Kling's 7-day
            rotation grace period, the old and the new one both hold.
        headers: The request's headers.
        body: The request's body, as received.
        now: The current time in seconds since the epoch (default: the wall clock).

    Raises:
        CallbackRejected: Missing headers, a timestamp over 5 minutes away, or no matching
            signature.
    """
    named = {name.lower(): value for name, value in headers.items()}  # names are case-blind
    message_id = named.get("webhook-id")
    timestamp = named.get("webhook-timestamp")
    signatures = named.get("webhook-signature")
    if not (message_id and timestamp and signatures):
        raise CallbackRejected("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise CallbackRejected("webhook-timestamp is not a number") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > SIGNATURE_TOLERANCE_SECONDS:
        raise CallbackRejected("webhook-timestamp is more than 5 minutes away")
    secrets = [secret] if isinstance(secret, str) else list(secret)
    expected = [sign(each, message_id, sent_at, body) for each in secrets]
    for entry in signatures.split():
        version, _, value = entry.partition(",")
        if version == "v1" and any(hmac.compare_digest(value, one) for one in expected):
            return
    raise CallbackRejected("no valid signature")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks v1 signature (Base64) of a message."""
    key = secret.removeprefix("whsec_")
    try:
        key_bytes = base64.b64decode(key, validate=True)
    except ValueError:
        key_bytes = key.encode()
    content = f"{message_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key_bytes, content, hashlib.sha256).digest()).decode()
