"""HTTP/2 read back from TLS plaintext: the frames one connection carried, as exchanges.

The agent reports what a process wrote into its TLS library and what it read back, chunk by
chunk, per connection (``ssl_ptr``). When the first chunk written starts with the HTTP/2
connection preface, ``H2Connection`` takes both directions: it cuts the byte streams into
frames (RFC 9113 §4.1), decodes HEADERS + CONTINUATION blocks with HPACK (the ``hpack``
package mitmproxy's h2 stack uses; one decoder per direction, as the dynamic table is), follows
each side's SETTINGS_HEADER_TABLE_SIZE (up to ``MAX_TABLE``), strips padding, gathers DATA per stream, and hands back each stream as an ``Exchange`` once its
response ends (or it is reset, or the caller flushes it).

Hostile input never raises past ``feed``'s contract: a malformed frame, an oversized header
block or a bad HPACK block raises ``H2Error`` once, after which the connection is marked
broken and ignores the rest. Sizes are bounded: frame payloads by the largest frame size the
``MAX_FRAME_KEPT`` (1 MiB; clients announce 16 KiB frames and rarely raise it), header blocks by ``MAX_HEADER_BLOCK``, bodies by ``MAX_BODY`` (the
rest is counted, not kept) and live streams by ``MAX_STREAMS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
FRAME_HEADER = 9
MAX_FRAME = (1 << 24) - 1
MAX_HEADER_BLOCK = 64 * 1024
MAX_BODY = 1 << 20
MAX_STREAMS = 256
MAX_TABLE = 1 << 20
SETTINGS_HEADER_TABLE_SIZE = 0x1
ACK = 0x1
MAX_FRAME_KEPT = 1 << 20

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x4, 0x8, 0x20


class H2Error(ValueError):
    """The plaintext is not HTTP/2 as the protocol allows; the connection is given up."""


@dataclass
class Message:
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    body_len: int = 0
    ended: bool = False

    def add_body(self, data: bytes) -> None:
        self.body_len += len(data)
        room = MAX_BODY - len(self.body)
        if room > 0:
            self.body += data[:room]

    @property
    def capped(self) -> bool:
        return self.body_len > len(self.body)


@dataclass
class Exchange:
    """One stream: the request the client sent and the response, if one came back."""

    stream_id: int
    request: Message
    response: Message | None = None
    reset: bool = False
    ts: float = 0.0
    """When the request head was read (the caller's clock)."""


class _Direction:
    """One side's frame reader: its own buffer, HPACK decoder and header block in progress."""

    def __init__(self, name: str, preface: bool):
        self.name = name
        self.buffer = bytearray()
        self.need_preface = preface
        self.decoder = hpack.Decoder()
        self.decoder.max_header_list_size = MAX_HEADER_BLOCK
        self.block: bytearray | None = None
        self.block_stream = 0
        self.block_end_stream = False

    def frames(self, data: bytes):
        self.buffer += data
        if self.need_preface:
            if len(self.buffer) < len(PREFACE):
                if not PREFACE.startswith(bytes(self.buffer)):
                    raise H2Error("no HTTP/2 connection preface")
                return
            if not self.buffer.startswith(PREFACE):
                raise H2Error("no HTTP/2 connection preface")
            del self.buffer[: len(PREFACE)]
            self.need_preface = False
        while len(self.buffer) >= FRAME_HEADER:
            length = int.from_bytes(self.buffer[0:3], "big")
            kind, flags = self.buffer[3], self.buffer[4]
            stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
            if length > MAX_FRAME_KEPT:
                raise H2Error(f"{self.name}: a frame of {length} bytes (over {MAX_FRAME_KEPT})")
            if len(self.buffer) < FRAME_HEADER + length:
                return
            payload = bytes(self.buffer[FRAME_HEADER: FRAME_HEADER + length])
            del self.buffer[: FRAME_HEADER + length]
            yield kind, flags, stream, payload


def _unpad(kind: int, flags: int, payload: bytes) -> bytes:
    start = 0
    if flags & PADDED:
        if not payload:
            raise H2Error("padded frame without a pad length")
        pad = payload[0]
        start = 1
        if pad > len(payload) - 1:
            raise H2Error("padding longer than the frame")
        payload = payload[: len(payload) - pad]
    if kind == HEADERS and flags & PRIORITY_FLAG:
        start += 5
        if start > len(payload):
            raise H2Error("HEADERS priority block cut short")
    return payload[start:]


class H2Connection:
    """Both directions of one HTTP/2 connection (client = the app's writes)."""

    def __init__(self) -> None:
        self.client = _Direction("client", preface=True)
        self.server = _Direction("server", preface=False)
        self.streams: dict[int, Exchange] = {}
        self.broken: str | None = None
        self.frames = 0
        self.ts = 0.0

    def feed(self, data: bytes, *, outbound: bool, ts: float = 0.0) -> list[Exchange]:
        """Feed one chunk (outbound = written by the app); the exchanges that finished.

        Raises H2Error once when the connection stops making sense; afterwards returns []."""
        if self.broken is not None:
            return []
        side = self.client if outbound else self.server
        done: list[Exchange] = []
        self.ts = ts
        try:
            for kind, flags, stream, payload in side.frames(data):
                self.frames += 1
                self._frame(side, kind, flags, stream, payload, outbound, done)
        except H2Error as e:
            self.broken = str(e)
            raise
        except (hpack.HPACKError, ValueError, IndexError) as e:  # hpack's own failures
            self.broken = f"{side.name}: bad HPACK block: {e.__class__.__name__}: {e}"
            raise H2Error(self.broken) from e
        return done

    def _frame(self, side: _Direction, kind: int, flags: int, stream: int, payload: bytes,
               outbound: bool, done: list[Exchange]) -> None:
        if side.block is not None and kind != CONTINUATION:
            raise H2Error(f"{side.name}: frame type {kind} inside a header block (CONTINUATION expected)")
        if kind in (HEADERS, PUSH_PROMISE):
            if stream == 0:
                raise H2Error(f"{side.name}: HEADERS on stream 0")
            fragment = _unpad(kind, flags, payload)
            if kind == PUSH_PROMISE:
                if len(fragment) < 4:
                    raise H2Error(f"{side.name}: PUSH_PROMISE cut short")
                fragment = fragment[4:]
                stream = -1  # decoded for the HPACK state, not kept
            side.block = bytearray(fragment)
            side.block_stream = stream
            side.block_end_stream = bool(flags & END_STREAM)
        elif kind == CONTINUATION:
            if side.block is None or stream != side.block_stream:
                raise H2Error(f"{side.name}: CONTINUATION without its HEADERS")
            side.block += payload
        elif kind == DATA:
            if stream == 0:
                raise H2Error(f"{side.name}: DATA on stream 0")
            body = _unpad(kind, flags, payload)
            exchange = self.streams.get(stream)
            if exchange is not None:
                message = exchange.request if outbound else exchange.response
                if message is not None:
                    message.add_body(body)
                    if flags & END_STREAM:
                        message.ended = True
                        self._maybe_done(stream, outbound, done)
            return
        elif kind == RST_STREAM:
            exchange = self.streams.pop(stream, None)
            if exchange is not None:
                exchange.reset = True
                done.append(exchange)
            return
        elif kind == SETTINGS:
            if not flags & ACK:
                self._settings(side, payload)
            return
        else:
            return  # PING, GOAWAY, WINDOW_UPDATE, PRIORITY and unknown types: nothing to keep
        if side.block is not None and len(side.block) > MAX_HEADER_BLOCK:
            raise H2Error(f"{side.name}: header block over {MAX_HEADER_BLOCK} bytes")
        if side.block is not None and flags & END_HEADERS:
            headers = side.decoder.decode(bytes(side.block), raw=True)
            stream, end = side.block_stream, side.block_end_stream
            side.block = None
            if stream > 0:
                self._headers(stream, list(headers), end, outbound, done)

    def _settings(self, side: _Direction, payload: bytes) -> None:
        """A side's HEADER_TABLE_SIZE bounds the table the *other* side's encoder may use."""
        if len(payload) % 6:
            raise H2Error(f"{side.name}: SETTINGS of {len(payload)} bytes (not a multiple of 6)")
        other = self.server if side is self.client else self.client
        for at in range(0, len(payload), 6):
            ident, value = int.from_bytes(payload[at:at + 2], "big"), int.from_bytes(payload[at + 2:at + 6], "big")
            if ident == SETTINGS_HEADER_TABLE_SIZE:
                other.decoder.max_allowed_table_size = min(value, MAX_TABLE)

    def _headers(self, stream: int, headers: list[tuple[bytes, bytes]], end: bool,
                 outbound: bool, done: list[Exchange]) -> None:
        exchange = self.streams.get(stream)
        if outbound:
            if exchange is None:
                if len(self.streams) >= MAX_STREAMS:
                    raise H2Error(f"more than {MAX_STREAMS} open streams")
                exchange = self.streams[stream] = Exchange(stream, Message(), ts=self.ts)
                exchange.request.headers = headers
            else:
                exchange.request.headers += headers  # trailers
            if end:
                exchange.request.ended = True
        else:
            if exchange is None:
                return  # a response to a request not seen (the hooks came in late)
            status = dict(headers).get(b":status", b"")
            if exchange.response is None or status.startswith(b"1"):
                exchange.response = Message(headers=headers)  # a final status replaces 1xx
            else:
                exchange.response.headers += headers  # trailers
            if end:
                exchange.response.ended = True
        self._maybe_done(stream, outbound, done)

    def _maybe_done(self, stream: int, outbound: bool, done: list[Exchange]) -> None:
        exchange = self.streams.get(stream)
        if exchange is not None and exchange.response is not None and exchange.response.ended:
            done.append(self.streams.pop(stream))

    def pending(self) -> list[Exchange]:
        """The streams still open (their request seen), removed from the connection."""
        left = list(self.streams.values())
        self.streams.clear()
        return left
