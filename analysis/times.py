"""Timestamps as people read them: local time, ISO 8601 with the UTC offset, millisecond precision.

The zone is the one named by ``TZ`` when that is a valid IANA name, else the system's
(/etc/localtime), else the current fixed offset. Stored times stay host epoch seconds.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import zoneinfo
from pathlib import Path

import numpy as np
import pandas as pd

_LOCALTIME = Path("/etc/localtime")


def local_tz() -> dt.tzinfo:
    return _zone(os.environ.get("TZ", "").lstrip(":"))


@functools.lru_cache(maxsize=8)
def _zone(name: str) -> dt.tzinfo:
    """Cached per TZ value: reports ask for the zone once per row."""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    if _LOCALTIME.exists():
        try:
            with open(_LOCALTIME, "rb") as f:
                return zoneinfo.ZoneInfo.from_file(f, key="localtime")
        except (OSError, ValueError):
            pass
    return dt.datetime.now().astimezone().tzinfo or dt.timezone.utc


def iso_local(ts: pd.Series, tz: dt.tzinfo | None = None) -> pd.Series:
    """Epoch seconds -> '2026-03-01T10:15:02.345+08:00' (missing stays missing).

    Formatted by numpy (the clock part) plus one offset string per distinct UTC offset:
    strftime over a column costs seconds per 10^5 rows.
    """
    if ts.empty:
        return pd.Series([], index=ts.index, dtype="str")
    utc = pd.to_datetime(ts, unit="s", utc=True)
    local = utc.dt.tz_convert(tz or local_tz()).dt.tz_localize(None)
    offset_s = (local - utc.dt.tz_localize(None)).dt.total_seconds()
    clock = np.datetime_as_string(local.to_numpy().astype("datetime64[ms]"), unit="ms")
    suffix = offset_s.map({o: _offset_text(o) for o in offset_s.dropna().unique()})
    return (pd.Series(clock, index=ts.index, dtype="str") + suffix).where(ts.notna())


def _offset_text(seconds: float) -> str:
    sign = "-" if seconds < 0 else "+"
    minutes = int(round(abs(seconds))) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def iso_one(ts: float | None, tz: dt.tzinfo | None = None) -> str:
    """One timestamp, same format as iso_local (kept off pandas: reports call this per sentence)."""
    if ts is None or pd.isna(ts):
        return ""
    return dt.datetime.fromtimestamp(float(ts), tz or local_tz()).isoformat(timespec="milliseconds")
