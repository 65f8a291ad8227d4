"""Group a detection's evidence rows into findings: one per (rule, group key), all ids kept.

The group key is (pii_type, sdk, host) unless the rule's `group_by` or the detection says
otherwise; keys left out of the group are listed in the detail (hosts become a list and the
finding's host column joins them). Each finding carries its evidence ids, the ids linked to
them (read -> flow), the first time, and a detail object; order is deterministic.

A finding holds exactly its own evidence: a read brings the links of its own PII type, a flow
row the link of its own hit (a request carrying IMEI and Android ID links each to its own
finding). Each link shows its times relative to the consent moment (``read_dt_s``,
``sent_dt_s``: seconds, negative before) and the value as sent, masked (``value_sent``; a
hash step shows the hash's hex). A pre-consent finding lists a linked request made after
consent too (the read's value went there) but marks it: ``after_consent`` on the link and
``flows_after_consent`` in the detail. ``evidence`` in the detail lists the finding's own rows
with their role (read, send, event, manifest entry, or context such as the pause or the dialog, labelled as such),
their Δt against consent (``dt_s``) and the value as shown, masked; a send found or confirmed
by an endpoint field map names that field and its source (``documented_field``, also listed
in the detail).

A finding whose only evidence is pattern hits (no hook read, no known or observed value)
is never more than `PATTERN_ONLY_SEVERITY`: a shape that passed its check is a lead, not
proof that this device's data left it. The rule's own severity stays in the detail.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from analysis.detections import EVIDENCE_COLUMNS, GROUP_KEYS, REGISTRY
from analysis.prepare import Evidence
from analysis.rules import SEVERITY_RANK, Rule
from piiaudit.values import mask

MAX_LINKS_IN_DETAIL = 20
MAX_LIST_IN_DETAIL = 50
STORED_COLUMNS = ["rule_id", "severity", "pii_type", "sdk", "host", "first_ts", "flow_ids", "event_ids", "detail"]
# `category` is the rule's (analysis/categories.py): carried on every finding row, not stored in
# the findings table (a stored finding takes it from the rule the analysis recorded).
FINDING_COLUMNS = ["rule_id", "category", *STORED_COLUMNS[1:]]
PATTERN_ONLY_SEVERITY = "low"
HASHES = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256}
_SENTINEL = "\x00"  # groupby key for "none" (the app itself, no host)


class _Coded:
    """Each column of a rule's evidence rows coded once (``pd.factorize``: codes, -1 missing, and
    the distinct values as objects), however many steps of `group` ask for it: the group keys,
    the distinct values per finding and the join of reads to their links share one pass."""

    def __init__(self, ev: pd.DataFrame, keep: frozenset[str] = frozenset()) -> None:
        self.ev = ev
        self.keep = keep   # the columns asked for more than once; the others are coded and let go
        self.done: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if column in self.done:
            return self.done[column]
        codes, distinct = pd.factorize(self.ev[column], use_na_sentinel=True)
        out = (codes, np.asarray(distinct.to_numpy(dtype="object"), dtype="object"))
        if column in self.keep:   # (held while the rule is grouped: 4 MB a column at 533,000 rows)
            self.done[column] = out
        return out


def _distinct_per_group(ev: pd.DataFrame, column: str, coded: _Coded | None = None) -> pd.Series:
    """gid -> sorted distinct values of `column` (deduplicated by pandas before any Python list)."""
    codes, names = (coded or _Coded(ev))(column)
    if not len(names):
        return pd.Series(dtype="object")
    gids = ev["gid"].to_numpy().astype("int64")
    width = len(names)
    pairs = _distinct(gids[codes >= 0] * width + codes[codes >= 0], (int(gids.max(initial=0)) + 1) * width)
    return _cut(pairs // width, names[pairs % width], lambda v: sorted(v, key=str)[:MAX_LIST_IN_DETAIL])


def _group_numbers(ev: pd.DataFrame, keys: list[str], coded: _Coded | None = None) -> np.ndarray:
    """Each row's group: the keys' combinations numbered in sorted order (a missing key as
    _SENTINEL), as ``groupby(keys, sort=True).ngroup()`` numbers them, from integer codes
    (each distinct key value ranked once) instead of hashing and sorting text per row."""
    coded = coded or _Coded(ev)
    combined = np.zeros(len(ev), dtype="int64")
    for k in keys:
        codes, distinct = coded(k)
        values = [*distinct, _SENTINEL]           # code -1 (missing) is the sentinel, last
        try:
            order = sorted(range(len(values)), key=values.__getitem__)
        except TypeError:
            order = sorted(range(len(values)), key=lambda i: str(values[i]))
        rank = np.empty(len(values), dtype="int64")
        rank[order] = np.arange(len(values))
        combined = combined * len(values) + rank[codes]   # codes of -1 take the last rank entry
    return pd.factorize(combined, sort=True)[0].astype("int64")


def _lists(frame: pd.DataFrame, column: str) -> pd.Series:
    """gid -> the list of `column`'s values in the frame's order (the frame sorted by gid):
    cut from one array, not a Python call per group over 10^5 ids."""
    return _cut(frame["gid"].to_numpy(), frame[column].to_numpy(dtype="object"))


def _cut(gids: np.ndarray, values: np.ndarray, finish=None) -> pd.Series:
    """gid -> the list of `values` along each run of equal `gids` (sorted), `finish` applied to
    each list: cut from one array, not a Python call per group over 10^5 ids."""
    if not len(gids):
        return pd.Series(dtype="object")
    starts = np.r_[0, np.flatnonzero(gids[1:] != gids[:-1]) + 1]
    ends = np.r_[starts[1:], len(gids)]
    lists = (values[a:b].tolist() for a, b in zip(starts, ends))
    return pd.Series(list(map(finish, lists) if finish else lists), index=gids[starts], dtype="object")


def _pairs(own_gid: np.ndarray, own: pd.Series, linked_gid: np.ndarray,
           linked: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Per group: the number of distinct ids among its own rows, the sorted distinct ids of its
    own rows and its links together (gid -> list), and the own rows' id codes (-1 missing).
    Ids are coded once, ranked in sorted order (text by Arrow, numbers by numpy), and the
    (group, id) pairs deduplicated and sorted as integers."""
    ids = pd.concat([own, linked], ignore_index=True) if len(linked) else own
    codes, names = _sorted_codes(ids)
    width = np.int64(max(len(names), 1))
    gids = np.concatenate([own_gid, linked_gid]).astype("int64")
    keys = gids * width + codes
    present = codes >= 0
    mine = _distinct(keys[: len(own)][present[: len(own)]], int(gids.max(initial=0) + 1) * int(width))
    counts = pd.Series(mine // width).value_counts().sort_index()
    every = _distinct(keys[present], int(gids.max(initial=0) + 1) * int(width))
    return counts, _cut(every // width, names[every % width]), codes[: len(own)]


def _sorted_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the values (-1 missing) numbered in the sorted order of the distinct values, and
    those values sorted (objects). Text is ranked by Arrow (UTF-8 byte order is code point
    order, Python's); text Arrow refuses, and other objects, by Python's sort."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    names = np.asarray(distinct.to_numpy(dtype="object"), dtype="object")
    if not len(names):
        return codes, names
    order = None
    if isinstance(values.dtype, pd.Int64Dtype) or values.dtype.kind in "iu":
        order = np.argsort(distinct.to_numpy(dtype="int64"), kind="stable")
    elif values.dtype == "str" or values.dtype == object:
        order = _arrow_order(names)
    if order is None:
        try:
            order = np.argsort(names, kind="stable")
        except TypeError:
            order = np.array(sorted(range(len(names)), key=lambda i: str(names[i])), dtype="int64")
    rank = np.empty(len(order), dtype="int64")
    rank[order] = np.arange(len(order))
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], -1), names[order]


def _arrow_order(names: np.ndarray) -> np.ndarray | None:
    """The sorting order of distinct texts by Arrow; None when pyarrow is missing or refuses them."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:   # pragma: no cover - pyarrow is in requirements.txt
        return None
    try:
        return pc.sort_indices(pa.array(names, type=pa.string())).to_numpy()
    except (pa.ArrowException, TypeError, UnicodeError):
        return None


def _distinct(keys: np.ndarray, bound: int) -> np.ndarray:
    """The sorted distinct values of non-negative integer keys below `bound` (a bitmap when it is small)."""
    if bound <= 1 << 26:
        seen = np.zeros(bound, dtype=bool)
        seen[keys] = True
        return np.flatnonzero(seen)
    return np.unique(keys)


def _none(value: Any) -> Any:
    return None if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)) else value


def _py(value: Any) -> Any:
    """numpy / pandas scalars -> plain Python for JSON."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return _none(value)


def empty_findings() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in FINDING_COLUMNS})


def _own_links(ev: pd.DataFrame, links: pd.DataFrame, coded: _Coded | None = None) -> pd.DataFrame:
    """The links of each group's own rows (gid + the link's columns): a read brings its links of
    the read's type, a flow row the link of its own hit (a flow that carries several types links
    each apart). Reads are joined to links on one integer per (event id, PII type code), hits on
    their id; rows and links are deduplicated on integers folded from their keys."""
    if links.empty:
        return pd.DataFrame(columns=["gid", *links.columns])
    lk = links.astype({"event_id": "Int64", "flow_id": "str", "hit_id": "Int64", "pii_type": "str"})
    is_own_read = (ev["event_id"].notna() & ev["hit_id"].isna()).to_numpy()
    if lk["event_id"].isna().any() or lk["hit_id"].isna().any():
        return _own_links_merged(ev, lk, is_own_read)
    # The links' types in the codes of the rows' types (coded once per rule): a missing type is
    # a value of its own (-1 on both sides), as merge joins it; a type no row has, -2.
    own_codes, own_types = (coded or _Coded(ev))("pii_type")
    lk_types = lk["pii_type"].astype("object")
    lk_codes = pd.Index(own_types, dtype="object").get_indexer(lk_types)
    lk_codes[(lk_codes < 0) & lk_types.notna().to_numpy()] = -2
    gid = ev["gid"].to_numpy().astype("int64")
    span, width = int(gid.max(initial=0)) + 1, len(own_types) + 2
    event_ids = ev["event_id"].to_numpy("int64", na_value=-1)
    hit_ids = ev["hit_id"].astype("Int64").to_numpy("int64", na_value=-1)
    lk_events, lk_hits = lk["event_id"].to_numpy("int64"), lk["hit_id"].to_numpy("int64")
    at = np.arange(len(lk))
    top = max(int(event_ids.max(initial=0)), int(hit_ids.max(initial=0)), int(lk_events.max(initial=0)),
              int(lk_hits.max(initial=0))) + 1
    if top * width * span >= 1 << 62 or min(int(lk_events.min(initial=0)), int(lk_hits.min(initial=0))) < 0:
        return _own_links_merged(ev, lk, is_own_read)   # keys that would not fold into one int64

    def first(key: np.ndarray) -> np.ndarray:   # the first row of each key, as drop_duplicates keeps it
        return ~pd.Series(key).duplicated().to_numpy()

    read_key = event_ids[is_own_read] * width + (own_codes[is_own_read] + 2)
    read_gid = gid[is_own_read]
    kept = first(read_key * span + read_gid)
    reads = pd.DataFrame({"_key": read_key[kept], "gid": read_gid[kept]}).merge(
        pd.DataFrame({"_key": lk_events * width + (lk_codes + 2), "_at": at}), on="_key")
    is_hit = hit_ids >= 0
    kept = first(hit_ids[is_hit] * span + gid[is_hit])
    hits = pd.DataFrame({"hit_id": hit_ids[is_hit][kept], "gid": gid[is_hit][kept]}).merge(
        pd.DataFrame({"hit_id": lk_hits, "_at": at}), on="hit_id")
    rows = np.concatenate([reads["_at"].to_numpy(), hits["_at"].to_numpy()])
    gids = np.concatenate([reads["gid"].to_numpy(), hits["gid"].to_numpy()])
    kept = first(lk_hits[rows] * span + gids)
    return (lk.take(rows[kept]).assign(gid=gids[kept])[["gid", *lk.columns]].reset_index(drop=True))


def _own_links_merged(ev: pd.DataFrame, lk: pd.DataFrame, is_own_read: np.ndarray) -> pd.DataFrame:
    """_own_links by merges on the key columns themselves (links with a missing id, ids too large to fold)."""
    reads_linked = (ev.loc[is_own_read, ["gid", "event_id", "pii_type"]].astype({"pii_type": "str"})
                    .drop_duplicates().merge(lk, on=["event_id", "pii_type"]))
    own_hits = ev.loc[ev["hit_id"].notna(), ["gid", "hit_id"]].astype({"hit_id": "Int64"})
    return pd.concat([reads_linked, own_hits.drop_duplicates().merge(lk, on="hit_id")],
                     ignore_index=True).drop_duplicates(["gid", "hit_id"])


def group(evidence: pd.DataFrame, rule: Rule, ctx: Evidence) -> pd.DataFrame:
    """Findings of one rule from its evidence rows."""
    if evidence.empty:
        return empty_findings()
    det = REGISTRY[rule.detection]
    keys = list(rule.params.get("group_by") or det.group_by)
    ev = evidence.reindex(columns=EVIDENCE_COLUMNS).reset_index(drop=True)
    ev = ev.assign(event_id=ev["event_id"].astype("Int64"), flow_id=ev["flow_id"].astype("str"))
    coded = _Coded(ev, keep=frozenset([*keys, "pii_type"]))
    ev = ev.assign(gid=_group_numbers(ev, keys, coded))
    coded.ev = ev   # the same columns, and the group numbers beside them

    glinks = _own_links(ev, ctx.links, coded)
    # Each finding's ids (its own rows' and its links') as sorted distinct (group, id) pairs of
    # integer codes: no sort or deduplication of text at 10^6 rows, the text taken back once.
    gid = ev["gid"].to_numpy()
    own_events, event_ids, _ = _pairs(gid, ev["event_id"], glinks["gid"].to_numpy(), glinks["event_id"])
    own_flows, flow_ids, flow_codes = _pairs(gid, ev["flow_id"], glinks["gid"].to_numpy(), glinks["flow_id"])
    ev = ev.assign(_flow=flow_codes)

    g = ev.groupby("gid")
    out = g.agg(first_ts=("ts", "min"), **{k: (k, "first") for k in GROUP_KEYS})
    out = out.assign(n_events=own_events.reindex(out.index, fill_value=0),
                     n_flows=own_flows.reindex(out.index, fill_value=0))
    lists = {c: _distinct_per_group(ev, c, coded) for c in ("host", "api", "location", "encoding", "source", "permission",
                                                     "granted", "documented_field")}
    coded.done.clear()   # every step that shares the codes has run
    uncertain = _within_clock_error(ev, ctx) if det.relative_to_consent else pd.Series(dtype=object)
    capped_links = (glinks.sort_values(["gid", "sent_ts", "hit_id"]).groupby("gid").head(MAX_LINKS_IN_DETAIL)
                    if not glinks.empty else glinks)
    capped_links = _timed_and_masked(capped_links, ctx)
    rows_by_gid = _records_by_gid(_evidence_rows(ev, ctx), ROW_KEYS)
    if det.relative_to_consent and not glinks.empty:
        later = glinks.loc[glinks["sent_ts"].astype("float64") >= det.after_cutoff(ctx.consent), ["gid", "flow_id"]]
        later = pd.DataFrame({"gid": later["gid"].to_numpy(),
                              "flow_id": [str(f) for f in later["flow_id"].to_numpy(dtype="object")]})
        after = _lists(later.drop_duplicates().sort_values(["gid", "flow_id"], kind="stable"), "flow_id")
    else:
        after = pd.Series(dtype="object")
    links_by_gid = _records_by_gid(capped_links, LINK_KEYS) if not capped_links.empty else {}
    n_links = glinks.groupby("gid").size() if not glinks.empty else pd.Series(dtype="int64")
    pattern_only = ev["source"].eq("pattern").fillna(False).groupby(ev["gid"]).all()
    # A rule that does not group by PII type still names it when all its evidence is of one type.
    own_types = (ev.loc[~_truthy(ev["context"]), ["gid", "pii_type"]] if "context" in ev
                 else ev[["gid", "pii_type"]])   # the two columns asked about, not a copy of every column
    one_type = _distinct_per_group(own_types, "pii_type")
    one_type = one_type.loc[one_type.map(len).eq(1)].map(lambda u: str(u[0]))
    tester_by_gid = _tester_observations(ev, ctx)

    rows = []
    for gid, rec in out.iterrows():
        key_values = {k: _none(rec[k]) if k in keys else None for k in GROUP_KEYS}
        pii_type = key_values["pii_type"] if "pii_type" in keys else one_type.get(gid)
        hosts = lists["host"].get(gid, [])
        host = key_values["host"] if "host" in keys else (", ".join(hosts) or None)
        detail: dict[str, Any] = {
            "rule_key": rule.key,
            "evidence_events": int(rec["n_events"]), "evidence_flows": int(rec["n_flows"]),
            **{name: [_py(v) for v in lists[name].get(gid, [])] for name in lists if lists[name].get(gid)},
            "links": [_link(r) for r in links_by_gid.get(gid, [])],
            "links_total": int(n_links.get(gid, 0)),
            "evidence": [_row(r) for r in rows_by_gid.get(gid, [])],
        }
        if det.relative_to_consent:
            detail["consent_ts"] = _py(ctx.consent.ts)
            detail["consent_status"] = ctx.consent.status
            if gid in uncertain.index:
                detail["within_clock_error"] = uncertain[gid]
            if gid in after.index:
                # Listed (the read's value went there too) but marked: these requests are not pre-consent.
                detail["flows_after_consent"] = after[gid]
        if gid in tester_by_gid:
            detail.update(tester_by_gid[gid])
        if det.detail is not None:
            detail.update(det.detail(key_values, ctx, rule.params) if det.detail_params else det.detail(key_values, ctx))
        severity = rule.severity
        if pattern_only.get(gid, False) and SEVERITY_RANK[severity] < SEVERITY_RANK[PATTERN_ONLY_SEVERITY]:
            detail["pattern_only"] = True
            detail["rule_severity"] = severity
            severity = PATTERN_ONLY_SEVERITY
        rows.append({
            "rule_id": rule.id, "category": rule.category, "severity": severity, "pii_type": pii_type,
            "sdk": key_values["sdk"], "host": host, "first_ts": float(rec["first_ts"]),
            "flow_ids": [str(f) for f in flow_ids.get(gid, [])], "event_ids": [int(e) for e in event_ids.get(gid, [])],
            "detail": detail,
        })
    return pd.DataFrame(rows, columns=FINDING_COLUMNS).sort_values(
        ["first_ts", "pii_type", "sdk", "host"], na_position="first", kind="stable", ignore_index=True)


def _tester_observations(ev: pd.DataFrame, ctx: Evidence) -> dict[int, dict[str, Any]]:
    """Per group resting on tester observations: ``evidence_source`` ("tester" when nothing else
    proves it, "tester+measured" when flows or events do too), ``tester_observations`` (the
    marks that prove it: time, kind with its labels, place, note, screenshot and its hash) and
    ``contradicted_by`` (marks of the opposite outcome, shown as context)."""
    obs = ctx.observations
    if obs is None or obs.empty or "observation_id" not in ev or not ev["observation_id"].notna().any():
        return {}
    from piiaudit import testermarks
    records = {int(r["id"]): {
        "observation_id": int(r["id"]), "ts": _py(r["ts"]), "kind": r["kind"], "label": testermarks.label(r["kind"]),
        "place": _none(r["place"]), "note": _none(r["note"]), "screenshot": _none(r["screenshot"]),
        "screenshot_sha256": _none(r["screenshot_sha256"]), "source": _none(r["source"]),
    } for r in obs.to_dict("records")}
    out: dict[int, dict[str, Any]] = {}
    for gid, part in ev.loc[ev["observation_id"].notna()].groupby("gid"):
        proof = part.loc[~part["context"].eq(True), "observation_id"].astype("int64").drop_duplicates()
        against = part.loc[part["context"].eq(True), "observation_id"].astype("int64").drop_duplicates()
        measured = ev.loc[ev["gid"].eq(gid), ["event_id", "flow_id"]].notna().any(axis=None)
        entry: dict[str, Any] = {
            "evidence_source": "tester+measured" if measured else "tester",
            "tester_observations": [records[i] for i in proof if i in records],
        }
        if not against.empty:
            entry["contradicted_by"] = [records[i] for i in against if i in records]
        out[int(gid)] = entry
    return out


LINK_KEYS = ("event_id", "flow_id", "match", "pii_type", "read_ts", "sent_ts", "reader_sdk", "api", "host",
             "location", "encoding", "value_sent", "read_dt_s", "sent_dt_s", "after_consent")
ROLES = ("tester", "read", "send", "event", "manifest", "context")   # a finding's rows in this order
ROW_KEYS = ("role", "event_id", "flow_id", "observation_id", "pii_type", "ts", "dt_s", "value_shown", "documented_field")


def _records(frame: pd.DataFrame, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The frame's rows as dicts of the `keys` it has (the other columns are not read)."""
    return frame[[k for k in keys if k in frame.columns]].to_dict("records")


def _records_by_gid(frame: pd.DataFrame, keys: tuple[str, ...]) -> dict[Any, list[dict[str, Any]]]:
    """gid -> the records of its rows (in the frame's order), made from the whole frame at once."""
    out: dict[Any, list[dict[str, Any]]] = {}
    for gid, rec in zip(frame["gid"].tolist(), _records(frame, keys)):
        out.setdefault(gid, []).append(rec)
    return out


def _link(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: _py(rec.get(k)) for k in LINK_KEYS if k in rec}


def _as_travelled(value: Any, encoding: Any) -> str:
    """The value as the request carried it, masked: a hash step in the chain shows the hash's hex."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    steps = str(encoding or "").split(">")
    digest = next((s for s in steps if s in HASHES), None)
    text = HASHES[digest](str(value).encode("utf-8", "surrogatepass")).hexdigest() if digest else str(value)
    return mask(text)


def _row(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: _py(rec.get(k)) for k in ROW_KEYS if k in rec and _py(rec.get(k)) is not None}


def _evidence_rows(ev: pd.DataFrame, ctx: Evidence) -> pd.DataFrame:
    """The finding's own rows (the first MAX_LINKS_IN_DETAIL per finding), each with its role,
    its time against the consent moment and its value as shown (masked): ``read`` (a hook
    read), ``send`` (a PII hit of a request), ``event`` (a launch, a checkbox, a permission
    request: the proof of a rule about the app's behaviour), ``manifest`` (a declared
    uses-permission entry, shown as the manifest has it), or ``context`` (the pause or the
    dialog that makes the other rows count)."""
    is_send = ev["hit_id"].notna()
    context = ev["context"].eq(True)
    is_tester = ev["stream"].eq("tester") & ~context
    is_read = ~is_send & ~context & _is_read(ev["event_id"], ctx) & ev["stream"].eq("event")
    declared = ev["stream"].eq("manifest")
    # a role's code is its rank among a finding's rows: tester, read, send, event, manifest, context
    role_code = np.select([is_send, is_read, is_tester, context, declared], [2, 1, 0, 5, 4], 3)
    # A context row copies its group's keys from the row it supports; its own time is the event's.
    own_ts = dict(zip(ctx.ui["event_id"].astype("int64"), ctx.ui["ts"].astype("float64")))
    if ctx.consent.dialog_shown_ts is not None and ctx.consent.event_ids:
        own_ts.setdefault(int(ctx.consent.event_ids[0]), float(ctx.consent.dialog_shown_ts))
    is_send, context = is_send.to_numpy(), context.to_numpy()
    event_id = ev["event_id"].where(~is_send)   # what a row shows: a send its flow, the others their event

    def shown_as(part: pd.DataFrame, at: np.ndarray) -> pd.DataFrame:
        """`part` (the rows of ev at positions `at`) as its rows are shown: role, ids, type."""
        return part.assign(role=np.array(ROLES, dtype="object")[role_code[at]],
                           flow_id=part["flow_id"].where(is_send[at]), event_id=part["event_id"].where(~is_send[at]),
                           pii_type=part["pii_type"].where(~context[at]))

    # Deduplicated, sorted and capped on integer codes of the key columns alone (the flow's code
    # from group, missing ids -1); the capped rows (a few per finding) are then taken whole: no
    # copy of every evidence row with all its columns.
    flow_code = ev["_flow"].to_numpy() if "_flow" in ev else pd.factorize(ev["flow_id"], use_na_sentinel=True)[0]
    first = _first_of_each([ev["gid"].to_numpy(), role_code, _codes(event_id), np.where(is_send, flow_code, -1),
                            _codes(ev["hit_id"]), _codes(ev["observation_id"]),
                            _codes(ev["location"].where(declared))])   # manifest rows have no ids: one per entry
    at = np.flatnonzero(first)
    chosen = _first_by_order(ev.index[at], ev["gid"].to_numpy()[at], role_code[at], ev["ts"].to_numpy()[at])
    capped = shown_as(ev.loc[chosen], ev.index.get_indexer(chosen))
    # One event may prove several types (a request for ten permissions): its one row names them
    # all, from every row of that event in the finding (the capped rows are a few per finding).
    own = capped["event_id"].notna() & capped["role"].ne("context")
    if own.any():
        of_these = (event_id.notna().to_numpy() & (role_code != 5) & ~context
                    & event_id.isin(capped.loc[own, "event_id"]).to_numpy() & ev["pii_type"].notna().to_numpy())
        at = np.flatnonzero(of_these)
        every = shown_as(ev[["gid", "event_id", "flow_id", "pii_type"]].iloc[at], at)
        pairs = (pd.DataFrame({"gid": every["gid"], "event_id": every["event_id"],
                               "_types": every["pii_type"].astype("object").map(str)})
                 .drop_duplicates().sort_values(["gid", "event_id", "_types"], kind="stable"))
        types = pairs.groupby(["gid", "event_id"], as_index=False, sort=False)["_types"].agg(", ".join)
        joined = capped[["gid", "event_id"]].merge(types, on=["gid", "event_id"], how="left")["_types"]
        joined.index = capped.index
        capped = capped.assign(pii_type=joined.where(own & joined.notna(), capped["pii_type"]))
    rows = capped
    # Values and times of the capped rows only: a few per finding, not one per evidence row.
    # (the reads and hits of these rows are taken before the lookup tables are made of them)
    reads = ctx.reads[["event_id", "value"]]
    read_values = reads.loc[reads["event_id"].isin(rows["event_id"])].drop_duplicates("event_id").set_index("event_id")["value"]
    sent = ctx.sent.loc[ctx.sent["hit_id"].isin(rows["hit_id"])].drop_duplicates("hit_id").set_index("hit_id")
    sent_values = sent["value"] if "value" in sent else pd.Series(dtype="object")
    shown = [
        "" if r == "context" else loc if r == "manifest" else (_as_travelled(sent_values.get(h), sent["encoding"].get(h)) if r == "send"
                                   else _masked(read_values.get(e)))
        for r, h, e, loc in zip(rows["role"], rows["hit_id"], rows["event_id"], rows["location"])
    ]
    ts = [own_ts.get(int(e), t) if r == "context" and pd.notna(e) else t
          for r, e, t in zip(rows["role"], rows["event_id"], rows["ts"])]
    rows = rows.assign(value_shown=shown, ts=pd.Series(ts, index=rows.index, dtype="float64"))
    consent = ctx.consent
    if consent.status == "accepted" and consent.ts is not None:
        # A manifest entry has no moment of its own (its row's time is the session's start).
        rows = rows.assign(dt_s=(rows["ts"] - consent.ts).round(3).where(rows["role"].ne("manifest")))
    return rows


def _is_read(event_ids: pd.Series, ctx: Evidence) -> np.ndarray:
    """``event_ids.isin(ctx.reads["event_id"])``, looked up in the reads' bitmap made once per analysis."""
    seen = ctx.read_id_bitmap
    if seen is None or not (isinstance(event_ids.dtype, pd.Int64Dtype) or event_ids.dtype.kind in "iu"):
        return event_ids.isin(ctx.reads["event_id"]).to_numpy(dtype=bool)
    values = event_ids.to_numpy(dtype="int64", na_value=-1)
    inside = (values >= 0) & (values < len(seen))
    out = np.zeros(len(values), dtype=bool)
    out[inside] = seen[values[inside]]
    return out


def _first_by_order(index: pd.Index, gid: np.ndarray, order: np.ndarray, ts: np.ndarray) -> pd.Index:
    """The labels of the first MAX_LINKS_IN_DETAIL rows of each gid by (order, ts), ties in the
    rows' order: ``sort_values(["gid", "_order", "ts"], kind="stable").groupby("gid").head(n)``,
    by one numpy lexsort (stable, NaN last as pandas places it) where the times are numbers."""
    if ts.dtype.kind not in "fiu" or gid.dtype.kind not in "iu":
        return (pd.DataFrame({"gid": gid, "_order": order, "ts": ts}, index=index)
                .sort_values(["gid", "_order", "ts"], kind="stable").groupby("gid").head(MAX_LINKS_IN_DETAIL).index)
    ranked = np.lexsort((ts, order, gid))
    g = gid[ranked]
    new_run = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, dtype=bool)
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(g)), 0))
    return index[ranked[np.arange(len(g)) - run_start < MAX_LINKS_IN_DETAIL]]


def _first_of_each(codes: list[np.ndarray]) -> np.ndarray:
    """Whether each row is the first with its combination of the code columns (codes >= -1), as
    ``DataFrame.duplicated`` keeps it: the columns folded into one integer key, renumbered
    (``pd.factorize``) whenever the next column could overflow it."""
    key = np.zeros(len(codes[0]) if codes else 0, dtype="int64")
    span = 1
    for c in codes:
        width = int(c.max(initial=-1)) + 2   # -1 (missing) is a value too
        if span * width >= 1 << 62:
            key, distinct = pd.factorize(key)
            key, span = key.astype("int64"), max(len(distinct), 1)
        key = key * width + (c.astype("int64") + 1)
        span *= width
    return ~pd.Series(key).duplicated().to_numpy()


def _truthy(col: pd.Series) -> np.ndarray:
    """``col.fillna(False).astype(bool)`` as a numpy array, without the fill: a column no row
    fills is float NaN, which the fill turns into objects one row at a time."""
    values = col.to_numpy()
    present = pd.notna(values)
    out = np.zeros(len(values), dtype=bool)
    out[present] = values[present].astype(bool)
    return out


def _codes(col: pd.Series) -> np.ndarray:
    """One integer per distinct value (-1 missing): what drop_duplicates needs of a column."""
    return pd.factorize(col, use_na_sentinel=True)[0]


def _masked(value: Any) -> str:
    return mask(value) if isinstance(value, str) and value else ""


def _timed_and_masked(links: pd.DataFrame, ctx: Evidence) -> pd.DataFrame:
    """Each link with its times relative to the consent moment (Δt s, negative = before) and the
    masked value as sent."""
    if links.empty:
        return links
    values = ctx.sent.set_index("hit_id")["value"] if "value" in ctx.sent else pd.Series(dtype="object")
    sent_value = links["hit_id"].map(values)
    out = links.assign(value_sent=[_as_travelled(v, e) for v, e in zip(sent_value, links["encoding"])])
    consent = ctx.consent
    if consent.status != "accepted" or consent.ts is None:
        return out
    return out.assign(read_dt_s=(out["read_ts"].astype("float64") - consent.ts).round(3),
                      sent_dt_s=(out["sent_ts"].astype("float64") - consent.ts).round(3),
                      after_consent=out["sent_ts"].astype("float64") >= consent.cutoff)


def _within_clock_error(ev: pd.DataFrame, ctx: Evidence) -> pd.Series:
    """Evidence ids whose order against the consent moment is within the clocks' error bound.

    Hook events and a hook-observed tap share the device clock, so their order is exact;
    a flow (host clock) against a hook tap, or a hook event against a tester's or given time
    (host clock), carries the device->host mapping error.
    """
    consent = ctx.consent
    if consent.ts is None:
        return pd.Series(dtype=object)
    consent_error = consent.clock_error_ms if consent.source == "hook" else None
    is_flow = ev["stream"].eq("flow")
    error_ms = np.where(is_flow, consent_error or 0.0,
                        0.0 if consent.source == "hook" else ev["clock_error_ms"].fillna(0.0).to_numpy())
    close = (ev["ts"] - consent.ts).abs() * 1000.0 <= error_ms
    hits = ev.loc[close & (error_ms > 0)]
    if hits.empty:
        return pd.Series(dtype=object)
    ids = hits.assign(ident=np.where(hits["stream"].eq("flow"), hits["flow_id"].astype("str"),
                                     hits["event_id"].astype("str")))
    return ids.groupby("gid")["ident"].agg(lambda s: sorted(set(s)))
