"""All of the addon's database work, on one background thread.

The proxy's event loop only appends to a queue; this thread commits flow rows and their
hits in batches (every `max_flows` flows or `max_seconds`, whichever comes first, and on
close), so a flow never waits for SQLite and there is no commit per flow. A process killed
with SIGKILL loses at most the batch that was still queued.

The same thread watches the `events` table for values the hooks runner saw being read
(`pii_read` rows with a value), by id watermark, and hands them to the event loop through
a deque (and a wake-up call, so they reach the detector even while no flow comes): the
detector is only ever touched by the thread that scans flows.

Hits found for a flow after its row was queued (look-back, addon.lookback) go through the
same queue with `put_hits` and are committed with the next batch, in the same transaction
as the flow's row when that row is still in the batch.
"""

from __future__ import annotations

import collections
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from piiaudit.store import SessionStore

logger = logging.getLogger(__name__)

COMPONENT = "addon"


class ObservedValues:
    """New (pii_type, value, learned_at) from the hooks runner's `pii_read` events;
    learned_at is the host time this poll found the value."""

    def __init__(self) -> None:
        self.watermark = 0
        self.pending: collections.deque[tuple[str, str, float]] = collections.deque()
        self.on_new: Callable[[], None] | None = None  # called (on the polling thread) when values were added
        self._lock = threading.Lock()  # the writer thread polls; the proxy's thread too, at start and stop

    def poll(self, store: SessionStore) -> int:
        with self._lock:
            rows = store.conn.execute(
                "SELECT id, pii_type, value FROM events WHERE id > ? AND kind = 'pii_read' ORDER BY id",
                (self.watermark,),
            ).fetchall()
            now = time.time()
            n = 0
            for event_id, pii_type, value in rows:
                self.watermark = event_id
                if pii_type == "location" and "," not in str(value or ""):
                    continue  # a location request names a provider ("gps"), not a fix to search for
                if pii_type and value is not None and str(value).strip():
                    self.pending.append((pii_type, str(value), now))
                    n += 1
        if n and self.on_new is not None:
            try:
                self.on_new()
            except Exception as e:  # noqa: BLE001 - e.g. the event loop is closing; the next flow drains them
                logger.debug("piiaudit: observed values not signalled: %s", e)
        return n

    def rewind(self) -> None:
        """Read every value again (a new detector needs them all)."""
        with self._lock:
            self.watermark = 0

    def drain(self) -> list[tuple[str, str, float]]:
        out = []
        while self.pending:
            out.append(self.pending.popleft())
        return out


class SessionWriter:
    """Collect flow rows, hits and error rows; commit them in batches on a worker thread.

    The proxy's thread only appends to a deque. The worker is not woken per item (that
    would hand the GIL back and forth for every flow and cost more than the work): it
    wakes a few times per batch interval, or once when a full batch is waiting.
    """

    def __init__(
        self,
        store: SessionStore,
        *,
        max_flows: int = 200,
        max_seconds: float = 0.5,
        observed: ObservedValues | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.max_flows = max(1, max_flows)
        self.max_seconds = max(0.01, max_seconds)
        self.observed = observed
        self.poll_seconds = poll_seconds
        self.hit_columns = _columns(store, "pii_hits")
        self.flow_columns = _columns(store, "flows")
        self.written_flows = 0
        self.written_hits = 0
        self.failed_flows = 0
        self._pending: collections.deque = collections.deque()
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="piiaudit-session-writer", daemon=True)
        self._thread.start()

    # -- called from the proxy's thread -----------------------------------------
    def put(self, row: Mapping[str, Any], hits: list[Mapping[str, Any]], errors: list[Mapping[str, Any]] = ()) -> None:
        self._pending.append((row, hits, list(errors)))
        if len(self._pending) >= self.max_flows:
            self._wake.set()

    def put_error(self, message: str, *, flow_id: str | None = None, detail: Any = None) -> None:
        self._pending.append((None, [], [{"message": message, "flow_id": flow_id, "detail": detail}]))

    def put_hits(self, flow_id: str, hits: list[Mapping[str, Any]]) -> None:
        """More hits for a flow already put (found on look-back); committed with the next batch."""
        if hits:
            self._pending.append((None, [{**h, "flow_id": flow_id} for h in hits], []))

    def close(self, timeout: float = 30.0) -> None:
        """Commit everything pending and stop the thread."""
        if self._thread.is_alive():
            self._stopping = True
            self._wake.set()
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.error("piiaudit: session writer did not finish within %.0f s; some rows may be lost", timeout)

    # -- the worker ---------------------------------------------------------------
    def _run(self) -> None:
        # The worker gets its own connection (SessionStore keeps one per thread).
        flows: dict[str, Mapping[str, Any]] = {}
        hits: dict[str, list[Mapping[str, Any]]] = {}
        late: list[Mapping[str, Any]] = []
        errors: list[Mapping[str, Any]] = []
        oldest = None
        next_poll = time.monotonic() + self.poll_seconds
        tick = min(self.max_seconds / 4, 0.1)
        while True:
            self._wake.wait(tick)
            self._wake.clear()
            stopping = self._stopping
            while self._pending:
                row, flow_hits, flow_errors = self._pending.popleft()
                if row is not None:
                    # A flow recorded twice in one batch (response, then error) keeps the last.
                    flows[row["id"]] = row
                    hits[row["id"]] = list(flow_hits)
                elif flow_hits:
                    for h in flow_hits:
                        if h["flow_id"] in flows:  # the row is in this batch: its hits go with it
                            hits[h["flow_id"]].append({k: v for k, v in h.items() if k != "flow_id"})
                        else:
                            late.append(h)
                errors.extend(flow_errors)
                if oldest is None:
                    oldest = time.monotonic()
            now = time.monotonic()
            if (flows or errors or late) and (stopping or len(flows) >= self.max_flows or now - oldest >= self.max_seconds):
                self._commit(flows, hits, errors, late)
                flows, hits, late, errors, oldest = {}, {}, [], [], None
            if self.observed is not None and (now >= next_poll or stopping):
                next_poll = now + self.poll_seconds
                try:
                    self.observed.poll(self.store)
                except sqlite3.Error as e:
                    logger.warning("piiaudit: could not read observed values from events: %s", e)
            if stopping and not self._pending:
                break
        self.store.close()

    def _commit(self, flows: dict, hits: dict, errors: list, late: list = ()) -> None:
        flow_rows = [{k: v for k, v in r.items() if k in self.flow_columns} for r in flows.values()]
        hit_rows = [
            {**{k: v for k, v in h.items() if k in self.hit_columns}, "flow_id": fid}
            for fid, hs in hits.items()
            for h in hs
        ]
        # Hits of flows committed in an earlier batch: inserted, never replacing anything.
        late_rows = [{k: v for k, v in h.items() if k in self.hit_columns} for h in late]
        try:
            self.store.write_flows_and_hits(flow_rows, hit_rows + late_rows)
            self.written_flows += len(flow_rows)
            self.written_hits += len(hit_rows) + len(late_rows)
        except (sqlite3.Error, ValueError, TypeError) as e:
            # Find the rows that poison the batch and keep the others.
            logger.warning("piiaudit: batch of %d flows failed (%s); writing them one by one", len(flow_rows), e)
            for row in flow_rows:
                own = [h for h in hit_rows if h["flow_id"] == row["id"]]
                try:
                    self.store.write_flows_and_hits([row], own)
                    self.written_flows += 1
                    self.written_hits += len(own)
                except (sqlite3.Error, ValueError, TypeError) as e2:
                    self.failed_flows += 1
                    logger.error("piiaudit: flow %s could not be stored: %s", row["id"], e2)
                    errors.append({"message": f"flow row not stored: {e2}", "flow_id": row["id"], "detail": None})
            for h in late_rows:
                try:
                    self.store.write_flows_and_hits([], [h])
                    self.written_hits += 1
                except (sqlite3.Error, ValueError, TypeError) as e2:
                    logger.error("piiaudit: a look-back hit of flow %s could not be stored: %s", h.get("flow_id"), e2)
                    errors.append({"message": f"look-back hit not stored: {e2}", "flow_id": h.get("flow_id"), "detail": None})
        for err in errors:
            self.store.record_error(COMPONENT, err["message"], flow_id=err.get("flow_id"), detail=err.get("detail"))


def _columns(store: SessionStore, table: str) -> frozenset[str]:
    return frozenset(r[1] for r in store.conn.execute(f"PRAGMA table_info({table})"))
