"""Answer chosen flows inside the proxy, so their requests never leave the machine.

`piiaudit_respond` is a mitmproxy filter expression (`~d umeng.com | ~d jpush.cn`, see
`mitmproxy --help` or mitmproxy's "Filter expressions" docs); a request it matches gets a
small JSON 200 from the proxy itself. With `connection_strategy=lazy` mitmproxy opens (and
resolves) an upstream connection only when a request has to be forwarded, and setting
`flow.response` in the `request` hook means it never has to: the demo and the tests talk
to real SDK host names (ulogs.umeng.com, stats.jpush.cn) over HTTPS and plain HTTP without
a DNS query or a connect() beyond loopback.

`for_hosts(["ulogs.umeng.com", "jpush.cn"])` writes the expression for a list of domains,
each covering itself and the names below it (the rule of piiaudit.hosts); `*` is every host.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable

from mitmproxy import ctx, exceptions, flowfilter, http

from piiaudit import hosts

logger = logging.getLogger(__name__)

BODY = json.dumps({"code": 0, "msg": "success", "data": {}}).encode()
_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


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


class LocalResponder:
    def __init__(self) -> None:
        self.filter: flowfilter.TFilter | None = None
        self.answered = 0

    def load(self, loader) -> None:
        loader.add_option(
            "piiaudit_respond", str, "",
            "Filter expression (e.g. '~d umeng.com | ~d jpush.cn'; '~all' for everything) of the requests "
            "the proxy answers itself with a small JSON 200, so no upstream connection or DNS lookup "
            "happens. Use with connection_strategy=lazy.",
        )

    def configure(self, updated) -> None:
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

    def request(self, flow: http.HTTPFlow) -> None:
        if self.filter is None or flow.response is not None:
            return
        try:
            if self.filter(flow):
                flow.response = http.Response.make(
                    200, BODY, {"content-type": "application/json; charset=utf-8", "server": "piiaudit-responder"}
                )
                self.answered += 1
        except Exception:  # noqa: BLE001 - a responder failure must not break the flow
            logger.exception("piiaudit: responder failed for %s", flow.request.pretty_url)
