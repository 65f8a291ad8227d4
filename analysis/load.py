"""Load a session's tables into pandas with fixed dtypes.

SQLite is typeless, and the rows come from software under test: every column is coerced
to the dtype the analysis expects, values that do not fit become missing, and rows
without a usable time are set aside (and counted) rather than breaking the analysis.
Empty tables load as empty frames with the same columns and dtypes.

A session of COLUMNAR_FROM_ROWS rows or more is read column by column into Arrow
(analysis.columnar: ADBC's SQLite driver in a process of its own) rather than as a Python
object per value; a smaller one row by row in this process, which costs less than starting
the reading processes (about a third of a second each, mostly imports). In the columnar read,
numbers are checked in SQL (a value that is not an integer or a real becomes missing, an
integral real in an integer column an integer), text is cast in SQL and checked as UTF-8
once. Text that is not valid UTF-8, a driver that is not installed or refuses the query: the
table is read row by row by the sqlite3 module (text decoded with replacement characters),
with the same dtypes and values.

An event's ``data`` JSON is parsed here, once: the column holds a dict for every event
that had data (``{}`` when it was broken or not an object) and None for the rest (the
bulk ``pii_read`` rows, whose data is not read at all).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd


from analysis import columnar
from piiaudit import manifest as manifest_mod
from piiaudit import schema, times
from piiaudit.store import SessionStore

T = TypeVar("T")

FLOW_COLUMNS: dict[str, str] = {
    "id": "str", "ts_start": "float", "ts_end": "float", "method": "str", "url": "str", "host": "str",
    "port": "int", "scheme": "str", "status": "int", "request_sha256": "str", "response_sha256": "str",
    "request_size": "int", "response_size": "int", "content_type": "str", "capture": "str", "error": "str",
    "host_header": "str", "server_ip": "str",
}
HIT_COLUMNS: dict[str, str] = {
    "id": "int", "flow_id": "str", "pii_type": "str", "location": "str", "encoding": "str", "source": "str",
    "value_sha256": "str", "value": "str", "direction": "str", "confidence": "float",
    "via_event_id": "int",   # derived hits (analysis.crypto, TLS plaintext): the hook event that revealed them
    # the endpoint field that carried the hit (piiaudit.detect.endpoints): its own detail for
    # a hit of source 'endpoint', else the endpoint entry of its support; None for the rest
    "endpoint_map": "json",
    # the forms the value took where it was found, as JSON text: {"texts": detail.wire (the
    # URL part or header text it covered), "matched": detail.matched, "cut": detail.wire_cut};
    # what a masked report hides (analysis.redact parses it where needed); None when the
    # detector recorded neither
    "wire": "str",
}
EVENT_COLUMNS: dict[str, str] = {
    "id": "int", "ts": "float", "ts_device_ms": "int", "seq": "int", "kind": "str", "api": "str",
    "pii_type": "str", "value": "str", "sdk": "str", "stack": "str", "pid": "int", "process": "str",
    "thread": "str", "clock_error_ms": "float", "clock_offset_ms": "float", "data": "json",
}
MARK_COLUMNS: dict[str, str] = {"id": "int", "ts": "float", "kind": "str", "source": "str", "note": "str"}
OBSERVATION_COLUMNS: dict[str, str] = {
    "id": "int", "ts": "float", "kind": "str", "place": "str", "note": "str", "screenshot": "str",
    "screenshot_sha256": "str", "source": "str",
}
UI_ACTION_COLUMNS: dict[str, str] = {   # the UI automation's actions (session schema 6)
    "id": "int", "ts": "float", "action": "str", "x": "int", "y": "int", "target_text": "str", "target_class": "str",
    "target_id": "str", "purpose": "str", "source": "str", "detail": "json",
}
SCREEN_COLUMNS: dict[str, str] = {      # its captures in screens/ (session schema 6)
    "id": "int", "ts": "float", "file": "str", "sha256": "str", "kind": "str", "width": "int", "height": "int",
    "cause": "str", "action_id": "int", "event_id": "int", "note": "str",
}

# Rows of all the tables read, from which the columnar read is worth its two processes: below,
# reading row by row here takes less time than their start (measured with readers that start
# without pandas, three rounds: 20,000 rows 0.38-0.42 s row by row against 0.66-0.71 s; 50,000
# rows 0.80-0.95 s against 0.74-0.89 s; 100,000 rows 1.52-1.81 s against 0.94-1.02 s).
COLUMNAR_FROM_ROWS = 50_000
# Text the analysis never reads, only a report shows: kept in Arrow (the str dtype on pyarrow
# storage, same values and missing values) instead of one Python string per row. The flows'
# two SHA-256 columns are unique per row and the bulk of what a flow holds.
KEPT_IN_ARROW: dict[str, frozenset[str]] = {"flows": frozenset({"request_sha256", "response_sha256", "url"})}

STACK_CHARS = 1200   # reports show a stack's first frames; SDK attribution was done by the hooks runner

# What is read of some columns: only what the analysis and the reports use, so a session of
# 10^6 hook events with deep stacks fits in memory.
SELECT_AS = {
    "events": {
        "stack": f"substr(stack, 1, {STACK_CHARS})",
        "data": "CASE WHEN kind = 'pii_read' THEN NULL ELSE data END",
    },
    "pii_hits": {
        "wire": ("CASE WHEN (detail LIKE '%\"wire\"%' OR detail LIKE '%\"matched\"%') AND json_valid(detail) "
                 "THEN json_object('texts', json_extract(detail, '$.wire'), 'matched', json_extract(detail, '$.matched'), "
                 "'cut', json_extract(detail, '$.wire_cut')) END"),
        # Computed, not a column: only rows that carry it pay for the JSON parse.
        "via_event_id": ("CASE WHEN detail LIKE '%via_event_id%' AND json_valid(detail) "
                         "THEN json_extract(detail, '$.via_event_id') END"),
        "endpoint_map": (
            "CASE WHEN detail LIKE '%\"endpoint\"%' AND json_valid(detail) THEN CASE WHEN source = 'endpoint' "
            "THEN json_object('sdk', json_extract(detail, '$.sdk'), 'endpoint', json_extract(detail, '$.endpoint'), "
            "'field', json_extract(detail, '$.field'), 'source', json_extract(detail, '$.source'), 'value', value) "
            "ELSE (SELECT json_object('sdk', json_extract(s.value, '$.sdk'), "
            "'endpoint', json_extract(s.value, '$.endpoint'), 'field', json_extract(s.value, '$.field'), "
            "'source', json_extract(s.value, '$.doc_source'), 'value', json_extract(s.value, '$.value')) "
            "FROM json_each(detail, '$.support') AS s WHERE json_extract(s.value, '$.source') = 'endpoint' LIMIT 1) "
            "END END"),
    },
}


@dataclass
class Session:
    """One session as pandas frames, plus what is needed to write back to it."""

    dir: Path
    store: SessionStore
    flows: pd.DataFrame
    hits: pd.DataFrame
    events: pd.DataFrame
    marks: pd.DataFrame
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)   # table -> rows of session.db the analysis left out
    observations: pd.DataFrame | None = None   # the tester's observations (piiaudit mark observed; analysis.tester)
    ui_actions: pd.DataFrame | None = None     # the UI automation's taps, backs, swipes (analysis.screens)
    screens: pd.DataFrame | None = None        # its screenshots and recordings in screens/ (analysis.screens)

    @property
    def is_empty(self) -> bool:
        return (self.flows.empty and self.events.empty and self.marks.empty
                and (self.observations is None or self.observations.empty))


def _as_int(s: pd.Series) -> pd.Series:
    num = pd.to_numeric(s, errors="coerce")
    return num.where(num.mod(1).eq(0)).astype("Int64")


def _as_float(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _as_str(s: pd.Series) -> pd.Series:
    return s.astype("object").where(s.notna(), None).astype("str")


def _as_json(s: pd.Series) -> pd.Series:
    """JSON text -> dict (a dict stays as it is); missing stays None."""
    parsed = s.astype("object").map(lambda v: v if isinstance(v, dict) else parse_json_object(v), na_action="ignore")
    return parsed.where(s.notna(), None)


_COERCE = {"int": _as_int, "float": _as_float, "str": _as_str, "json": _as_json}


def typed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Frame with exactly `columns` (missing ones added empty), each coerced to its kind."""
    out = frame.reindex(columns=list(columns))
    return out.assign(**{name: _COERCE[kind](out[name]) for name, kind in columns.items()})


def _reader(store: SessionStore, *, lenient: bool) -> sqlite3.Connection:
    """A reading connection of our own. `lenient`: text that is not valid UTF-8 (it comes from
    traffic and hooked apps) is decoded with replacement characters instead of failing."""
    conn = sqlite3.connect(str(store.db_path), timeout=30.0)
    if lenient:
        conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
    return conn


_NUMBERS_AS_TEXT = columnar.FLAG + "numbers_as_text"


def _select(table: str, columns: dict[str, str], columnar: bool, holds: frozenset[str] = frozenset()) -> str:
    """The query of `columns` of `table`. `holds`: columns whose declared type already gives the
    columnar read what its cast would (a REAL column, an INTEGER PRIMARY KEY), read as they are."""
    present = schema.columns(table)   # the store brought the file to the current schema on opening
    # Text columns are cast in SQL so a BLOB written by a careless writer arrives as text too.
    exprs = SELECT_AS.get(table, {})
    wanted = []
    for c, kind in columns.items():
        if c not in present and c not in exprs:
            continue
        expr = exprs.get(c, c)
        if kind in ("str", "json"):
            wanted.append(f"CAST({expr} AS TEXT) AS {c}")
        elif columnar and kind in ("int", "float") and c in holds and c not in exprs:
            wanted.append(c)   # the flag below still sends a table with text or a blob here row by row
        elif columnar and kind == "int":
            # one Arrow type per column: integers, integral reals as integers, the rest missing
            wanted.append(f"CASE typeof({expr}) WHEN 'integer' THEN {expr} WHEN 'real' THEN CASE WHEN {expr} = "
                          f"CAST({expr} AS INTEGER) THEN CAST({expr} AS INTEGER) END END AS {c}")
        elif columnar and kind == "float":
            wanted.append(f"CASE WHEN typeof({expr}) IN ('integer', 'real') THEN CAST({expr} AS REAL) END AS {c}")
        else:
            wanted.append(f"{expr} AS {c}" if c in exprs else c)
    if columnar:
        # A numeric column holding text or a blob: the columnar read would make it missing (pandas
        # parses numeric text), so such a table is read row by row; flagged in the same scan.
        numeric = [c for c, kind in columns.items() if kind in ("int", "float") and c in present]
        if numeric:
            # `c >= ''` is true exactly for text and blobs: numbers sort before any text, NULL compares
            # to nothing, and '' is no number the column's affinity could turn it into (cheaper than typeof)
            test = " OR ".join(f"{c} >= ''" for c in numeric)
            wanted.append(f"CASE WHEN {test} THEN 1 ELSE 0 END AS {_NUMBERS_AS_TEXT}")
    return f"SELECT {', '.join(wanted)} FROM {table}"


def _declared_to_hold(conn: sqlite3.Connection, table: str, columns: dict[str, str]) -> frozenset[str]:
    """The numeric columns of `table` (as the file declares them) whose stored values already are
    what the columnar read's cast makes of them, text and blobs aside (which the query's flag
    catches): a float column of REAL affinity (SQLite stores its integers as reals), and an int
    column that is the INTEGER PRIMARY KEY (the rowid: always an integer)."""
    info = conn.execute(f"PRAGMA table_info({table})").fetchall()   # (cid, name, type, notnull, default, pk)
    keys = [row for row in info if row[5]]
    created = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    rowid = not (created and created[0] and "WITHOUT ROWID" in created[0].upper())
    out = set()
    for _, name, decl, _, _, pk in info:
        kind, decl = columns.get(name), (decl or "").upper()
        if kind == "float" and _affinity(decl) == "REAL":
            out.add(name)
        elif kind == "int" and pk and len(keys) == 1 and decl == "INTEGER" and rowid:
            out.add(name)
    return frozenset(out)


def _affinity(decl: str) -> str:
    """A declared column type's affinity, by SQLite's rules (datatype3.html, 3.1), in their order."""
    if "INT" in decl:
        return "INTEGER"
    if any(t in decl for t in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in decl or not decl:
        return "BLOB"
    if any(t in decl for t in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def _typed_columnar(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """`typed` for a columnar frame: columns of the right dtype already are kept as they are."""
    out = frame.reindex(columns=list(columns))
    coerced = {}
    for name, kind in columns.items():
        col = out[name]
        if kind == "str" and isinstance(col.dtype, pd.StringDtype) and col.dtype in (_STR, _ARROW_STR):
            continue
        if kind == "float" and col.dtype == "float64":
            continue
        if kind == "int" and isinstance(col.dtype, pd.Int64Dtype):
            continue
        if kind in _NOTHING and len(col) and col.isna().all():
            coerced[name] = _NOTHING[kind](len(col))   # a column no row fills (the driver types it int64)
            continue
        coerced[name] = _COERCE[kind](col)
    return out.assign(**coerced)


_STR = pd.Series([""], dtype="str").dtype
# A column with no value, made in its kind's dtype at once (as _COERCE makes it, without a pass per row)
_NOTHING = {
    "str": lambda n: pd.array([None], dtype=_STR).take(np.zeros(n, dtype="intp")),
    "float": lambda n: np.full(n, np.nan, dtype="float64"),
    "int": lambda n: pd.arrays.IntegerArray(np.zeros(n, dtype="int64"), np.ones(n, dtype=bool)),
}
_ARROW_STR = pd.StringDtype("pyarrow", na_value=np.nan)   # the str dtype on Arrow storage


def _arrow_frame(table: Any, kept: frozenset[str] = frozenset()) -> pd.DataFrame:
    """An Arrow table as pandas: integers as Int64 (missing kept), text as the str dtype. A text
    column that came dictionary-encoded (analysis.columnar) is spread from its distinct values:
    one Python string per distinct text, shared by the rows that carry it. Plain text columns
    named in `kept` stay in Arrow (the str dtype on pyarrow storage)."""
    import pyarrow as pa

    kinds = {pa.int64(): pd.Int64Dtype(), pa.string(): _STR, pa.large_string(): _STR}
    encoded = [name for name, kind in zip(table.column_names, table.schema.types) if pa.types.is_dictionary(kind)]
    arrow = [name for name, kind in zip(table.column_names, table.schema.types)
             if name in kept and kind in (pa.string(), pa.large_string())]
    rest = table.drop_columns(encoded + arrow).to_pandas(types_mapper=kinds.get)
    if not encoded and not arrow:
        return rest
    spread = {name: _spread(table[name], rest.index) for name in encoded}
    # copied out of the IPC message, which the table's columns are views of and would keep whole
    spread |= {name: pd.Series(_ARROW_STR.__from_arrow__(pa.chunked_array(
        [pa.concat_arrays([c.cast(pa.large_string()) for c in table[name].chunks] or [pa.array([], pa.large_string())])],
        type=pa.large_string())),
        index=rest.index, copy=False) for name in arrow}
    return pd.DataFrame({name: spread[name] if name in spread else rest[name] for name in table.column_names},
                        index=rest.index, copy=False)


def _spread(column: Any, index: pd.Index) -> pd.Series:
    """A dictionary-encoded Arrow text column as a str Series (missing as the dtype's NA)."""
    import pyarrow as pa

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    distinct = pd.array(column.dictionary.to_pylist() + [None], dtype=_STR)   # the last: missing
    codes = column.indices.fill_null(len(distinct) - 1).to_numpy(zero_copy_only=False).astype("intp", copy=False)
    return pd.Series(distinct.take(codes), index=index, copy=False)


def _read_tables(conn: sqlite3.Connection, specs: list[tuple[str, dict[str, str], list[str]]]) -> list[pd.DataFrame]:
    """Each (table, columns, order) as a typed frame sorted by `order`: columnar where it can
    (analysis.columnar), else row by row on `conn`."""
    frames: list[pd.DataFrame | None] = [None] * len(specs)
    db_path = _db_path(conn)
    if db_path is not None:
        # (a text key, unique by the schema, and the text kept in Arrow are sent as they are)
        queries = [(_select(table, columns, columnar=True, holds=_declared_to_hold(conn, table, columns)),
                    conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0],
                    sorted(KEPT_IN_ARROW.get(table, frozenset()) | ({"id"} if columns.get("id") == "str" else set())))
                   for table, columns, _ in specs]
        # The largest table (by rows) is read by a second child at the same time as the rest.
        largest = max(range(len(queries)), key=lambda i: queries[i][1]) if queries else None
        worth_it = queries and sum(q[1] for q in queries) >= COLUMNAR_FROM_ROWS
        tables = columnar.read(db_path, queries, apart=frozenset([largest])) if worth_it else None
        for i, table in enumerate(tables or []):
            if table is not None and not columnar.flagged(table, _NUMBERS_AS_TEXT):
                frames[i] = _typed_columnar(_arrow_frame(table, KEPT_IN_ARROW.get(specs[i][0], frozenset())), specs[i][1])
            del table
    out = []
    for (table, columns, order), frame in zip(specs, frames):
        if frame is None:
            frame = typed(pd.read_sql_query(_select(table, columns, columnar=False), conn), columns)
            kept = KEPT_IN_ARROW.get(table, frozenset())
            frame = frame.astype({c: _ARROW_STR for c in kept if c in frame}) if kept else frame   # as the columnar read
        # Sorted here rather than by SQLite, whose ORDER BY on a non-covering index sorts in a temp B-tree.
        out.append(frame if _in_order(frame, order) else frame.sort_values(order, kind="stable", ignore_index=True))
    return out


def _in_order(frame: pd.DataFrame, order: list[str]) -> bool:
    """Whether the rows already are in `order`, as the stable sort would leave them: rows are
    mostly written in time order, and sorting a sorted table copies every column for nothing.
    Any missing key value: not decided here (False), the sort places it."""
    if len(frame) < 2:
        return True
    tie = None
    for c in order:
        col = frame[c]
        if col.isna().any():
            return False
        if col.dtype.kind in "fiu" or isinstance(col.dtype, pd.Int64Dtype):
            values = col.to_numpy(dtype="float64")
            before, after = values[:-1], values[1:]
            if tie is not None:
                before, after = before[tie], after[tie]
            if (after < before).any():
                return False
            equal = after == before
        else:   # text: compared only where the keys before tie (rows with equal times)
            if tie is None:
                return False
            where = np.flatnonzero(tie)
            values = col.to_numpy(dtype="object")
            before, after = values[where], values[where + 1]
            if any(x > y for x, y in zip(before, after)):
                return False
            equal = np.array([x == y for x, y in zip(before, after)], dtype=bool)
        if tie is None:
            tie = equal
        else:
            tie = tie.copy()
            tie[tie] = equal
        if not tie.any():
            return True
    return True   # rows equal on every key stay in the order read, as the stable sort keeps them


def _read(conn: sqlite3.Connection, table: str, columns: dict[str, str], order: list[str]) -> pd.DataFrame:
    return _read_tables(conn, [(table, columns, order)])[0]


def _db_path(conn: sqlite3.Connection) -> Path | None:
    """The file of a plain connection (not one that decodes leniently: that one is the fallback)."""
    if conn.text_factory is not str:
        return None
    row = conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2]) if row and row[2] else None


def parse_json_object(text: Any) -> dict[str, Any]:
    """A JSON object from a hook's `data` text; anything else (broken, a list) is {}."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _drop_untimed(frame: pd.DataFrame, ts: str, what: str, notes: list[str],
                  left_out: dict[str, int] | None = None) -> pd.DataFrame:
    bad = frame[ts].isna() | ~frame[ts].between(times.EARLIEST, times.LATEST)
    if bad.any():
        n = int(bad.sum())
        if left_out is not None:
            left_out[what.replace(" ", "_")] = n
        notes.append(f"{n} {what} without a usable time were left out / {n} 条记录（{what}）无有效时间，未纳入分析")
    return frame.loc[~bad].reset_index(drop=True)


def _reading(store: SessionStore, read: Callable[[sqlite3.Connection], T]) -> T:
    """read(conn) on a connection of our own, which SQLite decodes text for."""
    conn = _reader(store, lenient=False)
    try:
        return read(conn)
    except sqlite3.OperationalError as e:
        if "decode" not in str(e).lower():
            raise
    finally:
        conn.close()
    # Only when some text is not UTF-8: decoding in Python is slower than SQLite's own.
    conn = _reader(store, lenient=True)
    try:
        return read(conn)
    finally:
        conn.close()


def _hits_of_known_flows(hits: pd.DataFrame, flows: pd.DataFrame, notes: list[str],
                         left_out: dict[str, int] | None = None) -> pd.DataFrame:
    orphan = ~hits["flow_id"].isin(flows["id"])
    if not orphan.any():
        return hits
    n = int(orphan.sum())
    if left_out is not None:
        left_out["pii_hits"] = n
    notes.append(f"{n} PII hits refer to no recorded flow and were left out / {n} 条命中无对应流量，未纳入分析")
    return hits.loc[~orphan].reset_index(drop=True)


def load_session(session_dir: Path | str) -> Session:
    """Open an existing session directory (raises StoreError with the reason if unusable)."""
    store = SessionStore(session_dir, create=False)

    def read_all(conn: sqlite3.Connection) -> tuple[list[str], dict[str, int], tuple[pd.DataFrame, ...]]:
        notes: list[str] = []
        left_out: dict[str, int] = {}
        flows, hits, events, marks, observations, ui_actions, screens = _read_tables(conn, [
            ("flows", FLOW_COLUMNS, ["ts_start", "id"]), ("pii_hits", HIT_COLUMNS, ["id"]),
            ("events", EVENT_COLUMNS, ["ts", "id"]), ("consent_marks", MARK_COLUMNS, ["ts", "id"]),
            ("observations", OBSERVATION_COLUMNS, ["ts", "id"]), ("ui_actions", UI_ACTION_COLUMNS, ["ts", "id"]),
            ("screens", SCREEN_COLUMNS, ["ts", "id"])])
        flows = _drop_untimed(flows, "ts_start", "flows", notes, left_out)
        events = _drop_untimed(events, "ts", "events", notes, left_out)
        marks = _drop_untimed(marks, "ts", "consent marks", notes, left_out)
        observations = _drop_untimed(observations, "ts", "tester observations", notes, left_out)
        ui_actions = _drop_untimed(ui_actions, "ts", "UI actions", notes, left_out)
        screens = _drop_untimed(screens, "ts", "screens", notes, left_out)
        return notes, left_out, (flows, hits, events, marks, observations, ui_actions, screens)

    notes, left_out, (flows, hits, events, marks, observations, ui_actions, screens) = _reading(store, read_all)
    return Session(
        dir=Path(session_dir), store=store, flows=flows, hits=_hits_of_known_flows(hits, flows, notes, left_out),
        events=events, marks=marks, manifest=manifest_mod.read(session_dir), notes=notes, left_out=left_out,
        observations=observations, ui_actions=ui_actions, screens=screens,
    )


def with_hits_reread(session: Session) -> Session:
    """The session with its pii_hits read again (the analysis wrote derived hits); the rest is kept."""
    hits = _reading(session.store, lambda conn: _read(conn, "pii_hits", HIT_COLUMNS, ["id"]))
    left_out = {k: v for k, v in session.left_out.items() if k != "pii_hits"}
    return dataclasses.replace(session, hits=_hits_of_known_flows(hits, session.flows, [], left_out),
                               left_out=left_out)
