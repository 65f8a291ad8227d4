"""A sheet past Excel's row limit: its first rows stay on the sheet, all of them go to a CSV
beside the workbook, and the Summary sheet names that file. The limit is lowered here so a
session of a few hundred rows passes it; the code path is the one a 10^6-row timeline takes."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from analysis import workbook
from analysis.pipeline import analyze
from analysis.report import write_report
from analysis.reportdata import gather
from piiaudit.times import zone
from tests.support.samples import demo_scope_path, write_synthetic

LIMIT = 41   # 40 data rows per sheet


@pytest.fixture()
def session(tmp_path):
    s = tmp_path / "s"
    write_synthetic(s, n_flows=60, n_events=60)
    analyze(s, scope=demo_scope_path())
    return s


def _csv_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_a_sheet_past_the_limit_goes_whole_to_a_csv_the_summary_names(session, monkeypatch):
    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", LIMIT)
    monkeypatch.setattr(workbook, "FLUSH_ROWS", 7)           # rows reach the sheet's file in several pieces
    write_report(session)
    data = gather(session, zone(None))
    wb = openpyxl.load_workbook(session / "evidence.xlsx", read_only=True)
    timeline_sheet = list(wb["Timeline"].iter_rows(values_only=True))
    assert len(timeline_sheet) == LIMIT                       # header + the first 40 rows
    path = session / "evidence-timeline.csv"
    rows = _csv_rows(path)
    assert len(data.timeline) > LIMIT
    assert len(rows) == len(data.timeline) + 1               # header + every row
    assert list(rows[0]) == list(timeline_sheet[0])          # the sheet's own headers
    assert [r[0] for r in rows[1:LIMIT]] == [str(r[0]) for r in timeline_sheet[1:]]
    summary = " ".join(str(v) for row in wb["Summary"].iter_rows(values_only=True) for v in row if v)
    assert "evidence-timeline.csv" in summary and f"{len(data.timeline)} rows" in summary

    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", 1_048_576)
    write_report(session)                                    # fits again: the old CSV is gone
    assert not path.exists()


def test_csv_cells_a_spreadsheet_would_run_stay_text(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"what": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "plain", None],
                          "n": [1, 2, 3, 4, 5, 6]})
    path = tmp_path / "t.csv"
    workbook.write_csv(frame, path, None)
    rows = _csv_rows(path)
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "plain", ""]
    assert [r[1] for r in rows[1:]] == ["1", "2", "3", "4", "5", "6"]
