"""findings.json: the findings with a header that says which app, who, when, where and what was decided.

One object (the layout documented in docs/findings-json.md and checked by the JSON Schema
docs/findings.schema.json, draft 2020-12); `FINDINGS_SCHEMA` is its version:

- ``schema``; ``tz`` (the zone every ``*_time`` / ``time`` field is given in: its IANA name
  and its UTC offset at the test);
- ``session``: its name, state (partial or complete), the accounting per stage and the changes
  the tester accepted (analysis.sessionstate);
- ``app``: the app's identity (piiaudit.identity.app_identity: package, name, version name and
  code, the APK's SHA-256 and signing certificates, min/target SDK, ``source``);
- ``tester`` (null when none was recorded), ``device``, ``tested`` (the recording's start and
  end, epoch and in words, and the recording machine's zone), ``tools`` (versions at the
  recording and at the report);
- ``consent``: the user's decision on the privacy policy: ``decision`` accepted | declined |
  none, ``at`` its time in epoch seconds (the agreement, else the first refusal, else null)
  with ``time`` in words, ``method`` and ``dialog_shown_at``; and how it was given
  (analysis.screens.consent_given): ``by`` automation | hook | tester (null when nothing was
  decided), the automation's consent actions ``ui_action_ids`` and the consent path's
  screenshots ``screens`` (file in the session, SHA-256, cause, time, action);
- ``result`` (the result in words, as the console, the workbook and the page say it),
  ``counts`` (``total``, ``by_category`` over every category, ``by_severity`` over every
  severity), ``findings_count`` (= counts.total, kept from layout 2) and ``findings``.

Version 1 was a bare list; 2 added session, consent, result and findings_count; 3 adds
tz, app, tester, device, tested, tools and counts; consent's by, ui_action_ids and screens were
added within layout 3 (a reader of layout 3 that does not know them loses nothing it had).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import categories, sessionstate, tables
from analysis.labels import clean_text, link_sentences, pii_label, sdk_label
from analysis.reportdata import ReportData
from analysis.rules import SEVERITIES
from piiaudit import sessiondir
from piiaudit.times import iso_one, utc_offset, zone_name

NAME = "findings.json"
FINDINGS_SCHEMA = 3


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
    given = tables.consent_given(data)
    shots = [{**s, "time": iso_one(s["at"], data.tz)} for s in given["screens"]]
    return {"decision": c.status, "at": at, "time": iso_one(at, data.tz) if at is not None else None, "method": c.method,
            "dialog_shown_at": c.dialog_shown_ts, "by": given["by"], "ui_action_ids": given["ui_action_ids"],
            "screens": shots}


def counts(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Findings per category (every category, in the notices' order), per severity (every one) and in total."""
    by_category = {k: 0 for k in categories.CATEGORIES}
    by_severity = {s: 0 for s in SEVERITIES}
    for rec in records:
        by_category[rec["category"]["key"]] += 1
        by_severity[rec["severity"]] = by_severity.get(rec["severity"], 0) + 1
    return {"total": len(records), "by_category": by_category, "by_severity": by_severity}


def _moment(ts: Any, tz: Any) -> dict[str, Any]:
    return {"at": ts, "time": iso_one(ts, tz) if ts is not None else None}


def tz_header(tz: Any, at: float) -> dict[str, str]:
    """The zone the document's times are in: its name and its UTC offset at `at`."""
    return {"name": zone_name(tz), "utc_offset": utc_offset(tz, at)}


def findings_document(data: ReportData, *, reveal: bool = False, now: float | None = None) -> dict[str, Any]:
    """findings.json (layout `FINDINGS_SCHEMA`): the header, then the findings. The same stored
    analysis gives the same bytes (the time the report was written is in manifest.json, not here)."""
    records = findings_records(data, reveal=reveal)
    now = time.time() if now is None else now
    tested = data.tested or {}
    return {
        "schema": FINDINGS_SCHEMA,
        "tz": tz_header(data.tz, tested.get("started") or now),
        "session": {"name": data.session_dir.name, **sessionstate.of(data).to_json(data.tz)},
        "app": {k: v for k, v in (data.app_identity or {}).items() if k != "recorded_at"},
        "tester": data.tester,
        "device": data.device,
        "tested": {"started": _moment(tested.get("started"), data.tz), "ended": _moment(tested.get("ended"), data.tz),
                   "zone": tested.get("zone")},
        "tools": data.tools,
        "consent": consent_header(data),
        "result": tables.result(data),
        "counts": counts(records),
        "findings_count": len(records),
        "findings": records,
    }


def write(data: ReportData, path: Path, *, reveal: bool = False) -> None:
    """Write findings.json whole or not at all (piiaudit.sessiondir.replacing)."""
    text = json.dumps(_none_for_nan(findings_document(data, reveal=reveal)), ensure_ascii=False, indent=2,
                      sort_keys=False)
    with sessiondir.replacing(path) as tmp:
        tmp.write_text(text + "\n", "utf-8")
