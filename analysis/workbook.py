"""evidence.xlsx: Summary, Findings, Flows, API events, Timeline, Hooks.

XlsxWriter in constant-memory mode (rows streamed in order) with every string written as a
string: the options that would turn text into formulas, links or numbers are off, and
cells are written with explicit ``write_string``/``write_number`` calls, so a value like
``=HYPERLINK(...)`` from traffic stays inert text. The file is written beside the target
and renamed into place, so a failed run never leaves half a workbook.
"""

from __future__ import annotations

import math
import os
from numbers import Number
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import xlsxwriter

from analysis import tables
from analysis.labels import CONTROL_CHARS, clean_text

if TYPE_CHECKING:
    from analysis.report import ReportData

EXCEL_MAX_ROWS = 1_048_576
MAX_CELL_CHARS = 32_767
SAFE_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                "strings_to_numbers": False}
DEFAULT_WIDTH = 16
WIDTHS = {
    tables.TIME: 30, tables.EPOCH: 17, "URL": 60, "API": 48, "接口或请求 / API or URL": 60, tables.VALUE_SHA: 66,
    "请求SHA-256 / Request SHA-256": 66, "响应SHA-256 / Response SHA-256": 66, "流量编号 / Flow ID": 38,
    "法律依据 / Legal basis": 70, "读取→发送 / Read → sent": 80, "说明 / Notes": 50, "中文标题 / Title (zh)": 40,
    "英文标题 / Title (en)": 44, "个人信息类型 / PII type": 30, tables.ACTOR: 26, "归属SDK / Attributed SDK": 26,
    "调用方SDK / Caller SDK": 26, "主机 / Host": 26, "调用栈摘录 / Stack excerpt": 70, "详情 / Detail": 50,
    "流量证据 / Flow IDs": 40, "事件证据 / Event IDs": 18, "首次时间 / First time": 30, "位置 / Location": 28,
    "重载 / Overload": 70, "类 / Class": 40, "生效时间 / Live at": 30, "错误 / Error": 40, "进程 / Process": 28,
}
WRAPPED = {"法律依据 / Legal basis", "读取→发送 / Read → sent", "说明 / Notes", "调用栈摘录 / Stack excerpt",
           "流量证据 / Flow IDs", "详情 / Detail"}


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
        ws.write_string(row, col, "是 / yes" if value else "否 / no", fmt)
    elif isinstance(value, Number) and math.isfinite(float(value)):
        ws.write_number(row, col, float(value) if not isinstance(value, int) else int(value), fmt)
    else:
        text = clean_text(value)
        if len(text) > MAX_CELL_CHARS:
            text = text[: MAX_CELL_CHARS - 40] + " …[truncated / 已截断]"
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
                  lambda t: t.str.slice(0, MAX_CELL_CHARS - 40) + " …[truncated / 已截断]"))
    return text.astype("object").where(present, None).tolist(), True


def _table_sheet(wb: xlsxwriter.Workbook, name: str, frame: pd.DataFrame, fmts: _Formats, *,
                 highlight: pd.Series | None = None) -> int:
    """One table per sheet: bilingual header, frozen, autofiltered. Returns rows left out."""
    ws = wb.add_worksheet(name)
    columns = list(frame.columns)
    col_fmt = []
    for i, col in enumerate(columns):
        fmt = fmts.epoch if "纪元秒" in col else fmts.wrap if col in WRAPPED else fmts.top
        ws.set_column(i, i, WIDTHS.get(col, DEFAULT_WIDTH), fmt)
        col_fmt.append(fmt)
    ws.set_row(0, 32)
    for i, col in enumerate(columns):
        ws.write_string(0, i, col, fmts.header)
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
    ws.autofilter(0, 0, max(len(shown), 1), max(len(columns) - 1, 0))
    return len(frame) - len(shown)


def _summary_sheet(wb: xlsxwriter.Workbook, data: ReportData, fmts: _Formats, reveal: bool,
                   left_out: dict[str, int]) -> None:
    ws = wb.add_worksheet("Summary")
    for i, width in enumerate((34, 70, 50, 14, 12, 12, 50)):
        ws.set_column(i, i, width, fmts.wrap)
    ws.write_string(0, 0, "项目 / Item", fmts.header)
    ws.write_string(0, 1, "值 / Value", fmts.header)
    ws.freeze_panes(1, 0)
    items = tables.summary_items(data, reveal=reveal)
    items += [("未写入的行 / Rows left out", f"{name}: {n} rows beyond the Excel limit; all rows are in session.db "
                                             f"/ {name} 超出Excel行数上限的 {n} 行未写入，完整数据见 session.db")
              for name, n in left_out.items() if n]
    row = 1
    for item, value in items:
        _write_cell(ws, row, 0, item, fmts.top)
        _write_cell(ws, row, 1, value, fmts.consent if item.startswith("同意判定") else fmts.wrap)
        row += 1
    row += 1
    _write_cell(ws, row, 0, "各规则发现数 / Findings per rule", fmts.section)
    row += 1
    counts = tables.rule_counts(data)
    for i, col in enumerate(counts.columns):
        ws.write_string(row, i, col, fmts.header)
    for rec in counts.astype("object").where(counts.notna(), None).itertuples(index=False, name=None):
        row += 1
        for c, value in enumerate(rec):
            _write_cell(ws, row, c, value, fmts.wrap)


def write(data: ReportData, path: Path, *, reveal: bool = False) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    wb = xlsxwriter.Workbook(str(tmp), SAFE_OPTIONS)
    try:
        fmts = _Formats(wb)
        wb.set_properties({"title": "piiaudit evidence", "subject": "个人信息合规审计证据 / PII audit evidence",
                           "comments": "Generated by piiaudit from session.db"})
        # Summary is first in the file but written first too: the table sheets' row counts it
        # mentions are known beforehand (a sheet holds at most EXCEL_MAX_ROWS - 1 data rows).
        frames = {name: tables.table(data, name, reveal=reveal) for name in tables.BUILDERS}
        left_out = {name: max(len(f) - (EXCEL_MAX_ROWS - 1), 0) for name, f in frames.items()}
        _summary_sheet(wb, data, fmts, reveal, left_out)
        for name, frame in frames.items():
            highlight = data.timeline["stream"].eq("consent").reset_index(drop=True) if name == "Timeline" else None
            _table_sheet(wb, name, frame, fmts, highlight=highlight)
        wb.close()
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
