"""The device's screen through adb alone: dump the view hierarchy, tap, back, swipe, capture.

Contract: `DeviceScreen(adb)` wraps `commands.device.adb.Adb` with the five calls the driver
needs, using only what every Android image has (no agent installed on the device):

- `dump()` -> `hierarchy.Tree`: `adb exec-out uiautomator dump /dev/tty`; a dump taken while the
  app animates fails on a device ("could not get idle state"): tried again up to `retries` times;
- `tap(x, y)`: `adb shell input tap X Y`; `back()`: `adb shell input keyevent 4`;
- `swipe(x1, y1, x2, y2, ms)`: `adb shell input swipe ...`;
- `screencap()` -> PNG bytes: `adb exec-out screencap -p`, checked to be a PNG.

Errors are `ScreenError`, one line with what the device said.
"""
from __future__ import annotations

import struct
import time

from commands.device.adb import Adb, AdbError
from commands.device.ui import hierarchy

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class ScreenError(Exception):
    pass


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR, or None when `data` is not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


class DeviceScreen:
    def __init__(self, adb: Adb, *, retries: int = 3, retry_wait_s: float = 0.5):
        self.adb = adb
        self.retries = retries
        self.retry_wait_s = retry_wait_s

    def dump(self) -> hierarchy.Tree:
        last = "no answer"
        for attempt in range(self.retries):
            try:
                out = self.adb.exec_out("uiautomator", "dump", "/dev/tty")
                return hierarchy.parse(out)
            except (AdbError, hierarchy.DumpError) as e:
                last = str(e)
            if attempt + 1 < self.retries:
                time.sleep(self.retry_wait_s)
        raise ScreenError(f"cannot read the screen's view hierarchy: {last}")

    def _input(self, *words: str) -> None:
        try:
            self.adb.run("shell", "input", *words)
        except AdbError as e:
            raise ScreenError(str(e)) from None

    def tap(self, x: int, y: int) -> None:
        self._input("tap", str(int(x)), str(int(y)))

    def back(self) -> None:
        self._input("keyevent", "4")

    def swipe(self, x1: int, y1: int, x2: int, y2: int, ms: int = 300) -> None:
        self._input("swipe", *(str(int(v)) for v in (x1, y1, x2, y2, ms)))

    def screencap(self) -> bytes:
        try:
            data = self.adb.exec_out("screencap", "-p")
        except AdbError as e:
            raise ScreenError(str(e)) from None
        if png_size(data) is None:
            head = data[:80].decode("utf-8", "replace").strip().splitlines()
            raise ScreenError(f"screencap gave no PNG: {head[0] if head else 'nothing'}")
        return data
