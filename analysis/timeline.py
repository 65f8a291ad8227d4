"""Both streams on one clock: hook events and flows (one row per PII hit sent, or per flow without
one) merged into one table, with the consent decision as rows of its own.

``build`` is the analysis product, stored by ``analyze`` in the session's ``timeline`` table
(ORDER_COLUMNS, row order = ``pos``): the order, the rows it refers to, the SDK each row is
attributed to, its party and the reason (analysis.party) and whether it came before consent. ``expand`` joins it with the session's
tables into what reports show (TIMELINE_COLUMNS): ts, stream (event | flow | consent),
kind, pii_type, sdk, host, what (API, or method and URL), method and url (flows), detail
(dialog text, tapped label, permissions; a hit's location and encoding), value (raw;
reports mask it), value_sha256, event_id, flow_id, hit_id, process, before_consent.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis import bulkwrite
from analysis.consent import ConsentDecision
from analysis.linking import hash_values
from analysis.load import Session
from analysis.party import hosts_party
from analysis.prepare import Evidence
from piiaudit import rawtext
from piiaudit.store import BUMP_WRITES, SessionStore

ORDER_COLUMNS = ["ts", "stream", "kind", "event_id", "flow_id", "hit_id", "sdk", "party", "party_reason",
                 "before_consent"]
TIMELINE_COLUMNS = ["ts", "stream", "kind", "pii_type", "sdk", "party", "party_reason", "host", "what", "method", "url", "detail", "value",
                    "value_sha256", "event_id", "flow_id", "hit_id", "process", "before_consent"]
_STREAM_ORDER = {"consent": 0, "event": 1, "flow": 2}
HIDDEN_KINDS = ("coverage",)   # per-hook call counters: noise on a timeline
DETAIL_KEYS = ("text", "texts", "label", "key", "value", "permissions", "results", "request_code", "message", "error",
               "hooks", "activity", "state", "action", "kind", "target_package", "target_class", "checked", "op",
               "transformation", "peer")


def _describe(data: object) -> str | None:
    if not isinstance(data, dict):
        return None
    return "; ".join(f"{k}={json.dumps(data[k], ensure_ascii=False)}" for k in DETAIL_KEYS if k in data) or None


def build(session: Session, consent: ConsentDecision, evidence: Evidence) -> pd.DataFrame:
    """The timeline in order (ORDER_COLUMNS), from the evidence the analysis prepared."""
    ev = session.events.loc[~session.events["kind"].isin(HIDDEN_KINDS)]
    n_ev = len(ev)
    # Each column is made in its final dtype per part (text as str, ids as Int64), so the
    # concatenated 10^6 rows need no conversion afterwards.
    events = pd.DataFrame({
        "ts": ev["ts"].to_numpy(dtype="float64"), "stream": _same_text("event", n_ev), "kind": _text(ev["kind"]),
        "event_id": ev["id"].astype("Int64").array, "flow_id": _same_text(None, n_ev),
        "hit_id": _missing_ids(n_ev), "sdk": _text(ev["sdk"]),
        "party": _text(ev["party"]) if "party" in ev else _same_text(None, n_ev),
        "party_reason": _text(ev["party_reason"]) if "party" in ev else _same_text(None, n_ev),
    })
    sent = evidence.sent
    # A left merge keeps the flows' (time, id) order, and each flow's hits in id order.
    flows = session.flows[["id", "ts_start", "host"]].assign(_at=np.arange(len(session.flows))).merge(
        sent[["flow_id", "hit_id", "pii_type", "sdk"]],
        left_on="id", right_on="flow_id", how="left")
    n_fl = len(flows)
    known = evidence.flows
    if (known is not None and len(known) == len(session.flows) and {"party", "party_reason"} <= set(known.columns)
            and np.array_equal(known["flow_id"].to_numpy(dtype="object"), session.flows["id"].to_numpy(dtype="object"))):
        # prepare decided each flow's party already (evidence.flows, row for row of session.flows)
        dest = known[["party", "party_reason"]].take(flows["_at"].to_numpy())
    else:
        dest = hosts_party(flows["host"].str.lower(), evidence.scope)
    flow_rows = pd.DataFrame({
        "ts": flows["ts_start"].to_numpy(dtype="float64"), "stream": _same_text("flow", n_fl),
        "kind": _text(pd.Series(np.array(["request", "pii_sent"], dtype=object)[flows["pii_type"].notna().to_numpy().astype("intp")])),
        "event_id": _missing_ids(n_fl), "flow_id": _text(flows["id"]),
        "hit_id": pd.to_numeric(flows["hit_id"]).astype("Int64").array, "sdk": _text(flows["sdk"]),
        "party": _text(dest["party"]), "party_reason": _text(dest["party_reason"]),
    })
    del flows, dest, ev
    consent_rows = pd.DataFrame(
        [{"ts": t, "stream": "consent", "kind": k}
         for t, k in ((consent.ts, "consent_accepted"), (consent.declined_ts, "consent_declined")) if t is not None],
        columns=["ts", "stream", "kind"])
    consent_rows = typed(consent_rows.assign(before_consent=False)).drop(columns="before_consent")
    parts = [(p, _STREAM_ORDER[stream]) for p, stream in ((consent_rows, "consent"), (events, "event"), (flow_rows, "flow"))
             if not p.empty]
    if not parts:
        return empty()
    del events, flow_rows, consent_rows
    # Each part is already in (time, id) order; ties across parts break by stream, within a
    # part by position — numeric keys only, which keeps the sort fast at 10^6 rows. The order
    # is found from these keys alone, and each column is then put together and taken in that
    # order one at a time (no concatenated copy of every column beside its sorted copy).
    ts = np.concatenate([p["ts"].to_numpy(dtype="float64") for p, _ in parts])
    ranks = np.concatenate([np.full(len(p), rank, dtype="int64") for p, rank in parts])
    positions = np.concatenate([np.arange(len(p), dtype="int64") for p, _ in parts])
    order = np.lexsort((positions, ranks, ts))
    del ranks, positions
    columns = {}
    for c in ORDER_COLUMNS[:-1]:
        columns[c] = pd.concat([p[c] for p, _ in parts], ignore_index=True).take(order).reset_index(drop=True)
        for p, _ in parts:
            del p[c]
    timeline = pd.DataFrame(columns, copy=False)   # the columns as taken, not copied into blocks
    timeline = timeline.assign(before_consent=ts[order] < consent.cutoff)
    return typed(timeline)


def _text(col: pd.Series) -> pd.Array:
    """A column as the str dtype (missing as its NA), converted once per distinct value."""
    if col.dtype == "str":
        return col.array
    codes, distinct = pd.factorize(col.astype("object"), use_na_sentinel=True)
    values = pd.array([*(v if isinstance(v, str) else str(v) for v in distinct), None], dtype="str")
    return values.take(codes)   # code -1: the missing value last


def _missing_ids(n: int) -> pd.Array:
    """n missing Int64 ids (made from a mask, not from a list of n pd.NA)."""
    return pd.arrays.IntegerArray(np.zeros(n, dtype="int64"), np.ones(n, dtype=bool))


def _same_text(value: str | None, n: int) -> pd.Array:
    return pd.array([value, None], dtype="str").take(np.zeros(n, dtype="intp") if value is not None
                                                     else np.ones(n, dtype="intp"))


def empty() -> pd.DataFrame:
    return typed(pd.DataFrame(columns=ORDER_COLUMNS))


def typed(order: pd.DataFrame) -> pd.DataFrame:
    """ORDER_COLUMNS with their dtypes, as built and as read back from the store."""
    order = order.reindex(columns=ORDER_COLUMNS)
    text = {c: order[c] if order[c].dtype == "str" else order[c].astype("object").where(order[c].notna(), None).astype("str")
            for c in ("stream", "kind", "flow_id", "sdk", "party", "party_reason")}
    ids = {c: order[c] if isinstance(order[c].dtype, pd.Int64Dtype) else pd.to_numeric(order[c]).astype("Int64")
           for c in ("event_id", "hit_id")}
    return order.assign(
        ts=order["ts"].astype("float64"), before_consent=order["before_consent"].astype(bool), **ids, **text,
    ).reset_index(drop=True)


def expand(order: pd.DataFrame, session: Session, consent: ConsentDecision,
           tz: dt.tzinfo | None = None) -> pd.DataFrame:
    """The timeline as reports show it (TIMELINE_COLUMNS): `order` joined with the session's rows."""
    if order.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in TIMELINE_COLUMNS})
    ev = session.events.set_index("id")
    event_id = order["event_id"]
    flow = session.flows.set_index("id")
    hit = session.hits.set_index("id")
    hit_id = order["hit_id"]

    # Looked up as objects: mapping ids over an empty table keeps the ids' Int64 dtype,
    # which then refuses the text of the other stream (a session without events or hits).
    def of_event(column: str) -> pd.Series:
        return event_id.map(ev[column]).astype("object")

    def of_flow(column: str) -> pd.Series:
        return order["flow_id"].map(flow[column]).astype("object")

    def of_hit(column: str) -> pd.Series:
        return hit_id.map(hit[column]).astype("object")

    is_read = order["kind"].eq("pii_read") & event_id.notna()
    event_value, event_type = of_event("value"), of_event("pii_type")
    method, url = of_flow("method"), of_flow("url")
    is_flow = order["stream"].eq("flow")
    what = of_event("api").where(~is_flow, (method.fillna("") + " " + url.fillna("")).str.strip())
    what = what.where(~order["stream"].eq("consent"), consent.describe(tz))
    read_hash = hash_values(event_value.where(is_read & event_type.notna()))
    hit_detail = of_hit("location").fillna("") + " [" + of_hit("encoding").fillna("") + "]"
    detail = of_event("data").map(_describe, na_action="ignore").where(~is_flow, hit_detail)
    return pd.DataFrame({
        "ts": order["ts"], "stream": order["stream"], "kind": order["kind"],
        "pii_type": event_type.where(~is_flow, of_hit("pii_type")),
        "sdk": order["sdk"], "party": order["party"], "party_reason": order["party_reason"],
        "host": of_flow("host"), "what": what, "method": method, "url": url,
        "detail": detail, "value": event_value.where(~is_flow, of_hit("value")),
        "value_sha256": read_hash.where(~is_flow, of_hit("value_sha256")),
        "event_id": event_id, "flow_id": order["flow_id"], "hit_id": hit_id,
        "process": of_event("process"),
        "before_consent": order["before_consent"],
    }, columns=TIMELINE_COLUMNS)


BULK_ROWS = 50_000   # from this many rows the timeline goes to SQLite by bulk ingest (analysis.bulkwrite)


def save(order: pd.DataFrame, store: SessionStore) -> int:
    """Replace the session's stored timeline with `order`; returns the rows written."""
    return saving(order, store)()


def saving(order: pd.DataFrame, store: SessionStore) -> Callable[[], int]:
    """Start replacing the stored timeline with `order`; call the result to wait for the rows
    written. A long timeline goes by bulk ingest in a child process (analysis.bulkwrite) while
    the caller goes on, without a write transaction of its own until it waits; a short one,
    or one the child could not write, by one executemany here (text escaped as the store keeps
    it, once per distinct value)."""
    writing = None
    if len(order) >= BULK_ROWS:
        try:
            writing = bulkwrite.start(store.db_path, "timeline", _arrow_rows(order), after=[BUMP_WRITES])
        except (ImportError, ValueError, TypeError):   # pyarrow refused a value: written here instead
            writing = None

    def done() -> int:
        written = writing.wait() if writing is not None else None
        return written if written is not None else _executemany(order, store)
    return done


def _factorised(col: pd.Series) -> tuple[np.ndarray, list]:
    """Codes (-1 missing) and distinct values of a column; text escaped as the store keeps it."""
    codes, uniques = pd.factorize(col.astype("object"), use_na_sentinel=True)
    if col.dtype == "str" or col.dtype == object:
        return codes, [rawtext.escape(v) if isinstance(v, str) else v for v in uniques]
    return codes, list(uniques.astype("object"))


_DISTINCT_TEXT = ("flow_id",)   # text columns whose values hardly repeat


def _arrow_rows(order: pd.DataFrame):
    """`order` as an Arrow table of the timeline's columns, `pos` first; text as dictionaries."""
    import pyarrow as pa

    columns = {"pos": pa.array(np.arange(1, len(order) + 1, dtype="int64"))}
    for c in ORDER_COLUMNS:
        col = order[c]
        if col.dtype.kind == "f":
            columns[c] = pa.array(col.to_numpy(dtype="float64"), mask=col.isna().to_numpy())
        elif col.dtype.kind == "b":
            columns[c] = pa.array(col.to_numpy(dtype="int64"))
        elif isinstance(col.dtype, pd.Int64Dtype):
            columns[c] = pa.array(col.to_numpy(dtype="int64", na_value=0), mask=col.isna().to_numpy())
        elif c in _DISTINCT_TEXT and col.dtype == "str":
            try:   # a flow's id repeats only for its hits: its text goes plain (a dictionary would hold
                # the same text, after hashing 10^6 rows to find it)
                columns[c] = pa.array(col.array, type=pa.string(), from_pandas=True)
            except (pa.ArrowException, UnicodeError):   # text that is not all UTF-8
                columns[c] = _text_dictionary(c, col)
        else:
            columns[c] = _text_dictionary(c, col)
    return pa.table(columns)


def _text_dictionary(name: str, col: pd.Series):
    """A text column as an Arrow dictionary made from its distinct values (no plain copy of every
    row's text): the parts and reasons repeat, and the rows wait in this process while the child
    takes them (the rules run meanwhile, at the analysis's peak)."""
    import pyarrow as pa

    try:   # text that is all UTF-8 goes as it is (the store's escape leaves such text unchanged)
        codes, uniques = pd.factorize(col.astype("object"), use_na_sentinel=True)
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype("int32"), mask=codes < 0),
                                              pa.array(list(uniques), type=pa.string()))
    except (pa.ArrowException, UnicodeError):
        codes, uniques = _factorised(col)
        if not all(isinstance(v, str) for v in uniques):
            raise TypeError(f"timeline column {name} holds values other than text") from None
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype("int32"), mask=codes < 0),
                                              pa.array(uniques, type=pa.string()))


def _executemany(order: pd.DataFrame, store: SessionStore) -> int:
    columns = []
    for c in ORDER_COLUMNS:
        col = order[c]
        if col.dtype.kind in "fb":
            columns.append(col.tolist())
            continue
        codes, uniques = _factorised(col)
        table = np.array([*uniques, None], dtype="object")   # code -1 (missing) -> None
        columns.append(table[codes].tolist())
    return store.replace_timeline(ORDER_COLUMNS, zip(*columns))


def stored(store: SessionStore) -> pd.DataFrame:
    """The timeline the last analyze stored (ORDER_COLUMNS, in order)."""
    frame = pd.read_sql_query(f"SELECT {', '.join(ORDER_COLUMNS)} FROM timeline ORDER BY pos", store.conn)
    return typed(frame) if not frame.empty else empty()
