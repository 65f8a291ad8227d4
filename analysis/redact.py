"""Mask raw PII values where traffic put them into free text (URLs, hook arguments).

The value columns of a report are masked by ``labels.masked_values``; but a query string
or a hook's argument can carry the same raw value. Every distinct raw value the session
knows (from hits and hook reads; a location also by its latitude and longitude) is
replaced by its masked form, one vectorised replace per distinct value, longest first.
Sessions with too many distinct values for that get their query strings hidden instead.
"""

from __future__ import annotations

import pandas as pd

from piiaudit.values import mask

MIN_LENGTH = 4            # shorter strings ("1", "true") would mask ordinary text
MAX_VALUES = 500
SPLIT_TYPES = ("location", "cell_location")   # "lat,lng" also appears as separate numbers


def known_values(values: pd.Series, pii_types: pd.Series) -> list[str]:
    frame = pd.DataFrame({"value": values.astype("str"), "pii_type": pii_types}).dropna(subset=["value"])
    parts = frame.loc[frame["pii_type"].isin(SPLIT_TYPES), "value"].str.split(",").explode().str.strip()
    distinct = pd.concat([frame["value"], parts]).drop_duplicates()
    distinct = distinct.loc[distinct.str.len() >= MIN_LENGTH]
    return sorted(distinct.tolist(), key=lambda v: (-len(v), v))


def redact(text: pd.Series, values: list[str]) -> pd.Series:
    if text.empty or not values:
        return text
    if len(values) > MAX_VALUES:
        return text.str.replace(r"\?.*$", "?[查询参数已隐藏 / query hidden]", regex=True)
    out = text.astype("str")
    for value in values:
        out = out.str.replace(value, mask(value), regex=False)
    return out
