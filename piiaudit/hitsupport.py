"""One datum, one hit: what a weaker hit on the same datum leaves in the kept hit.

When several sources find the same value at the same place of a flow, the strongest is
kept (known value > observed value > endpoint field > pattern) and the others become
entries of its `detail.support`: source, PII type, encoding, confidence, for a pattern the
text it matched and its rule, for an endpoint field (piiaudit.detect.endpoints) the value as
it travelled, the SDK, the endpoint, the documented field and the map's source id. The detector merges this way within one scan
(piiaudit.detect.detector), the proxy's look-back across a scan and a later one
(addon.lookback); kept light so the proxy process need not load the detector for it.
"""

from __future__ import annotations


def support_entry(h: dict) -> dict:
    """What a weaker hit on the same datum adds to the kept one's `detail.support`."""
    entry = {"source": h.get("source"), "pii_type": h.get("pii_type"), "encoding": h.get("encoding"),
             "confidence": h.get("confidence")}
    if h.get("source") == "pattern":
        detail = h.get("detail")
        entry["value"] = h.get("value")
        entry["rule"] = detail.get("rule") if isinstance(detail, dict) else None
    elif h.get("source") == "endpoint":
        detail = h.get("detail") if isinstance(h.get("detail"), dict) else {}
        entry["value"] = h.get("value")
        entry.update({k: detail.get(k) for k in ("sdk", "endpoint", "field")})
        entry["doc_source"] = detail.get("source")
    return entry


def add_support(kept: dict, weaker: dict) -> None:
    """Record `weaker` as support of `kept` (a hit of another source on the same datum)."""
    if weaker.get("source") == kept.get("source") and weaker.get("pii_type") == kept.get("pii_type"):
        return   # the same evidence found twice (another layer, another spelling): nothing to add
    entry = support_entry(weaker)
    detail = kept["detail"] = dict(kept.get("detail") or {}) if isinstance(kept.get("detail"), (dict, type(None))) else {}
    support = detail.setdefault("support", [])
    if all((e["source"], e["pii_type"]) != (entry["source"], entry["pii_type"]) for e in support):
        support.append(entry)
