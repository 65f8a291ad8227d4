"""How many flows a mitmproxy flow file holds, counted without reading them.

A flow file is a sequence of tnetstrings, one per flow: ``<length>:<payload><type>``, the
type of a flow being ``}`` (a dictionary). Counting skips from one length prefix to the
next, so a file of gigabytes is counted in the time of a few thousand seeks, and nothing in
it is parsed: a hostile length or nesting costs nothing. A file cut short or damaged gives
the records before the damage and where it stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

MAX_PREFIX = 12          # digits of a record's length; mitmproxy's reader allows fewer


class FlowCount(NamedTuple):
    flows: int               # complete records of type dictionary
    complete: bool           # the whole file was records
    stopped_at: int          # byte offset where counting stopped (the file's size when complete)


def count_flows(path: Path | str) -> FlowCount:
    path = Path(path)
    size = path.stat().st_size
    n = pos = 0
    with open(path, "rb") as fh:
        while pos < size:
            fh.seek(pos)
            prefix = fh.read(MAX_PREFIX + 1)
            colon = prefix.find(b":")
            if colon <= 0 or not prefix[:colon].isdigit():
                return FlowCount(n, False, pos)
            end = pos + colon + 1 + int(prefix[:colon])
            if end >= size:
                return FlowCount(n, False, pos)
            fh.seek(end)
            if fh.read(1) != b"}":
                return FlowCount(n, False, pos)
            n += 1
            pos = end + 1
    return FlowCount(n, True, pos)
