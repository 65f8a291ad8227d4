"""evidence.xlsx, findings.json and report.html of the scenario, read back as a reader would:
on the hand-made sample session and on the real recording alike."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from analysis.pipeline import analyze
from analysis.report import write_report
from piiaudit.store import SessionStore
from tests.support.recordings import SCENARIO_SOURCES, ScenarioSource
from tests.support.samples import DEVICE, demo_scope_path

SHEETS = ["Summary", "Findings", "Evidence links", "SDK发送的数据 (Sent by SDK)", "Flows", "API events", "Timeline",
          "UI actions", "Screens", "Hooks", "Accounting", "Manifest"]
RAW = [DEVICE["imei"], DEVICE["android_id"], DEVICE["mac"], DEVICE["clipboard"], "39.908823", "116.397470"]


@pytest.fixture(scope="module", params=SCENARIO_SOURCES)
def source(request) -> ScenarioSource:
    return ScenarioSource(request.param, request)


@pytest.fixture(scope="module")
def report(source, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "Asia/Shanghai")
        session = tmp_path_factory.mktemp("report") / "session"
        ids = source.write(session)
        result = analyze(session, scope=demo_scope_path())
        paths = write_report(session, result=result)
        wb = openpyxl.load_workbook(paths["xlsx"])
        yield ids, result, paths, wb


def shanghai(ts: float) -> str:
    """How the report writes a host time in Asia/Shanghai, computed here with the standard library."""
    return datetime.fromtimestamp(ts, ZoneInfo("Asia/Shanghai")).isoformat(timespec="milliseconds")


def _rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    return header, [dict(zip(header, r)) for r in rows[1:] if any(v is not None for v in r)]


def test_sheets_headers_frozen_and_filtered(report):
    _, _, _, wb = report
    assert wb.sheetnames == SHEETS
    for name in SHEETS:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        header = [c.value for c in ws[1] if c.value is not None]
        assert all(re.search(r"[\u4e00-\u9fff]", h) and " / " in h for h in header if h not in ("URL", "API")), name
        if name != "Summary":
            assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
            assert ws.column_dimensions["A"].width >= 10


def test_findings_sheet_has_titles_basis_labels_and_the_read_sent_sentence(report):
    ids, result, _, wb = report
    _, rows = _rows(wb["Findings"])
    assert len(rows) == len(result.findings) == 13
    row = next(r for r in rows if r["规则编号 / Rule ID"] == "IM5.1" and "IMEI" in r["个人信息类型 / PII type"])
    assert row["中文标题 / Title (zh)"].startswith("未经用户同意")
    assert "五、1" in row["法律依据 / Legal basis"] and "[V]" in row["法律依据 / Legal basis"]
    assert row["行为主体 / Actor (SDK or app)"] == "友盟+ 统计分析 / Umeng+ Analytics"
    assert row["主机 / Host"] == "ulogs.umeng.com"
    assert row["首次时间 / First time (Asia/Shanghai, UTC+08:00)"] == shanghai(ids.ts(3))
    assert row["首次时间（纪元秒） / First (epoch s)"] == pytest.approx(ids.ts(3))
    assert row["流量证据 / Flow IDs"] == ids.flows[3] and str(row["事件证据 / Event IDs"]) == str(ids.events[1])
    sentence = row["读取→发送 / Read → sent"]
    assert "发送至 ulogs.umeng.com" in sentence and f"sent at {shanghai(ids.ts(3))} to ulogs.umeng.com" in sentence
    assert "md5" in sentence and "getImei" in sentence
    # each language names the PII type and the SDK in its own words, never the other's label in brackets
    assert "由 友盟+ 统计分析 通过 android.telephony.TelephonyManager.getImei() 读取国际移动设备识别码（IMEI），" in sentence
    assert "read IMEI (device identifier) at " in sentence and " by Umeng+ Analytics (" in sentence
    assert "(IMEI (device identifier))" not in sentence and "(Umeng+ Analytics)" not in sentence
    scope_row = next(r for r in rows if r["规则编号 / Rule ID"] == "IM3.3" and "剪贴板" in r["个人信息类型 / PII type"])
    assert "android_id, mac" in scope_row["说明 / Notes"]
    declared = next(r for r in rows if r["规则编号 / Rule ID"] == "PERM-DECLARE")
    assert "permissions the type needs: 无 / none" in declared["说明 / Notes"]
    assert '<uses-permission android:name="android.permission.READ_SMS" />' in declared["说明 / Notes"]


def test_flows_sheet_masks_values_and_keeps_hashes(report):
    ids, _, _, wb = report
    _, rows = _rows(wb["Flows"])
    hb = next(r for r in rows if r["流量编号 / Flow ID"] == ids.flows[14])
    assert hb["值（已脱敏） / Value (masked)"] == "977**********49c"
    assert hb["值SHA-256 / Value SHA-256"] == result_sha(DEVICE["android_id"])
    assert DEVICE["android_id"] not in hb["URL"] and "hb?aid=977**********49c" in hb["URL"]
    assert hb["编码 / Encoding"] == "plain" and hb["同意前 / Before consent"] == "否 / no"
    assert re.fullmatch(r"[0-9a-f]{64}", hb["请求SHA-256 / Request SHA-256"])
    md5 = next(r for r in rows if r["流量编号 / Flow ID"] == ids.flows[3])
    assert (md5["编码 / Encoding"], md5["同意前 / Before consent"]) == ("md5", "是 / yes")


def result_sha(value):
    from piiaudit.values import value_sha256
    return value_sha256(value)


def test_api_events_sheet(report):
    ids, _, _, wb = report
    _, rows = _rows(wb["API events"])
    imei = next(r for r in rows if r["事件编号 / Event ID"] == ids.events[1])
    assert imei["API"] == "android.telephony.TelephonyManager.getImei()"
    assert imei["调用方SDK / Caller SDK"].startswith("友盟+")
    assert "com.umeng.commonsdk.UMConfigure.init" in imei["调用栈摘录 / Stack excerpt"]
    assert imei["值（已脱敏） / Value (masked)"] == "867*********673" and imei["线程 / Thread"] == "main"
    assert not any(r["类型 / Kind"] == "coverage" for r in rows)


def test_timeline_highlights_the_consent_row(report):
    ids, _, _, wb = report
    ws = wb["Timeline"]
    header, rows = _rows(ws)
    stream_col = header.index("来源 / Stream")
    consent_rows = [i for i, r in enumerate(rows, start=2) if r["来源 / Stream"] == "同意时刻 / consent moment"]
    assert len(consent_rows) == 1
    fill = lambda r: ws.cell(row=r, column=stream_col + 1).fill.fgColor.rgb  # noqa: E731
    assert fill(consent_rows[0]).endswith("FFE699")
    assert not str(fill(consent_rows[0] + 1)).endswith("FFE699")
    before = [r["同意前 / Before consent"] for r in rows]
    assert before[: consent_rows[0] - 2] and set(before[: consent_rows[0] - 2]) == {"是 / yes"}
    assert set(before[consent_rows[0] - 2:]) == {"否 / no"}


def test_summary_sheet(report):
    ids, _, paths, wb = report
    values = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert values["同意时刻 / Consent time (Asia/Shanghai, UTC+08:00)"] == shanghai(ids.ts(8))
    assert values["同意来源 / Consent source"] == "钩子 / hook (点击弹窗按钮 / dialog_tap)"
    sync = SessionStore(paths["xlsx"].parent, create=False).rows("SELECT offset_ms, error_ms FROM clock_syncs")[0]
    assert f"offset {sync['offset_ms']:.3f} ms, error ±{sync['error_ms']:.3f} ms" in values["时钟 / Clocks"]
    assert values["时区 / Time zone"] == "Asia/Shanghai (UTC+08:00)"
    assert "pandas" in values["工具版本 / Versions"]
    per_rule = {r[0]: r[4] for r in wb["Summary"].iter_rows(values_only=True) if r[0] and r[4] is not None}
    assert per_rule["SDK-PRECONSENT"] == 4 and per_rule["IM3.1"] == 0 and per_rule["PIPL-CLEARTEXT"] == 1


def test_findings_json(report):
    ids, result, paths, _ = report
    doc = json.loads(paths["json"].read_text("utf-8"))
    records = doc["findings"]
    assert doc["result"] == f"{len(records)} 条发现 / {len(records)} findings" and doc["findings_count"] == len(records)
    assert list(doc) == ["schema", "tz", "session", "app", "tester", "device", "tested", "tools", "consent", "result",
                         "counts", "findings_count", "findings"] and doc["schema"] == 3
    assert [r["rule_id"] for r in records] == result.findings["rule_id"].tolist()
    first = records[0]
    assert {"id", "rule_id", "severity", "pii_type", "sdk", "host", "first_ts", "flow_ids", "event_ids",
            "title_zh", "title_en", "legal_basis", "read_sent"} <= set(first)
    assert first["read_sent"][0]["en"].startswith(f"read IMEI (device identifier) at {shanghai(ids.ts(1))} by Umeng+ Analytics")


def test_no_raw_value_in_any_output_unless_revealed(source, report, tmp_path):
    _, _, paths, wb = report
    cells = " ".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None)
    for text in (cells, paths["html"].read_text("utf-8"), paths["json"].read_text("utf-8")):
        for raw in RAW:
            assert raw not in text
    source.write(tmp_path / "s")
    revealed = write_report(tmp_path / "s", reveal=True)   # never analysed: analysed with the defaults first
    wb2 = openpyxl.load_workbook(revealed["xlsx"])
    _, rows = _rows(wb2["Flows"])
    assert DEVICE["imei"] in {r["值（明文） / Value (revealed)"] for r in rows}


def test_report_from_the_stored_analysis_matches(report, tmp_path):
    ids, result, paths, wb = report
    again = write_report(paths["xlsx"].parent)   # no result: re-created from session.db alone
    wb2 = openpyxl.load_workbook(again["xlsx"])
    strip = lambda ws: [r for r in ws.iter_rows(values_only=True)]  # noqa: E731
    assert strip(wb2["Findings"]) == strip(wb["Findings"])
    assert strip(wb2["Timeline"]) == strip(wb["Timeline"])


def test_a_quote_that_carries_its_own_quotation_marks_is_not_wrapped_twice(report):
    """IM5.1 quotes 337号文: “私自共享给第三方”。即APP… — wrapped once, its own marks turned single."""
    _, _, paths, wb = report
    page = paths["html"].read_text("utf-8")
    _, rows = _rows(wb["Findings"])
    basis = next(r["法律依据 / Legal basis"] for r in rows if r["规则编号 / Rule ID"] == "IM5.1")
    for text in (page, basis):
        assert "“‘私自共享给第三方’。即APP未经用户同意" in text
        assert "““" not in text and "””" not in text
