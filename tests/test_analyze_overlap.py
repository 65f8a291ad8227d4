"""analyze checks the session's files against the manifest while it reads session.db: a
session changed outside piiaudit is still refused with the same message, and nothing is
written to it (no write transaction, no findings, no timeline) before the check has passed."""

from __future__ import annotations

import sqlite3

import pytest

from analysis.pipeline import AnalysisError, analyze
from piiaudit.store import WRITES_KEY
from tests.support.samples import demo_scope_path, write_synthetic


def _state(session_dir):
    conn = sqlite3.connect(session_dir / "session.db")
    try:
        return (conn.execute("SELECT value FROM meta WHERE key = ?", (WRITES_KEY,)).fetchone()[0],
                conn.execute("SELECT count(*) FROM findings").fetchone()[0],
                conn.execute("SELECT count(*) FROM timeline").fetchone()[0])
    finally:
        conn.close()


def test_a_changed_session_is_refused_and_left_as_it_was(tmp_path):
    s = tmp_path / "s"
    write_synthetic(s, n_flows=200, n_events=200)
    analyze(s, scope=demo_scope_path()).session.store.close()
    conn = sqlite3.connect(s / "session.db")
    conn.execute("DELETE FROM findings")            # an edit outside piiaudit
    conn.execute("DELETE FROM timeline")
    conn.commit()
    conn.close()
    before = _state(s)
    assert before[1:] == (0, 0)
    with pytest.raises(AnalysisError, match="--accept-changes"):
        analyze(s, scope=demo_scope_path())
    assert _state(s) == before
    result = analyze(s, scope=demo_scope_path(), accept_changes=True)
    result.session.store.close()
    after = _state(s)
    assert int(after[0]) > int(before[0]) and after[1] > 0 and after[2] > 400
