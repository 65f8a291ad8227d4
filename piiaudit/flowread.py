"""Reading a mitmproxy flow file (`<session>/flows.mitm`, or any capture replayed) safely.

`stream(fo)` yields the flows of a file in mitmproxy's format (tnetstring records, one per
flow) the way mitmproxy's FlowReader does, but a hostile or damaged file cannot take the
reader down: each record's length is checked against what is left of the file before it
is read (a record claiming 10^11 bytes is a cut-short file, not a 100 GB allocation), a
record large enough to hold more than `MAX_ITEMS` values has its shape walked without
recursion before it is parsed (at most `MAX_DEPTH` levels and `MAX_ITEMS` values; a
smaller one is parsed at once, its depth bounded by Python's recursion limit, which ends
the stream like any other damage), and a record that is not a flow is named as such. Whatever goes wrong
ends the stream with a `FlowFileError`: one sentence with the byte offset, after every
complete flow before it.

`read_flows(path)` gives every HTTP flow of a file (or those whose ids are wanted) and a
sentence saying where reading stopped; it never raises.
"""

from __future__ import annotations

import os
from collections.abc import Container, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from mitmproxy import flow as mflow
from mitmproxy import http
from mitmproxy.io import compat, tnetstring

# Far above any real flow (a flow's state is about 5 levels deep and a few hundred values;
# a WebSocket flow adds 6 values per message) and far below Python's recursion limit and
# what a reader's memory can take (a value costs about 100 bytes once parsed).
MAX_DEPTH = 100
MAX_ITEMS = 1_000_000
MIN_VALUE_BYTES = 3        # "0:~", the smallest value: a record under 3 * MAX_ITEMS bytes cannot exceed it
MAX_PREFIX = 12            # digits of a length, as mitmproxy's own reader allows
CONTAINERS = {ord("]"), ord("}")}
TYPES = frozenset(b",;#^!~]}")


class FlowFileError(ValueError):
    """Reading stopped at a record that cannot be (or should not be) read; the message says where and why."""


class FlowsRead(NamedTuple):
    flows: list[http.HTTPFlow]
    problem: str | None          # why reading stopped early; None when the whole file was read


def _read_prefix(fo: BinaryIO, at: int) -> int | None:
    """The length prefix of the record at `at` (None at the end of the file)."""
    digits = b""
    c = fo.read(1)
    if c == b"":
        return None
    while c.isdigit():
        digits += c
        if len(digits) > MAX_PREFIX:
            raise FlowFileError(f"byte {at}: not a flow record (a length of more than {MAX_PREFIX} digits)")
        c = fo.read(1)
    if c != b":" or not digits:
        raise FlowFileError(f"byte {at}: not a flow record (no length prefix; is this a mitmproxy flow file?)")
    return int(digits)


def _check_shape(raw: bytes, kind: int, at: int) -> None:
    """Walk a record's nested values without recursion: depth and count within the limits."""
    if kind not in TYPES:
        raise FlowFileError(f"byte {at}: not a flow record (unknown type {chr(kind)!r})")
    if kind not in CONTAINERS:
        return
    items = 0
    stack = [(0, len(raw))]      # (next value's position, end) of each open container
    while stack:
        pos, end = stack[-1]
        if pos >= end:
            stack.pop()
            continue
        colon = raw.find(b":", pos, min(end, pos + MAX_PREFIX + 1))
        if colon <= pos or not raw[pos:colon].isdigit():
            raise FlowFileError(f"byte {at}: a damaged record (a value without a length)")
        value_end = colon + 1 + int(raw[pos:colon])
        if value_end >= end:
            raise FlowFileError(f"byte {at}: a damaged record (a value longer than its container)")
        value_kind = raw[value_end]
        if value_kind not in TYPES:
            raise FlowFileError(f"byte {at}: a damaged record (unknown type {chr(value_kind)!r})")
        stack[-1] = (value_end + 1, end)
        items += 1
        if items > MAX_ITEMS:
            raise FlowFileError(f"byte {at}: a record of more than {MAX_ITEMS:,} values; refused (not a flow "
                                "mitmproxy wrote)")
        if value_kind in CONTAINERS:
            if len(stack) >= MAX_DEPTH:
                raise FlowFileError(f"byte {at}: a record nested more than {MAX_DEPTH} levels deep; refused "
                                    "(not a flow mitmproxy wrote)")
            stack.append((colon + 1, value_end))


def stream(fo: BinaryIO, size: int | None = None) -> Iterator[mflow.Flow]:
    """Every flow of the file `fo` (from its current position), in order; FlowFileError at the
    first record that cannot be read. `size` is the file's size (default: fstat of `fo`)."""
    if size is None:
        size = os.fstat(fo.fileno()).st_size
    while True:
        at = fo.tell()
        length = _read_prefix(fo, at)
        if length is None:
            return
        left = size - fo.tell()
        if length + 1 > left:
            raise FlowFileError(f"byte {at}: the record claims {length:,} bytes but the file has {max(left - 1, 0):,} "
                                "left (cut short or damaged)")
        raw = fo.read(length)
        kind = fo.read(1)[0]
        if kind not in TYPES:
            raise FlowFileError(f"byte {at}: not a flow record (unknown type {chr(kind)!r})")
        if length > MIN_VALUE_BYTES * MAX_ITEMS:
            _check_shape(raw, kind, at)
        try:
            state = tnetstring.parse(kind, memoryview(raw))
        except RecursionError:
            raise FlowFileError(f"byte {at}: a record nested too deep to read; refused (not a flow mitmproxy "
                                "wrote)") from None
        except (ValueError, TypeError, IndexError) as e:
            raise FlowFileError(f"byte {at}: a damaged record ({e})") from None
        if not isinstance(state, dict):
            raise FlowFileError(f"byte {at}: a record that is not a flow (a {type(state).__name__})")
        if b"version" not in state and "version" not in state:
            raise FlowFileError(f"byte {at}: a record that is not a flow (no flow format version)")
        try:
            yield mflow.Flow.from_state(compat.migrate_flow(state))
        except FlowFileError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as e:
            raise FlowFileError(f"byte {at}: a record that is not a flow mitmproxy can read "
                                f"({type(e).__name__}: {e})") from None


def read_flows(path: Path, wanted: Container[str] | None = None) -> FlowsRead:
    """The HTTP flows of `path` (only those whose id is in `wanted`, when given)."""
    flows: list[http.HTTPFlow] = []
    problem = None
    try:
        with Path(path).open("rb") as fh:
            for f in stream(fh):
                if isinstance(f, http.HTTPFlow) and (wanted is None or f.id in wanted):
                    flows.append(f)
    except FlowFileError as e:
        problem = f"{Path(path).name}: read stopped early ({e}); {len(flows)} flows used"
    except OSError as e:
        problem = f"{Path(path).name}: read stopped early ({type(e).__name__}: {e}); {len(flows)} flows used"
    return FlowsRead(flows, problem)
