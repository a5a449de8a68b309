"""A certificate file for the tests' Prefect clients: one throwaway certificate.

Every Prefect client loads the certificates of `PREFECT_API_SSL_CERT_FILE` (certifi's
bundle, some 150 of them, by default) when it is made, even for a plain-http API: 20 ms of
CPU each time, and Prefect makes two clients for every flow run (its engine's, and the one
that releases concurrency slots). The tests' Prefect API is plain http on loopback, which no
certificate concerns, so a file of one certificate does: the same client, made in a
fraction of a millisecond.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def write_certificate_file(path: Path) -> Path:
    """Write a self-signed certificate (its key thrown away) as PEM to `path`; return `path`.

    Examples:
        >>> import ssl, tempfile
        >>> path = write_certificate_file(Path(tempfile.mkdtemp()) / "ca.pem")
        >>> ssl.create_default_context(cafile=path).cert_store_stats()["x509_ca"]
        1
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "prefect-kling tests")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path
