"""After a refusal: what the app did once the user declined its privacy policy.

The hook events that matter once the user said no, as one tidy frame (``moments``), and the
two questions the refusal rules ask of it. The detections that cite them are registered at
the end of analysis/detections.py; the decline itself is analysis.consent's decision.

``moments(events)`` has one row per

- ``decline``: a tap on a decline label (不同意, 退出, 拒绝, …) on a dialog shown after a privacy
  notice (analysis.consent's patterns, so the consent decision and these rules agree);
- ``prompt``: a dialog whose visible text is a privacy notice (analysis.consent's pattern:
  隐私, 用户协议, 政策, privacy, …): the app asking for consent, the first time or again;
- ``exit``: the app leaving — an activity finishing itself (``app_exit``: Activity.finish,
  finishAffinity, finishAndRemoveTask, with the stack of the code that called it) or the
  process ending itself (``process_exit`` through System.exit: JVM_Halt on HotSpot, libc
  exit/_exit on Android). A main() that returned (DestroyJavaVM) is the launcher's end, not
  the app's decision, and is left out.

``left_after(moments, decision, window_s)``: the exits within `window_s` seconds of the first
refusal, before any later agreement (不同意即退出), with the refusal itself.
``asked_again(moments, decision, window_s)``: the consent prompts shown after the first refusal,
within `window_s` seconds and before any later agreement.
"""

from __future__ import annotations

import pandas as pd

from analysis import consent as consent_mod
from analysis.consent import ConsentDecision

DECLINE, PROMPT, EXIT = "decline", "prompt", "exit"
MOMENT_COLUMNS = ["event_id", "ts", "moment", "api", "sdk", "label", "how"]
# How the process ended, from the agent's process_exit `via`: the app's own call.
SELF_EXIT_VIA = {"JVM_Halt": "System.exit", "exit": "System.exit", "_exit": "System.exit"}


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c == "ts" else "object") for c in MOMENT_COLUMNS})


def _data(events: pd.DataFrame) -> pd.Series:
    return events["data"].map(lambda d: d if isinstance(d, dict) else {})


def moments(events: pd.DataFrame) -> pd.DataFrame:
    """Decline taps, consent prompts and exits, in time order (see the module docstring)."""
    if events.empty:
        return _empty()
    dialogs, clicks, _prefs = consent_mod.ui_frames(events)
    taps = consent_mod.taps(dialogs, clicks)
    declines = taps.loc[taps["meaning"].eq("decline")]
    parts = [
        pd.DataFrame({"event_id": declines["id"], "ts": declines["ts"], "moment": DECLINE,
                      "api": "View.performClick", "label": declines["label"]}),
        pd.DataFrame({"event_id": dialogs.loc[dialogs["privacy"], "id"], "ts": dialogs.loc[dialogs["privacy"], "ts"],
                      "moment": PROMPT, "api": "Dialog.show",
                      "label": dialogs.loc[dialogs["privacy"], "text"].map(consent_mod.excerpt)}),
    ]
    finish = events.loc[events["kind"].eq("app_exit")]
    if not finish.empty:
        how = _data(finish).map(lambda d: d.get("how"))
        parts.append(pd.DataFrame({"event_id": finish["id"], "ts": finish["ts"], "moment": EXIT,
                                   "api": finish["api"], "label": finish["value"],
                                   "how": ("Activity." + how.fillna("finish").astype("str"))}))
    ended = events.loc[events["kind"].eq("process_exit")]
    if not ended.empty:
        via = _data(ended).map(lambda d: d.get("via"))
        own = via.isin(list(SELF_EXIT_VIA))
        ended, via = ended.loc[own], via.loc[own]
        status = _data(ended).map(lambda d: d.get("status"))
        parts.append(pd.DataFrame({"event_id": ended["id"], "ts": ended["ts"], "moment": EXIT,
                                   "api": via.map(SELF_EXIT_VIA), "label": status.map(lambda s: f"status {s}"),
                                   "how": via.map(lambda v: f"{SELF_EXIT_VIA[v]} ({v})")}))
    frame = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(not p.empty for p in parts) \
        else _empty()
    frame = frame.reindex(columns=MOMENT_COLUMNS)
    frame["event_id"] = frame["event_id"].astype("int64")
    # the moments' own events looked up (a few), not an index built over every event
    own = events.loc[events["id"].isin(frame["event_id"]).to_numpy()]
    sdk = own.set_index("id")["sdk"] if "sdk" in events else pd.Series(dtype="object")
    frame["sdk"] = frame["event_id"].map(sdk).astype("object")
    # The hooked method as recorded; an exit without one (process_exit) keeps its System.exit label.
    api = own.set_index("id")["api"]
    frame["api"] = frame["event_id"].map(api).astype("object").fillna(frame["api"])
    return frame.sort_values(["ts", "event_id"], kind="stable", ignore_index=True)


def _after_refusal(frame: pd.DataFrame, decision: ConsentDecision, window_s: float) -> pd.DataFrame:
    """Rows strictly after the first refusal, within `window_s`, before any later agreement."""
    window = decision.refusal_window
    if window is None or frame.empty:
        return frame.iloc[0:0]
    start, end = window
    return frame.loc[(frame["ts"] > start) & (frame["ts"] <= start + window_s) & (frame["ts"] < end)]


def refusal_rows(frame: pd.DataFrame, decision: ConsentDecision) -> pd.DataFrame:
    """The decline taps the decision counts as the refusal (the first one)."""
    return frame.loc[frame["moment"].eq(DECLINE) & frame["event_id"].isin(decision.declined_event_ids)]


def left_after(frame: pd.DataFrame, decision: ConsentDecision, window_s: float) -> pd.DataFrame:
    """The refusal and the exits within `window_s` after it; empty when the app did not leave."""
    exits = _after_refusal(frame.loc[frame["moment"].eq(EXIT)], decision, window_s)
    if exits.empty:
        return exits
    last = exits["ts"].max()
    between = _after_refusal(frame.loc[frame["moment"].isin((DECLINE, PROMPT))], decision, window_s)
    between = between.loc[between["ts"] <= last]
    return pd.concat([refusal_rows(frame, decision), between, exits], ignore_index=True)


def asked_again(frame: pd.DataFrame, decision: ConsentDecision, window_s: float) -> pd.DataFrame:
    """The consent prompts shown after the first refusal within `window_s` (before any agreement)."""
    return _after_refusal(frame.loc[frame["moment"].eq(PROMPT)], decision, window_s)
