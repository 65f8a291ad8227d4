"""Columns of session.db read into Arrow, in processes of their own.

The sqlite3 module turns every value into a Python object; ADBC's SQLite driver
(``adbc-driver-sqlite``, Apache-2.0) fills Arrow arrays directly, several times faster
and in a fraction of the memory. The driver links a SQLite of its own, and two SQLite
libraries must not open one file in one process (POSIX locks are per process: closing
the file in one library drops the locks the other holds, and a WAL database then fails
with a disk I/O error or worse). So the driver runs in child processes, this file run
as a script: each reads its queries from stdin and answers each with its length (8 bytes,
little-endian) and the Arrow IPC stream of the result; length 0 when the query failed
(the caller reads that table row by row instead).

``read(db_path, [(sql, rows[, plain]), ...], apart={i, ...})`` yields a ``pyarrow.Table`` or None per
query, in order; it returns None when the driver is not installed. The queries numbered in
`apart` go to a second child, which reads at the same time as the first; a thread per child
takes its answers off the pipe as they come, so the children never wait on the caller.
`rows` is the table's row count: the driver infers a column's type from its first batch
and sizes that batch's buffers for it, so the batch holds every row.

What comes back differs from the query's result in two ways. Text columns whose values
repeat (at least two rows per distinct value: kinds, APIs, stacks, hosts) come as Arrow
dictionaries, so each distinct text crosses the pipe once (the caller makes one Python
string of it); the columns named in a query's `plain` (a key, text the caller keeps in Arrow)
are not looked at for repeats: finding that 500,000 unique texts do not repeat hashes them all. A column whose name starts with ``FLAG`` comes back as one entry of the
schema's metadata under that name, "1" when any row had it true (``flagged(table, name)``):
a check over every row made in the same scan as the read.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

_LENGTH = struct.Struct("<Q")


def read(db_path: Path, queries: list[tuple], apart: frozenset[int] = frozenset()) -> Iterator[Any] | None:
    """An iterator of one table (or None) per query, in order, each read while the caller
    converts the one before; None when the driver is not installed. The queries numbered in
    `apart` go to a second child that reads at the same time (on a second core). The children
    start at once: the caller may do other work before it takes the first table."""
    if not all(importlib.util.find_spec(m) for m in ("pyarrow", "adbc_driver_sqlite")):   # pragma: no cover
        return None   # both are in requirements.txt
    groups = [[i for i in range(len(queries)) if i not in apart], [i for i in range(len(queries)) if i in apart]]
    readers = [_Reader(db_path, [queries[i] for i in group], group) for group in groups if group]
    return _results(readers, len(queries))


class _Reader:
    """One child and the thread that takes its answers off the pipe as they come."""

    def __init__(self, db_path: Path, queries: list[tuple], numbers: list[int]) -> None:
        self.bodies: dict[int, bytes | None] = {}
        self.numbers = numbers
        self.done = threading.Event()
        request = json.dumps({"db": str(db_path), "queries": queries}).encode()
        try:
            self.child: subprocess.Popen | None = subprocess.Popen(
                [sys.executable, "-I", __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL)
        except OSError:
            self.child = None
            self.done.set()
            return
        assert self.child.stdin is not None
        try:
            self.child.stdin.write(request)
            self.child.stdin.close()
        except OSError:   # the child is gone: its answers are None
            pass
        self.lock = threading.Condition()
        self.thread = threading.Thread(target=self._take, daemon=True)
        self.thread.start()

    def _take(self) -> None:
        assert self.child is not None and self.child.stdout is not None
        try:
            for number in self.numbers:
                head = self.child.stdout.read(_LENGTH.size)
                if len(head) < _LENGTH.size:
                    break
                (size,) = _LENGTH.unpack(head)
                body = self.child.stdout.read(size) if size else b""
                if len(body) < size:
                    break
                with self.lock:
                    self.bodies[number] = body if size else None
                    self.lock.notify_all()
        finally:
            self.child.stdout.close()
            self.child.wait()
            with self.lock:
                self.done.set()
                self.lock.notify_all()

    def join(self) -> None:
        if self.child is not None:
            self.thread.join()

    def take(self, number: int) -> bytes | None:
        if self.child is None:
            return None
        with self.lock:
            while number not in self.bodies and not self.done.is_set():
                self.lock.wait()
            return self.bodies.pop(number, None)


def _results(readers: list[_Reader], n: int) -> Iterator[Any]:
    import pyarrow as pa

    owner = {number: r for r in readers for number in r.numbers}
    for number in range(n):
        body = owner[number].take(number)
        yield pa.ipc.open_stream(pa.py_buffer(body)).read_all() if body else None
        del body
    for r in readers:   # each thread ends once its child has exited: none is left running
        r.join()


def _serve() -> None:
    # The driver's low-level bindings, as analysis.bulkwrite uses them: its DB-API module imports
    # pyarrow.dataset and with it pandas (0.4-0.5 s of each reading process's start, for nothing
    # it uses here).
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite
    import pyarrow as pa

    request = json.loads(sys.stdin.buffer.read())
    out = sys.stdout.buffer
    pipe = pa.PythonFile(out, mode="w")
    # read only: the parent holds the session; this process never writes to it
    database = adbc_driver_sqlite.connect(Path(request["db"]).resolve().as_uri() + "?mode=ro")
    try:
        conn = adbc.AdbcConnection(database)
        try:
            for sql, rows, *plain in request["queries"]:
                try:
                    with adbc.AdbcStatement(conn) as statement:
                        statement.set_options(**{"adbc.sqlite.query.batch_rows": str(max(int(rows), 1))})
                        statement.set_sql_query(sql)
                        stream, _ = statement.execute_query()
                        table = pa.RecordBatchReader.from_stream(stream).read_all()
                    table.validate(full=True)   # text that is not UTF-8 fails here
                    table = _flags_folded(table)
                    table = _repeats_encoded(table, frozenset(plain[0]) if plain else frozenset())
                    # The stream's length first, counted without writing it (no copy of the table
                    # into a buffer that grows as it goes: 0.9 s for the 150 MB of 500,000 flows),
                    # then the stream written straight to the pipe.
                    counter = pa.MockOutputStream()
                    with pa.ipc.new_stream(counter, table.schema) as writer:
                        writer.write_table(table)
                except Exception:  # noqa: BLE001 - the parent reads this one row by row
                    out.write(_LENGTH.pack(0))
                    out.flush()
                    continue
                out.write(_LENGTH.pack(counter.size()))
                out.flush()
                with pa.ipc.new_stream(pipe, table.schema) as writer:
                    writer.write_table(table)
                pipe.flush()
                del table
        finally:
            conn.close()
    finally:
        database.close()


FLAG = "_flag_"   # a result column named so comes back as one yes/no for the whole table (flagged())


def flagged(table: Any, name: str) -> bool:
    """Whether any row of the query had its column `name` (a FLAG column) true."""
    return (table.schema.metadata or {}).get(name.encode()) == b"1"


def _flags_folded(table: Any) -> Any:
    """Each FLAG column reduced to one entry of the schema's metadata ("1" when any row is true)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = [n for n in table.column_names if n.startswith(FLAG)]
    if not names:
        return table
    # A cast, not a comparison with 0: a Python scalar handed to pyarrow's compute functions
    # makes pyarrow import pandas (0.5-0.9 s of this process's start).
    meta = {n: "1" if pc.any(table[n].cast(pa.bool_())).as_py() else "0" for n in names}
    return table.drop_columns(names).replace_schema_metadata({**(table.schema.metadata or {}), **meta})


def _repeats_encoded(table: Any, plain: frozenset[str] = frozenset()) -> Any:
    """Text columns whose values repeat (kinds, APIs, stacks, hosts, SDK ids) as Arrow
    dictionaries: each distinct text crosses the pipe once and becomes one Python string on
    the other side, shared by its rows; columns of mostly distinct values, and those named in
    `plain`, stay as they are."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for name, column in zip(table.column_names, table.columns):
        if name not in plain and (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            encoded = pc.dictionary_encode(column).combine_chunks()
            if len(encoded.dictionary) * REPEATED <= max(len(encoded), 1):
                column = encoded
        columns.append(column)
    return pa.table(columns, names=table.column_names)


REPEATED = 2   # encoded when there are at least this many rows per distinct value


if __name__ == "__main__":
    _serve()
