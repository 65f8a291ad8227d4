"""Finding, on one dumped screen, the privacy dialog, its buttons, its checkbox, and a system
permission prompt.

Contract:
- `find_dialog(tree)` -> `Dialog | None`: a window (or a view drawn as one) of the app whose
  texts name a privacy notice (labels.yaml `dialog_text`) or ask again after a refusal
  (`second_prompt_text`), with its buttons by meaning (accept / decline / continue); a screen
  whose texts mention privacy but that has no such button is not a dialog. Buttons are
  found by their text or content description first. When the dialog's buttons carry no text
  (images), they are found by position: of the lowest row of two or more clickable views in the
  dialog, the right one accepts and the left one declines (so Chinese apps lay out 不同意 | 同意);
  of two stacked ones, the upper accepts. `Button.how` says which rule found it.
- A consent checkbox: a checkable view whose label, or whose row's label, says it (我已阅读并同意
  ...), with whether it is ticked.
- `find_permission_prompt(tree)` -> `PermissionPrompt | None`: the system's runtime-permission
  window (labels.yaml `permission_packages`) with its allow and deny buttons by resource-id.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from commands.device.ui import labels
from commands.device.ui.hierarchy import Node, Tree

MAX_BUTTON_LABEL = {"cjk": 16, "latin": 32}   # longer texts are the notice's body, not a button
ROW_TOLERANCE = 24            # px: centres this close vertically are one row


@dataclass(frozen=True)
class Button:
    node: Node
    meaning: str              # accept | decline | continue
    how: str                  # text | position_row | position_stack
    label: str | None

    def detail(self) -> dict:
        d = {"matched_label": self.label, "found_by": self.how, **self.node.describe()}
        if self.how == "position_row":
            d["rule"] = ("buttons without text: in the dialog's lowest row the right one accepts and the left one "
                         "declines, as Chinese apps lay them out / 按钮无文字：按位置判断，右侧为同意，左侧为不同意")
        elif self.how == "position_stack":
            d["rule"] = ("buttons without text, stacked: the upper one accepts, the lower one declines / "
                         "按钮无文字且上下排列：上方为同意，下方为不同意")
        return d


@dataclass
class Dialog:
    kind: str                 # privacy | second_prompt
    container: Node
    texts: list[str]
    matched: str              # the dialog_text or second_prompt_text word that identified it
    buttons: dict[str, Button] = field(default_factory=dict)
    checkbox: Node | None = None
    checkbox_label: str | None = None

    def excerpt(self, limit: int = 200) -> str:
        text = " ".join(" ".join(self.texts).split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def signature(self) -> tuple[str, ...]:
        return tuple(self.texts)


@dataclass
class PermissionPrompt:
    package: str
    message: str | None
    buttons: dict[str, Node]          # allow | deny -> the first button of that kind on screen


def _system(node: Node) -> bool:
    t = labels.table()
    return node.package in t["system_packages"] or node.package in t["permission_packages"]


def _container(tree: Tree, node: Node) -> Node:
    """The smallest view around `node` that also holds a clickable view other than `node`'s own."""
    for anc in tree.ancestors(node):
        if any(d.clickable and d.index != node.index for d in tree.descendants(anc)):
            return anc
    return tree.nodes[0]


def find_dialog(tree: Tree, *, after_refusal: bool = False, first_texts: tuple[str, ...] | None = None) -> Dialog | None:
    """The consent dialog on screen, if any. `after_refusal`: the driver has declined once, so a
    dialog whose texts differ from the first dialog's (`first_texts`) is a second prompt."""
    t = labels.table()
    app = [n for n in tree.nodes if not _system(n)]
    if not app:
        return None
    candidates: list[tuple[int, Node, str, str]] = []
    for n in app:
        if not n.label:
            continue
        second = labels.says([n.label], t["second_prompt_text"])
        privacy = labels.says([n.label], t["dialog_text"])
        if second:
            candidates.append((0, n, "second_prompt", second))
        elif privacy:
            candidates.append((1, n, "privacy", privacy))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1].index))
    _, anchor, kind, matched = candidates[0]
    container = _container(tree, anchor)
    inside = [container, *tree.descendants(container)]
    texts = [n.label for n in inside if n.label]
    if kind == "privacy" and after_refusal and first_texts is not None and tuple(texts) != tuple(first_texts):
        kind = "second_prompt"
    dialog = Dialog(kind=kind, container=container, texts=texts, matched=matched)
    _checkbox(tree, dialog, inside)
    _buttons(tree, dialog, inside)
    # a screen that only mentions privacy (a 隐私设置 entry) asks nothing: no button answers it
    return dialog if dialog.buttons else None


def _checkbox(tree: Tree, dialog: Dialog, inside: list[Node]) -> None:
    words = labels.table()["checkbox_text"]
    for n in inside:
        if not n.checkable:
            continue
        near = [n, *tree.descendants(n)]
        if n.parent is not None:
            near += tree.children(tree.nodes[n.parent])
        said = labels.says([m.label for m in near if m.label], words)
        if said:
            dialog.checkbox = n
            dialog.checkbox_label = next((m.label for m in near if m.label and said.casefold() in m.label.casefold()),
                                         said)
            return


def _buttons(tree: Tree, dialog: Dialog, inside: list[Node]) -> None:
    # The checkbox's row (the box and the label beside it) holds no button.
    zone: set[int] = set()
    if dialog.checkbox is not None:
        box = dialog.checkbox
        row = tree.nodes[box.parent] if box.parent is not None and box.parent != dialog.container.index else box
        zone = {row.index, *(d.index for d in tree.descendants(row))}
    taken: set[int] = set()
    for n in inside:
        if not n.label or len(n.label) > MAX_BUTTON_LABEL["latin" if n.label.isascii() else "cjk"] or n.index in zone:
            continue
        target = tree.clickable_of(n)
        if target is None or target.checkable or target.index in zone or target.index == dialog.container.index:
            continue
        what = labels.meaning(n.label)
        if what is None or what in dialog.buttons or target.index in taken:
            continue
        dialog.buttons[what] = Button(target, what, "text", n.label)
        taken.add(target.index)
    if "accept" in dialog.buttons or "decline" in dialog.buttons:
        return
    # Buttons drawn as images: clickable views inside the dialog with nothing to read.
    plain = [n for n in inside if n.clickable and n.enabled and n.index != dialog.container.index
             and not n.checkable and not tree.texts(n) and n.area > 0]
    plain = [n for n in plain if not any(o.index != n.index and n.contains(o) and o in plain for o in plain)]
    if len(plain) < 2:
        return
    rows: list[list[Node]] = []
    for n in sorted(plain, key=lambda n: n.centre[1]):
        if rows and abs(rows[-1][0].centre[1] - n.centre[1]) <= ROW_TOLERANCE:
            rows[-1].append(n)
        else:
            rows.append([n])
    row = next((r for r in reversed(rows) if len(r) >= 2), None)
    if row is not None:
        row.sort(key=lambda n: n.centre[0])
        dialog.buttons["accept"] = Button(row[-1], "accept", "position_row", None)
        dialog.buttons["decline"] = Button(row[0], "decline", "position_row", None)
        return
    lower, upper = rows[-1][0], rows[-2][0]
    dialog.buttons["accept"] = Button(upper, "accept", "position_stack", None)
    dialog.buttons["decline"] = Button(lower, "decline", "position_stack", None)


def find_permission_prompt(tree: Tree) -> PermissionPrompt | None:
    t = labels.table()
    nodes = [n for n in tree.nodes if n.package in t["permission_packages"]]
    if not nodes:
        return None
    buttons: dict[str, Node] = {}
    for what, suffixes in t["permission_buttons"].items():
        for suffix in suffixes:
            hit = next((n for n in nodes if n.resource_id.endswith(":id/" + suffix)), None)
            if hit is not None:
                buttons[what] = hit
                break
    message = next((n.label for n in nodes if n.resource_id.endswith(":id/permission_message")), None)
    if not buttons:
        return None
    return PermissionPrompt(package=nodes[0].package, message=message, buttons=buttons)
