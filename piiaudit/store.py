"""The session store: one SQLite file (WAL) per audit run, the single source of truth.

Writers (the proxy addon and the hooks runner) may be separate processes writing at the
same time: every connection sets a busy timeout and WAL mode, writes go in short
transactions, and a row is "acknowledged" once its transaction has committed. A killed
writer therefore loses at most its uncommitted batch and never leaves a broken file.

The schema is declared in piiaudit.schema and versioned with ``PRAGMA user_version``;
opening a database brings it to the current version. Every write is one call of `write`:
one transaction of deletions and inserts, with the column sets taken from the schema.

Two things ride along in each of those transactions. The meta counter `writes` goes up by
one, so a file that changed while the counter did not was changed outside piiaudit
(piiaudit.integrity). And a writer that names its `stage` gets its stored rows counted in the
`tally` table in the same commit (piiaudit.accounting): a counted row is a stored row.

A file that is not a whole SQLite database (emptied, zeroed, cut short; piiaudit.dbfile) is
refused before SQLite opens it, with a way back when flows.mitm still holds the traffic:
SQLite would take an emptied file for a new, empty session.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Union

from piiaudit import rawtext, schema, times
from piiaudit.dbfile import damage
from piiaudit.flowcount import count_flows
from piiaudit.schema import SCHEMA_VERSION

DB_NAME = "session.db"
FLOWS_NAME = "flows.mitm"
MANIFEST_NAME = "manifest.json"
WRITES_KEY = "writes"     # meta: transactions piiaudit committed to this file

# Tables whose rows are not counted as a stage's stored rows: the bookkeeping itself.
UNCOUNTED = frozenset({"tally", "runs", "meta"})
# The stage of an `errors` row's component (addon rows of a replay are counted by its writer).
STAGE_OF_COMPONENT = {"addon": "proxy", "proxy": "proxy", "replay": "replay", "hooks": "hooks",
                      "analysis": "analysis"}

# The UI automation's rows (commands/device/ui; piiaudit.schema: ui_actions, screens).
UI_ACTIONS = ("tap", "back", "swipe", "none")
UI_PURPOSES = ("consent_accept", "consent_decline", "consent_second_prompt", "consent_checkbox_noted",
               "permission_allow", "permission_deny", "explore", "refused_unsafe")
SCREEN_CAUSES = ("dialog", "before_tap", "after_tap", "permission_prompt", "explore", "end", "recording")
SCREENS_DIR = "screens"
SCREEN_FILE = re.compile(r"^(\d{4,})-[a-z_]+\.(?:png|mp4)$")

# Counts the store's write transactions (meta.writes); a transaction made elsewhere (the
# analysis's bulk writer) ends with it too.
BUMP_WRITES = _BUMP = (f"INSERT INTO meta (key, value) VALUES ('{WRITES_KEY}', '1') "
         "ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)")


class StoreError(Exception):
    """A session directory or database that cannot be used, with the reason."""


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _nearly_full(path: Path) -> bool:
    """Less free space than SQLite needs for its shared-memory file: an I/O error there is a full disk."""
    try:
        st = os.statvfs(path)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


def _size_limit() -> int | None:
    """The process's file-size limit (`ulimit -f`) in bytes, if it has one: writes past it fail
    (EFBIG), which SQLite reports as an I/O error."""
    try:
        import resource
    except ImportError:       # not POSIX
        return None
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


def problem(path: Path | str, e: BaseException) -> str:
    """A failure of the database at `path` (or of a file beside it) as one line a user acts on:
    what happened to which file, and that what was committed before stays."""
    path = Path(path)
    name = getattr(e, "sqlite_errorname", "") or ""
    errno_ = getattr(e, "errno", None)
    text = " ".join(str(e).split())
    io_error = name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN"))
    limit = _size_limit() if io_error or errno_ == errno.EFBIG else None
    if limit is not None:
        return (f"{path}: disk full: the file-size limit of this shell (ulimit -f, {limit:,} bytes) is reached "
                f"({text}); raise it and run the command again (everything stored before is still there)")
    if name == "SQLITE_FULL" or errno_ in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) or (
            io_error and _nearly_full(path.parent)):
        return (f"{path}: disk full ({text}); free some space and run the command again "
                "(everything stored before is still there)")
    if name.startswith("SQLITE_READONLY") or errno_ == errno.EROFS or (
            name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR")) and _read_only(path.parent)):
        return f"{path}: read-only file system; copy the session to a writable place first"
    if isinstance(e, sqlite3.Error) and path.is_dir():
        return f"{path}: a directory, where the session database should be a file"
    if errno_ in (errno.EACCES, errno.EPERM) or (io_error and not os.access(path.parent, os.W_OK)):
        return f"{path}: permission denied; piiaudit needs to write in {path.parent}"
    if name == "SQLITE_NOTADB" or name.startswith("SQLITE_CORRUPT"):
        return (f"{path}: not a usable session database: damaged ({text}); use a "
                "backup copy, or replay the session's flows.mitm into a new session")
    if name.startswith("SQLITE_IOERR") or isinstance(e, OSError):
        return f"{path}: cannot read or write it ({text})"
    return f"{path}: not a usable session database ({text})"


def _rollback(conn: sqlite3.Connection) -> None:
    """Undo an open transaction; SQLite may have undone it already (a full disk does), and the
    error that caused it is the one to report, so nothing raised here replaces it."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass


def connect(path: Path | str, *, timeout: float = 30.0) -> sqlite3.Connection:
    """Open (and migrate) a session database for one thread of one process."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise StoreError(f"{path}: a directory (or device), where the session database should be a file")
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        _refuse_foreign(conn, path)        # before WAL mode, which would change the file's header
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=OFF")  # hits may arrive before a late flow row in batches
        _migrate(conn, path)
    except sqlite3.DatabaseError as e:
        conn.close()
        raise StoreError(problem(path, e)) from e
    except StoreError:
        conn.close()
        raise
    return conn


def _refuse_foreign(conn: sqlite3.Connection, path: Path | str) -> None:
    """A database that holds tables but not piiaudit's (whatever its user_version says) is another
    program's: refused untouched. Checked before WAL mode, which would change the file's header."""
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    if not tables or {"meta", "flows"} <= set(tables):
        return
    foreign = tables
    if foreign:
        raise StoreError(f"{path}: not a piiaudit session database (it holds the tables "
                         f"{', '.join(foreign[:5])}{', …' if len(foreign) > 5 else ''} of another program); "
                         "nothing was changed")


def _migrate(conn: sqlite3.Connection, path: Path | str = DB_NAME) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: session database has schema version {version}, this piiaudit knows {SCHEMA_VERSION}; "
            "upgrade piiaudit"
        )
    if version == SCHEMA_VERSION:
        return
    # BEGIN IMMEDIATE serialises concurrent first opens by the proxy and the hooks runner.
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            _refuse_foreign(conn, path)    # checked again under the lock
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in schema.migration(target):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={target}")
        conn.execute(_BUMP)
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


def _json(value: Any) -> Any:
    """Dicts and lists become JSON text; text is stored escaped where it holds bytes that
    are not UTF-8 (piiaudit.rawtext); everything else is stored as it is."""
    if isinstance(value, str):
        return rawtext.escape(value)
    if isinstance(value, (dict, list)):
        return _dumps(value)
    return value


def _dumps(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    # JSON text with a lone surrogate in it: escaped before dumping, so the escape is
    # part of the JSON strings (a backslash in JSON text would have to be doubled).
    return text if rawtext.is_clean(text) else json.dumps(
        rawtext.storable(json.loads(text)), ensure_ascii=False, sort_keys=True)


Deletion = Union[str, tuple[str, Sequence[Sequence[Any]]]]


def write(conn: sqlite3.Connection, rows: Mapping[str, Iterable[Mapping[str, Any]]], *,
          delete: Iterable[Deletion] = (), stage: str | None = None, run_id: str | None = None) -> int:
    """Every write to a session goes through here: one transaction that runs the `delete`
    statements (SQL text, or (SQL, parameter rows) for executemany), then inserts `rows`
    (table -> rows). Returns the number of rows deleted.

    A row keeps only the keys that are columns of its table (piiaudit.schema); a missing key
    takes the column's default; dicts and lists are stored as JSON. A table with a natural
    primary key (flows, meta) replaces the row of the same key.

    `stage` (proxy, replay, hooks, analysis): the rows inserted are counted as that stage's
    stored rows (of run `run_id`) in `tally`, in the same transaction.
    """
    rows = {table: list(table_rows) for table, table_rows in rows.items()}
    if stage is not None:
        stored = [tally_row(stage, "stored", table, len(r), run_id)
                  for table, r in rows.items() if r and table not in UNCOUNTED]
        if stored:
            rows["tally"] = [*rows.get("tally", []), *stored]
    plans = []
    for table, table_rows in rows.items():
        spec = schema.TABLES[table]
        by_columns: dict[tuple[str, ...], list[tuple]] = {}
        for r in table_rows:
            cols = tuple(sorted(k for k in r if k in spec.names))
            by_columns.setdefault(cols, []).append(tuple(_json(r[c]) for c in cols))
        verb = "INSERT OR REPLACE" if spec.keyed else "INSERT"
        for cols, values in by_columns.items():
            sql = (f"{verb} INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})" if cols
                   else f"INSERT INTO {table} DEFAULT VALUES")
            plans.append((sql, values))
    deletions = list(delete)
    if not plans and not deletions:
        return 0
    deleted = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        for d in deletions:
            cur = conn.execute(d) if isinstance(d, str) else conn.executemany(*d)
            deleted += max(cur.rowcount, 0)
        for sql, values in plans:
            conn.executemany(sql, values)
        conn.execute(_BUMP)
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)          # never hides the error (a full disk: SQLite has rolled back already)
        raise
    return deleted


class SessionStore:
    """A session directory: session.db plus the files beside it.

    One instance per process; each thread gets its own connection. Every write method
    commits its rows in one transaction (`write`); a process that writes often uses one
    `piiaudit.writer.SessionWriter` thread instead, which batches.
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
        self._check_file(create)
        self._local = threading.local()
        self.conn  # open now so errors surface at construction

    def _check_file(self, create: bool) -> None:
        """Refuse a session.db that is not a whole database. An empty file is a database being
        created by a writer that opened it a moment ago, unless a recording lies beside it."""
        db = self.db_path
        if not db.is_file():
            return
        reason = damage(db)
        if reason is None:
            return
        recorded = self.flows_path.exists() or self.manifest_path.exists()
        if create and db.stat().st_size == 0 and not recorded:
            return
        raise StoreError(f"{db}: not a usable session database: {reason}. {rebuild_hint(self.dir)}")

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

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writers ---------------------------------------------------------------
    def write(self, rows: Mapping[str, Iterable[Mapping[str, Any]]], *, delete: Iterable[Deletion] = (),
              stage: str | None = None, run_id: str | None = None) -> int:
        """One transaction on this thread's connection (module function `write`); rows deleted.

        E.g. derived hits that replace the ones an earlier run derived:
        ``store.write({"pii_hits": rows}, delete=["DELETE FROM pii_hits WHERE ..."])``.
        """
        return write(self.conn, rows, delete=delete, stage=stage, run_id=run_id)

    def write_flows_and_hits(self, flows: Iterable[Mapping[str, Any]], hits: Iterable[Mapping[str, Any]]) -> None:
        """Flow rows and their hits in one transaction; a flow id seen again (a replay into
        the same session) replaces its row and hits."""
        flows = list(flows)
        self.write({"flows": flows, "pii_hits": hits}, delete=flow_replacement(flows))

    def write_events(self, events: Iterable[Mapping[str, Any]]) -> None:
        self.write({"events": events})

    def write_clock_sync(self, sync: Mapping[str, Any]) -> None:
        self.write({"clock_syncs": [sync]})

    def add_consent_mark(self, ts: float, kind: str = "accepted", source: str = "tester", note: str | None = None) -> None:
        """One tester mark; ValueError (nothing written) for a kind or a time that is not one."""
        if kind not in ("accepted", "declined", "shown"):
            raise ValueError(f"consent mark kind must be accepted, declined or shown, not {kind!r}")
        ts = times.checked(ts, f"the consent mark's time {ts!r}")
        self.write({"consent_marks": [{"ts": ts, "kind": kind, "source": source, "note": note}]})

    def add_ui_action(self, ts: float, action: str, purpose: str, *, x: int | None = None, y: int | None = None,
                      target_text: str | None = None, target_class: str | None = None,
                      target_id: str | None = None, detail: Any = None) -> int:
        """One row of what the UI automation did (schema `ui_actions`), in one transaction; its id.
        ValueError (nothing written) for an action or purpose the schema does not name."""
        if action not in UI_ACTIONS:
            raise ValueError(f"ui action must be one of {', '.join(UI_ACTIONS)}, not {action!r}")
        if purpose not in UI_PURPOSES:
            raise ValueError(f"ui action purpose must be one of {', '.join(UI_PURPOSES)}, not {purpose!r}")
        ts = times.checked(ts, f"the UI action's time {ts!r}")
        return self._insert("ui_actions", {
            "ts": ts, "action": action, "x": x, "y": y, "target_text": target_text, "target_class": target_class,
            "target_id": target_id, "purpose": purpose, "source": "automation", "detail": _text(detail)})

    def add_screen(self, ts: float, data: bytes | Path, cause: str, *, kind: str = "png",
                   width: int | None = None, height: int | None = None, action_id: int | None = None,
                   event_id: int | None = None, note: str | None = None) -> int:
        """A capture kept in the session: the file `screens/NNNN-<cause>.<kind>` (the next free number;
        `data` is the bytes, or a file moved in) and its `screens` row with the file's SHA-256, in one
        transaction; its id. The file is written whole (a temporary name, then renamed) before the row,
        and removed again when the row cannot be written."""
        if cause not in SCREEN_CAUSES:
            raise ValueError(f"screen cause must be one of {', '.join(SCREEN_CAUSES)}, not {cause!r}")
        if kind not in ("png", "mp4"):
            raise ValueError(f"screen kind must be png or mp4, not {kind!r}")
        ts = times.checked(ts, f"the capture's time {ts!r}")
        folder = self.dir / SCREENS_DIR
        folder.mkdir(exist_ok=True)
        used = [int(m.group(1)) for m in map(SCREEN_FILE.match, os.listdir(folder)) if m]
        name = f"{max(used, default=0) + 1:04d}-{cause}.{kind}"
        path = folder / name
        tmp = folder / f".{name}.tmp"
        if isinstance(data, Path):
            try:
                os.replace(data, tmp)
            except OSError as e:
                if e.errno != errno.EXDEV:        # another file system: copied, then removed
                    raise
                shutil.copyfile(data, tmp)
                data.unlink()
        else:
            tmp.write_bytes(data)
        digest = hashlib.sha256()
        with open(tmp, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        os.replace(tmp, path)
        try:
            return self._insert("screens", {
                "ts": ts, "file": f"{SCREENS_DIR}/{name}", "sha256": digest.hexdigest(), "kind": kind,
                "width": width, "height": height, "cause": cause, "action_id": action_id, "event_id": event_id,
                "note": note})
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def _insert(self, table: str, row: Mapping[str, Any]) -> int:
        """One row in one transaction (with the writes counter, as `write`); the new row's id."""
        names = schema.TABLES[table].names
        cols = [c for c in row if c in names]
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                               [_json(row[c]) for c in cols])
            rowid = int(cur.lastrowid)
            conn.execute(_BUMP)
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        return rowid

    def add_observations(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """The tester's observations (rows of piiaudit.testermarks), in one transaction; how many."""
        rows = list(rows)
        self.write({"observations": rows})
        return len(rows)

    def record_error(self, component: str, message: str, *, flow_id: str | None = None, detail: Any = None) -> None:
        """Best effort: an error row must never raise into the caller's hot path. Counted as an
        error of the component's stage (`tally`)."""
        try:
            self.write({"errors": [error_row(component, message, flow_id=flow_id, detail=detail)]},
                       stage=STAGE_OF_COMPONENT.get(component, "other"))
        except Exception:  # noqa: BLE001 - the database itself may be the problem
            pass

    def replace_findings(self, findings: Iterable[Mapping[str, Any]]) -> int:
        """Findings are derived data: each analysis replaces the previous set."""
        rows = [{**f, "flow_ids": list(f.get("flow_ids") or []), "event_ids": list(f.get("event_ids") or [])}
                for f in findings]
        self.write({"findings": rows}, delete=["DELETE FROM findings"])
        return len(rows)

    def replace_timeline(self, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
        """The timeline is derived data: each analysis replaces it in one transaction (rows as
        tuples of `columns`; `pos` numbers them from 1 in order). Returns the rows written.

        The rows go to SQLite as they are, without `write`'s per-value conversion (10^6 rows):
        plain values only (None, numbers, text already escaped with piiaudit.rawtext)."""
        spec = schema.TABLES["timeline"]
        unknown = [c for c in columns if c not in spec.names]
        if unknown:
            raise ValueError(f"timeline has no column {unknown}")
        conn = self.conn
        sql = f"INSERT INTO timeline ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM timeline")
            written = conn.executemany(sql, rows).rowcount
            conn.execute(_BUMP)
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        return max(written, 0)

    def set_meta(self, key: str, value: Any) -> None:
        self.write({"meta": [{"key": key, "value": _text(value)}]})

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


def flow_replacement(flows: Iterable[Mapping[str, Any]]) -> list[Deletion]:
    """The deletion that goes with writing `flows` again: their earlier hits."""
    ids = [(f["id"],) for f in flows]
    return [("DELETE FROM pii_hits WHERE flow_id = ?", ids)] if ids else []


def superseded_patterns(flow_id: str, hits: Iterable[Mapping[str, Any]]) -> list[Deletion]:
    """The deletion that goes with hits found late (look-back) on the place of a pattern or
    endpoint-field hit already stored: that row, now recorded in the late hit's
    `detail.support` (rows are matched by source, direction, location and value)."""
    rows = []
    for h in hits:
        detail = h.get("detail")
        if isinstance(detail, str):
            try:
                detail = json.loads(detail)
            except ValueError:
                continue
        if not isinstance(detail, dict):
            continue
        for s in detail.get("support") or ():
            if isinstance(s, dict) and s.get("source") in SUPERSEDED_SOURCES and s.get("value") is not None:
                rows.append((flow_id, s["source"], h.get("direction") or "request", h.get("location"), str(s["value"])))
    sql = ("DELETE FROM pii_hits WHERE flow_id = ? AND source = ? AND direction = ? AND location = ? AND value = ?")
    return [(sql, rows)] if rows else []


# The weaker sources a late hit on the same place replaces (piiaudit.hitsupport).
SUPERSEDED_SOURCES = ("pattern", "endpoint")


def tally_row(stage: str, outcome: str, what: str, n: int, run_id: str | None = None) -> dict[str, Any]:
    """One delta of the error accounting (piiaudit.accounting)."""
    return {"run_id": run_id, "stage": stage, "outcome": outcome, "what": what, "n": int(n)}


def rebuild_hint(session_dir: Path) -> str:
    """What is left to rebuild a session from when its session.db is lost (one sentence)."""
    flows = Path(session_dir) / FLOWS_NAME
    if not flows.is_file():
        return f"There is no {FLOWS_NAME} beside it to rebuild the session from: restore {DB_NAME} from a copy"
    try:
        counted = count_flows(flows)
    except OSError as e:
        return f"{FLOWS_NAME} beside it cannot be read ({e})"
    cut = "" if counted.complete else f" (cut short at byte {counted.stopped_at})"
    return (f"{FLOWS_NAME} still holds {counted.flows} flows{cut}: rebuild the session from it with "
            f"`piiaudit replay {flows} --session NEW`")


def error_row(component: str, message: str, *, flow_id: str | None = None, detail: Any = None,
              ts: float | None = None) -> dict[str, Any]:
    return {"ts": time.time() if ts is None else ts, "component": component, "flow_id": flow_id,
            "message": message, "detail": _text(detail)}


def _text(value: Any) -> str | None:
    """A free-form value as stored in a TEXT column: text as it is, anything else as JSON."""
    if value is None or isinstance(value, str):
        return _json(value)
    return _dumps(value)
