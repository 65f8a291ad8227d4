"""Where in a structure a byte offset is: JSON paths, form keys, multipart parts, protobuf
field paths.

Searches run over raw bytes; only spans that hold something are located, so a body
without findings is never parsed field by field. Locating is tolerant: broken or
truncated structure still gives the nearest path it can.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import NamedTuple
from urllib.parse import unquote_plus

from piiaudit.detect import location
from piiaudit.detect.charclass import looks_like_text

# Strings and structural characters only: numbers, literals and whitespace are skipped by
# the regex engine, which is most of what makes locating fast.
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"?|[{}\[\],]', re.S)
_LBRACE, _RBRACE, _LBRACK, _RBRACK, _COMMA, _QUOTE = b"{}[],\""
_WS = b" \t\r\n"


def _json_key(tok: bytes) -> str:
    inner = tok[1:-1] if tok.endswith(b'"') and len(tok) > 1 else tok[1:]
    if b"\\" in inner:
        try:
            return json.loads(b'"' + inner + b'"')
        except ValueError:
            pass
    return inner.decode("utf-8", "replace")


def _render(data: bytes, stack: list, max_depth: int) -> tuple[str, bool]:
    parts = [location.JSON_ROOT]
    for kind, v in stack[:max_depth]:
        if kind == "a":
            parts.append(location.json_index(v))
        elif v is not None:
            parts.append(location.json_key(_json_key(data[v[0]:v[1]])))
    capped = len(stack) > max_depth
    if capped:
        parts.append(location.json_cut(len(stack) - max_depth))
    return "".join(parts), capped


def json_paths(data: bytes, spans: list[tuple[int, int]], max_depth: int) -> tuple[list[str], bool]:
    """The JSON path of each span's start (spans in any order). Also: was a path cut short.

    Tolerant: on broken JSON the path is the best guess from the structure seen so far.
    """
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    paths = ["$"] * len(spans)
    if not spans:
        return paths, False
    capped = False
    stack: list[list] = []     # ["o", (key start, key end) | None] or ["a", index]
    k, n_spans = 0, len(order)
    next_at = spans[order[0]][0]
    n = len(data)
    for m in _JSON_TOKEN.finditer(data):
        s, e = m.span()
        while s > next_at:   # spans between tokens belong to the open container
            paths[order[k]], c = _render(data, stack, max_depth)
            capped |= c
            k += 1
            if k == n_spans:
                return paths, capped
            next_at = spans[order[k]][0]
        c0 = data[s]
        if c0 == _QUOTE:
            top = stack[-1] if stack else None
            if top is not None and top[0] == "o":
                j = e
                while j < n and data[j] in _WS:
                    j += 1
                if j < n and data[j] == 58:   # ':' -> this string is a key
                    top[1] = (s, e)
        elif c0 == _LBRACE:
            stack.append(["o", None])
        elif c0 == _LBRACK:
            stack.append(["a", 0])
        elif c0 == _COMMA:
            if stack and stack[-1][0] == "a":
                stack[-1][1] += 1
        elif stack:
            stack.pop()
        while next_at < e:   # spans inside this token
            paths[order[k]], c = _render(data, stack, max_depth)
            capped |= c
            k += 1
            if k == n_spans:
                return paths, capped
            next_at = spans[order[k]][0]
    while k < n_spans:
        paths[order[k]], c = _render(data, stack, max_depth)
        capped |= c
        k += 1
    return paths, capped


class Field(NamedTuple):
    start: int        # start of the whole field (key included)
    end: int
    name: str
    value_start: int


def form_field_at(data: bytes, offset: int) -> Field:
    """The field of a form or query that holds `offset`, found from the '&' on either side
    (the field is parsed alone, not the whole form)."""
    start = data.rfind(b"&", 0, offset) + 1
    end = data.find(b"&", offset)
    if end < 0:
        end = len(data)
    part = data[start:end]
    eq = part.find(b"=")
    return Field(start, end, _field_name(part if eq < 0 else part[:eq]), start + eq + 1 if eq >= 0 else start)


def _field_name(raw_key: bytes) -> str:
    if b"%" in raw_key or b"+" in raw_key:
        return unquote_plus(raw_key.decode("latin-1")).strip()
    return raw_key.decode("utf-8", "replace").strip()


def field_at(fields: list[Field], offset: int) -> Field | None:
    i = bisect_right([f.start for f in fields], offset) - 1
    if i >= 0 and offset <= fields[i].end:
        return fields[i]
    return None


_B64_PADDED = re.compile(rb"^[A-Za-z0-9+/_\-]+={1,2}$")


def looks_like_form(data: bytes) -> bool:
    head = data[:512].strip()
    if not head or b"=" not in head or head[:1] in b"{[<" or _B64_PADDED.match(head):
        return False
    return re.match(rb"^[A-Za-z0-9_.\-\[\]%*]{1,64}=[^\s]*?(&[A-Za-z0-9_.\-\[\]%*]{1,64}=?[^\s]*?)*$", head) is not None


def looks_like_json(data: bytes) -> bool:
    head = data[:1].lstrip() or data.lstrip()[:1]
    return head in (b"{", b"[")


# --- multipart ------------------------------------------------------------------------
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)
_DISPO_NAME = re.compile(rb'name="([^"]*)"', re.I)
_DISPO_FILE = re.compile(rb'filename="([^"]*)"', re.I)
_PART_TYPE = re.compile(rb"^content-type:\s*([^\r\n;]+)", re.I | re.M)


class Part(NamedTuple):
    start: int
    end: int
    name: str
    content_type: str


def multipart_parts(data: bytes, content_type: str) -> list[Part]:
    m = _BOUNDARY.search(content_type or "")
    if m:
        boundary = m.group(1).encode("latin-1", "replace")
    else:
        first = data.lstrip()[:200].split(b"\r\n", 1)[0]
        if not first.startswith(b"--"):
            return []
        boundary = first[2:]
    delim = b"--" + boundary
    out = []
    pos = data.find(delim)
    n = 0
    while pos >= 0:
        head_start = pos + len(delim)
        if data[head_start:head_start + 2] == b"--":
            break
        nxt = data.find(delim, head_start)
        body_end = len(data) if nxt < 0 else nxt
        head_end = data.find(b"\r\n\r\n", head_start, body_end)
        sep = 4
        if head_end < 0:
            head_end = data.find(b"\n\n", head_start, body_end)
            sep = 2
        if head_end < 0:
            break
        head = data[head_start:head_end]
        name_m = _DISPO_NAME.search(head) or _DISPO_FILE.search(head)
        name = name_m.group(1).decode("utf-8", "replace") if name_m else f"part{n}"
        type_m = _PART_TYPE.search(head.strip())
        end = body_end
        if data[end - 2:end] == b"\r\n":
            end -= 2
        elif data[end - 1:end] == b"\n":
            end -= 1
        out.append(Part(head_end + sep, max(head_end + sep, end), name, type_m.group(1).decode("latin-1").strip() if type_m else ""))
        n += 1
        pos = nxt
    return out


# --- protobuf without a schema -------------------------------------------------------------
class PbField(NamedTuple):
    start: int        # value bytes
    end: int
    path: str         # "1.3.2"
    wire: int


def _varint(data: bytes, pos: int, n: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= n or shift > 63:
            raise ValueError
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def protobuf_fields(data: bytes, max_depth: int, base: int = 0, prefix: str = "", depth: int = 0,
                    out: list | None = None) -> list[PbField] | None:
    """Every field of a message, nested messages followed; None if data is not a message."""
    if out is None:
        out = []
    level = _level(data, 0, len(data))  # a whole level parses before anything is added
    if level is None:
        return None
    for num, wire, start, end in level:
        path = f"{prefix}{num}"
        out.append(PbField(base + start, base + end, path, wire))
        if wire == 2 and depth < max_depth and end - start >= 2:
            # bytes that parse whole as a message are taken as one (what schema-less
            # decoders do); text rarely does, since its bytes make invalid wire types
            protobuf_fields(data[start:end], max_depth, base + start, path + ".", depth + 1, out)
    return out


def _level(data: bytes, lo: int, hi: int) -> list[tuple[int, int, int, int]] | None:
    """(field number, wire type, value start, value end) of one message level, or None."""
    out = []
    pos = lo
    try:
        while pos < hi:
            key, pos = _varint(data, pos, hi)
            num, wire = key >> 3, key & 7
            if num == 0 or num > 1 << 20:
                return None
            if wire == 0:
                start = pos
                _, pos = _varint(data, pos, hi)
            elif wire == 1:
                start, pos = pos, pos + 8
            elif wire == 5:
                start, pos = pos, pos + 4
            elif wire == 2:
                length, start = _varint(data, pos, hi)
                pos = start + length
            else:
                return None
            if pos > hi:
                return None
            out.append((num, wire, start, pos))
    except ValueError:
        return None
    return out if out else None


def protobuf_path(data: bytes, start: int, end: int, max_depth: int) -> str | None:
    """The field path ("3.6.2") of the innermost field holding data[start:end].

    Descends only into the field that holds the span, so a hit in a large message costs
    the fields on its path, not a walk of the whole message."""
    level = _level(data, 0, len(data))
    path: list[str] = []
    depth = 0
    while level is not None:
        holder = next((f for f in level if f[2] <= start and end <= f[3]), None)
        if holder is None:
            break
        path.append(str(holder[0]))
        if holder[1] != 2 or depth >= max_depth or holder[3] - holder[2] < 2:
            break
        level = _level(data, holder[2], holder[3])
        depth += 1
    return ".".join(path) or None


def looks_like_protobuf(data: bytes) -> bool:
    """A binary body that parses as protobuf (whole, or its first fields when it is long)."""
    if len(data) < 2 or looks_like_text(data[:256]):
        return False
    if len(data) <= 4096:
        return bool(protobuf_fields(data, 0))
    return _prefix_parses(data[:4096])


def plausible_protobuf(data: bytes) -> bool:
    """Bytes decoded out of a token: a message only if it parses whole and carries text.

    Random bytes parse as protobuf often enough; a real message found inside base64 or hex
    holds strings, so at least one length-delimited field must be printable."""
    if len(data) < 4 or data[0] & 7 not in (0, 1, 2, 5) or data[0] < 8:
        return False    # messages start with a one-byte tag of a valid wire type
    fields = protobuf_fields(data, 0)
    if not fields or len(fields) < 2:
        return False
    return any(f.wire == 2 and f.end - f.start >= 4 and looks_like_text(data[f.start:f.end]) for f in fields)


def _prefix_parses(data: bytes) -> bool:
    try:
        pos, n, count = 0, len(data), 0
        while pos < n and count < 64:
            key, pos = _varint(data, pos, n)
            if key >> 3 == 0:
                return False
            wire = key & 7
            if wire == 0:
                _, pos = _varint(data, pos, n)
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            elif wire == 2:
                length, pos = _varint(data, pos, n)
                pos += length
            else:
                return False
            count += 1
        return pos <= n or count >= 4
    except ValueError:
        return False
