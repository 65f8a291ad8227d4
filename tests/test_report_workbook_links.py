"""evidence.xlsx for people, read back with openpyxl: findings linked to their flow and event rows and
back, rows filled by severity with a legend, every table sheet frozen and filtered, a Manifest sheet
equal to manifest.json, statuses, directions and sources in Chinese with English, and the labels fixed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest

from analysis import bilingual as b
from analysis import identityrows, labels, workbook
from analysis.pipeline import analyze
from analysis.report import write_report
from piiaudit import apk
from piiaudit.manifest import file_sha256
from piiaudit.store import SessionStore
from tests.support.recordings import SCENARIO_SOURCES, ScenarioSource
from tests.support.samples import demo_scope_path

ROOT = Path(__file__).resolve().parent.parent
TABLE_SHEETS = ["Findings", "Evidence links", "SDK发送的数据 (Sent by SDK)", "Flows", "API events", "Timeline",
                "UI actions", "Screens", "Hooks", "Accounting", "Manifest"]


@pytest.fixture(scope="module", params=SCENARIO_SOURCES)
def source(request) -> ScenarioSource:
    return ScenarioSource(request.param, request)


@pytest.fixture(scope="module")
def report(source, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "Asia/Shanghai")
        session = tmp_path_factory.mktemp("links") / "session"
        source.write(session)
        store = SessionStore(session, create=False)
        if apk.stored(store) is None:   # the sample has no app manifest; the recording has the stand-in's
            apk.store_in(store, apk.read_manifest_xml(ROOT / "hooks" / "standin" / "AndroidManifest.xml"))
        store.close()
        result = analyze(session, scope=demo_scope_path())
        paths = write_report(session, result=result)
        yield result, paths, openpyxl.load_workbook(paths["xlsx"])


def _table(ws):
    """(header, rows as dicts, the cells of each row) of a table sheet."""
    rows = list(ws.iter_rows())
    header = [c.value for c in rows[0]]
    body = [r for r in rows[1:] if any(c.value is not None for c in r)]
    return header, [dict(zip(header, (c.value for c in r))) for r in body], [dict(zip(header, r)) for r in body]


def _follow(wb, cell):
    """The row (as a dict) a cell's internal link points to, and the sheet's name."""
    sheet, _, ref = cell.hyperlink.location.rpartition("!")
    name = sheet.strip("'")
    ws = wb[name]
    header = [c.value for c in ws[1]]
    return name, dict(zip(header, (c.value for c in ws[int(ref[1:])])))


def test_every_table_sheet_is_frozen_and_filtered_over_all_its_columns(report):
    _, _, wb = report
    assert wb.sheetnames == ["Summary", *TABLE_SHEETS]
    assert wb["Summary"].freeze_panes == "A2"
    for name in TABLE_SHEETS:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        ref = ws.auto_filter.ref
        assert ref and ref.startswith("A1:"), name
        last_col = re.match(r"A1:([A-Z]+)\d+", ref).group(1)
        assert openpyxl.utils.column_index_from_string(last_col) == ws.max_column, name


def test_each_finding_links_to_its_flow_and_event_rows_and_its_evidence_block(report):
    result, _, wb = report
    findings = result.findings.set_index("id")
    _, rows, cells = _table(wb["Findings"])
    _, evidence, _ = _table(wb["Evidence links"])
    linked_flows = linked_events = 0
    for row, cell in zip(rows, cells):
        f = findings.loc[row[b.NUMBER]]
        flow_cell, event_cell = cell[b.FLOW_IDS], cell[b.EVENT_IDS]
        if f["flow_ids"]:
            sheet, target = _follow(wb, flow_cell)
            assert sheet == "Flows" and target[b.FLOW_ID] == f["flow_ids"][0]
            linked_flows += 1
        else:
            assert flow_cell.hyperlink is None
        if f["event_ids"]:
            sheet, target = _follow(wb, event_cell)
            assert sheet == "API events" and target[b.EVENT_ID] in list(f["event_ids"])
            linked_events += 1
        # the evidence block: one row per cited flow and event, each linking back here and on to its row
        block = [e for e in evidence if e[b.FINDING] == str(row[b.NUMBER])]
        assert [e[b.EVIDENCE_ID] for e in block] == [*f["flow_ids"], *map(str, f["event_ids"])]
        if block:
            sheet, target = _follow(wb, cell[b.EVIDENCE_LINKS])
            assert sheet == "Evidence links" and target[b.FINDING] == str(row[b.NUMBER])
            assert cell[b.EVIDENCE_LINKS].value == f"{len(block)} 条证据 / {len(block)} rows →"
    assert linked_flows and linked_events
    ws = wb["Evidence links"]
    header = [c.value for c in ws[1]]
    for r in ws.iter_rows(min_row=2):
        cell = dict(zip(header, r))
        sheet, finding = _follow(wb, cell[b.FINDING])
        assert sheet == "Findings" and str(finding[b.NUMBER]) == cell[b.FINDING].value
        sheet, target = _follow(wb, cell[b.EVIDENCE_ID])
        if cell[b.EVIDENCE_KIND].value == "流量 / flow":
            assert sheet == "Flows" and target[b.FLOW_ID] == cell[b.EVIDENCE_ID].value
        else:
            assert sheet == "API events" and str(target[b.EVENT_ID]) == cell[b.EVIDENCE_ID].value
            time = next(h for h in header if h.startswith(b.TIME))   # the header names the zone
            assert target[time] == cell[time].value and "Asia/Shanghai" in time


@pytest.mark.parametrize("sheet, id_col, column", [("Flows", b.FLOW_ID, "flow_ids"), ("API events", b.EVENT_ID, "event_ids")])
def test_each_cited_row_links_back_to_the_findings_citing_it(report, sheet, id_col, column):
    result, _, wb = report
    citing: dict[str, list[int]] = {}
    for rec in result.findings.sort_values("id").to_dict("records"):
        for i in rec[column]:
            citing.setdefault(str(i), []).append(int(rec["id"]))
    order = [r[b.NUMBER] for r in _table(wb["Findings"])[1]]
    _, rows, cells = _table(wb[sheet])
    cited_rows = 0
    for row, cell in zip(rows, cells):
        expected = citing.get(str(row[id_col]), [])
        if not expected:
            assert row[b.CITED_BY] is None and cell[b.CITED_BY].hyperlink is None
            continue
        cited_rows += 1
        numbers = [int(n) for n in re.findall(r"#(\d+)", row[b.CITED_BY])]
        assert sorted(numbers) == sorted(expected)
        target_sheet, finding = _follow(wb, cell[b.CITED_BY])
        assert target_sheet == "Findings" and finding[b.NUMBER] == numbers[0]
        assert numbers == sorted(numbers, key=order.index)   # in the Findings sheet's order
    assert cited_rows


def test_findings_are_filled_by_severity_with_a_legend(report):
    result, _, wb = report
    _, rows, cells = _table(wb["Findings"])
    severity = result.findings.set_index("id")["severity"]
    fill = lambda c: str(c.fill.fgColor.rgb)[-6:]  # noqa: E731
    assert {severity[r[b.NUMBER]] for r in rows} >= {"high", "medium"}
    for row, cell in zip(rows, cells):
        colour = workbook.SEVERITY_FILLS[severity[row[b.NUMBER]]].lstrip("#")
        assert row[b.SEVERITY] == labels.SEVERITY[severity[row[b.NUMBER]]]
        assert fill(cell[b.SEVERITY]) == colour and fill(cell[b.NUMBER]) == colour and fill(cell[b.FLOW_IDS]) == colour
    for e in _table(wb["Evidence links"])[2]:
        assert fill(e[b.SEVERITY]) == workbook.SEVERITY_FILLS[
            {v: k for k, v in labels.SEVERITY.items()}[e[b.SEVERITY].value]].lstrip("#")
    summary = list(wb["Summary"].iter_rows())
    at = next(i for i, r in enumerate(summary) if r[0].value == b.SEVERITY_LEGEND)
    legend = {r[0].value: fill(r[0]) for r in summary[at + 1: at + 4]}
    assert legend == {labels.SEVERITY[k]: v.lstrip("#") for k, v in workbook.SEVERITY_FILLS.items()}
    assert len(set(legend.values())) == 3 and workbook.CONSENT_FILL not in workbook.SEVERITY_FILLS.values()
    assert summary[at + 4][0].value == b.CONSENT_LEGEND[0] and fill(summary[at + 4][0]) == workbook.CONSENT_FILL.lstrip("#")


def test_the_manifest_sheet_equals_manifest_json(report):
    _, paths, wb = report
    session = paths["xlsx"].parent
    manifest = json.loads((session / "manifest.json").read_text("utf-8"))
    _, rows, _ = _table(wb["Manifest"])
    artifacts = {r[b.FIELD_NAME]: (r[b.MANIFEST_VALUE], r[b.BYTES]) for r in rows if r[b.SECTION] == "文件 / artifact"}
    inputs = {k: v for k, v in manifest["artifacts"].items() if k not in ("evidence.xlsx", "report.html", "findings.json")}
    assert {"session.db", "flows.mitm"} <= set(artifacts)
    assert artifacts == {k: (v["sha256"], v["bytes"]) for k, v in inputs.items()}
    for name, (sha, _) in artifacts.items():      # and the files themselves
        assert file_sha256(session / name) == sha, name
    assert any(r[b.MANIFEST_VALUE] == b.MANIFEST_OUTPUTS_NOTE for r in rows)
    versions = {r[b.FIELD_NAME]: r[b.MANIFEST_VALUE] for r in rows if r[b.SECTION] == "工具版本 / version"}
    assert versions == {k: str(v) for k, v in manifest["versions"].items()}
    app = {r[b.FIELD_NAME]: r[b.MANIFEST_VALUE] for r in rows if r[b.SECTION] == "应用身份 / app identity"}
    stored = apk.stored(SessionStore(session, create=False))
    assert app["包名 / package"] == stored["package"] == "com.example.demoshop"
    assert app["文件SHA-256 / file SHA-256"] == stored["sha256"]
    assert app["版本名 / version name"] == stored["version_name"] and app["版本号 / version code"] == stored["version_code"]
    assert "读取自 / read from" not in app   # the report's own identity (ReportData.app_identity), not the meta row alone
    assert app["来源 / source"] in identityrows.SOURCES.values() and "AndroidManifest.xml" in app["来源 / source"]
    assert app["声明的权限 / declared permissions"].startswith(f"{len(stored['permissions'])}: ")


def test_statuses_directions_sources_streams_and_kinds_are_bilingual(report):
    _, _, wb = report
    pairs = {field: {b.both(*pair) for pair in values.values()} for field, values in b.VALUES.items()}
    checks = [("Hooks", b.STATUS, "status"), ("Flows", b.DIRECTION, "direction"), ("Flows", b.MATCH_SOURCE, "source"),
              ("Timeline", b.STREAM, "stream"), ("Timeline", b.KIND, "kind"), ("Timeline", b.PARTY, "party"),
              ("API events", b.KIND, "kind"), ("Accounting", b.STAGE, "stage"), ("Accounting", b.OUTCOME, "outcome")]
    for sheet, col, field in checks:
        values = {r[col] for r in _table(wb[sheet])[1] if r[col] is not None}
        assert values <= pairs[field], (sheet, col, values - pairs[field])
        assert values or sheet == "Accounting", (sheet, col)   # the hand-made sample has no accounting rows
    stream = {r[b.STREAM] for r in _table(wb["Timeline"])[1]}
    assert {"同意时刻 / consent moment", "网络流量 / network flow", "钩子事件 / hook event"} == stream
    assert "已挂钩 / hooked" in {r[b.STATUS] for r in _table(wb["Hooks"])[1]}
    assert {"请求 / request"} == {r[b.DIRECTION] for r in _table(wb["Flows"])[1] if r[b.DIRECTION]}
    summary = list(wb["Summary"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(summary) if r[0] == b.RULE_ID)
    status_col = summary[at].index(b.STATUS)
    rule_status = {r[status_col] for r in summary[at + 1:] if r[0] and r[status_col]}
    assert "已运行 / run" in rule_status and rule_status <= pairs["status"]


def test_the_fixed_labels(report):
    _, paths, wb = report
    cells = [str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    text = "\n".join(cells)
    page, doc = paths["html"].read_text("utf-8"), paths["json"].read_text("utf-8")
    for output in (text, page, doc):
        assert "剪切板" not in output                                   # 剪贴板 everywhere
        assert "(IMEI (device identifier))" not in output              # no English label nested in brackets
        assert "SSID/BSSID" not in output
    for output in (text, doc):   # the page's template quotes the legal basis itself (the page's own part)
        assert "““" not in output and "””" not in output               # no quotation mark doubled
    assert "剪贴板内容 / Clipboard content" in text
    basis = {r[b.RULE_ID]: r[b.LEGAL_BASIS] for r in _table(wb["Findings"])[1]}
    assert "（二）3：“‘私自共享给第三方’。即APP未经用户同意" in basis["IM5.1"]   # the quote carries its own “”
    for sentence in (r[b.READ_SENT] for r in _table(wb["Findings"])[1] if r[b.READ_SENT]):
        zh, _, en = sentence.partition("\n")
        assert not re.search(r"[A-Za-z]+ \([a-z ]+\)\)", zh)          # no "(IMEI (device identifier))"-like label
        assert not re.search(r"[\u4e00-\u9fff]", en.split(" to ")[0].replace("（", "").split(" (")[0]), en


def test_quotes_are_wrapped_once():
    assert labels.quoted("私自收集个人信息") == "“私自收集个人信息”"
    assert labels.quoted("“私自收集个人信息”。即APP……") == "“‘私自收集个人信息’。即APP……”"
    assert labels.quoted("「认定方法」") == "「认定方法」" and labels.quoted("“全文”") == "“全文”"
    assert labels.quoted("见「A」与「B」") == "“见『A』与『B』”"
    cite = labels.cite({"document": "认定方法", "clause": "五、1", "quote_zh": "“私自收集”。即……", "verified": "V"})
    assert cite == "认定方法 五、1：“‘私自收集’。即……” [V]"


def test_links_stop_at_excels_limit_and_the_summary_says_so(report, monkeypatch, tmp_path):
    result, paths, _ = report
    from analysis.reportdata import gather
    from piiaudit.times import zone

    monkeypatch.setattr(workbook, "MAX_LINKS", 2)
    data = gather(paths["xlsx"].parent, zone("UTC"))
    workbook.write(data, tmp_path / "capped.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "capped.xlsx")
    for name in ("Findings", "Evidence links", "Flows", "API events"):
        assert sum(c.hyperlink is not None for row in wb[name].iter_rows() for c in row) <= 2, name
    notes = [r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0] == b.NOTE]
    assert any(n.startswith("Evidence links: ") and b.LINKS_CAPPED in n for n in notes)
