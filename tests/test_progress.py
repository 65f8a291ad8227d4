"""The progress display (piiaudit.progress): seen on a terminal, never in a pipe, in CI or with
--quiet, erased before the command's own output, and without effect on the files written."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from mitmproxy import io as mio

from piiaudit import progress
from tests.support import samples
from tests.support.flows import make_flow

ROOT = Path(__file__).resolve().parent.parent
PIIAUDIT = [sys.executable, "-c", "from commands.cli import main; main()"]
ERASE = b"\r\x1b[K"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PIIAUDIT_PROGRESS_DELAY")}
    env.update({"PIIAUDIT_PROGRESS_DELAY": "0", "TERM": "xterm", "COLUMNS": "200"}, **extra)
    return env


def on_terminal(*args, **env: str) -> tuple[int, bytes]:
    """`piiaudit ARGS` with stdout and stderr on a pseudo-terminal: its exit status and every byte it showed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*PIIAUDIT, *map(str, args)], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                            cwd=ROOT, env=_env(**env), close_fds=True)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:     # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return proc.wait(timeout=120), seen


def in_pipe(*args, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PIIAUDIT, *map(str, args)], capture_output=True, cwd=ROOT, env=_env(**env), timeout=120)


def _flow_file(path: Path, n: int) -> Path:
    with open(path, "wb") as fo:
        writer = mio.FlowWriter(fo)
        for i in range(n):
            writer.add(make_flow(f"https://api.example.com/v1/{i}", b"imei=867530900000001&n=%d" % i,
                                 ts=1_700_000_000.0 + i))
    return path


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> Path:
    session = tmp_path_factory.mktemp("progress") / "s"
    samples.write_standin_scenario(session)
    done = in_pipe("analyze", session)
    assert done.returncode == 0, done.stderr
    return session


# -- the module ----------------------------------------------------------------------------------
def test_the_line_shows_done_total_rate_and_time_left():
    text = progress.line("replay", "flows", 2500, 10_000, None, 5.0)
    assert text.startswith("replay  2,500/10,000 flows (25%)  500 flows/s  ~15 s left")
    staged = progress.line("analyze", "", 4, 7, "rules", 3.0)
    assert staged == "analyze  rules  step 4/7  [3 s]"     # steps unlike each other: no rate, no time left
    assert progress.duration(125) == "2 min 05 s" and progress.duration(3720) == "1 h 02 min"


def test_quiet_in_ci_with_quiet_in_pipes_and_on_dumb_terminals():
    master, slave = pty.openpty()
    try:
        with open(slave, "w", closefd=False) as tty:
            assert progress.wanted(stream=tty, out=tty, env={"TERM": "xterm"})
            assert progress.wanted(stream=tty, out=tty, env={"CI": "false"})
            assert not progress.wanted(stream=tty, out=tty, env={"CI": "true"})
            assert not progress.wanted(stream=tty, out=tty, env={"CI": "1"})
            assert not progress.wanted(stream=tty, out=tty, env={"TERM": "dumb"})
            assert not progress.wanted(quiet=True, stream=tty, out=tty, env={})
            assert not progress.wanted(stream=tty, out=io.StringIO(), env={})    # stdout piped (`| jq`)
            assert not progress.wanted(stream=io.StringIO(), out=tty, env={})
    finally:
        os.close(master)
        os.close(slave)
    assert progress.delay_setting({"PIIAUDIT_PROGRESS_DELAY": "0.5"}) == 0.5
    assert progress.delay_setting({"PIIAUDIT_PROGRESS_DELAY": "nan"}) == progress.DELAY_S
    assert progress.delay_setting({"PIIAUDIT_PROGRESS_DELAY": "-1"}) == progress.DELAY_S


def test_nothing_is_drawn_before_the_delay_and_the_line_is_erased_at_the_end():
    shown = io.StringIO()
    with progress.Progress("job", "rows", enabled=True, stream=shown, delay=30.0) as p:
        p(10, 100)
    assert shown.getvalue() == ""                  # work shorter than the delay prints nothing
    shown = io.StringIO()
    with progress.Progress("job", "rows", enabled=True, stream=shown, delay=0.0, interval=0.01) as p:
        p(10, 100, "first")
        time.sleep(0.2)
    out = shown.getvalue()
    assert "job  first  10/100 rows (10%)" in out
    assert out.endswith("\r\x1b[K")                # erased: what follows starts on a clean line
    disabled = io.StringIO()
    with progress.Progress("job", "rows", enabled=False, stream=disabled, delay=0.0) as p:
        p(1, 2)
        time.sleep(0.05)
    assert disabled.getvalue() == "" and p.thread is None


def test_prints_of_a_script_never_share_a_line_with_the_display(monkeypatch):
    terminal = io.StringIO()                    # stdout and the display on one terminal
    monkeypatch.setattr(sys, "stdout", terminal)
    with progress.Progress("bench", "steps", enabled=True, stream=terminal, delay=0.0, interval=0.001) as p:
        with p.around_prints():
            p(1, 3, "replay")
            for i in range(30):
                time.sleep(0.003)               # the display redraws meanwhile
                print(f"row {i}")
    # What a terminal shows of each finished line: the text after its last carriage return.
    lines = [line.rsplit("\r", 1)[-1].replace("\x1b[K", "") for line in terminal.getvalue().split("\n")]
    assert lines == [f"row {i}" for i in range(30)] + [""]
    assert "bench  replay" in terminal.getvalue()   # the display was there between the rows


# -- the commands ------------------------------------------------------------------------------
def test_replay_shows_its_flows_on_a_terminal_and_nothing_in_a_pipe(tmp_path):
    flows = _flow_file(tmp_path / "flows.mitm", 300)
    code, seen = on_terminal("replay", flows, "--session", tmp_path / "tty")
    assert code == 0, seen
    drawn = re.findall(rb"\rreplay  flows.mitm  ([\d,]+)/300 flows", seen)
    assert drawn, seen[-500:]                      # done/total of the flow file, counted beforehand
    assert b" flows/s" in seen
    summary = seen.rsplit(ERASE, 1)[1]             # erased before the summary, which is whole
    assert summary.startswith(b"replayed 300 flows from ") and b"300 stored" in summary

    piped = in_pipe("replay", flows, "--session", tmp_path / "pipe")
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == b""                     # a pipe sees nothing of the display
    assert b"\r" not in piped.stdout and b"\x1b" not in piped.stdout
    assert piped.stdout.startswith(b"replayed 300 flows from ") and b"300 stored" in piped.stdout

    for quiet in (dict(CI="true"), dict(args=("--quiet",))):
        extra = quiet.pop("args", ())
        code, seen = on_terminal("replay", flows, "--session", tmp_path / f"q{len(extra)}", *extra, **quiet)
        assert code == 0 and b"\r" not in seen.replace(b"\r\n", b"") and b"\x1b" not in seen, seen[-300:]


def _xlsx_parts(path: Path) -> dict[str, bytes]:
    """The workbook's parts; in core.xml the moment of writing (whole seconds) is taken out."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["docProps/core.xml"] = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"T", parts["docProps/core.xml"])
    return parts


def test_reports_are_the_same_bytes_with_and_without_the_display(analysed, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = shutil.copytree(analysed, tmp_path / "a" / "s"), shutil.copytree(analysed, tmp_path / "b" / "s")
    code, seen = on_terminal("report", a)
    assert code == 0, seen
    assert b"\rreport  " in seen and b"rows" in seen       # the display ran during this report
    piped = in_pipe("report", b)
    assert piped.returncode == 0 and piped.stderr == b""
    for name in ("findings.json", "report.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert _xlsx_parts(a / "evidence.xlsx") == _xlsx_parts(b / "evidence.xlsx")
    # what the terminal showed after the display is exactly what the pipe printed
    assert seen.rsplit(ERASE, 1)[1].replace(b"\r\n", b"\n") == piped.stdout.replace(bytes(b.parent), bytes(a.parent))


def test_analyze_shows_its_stages_on_a_terminal(analysed, tmp_path):
    session = shutil.copytree(analysed, tmp_path / "s")
    code, seen = on_terminal("analyze", session)
    assert code == 0, seen
    assert re.search(rb"\ranalyze  [a-z. ]+  step \d/7", seen), seen[:300]
    assert b"/s" not in seen.split(ERASE)[0]       # stages have no rate


def test_campaign_json_stays_one_clean_object(analysed, tmp_path):
    batch = tmp_path / "batch"
    for i in (1, 2):
        shutil.copytree(analysed, batch / f"s{i}")
    code, seen = on_terminal("campaign", batch, "--out", tmp_path / "c.xlsx", "--json")
    assert code == 0, seen
    assert re.search(rb"\rcampaign  s\d  \d/2 sessions", seen), seen[:300]
    last = seen.rsplit(ERASE, 1)[1].strip()
    assert json.loads(last)["sessions"] == 2       # the JSON is whole, nothing of the display in it
    piped = in_pipe("campaign", batch, "--out", tmp_path / "c2.xlsx", "--json")
    assert piped.returncode == 0 and piped.stderr == b""
    assert json.loads(piped.stdout.decode().strip().splitlines()[-1])["sessions"] == 2


# -- the benchmarks ----------------------------------------------------------------------------
def test_a_benchmark_json_is_one_object_on_the_last_line_and_run_all_reads_it():
    done = subprocess.run([sys.executable, "benchmarks/observed_delay.py", "--runs", "handover", "--reads", "5",
                           "--gap-ms", "1", "2", "--json"], capture_output=True, text=True, cwd=ROOT, env=_env(),
                          timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["handover"]["values"] == 5 and figures["handover"]["missing"] == 0
    assert figures["handover"]["p99_ms"] >= figures["handover"]["p50_ms"] >= 0
    assert lines[-2].startswith("handover ")       # the table is still printed above it
    assert "\x1b" not in done.stdout + done.stderr   # a pipe: no display

    import importlib.util
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks" / "run_all.py")
    run_all = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_all)
    assert run_all.last_json(done.stdout) == figures
    assert run_all.last_json("a table\n\n") is None and run_all.last_json("[1, 2]\n") is None


def test_run_all_json_carries_the_machine_speed_so_figures_in_seconds_compare_between_machines():
    done = subprocess.run([sys.executable, "benchmarks/run_all.py", "--only", "none-such", "--json"],
                          capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    machine = json.loads(done.stdout.strip().splitlines()[-1])["machine"]
    assert machine["cores"] == os.cpu_count()
    assert machine["python_ms"] > 0 and machine["pandas_ms"] > 0
    assert done.stdout.startswith(f"machine: {machine['cpu']}, {machine['cores']} cores")
