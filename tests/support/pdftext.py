"""The text of each page of a PDF, read with the standard library alone (the suite has no PDF
library): objects located by their headers, Flate streams inflated, each font's ToUnicode
CMap applied to the strings that the page's content stream shows with that font.

Enough for PDFs that Chromium (Skia) writes: pages in `/Type /Page` objects, direct
`/Length`s, fonts named in the page's `/Resources /Font` dictionary, hex or literal strings
shown by Tj and TJ. A file that is not such a PDF fails loudly (ValueError), never silently.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

_OBJ = re.compile(rb"(\d+) 0 obj\s*")
_REF = rb"(\d+) 0 R"


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number -> (its dictionary text, its stream inflated or None)."""
    out: dict[int, tuple[bytes, bytes | None]] = {}
    pos = 0
    while (m := _OBJ.search(data, pos)) is not None:
        start = m.end()
        end = data.find(b"endobj", start)
        stream_at = data.find(b"stream", start, end if end >= 0 else None)
        if end < 0:
            raise ValueError("an object without endobj: not a whole PDF")
        if stream_at < 0:
            out[int(m.group(1))] = (data[start:end], None)
            pos = end
            continue
        head = data[start:stream_at]
        length = re.search(rb"/Length (\d+)(?! 0 R)", head)
        if length is None:
            raise ValueError(f"object {m.group(1).decode()}: a stream without a direct /Length")
        body_at = stream_at + len(b"stream")
        body_at += 2 if data[body_at:body_at + 2] == b"\r\n" else 1
        raw = data[body_at:body_at + int(length.group(1))]
        body = zlib.decompress(raw) if b"/FlateDecode" in head else raw
        out[int(m.group(1))] = (head, body)
        pos = data.find(b"endobj", body_at + len(raw)) + 6
    return out


def _cmap(text: bytes) -> tuple[dict[bytes, str], int]:
    """A ToUnicode CMap: code bytes -> text, and the code width in bytes."""
    widths = [len(a) // 2 for a in re.findall(rb"<([0-9A-Fa-f]+)>\s*<[0-9A-Fa-f]+>",
                                              re.search(rb"begincodespacerange(.*?)endcodespacerange", text, re.S)
                                              .group(1))] if b"begincodespacerange" in text else [2]
    width = max(widths or [2])
    out: dict[bytes, str] = {}

    def utf16(hexes: bytes) -> str:
        return bytes.fromhex(hexes.decode()).decode("utf-16-be", "replace")

    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            out[bytes.fromhex(src.decode())] = utf16(dst)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])", block):
            a, b = int(lo, 16), int(hi, 16)
            n = len(lo) // 2
            if dst.startswith(b"["):
                for i, d in enumerate(re.findall(rb"<([0-9A-Fa-f]*)>", dst)):
                    out[(a + i).to_bytes(n, "big")] = utf16(d)
            else:
                first = int(dst[1:-1], 16)
                size = len(dst[1:-1]) // 2
                for i in range(b - a + 1):
                    out[(a + i).to_bytes(n, "big")] = utf16(b"%0*x" % (size * 2, first + i))
    return out, width


def _literal(s: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == 0x5C and i + 1 < len(s):   # backslash
            nxt = s[i + 1:i + 2]
            octal = re.match(rb"[0-7]{1,3}", s[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(0), 8) & 0xFF)
                i += 1 + len(octal.group(0))
                continue
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(nxt, nxt)
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


_TOKENS = re.compile(rb"/([^\s/<>\[\]()]+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f\s]*)>|\(((?:\\.|[^\\)])*)\)|(T[jJ]|'|\"|T\*|ET)",
                     re.S)


def _show(content: bytes, fonts: dict[bytes, tuple[dict[bytes, str], int]]) -> str:
    text, font = [], (({}, 1))
    pending: list[bytes] = []
    for m in _TOKENS.finditer(content):
        name, hexes, lit, op = m.groups()
        if name is not None:
            font = fonts.get(name, ({}, 1))
        elif hexes is not None:
            pending.append(bytes.fromhex(re.sub(rb"\s", b"", hexes).decode() or ""))
        elif lit is not None:
            pending.append(_literal(lit))
        elif op in (b"Tj", b"TJ", b"'", b'"'):
            cmap, width = font
            for s in pending:
                text += [cmap.get(s[i:i + width], "") for i in range(0, len(s), width)]
            pending = []
        elif op in (b"T*", b"ET"):
            text.append("\n")
    return "".join(text)


def pages(path: Path | str) -> list[str]:
    """The text of each page, in order."""
    data = Path(path).read_bytes()
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise ValueError(f"{path}: not a whole PDF file")
    objs = _objects(data)
    cmaps: dict[int, tuple[dict[bytes, str], int]] = {}
    out = []
    order = _page_order(objs)
    for num in order:
        head = objs[num][0]
        fonts: dict[bytes, tuple[dict[bytes, str], int]] = {}
        font_dict = re.search(rb"/Font\s*<<(.*?)>>", head, re.S)
        for name, ref in re.findall(rb"/([^\s/]+)\s+" + _REF, font_dict.group(1) if font_dict else b""):
            ref = int(ref)
            if ref not in cmaps:
                tu = re.search(rb"/ToUnicode " + _REF, objs.get(ref, (b"", None))[0])
                body = objs[int(tu.group(1))][1] if tu else None
                cmaps[ref] = _cmap(body) if body else ({}, 1)
            fonts[name] = cmaps[ref]
        contents = re.search(rb"/Contents\s*(\[[^\]]*\]|" + _REF + rb")", head)
        refs = [int(r) for r in re.findall(_REF, contents.group(1))] if contents else []
        out.append("".join(_show(objs[r][1] or b"", fonts) for r in refs))
    return out


def _page_order(objs: dict[int, tuple[bytes, bytes | None]]) -> list[int]:
    """The pages in the order of the page tree's /Kids (one level, as Skia writes it), else by number."""
    pages_ = [n for n, (h, _) in objs.items() if re.search(rb"/Type\s*/Page(?!s)", h)]
    for _, (h, _) in objs.items():
        if re.search(rb"/Type\s*/Pages", h):
            kids = [int(k) for k in re.findall(_REF, re.search(rb"/Kids\s*\[([^\]]*)\]", h).group(1))]
            if set(kids) == set(pages_):
                return kids
    return sorted(pages_)
