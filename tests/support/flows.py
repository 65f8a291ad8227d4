"""mitmproxy flows built in memory, as the detector and the recorder receive them."""

from __future__ import annotations

from mitmproxy import connection, http
from mitmproxy.test import tflow


def request_flow(method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None) -> http.HTTPFlow:
    """A flow holding only a request, its body exactly as given (no encoding applied)."""
    f = tflow.tflow()
    f.request = http.Request.make(method, url)
    for k, v in (headers or {}).items():   # after make(): it would drop codings it cannot apply
        f.request.headers[k] = v
    f.request.raw_content = body
    f.response = None
    return f


def make_flow(url: str, body: bytes = b"", headers: dict[str, str] | None = None, method: str = "POST",
              status: int | None = 200, ts: float = 1_700_000_000.0) -> http.HTTPFlow:
    """A complete flow from a loopback client: the request as it travelled and, unless
    `status` is None, a small JSON answer."""
    f = http.HTTPFlow(
        connection.Client(peername=("127.0.0.1", 50000), sockname=("127.0.0.1", 8080), timestamp_start=ts),
        connection.Server(address=(url.split("/")[2], 443)),
    )
    f.request = http.Request.make(method, url, b"", headers or {})
    f.request.raw_content = body  # as it travelled: no re-encoding
    if body:
        f.request.headers["content-length"] = str(len(body))
    f.request.timestamp_start, f.request.timestamp_end = ts, ts + 0.001
    if status is not None:
        f.response = http.Response.make(status, b'{"code":0}', {"content-type": "application/json"})
        f.response.timestamp_start, f.response.timestamp_end = ts + 0.01, ts + 0.011
    return f


def example_flow(example, status: int | None = None) -> http.HTTPFlow:
    """The flow of an endpoint-map example (piiaudit.detect.endpoints.Example), sent to the
    host of its URL as it travelled: body text as UTF-8, or `body_base64` decoded; with a
    small answer when `status` is given (the recorder records completed flows)."""
    import base64

    req = example.request
    if req.get("body_base64") is not None:
        body = base64.b64decode(req["body_base64"])
    else:
        body = (req.get("body") or "").encode("utf-8")
    return make_flow(req["url"], body, dict(req.get("headers") or {}), method=req["method"], status=status)
