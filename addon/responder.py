"""Answer chosen hosts inside the proxy, so their requests never leave the machine.

With `connection_strategy=lazy`, mitmproxy only opens (and resolves) an upstream
connection when a request has to be forwarded. Setting `flow.response` in the `request`
hook means it never has to: the demo and the tests talk to real SDK host names
(ulogs.umeng.com, stats.jpush.cn) over HTTPS and plain HTTP without a DNS query or a
connect() beyond loopback.
"""

from __future__ import annotations

import json
import logging

from mitmproxy import ctx, exceptions, http

from piiaudit import hosts

logger = logging.getLogger(__name__)

BODY = json.dumps({"code": 0, "msg": "success", "data": {}}).encode()


def parse_hosts(spec: str) -> tuple[str, ...]:
    """'ulogs.umeng.com, .jpush.cn' -> ('ulogs.umeng.com', 'jpush.cn'); '*' stays '*'."""
    out = []
    for raw in spec.split(","):
        host = raw.strip().lower().lstrip(".").rstrip(".")
        if not host:
            continue
        if host != "*" and (any(c in host for c in "/: \t") or "*" in host):
            raise ValueError(f"{raw.strip()!r} is not a host name or suffix (no scheme, port, path or wildcard; '*' alone means all)")
        out.append(host)
    return tuple(out)


def matches(host: str, suffixes: tuple[str, ...]) -> bool:
    return hosts.first_under(host, suffixes) is not None


class LocalResponder:
    def __init__(self) -> None:
        self.hosts: tuple[str, ...] = ()
        self.answered = 0

    def load(self, loader) -> None:
        loader.add_option(
            "piiaudit_respond_hosts", str, "",
            "Comma-separated host names (suffix match) the proxy answers itself with a small JSON 200, "
            "so no upstream connection or DNS lookup happens; '*' answers everything. "
            "Use with connection_strategy=lazy.",
        )

    def configure(self, updated) -> None:
        if "piiaudit_respond_hosts" not in updated:
            return
        try:
            self.hosts = parse_hosts(ctx.options.piiaudit_respond_hosts)
        except ValueError as e:
            raise exceptions.OptionsError(f"piiaudit_respond_hosts: {e}") from None
        if self.hosts and "connection_strategy" in ctx.options and ctx.options.connection_strategy != "lazy":
            logger.warning(
                "piiaudit: piiaudit_respond_hosts is set but connection_strategy is %r: "
                "mitmproxy may still connect upstream before the request is answered; use lazy",
                ctx.options.connection_strategy,
            )

    def request(self, flow: http.HTTPFlow) -> None:
        if not self.hosts or flow.response is not None:
            return
        try:
            if matches(flow.request.pretty_host, self.hosts):
                flow.response = http.Response.make(
                    200, BODY, {"content-type": "application/json; charset=utf-8", "server": "piiaudit-responder"}
                )
                self.answered += 1
        except Exception:  # noqa: BLE001 - a responder failure must not break the flow
            logger.exception("piiaudit: responder failed for %s", flow.request.pretty_url)
