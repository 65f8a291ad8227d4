"""A table of session.db replaced by ADBC's bulk ingest from Arrow, in a process of its own,
while the caller goes on with its work.

The analysis stores a timeline of 10^6 rows; through the `sqlite3` module that is a Python
tuple per row and a bind per value (seconds of the caller's time). Here the rows go as one
Arrow IPC stream to a child process (this file run as a script) that clears the table,
appends the rows with the ADBC SQLite driver (``adbc-driver-sqlite``, Apache-2.0) and runs
the caller's closing statements, all in one transaction: a reader sees the old table or the
new one, never a mix. The driver links a SQLite of its own, which must not open the file in
the caller's process (analysis.columnar says why), hence the child.

``start(db_path, table, arrow_table, after=[sql, ...])`` returns a ``Writing`` (or None when
the driver is not installed); ``Writing.wait()`` returns the rows written, or None when the
child failed before committing, in which case the table is as it was and the caller writes
it its own way. The child commits only once it has received every row of the table: a
stream that ends early but cleanly (the sending thread stopped by an error, the stream
closed on the way out) is rolled back, not stored as a shorter table. The caller must not
hold a write transaction while the child writes; its own writes meanwhile wait on SQLite's
busy timeout.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

_LENGTH = struct.Struct("<Q")
BUSY_TIMEOUT_MS = 30_000


class Writing:
    """A child process replacing one table; wait() for its outcome."""

    def __init__(self, child: subprocess.Popen, feeding: threading.Thread) -> None:
        self._child = child
        self._feeding = feeding
        self._result: int | None = None
        self._done = False

    def wait(self) -> int | None:
        if not self._done:
            assert self._child.stdout is not None
            out = self._child.stdout.read()
            self._child.stdout.close()
            self._feeding.join()
            self._child.wait()
            self._done = True
            if self._child.returncode == 0 and len(out) == _LENGTH.size:
                (self._result,) = _LENGTH.unpack(out)
        return self._result


def start(db_path: Path, table: str, rows: Any, after: list[str] | None = None) -> Writing | None:
    """Replace `table` of the database at `db_path` with the Arrow table `rows` (its columns
    named as the table's), then run the statements `after`, in one transaction, in a child."""
    if not all(importlib.util.find_spec(m) for m in ("pyarrow", "adbc_driver_sqlite")):   # pragma: no cover
        return None   # both are in requirements.txt
    header = json.dumps({"db": str(Path(db_path).resolve()), "table": table, "after": list(after or []),
                         "rows": rows.num_rows}).encode()
    try:
        child = subprocess.Popen([sys.executable, "-I", __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
    except OSError:
        return None
    # Written from a thread: the pipe takes the stream as the child reads it, and the caller goes on.
    feeding = threading.Thread(target=_feed, args=(child, header, rows), daemon=True)
    feeding.start()
    return Writing(child, feeding)


def _feed(child: subprocess.Popen, header: bytes, rows: Any) -> None:
    import pyarrow as pa

    assert child.stdin is not None
    try:
        child.stdin.write(_LENGTH.pack(len(header)) + header)
        with pa.ipc.new_stream(child.stdin, rows.schema) as writer:
            writer.write_table(rows, max_chunksize=INGEST_ROWS)   # batches the child ingests as they come
    except (OSError, ValueError):   # the child died early: wait() says None
        pass
    finally:
        try:
            child.stdin.close()
        except OSError:
            pass


INGEST_ROWS = 65_536   # rows decoded and handed to the driver at a time


def _serve() -> None:
    # The driver's low-level bindings: its DB-API module imports pyarrow.dataset and with it
    # pandas (0.2 s and about 40 MB of this process, for nothing it uses here).
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa

    source = sys.stdin.buffer
    (size,) = _LENGTH.unpack(source.read(_LENGTH.size))
    request = json.loads(source.read(size))
    # The rows come in batches of INGEST_ROWS and each goes to the driver as it arrives: this
    # process holds a batch, not the table (170 -> 110 MB at 10^6 rows). Text the caller factorised
    # arrives as dictionaries (sent once, with the first batch): the driver binds plain values,
    # decoded a batch at a time.
    reader = pa.ipc.open_stream(source)
    plain = pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
                       for f in reader.schema])
    received = [0]

    def decoded():
        for batch in reader:
            received[0] += batch.num_rows
            yield pa.record_batch([c.dictionary_decode() if pa.types.is_dictionary(c.type) else c for c in batch.columns],
                                  schema=plain)
    table = request["table"]
    database = adbc_driver_sqlite.connect(Path(request["db"]).as_uri())
    try:
        conn = adbc.AdbcConnection(database)
        try:
            # synchronous as piiaudit.store sets it for the session (WAL: synced at checkpoints)
            for sql in (f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}", "PRAGMA synchronous=NORMAL"):
                _update(adbc, conn, sql)
            conn.set_autocommit(False)   # from here one transaction, committed below or not at all
            _update(adbc, conn, f"DELETE FROM {table}")
            with adbc.AdbcStatement(conn) as ingest:
                ingest.set_options(**{adbc.INGEST_OPTION_TARGET_TABLE: table,
                                      adbc.INGEST_OPTION_MODE: adbc.INGEST_OPTION_MODE_APPEND})
                ingest.bind_stream(pa.RecordBatchReader.from_batches(plain, decoded()))
                written = ingest.execute_update()
            if received[0] != request["rows"]:   # the stream ended early: nothing is committed
                raise SystemExit(1)
            for sql in request["after"]:
                _update(adbc, conn, sql)
            conn.commit()
        finally:
            conn.close()   # without a commit: the transaction rolled back
    finally:
        database.close()
    sys.stdout.buffer.write(_LENGTH.pack(max(int(written if written is not None and written >= 0 else received[0]), 0)))
    sys.stdout.buffer.flush()


def _update(adbc, conn, sql: str) -> None:
    with adbc.AdbcStatement(conn) as statement:
        statement.set_sql_query(sql)
        statement.execute_update()


if __name__ == "__main__":
    _serve()
