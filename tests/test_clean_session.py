"""A clean app is a result: one flow without personal information, analysed and reported.

Every output says so in words (console, workbook, page, findings.json), not by an empty
table alone, and `report` works whether or not `analyze` ran first.
"""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner
from mitmproxy import io as mio

from commands.cli import cli
from tests.support.flows import make_flow

NO_FINDINGS = "未发现问题 / no findings"


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.output
    return result


@pytest.fixture
def clean_session(tmp_path):
    capture = tmp_path / "clean.mitm"
    with capture.open("wb") as fo:
        mio.FlowWriter(fo).add(make_flow("https://www.example.com/hello", b"greeting=hi"))
    session = tmp_path / "clean"
    result = run("replay", capture, "--session", session)
    assert result.exit_code == 0 and "replayed 1 flows" in result.output and "0 PII hits" in result.output
    return session


@pytest.mark.parametrize("analyse_first", [True, False], ids=["analyze-then-report", "report-alone"])
def test_a_clean_session_is_reported_as_clean_everywhere(clean_session, analyse_first):
    if analyse_first:
        result = run("analyze", clean_session)
        assert result.exit_code == 0
        assert NO_FINDINGS in result.output          # the console says it, not only "Findings: 0"
    result = run("report", clean_session)
    assert result.exit_code == 0, result.output

    wb = openpyxl.load_workbook(clean_session / "evidence.xlsx", read_only=True)
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["结论 / Result"] == NO_FINDINGS
    findings_sheet = [r for r in wb["Findings"].iter_rows(values_only=True) if any(v is not None for v in r)]
    assert findings_sheet[1][0] == NO_FINDINGS       # the findings sheet itself says so under its header
    header, *flows = [r for r in wb["Flows"].iter_rows(values_only=True)]
    assert len(flows) == 1 and flows[0][header.index("主机 / Host")] == "www.example.com"

    page = (clean_session / "report.html").read_text("utf-8")
    assert NO_FINDINGS in page

    doc = json.loads((clean_session / "findings.json").read_text("utf-8"))
    assert doc["result"] == NO_FINDINGS and doc["findings_count"] == 0 and doc["findings"] == []
