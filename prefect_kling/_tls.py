"""One verified TLS context for every HTTP client the package opens.

Building a context loads the CA bundle, about 40 ms of CPU; a batch opens a client for each
create and each task's downloads, so each would pay it on the way to Kling. (The simulator's
callback sender, which speaks to your receiver, keeps httpx's own.) A context is safe to
share between threads and connections.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """The verified TLS context every client uses (`SSL_CERT_FILE` / `SSL_CERT_DIR` honoured).

    Examples:
        >>> shared_ssl_context() is shared_ssl_context()
        True
        >>> shared_ssl_context().verify_mode.name
        'CERT_REQUIRED'
    """
    return httpx.create_ssl_context(trust_env=True)
