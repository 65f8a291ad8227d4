"""report.html: one self-contained page (summary, findings with their evidence, timeline).

Every value is escaped with ``html.escape``; the page carries no script and a
Content-Security-Policy that forbids scripts anyway, so text from traffic or from a
hooked app's dialogs cannot run in a reader's browser.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis import tables
from analysis.labels import SEVERITY, clean_text, finding_notes, link_sentences, pii_label, sdk_label
from analysis.times import iso_one

if TYPE_CHECKING:
    from analysis.report import ReportData

MAX_TIMELINE_ROWS = 5_000
MAX_EVIDENCE_ROWS = 50
# A finding's evidence rows show the columns a reader checks first; the workbook has them all.
FLOW_COLUMNS = [tables.TIME, tables.FLOW_ID, "方法 / Method", "URL", "个人信息类型 / PII type", "位置 / Location",
                "编码 / Encoding", "归属SDK / Attributed SDK", "VALUE", tables.VALUE_SHA, "请求SHA-256 / Request SHA-256"]
EVENT_COLUMNS = [tables.TIME, tables.EVENT_ID, "类型 / Kind", "API", "个人信息类型 / PII type", "VALUE",
                 "调用方SDK / Caller SDK", "线程 / Thread", "调用栈摘录 / Stack excerpt"]

CSS = """
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:2em;color:#222;max-width:1400px}
h1{font-size:1.5em}h2{margin-top:2em;border-bottom:2px solid #ccd}h3{margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0;font-size:.85em;width:100%}
th,td{border:1px solid #ccd;padding:3px 6px;vertical-align:top;text-align:left;word-break:break-word}
th{background:#ddebf7}tr.consent td{background:#ffe699;font-weight:bold}
.finding{border:1px solid #ccd;border-left:6px solid #888;padding:.5em 1em;margin:1em 0}
.sev-high{border-left-color:#c00000}.sev-medium{border-left-color:#e69500}.sev-low{border-left-color:#5b9bd5}
.basis{font-size:.85em;color:#333}.basis .tag{font-weight:bold}.muted{color:#777}
.notice{background:#fff4e5;border:1px solid #e69500;padding:.5em 1em}
pre{white-space:pre-wrap;margin:0;font-size:.95em}
"""


def esc(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return html.escape(clean_text(value), quote=True)


def _table(frame: pd.DataFrame, *, row_class: pd.Series | None = None, pre: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    body = []
    classes = row_class.tolist() if row_class is not None else [None] * len(frame)
    for cls, row in zip(classes, frame.astype("object").itertuples(index=False, name=None)):
        cells = "".join(
            f"<td><pre>{esc(v)}</pre></td>" if col in pre else f"<td>{esc(v)}</td>" for col, v in zip(frame.columns, row))
        body.append(f'<tr class="{esc(cls)}">{cells}</tr>' if cls else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _finding(rec: dict[str, Any], rule: dict[str, Any], flows: pd.DataFrame, events: pd.DataFrame,
             value_col: str) -> str:
    detail = rec.get("detail") or {}
    facts = [SEVERITY.get(rec["severity"], rec["severity"]), pii_label(rec["pii_type"]),
             f"SDK: {sdk_label(rec['sdk'])}", rec["host"], f"首次 / first: {iso_one(rec['first_ts'])}"]
    basis = "".join(
        f"<li>{esc(b['document'])} {esc(b['clause'])}："
        + (f"“{esc(b['quote_zh'])}”" if b.get("quote_zh") else f"（要旨 / paraphrase）{esc(b.get('paraphrase_zh'))}")
        + f' <span class="tag">[{esc(b["verified"])}]</span>'
        + (f'<br><span class="muted">{esc(b["en"])}</span>' if b.get("en") else "") + "</li>"
        for b in rule.get("legal_basis", []))
    sentences = "".join(f"<li>{esc(zh)}<br><span class='muted'>{esc(en)}</span></li>"
                        for zh, en in (link_sentences(l) for l in detail.get("links") or []))
    pick = lambda frame, cols: frame[[c if c != "VALUE" else value_col for c in cols]]  # noqa: E731
    fl = pick(flows.loc[flows[tables.FLOW_ID].isin(rec["flow_ids"][:MAX_EVIDENCE_ROWS])], FLOW_COLUMNS)
    ev = pick(events.loc[events[tables.EVENT_ID].isin(rec["event_ids"][:MAX_EVIDENCE_ROWS])], EVENT_COLUMNS)
    notes = finding_notes(detail)
    return f"""
<div class="finding sev-{esc(rec['severity'])}" id="finding-{esc(rec['id'])}">
<h3>#{esc(rec['id'])} {esc(rec['rule_id'])} — {esc(rule.get('title_zh'))}</h3>
<div class="muted">{esc(rule.get('title_en'))}</div>
<p>{' · '.join(esc(f) for f in facts if isinstance(f, str) and f)}</p>
<ul class="basis">{basis}</ul>
{f'<p><b>读取→发送 / Read → sent</b></p><ul>{sentences}</ul>' if sentences else ''}
{f'<pre class="muted">{esc(notes)}</pre>' if notes else ''}
<p><b>证据 / Evidence</b>: flows [{esc(', '.join(map(str, rec['flow_ids'])))}] ·
events [{esc(', '.join(map(str, rec['event_ids'])))}]</p>
{_table(fl) if not fl.empty else ''}
{_table(ev, pre=('调用栈摘录 / Stack excerpt',)) if not ev.empty else ''}
</div>"""


def render(data: ReportData, *, reveal: bool = False) -> str:
    summary = pd.DataFrame(tables.summary_items(data, reveal=reveal), columns=["项目 / Item", "值 / Value"])
    flows = tables.table(data, "Flows", reveal=reveal)
    events = tables.table(data, "API events", reveal=reveal)
    rules = {r["id"]: r for r in data.rules}
    value_col = tables.value_header(reveal)
    findings = "".join(_finding(rec, rules.get(rec["rule_id"], {}), flows, events, value_col)
                       for rec in data.findings.to_dict("records"))
    if not findings:
        findings = ('<p class="notice">会话为空，无可分析内容 / the session is empty: nothing to analyse</p>'
                    if data.nothing else '<p class="notice">未发现问题 / no findings</p>')
    timeline = tables.table(data, "Timeline", reveal=reveal)
    hooks = tables.table(data, "Hooks", reveal=reveal)
    cut = len(timeline) - MAX_TIMELINE_ROWS
    consent_rows = data.timeline["stream"].eq("consent").reset_index(drop=True).map({True: "consent", False: None})
    consent_notice = "" if data.consent.status == "accepted" else f'<p class="notice">{esc(data.consent.describe())}</p>'
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>piiaudit — {esc(data.session_dir.name)}</title><style>{CSS}</style></head><body>
<h1>个人信息合规审计报告 / PII compliance audit report</h1>
{consent_notice}
<h2>概要 / Summary</h2>
{_table(summary)}
<h2>各规则发现数 / Findings per rule</h2>
{_table(tables.rule_counts(data))}
<h2>发现 / Findings</h2>
{findings}
<h2>钩子覆盖 / Hooks</h2>
{_table(hooks) if not hooks.empty else '<p class="muted">未记录钩子覆盖事件 / no hook coverage events recorded</p>'}
<h2>时间线 / Timeline</h2>
{f'<p class="muted">仅显示前 {MAX_TIMELINE_ROWS} 行，完整时间线见 evidence.xlsx / first {MAX_TIMELINE_ROWS} rows; the full timeline is in evidence.xlsx</p>' if cut > 0 else ''}
{_table(timeline.head(MAX_TIMELINE_ROWS), row_class=consent_rows.head(MAX_TIMELINE_ROWS))}
</body></html>
"""


def write(data: ReportData, path: Path, *, reveal: bool = False) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render(data, reveal=reveal), "utf-8")
    tmp.replace(path)
