"""What the UI automation did, written into the session as it happens.

Contract: `Journal(store, screen)` gives the driver four writes, each committed at once (a run
stopped at any moment keeps what was done):
- `tap(node_or_point, purpose, detail, capture=...)`: a screenshot before the tap (held, then
  written with the action's id), the tap sent, its `ui_actions` row (time = when it was sent),
  and for consent taps a screenshot after it;
- `act(action, purpose, ...)`: a row for a back, a swipe, a refused tap or a noted checkbox;
- `capture(cause, ...)`: a screenshot into `screens/` and its `screens` row;
- `mark(ts, kind, note)`: a `consent_marks` row with source `automation`.
A screenshot that fails is a note (and an `errors` row), never the end of the run.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from commands.device.ui.hierarchy import Node, Tree
from commands.device.ui.screen import DeviceScreen, ScreenError, png_size
from piiaudit.store import SessionStore

COMPONENT = "automation"


@dataclass
class Counts:
    actions: int = 0
    taps: int = 0
    screens: int = 0
    refused: int = 0
    marks: int = 0
    notes: list[str] = field(default_factory=list)


class Journal:
    def __init__(self, store: SessionStore, screen: DeviceScreen, *, settle_s: float = 1.0,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep):
        self.store = store
        self.screen = screen
        self.settle_s = settle_s
        self.clock = clock
        self.sleep = sleep
        self.counts = Counts()
        self._capture_failed = False

    def note(self, text: str) -> None:
        self.counts.notes.append(text)

    # -- screenshots -------------------------------------------------------------------
    def grab(self) -> tuple[float, bytes] | None:
        ts = self.clock()
        try:
            return ts, self.screen.screencap()
        except ScreenError as e:
            if not self._capture_failed:
                self.note(f"screenshots failed: {e}; the run went on without them")
                self._capture_failed = True
            self.store.record_error(COMPONENT, f"screencap failed: {e}")
            return None

    def keep(self, shot: tuple[float, bytes] | None, cause: str, *, action_id: int | None = None,
             note: str | None = None, event_id: int | None = None) -> int | None:
        if shot is None:
            return None
        ts, png = shot
        size = png_size(png) or (None, None)
        sid = self.store.add_screen(ts, png, cause, width=size[0], height=size[1], action_id=action_id, note=note,
                                    event_id=event_id)
        self.counts.screens += 1
        return sid

    def capture(self, cause: str, *, action_id: int | None = None, note: str | None = None,
                event_id: int | None = None) -> int | None:
        return self.keep(self.grab(), cause, action_id=action_id, note=note, event_id=event_id)

    def hook_event(self, kind: str, within_s: float = 15.0) -> int | None:
        """The latest hook event of `kind` in the last `within_s` seconds (the app's permission
        request a prompt answers), when the hooks are recording into the same session."""
        now = self.clock()
        row = self.store.conn.execute("SELECT id FROM events WHERE kind = ? AND ts BETWEEN ? AND ? "
                                      "ORDER BY ts DESC, id DESC LIMIT 1", (kind, now - within_s, now + 1)).fetchone()
        return None if row is None else int(row[0])

    # -- actions -----------------------------------------------------------------------
    def act(self, action: str, purpose: str, *, node: Node | None = None, tree: Tree | None = None,
            x: int | None = None, y: int | None = None, detail: dict[str, Any] | None = None,
            ts: float | None = None) -> int:
        text = cls = rid = None
        if node is not None:
            text = node.label or (next(iter(tree.texts(node)), None) if tree is not None else None) or None
            cls, rid = node.cls or None, node.resource_id or None
            if x is None:
                x, y = node.centre
        aid = self.store.add_ui_action(self.clock() if ts is None else ts, action, purpose, x=x, y=y,
                                       target_text=text, target_class=cls, target_id=rid, detail=detail)
        self.counts.actions += 1
        if purpose == "refused_unsafe":
            self.counts.refused += 1
        return aid

    def tap(self, node: Node, purpose: str, *, tree: Tree | None = None, detail: dict[str, Any] | None = None,
            before: str | None = "before_tap", before_note: str | None = None, before_event: int | None = None,
            after: bool = False) -> tuple[int, float]:
        """Tap `node`'s centre; (action id, time sent). `before`: the cause of the screenshot taken
        just before (None: none); `after`: a screenshot once the screen has settled."""
        shot = self.grab() if before else None
        x, y = node.centre
        ts = self.clock()
        self.screen.tap(x, y)
        aid = self.act("tap", purpose, node=node, tree=tree, x=x, y=y, detail=detail, ts=ts)
        self.counts.taps += 1
        if before:
            self.keep(shot, before, action_id=aid, note=before_note, event_id=before_event)
        self.sleep(self.settle_s)
        if after:
            self.capture("after_tap", action_id=aid)
        return aid, ts

    def back(self, purpose: str = "explore", detail: dict[str, Any] | None = None) -> int:
        ts = self.clock()
        self.screen.back()
        aid = self.act("back", purpose, detail=detail, ts=ts)
        self.sleep(self.settle_s)
        return aid

    def swipe(self, x1: int, y1: int, x2: int, y2: int, *, node: Node | None = None, tree: Tree | None = None,
              purpose: str = "explore", detail: dict[str, Any] | None = None) -> int:
        ts = self.clock()
        self.screen.swipe(x1, y1, x2, y2, 300)
        aid = self.act("swipe", purpose, node=node, tree=tree, x=x1, y=y1,
                       detail={**(detail or {}), "to": [x2, y2], "ms": 300}, ts=ts)
        self.sleep(self.settle_s)
        return aid

    # -- consent marks -------------------------------------------------------------------
    def mark(self, ts: float, kind: str, note: str) -> None:
        self.store.add_consent_mark(ts, kind=kind, source="automation", note=note)
        self.counts.marks += 1
