"""The consent moment: when the user agreed to the privacy policy, and how we know.

Sources, strongest first:

1. a time given to ``analyze`` (``consent_at``) — overrides everything;
2. a tester's mark (``consent_marks`` with source ``tester``, or any source not named here);
3. hook evidence: the agree tap on a privacy-notice dialog (a ``click`` after a
   ``dialog_shown`` whose text is a privacy notice), or a consent mark written by the hooks
   runner; a consent-flag ``pref_write`` supports it, and stands in for it only when no tap
   was seen (neither by the hooks nor by the UI automation);
4. the UI automation's tap (``consent_marks`` with source ``automation``, written by
   commands/device/ui when it sent the tap): the same tap the hooks see as a click a moment
   later, so it never moves nor doubles the hooks' moment; it is the consent moment only when the
   hooks saw no tap (an app whose clicks the hooks miss, a run without hooks), and then it wins
   over a consent-flag write. A declined automation mark counts only when the hooks saw no
   decline tap.

Declines (a decline tap, a ``declined`` mark, a consent flag written false) are recorded
too. With no accepted consent, everything counts as before consent, except that what follows a
refusal (until a later agreement) is collection after refusal: `before_cutoff` ends the
before-consent rules at the first of the consent moment and a refusal, so one event proves one
of the two clauses, never both.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from piiaudit.times import iso_one
from piiaudit.yamlfile import load_resource

ACCEPTED, DECLINED, NONE = "accepted", "declined", "none"
AUTOMATION = "automation"               # consent_marks.source of the UI automation's taps
UI_KINDS = ("dialog_shown", "click", "pref_write")
# Tester and hook times come from different clocks and a human hand; say so beyond this gap.
DISAGREEMENT_NOTE_S = 1.0


@functools.cache
def patterns() -> dict[str, Any]:
    raw = load_resource("analysis", "data/consent_patterns.yaml")
    return {k: (re.compile(v, re.IGNORECASE) if isinstance(v, str) else v) for k, v in raw.items()}


@dataclass(frozen=True)
class ConsentDecision:
    status: str                          # accepted | declined | none
    ts: float | None = None              # the consent moment (accepted), host epoch s
    source: str | None = None            # analyze | tester | hook | automation
    method: str = "none"                 # override | tester_mark | dialog_tap | hook_mark | pref_write | automation_tap | none
    event_ids: tuple[int, ...] = ()      # dialog, tap, consent-flag write
    mark_ids: tuple[int, ...] = ()
    clock_error_ms: float | None = None  # error bound of the device clock mapping behind `ts`
    label: str | None = None             # the tapped text
    dialog_text: str | None = None       # excerpt of the privacy notice
    dialog_shown_ts: float | None = None
    declined_ts: float | None = None
    declined_event_ids: tuple[int, ...] = ()
    declined_mark_ids: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def cutoff(self) -> float:
        """Anything strictly before this time happened before consent."""
        return self.ts if self.status == ACCEPTED and self.ts is not None else float("inf")

    @property
    def before_cutoff(self) -> float:
        """Anything strictly before this time is judged as collected before consent: the consent moment, or an
        earlier refusal (from the refusal on, until a later agreement, it is collection after refusal: one event
        proves one of the two, never both)."""
        return min(self.cutoff, self.declined_ts) if self.declined_ts is not None else self.cutoff

    @property
    def refusal_window(self) -> tuple[float, float] | None:
        """[declined, consent) — the time the user had refused and not (yet) agreed."""
        if self.declined_ts is None:
            return None
        return self.declined_ts, self.cutoff

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(time=iso_one(self.ts), declined_time=iso_one(self.declined_ts))
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "ConsentDecision":
        names = set(cls.__dataclass_fields__)
        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in raw.items() if k in names}
        return cls(**kwargs)

    def describe(self, tz: dt.tzinfo | None = None) -> str:
        """One bilingual sentence for reports and the console, times in `tz` (default: piiaudit.times.zone())."""
        if self.status == ACCEPTED:
            how = {
                "override": "分析时指定 / given to analyze",
                "tester_mark": "测试人员标记 / tester's mark",
                "dialog_tap": f"点击“{self.label}” / tap on “{self.label}”",
                "hook_mark": "钩子记录的同意标记 / consent mark from the hooks",
                "pref_write": "同意标志写入 / consent flag written",
                "automation_tap": "UI自动化点击 / the UI automation's tap",
            }.get(self.method, self.method)
            ids = f" (events {list(self.event_ids)})" if self.event_ids else ""
            return f"同意时刻 / consent at {iso_one(self.ts, tz)} [{self.ts:.3f}] — {how}{ids}"
        if self.status == DECLINED:
            return (
                f"用户于 {iso_one(self.declined_ts, tz)} 拒绝隐私政策，未观察到同意：此前的行为视为同意前，此后的视为拒绝后 / "
                f"the user declined at {iso_one(self.declined_ts, tz)}; no consent observed: what came before counts as "
                f"before consent, what came after as after the refusal"
            )
        if self.dialog_shown_ts is not None:
            return (
                f"隐私弹窗于 {iso_one(self.dialog_shown_ts, tz)} 显示，用户未作答；未观察到同意：全部行为视为同意前 / "
                f"the privacy dialog shown at {iso_one(self.dialog_shown_ts, tz)} was never answered; "
                "no consent observed: everything counts as before consent"
            )
        return "未观察到同意：全部行为视为同意前 / no consent observed: everything counts as before consent"


def _first(frame: pd.DataFrame) -> pd.Series | None:
    return None if frame.empty else frame.sort_values(["ts", "id"]).iloc[0]


def _matches(series: pd.Series, pattern: re.Pattern[str]) -> pd.Series:
    return series.fillna("").astype("str").str.contains(pattern, regex=True)


def _dialog_text(d: dict[str, Any]) -> str | None:
    """A dialog's visible text: `text`, or the agent's list of `texts` in layout order."""
    if isinstance(d.get("text"), str):
        return d["text"]
    texts = d.get("texts")
    if isinstance(texts, list):
        return "\n".join(str(t) for t in texts if t is not None) or None
    return None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _ui_frames(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Dialogs, clicks and consent-flag writes with their text pulled out of `data` (the event's
    `value` column, where the agent also puts the dialog text and the tapped label, fills gaps)."""
    ui = events.loc[events["kind"].isin(UI_KINDS), ["id", "ts", "kind", "clock_error_ms", "value", "data"]]
    data = ui["data"].map(lambda d: d if isinstance(d, dict) else {})
    pick = lambda key: data.map(lambda d: _text_or_none(d.get(key)))  # noqa: E731
    ui = ui.drop(columns=["data"]).assign(
        text=data.map(_dialog_text).fillna(ui["value"]),
        label=pick("label").fillna(ui["value"]),
        key=pick("key"),
        pref_value=data.map(lambda d: None if d.get("value") is None else str(d["value"]).lower()),
    ).sort_values(["ts", "id"])
    p = patterns()
    dialogs = ui.loc[ui["kind"].eq("dialog_shown")].assign(privacy=lambda d: _matches(d["text"], p["privacy_dialog_text"]))
    clicks = ui.loc[ui["kind"].eq("click") & ui["label"].notna()]
    prefs = ui.loc[ui["kind"].eq("pref_write") & _matches(ui["key"], p["consent_pref_key"])]
    return dialogs, clicks, prefs


def _taps(dialogs: pd.DataFrame, clicks: pd.DataFrame) -> pd.DataFrame:
    """Clicks with the dialog they answer and their meaning (agree / decline / other)."""
    if dialogs.empty or clicks.empty:
        return clicks.iloc[0:0].assign(meaning=pd.Series(dtype="str"), dialog_id=pd.Series(dtype="Int64"))
    p = patterns()
    latest = pd.merge_asof(
        clicks[["id", "ts", "label", "clock_error_ms"]], dialogs[["ts", "id", "privacy", "text"]].rename(
            columns={"id": "dialog_id", "privacy": "latest_is_privacy", "text": "dialog_text"}),
        on="ts", direction="backward",
    )
    privacy = dialogs.loc[dialogs["privacy"], ["ts", "id", "text"]].rename(
        columns={"id": "privacy_dialog_id", "text": "privacy_text"})
    taps = pd.merge_asof(latest, privacy, on="ts", direction="backward")
    decline = _matches(taps["label"], p["decline_label"])
    strong = _matches(taps["label"], p["agree_label_strong"]) & ~decline
    weak = _matches(taps["label"], p["agree_label_weak"]) & ~decline
    after_privacy = taps["privacy_dialog_id"].notna()
    on_privacy = taps["latest_is_privacy"].fillna(False).astype(bool)
    meaning = np.select(
        [decline & after_privacy, strong & after_privacy, weak & on_privacy], ["decline", "agree", "agree"], "other")
    return taps.assign(meaning=meaning).loc[lambda t: t["meaning"].ne("other")]


def ui_frames(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Dialogs (with `privacy`: the text is a privacy notice), labelled clicks and consent-flag writes."""
    return _ui_frames(events)


def taps(dialogs: pd.DataFrame, clicks: pd.DataFrame) -> pd.DataFrame:
    """Agree and decline taps (`meaning`), each with the dialog it answers (see `decide`)."""
    return _taps(dialogs, clicks)


def excerpt(text: Any, limit: int = 200) -> str | None:
    """A dialog text on one line, cut to `limit` characters."""
    return _excerpt(text, limit)


def decide(events: pd.DataFrame, marks: pd.DataFrame, *, consent_at: float | None = None) -> ConsentDecision:
    """The consent decision for one session (see the module docstring for the order)."""
    p = patterns()
    dialogs, clicks, prefs = _ui_frames(events)
    taps = _taps(dialogs, clicks)
    pref_yes = prefs.loc[_matches(prefs["pref_value"], p["pref_true"])]
    pref_no = prefs.loc[_matches(prefs["pref_value"], p["pref_false"])]
    hook_marks = marks.loc[marks["source"].eq("hook")]
    auto_marks = marks.loc[marks["source"].eq(AUTOMATION)]
    tester_marks = marks.loc[~marks["source"].isin(["hook", AUTOMATION])]
    first_privacy = _first(dialogs.loc[dialogs["privacy"]])
    notes: list[str] = []

    # Declines: the first one is what counts (a refusal before any agreement).
    decline_tap = _first(taps.loc[taps["meaning"].eq("decline")])
    # the automation's decline is the hooks' decline tap sent a moment earlier: used only without one
    decline_mark = _first(marks.loc[marks["kind"].eq("declined") & (
        marks["source"].ne(AUTOMATION) | (decline_tap is None))])
    decline_pref = _first(pref_no)
    decline_times = [x["ts"] for x in (decline_tap, decline_mark, decline_pref) if x is not None]

    hook = _hook_candidate(taps, hook_marks, pref_yes, prefs_window=float(p["pref_window_s"]))
    tester = _first(tester_marks.loc[tester_marks["kind"].eq("accepted")])
    auto = _first(auto_marks.loc[auto_marks["kind"].eq("accepted")])
    if auto is not None and (hook is None or hook["method"] == "pref_write"):
        # no tap seen by the hooks: the automation's tap is the consent moment, the flag supports it
        support = () if hook is None else hook["event_ids"]
        if hook is not None:
            notes.append(f"consent flag written at {iso_one(hook['ts'])}; the UI automation's tap is used / "
                         "以UI自动化点击时刻为同意时刻，同意标志写入为佐证")
        hook = dict(ts=float(auto["ts"]), method="automation_tap", event_ids=tuple(support),
                    mark_ids=(int(auto["id"]),), clock_error_ms=None, label=None, dialog_text=None,
                    source=AUTOMATION)
    elif auto is not None and abs(hook["ts"] - auto["ts"]) > DISAGREEMENT_NOTE_S:
        notes.append(f"the UI automation sent its accept tap at {iso_one(auto['ts'])}, {hook['ts'] - auto['ts']:+.3f} s "
                     f"from the hooks' moment; the hooks' moment is used / UI自动化点击与钩子观察到的同意时刻相差 "
                     f"{hook['ts'] - auto['ts']:+.3f} 秒，采用钩子时刻")

    base: dict[str, Any] = {}
    if consent_at is not None:
        base = dict(status=ACCEPTED, ts=float(consent_at), source="analyze", method="override")
        if hook is not None:
            notes.append(f"hook evidence pointed to {hook['ts']:.3f}; overridden / 钩子证据时刻已被指定时间覆盖")
    elif tester is not None:
        base = dict(status=ACCEPTED, ts=float(tester["ts"]), source="tester", method="tester_mark",
                    mark_ids=(int(tester["id"]),))
        if hook is not None and abs(hook["ts"] - tester["ts"]) > DISAGREEMENT_NOTE_S:
            notes.append(
                f"tester mark differs from the hook-observed consent ({hook['method']}, {iso_one(hook['ts'])}) by "
                f"{tester['ts'] - hook['ts']:+.3f} s; the tester's mark is used / 测试人员标记与钩子观察到的同意时刻相差 "
                f"{tester['ts'] - hook['ts']:+.3f} 秒，采用测试人员标记"
            )
    elif hook is not None:
        base = {k: hook[k] for k in ("ts", "method", "event_ids", "mark_ids", "clock_error_ms", "label", "dialog_text")}
        base.update(status=ACCEPTED, source=hook.get("source", "hook"))

    accepted_ts = base.get("ts")
    refusals = [t for t in decline_times if accepted_ts is None or t < accepted_ts]
    declined_ts = min(refusals) if refusals else None
    declined_ids = tuple(
        int(x["id"]) for x in (decline_tap, decline_pref) if x is not None and declined_ts is not None
        and (accepted_ts is None or x["ts"] < accepted_ts)
    )
    declined_marks = tuple(
        int(x["id"]) for x in (decline_mark,) if x is not None and declined_ts is not None
        and (accepted_ts is None or x["ts"] < accepted_ts)
    )
    if not base:
        base = dict(status=DECLINED if declined_ts is not None else NONE)
    if first_privacy is not None:
        base.setdefault("dialog_text", _excerpt(first_privacy["text"]))
    return ConsentDecision(
        **base,
        dialog_shown_ts=_shown_ts(first_privacy, auto_marks),
        declined_ts=declined_ts, declined_event_ids=declined_ids, declined_mark_ids=declined_marks,
        notes=tuple(notes),
    )


def _shown_ts(first_privacy: pd.Series | None, auto_marks: pd.DataFrame) -> float | None:
    """When the privacy dialog was first shown: the hooks' dialog event, else the UI automation's first sight."""
    if first_privacy is not None:
        return float(first_privacy["ts"])
    shown = _first(auto_marks.loc[auto_marks["kind"].eq("shown")])
    return None if shown is None else float(shown["ts"])


def _excerpt(text: Any, limit: int = 200) -> str | None:
    if not isinstance(text, str):
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _float_or_none(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _hook_candidate(taps: pd.DataFrame, hook_marks: pd.DataFrame, pref_yes: pd.DataFrame, *,
                    prefs_window: float) -> dict[str, Any] | None:
    """Earliest hook-side agreement: a tap or a runner's mark; else a consent-flag write."""
    tap = _first(taps.loc[taps["meaning"].eq("agree")])
    mark = _first(hook_marks.loc[hook_marks["kind"].eq("accepted")])
    if tap is not None and (mark is None or tap["ts"] <= mark["ts"]):
        t = float(tap["ts"])
        support = pref_yes.loc[pref_yes["ts"].between(t, t + prefs_window)]
        dialog_ids = [int(v) for v in (tap["privacy_dialog_id"], tap["dialog_id"]) if pd.notna(v)]
        ids = sorted(set(dialog_ids + [int(tap["id"])] + support["id"].astype(int).tolist()))
        return dict(ts=t, method="dialog_tap", event_ids=tuple(ids), mark_ids=(),
                    clock_error_ms=_float_or_none(tap["clock_error_ms"]), label=str(tap["label"]),
                    dialog_text=_excerpt(tap["privacy_text"]))
    if mark is not None:
        return dict(ts=float(mark["ts"]), method="hook_mark", event_ids=(), mark_ids=(int(mark["id"]),),
                    clock_error_ms=None, label=None, dialog_text=None)
    pref = _first(pref_yes)
    if pref is not None:
        return dict(ts=float(pref["ts"]), method="pref_write", event_ids=(int(pref["id"]),), mark_ids=(),
                    clock_error_ms=_float_or_none(pref["clock_error_ms"]), label=None, dialog_text=None)
    return None
