"""One analysed session's findings and identity, read cheaply: what compare and campaign need.

``read(session_dir)`` opens ``session.db`` once and reads only the small tables: the
findings the last ``piiaudit analyze`` stored, its rule catalog (titles and categories), the
consent decision, the scope, the app's manifest (``meta`` row ``app_manifest``, written by
``record/analyze --apk`` and by the demo) and ``manifest.json``. Flows, hits and events are
not loaded (only the few hits whose value sits in a host name, to mask those hosts).
Nothing is written: a session that was never analysed is refused (`SessionUnreadable`,
with the reason in words), it is not analysed behind the user's back.

Each finding row carries its matching key (rule, actor, PII type, destination host: never
its id, which another analysis numbers differently) and the evidence a re-test shows
beside it: first time, Δt to the consent decision, flow and event counts and the key
columns of its evidence rows (role, event or flow id, Δt, masked value) as stored.
The integrity verdict (`piiaudit verify`, outputs and scope.yaml left aside) is kept so a
reader sees whether the session still matches its manifest.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import categories
from analysis.findings import STORED_COLUMNS
from analysis.pipeline import META_KEY
from analysis.redact import HOST_LOCATIONS, redact
from piiaudit import identity as identity_mod
from piiaudit import integrity
from piiaudit import manifest as manifest_mod
from piiaudit.store import DB_NAME, SessionStore, StoreError
from piiaudit.store import problem as store_problem

EVIDENCE_LINES = 8          # evidence rows shown per finding; the rest counted
KEY = ("rule_id", "actor", "pii_type", "host_key")
APP_ITSELF = "app"          # the actor of a finding without an SDK


class SessionUnreadable(Exception):
    """A session compare or campaign cannot use, with the reason (one line)."""


@dataclass
class SessionFindings:
    """What one analysed session says: who, the consent decision, the findings with their evidence."""

    session_dir: Path
    identity: dict[str, Any]         # piiaudit.identity.APP_KEYS: package, name, version_name, version_code, sha256, …
    consent: dict[str, Any]          # decision (accepted | declined | none), at (epoch s or None), method
    findings: pd.DataFrame           # FINDING_FIELDS
    titles: dict[str, tuple[str, str]]   # rule id -> (title_zh, title_en)
    analyzed_at: float | None
    verdict: str                     # piiaudit verify: ok | partial | stale | mismatch
    verdict_line: str
    scope: str | None                # the scope file the analysis used (its name and sha256), or None
    tester: str | None = None        # who ran the test (record/demo --tester), None if not recorded
    tested_at: float | None = None   # when the recording started (epoch s), None if not recorded
    notes: list[str] = field(default_factory=list)

    @property
    def package(self) -> str | None:
        return self.identity.get("package")

    @property
    def name(self) -> str:
        return self.session_dir.name


FINDING_FIELDS = ("id", "rule_id", "category", "severity", "pii_type", "sdk", "actor", "host", "host_key",
                  "host_shown", "first_ts", "dt_consent_s", "flows", "events", "api", "evidence")


def identity(manifest: dict[str, Any], app_manifest: dict[str, Any] | None,
             scope: dict[str, Any] | None) -> dict[str, Any]:
    """The app as every output names it (piiaudit.identity.app_identity): the APK's (or
    AndroidManifest.xml's) own identity when the session recorded one, else what the manifest
    and the scope file declare; `source` says which (apk, manifest_xml, declared)."""
    return identity_mod.app_identity(manifest, app_manifest, scope)


def consent_of(raw: dict[str, Any] | None) -> dict[str, Any]:
    """The decision and its moment: the agreement, else the first refusal (as findings.json says it)."""
    raw = raw or {}
    status = raw.get("status") or "none"
    at = raw.get("ts") if status == "accepted" else raw.get("declined_ts")
    return {"decision": status, "at": at, "method": raw.get("method") or "none"}


def _evidence_text(detail: dict[str, Any]) -> str:
    """The key columns of the finding's evidence rows, one per line: role, row id, Δt, masked value."""
    rows = detail.get("evidence") or []
    lines = []
    for e in rows[:EVIDENCE_LINES]:
        where = (f"event {e['event_id']}" if e.get("event_id") is not None else
                 f"flow {e['flow_id']}" if e.get("flow_id") else str(e.get("role") or ""))
        dt = e.get("dt_s")
        parts = [str(e.get("role") or ""), where, e.get("pii_type") or "",
                 f"Δt {dt:+.3f} s" if isinstance(dt, (int, float)) else "", str(e.get("value_shown") or "")[:60]]
        lines.append(" · ".join(p for p in parts if p))
    if len(rows) > EVIDENCE_LINES:
        lines.append(f"…另有 {len(rows) - EVIDENCE_LINES} 行 / {len(rows) - EVIDENCE_LINES} more rows")
    return "\n".join(lines)


def _decode(value: Any, empty: Any) -> Any:
    if isinstance(value, str) and value:
        try:
            return json.loads(value)
        except ValueError:
            return empty
    return empty


def findings_frame(rows: list[dict[str, Any]], rules: list[dict[str, Any]], consent_at: float | None,
                   host_values: list[str]) -> pd.DataFrame:
    """The stored findings with their category, matching key and evidence summary (FINDING_FIELDS)."""
    f = pd.DataFrame(rows, columns=["id", *STORED_COLUMNS])
    category = {r["id"]: r.get("category") or categories.DEFAULT for r in rules}
    keys = ["pii_type", "sdk", "host"]
    f[keys] = f[keys].astype("object").where(f[keys].notna(), None)
    details = f["detail"].map(lambda v: _decode(v, {})).map(lambda d: d if isinstance(d, dict) else {})
    flow_ids = f["flow_ids"].map(lambda v: _decode(v, []))
    event_ids = f["event_ids"].map(lambda v: _decode(v, []))
    first = pd.to_numeric(f["first_ts"], errors="coerce").astype("float64")
    host = f["host"]
    shown = redact(host, host_values, fold_case=True) if host_values and not host.dropna().empty else host
    return pd.DataFrame({
        "id": f["id"].astype("int64"), "rule_id": f["rule_id"],
        "category": f["rule_id"].map(lambda r: category.get(r, categories.DEFAULT)).astype("object"),
        "severity": f["severity"], "pii_type": f["pii_type"], "sdk": f["sdk"],
        "actor": f["sdk"].map(lambda s: s or APP_ITSELF).astype("object"),
        "host": host, "host_key": host.map(lambda h: h.lower().rstrip(".") if isinstance(h, str) else "").astype("object"),
        "host_shown": shown,
        "first_ts": first,
        "dt_consent_s": (first - consent_at).round(3) if consent_at is not None else pd.Series(float("nan"), index=f.index),
        "flows": flow_ids.map(len).astype("int64"), "events": event_ids.map(len).astype("int64"),
        "api": details.map(lambda d: "\n".join(str(a) for a in (d.get("api") or [])[:3])),
        "evidence": details.map(_evidence_text),
    }, columns=list(FINDING_FIELDS))


def read(session_dir: Path | str, *, verify: bool = True) -> SessionFindings:
    """The analysed session at `session_dir`; SessionUnreadable (the reason) when it is not one."""
    session_dir = Path(session_dir)
    try:
        return _read(session_dir, verify)
    except (OSError, sqlite3.Error) as e:
        cause = e.__cause__ if isinstance(e.__cause__, sqlite3.Error) else e
        raise SessionUnreadable(store_problem(session_dir / DB_NAME if isinstance(cause, sqlite3.Error) else
                                              Path(getattr(e, "filename", None) or session_dir), cause)) from None


def _read(session_dir: Path, verify: bool) -> SessionFindings:
    if not session_dir.is_dir():
        raise SessionUnreadable(f"{session_dir}: not a directory")
    if not (session_dir / DB_NAME).is_file():
        raise SessionUnreadable(f"{session_dir}: no {DB_NAME}: not a piiaudit session")
    try:
        store = SessionStore(session_dir, create=False)
    except StoreError as e:
        raise SessionUnreadable(str(e)) from None
    try:
        meta = store.get_meta(META_KEY)
        if not isinstance(meta, dict):
            raise SessionUnreadable(
                f"{session_dir}: not analysed / 尚未分析; run `piiaudit analyze {session_dir}` first")
        consent_raw = store.get_meta("consent")
        scope = store.get_meta("scope")
        app_manifest = store.get_meta("app_manifest")
        rows = store.rows(f"SELECT id, {', '.join(STORED_COLUMNS)} FROM findings ORDER BY id")
        marks = ", ".join("?" for _ in HOST_LOCATIONS)
        host_values = sorted({r["value"] for r in store.rows(
            f"SELECT value FROM pii_hits WHERE location IN ({marks}) AND value IS NOT NULL", HOST_LOCATIONS)
            if isinstance(r["value"], str) and len(r["value"]) >= 4}, key=lambda v: (-len(v), v))
    except StoreError as e:
        raise SessionUnreadable(str(e)) from None
    finally:
        store.close()
    manifest = manifest_mod.read(session_dir)
    rules = meta.get("rules") or []
    consent = consent_of(consent_raw if isinstance(consent_raw, dict) else None)
    if verify:
        v = integrity.verify(session_dir, skip=set(integrity.OUTPUTS) | set(integrity.ANALYSIS_INPUTS))
        verdict, verdict_line = v.verdict, v.verdict_line()
    else:
        verdict, verdict_line = "not checked", "verdict: not checked / 未校验"
    scope_text = (f"{scope.get('source')} (sha256 {scope.get('sha256')})"
                  if isinstance(scope, dict) and scope.get("source") else None)
    return SessionFindings(
        session_dir=session_dir,
        identity=identity(manifest, app_manifest if isinstance(app_manifest, dict) else None,
                          scope if isinstance(scope, dict) else None),
        consent=consent,
        findings=findings_frame([dict(r) for r in rows], rules, consent["at"], host_values),
        titles={r["id"]: (r.get("title_zh") or "", r.get("title_en") or "") for r in rules},
        analyzed_at=meta.get("analyzed_at"), verdict=verdict, verdict_line=verdict_line, scope=scope_text,
        tester=(identity_mod.tester(manifest) or {}).get("name"),
        tested_at=identity_mod.tested(manifest).get("started"),
        notes=[n for n in (meta.get("notes") or []) if isinstance(n, str)],
    )
