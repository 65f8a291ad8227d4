"""One pass from session to evidence: analyze stores the timeline beside the findings and the consent
decision; `piiaudit report` loads the session once and writes from what was stored, deciding,
preparing and linking nothing again. Each command parses an event's data once."""

from __future__ import annotations

import json
import sqlite3

import openpyxl
import pytest
from click.testing import CliRunner

import analysis.consent
import analysis.linking
import analysis.load
import analysis.pipeline
import analysis.prepare
import analysis.reportdata
import analysis.timeline
from piiaudit import schema
from analysis.pipeline import analyze
from analysis.report import write_report
from commands.cli import cli
from piiaudit import store as store_mod
from piiaudit.store import SessionStore
from tests.support.samples import T0, demo_scope_path, write_encrypted_upload, write_standin_scenario


def _cells(path):
    wb = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb}


def _forbid(monkeypatch, *targets):
    def refuse(*args, **kwargs):
        raise AssertionError("the report must not run the analysis again")
    for module, name in targets:
        monkeypatch.setattr(module, name, refuse)


@pytest.fixture()
def encrypted(tmp_path):
    session = tmp_path / "s"
    write_standin_scenario(session)
    write_encrypted_upload(session, T0 + 1.6)    # the crypto step adds a hit during analyze
    return session


def test_analyze_loads_each_table_once_and_stores_the_timeline(encrypted, monkeypatch):
    reads = []
    real = analysis.load._read_tables    # every read of a table goes through it (the load reads them together)
    monkeypatch.setattr(analysis.load, "_read_tables",
                        lambda conn, specs: reads.extend(t for t, *_ in specs) or real(conn, specs))
    result = analyze(encrypted, scope=demo_scope_path())
    assert sorted(reads) == ["consent_marks", "events", "flows", "observations", "pii_hits", "pii_hits",  # hits again:
                             "screens", "ui_actions"]                                                  # crypto added one
    assert any(">crypto:" in str(loc) for loc in result.session.hits["location"])
    stored = analysis.timeline.stored(result.session.store)
    assert len(stored) == len(result.timeline) == SessionStore(encrypted, create=False).get_meta("analysis")["timeline_rows"]
    assert stored.equals(result.timeline_order)
    assert result.session.store.count("timeline") == len(stored)


def test_the_report_reads_what_analyze_stored(encrypted, monkeypatch, tmp_path):
    result = analyze(encrypted, scope=demo_scope_path())
    fresh = write_report(encrypted, result=result)
    expected = {k: (_cells(p) if k == "xlsx" else p.read_text("utf-8")) for k, p in fresh.items()}
    result.session.store.close()

    loads = []
    monkeypatch.setattr(analysis.reportdata, "load_session",
                        lambda d: loads.append(d) or analysis.load.load_session(d))
    _forbid(monkeypatch, (analysis.reportdata, "analyze"), (analysis.prepare, "prepare"),
            (analysis.consent, "decide"), (analysis.linking, "link_reads_to_flows"), (analysis.timeline, "build"))
    stored = write_report(encrypted)
    assert len(loads) == 1
    assert _cells(stored["xlsx"]) == expected["xlsx"]
    assert stored["json"].read_text("utf-8") == expected["json"]
    assert stored["html"].read_text("utf-8") == expected["html"]


def test_each_command_parses_an_events_data_once(encrypted, monkeypatch):
    with_data = SessionStore(encrypted, create=False).count("events WHERE data IS NOT NULL AND kind != 'pii_read'")
    parsed = []
    real = analysis.load.parse_json_object
    monkeypatch.setattr(analysis.load, "parse_json_object", lambda text: parsed.append(text) or real(text))
    analyze(encrypted, scope=demo_scope_path()).session.store.close()
    assert len(parsed) == with_data > 5
    parsed.clear()
    write_report(encrypted)
    assert len(parsed) == with_data


def test_a_session_never_analysed_is_analysed_first_and_the_summary_says_so(tmp_path):
    session = tmp_path / "s"
    write_standin_scenario(session)
    paths = write_report(session)
    notes = [r[1] for r in _cells(paths["xlsx"])["Summary"] if r[0] == "说明 / Note"]
    assert analysis.reportdata.ANALYSED_NOW in notes
    assert len(json.loads(paths["json"].read_text("utf-8"))["findings"]) == SessionStore(session).count("findings") > 0
    again = write_report(session)                      # now from what that analysis stored
    assert analysis.reportdata.ANALYSED_NOW not in [r[1] for r in _cells(again["xlsx"])["Summary"]]


def test_an_analysis_stored_by_an_earlier_version_asks_for_analyze_again(tmp_path):
    session = tmp_path / "s"
    write_standin_scenario(session)
    analyze(session).session.store.close()
    store = SessionStore(session, create=False)
    meta = store.get_meta("analysis")
    del meta["timeline_rows"]
    store.set_meta("analysis", meta)
    store.close()
    result = CliRunner().invoke(cli, ["report", str(session)])
    assert result.exit_code == 1
    assert "did not store the timeline" in result.output and f"piiaudit analyze {session}" in result.output


def test_a_version_1_session_gains_the_timeline_table_and_the_party_columns(tmp_path):
    db = tmp_path / "s" / "session.db"
    db.parent.mkdir()
    conn = sqlite3.connect(db)
    for statement in schema.migration(1):
        conn.execute(statement)
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    store = SessionStore(db.parent, create=False)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == store_mod.SCHEMA_VERSION == 6
    assert {"host_header", "escaped"} <= {r["name"] for r in store.rows("PRAGMA table_info(flows)")}
    assert {"runs", "tally", "observations", "ui_actions", "screens"} <= {r["name"] for r in store.rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"party", "party_reason"} <= {r["name"] for r in store.rows("PRAGMA table_info(timeline)")}
    assert store.count("timeline") == 0
    assert store.replace_timeline(["ts", "stream", "before_consent"], [(1.0, "event", 1), (2.0, "flow", 0)]) == 2
    assert store.replace_timeline(["ts", "stream", "before_consent"], [(3.0, "consent", 0)]) == 1
    assert store.rows("SELECT pos, ts, stream FROM timeline") == [{"pos": 1, "ts": 3.0, "stream": "consent"}]


def test_a_replayed_capture_without_hook_events_is_analysed_and_reported(demo_recording, tmp_path):
    """Traffic alone (a replayed flows.mitm, no hooks): analyze and report work, the findings show the flows."""
    from addon.replay import replay
    from tests.support.demo_device import PROFILE

    session = tmp_path / "replayed"
    stats = replay(demo_recording.session_dir / "flows.mitm", session, PROFILE)
    assert stats["flows"] == 4 and stats["hits"] >= 4
    runner = CliRunner()
    assert runner.invoke(cli, ["analyze", str(session), "--scope", str(demo_scope_path())]).exit_code == 0
    result = runner.invoke(cli, ["report", str(session)])
    assert result.exit_code == 0, result.output
    findings = json.loads((session / "findings.json").read_text(encoding="utf-8"))["findings"]
    assert findings and all(f["flow_ids"] and not f["event_ids"] for f in findings)
    timeline = openpyxl.load_workbook(session / "evidence.xlsx", read_only=True)["Timeline"]
    text = "\n".join(str(c) for row in timeline.iter_rows(values_only=True) for c in row if c is not None)
    assert "POST https://ulogs.umeng.com/unify_logs" in text
