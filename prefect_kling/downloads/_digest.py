"""SHA-256 of a stream, computed beside the download instead of between its reads.

SHA-256 runs at a few hundred MB/s on one core; computed in the downloading thread it adds
its time to every chunk's. Here a thread of its own hashes the chunks while the next ones are
read and written (hashlib lets go of the GIL on large buffers), so on a machine with a core
to spare a save takes as long as the slower of the two, not their sum. A bounded queue keeps
memory flat: at most `depth` chunks wait for the hasher.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from typing import Self


class BackgroundSha256:
    """A SHA-256 fed from one thread and computed in another; use it as a context manager.

    Args:
        depth: Chunks that may wait for the hasher before `update` blocks.

    Examples:
        >>> with BackgroundSha256() as digest:
        ...     digest.update(b"abc")
        >>> digest.hexdigest()[:16]
        'ba7816bf8f01cfea'
    """

    def __init__(self, depth: int = 16):
        self._digest = hashlib.sha256()
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._hash, name="kling-sha256", daemon=True)
        self._thread.start()

    def _hash(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self._digest.update(chunk)

    def update(self, chunk: bytes) -> None:
        """Hand a chunk to the hasher (waits while `depth` chunks are waiting already)."""
        self._chunks.put(chunk)

    def close(self) -> None:
        """Wait until every chunk handed over is hashed; stop the hasher."""
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()

    def hexdigest(self) -> str:
        """The SHA-256 of every chunk handed over, in hex."""
        self.close()
        return self._digest.hexdigest()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
