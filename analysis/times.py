"""Timestamps as people read them: local time, ISO 8601 with the UTC offset, millisecond precision.

The zone is the one named by ``TZ`` when that is a valid IANA name, else the system's
(/etc/localtime), else the current fixed offset. Stored times stay host epoch seconds.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from pathlib import Path

import pandas as pd

_LOCALTIME = Path("/etc/localtime")


def local_tz() -> dt.tzinfo:
    name = os.environ.get("TZ", "").lstrip(":")
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
    """Epoch seconds -> '2026-03-01T10:15:02.345+08:00' (missing stays missing)."""
    if ts.empty:
        return pd.Series([], index=ts.index, dtype="str")
    stamps = pd.to_datetime(ts, unit="s", utc=True).dt.tz_convert(tz or local_tz())
    text = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%f%z")
    return text.str.replace(r"(\.\d{3})\d{3}([+-]\d{2})(\d{2})$", r"\1\2:\3", regex=True)


def iso_one(ts: float | None, tz: dt.tzinfo | None = None) -> str:
    if ts is None or pd.isna(ts):
        return ""
    return str(iso_local(pd.Series([float(ts)]), tz).iloc[0])
