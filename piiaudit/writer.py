"""The one writer thread of a process that records into a session (proxy addon, hooks runner).

Callers only append to a queue (`put_flow`, `put`, `put_hits`, `put_error`, `call`); one
background thread commits what is queued in batches, one transaction per batch
(piiaudit.store.write), so neither mitmproxy's event loop nor Frida's message thread ever
waits for SQLite. A batch is committed when `max_rows` items wait, when the oldest has
waited `max_seconds` (0: as soon as the thread wakes, batching only what piled up
meanwhile), on `flush` and on `close`. A row is acknowledged once its batch committed: a
process killed with SIGKILL loses at most the batch still queued, and the database stays
consistent (WAL).

A batch that fails is written again item by item, so one bad row costs that row only (and
becomes an `errors` row). `on_commit(rows)`, if given, is called on the thread with each
committed table's rows.

A writer is one run of its `stage` (proxy, replay, hooks; piiaudit.runs): the run's row is
written when the writer starts and closed when it closes cleanly, so a killed process
leaves a partial session. Every committed row is counted for the stage in the same
transaction (piiaudit.store.write), every row that could not be stored too, and `count`
adds what the caller saw (a scan capped or failed, a flow skipped): piiaudit.accounting.
"""

from __future__ import annotations

import collections
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from piiaudit import runs
from piiaudit.store import SessionStore, error_row, flow_replacement, superseded_patterns, tally_row

logger = logging.getLogger(__name__)

_FAILURES = (sqlite3.Error, ValueError, TypeError, OverflowError)

Rows = dict[str, list[Mapping[str, Any]]]


class _Batch:
    """What one transaction writes: flows (a flow id queued twice keeps its last row and hits),
    hits of flows written earlier, and rows of other tables."""

    def __init__(self) -> None:
        self.flows: dict[str, Mapping[str, Any]] = {}
        self.hits: dict[str, list[Mapping[str, Any]]] = {}
        self.late: list[Mapping[str, Any]] = []
        self.rows: Rows = {}
        self.size = 0

    def add_flow(self, row: Mapping[str, Any], hits: Iterable[Mapping[str, Any]]) -> None:
        self.flows[row["id"]] = row
        self.hits[row["id"]] = [{**h, "flow_id": row["id"]} for h in hits]
        self.size += 1

    def add_hits(self, flow_id: str, hits: Iterable[Mapping[str, Any]]) -> None:
        hits = [{**h, "flow_id": flow_id} for h in hits]
        if flow_id in self.flows:
            # The row is in this batch: its hits go with it (and are replaced with it); a
            # pattern or endpoint hit a late hit supersedes is dropped here rather than deleted later.
            gone = {d[1:] for _, rows in superseded_patterns(flow_id, hits) for d in rows}
            self.hits[flow_id] = [h for h in self.hits[flow_id] if (
                h.get("source"), h.get("direction") or "request", h.get("location"), str(h.get("value"))) not in gone
            ] + hits
        else:
            self.late.extend(hits)
        self.size += 1

    def add(self, table: str, row: Mapping[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)
        self.size += 1

    def late_deletions(self) -> list:
        """Stored pattern and endpoint rows the late hits supersede (piiaudit.store.superseded_patterns)."""
        return [d for h in self.late for d in superseded_patterns(h["flow_id"], [h])]

    def tables(self) -> Rows:
        out: Rows = dict(self.rows)
        if self.flows:
            out["flows"] = list(self.flows.values())
        hits = [h for hs in self.hits.values() for h in hs] + self.late
        if hits:
            out["pii_hits"] = hits
        return out


class SessionWriter:
    def __init__(
        self,
        store: SessionStore,
        *,
        component: str,
        max_rows: int = 200,
        max_seconds: float = 0.5,
        on_commit: Callable[[Rows], None] | None = None,
        name: str = "piiaudit-session-writer",
        stage: str | None = None,
        run_detail: Mapping[str, Any] | None = None,
    ) -> None:
        self.store = store
        self.component = component
        self.stage = stage or {"addon": "proxy"}.get(component, component)
        self.max_rows = max(1, max_rows)
        self.max_seconds = max(0.0, max_seconds)
        self.on_commit = on_commit
        self.written: collections.Counter[str] = collections.Counter()   # rows committed, by table
        self.failed = 0                                                    # rows that could not be stored
        self._pending: collections.deque = collections.deque()
        self._wake = threading.Event()
        self._stopping = False
        self.run_id: str | None = None
        self.ended = False           # the run was closed cleanly (piiaudit.runs.end)
        try:
            self.run_id = runs.start(store, self.stage, **dict(run_detail or {}))
        except _FAILURES as e:   # recording goes on; the session cannot say it is partial
            logger.error("piiaudit: the start of this %s run could not be recorded: %s", self.stage, e)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # -- from any thread --------------------------------------------------------------
    def put_flow(self, row: Mapping[str, Any], hits: Iterable[Mapping[str, Any]] = (),
                 errors: Iterable[Mapping[str, Any]] = ()) -> None:
        """A flow row, its hits (replacing any the flow had) and error rows about it."""
        self._queue(("flow", row, list(hits)))
        for e in errors:
            self.put_error(e["message"], flow_id=e.get("flow_id", row["id"]), detail=e.get("detail"))

    def put_hits(self, flow_id: str, hits: Iterable[Mapping[str, Any]]) -> None:
        """More hits for a flow already put (found on look-back): added, replacing nothing."""
        hits = list(hits)
        if hits:
            self._queue(("hits", flow_id, hits))

    def put(self, table: str, row: Mapping[str, Any]) -> None:
        self._queue(("row", table, row))

    def put_error(self, message: str, *, flow_id: str | None = None, detail: Any = None) -> None:
        self.put("errors", error_row(self.component, message, flow_id=flow_id, detail=detail))

    def count(self, outcome: str, what: str, n: int = 1) -> None:
        """Count `n` of `what` as skipped, failed or capped for this stage, with the next batch."""
        if n:
            self.put("tally", tally_row(self.stage, outcome, what, n, self.run_id))

    def call(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the writer thread, ahead of the next commit: what it puts joins that
        batch. For work that must not run on the caller's thread (Frida's, an event loop)."""
        self._queue(("call", fn, None))

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything put before this call is committed (False on timeout)."""
        if not self._thread.is_alive():
            return not self._pending
        done = threading.Event()
        self._pending.append(("flush", done, None))
        self._wake.set()
        return done.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Commit everything pending and stop the thread; the run ends cleanly if nothing is left behind."""
        if self._thread.is_alive():
            self._stopping = True
            self._wake.set()
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.error("piiaudit: session writer did not finish within %.0f s; some rows may be lost", timeout)
                return
        while self._pending:  # put while the thread was ending
            self._after_close(self._pending.popleft())
        self._end_run()

    def _end_run(self) -> None:
        if self.run_id is None:
            return
        run_id, self.run_id = self.run_id, None
        try:
            runs.end(self.store, run_id, stored=dict(self.written), not_stored=self.failed)
            self.ended = True
        except _FAILURES as e:   # the run stays open: the session reads as partial, which it may be
            logger.error("piiaudit: the end of this %s run could not be recorded: %s", self.stage, e)
        finally:
            self.store.close()

    def _queue(self, item: tuple) -> None:
        if self._stopping and not self._thread.is_alive():
            self._after_close(item)
            return
        self._pending.append(item)
        # Waking the thread per item would hand the GIL back and forth for every flow: with
        # a batch interval it wakes a few times per interval, or once a full batch waits.
        if self.max_seconds == 0 or len(self._pending) >= self.max_rows:
            self._wake.set()

    def _after_close(self, item: tuple) -> None:
        """A straggler (e.g. a clock sync that finished after the run stopped): written at once."""
        kind, a, b = item
        if kind == "flush":
            a.set()
            return
        if kind == "call":
            logger.warning("piiaudit: session writer closed; %s not run", getattr(a, "__name__", a))
            return
        batch = _Batch()
        if kind == "flow":
            batch.add_flow(a, b)
        elif kind == "hits":
            batch.add_hits(a, b)
        else:
            batch.add(a, b)
        self._commit(batch)
        self.store.close()

    # -- the thread -------------------------------------------------------------------
    def _run(self) -> None:
        batch, oldest, flushed = _Batch(), None, []
        tick = min(self.max_seconds / 4, 0.1) if self.max_seconds else None
        while True:
            self._wake.wait(tick)
            self._wake.clear()
            stopping = self._stopping
            while self._pending:
                kind, a, b = self._pending.popleft()
                if kind == "flow":
                    batch.add_flow(a, b)
                elif kind == "hits":
                    batch.add_hits(a, b)
                elif kind == "row":
                    batch.add(a, b)
                elif kind == "call":
                    try:
                        a()
                    except Exception as e:  # noqa: BLE001 - one failing job must not stop the writer
                        logger.error("piiaudit: %s failed on the writer thread: %s", getattr(a, "__name__", a), e,
                                     exc_info=True)
                        batch.add("errors", error_row(self.component, f"{type(e).__name__}: {e}"))
                else:
                    flushed.append(a)
                if oldest is None and kind != "flush":
                    oldest = time.monotonic()
            due = oldest is not None and (stopping or flushed or batch.size >= self.max_rows
                                          or time.monotonic() - oldest >= self.max_seconds)
            if due:
                self._commit(batch)
                batch, oldest = _Batch(), None
            for done in flushed:
                done.set()
            flushed = []
            if stopping and not self._pending:
                break
        self.store.close()

    def _commit(self, batch: _Batch) -> None:
        tables = batch.tables()
        try:
            self.store.write(tables, delete=flow_replacement(batch.flows.values()) + batch.late_deletions(),
                             stage=self.stage, run_id=self.run_id)
        except _FAILURES as e:
            logger.warning("piiaudit: a batch of %d rows failed (%s); writing them one by one", batch.size, e)
            tables = self._one_by_one(batch)
        for table, rows in tables.items():
            if table != "tally":
                self.written[table] += len(rows)
        if self.on_commit is not None and tables:
            try:
                self.on_commit(tables)
            except Exception as e:  # noqa: BLE001 - a callback bug must not stop recording
                logger.error("piiaudit: on_commit raised: %s", e, exc_info=True)

    def _one_by_one(self, batch: _Batch) -> Rows:
        """Keep every row that can be stored; the others become error rows."""
        stored: Rows = {}
        errors: list[Mapping[str, Any]] = []
        lost: collections.Counter[str] = collections.Counter()

        def attempt(rows: Rows, what: str, flow_id: str | None, delete=()) -> None:
            try:
                self.store.write(rows, delete=delete, stage=self.stage, run_id=self.run_id)
            except _FAILURES as e:
                self.failed += sum(len(r) for r in rows.values())
                lost.update({table: len(r) for table, r in rows.items() if r})
                logger.error("piiaudit: %s not stored: %s", what, e)
                errors.append(error_row(self.component, f"{what} not stored: {e}", flow_id=flow_id))
                return
            for table, r in rows.items():
                stored.setdefault(table, []).extend(r)

        for fid, row in batch.flows.items():
            attempt({"flows": [row], "pii_hits": batch.hits[fid]}, "flow row", fid, flow_replacement([row]))
        for hit in batch.late:
            attempt({"pii_hits": [hit]}, "look-back hit", hit.get("flow_id"),
                    superseded_patterns(hit.get("flow_id"), [hit]))
        for table, rows in batch.rows.items():
            for row in rows:
                attempt({table: [row]}, f"{table} row", row.get("flow_id") if table == "errors" else None)
        if errors:
            counted = [tally_row(self.stage, "failed", table, n, self.run_id) for table, n in lost.items()]
            try:
                self.store.write({"errors": errors, "tally": counted}, stage=self.stage, run_id=self.run_id)
                stored.setdefault("errors", []).extend(errors)
            except _FAILURES as e:
                logger.error("piiaudit: %d error rows not stored: %s", len(errors), e)
        return stored
