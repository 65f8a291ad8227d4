"""Freed heap handed back to the system where that lowers what processes hold together.

glibc keeps the memory a process frees for its next allocations; the pages stay resident and
count in the process's size. Before the analysis forks (analysis.rulesapart) and while a child
shares its pages, such pages are dead weight the machine carries once more for every process
that copies them. ``release()`` returns the free pages (``malloc_trim(0)``, which also frees
whole pages inside the heap, not only its top); elsewhere (another C library, another system)
it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys


@functools.cache
def _trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):   # not glibc (musl has no malloc_trim)
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release() -> bool:
    """Hand the process's free heap pages back to the system; whether anything could be done."""
    trim = _trim()
    return bool(trim is not None and trim(0))
