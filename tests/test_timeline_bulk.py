"""A long timeline is stored by bulk ingest in a child process (analysis.bulkwrite) while the
rules run: the rows SQLite holds afterwards are exactly those the executemany path writes
(text escaped as the store keeps it, NULLs, integers), the write counter moves once per
replacement, and a child that fails or gets only part of the rows leaves the table as it was
(the caller writes it)."""

from __future__ import annotations

import sqlite3

import pyarrow as pa
import pytest

from analysis import bulkwrite
from analysis import timeline as timeline_mod
from analysis.pipeline import analyze
from piiaudit.store import WRITES_KEY
from tests.support.samples import demo_scope_path, write_synthetic


@pytest.fixture()
def analysed(tmp_path):
    s = tmp_path / "s"
    write_synthetic(s, n_flows=400, n_events=400)
    result = analyze(s, scope=demo_scope_path())
    yield s, result
    result.session.store.close()


def _rows(session_dir):
    conn = sqlite3.connect(session_dir / "session.db")
    try:
        rows = conn.execute("SELECT * FROM timeline ORDER BY pos").fetchall()
        writes = conn.execute("SELECT value FROM meta WHERE key = ?", (WRITES_KEY,)).fetchone()[0]
        return rows, int(writes)
    finally:
        conn.close()


def test_bulk_and_executemany_store_the_same_rows(analysed, monkeypatch):
    session_dir, result = analysed
    order = timeline_mod.stored(result.session.store)
    # a byte that was not UTF-8 (kept as a lone surrogate) in the SDK column of one row
    order.loc[3, "sdk"] = "lib\udcff"
    monkeypatch.setattr(timeline_mod, "BULK_ROWS", 10**9)
    assert timeline_mod.save(order, result.session.store) == len(order)
    by_rows, writes_before = _rows(session_dir)
    started = []
    real = bulkwrite.start
    monkeypatch.setattr(bulkwrite, "start", lambda *a, **k: started.append(1) or real(*a, **k))
    monkeypatch.setattr(timeline_mod, "BULK_ROWS", 1)
    assert timeline_mod.save(order, result.session.store) == len(order)
    by_bulk, writes_after = _rows(session_dir)
    assert started == [1]
    assert by_bulk == by_rows
    assert by_bulk[3][7] == "lib\\xff"                           # escaped as the store keeps it
    assert writes_after == writes_before + 1


def test_rows_sent_in_many_batches_are_stored_whole_and_in_order(analysed, monkeypatch):
    # the child ingests each batch as it arrives; the text dictionaries come with the first one
    session_dir, result = analysed
    order = timeline_mod.stored(result.session.store)
    monkeypatch.setattr(timeline_mod, "BULK_ROWS", 10**9)
    assert timeline_mod.save(order, result.session.store) == len(order)
    by_rows, _ = _rows(session_dir)
    monkeypatch.setattr(timeline_mod, "BULK_ROWS", 1)
    monkeypatch.setattr(bulkwrite, "INGEST_ROWS", 7)
    monkeypatch.setattr(timeline_mod, "_executemany", lambda *a: pytest.fail("the writing child failed"))
    assert len(order) > 20 * 7
    assert timeline_mod.save(order, result.session.store) == len(order)
    assert _rows(session_dir)[0] == by_rows


def test_analyze_stores_the_same_timeline_either_way(tmp_path, monkeypatch):
    stored = []
    for bulk_rows in (10**9, 1):
        monkeypatch.setattr(timeline_mod, "BULK_ROWS", bulk_rows)
        s = tmp_path / f"s{bulk_rows}"
        write_synthetic(s, n_flows=300, n_events=300)
        result = analyze(s, scope=demo_scope_path())
        result.session.store.close()
        stored.append(_rows(s)[0])
    assert stored[0] == stored[1] and len(stored[0]) > 600


def test_a_failed_child_changes_nothing(analysed):
    session_dir, result = analysed
    before = _rows(session_dir)
    rows = pa.table({"pos": [1], "ts": [1.0]})
    writing = bulkwrite.start(session_dir / "session.db", "no_such_table", rows)
    assert writing is not None and writing.wait() is None
    writing = bulkwrite.start(session_dir / "session.db", "timeline", rows, after=["SELECT no_such_function()"])
    assert writing.wait() is None                                # rolled back: the DELETE did not stay
    assert _rows(session_dir) == before


def test_rows_cut_short_are_not_committed(analysed, monkeypatch):
    # the sending thread stopped after part of the rows closes the stream cleanly on its way
    # out: the child commits nothing, and the caller (told None) writes the table itself
    session_dir, result = analysed
    before = _rows(session_dir)
    order = timeline_mod.stored(result.session.store)
    real_feed = bulkwrite._feed
    monkeypatch.setattr(bulkwrite, "_feed", lambda child, header, table: real_feed(child, header, table.slice(0, 100)))
    writing = bulkwrite.start(session_dir / "session.db", "timeline", timeline_mod._arrow_rows(order))
    assert writing is not None and writing.wait() is None
    assert _rows(session_dir) == before
    assert timeline_mod.save(order, result.session.store) == len(order)   # by executemany, whole
    assert _rows(session_dir)[0] == before[0]
