"""The report's tables with bilingual headers, built once for the workbook and the page.

Each builder returns a frame whose columns are the headers a reader sees (中文 / English,
from ``analysis.bilingual``); values stay raw Python/pandas scalars, writers decide how to
render them. Labels and masks are computed once per distinct value, not per row. Times
are shown in the report's zone (``ReportData.tz``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from analysis import bilingual as b
from analysis import categories, coverage, identityrows, screens, sentbysdk, sessionstate
from analysis.labels import (SEVERITY, YES_NO, cite, finding_notes, link_sentences, masked_values, pii_label,
                             result_line, sdk_label)
from analysis.redact import host_texts, known_values, redact, redact_nested, url_redactions
from analysis.reportdata import ReportData
from piiaudit.times import iso_column, iso_one, time_header, zone_label

# Headers of columns that hold a time in words: shown with the report's zone (header_text);
# each has its epoch column beside it (EPOCH, FIRST_EPOCH, LIVE_EPOCH, CONSENT_EPOCH).
TIME_HEADERS = frozenset({b.TIME, b.FIRST_TIME, b.LIVE_AT, b.CONSENT_TIME})
STACK_FRAMES = 6
MAX_SENTENCES = 10
PII_KINDS = ("pii_read", "pii_sent")   # rows where an empty SDK means "the app itself"


def detail_kinds(events: pd.DataFrame) -> tuple[str, ...]:
    """Kinds whose data JSON is worth showing: all but the bulk pii_read rows and counters."""
    return tuple(k for k in events["kind"].dropna().unique() if k not in ("pii_read", "coverage"))


def _yes_no(flags: pd.Series) -> pd.Series:
    return flags.astype(bool).map(YES_NO)


def _map_distinct(values: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    return values.map({v: fn(v) for v in values.dropna().unique()})


def _bilingual(values: pd.Series, field: str) -> pd.Series:
    """Stored values of `field` with their label '中文 / English' (analysis.bilingual.VALUES), once per distinct value."""
    return _map_distinct(values, lambda v: b.value_label(field, v))


def _actor(sdk: pd.Series, kinds: pd.Series) -> pd.Series:
    """SDK label where the row is a PII read/send (empty SDK = the app itself), else the SDK if any."""
    sdk = sdk.astype("object")   # a column of missing values may come typed as numbers (no hits at all)
    labels = _map_distinct(sdk.fillna(""), lambda v: sdk_label(v or None))
    return labels.where(kinds.isin(PII_KINDS) | sdk.notna())


def _free_text_redactor(data: ReportData, reveal: bool) -> Callable[[pd.Series], pd.Series]:
    """Hook data and other free text pass through this: raw values, and the forms the
    detector found them in, masked unless revealing."""
    if reveal:
        return lambda text: text
    hits, ev = data.session.hits, data.session.events
    reads = ev.loc[ev["kind"].eq("pii_read") & ev["pii_type"].notna()]
    values = data.cached("known_values", lambda: known_values(
        pd.concat([hits["value"], reads["value"]], ignore_index=True),
        pd.concat([hits["pii_type"], reads["pii_type"]], ignore_index=True), hits))
    return lambda text: _once_each(text, lambda distinct: redact(distinct, values))


def _once_each(text: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """fn (text -> text, missing kept) applied to each distinct text once, then spread back: a
    session's free text repeats (the same stack, the same hook data) row after row."""
    present = text.notna()
    if not present.any():
        return fn(text)
    try:
        distinct = pd.Series(text.loc[present].unique(), dtype="object")
    except TypeError:               # an unhashable value: every row on its own
        return fn(text)
    if len(distinct) > 0.8 * int(present.sum()):
        return fn(text)
    return text.astype("object").where(~present, text.loc[present].map(dict(zip(distinct, fn(distinct)))))


def host_redactor(data: ReportData, reveal: bool) -> Callable[[pd.Series], pd.Series]:
    """Host names, and text that names hosts: values found in host names masked unless revealing."""
    if reveal:
        return lambda text: text
    values = data.cached("host_texts", lambda: host_texts(data.session.hits))
    return (lambda text: _once_each(text, lambda distinct: redact(distinct, values, fold_case=True))) \
        if values else (lambda text: text)


def host_masker(data: ReportData, reveal: bool) -> Callable[[Any], Any]:
    """host_redactor for one value, or every string of a nested value (a finding's detail)."""
    if reveal:
        return lambda value: value
    values = data.cached("host_texts", lambda: host_texts(data.session.hits))
    return lambda value: redact_nested(value, values, fold_case=True)


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


def header_text(column: Any, tz: Any) -> Any:
    """A column's header as a reader sees it: a time column names the zone its times are in
    ('时间 / Time (Asia/Shanghai, UTC+08:00)'); others as they are."""
    return time_header(column, tz) if column in TIME_HEADERS else column


def _ms(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else str(value)


def summary_items(data: ReportData, *, reveal: bool) -> list[tuple[str, str]]:
    m = data.manifest
    scope = data.scope or {}
    c, tz = data.consent, data.tz
    counts = {"flows": len(data.session.flows), "hits": len(data.session.hits), "events": len(data.session.events),
              "findings": len(data.findings)}
    syncs = m.get("clock_syncs") or []
    errors = data.session.events["clock_error_ms"].dropna()
    items = [
        (b.REPORT, f"piiaudit {b.EVIDENCE_TITLE}"),
        (b.SESSION, data.session_dir.name),
        *sessionstate.of(data).items(tz),
        *identityrows.items(data),
        (header_text(b.CONSENT_TIME, tz), iso_one(c.ts, tz) if c.ts is not None else b.both("未观察到", "not observed")),
        (b.CONSENT_EPOCH, f"{c.ts:.3f}" if c.ts is not None else "—"),
        (b.CONSENT_DECISION, c.describe(tz)),
        (b.CONSENT_SOURCE, f"{b.value_label('consent_source', c.source or '—')} "
                           f"({b.value_label('consent_method', c.method)})"),
        (b.CONSENT_BY, consent_by_text(data)),
        (b.CONSENT_EVIDENCE, f"{b.both('事件', 'events')} {list(c.event_ids)}; {b.both('标记', 'marks')} {list(c.mark_ids)}"),
        (b.PRIVACY_NOTICE, (f"{iso_one(c.dialog_shown_ts, tz)}: {c.dialog_text}" if c.dialog_shown_ts else "—")),
        (b.DECLINED, (f"{iso_one(c.declined_ts, tz)} (events {list(c.declined_event_ids)}, marks "
                      f"{list(c.declined_mark_ids)})" if c.declined_ts is not None else "—")),
        (b.SCOPE, (f"{scope.get('source')} (sha256 {scope.get('sha256')})" if scope else
                   b.both("未提供：范围类规则未运行", "none: scope rules not run"))),
        (b.COUNTS, f"{b.both('流量', 'flows')} {counts['flows']}, {b.both('个人信息命中', 'PII hits')} {counts['hits']}, "
                   f"{b.both('钩子事件', 'hook events')} {counts['events']}, {b.both('发现', 'findings')} {counts['findings']}"),
        (b.TESTER_OBSERVATIONS, tester_observations(data, reveal=reveal)),
        (b.CLOCKS, "; ".join(
            f"pid {s.get('pid')}: offset {_ms(s.get('offset_ms'))} ms, error ±{_ms(s.get('error_ms'))} ms" for s in syncs)
            + (f"; events: max error ±{errors.max():.1f} ms" if not errors.empty else "") or "—"),
        (b.TIME_ZONE, zone_label(tz)),
        (b.VALUES_SHOWN, b.both("明文（--reveal）", "revealed") if reveal else
            b.both("已脱敏（保留首尾字符）并附SHA-256", "masked (first and last characters) with SHA-256")),
        (b.VERSIONS, identityrows.versions_text(data.tools)),
        *hooks_items(data),
    ]
    items.append((b.RESULT, result(data)))
    items += [(b.NOTE, n) for n in data.notes]
    items += [(b.RULE_FAILED, f"{e['rule_id']}: {e['message']}") for e in data.errors]
    return items


def tester_observations(data: ReportData, *, reveal: bool) -> str:
    """Every observation the tester recorded (piiaudit mark observed), found and not found alike,
    one per line: time, kind, place, note, screenshot; '—' when there is none."""
    from piiaudit import testermarks

    obs = data.session.observations
    if obs is None or obs.empty:
        return "—"
    lines = [
        f"{iso_one(r['ts'], data.tz)} {testermarks.label(r['kind'])}"
        + (f" @ {r['place']}" if isinstance(r["place"], str) and r["place"] else "")
        + (f" “{r['note']}”" if isinstance(r["note"], str) and r["note"] else "")
        + (f" [{r['screenshot']}]" if isinstance(r["screenshot"], str) and r["screenshot"] else "")
        for r in obs.to_dict("records")
    ]
    return "\n".join(_free_text_redactor(data, reveal)(pd.Series(lines)).tolist())


def result(data: ReportData) -> str:
    """The report's one-sentence result (analysis.labels.result_line)."""
    return result_line(len(data.findings), empty=data.nothing, failed_rules=len(data.errors))


def _coverage(data: ReportData) -> pd.DataFrame:
    return data.cached("coverage", lambda: coverage.coverage_rows(data.session.events))


def hooks_items(data: ReportData) -> list[tuple[str, str]]:
    """Summary lines: how many hooks were live, and whether before the app's first instruction."""
    if data.session.events.empty:
        return []
    cov = coverage.summarise(data.session.events, _coverage(data))
    lines = [(b.HOOKS_READY, cov.ready_line())]
    if cov.overloads:
        lines.insert(0, (b.HOOK_COVERAGE, cov.line()))
    return lines


def hooks_table(data: ReportData) -> pd.DataFrame:
    """One row per hook point and overload: its status on this device and when it became live."""
    c = _coverage(data)
    live = c["live_ts"].astype("float64")
    return pd.DataFrame({
        b.HOOK: c["hook"], b.CLASS: c["class"], b.OVERLOAD: c["signature"], b.STATUS: _bilingual(c["status"], "status"),
        b.LIVE_AT: iso_column(live, data.tz), b.LIVE_EPOCH: live, b.PROCESS: c["process"], b.ERROR: c["error"],
        b.EVENT_ID: c["event_id"],
    })


def rule_counts(data: ReportData) -> pd.DataFrame:
    cr = data.counts_per_rule
    return pd.DataFrame({
        b.RULE_ID: cr["rule_id"], b.TITLE_ZH: cr["title_zh"], b.TITLE_EN: cr["title_en"],
        b.SEVERITY: cr["severity"].map(SEVERITY), b.FINDINGS_COUNT: cr["findings"], b.STATUS: _bilingual(cr["status"], "status"),
        b.REASON: cr["reason"],
    })


def _sentences(detail: dict[str, Any], tz: Any) -> str:
    links = detail.get("links") or []
    lines = [f"{zh}\n{en}" for zh, en in (link_sentences(link, tz) for link in links[:MAX_SENTENCES])]
    more = int(detail.get("links_total") or len(links)) - len(lines)
    if more > 0:
        lines.append(f"…另有 {more} 条 / {more} more (findings.json)")
    return "\n".join(lines)


def _ids(values: list[Any], limit: int = 200) -> str:
    text = ", ".join(str(v) for v in values[:limit])
    return text + (f", … (+{len(values) - limit})" if len(values) > limit else "")


def findings_table(data: ReportData, *, reveal: bool = False) -> pd.DataFrame:
    f = data.findings
    hosts = host_redactor(data, reveal)
    rules = {r["id"]: r for r in data.rules}
    basis = {rid: "\n".join(cite(x) for x in rule.get("legal_basis", [])) for rid, rule in rules.items()}
    details = f["detail"].map(lambda d: d if isinstance(d, dict) else {})
    first = f["first_ts"].astype("float64")
    order = f["category"].map(lambda c: categories.ORDER.get(c, len(categories.ORDER)))
    return pd.DataFrame({
        b.NUMBER: f["id"],
        b.CATEGORY: f["category"].map(categories.label),
        b.RULE_ID: f["rule_id"],
        b.TITLE_ZH: f["rule_id"].map(lambda r: rules.get(r, {}).get("title_zh", "")),
        b.TITLE_EN: f["rule_id"].map(lambda r: rules.get(r, {}).get("title_en", "")),
        b.LEGAL_BASIS: f["rule_id"].map(basis),
        b.SEVERITY: f["severity"].map(SEVERITY),
        b.PII_TYPE: _map_distinct(f["pii_type"], pii_label),
        b.ACTOR: _map_distinct(f["sdk"].fillna(""), lambda v: sdk_label(v or None)),
        b.HOST: hosts(f["host"]),
        b.FIRST_TIME: iso_column(first, data.tz),
        b.FIRST_EPOCH: first,
        b.FLOW_IDS: f["flow_ids"].map(_ids),
        b.EVENT_IDS: f["event_ids"].map(_ids),
        b.READ_SENT: hosts(details.map(lambda d: _sentences(d, data.tz))),
        b.NOTES: hosts(details.map(finding_notes)),
    }).assign(_order=order).sort_values(["_order", b.NUMBER], kind="stable").drop(columns="_order").reset_index(drop=True)


def sent_by_sdk(data: ReportData) -> pd.DataFrame:
    """analysis.sentbysdk's rows for this report (raw columns), built once."""
    s = data.session
    return data.cached("sent_by_sdk", lambda: sentbysdk.sent_by_sdk(s.hits, s.flows, data.timeline, data.consent))


def sent_by_sdk_table(data: ReportData, *, reveal: bool) -> pd.DataFrame:
    """What each SDK sent, by the endpoint field maps: SDK, party, endpoint, kind, field, value."""
    v = sent_by_sdk(data)
    first = v["first_ts"].astype("float64")
    return pd.DataFrame({
        b.SDK: _map_distinct(v["sdk"], sdk_label), b.PARTY: _bilingual(v["party"], "party"), b.ENDPOINT: v["endpoint"],
        b.DATA_KIND: _map_distinct(v["pii_type"], pii_label), b.ATTRIBUTE: _yes_no(v["attribute"].fillna(False)),
        b.FIELD: v["field"], b.value_header(reveal): masked_values(v["value"], reveal),
        b.FLOW_COUNT: v["flows"], b.FIRST_TIME: iso_column(first, data.tz), b.FIRST_EPOCH: first,
        b.DT_CONSENT: v["dt_s"],
        b.FIELD_SOURCE: sentbysdk.source_texts(v),
    })


def _attributed_sdk(data: ReportData) -> pd.Series:
    """hit id -> the SDK the analysis attributed the sent hit to (from the timeline's flow rows)."""
    t = data.timeline
    return t.loc[t["hit_id"].notna()].set_index("hit_id")["sdk"] if not t.empty else pd.Series(dtype="str")


def flows_table(data: ReportData, *, reveal: bool) -> pd.DataFrame:
    """One row per PII hit (hits of both directions), or per flow without hits."""
    s = data.session
    # A left merge keeps the flows' (time, id) order, and each flow's hits in id order.
    rows = s.flows.merge(s.hits.rename(columns={"id": "hit_id"}), left_on="id", right_on="flow_id", how="left")
    has_hit = rows["hit_id"].notna()
    attributed = _attributed_sdk(data)
    sdk = rows["hit_id"].map(attributed)
    # hits the rules do not read (device attributes) are not on the timeline: their map's SDK
    unranked = has_hit & ~rows["hit_id"].isin(attributed.index)
    map_sdk = rows["endpoint_map"].map(lambda m: m.get("sdk") if isinstance(m, dict) else None, na_action="ignore")
    sdk = sdk.where(~unranked, map_sdk)
    hosts = host_redactor(data, reveal)
    return pd.DataFrame({
        b.TIME: iso_column(rows["ts_start"], data.tz), b.EPOCH: rows["ts_start"], b.FLOW_ID: rows["id"],
        b.METHOD: rows["method"], b.HOST: hosts(rows["host"]), b.HOST_HEADER: hosts(rows.get("host_header")),
        b.URL: hosts(_urls(data, rows["id"], rows["url"], reveal)),
        b.HTTP_STATUS: rows["status"], b.PII_TYPE: _map_distinct(rows["pii_type"], pii_label),
        b.DIRECTION: _bilingual(rows["direction"], "direction"), b.LOCATION: rows["location"],
        b.ENCODING: rows["encoding"], b.MATCH_SOURCE: _bilingual(rows["source"], "source"),
        b.ATTRIBUTED_SDK: _actor(sdk, rows["direction"].eq("request").map(
            {True: "pii_sent", False: "response"}).where(~unranked | sdk.notna(), "response")).where(has_hit),
        b.value_header(reveal): masked_values(rows["value"], reveal), b.VALUE_SHA: rows["value_sha256"],
        b.REQUEST_SHA: rows["request_sha256"],
        b.RESPONSE_SHA: rows["response_sha256"],
        b.BEFORE: _yes_no(rows["ts_start"] < data.consent.cutoff),
    })


def _stack_excerpt(stack: pd.Series) -> pd.Series:
    """The first STACK_FRAMES lines of each stack, once per distinct stack (missing stays missing)."""
    return _map_distinct(stack, lambda s: "\n".join(s.split("\n", STACK_FRAMES)[:STACK_FRAMES])
                         if isinstance(s, str) else None)


def _data_text(ev: pd.DataFrame) -> pd.Series:
    """An event's data as 'key=value, …' for the kinds worth showing (missing data: '')."""
    text = ev["data"].map(lambda d: ", ".join(f"{k}={v}" for k, v in d.items()) if isinstance(d, dict) else "")
    return text.where(ev["kind"].isin(detail_kinds(ev)))


def _event_actor(data: ReportData, ev: pd.DataFrame) -> pd.Series:
    """The caller the analysis decided (timeline), else the one the hooks recorded."""
    t = data.timeline
    decided = t.loc[t["event_id"].notna()].drop_duplicates("event_id").set_index("event_id")["sdk"] if not t.empty \
        else pd.Series(dtype="object")
    by_id = ev["id"].map(decided)
    return by_id.where(ev["id"].isin(decided.index), ev["sdk"])


def events_table(data: ReportData, *, reveal: bool) -> pd.DataFrame:
    ev = data.session.events.loc[~data.session.events["kind"].isin(("coverage",))]
    t = data.timeline
    read_sha = (t.loc[t["event_id"].notna() & t["value_sha256"].notna()].set_index("event_id")["value_sha256"]
                if not t.empty else pd.Series(dtype="str"))
    return pd.DataFrame({
        b.TIME: iso_column(ev["ts"], data.tz), b.EPOCH: ev["ts"], b.EVENT_ID: ev["id"], b.KIND: _bilingual(ev["kind"], "kind"),
        b.API: ev["api"], b.PII_TYPE: _map_distinct(ev["pii_type"], pii_label),
        b.value_header(reveal): _shown_values(data, ev["value"], ev["kind"], reveal), b.VALUE_SHA: ev["id"].map(read_sha),
        b.CALLER_SDK: _actor(_event_actor(data, ev), ev["kind"]),
        b.PROCESS: ev["process"], b.THREAD: ev["thread"],
        b.CLOCK_ERROR: ev["clock_error_ms"], b.DEVICE_TIME: ev["ts_device_ms"],
        b.DETAIL: _free_text_redactor(data, reveal)(_data_text(ev)),
        b.STACK: _stack_excerpt(ev["stack"]),
        b.BEFORE: _yes_no(ev["ts"] < data.consent.cutoff),
    })


def timeline_table(data: ReportData, *, reveal: bool) -> pd.DataFrame:
    t = data.timeline
    ts = t["ts"].astype("float64")
    is_flow = t["stream"].eq("flow")
    hosts = host_redactor(data, reveal)
    request = (t["method"].fillna("") + " " + hosts(_urls(data, t["flow_id"], t["url"], reveal)).fillna("")).str.strip()
    return pd.DataFrame({
        b.TIME: iso_column(ts, data.tz), b.EPOCH: ts,
        b.STREAM: _bilingual(t["stream"], "stream"), b.KIND: _bilingual(t["kind"], "kind"),
        b.PII_TYPE: _map_distinct(t["pii_type"], pii_label),
        b.ACTOR: _actor(t["sdk"], t["kind"]),
        b.PARTY: _bilingual(t["party"], "party"), b.PARTY_REASON: t["party_reason"],
        b.HOST: hosts(t["host"]), b.API_OR_URL: t["what"].where(~is_flow, request),
        b.DETAIL: _free_text_redactor(data, reveal)(t["detail"]),
        b.value_header(reveal): _shown_values(data, t["value"], t["kind"], reveal), b.VALUE_SHA: t["value_sha256"],
        b.EVENT_ID: t["event_id"], b.FLOW_ID: t["flow_id"], b.PROCESS: t["process"],
        b.BEFORE: _yes_no(t["before_consent"].fillna(False)),
    })


def consent_given(data: ReportData) -> dict[str, Any]:
    """analysis.screens.consent_given of the report's decision, once per report."""
    return data.cached("consent_given", lambda: screens.consent_given(data.consent, data.session))


def consent_by_text(data: ReportData) -> str:
    """Who gave the decision, the automation's consent actions and the consent path's captures, in words."""
    given = consent_given(data)
    by = b.value_label("consent_by", given["by"]) if given["by"] else "—"
    parts = [by]
    if given["ui_action_ids"]:
        parts.append(f"{b.both('自动化操作', 'UI actions')} {given['ui_action_ids']}")
    if given["screens"]:
        parts.append(f"{b.SCREENSHOTS}: " + ", ".join(s["file"] for s in given["screens"]))
    return "; ".join(parts)


def _json_text(values: pd.Series) -> pd.Series:
    import json

    return values.map(lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True) if isinstance(d, dict) and d else None)


def ui_actions_table(data: ReportData, *, reveal: bool) -> pd.DataFrame:
    """The UI automation's actions in order (analysis.screens): what it did, why, on what, and its captures' files."""
    a = data.session.ui_actions if data.session.ui_actions is not None else pd.DataFrame(
        columns=["id", "ts", "action", "x", "y", "target_text", "target_class", "target_id", "purpose", "detail"])
    shots = data.session.screens if data.session.screens is not None else pd.DataFrame(columns=["action_id", "file"])
    files = shots.dropna(subset=["action_id"]).groupby("action_id")["file"].agg(lambda f: "\n".join(f)) \
        if not shots.empty else pd.Series(dtype="object")
    ts = a["ts"].astype("float64")
    free = _free_text_redactor(data, reveal)
    xy = (a["x"].astype("string") + ", " + a["y"].astype("string")).astype("object")
    return pd.DataFrame({
        b.UI_ACTION_ID: a["id"], b.TIME: iso_column(ts, data.tz), b.EPOCH: ts,
        b.UI_ACTION: _bilingual(a["action"], "ui_action"), b.UI_PURPOSE: _bilingual(a["purpose"], "ui_purpose"),
        b.UI_TARGET: free(a["target_text"]), b.UI_TARGET_CLASS: a["target_class"], b.UI_TARGET_ID: a["target_id"],
        b.UI_XY: xy.where(a["x"].notna() & a["y"].notna(), None),
        b.DETAIL: free(_json_text(a["detail"])),
        b.SCREEN_FILE: a["id"].map(files) if len(files) else pd.Series(None, index=a.index, dtype="object"),
    })


def screens_table(data: ReportData) -> pd.DataFrame:
    """The captures in screens/ in time order: when, why, the file and its SHA-256, the action and event it shows."""
    s = data.session.screens if data.session.screens is not None else pd.DataFrame(
        columns=["id", "ts", "file", "sha256", "kind", "width", "height", "cause", "action_id", "event_id", "note"])
    ts = s["ts"].astype("float64")
    size = (s["width"].astype("string") + " × " + s["height"].astype("string")).astype("object")
    return pd.DataFrame({
        b.SCREEN_ID: s["id"], b.TIME: iso_column(ts, data.tz), b.EPOCH: ts,
        b.SCREEN_CAUSE: _bilingual(s["cause"], "screen_cause"), b.SCREEN_FILE: s["file"], b.SHA256: s["sha256"],
        b.KIND: s["kind"], b.SCREEN_SIZE: size.where(s["width"].notna() & s["height"].notna(), None),
        b.UI_ACTION_ID: s["action_id"], b.EVENT_ID: s["event_id"], b.NOTES: s["note"],
    })


BUILDERS: dict[str, Callable[..., pd.DataFrame]] = {
    "Findings": lambda data, reveal: findings_table(data, reveal=reveal),
    b.SENT_BY_SDK_SHEET: lambda data, reveal: sent_by_sdk_table(data, reveal=reveal),
    "Flows": lambda data, reveal: flows_table(data, reveal=reveal),
    "API events": lambda data, reveal: events_table(data, reveal=reveal),
    "Timeline": lambda data, reveal: timeline_table(data, reveal=reveal),
    b.UI_ACTIONS_SHEET: lambda data, reveal: ui_actions_table(data, reveal=reveal),
    b.SCREENS_SHEET: lambda data, reveal: screens_table(data),
    "Hooks": lambda data, reveal: hooks_table(data),
    b.ACCOUNTING_SHEET: lambda data, reveal: accounting_table(data),
}


def accounting_table(data: ReportData) -> pd.DataFrame:
    """The session's accounting (analysis.sessionstate) with its stage, outcome and object labelled."""
    t = sessionstate.of(data).table()
    for col, field in ((b.STAGE, "stage"), (b.OUTCOME, "outcome"), (b.WHAT, "what")):
        if col in t:
            t[col] = _bilingual(t[col], field)
    return t


def table(data: ReportData, name: str, *, reveal: bool) -> pd.DataFrame:
    """A report table by sheet name, built once per report."""
    return data.cached(f"table:{name}:{reveal}", lambda: BUILDERS[name](data, reveal))
