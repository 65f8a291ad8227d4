"""A table's rows as the sheet XML XlsxWriter writes in constant-memory mode, made a column
at a time with Arrow compute instead of a Python call per cell.

- `cells(column)`: a column's cells as the workbook shows them. Text is cleaned as
  ``analysis.labels.clean_text`` cleans it (``str()`` of the value, lone surrogates replaced,
  control characters as U+FFFD) and cut to Excel's 32,767 characters with a note; numbers
  are the finite ones (the rest blank). `Cells.values()` gives them back as Python values
  (None for a blank), for the CSV beside the workbook and a link's shown text.
- `rows(...)`: sheet XML (UTF-8 bytes) for a range of rows, byte for byte what XlsxWriter's
  ``write_string`` / ``write_number`` / ``write_blank`` would have written there: inline
  strings escaped as XlsxWriter escapes them (a literal ``_xHHHH_`` guarded, control
  characters and the non-characters U+FFFE/U+FFFF as ``_xHHHH_``, ``xml:space="preserve"``
  for whitespace at either end, & < > as entities), numbers as ``{:.16G}``, a blank styled
  cell only in a styled row, a row without any cell left out.

Each call costs a few Arrow kernels per column, whatever the rows hold; Python runs per
cell only for numbers' text and for the rare cell longer than 16,383 characters
(XlsxWriter's cut counts UTF-16 code units). tests/test_sheetrows.py holds the output
against XlsxWriter's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from xlsxwriter.worksheet import _utf16_len, _utf16_truncate

from analysis import bilingual as b
from analysis.labels import CONTROL_CHARS

MAX_CELL_CHARS = 32_767           # Excel's characters in a cell
XLS_STRMAX = 32_767               # XlsxWriter's cut, in UTF-16 code units
TEXT = pa.large_string()          # large offsets: a range of long cells may pass 2 GiB of XML
_XL_ESCAPE = r"(_x[0-9a-fA-F]{4}_)"
_XL_CONTROL = r"[\x00-\x08\x0b-\x1f]"
_XL_NEEDS = r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f&<>\x{fffe}\x{ffff}]"
# Python's \s on text (str.isspace), which XlsxWriter's ^\s|\s$ test uses; RE2's \s is ASCII only
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
              "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_SPACE = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"
_PRESERVE = f"^{_SPACE}|{_SPACE}$"


def _s(text: str) -> pa.Scalar:
    return pa.scalar(text, TEXT)


@dataclass
class Cells:
    """One column's cells: `text` (Arrow, null for a blank) or `numbers` (float64, NaN for a blank)."""

    present: np.ndarray
    text: pa.Array | None = None
    numbers: np.ndarray | None = None

    @property
    def is_text(self) -> bool:
        return self.numbers is None

    def values(self, rows: np.ndarray | None = None) -> list:
        """The cells (of `rows` only, when given) as Python values, None for a blank."""
        if self.is_text:
            text = self.text if rows is None else self.text.take(pa.array(rows, pa.int64()))
            return text.to_pylist()
        numbers, present = (self.numbers, self.present) if rows is None else (self.numbers[rows], self.present[rows])
        return [v if p else None for v, p in zip(numbers.tolist(), present.tolist())]


def cells(column: pd.Series) -> Cells:
    """The cells of `column` as the workbook shows them (module docstring)."""
    present = column.notna().to_numpy(dtype=bool)
    if not present.any():
        return Cells(present, text=pa.nulls(len(column), TEXT))
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        numbers = column.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
        finite = present & np.isfinite(numbers)
        return Cells(finite, numbers=np.where(finite, numbers, np.nan))
    if isinstance(column.dtype, pd.StringDtype):
        values = column.astype("object")
    else:
        values = column.astype("object").where(present, None)
        if pd.api.types.infer_dtype(values, skipna=True) != "string":
            values = values.map(str, na_action="ignore")
    try:
        text = pa.array(values.to_numpy(dtype=object), type=TEXT, from_pandas=True)
    except UnicodeEncodeError:       # lone surrogates: replaced, as clean_text replaces them
        text = pa.array(values.map(lambda t: t.encode("utf-8", "replace").decode("utf-8"), na_action="ignore")
                        .to_numpy(dtype=object), type=TEXT, from_pandas=True)
    if pc.any(pc.match_substring_regex(text, CONTROL_CHARS)).as_py():
        text = pc.replace_substring_regex(text, CONTROL_CHARS, "\ufffd")
    long = pc.fill_null(pc.greater(pc.utf8_length(text), MAX_CELL_CHARS), False).to_numpy(zero_copy_only=False)
    if long.any():
        values = text.to_pylist()
        for i in np.flatnonzero(long):
            values[i] = values[i][: MAX_CELL_CHARS - 40] + b.TRUNCATED
        text = pa.array(values, type=TEXT)
    return Cells(present, text=text)


def _escaped(text: pa.Array) -> pa.Array:
    """XlsxWriter's escapes of an inline string: a literal _xHHHH_ guarded, control characters and
    U+FFFE/U+FFFF as _xHHHH_. (& < > come after the xml:space test, in `_entities`.)"""
    text = pc.replace_substring_regex(text, _XL_ESCAPE, r"_x005F\1")
    if pc.any(pc.match_substring_regex(text, _XL_CONTROL)).as_py():
        for code in [*range(0x00, 0x09), *range(0x0B, 0x20)]:
            text = pc.replace_substring(text, chr(code), f"_x{code:04X}_")
    return pc.replace_substring(pc.replace_substring(text, "\ufffe", "_xFFFE_"), "\uffff", "_xFFFF_")


def _entities(text: pa.Array) -> pa.Array:
    return pc.replace_substring(pc.replace_substring(pc.replace_substring(text, "&", "&amp;"), "<", "&lt;"),
                                ">", "&gt;")


def _text_parts(column: Cells, start: int, stop: int) -> tuple[pa.Array, pa.Array]:
    """(the xml:space attribute or "", the escaped text) of rows start..stop - 1; null for a blank."""
    text = column.text.slice(start, stop - start)
    long = pc.fill_null(pc.greater(pc.utf8_length(text), XLS_STRMAX // 2), False).to_numpy(zero_copy_only=False)
    if long.any():
        values = text.to_pylist()
        for i in np.flatnonzero(long):
            if _utf16_len(values[i]) > XLS_STRMAX:
                values[i] = _utf16_truncate(values[i], XLS_STRMAX)
        text = pa.array(values, type=TEXT)
    # the few cells that need an escape are escaped on their own, and put back in place
    needs = pc.fill_null(pc.match_substring_regex(text, _XL_NEEDS), False)
    if pc.any(needs).as_py():
        part = _escaped(text.filter(needs))
        preserve = pc.replace_with_mask(pc.match_substring_regex(text, _PRESERVE), needs,
                                        pc.match_substring_regex(part, _PRESERVE))
        text = pc.replace_with_mask(text, needs, _entities(part))
    else:
        preserve = pc.match_substring_regex(text, _PRESERVE)
    return pc.if_else(preserve, _s(' xml:space="preserve"'), _s("")), text


def bodies(column: Cells, start: int, stop: int) -> pa.Array:
    """Each cell's XML after its ``<c r=.. s=..`` for rows start..stop - 1 (null for a blank)."""
    if not column.is_text:
        return pc.binary_join_element_wise(_s("><v>"), _number_text(column, start, stop), _s("</v></c>"), _s(""))
    space, text = _text_parts(column, start, stop)
    return pc.binary_join_element_wise(_s(' t="inlineStr"><is><t'), space, _s(">"), text, _s("</t></is></c>"), _s(""))


def _number_text(column: Cells, start: int, stop: int) -> pa.Array:
    """Each number as XlsxWriter writes it (``{:.16G}``), null for a blank: whole numbers below
    10^15 (ids, status codes, milliseconds) are their digits, cast by Arrow; others by Python."""
    numbers, present = column.numbers[start:stop], column.present[start:stop]
    whole = present & (np.abs(np.where(present, numbers, 0)) < 1e15) & (np.mod(np.where(present, numbers, 0), 1) == 0) \
        & ~((numbers == 0) & np.signbit(numbers))
    out = pc.cast(pa.array(np.where(whole, numbers, 0).astype(np.int64), mask=~whole), TEXT)
    rest = present & ~whole
    if rest.any():
        out = pc.replace_with_mask(out, pa.array(rest), pa.array([f"{v:.16G}" for v in numbers[rest].tolist()], TEXT))
    return out


def rows(columns: list[Cells], letters: list[str], styles: list[pa.Array], styled: np.ndarray,
         start: int, stop: int) -> memoryview:
    """Sheet XML (UTF-8) of table rows start..stop - 1 (sheet row = table row + 2: the header is
    row 1). `styles[c]`: the cell style index of column c for each of those rows, as text;
    `styled`: the rows whose blank cells are written too (a fill or a highlight)."""
    numbers = pc.cast(pa.array(np.arange(start + 2, stop + 2, dtype=np.int64)), TEXT)
    styled = styled[start:stop]
    cells_xml, any_cell = [], np.zeros(stop - start, dtype=bool)
    for column, letter, style in zip(columns, letters, styles):
        head = (_s(f'<c r="{letter}'), numbers, _s('" s="'), style)
        if column.is_text and column.present[start:stop].any():
            space, text = _text_parts(column, start, stop)
            cell = pc.binary_join_element_wise(*head, _s('" t="inlineStr"><is><t'), space, _s(">"), text,
                                               _s("</t></is></c>"), _s(""))
        else:
            cell = pc.binary_join_element_wise(*head, _s('"'), bodies(column, start, stop), _s(""))
        present = cell.is_valid().to_numpy(zero_copy_only=False)
        blank = styled & ~present
        if blank.any():          # a styled row's blank cell: its style alone
            cell = pc.coalesce(cell, pc.if_else(pa.array(blank), pc.binary_join_element_wise(*head, _s('"/>'), _s("")),
                                                pa.scalar(None, TEXT)))
            present |= blank
        any_cell |= present
        cells_xml.append(cell)
    if not any_cell.any():
        return memoryview(b"")
    row = pc.binary_join_element_wise(_s('<row r="'), numbers, _s('">'), *cells_xml, _s("</row>"), _s(""),
                                      null_handling="replace", null_replacement="")
    if not any_cell.all():
        row = row.filter(pa.array(any_cell))
    # the rows one after another in the array's data: their bytes as they are, without a copy
    offsets = np.frombuffer(row.buffers()[1], dtype=np.int64)[row.offset: row.offset + len(row) + 1]
    return memoryview(row.buffers()[2])[offsets[0]: offsets[-1]]
