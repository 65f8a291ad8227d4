"""analyze(): one session in, findings out (stored in session.db), deterministic.

Load the session (once), decide the consent moment, read the scope, prepare the evidence
tables and link reads to flows, run every enabled rule of the catalog, group the evidence
into findings, order both streams into the timeline, and replace the session's findings
and timeline with these. The consent decision, the scope and the catalog used go to the
session's meta table (and the scope to manifest.json), so reports are written from what
was stored without deciding or preparing anything again.

Before anything is read, the session is checked against its manifest (piiaudit.integrity):
files changed outside piiaudit stop the analysis unless `accept_changes`. The analysis
counts the rows of session.db it left out and the rules that failed (analysis.sessionstate).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import categories
from analysis import consent as consent_mod
from analysis import crypto as crypto_mod
from analysis import scope as scope_mod
from analysis import rulesapart, sessionstate
from analysis import timeline as timeline_mod
from analysis.consent import ConsentDecision
from analysis.detections import REGISTRY, NotApplicable
from analysis.errors import AnalysisError
from analysis.findings import FINDING_COLUMNS, STORED_COLUMNS, empty_findings, group
from analysis.load import Session, load_session, with_hits_reread
from analysis.party import attribute_events
from analysis.prepare import Evidence, prepare
from analysis.rules import Catalog, load_catalog
from analysis.scope import Scope
from piiaudit import apk as apk_mod
from piiaudit import integrity
from piiaudit import manifest as manifest_mod
from piiaudit import times
from piiaudit.schema import SCHEMA_VERSION
from piiaudit.store import StoreError

SCOPE_FILE = "scope.yaml"
META_KEY = "analysis"
STEPS = 7   # the stages analyze() reports to its `progress(done, total, what)` callback


@dataclass
class AnalysisResult:
    session_dir: Path
    findings: pd.DataFrame              # FINDING_COLUMNS + id, in stored order
    consent: ConsentDecision
    timeline_order: pd.DataFrame        # analysis.timeline.ORDER_COLUMNS, as stored
    scope: Scope | None
    catalog: Catalog
    session: Session
    evidence: Evidence
    skipped: list[dict[str, str]] = field(default_factory=list)   # rules not run, with the reason
    notes: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)    # rules that failed (recorded in `errors`)
    state: sessionstate.SessionState | None = None                 # partial runs, accounting, accepted changes

    @property
    def counts(self) -> dict[str, int]:
        s = self.session
        return {"flows": len(s.flows), "pii_hits": len(s.hits), "events": len(s.events),
                "consent_marks": len(s.marks), "findings": len(self.findings)}

    @functools.cached_property
    def timeline(self) -> pd.DataFrame:
        """The timeline joined with the session's rows (analysis.timeline.TIMELINE_COLUMNS)."""
        return timeline_mod.expand(self.timeline_order, self.session, self.consent)

    def counts_per_rule(self) -> pd.DataFrame:
        return rule_counts([r.to_dict() for r in self.catalog.rules], self.findings, self.skipped, self.errors)


def rule_counts(rules: list[dict[str, Any]], findings: pd.DataFrame, skipped: list[dict[str, str]],
                errors: list[dict[str, str]]) -> pd.DataFrame:
    """Every rule of a catalog with its number of findings (0 included), status and reason."""
    n = findings["rule_id"].value_counts() if not findings.empty else pd.Series(dtype="int64")
    why = {s["rule_id"]: ("not run", s["reason"]) for s in skipped} | {e["rule_id"]: ("failed", e["message"]) for e in errors}
    return pd.DataFrame([
        {"rule_id": r["id"], "category": r.get("category") or categories.DEFAULT, "title_zh": r["title_zh"], "title_en": r["title_en"], "severity": r["severity"],
         "findings": int(n.get(r["id"], 0)),
         "status": "disabled" if not r.get("enabled", True) else why.get(r["id"], ("run", ""))[0],
         "reason": why.get(r["id"], ("", ""))[1]}
        for r in rules
    ], columns=["rule_id", "category", "title_zh", "title_en", "severity", "findings", "status", "reason"])


def _resolve_scope(session_dir: Path, scope: Path | str | None, notes: list[str]) -> Scope | None:
    if scope is not None:
        return scope_mod.load(scope)
    beside = session_dir / SCOPE_FILE
    if beside.exists():
        return scope_mod.load(beside)
    notes.append(
        "no scope.yaml given or found in the session: rules that compare with the stated scope or the app type are "
        "not run, and only catalogued SDK hosts count as third parties / 未提供scope.yaml：依赖声明范围或App类型的规则未运行，"
        "仅SDK目录中的主机视为第三方"
    )
    return None


def _crypto_hits(session: Session) -> tuple[Session, list[str]]:
    """Hits inside encrypted uploads (analysis.crypto), written to pii_hits; the hits read again if they changed."""
    try:
        outcome = crypto_mod.apply(session)
    except Exception as e:  # noqa: BLE001 - a broken capture file must not stop the analysis
        session.store.record_error("analysis", f"crypto plaintext step failed: {type(e).__name__}: {e}")
        return session, [f"crypto plaintext step failed / 加密明文关联失败: {type(e).__name__}: {e}"]
    if outcome.changed:
        session = with_hits_reread(session)
    return session, outcome.notes


def run_rules(catalog: Catalog, evidence: Evidence) -> tuple[pd.DataFrame, list[dict[str, str]], list[dict[str, str]]]:
    return _combined(_outcomes(catalog, evidence, range(len(catalog.rules))))


def _outcomes(catalog: Catalog, evidence: Evidence, which, between=None) -> list[tuple[int, str, Any]]:
    """(catalog position, "found" | "skipped" | "failed", findings frame or reason) of each
    enabled rule at the positions `which`; `between()` is called after each rule run."""
    out: list[tuple[int, str, Any]] = []
    for order in which:
        rule = catalog.rules[order]
        if not rule.enabled:
            continue
        if between is not None and out:
            between()
        try:
            rows = REGISTRY[rule.detection].fn(evidence, rule.params)
            found = group(rows, rule, evidence)
        except NotApplicable as e:
            out.append((order, "skipped", {"rule_id": rule.id, "reason": str(e)}))
            continue
        except Exception as e:  # noqa: BLE001 - one broken rule must not hide the others' findings
            out.append((order, "failed", {"rule_id": rule.id, "message": f"{type(e).__name__}: {e}"}))
            continue
        out.append((order, "found", found))
    return out


def _combined(outcomes: list[tuple[int, str, Any]]) -> tuple[pd.DataFrame, list[dict[str, str]], list[dict[str, str]]]:
    """The findings (in catalog order), the rules not run and the rules that failed."""
    outcomes = sorted(outcomes, key=lambda o: o[0])
    parts = [found.assign(order=order) for order, what, found in outcomes if what == "found"]
    skipped = [o[2] for o in outcomes if o[1] == "skipped"]
    errors = [o[2] for o in outcomes if o[1] == "failed"]
    if not parts:
        return empty_findings(), skipped, errors
    findings = (pd.concat(parts, ignore_index=True).sort_values(["order"], kind="stable", ignore_index=True)
                .drop(columns=["order"]))
    keys = ["pii_type", "sdk", "host"]
    findings[keys] = findings[keys].astype("object").where(findings[keys].notna(), None)
    return findings, skipped, errors


def analyze(session_dir: Path | str, *, consent_at: float | None = None, scope: Path | str | None = None,
            rules: Path | str | None = None, accept_changes: bool = False,
            apk: Path | str | None = None, progress=None) -> AnalysisResult:
    """Analyse one session directory; raises AnalysisError (ScopeError, RulesError, ...) with a clear message.
    Files changed outside piiaudit since the manifest are an AnalysisError unless `accept_changes`.
    `apk` (an APK, or an AndroidManifest.xml in text form) is recorded in the session as the app's
    manifest first (piiaudit.apk), replacing any recorded before; it must be the session's app."""
    session_dir = Path(session_dir)
    app_manifest = None
    if apk is not None:
        try:
            app_manifest = apk_mod.read_any(apk)
        except apk_mod.ApkError as e:
            raise AnalysisError(str(e)) from None
    if consent_at is not None:
        try:
            consent_at = times.checked(consent_at, f"the consent moment {consent_at!r}")
        except times.TimeError as e:
            raise AnalysisError(str(e)) from None
    catalog = load_catalog(rules)
    progress and progress(0, STEPS, "checking files")
    # The files are hashed while session.db is read (hashing and the columnar read run on
    # their own, beside this thread), unless opening the database would migrate it: then
    # the check comes first, on the file as it was. Nothing is written before the check passed.
    checking = _Checking(session_dir, accept_changes)
    if not _current_schema(session_dir):
        checking.wait()
    progress and progress(1, STEPS, "reading session.db")
    try:
        session = load_session(session_dir)
    except StoreError as e:
        checking.wait()
        raise AnalysisError(str(e)) from e
    try:
        checking.wait()
    except AnalysisError:
        session.store.close()
        raise
    if accept_changes:
        # The check records the changes it accepted in manifest.json, possibly after the read
        # above took the manifest: the session must carry the record (its outputs name it).
        session = dataclasses.replace(session, manifest=manifest_mod.read(session_dir))
    if app_manifest is not None:
        _record_manifest(session, app_manifest)
    progress and progress(2, STEPS, "encrypted uploads")
    session, crypto_notes = _crypto_hits(session)
    notes = list(session.notes) + crypto_notes
    scope_obj = _resolve_scope(session_dir, scope, notes)
    decision = consent_mod.decide(session.events, session.marks, consent_at=consent_at)
    if session.is_empty:
        notes.append("the session holds no flows, events or consent marks / 会话中没有流量、事件或同意标记")
    progress and progress(3, STEPS, "preparing evidence")
    session = attribute_events(session, scope_obj)
    evidence = prepare(session, decision, scope_obj)
    # The rules over every read (APART) run in a forked child beside this process's rules (a long
    # session only: rulesapart). The timeline is stored while rules run (a long one by a child
    # process: analysis.bulkwrite), and the findings once it is written. With a child apart, the
    # timeline is built and its writer started only once that child has answered (looked at
    # between the rules here), so the child's grouping, the timeline and the writer never hold
    # their memory at once (docs/analysis.md §10, seventh round).
    apart = rulesapart.start(catalog, evidence, _outcomes)
    store = session.store
    order: pd.DataFrame | None = None
    timeline_written = None

    def timeline_stored() -> None:
        nonlocal order, timeline_written
        order = timeline_mod.build(session, decision, evidence)
        timeline_written = timeline_mod.saving(order, store)

    try:
        if not apart.positions:
            timeline_stored()
        progress and progress(4, STEPS, "rules")
        theirs = None

        def between_rules() -> None:
            nonlocal theirs
            if timeline_written is None and apart.answered():
                theirs = apart.outcomes()
                timeline_stored()

        here = [i for i in range(len(catalog.rules)) if i not in apart.positions]
        mine = _outcomes(catalog, evidence, here, between=between_rules)
        if theirs is None:
            theirs = apart.outcomes()
        if timeline_written is None:
            timeline_stored()
        findings, skipped, errors = _combined(mine + theirs)
        findings = findings.assign(id=range(1, len(findings) + 1))[["id", *FINDING_COLUMNS]]
        progress and progress(5, STEPS, "timeline")
    finally:
        apart.close()   # (no child left running if the rules here failed)
        if timeline_written is not None:
            timeline_written()

    progress and progress(6, STEPS, "storing findings")
    store.replace_findings(findings[STORED_COLUMNS].to_dict("records"))
    for err in errors:
        store.record_error("analysis", f"rule {err['rule_id']} failed: {err['message']}")
    sessionstate.record_analysis(store, session.left_out, {"rules": len(errors)})
    store.set_meta("consent", decision.to_dict())
    store.set_meta("scope", scope_obj.to_dict() if scope_obj else None)
    # Written last: a report trusts the findings and the timeline once this says they are complete.
    store.set_meta(META_KEY, {
        "analyzed_at": time.time(), "consent_at_given": consent_at,
        "rules_source": catalog.source, "rules_sha256": catalog.sha256,
        "rules": [r.to_dict() for r in catalog.rules],
        "skipped": skipped, "errors": errors, "notes": notes, "timeline_rows": len(order),
    })
    manifest_mod.write(store, scope_used=scope_obj.to_dict() if scope_obj else {"source": None},
                       analysis={"consent": decision.to_dict(), "rules_sha256": catalog.sha256})
    return AnalysisResult(
        session_dir=session_dir, findings=findings, consent=decision, timeline_order=order, scope=scope_obj,
        catalog=catalog, session=session, evidence=evidence, skipped=skipped, notes=notes, errors=errors,
        state=sessionstate.read(store, session.manifest),
    )


class _Checking:
    """integrity.guard in a thread of its own; wait() raises AnalysisError if it refused."""

    def __init__(self, session_dir: Path, accept: bool) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(session_dir, accept), daemon=True)
        self._thread.start()

    def _run(self, session_dir: Path, accept: bool) -> None:
        try:
            integrity.guard(session_dir, "analyze", accept=accept)
        except BaseException as e:  # noqa: BLE001 - handed to the waiting thread
            self._error = e

    def wait(self) -> None:
        self._thread.join()
        error, self._error = self._error, None
        if isinstance(error, integrity.IntegrityError):
            raise AnalysisError(str(error)) from None
        if error is not None:
            raise error


def _current_schema(session_dir: Path) -> bool:
    """Whether session.db exists at this piiaudit's schema version and in WAL mode: opening it
    then changes nothing in the file (piiaudit.store migrates and switches to WAL on opening)."""
    db = session_dir / integrity.DB_NAME
    if not db.is_file():
        return False
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)
        try:
            return (conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
                    and str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal")
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _record_manifest(session: Session, app_manifest: apk_mod.AppManifest) -> None:
    recorded = (session.manifest.get("app") or {}).get("package")
    if recorded and recorded != app_manifest.package:
        raise AnalysisError(f"{app_manifest.file}: the APK is {app_manifest.package}, the session recorded {recorded}; "
                            "give the APK of the app that was recorded")
    apk_mod.store_in(session.store, app_manifest)


def stored_findings(session: Session) -> pd.DataFrame:
    """The findings table as analyze() stored it (JSON columns decoded)."""
    rows = session.store.rows(f"SELECT id, {', '.join(STORED_COLUMNS)} FROM findings ORDER BY id")
    frame = pd.DataFrame(rows, columns=["id", *STORED_COLUMNS])
    rules = (stored_meta(session) or {}).get("rules") or []
    category = {r["id"]: r.get("category") or categories.DEFAULT for r in rules}
    frame.insert(2, "category", frame["rule_id"].map(lambda r: category.get(r, categories.DEFAULT)).astype("object"))
    keys = ["pii_type", "sdk", "host"]
    frame[keys] = frame[keys].astype("object").where(frame[keys].notna(), None)   # NULL is None, as analyze returns it
    decode = lambda v, empty: json.loads(v) if isinstance(v, str) and v else empty  # noqa: E731
    return frame.assign(flow_ids=frame["flow_ids"].map(lambda v: decode(v, [])),
                        event_ids=frame["event_ids"].map(lambda v: decode(v, [])),
                        detail=frame["detail"].map(lambda v: decode(v, {})))


def stored_meta(session: Session) -> dict[str, Any] | None:
    return session.store.get_meta(META_KEY)
