"""A long session's report.html and findings.json are written by a forked child while the
report's own process writes evidence.xlsx (analysis.pageapart): the files are the same bytes
as when one process writes all three, a child that fails costs only time, and a workbook that
fails leaves the earlier outputs as they were."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from analysis import forking, htmlpage, pageapart, workbook
from analysis.pipeline import analyze
from analysis.report import write_report
from tests.support.samples import demo_scope_path, write_synthetic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def serial_outputs(tmp_path_factory):
    """A session analysed and reported by one process: the bytes of its page and findings.json."""
    s = tmp_path_factory.mktemp("serial") / "s"
    write_synthetic(s, n_flows=300, n_events=300)
    analyze(s, scope=demo_scope_path()).session.store.close()
    mp = pytest.MonkeyPatch()
    mp.setattr(pageapart, "APART_ROWS", 10**12)
    try:
        write_report(s)
    finally:
        mp.undo()
    return s, {name: (s / name).read_bytes() for name in ("report.html", "findings.json")}


@pytest.fixture()
def forked(serial_outputs, tmp_path, monkeypatch):
    """The same session copied, with the page forked apart (threads other tests of this process
    left behind do not stop the fork here); the pids that wrote the page are collected."""
    import shutil

    src, want = serial_outputs
    s = tmp_path / "s"
    shutil.copytree(src, s)
    for name in want:
        (s / name).unlink()
    monkeypatch.setattr(pageapart, "APART_ROWS", 0)
    monkeypatch.setattr(forking, "can_fork", lambda: True)
    writers = tmp_path / "writers"
    real = pageapart.write_both

    def recorded(*args, **kw):
        with open(writers, "a") as f:
            f.write(f"{os.getpid()}\n")
        return real(*args, **kw)
    monkeypatch.setattr(pageapart, "write_both", recorded)
    return s, want, lambda: [int(x) for x in writers.read_text().split()] if writers.exists() else []


def _no_leftovers(s) -> None:
    assert not [p.name for p in s.iterdir() if p.name.endswith(".tmp")]


def test_the_page_and_findings_json_written_by_the_child_are_the_bytes_one_process_writes(forked):
    s, want, writers = forked
    write_report(s)
    assert writers() and os.getpid() not in writers()          # written by the child, not here
    for name, data in want.items():
        assert (s / name).read_bytes() == data, name
    _no_leftovers(s)


def test_a_child_that_fails_costs_only_time_the_files_are_written_here(forked, monkeypatch):
    s, want, writers = forked
    parent = os.getpid()
    real = htmlpage.write

    def fails_in_the_child(*args, **kw):
        if os.getpid() != parent:
            raise RuntimeError("the child breaks")
        return real(*args, **kw)
    monkeypatch.setattr(htmlpage, "write", fails_in_the_child)
    write_report(s)
    assert parent in writers() and len(writers()) == 2            # the child tried, then this process wrote
    for name, data in want.items():
        assert (s / name).read_bytes() == data, name
    _no_leftovers(s)


def test_a_workbook_that_fails_leaves_the_earlier_page_and_findings_json(forked, monkeypatch):
    s, want, writers = forked
    for name, data in want.items():
        (s / name).write_bytes(data)
    before = {name: (s / name).stat() for name in want}
    monkeypatch.setattr(workbook, "write", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    children, real_fork = [], forking.fork

    def fork():
        pid = real_fork()
        if pid:
            children.append(pid)
        return pid
    monkeypatch.setattr(forking, "fork", fork)
    with pytest.raises(OSError, match="disk full"):
        write_report(s)
    for name in want:   # the same files, never replaced (the child's were dropped)
        after = (s / name).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before[name].st_ino, before[name].st_mtime_ns)
    _no_leftovers(s)
    assert len(children) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(children[0], os.WNOHANG)                        # stopped and reaped: no child left behind


def test_a_fork_waits_for_no_thread_but_a_progress_display():
    code = textwrap.dedent("""
        import io, threading, time
        from analysis import forking
        from piiaudit.progress import Progress
        shown = Progress("report", "rows", enabled=True, stream=io.StringIO(), delay=0)
        print(forking.can_fork())
        stop = threading.Event()
        other = threading.Thread(target=stop.wait); other.start()
        print(forking.can_fork())
        stop.set(); other.join(); shown.close()
        pid = forking.fork()
        if pid == 0:
            forking.child_exit(True)
        import os
        print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    assert done.stdout.split() == [str(cores > 1), "False", "0"]
