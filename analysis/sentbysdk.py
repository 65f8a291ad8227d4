"""What each SDK sent, by the endpoint field maps (piiaudit.detect.endpoints): one row per
(SDK, endpoint, kind, documented field, value), for a session recorded with or without a
device profile.

A hit belongs here when the detector found it through a map (`pii_hits.source` 'endpoint')
or when a known or observed value at a mapped field absorbed the map's hit (its support
names the field); `analysis.load` reads that field as the hit's `endpoint_map`. The SDK is
the map's SDK (the endpoint belongs to it: its hosts fall under the SDK's catalog host
rules), the party that of the flow's destination as the analysis decided it (the timeline's
flow rows). Device and context attributes (vocabulary `attribute: true`: model, OS version,
locale, ...) are shown only here: they never make a finding on their own (analysis.prepare
keeps them out of the evidence the rules read). Identifiers found through a map are
evidence like an observed value, and the rules see them with their documented field
(``documented_field``).
"""

from __future__ import annotations

import functools

import pandas as pd

from analysis.consent import ConsentDecision
from piiaudit import vocab
from piiaudit.detect import endpoints as endpoint_maps

COLUMNS = ["sdk", "party", "endpoint", "pii_type", "attribute", "field", "value", "flows", "first_ts", "dt_s",
           "doc_source"]
MAP_KEYS = ("sdk", "endpoint", "field", "source", "value")


@functools.cache
def _attribute_names() -> frozenset[str]:
    return frozenset(vocab.attributes())


def is_attribute(pii_type: pd.Series) -> pd.Series:
    """True where the kind is a device or context attribute (never a finding on its own)."""
    return pii_type.isin(_attribute_names())


def _maps(hits: pd.DataFrame) -> pd.DataFrame:
    """The endpoint map of each hit that has one, as columns (index kept)."""
    col = hits["endpoint_map"] if "endpoint_map" in hits else pd.Series(None, index=hits.index, dtype="object")
    has = col.map(lambda m: isinstance(m, dict) and bool(m.get("sdk")), na_action="ignore").fillna(False).astype(bool)
    rows = col.loc[has]
    if rows.empty:
        return pd.DataFrame(columns=list(MAP_KEYS), index=rows.index)
    return pd.DataFrame(rows.tolist(), index=rows.index).reindex(columns=list(MAP_KEYS))


def source_text(sdk: str, key: str) -> str:
    """'<title> [<licence>]' of a map's source, or the key when the maps no longer have it."""
    s = endpoint_maps.source_of(str(sdk), str(key))
    return f"{s.title} [{s.licence}]" if s else str(key)


def documented_field(hits: pd.DataFrame) -> pd.Series:
    """Per hit: 'branch/session body:json:$.google_advertising_id — <source> [<licence>]', None
    for a hit no endpoint map speaks for."""
    m = _maps(hits)
    out = pd.Series(None, index=hits.index, dtype="object")
    if m.empty:
        return out
    sources = _sources_distinct(m)
    out.loc[m.index] = m["sdk"].astype(str) + "/" + m["endpoint"].astype(str) + " " + m["field"].astype(str) \
        + " — " + sources
    return out


def _sources_distinct(m: pd.DataFrame, key: str = "source") -> pd.Series:
    """source_text per row, computed once per distinct (sdk, source)."""
    pairs = m[["sdk", key]].astype(str).drop_duplicates()
    text = {(s, k): source_text(s, k) for s, k in pairs.itertuples(index=False, name=None)}
    return pd.Series(list(zip(m["sdk"].astype(str), m[key].astype(str))), index=m.index).map(text)


def source_texts(view: pd.DataFrame) -> pd.Series:
    """source_text of each row of sent_by_sdk()."""
    return _sources_distinct(view, "doc_source") if not view.empty else pd.Series(dtype="object")


def _rows(hits: pd.DataFrame, flows: pd.DataFrame, timeline: pd.DataFrame) -> pd.DataFrame:
    """One row per request hit an endpoint map speaks for: flow, kind, map columns, ts, party."""
    req = hits.loc[hits["direction"].fillna("request").eq("request")]
    m = _maps(req)
    if m.empty:
        return pd.DataFrame(columns=["flow_id", "pii_type", "sdk", "endpoint", "field", "doc_source", "value", "ts",
                                     "party"])
    rows = req.loc[m.index, ["flow_id", "pii_type", "value"]].rename(columns={"value": "hit_value"})
    rows = rows.join(m.rename(columns={"source": "doc_source"}))
    # the value as it travelled in the field (the map's), else the hit's own
    rows = rows.assign(value=rows["value"].where(rows["value"].notna(), rows["hit_value"]).astype("object"))
    starts = flows.drop_duplicates("id").set_index("id")["ts_start"]
    return rows.assign(ts=rows["flow_id"].map(starts), party=rows["flow_id"].map(_flow_party(timeline)).fillna("—"))


def sent_by_sdk(hits: pd.DataFrame, flows: pd.DataFrame, timeline: pd.DataFrame,
                consent: ConsentDecision) -> pd.DataFrame:
    """COLUMNS, one row per (sdk, endpoint, kind, field, value, party), ordered by SDK then
    first time: how many flows carried it, when first, and Δt (s) to the consent moment
    (None when no consent was accepted)."""
    rows = _rows(hits, flows, timeline)
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    keys = ["sdk", "endpoint", "pii_type", "field", "value", "party"]
    g = rows.groupby(keys, sort=False, dropna=False)
    out = g.agg(flows=("flow_id", "nunique"), first_ts=("ts", "min"), doc_source=("doc_source", "first")).reset_index()
    dt = (out["first_ts"] - consent.ts).round(3) if consent.status == "accepted" and consent.ts is not None \
        else pd.Series(None, index=out.index, dtype="object")
    out = out.assign(dt_s=dt, attribute=is_attribute(out["pii_type"]))
    return out.sort_values(["sdk", "first_ts", "endpoint", "pii_type", "field"], kind="stable",
                           ignore_index=True)[COLUMNS]


def per_sdk(hits: pd.DataFrame, flows: pd.DataFrame, timeline: pd.DataFrame) -> pd.DataFrame:
    """One row per SDK: its kinds (identifiers first, then attributes, each by first time,
    then name), the number of flows and endpoints, the first time; ordered by first time."""
    rows = _rows(hits, flows, timeline)
    if rows.empty:
        return pd.DataFrame(columns=["sdk", "kinds", "flows", "endpoints", "first_ts"])
    rows = rows.assign(attribute=is_attribute(rows["pii_type"])).sort_values(["ts", "pii_type"], kind="stable")
    kinds = (rows.drop_duplicates(["sdk", "pii_type"]).sort_values(["attribute", "ts", "pii_type"], kind="stable")
             .groupby("sdk")["pii_type"].agg(list))
    g = rows.groupby("sdk")
    out = g.agg(flows=("flow_id", "nunique"), endpoints=("endpoint", "nunique"), first_ts=("ts", "min"))
    return out.assign(kinds=kinds).reset_index().sort_values(["first_ts", "sdk"], ignore_index=True)


def _flow_party(timeline: pd.DataFrame) -> pd.Series:
    if timeline is None or timeline.empty or "party" not in timeline:
        return pd.Series(dtype="object")
    t = timeline.loc[timeline["stream"].eq("flow") & timeline["flow_id"].notna(), ["flow_id", "party"]]
    return t.drop_duplicates("flow_id").set_index("flow_id")["party"]
