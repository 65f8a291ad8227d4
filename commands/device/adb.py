"""A thin adb client: one call per command, with timeouts and errors a tester can act on."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


class AdbError(Exception):
    pass


def find_adb(explicit: str | None = None) -> str | None:
    """$PIIAUDIT_ADB, then PATH, then $ANDROID_HOME/$ANDROID_SDK_ROOT platform-tools."""
    for candidate in (explicit, os.environ.get("PIIAUDIT_ADB")):
        if candidate:
            return candidate if Path(candidate).exists() or shutil.which(candidate) else None
    found = shutil.which("adb")
    if found:
        return found
    for var in ("ANDROID_HOME", "ANDROID_SDK_ROOT"):
        root = os.environ.get(var)
        if root and (Path(root) / "platform-tools" / "adb").exists():
            return str(Path(root) / "platform-tools" / "adb")
    return None


@dataclass
class Device:
    serial: str
    state: str          # device | unauthorized | offline | ...


class Adb:
    def __init__(self, adb: str | None = None, serial: str | None = None, timeout: float = 15.0):
        path = find_adb(adb)
        if path is None:
            raise AdbError("adb not found: install Debian's `adb` package or Android platform-tools, "
                           "or set PIIAUDIT_ADB to its path")
        self.path = path
        self.serial = serial
        self.timeout = timeout

    def run(self, *args: str, check: bool = True, timeout: float | None = None) -> str:
        argv = [self.path, *(("-s", self.serial) if self.serial else ()), *args]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired:
            raise AdbError(f"`adb {' '.join(args)}` did not answer within {timeout or self.timeout:.0f} s "
                           "(device asleep, or adb server stuck: try `adb kill-server`)") from None
        except OSError as e:
            raise AdbError(f"cannot run adb ({self.path}): {e}") from None
        if check and done.returncode != 0:
            message = (done.stderr or done.stdout).strip().splitlines()
            raise AdbError(f"`adb {' '.join(args)}` failed: {message[-1] if message else done.returncode}")
        return done.stdout

    def exec_out(self, *args: str, timeout: float | None = None) -> bytes:
        """`adb exec-out ARGS`: the command's stdout as bytes, unchanged (a PNG from `screencap -p`);
        AdbError when it fails, naming what the device said."""
        argv = [self.path, *(("-s", self.serial) if self.serial else ()), "exec-out", *args]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired:
            raise AdbError(f"`adb exec-out {' '.join(args)}` did not answer within {timeout or self.timeout:.0f} s "
                           "(device asleep, or adb server stuck: try `adb kill-server`)") from None
        except OSError as e:
            raise AdbError(f"cannot run adb ({self.path}): {e}") from None
        if done.returncode != 0:
            message = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
            raise AdbError(f"`adb exec-out {' '.join(args)}` failed: {message[-1] if message else done.returncode}")
        return done.stdout

    def shell(self, command: str, *, check: bool = False) -> str:
        return self.run("shell", command, check=check).strip()

    def root_shell(self, command: str) -> str:
        """Run as root: directly when adbd is root, else through `su -c`."""
        if self.shell("id -u") == "0":
            return self.shell(command)
        return self.shell(f"su -c '{command}'")

    def devices(self) -> list[Device]:
        out = self.run("devices", timeout=10)
        devices = []
        for line in out.splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 2:
                devices.append(Device(parts[0], parts[1]))
        return devices

    def getprop(self, name: str) -> str:
        return self.shell(f"getprop {name}")
