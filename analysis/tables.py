"""The report's tables with bilingual headers, built once for the workbook and the page.

Each builder returns a frame whose columns are the headers a reader sees (中文 / English);
values stay raw Python/pandas scalars, writers decide how to render them. Labels and
masks are computed once per distinct value, not per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis import coverage
from analysis.labels import SEVERITY, YES_NO, cite, finding_notes, link_sentences, masked_values, pii_label, sdk_label
from analysis.load import event_data
from analysis.redact import known_values, redact, url_redactions
from analysis.times import iso_local, iso_one, local_tz

if TYPE_CHECKING:
    from analysis.report import ReportData

TIME, EPOCH = "时间 / Time", "纪元秒 / Epoch (s)"
VALUE_SHA = "值SHA-256 / Value SHA-256"
BEFORE = "同意前 / Before consent"
ACTOR = "行为主体 / Actor (SDK or app)"
FLOW_ID, EVENT_ID = "流量编号 / Flow ID", "事件编号 / Event ID"
STACK_FRAMES = 6
MAX_SENTENCES = 10
PII_KINDS = ("pii_read", "pii_sent")   # rows where an empty SDK means "the app itself"


def detail_kinds(events: pd.DataFrame) -> tuple[str, ...]:
    """Kinds whose data JSON is worth showing: all but the bulk pii_read rows and counters."""
    return tuple(k for k in events["kind"].dropna().unique() if k not in ("pii_read", "coverage"))


def _yes_no(flags: pd.Series) -> pd.Series:
    return flags.astype(bool).map(YES_NO)


def value_header(reveal: bool) -> str:
    return "值（明文） / Value (revealed)" if reveal else "值（已脱敏） / Value (masked)"


def _map_distinct(values: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    return values.map({v: fn(v) for v in values.dropna().unique()})


def _actor(sdk: pd.Series, kinds: pd.Series) -> pd.Series:
    """SDK label where the row is a PII read/send (empty SDK = the app itself), else the SDK if any."""
    labels = _map_distinct(sdk.fillna(""), lambda v: sdk_label(v or None))
    return labels.where(kinds.isin(PII_KINDS) | sdk.notna())


def _free_text_redactor(data: ReportData, reveal: bool) -> Callable[[pd.Series], pd.Series]:
    """Hook data and other free text pass through this: raw values masked unless revealing."""
    if reveal:
        return lambda text: text
    s, reads = data.session, data.evidence.reads
    values = data.cached("known_values", lambda: known_values(
        pd.concat([s.hits["value"], reads["value"]], ignore_index=True),
        pd.concat([s.hits["pii_type"], reads["pii_type"]], ignore_index=True)))
    return lambda text: redact(text, values)


def _shown_values(data: ReportData, values: pd.Series, kinds: pd.Series, reveal: bool) -> pd.Series:
    """PII reads and sends: masked. Other events' values (a dialog's text, a tapped label, the
    permissions asked for) are evidence in themselves: shown, with known PII values masked."""
    if reveal:
        return values
    is_pii = kinds.isin(PII_KINDS)
    other = _free_text_redactor(data, reveal)(values.where(~is_pii))
    return masked_values(values.where(is_pii), reveal).where(is_pii, other)


def _urls(data: ReportData, flow_ids: pd.Series, urls: pd.Series, reveal: bool) -> pd.Series:
    if reveal:
        return urls
    safe = data.cached("url_redactions", lambda: url_redactions(data.session.flows, data.session.hits))
    return flow_ids.map(safe).where(flow_ids.isin(safe.keys()), urls) if safe else urls


def _ms(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else str(value)


def zone_name() -> str:
    """'Asia/Shanghai (UTC+08:00)': the zone report times are printed in."""
    tz = local_tz()
    offset = dt.datetime.now(tz).strftime("%z")
    return f"{getattr(tz, 'key', None) or tz} (UTC{offset[:3]}:{offset[3:]})"


def summary_items(data: ReportData, *, reveal: bool) -> list[tuple[str, str]]:
    m = data.manifest
    scope = data.scope or {}
    app = {**(m.get("app") or {}), **(scope.get("app") or {})}
    c = data.consent
    counts = {"flows": len(data.session.flows), "hits": len(data.session.hits), "events": len(data.session.events),
              "findings": len(data.findings)}
    device = m.get("device") or {}
    syncs = m.get("clock_syncs") or []
    errors = data.session.events["clock_error_ms"].dropna()
    versions = m.get("versions") or {}
    items = [
        ("报告 / Report", "piiaudit 个人信息合规审计证据 / PII compliance audit evidence"),
        ("会话 / Session", data.session_dir.name),
        ("App", " ".join(str(app.get(k)) for k in ("package", "name", "version") if app.get(k)) or "—"),
        ("App类型 / App type", str(app.get("category") or "—")),
        ("设备 / Device", ", ".join(f"{k}={v}" for k, v in device.items()) or "—"),
        ("同意时刻 / Consent time", iso_one(c.ts) if c.ts is not None else "未观察到 / not observed"),
        ("同意时刻（纪元秒） / Consent (epoch s)", f"{c.ts:.3f}" if c.ts is not None else "—"),
        ("同意判定 / Consent decision", c.describe()),
        ("同意来源 / Consent source", f"{c.source or '—'} ({c.method})"),
        ("同意证据 / Consent evidence", f"events {list(c.event_ids)}; marks {list(c.mark_ids)}"),
        ("隐私弹窗 / Privacy notice", (f"{iso_one(c.dialog_shown_ts)}: {c.dialog_text}" if c.dialog_shown_ts else "—")),
        ("拒绝 / Declined", (f"{iso_one(c.declined_ts)} (events {list(c.declined_event_ids)}, marks "
                             f"{list(c.declined_mark_ids)})" if c.declined_ts is not None else "—")),
        ("范围文件 / Scope", (f"{scope.get('source')} (sha256 {scope.get('sha256')})" if scope else
                              "未提供：范围类规则未运行 / none: scope rules not run")),
        ("统计 / Counts", f"flows {counts['flows']}, PII hits {counts['hits']}, hook events {counts['events']}, "
                          f"findings {counts['findings']}"),
        ("时钟 / Clocks", "; ".join(
            f"pid {s.get('pid')}: offset {_ms(s.get('offset_ms'))} ms, error ±{_ms(s.get('error_ms'))} ms" for s in syncs)
            + (f"; events: max error ±{errors.max():.1f} ms" if not errors.empty else "") or "—"),
        ("时区 / Time zone", zone_name()),
        ("值显示 / Values", "明文（--reveal） / revealed" if reveal else
                            "已脱敏（保留首尾字符）并附SHA-256 / masked (first and last characters) with SHA-256"),
        ("工具版本 / Versions", ", ".join(f"{k} {v}" for k, v in versions.items()) or "—"),
        *hooks_items(data),
    ]
    if data.nothing:
        items.append(("结论 / Result", "会话为空：没有流量、钩子事件或同意标记，无可分析内容 / the session is empty: "
                                       "no flows, hook events or consent marks — nothing to analyse"))
    elif data.findings.empty:
        items.append(("结论 / Result", "未发现问题 / no findings"))
    else:
        items.append(("结论 / Result", f"{len(data.findings)} 条发现 / findings"))
    items += [("说明 / Note", n) for n in data.notes]
    items += [("规则失败 / Rule failed", f"{e['rule_id']}: {e['message']}") for e in data.errors]
    return items


def _coverage(data: ReportData) -> pd.DataFrame:
    return data.cached("coverage", lambda: coverage.coverage_rows(data.session.events))


def hooks_items(data: ReportData) -> list[tuple[str, str]]:
    """Summary lines: how many hooks were live, and whether before the app's first instruction."""
    if data.session.events.empty:
        return []
    cov = coverage.summarise(data.session.events, _coverage(data))
    lines = [("钩子就绪 / Hooks ready", cov.ready_line())]
    if cov.overloads:
        lines.insert(0, ("钩子覆盖 / Hook coverage", cov.line()))
    return lines


def hooks_table(data: ReportData) -> pd.DataFrame:
    """One row per hook point and overload: its status on this device and when it became live."""
    c = _coverage(data)
    return pd.DataFrame({
        "钩子 / Hook": c["hook"], "类 / Class": c["class"], "重载 / Overload": c["signature"],
        "状态 / Status": c["status"], "生效时间 / Live at": iso_local(c["live_ts"].astype("float64")),
        "生效（纪元秒） / Live (epoch s)": c["live_ts"].astype("float64"), "进程 / Process": c["process"],
        "错误 / Error": c["error"], EVENT_ID: c["event_id"],
    })


def rule_counts(data: ReportData) -> pd.DataFrame:
    cr = data.counts_per_rule
    return pd.DataFrame({
        "规则编号 / Rule ID": cr["rule_id"], "中文标题 / Title (zh)": cr["title_zh"],
        "英文标题 / Title (en)": cr["title_en"], "严重程度 / Severity": cr["severity"].map(SEVERITY),
        "发现数 / Findings": cr["findings"], "状态 / Status": cr["status"], "说明 / Reason": cr["reason"],
    })


def _sentences(detail: dict[str, Any]) -> str:
    links = detail.get("links") or []
    lines = [f"{zh}\n{en}" for zh, en in (link_sentences(l) for l in links[:MAX_SENTENCES])]
    more = int(detail.get("links_total") or len(links)) - len(lines)
    if more > 0:
        lines.append(f"…另有 {more} 条 / {more} more (findings.json)")
    return "\n".join(lines)


def _ids(values: list[Any], limit: int = 200) -> str:
    text = ", ".join(str(v) for v in values[:limit])
    return text + (f", … (+{len(values) - limit})" if len(values) > limit else "")


def findings_table(data: ReportData) -> pd.DataFrame:
    f = data.findings
    rules = {r["id"]: r for r in data.rules}
    basis = {rid: "\n".join(cite(b) for b in rule.get("legal_basis", [])) for rid, rule in rules.items()}
    details = f["detail"].map(lambda d: d if isinstance(d, dict) else {})
    pii = _map_distinct(f["pii_type"], pii_label)
    return pd.DataFrame({
        "编号 / No.": f["id"],
        "规则编号 / Rule ID": f["rule_id"],
        "中文标题 / Title (zh)": f["rule_id"].map(lambda r: rules.get(r, {}).get("title_zh", "")),
        "英文标题 / Title (en)": f["rule_id"].map(lambda r: rules.get(r, {}).get("title_en", "")),
        "法律依据 / Legal basis": f["rule_id"].map(basis),
        "严重程度 / Severity": f["severity"].map(SEVERITY),
        "个人信息类型 / PII type": pii,
        ACTOR: _map_distinct(f["sdk"].fillna(""), lambda v: sdk_label(v or None)),
        "主机 / Host": f["host"],
        "首次时间 / First time": iso_local(f["first_ts"].astype("float64")),
        "首次时间（纪元秒） / First (epoch s)": f["first_ts"].astype("float64"),
        "流量证据 / Flow IDs": f["flow_ids"].map(_ids),
        "事件证据 / Event IDs": f["event_ids"].map(_ids),
        "读取→发送 / Read → sent": details.map(_sentences),
        "说明 / Notes": details.map(finding_notes),
    })


def flows_table(data: ReportData, *, reveal: bool) -> pd.DataFrame:
    """One row per PII hit (hits of both directions), or per flow without hits."""
    s = data.session
    sent = data.evidence.sent
    sdk_by_hit = sent.set_index("hit_id")["sdk"] if not sent.empty else pd.Series(dtype="str")
    # A left merge keeps the flows' (time, id) order, and each flow's hits in id order.
    rows = s.flows.merge(s.hits.rename(columns={"id": "hit_id"}), left_on="id", right_on="flow_id", how="left")
    has_hit = rows["hit_id"].notna()
    return pd.DataFrame({
        TIME: iso_local(rows["ts_start"]), EPOCH: rows["ts_start"], FLOW_ID: rows["id"],
        "方法 / Method": rows["method"], "主机 / Host": rows["host"], "URL": _urls(data, rows["id"], rows["url"], reveal),
        "状态码 / Status": rows["status"], "个人信息类型 / PII type": _map_distinct(rows["pii_type"], pii_label),
        "方向 / Direction": rows["direction"], "位置 / Location": rows["location"],
        "编码 / Encoding": rows["encoding"], "匹配来源 / Match source": rows["source"],
        "归属SDK / Attributed SDK": _actor(rows["hit_id"].map(sdk_by_hit), rows["direction"].eq("request").map(
            {True: "pii_sent", False: "response"})).where(has_hit),
        value_header(reveal): masked_values(rows["value"], reveal), VALUE_SHA: rows["value_sha256"],
        "请求SHA-256 / Request SHA-256": rows["request_sha256"],
        "响应SHA-256 / Response SHA-256": rows["response_sha256"],
        BEFORE: _yes_no(rows["ts_start"] < data.consent.cutoff),
    })


def _stack_excerpt(stack: pd.Series) -> pd.Series:
    return stack.str.split("\n").str[:STACK_FRAMES].str.join("\n")


def events_table(data: ReportData, *, reveal: bool) -> pd.DataFrame:
    ev = data.session.events.loc[~data.session.events["kind"].isin(("coverage",))]
    reads = data.evidence.reads.set_index("event_id")["value_sha256"]
    described = event_data(ev, detail_kinds(ev))
    data_text = described.map(lambda d: ", ".join(f"{k}={v}" for k, v in d.items())).reindex(ev.index)
    return pd.DataFrame({
        TIME: iso_local(ev["ts"]), EPOCH: ev["ts"], EVENT_ID: ev["id"], "类型 / Kind": ev["kind"],
        "API": ev["api"], "个人信息类型 / PII type": _map_distinct(ev["pii_type"], pii_label),
        value_header(reveal): _shown_values(data, ev["value"], ev["kind"], reveal), VALUE_SHA: ev["id"].map(reads),
        "调用方SDK / Caller SDK": _actor(ev["sdk"], ev["kind"]),
        "进程 / Process": ev["process"], "线程 / Thread": ev["thread"],
        "时钟误差 ms / Clock error (ms)": ev["clock_error_ms"], "设备时间 ms / Device time (ms)": ev["ts_device_ms"],
        "详情 / Detail": _free_text_redactor(data, reveal)(data_text),
        "调用栈摘录 / Stack excerpt": _stack_excerpt(ev["stack"]),
        BEFORE: _yes_no(ev["ts"] < data.consent.cutoff),
    })


def timeline_table(data: ReportData, *, reveal: bool) -> pd.DataFrame:
    t = data.timeline
    is_flow = t["stream"].eq("flow")
    request = (t["method"].fillna("") + " " + _urls(data, t["flow_id"], t["url"], reveal).fillna("")).str.strip()
    return pd.DataFrame({
        TIME: iso_local(t["ts"].astype("float64")), EPOCH: t["ts"].astype("float64"),
        "来源 / Stream": t["stream"], "类型 / Kind": t["kind"],
        "个人信息类型 / PII type": _map_distinct(t["pii_type"], pii_label),
        ACTOR: _actor(t["sdk"], t["kind"]),
        "主机 / Host": t["host"], "接口或请求 / API or URL": t["what"].where(~is_flow, request),
        "详情 / Detail": _free_text_redactor(data, reveal)(t["detail"]),
        value_header(reveal): _shown_values(data, t["value"], t["kind"], reveal), VALUE_SHA: t["value_sha256"],
        EVENT_ID: t["event_id"], FLOW_ID: t["flow_id"], "进程 / Process": t["process"],
        BEFORE: _yes_no(t["before_consent"].fillna(False)),
    })


BUILDERS: dict[str, Callable[..., pd.DataFrame]] = {
    "Findings": lambda data, reveal: findings_table(data),
    "Flows": lambda data, reveal: flows_table(data, reveal=reveal),
    "API events": lambda data, reveal: events_table(data, reveal=reveal),
    "Timeline": lambda data, reveal: timeline_table(data, reveal=reveal),
    "Hooks": lambda data, reveal: hooks_table(data),
}


def table(data: ReportData, name: str, *, reveal: bool) -> pd.DataFrame:
    """A report table by sheet name, built once per report."""
    return data.cached(f"table:{name}:{reveal}", lambda: BUILDERS[name](data, reveal))
