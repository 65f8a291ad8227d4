"""uiautomator's XML, as `uiautomator dump` writes it, read into a flat list of views.

Contract: `parse(text)` takes what `adb exec-out uiautomator dump /dev/tty` printed (the XML,
followed on a device by the line "UI hierchary dumped to: /dev/tty", sic) and returns a `Tree`:
every `<node>` in document order as a `Node` with its attributes, its bounds as four integers,
its depth and its parent's index. A dump that is not XML, or the device's "null root node" error,
raises `DumpError` with the device's words. Nothing here talks to a device.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

BOUNDS = re.compile(r"^\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]$")
TRAILER = re.compile(r"UI hier\w* dumped to:.*$", re.DOTALL)


class DumpError(Exception):
    """A dump that holds no view hierarchy (one line: what the device said)."""


@dataclass(frozen=True)
class Node:
    index: int                   # position in document order
    parent: int | None
    depth: int
    text: str
    desc: str                    # content-desc
    resource_id: str
    cls: str
    package: str
    bounds: tuple[int, int, int, int]
    clickable: bool
    checkable: bool
    checked: bool
    enabled: bool
    scrollable: bool

    @property
    def label(self) -> str:
        """What a user reads on it: its text, else its content description."""
        return self.text.strip() or self.desc.strip()

    @property
    def centre(self) -> tuple[int, int]:
        x1, y1, x2, y2 = self.bounds
        return (x1 + x2) // 2, (y1 + y2) // 2

    @property
    def width(self) -> int:
        return self.bounds[2] - self.bounds[0]

    @property
    def height(self) -> int:
        return self.bounds[3] - self.bounds[1]

    @property
    def area(self) -> int:
        return max(self.width, 0) * max(self.height, 0)

    def contains(self, other: "Node") -> bool:
        a, b = self.bounds, other.bounds
        return a[0] <= b[0] and a[1] <= b[1] and a[2] >= b[2] and a[3] >= b[3]

    def describe(self) -> dict:
        """The facts a ui_actions row keeps about a view."""
        x1, y1, x2, y2 = self.bounds
        return {"text": self.label or None, "class": self.cls or None, "resource_id": self.resource_id or None,
                "bounds": f"[{x1},{y1}][{x2},{y2}]"}


@dataclass
class Tree:
    nodes: list[Node]
    rotation: int = 0
    _children: dict[int, list[int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for n in self.nodes:
            if n.parent is not None:
                self._children.setdefault(n.parent, []).append(n.index)

    def children(self, node: Node) -> list[Node]:
        return [self.nodes[i] for i in self._children.get(node.index, ())]

    def descendants(self, node: Node) -> list[Node]:
        out, stack = [], list(reversed(self._children.get(node.index, ())))
        while stack:
            i = stack.pop()
            out.append(self.nodes[i])
            stack.extend(reversed(self._children.get(i, ())))
        return out

    def ancestors(self, node: Node) -> list[Node]:
        out, i = [], node.parent
        while i is not None:
            out.append(self.nodes[i])
            i = self.nodes[i].parent
        return out

    def clickable_of(self, node: Node) -> Node | None:
        """The view a tap on `node` reaches: itself when clickable, else its nearest clickable
        ancestor (a label inside a clickable row), else None."""
        for n in (node, *self.ancestors(node)):
            if n.clickable and n.enabled:
                return n
        return None

    def texts(self, within: Node | None = None) -> list[str]:
        nodes = self.nodes if within is None else [within, *self.descendants(within)]
        return [n.label for n in nodes if n.label]

    def packages(self) -> set[str]:
        return {n.package for n in self.nodes if n.package}

    def signature(self) -> tuple:
        """What identifies this screen for the explorer: its views' classes, labels and places."""
        return tuple((n.cls, n.label, n.bounds) for n in self.nodes)

    @property
    def size(self) -> tuple[int, int]:
        if not self.nodes:
            return 0, 0
        return self.nodes[0].bounds[2], self.nodes[0].bounds[3]


def _bool(value: str | None) -> bool:
    return value == "true"


def parse(text: str | bytes) -> Tree:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    body = TRAILER.sub("", text).strip()
    if not body.startswith("<"):
        first = (body or text).strip().splitlines()
        raise DumpError(f"uiautomator gave no view hierarchy: {first[0] if first else 'nothing'}")
    try:
        root = ET.fromstring(body.encode("utf-8"))
    except ET.ParseError as e:
        raise DumpError(f"uiautomator's dump is not well-formed XML ({e})") from None
    if root.tag != "hierarchy":
        raise DumpError(f"uiautomator's dump has <{root.tag}> where <hierarchy> was expected")
    nodes: list[Node] = []

    def walk(element: ET.Element, parent: int | None, depth: int) -> None:
        for child in element:
            if child.tag != "node":
                continue
            m = BOUNDS.match(child.get("bounds", ""))
            bounds = tuple(int(v) for v in m.groups()) if m else (0, 0, 0, 0)
            index = len(nodes)
            nodes.append(Node(
                index=index, parent=parent, depth=depth, text=child.get("text", ""), desc=child.get("content-desc", ""),
                resource_id=child.get("resource-id", ""), cls=child.get("class", ""), package=child.get("package", ""),
                bounds=bounds,  # type: ignore[arg-type]
                clickable=_bool(child.get("clickable")), checkable=_bool(child.get("checkable")),
                checked=_bool(child.get("checked")), enabled=child.get("enabled", "true") != "false",
                scrollable=_bool(child.get("scrollable")),
            ))
            walk(child, index, depth + 1)

    walk(root, None, 0)
    try:
        rotation = int(root.get("rotation", "0"))
    except ValueError:
        rotation = 0
    return Tree(nodes, rotation)
