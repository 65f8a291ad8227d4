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
def session(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "COLUMNAR_FROM_ROWS", 0)   # a small session, read columnar all the same
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


def _tampered(session, monkeypatch, event_sets, flow_set):
    """One SET clause on each of the first events and one on the first flow, then both reads,
    which must agree: the events' ids, the columnar session and its events by id."""
    conn = sqlite3.connect(session / "session.db")
    ids = [r[0] for r in conn.execute("SELECT id FROM events ORDER BY id LIMIT 3")]
    for event_id, assignment in zip(ids, event_sets):
        conn.execute(f"UPDATE events SET {assignment} WHERE id = ?", (event_id,))
    conn.execute(f"UPDATE flows SET {flow_set} WHERE rowid = 1")
    conn.commit()
    conn.close()
    fast, slow, _ = _both(session, monkeypatch)
    _same(fast, slow)
    return ids, fast, fast.events.set_index("id")


def test_text_in_a_number_column_and_broken_utf8_load_as_before(session, monkeypatch):
    ids, fast, events = _tampered(session, monkeypatch,
                                  ["seq = 'twelve', pid = 4.5", "api = CAST(X'61ff62' AS TEXT)"], "port = '8080'")
    assert pd.isna(events.loc[ids[0], "seq"]) and pd.isna(events.loc[ids[0], "pid"])
    assert events.loc[ids[1], "api"] == "a\ufffdb"
    assert 8080 in set(fast.flows["port"].dropna())


def test_real_columns_read_as_they_are_still_catch_text_and_blobs(session, monkeypatch):
    # REAL columns and the INTEGER PRIMARY KEY are read without a cast; text or a blob in one
    # still sends the table row by row, and an integer stored in a REAL column arrives a float.
    ids, fast, events = _tampered(session, monkeypatch,
                                  ["clock_error_ms = 'n/a'", "clock_offset_ms = X'00ff'"], "ts_end = 3")
    assert pd.isna(events.loc[ids[0], "clock_error_ms"]) and pd.isna(events.loc[ids[1], "clock_offset_ms"])
    assert fast.flows["ts_end"].dtype == "float64" and 3.0 in set(fast.flows["ts_end"].dropna())
    assert events.index.dtype == "Int64"


def test_a_small_session_is_read_in_this_process_and_a_large_one_by_the_readers(session, monkeypatch):
    calls = []
    real = columnar.read
    monkeypatch.setattr(columnar, "read", lambda db, queries, **kw: calls.append(len(queries)) or real(db, queries, **kw))
    rows = 300 + 302 + len(load.load_session(session).hits)   # flows, events, hits (the other tables empty)
    assert calls == [7]                                       # COLUMNAR_FROM_ROWS = 0 here
    monkeypatch.setattr(load, "COLUMNAR_FROM_ROWS", rows + 1)
    small = load.load_session(session)
    assert calls == [7]                                       # no reading process started
    monkeypatch.setattr(load, "COLUMNAR_FROM_ROWS", rows)
    _same(load.load_session(session), small)
    assert calls == [7, 7]


def test_only_declared_real_columns_and_the_rowid_are_read_without_a_cast(session):
    conn = sqlite3.connect(session / "session.db")
    holds = load._declared_to_hold(conn, "events", {"id": "int", "ts": "float", "seq": "int", "kind": "str",
                                                   "clock_error_ms": "float"})
    assert holds == {"id", "ts", "clock_error_ms"}    # seq (INTEGER, not the key) keeps its cast
    assert load._declared_to_hold(conn, "flows", {"id": "str", "ts_start": "float", "port": "int"}) == {"ts_start"}
    conn.execute("CREATE TABLE w (id INTEGER PRIMARY KEY, x NUMERIC, y FLOAT) WITHOUT ROWID")
    assert load._declared_to_hold(conn, "w", {"id": "int", "x": "float", "y": "float"}) == {"y"}
    conn.close()
