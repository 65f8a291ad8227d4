"""A bounded walk through the app after the consent path: taps, back, scroll; never a tap that pays.

Contract: `explore(journal, ctx, ...)` acts until its time (`seconds`) or its action budget
(`max_actions`) is spent, or `stop` is set. On each screen it taps the app's clickable views not
yet tapped there, in the order the screen lists them; a view whose text, description or
resource-id holds a word of the deny list (labels.yaml `unsafe`: pays, buys, sends a message,
calls) is never tapped: it is recorded once as `refused_unsafe`. When a screen has nothing left
to tap it is scrolled once (if it has a scrollable view), then left with back. The privacy dialog
is never answered here (the consent step did that, or was told not to); runtime-permission
prompts are answered by the policy (`answer_permission`). System windows are never explored.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Event

from commands.device.ui import finder, labels
from commands.device.ui.hierarchy import Node, Tree
from commands.device.ui.journal import Journal
from commands.device.ui.screen import ScreenError


@dataclass
class ExploreState:
    tapped: dict[tuple, set[tuple]] = field(default_factory=dict)   # screen -> views tapped there
    refused: set[tuple] = field(default_factory=set)                 # views refused (once each)
    scrolled: set[tuple] = field(default_factory=set)
    backs_in_a_row: int = 0
    actions: int = 0
    left_app: bool = False


def view_key(tree: Tree, node: Node) -> tuple:
    return node.cls, node.resource_id, node.label or " ".join(tree.texts(node))[:60], node.bounds


def screen_key(tree: Tree, package: str | None) -> tuple:
    return tuple(sorted((n.cls, n.resource_id, n.label) for n in tree.nodes
                        if n.clickable and (package is None or n.package == package)))


def _words(tree: Tree, node: Node) -> list[str]:
    return [*tree.texts(node), node.desc, node.resource_id]


def explore(journal: Journal, dump: Callable[[], Tree], answer_permission: Callable[[Tree], bool], *,
            package: str | None, seconds: float, max_actions: int, stop: Event, poll_s: float = 0.5,
            max_backs: int = 3, monotonic: Callable[[], float] = time.monotonic) -> ExploreState:
    st = ExploreState()
    until = monotonic() + seconds
    system = set(labels.table()["system_packages"])
    while st.actions < max_actions and monotonic() < until and not stop.is_set():
        try:
            tree = dump()
        except ScreenError as e:
            journal.note(f"exploring stopped: {e}")
            break
        if answer_permission(tree):
            st.actions += 1
            continue
        if finder.find_permission_prompt(tree) is not None or finder.find_dialog(tree) is not None:
            journal.sleep(poll_s)        # a prompt left open, or the consent dialog: not ours to answer
            continue
        app = [n for n in tree.nodes if n.package not in system and (package is None or n.package == package)]
        if package is not None and not app and bool(tree.packages() - system):
            st.left_app = True
            journal.note(f"exploring stopped: {package} is no longer on screen")
            break
        key = screen_key(tree, package)
        done = st.tapped.setdefault(key, set())
        target = None
        for n in app:
            if not (n.clickable and n.enabled and n.area > 0):
                continue
            vk = view_key(tree, n)
            if vk in done:
                continue
            word = labels.unsafe_word(*_words(tree, n))
            if word is not None:
                done.add(vk)
                if vk not in st.refused:
                    st.refused.add(vk)
                    journal.act("none", "refused_unsafe", node=n, tree=tree,
                                detail={"unsafe_word": word, **n.describe(),
                                        "why": "never tapped: it may pay, send a message or call / 可能付款、发送信息或拨打电话，不点击"})
                continue
            target = n
            break
        if target is not None:
            done.add(view_key(tree, target))
            journal.tap(target, "explore", tree=tree, before="explore", detail=target.describe())
            st.actions += 1
            st.backs_in_a_row = 0
            continue
        scroller = next((n for n in app if n.scrollable and n.area > 0), None)
        if scroller is not None and key not in st.scrolled:
            st.scrolled.add(key)
            x1, y1, x2, y2 = scroller.bounds
            cx = (x1 + x2) // 2
            journal.swipe(cx, y1 + (y2 - y1) * 3 // 4, cx, y1 + (y2 - y1) // 4, node=scroller, tree=tree)
            st.actions += 1
            continue
        if st.backs_in_a_row >= max_backs:
            journal.note(f"exploring stopped: nothing left to tap after {max_backs} backs")
            break
        journal.back(detail={"why": "nothing left to tap on this screen"})
        st.backs_in_a_row += 1
        st.actions += 1
    return st
