"""The screen provider "standin": the running JVM stand-in draws the device's screen.

The device state names it as `{"provider": "standin", "port_file": PATH}`; PATH is the file the
stand-in started with `-Dstandin.screen=PATH` writes its loopback port to. Each call opens a
connection to 127.0.0.1:PORT, sends one JSON request line and reads one JSON answer line
(docs/standin-screen.md has the protocol): `dump` gives uiautomator's XML of the topmost
window, `tap` is hit-tested and delivered on the app's main thread, `screencap` is a PNG the
stand-in renders. A stand-in that has exited (or not started) leaves no screen to reach, and
the adb command fails with that said, as uiautomator fails on a device with no window.
"""
from __future__ import annotations

import base64
import json
import socket
from pathlib import Path

if __package__:
    from . import screen as _screen
else:  # beside the adb script, which puts this folder on sys.path
    import screen as _screen  # type: ignore[no-redef]

ScreenError = _screen.ScreenError
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
        port = self._port()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=CONNECT_TIMEOUT_S) as sock:
                sock.settimeout(ANSWER_TIMEOUT_S)
                sock.sendall((json.dumps(req, ensure_ascii=False) + "\n").encode("utf-8"))
                with sock.makefile("rb") as answers:
                    line = answers.readline()
        except ConnectionRefusedError:
            raise ScreenError(f"{_screen.NO_WINDOW} (the stand-in's screen on 127.0.0.1:{port} is gone: the app has exited)") from None
        except OSError as e:
            raise ScreenError(f"the stand-in's screen on 127.0.0.1:{port} did not answer {req['op']}: {e}") from None
        if not line:
            raise ScreenError(f"the stand-in's screen on 127.0.0.1:{port} closed without answering {req['op']} (the app exited)")
        answer = json.loads(line.decode("utf-8"))
        if "error" in answer:
            raise ScreenError(str(answer["error"]))
        return answer

    def dump(self) -> str:
        return self.request(op="dump")["xml"]

    def tap(self, x: int, y: int) -> None:
        self.request(op="tap", x=int(x), y=int(y))

    def key(self, code: int) -> None:
        self.request(op="key", code=int(code))

    def swipe(self, x1: int, y1: int, x2: int, y2: int, ms: int) -> None:
        self.request(op="swipe", x1=int(x1), y1=int(y1), x2=int(x2), y2=int(y2), ms=int(ms))

    def text(self, s: str) -> None:
        self.request(op="text", text=s)

    def screencap(self) -> bytes:
        return base64.b64decode(self.request(op="screencap")["png"])


_screen.PROVIDERS["standin"] = StandinScreen
