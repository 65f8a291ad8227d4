"""evidence.xlsx: Summary, Findings, SDK发送的数据 (Sent by SDK), Flows, API events, Timeline, Hooks.

XlsxWriter in constant-memory mode (rows streamed in order) with every string written as a
string: the options that would turn text into formulas, links or numbers are off, and
cells are written with explicit ``write_string``/``write_number`` calls, so a value like
``=HYPERLINK(...)`` from traffic stays inert text. The file is written beside the target
and renamed into place, so a failed run never leaves half a workbook.
"""

from __future__ import annotations

import math
from numbers import Number
from pathlib import Path
from collections.abc import Callable
from typing import Any, BinaryIO

import pandas as pd
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from analysis import bilingual as b
from analysis import tables
from analysis.labels import CONTROL_CHARS, YES_NO, clean_text
from analysis.reportdata import ReportData
from piiaudit import sessiondir

EXCEL_MAX_ROWS = 1_048_576
MAX_CELL_CHARS = 32_767
SAFE_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                "strings_to_numbers": False}
DEFAULT_WIDTH = 16
WIDTHS = {
    b.TIME: 30, b.EPOCH: 17, b.URL: 60, b.API: 48, b.API_OR_URL: 60, b.VALUE_SHA: 66, b.REQUEST_SHA: 66,
    b.RESPONSE_SHA: 66, b.FLOW_ID: 38, b.LEGAL_BASIS: 70, b.READ_SENT: 80, b.NOTES: 50, b.TITLE_ZH: 40,
    b.TITLE_EN: 44, b.PII_TYPE: 30, b.ACTOR: 26, b.ATTRIBUTED_SDK: 26, b.CALLER_SDK: 26, b.HOST: 26, b.STACK: 70,
    b.DETAIL: 50, b.FLOW_IDS: 40, b.EVENT_IDS: 18, b.FIRST_TIME: 30, b.LOCATION: 28, b.OVERLOAD: 70, b.CLASS: 40,
    b.LIVE_AT: 30, b.ERROR: 40, b.PROCESS: 28, b.SDK: 26, b.ENDPOINT: 16, b.DATA_KIND: 30, b.FIELD: 40,
    b.FIELD_SOURCE: 60, b.DT_CONSENT: 14,
}
WRAPPED = {b.LEGAL_BASIS, b.READ_SENT, b.NOTES, b.STACK, b.FLOW_IDS, b.DETAIL}
EPOCH_COLUMNS = {b.EPOCH, b.FIRST_EPOCH, b.LIVE_EPOCH}


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "top"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.top = wb.add_format({"valign": "top"})
        self.epoch = wb.add_format({"num_format": "0.000", "valign": "top"})
        self.section = wb.add_format({"bold": True, "font_size": 12})
        self.consent = wb.add_format({"bold": True, "bg_color": "#FFE699", "valign": "top", "text_wrap": True})


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
    """(Python values with None for missing, is_text) — cleaned here, vectorised, not per cell."""
    present = column.notna()
    if not present.any():
        return [None] * len(column), True
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        numbers = column.astype("float64")
        finite = present & numbers.abs().lt(float("inf"))
        return numbers.astype("object").where(finite, None).tolist(), False
    text = column.astype("object").where(present, None).map(str, na_action="ignore").astype("str")
    text = (text.str.encode("utf-8", "replace").str.decode("utf-8")
            .str.replace(CONTROL_CHARS, "\ufffd", regex=True)
            .mask(lambda t: t.str.len() > MAX_CELL_CHARS,
                  lambda t: t.str.slice(0, MAX_CELL_CHARS - 40) + b.TRUNCATED))
    return text.astype("object").where(present, None).tolist(), True


def _table_sheet(wb: xlsxwriter.Workbook, name: str, frame: pd.DataFrame, fmts: _Formats, *,
                 highlight: pd.Series | None = None, empty_note: str | None = None, tz: Any = None) -> int:
    """One table per sheet: bilingual header, frozen, autofiltered. Returns rows left out.
    A table without rows shows `empty_note` under its header, when given."""
    ws = wb.add_worksheet(name)
    columns = list(frame.columns)
    col_fmt = []
    for i, col in enumerate(columns):
        fmt = fmts.epoch if col in EPOCH_COLUMNS else fmts.wrap if col in WRAPPED else fmts.top
        ws.set_column(i, i, WIDTHS.get(col, DEFAULT_WIDTH), fmt)
        col_fmt.append(fmt)
    ws.set_row(0, 32)
    for i, col in enumerate(columns):
        ws.write_string(0, i, tables.header_text(col, tz), fmts.header)
    ws.freeze_panes(1, 0)
    shown = frame.iloc[: EXCEL_MAX_ROWS - 1]
    cells = [_column_cells(shown[col]) for col in columns]
    writers = [ws.write_string if is_text else ws.write_number for _, is_text in cells]
    values = [v for v, _ in cells]
    marks = highlight.iloc[: len(shown)].tolist() if highlight is not None else [False] * len(shown)
    for r, marked in enumerate(marks):
        for c, write in enumerate(writers):
            value = values[c][r]
            if value is not None:
                write(r + 1, c, value, fmts.consent if marked else col_fmt[c])
            elif marked:
                ws.write_blank(r + 1, c, None, fmts.consent)
    if frame.empty and empty_note:
        ws.write_string(1, 0, empty_note, fmts.top)
    ws.autofilter(0, 0, max(len(shown), 1), max(len(columns) - 1, 0))
    return len(frame) - len(shown)


def _summary_sheet(wb: xlsxwriter.Workbook, data: ReportData, fmts: _Formats, reveal: bool,
                   left_out: dict[str, int]) -> None:
    ws = wb.add_worksheet("Summary")
    for i, width in enumerate((34, 70, 50, 14, 12, 12, 50)):
        ws.set_column(i, i, width, fmts.wrap)
    ws.write_string(0, 0, b.ITEM, fmts.header)
    ws.write_string(0, 1, b.VALUE, fmts.header)
    ws.freeze_panes(1, 0)
    items = tables.summary_items(data, reveal=reveal)
    items += [(b.ROWS_LEFT_OUT, f"{name}: {n} rows beyond the Excel limit; all rows are in session.db "
                                f"/ {name} 超出Excel行数上限的 {n} 行未写入，完整数据见 session.db")
              for name, n in left_out.items() if n]
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
    for rec in counts.astype("object").where(counts.notna(), None).itertuples(index=False, name=None):
        row += 1
        for c, value in enumerate(rec):
            _write_cell(ws, row, c, value, fmts.wrap)


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


def write(data: ReportData, path: Path, *, reveal: bool = False) -> None:
    with sessiondir.replacing(path) as tmp, open(tmp, "wb") as f:
        sink = _Sink(f)
        _write(data, sink, reveal)
        if sink.error is not None:
            raise sink.error


def _write(data: ReportData, sink: _Sink, reveal: bool) -> None:
    wb = xlsxwriter.Workbook(sink, SAFE_OPTIONS)
    fmts = _Formats(wb)
    wb.set_properties({"title": "piiaudit evidence", "subject": b.EVIDENCE_TITLE,
                       "comments": "Generated by piiaudit from session.db"})
    # Summary is first in the file but written first too: the table sheets' row counts it
    # mentions are known beforehand (a sheet holds at most EXCEL_MAX_ROWS - 1 data rows).
    frames = {name: tables.table(data, name, reveal=reveal) for name in tables.BUILDERS}
    left_out = {name: max(len(f) - (EXCEL_MAX_ROWS - 1), 0) for name, f in frames.items()}
    _summary_sheet(wb, data, fmts, reveal, left_out)
    for name, frame in frames.items():
        highlight = data.timeline["stream"].eq("consent").reset_index(drop=True) if name == "Timeline" else None
        _table_sheet(wb, name, frame, fmts, highlight=highlight,
                     empty_note=tables.result(data) if name == "Findings" else None, tz=data.tz)
    try:
        wb.close()
    except FileCreateError as e:
        # XlsxWriter wraps the OSError (a full disk, ...); the caller names the file from it
        cause = e.args[0] if e.args and isinstance(e.args[0], OSError) else OSError(str(e))
        raise cause from None
