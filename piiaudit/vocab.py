"""The PII vocabulary (piiaudit/data/pii_types.yaml): one list of names every part uses."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from piiaudit.yamlfile import load_resource


@dataclass(frozen=True)
class PiiType:
    name: str
    zh: str
    en: str
    group: str
    sensitive: bool
    permission: str | None
    persistent: bool = False
    # a device or context attribute (model, OS version, locale, ...): reported per SDK as
    # what it sent (docs/endpoints.md), never a finding on its own
    attribute: bool = False

    @property
    def label(self) -> str:
        """Bilingual label for reports: '中文 / English' (the English name may hold brackets of its
        own, so it is set beside the Chinese, never inside brackets)."""
        return f"{self.zh} / {self.en}"


@functools.cache
def pii_types() -> dict[str, PiiType]:
    raw = load_resource("piiaudit", "data/pii_types.yaml")["types"]
    return {name: PiiType(name=name, **spec) for name, spec in raw.items()}


def get(name: str) -> PiiType:
    try:
        return pii_types()[name]
    except KeyError:
        raise KeyError(f"unknown PII type {name!r}; known: {', '.join(sorted(pii_types()))}") from None


def is_known(name: str) -> bool:
    return name in pii_types()


def is_attribute(name: str) -> bool:
    """True for a device/context attribute kind (never a finding on its own)."""
    t = pii_types().get(name)
    return bool(t and t.attribute)


def attributes() -> list[str]:
    return [n for n, t in pii_types().items() if t.attribute]
