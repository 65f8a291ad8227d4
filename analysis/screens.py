"""The UI automation's actions and captures as evidence: the consent path, who gave consent, the screen of a moment.

Read from the session's `ui_actions` and `screens` tables (session schema 6; written by the
consent driver, commands/device/ui, with the files in `screens/`):

- `steps(session)`: the automation's run in order, one step per action (a tap, back, swipe,
  or a tap it refused) with the captures taken for it (`screens.action_id`), and one step per
  capture taken for no action (the dialog first seen, a permission prompt, the end, the
  screen recording). `consent_path=True` keeps the consent path: the consent and permission
  answers (`PATH_PURPOSES`) and the captures of dialogs and permission prompts (`PATH_CAUSES`).
- `consent_given(consent, session)`: how the decision the analysis took (analysis.consent) was
  given. `by` is ``automation`` when the automation's answer of the same kind (consent_accept
  for an agreement, consent_decline for a refusal) was sent from `TAP_BEFORE_S` before to
  `TAP_AFTER_S` after the decision's moment (the hooks see the tap after the automation sends
  it; the host clock and the device clock's mapping differ by a little), or when the decision
  rests on a consent mark the automation wrote; ``tester`` when it rests on the tester (a mark,
  or a time given to analyze); ``hook`` when only the hooks saw it (a tap on the device by
  whoever held it, the runner's mark, a consent flag written); None when nothing was decided.
  With it: the automation's consent actions and the captures of the consent path.
- `of_moments(session, times)`: the captures whose moment holds one of `times`: a capture
  shows the screen of [its time - `MOMENT_S`, its time + `MOMENT_S`]; nearest first, each with
  `offset_s`, its time less the nearest of `times`.

A capture is linked to or shown only when its `file` is a name the automation writes
(piiaudit.sessiondir.is_screen_name: `screens/0003-before_tap.png`) and that file is there
as a regular file: a name in session.db never leads a report out of the session's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from piiaudit import sessiondir
from piiaudit.times import iso_one

CONSENT_PURPOSES = ("consent_accept", "consent_decline", "consent_second_prompt", "consent_checkbox_noted")
PATH_PURPOSES = (*CONSENT_PURPOSES, "permission_allow", "permission_deny")
PATH_CAUSES = ("dialog", "permission_prompt")
ANSWER = {"accepted": "consent_accept", "declined": "consent_decline"}
BY = ("automation", "hook", "tester")
TAP_BEFORE_S = 10.0
TAP_AFTER_S = 1.0
MOMENT_S = 3.0
MAX_PER_MOMENT = 3


def _frame(session: Any, name: str) -> pd.DataFrame:
    frame = getattr(session, name, None)
    return frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(columns=["id", "ts"])


def _scalar(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def capture(row: dict[str, Any], session_dir: Path) -> dict[str, Any]:
    """One `screens` row as the reports use it: `present` when its file is a capture's name and a regular file."""
    rec = {k: _scalar(v) for k, v in row.items()}
    name = rec.get("file")
    path = Path(session_dir) / name if isinstance(name, str) and sessiondir.is_screen_name(name) else None
    rec["present"] = bool(path is not None and path.is_file() and not path.is_symlink()
                          and not path.parent.is_symlink())
    rec["safe"] = path is not None
    return rec


def captures(session: Any) -> list[dict[str, Any]]:
    """Every capture, in time order (see `capture`)."""
    return [capture(r, session.dir) for r in _frame(session, "screens").to_dict("records")]


def steps(session: Any, *, consent_path: bool = False) -> list[dict[str, Any]]:
    """The automation's run in order (see the module): {"n", "ts", "action" (a ui_actions row or None), "screens"}."""
    actions = _frame(session, "ui_actions")
    shots = captures(session)
    ids = set(actions["id"].dropna().astype(int).tolist()) if not actions.empty else set()
    by_action: dict[int, list[dict[str, Any]]] = {}
    loose = []
    for s in shots:
        aid = s.get("action_id")
        if aid is not None and int(aid) in ids:
            by_action.setdefault(int(aid), []).append(s)
        else:
            loose.append(s)
    out = [{"ts": float(a["ts"]), "action": {k: _scalar(v) for k, v in a.items()},
            "screens": by_action.get(int(a["id"]), [])} for a in actions.to_dict("records")]
    out += [{"ts": float(s["ts"]), "action": None, "screens": [s]} for s in loose]
    out.sort(key=lambda st: (st["ts"], st["action"] is None))
    if consent_path:
        out = [st for st in out if (st["action"] or {}).get("purpose") in PATH_PURPOSES
               or (st["action"] is None and st["screens"][0].get("cause") in PATH_CAUSES)]
    for n, st in enumerate(out, 1):
        st["n"] = n
    return out


def consent_given(consent: Any, session: Any) -> dict[str, Any]:
    """{"by", "ui_action_ids", "screens"}: how the decision was given, and the consent path's captures."""
    actions = _frame(session, "ui_actions")
    marks = _frame(session, "marks")
    status = getattr(consent, "status", "none")
    by = None
    if status in ANSWER:
        moment = consent.ts if status == "accepted" else consent.declined_ts
        mark_ids = consent.mark_ids if status == "accepted" else consent.declined_mark_ids
        sources = marks.loc[marks["id"].isin(list(mark_ids)), "source"] if "source" in marks else pd.Series(dtype=str)
        tapped = (not actions.empty and moment is not None and bool(
            (actions["purpose"].eq(ANSWER[status])
             & actions["ts"].between(moment - TAP_BEFORE_S, moment + TAP_AFTER_S)).any()))
        if tapped or sources.eq("automation").any():
            by = "automation"
        elif consent.source in ("tester", "analyze") or (~sources.isin(["automation", "hook"])).any():
            by = "tester"
        else:
            by = "hook"
    consent_actions = (actions.loc[actions["purpose"].isin(CONSENT_PURPOSES)] if not actions.empty else actions)
    action_ids = sorted(int(i) for i in consent_actions["id"].dropna())
    shots = [s for s in captures(session) if s["safe"] and (
        (s.get("action_id") is not None and int(s["action_id"]) in action_ids) or s.get("cause") == "dialog")]
    return {"by": by, "ui_action_ids": action_ids,
            "screens": [{"file": s["file"], "sha256": s.get("sha256"), "cause": s.get("cause"), "at": s["ts"],
                         "action_id": s.get("action_id")} for s in shots]}


def of_moments(session: Any, times: list[float] | np.ndarray, *, limit: int = MAX_PER_MOMENT) -> list[dict[str, Any]]:
    """The PNG captures whose moment ([ts - MOMENT_S, ts + MOMENT_S]) holds one of `times`, nearest first."""
    frame = _frame(session, "screens")
    t = np.asarray([x for x in times if x is not None and not pd.isna(x)], dtype="float64")
    if frame.empty or t.size == 0:
        return []
    pngs = frame.loc[frame["kind"].eq("png")] if "kind" in frame else frame
    if pngs.empty:
        return []
    diff = pngs["ts"].to_numpy(dtype="float64")[:, None] - t[None, :]
    nearest = diff[np.arange(len(diff)), np.abs(diff).argmin(axis=1)]
    gap = np.abs(nearest)
    near = pngs.assign(_gap=gap, offset_s=nearest).loc[gap <= MOMENT_S].sort_values(["_gap", "ts", "id"]).head(limit)
    return [capture(r, session.dir) for r in near.drop(columns="_gap").to_dict("records")]


def caption(s: dict[str, Any], tz: Any, cause_label: Any) -> str:
    """'对话框 / dialog · 2026-… · screens/0001-dialog.png · sha256 …' for a capture."""
    return " · ".join(str(p) for p in (cause_label(s.get("cause")), iso_one(s.get("ts"), tz), s.get("file"),
                                       f"sha256 {s.get('sha256')}") if p)
