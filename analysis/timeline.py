"""Both streams on one clock: hook events and flows (one row per PII hit, or per flow without
hits) merged into one tidy table, with the consent decision as rows of its own.

Columns: ts, stream (event | flow | consent), kind, pii_type, sdk, host, what (API, or
method and URL), method and url (flows), detail (dialog text, tapped label, permissions,
hit location/encoding), value (raw; reports mask it), value_sha256, event_id, flow_id,
before_consent.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis.consent import ConsentDecision
from analysis.load import Session, event_data
from analysis.prepare import Evidence

TIMELINE_COLUMNS = ["ts", "stream", "kind", "pii_type", "sdk", "host", "what", "method", "url", "detail", "value",
                    "value_sha256", "event_id", "flow_id", "process", "before_consent"]
_STREAM_ORDER = {"consent": 0, "event": 1, "flow": 2}
HIDDEN_KINDS = ("coverage",)   # per-hook call counters: noise on a timeline


def _event_detail(events: pd.DataFrame) -> pd.Series:
    kinds = tuple(k for k in events["kind"].dropna().unique() if k != "pii_read")
    data = event_data(events, kinds)

    def describe(d: dict) -> str | None:
        parts = [f"{k}={json.dumps(d[k], ensure_ascii=False)}" for k in
                 ("text", "texts", "label", "key", "value", "permissions", "results", "request_code", "message",
                  "error", "hooks", "activity", "state", "action", "kind", "target_package", "target_class",
                  "checked", "op", "transformation", "peer") if k in d]
        return "; ".join(parts) or None

    return data.map(describe).reindex(events.index) if not data.empty else pd.Series(None, index=events.index)


def build_timeline(session: Session, consent: ConsentDecision, evidence: Evidence) -> pd.DataFrame:
    ev = session.events.loc[~session.events["kind"].isin(HIDDEN_KINDS)]
    events = pd.DataFrame({
        "ts": ev["ts"], "stream": "event", "kind": ev["kind"], "pii_type": ev["pii_type"], "sdk": ev["sdk"],
        "host": pd.NA, "what": ev["api"], "detail": _event_detail(ev), "value": ev["value"],
        "value_sha256": evidence.reads.set_index("event_id")["value_sha256"].reindex(ev["id"]).to_numpy(),
        "event_id": ev["id"], "flow_id": pd.NA, "process": ev["process"],
    })
    sent = evidence.sent
    hits = sent.assign(hit_detail=sent["location"].fillna("") + " [" + sent["encoding"].fillna("") + "]")
    # A left merge keeps the flows' (time, id) order, and each flow's hits in id order.
    flows = session.flows.merge(
        hits[["flow_id", "pii_type", "sdk", "hit_detail", "value", "value_sha256", "hit_id"]],
        left_on="id", right_on="flow_id", how="left",
    )
    method_url = (flows["method"].fillna("") + " " + flows["url"].fillna("")).str.strip()
    flow_rows = pd.DataFrame({
        "ts": flows["ts_start"], "stream": "flow",
        "kind": np.where(flows["pii_type"].notna(), "pii_sent", "request"),
        "pii_type": flows["pii_type"], "sdk": flows["sdk"], "host": flows["host"], "what": method_url,
        "method": flows["method"], "url": flows["url"],
        "detail": flows["hit_detail"], "value": flows["value"], "value_sha256": flows["value_sha256"],
        "event_id": pd.NA, "flow_id": flows["id"],
    })
    consent_rows = pd.DataFrame(
        [{"ts": t, "stream": "consent", "kind": k, "what": consent.describe()}
         for t, k in ((consent.ts, "consent_accepted"), (consent.declined_ts, "consent_declined")) if t is not None],
        columns=["ts", "stream", "kind", "what"],
    )
    parts = [p for p in (consent_rows, events, flow_rows) if not p.empty]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in TIMELINE_COLUMNS})
    # Each part is already in (time, id) order; ties across parts break by stream, within a
    # part by position — numeric keys only, which keeps the sort fast at 10^6 rows.
    timeline = pd.concat([p.assign(_pos=np.arange(len(p))) for p in parts], ignore_index=True)
    timeline = timeline.assign(
        before_consent=timeline["ts"] < consent.cutoff,
        event_id=timeline["event_id"].astype("Int64"),
        _order=timeline["stream"].map(_STREAM_ORDER),
    )
    return (timeline.sort_values(["ts", "_order", "_pos"], kind="stable", ignore_index=True)
            .reindex(columns=TIMELINE_COLUMNS))
