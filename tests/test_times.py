"""One time formatter (piiaudit.times) for every output: the report's zone, ISO 8601 with offset and milliseconds."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.pipeline import analyze
from analysis.report import write_report
from analysis.summary import text_summary
from commands.cli import cli
from piiaudit.times import ZoneError, iso_column, iso_one, parse_time, zone, zone_label
from tests.support.samples import T0, demo_scope_path, write_standin_scenario

REPO = Path(__file__).resolve().parents[1]
SUMMER = 1_782_864_000.25     # 2026-07-01T00:00:00.250Z
WINTER = T0 + 0.75            # 2026-01-01T00:00:00.750Z


@pytest.mark.parametrize("name, winter, summer", [
    ("Asia/Shanghai", "2026-01-01T08:00:00.750+08:00", "2026-07-01T08:00:00.250+08:00"),
    ("America/New_York", "2025-12-31T19:00:00.750-05:00", "2026-06-30T20:00:00.250-04:00"),
    ("UTC", "2026-01-01T00:00:00.750+00:00", "2026-07-01T00:00:00.250+00:00"),
])
def test_one_value_and_a_column_read_the_same(name, winter, summer):
    tz = zone(name)
    assert (iso_one(WINTER, tz), iso_one(SUMMER, tz)) == (winter, summer)
    column = iso_column(pd.Series([WINTER, None, SUMMER]), tz)
    assert column.iloc[0] == winter and column.iloc[2] == summer and pd.isna(column.iloc[1])


def test_missing_times_are_empty():
    assert [iso_one(v) for v in (None, float("nan"), pd.NA, float("inf"), "x")] == [""] * 5


def test_the_zone_is_the_one_given_else_tz_else_the_systems(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    assert iso_one(WINTER).endswith("+08:00") and iso_column(pd.Series([WINTER])).iloc[0].endswith("+08:00")
    assert iso_one(WINTER, zone("UTC")).endswith("+00:00")
    assert zone_label() == "Asia/Shanghai (UTC+08:00)"
    monkeypatch.setenv("TZ", "Not/AZone")      # an unusable TZ falls back to the system's zone
    assert iso_one(WINTER) == iso_one(WINTER, zone(None))
    with pytest.raises(ZoneError, match="unknown time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")


def test_a_typed_time_without_a_zone_is_read_in_the_same_zone(monkeypatch):
    assert parse_time("2026-11-23 10:00:05", zone("Asia/Shanghai")) == 1795399205.0
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    assert parse_time("2026-11-23T10:00:05") == 1795399205.0
    assert iso_one(parse_time("2026-11-23T10:00:05")) == "2026-11-23T10:00:05.000+08:00"


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "Asia/Shanghai")
        session = tmp_path_factory.mktemp("tz") / "session"
        write_standin_scenario(session)
        result = analyze(session, scope=demo_scope_path())
        result.session.store.close()
        yield session, result


def test_every_output_shows_the_zone_it_was_asked_for(analysed, monkeypatch):
    session, result = analysed
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    paths = write_report(session, tz="America/New_York")
    wb = openpyxl.load_workbook(paths["xlsx"])
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["时区 / Time zone"].startswith("America/New_York (UTC-0")
    assert summary["同意时刻 / Consent time (America/New_York, UTC-05:00)"] == "2025-12-31T19:00:02.000-05:00"
    assert summary["同意时刻（纪元秒） / Consent (epoch s)"] == f"{T0 + 2:.3f}"
    # every column of times in words names the zone in its header, with the epoch seconds beside it
    for name in ("Findings", "SDK发送的数据 (Sent by SDK)", "Flows", "API events", "Timeline", "Hooks"):
        header = [c for c in next(wb[name].iter_rows(max_row=1, values_only=True))]
        timed = [i for i, c in enumerate(header) if "时间" in c and "纪元秒" not in c and "设备" not in c]
        assert timed, name
        for i in timed:
            assert header[i].endswith(" (America/New_York, UTC-05:00)"), (name, header[i])
            assert "纪元秒" in header[i + 1], (name, header[i + 1])
    cells = [str(v) for name in ("Findings", "Flows", "API events", "Timeline")
             for row in wb[name].iter_rows(min_row=2, values_only=True) for v in row if v is not None]
    stamps = [c for c in cells if c.startswith("2025-12-31T19:00:")]
    assert stamps and not [c for c in cells if "+08:00" in c]
    doc = json.loads(paths["json"].read_text("utf-8"))
    assert doc["tz"] == {"name": "America/New_York", "utc_offset": "-05:00"}
    records = doc["findings"]
    assert all(r["first_time"].endswith("-05:00") for r in records)
    assert all("+08:00" not in s["en"] for r in records for s in r["read_sent"])
    page = paths["html"].read_text("utf-8")
    assert "-05:00" in page and "+08:00" not in page
    words = re.sub(r'</?span[^>]*>', "", page)   # the page keeps each header word whole in a span
    assert "<th>时间 / Time (America/New_York, UTC-05:00)</th><th>纪元秒 / Epoch (s)</th>" in words
    assert "2026-01-01T08:00:02.000+08:00" in text_summary(result)
    console = text_summary(result, tz=zone("UTC"))
    assert "2026-01-01T00:00:02.000+00:00" in console and "时区 / Time zone: UTC (UTC+00:00)" in console


def test_the_commands_take_tz_and_refuse_an_unknown_zone(analysed):
    session, _ = analysed
    bad = CliRunner().invoke(cli, ["report", str(session), "--tz", "Mars/Olympus"])
    assert bad.exit_code == 2 and "unknown time zone 'Mars/Olympus'" in bad.output
    good = CliRunner().invoke(cli, ["analyze", str(session), "--tz", "UTC", "--scope", str(demo_scope_path())])
    assert good.exit_code == 0 and "2026-01-01T00:00:02.000+00:00" in good.output


def test_no_other_module_formats_or_converts_times():
    """Only piiaudit/times.py turns epoch seconds into text (or reads a naive time)."""
    calls = {"isoformat", "fromtimestamp", "strftime", "astimezone", "tz_convert"}
    found = []
    for path in sorted(p for floor in ("piiaudit", "addon", "hooks", "analysis", "commands")
                       for p in (REPO / floor).rglob("*.py") if "node_modules" not in p.parts):
        if path == REPO / "piiaudit" / "times.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in calls:
                found.append(f"{path.relative_to(REPO)}:{node.lineno} .{node.attr}")
    assert found == []


NOT_TIMES = ["nan", "NaN", "inf", "-inf", "Infinity", "1e300", "-1e300", "1e20", "-5", "0001-01-01T00:00:00+14:00",
             "9999-12-31T23:59:59-14:00"]


@pytest.mark.parametrize("text", NOT_TIMES)
def test_a_time_must_be_finite_and_within_the_years_a_recording_can_have(text):
    with pytest.raises(ValueError) as err:
        parse_time(text)
    assert repr(text.strip()) in str(err.value) and "\n" not in str(err.value)


def test_the_stored_time_window_and_the_typed_one_are_the_same():
    from piiaudit import times

    assert parse_time(str(times.LATEST)) == times.LATEST and parse_time("0") == 0.0
    with pytest.raises(ValueError, match="outside"):
        times.checked(times.LATEST + 1)


def _one_line(result, code=2):
    assert result.exit_code == code and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.output.strip().splitlines()[-1]


@pytest.mark.parametrize("text", ["nan", "inf", "1e300"])
def test_analyze_and_mark_refuse_a_time_that_is_not_one_and_write_nothing(tmp_path, text):
    session = tmp_path / "s"
    write_standin_scenario(session)
    line = _one_line(CliRunner().invoke(cli, ["analyze", str(session), f"--consent-at={text}"]))
    assert "--consent-at" in line and repr(text) in line
    from piiaudit.store import SessionStore

    store = SessionStore(session, create=False)
    marks_before = store.count("consent_marks")
    assert store.count("findings") == 0                         # nothing analysed on a refusal
    line = _one_line(CliRunner().invoke(cli, ["mark", "consent", "--session", str(session), f"--at={text}"]))
    assert "--at" in line and repr(text) in line
    assert store.count("consent_marks") == marks_before          # no mark written before a crash
    with pytest.raises(ValueError, match="not a time"):
        store.add_consent_mark(float(text))                      # the store's own API refuses it too
    from analysis.errors import AnalysisError

    with pytest.raises(AnalysisError, match="consent"):
        analyze(session, consent_at=float(text))


@pytest.mark.parametrize("name", ["Asia", "A" * 300, "Asia/Shanghai\x00", "../etc/passwd", " "])
def test_an_odd_zone_name_is_one_line_in_every_command_and_in_tz(analysed, monkeypatch, name):
    session, _ = analysed
    for args in (["report", str(session), "--tz", name], ["analyze", str(session), "--tz", name]):
        line = _one_line(CliRunner().invoke(cli, args))
        assert "--tz" in line and "unknown time zone" in line
    with pytest.raises(ZoneError):
        zone(name)
    if "\x00" not in name:                                      # (no environment variable can hold one)
        monkeypatch.setenv("TZ", name)                          # a broken TZ falls back to the system's zone
        assert zone() is not None and iso_one(0.0)


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "1e300"])
def test_a_duration_must_be_finite_too(tmp_path, value):
    line = _one_line(CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "d"), f"--timeout={value}"]))
    assert "--timeout" in line and repr(value) in line
    assert not (tmp_path / "d").exists()
