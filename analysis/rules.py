"""The rule catalog (analysis/rules.yaml): load, validate, render as Markdown (docs/rules.md)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from analysis.categories import CATEGORIES
from analysis import crossborder, tester
from analysis.detections import COMMON_PARAMS, COUNT, HOURS, REGISTRY, SECONDS

# Detections in modules of their own register themselves on import (analysis.detections).
DETECTION_MODULES = (crossborder, tester)
from analysis.errors import AnalysisError
from analysis.labels import SEVERITY
from piiaudit.yamlfile import YamlError, load_bytes, read_file

DEFAULT_CATALOG = Path(__file__).with_name("rules.yaml")
SEVERITIES = ("high", "medium", "low")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
VERIFIED = {"V": "原文已核对 / verbatim, verified", "P": "部分核对 / partly verified", "U": "未核对 / not verified"}
RULE_KEYS = ("id", "key", "category", "title_zh", "title_en", "severity", "detection", "params", "legal_basis",
             "evidence_zh", "evidence_en", "enabled")


class RulesError(AnalysisError):
    """A catalog that cannot be used; the message names the file, the rule and the key."""


@dataclass(frozen=True)
class Basis:
    document: str
    clause: str
    verified: str
    quote_zh: str | None = None
    paraphrase_zh: str | None = None
    en: str | None = None

    @property
    def text_zh(self) -> str:
        return self.quote_zh or self.paraphrase_zh or ""


@dataclass(frozen=True)
class Rule:
    id: str
    key: str
    title_zh: str
    title_en: str
    severity: str
    detection: str
    category: str = "other"
    params: dict[str, Any] = field(default_factory=dict)
    legal_basis: tuple[Basis, ...] = ()
    evidence_zh: str = ""
    evidence_en: str = ""
    enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["legal_basis"] = [{k: v for k, v in asdict(b).items() if v is not None} for b in self.legal_basis]
        return out


@dataclass(frozen=True)
class Catalog:
    rules: tuple[Rule, ...]
    source: str
    sha256: str

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    @property
    def enabled(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.enabled)


def _text(raw: dict[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise RulesError(f"{where}: missing {key}")
        return None
    if not isinstance(value, (str, int, float)) or not str(value).strip():
        raise RulesError(f"{where}: {key} must be non-empty text")
    return str(value).strip()


def _basis(raw: Any, where: str) -> Basis:
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: each legal_basis entry is a mapping (document, clause, verified, quote_zh|paraphrase_zh)")
    verified = _text(raw, "verified", where)
    if verified not in VERIFIED:
        raise RulesError(f"{where}: verified must be V, P or U, not {verified!r}")
    quote, paraphrase = _text(raw, "quote_zh", where, required=False), _text(raw, "paraphrase_zh", where, required=False)
    if quote and verified != "V":
        raise RulesError(f"{where}: quote_zh is only for wording verified verbatim (V); use paraphrase_zh for {verified}")
    if not quote and not paraphrase:
        raise RulesError(f"{where}: needs quote_zh (verified V) or paraphrase_zh")
    return Basis(document=_text(raw, "document", where), clause=_text(raw, "clause", where), verified=verified,
                 quote_zh=quote, paraphrase_zh=paraphrase, en=_text(raw, "en", where, required=False))


def _params(raw: Any, detection: str, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: params must be a mapping")
    allowed = {**REGISTRY[detection].params, **COMMON_PARAMS}
    for name, value in raw.items():
        if name not in allowed:
            raise RulesError(f"{where}: params.{name}: not a parameter of {detection} (known: {', '.join(allowed)})")
        if name == "group_by":
            if not isinstance(value, list) or not value or any(v not in allowed[name] for v in value):
                raise RulesError(f"{where}: params.group_by must be a non-empty list of {', '.join(allowed[name])}")
        elif allowed[name] == SECONDS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 86_400:
                raise RulesError(f"{where}: params.{name}: {value!r} is not a number of seconds (0 to 86400)")
        elif allowed[name] == HOURS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 8_760:
                raise RulesError(f"{where}: params.{name}: {value!r} is not a number of hours (0 to 8760)")
        elif allowed[name] == COUNT:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000:
                raise RulesError(f"{where}: params.{name}: {value!r} is not a whole number (0 to 1000)")
        elif value not in allowed[name]:
            raise RulesError(f"{where}: params.{name}: {value!r} is not one of {', '.join(allowed[name])}")
    return dict(raw)


def _rule(raw: Any, index: int, source: str) -> Rule:
    where = f"{source}: rules[{index}]"
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: a rule is a mapping")
    rule_id = _text(raw, "id", where)
    where = f"{source}: rule {rule_id}"
    unknown = [k for k in raw if k not in RULE_KEYS]
    if unknown:
        raise RulesError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(RULE_KEYS)})")
    severity = _text(raw, "severity", where)
    if severity not in SEVERITIES:
        raise RulesError(f"{where}: severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    detection = _text(raw, "detection", where)
    if detection not in REGISTRY:
        raise RulesError(f"{where}: detection {detection!r} does not exist (known: {', '.join(sorted(REGISTRY))})")
    category = _text(raw, "category", where)
    if category not in CATEGORIES:
        raise RulesError(f"{where}: category must be one of {', '.join(CATEGORIES)}, not {category!r}")
    basis_raw = raw.get("legal_basis")
    if not isinstance(basis_raw, list) or not basis_raw:
        raise RulesError(f"{where}: legal_basis must be a non-empty list")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RulesError(f"{where}: enabled must be true or false")
    return Rule(
        id=rule_id, key=_text(raw, "key", where), title_zh=_text(raw, "title_zh", where),
        title_en=_text(raw, "title_en", where), severity=severity, detection=detection, category=category,
        params=_params(raw.get("params"), detection, where),
        legal_basis=tuple(_basis(b, f"{where}: legal_basis[{i}]") for i, b in enumerate(basis_raw)),
        evidence_zh=_text(raw, "evidence_zh", where, required=False) or "",
        evidence_en=_text(raw, "evidence_en", where, required=False) or "",
        enabled=enabled,
    )


def load_catalog(path: Path | str | None = None) -> Catalog:
    path = Path(path) if path is not None else DEFAULT_CATALOG
    try:
        data = read_file(path)
    except FileNotFoundError:
        raise RulesError(f"{path}: no such rule catalog") from None
    except OSError as e:
        raise RulesError(f"{path}: cannot read the rule catalog ({e.strerror})") from None
    except YamlError as e:
        raise RulesError(str(e)) from None
    try:
        raw = load_bytes(data, str(path))
    except YamlError as e:
        raise RulesError(str(e)) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        raise RulesError(f"{path}: a rule catalog is a mapping with a `rules` list")
    rules = tuple(_rule(r, i, str(path)) for i, r in enumerate(raw["rules"]))
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise RulesError(f"{path}: rule id {r.id!r} appears twice")
        seen.add(r.id)
    return Catalog(rules=rules, source=str(path), sha256=hashlib.sha256(data).hexdigest())


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render_markdown(catalog: Catalog | None = None) -> str:
    """docs/rules.md, generated from the catalog (tests check the committed file matches)."""
    catalog = catalog or load_catalog()
    out = [
        "# Rule catalog / 规则目录",
        "",
        "Generated from `analysis/rules.yaml` by `analysis.rules.render_markdown()`; do not edit by hand.",
        "本页由 `analysis/rules.yaml` 生成，请勿手工修改。",
        "",
        "Verification tags of the legal basis: **V** wording seen verbatim in a retrieved source (quoted); "
        "**P** partly verified and **U** not verified (paraphrased — check against the official text before "
        "citing). English renderings are ours, not official translations.",
        "",
        "| id | 标题 / title | severity | detection |",
        "|---|---|---|---|",
    ]
    out += [f"| [{r.id}](#{r.id.lower().replace('.', '')}) | {_md(r.title_zh)} / {_md(r.title_en)} | {r.severity} | "
            f"`{r.detection}` |" for r in catalog.rules]
    for r in catalog.rules:
        det = REGISTRY[r.detection]
        params = ", ".join(f"`{k}: {v}`" for k, v in r.params.items()) or "—"
        out += [
            "", f"## {r.id}", "",
            f"**{r.title_zh}**  ", f"{r.title_en}", "",
            f"- key: `{r.key}`; category: `{r.category}` ({CATEGORIES[r.category].label})",
            f"- severity: {SEVERITY[r.severity]}" + ("" if r.enabled else "; **disabled**"),
            f"- detection: `{r.detection}` ({params}) — {det.doc_en}",
            f"- 检测：{det.doc_zh}",
            f"- evidence: {r.evidence_en}",
            f"- 证据：{r.evidence_zh}",
            "", "Legal basis / 法律依据:", "",
        ]
        for b in r.legal_basis:
            kind = "quote" if b.quote_zh else "paraphrase"
            out.append(f"- {b.document} {b.clause} [{b.verified}] ({kind}): {b.text_zh}")
            if b.en:
                out.append(f"  — *{b.en}*")
    return "\n".join(out) + "\n"
