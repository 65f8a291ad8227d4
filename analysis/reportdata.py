"""ReportData: what every output shows, gathered once, from a fresh analysis or from what analyze stored.

``gather(session_dir)`` loads the session's tables once and reads the analysis that
``analyze`` stored beside them: the findings, the timeline's order and attribution, the
consent decision, the scope and the catalog's titles. Nothing is decided, prepared or
linked again. A session never analysed is analysed first, with the defaults (a
``scope.yaml`` beside the session is used), and the summary says so.

Beside the analysis it carries the session's identity (piiaudit.identity): `app_identity`
(package, version name and code, the APK's SHA-256, its signing certificates, min/target
SDK and the identity's source), `tester`, `device`, `tools` (versions at the recording and
at the report) and `tested` (when the recording ran); `tz` is the zone every time is shown in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import timeline as timeline_mod
from analysis.consent import ConsentDecision
from analysis.errors import AnalysisError
from analysis.load import Session, load_session
from analysis.pipeline import META_KEY, AnalysisResult, analyze, rule_counts, stored_findings
from piiaudit import apk as apk_mod
from piiaudit import identity
from piiaudit import manifest as manifest_mod
from piiaudit.store import SessionStore, StoreError

ANALYSED_NOW = ("this session had not been analysed: it was analysed now with the defaults / "
                "该会话尚未分析，已按默认设置分析")


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
    timeline: pd.DataFrame          # analysis.timeline.TIMELINE_COLUMNS
    counts_per_rule: pd.DataFrame
    tz: dt.tzinfo                   # the zone every time is shown in
    notes: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    # Which app, who, when, where, with what (piiaudit.identity; every key present, None when unknown):
    app_identity: dict[str, Any] = field(default_factory=dict)   # package, name, version_name/code, sha256,
    #                                  certificates, min_sdk, target_sdk, source (apk | manifest_xml | declared)
    tester: dict[str, str] | None = None                         # {"name", "source"} or None
    device: dict[str, Any] = field(default_factory=dict)         # model, manufacturer, android, api, build_id, ...
    tools: dict[str, dict[str, str | None]] = field(default_factory=dict)   # {"recording": {...}, "report": {...}}
    tested: dict[str, Any] = field(default_factory=dict)         # {"started", "ended", "zone"} of the recording
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """Built once per report: the workbook and the page share tables and redactions."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def rule(self, rule_id: str) -> dict[str, Any]:
        return next((r for r in self.rules if r["id"] == rule_id),
                    {"id": rule_id, "title_zh": "", "title_en": "", "legal_basis": []})

    @property
    def nothing(self) -> bool:
        return self.session.is_empty


def identity_fields(manifest: dict[str, Any], store: SessionStore, scope: dict[str, Any] | None) -> dict[str, Any]:
    """ReportData's app_identity, tester, device, tools and tested, from manifest.json and the stored app manifest."""
    return {"app_identity": identity.app_identity(manifest, apk_mod.stored(store), scope),
            "tester": identity.tester(manifest), "device": identity.device(manifest),
            "tools": identity.tools(manifest, manifest_mod.versions()), "tested": identity.tested(manifest)}


def from_result(result: AnalysisResult, tz: dt.tzinfo, notes: tuple[str, ...] = ()) -> ReportData:
    rules = [r.to_dict() for r in result.catalog.rules]
    manifest = manifest_mod.read(result.session_dir)
    scope = result.scope.to_dict() if result.scope else None
    return ReportData(
        session_dir=result.session_dir, session=result.session, manifest=manifest,
        consent=result.consent, scope=scope, rules=rules,
        findings=result.findings,
        timeline=timeline_mod.expand(result.timeline_order, result.session, result.consent, tz),
        counts_per_rule=rule_counts(rules, result.findings, result.skipped, result.errors),
        tz=tz, notes=[*notes, *result.notes], errors=list(result.errors),
        **identity_fields(manifest, result.session.store, scope),
    )


def _stored_analysis(session_dir: Path) -> dict[str, Any] | None:
    """The meta analyze stored last, read without loading the session's tables."""
    try:
        store = SessionStore(session_dir, create=False)
    except StoreError as e:
        raise AnalysisError(str(e)) from e
    try:
        return store.get_meta(META_KEY)
    finally:
        store.close()


def gather(session_dir: Path | str, tz: dt.tzinfo, result: AnalysisResult | None = None, *,
           accept_changes: bool = False) -> ReportData:
    """From a fresh AnalysisResult, else from what the last analyze stored (analysing first if none did,
    with `accept_changes` passed on: piiaudit.integrity)."""
    session_dir = Path(session_dir)
    if result is not None:
        return from_result(result, tz)
    meta = _stored_analysis(session_dir)
    if meta is None:
        return from_result(analyze(session_dir, accept_changes=accept_changes), tz, notes=(ANALYSED_NOW,))
    if "timeline_rows" not in meta:
        raise AnalysisError(
            f"{session_dir}: analysed by an earlier piiaudit that did not store the timeline; run "
            f"`piiaudit analyze {session_dir}` again (with the same --scope, --consent-at, --rules), then the report")
    try:
        session = load_session(session_dir)
    except StoreError as e:
        raise AnalysisError(str(e)) from e
    store = session.store
    consent = ConsentDecision.from_dict(store.get_meta("consent") or {"status": "none"})
    findings = stored_findings(session)
    rules = meta.get("rules") or []
    scope = store.get_meta("scope")
    return ReportData(
        session_dir=session_dir, session=session, manifest=session.manifest, consent=consent,
        scope=scope, rules=rules, findings=findings,
        timeline=timeline_mod.expand(timeline_mod.stored(store), session, consent, tz),
        counts_per_rule=rule_counts(rules, findings, meta.get("skipped") or [], meta.get("errors") or []),
        tz=tz, notes=list(meta.get("notes") or []), errors=list(meta.get("errors") or []),
        **identity_fields(session.manifest, store, scope),
    )
