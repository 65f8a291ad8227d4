"""The session store keeps what writers acknowledged, even with two writers and a kill."""

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from piiaudit import manifest
from piiaudit.store import SCHEMA_VERSION, SessionStore, StoreError

FIXED = {
    "flows": {"id", "ts_start", "method", "url", "host", "status", "request_sha256", "response_sha256"},
    "pii_hits": {"id", "flow_id", "pii_type", "location", "encoding", "source", "value_sha256"},
    "events": {"id", "ts", "ts_device_ms", "seq", "kind", "api", "pii_type", "value", "sdk", "stack"},
    "findings": {"id", "rule_id", "severity", "pii_type", "sdk", "host", "first_ts", "flow_ids", "event_ids"},
}


def test_new_session_has_the_fixed_columns_and_schema_version(tmp_path):
    store = SessionStore(tmp_path / "s")
    for table, cols in FIXED.items():
        have = {r["name"] for r in store.rows(f"PRAGMA table_info({table})")}
        assert cols <= have, f"{table} lacks {cols - have}"
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_replaying_a_flow_id_replaces_its_row_and_hits(tmp_path):
    store = SessionStore(tmp_path)
    flow = {"id": "f1", "ts_start": 1.0, "url": "https://a/", "host": "a"}
    hit = {"flow_id": "f1", "pii_type": "imei", "location": "query:imei", "encoding": "plain",
           "source": "known_value", "value_sha256": "x"}
    store.write_flows_and_hits([flow], [hit, {**hit, "location": "header:x"}])
    store.write_flows_and_hits([{**flow, "status": 200}], [hit])
    assert store.count("flows") == 1
    assert store.rows("SELECT location FROM pii_hits") == [{"location": "query:imei"}]
    assert store.rows("SELECT status FROM flows")[0]["status"] == 200


def _writer(path, kind, n):
    store = SessionStore(path)
    for i in range(n):
        if kind == "events":
            store.write_events([{"ts": time.time(), "kind": "pii_read", "seq": i}])
        else:
            fid = f"f{i}"
            store.write_flows_and_hits([{"id": fid, "ts_start": time.time()}],
                                       [{"flow_id": fid, "pii_type": "imei", "location": "body:text",
                                         "encoding": "plain", "source": "known_value", "value_sha256": "h"}])


def test_two_processes_write_at_once_and_nothing_is_lost(tmp_path):
    SessionStore(tmp_path)  # created and migrated once; both writers then open it
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(tmp_path, k, 300)) for k in ("events", "flows")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = SessionStore(tmp_path, create=False)
    assert store.count("events") == 300
    assert store.count("flows") == 300
    assert store.count("pii_hits") == 300
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_killed_writer_leaves_every_committed_batch(tmp_path):
    SessionStore(tmp_path)
    code = (
        "import sys, time; from piiaudit.store import SessionStore\n"
        "s = SessionStore(sys.argv[1])\n"
        "i = 0\n"
        "while True:\n"
        "    s.write_events([{'ts': time.time(), 'kind': 'pii_read', 'seq': i + k} for k in range(50)])\n"
        "    i += 50\n"
        "    print(i, flush=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    acknowledged = 0
    while acknowledged < 2000:
        acknowledged = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = SessionStore(tmp_path, create=False)
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count = store.count("events")
    assert count >= acknowledged and count % 50 == 0  # whole batches only


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    (tmp_path / "session.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable session database"):
        SessionStore(tmp_path)


def test_a_newer_schema_is_refused(tmp_path):
    SessionStore(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "session.db")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="upgrade piiaudit"):
        SessionStore(tmp_path)


def test_opening_a_missing_session_without_create_fails(tmp_path):
    with pytest.raises(StoreError, match="no such session directory"):
        SessionStore(tmp_path / "nope", create=False)


def test_manifest_hashes_every_artifact_and_records_versions(tmp_path):
    store = SessionStore(tmp_path)
    (tmp_path / "flows.mitm").write_bytes(b"abc")
    store.write_clock_sync({"pid": 1, "at_host": 1.0, "offset_ms": 2.5, "rtt_ms": 0.4, "error_ms": 1.2})
    data = manifest.write(store, app={"package": "com.example"})
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk == json.loads(json.dumps(data, default=str))
    assert on_disk["artifacts"]["flows.mitm"]["sha256"] == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert on_disk["artifacts"]["session.db"]["sha256"] == manifest.file_sha256(tmp_path / "session.db")
    assert on_disk["versions"]["mitmproxy"].startswith("11.")
    assert on_disk["clock_syncs"][0]["offset_ms"] == 2.5
    manifest.write(store, app={"version": "2"})
    assert manifest.read(tmp_path)["app"] == {"package": "com.example", "version": "2"}


def test_the_declared_schema_is_the_database_schema(tmp_path):
    from piiaudit import schema

    store = SessionStore(tmp_path)
    for name, table in schema.TABLES.items():
        assert {r["name"] for r in store.rows(f"PRAGMA table_info({name})")} == table.names


def test_one_write_deletes_and_inserts_in_one_transaction(tmp_path):
    store = SessionStore(tmp_path)
    hit = {"flow_id": "f1", "pii_type": "imei", "location": "q", "encoding": "plain", "source": "known_value",
           "value_sha256": "h", "detail": {"derived_by": "x"}, "not_a_column": 1}
    assert store.write({"pii_hits": [hit, hit]}) == 0
    with pytest.raises(sqlite3.IntegrityError):  # the second row breaks the batch: nothing of it stays
        store.write({"pii_hits": [hit, {**hit, "pii_type": None}]}, delete=["DELETE FROM pii_hits"])
    assert store.count("pii_hits") == 2
    assert store.write({"pii_hits": [hit]}, delete=["DELETE FROM pii_hits WHERE json_extract(detail, '$.derived_by') = 'x'"]) == 2
    (row,) = store.rows("SELECT detail, direction, confidence FROM pii_hits")
    assert row == {"detail": '{"derived_by": "x"}', "direction": "request", "confidence": 1.0}  # defaults kept


def test_the_session_writer_commits_in_batches_and_keeps_the_good_rows_of_a_bad_one(tmp_path):
    from piiaudit.writer import SessionWriter

    store = SessionStore(tmp_path)
    committed = []
    writer = SessionWriter(SessionStore(tmp_path), component="hooks", max_seconds=60, max_rows=1000,
                           on_commit=lambda rows: committed.append({t: len(r) for t, r in rows.items()}))
    writer.put_flow({"id": "f1", "ts_start": 1.0}, [{"pii_type": "imei", "location": "q", "encoding": "plain",
                                                    "source": "known_value", "value_sha256": "h"}])
    writer.put("events", {"ts": 1.0, "kind": "pii_read"})
    writer.put("events", {"ts": None, "kind": "pii_read"})   # NOT NULL ts: this row only is refused
    assert store.count("events") == 0                        # nothing before the batch is due
    assert writer.flush()
    assert (store.count("flows"), store.count("pii_hits"), store.count("events")) == (1, 1, 1)
    (err,) = store.rows("SELECT component, message FROM errors")
    assert err["component"] == "hooks" and "events row not stored" in err["message"]
    writer.put_hits("f1", [{"pii_type": "oaid", "location": "h", "encoding": "plain", "source": "observed_value",
                            "value_sha256": "o"}])
    writer.close()
    assert store.count("pii_hits") == 2 and writer.failed == 1
    assert committed[-1] == {"pii_hits": 1}


@pytest.mark.parametrize("same_batch", [True, False])
def test_a_late_hit_supersedes_the_stored_pattern_row_at_its_place(tmp_path, same_batch):
    """One datum, one row: the look-back's observed value replaces the pattern the live scan
    stored at the same place, whether that pattern is committed already or not."""
    from piiaudit.writer import SessionWriter

    store = SessionStore(tmp_path)
    writer = SessionWriter(SessionStore(tmp_path), component="proxy", max_seconds=60, max_rows=1000)
    phone = "13912340000"
    pattern = {"pii_type": "phone_number", "location": "body:form:mobile", "encoding": "plain", "source": "pattern",
               "value_sha256": "p", "value": phone, "direction": "request", "confidence": 0.95}
    elsewhere = {**pattern, "location": "body:form:tel"}
    writer.put_flow({"id": "f1", "ts_start": 1.0}, [pattern, elsewhere])
    if not same_batch:
        assert writer.flush()
    late = {**pattern, "source": "observed_value", "confidence": 1.0,
            "detail": {"lookback": True, "support": [{"source": "pattern", "pii_type": "phone_number",
                                                      "value": phone, "rule": "cn-mobile"}]}}
    writer.put_hits("f1", [late])
    writer.close()
    rows = store.rows("SELECT source, location FROM pii_hits ORDER BY location")
    assert rows == [{"source": "observed_value", "location": "body:form:mobile"},
                    {"source": "pattern", "location": "body:form:tel"}]
