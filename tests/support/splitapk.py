"""A split APK for tests: a ZIP whose compiled AndroidManifest.xml says `package` and `split`.

Android's binary XML (AOSP ResourceTypes.h) written by hand: an XML header, a UTF-16 string
pool, and one <manifest package=... split=...> element with an end tag. A split built by aapt2
carries code or resources too; the install path reads only the manifest, so that is all this
one has (plus a resource file, as a density split would).
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path


def _pool(strings: list[str]) -> bytes:
    offsets, body = [], b""
    for s in strings:
        offsets.append(len(body))
        body += struct.pack("<H", len(s)) + s.encode("utf-16-le") + b"\0\0"
    body += b"\0" * (-len(body) % 4)
    start = 28 + 4 * len(strings)
    head = struct.pack("<HHIIIIII", 0x0001, 28, start + len(body), len(strings), 0, 0, start, 0)
    return head + struct.pack(f"<{len(strings)}I", *offsets) + body


def manifest_bytes(package: str, split: str | None) -> bytes:
    strings = ["manifest", "package", package] + (["split", split] if split else [])
    attrs = [(1, 2)] + ([(3, 4)] if split else [])
    attr_bytes = b"".join(struct.pack("<iiiHBBI", -1, name, value, 8, 0, 0x03, value) for name, value in attrs)
    start_body = struct.pack("<iiHHHHHH", -1, 0, 20, 20, len(attrs), 0, 0, 0) + attr_bytes
    start = struct.pack("<HHIIi", 0x0102, 16, 16 + len(start_body), 1, -1) + start_body
    end = struct.pack("<HHIIiii", 0x0103, 16, 24, 1, -1, -1, 0)
    body = _pool(strings) + start + end
    return struct.pack("<HHI", 0x0003, 8, 8 + len(body)) + body


def write_split(path: Path, package: str, split: str) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("AndroidManifest.xml", manifest_bytes(package, split))
        z.writestr("res/drawable-xxhdpi-v4/icon.png", b"\x89PNG\r\n\x1a\n")
    return path
