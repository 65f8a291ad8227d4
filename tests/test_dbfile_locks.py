"""Reading session.db's bytes (a header check, the manifest's hash) must never release this
process's SQLite locks on it: SQLite's locks are POSIX locks, dropped by closing ANY descriptor
of the file, and another process would then take the database for unused, checkpoint and delete
the write-ahead log under a running writer (replay, analyze and report at once corrupted
session.db this way)."""

import sqlite3
import subprocess
import sys

import pytest

from piiaudit import dbfile, manifest, sessiondir


def _open_and_close_elsewhere(db):
    # another process's connection: on close, it checkpoints and deletes the log only if it
    # can lock the database exclusively, i.e. if it thinks no other connection is open
    subprocess.run([sys.executable, "-c", f"import sqlite3; c = sqlite3.connect({str(db)!r}); "
                    "c.execute('select count(*) from t').fetchone(); c.close()"], check=True)


@pytest.mark.parametrize("read", [
    lambda db: manifest.file_sha256(db),
    lambda db: dbfile.damage(db),
    lambda db: sessiondir.is_session(db.parent),
], ids=["manifest hash", "header check", "session check"])
def test_reading_the_database_keeps_this_process_locks(tmp_path, read):
    db = tmp_path / "session.db"
    conn = sqlite3.connect(str(db), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    wal = db.with_name("session.db-wal")
    assert wal.exists()
    read(db)
    _open_and_close_elsewhere(db)
    # the other process saw our connection: the log it would have deleted is still there
    assert wal.exists()
    conn.execute("INSERT INTO t VALUES (2)")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
