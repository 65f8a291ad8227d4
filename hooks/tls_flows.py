"""Requests seen below TLS become flows, scanned by the proxy's own detector.

A pinned app's HTTPS never reaches the proxy in clear, but the agent sees its plaintext at
SSL_write (``tls_write`` events). When that plaintext is an HTTP/1 request, this module
builds the mitmproxy flow it would have been, scans it with ``piiaudit.detect.Detector`` and
queues its ``flows`` row (``capture = 'tls-hook'``) and hits on the hooks runner's session
writer, so the same rules apply to it.

Limits: only what one SSL_write carried (the agent keeps up to 4 KiB per call; a body
written in a later call is not joined to its head), HTTP/1 only (HTTP/2 frames are binary),
no response (SSL_read is not matched to the request).
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

CAPTURE = "tls-hook"
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


class TlsFlowRecorder:
    """Turns tls_write event rows into flows rows and PII hits (on the hooks runner's writer
    thread; they are committed with the batch that holds the event)."""

    def __init__(self, writer: SessionWriter, detector: Any):
        self.writer = writer
        self.detector = detector

    def record(self, row: Mapping[str, Any]) -> str | None:
        """The id of the flow queued for this tls_write row, or None if it is no HTTP/1 request."""
        data = row.get("data") or {}
        try:
            raw = base64.b64decode(data.get("bytes_b64") or "")
        except ValueError:
            return None
        flow = parse_request(raw, peer=data.get("peer"), ts=float(row.get("ts") or 0.0))
        if flow is None:
            return None
        flow_row_ = flow_row(flow, CAPTURE)
        if data.get("truncated"):
            flow_row_["capped"] = "tls_write"
        result = self.detector.scan_flow(flow)
        if result.errors:
            flow_row_["error"] = "; ".join(str(e) for e in result.errors)[:2000]
        self.writer.put_flow(flow_row_, result.hits or [])
        return flow.id
