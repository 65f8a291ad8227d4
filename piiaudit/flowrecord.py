"""A flow as the bytes of one `flows.mitm` record: mitmproxy's tnetstring of its `get_state()`.

`record(flow)` is byte for byte what mitmproxy's `io.FlowWriter.add` writes for the flow
(tested on every flow of the demo capture and on generated values), so `mitmdump -nr` and
mitmproxy read the file as their own. The serialisation runs in C (piiaudit/_tnetstring.c,
built by setup.py) where that is built, and in mitmproxy's pure-Python writer where it is
not: on the proxy's event loop that writer cost about 75 us of a 2.3 KB flow, the C one a
few microseconds, for every flow a live capture saves.
"""

from __future__ import annotations

from typing import Any

from mitmproxy import flow as mflow
from mitmproxy.io import tnetstring

try:   # optional, like the detector's C scans: without it, the same bytes, slower
    from piiaudit import _tnetstring
except ImportError:   # pragma: no cover - exercised by forcing NATIVE = None in the tests
    _tnetstring = None
NATIVE = _tnetstring


def dumps(value: Any) -> bytes:
    """`mitmproxy.io.tnetstring.dumps(value)`, from C where it is built. Values other than the
    exact built-in types go through mitmproxy's writer, and raise as it raises."""
    if NATIVE is None:
        return tnetstring.dumps(value)
    return NATIVE.dumps(value, tnetstring.dumps)


def record(f: mflow.Flow) -> bytes:
    """The flows.mitm record of `f`, as `mitmproxy.io.FlowWriter(fo).add(f)` writes it."""
    return dumps(f.get_state())
