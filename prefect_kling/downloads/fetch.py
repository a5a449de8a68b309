"""One link into one file: streamed, checked, checksummed, retried from scratch.

Each file is streamed in chunks (memory does not grow with its size) into a pending file of
the destination, checked against the `Content-Length` the server announced, hashed with
SHA-256 on the way (in a thread of its own, beside the reads), and only then committed under
its final name. A broken transfer (dropped connection, timeout, short body, 5xx, 429) is
retried from scratch with backoff; a 403, 404 or 410 is final: the link has most likely
expired.

Result links are public CDN links: they are fetched with a plain `httpx.Client`
(`plain_client()`), never with the client that carries Kling credentials.

Examples:
    >>> import tempfile
    >>> cdn = httpx.Client(transport=httpx.MockTransport(
    ...     lambda request: httpx.Response(200, content=b"video")))
    >>> download_file(cdn, "https://cdn.example/v.mp4", Path(tempfile.mkdtemp()) / "v.mp4")[0]
    5
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from prefect_kling._logging import RunAwareLogger
from prefect_kling._retry import RetryPolicy, parse_retry_after
from prefect_kling._tls import shared_ssl_context
from prefect_kling.downloads._digest import BackgroundSha256
from prefect_kling.downloads.destinations import (
    DEFAULT_CHUNK_SIZE,
    Destination,
    FolderDestination,
    PendingFile,
)
from prefect_kling.exceptions import (
    KlingDownloadError,
    KlingError,
    KlingResultExpired,
    KlingTransportError,
)

logger = RunAwareLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=15.0)
"""Timeout of the client made when none is given (each read, not the whole download)."""

NameFor = Callable[[str | None], str]
"""Names the file from the response's Content-Type (None when the server sent none)."""

_EXPIRED_STATUSES = frozenset({403, 404, 410})
_RETRY_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Fetched:
    """A file committed to its destination.

    Attributes:
        name: Its name in the destination.
        size: Its size in bytes.
        sha256: The SHA-256 of its content, in hex.
    """

    name: str
    size: int
    sha256: str


def plain_client() -> httpx.Client:
    """A client for public result links: redirects followed, no credentials, shared TLS."""
    return httpx.Client(follow_redirects=True, timeout=DEFAULT_TIMEOUT, verify=shared_ssl_context())


def _display_url(url: str) -> str:
    # Signed CDN links carry their signature in the query; logs and errors do not need it.
    return url.split("?", 1)[0]


def _expired_error(status: int, url: str, label: str) -> KlingResultExpired:
    return KlingResultExpired(
        f"Could not download {label}: HTTP {status} from {_display_url(url)}. The link may have "
        "expired (Kling keeps results for 30 days, some gateways only 24 hours) or never "
        "existed; query the task again for fresh links.",
        url=_display_url(url),
    )


def _check_status(response: httpx.Response, url: str, label: str) -> None:
    status = response.status_code
    if status == 200:
        return
    if status in _EXPIRED_STATUSES:
        raise _expired_error(status, url, label)
    message = f"Could not download {label}: HTTP {status} from {_display_url(url)}"
    if status >= 500 or status in _RETRY_STATUSES:
        error = KlingDownloadError(message)
        error.retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise error
    raise KlingError(message)


def _check_length(response: httpx.Response, written: int, url: str, label: str) -> None:
    announced = response.headers.get("content-length")
    if announced is None or not announced.isdigit():
        return
    # Content-Length counts the bytes on the wire, which differ from the bytes written
    # only when the server compressed the body despite `Accept-Encoding: identity`.
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    received = written if encoding == "identity" else response.num_bytes_downloaded
    if received != int(announced):
        raise KlingDownloadError(
            f"Download of {label} from {_display_url(url)} was cut: received {received} bytes "
            f"of the {announced} announced"
        )


def _copy(response: httpx.Response, pending: PendingFile, digest: BackgroundSha256) -> int:
    size = 0
    # Pieces as the network delivers them: re-chunking with iter_bytes(n) copies every
    # byte once more and costs a fifth of the throughput; the file's buffer groups writes.
    for chunk in response.iter_bytes():
        pending.write(chunk)
        digest.update(chunk)
        size += len(chunk)
    return size


def _fetch_once(
    client: httpx.Client, url: str, destination: Destination, name_for: NameFor, label: str
) -> Fetched:
    """One GET into a new file of the destination; nothing is left of it on failure."""
    with contextlib.ExitStack() as cleanup:
        try:
            # auth=None: never send the client's credentials, if it has any, to a CDN.
            with (
                BackgroundSha256() as digest,
                client.stream(
                    "GET", url, headers={"Accept-Encoding": "identity"}, auth=None
                ) as response,
            ):
                _check_status(response, url, label)
                name = name_for(response.headers.get("content-type"))
                pending = destination.new_file(name)
                cleanup.callback(pending.discard)
                size = _copy(response, pending, digest)
                _check_length(response, size, url, label)
        except httpx.UnsupportedProtocol as error:
            raise KlingError(
                f"Cannot download {label} from {_display_url(url)}: {error}"
            ) from error
        except (httpx.TransportError, httpx.DecodingError) as error:
            raise KlingDownloadError(
                f"Download of {label} from {_display_url(url)} broke: "
                f"{type(error).__name__}: {error}"
            ) from error
        # Committed outside the translation above: a block's own errors are not the link's.
        pending.commit()
        return Fetched(name, size, digest.hexdigest())


def fetch(
    client: httpx.Client,
    url: str,
    destination: Destination,
    name_for: NameFor,
    *,
    label: str,
    retry_policy: RetryPolicy,
    sleep: Callable[[float], None],
) -> Fetched:
    """Download one link into the destination, retrying from scratch after broken transfers.

    Args:
        client: The client to send the GET with (a plain one: result links are public).
        url: The link.
        destination: Where the file goes.
        name_for: Names the file from the response's Content-Type.
        label: What logs and errors call the file.
        retry_policy: Attempts and backoff.
        sleep: Waits between attempts.

    Returns:
        The file's name, size and SHA-256.

    Raises:
        KlingError: The link answered 403, 404 or 410 (most likely expired) or another
            final error.
        KlingTransportError: Every attempt broke.
    """
    rng = random.Random()  # noqa: S311 - jitter, not security
    attempt = 0
    while True:
        attempt += 1
        try:
            return _fetch_once(client, url, destination, name_for, label)
        except KlingTransportError as error:
            if not retry_policy.should_retry(error, attempt):
                tries = f"{attempt} attempt" + ("s" if attempt > 1 else "")
                raise KlingDownloadError(f"{error} (gave up after {tries})") from error
            wait = retry_policy.delay(error, attempt, rng)
            logger.warning("%s; retrying in %.1f s (attempt %d)", error, wait, attempt + 1)
            sleep(wait)


def download_file(
    client: httpx.Client,
    url: str,
    target: Path,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    retry_policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, str]:
    """Download one link to `target` atomically: all of it under the final name, or nothing.

    The body is streamed in chunks into a temporary file next to `target`, checked
    against `Content-Length` and hashed on the way, fsync'd, then renamed onto `target`.
    Broken transfers (dropped connection, timeout, short body, 5xx, 429) start again from
    scratch after a backoff; the temporary file is removed whatever happens.

    Args:
        client: The client to send the GET with (a plain one: result links are public).
        url: The link.
        target: The final path; its folder is created when missing.
        chunk_size: Size of the write buffer: bytes written to disk at a time.
        retry_policy: Attempts and backoff (default: `RetryPolicy()`).
        sleep: Waits between attempts (injected in tests).

    Returns:
        The size in bytes and the SHA-256 (hex) of the file.

    Raises:
        KlingError: The link answered 403, 404 or 410 (most likely expired) or another
            final error.
        KlingTransportError: Every attempt broke.
    """
    target = Path(target)
    fetched = fetch(
        client,
        url,
        FolderDestination(target.parent, chunk_size=chunk_size),
        lambda content_type: target.name,
        label=target.name,
        retry_policy=retry_policy or RetryPolicy(),
        sleep=sleep,
    )
    return fetched.size, fetched.sha256
