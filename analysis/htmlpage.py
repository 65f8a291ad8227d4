"""report.html: one self-contained page (summary, findings with their evidence, timeline).

Rendered from ``analysis/templates/report.html`` by Jinja2 with autoescaping on: every
value is HTML-escaped on output, and nothing is marked safe but the template's own
markup. The page carries no script and a Content-Security-Policy that forbids scripts
anyway, so text from traffic or from a hooked app's dialogs cannot run in a reader's
browser. Values are shown as in the workbook (floats with three decimals, control
characters and lone surrogates replaced).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from analysis import bilingual as b
from analysis import categories, sessionstate, tables
from analysis.labels import SEVERITY, clean_text, finding_notes, link_sentences, pii_label, sdk_label
from analysis.reportdata import ReportData
from piiaudit import sessiondir
from piiaudit.times import iso_one

MAX_TIMELINE_ROWS = 5_000
MAX_EVIDENCE_ROWS = 50
# A finding's evidence rows show the columns a reader checks first; the workbook has them all.
VALUE = object()   # stands for the value column, whose header depends on --reveal
FLOW_COLUMNS = [b.TIME, b.EPOCH, b.FLOW_ID, b.METHOD, b.URL, b.PII_TYPE, b.LOCATION, b.ENCODING, b.ATTRIBUTED_SDK, VALUE,
                b.VALUE_SHA, b.REQUEST_SHA]
EVENT_COLUMNS = [b.TIME, b.EPOCH, b.EVENT_ID, b.KIND, b.API, b.PII_TYPE, VALUE, b.CALLER_SDK, b.THREAD, b.STACK]


def shown(value: Any) -> Any:
    """How one value reads on the page (escaping is the template's): missing is empty, floats have 3 decimals."""
    if type(value) is str:          # most cells; Markup (the template's own tables) is a str subclass
        return clean_text(value)
    if isinstance(value, markupsafe.Markup):
        return value
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return clean_text(value)


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("analysis", "templates"), autoescape=True, finalize=shown,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.get_template("report.html")


def _table(frame: pd.DataFrame, *, classes: list[str | None] | None = None,
           pre: tuple[str, ...] = (), tz: Any = None) -> dict[str, Any]:
    """A table for the template; a time column's header names `tz` (analysis.tables.header_text)."""
    return {"columns": [tables.header_text(c, tz) for c in frame.columns], "rows": list(frame.astype("object").itertuples(index=False, name=None)),
            "classes": classes, "pre": {i for i, c in enumerate(frame.columns) if c in pre}}


def _finding(rec: dict[str, Any], rule: dict[str, Any], flows: pd.DataFrame, events: pd.DataFrame,
             value_col: str, tz: Any, hosts: Any = lambda v: v) -> dict[str, Any]:
    detail = hosts(rec.get("detail") or {})
    facts = [SEVERITY.get(rec["severity"], rec["severity"]), pii_label(rec["pii_type"]),
             f"SDK: {sdk_label(rec['sdk'])}", hosts(rec["host"]), f"{b.FIRST}: {iso_one(rec['first_ts'], tz)}"]
    pick = lambda frame, cols: frame[[value_col if c is VALUE else c for c in cols]]  # noqa: E731
    fl = pick(flows.loc[flows[b.FLOW_ID].isin(rec["flow_ids"][:MAX_EVIDENCE_ROWS])], FLOW_COLUMNS)
    ev = pick(events.loc[events[b.EVENT_ID].isin(rec["event_ids"][:MAX_EVIDENCE_ROWS])], EVENT_COLUMNS)
    return {
        "id": rec["id"], "rule_id": rec["rule_id"], "severity": rec["severity"],
        "category": rec.get("category") or categories.DEFAULT,
        "title_zh": rule.get("title_zh"), "title_en": rule.get("title_en"),
        "facts": " · ".join(clean_text(f) for f in facts if isinstance(f, str) and f),
        "basis": rule.get("legal_basis", []),
        "sentences": [link_sentences(link, tz) for link in detail.get("links") or []],
        "notes": finding_notes(detail),
        # a country from the DB-IP database: its licence (CC BY 4.0) asks for a link on the page
        "geo_attribution": bool(detail.get("geo_source")),
        "flow_ids": ", ".join(map(str, rec["flow_ids"])), "event_ids": ", ".join(map(str, rec["event_ids"])),
        "flows": _table(fl, tz=tz) if not fl.empty else None,
        "events": _table(ev, pre=(b.STACK,), tz=tz) if not ev.empty else None,
    }


def _by_category(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings in groups, one per category in categories.ORDER: {key, label, findings}."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in sorted(findings, key=lambda f: categories.ORDER.get(f["category"], len(categories.ORDER))):
        groups.setdefault(f["category"], []).append(f)
    return [{"key": k, "label": categories.label(k), "findings": v} for k, v in groups.items()]


def render(data: ReportData, *, reveal: bool = False) -> str:
    flows = tables.table(data, "Flows", reveal=reveal)
    events = tables.table(data, "API events", reveal=reveal)
    rules = {r["id"]: r for r in data.rules}
    value_col = b.value_header(reveal)
    timeline = tables.table(data, "Timeline", reveal=reveal).head(MAX_TIMELINE_ROWS)
    consent_rows = data.timeline["stream"].head(MAX_TIMELINE_ROWS).eq("consent").map({True: "consent", False: None})
    hooks = tables.table(data, "Hooks", reveal=reveal)
    sent_by_sdk = tables.table(data, b.SENT_BY_SDK_SHEET, reveal=reveal)
    return _template().render(
        L=b, session=data.session_dir.name,
        consent_notice=None if data.consent.status == "accepted" else data.consent.describe(data.tz),
        state_notices=[*sessionstate.of(data).partial_lines(data.tz), *sessionstate.of(data).accepted_lines(data.tz)],
        summary=_table(pd.DataFrame(tables.summary_items(data, reveal=reveal), columns=[b.ITEM, b.VALUE])),
        per_rule=_table(tables.rule_counts(data)),
        findings=_by_category([_finding(rec, rules.get(rec["rule_id"], {}), flows, events, value_col, data.tz,
                                        tables.host_masker(data, reveal))
                               for rec in data.findings.to_dict("records")]),
        result=tables.result(data),
        hooks=_table(hooks, tz=data.tz) if not hooks.empty else None,
        sent_by_sdk=_table(sent_by_sdk, tz=data.tz) if not sent_by_sdk.empty else None,
        timeline=_table(timeline, classes=consent_rows.tolist(), tz=data.tz),
        timeline_cut=len(data.timeline) > MAX_TIMELINE_ROWS, max_timeline_rows=MAX_TIMELINE_ROWS,
    )


def write(data: ReportData, path: Path, *, reveal: bool = False) -> None:
    page = render(data, reveal=reveal)
    with sessiondir.replacing(path) as tmp:
        tmp.write_text(page, "utf-8")
