"""Read HAR files entry by entry, keeping every valid entry of a damaged file.

mitmproxy's own reader (`mitmproxy.io.har.request_to_flow`, used by `mitmdump -r`) gives
up on the whole file at the first bad entry. Captures from other tools often miss fields
or are cut short, so here each entry is checked on its own: a broken one is reported by
number and skipped, and a file whose JSON ends early still yields the entries that were
complete before the damage. A compressed HAR (.zhar) is decompressed by the detector's
bounded decoders up to limits.MAX_FILE_DECOMPRESSED_BYTES: a bomb stops there, with one
line saying so, and the entries within the limit are read. One entry becomes a flow in
`piiaudit.harflow`, which names its destination by the URL's host (the IP the HAR records
stays the peer address).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from mitmproxy import flow as mflow
from mitmproxy import http

from piiaudit import harflow
from piiaudit.detect import limits
from piiaudit.detect.decompress import bounded

REQUIRED = (("startedDateTime",), ("request", "method"), ("request", "url"))
_BETWEEN = re.compile(r"[ \t\r\n,]*")   # what may separate entries


class HarError(ValueError):
    """The file as a whole is not (or no longer) a readable HAR."""


@dataclass
class BadEntry:
    index: int
    message: str


def looks_like_har(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def decode(data: bytes, limit: int | None = None) -> str:
    """The HAR's text; a .zhar decompressed to at most `limit` bytes (default
    limits.MAX_FILE_DECOMPRESSED_BYTES), cut there (read() says so)."""
    return _decode(data, limit)[0]


def _decode(data: bytes, limit: int | None = None) -> tuple[str, str | None]:
    """(text, why it was cut or None)."""
    cut = None
    if data[:1] == b"\x78":  # .zhar: zlib-compressed HAR, as mitmproxy's save.har writes it
        limit = limits.MAX_FILE_DECOMPRESSED_BYTES if limit is None else limit
        out, problem, capped = bounded(data, "zlib", limit)
        if not out:
            raise HarError(f"looks zlib-compressed (.zhar) but does not decompress: {problem}")
        if capped:
            cut = (f"decompresses to more than {limit / (1 << 20):g} MB, the limit for a compressed capture; "
                   "read as far as that")
        elif problem:
            cut = f"compressed data damaged ({problem})"
        data = out
    try:
        return data.decode("utf-8-sig"), cut
    except UnicodeDecodeError as e:
        if cut and e.start >= len(data) - 3:  # a character split by the cut
            return data[:e.start].decode("utf-8-sig"), cut
        raise HarError(f"not UTF-8 text at byte {e.start}") from None


def entries(text: str) -> Iterator[dict | BadEntry]:
    """Raw entries; raises HarError (after yielding what it could) if the JSON is damaged."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        yield from _salvage(text, e)
        return
    except RecursionError:
        # no HAR nests more than a dozen levels; a document nested past the parser's limit is refused whole
        raise HarError("JSON nested too deep to read; refused (not a HAR an exporter wrote)") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("log"), dict):
        raise HarError("no 'log' object at the top level")
    items = doc["log"].get("entries")
    if not isinstance(items, list):
        raise HarError("'log.entries' is missing or not a list")
    yield from items


def _salvage(text: str, error: json.JSONDecodeError) -> Iterator[dict]:
    where = f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
    key = text.find('"entries"')
    start = text.find("[", key) if key >= 0 else -1
    if start < 0:
        raise HarError(f"{where}; no entries could be recovered")
    decoder = json.JSONDecoder()
    pos, n = start + 1, 0
    while True:
        pos = _BETWEEN.match(text, pos).end()
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break
        n += 1
        yield item
    raise HarError(f"{where}; kept the {n} complete entries before the damage")


def _get(entry: dict, path: tuple[str, ...]):
    cur = entry
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    return cur


def to_flow(entry: object, index: int) -> mflow.Flow | BadEntry:
    if isinstance(entry, BadEntry):
        return entry
    if not isinstance(entry, dict):
        return BadEntry(index, f"HAR entry {index}: not an object")
    for path in REQUIRED:
        if _get(entry, path) in (None, ""):
            return BadEntry(index, f"HAR entry {index}: missing {'.'.join(path)}")
    try:
        f = harflow.to_flow(entry)
    except Exception as e:  # noqa: BLE001 - any malformed field: report this entry, keep the rest
        return BadEntry(index, f"HAR entry {index} ({_get(entry, ('request', 'url'))}): {type(e).__name__}: {e}")
    resp = entry["response"] if isinstance(entry.get("response"), dict) else {}
    if not resp.get("status"):
        # save.har writes status 0 for a flow that never got a response: restore that.
        f.response = None
        f.error = mflow.Error(str(resp.get("_error") or "no response"))
    return f


def read(data: bytes) -> Iterator[http.HTTPFlow | BadEntry]:
    """Flows and bad entries in file order; raises HarError after the last salvageable one
    (also when a .zhar was cut at the decompression limit, after the entries within it)."""
    text, cut = _decode(data)
    n = 0
    try:
        for i, entry in enumerate(entries(text)):
            n += 1
            yield to_flow(entry, i)
    except HarError as e:
        raise HarError(f"{cut}; {n} complete entries within it" if cut else str(e)) from None
    if cut:
        raise HarError(cut)
