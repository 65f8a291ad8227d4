"""An optional screen recording of the whole run: `screenrecord` on the device, pulled at the end.

Contract: `ScreenRecording.start(adb, limit_s)` starts `adb shell screenrecord --time-limit N
/data/local/tmp/piiaudit-run.mp4` in the background and returns the recording, or None with a
one-line note when the device refuses (no video encoder on some emulator images; the adb double
never records). `stop()` ends it with SIGINT (screenrecord then finishes the MP4 file), pulls the
file to a temporary path on the host and removes it from the device; it returns that path, or
None with a note. Android caps one recording at 180 s: a longer run keeps its first 180 s.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from commands.device.adb import Adb, AdbError

REMOTE = "/data/local/tmp/piiaudit-run.mp4"
MAX_S = 180


class ScreenRecording:
    def __init__(self, adb: Adb, proc: subprocess.Popen, limit_s: int):
        self.adb = adb
        self.proc = proc
        self.limit_s = limit_s
        self.started = time.monotonic()
        self.note: str | None = None

    @classmethod
    def start(cls, adb: Adb, limit_s: float, *, grace_s: float = 0.7) -> tuple["ScreenRecording | None", str | None]:
        limit = max(1, min(MAX_S, int(limit_s)))
        argv = [adb.path, *(("-s", adb.serial) if adb.serial else ()), "shell", "screenrecord",
                "--time-limit", str(limit), REMOTE]
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as e:
            return None, f"screen recording not started: cannot run adb ({e}); the run goes on without video"
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            note = (f"screen recording capped at {MAX_S} s by Android; the run is longer"
                    if limit_s > MAX_S else None)
            rec = cls(adb, proc, limit)
            rec.note = note
            return rec, note
        out, err = proc.communicate()
        said = " ".join((err or out or b"").decode("utf-8", "replace").split()) or f"exit {proc.returncode}"
        return None, f"screen recording refused by the device: {said}; the run goes on without video"

    def stop(self) -> tuple[Path | None, str | None]:
        if self.proc.poll() is None:
            try:
                self.adb.run("shell", "pkill -INT screenrecord", check=False)
            except AdbError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        fd, tmp = tempfile.mkstemp(suffix=".mp4")
        os.close(fd)
        try:
            self.adb.run("pull", REMOTE, tmp, timeout=120)
            self.adb.run("shell", f"rm -f {REMOTE}", check=False)
        except AdbError as e:
            Path(tmp).unlink(missing_ok=True)
            return None, f"screen recording not kept: {e}"
        if Path(tmp).stat().st_size == 0:
            Path(tmp).unlink(missing_ok=True)
            return None, "screen recording not kept: the device wrote an empty file"
        return Path(tmp), None
