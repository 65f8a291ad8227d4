"""Which hooks were live on the device: one row per hook point and overload, and a summary.

The agent reports one ``coverage`` event per overload it tried (``status`` hooked,
class-missing, method-missing or hook-failed, ``live_at_ms`` in device time) and one
``hooks_ready`` event once they are installed. A class that loads later may be reported
again; the last report of an overload counts. Older sessions whose coverage events carry
only call counters have no rows here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

STATUSES = ("hooked", "class-missing", "method-missing", "hook-failed")
COVERAGE_COLUMNS = ["hook", "class", "signature", "status", "live_ts", "error", "process", "event_id"]


def coverage_rows(events: pd.DataFrame) -> pd.DataFrame:
    """The last coverage report per (process, hook, signature)."""
    ev = events.loc[events["kind"].eq("coverage")]
    if ev.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COVERAGE_COLUMNS})
    data = ev["data"]
    get = lambda *keys: data.map(lambda d: next((d[k] for k in keys if isinstance(d, dict) and d.get(k) is not None),  # noqa: E731
                                                None))
    live_ms = pd.to_numeric(get("live_at_ms", "set_at_ms"), errors="coerce")
    rows = pd.DataFrame({
        "hook": get("hook_id", "hook"), "signature": ev["api"].fillna(get("signature", "api")),
        "status": get("status"), "live_ts": (live_ms - ev["clock_offset_ms"].fillna(0.0)) / 1000.0,
        "error": get("error"), "process": ev["process"], "event_id": ev["id"],
    })
    rows = rows.loc[rows["status"].isin(STATUSES)]
    rows = rows.assign(**{"class": rows["signature"].str.split("(").str[0].str.rsplit(".", n=1).str[0]})
    # A hook that only went live later (class loaded late) keeps its live time from that report.
    rows = rows.assign(live_ts=rows["live_ts"].where(rows["status"].eq("hooked")))
    keys = ["process", "hook", "signature"]
    return (rows.assign(**{k: rows[k].fillna("") for k in keys}).drop_duplicates(keys, keep="last")
            .sort_values(["hook", "signature", "process"], kind="stable", ignore_index=True)
            .reindex(columns=COVERAGE_COLUMNS))


@dataclass(frozen=True)
class CoverageSummary:
    hooked: int
    overloads: int
    classes_missing: int
    ready_ts: float | None
    first_read_ts: float | None

    @property
    def ready_before_first_read(self) -> bool | None:
        if self.ready_ts is None:
            return None
        return self.first_read_ts is None or self.ready_ts <= self.first_read_ts

    def line(self) -> str:
        return (f"hooks live: {self.hooked} of {self.overloads} overloads ({self.classes_missing} classes missing on "
                f"this device) / 已生效钩子：{self.overloads} 个重载中 {self.hooked} 个（本设备缺少 {self.classes_missing} 个类）")

    def ready_line(self) -> str:
        ready = self.ready_before_first_read
        if ready is None:
            return "no hooks_ready event: whether the hooks were live before the app's first instruction is unknown / 未记录 hooks_ready，无法判断钩子是否先于App首条指令生效"
        if ready:
            return "hooks ready before the app's first instruction (hooks_ready precedes the first read) / 钩子先于App首条指令生效（hooks_ready 早于首个读取事件）"
        return ("hooks NOT ready before the app's first instruction: reads happened before hooks_ready, earlier calls may be "
                "missing / 钩子未先于App首条指令生效：hooks_ready 之前已有读取，更早的调用可能未记录")


def summarise(events: pd.DataFrame, rows: pd.DataFrame | None = None) -> CoverageSummary:
    rows = coverage_rows(events) if rows is None else rows
    classes = rows.loc[rows["status"].eq("class-missing"), "class"]
    ready = events.loc[events["kind"].eq("hooks_ready"), "ts"]
    reads = events.loc[events["kind"].eq("pii_read"), "ts"]
    return CoverageSummary(
        hooked=int(rows["status"].eq("hooked").sum()), overloads=len(rows), classes_missing=int(classes.nunique()),
        ready_ts=float(ready.min()) if not ready.empty else None,
        first_read_ts=float(reads.min()) if not reads.empty else None,
    )
