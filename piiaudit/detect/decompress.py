"""Bounded decompression: a bomb stops at the budget, a truncated stream yields what it has.

Every decoder is driven incrementally and asked for at most the bytes the flow still may
decompress, so memory and time stay proportional to the budget, never to what the
sender claims. This is the one place piiaudit decompresses anything: bodies and data
inside fields (`decompress`, against a flow's Budget) and compressed capture files
(`bounded`, against a file limit such as limits.MAX_FILE_DECOMPRESSED_BYTES).

The brotli binding has no output limit: its input is fed a byte at a time while the data
expands a lot, so one call yields at most what one byte can expand to (a brotli
meta-block: 16 MB), never what the whole stream claims.
"""

from __future__ import annotations

import io
import zlib

import brotli
import zstandard

from piiaudit.detect.limits import Budget

_CHUNK = 64 * 1024
_ZSTD = zstandard.ZstdDecompressor()


class DecodeError(Exception):
    pass


def sniff(data: bytes) -> str | None:
    """The compression a byte string starts with, if any (for data found inside fields)."""
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if len(data) > 2 and data[0] == 0x78 and data[1] in (0x01, 0x5E, 0x9C, 0xDA) and (data[0] * 256 + data[1]) % 31 == 0:
        return "zlib"
    return None


def decompress(data: bytes, encoding: str, budget: Budget) -> tuple[bytes, str | None]:
    """(output, problem). Output is capped at the flow's remaining decompression budget."""
    room = budget.decompress_room()
    if room <= 0:
        budget.cap("decompressed_size")
        return b"", None
    out, problem, capped = bounded(data, encoding, room)
    budget.decompressed += len(out)
    if capped:
        budget.cap("decompressed_size")
    return out, problem


def bounded(data: bytes, encoding: str, limit: int) -> tuple[bytes, str | None, bool]:
    """(output, problem, capped): `data` decompressed to at most `limit` bytes; capped is
    True when there was more. A stream that is corrupt from its start gives (b"", reason)."""
    enc = encoding.strip().lower()
    try:
        if enc in ("gzip", "x-gzip"):
            out, problem = _zlib(data, zlib.MAX_WBITS | 16, limit)
        elif enc == "zlib":
            out, problem = _zlib(data, zlib.MAX_WBITS, limit)
        elif enc == "deflate":
            # HTTP "deflate" is zlib-wrapped by the spec and raw in practice; take either.
            out, problem = _zlib(data, zlib.MAX_WBITS | 32 if data[:1] == b"\x78" else -zlib.MAX_WBITS, limit)
        elif enc == "br":
            out, problem = _brotli(data, limit)
        elif enc == "zstd":
            out, problem = _zstd(data, limit)
        elif enc in ("identity", ""):
            return data, None, False
        else:
            return b"", f"unsupported content-encoding {encoding!r}", False
    except DecodeError as e:
        return b"", str(e), False
    if len(out) > limit:
        return out[:limit], None, True
    return out, problem, False


def _zlib(data: bytes, wbits: int, room: int) -> tuple[bytes, str | None]:
    d = zlib.decompressobj(wbits)
    parts: list[bytes] = []
    total = 0
    pending = data
    try:
        while pending and total <= room:
            piece = d.decompress(pending, room - total + 1)
            parts.append(piece)
            total += len(piece)
            if d.eof:
                # another gzip member may follow (concatenated gzip is legal)
                pending = d.unused_data if wbits & 16 else b""
                if pending[:2] == b"\x1f\x8b":
                    d = zlib.decompressobj(wbits)
                    continue
                break
            pending = d.unconsumed_tail
    except zlib.error as e:
        if not parts or total == 0:
            raise DecodeError(f"corrupt compressed data: {e}") from None
        return b"".join(parts), f"corrupt compressed data after {total} bytes: {e}"
    out = b"".join(parts)
    if total <= room and not d.eof:
        return out, f"truncated compressed data ({total} bytes recovered)"
    return out, None


def _brotli(data: bytes, room: int) -> tuple[bytes, str | None]:
    # The brotli binding has no output limit, so input is fed in slices sized by the
    # ratio seen so far: one byte while it expands more than 64-fold (a bomb then runs at
    # most one meta-block past the room), doubling up to _CHUNK while it does not.
    d = brotli.Decompressor()
    parts: list[bytes] = []
    total = fed = 0
    step = 1
    try:
        while fed < len(data) and total <= room:
            piece = d.process(data[fed:fed + step])
            fed += step
            if total + len(piece) > room + 1:  # keep one byte past the room: "there was more"
                piece = piece[:room + 1 - total]
            parts.append(piece)
            total += len(piece)
            step = 1 if total > 64 * fed else min(step * 2, _CHUNK)
    except brotli.error as e:
        if total == 0:
            raise DecodeError(f"corrupt brotli data: {e}") from None
        return b"".join(parts), f"corrupt brotli data after {total} bytes: {e}"
    out = b"".join(parts)
    if total <= room and not d.is_finished():
        return out, f"truncated brotli data ({total} bytes recovered)"
    return out, None


def _zstd(data: bytes, room: int) -> tuple[bytes, str | None]:
    parts: list[bytes] = []
    total = 0
    try:
        with _ZSTD.stream_reader(io.BytesIO(data), read_across_frames=True) as r:
            while total <= room:
                piece = r.read(min(_CHUNK * 16, room - total + 1))
                if not piece:
                    break
                parts.append(piece)
                total += len(piece)
    except zstandard.ZstdError as e:
        if total == 0:
            raise DecodeError(f"corrupt zstd data: {e}") from None
        return b"".join(parts), f"corrupt zstd data after {total} bytes: {e}"
    return b"".join(parts), None
