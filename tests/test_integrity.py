"""Nothing lost, nothing silent: a damaged session.db is never taken for an empty session,
`piiaudit verify` checks every file against the manifest, analyze and report refuse a session
changed outside piiaudit unless told, a killed run leaves a mark, and every stored, skipped
and failed row is counted per stage and shown."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from mitmproxy import io

from commands.cli import cli
from piiaudit import integrity
from piiaudit.store import SessionStore
from tests.support.demo_device import IMEI, PROFILE
from tests.support.flows import make_flow
from tests.support.recorder_harness import Harness

URL = "https://ulogs.umeng.com/unify_logs?imei=" + IMEI


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def flows(n: int, *, start: float = 1_700_000_000.0):
    return [make_flow(f"{URL}&n={i}", b'{"a":1}', ts=start + i) for i in range(n)]


def write_capture(path: Path, items) -> Path:
    with open(path, "wb") as fh:
        w = io.FlowWriter(fh)
        for f in items:
            w.add(f)
    return path


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """A live-like session: 5 flows through the recorder (flows.mitm + session.db), analysed and reported."""
    session = tmp_path_factory.mktemp("integrity") / "run1"
    Harness(session, piiaudit_detect_process=False).run(flows(5)).close()
    assert invoke("analyze", session).exit_code == 0
    assert invoke("report", session).exit_code == 0
    return session


@pytest.fixture
def live(recorded, tmp_path) -> Path:
    """A copy of the recorded session, byte for byte (as `cp -r` makes it), for a test to change."""
    return Path(shutil.copytree(recorded, tmp_path / "run1"))


# -- 7: a damaged session.db is not an empty session -----------------------------------------
def _damage(db: Path, how: str) -> None:
    size = db.stat().st_size
    if how == "emptied":
        db.write_bytes(b"")
    elif how == "zeroed":
        db.write_bytes(b"\0" * size)
    elif how == "truncated":
        with open(db, "r+b") as fh:
            fh.truncate(size // 2)
    else:
        db.write_text("this is not a database\n")


@pytest.mark.parametrize("how", ["emptied", "zeroed", "truncated", "not-sqlite"])
@pytest.mark.parametrize("command", ["analyze", "report"])
def test_a_damaged_session_db_is_refused_and_the_manifest_kept(live, how, command):
    manifest_before = (live / "manifest.json").read_bytes()
    _damage(live / "session.db", how)
    damaged = (live / "session.db").read_bytes()
    result = CliRunner().invoke(cli, [command, str(live)])
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    line = lines[0]
    assert str(live / "session.db") in line
    assert "empty session" not in line.replace("not an empty session", "")
    assert "flows.mitm still holds 5 flows" in line
    assert f"piiaudit replay {live / 'flows.mitm'} --session" in line
    # Nothing rewritten: not the manifest, not the damaged file, no outputs of an "empty" session.
    assert (live / "manifest.json").read_bytes() == manifest_before
    assert (live / "session.db").read_bytes() == damaged


def test_a_write_ahead_log_removed_during_the_check_is_no_error(tmp_path, monkeypatch):
    """The last connection to close (another thread's or process's) removes session.db-wal at any
    moment, also between seeing the file and reading its size: the database is whole, not an error."""
    from piiaudit import dbfile

    db = tmp_path / "session.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    wal = tmp_path / "session.db-wal"
    assert wal.stat().st_size > 0
    real_exists = Path.exists

    def seen_then_removed(self):
        there = real_exists(self)
        if self == wal:
            conn.close()                    # the last connection checkpoints and removes the log
        return there

    monkeypatch.setattr(Path, "exists", seen_then_removed)
    assert dbfile.damage(db) is None
    conn.close()


def test_an_emptied_session_db_beside_a_recording_is_not_made_a_new_session(live):
    (live / "session.db").write_bytes(b"")
    result = CliRunner().invoke(cli, ["mark", "consent", "--session", str(live)])
    assert result.exit_code == 1 and "0 bytes" in result.output
    assert (live / "session.db").stat().st_size == 0


# -- 8: verify, and analyze/report refusing files changed outside piiaudit -------------------
def test_verify_a_session_as_recorded(live):
    result = invoke("verify", live)
    assert result.exit_code == 0, result.output
    for name in ("session.db", "flows.mitm", "evidence.xlsx", "report.html", "findings.json"):
        assert any(ln.split()[:2] == [name, "ok"] for ln in result.output.splitlines()), (name, result.output)
    assert "flows.mitm holds 5 flows" in result.output
    assert result.output.strip().splitlines()[-1].startswith("verdict: ok")


def _delete_imei_hits(session: Path) -> None:
    conn = sqlite3.connect(session / "session.db")   # an edit outside piiaudit: the sqlite3 shell
    conn.execute("DELETE FROM pii_hits WHERE pii_type = 'imei' AND flow_id IN (SELECT id FROM flows WHERE url LIKE '%n=1')")
    conn.commit()
    conn.close()


def test_an_edited_session_db_is_found_and_analyze_and_report_refuse_it(live):
    _delete_imei_hits(live)
    manifest_before = (live / "manifest.json").read_bytes()
    result = invoke("verify", live)
    assert result.exit_code == 1
    assert any(ln.split()[:2] == ["session.db", "changed"] for ln in result.output.splitlines()), result.output
    assert "verdict: mismatch" in result.output
    for command in ("analyze", "report"):
        refused = CliRunner().invoke(cli, [command, str(live)])
        assert refused.exit_code == 1, refused.output
        assert "session.db" in refused.output and "--accept-changes" in refused.output
        assert len(refused.output.strip().splitlines()) == 1
    assert (live / "manifest.json").read_bytes() == manifest_before


def test_verify_json_lists_every_artifact(live):
    (live / "report.html").unlink()
    (live / "evidence.xlsx").write_bytes(b"edited")
    result = invoke("verify", live, "--json")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    status = {a["name"]: a["status"] for a in doc["artifacts"]}
    assert status["report.html"] == "missing" and status["evidence.xlsx"] == "changed"
    assert status["session.db"] == status["flows.mitm"] == status["findings.json"] == "ok"
    assert doc["verdict"] == "mismatch"


def test_a_pipe_or_a_device_in_the_session_is_named_and_never_read(live):
    """verify, and the guard of analyze and report, hash every file: a FIFO or /dev/zero under
    an artifact's name would block or never end."""
    os.mkfifo(live / "scope.yaml")
    (live / "report.html").unlink()
    (live / "report.html").symlink_to("/dev/zero")
    cmd = [sys.executable, "-c", "from commands.cli import main; main()", "verify", str(live), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[1])
    assert done.returncode == 1, done.stderr
    files = {a["name"]: a for a in json.loads(done.stdout)["artifacts"]}
    assert files["scope.yaml"]["status"] == "new" and files["report.html"]["status"] == "changed"
    assert "not a regular file" in files["scope.yaml"]["detail"] == files["report.html"]["detail"]


def test_verify_checks_the_manifest_counts_and_the_flows_in_flows_mitm(live):
    m = json.loads((live / "manifest.json").read_text())
    m["counts"]["pii_hits"] += 3
    (live / "manifest.json").write_text(json.dumps(m))
    with open(live / "flows.mitm", "ab") as fh:   # one more flow than session.db has rows for
        io.FlowWriter(fh).add(make_flow("https://example.com/x", ts=1_700_000_100.0))
    result = invoke("verify", live)
    assert result.exit_code == 1
    assert "pii_hits: manifest 8, session.db 5" in result.output
    assert "flows.mitm holds 6 flows, session.db 5 flow rows" in result.output


def test_a_damaged_manifest_is_not_written_over(live):
    (live / "manifest.json").write_text('{"artifacts": ')
    result = invoke("verify", live)
    assert result.exit_code == 1 and "not a JSON object" in result.output
    refused = CliRunner().invoke(cli, ["analyze", str(live)])
    assert refused.exit_code == 1 and "manifest.json" in refused.output
    assert (live / "manifest.json").read_text() == '{"artifacts": '


def test_changes_accepted_while_the_session_is_read_are_still_named(live, monkeypatch):
    """analyze checks the files in a thread while it reads session.db; when the check records the
    accepted changes only after the read took manifest.json, the analysis still carries the record."""
    import threading

    from analysis import pipeline

    _delete_imei_hits(live)
    read = threading.Event()
    real_load, real_append = pipeline.load_session, integrity.manifest_mod.append

    def load_then_tell(*args, **kw):
        try:
            return real_load(*args, **kw)
        finally:
            read.set()

    def append_after_the_read(*args, **kw):
        read.wait(10)
        return real_append(*args, **kw)
    monkeypatch.setattr(pipeline, "load_session", load_then_tell)
    monkeypatch.setattr(integrity.manifest_mod, "append", append_after_the_read)
    result = pipeline.analyze(live, accept_changes=True)
    try:
        assert [c["command"] for c in result.session.manifest["accepted_changes"]] == ["analyze"]
        assert any("files changed after recording, accepted by the tester at" in line
                   for line in result.state.accepted_lines())
    finally:
        result.session.store.close()


def test_accept_changes_is_recorded_in_the_manifest_and_every_output(live):
    _delete_imei_hits(live)
    result = invoke("analyze", live, "--accept-changes")
    assert result.exit_code == 0, result.output
    assert "files changed after recording, accepted by the tester at" in result.output
    m = json.loads((live / "manifest.json").read_text())
    (accepted,) = m["accepted_changes"]
    assert accepted["command"] == "analyze" and accepted["by"]
    assert [(f["name"], f["status"]) for f in accepted["files"]] == [("session.db", "changed")]
    assert invoke("verify", live).exit_code == 0          # the manifest vouches for the accepted state now
    assert invoke("report", live).exit_code == 0
    book = openpyxl.load_workbook(live / "evidence.xlsx", read_only=True)
    first = [str(c) for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert any("files changed after recording, accepted by the tester at" in c for c in first)
    assert "files changed after recording, accepted by the tester at" in (live / "report.html").read_text()
    doc = json.loads((live / "findings.json").read_text())
    assert doc["session"]["accepted_changes"][0]["files"][0]["name"] == "session.db"


def test_a_consent_mark_is_a_change_by_piiaudit_and_not_refused(live):
    assert invoke("mark", "consent", "--session", live, "--at", "1700000002.5").exit_code == 0
    assert invoke("verify", live).exit_code == 0
    result = invoke("analyze", live)
    assert result.exit_code == 0, result.output
    assert "accepted by the tester" not in result.output


# -- 12: a killed replay leaves a mark --------------------------------------------------------
PIIAUDIT = [sys.executable, "-c", "from commands.cli import main; main()"]


def _killed_replay(tmp_path: Path) -> Path:
    capture = write_capture(tmp_path / "big.mitm", flows(3000))
    session = tmp_path / "killed"
    proc = subprocess.Popen([*PIIAUDIT, "replay", str(capture), "--session", str(session), "--profile", str(PROFILE)],
                            cwd=Path(__file__).resolve().parents[1], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = sqlite3.connect(f"file:{session / 'session.db'}?mode=ro", uri=True, timeout=5)
                n = conn.execute("SELECT count(*) FROM flows").fetchone()[0]
                conn.close()
            except sqlite3.Error:
                n = 0
            if n:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the replay ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    assert 0 < SessionStore(session, create=False).count("flows") < 3000
    return session


def test_a_killed_replay_makes_a_partial_session_that_every_output_names(tmp_path):
    session = _killed_replay(tmp_path)
    analysed = invoke("analyze", session)
    assert analysed.exit_code == 0, analysed.output
    assert "partial session / 不完整的会话" in analysed.output or "不完整的会话 / partial session" in analysed.output
    assert "nothing lost" not in analysed.output and "1 run did not end" in analysed.output
    assert invoke("report", session).exit_code == 0
    book = openpyxl.load_workbook(session / "evidence.xlsx", read_only=True)
    first = " ".join(str(c) for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c)
    assert "不完整的会话" in first and "partial session" in first
    page = (session / "report.html").read_text()
    assert "不完整的会话" in page and "partial session" in page
    doc = json.loads((session / "findings.json").read_text())
    assert doc["session"]["state"] == "partial" and "nothing lost" not in doc["session"]["accounting_text"]
    (run,) = doc["session"]["partial_runs"]
    assert run["stage"] == "replay"
    verified = invoke("verify", session)
    assert verified.exit_code == 1 and "verdict: partial" in verified.output


def test_a_clean_replay_is_complete(tmp_path):
    capture = write_capture(tmp_path / "five.mitm", flows(5))
    assert invoke("replay", capture, "--session", tmp_path / "s", "--profile", PROFILE).exit_code == 0
    result = invoke("analyze", tmp_path / "s")
    assert "partial" not in result.output and "不完整" not in result.output
    assert invoke("verify", tmp_path / "s").exit_code == 0


# -- error accounting --------------------------------------------------------------------------
REJECT = ("CREATE TRIGGER reject BEFORE INSERT ON flows WHEN NEW.url LIKE '%reject%' "
          "BEGIN SELECT RAISE(ABORT, 'rejected by the test'); END")


@pytest.fixture
def lossy(tmp_path) -> tuple[Path, str]:
    """A replay that loses two flows: one a row SQLite refuses to store, one without a response or error."""
    items = [*flows(3), make_flow(f"{URL}&no-answer", status=None, ts=1_700_000_010.0),
             make_flow(f"{URL}&reject", ts=1_700_000_011.0)]
    capture = write_capture(tmp_path / "lossy.mitm", items)
    session = tmp_path / "lossy"
    SessionStore(session).conn.execute(REJECT)
    result = invoke("replay", capture, "--session", session, "--profile", PROFILE)
    assert result.exit_code == 0, result.output
    return session, result.output


def test_replay_says_what_it_lost(lossy):
    _, line = lossy
    assert "0 errors" not in line
    assert "3 stored" in line and "1 not stored" in line and "1 skipped" in line


def test_every_stage_is_accounted_in_the_summary_workbook_and_findings_json(lossy):
    session, _ = lossy
    summary = invoke("analyze", session).output
    assert "0 errors" not in summary
    acc = [ln for ln in summary.splitlines() if ln.strip().startswith("replay")]
    assert acc and "stored 3 flows" in acc[0] and "skipped 1 flow" in acc[0] and "failed 1 flow" in acc[0], summary
    assert invoke("report", session).exit_code == 0
    doc = json.loads((session / "findings.json").read_text())
    rows = {(r["stage"], r["outcome"], r["what"]): r["n"] for r in doc["session"]["accounting"]}
    assert rows[("replay", "stored", "flows")] == 3
    assert rows[("replay", "failed", "flows")] == 1
    assert rows[("replay", "skipped", "flows")] == 1
    assert doc["session"]["lost"] >= 2
    book = openpyxl.load_workbook(session / "evidence.xlsx", read_only=True)
    sheet = next(ws for ws in book.worksheets if ws.title == "Accounting")
    table = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert ("回放 / replay", "失败 / failed", "流量 / flows", 1) in [t[:4] for t in table]


def test_a_capped_scan_is_never_0_errors(tmp_path):
    big = make_flow(f"{URL}&big", b"x" * (5 * 1024 * 1024), ts=1_700_000_000.0)   # beyond the 4 MiB body cap
    capture = write_capture(tmp_path / "big.mitm", [big])
    line = invoke("replay", capture, "--session", tmp_path / "s", "--profile", PROFILE).output
    assert "1 scan capped" in line and "0 errors" not in line, line
    summary = invoke("analyze", tmp_path / "s").output
    assert "1 scan capped" in summary and "0 errors" not in summary, summary


def test_the_analysis_counts_what_it_left_out(tmp_path):
    session = tmp_path / "s"
    Harness(session, piiaudit_detect_process=False).run(flows(3)).close()
    store = SessionStore(session)
    store.write({"flows": [{"id": "bad-time", "ts_start": -5.0, "url": "https://x/", "host": "x"}]})
    store.close()
    result = invoke("analyze", session)
    assert "analysis" in result.output and "skipped 1 flow" in result.output, result.output


def test_a_clean_recording_counts_every_row_it_stored(demo_recording):
    store = demo_recording.store()
    tally = {(r["stage"], r["what"]): r["n"] for r in store.rows(
        "SELECT stage, what, sum(n) AS n FROM tally WHERE outcome = 'stored' GROUP BY stage, what")}
    assert tally[("proxy", "flows")] == store.count("flows") > 0
    assert tally[("hooks", "events")] == store.count("events") > 0
    assert store.rows("SELECT count(*) AS n FROM runs WHERE ended IS NULL") == [{"n": 0}]
    assert {r["stage"] for r in store.rows("SELECT stage FROM runs")} == {"proxy", "hooks"}
    checked = integrity.verify(demo_recording.session_dir)
    assert checked.verdict == "ok", integrity.summary(checked)
