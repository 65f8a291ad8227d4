"""The screen provider "standin": the running JVM stand-in draws the device's screen.

The device state names it as `{"provider": "standin", "port_file": PATH}`; PATH is the file the
stand-in started with `-Dstandin.screen=PATH` writes its loopback port to. Each call opens a
connection to 127.0.0.1:PORT, sends one JSON request line and reads one JSON answer line
(docs/standin-screen.md has the protocol): `dump` gives uiautomator's XML of the topmost
window, `tap` is hit-tested and delivered on the app's main thread, `screencap` is a PNG the
stand-in renders. A stand-in that has not started yet leaves no screen to reach, and the adb
command fails with that said, as uiautomator fails on a device with no window. Once it has
exited, the device shows its home screen, as a phone does when an app closes: a launcher's
hierarchy (package com.google.android.apps.nexuslauncher) and a plain wallpaper PNG; taps and
keys on it do nothing.
"""
from __future__ import annotations

import base64
import functools
import json
import socket
import struct
import time
import zlib
from pathlib import Path

if __package__:
    from . import screen as _screen
else:  # beside the adb script, which puts this folder on sys.path
    import screen as _screen  # type: ignore[no-redef]

ScreenError = _screen.ScreenError
WIDTH, HEIGHT = 1080, 2400
LAUNCHER = "com.google.android.apps.nexuslauncher"


RESET_RETRIES = 5
RESET_PAUSE_S = 0.2


class _Reset(Exception):
    """The connection was reset or closed before an answer: the app may be exiting."""


class AppGone(Exception):
    """The stand-in ran and has exited: the device is back at its home screen."""
CONNECT_TIMEOUT_S = 2.0
ANSWER_TIMEOUT_S = 20.0   # a screencap of 1080x2400 takes well under a second; the first one loads fonts


class StandinScreen:
    """One provider instance per adb call; `spec` is `state["screen"]`."""

    def __init__(self, spec: dict):
        port_file = spec.get("port_file")
        if not port_file:
            raise ScreenError("the device state's screen names the stand-in but no port_file")
        self.port_file = Path(port_file)

    def _port(self) -> int:
        try:
            text = self.port_file.read_text().strip()
        except FileNotFoundError:
            raise ScreenError(f"{_screen.NO_WINDOW} (the stand-in has not opened its screen: no {self.port_file})") from None
        if not text.isdigit():
            raise ScreenError(f"the stand-in's port file {self.port_file} holds {text!r}, not a port")
        return int(text)

    def request(self, **req) -> dict:
        # An app that is exiting may reset a connection while it still listens for a moment:
        # ask again shortly, and it has either answered or gone (then the home screen shows).
        for attempt in range(RESET_RETRIES + 1):
            try:
                return self._ask(req)
            except _Reset as e:
                if attempt == RESET_RETRIES:
                    raise ScreenError(str(e)) from None
                time.sleep(RESET_PAUSE_S)
        raise AssertionError("unreachable")

    def _ask(self, req: dict) -> dict:
        port = self._port()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=CONNECT_TIMEOUT_S) as sock:
                sock.settimeout(ANSWER_TIMEOUT_S)
                sock.sendall((json.dumps(req, ensure_ascii=False) + "\n").encode("utf-8"))
                with sock.makefile("rb") as answers:
                    line = answers.readline()
        except ConnectionRefusedError:
            raise AppGone() from None
        except (ConnectionResetError, BrokenPipeError) as e:
            raise _Reset(f"the stand-in's screen on 127.0.0.1:{port} did not answer {req['op']}: {e}") from None
        except OSError as e:
            raise ScreenError(f"the stand-in's screen on 127.0.0.1:{port} did not answer {req['op']}: {e}") from None
        if not line:
            raise _Reset(f"the stand-in's screen on 127.0.0.1:{port} closed without answering {req['op']}")
        answer = json.loads(line.decode("utf-8"))
        if "error" in answer:
            raise ScreenError(str(answer["error"]))
        return answer

    def _or_home(self, on_home, **req):
        try:
            return self.request(**req)
        except AppGone:
            return on_home

    def dump(self) -> str:
        answer = self._or_home(None, op="dump")
        return home_screen_xml() if answer is None else answer["xml"]

    def tap(self, x: int, y: int) -> None:
        self._or_home(None, op="tap", x=int(x), y=int(y))

    def key(self, code: int) -> None:
        self._or_home(None, op="key", code=int(code))

    def swipe(self, x1: int, y1: int, x2: int, y2: int, ms: int) -> None:
        self._or_home(None, op="swipe", x1=int(x1), y1=int(y1), x2=int(x2), y2=int(y2), ms=int(ms))

    def text(self, s: str) -> None:
        self._or_home(None, op="text", text=s)

    def screencap(self) -> bytes:
        answer = self._or_home(None, op="screencap")
        return home_screen_png() if answer is None else base64.b64decode(answer["png"])


def home_screen_xml() -> str:
    """The launcher's window, as uiautomator dumps a home screen with no icons."""
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
            f'<node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="{LAUNCHER}" '
            'content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" '
            'focused="false" scrollable="false" long-clickable="false" password="false" selected="false" '
            f'bounds="[0,0][{WIDTH},{HEIGHT}]" /></hierarchy>')


@functools.lru_cache(maxsize=1)
def home_screen_png() -> bytes:
    """A plain wallpaper of the screen's size, as a PNG (8-bit RGB, one colour)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes((0x1f, 0x3a, 0x5f)) * WIDTH
    pixels = zlib.compress(row * HEIGHT, 6)
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


_screen.PROVIDERS["standin"] = StandinScreen
