"""Finding runs of one character class at C speed.

`bytes.translate` maps every byte to its class in one pass, then `bytes.find` jumps from
run to run, so Python only ever touches the runs, never single bytes.
"""

from __future__ import annotations

import string
from typing import Iterator

import numpy as np

NUMPY_FROM = 4096   # longer texts find their runs with numpy: no Python per run below min_len


def _table(members: bytes, mark: bytes) -> bytes:
    table = bytearray(b" " * 256)
    for b in members:
        table[b] = mark[0]
    return bytes(table)


DIGITS = string.digits.encode()
HEXDIGITS = string.hexdigits.encode()
B64CHARS = (string.ascii_letters + string.digits + "+/_-").encode()

DIGIT_MAP = _table(DIGITS, b"0")
HEX_MAP = _table(HEXDIGITS, b"h")
B64_MAP = _table(B64CHARS, b"b")

# Printable text: ASCII printables and whitespace, plus bytes >= 0x80 (UTF-8 text).
_PRINTABLE = bytes(range(0x20, 0x7F)) + b"\t\r\n" + bytes(range(0x80, 0x100))


def runs(mapped: bytes, mark: bytes, min_len: int, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of every maximal run of `mark` in `mapped` at least min_len long."""
    needle = mark * min_len
    find = mapped.find
    stop = len(mapped) if end is None else end
    pos = find(needle, start, stop)
    while pos >= 0:
        run_end = find(b" ", pos + min_len, stop)
        if run_end < 0:
            run_end = stop
        yield pos, run_end
        pos = find(needle, run_end, stop)


def run_list(mapped: bytes, mark: bytes, min_len: int) -> list[tuple[int, int]]:
    """runs() as a list; vectorised for long texts, where short runs are many."""
    if len(mapped) < NUMPY_FROM:
        return list(runs(mapped, mark, min_len))
    if mapped.find(mark * min_len) < 0:
        return []
    hit = np.frombuffer(mapped, dtype=np.uint8) == mark[0]
    change = np.flatnonzero(hit[1:] != hit[:-1]) + 1       # where a run starts or ends
    inside = hit[change]
    starts, ends = change[inside], change[~inside]
    if hit[0]:
        starts = np.concatenate(([0], starts))
    if hit[-1]:
        ends = np.concatenate((ends, [len(hit)]))
    keep = (ends - starts) >= min_len
    return list(zip(starts[keep].tolist(), ends[keep].tolist()))


def binary_fraction(data: bytes) -> float:
    """Share of bytes that are neither printable ASCII, whitespace nor UTF-8 high bytes."""
    if not data:
        return 0.0
    return len(data.translate(None, _PRINTABLE)) / len(data)


def looks_like_text(data: bytes) -> bool:
    if binary_fraction(data) > 0.02:
        return False
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
