"""Times as people type and read them: one zone, one format.

Stored times stay host epoch seconds. People see them in the report's zone: the IANA name
given to the command (``--tz``), else the one named by ``TZ`` when that is a valid IANA
name, else the system's (/etc/localtime). The format is ISO 8601 with the UTC offset and
milliseconds (``2026-03-01T10:15:02.345+08:00``) in the workbook, the page, findings.json,
the console summary and the command line alike; a time typed without a zone is read in
the same zone.

A time is finite and between `EARLIEST` (the epoch) and `LATEST` (year 5138): what a
person types (`parse_time`), what a program hands to the store or the analysis
(`checked`) and what the analysis keeps of stored rows use the same window.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import time
import zoneinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

_LOCALTIME = Path("/etc/localtime")
EARLIEST, LATEST = 0.0, 1e11     # epoch seconds: 1970-01-01 .. 5138-11-16


class TimeError(ValueError):
    """A time that is not finite or not within EARLIEST..LATEST."""


class ZoneError(ValueError):
    """A time zone name that is not an IANA zone."""


def zone(name: str | None = None) -> dt.tzinfo:
    """The zone times are shown in: `name` when given (ZoneError if unknown), else TZ, else the system's."""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            # OSError: a name that is a folder of the zone database (Asia), or too long for a path
            raise ZoneError(f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai or UTC") from None
    return _environment_zone(os.environ.get("TZ", "").lstrip(":"))


@functools.lru_cache(maxsize=8)
def _environment_zone(tz_variable: str) -> dt.tzinfo:
    """Cached per TZ value: reading /etc/localtime once is enough."""
    if tz_variable:
        try:
            return zoneinfo.ZoneInfo(tz_variable)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
    if _LOCALTIME.exists():
        try:
            with open(_LOCALTIME, "rb") as f:
                return zoneinfo.ZoneInfo.from_file(f, key=_system_zone_name())
        except (OSError, ValueError):
            pass
    return dt.datetime.now().astimezone().tzinfo or dt.timezone.utc


def _system_zone_name() -> str:
    """The IANA name of the system's zone, from the link /etc/localtime (…/zoneinfo/Asia/Shanghai);
    'localtime' when it is a copy and not a link."""
    target = os.path.realpath(_LOCALTIME)
    return target.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in target else "localtime"


def zone_label(tz: dt.tzinfo | None = None) -> str:
    """'Asia/Shanghai (UTC+08:00)': the zone and its current offset, for a report's summary."""
    tz = tz or zone()
    offset = dt.datetime.now(tz).strftime("%z")
    return f"{getattr(tz, 'key', None) or tz} (UTC{offset[:3]}:{offset[3:]})"


def zone_name(tz: dt.tzinfo | None = None) -> str:
    """The zone's IANA name ('Asia/Shanghai'); 'localtime' for a system zone without one."""
    tz = tz or zone()
    return str(getattr(tz, "key", None) or tz)


def utc_offset(tz: dt.tzinfo | None = None, at: float | None = None) -> str:
    """'+08:00': the zone's offset from UTC at `at` (epoch seconds; default now)."""
    moment = dt.datetime.now(tz or zone()) if at is None else dt.datetime.fromtimestamp(at, tz or zone())
    return _offset_text((moment.utcoffset() or dt.timedelta()).total_seconds())


def time_header(label: str, tz: dt.tzinfo | None = None) -> str:
    """A time column's header with the zone it is shown in: '首次时间 / First time (Asia/Shanghai, UTC+08:00)'."""
    return f"{label} ({zone_name(tz)}, UTC{utc_offset(tz)})"


def iso_one(ts: Any, tz: dt.tzinfo | None = None) -> str:
    """One epoch time as '2026-03-01T10:15:02.345+08:00'; missing (None, NaN, NA) is ''."""
    try:
        seconds = float(ts)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(seconds):
        return ""
    return dt.datetime.fromtimestamp(seconds, tz or zone()).isoformat(timespec="milliseconds")


def iso_column(ts: pd.Series, tz: dt.tzinfo | None = None) -> pd.Series:
    """A column of epoch times in the same format as iso_one (missing stays missing).

    Formatted by numpy (the clock part) plus one offset string per distinct UTC offset:
    strftime over a column costs seconds per 10^5 rows.
    """
    import numpy as np    # the proxy and the hooks runner use this module without pandas
    import pandas as pd

    if ts.empty:
        return pd.Series([], index=ts.index, dtype="str")
    utc = pd.to_datetime(ts, unit="s", utc=True)
    local = utc.dt.tz_convert(tz or zone()).dt.tz_localize(None)
    offset_s = (local - utc.dt.tz_localize(None)).dt.total_seconds()
    clock = np.datetime_as_string(local.to_numpy().astype("datetime64[ms]"), unit="ms")
    suffix = offset_s.map({o: _offset_text(o) for o in offset_s.dropna().unique()})
    return (pd.Series(clock, index=ts.index, dtype="str") + suffix).where(ts.notna())


def _offset_text(seconds: float) -> str:
    sign = "-" if seconds < 0 else "+"
    minutes = int(round(abs(seconds))) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def checked(ts: float, what: str | None = None) -> float:
    """`ts` when it is a finite time within EARLIEST..LATEST, else TimeError naming `what` (or the value)."""
    name = what if what is not None else repr(ts)
    try:
        seconds = float(ts)
    except (TypeError, ValueError):
        raise TimeError(f"not a time: {name}") from None
    if not math.isfinite(seconds):
        raise TimeError(f"not a time: {name} is not a finite number of seconds")
    if not EARLIEST <= seconds <= LATEST:
        raise TimeError(f"not a time: {name} is outside {EARLIEST:.0f} .. {LATEST:.0f} epoch seconds "
                        f"(1970 .. 5138)")
    return seconds


def parse_time(text: str, tz: dt.tzinfo | None = None) -> float:
    """Host epoch seconds from '1732345678.25', '2026-11-23T10:00:05+08:00', '2026-11-23 10:00:05' or 'now'.

    A time without a zone is read in the zone times are shown in, as a tester reading the
    report's clock would mean it. Raises ValueError (TimeError for a number that is not a
    usable time: nan, inf, 1e300, before 1970).
    """
    text = text.strip()
    if text.lower() == "now":
        return time.time()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return checked(seconds, repr(text))
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (use epoch seconds, ISO 8601 like 2026-11-23T10:00:05+08:00, or 'now')"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz or zone())
    try:
        seconds = moment.timestamp()
    except (OverflowError, ValueError, OSError):
        raise TimeError(f"not a time: {text!r} is outside the years 1970 .. 5138") from None
    return checked(seconds, repr(text))
