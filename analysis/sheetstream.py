"""A workbook written row by row, safely: the writer compare.xlsx and campaign.xlsx share.

XlsxWriter in constant-memory mode: each sheet's rows go to disk in order, so a workbook of
a thousand sessions' findings never sits in memory. Every string is written as a string
(no formulas, links or numbers made from captured text); control characters are replaced
and over-long cells cut with a bilingual mark. Each sheet has its header row frozen and
a filter over its columns. The file is written beside the target and renamed into place
(piiaudit.sessiondir.replacing), so a failed run never leaves half a workbook.
"""

from __future__ import annotations

import errno
import math
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from numbers import Number
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from analysis.bilingual import TRUNCATED
from analysis.labels import clean_text
from piiaudit import sessiondir

MAX_CELL_CHARS = 32_767
EXCEL_MAX_ROWS = 1_048_576
OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
           "strings_to_numbers": False}


class Sheet:
    """One sheet: a header row, then rows appended in order (`add`)."""

    def __init__(self, book: "Book", name: str, headers: Sequence[str], widths: dict[str, int] | None = None,
                 wrapped: Iterable[str] = ()):
        self.book, self.headers = book, list(headers)
        self.ws = book.wb.add_worksheet(name)
        wrapped = set(wrapped)
        self._formats = [book.wrap if h in wrapped else book.top for h in self.headers]
        for col, header in enumerate(self.headers):
            self.ws.set_column(col, col, (widths or {}).get(header, 16))
            self.ws.write_string(0, col, header, book.header)
        self.ws.freeze_panes(1, 0)
        self.rows = 0

    def add(self, values: Sequence[Any]) -> None:
        if self.rows + 1 >= EXCEL_MAX_ROWS:
            raise ValueError(f"sheet {self.ws.name}: more than {EXCEL_MAX_ROWS - 1} rows")
        self.rows += 1
        for col, value in enumerate(values):
            write_cell(self.ws, self.rows, col, value, self._formats[col])

    def close(self) -> None:
        self.ws.autofilter(0, 0, max(self.rows, 1), max(len(self.headers) - 1, 0))


class Book:
    """A workbook of `Sheet`s; `sheet()` adds one (in the order they appear)."""

    def __init__(self, path: Path):
        self.wb = xlsxwriter.Workbook(str(path), OPTIONS)
        self.header = self.wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                          "valign": "top"})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.top = self.wb.add_format({"valign": "top"})
        self.heading = self.wb.add_format({"bold": True, "font_size": 12})
        self.sheets: list[Sheet] = []

    def sheet(self, name: str, headers: Sequence[str], widths: dict[str, int] | None = None,
              wrapped: Iterable[str] = ()) -> Sheet:
        s = Sheet(self, name, headers, widths, wrapped)
        self.sheets.append(s)
        return s


@contextmanager
def book(path: Path | str) -> Iterator[Book]:
    """A Book written to a temporary file beside `path`, renamed over it when the block ends.
    A place that cannot be written is an OSError naming `path`, raised before any row is made."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OSError(errno.ENOENT, "no such directory", str(path.parent))
    if path.is_dir():
        raise OSError(errno.EISDIR, "a directory, not a file", str(path))
    with sessiondir.replacing(path) as tmp:
        b = Book(tmp)
        try:
            yield b
        finally:
            for s in b.sheets:
                s.close()
            try:
                b.wb.close()
            except FileCreateError as e:
                cause = e.__context__ if isinstance(e.__context__, OSError) else None
                raise OSError(getattr(cause, "errno", None) or errno.EIO, getattr(cause, "strerror", None) or str(e),
                              str(path)) from None


def write_cell(ws, row: int, col: int, value: Any, fmt) -> None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "是 / yes" if value else "否 / no", fmt)
    elif isinstance(value, Number) and math.isfinite(float(value)):
        ws.write_number(row, col, value if isinstance(value, int) else float(value), fmt)
    else:
        text = clean_text(value)
        if len(text) > MAX_CELL_CHARS:
            text = text[: MAX_CELL_CHARS - len(TRUNCATED)] + TRUNCATED
        ws.write_string(row, col, text, fmt)
