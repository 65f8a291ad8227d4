"""The screen provider "script": fixed view hierarchies that change on taps, back and swipes.

The device state names it as `state["screen"] = {"provider": "script", "path": SCRIPT}`. SCRIPT
is a JSON file (JSON, not YAML: the double runs without site-packages):

    {"start": "splash",
     "screens": {
       "splash": {"xml": "splash.xml", "after": {"s": 1.0, "go": "dialog"}},
       "dialog": {"xml": "dialog_cn.xml", "taps": {"同意": "home", "不同意": "second"}, "back": "dialog"},
       "home":   {"xml": "home.xml", "taps": {"我的": "mine"}, "swipe": "home_scrolled"}}}

- `xml`: a uiautomator dump (as `uiautomator dump` writes it), relative to SCRIPT's folder;
- `taps`: what a tap on a view leads to. The view hit is the last clickable, enabled view in the
  dump whose bounds hold the point (the one drawn on top, as Android's hit test finds it); a key
  matches its text, content-desc, resource-id, bounds string ("[x1,y1][x2,y2]") or a text inside
  it. A tap on a checkable view toggles its `checked`. A tap that matches nothing changes nothing;
- `back`, `swipe`: the screen the back key or any swipe leads to (absent: stays);
- `after`: {"s": seconds, "go": screen}: the screen changes by itself after that long;
- `"window": false`: no window to read (the app has exited and nothing is drawn, as the
  stand-in's screen after its process ends): dumps and screenshots fail as a device's do.

What happened is kept in the spec (so in the device state, for a test to read): `current`,
`since` (when it was entered), `checked` (bounds -> toggled state) and `log`, one entry per
operation: {"op", "x", "y", "hit", "from", "to"}.
`screencap` draws the current hierarchy as a PNG of the screen's size (views as boxes, buttons
filled, texts as bars): real PNG bytes, different for each screen.
"""
from __future__ import annotations

import json
import os
import re
import struct
import time
import xml.etree.ElementTree as ET
import zlib

if __package__:
    from . import screen as _screen
else:  # loaded beside the adb script, which puts this folder on the path
    import screen as _screen

BOUNDS = re.compile(r"^\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]$")
NODE_TAG = re.compile(r"<node\b[^>]*>")


class ScriptScreen:
    def __init__(self, spec: dict):
        self.spec = spec
        path = spec.get("path")
        if not path or not os.path.isfile(path):
            raise _screen.ScreenError(f"the scripted screen's file is missing: {path}")
        self.base = os.path.dirname(os.path.abspath(path))
        with open(path, encoding="utf-8") as f:
            self.script = json.load(f)
        spec.setdefault("current", self.script["start"])
        spec.setdefault("since", time.time())
        spec.setdefault("checked", {})
        spec.setdefault("log", [])
        self._advance()

    # -- the current screen --------------------------------------------------------------
    def _screen(self) -> dict:
        name = self.spec["current"]
        try:
            return self.script["screens"][name]
        except KeyError:
            raise _screen.ScreenError(f"the scripted screen names no screen {name!r}") from None

    def _go(self, name: str | None) -> None:
        if name and name != self.spec["current"]:
            if name not in self.script["screens"]:
                raise _screen.ScreenError(f"the scripted screen names no screen {name!r}")
            self.spec["current"] = name
            self.spec["since"] = time.time()

    def _advance(self) -> None:
        for _ in range(10):
            after = self._screen().get("after")
            if not after or time.time() - self.spec["since"] < float(after["s"]):
                return
            self.spec["since"] += float(after["s"])
            self.spec["current"] = after["go"]

    def _xml(self) -> str:
        if self._screen().get("window") is False:
            raise _screen.ScreenError(_screen.NO_WINDOW)
        with open(os.path.join(self.base, self._screen()["xml"]), encoding="utf-8") as f:
            xml = f.read()
        checked = self.spec["checked"]
        if not checked:
            return xml

        def flip(m: re.Match) -> str:
            tag = m.group(0)
            b = re.search(r'bounds="([^"]*)"', tag)
            if b and b.group(1) in checked:
                return re.sub(r'checked="(true|false)"', f'checked="{"true" if checked[b.group(1)] else "false"}"', tag)
            return tag
        return NODE_TAG.sub(flip, xml)

    def _nodes(self) -> list[ET.Element]:
        root = ET.fromstring(self._xml().encode("utf-8"))
        return list(root.iter("node"))

    def _log(self, op: str, before: str, **more) -> None:
        self.spec["log"].append({"op": op, "from": before, "to": self.spec["current"], "t": round(time.time(), 3),
                                 **more})

    # -- the Screen protocol -------------------------------------------------------------
    def dump(self) -> str:
        return self._xml()

    def tap(self, x: int, y: int) -> None:
        before = self.spec["current"]
        hit = None
        for node in self._nodes():
            b = _bounds(node)
            if (node.get("clickable") == "true" and node.get("enabled", "true") == "true" and b
                    and b[0] <= x < b[2] and b[1] <= y < b[3]):
                hit = node           # the last one in document order is drawn on top
        said = None
        if hit is not None:
            keys = [hit.get("text", ""), hit.get("content-desc", ""), hit.get("resource-id", ""), hit.get("bounds", "")]
            keys += [d.get("text", "") for d in hit.iter("node")] + [d.get("content-desc", "") for d in hit.iter("node")]
            said = next((k for k in keys if k), None)
            if hit.get("checkable") == "true":
                bounds = hit.get("bounds", "")
                self.spec["checked"][bounds] = hit.get("checked") != "true"
            taps = self._screen().get("taps") or {}
            go = next((taps[k] for k in keys if k and k in taps), None)
            self._go(go)
        self._log("tap", before, x=x, y=y, hit=said)

    def key(self, code: int) -> None:
        before = self.spec["current"]
        if code == 4:
            self._go(self._screen().get("back"))
        self._log("key", before, code=code)

    def swipe(self, x1: int, y1: int, x2: int, y2: int, ms: int) -> None:
        before = self.spec["current"]
        self._go(self._screen().get("swipe"))
        self._log("swipe", before, x=x1, y=y1, x2=x2, y2=y2)

    def text(self, s: str) -> None:
        self._log("text", self.spec["current"], text=s)

    def screencap(self) -> bytes:
        nodes = self._nodes()
        width, height = (_bounds(nodes[0]) or (0, 0, 1080, 2400))[2:] if nodes else (1080, 2400)
        return _render(nodes, width, height)


def _bounds(node: ET.Element) -> tuple[int, int, int, int] | None:
    m = BOUNDS.match(node.get("bounds", ""))
    return tuple(int(v) for v in m.groups()) if m else None  # type: ignore[return-value]


def _render(nodes: list[ET.Element], width: int, height: int) -> bytes:
    """The hierarchy drawn as boxes: a filled box per view (buttons darker, checked boxes dark),
    a bar for each text, proportional to its length. RGB, one IDAT."""
    boxes: list[tuple[int, int, int, int, bytes]] = []
    for depth, node in enumerate(nodes):
        b = _bounds(node)
        if not b:
            continue
        x1, y1, x2, y2 = max(b[0], 0), max(b[1], 0), min(b[2], width), min(b[3], height)
        if x2 <= x1 or y2 <= y1:
            continue
        if node.get("checkable") == "true":
            colour = (40, 40, 40) if node.get("checked") == "true" else (230, 230, 230)
        elif node.get("clickable") == "true":
            colour = (70, 130, 220)
        else:
            shade = 250 - min(depth, 8) * 6
            colour = (shade, shade, shade)
        boxes.append((x1, y1, x2, y2, bytes(colour) * (x2 - x1)))
        text = node.get("text") or node.get("content-desc") or ""
        if text:
            tw = min(x2 - x1 - 8, 28 * len(text))
            ty = (y1 + y2) // 2
            if tw > 0:
                boxes.append((x1 + 4, max(y1, ty - 10), x1 + 4 + tw, min(y2, ty + 10), bytes((20, 20, 20)) * tw))
    raw = bytearray()
    background = bytes((255, 255, 255)) * width
    for y in range(height):
        row = bytearray(background)
        for x1, y1, x2, y2, fill in boxes:
            if y1 <= y < y2:
                row[x1 * 3:x2 * 3] = fill
        raw += b"\x00" + row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + chunk(b"IEND", b"")


_screen.PROVIDERS["script"] = ScriptScreen
