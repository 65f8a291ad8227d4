"""The columnar read of session.db (analysis.columnar) gives the frames the row-by-row read
gives: same rows, values and dtypes; a table it cannot read as columns (text in a numeric
column, text that is not UTF-8) is read row by row, and the session loads the same."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from analysis import columnar, load
from tests.support.samples import write_synthetic

TABLES = ("flows", "hits", "events", "marks", "observations", "ui_actions", "screens")


@pytest.fixture()
def session(tmp_path):
    s = tmp_path / "s"
    write_synthetic(s, n_flows=300, n_events=300)
    return s


def _both(session, monkeypatch):
    calls = []
    real = columnar.read
    monkeypatch.setattr(columnar, "read", lambda db, queries, **kw: calls.append(len(queries)) or real(db, queries, **kw))
    fast = load.load_session(session)
    monkeypatch.setattr(columnar, "read", lambda db, queries, **kw: None)
    slow = load.load_session(session)
    return fast, slow, calls


def _same(a, b):
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_dtype=True)
    assert a.notes == b.notes and a.left_out == b.left_out


def test_columnar_and_row_reads_give_the_same_session(session, monkeypatch):
    fast, slow, calls = _both(session, monkeypatch)
    assert calls == [7]                       # every table through the driver (two children)
    assert len(fast.events) == 300 + 2 and len(fast.flows) == 300
    _same(fast, slow)


def test_text_in_a_number_column_and_broken_utf8_load_as_before(session, monkeypatch):
    conn = sqlite3.connect(session / "session.db")
    ids = [r[0] for r in conn.execute("SELECT id FROM events ORDER BY id LIMIT 3")]
    conn.execute("UPDATE events SET seq = 'twelve', pid = 4.5 WHERE id = ?", (ids[0],))
    conn.execute("UPDATE events SET api = CAST(X'61ff62' AS TEXT) WHERE id = ?", (ids[1],))
    conn.execute("UPDATE flows SET port = '8080' WHERE rowid = 1")
    conn.commit()
    conn.close()
    fast, slow, _ = _both(session, monkeypatch)
    _same(fast, slow)
    events = fast.events.set_index("id")
    assert pd.isna(events.loc[ids[0], "seq"]) and pd.isna(events.loc[ids[0], "pid"])
    assert events.loc[ids[1], "api"] == "a\ufffdb"
    assert 8080 in set(fast.flows["port"].dropna())
