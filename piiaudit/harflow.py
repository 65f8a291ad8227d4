"""One HAR entry as a mitmproxy flow, its destination named as the HAR names it.

`to_flow(entry)` fills the fields some exporters leave out and mitmproxy's reader
(`mitmproxy.io.har.request_to_flow`) insists on, then reads the entry with it. It raises on
an entry that cannot be read; the replay's reader (addon/har.py) turns that into a report of
the bad entry and the accuracy corpus (piiaudit/detect/realcorpus.py) into an error.

The destination. A HAR records a request's URL and, in `serverIPAddress`, "the IP address of
the server that was connected (result of DNS resolution)" (HAR 1.2): the name the IP was
resolved for is the URL's host. mitmproxy's reader puts the IP where the connection target
belongs (`server_conn.address`), so every flow read from a HAR had an IP address as its
`host` (piiaudit.flowrow.destination) and no party could be named for it. Here the URL's host
is the connection target and the IP stays beside it as the peer address (`peername`), as a
live mitmproxy flow holds them.

The limit: a HAR cannot show a Host header that lies. Its URL is the only name it records,
and mitmproxy's own HAR export writes that URL from the Host header (`pretty_url`); the SNI
and the CONNECT target are not in the format. Record with the proxy (`flows.mitm`) when the
connection target matters.
"""

from __future__ import annotations

import copy

from mitmproxy import http
from mitmproxy.io.har import request_to_flow


def normalise(entry: dict) -> dict:
    """The entry with the fields some exporters leave out filled in (a copy)."""
    entry = copy.deepcopy(entry)
    entry.setdefault("time", 0)
    req = entry["request"]
    req.setdefault("httpVersion", "HTTP/1.1")
    req.setdefault("headers", [])
    if isinstance(req.get("postData"), dict):
        req["postData"].setdefault("text", "")
    resp = entry.get("response")
    if not isinstance(resp, dict):
        resp = entry["response"] = {"status": 0}
    resp.setdefault("status", 0)
    resp.setdefault("httpVersion", "HTTP/1.1")
    resp.setdefault("headers", [])
    if not isinstance(resp.get("content"), dict):
        resp["content"] = {}
    return entry


def to_flow(entry: dict) -> http.HTTPFlow:
    """The flow of one HAR entry; raises (KeyError, ValueError, ...) on one it cannot read."""
    f = request_to_flow(normalise(entry))
    address = f.server_conn.address
    if address is not None and f.request.host:
        # serverIPAddress is the peer the URL's host resolved to, not the name connected to
        f.server_conn.peername = address
        f.server_conn.address = (f.request.host, f.request.port)
    return f
