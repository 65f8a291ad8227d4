"""The consent path by UI automation: find the privacy dialog, answer it, explore, photograph.

Contract: `run_consent_path(adb, store, session_dir, answer, ...)` drives the device's screen
through adb alone (`uiautomator dump`, `input`, `screencap`, optionally `screenrecord`) and
returns a `ConsentOutcome`. In order:

1. wait (up to `dialog_wait_s`) for the app's privacy dialog, answering runtime-permission
   prompts by `permissions` (allow | deny | leave) meanwhile;
2. at first sight: a screenshot (`dialog`) and a consent mark `shown`; a consent checkbox is
   noted (`consent_checkbox_noted`, never untapped; an unticked one is ticked only to accept);
3. `answer`: accept taps the accept button; decline taps the decline button, then on a second
   prompt its decline button (or, when it has none, the button that goes back, and declines
   the dialog again: at most `max_rounds` refusals); none taps nothing. Each tap has a
   screenshot before and after it; an accept or decline tap writes a consent mark (source
   `automation`, kind accepted | declined, time = when the tap was sent);
4. explore for `explore_s` seconds and at most `explore_actions` actions (commands.device.ui.explore);
5. a screenshot at the end; the recording (when `record_video`) stopped, pulled and kept.

`stop` (a threading.Event) ends the run between steps; the end screenshot is still taken.
Everything is written as it happens (ui_actions, screens/ and screens, consent_marks), so a run
stopped half way keeps what it did; the outcome itself (with its notes) is kept last in the
session's meta as `consent_automation`. A device error is a note in the outcome and an `errors`
row; the run ends early, never with a traceback.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from commands.device.adb import Adb
from commands.device.ui import finder, labels
from commands.device.ui.explore import explore
from commands.device.ui.finder import Button, Dialog
from commands.device.ui.hierarchy import Tree
from commands.device.ui.journal import COMPONENT, Journal
from commands.device.ui.recording import ScreenRecording
from commands.device.ui.screen import DeviceScreen, ScreenError
from piiaudit.store import SessionStore

ANSWERS = ("accept", "decline", "none")
META_KEY = "consent_automation"      # meta: the last run's ConsentOutcome (notes included)
PERMISSION_POLICIES = ("allow", "deny", "leave")


@dataclass
class ConsentOutcome:
    answer: str
    decision: str = "no_dialog"          # accepted | declined | unanswered | no_dialog | failed
    dialog_found: bool = False
    found_by: str | None = None          # text | position_row | position_stack
    dialog_text: str | None = None
    package: str | None = None
    consent_taps: list[dict[str, Any]] = field(default_factory=list)
    second_prompts: int = 0
    re_prompts: int = 0                  # the first dialog shown again after a refusal
    checkbox: str | None = None          # pre-ticked | unticked | None (no consent checkbox)
    permissions: list[dict[str, Any]] = field(default_factory=list)
    explore_actions: int = 0
    refused_unsafe: int = 0
    actions: int = 0
    screens: int = 0
    video: str | None = None
    left_app: bool = False
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line for the console."""
        how = f" (buttons found by {self.found_by})" if self.found_by else ""
        extra = []
        if self.second_prompts:
            extra.append(f"{self.second_prompts} second prompt(s)")
        if self.re_prompts:
            extra.append(f"dialog shown again {self.re_prompts}×")
        if self.checkbox:
            extra.append(f"consent checkbox {self.checkbox}")
        if self.refused_unsafe:
            extra.append(f"{self.refused_unsafe} unsafe tap(s) refused")
        tail = f"; {', '.join(extra)}" if extra else ""
        return (f"consent by UI automation: asked to {self.answer}, result {self.decision}{how}; "
                f"{self.actions} actions, {self.screens} screenshots{tail}")


def left(tree: Tree, package: str | None) -> bool:
    """The app is gone from the screen: another app's window (a launcher), not a system prompt over it."""
    if not package:
        return False
    packages = tree.packages()
    system = set(labels.table()["system_packages"]) | set(labels.table()["permission_packages"])
    return package not in packages and bool(packages - system)


class _Run:
    def __init__(self, journal: Journal, outcome: ConsentOutcome, *, permissions: str, poll_s: float,
                 stop: threading.Event, monotonic: Callable[[], float], follow_s: float = 3.0):
        self.j = journal
        self.follow_s = follow_s
        self.out = outcome
        self.policy = permissions
        self.poll_s = poll_s
        self.stop = stop
        self.monotonic = monotonic
        self._left_prompt: tuple | None = None

    def dump(self) -> Tree:
        return self.j.screen.dump()

    # -- runtime permission prompts ---------------------------------------------------
    def answer_permission(self, tree: Tree) -> bool:
        """Answer a permission prompt on screen by the policy; True when a tap was made."""
        prompt = finder.find_permission_prompt(tree)
        if prompt is None:
            self._left_prompt = None
            return False
        note = prompt.message or "runtime permission prompt"
        request = self.j.hook_event("permission_request")
        if self.policy == "leave":
            sig = (prompt.message, tuple(sorted(prompt.buttons)))
            if sig != self._left_prompt:
                self._left_prompt = sig
                self.j.capture("permission_prompt", note=f"{note} (left unanswered)", event_id=request)
                self.out.permissions.append({"message": prompt.message, "answer": "leave"})
            return False
        button = prompt.buttons.get(self.policy)
        if button is None:
            self.j.note(f"a permission prompt had no {self.policy} button ({note}); left unanswered")
            self.j.capture("permission_prompt", note=note, event_id=request)
            self.out.permissions.append({"message": prompt.message, "answer": "leave"})
            self.policy = "leave"   # nothing else to do with it
            return False
        self.j.tap(button, f"permission_{self.policy}", tree=tree, before="permission_prompt", before_note=note,
                   before_event=request, detail={"message": prompt.message, "package": prompt.package, **button.describe()})
        self.out.permissions.append({"message": prompt.message, "answer": self.policy})
        return True

    def follow_prompts(self, limit: int = 6) -> None:
        """Permission prompts that follow the answer (apps ask right after consent), by the policy."""
        for _ in range(limit):
            if self.stop.is_set() or not self.answer_permission(self.dump()):
                return

    # -- the consent dialog ----------------------------------------------------------------
    def wait_for_dialog(self, wait_s: float) -> tuple[Dialog, Tree] | None:
        until = self.monotonic() + wait_s
        unreadable: str | None = None
        while not self.stop.is_set():
            try:
                tree = self.dump()
            except ScreenError as e:
                # the app not started yet, the screen locked or changing: tried again until the wait ends
                if self.monotonic() >= until:
                    raise
                unreadable = str(e)
                self.j.sleep(self.poll_s)
                continue
            if self.answer_permission(tree):
                continue
            dialog = finder.find_dialog(tree)
            if dialog is not None:
                return dialog, tree
            if self.monotonic() >= until:
                seen = f" (earlier: {unreadable})" if unreadable else ""
                self.j.note(f"no privacy dialog seen within {wait_s:.0f} s / {wait_s:.0f} 秒内未见隐私弹窗{seen}")
                return None
            self.j.sleep(self.poll_s)
        return None

    def next_dialog(self, first: tuple[str, ...], declined: bool, wait_s: float) -> tuple[Dialog | None, Tree]:
        """The dialog after a tap: a second prompt, the first dialog again, or none. After a refusal
        apps take a moment to ask again, so the screen is read until `wait_s` has passed (or the
        app has left)."""
        until = self.monotonic() + wait_s
        while True:
            tree = self.dump()
            following = finder.find_dialog(tree, after_refusal=declined, first_texts=first)
            if following is not None or self.monotonic() >= until or self.stop.is_set() or left(tree, self.out.package):
                return following, tree
            self.j.sleep(self.poll_s)

    def first_sight(self, dialog: Dialog, tree: Tree) -> None:
        ts = self.j.clock()
        self.out.dialog_found = True
        self.out.dialog_text = dialog.excerpt()
        self.out.package = self.out.package or dialog.container.package or None
        self.j.capture("dialog", note=dialog.excerpt(120))
        self.j.mark(ts, "shown", f"privacy dialog seen by the UI automation: {dialog.excerpt(120)}")
        box = dialog.checkbox
        if box is not None:
            self.out.checkbox = "pre-ticked" if box.checked else "unticked"
            self.j.act("none", "consent_checkbox_noted", node=box, tree=tree, detail={
                "checked": box.checked, "label": dialog.checkbox_label, **box.describe(),
                "note": ("ticked before the user did anything: noted, not untapped / 预先勾选：仅记录，未取消勾选"
                         if box.checked else "not ticked / 未勾选")})

    def tap_button(self, dialog: Dialog, button: Button, purpose: str, kind: str | None, tree: Tree) -> None:
        detail = {**button.detail(), "meaning": button.meaning, "dialog": dialog.kind,
                  "dialog_text": dialog.excerpt(), "answer": self.out.answer}
        aid, ts = self.j.tap(button.node, purpose, tree=tree, detail=detail, after=True)
        if kind == "accepted" or (kind == "declined" and self.out.decision != "accepted"):
            self.out.decision = kind
        if kind is not None:
            what = button.label or f"{button.how} ({button.meaning})"
            self.j.mark(ts, kind, f"{purpose}: tap on “{what}” ({dialog.kind})")
        if self.out.found_by is None or button.how != "text":
            self.out.found_by = button.how
        self.out.consent_taps.append({"action_id": aid, "ts": ts, "purpose": purpose, "meaning": button.meaning,
                                      "label": button.label, "found_by": button.how, "dialog": dialog.kind})

    def answer(self, dialog: Dialog, tree: Tree, answer: str, max_rounds: int) -> None:
        if answer == "none":
            self.out.decision = "unanswered"
            return
        first = dialog.signature()
        declined = accepted = False
        if answer == "accept" and dialog.checkbox is not None and not dialog.checkbox.checked:
            self.j.tap(dialog.checkbox, "consent_accept", tree=tree, after=False, detail={
                **dialog.checkbox.describe(), "step": "the consent checkbox ticked before accepting / 同意前勾选"})
        refusals = 0
        for _ in range(max_rounds * 2 + 1):
            if self.stop.is_set():
                break
            if dialog.kind == "privacy":
                want = "accept" if answer == "accept" else "decline"
                button = dialog.buttons.get(want)
                purpose, kind = f"consent_{want}", ("accepted" if want == "accept" else "declined")
            else:
                button = dialog.buttons.get("accept" if answer == "accept" else "decline")
                if button is None and answer == "decline":
                    button = dialog.buttons.get("continue")
                purpose = "consent_second_prompt"
                kind = None if button is None or button.meaning == "continue" else (
                    "accepted" if button.meaning == "accept" else "declined")
            if button is None:
                self.j.note(f"no button to {answer} on the {dialog.kind} dialog "
                            f"(labels seen: {', '.join(dialog.texts[:8])})")
                break
            self.tap_button(dialog, button, purpose, kind, tree)
            accepted = accepted or kind == "accepted"
            if kind == "declined":
                declined = True
                refusals += 1
            try:
                following, tree = self.next_dialog(first, declined, self.follow_s if kind != "accepted" else 0.0)
            except ScreenError as e:
                self.out.left_app = True
                self.j.note(f"the screen could not be read after the {kind or 'tap'}: the app has gone ({e})")
                break
            if following is None:
                if left(tree, self.out.package):
                    self.out.left_app = True
                    self.j.note(f"{self.out.package} left the screen after the {kind or 'tap'} "
                                f"/ 点击后应用已离开屏幕")
                break
            if following.kind == "second_prompt":
                self.out.second_prompts += 1
            elif declined and following.signature() == first and button.meaning != "continue":
                self.out.re_prompts += 1
            if refusals >= max_rounds and following.kind == "privacy":
                self.j.note(f"the app showed the privacy dialog again after {refusals} refusals; stopped declining "
                            f"/ 拒绝 {refusals} 次后应用仍再次弹出隐私弹窗")
                break
            if accepted and following.signature() == first:
                self.j.note("the privacy dialog stayed after the accept tap")
                break
            dialog = following
        if not (accepted or declined):
            self.out.decision = "unanswered"


def run_consent_path(adb: Adb, store: SessionStore | None, session_dir: Path | str, answer: str, *,
                     explore_s: float = 0.0, explore_actions: int = 40, permissions: str = "leave",
                     record_video: bool = False, stop: threading.Event | None = None,
                     package: str | None = None, dialog_wait_s: float = 20.0, settle_s: float = 1.0,
                     poll_s: float = 0.5, max_rounds: int = 2, follow_s: float = 3.0,
                     clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic,
                     sleep: Callable[[float], None] = time.sleep) -> ConsentOutcome:
    """Answer the app's privacy dialog by UI automation and record it in the session (module docstring).

    `store`: the session's SessionStore, or None to open `session_dir`. `package`: the app under
    test (else the dialog's package); the explorer leaves other apps alone. `follow_s`: how long
    to look for a second prompt after a refusal.
    """
    if answer not in ANSWERS:
        raise ValueError(f"answer must be one of {', '.join(ANSWERS)}, not {answer!r}")
    if permissions not in PERMISSION_POLICIES:
        raise ValueError(f"permissions must be one of {', '.join(PERMISSION_POLICIES)}, not {permissions!r}")
    store = store if store is not None else SessionStore(session_dir)
    stop = stop or threading.Event()
    journal = Journal(store, DeviceScreen(adb), settle_s=settle_s, clock=clock, sleep=sleep)
    outcome = ConsentOutcome(answer=answer, package=package)
    run = _Run(journal, outcome, permissions=permissions, poll_s=poll_s, stop=stop, monotonic=monotonic,
               follow_s=follow_s)

    recording, note = (None, None)
    if record_video:
        recording, note = ScreenRecording.start(adb, dialog_wait_s + explore_s + 30)
        if note:
            journal.note(note)
    try:
        found = run.wait_for_dialog(dialog_wait_s)
        if found is not None:
            dialog, tree = found
            run.first_sight(dialog, tree)
            run.answer(dialog, tree, answer, max_rounds)
        if not stop.is_set() and not outcome.left_app:
            run.follow_prompts()
        if explore_s > 0 and not stop.is_set() and not outcome.left_app:
            st = explore(journal, run.dump, run.answer_permission, package=outcome.package, seconds=explore_s,
                         max_actions=explore_actions, stop=stop, poll_s=poll_s, monotonic=monotonic)
            outcome.explore_actions = st.actions
            outcome.left_app = outcome.left_app or st.left_app
    except ScreenError as e:
        journal.note(f"the UI automation stopped: {e}")
        store.record_error(COMPONENT, f"UI automation stopped: {e}")
        if outcome.decision == "no_dialog" and not outcome.dialog_found:
            outcome.decision = "failed"
    journal.capture("end")
    if recording is not None:
        path, note = recording.stop()
        if note:
            journal.note(note)
        if path is not None:
            sid = store.add_screen(clock(), path, "recording", kind="mp4", note="screenrecord of the run")
            outcome.video = store.rows("SELECT file FROM screens WHERE id = ?", (sid,))[0]["file"]
            journal.counts.screens += 1
    c = journal.counts
    outcome.actions, outcome.screens, outcome.refused_unsafe = c.actions, c.screens, c.refused
    outcome.notes.extend(c.notes)
    try:
        store.set_meta(META_KEY, outcome.to_dict())
    except Exception as e:  # noqa: BLE001 - the outcome is returned all the same
        outcome.notes.append(f"the outcome was not stored in the session: {e}")
    return outcome
