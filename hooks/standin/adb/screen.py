"""The device's screen behind the adb double: `uiautomator dump`, `input`, `screencap`.

The device state names who draws the screen in `state["screen"]`:

- `{"provider": "standin", "port_file": PATH}`: the running JVM stand-in, reached on loopback
  at the port written in PATH (its own view hierarchy, taps dispatched to its views, a PNG it
  renders of its windows);
- `{"provider": "script", "path": PATH}`: a scripted screen of fixed view hierarchies that
  change on taps, for testing consent automation against layouts the stand-in does not draw;
- absent: the device has no window to dump, as a device at its lock screen with uiautomator
  unable to attach (`ERROR: null root node returned by UiTestAutomationBridge.`).

A provider is an object with `dump() -> str` (uiautomator's XML), `tap(x, y)`,
`key(code)`, `swipe(x1, y1, x2, y2, ms)`, `text(s)` and `screencap() -> bytes` (PNG);
it raises `ScreenError` with the message a device would print. Providers register
themselves in PROVIDERS by name; `screen_of` imports the module `screen_<name>` beside this
one the first time a provider is asked for (screen_standin.py, screen_script.py).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

# Android's KeyEvent codes for the names `input keyevent` accepts in either form.
KEYCODES = {"KEYCODE_HOME": 3, "KEYCODE_BACK": 4, "KEYCODE_ENTER": 66, "KEYCODE_DPAD_DOWN": 20,
            "KEYCODE_DPAD_UP": 19, "KEYCODE_APP_SWITCH": 187, "KEYCODE_WAKEUP": 224}

NO_WINDOW = "ERROR: null root node returned by UiTestAutomationBridge."


class ScreenError(Exception):
    pass


class Screen(Protocol):
    def dump(self) -> str: ...
    def tap(self, x: int, y: int) -> None: ...
    def key(self, code: int) -> None: ...
    def swipe(self, x1: int, y1: int, x2: int, y2: int, ms: int) -> None: ...
    def text(self, s: str) -> None: ...
    def screencap(self) -> bytes: ...


PROVIDERS: dict[str, Callable[[dict[str, Any]], Screen]] = {}


def screen_of(state: dict) -> Screen:
    spec = state.get("screen")
    if not spec:
        raise ScreenError(NO_WINDOW)
    name = str(spec.get("provider", ""))
    if name not in PROVIDERS and name.isidentifier():
        _load_provider(name)
    make = PROVIDERS.get(name)
    if make is None:
        raise ScreenError(f"the device double has no screen provider {spec.get('provider')!r}")
    return make(spec)


def _load_provider(name: str) -> None:
    """Import the module `screen_<name>` beside this one; importing it registers the provider."""
    import importlib
    package = __name__.rpartition(".")[0]
    try:
        importlib.import_module(f"{package}.screen_{name}" if package else f"screen_{name}")
    except ModuleNotFoundError as e:
        if e.name not in (f"{package}.screen_{name}", f"screen_{name}"):
            raise


def keycode(word: str) -> int:
    if word.isdigit():
        return int(word)
    name = word if word.startswith("KEYCODE_") else "KEYCODE_" + word
    if name not in KEYCODES:
        raise ScreenError(f"Error: unknown keycode {word} (the device double knows {', '.join(sorted(KEYCODES))})")
    return KEYCODES[name]
