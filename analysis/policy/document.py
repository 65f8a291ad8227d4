"""A privacy policy as blocks: headings, paragraphs, list items and table rows, in reading order.

Reads text, HTML or Markdown (Chinese or English) into a list of ``Block``. HTML is parsed
with the standard library's tokenizer (scripts and styles dropped, entities decoded, ``td``/
``th`` cells kept apart); Markdown pipe tables become rows of cells with their header row;
headings keep their level. The input is bounded: at most ``MAX_BYTES``, UTF-8 text (a BOM is
allowed; UTF-16 with its BOM too), no NUL bytes; anything else is refused with one line
(``PolicyError``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from analysis.errors import AnalysisError

MAX_BYTES = 2 * 1024 ** 2      # a long policy is ~100 KB; 2 MB leaves room for inline styles


class PolicyError(AnalysisError):
    """A policy that cannot be read; the message is one line naming the file."""


@dataclass
class Block:
    kind: str                               # heading | para | item | row
    text: str                               # the block's text (a row: its cells joined by " | ")
    level: int = 0                          # heading level (1 = top)
    cells: list[str] = field(default_factory=list)      # a table row's cells
    header: list[str] = field(default_factory=list)     # the header row of the row's table


def decode(data: bytes, source: str) -> str:
    """The text of a policy file's bytes; refuses binary and non-UTF-8 input in one line."""
    if len(data) > MAX_BYTES:
        raise PolicyError(f"{source}: larger than {MAX_BYTES // 1024 ** 2} MB; refused (is this a privacy policy?)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise PolicyError(f"{source}: not valid UTF-16 text despite its byte-order mark; refused") from None
    if b"\x00" in data[:8192] or data.startswith((b"%PDF", b"PK\x03\x04", b"\x89PNG", b"\xd0\xcf\x11\xe0")):
        raise PolicyError(f"{source}: a binary file, not text; save the policy as .txt, .html or .md (UTF-8)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PolicyError(f"{source}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
                          "save the policy as UTF-8 (GBK files: iconv -f GBK -t UTF-8)") from None


def read(path: Path | str) -> str:
    path = Path(path)
    try:
        if not path.is_file():
            raise PolicyError(f"{path}: no such file" if not path.exists() else f"{path}: not a regular file")
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise PolicyError(f"{path}: cannot read ({e.strerror})") from None
    return decode(data, str(path))


def kind_of(text: str, name: str = "") -> str:
    """html, markdown or text: by the file name's suffix, else by the content."""
    suffix = Path(name).suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    head = text[:4096].lower()
    if re.search(r"<(html|body|p|div|table|h[1-6]|li)\b", head):
        return "html"
    if re.search(r"^\s*(#{1,6} |\|.*\|\s*$)", text, re.M):
        return "markdown"
    return "text"


def blocks(text: str, kind: str) -> list[Block]:
    if kind == "html":
        return _html_blocks(text)
    if kind == "markdown":
        return _markdown_blocks(text)
    return _text_blocks(text)


def _clean(text: str) -> str:
    return re.sub(r"[ \t\u3000\xa0]+", " ", text).strip()


# -- plain text ----------------------------------------------------------------------------

_TEXT_HEADING = re.compile(r"^(第[一二三四五六七八九十]+[章节部分条]|[一二三四五六七八九十]+、|\d+(\.\d+)*[、.]?\s*\S.{0,30}$)")
_ITEM = re.compile(r"^\s*([-*•·]|\(?\d+[.)）、]|（\d+）|[（(][一二三四五六七八九十]+[)）])\s*")


def _text_blocks(text: str) -> list[Block]:
    out = []
    for line in text.splitlines():
        line = _clean(line)
        if not line:
            continue
        if _ITEM.match(line) and not _looks_heading(line):
            out.append(Block("item", _ITEM.sub("", line, count=1)))
        elif _looks_heading(line):
            out.append(Block("heading", line, level=2))
        else:
            out.append(Block("para", line))
    return out


def _looks_heading(line: str) -> bool:
    return len(line) <= 40 and not re.search(r"[。；;：:]", line) and bool(_TEXT_HEADING.match(line))


# -- Markdown ------------------------------------------------------------------------------

_MD_INLINE = re.compile(r"(\*\*|__|`)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _md_inline(text: str) -> str:
    return _clean(_MD_INLINE.sub("", _MD_LINK.sub(r"\1", html.unescape(text))))


def _markdown_blocks(text: str) -> list[Block]:
    out: list[Block] = []
    header: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("|") and line.endswith("|") and len(line) > 1:
            cells = [_md_inline(c) for c in line[1:-1].split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c.replace(" ", "")) for c in cells if c) :
                continue
            if header is None:
                header = cells
            else:
                out.append(Block("row", " | ".join(cells), cells=cells, header=header))
            continue
        header = None
        if not line:
            continue
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            out.append(Block("heading", _md_inline(m.group(2)), level=len(m.group(1))))
        elif re.match(r"^([-*+]|\d+[.)])\s+", line):
            out.append(Block("item", _md_inline(re.sub(r"^([-*+]|\d+[.)])\s+", "", line))))
        elif line.startswith(">"):
            out.append(Block("para", _md_inline(line.lstrip("> "))))
        else:
            out.append(Block("para", _md_inline(line)))
    return out


# -- HTML ----------------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "br", "section", "article", "ul",
               "ol", "table", "dt", "dd", "blockquote", "header", "footer", "title"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head"}


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[Block] = []
        self.buf: list[str] = []
        self.stack: list[str] = []
        self.skip = 0
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.row_is_header = False
        self.headers: list[list[str]] = []      # one per open table

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self.skip += 1
            return
        if tag == "table":
            self._flush()
            self.headers.append([])
        elif tag == "tr":
            self._flush()
            self.row, self.row_is_header = [], False
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
            self.row_is_header = self.row_is_header or tag == "th"
        elif tag in ("br", "li", "p", "div") and self.cell is not None:
            self.cell.append("、")
        elif tag in _BLOCK_TAGS and self.cell is None:
            self._flush()
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
            return
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(_clean("".join(self.cell)).strip("、"))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.headers and (self.row_is_header or not self.headers[-1]) and not self.headers[-1]:
                self.headers[-1] = self.row
            elif any(self.row):
                header = self.headers[-1] if self.headers else []
                self.out.append(Block("row", " | ".join(self.row), cells=self.row, header=header))
            self.row = None
        elif tag == "table":
            if self.headers:
                self.headers.pop()
        elif tag in _BLOCK_TAGS and self.cell is None:
            self._flush(tag)
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        else:
            self.buf.append(data)

    def _flush(self, closing: str | None = None) -> None:
        text = _clean(" ".join(t.strip() for t in "".join(self.buf).splitlines()))
        self.buf = []
        if not text:
            return
        tag = closing or (self.stack[-1] if self.stack else "p")
        if re.fullmatch(r"h[1-6]", tag):
            self.out.append(Block("heading", text, level=int(tag[1])))
        elif tag == "title":
            self.out.append(Block("heading", text, level=1))
        elif tag == "li":
            self.out.append(Block("item", text))
        else:
            self.out.append(Block("para", text))


def _html_blocks(text: str) -> list[Block]:
    parser = _Html()
    parser.feed(text)
    parser.close()
    parser._flush()
    return parser.out
