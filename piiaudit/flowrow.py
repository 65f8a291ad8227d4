"""The `flows` row for one mitmproxy flow, and the short summary shown in mitmweb.

The evidence hashes (`request_sha256`, `response_sha256`) are SHA-256 over the message in
its HTTP/1 wire form as mitmproxy saves it: request or status line, headers as received,
blank line, then the body exactly as it travelled (still gzip/br/zstd encoded, chunk framing
re-applied when the message says `Transfer-Encoding: chunked`). Anyone holding `flows.mitm`
can recompute them with `mitmproxy.net.http.http1.assemble_request/assemble_response`.
HTTP/2 and HTTP/3 messages are hashed in the same HTTP/1 form. A body that was streamed
and therefore not kept is hashed as its head alone.

Text columns hold valid UTF-8: a URL, header or host that carried bytes that are not UTF-8
is stored escaped (``\\xff``, piiaudit.rawtext) and `escaped` names those columns with the
SHA-256 of their raw bytes, so nothing the wire carried is lost or silently changed.

`host` is the destination: where the connection went, never what the app wrote in its Host
header (``destination``); the Host header (HTTP/2 ``:authority``) is kept in `host_header`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from typing import Any

from mitmproxy import http
from mitmproxy.net.http import url
from mitmproxy.net.http.http1 import assemble

from piiaudit import hosts, rawtext

SUMMARY_MAX_ITEMS = 6
ROUTED_TARGET = "piiaudit_target"   # flow.metadata: the host a flow the proxy routed elsewhere was addressed to
# The columns whose text comes from the wire (or a file name) and may hold any bytes.
TEXT_COLUMNS = ("method", "url", "host", "host_header", "scheme", "content_type", "capture")


def _message_sha256(message: http.Message, assemble_full, assemble_head) -> str:
    try:
        wire = assemble_full(message)
    except ValueError:  # streamed body (content None) or trailers without chunking
        wire = assemble_head(message) + (message.raw_content or b"")
    return hashlib.sha256(wire).hexdigest()


def request_sha256(request: http.Request) -> str:
    return _message_sha256(request, assemble.assemble_request, assemble.assemble_request_head)


def response_sha256(response: http.Response) -> str:
    return _message_sha256(response, assemble.assemble_response, assemble.assemble_response_head)


def _fields_bytes(fields) -> bytes:
    """Header fields in their wire form, as bytes(mitmproxy Headers) writes them."""
    return b"\r\n".join([b": ".join(f) for f in fields]) + b"\r\n" if fields else b""


def _state_sha256(state: Mapping[str, Any], first_line: bytes) -> str:
    """SHA-256 of a message's HTTP/1 wire form from its get_state() form: the same bytes
    assemble_request/assemble_response (or their head and the raw body, for a streamed
    body or trailers without chunking) give for the message, without rebuilding it."""
    fields = state["headers"]
    h = hashlib.sha256(b"%s\r\n%s\r\n" % (first_line, _fields_bytes(fields)))
    content, trailers = state["content"], state["trailers"]
    chunked = content is not None and any(
        name.lower() == b"transfer-encoding" and "chunked" in value.decode("utf-8", "surrogateescape").lower()
        for name, value in fields)
    if chunked:
        if content:
            h.update(b"%x\r\n%s\r\n" % (len(content), content))
        h.update(b"0\r\n%s\r\n" % _fields_bytes(trailers) if trailers else b"0\r\n\r\n")
    elif content:
        h.update(content)
    return h.hexdigest()


def request_state_sha256(state: Mapping[str, Any]) -> str:
    """request_sha256 of the request whose get_state() is `state` (equal, tested)."""
    method, authority, version = state["method"], state["authority"], state["http_version"]
    if method.upper() == b"CONNECT":
        line = b"%s %s %s" % (method, authority, version)
    elif authority:
        line = b"%s %s://%s%s %s" % (method, state["scheme"], authority, state["path"], version)
    else:
        line = b"%s %s %s" % (method, state["path"], version)
    return _state_sha256(state, line)


def response_state_sha256(state: Mapping[str, Any]) -> str:
    """response_sha256 of the response whose get_state() is `state` (equal, tested)."""
    return _state_sha256(state, b"%s %d %s" % (state["http_version"], state["status_code"], state["reason"]))


def destination(flow: http.HTTPFlow) -> str:
    """The host the flow was sent to: the server address mitmproxy connected (or would
    connect) to; when that is an IP address or missing, the TLS SNI the client asked for;
    else the authority mitmproxy routed the request by (``request.host``: the CONNECT target,
    the absolute URL, or the transparent-mode address, as a replayed flow keeps it).
    The Host header is never the destination on its own. A flow the proxy itself routed
    elsewhere (the local responder's loopback WebSocket server) names the host it was
    addressed to in ``flow.metadata[ROUTED_TARGET]``; that is its destination."""
    routed = flow.metadata.get(ROUTED_TARGET) if flow.metadata else None
    if isinstance(routed, str) and routed:
        return hosts.normal(routed)
    address = flow.server_conn.address if flow.server_conn else None
    server = address[0] if address else None
    if server and not hosts.is_ip_literal(server):
        return hosts.normal(server)
    sni = (flow.server_conn.sni if flow.server_conn else None) or (flow.client_conn.sni if flow.client_conn else None)
    return hosts.normal(sni or server or flow.request.host)


def server_ip(flow: http.HTTPFlow) -> str | None:
    """The IP address of the server the flow went to, as mitmproxy recorded it: the peer
    address of the server connection (a HAR's serverIPAddress is kept there too,
    piiaudit.harflow), else the connection target when that is an IP address. None when
    neither is known; a name is never resolved. A flow the proxy answered itself or routed
    elsewhere (the local responder) names the loopback address it really went to."""
    conn = flow.server_conn
    if conn is None:
        return None
    for address in (conn.peername, conn.address):
        host = address[0] if address else None
        if isinstance(host, str) and hosts.is_ip_literal(host):
            return host.strip("[]").lower()
    return None


def host_header(request: http.Request) -> str | None:
    """The Host header (or :authority) without its port, as the app wrote it; None without one."""
    value = request.host_header
    if not value:
        return None
    return hosts.normal(url.parse_authority(value, check=False)[0])


def flow_row(flow: http.HTTPFlow, capture: str, hashes: tuple[str, str | None] | None = None) -> dict[str, Any]:
    """The fixed and descriptive columns of `flows` for a completed (or failed) flow;
    `hashes` (request, response SHA-256) when the detection process computed them."""
    req, resp = flow.request, flow.response
    if hashes is None:
        hashes = (request_sha256(req), response_sha256(resp) if resp is not None else None)
    row: dict[str, Any] = {
        "id": flow.id,
        "ts_start": req.timestamp_start,
        "ts_end": (resp.timestamp_end if resp is not None else None) or req.timestamp_end,
        "method": req.method,
        "url": req.pretty_url,
        "host": destination(flow),
        "host_header": host_header(req),
        "server_ip": server_ip(flow),
        "port": req.port,
        "scheme": req.scheme,
        "status": resp.status_code if resp is not None else None,
        "request_sha256": hashes[0],
        "response_sha256": hashes[1],
        "request_size": len(req.raw_content) if req.raw_content is not None else None,
        "response_size": len(resp.raw_content) if resp is not None and resp.raw_content is not None else None,
        # The request's type: what was sent is what the audit is about.
        "content_type": req.headers.get("content-type"),
        "capture": capture,
        "capped": None,
        "error": None,
        "recorded_at": time.time(),
    }
    escaped = {col: rawtext.raw_sha256(row[col]) for col in TEXT_COLUMNS
               if isinstance(row[col], str) and not rawtext.is_clean(row[col])}
    for col in escaped:
        row[col] = rawtext.escape(row[col])
    row["escaped"] = escaped or None
    return row


def summary(hits: Iterable[Mapping[str, Any]], errors: Iterable[str] = ()) -> str:
    """One line for flow.comment: 'piiaudit: imei @ body:json:$.h.imei_md5 (md5); ...'."""
    seen: dict[tuple[str, str, str], None] = {}
    for h in hits:
        seen.setdefault((str(h.get("pii_type")), str(h.get("location")), str(h.get("encoding"))), None)
    parts = [f"{t} @ {loc} ({enc})" for t, loc, enc in list(seen)[:SUMMARY_MAX_ITEMS]]
    if len(seen) > SUMMARY_MAX_ITEMS:
        parts.append(f"+{len(seen) - SUMMARY_MAX_ITEMS} more")
    errors = list(errors)
    if errors:
        parts.append(f"detection error: {errors[0]}" + (f" (+{len(errors) - 1})" if len(errors) > 1 else ""))
    return ("piiaudit: " + "; ".join(parts)) if parts else ""
