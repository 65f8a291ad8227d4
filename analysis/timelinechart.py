"""The page's timeline as a chart: one inline SVG, drawn here in Python, with no script.

One lane per actor (the app itself first, then each SDK in the order it first acts); time
runs left to right on one axis whose ticks are read in the report's zone (named on the axis).
The consent moment is a vertical line (the agreement solid green, a refusal dashed red).
Marks: a PII read is a blue circle, a PII send a red triangle, a permission prompt (request,
rationale, result, check) an amber diamond, a request without PII a grey square, any other
hook event (dialog, tap, launch, ...) a short grey bar. Each mark carries an SVG ``<title>``
(the browser names it on hover, no script needed) and links to its row in the page's
appendix (``#event-N``, ``#flow-N``).

`chart(marks, ...)` takes the rows already shown on the page (values masked there), so
nothing here reads a raw value. At most `MAX_MARKS` marks are drawn: reads, sends and
permission prompts first; the chart says how many it left out.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import markupsafe
import pandas as pd

from analysis import bilingual as b
from piiaudit.times import iso_one, zone_label

MAX_MARKS = 4_000
WIDTH = 1300                 # the SVG's own units; it is drawn at the page's width (viewBox)
LABEL_W = 215                # the lanes' names, left of the plot
LANE_CHARS = 32             # a longer actor name is cut (the whole name on hover)
LANE_H = 34
TOP, BOTTOM = 44, 46         # the consent label above; the axis and its ticks below
PERMISSION_KINDS = ("permission_request", "permission_result", "permission_rationale", "permission_check")
SHAPES = {"read": "#1f6fc5", "send": "#c00000", "permission": "#e69500", "request": "#888888", "event": "#9a9a9a"}
_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
          3600, 7200, 10800, 21600, 43200, 86400)


@dataclass(frozen=True)
class Chart:
    svg: markupsafe.Markup
    lanes: int
    marks: int
    left_out: int


def mark_class(stream: pd.Series, kind: pd.Series) -> pd.Series:
    """read | send | permission | request | event | consent, per timeline row."""
    out = pd.Series("event", index=kind.index, dtype="object")
    out = out.mask(stream.eq("flow"), "request")
    out = out.mask(stream.eq("flow") & kind.eq("pii_sent"), "send")
    out = out.mask(kind.eq("pii_read"), "read")
    out = out.mask(kind.isin(PERMISSION_KINDS), "permission")
    return out.mask(stream.eq("consent"), "consent")


def _step(span: float, room: int) -> float:
    """A tick step in seconds that gives at most `room` ticks over `span` seconds."""
    return next((s for s in _STEPS if span / s <= room), _STEPS[-1] * math.ceil(span / (_STEPS[-1] * room)))


def _tick_text(ts: float, step: float, tz: dt.tzinfo) -> str:
    text = iso_one(ts, tz)[11:23]                  # HH:MM:SS.mmm of the zone
    return text if step < 1 else text[:8] if step < 86400 else iso_one(ts, tz)[:10]


def _esc(value: Any) -> str:
    return str(markupsafe.escape("" if value is None else value))


def drawn_rows(ts: pd.Series, cls: pd.Series) -> pd.Series:
    """Which timeline rows `chart` draws (a boolean per row): all but the consent rows and rows
    without a time, at most MAX_MARKS of them, reads, sends and permission prompts first. The
    page builds the hover texts of these rows only."""
    drawn = cls.ne("consent") & ts.notna()
    if int(drawn.sum()) > MAX_MARKS:
        rank = cls.loc[drawn].map({"read": 0, "send": 0, "permission": 0, "request": 1, "event": 2})
        drawn = drawn & cls.index.isin(rank.sort_values(kind="stable").index[:MAX_MARKS])
    return drawn


def chart(rows: pd.DataFrame, *, consent_ts: float | None, declined_ts: float | None, tz: dt.tzinfo,
          lane_app: str) -> Chart:
    """`rows`: one per timeline row, columns ts, cls (mark_class), actor (label; missing = the app),
    title (the hover text) and anchor (an id on the page, or missing)."""
    shown = drawn_rows(rows["ts"], rows["cls"])
    left_out = int((rows["cls"].ne("consent") & rows["ts"].notna()).sum()) - int(shown.sum())
    drawn = rows.loc[shown]
    actor = drawn["actor"].fillna(lane_app)
    lanes = [lane_app] + [a for a in pd.unique(actor) if a != lane_app]
    moments = [t for t in (consent_ts, declined_ts) if t is not None]
    times = pd.concat([drawn["ts"], pd.Series(moments, dtype="float64")])
    t0, t1 = (float(times.min()), float(times.max())) if not times.empty else (0.0, 1.0)
    if t1 - t0 < 1e-3:
        t0, t1 = t0 - 0.5, t1 + 0.5
    pad = (t1 - t0) * 0.02
    t0, t1 = t0 - pad, t1 + pad
    plot_w = WIDTH - LABEL_W - 20
    height = TOP + LANE_H * len(lanes) + BOTTOM

    def x(ts: float) -> float:
        return LABEL_W + (ts - t0) / (t1 - t0) * plot_w

    out = [f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
           f'xmlns="http://www.w3.org/2000/svg" font-size="12">',
           f'<title>{_esc(b.TIMELINE_HEADING)}</title>']
    for i, lane in enumerate(lanes):
        y = TOP + i * LANE_H
        out.append(f'<rect x="0" y="{y}" width="{WIDTH}" height="{LANE_H}" fill="{"#f6f8fb" if i % 2 else "#fff"}"/>')
        short = lane if len(lane) <= LANE_CHARS else lane[:LANE_CHARS - 1] + "…"
        out.append(f'<text class="lane" x="6" y="{y + LANE_H / 2 + 4:.1f}"><title>{_esc(lane)}</title>{_esc(short)}</text>')
    # ticks in the report's zone
    step = _step(t1 - t0, 10)
    first = math.ceil(t0 / step) * step
    axis_y = TOP + LANE_H * len(lanes)
    out.append(f'<line x1="{LABEL_W}" y1="{axis_y}" x2="{LABEL_W + plot_w}" y2="{axis_y}" stroke="#555"/>')
    tick = first
    while tick <= t1:
        tx = x(tick)
        out.append(f'<line x1="{tx:.1f}" y1="{TOP}" x2="{tx:.1f}" y2="{axis_y + 4}" stroke="#dde"/>')
        out.append(f'<text x="{tx:.1f}" y="{axis_y + 17}" text-anchor="middle">{_esc(_tick_text(tick, step, tz))}'
                   f'</text>')
        tick += step
    out.append(f'<text x="{LABEL_W + plot_w}" y="{axis_y + 36}" text-anchor="end">'
               f'{_esc(b.both("时间", "Time"))} ({_esc(zone_label(tz))}) — {_esc(iso_one(t0 + pad, tz)[:10])}</text>')
    # the consent decision
    for ts, colour, dash, words in ((consent_ts, "#2e8b3a", "", b.CHART_CONSENT),
                                    (declined_ts, "#c00000", ' stroke-dasharray="6 4"', b.CHART_DECLINED)):
        if ts is None:
            continue
        cx = x(ts)
        anchor = "end" if cx > LABEL_W + plot_w * 0.8 else "start"
        label = f"{words} {iso_one(ts, tz)[11:23]}"
        out.append(f'<g class="consent"><title>{_esc(words)} {_esc(iso_one(ts, tz))}</title>'
                   f'<line x1="{cx:.1f}" y1="{TOP - 26}" x2="{cx:.1f}" y2="{axis_y}" stroke="{colour}" '
                   f'stroke-width="2.5"{dash}/>'
                   f'<text x="{cx + (4 if anchor == "start" else -4):.1f}" y="{TOP - 14}" text-anchor="{anchor}" '
                   f'fill="{colour}" font-weight="bold">{_esc(label)}</text></g>')
    lane_of = {lane: i for i, lane in enumerate(lanes)}
    for ts, cls, act, title, anchor in zip(drawn["ts"], drawn["cls"], actor, drawn["title"], drawn["anchor"]):
        cx, cy = x(float(ts)), TOP + lane_of[act] * LANE_H + LANE_H / 2
        colour = SHAPES[cls]
        if cls == "read":
            shape = f'<circle cx="{cx:.1f}" cy="{cy - 6:.1f}" r="5" fill="{colour}"/>'
        elif cls == "send":
            shape = (f'<polygon points="{cx - 6:.1f},{cy + 12:.1f} {cx + 6:.1f},{cy + 12:.1f} {cx:.1f},{cy + 1:.1f}" '
                     f'fill="{colour}"/>')
        elif cls == "permission":
            shape = (f'<polygon points="{cx:.1f},{cy - 7:.1f} {cx + 7:.1f},{cy:.1f} {cx:.1f},{cy + 7:.1f} '
                     f'{cx - 7:.1f},{cy:.1f}" fill="{colour}"/>')
        elif cls == "request":
            shape = f'<rect x="{cx - 4:.1f}" y="{cy + 3:.1f}" width="8" height="8" fill="{colour}"/>'
        else:
            shape = f'<rect x="{cx - 1.5:.1f}" y="{cy - 10:.1f}" width="3" height="20" fill="{colour}"/>'
        body = f'<g class="mark {cls}"><title>{_esc(title)}</title>{shape}</g>'
        if isinstance(anchor, str) and anchor:
            body = f'<a href="#{_esc(anchor)}">{body}</a>'
        out.append(body)
    out.append("</svg>")
    return Chart(markupsafe.Markup("".join(out)), len(lanes), len(drawn), left_out)


_ICONS = {
    "read": '<circle cx="7" cy="7" r="5" fill="{c}"/>',
    "send": '<polygon points="1,13 13,13 7,2" fill="{c}"/>',
    "permission": '<polygon points="7,0 14,7 7,14 0,7" fill="{c}"/>',
    "request": '<rect x="3" y="3" width="8" height="8" fill="{c}"/>',
    "event": '<rect x="5.5" y="0" width="3" height="14" fill="{c}"/>',
}


def legend() -> list[tuple[str, markupsafe.Markup, str]]:
    """(class, icon, words) of each kind of mark, for the legend under the chart: the icon is the mark's shape."""
    words = {"read": b.CHART_READ, "send": b.CHART_SEND, "permission": b.CHART_PERMISSION,
             "request": b.CHART_REQUEST, "event": b.CHART_EVENT}
    return [(cls, markupsafe.Markup('<svg width="14" height="14" viewBox="0 0 14 14">'
                                    + _ICONS[cls].format(c=SHAPES[cls]) + "</svg>"), words[cls]) for cls in words]
