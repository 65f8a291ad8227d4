"""The file name Android gives a system CA: OpenSSL's old-style subject hash, then `.0`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography import x509


def subject_hash_old(pem: bytes) -> str:
    """`openssl x509 -subject_hash_old`: MD5 of the DER subject, first 4 bytes little-endian."""
    cert = x509.load_pem_x509_certificate(pem)
    digest = hashlib.md5(cert.subject.public_bytes()).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def android_name(ca_pem: Path) -> str:
    return subject_hash_old(ca_pem.read_bytes()) + ".0"
