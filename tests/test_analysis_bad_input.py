"""Empty sessions, broken rows and hostile strings: a clear message or a clean result, never a crash."""

from __future__ import annotations

import sqlite3

import pytest

from analysis.pipeline import AnalysisError, analyze
from analysis.rules import RulesError
from tests.support.samples import demo_scope_path
from analysis.scope import ScopeError
from analysis.summary import text_summary
from piiaudit.store import SessionStore


def test_empty_session(tmp_path):
    SessionStore(tmp_path / "empty").close()
    result = analyze(tmp_path / "empty", scope=demo_scope_path())
    assert result.findings.empty and result.timeline.empty
    assert result.consent.status == "none"
    assert any("no flows, events or consent marks" in n for n in result.notes)
    assert "nothing to analyse" in text_summary(result)


def test_missing_or_foreign_directories(tmp_path):
    with pytest.raises(AnalysisError, match="no such session directory"):
        analyze(tmp_path / "nope")
    (tmp_path / "plain").mkdir()
    with pytest.raises(AnalysisError, match="not a session directory"):
        analyze(tmp_path / "plain")


def test_broken_scope_and_catalog_name_the_file(tmp_path):
    SessionStore(tmp_path / "s").close()
    (tmp_path / "scope.yaml").write_text("stated: {sdks: {nosuchsdk: [imei]}}", "utf-8")
    with pytest.raises(ScopeError, match="unknown SDK id 'nosuchsdk'"):
        analyze(tmp_path / "s", scope=tmp_path / "scope.yaml")
    (tmp_path / "s" / "scope.yaml").write_text("app: [", "utf-8")
    with pytest.raises(ScopeError, match="scope.yaml: not valid YAML"):
        analyze(tmp_path / "s")
    with pytest.raises(RulesError, match="no such rule catalog"):
        analyze(tmp_path / "s", scope=demo_scope_path(), rules=tmp_path / "missing.yaml")


def test_hostile_rows_do_not_break_the_analysis(standin_scenario, tmp_path):
    ids = standin_scenario.write(tmp_path / "s")
    db = sqlite3.connect(tmp_path / "s" / "session.db")
    with db:
        # SQLite is typeless: a time that is text, ids that are text, JSON that is not JSON,
        # bytes that are not UTF-8, a hit pointing at no flow, an unknown PII type.
        db.execute("INSERT INTO events (ts, kind, data) VALUES ('yesterday', 'pii_read', NULL)")
        db.execute("INSERT INTO events (ts, kind, pid, seq, data) VALUES (?, 'dialog_shown', 'x', 'y', '{oops')",
                   (ids.ts(8) - 0.1,))
        db.execute("INSERT INTO events (ts, kind, api, pii_type, value, data) VALUES (?, 'pii_read', ?, "
                   "'imei', ?, '[]')", (ids.t0 + 0.1, b"\xff\xfe bad api", "<script>alert(1)</script>"))
        db.execute("INSERT INTO pii_hits (flow_id, pii_type, location, encoding, source, value_sha256) "
                   "VALUES ('ghost', 'imei', 'q', 'plain', 'known_value', 'x')")
        db.execute("INSERT INTO events (ts, kind, pii_type, value) VALUES (?, 'pii_read', 'not_a_type', 'v')",
                   (ids.t0 + 0.2,))
    db.close()
    result = analyze(tmp_path / "s", scope=demo_scope_path(), accept_changes=True)   # rows written outside piiaudit
    assert not result.errors
    assert any("without a usable time" in n for n in result.notes)
    assert any("refer to no recorded flow" in n for n in result.notes)
    assert result.consent.ts == ids.ts(8)          # the broken dialog did not change the decision
    imei = result.findings.loc[result.findings["rule_id"].eq("IM3.1") & result.findings["pii_type"].eq("imei")]
    assert len(imei) == 1                           # the app-side read with the mangled API name still counts
    assert "\ufffd" in imei.iloc[0]["detail"]["api"][0]
