"""The session database's schema, declared once as data.

`TABLES` lists every table with its columns (name, SQL type and constraint, what it
holds) and its indexes. The DDL that creates a session database, and the column sets
the writers keep rows to, both come from here: nothing reads the schema back at run time.

Versions: a column carries the schema version that added it (`since`). Version 1 creates
the tables with their version-1 columns; each later version adds its columns with
``ALTER TABLE ... ADD COLUMN``. The fixed columns (design.md, "The columns others rely
on") are never renamed or dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    decl: str                 # SQL type and constraint, e.g. "REAL NOT NULL"
    doc: str = ""
    since: int = 1            # the schema version that added it


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    indexes: tuple[tuple[str, str], ...] = ()      # (index name, indexed column)
    doc: str = ""
    since: int = 1            # the schema version that created it
    names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", frozenset(c.name for c in self.columns))

    @property
    def keyed(self) -> bool:
        """Has a natural primary key (not SQLite's row id): a row written again replaces the old one."""
        return any("PRIMARY KEY" in c.decl and not c.decl.startswith("INTEGER") for c in self.columns)


def _table(name: str, doc: str, *columns: Column, indexes: tuple[tuple[str, str], ...] = (),
           since: int = 1) -> Table:
    return Table(name, tuple(columns), indexes, doc, since)


C = Column
TABLES: dict[str, Table] = {t.name: t for t in (
    _table(
        "flows", "one row per recorded flow",
        C("id", "TEXT PRIMARY KEY", "mitmproxy flow id (kept across save/replay)"),
        C("ts_start", "REAL NOT NULL", "host epoch seconds (request.timestamp_start)"),
        C("ts_end", "REAL", "response end, if any"),
        C("method", "TEXT"),
        C("url", "TEXT"),
        C("host", "TEXT", "destination: the server address connected to, else the TLS SNI (flowrow.destination)"),
        C("port", "INTEGER"),
        C("scheme", "TEXT"),
        C("status", "INTEGER", "response status, NULL if none"),
        C("request_sha256", "TEXT", "sha256 of the request as saved (HTTP/1 form, raw body)"),
        C("response_sha256", "TEXT"),
        C("request_size", "INTEGER"),
        C("response_size", "INTEGER"),
        C("content_type", "TEXT"),
        C("capture", "TEXT", "'live', 'replay:<file name>' or 'tls-hook'"),
        C("capped", "TEXT", "which scan caps this flow hit (comma list), NULL if none"),
        C("error", "TEXT", "detection error for this flow, NULL if none"),
        C("recorded_at", "REAL", "host time the row was written"),
        C("host_header", "TEXT", "the Host header (HTTP/2 :authority) as the app wrote it, without port", since=3),
        C("escaped", "TEXT", "JSON {column: sha256 of the raw bytes} for text columns that held bytes that are "
          "not UTF-8, stored with \\xNN escapes (piiaudit.rawtext); NULL if none", since=4),
        C("server_ip", "TEXT", "the IP address of the server the proxy connected to (mitmproxy's peer address; a "
          "HAR's serverIPAddress), NULL if not known; never resolved from a name (piiaudit.flowrow.server_ip)",
          since=5),
        indexes=(("flows_ts", "ts_start"), ("flows_host", "host")),
    ),
    _table(
        "pii_hits", "a personal datum found in a flow",
        C("id", "INTEGER PRIMARY KEY"),
        C("flow_id", "TEXT NOT NULL REFERENCES flows(id)"),
        C("pii_type", "TEXT NOT NULL", "a name from piiaudit/data/pii_types.yaml"),
        C("location", "TEXT NOT NULL", "query:imei, header:x-device, body:json:$.dev.id, ..."),
        C("encoding", "TEXT NOT NULL", "chain that revealed it, e.g. base64>md5, plain"),
        C("source", "TEXT NOT NULL", "known_value | observed_value | endpoint (a documented field, piiaudit.detect.endpoints) | pattern"),
        C("value_sha256", "TEXT NOT NULL", "sha256 of the raw value (utf-8)"),
        C("value", "TEXT", "raw value (stays in session.db; reports mask it)"),
        C("direction", "TEXT NOT NULL DEFAULT 'request'", "request | response"),
        C("confidence", "REAL NOT NULL DEFAULT 1.0"),
        C("detail", "TEXT", "JSON, detector specific"),
        indexes=(("pii_hits_flow", "flow_id"), ("pii_hits_type", "pii_type")),
    ),
    _table(
        "events", "what the hooks saw",
        C("id", "INTEGER PRIMARY KEY"),
        C("ts", "REAL NOT NULL", "host epoch seconds, converted from device time"),
        C("ts_device_ms", "INTEGER", "device wall clock (Date.now()) in ms"),
        C("seq", "INTEGER", "agent sequence number (per process)"),
        C("kind", "TEXT NOT NULL", "pii_read | permission_request | dialog_shown | click | pref_write | ..."),
        C("api", "TEXT", "hooked method, e.g. android.telephony.TelephonyManager.getImei()"),
        C("pii_type", "TEXT"),
        C("value", "TEXT", "value read (raw), or argument of interest"),
        C("sdk", "TEXT", "attributed caller SDK (innermost non-framework frame), NULL = app"),
        C("stack", "TEXT", "newline separated frames"),
        C("pid", "INTEGER"),
        C("process", "TEXT"),
        C("thread", "TEXT"),
        C("clock_error_ms", "REAL", "error bound of the device->host mapping used"),
        C("clock_offset_ms", "REAL", "device minus host, ms, as used for ts"),
        C("data", "TEXT", "JSON: everything else the hook reported"),
        indexes=(("events_ts", "ts"), ("events_kind", "kind")),
    ),
    _table(
        "clock_syncs", "device/host clock offset measurements",
        C("id", "INTEGER PRIMARY KEY"),
        C("pid", "INTEGER"),
        C("process", "TEXT"),
        C("at_host", "REAL NOT NULL", "host epoch seconds at the sync"),
        C("offset_ms", "REAL NOT NULL", "device minus host"),
        C("rtt_ms", "REAL NOT NULL", "best round trip"),
        C("error_ms", "REAL NOT NULL", "rtt/2 + 1 ms (Date.now() truncation)"),
        C("samples", "INTEGER"),
    ),
    _table(
        "consent_marks", "consent moments marked by the tester, the hooks or the analysis",
        C("id", "INTEGER PRIMARY KEY"),
        C("ts", "REAL NOT NULL", "host epoch seconds"),
        C("kind", "TEXT NOT NULL", "accepted | declined | shown"),
        C("source", "TEXT NOT NULL", "tester (piiaudit mark) | hook | analyze | automation (UI automation's tap)"),
        C("note", "TEXT"),
    ),
    _table(
        "findings", "the analysis' findings; each analysis replaces the set",
        C("id", "INTEGER PRIMARY KEY"),
        C("rule_id", "TEXT NOT NULL"),
        C("severity", "TEXT NOT NULL"),
        C("pii_type", "TEXT"),
        C("sdk", "TEXT"),
        C("host", "TEXT"),
        C("first_ts", "REAL"),
        C("flow_ids", "TEXT NOT NULL DEFAULT '[]'", "JSON list"),
        C("event_ids", "TEXT NOT NULL DEFAULT '[]'", "JSON list"),
        C("detail", "TEXT", "JSON: rule specific explanation"),
    ),
    _table(
        "errors", "what went wrong, by component; recording went on",
        C("id", "INTEGER PRIMARY KEY"),
        C("ts", "REAL NOT NULL"),
        C("component", "TEXT NOT NULL", "addon | hooks | replay | analysis | ..."),
        C("flow_id", "TEXT"),
        C("message", "TEXT NOT NULL"),
        C("detail", "TEXT"),
    ),
    _table(
        "meta", "small facts about the session (JSON values)",
        C("key", "TEXT PRIMARY KEY"),
        C("value", "TEXT"),
    ),
    _table(
        "timeline", "both streams on one clock, in order, as the last analysis decided it; "
                    "rows refer to events, flows and hits by id and reports join them back",
        C("pos", "INTEGER PRIMARY KEY", "1, 2, ...: order on the host clock (ties: consent, events, flows)", since=2),
        C("ts", "REAL NOT NULL", "host epoch seconds", since=2),
        C("stream", "TEXT NOT NULL", "event | flow | consent", since=2),
        C("kind", "TEXT", "the event's kind; pii_sent | request (flows); consent_accepted | consent_declined",
          since=2),
        C("event_id", "INTEGER", "events(id)", since=2),
        C("flow_id", "TEXT", "flows(id)", since=2),
        C("hit_id", "INTEGER", "pii_hits(id) of the PII sent on a flow row", since=2),
        C("sdk", "TEXT", "the SDK the row is attributed to, NULL = the app itself", since=2),
        C("before_consent", "INTEGER NOT NULL", "1 if before the consent moment", since=2),
        C("party", "TEXT", "first_party | third_party | service_provider | unattributed (analysis/party.py)", since=3),
        C("party_reason", "TEXT", "why: 'scope first_party_hosts demoshop.example', 'catalog host rule umeng.com', "
          "'registrable domain branch.io, uncatalogued', 'catalog package prefix of com.umeng.x'", since=3),
        since=2,
    ),
    _table(
        "runs", "one row per process that recorded into the session (the proxy, a replay, the hooks runner), "
                "written when it starts; `ended` is set at its clean end, so a run without it was killed, "
                "crashed or is still running: the session is partial (piiaudit.runs)",
        C("id", "TEXT PRIMARY KEY", "random hex id", since=4),
        C("stage", "TEXT NOT NULL", "proxy | replay | hooks", since=4),
        C("started", "REAL NOT NULL", "host epoch seconds", since=4),
        C("ended", "REAL", "host epoch seconds of the clean end; NULL: killed, crashed or still running", since=4),
        C("pid", "INTEGER", "the recording process", since=4),
        C("host", "TEXT", "the machine it ran on", since=4),
        C("detail", "TEXT", "JSON: what it recorded from; at the end, the rows it stored and could not store",
          since=4),
        since=4,
    ),
    _table(
        "tally", "error accounting (piiaudit.accounting): rows stored, skipped and failed, scans failed or "
                 "capped, per stage; each row is a delta written in the transaction of the rows it counts, "
                 "and readers sum them",
        C("id", "INTEGER PRIMARY KEY", since=4),
        C("run_id", "TEXT", "runs(id); NULL for the analysis and writes outside a run", since=4),
        C("stage", "TEXT NOT NULL", "proxy | replay | hooks | analysis | other", since=4),
        C("outcome", "TEXT NOT NULL", "stored | skipped | failed | capped", since=4),
        C("what", "TEXT NOT NULL", "flows, pii_hits, events, errors, scans, ...", since=4),
        C("n", "INTEGER NOT NULL", since=4),
        indexes=(("tally_stage", "stage"),),
        since=4,
    ),
    _table(
        "observations", "what the tester saw and the hooks cannot decide (piiaudit mark, a filled-in checklist): "
                        "a personalisation switch, an account cancellation, correction or deletion path, a way to "
                        "withdraw consent, found or not (kinds: piiaudit/data/observations.yaml)",
        C("id", "INTEGER PRIMARY KEY", since=5),
        C("ts", "REAL NOT NULL", "host epoch seconds: when the tester saw it (--at, else the time of the mark)",
          since=5),
        C("kind", "TEXT NOT NULL", "a kind of piiaudit/data/observations.yaml, e.g. personalisation_switched_off",
          since=5),
        C("place", "TEXT", "where in the app: '设置 > 隐私 > 个性化推荐'", since=5),
        C("note", "TEXT", "the tester's own words", since=5),
        C("screenshot", "TEXT", "file name of the screenshot copied into the session directory, NULL if none",
          since=5),
        C("screenshot_sha256", "TEXT", "SHA-256 of that file as copied (piiaudit verify checks it)", since=5),
        C("source", "TEXT NOT NULL", "'mark' (piiaudit mark observed) or 'checklist:<file name>'", since=5),
        C("recorded_at", "REAL", "host time the row was written", since=5),
        indexes=(("observations_ts", "ts"),),
        since=5,
    ),
    _table(
        "ui_actions", "what the UI automation did on the device's screen (commands/device/ui): each tap, back "
                      "and swipe, why, and on what; a tap it refused (pays, sends, calls) is kept with purpose "
                      "refused_unsafe and no tap",
        C("id", "INTEGER PRIMARY KEY", since=6),
        C("ts", "REAL NOT NULL", "host epoch seconds when the action was sent to the device", since=6),
        C("action", "TEXT NOT NULL", "tap | back | swipe | none", since=6),
        C("x", "INTEGER", "screen pixels (tap; swipe start)", since=6),
        C("y", "INTEGER", since=6),
        C("target_text", "TEXT", "the text or content description of the view acted on", since=6),
        C("target_class", "TEXT", "its class in the dump, e.g. android.widget.Button", since=6),
        C("target_id", "TEXT", "its resource-id", since=6),
        C("purpose", "TEXT NOT NULL", "consent_accept | consent_decline | consent_second_prompt | "
          "consent_checkbox_noted | permission_allow | permission_deny | explore | refused_unsafe", since=6),
        C("source", "TEXT NOT NULL", "'automation' (UI automation), never the tester", since=6),
        C("detail", "TEXT", "JSON: why this view (matched label, dialog text, bounds, by text or by position)",
          since=6),
        indexes=(("ui_actions_ts", "ts"),),
        since=6,
    ),
    _table(
        "screens", "screenshots and screen recordings kept in the session's screens/ folder; hashed in the "
                   "manifest and checked by piiaudit verify",
        C("id", "INTEGER PRIMARY KEY", since=6),
        C("ts", "REAL NOT NULL", "host epoch seconds when the capture was taken", since=6),
        C("file", "TEXT NOT NULL", "path in the session directory, e.g. screens/0003-before_tap.png", since=6),
        C("sha256", "TEXT NOT NULL", "SHA-256 of the file as written", since=6),
        C("kind", "TEXT NOT NULL", "png | mp4", since=6),
        C("width", "INTEGER", since=6),
        C("height", "INTEGER", since=6),
        C("cause", "TEXT NOT NULL", "dialog | before_tap | after_tap | permission_prompt | explore | end | "
          "recording", since=6),
        C("action_id", "INTEGER", "ui_actions(id) the capture was taken for, NULL if none", since=6),
        C("event_id", "INTEGER", "events(id) of the hook event it shows (a permission request), NULL if none",
          since=6),
        C("note", "TEXT", since=6),
        indexes=(("screens_ts", "ts"),),
        since=6,
    ),
)}
del C

SCHEMA_VERSION = max(c.since for t in TABLES.values() for c in t.columns)


def _create(t: Table, version: int) -> list[str]:
    cols = ",\n    ".join(f"{c.name} {c.decl}" for c in t.columns if c.since <= version)
    return [f"CREATE TABLE {t.name} (\n    {cols}\n)",
            *(f"CREATE INDEX {name} ON {t.name}({col})" for name, col in t.indexes)]


def columns(table: str) -> frozenset[str]:
    """The columns of `table` in the current schema."""
    return TABLES[table].names


def migration(version: int) -> list[str]:
    """The statements that take a database from `version - 1` to `version`."""
    out = [stmt for t in TABLES.values() if t.since == version for stmt in _create(t, version)]
    return out + [f"ALTER TABLE {t.name} ADD COLUMN {c.name} {c.decl}"
                  for t in TABLES.values() if t.since < version for c in t.columns if c.since == version]
