"""Requests seen below TLS become flows, scanned by the proxy's own detector.

A pinned app's HTTPS never reaches the proxy in clear, but the agent sees its plaintext at
SSL_write / SSL_read (``tls_write`` / ``tls_read`` events, native or Conscrypt's Java
``NativeCrypto``). This module builds the mitmproxy flows they would have been, scans them
with ``piiaudit.detect.Detector`` and queues their ``flows`` rows (``capture = 'tls-hook'``)
and hits on the hooks runner's session writer, so the same rules apply to them.

- HTTP/1: one SSL_write that holds a request head becomes a request-only flow (the agent
  keeps up to 4 KiB per call; a body written in a later call is not joined to its head; the
  response is not matched).
- HTTP/2: a connection (pid + ssl_ptr) whose first write is the HTTP/2 preface is followed
  in both directions (``hooks.h2_plaintext``): each stream becomes one flow with its request
  and response, recorded when the response ends or the stream is reset; streams still open
  at the end are recorded by ``flush()`` without their response. A chunk the agent cut
  (``truncated``) loses the framing: the connection's open streams are recorded as capped and
  the rest of it is ignored. Frames that break the protocol give one error (``H2Error``) per
  connection, never a crash; later chunks of that connection are ignored.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from mitmproxy import connection, http
from mitmproxy.net.http.http1 import read_request_head

from piiaudit.flowrow import flow_row
from piiaudit.writer import SessionWriter

from .h2_plaintext import PREFACE, Exchange, H2Connection, H2Error

CAPTURE = "tls-hook"
MAX_CONNECTIONS = 1024
_REQUEST_LINE = re.compile(rb"^[A-Z]{3,10} \S+ HTTP/1\.[01]\r\n")


def _address(peer: str | None) -> tuple[str, int] | None:
    if not peer or ":" not in peer:
        return None
    host, _, port = peer.rpartition(":")
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        return None


def parse_request(data: bytes, *, peer: str | None, ts: float) -> http.HTTPFlow | None:
    """The flow of an HTTP/1 request in `data`, or None if `data` is not one."""
    if not _REQUEST_LINE.match(data):
        return None
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None  # headers cut off: nothing reliable to build
    try:
        request = read_request_head([line + b"\r\n" for line in head.split(b"\r\n")])
    except ValueError:
        return None
    address = _address(peer)
    host_header = request.headers.get("host")
    if request.host:
        host, port = request.host, request.port
    elif host_header:
        name, _, port_text = host_header.rpartition(":") if host_header.count(":") == 1 else (host_header, "", "")
        host = name or host_header
        port = int(port_text) if port_text.isdigit() else (address[1] if address else 443)
    elif address:
        host, port = address
    else:
        return None
    request.scheme, request.host, request.port = "https", host, port
    length = request.headers.get("content-length")
    request.raw_content = body[: int(length)] if length and length.isdigit() else body
    request.timestamp_start = request.timestamp_end = ts
    client = connection.Client(peername=("127.0.0.1", 0), sockname=("127.0.0.1", 0), timestamp_start=ts)
    server = connection.Server(address=address or (host, port))
    flow = http.HTTPFlow(client, server)
    flow.request = request
    return flow


def _h2_flow(exchange: Exchange, *, peer: str | None, ts: float) -> http.HTTPFlow | None:
    """The flow of one HTTP/2 stream, or None if its request head lacks what a URL needs."""
    pseudo = {k: v for k, v in exchange.request.headers if k.startswith(b":")}
    method, path = pseudo.get(b":method"), pseudo.get(b":path", b"/")
    authority, scheme = pseudo.get(b":authority"), pseudo.get(b":scheme", b"https")
    address = _address(peer)
    if method is None:
        return None
    if authority:
        name, _, port_text = authority.decode("utf-8", "surrogateescape").rpartition(":")
        if not name or not port_text.isdigit():
            name, port_text = authority.decode("utf-8", "surrogateescape"), ""
        host, port = name.strip("[]"), int(port_text) if port_text else (address[1] if address else 443)
    elif address:
        host, port = address
    else:
        return None
    headers = [(k, v) for k, v in exchange.request.headers if not k.startswith(b":")]
    request = http.Request(host, port, method, scheme, authority or b"", path, b"HTTP/2.0",
                           http.Headers(headers), bytes(exchange.request.body), None, ts, ts)
    client = connection.Client(peername=("127.0.0.1", 0), sockname=("127.0.0.1", 0), timestamp_start=ts)
    server = connection.Server(address=address or (host, port))
    flow = http.HTTPFlow(client, server)
    flow.request = request
    response = exchange.response
    if response is not None:
        status = dict(response.headers).get(b":status", b"")
        if status.isdigit():
            flow.response = http.Response(
                b"HTTP/2.0", int(status), b"",
                http.Headers([(k, v) for k, v in response.headers if not k.startswith(b":")]),
                bytes(response.body), None, ts, ts)
    return flow


class TlsFlowRecorder:
    """Turns tls_write / tls_read event rows into flows rows and PII hits (on the hooks
    runner's writer thread; they are committed with the batch that holds the event)."""

    def __init__(self, writer: SessionWriter, detector: Any):
        self.writer = writer
        self.detector = detector
        self.h2: dict[tuple[Any, str], tuple[H2Connection, str | None]] = {}

    def record(self, row: Mapping[str, Any]) -> str | None:
        """The id of the (last) flow queued for this row, or None.

        Raises H2Error once for an HTTP/2 connection whose frames break the protocol."""
        data = row.get("data") or {}
        try:
            raw = base64.b64decode(data.get("bytes_b64") or "")
        except ValueError:
            return None
        ts = float(row.get("ts") or 0.0)
        outbound = row.get("kind") == "tls_write"
        key = (row.get("pid"), str(data.get("ssl_ptr")))
        known = self.h2.get(key)
        if known is None and outbound and data.get("ssl_ptr") is not None and raw.startswith(PREFACE[:16]):
            if len(self.h2) >= MAX_CONNECTIONS:
                self.flush()
            known = self.h2[key] = (H2Connection(), data.get("peer"))
        if known is not None:
            return self._h2(key, known, raw, outbound, bool(data.get("truncated")), ts)
        if not outbound:
            return None
        flow = parse_request(raw, peer=data.get("peer"), ts=ts)
        if flow is None:
            return None
        return self._put(flow, "tls_write" if data.get("truncated") else None)

    def _h2(self, key, known, raw: bytes, outbound: bool, truncated: bool, ts: float) -> str | None:
        conn, peer = known
        try:
            exchanges = conn.feed(raw, outbound=outbound, ts=ts)
        except H2Error as e:
            self.h2.pop(key, None)
            for exchange in conn.pending():
                self._put_exchange(exchange, peer, ts, capped="h2-error")
            raise H2Error(f"HTTP/2 connection {key[1]} (pid {key[0]}, peer {peer}) given up after "
                          f"{conn.frames} frames: {e}") from e
        flow_id = None
        for exchange in exchanges:
            flow_id = self._put_exchange(exchange, peer, ts) or flow_id
        if truncated:  # bytes missing from the middle of the stream: the framing is lost
            self.h2.pop(key, None)
            for exchange in conn.pending():
                flow_id = self._put_exchange(exchange, peer, ts, capped="tls_write" if outbound else "tls_read") or flow_id
        return flow_id

    def _put_exchange(self, exchange: Exchange, peer: str | None, ts: float, capped: str | None = None) -> str | None:
        flow = _h2_flow(exchange, peer=peer, ts=exchange.ts or ts)
        if flow is None:
            return None
        if capped is None and (exchange.request.capped or (exchange.response is not None and exchange.response.capped)):
            capped = "h2-body"
        flow.metadata["h2_stream"] = exchange.stream_id
        return self._put(flow, capped)

    def _put(self, flow: http.HTTPFlow, capped: str | None) -> str:
        row_ = flow_row(flow, CAPTURE)
        if capped:
            row_["capped"] = capped
        result = self.detector.scan_flow(flow)
        if result.errors:
            row_["error"] = "; ".join(str(e) for e in result.errors)[:2000]
        self.writer.put_flow(row_, result.hits or [])
        return flow.id

    def flush(self) -> int:
        """Record the streams still open (request seen, response not ended); how many."""
        count = 0
        for conn, peer in self.h2.values():
            for exchange in conn.pending():
                count += self._put_exchange(exchange, peer, exchange.ts) is not None
        self.h2.clear()
        return count

