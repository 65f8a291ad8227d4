"""The command line: help that teaches, marks a tester can set, clear errors."""

import re
import time

import pytest
from click.testing import CliRunner

from commands.cli import cli
from piiaudit.store import SessionStore
from piiaudit.times import iso_one, parse_time


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", ["demo", "record", "replay", "analyze", "report", "verify", "mark", "doctor",
                                     "device-profile", "corpus"])
def test_every_command_has_help_with_an_example(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    if command != "mark":
        assert "Example" in result.output, f"`piiaudit {command} --help` shows no example"


def test_mark_consent_records_a_tester_mark_at_the_given_time(tmp_path):
    SessionStore(tmp_path)
    result = invoke("mark", "consent", "--session", str(tmp_path), "--at", "2026-11-23T10:00:05+08:00",
                    "--note", "tapped 同意并继续")
    assert result.exit_code == 0, result.output
    marks = SessionStore(tmp_path).rows("SELECT ts, kind, source, note FROM consent_marks")
    assert marks == [{"ts": 1795399205.0, "kind": "accepted", "source": "tester", "note": "tapped 同意并继续"}]
    assert "2026-11-23" in result.output


def test_mark_consent_now_and_declined(tmp_path):
    SessionStore(tmp_path)
    before = time.time()
    assert invoke("mark", "consent", "--session", str(tmp_path), "--declined").exit_code == 0
    (mark,) = SessionStore(tmp_path).rows("SELECT ts, kind FROM consent_marks")
    assert mark["kind"] == "declined" and before <= mark["ts"] <= time.time()


def test_a_bad_time_says_which_forms_are_accepted(tmp_path):
    SessionStore(tmp_path)
    result = CliRunner().invoke(cli, ["mark", "consent", "--session", str(tmp_path), "--at", "yesterday-ish"])
    assert result.exit_code == 2
    assert "epoch seconds, ISO 8601" in result.output
    assert SessionStore(tmp_path).count("consent_marks") == 0


def test_commands_on_a_directory_that_is_not_a_session_fail_clearly(tmp_path):
    result = CliRunner().invoke(cli, ["report", str(tmp_path)])
    assert result.exit_code == 1
    assert "not a session directory" in result.output


def test_times_are_parsed_and_shown_in_iso_8601():
    assert parse_time("1795399205.5") == 1795399205.5
    assert parse_time("2026-11-23T02:00:05+00:00") == 1795399205.0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", iso_one(1795399205.0))


def test_the_command_line_starts_without_the_analysis_stack():
    # `piiaudit --help`, `verify`, `doctor`, `key`, `bundle`: pandas and the analysis are
    # imported by the commands that use them, so these start in a tenth of a second, not 0.8 s.
    import subprocess
    import sys
    from pathlib import Path

    probe = ("import sys, commands.cli; "
             "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow', 'analysis', 'mitmproxy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
