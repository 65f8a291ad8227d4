"""The table sheets' rows, made a column at a time (analysis.sheetrows), are the XML XlsxWriter's
own per-cell calls write: the same workbook written both ways holds the same cells, styles and
links, hostile text included; and the workbook opens back in openpyxl and pandas. The pieces of
a sheet, made by threads, are written in order."""

from __future__ import annotations

import math
import re
import sys
import threading
import time
import zipfile

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from xlsxwriter.url import Url

from analysis import sheetrows, tables, workbook
from analysis.labels import clean_text

TEXTS = ["plain", "a&b<c>d \"q\"", " lead", "trail ", "\u3000全角空格", "line\u2028", "_x0041_ literal", "_X00a1_x",
         "ctl\x01\x02\x1f", "cr\r\nlf\ttab", "\x0b", "\x7f del", "\ufffe\uffff", "\ud800 lone \udfff", "😀" * 20_000,
         "y" * 40_000, '=HYPERLINK("http://evil","x")', "", None, "\x85nel", "\x1c", "同意 / Agree", "\x00nul"]
N = len(TEXTS)


def _frame() -> pd.DataFrame:
    floats = [0.1, math.nan, math.inf, -math.inf, 1e20, 1_767_225_610.123456, -0.0, 3.0, 1e-300]
    mixed = [1, ["list"], {"d": 1}, True, None, "s", 2.5, pd.NA, "x\x03"]
    return pd.DataFrame({
        "时间 / Time": pd.Series(TEXTS, dtype="str"),
        "objects": pd.Series([mixed[i % len(mixed)] for i in range(N)], dtype="object"),
        "texts as objects": pd.Series(TEXTS, dtype="object"),
        "纪元秒 / Epoch (s)": [floats[i % len(floats)] for i in range(N)],
        "ids": pd.Series([i if i % 4 else None for i in range(N)], dtype="Int64"),
        "flags": [bool(i % 2) for i in range(N)],
        "empty": pd.Series([None] * N, dtype="object"),
        "linked": pd.Series([f"row {i}" if i % 3 else None for i in range(N)], dtype="str"),
    })


def _kinds(columns):
    return ["epoch" if c in workbook.EPOCH_COLUMNS else "wrap" if c in workbook.WRAPPED else "top" for c in columns]


def _reference(frame, path, highlight, fills, links):
    """The same sheet through XlsxWriter's own write_string / write_number / write_blank / write_url."""
    wb = xlsxwriter.Workbook(path, workbook.SAFE_OPTIONS)
    fmts = workbook._Formats(wb)
    ws = wb.add_worksheet("T")
    columns, kinds = list(frame.columns), _kinds(frame.columns)
    for i, kind in enumerate(kinds):
        ws.set_column(i, i, workbook.WIDTHS.get(columns[i], workbook.DEFAULT_WIDTH), fmts.get(kind))
    ws.set_row(0, 32)
    for i, col in enumerate(columns):
        ws.write_string(0, i, tables.header_text(col, None), fmts.header)
    budget = workbook.MAX_LINKS
    for r in range(len(frame)):
        marked, fill = bool(highlight.iloc[r]), fills[r] if fills[r] in workbook.SEVERITY_FILLS else None
        for c, col in enumerate(columns):
            value = frame[col].iloc[r]
            numeric = pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
            fmt = fmts.consent if marked else fmts.get(kinds[c], fill)
            if value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
                if marked or fill:
                    ws.write_blank(r + 1, c, None, fmt)
            elif numeric:
                ws.write_number(r + 1, c, float(value), fmt)
            else:
                text = clean_text(value)
                if len(text) > workbook.MAX_CELL_CHARS:
                    text = text[: workbook.MAX_CELL_CHARS - 40] + workbook.b.TRUNCATED
                target = links.get(col, [None] * len(frame))[r]
                if target is not None and budget > 0:
                    ws.write_url(r + 1, c, target, fmts.get(kinds[c], fill, link=True), string=text)
                    budget -= 1
                else:
                    ws.write_string(r + 1, c, text, fmt)
    wb.close()


def _ours(frame, path, highlight, fills, links):
    wb = workbook._Workbook(path, workbook.SAFE_OPTIONS)
    workbook._table_sheet(wb, "T", frame, workbook._Formats(wb), highlight=highlight, fills=fills, links=links)
    wb.close()


def _sheet(path) -> tuple[str, str]:
    """(sheetData, hyperlinks) with each style index renamed by its first appearance."""
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode("utf-8")
    data = re.search(r"<sheetData>.*</sheetData>", xml, re.S).group(0)
    links = (re.search(r"<hyperlinks>.*</hyperlinks>", xml, re.S) or re.match("", "")).group(0)
    names: dict[str, str] = {}
    data = re.sub(r' s="(\d+)"', lambda m: f' s="{names.setdefault(m.group(1), str(len(names)))}"', data)
    return data, links


@pytest.mark.parametrize("flush", [4, 10_000])
@pytest.mark.parametrize("max_links", [3, 65_530])
def test_rows_made_by_column_are_xlsxwriters_own(tmp_path, monkeypatch, flush, max_links):
    monkeypatch.setattr(workbook, "FLUSH_ROWS", flush)      # several pieces, or one
    monkeypatch.setattr(workbook, "MAX_LINKS", max_links)   # the limit reached part way, or not
    frame = _frame()
    highlight = pd.Series([i == 5 for i in range(N)])
    fills = [["high", "medium", None, "low", "bogus"][i % 5] for i in range(N)]
    links = {"linked": [f"internal:'Findings'!A{i + 2}" for i in range(N)],
             "时间 / Time": [None if i % 2 else f"internal:'T'!A{i + 2}" for i in range(N)],
             "ids": [f"internal:'T'!A{i}" for i in range(N)]}         # a number cell never links
    _reference(frame, tmp_path / "ref.xlsx", highlight, fills, links)
    _ours(frame, tmp_path / "ours.xlsx", highlight, fills, links)
    ref, ours = _sheet(tmp_path / "ref.xlsx"), _sheet(tmp_path / "ours.xlsx")
    assert ours[0] == ref[0]
    linked = sum(i % 3 != 0 for i in range(N)) + sum(i % 2 == 0 and TEXTS[i] is not None for i in range(N))
    assert ours[1] == ref[1] and ours[1].count("<hyperlink ") == min(max_links, linked)


def test_the_workbook_opens_back_with_every_value(tmp_path):
    frame = _frame()
    _ours(frame, tmp_path / "ours.xlsx", None, None, None)
    back = pd.read_excel(tmp_path / "ours.xlsx", sheet_name="T", dtype=object)
    assert len(back) == N
    texts = back.iloc[:, 0].tolist()
    assert texts[TEXTS.index('=HYPERLINK("http://evil","x")')] == '=HYPERLINK("http://evil","x")'
    # a literal _xHHHH_ (guarded as _x005F_xHHHH_) and a CR (as _x000D_) read back as written in
    # Excel; openpyxl leaves the escapes as they are
    assert texts[TEXTS.index("_x0041_ literal")] in ("_x0041_ literal", "_x005F_x0041_ literal")
    assert texts[TEXTS.index(" lead")] == " lead" and texts[TEXTS.index("a&b<c>d \"q\"")] == "a&b<c>d \"q\""
    assert texts[TEXTS.index("cr\r\nlf\ttab")] in ("cr\r\nlf\ttab", "cr_x000D_\nlf\ttab")
    assert texts[TEXTS.index("ctl\x01\x02\x1f")] == "ctl\ufffd\ufffd\ufffd"
    assert texts[TEXTS.index("y" * 40_000)].endswith(workbook.b.TRUNCATED)
    cells = openpyxl.load_workbook(tmp_path / "ours.xlsx")["T"]
    assert not [c.coordinate for row in cells.iter_rows() for c in row if c.data_type == "f"]


def test_whitespace_is_pythons():
    python = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if re.match(r"\s", c))
    assert sheetrows.WHITESPACE == python


@pytest.mark.parametrize("target", ["internal:'Flows'!A2", "internal:'SDK发送的数据 (Sent by SDK)'!A1048576",
                                    "internal:Summary!B3"])
def test_an_internal_link_is_the_url_xlsxwriter_makes(target):
    url = Url(target)
    url._text = "shown"
    assert vars(workbook._link(target, "shown")) == vars(url)


def test_pieces_made_by_threads_come_back_in_order_and_bounded():
    started, names = [], set()

    def make(i):
        started.append(i)
        names.add(threading.current_thread().name)
        time.sleep(0.002 * ((7 * i) % 5))          # pieces finish out of order
        return i

    taken = []
    for i in workbook._made_in_order(make, list(range(40))):
        assert max(started) <= i + workbook.ROW_THREADS   # never more than the threads ahead of the writer
        taken.append(i)
    assert taken == list(range(40))
    assert any(n.startswith("piiaudit-sheet-rows") for n in names)
    assert not [t for t in threading.enumerate() if t.name.startswith("piiaudit-sheet-rows")]   # none left


def test_a_piece_that_fails_fails_the_sheet_and_stops_the_rest():
    started = []

    def make(i):
        started.append(i)
        if i == 3:
            raise OSError("disk full")
        return i

    with pytest.raises(OSError, match="disk full"):
        list(workbook._made_in_order(make, list(range(100))))
    assert len(started) < 10
    assert not [t for t in threading.enumerate() if t.name.startswith("piiaudit-sheet-rows")]
