"""Scanning one segment of a flow, and every layer decoded out of it.

A segment is a run of bytes with a known shape (JSON body, form, query string, header
block, protobuf, text) and the location prefix its hits carry. Scanning it:

1. searches the raw bytes once for known values and coordinate candidates (index.py)
   and once for validated patterns (patterns.py);
2. finds what looks encoded inside (base64 and hex tokens, percent-encoded or
   JSON-escaped strings, compressed blobs, multipart parts, form values) and scans each
   decoded layer as a child segment, its chain one step longer, to a bounded depth;
3. locates only the spans that matter (JSON path, form key, protobuf field path).

Every hit remembers the span of the top-level bytes it came from, so the detector can
tell that two hits from different layers are the same piece of data.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import unquote_to_bytes

import numpy as np

from piiaudit.detect import fields as F
from piiaudit.detect.charclass import B64_MAP, looks_like_text
from piiaudit.detect.decompress import decompress, sniff
from piiaudit.detect.index import Coord, CoordFinder, KnownIndex, Match, Text, hex_token_ok
from piiaudit.detect.limits import Budget
from piiaudit.detect.patterns import KEYED_WORDS, PatternHit, find_patterns

_B64_TOKEN_MIN = 16
_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = b"abcdefghijklmnopqrstuvwxyz"
# first hex digit of text (printable ASCII 2x-7x, UTF-8 lead bytes ex/cx/dx) or compressed data (1f 78 28)
_GZIP_MAGIC = b"\x1f\x8b\x08"
# a form field (key=value, or a bare value) whose value has a percent escape or a '+', or
# starts like JSON
_FORM_VALUE_TO_DECODE = re.compile(rb"(?:^|(?<=&))(?:[^&=]*=)?((?=[{\[]|[^&]*[%+])[^&]*)")
_COMPRESSED_B64 = (b"H4sI", b"KLUv", b"eJ", b"eN", b"eF", b"eA")   # gzip, zstd, zlib magics in base64
_U_ESCAPE = re.compile(rb"(?:^|[^\\])(?:\\\\)*\\u[0-9a-fA-F]{4}")   # a \u escape, not an escaped backslash
_JSON_STRING = re.compile(rb'"([^"\\]*(?:\\.[^"\\]*)*)"', re.S)
_PCT_TOKEN = re.compile(rb"""[^\s"'<>&=,;{}\[\]]*%[0-9A-Fa-f]{2}[^\s"'<>&,;{}\[\]]*""")


@dataclass
class Segment:
    data: bytes
    kind: str                       # json form query multipart protobuf text binary path headers
    prefix: str                     # location prefix ('body', 'ws:3', 'body:json:$.d', 'query')
    direction: str
    root: int                       # id of the top-level segment
    chain: tuple[str, ...] = ()
    depth: int = 0
    top: bool = True                # a message body / ws message itself (text there is ':text')
    root_span: tuple[int, int] | None = None   # span in the top-level segment; None: the segment is top-level
    content_type: str = ""
    detail: dict | None = None      # carried into every hit (e.g. content_encoding)
    header_fields: list | None = None
    # (start, end, root start, root end) pieces: a layer assembled from several places of
    # the top-level segment (the url-decoded values of a form) maps its spans back here
    span_map: list | None = None


class Child(NamedTuple):
    """A decoded layer found inside a segment, to be scanned as a segment of its own."""
    start: int
    end: int
    data: bytes
    kind: str
    layers: tuple[str, ...]
    prefix: str | None = None       # None: the location of (start, end) in the parent
    span_map: list | None = None


@dataclass
class Found:
    """Everything one flow's segments produced, before dedupe."""
    known: list[dict] = field(default_factory=list)
    patterns: list[dict] = field(default_factory=list)
    coords: list[dict] = field(default_factory=list)


class Scanner:
    def __init__(self, known: list[KnownIndex], coords: CoordFinder, budget: Budget, patterns: bool = True):
        self.known = known
        self.patterns = patterns
        self.coords = coords
        self.budget = budget
        self.limits = budget.limits
        self.found = Found()
        self.needles_low = KEYED_WORDS
        self.needles_raw = tuple(coords.needles) + (b"@", b"%", b"\\")
        self.needles_binary = tuple(coords.binary_needles) + (_GZIP_MAGIC,)

    # -----------------------------------------------------------------------------
    def scan(self, seg: Segment) -> None:
        try:
            self._scan(seg)
        except RecursionError:
            self.budget.error(f"{seg.prefix or seg.kind}: structure too deeply nested")
        except Exception as e:  # noqa: BLE001 - hostile input must cost at most this segment
            self.budget.error(f"{seg.prefix or seg.kind}: {type(e).__name__}: {e}")

    def _scan(self, seg: Segment) -> None:
        if not seg.data:
            return
        if seg.kind == "multipart":
            self._multipart(seg)
            return
        text = Text(seg.data)
        # every literal the searches below look for, found in one pass over each form
        binary = seg.kind in ("protobuf", "binary", "text")
        text.prefetch(self.needles_raw + (self.needles_binary if binary else ()), folded=self.needles_low)
        room = self._room()
        matches = [m for index in self.known for m in index.search(text, room)][:room]
        coords = self.coords.search(text, seg.kind in ("protobuf", "binary"), room)
        pats = find_patterns(text, self.limits.min_pattern_confidence, room) if self.patterns else []
        if room <= 0 or max(len(matches), len(coords), len(pats)) >= room:
            self.budget.cap("hits")
        children = self._children(seg, text)

        spans = [(m.start, m.end) for m in matches] + [(p.start, p.end) for p in pats] \
            + [(c.start, c.end) for c in coords] + [(c.start, c.end) for c in children if c.prefix is None]
        locs = self._locate(seg, spans)
        i = 0
        for m in matches:
            self._known(seg, m, locs[i])
            i += 1
        for p in pats:
            self._pattern(seg, p, locs[i])
            i += 1
        for c in coords:
            self._coord(seg, c, locs[i])
            i += 1
        for c in children:
            if c.prefix is None:
                loc = locs[i]
                i += 1
            else:
                loc = c.prefix
            if seg.depth + 1 > self.limits.max_decode_depth:
                self.budget.cap("decode_depth")
                continue
            self.scan(Segment(
                data=c.data, kind=c.kind, prefix=loc, direction=seg.direction, root=seg.root,
                chain=seg.chain + c.layers, depth=seg.depth + 1, top=c.span_map is not None and seg.top,
                root_span=None if c.span_map else self._span(seg, c.start, c.end), detail=seg.detail,
                span_map=c.span_map,
            ))

    # --- hits ------------------------------------------------------------------------
    def _span(self, seg: Segment, s: int, e: int) -> tuple[int, int]:
        """The span in the top-level segment that bytes s..e of this segment came from."""
        if seg.root_span is not None:
            return seg.root_span
        if seg.span_map:
            for cs, ce, rs, re_ in seg.span_map:
                if cs <= s <= ce:
                    return (rs, re_)
        return (s, e)

    def _encoding(self, seg: Segment, steps: tuple[str, ...]) -> str:
        return ">".join(seg.chain + steps) or "plain"

    def _room(self) -> int:
        """Raw findings are bounded too: twice the hits a flow may report, because
        locating and merging them costs more than finding them."""
        f = self.found
        return max(0, 2 * self.limits.max_hits - len(f.known) - len(f.patterns) - len(f.coords))

    def _full(self) -> bool:
        if self._room() <= 0:
            self.budget.cap("hits")
            return True
        return False

    def _known(self, seg: Segment, m: Match, loc: str) -> None:
        if self._full():
            return
        v = m.variant
        detail = {"matched": seg.data[m.start:m.end][:96].decode("latin-1")}
        if m.detail:
            detail.update(m.detail)
        if seg.detail:
            detail.update(seg.detail)
        self.found.known.append({
            "pii_type": v.pii_type, "location": loc, "encoding": self._encoding(seg, m.steps),
            "source": v.source, "value": v.value, "confidence": 1.0 if m.end - m.start >= 10 else 0.9,
            "direction": seg.direction, "detail": detail,
            "_root": seg.root, "_span": self._span(seg, m.start, m.end),
        })

    def _pattern(self, seg: Segment, p: PatternHit, loc: str) -> None:
        if self._full():
            return
        detail = {"rule": p.rule}
        if p.key:
            detail["key"] = p.key
        if seg.detail:
            detail.update(seg.detail)
        self.found.patterns.append({
            "pii_type": p.pii_type, "location": loc, "encoding": self._encoding(seg, ()),
            "source": "pattern", "value": p.value, "confidence": p.confidence,
            "direction": seg.direction, "detail": detail,
            "_root": seg.root, "_span": self._span(seg, p.start, p.end),
        })

    def _coord(self, seg: Segment, c: Coord, loc: str) -> None:
        if self._full():
            return
        self.found.coords.append({
            "value": c.value, "scale": c.scale, "location": loc, "chain": seg.chain,
            "direction": seg.direction, "detail": seg.detail,
            "_root": seg.root, "_span": self._span(seg, c.start, c.end),
        })

    # --- locating ----------------------------------------------------------------------
    def _locate(self, seg: Segment, spans: list[tuple[int, int]]) -> list[str]:
        if not spans:
            return []
        kind, prefix = seg.kind, seg.prefix
        if kind == "json":
            paths, capped = F.json_paths(seg.data, spans, self.limits.max_json_path_depth)
            if capped:
                self.budget.cap("json_depth")
            return [f"{prefix}:json:{p}" for p in paths]
        if kind in ("form", "query"):
            head = "query:" if kind == "query" else f"{prefix}:form:"
            return [head + F.form_field_at(seg.data, s).name for s, _ in spans]
        if kind == "headers":
            return [self._header_location(seg, s) for s, _ in spans]
        if kind == "protobuf":
            out = []
            for s, e in spans:
                path = F.protobuf_path(seg.data, s, e, self.limits.max_protobuf_depth)
                out.append(f"{prefix}:protobuf:{path}" if path else f"{prefix}:protobuf")
            return out
        if kind == "path":
            return ["url:path"] * len(spans)
        loc = f"{prefix}:text" if seg.top else prefix
        return [loc] * len(spans)

    def _header_location(self, seg: Segment, offset: int) -> str:
        f = F.field_at(seg.header_fields or [], offset)
        if f is None:
            return "header"
        if f.name in ("cookie", "set-cookie") and offset >= f.value_start:
            value = seg.data[f.value_start:f.end]
            rel = offset - f.value_start
            pos = 0
            for part in value.split(b";"):
                if pos <= rel <= pos + len(part):
                    name = part.split(b"=", 1)[0].strip().decode("latin-1")
                    if name:
                        return f"cookie:{name}"
                    break
                pos += len(part) + 1
                if f.name == "set-cookie":
                    break   # attributes after the first pair are not cookies
        return f"header:{f.name}"

    # --- layers ---------------------------------------------------------------------------
    def _children(self, seg: Segment, text: Text) -> list[Child]:
        """Every layer worth decoding: percent-encoded values, JSON strings with escapes,
        base64 and hex tokens, compressed blobs."""
        data = seg.data
        out: list[Child] = []
        taken: list[tuple[int, int]] = []
        if seg.kind in ("form", "query"):
            self._form_children(seg, out, taken)
        elif seg.kind != "protobuf" and text.has(b"%"):
            for m in _PCT_TOKEN.finditer(data):
                raw = m.group()
                decoded = unquote_to_bytes(raw)
                if decoded != raw and len(raw) >= 6:
                    if not self.budget.take_token():
                        break
                    out.append(Child(m.start(), m.end(), decoded, kind_of(decoded), ("urlencoded",)))
        if seg.kind == "json" and text.has(b"\\"):
            for m in _JSON_STRING.finditer(data):
                raw = m.group(1)
                if b"\\" not in raw:
                    continue
                try:
                    decoded = json.loads(b'"' + raw + b'"').encode("utf-8", "surrogatepass")
                except (ValueError, UnicodeEncodeError):
                    continue
                if not self.budget.take_token():
                    break
                layers = ("unicode_escape",) if _U_ESCAPE.search(raw) else ()
                out.append(Child(m.start(1), m.end(1), decoded, kind_of(decoded), layers))
        # base64 / hex tokens
        if text.has_long_run:
            for s, e in text.hex_tokens():
                self._try_token(out, data, s, e, "hex")
            for s, e in _plausible_b64(text):
                if _hex_run(data, s, e) or (taken and _inside(taken, s)):
                    continue   # hex is read as hex (above), not as base64
                self._try_token(out, data, s, e, "base64")
        if seg.kind in ("protobuf", "binary", "text"):
            for pos in text.positions(_GZIP_MAGIC)[:8]:
                blob, problem = decompress(data[pos:], "gzip", self.budget)
                if blob:
                    out.append(Child(pos, len(data), blob, kind_of(blob), ("gzip",)))
        return out

    def _form_children(self, seg: Segment, out: list[Child], taken: list[tuple[int, int]]) -> None:
        """Percent-decoded form values: all of them in one layer that keeps the field names
        (so 'body:form:mac' stays 'body:form:mac'), JSON values as JSON layers of their own."""
        data = seg.data
        parts: list[bytes] = []
        span_map: list[tuple[int, int, int, int]] = []
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
                decoded = unquote_to_bytes(value.replace(b"+", b" ") if plus_is_space else value)
            elif plus_is_space and b"+" in value:
                decoded = value.replace(b"+", b" ")
            else:
                decoded = value
            layers = ("urlencoded",) if decoded != value else ()
            if decoded[:1] in (b"{", b"[") and F.looks_like_json(decoded):
                if self.budget.take_token():
                    out.append(Child(value_start, end, decoded, "json", layers))
                    taken.append((value_start, end))
            elif layers and len(decoded) >= 8:     # nothing shorter can hold a variant or a pattern
                if b"&" in decoded:
                    if self.budget.take_token():
                        out.append(Child(value_start, end, decoded, kind_of(decoded), layers))
                        taken.append((value_start, end))
                    continue
                piece = data[start:value_start] + decoded
                root = self._span(seg, value_start, end)
                span_map.append((pos, pos + len(piece), root[0], root[1]))
                parts.append(piece)
                pos += len(piece) + 1
                taken.append((value_start, end))
        if parts and self.budget.take_token():
            out.append(Child(0, len(data), b"&".join(parts), seg.kind, ("urlencoded",),
                             prefix=seg.prefix, span_map=span_map))

    def _try_token(self, out: list[Child], data: bytes, s: int, e: int, how: str) -> None:
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
        kind = None
        layers: tuple[str, ...] = (layer,)
        compressed = sniff(raw)
        # the budget counts layers worth decoding further: text, compressed data, messages
        # (hex is taken to hide text or compressed data only: random ids are hex too)
        worth = compressed or looks_like_text(raw[:512]) or (layer == "base64" and F.plausible_protobuf(raw))
        if not worth or not self.budget.take_token():
            return
        if compressed:
            blob, _ = decompress(raw, compressed, self.budget)
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

    def _multipart(self, seg: Segment) -> None:
        parts = F.multipart_parts(seg.data, seg.content_type)
        if not parts:
            self.scan(Segment(seg.data, "text", seg.prefix, seg.direction, seg.root, seg.chain, seg.depth,
                              seg.top, seg.root_span, detail=seg.detail))
            return
        for p in parts:
            body = seg.data[p.start:p.end]
            kind = kind_of(body, p.content_type)
            self.scan(Segment(
                data=body, kind=kind, prefix=f"{seg.prefix}:multipart:{p.name}", direction=seg.direction,
                root=seg.root, chain=seg.chain, depth=seg.depth, top=False,
                root_span=seg.root_span or (p.start, p.end), content_type=p.content_type, detail=seg.detail,
            ))


def _plausible_b64(text: Text) -> list[tuple[int, int]]:
    """Runs that may be base64 of something: the case-mix test of Scanner._try_token
    applied to all runs at once (from the C scan's letter counts, or numpy in long texts),
    so words and ids cost no Python."""
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


def kind_of(data: bytes, content_type: str = "") -> str:
    """The shape of a body or decoded layer: declared type first, then what it looks like."""
    ct = content_type.lower()
    if "json" in ct and F.looks_like_json(data):
        return "json"
    if "x-www-form-urlencoded" in ct:
        return "form"
    if "multipart/" in ct:
        return "multipart"
    if "protobuf" in ct or "proto" in ct:
        return "protobuf"
    if F.looks_like_json(data):
        return "json"
    if looks_like_text(data[:4096]):
        return "form" if F.looks_like_form(data) else "text"
    if F.looks_like_protobuf(data):
        return "protobuf"
    return "binary"

