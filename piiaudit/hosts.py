"""Host names: one normal form and one suffix rule for the whole project.

A domain ``jpush.cn`` covers ``jpush.cn`` itself and every name below it
(``stats.jpush.cn``), never ``notjpush.cn``. The SDK catalog, the scope's first-party hosts
and the proxy's local responder all decide membership here. Where several domains cover a
host, the longest (most specific) one is the one that speaks for it (``longest_under``).
"""

from __future__ import annotations

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
