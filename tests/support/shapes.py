"""The shape of a session, to tell whether a hand-made sample still looks like a real recording.

A shape keeps what the analysis depends on and drops the values that differ from run to
run (times, ids, hashes): which tables hold rows; per group of rows (the flows, the hits of
one source, the events of one kind and hook row, the findings) the SQLite types each column holds (``null``
among them), the APIs a hook row reported, the JSON keys of ``data`` and the JSON types of their values, the
keys every row has; the character classes of the values hooks read; the hits as
(pii_type, location, encoding, source, detail keys); the meta keys and their keys.

`drift(sample, recording, exact=...)` lists each difference as one line naming the table,
group and column. ``exact`` asks for the same shape (a sample of the same scenario);
otherwise the sample may show less of it (a sample of a few cases of a longer scenario),
but nothing the recording does not have, and every key the recording always has.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

RECORDED_TABLES = ("flows", "pii_hits", "events", "clock_syncs", "consent_marks", "errors", "findings", "meta")
_DIGITS, _LETTERS = re.compile(r"[0-9]+"), re.compile(r"[A-Za-z]+")


def value_shape(value: str | None) -> str | None:
    """'39.908823,116.39747' -> '9.9,9.9'; '9 packages: android, com.x' -> '9 a: a, a.a'."""
    if value is None:
        return None
    return _LETTERS.sub("a", _DIGITS.sub("9", value))


def _json_type(value: object) -> str:
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "object"}.get(
        type(value), "null" if value is None else type(value).__name__)


@dataclass
class Group:
    """The shape of one group of rows."""

    rows: int = 0
    columns: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))   # column -> SQLite types
    apis: set[str] = field(default_factory=set)
    data: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))      # data key -> JSON types
    always: set[str] | None = None                                                    # data keys of every row
    values: set[str] = field(default_factory=set)                                     # value_shape of pii_read values

    def add_data(self, data: dict) -> None:
        for key, item in data.items():
            self.data[key].add(_json_type(item))
        self.always = set(data) if self.always is None else self.always & set(data)


@dataclass
class Shape:
    tables: set[str]                               # tables holding rows
    groups: dict[str, Group]
    hits: set[tuple[str, ...]]
    meta: dict[str, frozenset[str]]                # key -> the keys of its JSON object


def _data(text: object) -> dict:
    try:
        data = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return {"<not JSON>": text}
    return data if isinstance(data, dict) else {}


def _group_name(table: str, row: sqlite3.Row, data: dict) -> str:
    if table == "events":
        hook = data.get("hook")
        return f"events[kind={row['kind']}" + (f", hook={hook}]" if hook else "]")
    if table == "pii_hits":
        return f"pii_hits[source={row['source']}]"
    return table


def session_shape(session_dir: Path | str) -> Shape:
    db = sqlite3.connect(f"file:{Path(session_dir) / 'session.db'}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        tables, groups, hits, meta = set(), defaultdict(Group), set(), {}
        for table in RECORDED_TABLES:
            columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            typed = ", ".join(f"typeof({c}) AS \"t:{c}\"" for c in columns)
            for row in db.execute(f"SELECT *, {typed} FROM {table}"):
                tables.add(table)
                if table == "meta":
                    meta[row["key"]] = frozenset(_data(row["value"]))
                    continue
                data = _data(row["data"]) if table == "events" else {}
                group = groups[_group_name(table, row, data)]
                group.rows += 1
                for c in columns:
                    group.columns[c].add(row[f"t:{c}"])
                if table == "events":
                    group.add_data(data)
                    if row["api"] is not None and data.get("hook"):   # the overloads of one hook row
                        group.apis.add(str(row["api"]))
                    if row["kind"] == "pii_read":
                        group.values.add(value_shape(row["value"]))
                if table == "pii_hits":
                    detail = ",".join(sorted(_data(row["detail"])))
                    hits.add((row["pii_type"], row["location"], row["encoding"], row["source"], f"detail keys: {detail}"))
        return Shape(tables, dict(groups), hits, meta)
    finally:
        db.close()


def _sorted(items) -> str:
    return "{" + ", ".join(sorted(str(i) for i in items)) + "}"


def _compare_sets(where: str, sample: set, recording: set, exact: bool) -> list[str]:
    only_sample, only_recording = sample - recording, (recording - sample) if exact else set()
    out = []
    if only_sample or only_recording:
        parts = [f"only in the sample {_sorted(only_sample)}" if only_sample else "",
                 f"only in the recording {_sorted(only_recording)}" if only_recording else ""]
        out.append(f"{where}: " + "; ".join(p for p in parts if p))
    return out


def _compare_types(where: str, sample: set, recording: set, exact: bool) -> list[str]:
    if sample == recording or (not exact and sample <= recording):
        return []
    return [f"{where}: sample {_sorted(sample)}, recording {_sorted(recording)}"]


def _compare_group(name: str, s: Group, r: Group, exact: bool) -> list[str]:
    out = []
    for column in sorted(set(s.columns) | set(r.columns)):
        out += _compare_types(f"{name}.{column}", s.columns.get(column, set()), r.columns.get(column, set()), exact)
    out += _compare_sets(f"{name}.api", s.apis, r.apis, exact)
    out += _compare_sets(f"{name}.value shapes", s.values, r.values, exact)
    out += _compare_sets(f"{name}.data keys", set(s.data), set(r.data), exact)
    for key in sorted(set(s.data) & set(r.data)):
        out += _compare_types(f"{name}.data.{key}", s.data[key], r.data[key], exact)
    missing = (r.always or set()) - (s.always or set()) - (set(r.data) - set(s.data))
    if missing:
        out.append(f"{name}.data: keys every recorded row has, missing in some sample rows {_sorted(missing)}")
    return out


def drift(sample: Shape, recording: Shape, *, exact: bool) -> list[str]:
    """How the sample's shape differs from the recording's, one line per difference."""
    out = _compare_sets("tables holding rows", sample.tables, recording.tables, exact)
    for name in sorted(set(sample.groups) | set(recording.groups)):
        s, r = sample.groups.get(name), recording.groups.get(name)
        if r is None:
            out.append(f"{name}: only in the sample ({s.rows} rows)")
        elif s is None:
            if exact:
                out.append(f"{name}: only in the recording ({r.rows} rows)")
        else:
            out += _compare_group(name, s, r, exact)
    out += _compare_sets("pii_hits (pii_type, location, encoding, source, detail keys)", sample.hits, recording.hits, exact)
    out += _compare_sets("meta keys", set(sample.meta), set(recording.meta), exact)
    for key in sorted(set(sample.meta) & set(recording.meta)):
        out += _compare_sets(f"meta[{key}] keys", set(sample.meta[key]), set(recording.meta[key]), exact)
    return out
