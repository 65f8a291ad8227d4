"""Answer chosen flows inside the proxy, so their requests never leave the machine.

Which requests. `piiaudit_respond` is a mitmproxy filter expression (`~d umeng.com | ~d
jpush.cn`, see `mitmproxy --help` or mitmproxy's "Filter expressions" docs), evaluated on
the flow as it is *connected*: its host is the connection target
(piiaudit.flowrow.destination: the server address, else the TLS SNI), and the Host header
plays no part (`~d` of mitmproxy reads the Host header too; here it sees the target only).
An app that connects to a listed host while writing `Host: other.example` is answered
locally, and one that connects elsewhere while writing a listed name in its Host header is
not. With `connection_strategy=lazy` mitmproxy opens (and resolves) an upstream connection
only when a request has to be forwarded, and setting `flow.response` in the `request` hook
means it never has to: the demo and the tests talk to real SDK host names (ulogs.umeng.com,
stats.jpush.cn) over HTTPS and plain HTTP without a DNS query or a connect() beyond loopback.

What answer. By protocol (`answer`):

    WebSocket upgrade (version 13)   101 Switching Protocols from a WebSocket server on
                                     loopback (addon.wsanswer): the session is relayed and
                                     recorded as any other, its messages go nowhere else
    another WebSocket version        426 Upgrade Required, Sec-WebSocket-Version: 13
    HEAD                             200, the headers of the GET answer, no body
    OPTIONS                          204 with Allow (and CORS headers for a preflight)
    DELETE                           204, no body
    TRACE                            405
    gRPC (application/grpc…)         200, one empty message, trailer grpc-status: 0
    protobuf (application/x-protobuf, application/protobuf, …)
                                     200, an empty message (zero bytes) of the same type
    anything else                    200 {"code": 0, "msg": "success", "data": {}}

SDK configuration endpoints often need a particular body. `piiaudit_respond_bodies` names a
YAML file of canned answers, checked when the option is set (one line naming the file, the
entry and the problem):

    - host: config.umeng.com          # a domain: itself and the names below it (piiaudit.hosts)
      path: ^/v1/config               # optional: a regular expression searched in the path
      method: GET                     # optional: only this method
      status: 200                     # optional, default 200
      content_type: application/json  # optional, default application/json; charset=utf-8
      body: {"enabled": true}         # text, or YAML data sent as JSON; optional, default ""
      headers: {x-config-version: "3"}  # optional

The first entry that matches the connection target, the method and the path gives the
answer (a HEAD gets its headers without the body); a WebSocket upgrade is always answered
as above. `for_hosts(["ulogs.umeng.com", "jpush.cn"])` writes the expression for a list of
domains, each covering itself and the names below it (the rule of piiaudit.hosts); `*` is
every host.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from mitmproxy import ctx, exceptions, flowfilter, http

from addon.wsanswer import HOST as LOOPBACK_HOST
from addon.wsanswer import LoopbackWebSocket
from piiaudit import hosts, yamlfile
from piiaudit.flowrow import ROUTED_TARGET, destination

logger = logging.getLogger(__name__)

BODY = json.dumps({"code": 0, "msg": "success", "data": {}}).encode()
JSON_TYPE = "application/json; charset=utf-8"
SERVER = "piiaudit-responder"
METADATA_KEY = "piiaudit_responder"     # flow.metadata: answered locally (and how)
ROUTED_KEY = "piiaudit_responder_routed"   # while an upgrade goes to the loopback server: its own target
ALLOW = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
MAX_BODIES_FILE = 16 * 1024 * 1024
_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_PROTOBUF_TYPES = ("application/x-protobuf", "application/protobuf", "application/vnd.google.protobuf",
                   "application/octet-stream+protobuf", "application/x-google-protobuf")


def for_hosts(domains: Iterable[str]) -> str:
    """The filter expression that matches requests to `domains` and the names below them."""
    parts = []
    for raw in domains:
        domain = hosts.normal(raw).lstrip(".")
        if domain == "*":
            return "~all"
        if not _NAME.match(domain):
            raise ValueError(f"{raw!r} is not a host name (no scheme, port, path or wildcard; '*' alone means all)")
        parts.append('~d "(^|[.])' + domain.replace(".", "[.]") + '[.]?$"')
    return " | ".join(parts)


# -- canned answers --------------------------------------------------------------------------
@dataclass(frozen=True)
class Canned:
    host: str
    path: re.Pattern | None = None
    method: str | None = None
    status: int = 200
    content_type: str = JSON_TYPE
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = field(default=())

    def matches(self, host: str, method: str, path: str) -> bool:
        return (hosts.under(host, self.host)
                and (self.method is None or self.method == method or (self.method, method) == ("GET", "HEAD"))
                and (self.path is None or self.path.search(path) is not None))


_KEYS = {"host", "path", "method", "status", "content_type", "content-type", "body", "headers"}


def load_canned(path: Path | str) -> list[Canned]:
    """The canned answers of a YAML file; ValueError with one line naming the file, the entry
    and the problem."""
    path = Path(path).expanduser()
    try:
        size = path.stat().st_size
        if size > MAX_BODIES_FILE:
            raise ValueError(f"{path}: {size:,} bytes; at most {MAX_BODIES_FILE:,}")
        doc = yamlfile.load_file(path)
    except OSError as e:
        raise ValueError(f"{path}: cannot read: {e.strerror or e}") from None
    except yamlfile.YamlError as e:
        raise ValueError(str(e)) from None
    if doc is None:
        return []
    if not isinstance(doc, list):
        raise ValueError(f"{path}: must be a list of answers (- host: ..., path: ..., body: ...), "
                         f"not a {type(doc).__name__}")
    return [_canned(path, i + 1, entry) for i, entry in enumerate(doc)]


def _canned(path: Path, n: int, entry: Any) -> Canned:
    def bad(what: str) -> ValueError:
        return ValueError(f"{path}: answer {n}: {what}")

    if not isinstance(entry, dict):
        raise bad(f"must be a mapping (host, path, method, status, content_type, body, headers), "
                  f"not a {type(entry).__name__}")
    unknown = sorted(str(k) for k in entry if k not in _KEYS)
    if unknown:
        raise bad(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS - {'content-type'}))})")
    host = entry.get("host")
    if not isinstance(host, str) or not host.strip():
        raise bad("'host' is required: the domain it answers for (itself and the names below it)")
    host = hosts.normal(host).lstrip(".")
    if host != "*" and not _NAME.match(host):
        raise bad(f"'host' {entry['host']!r} is not a host name (no scheme, port, path or wildcard; '*' is every host)")
    rx = None
    if entry.get("path") is not None:
        if not isinstance(entry["path"], str):
            raise bad(f"'path' must be a regular expression in quotes, not {entry['path']!r}")
        try:
            rx = re.compile(entry["path"])
        except re.error as e:
            raise bad(f"'path' {entry['path']!r} is not a regular expression: {e}") from None
    method = entry.get("method")
    if method is not None:
        if not isinstance(method, str) or not re.fullmatch(r"[A-Za-z]+", method):
            raise bad(f"'method' must be an HTTP method such as GET, not {method!r}")
        method = method.upper()
    status = entry.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise bad(f"'status' must be a number from 200 to 599, not {status!r}")
    ctype = entry.get("content_type", entry.get("content-type", JSON_TYPE))
    if not isinstance(ctype, str) or not ctype.strip() or "\n" in ctype:
        raise bad(f"'content_type' must be a media type such as application/json, not {ctype!r}")
    body = entry.get("body", "")
    if isinstance(body, str):
        data = body.encode("utf-8")
    elif isinstance(body, (dict, list, int, float, bool)) or body is None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else b""
    else:
        raise bad(f"'body' must be text or YAML data, not {type(body).__name__}")
    headers = entry.get("headers") or {}
    if not isinstance(headers, dict) or not all(
            isinstance(k, str) and re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", k) and isinstance(v, (str, int, float))
            and "\n" not in str(v) for k, v in headers.items()):
        raise bad("'headers' must map header names to one-line values")
    return Canned(host, rx, method, status, ctype.strip(), data,
                  tuple((k.lower(), str(v)) for k, v in headers.items()))


# -- answers by protocol ---------------------------------------------------------------------
def _response(status: int, body: bytes, content_type: str | None, extra: Iterable[tuple[str, str]] = ()) -> http.Response:
    headers = {"server": SERVER}
    if content_type:
        headers["content-type"] = content_type
    resp = http.Response.make(status, body, headers)
    for k, v in extra:
        resp.headers[k] = v
    return resp


def _is_upgrade(req: http.Request) -> bool:
    return req.headers.get("upgrade", "").strip().lower() == "websocket" and \
        "upgrade" in req.headers.get("connection", "").lower()


def takes_websocket(req: http.Request) -> bool:
    """A WebSocket upgrade the loopback server can take: version 13, with a key."""
    return _is_upgrade(req) and req.headers.get("sec-websocket-version", "").strip() == "13" \
        and bool(req.headers.get("sec-websocket-key", "").strip())


def answer(flow: http.HTTPFlow, canned: Iterable[Canned] = ()) -> tuple[http.Response, str]:
    """The local answer to `flow`'s request and a few words saying which kind it is. A
    WebSocket upgrade the loopback server can take is routed there instead (the responder
    does that); here it is refused with 426."""
    req = flow.request
    method = req.method.upper()
    if _is_upgrade(req):
        return _response(426, b"", None, [("sec-websocket-version", "13")]), "websocket refused (426)"
    path = req.path.split("?", 1)[0]
    host = destination(flow)
    for c in canned:
        if c.matches(host, method, path):
            body = b"" if method == "HEAD" else c.body
            resp = _response(c.status, body, c.content_type, c.headers)
            if method == "HEAD":
                resp.headers["content-length"] = str(len(c.body))
            return resp, f"canned {c.host}{' ' + c.path.pattern if c.path else ''} ({c.status})"
    if method == "HEAD":
        resp = _response(200, b"", JSON_TYPE)
        resp.headers["content-length"] = str(len(BODY))   # what a GET would get
        return resp, "head (200, no body)"
    if method == "OPTIONS":
        extra = [("allow", ALLOW)]
        origin = req.headers.get("origin")
        if origin:
            extra += [("access-control-allow-origin", origin), ("access-control-allow-methods", ALLOW),
                      ("access-control-allow-credentials", "true"), ("access-control-max-age", "600")]
            asked = req.headers.get("access-control-request-headers")
            if asked:
                extra.append(("access-control-allow-headers", asked))
        return _response(204, b"", None, extra), "options (204)"
    if method == "DELETE":
        return _response(204, b"", None), "delete (204)"
    if method == "TRACE":
        return _response(405, b"", None, [("allow", ALLOW)]), "trace refused (405)"
    ctype = req.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    accept = req.headers.get("accept", "").lower()
    if ctype.startswith("application/grpc"):
        resp = _response(200, b"\x00\x00\x00\x00\x00", ctype)   # one empty, uncompressed message
        resp.trailers = http.Headers(((b"grpc-status", b"0"), (b"grpc-message", b"")))
        return resp, "grpc (200, empty message)"
    wanted = ctype if ctype in _PROTOBUF_TYPES else next((t for t in _PROTOBUF_TYPES if t in accept), None)
    if wanted:
        return _response(200, b"", wanted), "protobuf (200, empty message)"
    return _response(200, BODY, JSON_TYPE), "json ack (200)"


def connected_view(flow: http.HTTPFlow) -> http.HTTPFlow:
    """A copy of the flow whose request names only its connection target: host and URL are
    the destination, and there is no Host header (or :authority) for a filter to read."""
    view = http.HTTPFlow(flow.client_conn, flow.server_conn)
    req = flow.request.copy()
    req.data.host = destination(flow) or req.host
    req.host_header = None
    view.request = req
    return view


class LocalResponder:
    def __init__(self) -> None:
        self.filter: flowfilter.TFilter | None = None
        self.canned: list[Canned] = []
        self.answered = 0
        self.websockets = LoopbackWebSocket()

    def load(self, loader) -> None:
        loader.add_option(
            "piiaudit_respond", str, "",
            "Filter expression (e.g. '~d umeng.com | ~d jpush.cn'; '~all' for everything) of the requests "
            "the proxy answers itself, so no upstream connection or DNS lookup happens. It is matched "
            "against the connection target (server address, else TLS SNI), never the Host header. "
            "Answers by protocol: 101 for a WebSocket upgrade, no body for HEAD, 204 for OPTIONS and "
            "DELETE, an empty protobuf/gRPC message, else a small JSON 200. Use with connection_strategy=lazy.",
        )
        loader.add_option(
            "piiaudit_respond_bodies", Optional[str], None,
            "YAML file of canned answers for requests piiaudit_respond matches, e.g. SDK configuration "
            "endpoints: a list of {host, path (regular expression), method, status, content_type, body, "
            "headers}; the first entry matching the connection target, method and path answers.",
        )

    def configure(self, updated) -> None:
        if "piiaudit_respond_bodies" in updated:
            source = ctx.options.piiaudit_respond_bodies
            try:
                self.canned = load_canned(source) if source else []
            except ValueError as e:
                raise exceptions.OptionsError(f"piiaudit_respond_bodies: {e}") from None
        if "piiaudit_respond" not in updated:
            return
        spec = ctx.options.piiaudit_respond.strip()
        if not spec:
            self.filter = None
            return
        try:
            self.filter = flowfilter.parse(spec)
        except ValueError as e:
            raise exceptions.OptionsError(f"piiaudit_respond: not a filter expression: {spec!r} ({e})") from None
        if "connection_strategy" in ctx.options and ctx.options.connection_strategy != "lazy":
            logger.warning(
                "piiaudit: piiaudit_respond is set but connection_strategy is %r: "
                "mitmproxy may still connect upstream before the request is answered; use lazy",
                ctx.options.connection_strategy,
            )

    def request(self, flow: http.HTTPFlow):
        if self.filter is None or flow.response is not None:
            return None
        try:
            if not self.filter(connected_view(flow)):
                return None
            self.answered += 1
            if takes_websocket(flow.request):
                return self._to_loopback(flow)
            flow.response, kind = answer(flow, self.canned)
            flow.metadata[METADATA_KEY] = kind
        except Exception as e:  # noqa: BLE001 - a responder failure must not break the flow
            logger.error("piiaudit: responder failed for %s: %s: %s", flow.request.pretty_url, type(e).__name__, e)
        return None

    async def _to_loopback(self, flow: http.HTTPFlow) -> None:
        """Send the upgrade to the loopback WebSocket server (addon.wsanswer); the request's
        own target comes back in `response`, so the flow is recorded as the app sent it."""
        try:
            port = await self.websockets.start()
        except OSError as e:
            flow.response = _response(503, b"", None)
            flow.metadata[METADATA_KEY] = f"websocket not answered (503): {e}"
            return
        req = flow.request
        flow.metadata[ROUTED_TARGET] = destination(flow)   # kept: the flow's destination from now on
        flow.metadata[ROUTED_KEY] = [req.scheme, req.host, req.port]
        flow.metadata[METADATA_KEY] = "websocket (101 from the loopback server)"
        req.scheme = "http"
        req.data.host, req.data.port = LOOPBACK_HOST, port   # the Host header stays as the app wrote it

    def response(self, flow: http.HTTPFlow) -> None:
        self._restore(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._restore(flow)

    @staticmethod
    def _restore(flow: http.HTTPFlow) -> None:
        routed = flow.metadata.pop(ROUTED_KEY, None)
        if routed:
            flow.request.scheme = routed[0]
            flow.request.data.host, flow.request.data.port = routed[1], routed[2]

    def done(self) -> None:
        self.websockets.close()
