"""What the privacy policy says is collected (scope.yaml), and the 39-type necessary-PI baseline.

scope.yaml (one per audited app, written by the tester)::

    app: {package: com.example.demoshop, name: 演示商城, version: 1.0.0, category: 网上购物类}
    first_party_hosts: [demoshop.example]      # the operator's own servers, suffix match
    stated:
      app: [location, phone_number]            # PII types the policy says the app itself collects
      sdks: {umeng: [android_id, oaid], Branch: [advertising_id]}   # per embedded SDK
    sdks:                                      # SDKs the catalog lacks: hosts and/or package prefixes
      Branch: {hosts: [branch.io], prefixes: [io.branch.]}
      某某推送SDK: {company: 某某科技有限公司}     # named in the policy only (`piiaudit scope extract`)
    policy: {...}                              # what `piiaudit scope extract` read (docs/scope.md)

An SDK under `stated.sdks` is a catalog id (piiaudit/data/sdks.yaml) or a name declared under
`sdks`; a declared SDK with neither hosts nor prefixes (only its company or purpose, as a
policy names it) counts as listed, but nothing observed can be attributed to it. Every PII
name, SDK id and the category are checked; an error names the offending key.

A stated list may also use a policy term of analysis/data/policy_terms.yaml ("设备信息",
"位置信息", "device information"): it stands for the term's PII types (a generic term for its
documented set), so a scope typed from a policy's own wording loads.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import AnalysisError
from piiaudit import hosts
from piiaudit import sdks as sdk_catalog
from piiaudit import vocab
from piiaudit.yamlfile import YamlError, load_bytes, load_resource, read_file

MAX_BYTES = 1024 ** 2      # a scope file is a few kilobytes

TOP_LEVEL_KEYS = ("app", "first_party_hosts", "sdks", "stated", "policy", "notes")


class ScopeError(AnalysisError):
    """A scope.yaml that cannot be used; the message names the file and the bad key."""


@dataclass(frozen=True)
class Category:
    no: int
    name: str
    en: str
    basic_function_zh: str
    necessary_zh: str
    pii_types: frozenset[str]
    unmapped_zh: tuple[str, ...]
    verified: str


@dataclass(frozen=True)
class Baseline:
    document: str
    document_en: str
    clause: str
    categories: dict[str, Category]


@functools.cache
def baseline() -> Baseline:
    raw = load_resource("analysis", "data/necessary_pi.yaml")
    cats = {
        c["name"]: Category(
            no=int(c["number"]), name=c["name"], en=c["en"], basic_function_zh=c["basic_function_zh"],
            necessary_zh=c["necessary_zh"], pii_types=frozenset(c["pii_types"] or ()),
            unmapped_zh=tuple(c.get("unmapped_zh") or ()), verified=c["verified"],
        )
        for c in raw["categories"]
    }
    return Baseline(document=raw["document"], document_en=raw["document_en"], clause=raw["clause"], categories=cats)


@dataclass(frozen=True)
class Scope:
    app: dict[str, Any] = field(default_factory=dict)
    category: str | None = None
    first_party_hosts: tuple[str, ...] = ()
    stated_app: frozenset[str] | None = None          # None: the file states nothing about collection
    stated_sdks: dict[str, frozenset[str]] = field(default_factory=dict)
    source: str = "<dict>"
    sha256: str | None = None
    sdk_hosts: dict[str, str] = field(default_factory=dict)      # host suffix -> SDK name (scope `sdks`)
    sdk_prefixes: dict[str, str] = field(default_factory=dict)   # package prefix -> SDK name (scope `sdks`)
    sdk_named: dict[str, str] = field(default_factory=dict)      # SDK named in the policy only -> its company

    @property
    def listed_sdks(self) -> frozenset[str]:
        """The SDKs the policy's SDK list names (the keys of `stated.sdks`)."""
        return frozenset(self.stated_sdks)

    @property
    def has_statements(self) -> bool:
        return self.stated_app is not None

    def stated_for(self, sdk: str | None) -> frozenset[str]:
        """PII types stated for the app itself (sdk None) or for one SDK (none if it is not listed)."""
        if sdk is None:
            return self.stated_app or frozenset()
        return self.stated_sdks.get(sdk, frozenset())

    def is_first_party(self, host: str | None) -> bool:
        return hosts.first_under(host, self.first_party_hosts) is not None

    def necessary(self) -> Category | None:
        return baseline().categories.get(self.category) if self.category else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "sha256": self.sha256, "app": self.app, "category": self.category,
            "first_party_hosts": list(self.first_party_hosts),
            "sdks": {"hosts": dict(sorted(self.sdk_hosts.items())), "prefixes": dict(sorted(self.sdk_prefixes.items()))},
            "stated": None if self.stated_app is None else {
                "app": sorted(self.stated_app), "sdks": {k: sorted(v) for k, v in sorted(self.stated_sdks.items())}},
        }


def first_party_mask(host_column: pd.Series, scope: Scope | None) -> pd.Series:
    """Vectorised over the distinct hosts of a column (there are few)."""
    if scope is None or host_column.empty:
        return pd.Series(False, index=host_column.index)
    table = {h: scope.is_first_party(h) for h in host_column.dropna().unique()}
    return host_column.map(table).eq(True)   # a host the table lacks: False (no fill: an unmapped column is float NaN)


def _pii_list(raw: Any, where: str) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if isinstance(raw, str) or not isinstance(raw, list):
        raise ScopeError(f"{where}: expected a list of PII types, e.g. [android_id, oaid], got {raw!r}")
    names: list[str] = []
    for x in raw:
        term = None if vocab.is_known(str(x)) else _policy_term(str(x))
        names += sorted(term.types) if term else [str(x)]
    unknown = [n for n in names if not vocab.is_known(n)]
    if unknown:
        raise ScopeError(
            f"{where}: unknown PII type {unknown[0]!r}; use names from piiaudit/data/pii_types.yaml "
            f"({', '.join(sorted(vocab.pii_types()))})"
        )
    return frozenset(names)


def _policy_term(phrase: str):
    from analysis.policy import vocabulary   # the policy vocabulary (same floor)
    return vocabulary.lookup(phrase, exact=True)


def _hosts(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(h, str) and h.strip() for h in raw):
        raise ScopeError(f"{where}: expected a list of host names, e.g. [api.example.com], got {raw!r}")
    return tuple(sorted({h.strip().lower().removeprefix("*.").strip(".") for h in raw}))


def _declared_sdks(raw: Any, source: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(host -> name, prefix -> name, name -> company of those named only) of the uncatalogued SDKs declared."""
    named: dict[str, str] = {}
    if raw is None:
        return {}, {}, named
    if not isinstance(raw, dict):
        raise ScopeError(f"{source}: sdks: expected a mapping of SDK name to {{hosts: [...], prefixes: [...]}}")
    by_host, by_prefix = {}, {}
    for name, spec in raw.items():
        name = str(name)
        where = f"{source}: sdks.{name}"
        if name in sdk_catalog.catalog():
            raise ScopeError(f"{where}: {name!r} is a catalog id already; name it under stated.sdks only")
        if name.startswith((sdk_catalog.UNATTRIBUTED, sdk_catalog.LIBRARY)) or not isinstance(spec, dict):
            raise ScopeError(f"{where}: expected {{hosts: [api.example.com], prefixes: [com.example.sdk.]}}")
        bad = [k for k in spec if k not in ("hosts", "prefixes", "company", "purpose")]
        if bad:
            raise ScopeError(f"{where}.{bad[0]}: unknown key (known: hosts, prefixes, company, purpose)")
        prefixes = spec.get("prefixes") or []
        if isinstance(prefixes, str):
            prefixes = [prefixes]
        if not isinstance(prefixes, list) or not all(isinstance(p, str) and p.strip(". ") for p in prefixes):
            raise ScopeError(f"{where}.prefixes: expected a list of Java packages, e.g. [io.branch.]")
        found_hosts = _hosts(spec.get("hosts"), f"{where}.hosts")
        if not found_hosts and not prefixes and not (spec.get("company") or spec.get("purpose")):
            raise ScopeError(f"{where}: give hosts, prefixes or both (or, for an SDK named in the policy only, its company)")
        if not found_hosts and not prefixes:
            named[name] = str(spec.get("company") or "")
        by_host.update({h: name for h in found_hosts})
        by_prefix.update({p.strip(". ") + ".": name for p in prefixes})
    return by_host, by_prefix, named


def from_dict(raw: Any, source: str = "<dict>", sha256: str | None = None) -> Scope:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ScopeError(f"{source}: a scope file is a mapping with app, first_party_hosts and stated")
    unknown = [k for k in raw if k not in TOP_LEVEL_KEYS]
    if unknown:
        raise ScopeError(f"{source}: unknown key {unknown[0]!r} (known: {', '.join(TOP_LEVEL_KEYS)})")
    app = raw.get("app") or {}
    if not isinstance(app, dict):
        raise ScopeError(f"{source}: app: expected a mapping (package, name, version, category)")
    category = app.get("category")
    if category is not None:
        category = str(category).strip()
        if category not in baseline().categories:
            raise ScopeError(
                f"{source}: app.category: unknown app type {category!r}; use one of the 39 types of "
                f"国信办秘字〔2021〕14号: {'、'.join(baseline().categories)}"
            )
    sdk_hosts, sdk_prefixes, sdk_named = _declared_sdks(raw.get("sdks"), source)
    declared = set(sdk_hosts.values()) | set(sdk_prefixes.values()) | set(sdk_named)
    stated = raw.get("stated")
    stated_app: frozenset[str] | None = None
    stated_sdks: dict[str, frozenset[str]] = {}
    if stated is not None:
        if not isinstance(stated, dict):
            raise ScopeError(f"{source}: stated: expected a mapping with app and sdks")
        bad = [k for k in stated if k not in ("app", "sdks")]
        if bad:
            raise ScopeError(f"{source}: stated.{bad[0]}: unknown key (known: app, sdks)")
        stated_app = _pii_list(stated.get("app"), f"{source}: stated.app")
        sdks_raw = stated.get("sdks") or {}
        if not isinstance(sdks_raw, dict):
            raise ScopeError(f"{source}: stated.sdks: expected a mapping of SDK id to PII types")
        for sdk_id, types in sdks_raw.items():
            if str(sdk_id) not in sdk_catalog.catalog() and str(sdk_id) not in declared:
                close = difflib.get_close_matches(str(sdk_id), sdk_catalog.catalog(), n=3)
                hint = f"did you mean {', '.join(close)}? " if close else ""
                raise ScopeError(
                    f"{source}: stated.sdks: unknown SDK id {sdk_id!r}; {hint}use ids from piiaudit/data/sdks.yaml "
                    "(docs/catalog.md), or declare an uncatalogued SDK under `sdks` with its hosts or prefixes"
                )
            stated_sdks[str(sdk_id)] = _pii_list(types, f"{source}: stated.sdks.{sdk_id}")
    return Scope(
        app={k: (v if isinstance(v, (int, float)) else str(v)) for k, v in app.items() if v is not None},
        category=category,
        first_party_hosts=_hosts(raw.get("first_party_hosts"), f"{source}: first_party_hosts"),
        stated_app=stated_app, stated_sdks=stated_sdks, source=source, sha256=sha256,
        sdk_hosts=sdk_hosts, sdk_prefixes=sdk_prefixes, sdk_named=sdk_named,
    )


def load(path: Path | str) -> Scope:
    path = Path(path)
    try:
        data = read_file(path, MAX_BYTES)
    except FileNotFoundError:
        raise ScopeError(f"{path}: no such scope file") from None
    except OSError as e:
        raise ScopeError(f"{path}: cannot read the scope file ({e.strerror})") from None
    except YamlError as e:
        raise ScopeError(str(e)) from None
    try:
        raw = load_bytes(data, str(path))
    except YamlError as e:
        raise ScopeError(str(e)) from None
    return from_dict(raw, str(path), hashlib.sha256(data).hexdigest())
