"""Text that came from the wire, made storable: every string SQLite gets is valid UTF-8.

mitmproxy decodes paths, header values and file names with ``surrogateescape``: a byte
that is not UTF-8 (``\\xff``) becomes a lone surrogate (``\\udcff``), which SQLite cannot
store ("surrogates not allowed"). Such text is stored *escaped*: each of those bytes as the
four characters ``\\xff``, any other lone surrogate as ``\\ud800``; everything else,
non-ASCII text included, stays as it is. What the escaping hides is kept by a hash:
``raw_sha256`` is the SHA-256 of the raw bytes the text stood for (the flow row records it
per column in `flows.escaped`). An escaped text is not unescaped again: a URL that really
held the four characters ``\\xff`` reads the same, and only the hash tells them apart.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def is_clean(text: str) -> bool:
    """True when `text` encodes as UTF-8 as it is (no lone surrogate)."""
    return text.isascii() or _SURROGATE.search(text) is None


def _escape_one(m: re.Match) -> str:
    code = ord(m.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def escape(text: str) -> str:
    """`text` with each byte that was not UTF-8 written ``\\xNN`` (other lone surrogates ``\\uNNNN``)."""
    return text if is_clean(text) else _SURROGATE.sub(_escape_one, text)


def raw_bytes(text: str) -> bytes:
    """The bytes `text` was decoded from (``surrogateescape``); a lone surrogate that stands
    for no byte is kept in its UTF-8 form (``surrogatepass``)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # rare: a surrogate that no byte stood for
        return b"".join(c.encode("utf-8", "surrogateescape" if 0xDC80 <= ord(c) <= 0xDCFF else "surrogatepass")
                        for c in text)


def raw_sha256(text: str) -> str:
    """SHA-256 of the raw bytes `text` stands for (raw_bytes)."""
    return hashlib.sha256(raw_bytes(text)).hexdigest()


def storable(value: Any) -> Any:
    """`value` with every string in it (dict keys too) escaped; other values as they are."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(v) for v in value]
    return value
