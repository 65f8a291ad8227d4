"""Link each value a hook saw being read to the flows that carried it.

A PII hit in a request is linked to the read it most plausibly came from: the latest
read before the flow (allowing for the clock-mapping error of the read) of the same value
(``hit.value_sha256 == sha256(event.value)``), preferring a read by the SDK that owns the
destination host. Hits whose value cannot be compared exactly — observed or pattern hits,
and locations, which the proxy matches by distance — are linked by PII type instead.
One link per hit keeps the table linear in the number of hits.
"""

from __future__ import annotations

import pandas as pd

from piiaudit.values import value_sha256

APPROXIMATE_TYPES = ("location", "cell_location")

LINK_COLUMNS = [
    "hit_id", "flow_id", "event_id", "match", "pii_type", "read_ts", "sent_ts", "reader_sdk", "api",
    "host", "location", "encoding",
]


def hash_values(values: pd.Series) -> pd.Series:
    """sha256 of each value, computed once per distinct value (reads repeat the same IDs)."""
    distinct = values.dropna().unique()
    return values.map({v: value_sha256(v) for v in distinct}).astype("str")


def _asof(hits: pd.DataFrame, reads: pd.DataFrame, left_by: list[str], right_by: list[str], match: str) -> pd.DataFrame:
    # only the columns the join reads: dropna copies every column it is given (10^6 reads' text)
    hits = hits[list(dict.fromkeys(["hit_id", "ts", *left_by]))].dropna(subset=left_by)
    reads = reads[list(dict.fromkeys(["event_id", "ts_earliest", *right_by]))].dropna(subset=right_by)
    if hits.empty or reads.empty:
        return pd.DataFrame({"hit_id": pd.Series(dtype="Int64"), "event_id": pd.Series(dtype="Int64"),
                             "match": pd.Series(dtype="str")})
    # merge_asof needs identical key names and dtypes on both sides.
    keys = [f"k{i}" for i in range(len(left_by))]
    left = hits.assign(**{k: hits[c].astype("str") for k, c in zip(keys, left_by)})[["hit_id", "ts", *keys]]
    right = reads.assign(**{k: reads[c].astype("str") for k, c in zip(keys, right_by)})[
        ["event_id", "ts_earliest", *keys]]
    joined = pd.merge_asof(
        left.sort_values("ts"), right.sort_values("ts_earliest"), left_on="ts", right_on="ts_earliest",
        by=keys, direction="backward",
    )
    return joined.loc[joined["event_id"].notna(), ["hit_id", "event_id"]].assign(match=match)


def link_reads_to_flows(reads: pd.DataFrame, sent: pd.DataFrame) -> pd.DataFrame:
    """One row per linked hit: the read (event) it came from and the flow that carried it.

    `reads`: event_id, ts, pii_type, value_sha256, sdk, api, clock_error_ms.
    `sent`: hit_id, flow_id, ts, host, host_sdk, pii_type, value_sha256, source, location, encoding.
    """
    if reads.empty or sent.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in LINK_COLUMNS})
    reads = reads.assign(ts_earliest=reads["ts"] - reads["clock_error_ms"].fillna(0.0).clip(lower=0) / 1000.0)
    linked: list[pd.DataFrame] = []
    remaining = sent

    def take(frame: pd.DataFrame) -> None:
        nonlocal remaining
        linked.append(frame)
        remaining = remaining.loc[~remaining["hit_id"].isin(frame["hit_id"])]

    take(_asof(remaining, reads, ["value_sha256", "host_sdk"], ["value_sha256", "sdk"], "value"))
    take(_asof(remaining, reads, ["value_sha256"], ["value_sha256"], "value"))
    inexact = remaining.loc[remaining["source"].ne("known_value") | remaining["pii_type"].isin(APPROXIMATE_TYPES)]
    take(_asof(inexact, reads, ["pii_type", "host_sdk"], ["pii_type", "sdk"], "type"))
    inexact = remaining.loc[remaining["source"].ne("known_value") | remaining["pii_type"].isin(APPROXIMATE_TYPES)]
    take(_asof(inexact, reads, ["pii_type"], ["pii_type"], "type"))

    pairs = pd.concat(linked, ignore_index=True).astype({"hit_id": "Int64", "event_id": "Int64"})
    return (
        pairs.merge(sent[["hit_id", "flow_id", "ts", "host", "pii_type", "location", "encoding"]], on="hit_id")
        .rename(columns={"ts": "sent_ts"})
        .merge(reads[["event_id", "ts", "sdk", "api"]].rename(columns={"ts": "read_ts", "sdk": "reader_sdk"}),
               on="event_id")
        .reindex(columns=LINK_COLUMNS)
        .sort_values(["sent_ts", "hit_id"], ignore_index=True)
    )
