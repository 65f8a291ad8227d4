"""The rules over every read run in a forked child beside the analysing process
(analysis.rulesapart): the findings, the rules not run and the rules that failed are exactly
those of one process running every rule, in catalog order, and a child that fails costs
only time (the parent runs those rules itself)."""

from __future__ import annotations

import os
import pickle
import types

import pandas as pd
import pytest

from analysis import forking, rulesapart
from analysis.pipeline import analyze, stored_findings
from tests.support.samples import demo_scope_path, write_synthetic


def _analysed(session_dir):
    result = analyze(session_dir, scope=demo_scope_path())
    try:
        return (result.findings, result.skipped, result.errors,
                stored_findings(result.session).drop(columns=["id"]))
    finally:
        result.session.store.close()


@pytest.fixture()
def serial(tmp_path, monkeypatch):
    s = tmp_path / "s"
    write_synthetic(s, n_flows=400, n_events=400)
    monkeypatch.setattr(rulesapart, "APART_ROWS", 10**9)
    return s, _analysed(s)


def _forks(monkeypatch) -> list[int]:
    """Count the forks; threads other tests of this process left behind (daemon threads
    waiting on nothing of this test) do not stop the fork here."""
    forked = []
    real = os.fork
    monkeypatch.setattr(forking, "can_fork", lambda: True)

    def fork():
        pid = real()
        if pid:
            forked.append(pid)
        return pid
    monkeypatch.setattr(rulesapart.os, "fork", fork)
    return forked


def _same(got, want):
    pd.testing.assert_frame_equal(got[0], want[0])
    assert got[1:3] == want[1:3]
    pd.testing.assert_frame_equal(got[3], want[3])


def test_rules_run_apart_find_what_one_process_finds(serial, monkeypatch):
    session_dir, want = serial
    apart_ids = {"IM3.3", "SDK-UNDISCLOSED"}
    assert apart_ids <= set(want[0]["rule_id"])           # the child's rules do find something here
    monkeypatch.setattr(rulesapart, "APART_ROWS", 0)
    forked = _forks(monkeypatch)
    got = _analysed(session_dir)
    assert len(forked) == 1
    _same(got, want)
    # the rules keep their catalog order: the child's findings are not appended at the end
    assert list(got[0]["rule_id"]) == list(want[0]["rule_id"])


def test_a_child_that_fails_costs_only_time(serial, monkeypatch):
    session_dir, want = serial
    monkeypatch.setattr(rulesapart, "APART_ROWS", 0)
    forked = _forks(monkeypatch)

    def refuse(*_a, **_k):
        raise pickle.PicklingError("no answer")
    monkeypatch.setattr(rulesapart, "pickle", types.SimpleNamespace(
        dumps=refuse, loads=pickle.loads, HIGHEST_PROTOCOL=pickle.HIGHEST_PROTOCOL))
    got = _analysed(session_dir)
    assert len(forked) == 1                               # the child ran, answered nothing
    _same(got, want)


def test_no_child_while_another_thread_runs(serial, monkeypatch):
    import threading

    session_dir, want = serial
    forked = _forks_as_forking_decides(monkeypatch)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    _only_threads(monkeypatch, other)
    try:
        got = _analysed(session_dir)
    finally:
        stop.set()
        other.join()
    assert forked == []
    _same(got, want)


def test_a_progress_display_on_a_terminal_does_not_keep_the_rules_in_one_process(serial, monkeypatch):
    """`piiaudit analyze` on a terminal shows its progress from a thread of its own: the child still runs."""
    import io

    from piiaudit.progress import Progress

    session_dir, want = serial
    forked = _forks_as_forking_decides(monkeypatch)
    shown = Progress("analyze", enabled=True, stream=io.StringIO(), delay=0, interval=0.001)
    _only_threads(monkeypatch, shown.thread)
    try:
        result = analyze(session_dir, scope=demo_scope_path(), progress=shown)
        got = (result.findings, result.skipped, result.errors, stored_findings(result.session).drop(columns=["id"]))
        result.session.store.close()
    finally:
        shown.close()
    if len(os.sched_getaffinity(0)) > 1:
        assert len(forked) == 1
    _same(got, want)
    assert "analyze" in shown.stream.getvalue()      # the display did draw meanwhile


def _forks_as_forking_decides(monkeypatch) -> list[int]:
    """Every evidence worth a child, the forks counted, analysis.forking's own rule deciding."""
    monkeypatch.setattr(rulesapart, "APART_ROWS", 0)
    real_can_fork = forking.can_fork
    forked = _forks(monkeypatch)
    monkeypatch.setattr(forking, "can_fork", real_can_fork)
    return forked


def _only_threads(monkeypatch, *mine) -> None:
    """The threads forking sees: this one and `mine`, not those other tests of this process left behind."""
    import threading

    real = threading.enumerate
    monkeypatch.setattr(forking.threading, "enumerate",
                        lambda: [t for t in real() if t is threading.current_thread() or t in mine])


def test_the_timeline_writer_waits_for_the_child(serial, monkeypatch):
    # three processes at once held more than the machine's 1 GB at 10^6 rows: the writer of a
    # long timeline starts once the child has answered, and stores the same timeline
    from analysis import bulkwrite
    from analysis import timeline as timeline_mod

    session_dir, want = serial
    monkeypatch.setattr(timeline_mod, "BULK_ROWS", 1)
    stored_serial = timeline_mod.stored(analyze(session_dir, scope=demo_scope_path()).session.store)
    monkeypatch.setattr(rulesapart, "APART_ROWS", 0)
    forked = _forks(monkeypatch)
    happened = []
    real_outcomes, real_start = rulesapart.Apart.outcomes, bulkwrite.start

    def outcomes(self):
        got = real_outcomes(self)
        happened.append("child answered" if self.positions else "no child")
        return got
    monkeypatch.setattr(rulesapart.Apart, "outcomes", outcomes)
    monkeypatch.setattr(bulkwrite, "start", lambda *a, **k: happened.append("writer") or real_start(*a, **k))
    result = analyze(session_dir, scope=demo_scope_path())
    try:
        assert len(forked) == 1
        assert happened == ["child answered", "writer"]
        pd.testing.assert_frame_equal(timeline_mod.stored(result.session.store), stored_serial)
    finally:
        result.session.store.close()
