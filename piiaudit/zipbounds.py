"""A zip read within bounds: everything a hostile archive could do is refused before unpacking.

`open_bounded(path, allowed, folders=, limits=)` opens the zip and returns its entries by
name, or raises `Refused` with one line naming the first thing out of bounds:

- more than `limits.entries` entries;
- a name that could leave the folder it is unpacked into (absolute, `..`, `.`, empty parts,
  a backslash, a drive letter, control characters), a folder that is not one of `folders`,
  a name `allowed(name)` does not accept, or a name twice;
- an entry that is not a regular file (a link, a device), is encrypted, or uses a
  compression method other than stored or deflated;
- an entry above `limits.small_bytes` where `small(name)` says it is small (a top-level
  name), above `limits.entry_bytes` otherwise; all entries above `limits.total_bytes`;
- an entry above 1 MiB that expands more than `limits.ratio` times (a zip bomb);
- entries whose compressed bytes overlap (the overlapping-file zip bomb) or together claim
  more bytes than the file holds.

Reading stays bounded after that too: `read_small` reads at most its cap, and a reader of a
large entry stops at the size it claimed (zipfile does, and the CRC catches a lie).
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LOCAL_HEADER = 30      # bytes of a local file header before its name


@dataclass(frozen=True)
class Limits:
    entries: int = 1000                 # a session is a dozen files and its screenshots
    small_bytes: int = 4 << 20          # a top-level file (a manifest, a signature, a key, a timestamp)
    entry_bytes: int = 16 << 30         # one file in a folder (flows.mitm of a long recording)
    total_bytes: int = 64 << 30
    ratio: int = 500                    # uncompressed / compressed, for entries above 1 MiB


LIMITS = Limits()


class Refused(Exception):
    """A zip out of bounds: one line naming the zip, the entry and why."""


def unsafe_name(name: str) -> bool:
    """A name that could leave the folder it is unpacked into, or that no file system would show as typed."""
    return (not name or name.startswith(("/", "\\")) or "\\" in name or ":" in name
            or any(part in ("", ".", "..") for part in name.rstrip("/").split("/"))
            or any(ord(c) < 32 or ord(c) == 127 for c in name))


def _entry(path: Path, info: zipfile.ZipInfo, limits: Limits) -> None:
    name = info.filename
    mode = info.external_attr >> 16
    if mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        raise Refused(f"{path}: {name!r} is not a regular file (a link or device); refused")
    if info.flag_bits & 0x1:
        raise Refused(f"{path}: {name!r} is encrypted; refused")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise Refused(f"{path}: {name!r} uses compression method {info.compress_type}, "
                      "not stored or deflated; refused")
    cap = limits.small_bytes if "/" not in name else limits.entry_bytes
    if info.file_size > cap:
        raise Refused(f"{path}: {name!r} claims {info.file_size} bytes, more than {cap}; refused")
    if info.file_size > (1 << 20) and info.file_size > limits.ratio * max(info.compress_size, 1):
        raise Refused(f"{path}: {name!r} expands {info.file_size // max(info.compress_size, 1)} times "
                      f"(more than {limits.ratio}): a zip bomb; refused")


def open_bounded(path: Path, allowed: Callable[[str], bool], *, folders: tuple[str, ...] = (),
                 limits: Limits = LIMITS) -> tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]:
    """The open zip and its file entries by name (see the module); Refused otherwise."""
    try:
        size = path.stat().st_size
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise Refused(f"{path}: not a readable zip file ({e})") from None
    try:
        infos = zf.infolist()
        if len(infos) > limits.entries:
            raise Refused(f"{path}: {len(infos)} entries, more than a bundle holds ({limits.entries}); refused")
        entries: dict[str, zipfile.ZipInfo] = {}
        spans = []
        for info in infos:
            name = info.filename
            if unsafe_name(name):
                raise Refused(f"{path}: unsafe entry name {name!r} (absolute, '..' or control characters); refused")
            if info.is_dir():
                if name in folders:
                    continue
                raise Refused(f"{path}: unexpected folder {name!r}; refused")
            if not allowed(name):
                raise Refused(f"{path}: unexpected entry {name!r}: not a file a piiaudit bundle holds; refused")
            if name in entries:
                raise Refused(f"{path}: the entry {name!r} is there twice; refused")
            _entry(path, info, limits)
            entries[name] = info
            spans.append((info.header_offset,
                          info.header_offset + LOCAL_HEADER + len(info.orig_filename.encode("utf-8", "replace"))
                          + info.compress_size, name))
        total = sum(i.file_size for i in entries.values())
        if total > limits.total_bytes:
            raise Refused(f"{path}: its files claim {total} bytes, more than {limits.total_bytes}; refused")
        if sum(i.compress_size for i in entries.values()) > size:
            raise Refused(f"{path}: its entries claim more bytes than the file holds; refused")
        spans.sort()
        for (_, end, a), (start, _, b) in zip(spans, spans[1:]):
            if start < end:
                raise Refused(f"{path}: the entries {a!r} and {b!r} overlap (a zip bomb); refused")
    except Refused:
        zf.close()
        raise
    return zf, entries


def read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """The whole entry, at most `cap` bytes (Refused beyond)."""
    with zf.open(info) as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise Refused(f"{info.filename}: larger than {cap} bytes; refused")
    return data
