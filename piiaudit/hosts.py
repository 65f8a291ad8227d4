"""Host names: one normal form and one suffix rule for the whole project.

A domain ``jpush.cn`` covers ``jpush.cn`` itself and every name below it
(``stats.jpush.cn``), never ``notjpush.cn``. The SDK catalog, the scope's first-party hosts
and the proxy's local responder all decide membership here.
"""

from __future__ import annotations

from collections.abc import Iterable


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
