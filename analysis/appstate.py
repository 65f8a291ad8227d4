"""The app's state over time from the UI hooks: foreground/background, user input, component
starts aimed at other apps, consent checkboxes set by code.

- ``ui_events(events)``: one row per activity_state, touch, click, component_launch and
  checkbox event, with the fields the detections need pulled out of ``data`` (missing
  fields stay empty); a launch that binds an identifier service (analysis.idservices) names
  the PII type it reads in ``reads_identifier``, and its SDK falls back to the hook's
  ``data.sdks`` when the stack gave none;
- ``background(ts, ui, min_s)``: for each time, whether no activity was resumed then, and
  the pause event that began it;
- ``input_before(ts, ui, window_s)``: for each time, whether the user touched the screen in
  the `window_s` seconds before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import idservices

STATE, TOUCH, CLICK, LAUNCH, CHECKBOX = "activity_state", "touch", "click", "component_launch", "checkbox"
INPUT_KINDS = (TOUCH, CLICK)
CHECKBOX_KINDS = (CHECKBOX, "checked", "compound_button")
UI_KINDS = (STATE, TOUCH, CLICK, LAUNCH, *CHECKBOX_KINDS)
UI_COLUMNS = ["event_id", "ts", "kind", "sdk", "api", "process", "state", "activity", "launch_kind",
              "action", "target_package", "target_class", "reads_identifier", "checked", "label"]
TRUE_TEXT = {"true", "1", "yes", "checked"}


def _field(data: pd.Series, *keys: str) -> pd.Series:
    return data.map(lambda d: next((d[k] for k in keys if isinstance(d, dict) and d.get(k) not in (None, "")), None))


def ui_events(events: pd.DataFrame) -> pd.DataFrame:
    other = events.loc[events["kind"].ne("pii_read"), "api"]       # the bulk pii_read rows are never UI
    by_api = other.fillna("").str.contains(r"CompoundButton\.setChecked|CheckBox\.setChecked", regex=True)
    is_checkbox = events["kind"].isin(CHECKBOX_KINDS) | by_api.reindex(events.index, fill_value=False)
    ev = events.loc[events["kind"].isin(UI_KINDS) | is_checkbox]
    if ev.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in UI_COLUMNS}).astype({"ts": "float64"})
    data = ev["data"].map(lambda d: d if isinstance(d, dict) else {})
    component = _field(data, "component").astype("object")
    comp_pkg = component.map(lambda c: c.split("/", 1)[0] if isinstance(c, str) and "/" in c else None)
    checked = _field(data, "checked", "value", "state").fillna(ev["value"])
    state = _field(data, "state").fillna(ev["value"]).astype("object").map(
        lambda v: str(v).lower() if v is not None else None)
    kind = ev["kind"].where(~is_checkbox.loc[ev.index], CHECKBOX)
    action = _field(data, "action").astype("object")
    target_package = _field(data, "target_package", "package").fillna(comp_pkg).astype("object")
    target_class = _field(data, "target_class", "class").astype("object")
    reads_identifier = idservices.identifier_read(action, target_package, target_class).where(kind.eq(LAUNCH), None)
    # The identifier client library (uncatalogued Google or vendor code) is the innermost frame of
    # such a bind; the read belongs to the SDK that called it, which the hook lists.
    listed_sdk = data.map(lambda d: next(iter(d.get("sdks") or ()), None) if isinstance(d.get("sdks"), list) else None)
    sdk = ev["sdk"].where(reads_identifier.isna(), ev["sdk"].fillna(listed_sdk))
    return pd.DataFrame({
        "event_id": ev["id"], "ts": ev["ts"], "kind": kind, "sdk": sdk, "api": ev["api"],
        "process": ev["process"], "state": state.where(kind.eq(STATE)),
        "activity": _field(data, "activity", "class"), "launch_kind": _field(data, "kind", "type"),
        "action": action, "target_package": target_package, "target_class": target_class,
        "reads_identifier": reads_identifier,
        "checked": checked.map(lambda v: str(v).strip().lower() in TRUE_TEXT if v is not None else False).where(
            kind.eq(CHECKBOX)),
        "label": _field(data, "label", "text"),
    }).reset_index(drop=True)


def _states(ui: pd.DataFrame) -> pd.DataFrame:
    """State changes with the number of resumed activities after each and the end of each background spell."""
    st = ui.loc[ui["kind"].eq(STATE) & ui["state"].isin(("resumed", "paused"))].sort_values(["ts", "event_id"])
    if st.empty:
        return st.assign(depth=pd.Series(dtype="float64"), bg_end=pd.Series(dtype="float64"))
    step = np.where(st["state"].eq("resumed"), 1, -1)
    # Clip at zero as the count goes (a pause without its resume in the capture must not go negative).
    running, out = 0, []
    for s in step:                # one pass over the state changes (a few per screen), not over reads
        running = max(running + int(s), 0)
        out.append(running)
    depth = np.array(out, dtype="float64")
    fg_ts = pd.Series(np.where(depth > 0, st["ts"].to_numpy(), np.nan))
    bg_end = fg_ts[::-1].cummin()[::-1].shift(-1).fillna(np.inf).to_numpy()
    return st.assign(depth=depth, bg_end=bg_end)


def background(ts: pd.Series, ui: pd.DataFrame, *, min_s: float, child: pd.Series | None = None) -> pd.DataFrame:
    """Per time in `ts`: `background` (bool) and `pause_event_id` (the state event that began it).

    Background: after a pause that left no activity resumed, until the next resume, when that
    spell lasts at least `min_s` (quick switches between screens are not background).
    Before the first state change, only times flagged in `child` (reads in another process)
    count as background.
    """
    st = _states(ui)
    left = pd.DataFrame({"ts": ts.astype("float64").to_numpy(), "_i": np.arange(len(ts))})
    if st.empty:
        return pd.DataFrame({"background": np.zeros(len(ts), bool), "pause_event_id": pd.array([pd.NA] * len(ts), "Int64")},
                            index=ts.index)
    right = st[["ts", "event_id", "depth", "bg_end"]].rename(columns={"ts": "state_ts"})
    joined = pd.merge_asof(left.sort_values("ts"), right, left_on="ts", right_on="state_ts",
                           direction="backward").sort_values("_i")
    spell = joined["bg_end"] - joined["state_ts"]
    inside = joined["depth"].eq(0) & spell.ge(min_s)
    before_first = joined["state_ts"].isna()
    if child is not None:
        inside = inside | (before_first & child.to_numpy())
    return pd.DataFrame({"background": inside.to_numpy(),
                         "pause_event_id": joined["event_id"].where(inside & ~before_first).astype("Int64").to_numpy()},
                        index=ts.index)


def input_before(ts: pd.Series, ui: pd.DataFrame, *, window_s: float) -> pd.DataFrame:
    """Per time: `touched` (user input within `window_s` before, or at the same time) and its event id."""
    inputs = ui.loc[ui["kind"].isin(INPUT_KINDS), ["ts", "event_id"]].sort_values("ts").rename(
        columns={"ts": "input_ts", "event_id": "input_event_id"})
    left = pd.DataFrame({"ts": ts.astype("float64").to_numpy(), "_i": np.arange(len(ts))})
    if inputs.empty:
        return pd.DataFrame({"touched": np.zeros(len(ts), bool), "input_event_id": pd.array([pd.NA] * len(ts), "Int64")},
                            index=ts.index)
    joined = pd.merge_asof(left.sort_values("ts"), inputs, left_on="ts", right_on="input_ts",
                           direction="backward").sort_values("_i")
    touched = (joined["ts"] - joined["input_ts"]).le(window_s)
    return pd.DataFrame({"touched": touched.to_numpy(),
                         "input_event_id": joined["input_event_id"].where(touched).astype("Int64").to_numpy()},
                        index=ts.index)


def has_input(ui: pd.DataFrame) -> bool:
    return bool(ui["kind"].isin(INPUT_KINDS).any())


def main_package(events: pd.DataFrame, manifest: dict | None = None) -> str | None:
    app = (manifest or {}).get("app") or {}
    if app.get("package"):
        return str(app["package"])
    procs = events["process"].dropna()
    return str(procs.str.split(":").str[0].mode().iloc[0]) if not procs.empty else None
