"""Segments, the unit the detector reads, and the children decoders find inside them.

A segment is a run of bytes with a known shape (`kind`: json form query multipart protobuf
text binary path headers) and the location prefix its hits carry. A child is a layer
decoded out of a segment (a base64 token, a form's percent-decoded values, a multipart
part): the engine turns it into a segment of its own, one step deeper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from piiaudit.detect import fields as F
from piiaudit.detect.charclass import looks_like_text


@dataclass
class Segment:
    data: bytes
    kind: str                       # json form query multipart protobuf text binary path headers host
    prefix: str                     # location prefix ('body', 'ws:3', 'body:json:$.d', 'query')
    direction: str
    root: int                       # id of the top-level segment
    chain: tuple[str, ...] = ()
    depth: int = 0
    top: bool = True                # a message body / ws message itself (text there is ':text')
    root_span: tuple[int, int] | None = None   # span in the top-level segment; None: the segment is top-level
    content_type: str = ""
    detail: dict | None = None      # carried into every hit (e.g. content_encoding)
    header_fields: tuple | None = None
    # (start, end, root start, root end) pieces: a layer assembled from several places of
    # the top-level segment (the url-decoded values of a form) maps its spans back here
    span_map: list | None = None
    # the bytes this segment was percent-decoded from (a JSON form or query value), when its
    # last chain step is that decoding: a value found verbatim in them travelled as it is
    encoded: bytes | None = None

    def root_of(self, s: int, e: int) -> tuple[int, int]:
        """The span in the top-level segment that bytes s..e of this segment came from."""
        if self.root_span is not None:
            return self.root_span
        if self.span_map:
            for cs, ce, rs, re_ in self.span_map:
                if cs <= s <= ce:
                    return (rs, re_)
        return (s, e)


class Child(NamedTuple):
    """A layer found inside a segment, to be read as a segment of its own."""
    start: int
    end: int
    data: bytes
    kind: str
    layers: tuple[str, ...]         # decoding steps it adds to the encoding chain
    prefix: str | None = None       # its location; None: the location of (start, end) in the parent
    span_map: list | None = None    # see Segment.span_map
    covers: tuple = ()              # parent spans read through this layer instead (no token there is decoded again)
    cost: int = 1                   # decode levels it takes (a multipart part takes none)
    in_place: bool = False          # a re-reading of the parent's own bytes (keeps its top and root span)
    content_type: str = ""
    encoded: bytes | None = None    # see Segment.encoded


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
