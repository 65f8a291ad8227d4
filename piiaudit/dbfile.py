"""Is this file still a session database? Read from its bytes, before SQLite opens it.

SQLite takes a file of 0 bytes for a new, empty database and creates tables in it: a
`session.db` that was emptied would become an empty session. `damage(path)` says what is
wrong with a file that should hold a session (emptied, zeroed, cut short, not SQLite),
or None for a file that looks whole; it reads only the 100-byte header and the file's size.

Cut short: the header states the database's size in pages; a file shorter than that lost
its end. The figure is valid only when the header's "version valid for" matches its change
counter, and only without a write-ahead log holding newer pages (a writer may be mid-checkpoint).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

MAGIC = b"SQLite format 3\x00"
HEADER = 100


def damage(path: Path | str) -> str | None:
    """Why `path` cannot be a session database (one phrase), or None if it looks whole."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return "0 bytes: the file was emptied (zeroed or truncated); it is not an empty session"
    head = read_at(path, HEADER)
    if not head.strip(b"\0"):
        return f"{size} bytes of zeros: the file was zeroed; it is not an empty session"
    if head[:16] != MAGIC:
        return "not an SQLite database (the file does not start with the SQLite header)"
    if len(head) < HEADER:
        return f"cut short: {size} bytes, less than an SQLite header"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    header_valid = head[24:28] == head[92:96]
    wal_holds_pages = _size(path.with_name(path.name + "-wal")) > 0
    if header_valid and pages and not wal_holds_pages and size < pages * page_size:
        return f"cut short: {size} bytes where its header says {pages * page_size} ({pages} pages)"
    return None


def _size(path: Path) -> int:
    """The file's size, 0 if it is not there. One stat, no exists() before it: the last connection
    to close (another thread's or process's) removes the write-ahead log at any moment."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


# -- reading a database file without dropping SQLite's locks -------------------------------------
#
# SQLite locks a database with POSIX advisory locks, which belong to the process, and closing
# ANY descriptor of the file releases all of them: a header read or a hash taken with
# open()/close() while this process has a connection to the file silently unlocks that
# connection. Another process may then take the file for unused, checkpoint and truncate the
# write-ahead log under a running writer, and the database is corrupt (SQLite's "How To
# Corrupt", section 2.2). So the database's bytes are read through one descriptor per file,
# kept open for the life of the process (closed only once the file is gone), never closed
# after a read.

_KEPT: dict[tuple[int, int], int] = {}
_KEPT_LOCK = threading.Lock()
_PRUNE_ABOVE = 64


def _descriptor(path: Path | str) -> int:
    st = os.stat(path)
    key = (st.st_dev, st.st_ino)
    with _KEPT_LOCK:
        fd = _KEPT.get(key)
        if fd is None:
            if len(_KEPT) >= _PRUNE_ABOVE:
                _prune()
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            _KEPT[key] = fd
        return fd


def _prune() -> None:
    """Close the descriptors of files that no longer exist (nobody can lock those any more)."""
    for key, fd in list(_KEPT.items()):
        try:
            gone = os.fstat(fd).st_nlink == 0
        except OSError:
            gone = True
        if gone:
            try:
                os.close(fd)
            except OSError:
                pass
            del _KEPT[key]


def read_at(path: Path | str, size: int, offset: int = 0) -> bytes:
    """`size` bytes of a database file from `offset`, read without closing a descriptor."""
    return os.pread(_descriptor(path), size, offset)


def chunks(path: Path | str, size: int = 1 << 20, limit: int | None = None) -> Iterator[bytes]:
    """The file's bytes (the first `limit`, if given) in pieces, read like read_at."""
    fd, offset = _descriptor(path), 0
    while limit is None or offset < limit:
        piece = os.pread(fd, size if limit is None else min(size, limit - offset), offset)
        if not piece:
            return
        offset += len(piece)
        yield piece
