"""Runtime permission requests judged against what the screen said and what the user did.

Inputs are the prepared tables (analysis.prepare): ``permissions`` (one row per permission of
a request or result event, PI permissions only, with the event's stack) and ``screen`` (one
row per text surface the app showed: dialogs, popups, windows, toasts; and one per
``shouldShowRequestPermissionRationale`` check). Each function returns the rows that prove
its rule, in the shape of ``analysis.detections.EVIDENCE_COLUMNS`` (``context`` marks a row
that supports the proof: the denial before a re-ask, the app's rationale check):

- ``purpose_not_stated``: a request with no app text naming the permission's group (its
  use) on screen within ``window_s`` seconds before the request. The privacy-notice dialog
  that asked for consent is not such a text: it is the general notice, not the purpose told
  when the permission is asked for (认定方法 二.3 "同步告知").
- ``bundled_requests``: one request call asking for permissions of two or more unrelated
  groups (analysis/data/permission_groups.yaml: groups and related groups, with sources).
- ``requested_by_sdk``: requests whose stack names a catalogued SDK, with the frames that
  name it.
- ``asked_again_after_denial``: a request for a permission whose latest answer was a denial
  less than ``interval_s`` seconds before; the denial is named too.
- ``feature_inputs``: touches and clicks that use the app, i.e. without the consent
  dialog's own (the 同意 tap and any touch while the privacy notice was up): tapping 同意 is
  not using a feature that needs a permission.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis import appstate
from analysis.consent import ConsentDecision
from piiaudit import sdks as sdk_catalog
from piiaudit.yamlfile import load_resource

PREFIX = "android.permission."
SURFACE_KINDS = ("dialog_shown", "toast_shown")
RATIONALE_CHECK = "permission_rationale"
# How long a toast stays up (android.widget.Toast: LENGTH_SHORT 2 s, LENGTH_LONG 3.5 s).
TOAST_MS = {0: 2000, 1: 3500}
SCREEN_COLUMNS = ["event_id", "ts", "kind", "surface", "text", "until", "permission", "show_rationale"]
MAX_TEXT_IN_DETAIL = 160


@dataclass(frozen=True)
class Group:
    key: str
    zh: str
    en: str
    permissions: tuple[str, ...]
    keywords: tuple[str, ...]

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("|".join(re.escape(k) for k in self.keywords), re.IGNORECASE)


@functools.cache
def groups() -> dict[str, Group]:
    raw = load_resource("analysis", "data/permission_groups.yaml")
    return {key: Group(key, g["zh"], g["en"], tuple(PREFIX + p for p in g["permissions"]), tuple(g["keywords"]))
            for key, g in raw["groups"].items()}


@functools.cache
def group_of_permission() -> dict[str, str]:
    return {p: g.key for g in groups().values() for p in g.permissions}


@functools.cache
def cluster_of_group() -> dict[str, str]:
    """Group -> the first group of its related set (itself when it has none)."""
    raw = load_resource("analysis", "data/permission_groups.yaml")
    out = {key: key for key in groups()}
    for related in raw.get("related") or []:
        for key in related:
            out[key] = related[0]
    return out


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


# -- screen text -----------------------------------------------------------------------------

def _texts(d: dict[str, Any], value: Any) -> str:
    if isinstance(d.get("text"), str):
        return d["text"]
    if isinstance(d.get("texts"), list):
        return "\n".join(str(t) for t in d["texts"] if t is not None)
    return value if isinstance(value, str) else ""


def screen_texts(events: pd.DataFrame) -> pd.DataFrame:
    """Text surfaces the app showed (until: when each was closed, NaN if never seen closed) and the
    app's shouldShowRequestPermissionRationale checks, in time order."""
    ev = events.loc[events["kind"].isin((*SURFACE_KINDS, "dialog_closed", RATIONALE_CHECK))]
    if ev.empty:
        return _empty(SCREEN_COLUMNS).astype({"ts": "float64", "until": "float64"})
    data = ev["data"].map(lambda d: d if isinstance(d, dict) else {})
    surface = data.map(lambda d: d.get("surface"))
    klass = data.map(lambda d: d.get("dialog_class") or "")
    frame = pd.DataFrame({
        "event_id": ev["id"], "ts": ev["ts"].astype("float64"), "kind": ev["kind"],
        "surface": surface.where(surface.notna(), ev["kind"].map({"toast_shown": "toast"})),
        "text": [_texts(d, v) for d, v in zip(data, ev["value"])], "klass": klass,
        "duration_ms": data.map(lambda d: d.get("duration")),
        "permission": data.map(lambda d: d.get("permission")),
        "show_rationale": data.map(lambda d: d.get("show_rationale")),
    }).sort_values(["ts", "event_id"])
    shown = frame.loc[frame["kind"].eq("dialog_shown")]
    closed = frame.loc[frame["kind"].eq("dialog_closed"), ["ts", "surface", "klass"]].rename(columns={"ts": "until"})
    # A surface is open until the next close of a surface of its kind and class.
    if not shown.empty and not closed.empty:
        shown = pd.merge_asof(shown.drop(columns=["duration_ms"]), closed.sort_values("until"), left_on="ts",
                              right_on="until", by=["surface", "klass"], direction="forward")
    else:
        shown = shown.drop(columns=["duration_ms"]).assign(until=np.nan)
    toasts = frame.loc[frame["kind"].eq("toast_shown")]
    toasts = toasts.drop(columns=["duration_ms"]).assign(
        until=toasts["ts"] + toasts["duration_ms"].map(lambda v: TOAST_MS.get(v, v) if v is not None else 2000)
        .astype("float64") / 1000.0)
    checks = frame.loc[frame["kind"].eq(RATIONALE_CHECK)].drop(columns=["duration_ms"]).assign(until=np.nan)
    out = pd.concat([shown, toasts, checks], ignore_index=True)
    return out.reindex(columns=SCREEN_COLUMNS).sort_values(["ts", "event_id"], ignore_index=True)


def names_group(texts: pd.Series) -> pd.DataFrame:
    """(index of `texts`, group) for every group a text names by one of its keywords."""
    texts = texts.fillna("").astype("str")
    parts = []
    for key, g in groups().items():        # one vectorised match per group
        hit = texts.str.contains(g.pattern, regex=True).to_numpy()
        if hit.any():
            parts.append(pd.DataFrame({"row": texts.index[hit], "group": key}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"row": [], "group": []})


def _requests(perms: pd.DataFrame) -> pd.DataFrame:
    req = perms.loc[perms["kind"].eq("request")]
    return req.assign(group=req["permission"].map(group_of_permission()))


def _rows(frame: pd.DataFrame, columns: list[str], **extra: Any) -> pd.DataFrame:
    return frame.assign(stream="event", host=pd.NA, **extra).reindex(columns=columns)


# -- 1. purpose not stated ---------------------------------------------------------------------

def rationale_surfaces(screen: pd.DataFrame, consent: ConsentDecision) -> pd.DataFrame:
    """Text surfaces that can tell a purpose: shown ones, without the consent dialog(s) (those the
    consent decision names, and the first privacy notice however consent was decided)."""
    notice = set(consent.event_ids) | set(consent.declined_event_ids)
    first_notice = screen["kind"].eq("dialog_shown") & screen["ts"].eq(consent.dialog_shown_ts)
    return screen.loc[screen["kind"].isin(SURFACE_KINDS) & ~screen["event_id"].isin(notice) & ~first_notice]


def explained(requests: pd.DataFrame, screen: pd.DataFrame, consent: ConsentDecision, window_s: float) -> pd.Series:
    """Per request row: the id of a surface on screen within `window_s` before it (shown then, or
    shown earlier and still up then) that names the permission's group; NA when there is none."""
    out = pd.Series(pd.NA, index=requests.index, dtype="Int64")
    surfaces = rationale_surfaces(screen, consent)
    if requests.empty or surfaces.empty:
        return out
    named = names_group(surfaces["text"])
    if named.empty:
        return out
    cand = named.merge(surfaces[["ts", "until", "event_id"]], left_on="row", right_index=True)
    pairs = (requests[["ts", "group"]].reset_index(names="req")
             .merge(cand.rename(columns={"ts": "shown_ts"}), on="group"))
    start = pairs["ts"] - window_s
    up = pairs["shown_ts"].le(pairs["ts"]) & (pairs["shown_ts"].ge(start) | pairs["until"].ge(start))
    hit = pairs.loc[up].sort_values("shown_ts").groupby("req")["event_id"].last()
    out.loc[hit.index] = hit.astype("int64").to_numpy()
    return out


def purpose_not_stated(perms: pd.DataFrame, screen: pd.DataFrame, consent: ConsentDecision, *, window_s: float,
                       columns: list[str]) -> pd.DataFrame:
    req = _requests(perms)
    if req.empty:
        return _empty(columns)
    bad = req.loc[explained(req, screen, consent, window_s).isna()]
    rows = _rows(bad, columns)
    # The app's own shouldShowRequestPermissionRationale check of that permission in the window:
    # the app knew it could explain itself (or was told it need not) and asked anyway.
    checks = screen.loc[screen["kind"].eq(RATIONALE_CHECK), ["event_id", "ts", "permission"]]
    if checks.empty or bad.empty:
        return rows
    pairs = bad[["ts", "permission", "pii_type", "sdk"]].merge(
        checks.rename(columns={"ts": "check_ts", "event_id": "check_id"}), on="permission")
    pairs = pairs.loc[pairs["check_ts"].le(pairs["ts"]) & pairs["check_ts"].ge(pairs["ts"] - window_s)]
    context = pairs.assign(event_id=pairs["check_id"], ts=pairs["check_ts"], context=True)
    return pd.concat([rows, _rows(context, columns)], ignore_index=True)


def purpose_detail(keys: dict[str, Any], perms: pd.DataFrame, screen: pd.DataFrame, consent: ConsentDecision,
                   window_s: float) -> dict[str, Any]:
    """What was on screen in the window before each request of the finding (texts, shortened)."""
    req = _requests(perms)
    for k in ("pii_type", "sdk"):
        if k in keys:
            req = req.loc[req[k].eq(keys[k])] if keys[k] is not None else req.loc[req[k].isna()]
    req = req.loc[explained(req, screen, consent, window_s).isna()]
    surfaces = rationale_surfaces(screen, consent)
    checks = screen.loc[screen["kind"].eq(RATIONALE_CHECK)]
    out = []
    for event_id, part in req.groupby("event_id", sort=True):
        ts = float(part["ts"].iloc[0])
        near = surfaces.loc[surfaces["ts"].le(ts) & (surfaces["ts"].ge(ts - window_s) | surfaces["until"].ge(ts - window_s))]
        seen = checks.loc[checks["ts"].between(ts - window_s, ts) & checks["permission"].isin(part["permission"])]
        out.append({
            "request_event_id": int(event_id),
            "permissions": sorted(part["permission"].tolist()),
            "groups": sorted(set(part["group"].dropna())),
            "texts_on_screen": [str(t)[:MAX_TEXT_IN_DETAIL] for t in near["text"]],
            "rationale_checks": [{"event_id": int(r.event_id), "permission": r.permission,
                                  "show_rationale": r.show_rationale} for r in seen.itertuples()],
        })
    return {"window_s": window_s, "requests": out}


# -- 2. bundled requests ----------------------------------------------------------------------

def bundled_requests(perms: pd.DataFrame, *, min_groups: int, columns: list[str]) -> pd.DataFrame:
    req = _requests(perms)
    if req.empty:
        return _empty(columns)
    clusters = req["group"].map(cluster_of_group())
    n = clusters.groupby(req["event_id"]).transform("nunique")
    return _rows(req.loc[n.ge(min_groups)], columns)


def bundle_detail(keys: dict[str, Any], perms: pd.DataFrame, min_groups: int) -> dict[str, Any]:
    req = _requests(perms)
    if "sdk" in keys:
        req = req.loc[req["sdk"].eq(keys["sdk"])] if keys["sdk"] is not None else req.loc[req["sdk"].isna()]
    clusters = req["group"].map(cluster_of_group())
    req = req.loc[clusters.groupby(req["event_id"]).transform("nunique").ge(min_groups)]
    info = groups()
    calls = [{"request_event_id": int(eid), "permissions": part["permission"].tolist(),
              "groups": [f"{g} {info[g].zh} / {info[g].en}" for g in dict.fromkeys(part["group"].dropna())]}
             for eid, part in req.groupby("event_id", sort=True)]
    return {"calls": calls}


# -- 3. requests made by an SDK ---------------------------------------------------------------

def requested_by_sdk(perms: pd.DataFrame, *, columns: list[str]) -> pd.DataFrame:
    req = _requests(perms)
    return _rows(req.loc[req["sdk"].notna()], columns)


def sdk_frames(stack: Any, sdk: str) -> list[str]:
    """The frames of `stack` whose class belongs to `sdk` by the catalog's package prefixes."""
    if not isinstance(stack, str):
        return []
    return [f for f in stack.splitlines() if sdk_catalog.sdk_for_class(sdk_catalog.frame_class(f)) == sdk]


def sdk_detail(keys: dict[str, Any], perms: pd.DataFrame) -> dict[str, Any]:
    sdk = keys.get("sdk")
    req = _requests(perms)
    req = req.loc[req["sdk"].eq(sdk)]
    calls = [{"request_event_id": int(eid), "permissions": part["permission"].tolist(),
              "api": part["api"].iloc[0] if "api" in part else None,
              "sdk_frames": sdk_frames(part["stack"].iloc[0], sdk)[:10] if "stack" in part else []}
             for eid, part in req.groupby("event_id", sort=True)]
    return {"sdk_label": sdk_catalog.label(sdk), "calls": calls}


# -- 4. asked again after a denial --------------------------------------------------------------

def _reasks(perms: pd.DataFrame, interval_s: float) -> pd.DataFrame:
    """Requests whose permission's latest answer before them was a denial within `interval_s`,
    with that denial (`denial_id`, `denial_ts`), the seconds since it and the n-th re-ask."""
    req = perms.loc[perms["kind"].eq("request")].sort_values("ts")
    answers = perms.loc[perms["kind"].eq("result") & perms["granted"].notna(), ["ts", "permission", "granted", "event_id"]]
    if req.empty or answers.empty:
        return req.iloc[0:0].assign(denial_id=pd.Series(dtype="Int64"), denial_ts=pd.Series(dtype="float64"),
                                    after_s=pd.Series(dtype="float64"), nth=pd.Series(dtype="int64"))
    latest = pd.merge_asof(
        req, answers.rename(columns={"ts": "denial_ts", "event_id": "denial_id", "granted": "answer"}).sort_values("denial_ts"),
        left_on="ts", right_on="denial_ts", by="permission", direction="backward", allow_exact_matches=False)
    after = latest["ts"] - latest["denial_ts"]
    again = latest.loc[latest["answer"].eq(False) & after.le(interval_s)].assign(after_s=after)
    again = again.assign(nth=again.groupby(["permission", "denial_id"]).cumcount() + 1)
    return again


def asked_again_after_denial(perms: pd.DataFrame, *, interval_s: float, max_repeats: int,
                             columns: list[str]) -> pd.DataFrame:
    again = _reasks(perms, interval_s)
    again = again.loc[again["nth"].gt(max_repeats)]
    if again.empty:
        return _empty(columns)
    denials = again.assign(event_id=again["denial_id"], ts=again["denial_ts"], context=True)
    return pd.concat([_rows(again, columns), _rows(denials, columns)], ignore_index=True)


def reask_detail(keys: dict[str, Any], perms: pd.DataFrame, interval_s: float, max_repeats: int) -> dict[str, Any]:
    again = _reasks(perms, interval_s)
    for k in ("pii_type", "sdk"):
        if k in keys:
            again = again.loc[again[k].eq(keys[k])] if keys[k] is not None else again.loc[again[k].isna()]
    again = again.loc[again["nth"].gt(max_repeats)]
    return {
        "interval_s": interval_s, "max_repeats": max_repeats,
        "reasks": [{"request_event_id": int(r.event_id), "permission": r.permission, "denial_event_id": int(r.denial_id),
                    "seconds_after_denial": round(float(r.after_s), 3), "nth_after_denial": int(r.nth)}
                   for r in again.sort_values("ts").itertuples()],
    }


# -- PERM-EARLY: what counts as using a feature ------------------------------------------------

def feature_inputs(ui: pd.DataFrame, consent: ConsentDecision) -> pd.DataFrame:
    """Touches and clicks, without those that answered the consent dialog: the agree or decline tap
    itself and any touch or click while the privacy notice was up (from its showing to the answer)."""
    inputs = ui.loc[ui["kind"].isin(appstate.INPUT_KINDS)]
    own = set(consent.event_ids) | set(consent.declined_event_ids)
    keep = ~inputs["event_id"].isin(own)
    answered = [t for t in (consent.ts if consent.status == "accepted" else None, consent.declined_ts) if t is not None]
    if consent.dialog_shown_ts is not None and answered:
        keep &= ~inputs["ts"].between(consent.dialog_shown_ts, max(answered))
    return inputs.loc[keep]
