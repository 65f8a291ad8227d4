"""write_report(): evidence.xlsx, findings.json and report.html in the session directory.

Everything is re-created from the session: the findings, consent decision, scope and rule
catalog that the last ``analyze`` stored (a session never analysed is analysed first with
the defaults). Values from traffic are shown masked with their SHA-256 unless ``reveal``;
they are written as text in the workbook and escaped in the page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import htmlpage, workbook
from analysis.consent import ConsentDecision
from analysis.labels import clean_text, link_sentences, pii_label, sdk_label
from analysis.load import Session, load_session
from analysis.errors import AnalysisError
from analysis.pipeline import AnalysisResult, analyze, rule_counts, stored_findings, stored_meta
from analysis.prepare import Evidence, prepare
from analysis.scope import Scope
from analysis.scope import from_dict as scope_from_dict
from analysis.timeline import build_timeline
from analysis.times import iso_one
from piiaudit import manifest as manifest_mod
from piiaudit.store import StoreError

OUTPUTS = {"xlsx": "evidence.xlsx", "json": "findings.json", "html": "report.html"}


@dataclass
class ReportData:
    """What every output shows, gathered once."""

    session_dir: Path
    session: Session
    manifest: dict[str, Any]
    consent: ConsentDecision
    scope: dict[str, Any] | None
    rules: list[dict[str, Any]]
    findings: pd.DataFrame
    timeline: pd.DataFrame
    evidence: Evidence
    counts_per_rule: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """Built once per report: the workbook and the page share tables and redactions."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def rule(self, rule_id: str) -> dict[str, Any]:
        return next((r for r in self.rules if r["id"] == rule_id), {"id": rule_id, "title_zh": "", "title_en": "",
                                                                      "legal_basis": []})

    @property
    def nothing(self) -> bool:
        return self.session.is_empty


def _scope_object(stored: dict[str, Any] | None) -> Scope | None:
    if not stored:
        return None
    raw = {"app": stored.get("app") or {}, "first_party_hosts": stored.get("first_party_hosts") or [],
           "stated": stored.get("stated")}
    return scope_from_dict(raw, stored.get("source") or "<stored>", stored.get("sha256"))


def gather(session_dir: Path | str, result: AnalysisResult | None = None) -> ReportData:
    """From a fresh AnalysisResult, else from what the last analyze stored (analysing first if none did)."""
    if result is None:
        try:
            session = load_session(session_dir)
        except StoreError as e:
            raise AnalysisError(str(e)) from e
        meta = stored_meta(session)
        if meta is None:
            session.store.close()
            result = analyze(session_dir)
    if result is not None:
        rules = [r.to_dict() for r in result.catalog.rules]
        return ReportData(
            session_dir=Path(session_dir), session=result.session, manifest=manifest_mod.read(session_dir),
            consent=result.consent, scope=result.scope.to_dict() if result.scope else None, rules=rules,
            findings=result.findings, timeline=result.timeline, evidence=result.evidence,
            counts_per_rule=rule_counts(rules, result.findings, result.skipped, result.errors),
            notes=list(result.notes), errors=list(result.errors),
        )
    consent = ConsentDecision.from_dict(session.store.get_meta("consent") or {"status": "none"})
    stored_scope = session.store.get_meta("scope")
    evidence = prepare(session, consent, _scope_object(stored_scope))
    findings = stored_findings(session)
    return ReportData(
        session_dir=Path(session_dir), session=session, manifest=manifest_mod.read(session_dir), consent=consent,
        scope=stored_scope, rules=meta.get("rules") or [], findings=findings,
        timeline=build_timeline(session, consent, evidence), evidence=evidence,
        counts_per_rule=rule_counts(meta.get("rules") or [], findings, meta.get("skipped") or [],
                                    meta.get("errors") or []),
        notes=list(meta.get("notes") or []), errors=list(meta.get("errors") or []),
    )


def findings_records(data: ReportData) -> list[dict[str, Any]]:
    """findings.json: the stored findings plus the rule's titles and legal basis, labels and sentences."""
    out = []
    for rec in data.findings.to_dict("records"):
        rule = data.rule(rec["rule_id"])
        detail = rec.get("detail") or {}
        out.append({
            "id": int(rec["id"]), "rule_id": rec["rule_id"], "severity": rec["severity"],
            "pii_type": rec["pii_type"], "sdk": rec["sdk"], "host": rec["host"],
            "first_ts": rec["first_ts"], "first_time": iso_one(rec["first_ts"]),
            "flow_ids": list(rec["flow_ids"]), "event_ids": list(rec["event_ids"]),
            "title_zh": rule.get("title_zh"), "title_en": rule.get("title_en"),
            "legal_basis": rule.get("legal_basis") or [],
            "pii_label": pii_label(rec["pii_type"]), "sdk_label": sdk_label(rec["sdk"]),
            "read_sent": [dict(zip(("zh", "en"), link_sentences(link))) for link in detail.get("links") or []],
            "detail": detail,
        })
    return out


def _none_for_nan(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _none_for_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_none_for_nan(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NA:
        return None
    if isinstance(value, str):
        return clean_text(value)
    return value


def write_findings_json(data: ReportData, path: Path) -> None:
    text = json.dumps(_none_for_nan(findings_records(data)), ensure_ascii=False, indent=2, sort_keys=False)
    path.write_text(text + "\n", "utf-8")


def write_report(session_dir: Path | str, *, reveal: bool = False, result: AnalysisResult | None = None) -> dict[str, Path]:
    """Write the three outputs; returns {"xlsx": path, "json": path, "html": path}.

    `result` (from analyze) saves re-reading the session; without it the stored analysis is used.
    """
    session_dir = Path(session_dir)
    data = gather(session_dir, result)
    paths = {kind: session_dir / name for kind, name in OUTPUTS.items()}
    workbook.write(data, paths["xlsx"], reveal=reveal)
    write_findings_json(data, paths["json"])
    htmlpage.write(data, paths["html"], reveal=reveal)
    manifest_mod.write(data.session.store)
    return paths
