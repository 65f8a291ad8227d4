"""Host names: one normal form and one suffix rule for the whole project.

A domain ``jpush.cn`` covers ``jpush.cn`` itself and every name below it
(``stats.jpush.cn``), never ``notjpush.cn``. The SDK catalog, the scope's first-party hosts
and the proxy's local responder all decide membership here. Where several domains cover a
host, the longest (most specific) one is the one that speaks for it (``longest_under``).
``registrable_domain`` names the domain a company registers (eTLD+1), for hosts no rule covers.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar

T = TypeVar("T")


def normal(host: str | None) -> str:
    """Lower case, without the root dot; '' for no host."""
    return (host or "").strip().lower().rstrip(".")


def under(host: str | None, domain: str) -> bool:
    """True when ``host`` is ``domain`` or a name below it ('*' covers every host)."""
    host, domain = normal(host), normal(domain).lstrip(".")
    if domain == "*":
        return bool(host)
    return bool(host) and (host == domain or host.endswith("." + domain))


def first_under(host: str | None, domains: Iterable[str]) -> str | None:
    """The first of ``domains`` that covers ``host``, else None."""
    return next((d for d in domains if under(host, d)), None)


def parents(host: str | None) -> Iterator[str]:
    """The host itself, then each name above it: 'a.b.cn' -> 'a.b.cn', 'b.cn', 'cn'."""
    labels = normal(host).split(".")
    for i in range(len(labels)):
        if labels[i]:
            yield ".".join(labels[i:])


def longest_under(host: str | None, table: Mapping[str, T]) -> T | None:
    """The value of the longest domain in ``table`` (normal-form keys) covering ``host``."""
    return next((table[name] for name in parents(host) if name in table), None)


# Public suffixes of more than one label that apps commonly talk to. The full Public Suffix
# List (https://publicsuffix.org, MPL-2.0) is not shipped; without it a name under any other
# multi-label suffix counts one label too short (``x.example.co.za`` -> ``co.za`` would be
# wrong, so such a suffix must be listed here). Single-label TLDs need no list.
MULTI_LABEL_SUFFIXES = frozenset({
    # China
    "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn", "ac.cn", "mil.cn",
    "com.hk", "net.hk", "org.hk", "gov.hk", "edu.hk", "com.tw", "net.tw", "org.tw", "gov.tw", "edu.tw",
    "com.mo", "net.mo", "org.mo",
    # elsewhere
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk",
    "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp", "co.kr", "or.kr", "ne.kr", "go.kr",
    "com.sg", "net.sg", "org.sg", "gov.sg", "edu.sg", "com.au", "net.au", "org.au", "gov.au", "edu.au",
    "co.nz", "org.nz", "net.nz", "co.in", "net.in", "org.in", "gov.in", "co.il", "org.il",
    "com.br", "net.br", "org.br", "gov.br", "com.mx", "com.ar", "com.tr", "com.ru", "com.ua",
    "co.za", "co.id", "co.th", "in.th", "com.my", "com.vn", "com.ph", "com.pk", "com.sa", "com.eg",
    # shared hosting: each customer's name is its own registrable domain
    "appspot.com", "cloudfront.net", "herokuapp.com", "github.io", "firebaseapp.com", "web.app",
    "azurewebsites.net", "blob.core.windows.net", "s3.amazonaws.com",
})


def is_ip_literal(host: str | None) -> bool:
    """True for an IPv4 or IPv6 address written as a host."""
    try:
        return _is_ip_literal(host)
    except TypeError:  # not hashable: not remembered
        return _is_ip_literal.__wrapped__(host)


@functools.lru_cache(maxsize=4096)  # each flow asks about the same few hosts; a miss costs an exception
def _is_ip_literal(host: str | None) -> bool:
    try:
        ipaddress.ip_address(normal(host).strip("[]"))
    except ValueError:
        return False
    return True


def registrable_domain(host: str | None) -> str:
    """The name a company registers (eTLD+1): 'a.b.umeng.com' -> 'umeng.com',
    'x.api.example.com.cn' -> 'example.com.cn'. An IP address stays as it is; '' for no host.
    Multi-label suffixes are those of MULTI_LABEL_SUFFIXES only (see there)."""
    host = normal(host)
    if not host or is_ip_literal(host):
        return host
    labels = host.split(".")
    suffix = next((i for i in range(len(labels)) if ".".join(labels[i:]) in MULTI_LABEL_SUFFIXES), len(labels) - 1)
    return ".".join(labels[max(suffix - 1, 0):])
