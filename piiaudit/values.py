"""How raw PII values are shown outside session.db: masked, plus a hash to match on."""

from __future__ import annotations

import hashlib

from piiaudit.rawtext import raw_bytes


def value_sha256(value: str | bytes) -> str:
    """SHA-256 of the value's raw bytes: UTF-8, a byte that was not UTF-8 as that byte
    (piiaudit.rawtext.raw_bytes)."""
    if isinstance(value, str):
        value = raw_bytes(value)
    return hashlib.sha256(value).hexdigest()


def mask(value: str | None, keep: int = 3) -> str:
    """Keep the first and last `keep` characters of long values, star the rest.

    Short values (≤ 2*keep+2 chars) keep one character at each end.
    """
    if value is None:
        return ""
    value = str(value)
    n = len(value)
    if n <= 2:
        return "*" * n
    k = keep if n > 2 * keep + 2 else 1
    return value[:k] + "*" * (n - 2 * k) + value[-k:]
