"""evidence.xlsx: Summary, Findings, Evidence links, SDK发送的数据 (Sent by SDK), Flows, API events,
Timeline, UI actions, Screens, Hooks, Accounting, Manifest.

XlsxWriter in constant-memory mode (rows streamed in order, so memory stays bounded however
large the session) with every string written as a string: the options that would turn text
into formulas, links or numbers are off, and cells are written with explicit
``write_string``/``write_number`` calls, so a value like ``=HYPERLINK(...)`` from traffic
stays inert text. The only links are ones the workbook builds itself (``analysis.wblinks``):
internal ones from sheet names and row numbers, each finding to its flow and event rows and
back, and on the UI actions and Screens sheets links to the capture files in the session's
screens/ folder (relative to the workbook, for file names the automation writes only), at
most `MAX_LINKS` per sheet (Excel's limit). Findings rows are filled by severity
(legend on the Summary sheet); every table sheet has its header frozen and an autofilter.
The Manifest sheet lists manifest.json as the report read it: artifacts with SHA-256,
versions, and the app's identity. A table longer than Excel's 1,048,576 rows keeps its first
rows on its sheet and goes whole to a CSV beside the workbook (``evidence-timeline.csv``,
...), which the Summary sheet names. The file is written beside the target and renamed into
place, so a failed run never leaves half a workbook.

A table sheet's rows are made as sheet XML a column at a time (``analysis.sheetrows``), the
bytes XlsxWriter's own per-cell calls would write; the zip is written at zlib level 1
(`ZIP_LEVEL`). docs/report-scale.md has the figures.
"""

from __future__ import annotations

import functools
import math
import os
import re
import shutil
import sys
from numbers import Number
from pathlib import Path
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.url import Url, UrlTypes
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from analysis import bilingual as b
from analysis import identityrows, sheetrows, tables, wblinks
from analysis.labels import SEVERITY, YES_NO, clean_text
from analysis.reportdata import ReportData
from piiaudit import apk as apk_mod
from piiaudit import sessiondir
from piiaudit.times import iso_one

EXCEL_MAX_ROWS = 1_048_576
MAX_CELL_CHARS = 32_767
FLUSH_ROWS = 10_000              # rows of sheet XML held before they go to the sheet's file
MAX_LINKS = 65_530                  # Excel's hyperlinks per worksheet
SEVERITY_FILLS = {"high": "#F4B6B6", "medium": "#FAD7A8", "low": "#D9EAD3"}
CONSENT_FILL = "#FFE699"
LINK_COLOR = "#0563C1"
ZIP_LEVEL = 1                       # zlib level of the xlsx: 4x faster than the default 6, about 25 % larger
SAFE_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                "strings_to_numbers": False}
DEFAULT_WIDTH = 16
WIDTHS = {
    b.TIME: 30, b.EPOCH: 17, b.URL: 60, b.API: 48, b.API_OR_URL: 60, b.VALUE_SHA: 66, b.REQUEST_SHA: 66,
    b.RESPONSE_SHA: 66, b.FLOW_ID: 38, b.LEGAL_BASIS: 70, b.READ_SENT: 80, b.NOTES: 50, b.TITLE_ZH: 40,
    b.TITLE_EN: 44, b.PII_TYPE: 30, b.ACTOR: 26, b.ATTRIBUTED_SDK: 26, b.CALLER_SDK: 26, b.HOST: 26, b.STACK: 70,
    b.DETAIL: 50, b.FLOW_IDS: 40, b.EVENT_IDS: 18, b.FIRST_TIME: 30, b.LOCATION: 28, b.OVERLOAD: 70, b.CLASS: 40,
    b.LIVE_AT: 30, b.ERROR: 40, b.PROCESS: 28, b.SDK: 26, b.ENDPOINT: 16, b.DATA_KIND: 30, b.FIELD: 40,
    b.FIELD_SOURCE: 60, b.DT_CONSENT: 14, b.CITED_BY: 18, b.EVIDENCE_LINKS: 20, b.EVIDENCE_ID: 38,
    b.EVIDENCE_KIND: 12, b.FINDING: 10, b.SECTION: 18, b.FIELD_NAME: 30, b.MANIFEST_VALUE: 80,
    b.UI_TARGET: 30, b.UI_TARGET_ID: 44, b.SCREEN_FILE: 32, b.SHA256: 66, b.UI_PURPOSE: 26, b.SCREEN_CAUSE: 18,
    b.STREAM: 18, b.KIND: 20, b.STATUS: 18, b.DIRECTION: 14, b.MATCH_SOURCE: 26, b.PARTY: 16,
}
WRAPPED = {b.LEGAL_BASIS, b.READ_SENT, b.NOTES, b.STACK, b.FLOW_IDS, b.DETAIL, b.MANIFEST_VALUE}
EPOCH_COLUMNS = {b.EPOCH, b.FIRST_EPOCH, b.LIVE_EPOCH}


_KINDS = {"wrap": {"text_wrap": True, "valign": "top"}, "top": {"valign": "top"},
          "epoch": {"num_format": "0.000", "valign": "top"}}


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb = wb
        self._made: dict[tuple[str, str | None, bool], Any] = {}
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "top"})
        self.wrap = self.get("wrap")
        self.top = self.get("top")
        self.epoch = self.get("epoch")
        self.section = wb.add_format({"bold": True, "font_size": 12})
        self.consent = wb.add_format({"bold": True, "bg_color": CONSENT_FILL, "valign": "top", "text_wrap": True})

    def get(self, kind: str, fill: str | None = None, link: bool = False):
        """A cell format: its kind (wrap, top, epoch), a fill (a severity), a link's look; made once."""
        made = self._made
        key = (kind, fill, link)
        if key not in made:
            props = dict(_KINDS[kind])
            if fill:
                props["bg_color"] = SEVERITY_FILLS.get(fill, fill)
            if link:
                props.update({"font_color": LINK_COLOR, "underline": 1})
            made[key] = self.wb.add_format(props)
        return made[key]


def _url(target: str, text: str) -> str | Url:
    """An internal target as it is; a relative file link (``external:screens/…``) as a Url whose
    relationship target keeps its forward slashes: a relative URI reference, as OOXML's
    relationships hold, which Excel and LibreOffice resolve on every system (XlsxWriter would
    write Windows' backslashes)."""
    if not target.startswith("external:"):
        return target
    url = Url(target)
    url._relationship_link = target.removeprefix("external:")   # XlsxWriter 3.3: no public way to keep "/"
    url.text = text      # the cell's own text (a Url object does not take write_url's `string`)
    return url


def _link(target: str, text: str) -> Url:
    """The Url write_url would make of `target` showing `text`."""
    if target.startswith("internal:") and len(target) < 2000:
        return _internal_link(target, text)
    url = _url(target, text)
    if isinstance(url, str):
        url = Url(url)
        url._text = text
    return url


def _internal_link(target: str, text: str) -> Url:
    """``Url(target)`` for an ``internal:`` target, with `text` shown, without its parsing (about
    10 µs a link; a 10^5-row workbook holds over 10^5 links). XlsxWriter 3.3's own fields, set as
    its parser sets them for an internal link (tests/test_sheetrows.py compares the two)."""
    url = Url.__new__(Url)
    anchor = target.removeprefix("internal:")
    url.__dict__.update(_link_type=UrlTypes.INTERNAL, _original_url=target, _link=anchor,
                        _relationship_link="#" + anchor, _text=text, _tip="", _anchor=anchor,
                        _is_object_link=False, _rel_index=0)
    return url


def _register_links(ws, columns: list[str], cells: list[sheetrows.Cells], links: dict[str, list[str | None]],
                    n: int) -> dict[int, np.ndarray]:
    """Registers each linked cell with the sheet as write_url registers it: a text cell with a
    target, the first MAX_LINKS of the sheet row by row (Excel's limit). Returns column -> the
    rows whose cell is a link."""
    wanted = {}
    for c, col in enumerate(columns):
        targets = links.get(col)
        if targets is None or not cells[c].is_text:
            continue
        mask = np.zeros(n, dtype=bool)
        m = min(n, len(targets))
        mask[:m] = np.fromiter((t is not None for t in targets[:m]), dtype=bool, count=m)
        mask &= cells[c].present
        if mask.any():
            wanted[c] = mask
    if not wanted:
        return {}
    order = sorted(wanted)
    grid = np.column_stack([wanted[c] for c in order])
    flat = grid.ravel()                 # row by row, left to right: the order the limit counts in
    grid = (flat & (np.cumsum(flat) <= MAX_LINKS)).reshape(grid.shape)
    out = {}
    for j, c in enumerate(order):
        rows = np.flatnonzero(grid[:, j])
        if not len(rows):
            continue
        targets = links[columns[c]]
        # the shown text is the cell's own; the target is built from a sheet name and a row
        # number (analysis.wblinks), never from captured text
        kept = getattr(ws, "internal_links", None)
        for r, text in zip(rows.tolist(), cells[c].values(rows)):
            target = targets[r]
            if kept is not None and target.startswith("internal:"):
                kept.append((r + 1, c, target.removeprefix("internal:"), text))
            else:
                ws.hyperlinks[r + 1][c] = _link(target, text)
        ws.hlink_count += len(rows)
        out[c] = grid[:, j]
    return out


def _write_cell(ws, row: int, col: int, value: Any, fmt) -> None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        if fmt is not None:
            ws.write_blank(row, col, None, fmt)
        return
    if isinstance(value, bool):
        ws.write_string(row, col, YES_NO[value], fmt)
    elif isinstance(value, Number) and math.isfinite(float(value)):
        ws.write_number(row, col, float(value) if not isinstance(value, int) else int(value), fmt)
    else:
        text = clean_text(value)
        if len(text) > MAX_CELL_CHARS:
            text = text[: MAX_CELL_CHARS - 40] + b.TRUNCATED
        ws.write_string(row, col, text, fmt)


def _column_cells(column: pd.Series) -> tuple[list[Any], bool]:
    """(Python values with None for missing, is_text): the cells as the sheet shows them
    (analysis.sheetrows, vectorised)."""
    column_cells = sheetrows.cells(column)
    return column_cells.values(), column_cells.is_text


def _flush_rows(ws, xml: memoryview, first: int, next_row: int, n_columns: int) -> None:
    """Put rows made by `sheetrows.rows` (sheet rows `first` to `next_row` - 1, counted from 0)
    into the sheet's file: the row XlsxWriter still holds goes first, the sheet's dimensions
    take the new rows in, and XlsxWriter carries on after them. The rows are UTF-8 already:
    they go to the file under XlsxWriter's text stream, after what that stream holds."""
    ws._write_single_row(first)           # XlsxWriter's pending row, before ours
    ws._check_dimensions(next_row - 1, n_columns - 1)
    ws._check_dimensions(first, 0)
    ws.fh.flush()
    ws.fh.buffer.write(xml)
    ws.previous_row = next_row - 1


ROW_THREADS = 2   # threads making a sheet's XML, FLUSH_ROWS rows each at a time


def _made_in_order(make: Callable[[Any], Any], items: list[Any]) -> Iterator[Any]:
    """make(item) for each item, in order, made by ROW_THREADS threads at most ROW_THREADS ahead
    of the caller (memory stays bounded). The sheet XML is made by Arrow's compute functions,
    which release the interpreter: a second core makes the next rows while this thread writes
    the last ones. The sheet itself (XlsxWriter) is only ever touched by the caller's thread."""
    if len(items) < 2:
        yield from map(make, items)
        return
    with ThreadPoolExecutor(ROW_THREADS, thread_name_prefix="piiaudit-sheet-rows") as pool:
        pending: deque[Future] = deque()
        try:
            for item in items:
                pending.append(pool.submit(make, item))
                if len(pending) > ROW_THREADS:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:   # a failure here or in a thread: nothing more is started, the threads end
            for future in pending:
                future.cancel()


def _table_sheet(wb: xlsxwriter.Workbook, name: str, frame: pd.DataFrame, fmts: _Formats, *,
                 highlight: pd.Series | None = None, empty_note: str | None = None, tz: Any = None,
                 links: dict[str, list[str | None]] | None = None,
                 fills: list[str | None] | None = None) -> int:
    """One table per sheet: bilingual header, frozen, autofiltered. Returns rows left out.
    A table without rows shows `empty_note` under its header, when given. `links`: column ->
    an internal link per row (analysis.wblinks; a text cell only); `fills`: a severity per row."""
    ws = wb.add_worksheet(name)
    columns = list(frame.columns)
    kinds = []
    for i, col in enumerate(columns):
        kind = "epoch" if col in EPOCH_COLUMNS else "wrap" if col in WRAPPED else "top"
        ws.set_column(i, i, WIDTHS.get(col, DEFAULT_WIDTH), fmts.get(kind))
        kinds.append(kind)
    ws.set_row(0, 32)
    for i, col in enumerate(columns):
        ws.write_string(0, i, tables.header_text(col, tz), fmts.header)
    ws.freeze_panes(1, 0)
    shown = frame.iloc[: EXCEL_MAX_ROWS - 1]
    n = len(shown)
    # XlsxWriter's own per-cell path costs about 20 µs a cell (40 s for a 10^5-row workbook):
    # the rows are made as sheet XML a column at a time (analysis.sheetrows), byte for byte
    # as XlsxWriter writes them in constant-memory mode, and each link is registered with the
    # sheet as write_url registers it.
    cells = [sheetrows.cells(shown[col]) for col in columns]
    marks = np.zeros(n, dtype=bool)
    if highlight is not None:
        marks[: min(n, len(highlight))] = highlight.iloc[:n].fillna(False).to_numpy(dtype=bool)
    row_fills = [f if f in SEVERITY_FILLS else None for f in (list(fills[:n]) if fills is not None else [])]
    row_fills += [None] * (n - len(row_fills))
    # a row's style: (consent row, fill), numbered in the order rows show them, so formats are
    # made in the order XlsxWriter's own path would make them
    fill_names = [None, *SEVERITY_FILLS]
    code = marks.astype(np.int64) * len(fill_names) + np.array([fill_names.index(f) for f in row_fills], dtype=np.int64)
    used, first_seen = np.unique(code, return_index=True)
    used = used[np.argsort(first_seen)]
    rank = np.zeros(len(fill_names) * 2, dtype=np.int64)
    rank[used] = np.arange(len(used))
    row_rank = rank[code]
    xf_text: list[list[str]] = [[] for _ in columns]      # per column: the style of each used key, then linked
    link_text: list[list[str]] = [[] for _ in columns]
    for key in used.tolist():
        marked, fill = bool(key // len(fill_names)), fill_names[key % len(fill_names)]
        row_xf = [f._get_xf_index() for f in ([fmts.consent] * len(columns) if marked else
                                              [fmts.get(k, fill) for k in kinds])]
        link_xf = [fmts.get(k, fill, link=True)._get_xf_index() for k in kinds]
        for c in range(len(columns)):
            xf_text[c].append(str(row_xf[c]))
            link_text[c].append(str(link_xf[c]))
    linked = _register_links(ws, columns, cells, links or {}, n)
    styles = []
    for c in range(len(columns)):
        index = row_rank + (len(used) * linked[c] if c in linked else 0)
        styles.append(pa.array(xf_text[c] + link_text[c], type=sheetrows.TEXT).take(pa.array(index)))
    styled = marks | np.array([f is not None for f in row_fills], dtype=bool)
    letters = [xl_col_to_name(c) for c in range(len(columns))]

    def xml_of(span: tuple[int, int]) -> memoryview:
        start, stop = span
        return sheetrows.rows(cells, letters, [s.slice(start, stop - start) for s in styles], styled, start, stop)
    spans = [(start, min(start + FLUSH_ROWS, n)) for start in range(0, n, FLUSH_ROWS)]
    for (start, stop), xml in zip(spans, _made_in_order(xml_of, spans)):
        if len(xml):
            _flush_rows(ws, xml, start + 1, stop + 1, len(columns))
    if frame.empty and empty_note:
        ws.write_string(1, 0, empty_note, fmts.top)
    ws.autofilter(0, 0, max(len(shown), 1), max(len(columns) - 1, 0))
    return len(frame) - len(shown)


def _summary_sheet(wb: xlsxwriter.Workbook, data: ReportData, fmts: _Formats, reveal: bool,
                   left_out: dict[str, int], capped: list[str], moved: dict[str, str]) -> None:
    ws = wb.add_worksheet("Summary")
    for i, width in enumerate((34, 70, 50, 14, 12, 12, 50)):
        ws.set_column(i, i, width, fmts.wrap)
    ws.write_string(0, 0, b.ITEM, fmts.header)
    ws.write_string(0, 1, b.VALUE, fmts.header)
    ws.freeze_panes(1, 0)
    items = tables.summary_items(data, reveal=reveal)
    for name, n in left_out.items():
        if not n:
            continue
        if name in moved:
            shown = EXCEL_MAX_ROWS - 1
            items.append((b.ROWS_IN_CSV, f"{name}: {shown + n} rows, the first {shown} on this sheet; all of them in "
                                         f"{moved[name]} beside this workbook / {name} 共 {shown + n} 行，本表仅含前 "
                                         f"{shown} 行，全部行见同目录下的 {moved[name]}"))
        else:
            items.append((b.ROWS_LEFT_OUT, f"{name}: {n} rows beyond the Excel limit; all rows are in session.db "
                                           f"/ {name} 超出Excel行数上限的 {n} 行未写入，完整数据见 session.db"))
    items += [(b.NOTE, f"{name}: {b.LINKS_CAPPED}") for name in capped]
    row = 1
    for item, value in items:
        _write_cell(ws, row, 0, item, fmts.top)
        _write_cell(ws, row, 1, value, fmts.consent if item == b.CONSENT_DECISION else fmts.wrap)
        row += 1
    row += 1
    _write_cell(ws, row, 0, b.PER_RULE_HEADING, fmts.section)
    row += 1
    counts = tables.rule_counts(data)
    for i, col in enumerate(counts.columns):
        ws.write_string(row, i, col, fmts.header)
    severities = data.counts_per_rule["severity"].tolist()
    for rec, severity in zip(counts.astype("object").where(counts.notna(), None).itertuples(index=False, name=None),
                             severities):
        row += 1
        for c, value in enumerate(rec):
            fill = severity if counts.columns[c] == b.SEVERITY and severity in SEVERITY_FILLS else None
            _write_cell(ws, row, c, value, fmts.get("wrap", fill))
    row += 2
    _write_cell(ws, row, 0, b.SEVERITY_LEGEND, fmts.section)
    for severity, meaning in b.SEVERITY_MEANING.items():
        row += 1
        _write_cell(ws, row, 0, SEVERITY[severity], fmts.get("wrap", severity))
        _write_cell(ws, row, 1, meaning, fmts.wrap)
    row += 1
    _write_cell(ws, row, 0, b.CONSENT_LEGEND[0], fmts.consent)
    _write_cell(ws, row, 1, b.CONSENT_LEGEND[1], fmts.wrap)


def app_identity(data: ReportData) -> tuple[dict[str, Any] | None, str | None]:
    """The app's identity for the Manifest sheet: ReportData's `app_identity` (piiaudit.identity: the
    facts it knows, its source in words) with the declared permissions and components of the
    session's ``app_manifest`` meta row (piiaudit.apk) beside it; the meta row alone, and a note
    saying so, for a report that carries no identity; (None, None) when neither holds a package."""
    try:
        stored = apk_mod.stored(data.session.store) or {}
    except Exception:  # noqa: BLE001 - an unreadable row: the sheet says no identity was recorded
        stored = {}
    identity = getattr(data, "app_identity", None)
    if identity is not None and hasattr(identity, "to_dict"):
        identity = identity.to_dict()
    known = {k: v for k, v in (identity or {}).items() if v not in (None, "", [])} if isinstance(identity, dict) else {}
    if known.get("package"):
        if "source" in known:
            known["source"] = identityrows.SOURCES.get(identityrows.source_key(known, data.manifest or {}),
                                                       known["source"])
        known.setdefault("certificates", [])
        known.update({k: stored[k] for k in ("permissions", "components") if stored.get(k)})
        return known, None
    if stored:
        return dict(stored), b.APP_IDENTITY_FROM_META
    return None, None


def _identity_rows(identity: dict[str, Any], tz: Any) -> list[tuple[str, str]]:
    """(field, value) rows of an app identity, the fields a reader looks for first."""
    first = list(b.MANIFEST_FIELDS)
    keys = sorted(identity, key=lambda k: (first.index(k) if k in first else len(first), k))
    rows = []
    for key in keys:
        value, label = identity[key], b.field_label(key)
        if key == "permissions" and isinstance(value, list):
            names = [p.get("name") if isinstance(p, dict) else str(p) for p in value]
            rows.append((label, f"{len(names)}: " + ", ".join(str(n) for n in names)))
        elif key == "components" and isinstance(value, dict):
            rows += [(f"{label}: {k}", f"{len(v)}: " + ", ".join(map(str, v))) for k, v in value.items()]
        elif key == "certificates" and isinstance(value, list):
            rows += [(f"{label} {i + 1}", str(c)) for i, c in enumerate(value)] or \
                [(label, b.both("无（未签名或清单文件）", "none (unsigned, or a manifest file)"))]
        elif key == "recorded_at" and isinstance(value, (int, float)):
            rows.append((label, f"{iso_one(value, tz)} ({value:.3f})"))
        elif isinstance(value, dict):
            rows += [(f"{label}: {k}", "" if v is None else str(v)) for k, v in value.items()]
        else:
            rows.append((label, "" if value is None else str(value)))
    return rows


def manifest_table(data: ReportData) -> pd.DataFrame:
    """The Manifest sheet: manifest.json as this report read it (artifacts with SHA-256 and bytes, the
    session's own facts, versions) and the app's identity. This report's own outputs are hashed after
    they are written, so their rows are left out and a note says where to find them."""
    m = data.manifest or {}
    artifacts = b.both("文件", "artifact")
    rows: list[tuple[str, str, str | None, Any]] = []
    if not m:
        rows.append((b.both("说明", "note"), "manifest.json", b.NO_MANIFEST, None))
    outputs = {"evidence.xlsx", "report.html", "findings.json"}
    for name, a in sorted((m.get("artifacts") or {}).items()):
        if name not in outputs and isinstance(a, dict):
            rows.append((artifacts, name, a.get("sha256"), a.get("bytes")))
    if m:
        rows.append((b.both("说明", "note"), "evidence.xlsx, report.html, findings.json", b.MANIFEST_OUTPUTS_NOTE, None))
    session = b.both("会话", "session")
    for key in ("created",):        # not "updated": every report rewrites it, and a report re-made is the same
        if isinstance(m.get(key), (int, float)):
            rows.append((session, b.field_label(key), f"{iso_one(m[key], data.tz)} ({m[key]:.3f})", None))
    for key in ("schema_version", "writes"):
        if key in m:
            rows.append((session, b.field_label(key), str(m[key]), None))
    for key, value in (m.get("counts") or {}).items():
        rows.append((session, f"{b.field_label('counts')}: {key}", str(value), None))
    for key, value in (m.get("device") or {}).items():
        rows.append((b.both("设备", "device"), b.field_label(key), str(value), None))
    for key, value in (m.get("versions") or {}).items():
        rows.append((b.both("工具版本", "version"), key, str(value), None))
    identity, source = app_identity(data)
    app = b.both("应用身份", "app identity")
    if identity is None:
        rows.append((app, "—", b.NO_APP_IDENTITY, None))
    else:
        if source:
            rows.append((app, b.both("读取自", "read from"), source, None))
        rows += [(app, k, v, None) for k, v in _identity_rows(identity, data.tz)]
    return pd.DataFrame(rows, columns=[b.SECTION, b.FIELD_NAME, b.MANIFEST_VALUE, b.BYTES])


def _manifest_sheet(wb: xlsxwriter.Workbook, data: ReportData, fmts: _Formats) -> None:
    _table_sheet(wb, b.MANIFEST_SHEET, manifest_table(data), fmts)


class _Worksheet(Worksheet):
    """XlsxWriter's worksheet, two of its steps at closing made cheaper, the bytes the same
    (tests/test_sheetrows.py compares them with XlsxWriter's own):

    - the rows kept in constant-memory mode are copied into the sheet's XML as bytes, not read
      back and written again as text 64 KiB at a time;
    - a sheet whose links are all internal keeps them as (row, col, location, text) in
      `internal_links`, not as a Url each, and writes its <hyperlinks> in one go (10^5 links)."""

    def _write_optimized_sheet_data(self) -> None:
        if self.dim_rowmin is None or not hasattr(self.fh, "buffer"):
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.row_data_fh.flush()
        self.fh.flush()
        with open(self.row_data_filename, "rb") as rows:
            shutil.copyfileobj(rows, self.fh.buffer, 1 << 20)
        self.row_data_fh.close()
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")

    def __init__(self) -> None:
        super().__init__()
        self.internal_links: list[tuple[int, int, str, str]] = []   # (row, col, location, shown text)

    def _write_hyperlinks(self) -> None:
        cells = [(row, col, url._link, url._tip, url._text) for row in self.hyperlinks
                 for col, url in self.hyperlinks[row].items()]
        plain = not self.table and all(url._link_type == UrlTypes.INTERNAL for row in self.hyperlinks.values()
                                       for url in row.values())
        if not plain:             # XlsxWriter's own way, every link as the Url write_url makes
            for row, col, location, text in self.internal_links:
                self.hyperlinks[row][col] = _internal_link(f"internal:{location}", text)
            self.internal_links = []
            super()._write_hyperlinks()
            return
        cells += [(row, col, location, "", text) for row, col, location, text in self.internal_links]
        if not cells:
            return
        cells.sort(key=lambda cell: (cell[0], cell[1]))
        escape = self._escape_attributes
        xml = ["<hyperlinks>"]
        for row, col, location, tip, text in cells:
            tip = f' tooltip="{escape(tip)}"' if tip else ""
            xml.append(f'<hyperlink ref="{xl_rowcol_to_cell(row, col)}" location="{escape(location)}"{tip} '
                       f'display="{escape(text)}"/>')
        xml.append("</hyperlinks>")
        self.fh.write("".join(xml))


class _Workbook(xlsxwriter.Workbook):
    """XlsxWriter's workbook with `_Worksheet` sheets, its zip written at `ZIP_LEVEL`. XlsxWriter 3.3 opens the zip itself
    with zlib's default level (6), which took 3 s of a 10^5-row report for the sheets' 300 MB of
    XML; level 1 takes under 1 s for a file about a quarter larger. The zip class XlsxWriter's
    module looks up is swapped for one with that level while this workbook is stored."""

    worksheet_class = _Worksheet

    def _store_workbook(self) -> None:
        module = sys.modules[xlsxwriter.Workbook.__module__]
        plain = module.ZipFile
        module.ZipFile = functools.partial(plain, compresslevel=ZIP_LEVEL)
        try:
            super()._store_workbook()
        finally:
            module.ZipFile = plain


class _Sink:
    """The file XlsxWriter's zip is written to. The first OSError (a full disk) is kept and
    later writes are dropped, so the zip still finishes and closes (an unclosed one would
    print a traceback when Python collects it); `write` raises the kept error afterwards."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.error: OSError | None = None

    def _guard(self, call: Callable[[], Any], otherwise: Any) -> Any:
        if self.error is None:
            try:
                return call()
            except OSError as e:
                self.error = e
        return otherwise

    def write(self, data: bytes) -> int:
        return self._guard(lambda: self.f.write(data), len(data))

    def flush(self) -> None:
        self._guard(self.f.flush, None)

    def tell(self) -> int:
        return self._guard(self.f.tell, 0)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._guard(lambda: self.f.seek(offset, whence), offset)

    def seekable(self) -> bool:
        return True


CSV_INJECTION = re.compile(r"^[=+\-@\t\r]")


def csv_name(path: Path, sheet: str) -> str:
    """The file beside the workbook that holds all rows of a sheet past Excel's limit."""
    slug = re.sub(r"[^a-z0-9]+", "-", sheet.lower()).strip("-") or "sheet"
    return f"{path.stem}-{slug}.csv"


def write_csv(frame: pd.DataFrame, path: Path, tz: Any) -> None:
    """A sheet's whole table as CSV (UTF-8 with a BOM, so Excel reads the Chinese): the
    workbook's header texts; text cleaned as the workbook cleans it, and a cell that a
    spreadsheet would take for a formula (=, +, -, @, tab, CR first) starts with an apostrophe."""
    out = {}
    for col in frame.columns:
        values, is_text = _column_cells(frame[col])
        column = pd.Series(values, dtype="object")
        if is_text:
            column = column.where(~column.str.match(CSV_INJECTION, na=False), "'" + column.astype("str"))
        elif pd.api.types.is_integer_dtype(frame[col]):   # ids as 12, not 12.0
            column = pd.Series(frame[col].astype("Int64").astype("object").where(frame[col].notna(), None).tolist(),
                               dtype="object")
        out[tables.header_text(col, tz)] = column
    with sessiondir.replacing(path) as tmp:
        pd.DataFrame(out).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def write(data: ReportData, path: Path, *, reveal: bool = False, progress=None) -> None:
    """evidence.xlsx at `path`; a sheet past Excel's row limit also goes whole to a CSV beside
    it (`csv_name`), which the Summary sheet names. CSVs of an earlier report that this one no
    longer needs are removed."""
    with sessiondir.replacing(path) as tmp, open(tmp, "wb") as f:
        sink = _Sink(f)
        written, possible = _write(data, sink, reveal, path, progress)
        if sink.error is not None:
            raise sink.error
    for name in possible - written:
        (path.parent / name).unlink(missing_ok=True)


def _write(data: ReportData, sink: _Sink, reveal: bool, path: Path, progress=None) -> tuple[set[str], set[str]]:
    """Writes the workbook to `sink`, and the CSVs beside `path`; returns (the CSVs written,
    every CSV name a sheet of this workbook could have)."""
    wb = _Workbook(sink, SAFE_OPTIONS)
    fmts = _Formats(wb)
    wb.set_properties({"title": "piiaudit evidence", "subject": b.EVIDENCE_TITLE,
                       "comments": "Generated by piiaudit from session.db"})
    # Summary is first in the file but written first too: the table sheets' row counts it
    # mentions are known beforehand (a sheet holds at most EXCEL_MAX_ROWS - 1 data rows).
    frames = {name: tables.table(data, name, reveal=reveal) for name in tables.BUILDERS}
    linked = wblinks.build(data, frames, EXCEL_MAX_ROWS - 1)
    linked.update(wblinks.automation(data, frames, EXCEL_MAX_ROWS - 1))
    sheets = {name: linked.get(name) or wblinks.Sheet(frame) for name, frame in frames.items()}
    # the Evidence links sheet right after Findings
    order = ["Findings", b.EVIDENCE_SHEET, *(n for n in frames if n != "Findings")]
    sheets = {name: linked[name] if name in linked else sheets[name] for name in order}
    left_out = {name: max(len(sh.frame) - (EXCEL_MAX_ROWS - 1), 0) for name, sh in sheets.items()}
    capped = [name for name, sh in sheets.items()
              if sum(t is not None for col in sh.links.values() for t in col[: EXCEL_MAX_ROWS - 1]) > MAX_LINKS]
    moved = {name: csv_name(path, name) for name, n in left_out.items() if n}
    for name, file in moved.items():
        write_csv(sheets[name].frame, path.parent / file, data.tz)
    _summary_sheet(wb, data, fmts, reveal, left_out, capped, moved)
    for name, sheet in sheets.items():
        progress and progress(_rows_before(sheets, name), _rows_before(sheets), f"evidence.xlsx: {name}")
        highlight = data.timeline["stream"].eq("consent").reset_index(drop=True) if name == "Timeline" else None
        _table_sheet(wb, name, sheet.frame, fmts, highlight=highlight, links=sheet.links, fills=sheet.severity,
                     empty_note=tables.result(data) if name == "Findings" else
                     b.NO_AUTOMATION if name in (b.UI_ACTIONS_SHEET, b.SCREENS_SHEET) else None, tz=data.tz)
    progress and progress(_rows_before(sheets), None, "evidence.xlsx: saving")
    _manifest_sheet(wb, data, fmts)
    try:
        wb.close()
    except FileCreateError as e:
        # XlsxWriter wraps the OSError (a full disk, ...); the caller names the file from it
        cause = e.args[0] if e.args and isinstance(e.args[0], OSError) else OSError(str(e))
        raise cause from None
    return set(moved.values()), {csv_name(path, name) for name in sheets}


def _rows_before(sheets: dict[str, Any], name: str | None = None) -> int:
    """The table rows of the sheets before `name` (of all with None): what a progress display counts."""
    names = list(sheets)
    return sum(len(sheets[n].frame) for n in (names[:names.index(name)] if name is not None else names))
