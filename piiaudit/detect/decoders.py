"""Every layer the detector reads, in one table: DECODERS.

An entry is a `Decoder`: a name, the kinds of input it reads, and up to two functions.

- `decode` finds what this layer holds. A *source* reads something that is not a segment
  yet (a flow, a plaintext the crypto hooks saw) and yields the top-level segments;
  a *layer* reads a segment of one of its kinds and returns its children, each with its
  location step (`Child.prefix`, or None: the location of the child's span in the parent).
- `locate` names where spans sit inside a segment of the kinds it reads (one per kind):
  a JSON path, a form key, a header or cookie name, a protobuf field path.

The engine walks this table in order: sources for a flow, then for every segment the
layers that read its kind (the token budget is spent in table order), then the locator of
its kind for every hit and child. Adding a decoder is one function here and one row below.
Every ceiling of limits.py is checked where the work is done: `budget.take_token()` before
a token is decoded further, `decompress()` within the decompression room, the depth in
the engine.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import unquote_to_bytes

import numpy as np

from piiaudit import hosts
from piiaudit.detect import fields as F
from piiaudit.detect import location
from piiaudit.detect.charclass import B64_MAP, looks_like_text
from piiaudit.detect.decompress import decompress, sniff
from piiaudit.detect.index import NATIVE, Text, hex_token_ok
from piiaudit.detect.limits import Budget
from piiaudit.detect.segment import Child, Segment, kind_of
from piiaudit.flowrow import destination


def _unquote_py(data: bytes, plus: bool = False) -> bytes:
    return unquote_to_bytes(data.replace(b"+", b" ") if plus else data)


# Percent-decoding (urllib's unquote_to_bytes; plus: '+' is a space): one C pass where the
# extension is built, some sixty times faster on a form body than urllib's Python loop.
unquote = NATIVE.unquote if NATIVE is not None else _unquote_py

FLOW = "flow"                 # source input: a mitmproxy flow (HTTP messages, WebSocket messages)
PLAINTEXT = "plaintext"       # source input: bytes the crypto hooks saw before encryption


@dataclass(frozen=True)
class Decoder:
    name: str
    reads: tuple[str, ...]              # segment kinds, or FLOW / PLAINTEXT for a source
    # layer: (scanner, segment, text, children found so far) -> [Child]
    # source: (scanner, input, root ids) -> iterator of top-level Segment
    decode: Callable | None = None
    # (scanner, segment, spans) -> one location string per span
    locate: Callable | None = None
    needles: tuple[bytes, ...] = ()     # literals its `decode` asks Text.has/positions about
    whole: bool = False                 # the segment is read only through its children
    # what `decode` cannot find anything without (engine.Scanner's quiet segments): any of
    # these literals, or TOKENS (a hex token or a plausible base64 run, the class scan's);
    # None: it cannot tell, and every segment of its kinds is searched in full
    cues: tuple[bytes, ...] | str | None = None


TOKENS = "tokens"


# -- sources: a flow's parts ------------------------------------------------------------------
def _header_block(fields) -> tuple[bytes, list[F.Field]]:
    parts: list[bytes] = []
    out: list[F.Field] = []
    pos = 0
    for name, value in fields:
        lname = name.decode("latin-1", "replace").lower()
        line = name + b": " + value
        out.append(F.Field(pos, pos + len(line), lname, pos + len(name) + 2))
        parts.append(line)
        pos += len(line) + 1
    return b"\n".join(parts), out


def _header(fields, name: bytes) -> str:
    """What mitmproxy's `headers.get(name, "")` gives (every field of that name, any case,
    joined by ", "), read straight from the fields: a tenth of its cost."""
    values = [v for k, v in fields if k.lower() == name]
    if not values:
        return ""
    return ", ".join(v.decode("utf-8", "surrogateescape") for v in values)


# What a message's header fields give the scan (header block, its fields, Content-Type,
# Content-Encoding), by the fields themselves: an SDK sends the same headers flow after flow.
# A pure function of the fields, so a remembered answer is the answer; bounded (cleared
# when full) and only for blocks of at most HEADER_MEMO_MAX_BYTES.
HEADER_MEMO_MAX_ENTRIES = 512
HEADER_MEMO_MAX_BYTES = 4096
_header_memo: dict = {}


def _read_headers(fields) -> tuple[bytes, tuple[F.Field, ...], str, str]:
    try:
        got = _header_memo.get(fields)
    except TypeError:           # fields that cannot be hashed (not mitmproxy's tuple): read them
        got, fields = None, tuple(fields)
    if got is not None:
        return got
    block, hfields = _header_block(fields)
    got = (block, tuple(hfields), _header(fields, b"content-type"),
           _header(fields, b"content-encoding").strip().lower())
    if len(block) <= HEADER_MEMO_MAX_BYTES:
        if len(_header_memo) >= HEADER_MEMO_MAX_ENTRIES:
            _header_memo.clear()
        _header_memo[fields] = got
    return got


def _message_segments(msg, direction: str, budget: Budget, roots):
    """A message's header block, then its body with its Content-Encoding undone (gzip,
    deflate, br, zstd, lists of them) within the body and decompression budgets."""
    block, hfields, ctype, enc = _read_headers(msg.headers.fields)
    if block:
        yield Segment(block, "headers", location.HEADERS, direction, next(roots), header_fields=hfields)
    raw = msg.raw_content
    if not raw:
        return
    detail = None
    data = raw
    if enc and enc != "identity":
        codings = [c.strip() for c in enc.split(",") if c.strip() and c.strip() != "identity"]
        for coding in reversed(codings):
            out, problem = _decompress_body(data, coding, budget)
            if problem:
                budget.error(f"{direction} body ({coding}): {problem}")
            if out is None:
                data = None
                break
            data = out
        if data is None:
            # undecodable: scan the bytes as sent, something may still be readable
            data = raw
        else:
            detail = {"content_encoding": enc}
    n = budget.take_body(len(data))
    if n <= 0:
        return
    if n < len(data):
        data = data[:n]
    kind = "multipart" if "multipart/" in ctype.lower() else kind_of(data[:65536], ctype)
    yield Segment(bytes(data), kind, location.BODY, direction, next(roots), content_type=ctype, detail=detail)


def _decompress_body(data: bytes, coding: str, budget: Budget) -> tuple[bytes | None, str | None]:
    room = budget.limits.max_body_bytes - budget.body_bytes
    if room <= 0:
        budget.cap("body_bytes")
        return None, None
    out, problem = decompress(data, coding, _RoomBudget(budget, room))
    if not out and problem:
        return None, problem
    return out, problem


class _RoomBudget:
    """A view of the flow's budget whose decompression room is also bounded by the body room."""

    def __init__(self, budget: Budget, room: int):
        self._b = budget
        self._room = room
        self.limits = budget.limits

    def decompress_room(self) -> int:
        return min(self._b.decompress_room(), self._room)

    def cap(self, name: str) -> None:
        self._b.cap(name)

    @property
    def decompressed(self) -> int:
        return self._b.decompressed

    @decompressed.setter
    def decompressed(self, value: int) -> None:
        self._b.decompressed = value


def request_segments(scan, flow, roots):
    """Host name, URL path, query, header block, body."""
    req = getattr(flow, "request", None)
    if req is None:
        return
    host = _destination_name(flow)
    if host:
        yield Segment(host, "host", location.URL_HOST, "request", next(roots))
    raw_path = req.data.path or b""
    path, _, query = raw_path.partition(b"?")
    query, _, _fragment = query.partition(b"#")
    if path:
        yield Segment(path, "path", "url", "request", next(roots))
    if query:
        yield Segment(query, "query", location.QUERY, "request", next(roots))
    yield from _message_segments(req, "request", scan.budget, roots)


def _destination_name(flow) -> bytes:
    """The name the flow went to, as bytes; empty for an IP address (nothing to find in it)
    or a flow without one."""
    try:
        host = destination(flow)
    except Exception:  # noqa: BLE001 - a flow without connections (a test double, a bare request)
        host = getattr(getattr(flow, "request", None), "host", "") or ""
    if not host or hosts.is_ip_literal(host):
        return b""
    return host.encode("utf-8", "surrogateescape")


def response_segments(scan, flow, roots):
    resp = getattr(flow, "response", None)
    if resp is None:
        return
    yield from _message_segments(resp, "response", scan.budget, roots)


def websocket_segments(scan, flow, roots):
    """Each message as recorded (after permessage-deflate), at most max_ws_messages."""
    ws = getattr(flow, "websocket", None)
    if ws is None:
        return
    budget = scan.budget
    messages = ws.messages
    if len(messages) > budget.limits.max_ws_messages:
        budget.cap("ws_messages")
        messages = messages[: budget.limits.max_ws_messages]
    for i, msg in enumerate(messages):
        content = msg.content or b""
        n = budget.take_body(len(content))
        if n <= 0:
            break
        data = bytes(content[:n])
        yield Segment(data, kind_of(data[:65536]), location.websocket(i),
                      "request" if msg.from_client else "response", next(roots))


def plaintext_segments(scan, data: bytes, roots):
    """A plaintext the crypto hooks saw: located relative to itself (`json:$.imei`); the
    analysis joins it to the ciphertext's carrier with location.crypto()."""
    n = scan.budget.take_body(len(data))
    data = bytes(data[:n])
    yield Segment(data, kind_of(data), "", "request", next(roots))


# -- layers ------------------------------------------------------------------------------------
# a form field (key=value, or a bare value) whose value has a percent escape or a '+', or
# starts like JSON
_FORM_VALUE_TO_DECODE = re.compile(rb"(?:^|(?<=&))(?:[^&=]*=)?((?=[{\[]|[^&]*[%+])[^&]*)")


def form_children(scan, seg: Segment, text: Text, earlier: list[Child]) -> list[Child]:
    """Percent-decoded form values: all of them in one layer that keeps the field names
    (so 'body:form:mac' stays 'body:form:mac'), JSON values as JSON layers of their own."""
    budget = scan.budget
    data = seg.data
    out: list[Child] = []
    parts: list[bytes] = []
    span_map: list[tuple[int, int, int, int]] = []
    covered: list[tuple[int, int]] = []
    pos = 0
    # In values already percent-decoded once, a '+' is almost always a literal plus
    # (a timestamp's "+0800"); a value encoded twice still shows it as %2B or %20,
    # and the quote_plus variants match a double-encoded space left as '+'.
    plus_is_space = seg.span_map is None
    # Only values that hold an escape or start like JSON can make a layer: one regex
    # pass finds them, so the plain fields of a long form cost no Python.
    for m in _FORM_VALUE_TO_DECODE.finditer(data):
        start, value_start, end = m.start(), m.start(1), m.end(1)
        value = m.group(1)
        if b"%" in value:
            decoded = unquote(value, plus_is_space)
        elif plus_is_space and b"+" in value:
            decoded = value.replace(b"+", b" ")
        else:
            decoded = value
        layers = ("urlencoded",) if decoded != value else ()
        if decoded[:1] in (b"{", b"[") and F.looks_like_json(decoded):
            if budget.take_token():
                out.append(Child(value_start, end, decoded, "json", layers, covers=((value_start, end),),
                                 encoded=value if layers else None))
        elif layers and len(decoded) >= 8:     # nothing shorter can hold a variant or a pattern
            if b"&" in decoded:
                if budget.take_token():
                    out.append(Child(value_start, end, decoded, kind_of(decoded), layers,
                                     covers=((value_start, end),)))
                continue
            piece = data[start:value_start] + decoded
            root = seg.root_of(value_start, end)
            span_map.append((pos, pos + len(piece), root[0], root[1]))
            parts.append(piece)
            pos += len(piece) + 1
            covered.append((value_start, end))
    if parts and budget.take_token():
        out.append(Child(0, len(data), b"&".join(parts), seg.kind, ("urlencoded",), prefix=seg.prefix,
                         span_map=span_map, covers=tuple(covered), in_place=True))
    return out


def locate_form(scan, seg: Segment, spans) -> list[str]:
    if seg.kind == "query":
        return [location.query(F.form_field_at(seg.data, s).name) for s, _ in spans]
    return [location.form(seg.prefix, F.form_field_at(seg.data, s).name) for s, _ in spans]


_PCT_TOKEN = re.compile(rb"""[^\s"'<>&=,;{}\[\]]*%[0-9A-Fa-f]{2}[^\s"'<>&,;{}\[\]]*""")


def percent_children(scan, seg: Segment, text: Text, earlier: list[Child]) -> list[Child]:
    """Percent-encoded tokens inside text, JSON, headers and paths."""
    if not text.has(b"%"):
        return []
    out = []
    for m in _PCT_TOKEN.finditer(seg.data):
        raw = m.group()
        decoded = unquote(raw)
        if decoded != raw and len(raw) >= 6:
            if not scan.budget.take_token():
                break
            out.append(Child(m.start(), m.end(), decoded, kind_of(decoded), ("urlencoded",)))
    return out


_JSON_STRING = re.compile(rb'"([^"\\]*(?:\\.[^"\\]*)*)"', re.S)
_U_ESCAPE = re.compile(rb"(?:^|[^\\])(?:\\\\)*\\u[0-9a-fA-F]{4}")   # a \u escape, not an escaped backslash


def json_children(scan, seg: Segment, text: Text, earlier: list[Child]) -> list[Child]:
    """JSON strings with escapes (`\\uXXXX`, JSON in a string), unescaped."""
    if not text.has(b"\\"):
        return []
    out = []
    for m in _JSON_STRING.finditer(seg.data):
        raw = m.group(1)
        if b"\\" not in raw:
            continue
        try:
            decoded = json.loads(b'"' + raw + b'"').encode("utf-8", "surrogatepass")
        except (ValueError, UnicodeEncodeError):
            continue
        if not scan.budget.take_token():
            break
        layers = ("unicode_escape",) if _U_ESCAPE.search(raw) else ()
        out.append(Child(m.start(1), m.end(1), decoded, kind_of(decoded), layers))
    return out


def locate_json(scan, seg: Segment, spans) -> list[str]:
    paths, capped = F.json_paths(seg.data, spans, scan.limits.max_json_path_depth)
    if capped:
        scan.budget.cap("json_depth")
    return [location.json(seg.prefix, p) for p in paths]


def hex_children(scan, seg: Segment, text: Text, earlier: list[Child]) -> list[Child]:
    """Hex runs of 32+ that decode to text or compressed data."""
    if not text.has_long_run:
        return []
    out: list[Child] = []
    for s, e in text.hex_tokens():
        _token(scan, out, seg.data, s, e, "hex")
    return out


def base64_children(scan, seg: Segment, text: Text, earlier: list[Child]) -> list[Child]:
    """Base64 runs of 16+ whose case mix looks encoded, decoding to text, compressed data
    or a protobuf message with a printable string."""
    if not text.has_long_run:
        return []
    data = seg.data
    taken = [span for c in earlier for span in c.covers]
    out: list[Child] = []
    for s, e in _plausible_b64(text):
        if _hex_run(data, s, e) or (taken and _inside(taken, s)):
            continue   # hex is read as hex, a decoded form value in its own layer
        _token(scan, out, data, s, e, "base64")
    return out


_B64_TOKEN_MIN = 16
_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = b"abcdefghijklmnopqrstuvwxyz"
_COMPRESSED_B64 = (b"H4sI", b"KLUv", b"eJ", b"eN", b"eF", b"eA")   # gzip, zstd, zlib magics in base64


def _token(scan, out: list[Child], data: bytes, s: int, e: int, how: str) -> None:
    tok = data[s:e]
    if how == "base64":
        n = len(tok)
        upper = n - len(tok.translate(None, _UPPER))
        lower = n - len(tok.translate(None, _LOWER))
        # Encoded bytes look random: both cases well mixed. Identifiers and words do not.
        # Compressed data announces itself ("H4sI" is base64 for the gzip magic).
        if n % 4 == 1 or ((upper * 20 < n * 3 or lower * 20 < n * 3) and not tok.startswith(_COMPRESSED_B64)):
            return
        if (b"-" in tok or b"_" in tok) and (b"+" in tok or b"/" in tok):
            return
        pad = b"=" * (-n % 4)
        try:
            if b"-" in tok or b"_" in tok:
                raw = base64.urlsafe_b64decode(tok + pad)
            else:
                raw = base64.b64decode(tok + pad)
        except (binascii.Error, ValueError):
            return
        layer = "base64"
    else:
        if not hex_token_ok(data, s, e):
            return
        try:
            raw = bytes.fromhex(tok.decode("ascii"))
        except ValueError:
            return
        layer = "hex"
    layers: tuple[str, ...] = (layer,)
    compressed = sniff(raw)
    # the budget counts layers worth decoding further: text, compressed data, messages
    # (hex is taken to hide text or compressed data only: random ids are hex too)
    worth = compressed or looks_like_text(raw[:512]) or (layer == "base64" and F.plausible_protobuf(raw))
    if not worth or not scan.budget.take_token():
        return
    if compressed:
        blob, _ = decompress(raw, compressed, scan.budget)
        if not blob:
            return
        raw, layers = blob, (layer, compressed)
    if looks_like_text(raw):
        if len(raw) < 6:
            return
        kind = kind_of(raw)
    elif layer == "base64" and F.plausible_protobuf(raw):
        kind = "protobuf"
    else:
        return
    out.append(Child(s, e, raw, kind, layers))


def _plausible_b64(text: Text) -> list[tuple[int, int]]:
    """Runs that may be base64 of something: the case-mix test of _token applied to all
    runs at once (from the C scan's letter counts, or numpy in long texts), so words and
    ids cost no Python."""
    counted = text.b64_candidates()
    if counted is not None:
        return counted
    runs = text.runs(B64_MAP, b"b", _B64_TOKEN_MIN)
    if len(runs) < 16 or not text.big:
        return runs
    arr = np.array(runs, dtype=np.int64)
    s, e = arr[:, 0], arr[:, 1]
    n = e - s
    up, lo = text.cumcount(_UPPER), text.cumcount(_LOWER)
    ok = (n % 4 != 1) & ((up[e] - up[s]) * 20 >= n * 3) & ((lo[e] - lo[s]) * 20 >= n * 3)
    keep = [runs[i] for i in np.flatnonzero(ok).tolist()]
    data = text.data
    kept = set(keep)
    # compressed data in base64 passes whatever its case mix
    keep.extend(r for r in runs if r not in kept and data.startswith(_COMPRESSED_B64, r[0])
                and (r[1] - r[0]) % 4 != 1)
    keep.sort()
    return keep


_HEX_DIGITS = b"0123456789abcdefABCDEF"


def _hex_run(data: bytes, s: int, e: int) -> bool:
    """An even-length hex run of 32+ that is not all digits: a hex token, not base64."""
    tok = data[s:e]
    return e - s >= 32 and (e - s) % 2 == 0 and not tok.translate(None, _HEX_DIGITS) and not tok.isdigit()


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    return any(s <= pos < e for s, e in spans)


GZIP_MAGIC = b"\x1f\x8b\x08"


def gzip_children(scan, seg: Segment, text: Text, earlier: list[Child]) -> list[Child]:
    """gzip streams inside binary and text bodies (the first 8)."""
    out = []
    data = seg.data
    for pos in text.positions(GZIP_MAGIC)[:8]:
        blob, _problem = decompress(data[pos:], "gzip", scan.budget)
        if blob:
            out.append(Child(pos, len(data), blob, kind_of(blob), ("gzip",)))
    return out


def multipart_children(scan, seg: Segment, text, earlier: list[Child]) -> list[Child]:
    """The parts by name, each with its own content type; a body whose parts cannot be
    found is read as text."""
    parts = F.multipart_parts(seg.data, seg.content_type)
    if not parts:
        return [Child(0, len(seg.data), seg.data, "text", (), prefix=seg.prefix, cost=0, in_place=True)]
    return [Child(p.start, p.end, seg.data[p.start:p.end], kind_of(seg.data[p.start:p.end], p.content_type), (),
                  prefix=location.multipart(seg.prefix, p.name), cost=0, content_type=p.content_type)
            for p in parts]


def locate_headers(scan, seg: Segment, spans) -> list[str]:
    return [_header_location(seg, s) for s, _ in spans]


def _header_location(seg: Segment, offset: int) -> str:
    f = F.field_at(seg.header_fields or [], offset)
    if f is None:
        return location.HEADERS
    if f.name in ("cookie", "set-cookie") and offset >= f.value_start:
        value = seg.data[f.value_start:f.end]
        rel = offset - f.value_start
        pos = 0
        for part in value.split(b";"):
            if pos <= rel <= pos + len(part):
                name = part.split(b"=", 1)[0].strip().decode("latin-1")
                if name:
                    return location.cookie(name)
                break
            pos += len(part) + 1
            if f.name == "set-cookie":
                break   # attributes after the first pair are not cookies
    return location.header(f.name)


def locate_protobuf(scan, seg: Segment, spans) -> list[str]:
    depth = scan.limits.max_protobuf_depth
    return [location.protobuf(seg.prefix, F.protobuf_path(seg.data, s, e, depth)) for s, e in spans]


def locate_path(scan, seg: Segment, spans) -> list[str]:
    return [location.URL_PATH] * len(spans)


def locate_host(scan, seg: Segment, spans) -> list[str]:
    return [location.URL_HOST] * len(spans)


def locate_text(scan, seg: Segment, spans) -> list[str]:
    return [location.text(seg.prefix) if seg.top else seg.prefix] * len(spans)


# -- the table ------------------------------------------------------------------------------------
_TEXTUAL = ("json", "text", "binary", "path", "headers")
_ANY = ("json", "form", "query", "protobuf", "text", "binary", "path", "headers", "host")

DECODERS: tuple[Decoder, ...] = (
    # sources, in the order a flow is read
    Decoder("request", (FLOW,), request_segments),
    Decoder("response", (FLOW,), response_segments),
    Decoder("websocket", (FLOW,), websocket_segments),
    Decoder("crypto", (PLAINTEXT,), plaintext_segments),
    # layers, in the order they are decoded
    Decoder("form", ("form", "query"), form_children, locate_form, cues=(b"%", b"+", b"{", b"[")),
    Decoder("urlencoded", _TEXTUAL, percent_children, needles=(b"%",), cues=(b"%",)),
    Decoder("json", ("json",), json_children, locate_json, needles=(b"\\",), cues=(b"\\",)),
    Decoder("hex", _ANY, hex_children, cues=TOKENS),
    Decoder("base64", _ANY, base64_children, cues=TOKENS),
    Decoder("gzip", ("protobuf", "binary", "text"), gzip_children, needles=(GZIP_MAGIC,), cues=(GZIP_MAGIC,)),
    Decoder("multipart", ("multipart",), multipart_children, whole=True),
    # shapes located without decoding anything
    Decoder("headers", ("headers",), locate=locate_headers),
    Decoder("protobuf", ("protobuf",), locate=locate_protobuf),
    Decoder("path", ("path",), locate=locate_path),
    Decoder("host", ("host",), locate=locate_host),
    Decoder("text", ("text", "binary"), locate=locate_text),
)
