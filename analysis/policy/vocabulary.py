"""The policy vocabulary (analysis/data/policy_terms.yaml): policy wording -> PII types, and SDK names.

``terms()`` finds every vocabulary phrase in a piece of text, longest first at each place
(Chinese as substrings, English on word boundaries and without case). ``not_pii()`` finds
the personal-information words that have no PII type of ours. ``sdk_names()`` finds SDK
names and companies: the vocabulary's aliases, the catalog's own Chinese and English names,
and the name of a company that has a single SDK in the catalog (piiaudit/data/sdks.yaml).
Every type is checked against piiaudit/data/pii_types.yaml when the file is loaded.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

from piiaudit import sdks as sdk_catalog
from piiaudit import vocab
from piiaudit.yamlfile import load_resource


@dataclass(frozen=True)
class Term:
    types: frozenset[str]
    generic: bool = False
    basis: str | None = None


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    phrase: str          # as written in the text
    term: Term | None    # None for not_pii / sdk hits
    value: str = ""      # sdk id for sdk hits


@functools.cache
def _raw() -> dict:
    return load_resource("analysis", "data/policy_terms.yaml")


def _is_ascii(phrase: str) -> bool:
    return all(ord(c) < 128 for c in phrase)


def _pattern(phrases: list[str]) -> re.Pattern:
    parts = []
    for p in sorted(set(phrases), key=lambda p: (-len(p), p)):
        body = re.escape(p).replace(r"\ ", r"[\s\-]?")
        parts.append(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])" if _is_ascii(p) else body)
    return re.compile("|".join(parts), re.I)


@functools.cache
def _term_table() -> tuple[dict[str, Term], re.Pattern]:
    raw = _raw()
    basis = raw.get("basis") or {}
    table: dict[str, Term] = {}
    for entry in raw["terms"]:
        unknown = [t for t in entry["types"] if not vocab.is_known(t)]
        if unknown:
            raise ValueError(f"policy_terms.yaml: unknown PII type {unknown[0]!r}")
        if entry.get("generic") and entry.get("basis") not in basis:
            raise ValueError(f"policy_terms.yaml: generic term {entry['zh'][0]!r} needs a basis from `basis`")
        term = Term(frozenset(entry["types"]), bool(entry.get("generic")), basis.get(entry.get("basis")))
        for phrase in list(entry.get("zh") or []) + list(entry.get("en") or []):
            key = str(phrase).lower()
            if key in table and table[key] != term:
                raise ValueError(f"policy_terms.yaml: phrase {phrase!r} maps to two entries")
            table[key] = term
    return table, _pattern(list(table))


def _key(phrase: str) -> str:
    return re.sub(r"[\s\-]", "", phrase.lower())


def phrase_key(phrase: str) -> str:
    """A phrase as compared: without case, spaces or hyphens."""
    return _key(phrase)


@functools.cache
def _lookup() -> dict[str, Term]:
    return {_key(k): v for k, v in _term_table()[0].items()}


def terms(text: str) -> list[Hit]:
    table = _lookup()
    return [Hit(m.start(), m.end(), m.group(0), table[_key(m.group(0))]) for m in _term_table()[1].finditer(text)]


def lookup(phrase: str, *, exact: bool = False) -> Term | None:
    """The term a phrase names (any case, spaces ignored; `exact`: only as the vocabulary spells it), or None."""
    if exact:
        return _exact().get(phrase.strip())
    return _lookup().get(_key(phrase.strip()))


@functools.cache
def _exact() -> dict[str, Term]:
    table = _term_table()[0]
    out = {}
    for entry in _raw()["terms"]:
        for phrase in list(entry.get("zh") or []) + list(entry.get("en") or []):
            out[str(phrase)] = table[str(phrase).lower()]
    return out


def size() -> dict[str, int]:
    """How much the vocabulary maps: phrases (zh, en), entries, generic entries, PII types covered."""
    zh = en = 0
    types: set[str] = set()
    for entry in _raw()["terms"]:
        zh += len(entry.get("zh") or [])
        en += len(entry.get("en") or [])
        types |= set(entry["types"])
    return {"phrases": len(_term_table()[0]), "zh": zh, "en": en, "entries": len(_raw()["terms"]),
            "generic": sum(1 for e in _raw()["terms"] if e.get("generic")), "pii_types": len(types),
            "sdk_aliases": sum(len(v) for v in (_raw().get("sdk_aliases") or {}).values())}


@functools.cache
def _not_pii() -> re.Pattern:
    raw = _raw().get("not_pii") or {}
    return _pattern(list(raw.get("zh") or []) + list(raw.get("en") or []))


def not_pii(text: str) -> list[Hit]:
    return [Hit(m.start(), m.end(), m.group(0), None) for m in _not_pii().finditer(text)]


@functools.cache
def _filler() -> tuple[re.Pattern, re.Pattern]:
    """(English fillers, anywhere on word boundaries; Chinese fillers, only at an item's ends)."""
    raw = _raw().get("filler") or {}
    zh = "|".join(re.escape(p) for p in sorted(raw.get("zh") or [], key=len, reverse=True))
    return _pattern(list(raw.get("en") or [])), re.compile(rf"^(?:{zh})+|(?:{zh})+$")


def strip_filler(text: str) -> str:
    en, zh = _filler()
    text = re.sub(r"\s+", " ", en.sub(" ", text)).strip(" 、，,.;；:：()（）\"'“”‘’《》")
    return zh.sub("", text).strip(" 、，,.;；:：()（）\"'“”‘’《》")


@functools.cache
def _sdk_table() -> tuple[dict[str, str], re.Pattern]:
    catalog = sdk_catalog.catalog()
    table: dict[str, str] = {}
    per_entity = Counter(s.entity for s in catalog.values())
    for sdk in catalog.values():
        names = [sdk.zh, sdk.en]
        if per_entity[sdk.entity] == 1:
            ent = sdk_catalog.entities()[sdk.entity]
            names += [ent.zh, ent.en]
        for name in names:
            name = str(name).strip()
            if len(name) >= 4 or (not _is_ascii(name) and len(name) >= 2):
                table.setdefault(name.lower(), sdk.id)
    for sdk_id, aliases in (_raw().get("sdk_aliases") or {}).items():
        if sdk_id not in catalog:
            raise ValueError(f"policy_terms.yaml: sdk_aliases: {sdk_id!r} is not a catalog id")
        for alias in aliases:
            table[str(alias).lower()] = sdk_id      # the vocabulary's aliases win over catalog names
    return table, _pattern(list(table))


def sdk_names(text: str) -> list[Hit]:
    table = _sdk_table()[0]
    out = []
    for m in _sdk_table()[1].finditer(text):
        key = m.group(0).lower()
        sdk_id = table.get(key) or table.get(re.sub(r"[\s\-]", " ", key)) or _fuzzy_sdk(key)
        if sdk_id:
            out.append(Hit(m.start(), m.end(), m.group(0), None, sdk_id))
    return out


def _fuzzy_sdk(key: str) -> str | None:
    squashed = _key(key)
    return next((v for k, v in _sdk_table()[0].items() if _key(k) == squashed), None)
