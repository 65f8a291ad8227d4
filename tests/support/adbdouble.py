"""The stateful adb double (hooks/standin/adb/) as a test device: a JSON state file named by
$FAKE_ADB_STATE, and a copy of the `adb` script run by this interpreter directly (no launcher
in between: a setup makes ~100 adb calls).

The clipboard canary is set on a device through frida-server (hooks/clipboard.py), which the
double does not run; `ModelClipboard` takes that call's place (commands.device.canaries'
CLIPBOARD_WRITER) and sets the modelled device's clipboard as the app's ClipboardManager call
would. That step is the one part of `device setup` the double does not check end to end."""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

FAKES = Path(__file__).resolve().parents[2] / "hooks" / "standin" / "adb"
if str(FAKES) not in sys.path:
    sys.path.insert(0, str(FAKES))
import device_model as model  # noqa: E402

# Counters a device only ever moves forward (pids, sqlite row ids, tmpfs numbers): left out when
# a state is compared with the one before a setup and reset.
COUNTERS = ("next_pid", "next_store")


def install_adb(where: Path) -> Path:
    """The double's adb script at `where`/adb, run by this Python (no `env python3` lookup) and
    importing the model from hooks/standin/adb/ wherever the copy lives."""
    adb = where / "adb"
    adb.write_text(f"#!{sys.executable} -S\n" + (FAKES / "adb").read_text().split("\n", 1)[1]
                   .replace("os.path.dirname(os.path.abspath(__file__))", repr(str(FAKES))))
    adb.chmod(0o755)
    return adb


class Device:
    def __init__(self, tmp_path: Path, monkeypatch, state: dict):
        self.path = tmp_path / "device.json"
        model.save(str(self.path), state)
        monkeypatch.setenv("FAKE_ADB_STATE", str(self.path))
        adb = install_adb(tmp_path)
        self.adb = str(adb)
        monkeypatch.setenv("PIIAUDIT_ADB", str(adb))
        monkeypatch.setenv("PIIAUDIT_CACHE", str(tmp_path / "cache"))
        from commands.device import canaries
        self.clipboard_calls: list = []
        self.clipboard_writer = ModelClipboard(self)
        monkeypatch.setattr(canaries, "CLIPBOARD_WRITER", self.clipboard_writer)

    @property
    def state(self) -> dict:
        return model.load(str(self.path))

    def change(self, fn) -> None:
        state = self.state
        fn(state)
        model.save(str(self.path), state)

    def cli(self, *args):
        from commands.cli import cli
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    def pid(self, name: str) -> int:
        return next(p["pid"] for p in self.state["processes"] if p["name"] == name)

    def sees(self, pid: int, path: str) -> bool:
        return model.visible(self.state, pid, path)

    def start_app(self, package: str) -> int:
        state = self.state
        pid = model.start_app(state, package)
        model.save(str(self.path), state)
        return pid

    def log(self) -> list[str]:
        log = Path(str(self.path) + ".log")
        return log.read_text().splitlines() if log.exists() else []


def comparable(state: dict) -> dict:
    """The state without its forward-only counters (contacts row ids included)."""
    out = {k: v for k, v in state.items() if k not in COUNTERS}
    if "contacts" in out:
        out["contacts"] = {k: v for k, v in out["contacts"].items() if k != "next_id"}
    return out


class ModelClipboard:
    """Sets the modelled device's clipboard (the Frida call of hooks/clipboard.py, on the double)."""

    def __init__(self, device: Device):
        self.device = device

    def __call__(self, serial: str, text: str | None) -> str:
        import fcntl
        state_path = str(self.device.path)
        with open(state_path + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = model.load(state_path)
            assert serial == state["serial"], (serial, state["serial"])
            model.set_clipboard(state, text)
            model.save(state_path, state)
        self.device.clipboard_calls.append(text)
        return "set" if text is not None else "cleared"
