"""write_report(): evidence.xlsx, findings.json and report.html in the session directory.

The outputs show what the last ``analyze`` stored: its findings, consent decision, scope,
rule catalog and timeline (``analysis.reportdata``); a session never analysed is analysed
first with the defaults. Values from traffic are shown masked with their SHA-256 unless
``reveal``; they are written as text in the workbook and escaped in the page. Times are
shown in `tz` (an IANA name; default: ``TZ``, else the system's zone).

findings.json is one object: ``schema`` (the version of its layout, `FINDINGS_SCHEMA`),
``session`` (its state, partial or complete, the accounting per stage and the changes the
tester accepted: analysis.sessionstate), ``consent`` (the user's decision on the privacy
policy: ``decision`` accepted | declined | none, ``at`` its time in epoch seconds — the
agreement, else the first refusal, else null — with ``time`` in words, ``method`` and
``dialog_shown_at``), ``result`` (the result in words, as the console,
the workbook and the page say it), ``findings_count`` and ``findings``.
A session whose files changed outside piiaudit is refused unless `accept_changes`
(piiaudit.integrity).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import categories, htmlpage, sessionstate, tables, workbook
from analysis.errors import AnalysisError
from analysis.labels import clean_text, link_sentences, pii_label, sdk_label
from analysis.pipeline import AnalysisResult
from analysis.reportdata import ReportData, gather
from piiaudit import integrity
from piiaudit import manifest as manifest_mod
from piiaudit import sessiondir
from piiaudit.times import iso_one, zone

OUTPUTS = {"xlsx": "evidence.xlsx", "json": "findings.json", "html": "report.html"}
PDF_NAME = "report.pdf"   # with --pdf: the page printed (analysis.pageprint)
# The layout of findings.json: 1 was a bare list of findings; 2 is the object of
# `findings_document` (schema, session, consent, result, findings_count, findings).
FINDINGS_SCHEMA = 2


def _keys_sorted(value: Any) -> Any:
    """Nested objects with their keys in order, as session.db stores them: the same bytes either way."""
    if isinstance(value, dict):
        return {k: _keys_sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_keys_sorted(v) for v in value]
    return value


def findings_records(data: ReportData, *, reveal: bool = False) -> list[dict[str, Any]]:
    """findings.json: the stored findings plus the rule's titles and legal basis, labels and
    sentences; values found in host names masked there too unless `reveal` (the values
    themselves are stored masked)."""
    hosts = tables.host_masker(data, reveal)
    out = []
    for rec in data.findings.to_dict("records"):
        rule = data.rule(rec["rule_id"])
        detail = hosts(rec.get("detail") or {})
        out.append({
            "id": int(rec["id"]), "rule_id": rec["rule_id"],
            "category": categories.get(rec.get("category")).to_dict(), "severity": rec["severity"],
            "pii_type": rec["pii_type"], "sdk": rec["sdk"], "host": hosts(rec["host"]),
            "first_ts": rec["first_ts"], "first_time": iso_one(rec["first_ts"], data.tz),
            "flow_ids": list(rec["flow_ids"]), "event_ids": list(rec["event_ids"]),
            "title_zh": rule.get("title_zh"), "title_en": rule.get("title_en"),
            "legal_basis": _keys_sorted(rule.get("legal_basis") or []),
            "pii_label": pii_label(rec["pii_type"]), "sdk_label": sdk_label(rec["sdk"]),
            "read_sent": [dict(zip(("zh", "en"), link_sentences(link, data.tz))) for link in detail.get("links") or []],
            "detail": _keys_sorted(detail),
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


def consent_header(data: ReportData) -> dict[str, Any]:
    """findings.json's `consent`: the decision and its moment (the agreement, else the first refusal)."""
    c = data.consent
    at = c.ts if c.status == "accepted" else c.declined_ts
    return {"decision": c.status, "at": at, "time": iso_one(at, data.tz) if at is not None else None, "method": c.method,
            "dialog_shown_at": c.dialog_shown_ts}


def findings_document(data: ReportData, *, reveal: bool = False) -> dict[str, Any]:
    """findings.json: the layout's version, the session's state and accounting, the consent
    decision, the result in words (as the other outputs say it), the count and the findings."""
    records = findings_records(data, reveal=reveal)
    return {"schema": FINDINGS_SCHEMA, "session": sessionstate.of(data).to_json(data.tz),
            "consent": consent_header(data),
            "result": tables.result(data), "findings_count": len(records), "findings": records}


def write_findings_json(data: ReportData, path: Path, *, reveal: bool = False) -> None:
    text = json.dumps(_none_for_nan(findings_document(data, reveal=reveal)), ensure_ascii=False, indent=2,
                      sort_keys=False)
    with sessiondir.replacing(path) as tmp:
        tmp.write_text(text + "\n", "utf-8")


def write_report(session_dir: Path | str, *, reveal: bool = False, result: AnalysisResult | None = None,
                 tz: str | None = None, accept_changes: bool = False, pdf: bool = False) -> dict[str, Path]:
    """Write the three outputs; returns {"xlsx": path, "json": path, "html": path}.

    With `pdf`, the page is also printed to report.pdf by headless Chromium after the manifest
    (analysis.pageprint: its footer carries manifest.json's SHA-256), and "pdf" is returned too;
    raises AnalysisError when Chromium is missing or fails.

    `result` (from analyze, in the same process) saves reading the session; without it the
    stored analysis is used. Raises AnalysisError (and piiaudit.times.ZoneError for a bad `tz`).
    """
    session_dir = Path(session_dir)
    tzinfo = zone(tz)
    try:
        integrity.guard(session_dir, "report", accept=accept_changes)
    except integrity.IntegrityError as e:
        raise AnalysisError(str(e)) from None
    data = gather(session_dir, tzinfo, result, accept_changes=accept_changes)
    paths = {kind: session_dir / name for kind, name in OUTPUTS.items()}
    workbook.write(data, paths["xlsx"], reveal=reveal)
    write_findings_json(data, paths["json"], reveal=reveal)
    htmlpage.write(data, paths["html"], reveal=reveal)
    manifest_mod.write(data.session.store)
    if pdf:
        paths["pdf"] = print_page(session_dir)
    return paths


def print_page(session_dir: Path) -> Path:
    """report.pdf from report.html, its footer naming manifest.json's SHA-256 (analysis.pageprint)."""
    from analysis import pageprint
    from piiaudit.browser import BrowserError
    from piiaudit.store import MANIFEST_NAME

    try:
        return pageprint.write_pdf(session_dir / OUTPUTS["html"], session_dir / PDF_NAME, session=session_dir.name,
                                   manifest_sha256=manifest_mod.file_sha256(session_dir / MANIFEST_NAME)).path
    except BrowserError as e:
        raise AnalysisError(f"report.pdf not written: {e}") from None
