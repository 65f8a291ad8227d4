"""Mask raw PII values where traffic put them into free text (URLs, hook data).

The value columns of a report are masked by ``labels.masked_values``; but a query string
can carry the same raw value. The proxy records where each value was found, so a flow's
URL is redacted with exactly the values of that flow's URL hits (``query…``, ``url:…``;
a location also by its latitude and longitude). Hook data (dialog texts, preference writes,
agent messages) is redacted with every distinct value the session knows, one vectorised
replace per value; sessions with too many distinct values get that text hidden instead.
"""

from __future__ import annotations

import pandas as pd

from piiaudit.values import mask

MIN_LENGTH = 4            # shorter strings ("1", "true") would mask ordinary text
MAX_VALUES = 200
SPLIT_TYPES = ("location", "cell_location")   # "lat,lng" also appears as separate numbers
URL_LOCATIONS = ("query", "url:")
HIDDEN = "[已隐藏：含个人信息 / hidden: may contain personal information]"


def _with_parts(hits: pd.DataFrame) -> pd.DataFrame:
    """(key columns…, value) rows, plus one row per coordinate of each location value."""
    values = hits.assign(value=hits["value"].astype("str")).dropna(subset=["value"])
    parts = values.loc[values["pii_type"].isin(SPLIT_TYPES)].assign(
        value=lambda f: f["value"].str.split(",")).explode("value")
    both = pd.concat([values, parts.assign(value=parts["value"].str.strip())], ignore_index=True)
    return both.loc[both["value"].str.len() >= MIN_LENGTH]


def _replace_all(text: str, values: list[str]) -> str:
    for value in values:
        text = text.replace(value, mask(value))
    return text


def url_redactions(flows: pd.DataFrame, hits: pd.DataFrame) -> dict[str, str]:
    """flow id -> URL with that flow's URL-located values masked (only flows that need it)."""
    located = hits.loc[hits["location"].fillna("").str.startswith(URL_LOCATIONS), ["flow_id", "pii_type", "value"]]
    if located.empty:
        return {}
    per_flow = (_with_parts(located).drop_duplicates(["flow_id", "value"])
                .assign(length=lambda f: f["value"].str.len())
                .sort_values(["flow_id", "length"], ascending=[True, False])
                .groupby("flow_id")["value"].agg(list))
    urls = flows.set_index("id")["url"].reindex(per_flow.index)
    # Each URL needs its own set of values: a plain loop over the flows that carry URL hits,
    # with str.replace doing the work.
    return {fid: _replace_all(url, values) for fid, url, values in zip(per_flow.index, urls, per_flow)
            if isinstance(url, str)}


def known_values(values: pd.Series, pii_types: pd.Series) -> list[str]:
    frame = _with_parts(pd.DataFrame({"value": values, "pii_type": pii_types}))
    return sorted(frame["value"].drop_duplicates().tolist(), key=lambda v: (-len(v), v))


def redact(text: pd.Series, values: list[str]) -> pd.Series:
    """Every known value masked in a column of free text (missing stays missing)."""
    present = text.notna()
    if not present.any() or not values:
        return text
    if len(values) > MAX_VALUES:
        return text.where(~present, HIDDEN)
    out = text.loc[present].astype("str")
    for value in values:
        out = out.str.replace(value, mask(value), regex=False)
    return text.astype("object").where(~present, out)
