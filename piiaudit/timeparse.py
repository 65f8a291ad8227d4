"""Parse the times a tester types: epoch seconds, ISO 8601, or 'now'."""

from __future__ import annotations

import datetime as dt
import time


def parse_time(text: str) -> float:
    """Host epoch seconds from '1732345678.25', '2026-11-23T10:00:05+08:00', '2026-11-23 10:00:05' or 'now'.

    A time without a zone is taken in the machine's local zone, as a tester reading a
    wall clock would mean it.
    """
    text = text.strip()
    if text.lower() == "now":
        return time.time()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (use epoch seconds, ISO 8601 like 2026-11-23T10:00:05+08:00, or 'now')"
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.timestamp()


def iso(ts: float | None) -> str:
    """Local time, ISO 8601 with offset and milliseconds, for people reading reports."""
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts).astimezone().isoformat(timespec="milliseconds")
