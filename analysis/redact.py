"""Mask raw PII values where traffic put them into free text (URLs, host names, hook data).

The value columns of a report are masked by ``labels.masked_values``; but a URL, a host
name or a Host header can carry the same value, in the form it travelled in (upper case,
percent-encoded, base64, hex, with dashes, a coordinate, a subdomain). The detector records
those forms with each hit (``hit_texts``): the value, the text it matched (`detail.matched`)
and the exact text of the URL part or header that carried it (`detail.wire`, the span of
that part the hit covers; both coordinates of a location). Masking replaces exactly those
texts; it never guesses other forms.

- URLs: each flow's URL with the texts of that flow's hits in the URL or its Host header
  (``query…``, ``url:…``, ``header:host``) masked (``url_redactions``); a wire text too long
  to have been kept whole (`detail.wire_cut`) hides everything after the host.
- Host names (the flows' destination, the Host header, a finding's host, and any text that
  names a host: sentences, details): the texts of hits found in host names
  (``url:host``, ``header:host``), case-insensitively (``host_texts``, ``redact``).
- Hook data (dialog texts, preference writes, agent messages): every distinct text the
  session knows, one vectorised replace per text; sessions with too many distinct texts get
  that text hidden instead.
"""

from __future__ import annotations

import json
import re

import pandas as pd

from piiaudit.values import mask

MIN_LENGTH = 4            # shorter strings ("1", "true") would mask ordinary text
MAX_VALUES = 200
SPLIT_TYPES = ("location", "cell_location")   # "lat,lng" also appears as separate numbers
URL_LOCATIONS = ("query", "url:", "header:host", "header::authority")
HOST_LOCATIONS = ("url:host", "header:host", "header::authority")
HIDDEN = "[已隐藏：含个人信息 / hidden: may contain personal information]"


def _with_parts(hits: pd.DataFrame) -> pd.DataFrame:
    """(key columns…, value) rows, plus one row per coordinate of each location value."""
    values = hits.assign(value=hits["value"].astype("str")).dropna(subset=["value"])
    parts = values.loc[values["pii_type"].isin(SPLIT_TYPES)].assign(
        value=lambda f: f["value"].str.split(",")).explode("value")
    both = pd.concat([values, parts.assign(value=parts["value"].str.strip())], ignore_index=True)
    return both.loc[both["value"].str.len() >= MIN_LENGTH]


def _wire(hits: pd.DataFrame) -> pd.Series:
    """Each hit's recorded forms (analysis.load: the `wire` column, JSON text) as a dict, or None."""
    if "wire" not in hits:
        return pd.Series([None] * len(hits), index=hits.index, dtype="object")
    return hits["wire"].map(_parse, na_action="ignore")


def _parse(text):
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def hit_texts(hits: pd.DataFrame) -> pd.DataFrame:
    """flow_id, location, value (each text to mask), cut: per hit its value (and coordinate
    parts), the text it matched and the wire texts that carried it, at least MIN_LENGTH long."""
    keys = hits[["flow_id", "pii_type", "location", "value"]].assign(cut=False)
    wire = _wire(hits).map(lambda w: w if isinstance(w, dict) else None)
    has = wire.notna()
    forms = pd.DataFrame({
        "flow_id": hits["flow_id"], "pii_type": "", "location": hits["location"],
        "value": wire.map(lambda w: [t for t in ([w.get("matched")] + list(w.get("texts") or []))
                                     if isinstance(t, str)] if w else []),
        "cut": wire.map(lambda w: bool(w.get("cut")) if w else False),
    }).loc[has].explode("value").dropna(subset=["value"])
    both = pd.concat([_with_parts(keys), forms.loc[forms["value"].str.len() >= MIN_LENGTH]], ignore_index=True)
    return both.drop(columns=["pii_type"]).assign(location=both["location"].fillna(""))


def _replace_folded(text: str, values: list[str]) -> str:
    for value in values:
        text = re.sub(re.escape(value), mask(value), text, flags=re.IGNORECASE)
    return text


def _after_host(url: str) -> str:
    """The URL up to its host, the rest hidden (a value too long to be kept whole was in it)."""
    m = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*", url)
    return (m.group(0) if m else "") + "/" + HIDDEN


def url_redactions(flows: pd.DataFrame, hits: pd.DataFrame) -> dict[str, str]:
    """flow id -> URL with that flow's URL-located texts masked (only flows that need it)."""
    located = hits.loc[hits["location"].fillna("").str.startswith(URL_LOCATIONS)]
    if located.empty:
        return {}
    texts = hit_texts(located)
    if texts.empty:
        return {}
    cut = set(texts.loc[texts["cut"], "flow_id"])
    ordered = (texts.drop_duplicates(["flow_id", "value"])
               .assign(length=lambda f: f["value"].str.len())
               .sort_values(["flow_id", "length"], ascending=[True, False]))
    per_flow: dict[str, list[str]] = {}      # flow id -> its texts, longest first (one pass, no group-by)
    for fid, value in zip(ordered["flow_id"].tolist(), ordered["value"].tolist()):
        per_flow.setdefault(fid, []).append(value)
    urls = flows.set_index("id")["url"].reindex(list(per_flow))
    # Each URL needs its own set of texts: a plain loop over the flows that carry URL hits.
    out = {}
    for (fid, values), url in zip(per_flow.items(), urls):
        if isinstance(url, str):
            out[fid] = _after_host(url) if fid in cut else _replace_folded(url, values)
    return out


def host_texts(hits: pd.DataFrame) -> list[str]:
    """The texts of values found in host names, longest first."""
    located = hits.loc[hits["location"].fillna("").isin(HOST_LOCATIONS)]
    if located.empty:
        return []
    return sorted(hit_texts(located)["value"].drop_duplicates().tolist(), key=lambda v: (-len(v), v))


def redact_nested(value, values: list[str], *, fold_case: bool = False):
    """Every string in `value` (a string, or dicts and lists of them) redacted like `redact`."""
    if not values:
        return value
    if isinstance(value, str):
        if len(values) > MAX_VALUES:
            return HIDDEN
        return _replace_folded(value, values) if fold_case else _replace_exact(value, values)
    if isinstance(value, dict):
        return {k: redact_nested(v, values, fold_case=fold_case) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_nested(v, values, fold_case=fold_case) for v in value]
    return value


def _replace_exact(text: str, values: list[str]) -> str:
    for value in values:
        text = text.replace(value, mask(value))
    return text


def known_values(values: pd.Series, pii_types: pd.Series, hits: pd.DataFrame | None = None) -> list[str]:
    """Every distinct text to mask in free text: `values` (and coordinate parts), and when
    `hits` are given the forms the detector recorded with them (hit_texts; not those of
    coordinates, which differ from flow to flow and would soon pass MAX_VALUES: a location
    in hook data is masked by the read's own value)."""
    frame = _with_parts(pd.DataFrame({"value": values, "pii_type": pii_types}))["value"]
    if hits is not None and not hits.empty:
        forms = hit_texts(hits.loc[~hits["pii_type"].isin(SPLIT_TYPES)])["value"]
        frame = pd.concat([frame, forms], ignore_index=True)
    return sorted(frame.drop_duplicates().tolist(), key=lambda v: (-len(v), v))


def redact(text: pd.Series, values: list[str], *, fold_case: bool = False) -> pd.Series:
    """Every known value masked in a column of free text (missing stays missing);
    `fold_case` for host names, which compare case-insensitively."""
    present = text.notna()
    if not present.any() or not values:
        return text
    if len(values) > MAX_VALUES:
        return text.where(~present, HIDDEN)
    out = text.loc[present].astype("str")
    for value in values:
        if fold_case:
            out = out.str.replace(re.escape(value), mask(value), case=False, regex=True)
        else:
            out = out.str.replace(value, mask(value), regex=False)
    return text.astype("object").where(~present, out)
