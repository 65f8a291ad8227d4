"""The workbook's internal links: where each finding's evidence rows are, and which findings cite each row.

Built from the tables the workbook writes (``analysis.tables``), in the order it writes them:

- the Findings sheet links its flow and event ids to the first cited row of Flows and of
  API events, and a count of its evidence to its block of the Evidence links sheet;
- the Evidence links sheet has one row per (finding, cited flow or event), linking back to the
  finding and on to the flow's first row or the event's row;
- each Flows and API events row a finding cites says which findings cite it ("#3, #7") and
  links to the first of them (the Evidence links sheet, filtered by the id, lists them all).

A link target is ``internal:'Sheet'!A<row>`` (Excel's row number, the header being row 1) and is
built from sheet names and row numbers only, never from captured text. A row beyond what a
sheet holds (``max_rows`` data rows) is not linked to.

The UI automation's sheets (`automation`) link out to files too: each capture's file name on
the Screens sheet, and an action's first capture on the UI actions sheet, to the file in the
session's screens/ folder (``external:screens/0001-dialog.png``, relative to the workbook
beside it), only for a name the automation writes (piiaudit.sessiondir.is_screen_name) whose
file is there; each capture's action id links to its row of UI actions, its event id to the
event's row of API events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import bilingual as b
from analysis.labels import SEVERITY
from analysis.reportdata import ReportData
from piiaudit import sessiondir

FINDINGS, FLOWS, EVENTS = "Findings", "Flows", "API events"
KIND_FLOW, KIND_EVENT = b.both("流量", "flow"), b.both("事件", "event")
EVIDENCE_COLUMNS = [b.FINDING, b.RULE_ID, b.SEVERITY, b.EVIDENCE_KIND, b.EVIDENCE_ID, b.TIME, b.EPOCH, b.PII_TYPE,
                    b.API_OR_URL]


def ref(sheet: str, row: int) -> str:
    """An internal link to column A of Excel row `row` of `sheet`."""
    return f"internal:'{sheet}'!A{row}"


@dataclass
class Sheet:
    """One sheet's frame as written, and its links: column header -> one target (or None) per row."""

    frame: pd.DataFrame
    links: dict[str, list[str | None]] = field(default_factory=dict)
    severity: list[str | None] | None = None     # a fill per row (Findings), else None


def _rows(ids: pd.Series, max_rows: int) -> pd.Series:
    """id -> Excel row of its first row in a sheet (only rows the sheet holds)."""
    shown = ids.iloc[:max_rows].reset_index(drop=True)
    first = shown.loc[shown.notna()].astype(str).drop_duplicates()
    return pd.Series(first.index + 2, index=first.to_numpy(), dtype="int64")


def _targets(keys: pd.Series, rows: pd.Series, sheet: str) -> list[str | None]:
    found = keys.map(rows)
    present = found.notna().to_numpy()
    out: list[str | None] = [None] * len(found)
    for i, row in zip(np.flatnonzero(present).tolist(), found[present].astype("int64").tolist()):
        out[i] = ref(sheet, row)
    return out


def _cited_by(ev: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """id -> the findings citing it ("#3, #7", in the Evidence links sheet's order), and id -> the first."""
    text: dict[str, str] = {}
    first: dict[str, str] = {}
    for key, finding in zip(ev["id"].tolist(), ev["finding"].astype(str).tolist()):
        if key in text:
            text[key] += f", #{finding}"
        else:
            text[key], first[key] = f"#{finding}", finding
    return text, first


def build(data: ReportData, frames: dict[str, pd.DataFrame], max_rows: int) -> dict[str, Sheet]:
    """The linked sheets (Findings, Evidence links, Flows, API events) with their columns added."""
    findings, flows, events = frames[FINDINGS], frames[FLOWS], frames[EVENTS]
    finding_row = _rows(findings[b.NUMBER], max_rows)
    flow_row, event_row = _rows(flows[b.FLOW_ID], max_rows), _rows(events[b.EVENT_ID], max_rows)

    # one row per (finding, cited id), findings in the Findings sheet's order, flows before events
    f = data.findings.set_index("id").reindex(findings[b.NUMBER].tolist())
    parts = []
    for column, kind in (("flow_ids", KIND_FLOW), ("event_ids", KIND_EVENT)):
        ex = f[column].map(lambda v: list(v) if isinstance(v, (list, tuple)) else []).explode().dropna()
        parts.append(pd.DataFrame({"finding": ex.index.astype("int64"), "kind": kind,
                                   "id": ex.astype(str).to_numpy()}))
    order = {n: i for i, n in enumerate(findings[b.NUMBER].tolist())}
    ev = pd.concat(parts, ignore_index=True)
    ev = ev.assign(_o=ev["finding"].map(order), _k=ev["kind"].eq(KIND_EVENT)).sort_values(
        ["_o", "_k"], kind="stable").drop(columns=["_o", "_k"]).reset_index(drop=True)
    is_flow = ev["kind"].eq(KIND_FLOW)

    # what the evidence row shows of its target: the first flow row, the event row
    def pick(frame: pd.DataFrame, rows: pd.Series, cols: list[str]) -> pd.DataFrame:
        firsts = frame.iloc[(rows - 2).to_numpy()][cols] if len(rows) else frame.iloc[0:0][cols]
        return firsts.set_axis(rows.index, axis=0)

    flow_facts = pick(flows, flow_row, [b.TIME, b.EPOCH, b.PII_TYPE, b.URL])
    event_facts = pick(events, event_row, [b.TIME, b.EPOCH, b.PII_TYPE, b.API])
    sev = f["severity"]
    evidence = pd.DataFrame({
        b.FINDING: ev["finding"].astype(str),
        b.RULE_ID: ev["finding"].map(f["rule_id"]),
        b.SEVERITY: ev["finding"].map(sev).map(SEVERITY),
        b.EVIDENCE_KIND: ev["kind"],
        b.EVIDENCE_ID: ev["id"],
    })
    for col, flow_col, event_col in ((b.TIME, b.TIME, b.TIME), (b.EPOCH, b.EPOCH, b.EPOCH),
                                     (b.PII_TYPE, b.PII_TYPE, b.PII_TYPE), (b.API_OR_URL, b.URL, b.API)):
        evidence[col] = ev["id"].map(flow_facts[flow_col]).where(is_flow, ev["id"].map(event_facts[event_col]))
    evidence_sheet = Sheet(evidence[EVIDENCE_COLUMNS], severity=ev["finding"].map(sev).tolist())
    evidence_sheet.links[b.FINDING] = _targets(ev["finding"].astype(str), finding_row, FINDINGS)
    evidence_sheet.links[b.EVIDENCE_ID] = [
        flow if is_f else event for is_f, flow, event in
        zip(is_flow.tolist(), _targets(ev["id"], flow_row, FLOWS), _targets(ev["id"], event_row, EVENTS))]
    first_evidence = pd.Series(ev.index.to_numpy() + 2, index=ev["finding"].astype(str)).groupby(level=0).first()
    first_evidence = first_evidence.loc[first_evidence <= max_rows + 1]

    # Findings: ids linked to their first row present, a count linked to the Evidence links block
    numbers = findings[b.NUMBER].astype(str)
    counts = ev.groupby("finding").size()
    first_flow = f["flow_ids"].map(lambda ids: next((str(i) for i in ids or () if str(i) in flow_row.index), None))
    first_event = f["event_ids"].map(lambda ids: next((str(i) for i in ids or () if str(i) in event_row.index), None))
    linked_findings = findings.copy(deep=False)
    at = linked_findings.columns.get_loc(b.EVENT_IDS) + 1
    linked_findings.insert(at, b.EVIDENCE_LINKS, findings[b.NUMBER].map(counts).fillna(0).astype("int64").map(
        lambda n: f"{n} 条证据 / {n} rows →" if n else None))
    findings_sheet = Sheet(linked_findings, severity=f["severity"].tolist())
    findings_sheet.links[b.FLOW_IDS] = _targets(pd.Series(first_flow.tolist()), flow_row, FLOWS)
    findings_sheet.links[b.EVENT_IDS] = _targets(pd.Series(first_event.tolist()), event_row, EVENTS)
    findings_sheet.links[b.EVIDENCE_LINKS] = _targets(numbers, first_evidence, b.EVIDENCE_SHEET)

    # back: each cited flow/event row names the findings citing it and links to the first
    out = {FINDINGS: findings_sheet, b.EVIDENCE_SHEET: evidence_sheet}
    for name, frame, id_col, mask in ((FLOWS, flows, b.FLOW_ID, is_flow), (EVENTS, events, b.EVENT_ID, ~is_flow)):
        text, first = _cited_by(ev.loc[mask].drop_duplicates(["id", "finding"]))
        keys = frame[id_col].astype("object").where(frame[id_col].notna(), None).map(str, na_action="ignore")
        linked = frame.copy(deep=False)
        linked.insert(linked.columns.get_loc(id_col) + 1, b.CITED_BY, keys.map(text))
        sheet = Sheet(linked)
        sheet.links[b.CITED_BY] = _targets(keys.map(first), finding_row, FINDINGS)
        out[name] = sheet
    return out


def file_link(value: object, session_dir: Path) -> str | None:
    """``external:screens/…`` for the first file name in `value` when it is a capture's name and the
    file is there (a regular file); else None."""
    if not isinstance(value, str) or not value:
        return None
    name = value.split("\n", 1)[0]
    path = session_dir / name
    if not sessiondir.is_screen_name(name) or not path.is_file() or path.is_symlink():
        return None
    return f"external:{name}"


def automation(data: ReportData, frames: dict[str, pd.DataFrame], max_rows: int) -> dict[str, Sheet]:
    """The UI actions and Screens sheets with their links to the capture files and between each other."""
    actions, shots, events = frames[b.UI_ACTIONS_SHEET], frames[b.SCREENS_SHEET], frames[EVENTS]
    action_row = _rows(actions[b.UI_ACTION_ID], max_rows)
    event_row = _rows(events[b.EVENT_ID], max_rows)
    ui = Sheet(actions)
    ui.links[b.SCREEN_FILE] = [file_link(v, data.session_dir) for v in actions[b.SCREEN_FILE].tolist()]
    # the ids as text: a link is written on a text cell only
    as_key = lambda col: col.astype("object").where(col.notna(), None).map(str, na_action="ignore")  # noqa: E731
    shots = shots.assign(**{b.UI_ACTION_ID: as_key(shots[b.UI_ACTION_ID]), b.EVENT_ID: as_key(shots[b.EVENT_ID])})
    sc = Sheet(shots)
    sc.links[b.SCREEN_FILE] = [file_link(v, data.session_dir) for v in shots[b.SCREEN_FILE].tolist()]
    sc.links[b.UI_ACTION_ID] = _targets(shots[b.UI_ACTION_ID], action_row, b.UI_ACTIONS_SHEET)
    sc.links[b.EVENT_ID] = _targets(shots[b.EVENT_ID], event_row, EVENTS)
    return {b.UI_ACTIONS_SHEET: ui, b.SCREENS_SHEET: sc}
