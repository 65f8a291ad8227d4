"""report.html: one self-contained page for people, in the order a reader needs it.

1. The summary: which app (identity: package, version, APK and certificate hashes, source),
   who tested it, when and on what device, the consent decision, the result in words, and the
   findings counted per notice category (analysis.categories) and severity.
2. The findings, grouped by category: each with its sentence (the rule's title, the read and
   the send it links), its legal basis, its evidence rows (role, time, Δt to the consent
   moment — to the refusal when the user refused —, the row it comes from, the value masked)
   and the tester's screenshots when the session has them (embedded, so the page stands alone).
   With them, the screen at that moment: the UI automation's captures whose moment holds one
   of the finding's evidence times (analysis.screens.of_moments).
3. The timeline as a chart (analysis.timelinechart: lanes per actor, the consent moment as a
   line, reads, sends and permission prompts as marks named on hover).
4. What each SDK sent (the endpoint field maps), then the appendices: hook coverage, all
   flows, all hook events, the manifest (manifest.json's file hashes, the app's manifest),
   and the UI automation's run (each action in order with its captures).

The consent box of the summary shows how the decision was given (analysis.screens:
automation, hook or tester) and the consent path: each consent and permission answer of the
UI automation in order with its screenshots. A screenshot shows as a thumbnail that links to
the full-size file in the session's screens/ folder (`screens/0001-dialog.png`, beside this
page in the session and in a bundle). Each capture's PNG is embedded once, as a CSS class
whose background is a data: URI, however often it is shown, up to `MAX_SCREENS_BYTES` for
the page (the consent path's first; the same picture taken twice is embedded once); the rest
show their file name, linked, and a note says how many.

Every time is shown in the report's zone, named in the header of each time column. A long
value folds (``<details>``: its start and length shown, the whole value one click away).

Rendered from ``analysis/templates/report.html`` by Jinja2 with autoescaping on: every value
is HTML-escaped on output. Markup built here (folds, links, the chart, screenshots) is built
with ``markupsafe`` from escaped parts. The page carries no script and a
Content-Security-Policy that forbids scripts (images only as ``data:`` URIs), so text from
traffic or from a hooked app's dialogs cannot run in a reader's browser. Values are shown as
in the workbook (floats with three decimals, control characters and lone surrogates replaced).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
import math
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from analysis import bilingual as b
from analysis import categories, identityrows, screens, sessionstate, tables, timelinechart
from analysis.labels import SEVERITY, clean_text, finding_notes, link_sentences, pii_label, quoted, sdk_label
from analysis.reportdata import ReportData
from piiaudit import sessiondir
from piiaudit.times import iso_one, zone_label

FOLD_AT = 120                 # characters: a longer value folds
FOLD_SHOWN = 60               # characters of a folded value shown before it is opened
MAX_APPENDIX_ROWS = 5_000     # rows per appendix table; the workbook has them all
MAX_EVIDENCE_ROWS = 30        # rows per finding; findings.json and the workbook have every id
MAX_SCREENSHOT_BYTES = 8 << 20
MAX_SCREENS_BYTES = 24 << 20  # the UI automation's captures embedded in one page
THUMB_WIDTH = 96              # px
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
               ".gif": "image/gif"}
SEVERITIES = ("high", "medium", "low")
REPORT_OUTPUTS = ("evidence.xlsx", "report.html", "findings.json", "report.pdf")
TIME_HEADERS = tables.TIME_HEADERS   # their headers name the zone (tables.header_text); the epoch stands beside
VALUE = object()   # stands for the value column, whose header depends on --reveal
FLOW_COLUMNS = [b.TIME, b.EPOCH, b.FLOW_ID, b.METHOD, b.HOST, b.URL, b.HTTP_STATUS, b.PII_TYPE, b.DIRECTION, b.LOCATION,
                b.ENCODING, b.ATTRIBUTED_SDK, VALUE, b.BEFORE]
EVENT_COLUMNS = [b.TIME, b.EPOCH, b.EVENT_ID, b.KIND, b.API, b.PII_TYPE, VALUE, b.CALLER_SDK, b.THREAD, b.DETAIL, b.STACK,
                 b.BEFORE]
HOOK_COLUMNS = [b.HOOK, b.CLASS, b.OVERLOAD, b.STATUS, b.LIVE_AT, b.LIVE_EPOCH, b.PROCESS, b.ERROR, b.EVENT_ID]


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


def fold(value: Any, *, at: int = FOLD_AT, pre: bool = False) -> Any:
    """A value longer than `at` characters as a <details> showing its start and length; others as they are."""
    text = shown(value)
    if isinstance(text, markupsafe.Markup) or not isinstance(text, str) or len(text) <= at:
        return markupsafe.Markup('<pre>{}</pre>').format(text) if pre and text else text
    first = text[:FOLD_SHOWN].split("\n")[0]
    body = '<pre>{}</pre>' if pre else '<div class="full">{}</div>'
    return markupsafe.Markup('<details class="fold"><summary>{}… <span class="muted">({})</span></summary>'
                             + body + '</details>').format(first, b.CHARS.format(n=len(text)), text)


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("analysis", "templates"), autoescape=True, finalize=shown,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["quoted"] = quoted            # a quote in “…” once, never doubled
    return env.get_template("report.html")


def _zoned(columns: list[str], tz: Any) -> list[str]:
    """Headers with the zone named in every time column's header (analysis.tables.header_text)."""
    return [tables.header_text(c, tz) for c in columns]


def _table(frame: pd.DataFrame, *, tz: Any = None, classes: list[str | None] | None = None,
           pre: tuple[str, ...] = (), ids: list[str | None] | None = None, folds: bool = True) -> dict[str, Any]:
    """A table for the template: headers (time headers name the zone), rows of cells (long values
    folded, columns in `pre` kept preformatted), optional row classes and row ids."""
    cols = list(frame.columns)
    rows = frame.astype("object").itertuples(index=False, name=None)
    pre_at = {i for i, c in enumerate(cols) if c in pre}
    time_at = {i for i, c in enumerate(cols) if c in TIME_HEADERS}
    if folds:
        rows = ([fold(v, pre=i in pre_at) for i, v in enumerate(row)] for row in rows)
    if time_at:   # a time reads on one line
        rows = ([markupsafe.Markup('<span class="nw">{}</span>').format(shown(v)) if i in time_at and shown(v) else v
                 for i, v in enumerate(row)] for row in rows)
    return {"columns": _zoned(cols, tz) if tz is not None else cols, "rows": list(rows), "classes": classes,
            "ids": ids}


def _link(anchor: str, text: str) -> markupsafe.Markup:
    return markupsafe.Markup('<a href="#{}">{}</a>').format(anchor, text)


def _signed(seconds: Any) -> str:
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(s) else f"{s:+.3f}"


def _lookups(data: ReportData, reveal: bool) -> dict[str, Any]:
    """What evidence rows name, as the page shows it (hosts and URLs masked): per flow and per event."""
    def build() -> dict[str, Any]:
        flow_ids, event_ids = _listed_ids(data)
        hits = tables.table(data, "Flows", reveal=reveal)
        hits = hits.loc[hits[b.FLOW_ID].isin(flow_ids)]
        hit_value = hits.dropna(subset=[b.PII_TYPE]).drop_duplicates([b.FLOW_ID, b.PII_TYPE]).set_index(
            [b.FLOW_ID, b.PII_TYPE])[b.value_header(reveal)]
        flows = hits.drop_duplicates(b.FLOW_ID).set_index(b.FLOW_ID)
        events = tables.table(data, "API events", reveal=reveal)
        events = events.loc[events[b.EVENT_ID].isin(event_ids)].drop_duplicates(b.EVENT_ID).set_index(b.EVENT_ID)
        flow_what = (flows[b.METHOD].fillna("").astype(str) + " " + flows[b.URL].fillna("").astype(str)).str.strip()
        event_what = events[b.API].where(events[b.API].notna(), events[b.KIND]).astype("object")
        return {"flow_what": flow_what.to_dict(), "hit_value": hit_value.to_dict(), "flow_ts": flows[b.EPOCH].to_dict(),
                "flow_sdk": flows[b.ATTRIBUTED_SDK].to_dict(),
                "event_what": event_what.to_dict(), "event_ts": events[b.EPOCH].to_dict(),
                "event_sdk": events[b.CALLER_SDK].to_dict(),
                "event_kind": events[b.KIND].to_dict()}
    return data.cached(f"page_lookups:{reveal}", build)


def _listed_ids(data: ReportData) -> tuple[set[Any], set[int]]:
    """The flow and event ids the findings' evidence tables can list (`_evidence`): each finding's
    stored rows, then its first ids, as many as a table shows."""
    flows: set[Any] = set()
    events: set[int] = set()
    def column(name: str) -> list[Any]:
        return data.findings[name].tolist() if name in data.findings else [None] * len(data.findings)

    as_list = lambda ids: list(ids) if isinstance(ids, (list, tuple)) else []   # noqa: E731
    for detail, flow_ids, event_ids in zip(column("detail"), column("flow_ids"), column("event_ids")):
        stored = [r for r in (detail.get("evidence") or []) if isinstance(r, dict)] if isinstance(detail, dict) else []
        flows.update(r["flow_id"] for r in stored if r.get("flow_id") is not None)
        events.update(int(r["event_id"]) for r in stored if r.get("event_id") is not None)
        enough = MAX_EVIDENCE_ROWS + len(stored)
        flows.update(as_list(flow_ids)[:enough])
        events.update(int(e) for e in as_list(event_ids)[:enough])
    return flows, events


def _consent_moment(data: ReportData) -> tuple[float | None, str]:
    """The moment Δt is counted from, and the header saying which: the agreement, else the refusal."""
    c = data.consent
    if c.status == "accepted" and c.ts is not None:
        return c.ts, b.DT_CONSENT
    if c.declined_ts is not None:
        return c.declined_ts, b.DT_REFUSAL
    return None, b.DT_CONSENT


def _evidence(rec: dict[str, Any], detail: dict[str, Any], data: ReportData, reveal: bool,
              hosts: Any) -> tuple[dict[str, Any] | None, int, list[float]]:
    """The finding's evidence rows (role, time, Δt, row, what, PII type, actor, value), how many more exist,
    and the rows' times."""
    look = _lookups(data, reveal)
    rows = list(detail.get("evidence") or [])
    # the finding's other flows and events (the stored rows are its first few): by id, up to the cap
    seen_flows = {r.get("flow_id") for r in rows}
    seen_events = {int(r["event_id"]) for r in rows if r.get("event_id") is not None}
    pii = rec.get("pii_type") if isinstance(rec.get("pii_type"), str) else None
    label = pii_label(pii) if pii else None
    more_flows = ({"role": "send", "flow_id": f, "pii_type": pii,
                   "value_shown": look["hit_value"].get((f, label)) if pii else None}
                  for f in rec["flow_ids"] if f not in seen_flows)
    more_events = ({"role": "event", "event_id": e} for e in rec["event_ids"] if int(e) not in seen_events)
    # only the rows the page lists are made: a finding may cite 10^5 flows
    rows = rows[:MAX_EVIDENCE_ROWS] + list(itertools.islice(itertools.chain(more_flows, more_events),
                                                             max(MAX_EVIDENCE_ROWS - len(rows), 0)))
    moment, dt_header = _consent_moment(data)
    out = []
    for r in rows:
        flow, event = r.get("flow_id"), r.get("event_id")
        if flow is not None:
            short = str(flow) if len(str(flow)) <= 12 else f"{str(flow)[:8]}…"   # a UUID: its start; the link has it all
            source, what = _link(f"flow-{flow}", f"flow {short}"), hosts(look["flow_what"].get(flow, ""))
            ts, actor = r.get("ts", look["flow_ts"].get(flow)), look["flow_sdk"].get(flow)
        elif event is not None:
            event = int(event)
            source, what = _link(f"event-{event}", f"event {event}"), look["event_what"].get(event, "")
            ts, actor = r.get("ts", look["event_ts"].get(event)), look["event_sdk"].get(event)
        else:
            source = f"observation {r['observation_id']}" if r.get("observation_id") is not None else ""
            what, ts, actor = r.get("documented_field") or "", r.get("ts"), None
        dt_s = r.get("dt_s")
        if dt_s is None and moment is not None and ts is not None and r.get("role") != "manifest":
            dt_s = float(ts) - moment
        if (flow is not None or event is not None) and not isinstance(actor, str):
            actor = sdk_label(None)   # no SDK on the stack or attributed: the app itself
        timed = r.get("role") != "manifest" and ts is not None   # a manifest entry has no moment of its own
        out.append((b.ROLES.get(r.get("role"), r.get("role")), iso_one(ts, data.tz) if timed else "",
                    float(ts) if timed else None, _signed(dt_s), source, what,
                    pii_label(r["pii_type"]) if r.get("pii_type") else "", actor, r.get("value_shown") or ""))
    frame = pd.DataFrame(out, columns=[b.ROLE, b.TIME, b.EPOCH, dt_header, b.SOURCE_ROW, b.WHAT_ROW, b.PII_TYPE,
                                       b.ACTOR, b.VALUE_MASKED])
    every = {("f", f) for f in rec["flow_ids"]} | {("e", int(e)) for e in rec["event_ids"]}
    listed = {("f", r["flow_id"]) for r in rows if r.get("flow_id") is not None} | {
        ("e", int(r["event_id"])) for r in rows if r.get("event_id") is not None}
    more = len(every - listed)
    return (_table(frame, tz=data.tz) if not frame.empty else None), more, frame[b.EPOCH].dropna().tolist()


def _screenshots(detail: dict[str, Any], data: ReportData) -> list[dict[str, Any]]:
    """The tester's screenshots that prove the finding, embedded as data: URIs (the page stands alone)."""
    out = []
    for o in detail.get("tester_observations") or []:
        name = o.get("screenshot")
        if not name:
            continue
        path = data.session_dir / Path(name).name
        mime = IMAGE_TYPES.get(path.suffix.lower())
        src = None
        if mime and path.is_file() and path.stat().st_size <= MAX_SCREENSHOT_BYTES:
            src = f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"
        caption = " ".join(str(p) for p in (o.get("label") or o.get("kind"), o.get("place") and f"@ {o['place']}",
                                            iso_one(o.get("ts"), data.tz), name,
                                            f"sha256 {o.get('screenshot_sha256')}") if p)
        out.append({"src": src, "caption": caption})
    return out


def _finding(rec: dict[str, Any], rule: dict[str, Any], data: ReportData, reveal: bool, hosts: Any) -> dict[str, Any]:
    detail = hosts(rec.get("detail") or {})
    facts = [SEVERITY.get(rec["severity"], rec["severity"]), pii_label(rec["pii_type"]),
             f"SDK: {sdk_label(rec['sdk'])}", hosts(rec["host"]), f"{b.FIRST}: {iso_one(rec['first_ts'], data.tz)}"]
    evidence, more, times = _evidence(rec, detail, data, reveal, hosts)
    shots = _shots(data)
    moment = [shots.thumb(c) for c in screens.of_moments(data.session, [rec.get("first_ts"), *times])]
    return {
        "id": rec["id"], "rule_id": rec["rule_id"], "severity": rec["severity"],
        "category": rec.get("category") or categories.DEFAULT,
        "title_zh": rule.get("title_zh"), "title_en": rule.get("title_en"),
        "facts": " · ".join(clean_text(f) for f in facts if isinstance(f, str) and f),
        "basis": rule.get("legal_basis", []),
        "sentences": [link_sentences(link, data.tz) for link in detail.get("links") or []][:tables.MAX_SENTENCES],
        "notes": finding_notes(detail),
        # a country from the DB-IP database: its licence (CC BY 4.0) asks for a link on the page
        "geo_attribution": bool(detail.get("geo_source")),
        "evidence": evidence, "more": b.MORE_EVIDENCE.format(n=more) if more else None,
        "screenshots": _screenshots(detail, data),
        "moment_screens": markupsafe.Markup("").join(moment) if moment else None,
    }


class _Shots:
    """The UI automation's captures as the page shows them: each PNG embedded once (a CSS class with
    a data: URI background) within MAX_SCREENS_BYTES, every thumbnail a link to the full-size file."""

    def __init__(self, data: ReportData):
        self.data = data
        self.all = screens.captures(data.session)
        path_ids = {s["id"] for st in screens.steps(data.session, consent_path=True) for s in st["screens"]}
        order = sorted(self.all, key=lambda s: (s["id"] not in path_ids, s["ts"]))
        self.images: dict[str, str] = {}        # class (the bytes' SHA-256, 16 hex) -> base64 of the PNG
        self.embedded: dict[int, str] = {}      # capture id -> its class; the same picture is embedded once
        used = 0
        for s in order:
            p = data.session_dir / s["file"] if s["present"] else None
            if p is None or s.get("kind") != "png" or p.stat().st_size > MAX_SCREENS_BYTES:
                continue
            if used + p.stat().st_size > MAX_SCREENS_BYTES and f"cap-{str(s.get('sha256'))[:16]}" not in self.images:
                continue    # beyond the page's budget and not a picture already embedded: not read
            data_bytes = p.read_bytes()
            if data_bytes[:8] != b"\x89PNG\r\n\x1a\n":     # only a PNG is shown as one
                continue
            cls = "cap-" + hashlib.sha256(data_bytes).hexdigest()[:16]
            if cls not in self.images:
                if used + len(data_bytes) > MAX_SCREENS_BYTES:
                    continue
                used += len(data_bytes)
                self.images[cls] = base64.b64encode(data_bytes).decode()
            self.embedded[int(s["id"])] = cls
        self.left_out = sum(1 for s in self.all if s["present"] and s.get("kind") == "png"
                            and int(s["id"]) not in self.embedded)

    def css(self) -> markupsafe.Markup:
        return markupsafe.Markup("\n".join(f".{cls}{{background-image:url(data:image/png;base64,{b64})}}"
                                            for cls, b64 in self.images.items()))

    def thumb(self, s: dict[str, Any]) -> markupsafe.Markup:
        caption = screens.caption(s, self.data.tz, lambda c: b.value_label("screen_cause", c))
        name = str(s.get("file"))
        if not s["safe"] or not s["present"]:
            return markupsafe.Markup('<span class="thumb missing" title="{}">{}<br>{}</span>').format(
                caption, name, b.SCREEN_MISSING)
        box = ""
        if int(s["id"]) in self.embedded:
            w, h = s.get("width"), s.get("height")
            ratio = f"{int(w)}/{int(h)}" if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0 else "9/20"
            box = markupsafe.Markup('<span class="cap {}" style="aspect-ratio:{}"></span>').format(
                self.embedded[int(s["id"])], ratio)
        offset = s.get("offset_s")
        label = name.rsplit("/", 1)[-1] + (f" ({offset:+.2f} s)" if isinstance(offset, float) else "")
        return markupsafe.Markup('<a class="thumb" href="{}" title="{}">{}<span>{}</span></a>').format(
            name, caption, box, label)

    def thumbs(self, shots: list[dict[str, Any]]) -> markupsafe.Markup:
        return markupsafe.Markup('<span class="thumbs">{}</span>').format(
            markupsafe.Markup("").join(self.thumb(s) for s in shots)) if shots else markupsafe.Markup("")


def _shots(data: ReportData) -> _Shots:
    return data.cached("page_shots", lambda: _Shots(data))


def _step_what(step: dict[str, Any], targets: dict[int, Any]) -> tuple[str, str]:
    """(what was done, why) of one step of the automation's run."""
    a = step["action"]
    if a is None:
        return b.value_label("screen_cause", step["screens"][0].get("cause")), ""
    what = str(b.value_label("ui_action", a.get("action")))
    target = targets.get(int(a["id"]))
    if isinstance(target, str) and target:
        what += f" “{target}”"
    if a.get("target_class"):
        what += f" ({a['target_class']})"
    if a.get("x") is not None and a.get("y") is not None:
        what += f" @ ({a['x']}, {a['y']})"
    return what, str(b.value_label("ui_purpose", a.get("purpose")))


def _automation(data: ReportData, reveal: bool) -> dict[str, Any]:
    """The consent path for the summary's consent box, and the whole run for the appendix."""
    shots = _shots(data)
    table = tables.table(data, b.UI_ACTIONS_SHEET, reveal=reveal)
    targets = dict(zip(table[b.UI_ACTION_ID].tolist(), table[b.UI_TARGET].tolist()))
    details = dict(zip(table[b.UI_ACTION_ID].tolist(), table[b.DETAIL].tolist()))
    given = tables.consent_given(data)
    path = []
    for st in screens.steps(data.session, consent_path=True):
        what, why = _step_what(st, targets)
        path.append({"time": iso_one(st["ts"], data.tz), "what": what, "why": why, "thumbs": shots.thumbs(st["screens"])})
    rows = []
    for st in screens.steps(data.session):
        what, why = _step_what(st, targets)
        detail = details.get(int(st["action"]["id"])) if st["action"] else None
        rows.append((st["n"], iso_one(st["ts"], data.tz), st["ts"], what, why, detail, shots.thumbs(st["screens"])))
    frame = pd.DataFrame(rows, columns=[b.STEP, b.TIME, b.EPOCH, b.UI_ACTION, b.UI_PURPOSE, b.DETAIL, b.SCREENSHOTS])
    return {"by": b.value_label("consent_by", given["by"]) if given["by"] else None, "path": path,
            "steps": _table(frame, tz=data.tz, ids=[f"ui-step-{n}" for n in frame[b.STEP]]) if rows else None,
            "css": shots.css(), "left_out": b.SCREENS_NOT_EMBEDDED.format(n=shots.left_out) if shots.left_out else None}


def _by_category(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings in groups, one per category in categories.ORDER: {key, label, findings}."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in sorted(findings, key=lambda f: categories.ORDER.get(f["category"], len(categories.ORDER))):
        groups.setdefault(f["category"], []).append(f)
    return [{"key": k, "label": categories.label(k), "findings": v} for k, v in groups.items()]


def counts(data: ReportData) -> pd.DataFrame:
    """Findings per category (every category, in categories.ORDER) and severity, with totals."""
    f = data.findings
    cat = f["category"].fillna(categories.DEFAULT) if "category" in f else pd.Series(dtype="object")
    grid = pd.crosstab(cat, f["severity"]) if not f.empty else pd.DataFrame()
    grid = grid.reindex(index=list(categories.CATEGORIES), columns=list(SEVERITIES), fill_value=0).fillna(0)
    grid = grid.astype("int64")
    frame = pd.DataFrame({b.CATEGORY: [categories.label(k) for k in grid.index],
                          **{SEVERITY[s]: grid[s].to_numpy() for s in SEVERITIES},
                          b.TOTAL: grid.sum(axis=1).to_numpy()})
    total = {b.CATEGORY: b.TOTAL, **{SEVERITY[s]: int(grid[s].sum()) for s in SEVERITIES},
             b.TOTAL: int(grid.to_numpy().sum())}
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)


def identity_items(data: ReportData) -> list[tuple[str, str]]:
    """Which app, who, when, where, with what: the summary's first rows (analysis.identityrows, as the
    workbook's first sheet has them) and the tool versions."""
    return [*identityrows.items(data), (b.VERSIONS, identityrows.versions_text(data.tools or {}))]


def _timeline_chart(data: ReportData, reveal: bool) -> timelinechart.Chart | None:
    t = data.timeline
    if t.empty:
        return None
    cls = timelinechart.mark_class(t["stream"], t["kind"])
    # the hover texts of the marks the chart draws only (at most timelinechart.MAX_MARKS)
    drawn = timelinechart.drawn_rows(t["ts"], cls)
    everything = t
    t = t.loc[drawn]
    shown_t = tables.table(data, "Timeline", reveal=reveal).loc[drawn.to_numpy()]
    shown_t.index = t.index
    actor = shown_t[b.ACTOR].where(t["sdk"].notna() & t["sdk"].ne("None"))
    # as objects first: a column no drawn row fills is float NaN, which "" may not fill
    pii, what, value, times = (shown_t[c].astype("object").fillna("")
                               for c in (b.PII_TYPE, b.API_OR_URL, b.value_header(reveal), b.TIME))
    moment, _ = _consent_moment(data)
    dt = (t["ts"] - moment).map(_signed) if moment is not None else pd.Series("", index=t.index)
    title = (times + " · " + t["kind"].astype(str) + " " + pii + " · " + what.astype(str).str.slice(0, 160)
             + " · " + actor.fillna(b.APP) + (" · " + value.astype(str)).where(value.ne(""), "")
             + (" · Δt " + dt + " s").where(dt.ne(""), ""))
    anchor = ("event-" + t["event_id"].astype("string")).where(t["event_id"].notna(),
                                                               ("flow-" + t["flow_id"].astype("string")))
    anchor = anchor.where(t["stream"].ne("consent"))
    rows = pd.DataFrame({"ts": everything["ts"], "cls": cls, "actor": actor, "title": title, "anchor": anchor})
    c = data.consent
    return timelinechart.chart(rows, consent_ts=c.ts if c.status == "accepted" else None,
                               declined_ts=c.declined_ts, tz=data.tz, lane_app=b.both("应用本身", "the app itself"))


def _appendix_flows(data: ReportData, reveal: bool) -> dict[str, Any] | None:
    flows = tables.table(data, "Flows", reveal=reveal)
    if flows.empty:
        return None
    flows = flows.head(MAX_APPENDIX_ROWS)
    ids = flows[b.FLOW_ID].astype(str)
    first = ~ids.duplicated()
    frame = flows[[b.value_header(reveal) if c is VALUE else c for c in FLOW_COLUMNS]]
    return _table(frame, tz=data.tz, ids=("flow-" + ids).where(first, None).tolist())


def _appendix_events(data: ReportData, reveal: bool) -> dict[str, Any] | None:
    events = tables.table(data, "API events", reveal=reveal)
    if events.empty:
        return None
    events = events.head(MAX_APPENDIX_ROWS)
    frame = events[[b.value_header(reveal) if c is VALUE else c for c in EVENT_COLUMNS]]
    return _table(frame, tz=data.tz, pre=(b.STACK,), ids=("event-" + events[b.EVENT_ID].astype(str)).tolist())


def _manifest(data: ReportData) -> dict[str, Any]:
    # The recorded files as the manifest had them when this report began; the report's own outputs
    # (this page among them) are hashed in the manifest written after them (report.pdf's footer names it).
    artifacts = {k: v for k, v in ((data.manifest or {}).get("artifacts") or {}).items() if k not in REPORT_OUTPUTS}
    files = pd.DataFrame([(name, rec.get("sha256"), rec.get("bytes")) for name, rec in artifacts.items()],
                         columns=[b.FILE, "SHA-256", b.BYTES])
    app = app_manifest(data)
    perms = [p.get("name") if isinstance(p, dict) else str(p) for p in app.get("permissions") or []]
    comps = app.get("components") or {}
    app_rows = [(b.PERMISSIONS_DECLARED, "\n".join(perms) or "—")]
    app_rows += [(f"{b.COMPONENTS}: {kind}", "\n".join(names)) for kind, names in comps.items() if names]
    return {"files": _table(files) if not files.empty else None,
            "app": _table(pd.DataFrame(app_rows, columns=[b.ITEM, b.VALUE]), pre=(b.VALUE,)) if app else None}


def app_manifest(data: ReportData) -> dict[str, Any]:
    """The app's manifest as stored with the session (meta app_manifest), read once per report."""
    from piiaudit import apk

    return data.cached("app_manifest", lambda: apk.stored(data.session.store) or {})


def render(data: ReportData, *, reveal: bool = False) -> str:
    rules = {r["id"]: r for r in data.rules}
    hooks = tables.table(data, "Hooks", reveal=reveal)
    sent_by_sdk = tables.table(data, b.SENT_BY_SDK_SHEET, reveal=reveal)
    hosts = tables.host_masker(data, reveal)
    chart = _timeline_chart(data, reveal)
    c = data.consent
    return _template().render(
        L=b, session=data.session_dir.name, zone=zone_label(data.tz),
        consent_status=c.status, consent_text=c.describe(data.tz),
        consent_notice=None if c.status == "accepted" else c.describe(data.tz),
        state_notices=[*sessionstate.of(data).partial_lines(data.tz), *sessionstate.of(data).accepted_lines(data.tz)],
        identity=_table(pd.DataFrame(identity_items(data), columns=[b.ITEM, b.VALUE])),
        counts=_table(counts(data), folds=False),
        summary=_table(pd.DataFrame(tables.summary_items(data, reveal=reveal), columns=[b.ITEM, b.VALUE]),
                       pre=(b.VALUE,)),
        per_rule=_table(tables.rule_counts(data)),
        findings=_by_category([_finding(rec, rules.get(rec["rule_id"], {}), data, reveal, hosts)
                               for rec in data.findings.to_dict("records")]),
        result=tables.result(data),
        chart=chart, legend=timelinechart.legend(),
        chart_left_out=b.CHART_LEFT_OUT.format(n=chart.left_out) if chart and chart.left_out else None,
        hooks=_table(hooks[HOOK_COLUMNS], tz=data.tz) if not hooks.empty else None, hooks_count=len(hooks),
        sent_by_sdk=_table(sent_by_sdk, tz=data.tz) if not sent_by_sdk.empty else None,
        flows=_appendix_flows(data, reveal), events=_appendix_events(data, reveal),
        flows_count=len(tables.table(data, "Flows", reveal=reveal)),
        events_count=len(tables.table(data, "API events", reveal=reveal)),
        max_rows=MAX_APPENDIX_ROWS, manifest=_manifest(data), automation=_automation(data, reveal),
        thumb_width=THUMB_WIDTH,
        rows_text=b.ROWS,
    )


def write(data: ReportData, path: Path, *, reveal: bool = False) -> None:
    page = render(data, reveal=reveal)
    with sessiondir.replacing(path) as tmp:
        tmp.write_text(page, "utf-8")
