"""Text from traffic and from hooked apps stays inert in every output; an empty session still reports."""

from __future__ import annotations

import json
import sqlite3

import markupsafe
import openpyxl
import pytest

from analysis.report import write_report
from tests.support.samples import demo_scope_path, write_standin_scenario
from analysis.pipeline import analyze
from piiaudit.store import SessionStore

FORMULAS = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "=1+1"]
SCRIPT = '<script>alert("x")</script>'


@pytest.fixture(scope="module", params=["fresh result", "stored analysis"])
def hostile(tmp_path_factory, request):
    session = tmp_path_factory.mktemp("hostile") / "session"
    write_standin_scenario(session, dialog_text=f"请阅读《隐私政策》{SCRIPT}{FORMULAS[0]}", url_suffix=f"?q={SCRIPT}")
    store = SessionStore(session, create=False)
    ts = 1_767_225_610.0
    flow = {"id": "hostile-flow", "ts_start": ts, "method": "POST", "url": FORMULAS[0], "host": FORMULAS[1],
            "scheme": "http", "status": 200, "request_sha256": "0" * 64, "response_sha256": FORMULAS[2]}
    hit = {"flow_id": "hostile-flow", "pii_type": "imei", "location": FORMULAS[1], "encoding": FORMULAS[3],
           "source": "observed_value", "value_sha256": "1" * 64, "value": FORMULAS[4], "direction": "request"}
    store.write_flows_and_hits([flow], [hit])
    store.write_events([
        {"ts": ts + 1, "kind": "pii_read", "api": FORMULAS[2], "pii_type": "clipboard", "value": FORMULAS[0],
         "sdk": "jpush", "thread": FORMULAS[4], "process": FORMULAS[3], "stack": f"{SCRIPT}\n{FORMULAS[1]}"},
        {"ts": ts + 2, "kind": "dialog_shown", "data": '{"text": "\\ud800 lone surrogate \\u0000 nul"}'},
        {"ts": ts + 3, "kind": "agent_error", "data": json.dumps({"message": SCRIPT})},
    ])
    store.close()
    db = sqlite3.connect(session / "session.db")
    with db:
        db.execute("UPDATE events SET thread = ? WHERE kind = 'agent_error'", (b"\xff\xfe\x00bytes",))
    db.close()
    result = analyze(session, scope=demo_scope_path())
    # Revealed: the raw hostile values reach the cells. From the analysis just made, or (as
    # `piiaudit report` does) from what it stored, timeline included.
    if request.param == "fresh result":
        return write_report(session, result=result, reveal=True)
    result.session.store.close()
    return write_report(session, reveal=True)


def test_no_cell_is_a_formula_and_hostile_text_reads_back_verbatim(hostile):
    wb = openpyxl.load_workbook(hostile["xlsx"])
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for formula in FORMULAS:
        assert formula in texts, formula
        assert all(c.data_type == "s" for c in cells if c.value == formula)


def test_html_escapes_everything(hostile):
    page = hostile["html"].read_text("utf-8")
    assert "<script" not in page.lower()
    assert str(markupsafe.escape(SCRIPT)) == "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    assert page.count(str(markupsafe.escape(SCRIPT))) >= 4   # dialog text, URL, stack, agent error
    assert str(markupsafe.escape(FORMULAS[0])) in page
    assert "default-src 'none'" in page   # and no script could run even if one slipped through
    assert "\ud800" not in page


def test_findings_json_is_valid_utf8_json(hostile):
    records = json.loads(hostile["json"].read_bytes().decode("utf-8"))["findings"]
    assert any(r["host"] == FORMULAS[1].lower() for r in records)   # host names compare case-insensitively


def test_empty_session_still_reports_and_says_so(tmp_path):
    SessionStore(tmp_path / "empty").close()
    paths = write_report(tmp_path / "empty")
    wb = openpyxl.load_workbook(paths["xlsx"])
    assert wb.sheetnames == ["Summary", "Findings", "Evidence links", "SDK发送的数据 (Sent by SDK)", "Flows", "API events",
                             "Timeline", "UI actions", "Screens", "Hooks", "Accounting", "Manifest"]
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert "the session is empty" in summary["结论 / Result"]
    consent_time = next(k for k in summary if k.startswith("同意时刻 / Consent time ("))
    assert "not observed" in summary[consent_time]
    for name in ("Findings", "SDK发送的数据 (Sent by SDK)", "Flows", "API events", "Timeline"):
        rows = [r for r in wb[name].iter_rows(values_only=True) if any(v is not None for v in r)]
        if name == "Findings":   # the header and the result in words
            assert len(rows) == 2 and "the session is empty" in rows[1][0]
        else:
            assert len(rows) == 1, name   # the header only
    doc = json.loads(paths["json"].read_text("utf-8"))
    assert doc["findings"] == [] and doc["findings_count"] == 0 and "the session is empty" in doc["result"]
    assert "the session is empty" in paths["html"].read_text("utf-8")


def test_every_link_is_internal_and_built_from_sheet_and_row(hostile):
    """The workbook's only links are its own (finding ↔ flow and event rows): none leaves the file, none
    carries captured text (the hostile flow's URL is =HYPERLINK(...), shown as text)."""
    wb = openpyxl.load_workbook(hostile["xlsx"])
    links = [c.hyperlink for ws in wb for row in ws.iter_rows() for c in row if c.hyperlink is not None]
    assert links
    sheets = {f"'{name}'" for name in wb.sheetnames}
    for link in links:
        assert not link.target, link.target
        sheet, _, cell = link.location.rpartition("!")
        assert sheet in sheets and cell[0] == "A" and cell[1:].isdigit(), link.location
