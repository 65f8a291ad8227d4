"""The session store: one SQLite file (WAL) per audit run, the single source of truth.

Writers (the proxy addon and the hooks runner) may be separate processes writing at the
same time: every connection sets a busy timeout and WAL mode, writes go in short
transactions, and a row is "acknowledged" once its transaction has committed. A killed
writer therefore loses at most its uncommitted batch and never leaves a broken file.

The schema is versioned with ``PRAGMA user_version``; ``MIGRATIONS[i]`` upgrades a
database from version ``i`` to ``i + 1``. The fixed columns (design.md, "The columns
others rely on") are never renamed; parts may add columns through a new migration.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

DB_NAME = "session.db"
FLOWS_NAME = "flows.mitm"
MANIFEST_NAME = "manifest.json"

_V1 = """
CREATE TABLE flows (
    id TEXT PRIMARY KEY,              -- mitmproxy flow id (kept across save/replay)
    ts_start REAL NOT NULL,           -- host epoch seconds (request.timestamp_start)
    ts_end REAL,                      -- response end, if any
    method TEXT,
    url TEXT,
    host TEXT,
    port INTEGER,
    scheme TEXT,
    status INTEGER,                   -- response status, NULL if none
    request_sha256 TEXT,              -- sha256 of the request as saved (HTTP/1 form, raw body)
    response_sha256 TEXT,
    request_size INTEGER,
    response_size INTEGER,
    content_type TEXT,
    capture TEXT,                     -- 'live' or 'replay:<file name>'
    capped TEXT,                      -- which scan caps this flow hit (comma list), NULL if none
    error TEXT,                       -- detection error for this flow, NULL if none
    recorded_at REAL                  -- host time the row was written
);
CREATE INDEX flows_ts ON flows(ts_start);
CREATE INDEX flows_host ON flows(host);

CREATE TABLE pii_hits (
    id INTEGER PRIMARY KEY,
    flow_id TEXT NOT NULL REFERENCES flows(id),
    pii_type TEXT NOT NULL,           -- a name from piiaudit/data/pii_types.yaml
    location TEXT NOT NULL,           -- query:imei, header:x-device, body:json:$.dev.id, ...
    encoding TEXT NOT NULL,           -- chain that revealed it, e.g. base64>md5, plain
    source TEXT NOT NULL,             -- known_value | observed_value | pattern
    value_sha256 TEXT NOT NULL,       -- sha256 of the raw value (utf-8)
    value TEXT,                       -- raw value (stays in session.db; reports mask it)
    direction TEXT NOT NULL DEFAULT 'request',   -- request | response
    confidence REAL NOT NULL DEFAULT 1.0,
    detail TEXT                       -- JSON, detector specific
);
CREATE INDEX pii_hits_flow ON pii_hits(flow_id);
CREATE INDEX pii_hits_type ON pii_hits(pii_type);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,                 -- host epoch seconds, converted from device time
    ts_device_ms INTEGER,             -- device wall clock (Date.now()) in ms
    seq INTEGER,                      -- agent sequence number (per process)
    kind TEXT NOT NULL,               -- pii_read | permission_request | permission_result |
                                      -- dialog_shown | click | pref_write | coverage | ...
    api TEXT,                         -- hooked method, e.g. android.telephony.TelephonyManager.getImei()
    pii_type TEXT,
    value TEXT,                       -- value read (raw), or argument of interest
    sdk TEXT,                         -- attributed caller SDK (innermost non-framework frame), NULL = app
    stack TEXT,                       -- newline separated frames
    pid INTEGER,
    process TEXT,
    thread TEXT,
    clock_error_ms REAL,              -- error bound of the device->host mapping used
    clock_offset_ms REAL,             -- device minus host, ms, as used for ts
    data TEXT                         -- JSON: everything else the hook reported
);
CREATE INDEX events_ts ON events(ts);
CREATE INDEX events_kind ON events(kind);

CREATE TABLE clock_syncs (
    id INTEGER PRIMARY KEY,
    pid INTEGER,
    process TEXT,
    at_host REAL NOT NULL,            -- host epoch seconds at the sync
    offset_ms REAL NOT NULL,          -- device minus host
    rtt_ms REAL NOT NULL,             -- best round trip
    error_ms REAL NOT NULL,           -- rtt/2 + 1 ms (Date.now() truncation)
    samples INTEGER
);

CREATE TABLE consent_marks (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,                 -- host epoch seconds
    kind TEXT NOT NULL,               -- accepted | declined | shown
    source TEXT NOT NULL,             -- tester (piiaudit mark) | hook | analyze
    note TEXT
);

CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    rule_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    pii_type TEXT,
    sdk TEXT,
    host TEXT,
    first_ts REAL,
    flow_ids TEXT NOT NULL DEFAULT '[]',   -- JSON list
    event_ids TEXT NOT NULL DEFAULT '[]',  -- JSON list
    detail TEXT                            -- JSON: rule specific explanation
);

CREATE TABLE errors (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    component TEXT NOT NULL,          -- addon | hooks | replay | analysis | ...
    flow_id TEXT,
    message TEXT NOT NULL,
    detail TEXT
);

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
"""

# The analysis's timeline: both streams on one clock, in order, as the last analyze decided it.
# Rows refer to events, flows and hits by id; reports join them back.
_V2 = """
CREATE TABLE timeline (
    pos INTEGER PRIMARY KEY,          -- 1, 2, ...: order on the host clock (ties: consent, events, flows)
    ts REAL NOT NULL,                 -- host epoch seconds
    stream TEXT NOT NULL,             -- event | flow | consent
    kind TEXT,                        -- the event's kind; pii_sent | request (flows); consent_accepted | consent_declined
    event_id INTEGER,                 -- events(id)
    flow_id TEXT,                     -- flows(id)
    hit_id INTEGER,                   -- pii_hits(id) of the PII sent on a flow row
    sdk TEXT,                         -- the SDK the row is attributed to, NULL = the app itself
    before_consent INTEGER NOT NULL   -- 1 if before the consent moment
);
"""

MIGRATIONS: list[str] = [_V1, _V2]
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """A session directory or database that cannot be used, with the reason."""


def connect(path: Path | str, *, timeout: float = 30.0) -> sqlite3.Connection:
    """Open (and migrate) a session database for one thread of one process."""
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys=OFF")  # hits may arrive before a late flow row in batches
        _migrate(conn)
    except sqlite3.DatabaseError as e:
        conn.close()
        raise StoreError(f"{path}: not a usable session database ({e})") from e
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"session database has schema version {version}, this piiaudit knows {SCHEMA_VERSION}; upgrade piiaudit"
        )
    if version == SCHEMA_VERSION:
        return
    # BEGIN IMMEDIATE serialises concurrent first opens by the proxy and the hooks runner.
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for i in range(version, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[i]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={i + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _json(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


class SessionStore:
    """A session directory: session.db plus the files beside it.

    One instance per process; each thread gets its own connection. Methods that write
    take a batch and commit it in one transaction.
    """

    def __init__(self, directory: Path | str, *, create: bool = True):
        self.dir = Path(directory)
        if not self.dir.exists():
            if not create:
                raise StoreError(f"{self.dir}: no such session directory")
            self.dir.mkdir(parents=True)
        elif not self.dir.is_dir():
            raise StoreError(f"{self.dir}: exists and is not a directory")
        if not create and not (self.dir / DB_NAME).exists():
            raise StoreError(f"{self.dir}: not a session directory (no {DB_NAME})")
        self._local = threading.local()
        self.conn  # open now so errors surface at construction

    # -- paths -----------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self.dir / DB_NAME

    @property
    def flows_path(self) -> Path:
        return self.dir / FLOWS_NAME

    @property
    def manifest_path(self) -> Path:
        return self.dir / MANIFEST_NAME

    # -- connections -----------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.db_path)
            self._local.conn = conn
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            # Imported on first use: sqlite_utils pulls in pandas (~0.5 s, ~50 MB), which the
            # proxy and the hooks runner, writing through plain sqlite3, never need.
            import sqlite_utils

            db = sqlite_utils.Database(self.conn)
            self._local.db = db
        return db

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
            self._local.db = None

    def _write(self, table: str, rows: Iterable[Mapping[str, Any]], *, replace: bool = False) -> int:
        rows = list(rows)
        if not rows:
            return 0
        cols = sorted({k for r in rows for k in r})
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        sql = f"{verb} INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        values = [tuple(_json(r.get(c)) if isinstance(r.get(c), (dict, list)) else r.get(c) for c in cols) for r in rows]
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(sql, values)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return len(rows)

    # -- writers ---------------------------------------------------------------
    def write_flows_and_hits(self, flows: Iterable[Mapping[str, Any]], hits: Iterable[Mapping[str, Any]]) -> None:
        """One transaction for a batch of flow rows and their hits (the addon's unit of work).

        A flow id seen again (a replay into the same session) replaces its row and hits.
        """
        flows, hits = list(flows), list(hits)
        if not flows and not hits:
            return
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if flows:
                ids = [(f["id"],) for f in flows]
                conn.executemany("DELETE FROM pii_hits WHERE flow_id = ?", ids)
                cols = sorted({k for r in flows for k in r})
                conn.executemany(
                    f"INSERT OR REPLACE INTO flows ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [tuple(r.get(c) for c in cols) for r in flows],
                )
            if hits:
                cols = sorted({k for r in hits for k in r})
                conn.executemany(
                    f"INSERT INTO pii_hits ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [tuple(_json(r.get(c)) if isinstance(r.get(c), (dict, list)) else r.get(c) for c in cols) for r in hits],
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def write_events(self, events: Iterable[Mapping[str, Any]]) -> int:
        return self._write("events", events)

    def write_clock_sync(self, sync: Mapping[str, Any]) -> None:
        self._write("clock_syncs", [sync])

    def add_consent_mark(self, ts: float, kind: str = "accepted", source: str = "tester", note: str | None = None) -> None:
        if kind not in ("accepted", "declined", "shown"):
            raise ValueError(f"consent mark kind must be accepted, declined or shown, not {kind!r}")
        self._write("consent_marks", [{"ts": ts, "kind": kind, "source": source, "note": note}])

    def record_error(self, component: str, message: str, *, flow_id: str | None = None, detail: Any = None) -> None:
        """Best effort: an error row must never raise into the caller's hot path."""
        try:
            self._write(
                "errors",
                [{"ts": time.time(), "component": component, "flow_id": flow_id, "message": message, "detail": _json(detail)}],
            )
        except Exception:  # noqa: BLE001 - the database itself may be the problem
            pass

    def replace_findings(self, findings: Iterable[Mapping[str, Any]]) -> int:
        """Findings are derived data: each analysis replaces the previous set."""
        rows = [
            {**f, "flow_ids": _json(list(f.get("flow_ids") or [])), "event_ids": _json(list(f.get("event_ids") or []))}
            for f in findings
        ]
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM findings")
            if rows:
                cols = sorted({k for r in rows for k in r})
                conn.executemany(
                    f"INSERT INTO findings ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [tuple(_json(r.get(c)) if isinstance(r.get(c), (dict, list)) else r.get(c) for c in cols) for r in rows],
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return len(rows)

    def replace_timeline(self, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
        """The timeline is derived data too: each analysis replaces it (rows as tuples of `columns`, in order;
        `pos` numbers them from 1)."""
        conn = self.conn
        sql = f"INSERT INTO timeline ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM timeline")
            n = conn.executemany(sql, rows).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return n

    def set_meta(self, key: str, value: Any) -> None:
        self._write("meta", [{"key": key, "value": _json(value)}], replace=True)

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row[0])
        except (TypeError, ValueError):
            return row[0]

    # -- readers ---------------------------------------------------------------
    def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql, tuple(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
