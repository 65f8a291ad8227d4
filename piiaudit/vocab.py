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

    @property
    def label(self) -> str:
        """Bilingual label for reports: 中文 (English)."""
        return f"{self.zh} ({self.en})"


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
