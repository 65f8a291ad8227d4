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

from pathlib import Path

MAGIC = b"SQLite format 3\x00"
HEADER = 100


def damage(path: Path | str) -> str | None:
    """Why `path` cannot be a session database (one phrase), or None if it looks whole."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return "0 bytes: the file was emptied (zeroed or truncated); it is not an empty session"
    with open(path, "rb") as fh:
        head = fh.read(HEADER)
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
    wal = path.with_name(path.name + "-wal")
    wal_holds_pages = wal.exists() and wal.stat().st_size > 0
    if header_valid and pages and not wal_holds_pages and size < pages * page_size:
        return f"cut short: {size} bytes where its header says {pages * page_size} ({pages} pages)"
    return None
