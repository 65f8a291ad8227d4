"""The stand-in's screen through the adb double, with the real agent in the app.

`-Dstandin.user=device` makes the demo app's dialogs wait for taps that arrive through the
screen (`-Dstandin.screen=PORTFILE`); the adb double's provider "standin"
(hooks/standin/adb/screen_standin.py) reaches it. Each answer (accept, decline, none) is played
twice under Frida with the hooks, as `piiaudit demo` runs the app: once by the scripted user,
once only through adb (`exec-out uiautomator dump /dev/tty`, `shell input tap X Y`,
`exec-out screencap -p`) by finding labels in the dumped XML and tapping their centres. The
hooks' click, dialog and permission events and the scenario's step lines must be the same.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from hooks.runner import HooksRunner
from hooks.standin.adb import device_model
from hooks.standin.build import build as build_standin, java_command, screen_args
from hooks.targets import LocalProcess
from piiaudit.store import SessionStore

pytest.importorskip("frida")
Image = pytest.importorskip("PIL.Image")

ADB = Path(__file__).resolve().parents[1] / "hooks" / "standin" / "adb" / "adb"
# How long a dialog waits for a tap in device mode: long enough for the adb round trips of a
# loaded machine; the unanswered path waits it out once.
ANSWER_WAIT_MS = 10000
NONE_WAIT_MS = 2500
# The events that show what the user saw and did, compared between the two users.
UI_KINDS = ("dialog_shown", "dialog_closed", "dialog_button", "click", "checkbox", "pref_write",
            "permission_request", "permission_result", "app_exit")


class Adb:
    """The adb double with a device whose screen is the stand-in's."""

    def __init__(self, tmp: Path, port_file: Path):
        self.state = tmp / "device.json"
        state = device_model.new_device(34)
        state["screen"] = {"provider": "standin", "port_file": str(port_file)}
        device_model.save(str(self.state), state)
        self.env = {**os.environ, "FAKE_ADB_STATE": str(self.state)}
        self.calls: list[list[str]] = []

    def __call__(self, *args) -> subprocess.CompletedProcess:
        self.calls.append([str(a) for a in args])
        return subprocess.run([sys.executable, str(ADB), *map(str, args)], env=self.env, capture_output=True, timeout=60)

    def dump(self) -> ET.Element | None:
        r = self("exec-out", "uiautomator", "dump", "/dev/tty")
        if r.returncode != 0:
            return None
        text = r.stdout.decode("utf-8")
        assert text.rstrip().endswith("UI hierchary dumped to: /dev/tty")
        return ET.fromstring(text[:text.index("</hierarchy>") + len("</hierarchy>")].encode("utf-8"))

    def find(self, label: str, timeout: float = 60.0) -> tuple[ET.Element, ET.Element]:
        """Dump until a node with text `label` is on screen; (its node, the whole hierarchy)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            root = self.dump()
            if root is not None:
                for node in root.iter("node"):
                    if node.get("text") == label:
                        return node, root
            time.sleep(0.1)
        raise AssertionError(f"{label!r} never appeared on the stand-in's screen")

    def tap(self, node: ET.Element) -> None:
        (x1, y1), (x2, y2) = bounds(node)
        r = self("shell", "input", "tap", (x1 + x2) // 2, (y1 + y2) // 2)
        assert r.returncode == 0, r.stderr

    def screencap(self) -> bytes:
        r = self("exec-out", "screencap", "-p")
        assert r.returncode == 0, r.stderr
        return r.stdout


def bounds(node: ET.Element) -> tuple[tuple[int, int], tuple[int, int]]:
    x1, y1, x2, y2 = map(int, re.fullmatch(r"\[(\d+),(\d+)\]\[(\d+),(\d+)\]", node.get("bounds")).groups())
    return (x1, y1), (x2, y2)


def play(adb: Adb, answer: str) -> dict:
    """The person at the screen: what `answer` taps, found by label. Returns the screens taken."""
    shots = {}
    agree, root = adb.find("同意")
    shots["dialog"] = (adb.screencap(), root)
    if answer == "accept":
        adb.tap(agree)
        allow, root = adb.find("While using the app")
        shots["permission"] = (adb.screencap(), root)
        adb.tap(allow)
    elif answer == "decline":
        decline = next(n for n in root.iter("node") if n.get("text") == "不同意")
        adb.tap(decline)
        leave, root = adb.find("退出")
        shots["second"] = (adb.screencap(), root)
        adb.tap(leave)
    return shots


def run(tmp: Path, answer: str, *, device: bool) -> dict:
    store = SessionStore(tmp / "session")
    port_file = tmp / "screen.port"
    args = ["-Dstandin.offline=true"]
    if device:
        wait = NONE_WAIT_MS if answer == "none" else ANSWER_WAIT_MS
        args += screen_args(port_file, answer_wait_ms=wait)
    else:
        args.append(f"-Dstandin.consent={answer}")
    argv = java_command(build_standin(), proxy_host=None, proxy_port=None, truststore=None,
                        truststore_password=None, device_properties=None, extra_jvm_args=args)
    runner = HooksRunner(store, LocalProcess(argv))
    adb = Adb(tmp, port_file) if device else None
    runner.start()
    shots = {}
    try:
        if adb is not None:
            shots = play(adb, answer)
        status = runner.wait(timeout=120)
    finally:
        runner.stop(kill=True)
    after = adb("exec-out", "uiautomator", "dump", "/dev/tty") if adb is not None else None
    marks = ",".join("?" * len(UI_KINDS))
    events = store.rows(f"SELECT kind, value, data FROM events WHERE kind IN ({marks}) ORDER BY ts, seq", UI_KINDS)
    every = store.rows("SELECT kind, api FROM events")
    return {"status": status, "output": runner.output, "events": events, "every": every, "shots": shots, "adb": adb, "after": after,
            "errors": store.rows("SELECT message FROM errors")}


@pytest.fixture(scope="module", params=["accept", "decline", "none"])
def pair(request, tmp_path_factory):
    answer = request.param
    scripted = run(tmp_path_factory.mktemp(f"scripted-{answer}"), answer, device=False)
    device = run(tmp_path_factory.mktemp(f"device-{answer}"), answer, device=True)
    return answer, scripted, device


def steps(output: str) -> list[str]:
    return re.findall(r"^(?:STEP \d+ .*|DONE \d+ steps)$", output, re.M)


def ui_events(events) -> list[tuple]:
    out = []
    for e in events:
        data = json.loads(e["data"] or "{}")
        keep = {k: data[k] for k in ("label", "view_class", "handled", "texts", "how", "key", "value", "permissions",
                                     "granted", "denied", "request_code") if k in data}
        out.append((e["kind"], e["value"], json.dumps(keep, sort_keys=True, ensure_ascii=False)))
    return out


STEP_COUNT = {"accept": 14, "decline": 16, "none": 10}


def test_the_answer_given_on_screen_plays_the_scripted_users_steps(pair):
    answer, scripted, device = pair
    assert scripted["status"] == 0 and device["status"] == 0, device["output"][-2000:]
    assert steps(device["output"]) == steps(scripted["output"])
    assert steps(device["output"])[-1] == f"DONE {STEP_COUNT[answer]} steps"
    assert device["errors"] == scripted["errors"] == []


def test_the_hooks_see_the_same_clicks_dialogs_and_permissions(pair):
    answer, scripted, device = pair
    got, want = ui_events(device["events"]), ui_events(scripted["events"])
    assert got == want
    clicks = [e[1] for e in got if e[0] == "click"]
    assert clicks == {"accept": ["同意"], "decline": ["不同意", "退出"], "none": []}[answer]
    kinds = {e[0] for e in got}
    assert ("permission_result" in kinds) == (answer == "accept")


def test_the_screen_itself_leaves_no_trace_in_the_hooks(pair):
    # Dumps, taps and screenshots are the system's work: the hooks record the same calls, API by
    # API, as in the scripted run (no encoding of the screenshot, no extra reads).
    _, scripted, device = pair
    def count(rows):
        # A lambda's hidden class is named by its address, which differs from run to run.
        api = (re.sub(r"\$\$Lambda\$\d+(/|\.)0x[0-9a-f]+", "$$Lambda", r["api"] or "") for r in rows)
        return sorted(Counter(zip((r["kind"] for r in rows), api)).items(), key=repr)
    assert count(device["every"]) == count(scripted["every"])


def test_the_app_was_driven_only_through_adb(pair):
    answer, _, device = pair
    verbs = {tuple(c[:2]) for c in device["adb"].calls}
    assert verbs <= {("exec-out", "uiautomator"), ("shell", "input"), ("exec-out", "screencap")}
    taps = [c for c in device["adb"].calls if c[:3] == ["shell", "input", "tap"]]
    assert len(taps) == {"accept": 2, "decline": 2, "none": 0}[answer]
    # Once the app has exited the device is back at its home screen: the launcher's window.
    assert device["after"].returncode == 0
    home = ET.fromstring(device["after"].stdout.split(b"UI hierchary")[0]).find("node")
    assert home.get("package") == "com.google.android.apps.nexuslauncher"


def test_the_dumps_are_uiautomator_xml_of_the_topmost_window(pair):
    answer, _, device = pair
    _, root = device["shots"]["dialog"]
    assert root.tag == "hierarchy" and root.get("rotation") == "0"
    top = root.find("node")
    assert top.get("class") == "android.widget.FrameLayout" and top.get("package") == "com.example.demoshop"
    (x1, y1), (x2, y2) = bounds(top)
    assert 0 <= x1 < x2 <= 1080 and 0 <= y1 < y2 <= 2400
    by_text = {n.get("text"): n for n in root.iter("node") if n.get("text")}
    assert "用户协议与隐私政策" in by_text and "隐私政策" in by_text[next(t for t in by_text if t.startswith("欢迎"))].get("text")
    for label, rid in (("同意", "android:id/button1"), ("不同意", "android:id/button2")):
        button = by_text[label]
        assert (button.get("class"), button.get("resource-id"), button.get("clickable")) == ("android.widget.Button", rid, "true")
        (bx1, by1), (bx2, by2) = bounds(button)
        assert x1 <= bx1 < bx2 <= x2 and y1 <= by1 < by2 <= y2
    assert by_text["用户协议与隐私政策"].get("clickable") == "false"
    if answer == "accept":
        _, prompt = device["shots"]["permission"]
        top = prompt.find("node")
        assert top.get("package") == "com.google.android.permissioncontroller"
        ids = {n.get("resource-id") for n in prompt.iter("node")}
        assert {"com.android.permissioncontroller:id/permission_allow_foreground_only_button",
                "com.android.permissioncontroller:id/permission_allow_one_time_button",
                "com.android.permissioncontroller:id/permission_deny_button"} <= ids
        message = next(n for n in prompt.iter("node") if n.get("resource-id", "").endswith("permission_message"))
        assert "location" in message.get("text")
    if answer == "decline":
        _, second = device["shots"]["second"]
        texts = [n.get("text") for n in second.iter("node") if n.get("text")]
        assert texts[0] == "温馨提示" and "同意" in texts and "退出" in texts


def _glyph(img, node: ET.Element, index: int, size: int = 45):
    """The `index`th character cell of a centred button label (45 px, one em per CJK character)."""
    (x1, y1), (x2, y2) = bounds(node)
    n = len(node.get("text"))
    left = (x1 + x2) // 2 - n * size // 2 + index * size
    cy = (y1 + y2) // 2
    return img.crop((left, cy - size // 2 - 4, left + size, cy + size // 2 + 4)).convert("L")


def test_screenshots_are_pngs_that_show_the_dialog_in_chinese(pair):
    answer, _, device = pair
    png, root = device["shots"]["dialog"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    img = Image.open(io.BytesIO(png))
    img.load()
    assert img.size == (1080, 2400)
    panel = root.find("node")
    (x1, y1), (x2, y2) = bounds(panel)
    # The dialog is drawn where the dump says it is: a white panel over a dimmed screen.
    assert img.getpixel((x1 + 10, (y1 + y2) // 2)) == (255, 255, 255)
    assert max(img.getpixel((x1 - 20, y1 - 20))) < 128
    by_text = {n.get("text"): n for n in root.iter("node") if n.get("text")}
    title = img.crop(bounds(by_text["用户协议与隐私政策"])[0] + bounds(by_text["用户协议与隐私政策"])[1]).convert("L")
    assert int((np.asarray(title) < 100).sum()) > 2000, "the title's text was not drawn"
    # Real glyphs, not the boxes of a font without Chinese: 不 and 同 differ, 同 twice looks the same.
    bu, tong_a = _glyph(img, by_text["不同意"], 0), _glyph(img, by_text["不同意"], 1)
    tong_b = _glyph(img, by_text["同意"], 0)

    def diff(a, b):
        return float(np.abs(np.asarray(a, dtype=int) - np.asarray(b, dtype=int)).sum()) / (a.width * a.height)

    assert diff(bu, tong_b) > 3 * max(diff(tong_a, tong_b), 1.0)
    if answer == "accept":
        png, prompt = device["shots"]["permission"]
        img = Image.open(io.BytesIO(png))
        deny = next(n for n in prompt.iter("node") if n.get("resource-id", "").endswith("permission_deny_button"))
        cell = img.crop(bounds(deny)[0] + bounds(deny)[1]).convert("L")
        assert len(np.unique(np.asarray(cell))) > 8, "the permission prompt's buttons were not drawn"


# -- the protocol itself, on the stand-in without the hooks (fast) ------------------------------

class Standin:
    """The stand-in in device mode, offline, spoken to on its loopback screen port."""

    def __init__(self, tmp: Path, wait_ms: int, *extra: str):
        self.port_file = tmp / "screen.port"
        argv = java_command(build_standin(), proxy_host=None, proxy_port=None, truststore=None,
                            truststore_password=None, device_properties=None,
                            extra_jvm_args=["-Dstandin.offline=true", "-Dstandin.user=device",
                                            f"-Dstandin.screen={self.port_file}", f"-Dstandin.answer_wait_ms={wait_ms}", *extra])
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not self.port_file.exists():
            assert time.monotonic() < deadline and self.proc.poll() is None, "the stand-in never opened its screen"
            time.sleep(0.05)
        import socket
        self.sock = socket.create_connection(("127.0.0.1", int(self.port_file.read_text())), timeout=30)
        self.lines = self.sock.makefile("rwb")

    def raw(self, line: bytes) -> dict:
        self.lines.write(line + b"\n")
        self.lines.flush()
        return json.loads(self.lines.readline())

    def __call__(self, **req) -> dict:
        return self.raw(json.dumps(req).encode())

    def wait_for(self, label: str) -> tuple[int, int]:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            answer = self(op="dump")
            if "xml" in answer:
                for node in ET.fromstring(answer["xml"].encode()).iter("node"):
                    if node.get("text") == label:
                        (x1, y1), (x2, y2) = bounds(node)
                        return (x1 + x2) // 2, (y1 + y2) // 2
            time.sleep(0.05)
        raise AssertionError(f"{label!r} never appeared")

    def finish(self) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=60)
        self.sock.close()
        return self.proc.returncode, out.decode(), err.decode()


def test_the_protocol_answers_each_op_and_refuses_what_it_cannot_do(tmp_path):
    app = Standin(tmp_path, 1500)
    try:
        x, y = app.wait_for("同意")
        assert app(op="tap", x=540, y=100) == {"hit": None}            # outside the modal dialog: nothing
        assert app(op="tap", x=540, y=y - 400) == {"hit": None}        # on the message: not clickable
        assert app(op="key", code=4) == {"took": None}                 # the privacy dialog is not cancelable
        assert app(op="swipe", x1=540, y1=1800, x2=540, y2=600, ms=300) == {"scrolled": False}
        assert app(op="text", text="hello") == {"typed": False}
        assert "off the 1080x2400 screen" in app(op="tap", x=2000, y=10)["error"]
        assert "unknown op" in app(op="reboot")["error"]
        assert "error" in app.raw(b"{not json")
        assert "must be a number" in app(op="tap", x="a", y=1)["error"]
        assert app(op="tap", x=x, y=y) == {"hit": "android.widget.Button 同意"}
        # The permission prompt is left alone: after the wait it is withdrawn, the scripted answer (grant) applies.
        app.wait_for("While using the app")
        rc, out, err = app.finish()
    finally:
        app.proc.kill()
    assert rc == 0, err
    assert "DONE 14 steps" in out
    assert "the permission prompt (LOCATION) was not answered within 1500 ms" in err


def test_denying_the_permission_on_screen_reaches_the_app(tmp_path):
    app = Standin(tmp_path, 8000)
    try:
        app(op="tap", **dict(zip("xy", app.wait_for("同意"))))
        x, y = app.wait_for("Don\u2019t allow")
        assert app(op="tap", x=x, y=y) == {"hit": "android.widget.Button Don\u2019t allow"}
        rc, out, err = app.finish()
    finally:
        app.proc.kill()
    # The demo app needs the location to go on; a refusal ends its script (exit 5), as with -Dstandin.permissions.deny.
    assert rc == 5 and "the location permission was not granted" in err
    assert "STEP 10 " in out and "STEP 11 " not in out


@pytest.mark.parametrize("flags, says", [
    (["-Dstandin.user=robot"], "choose script or device"),
    (["-Dstandin.user=device", "-Dstandin.answer_wait_ms=soon"], "not a number of milliseconds"),
])
def test_bad_device_mode_flags_stop_the_run_before_it_starts(flags, says):
    argv = java_command(build_standin(), proxy_host=None, proxy_port=None, truststore=None, truststore_password=None,
                        device_properties=None, extra_jvm_args=["-Dstandin.offline=true", *flags])
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and says in proc.stderr
    assert "STEP 1 " not in proc.stdout


def test_the_double_says_when_the_stand_in_has_no_screen(tmp_path):
    adb = Adb(tmp_path, tmp_path / "never-written.port")
    r = adb("exec-out", "uiautomator", "dump", "/dev/tty")
    assert r.returncode != 0 and b"null root node returned by UiTestAutomationBridge" in r.stdout + r.stderr
    r = adb("shell", "input", "tap", "10", "10")
    assert r.returncode != 0


def test_a_second_prompt_left_alone_ends_the_run_after_step_13(tmp_path):
    app = Standin(tmp_path, 2000)
    try:
        x, y = app.wait_for("不同意")
        assert app(op="tap", x=x, y=y)["hit"] == "android.widget.Button 不同意"
        app.wait_for("退出")
        assert app(op="key", code=4)["took"] is None   # the second prompt is not cancelable either
        rc, out, err = app.finish()
    finally:
        app.proc.kill()
    assert rc == 0, err
    assert out.splitlines()[-2:] == ["STEP 13 skipped (offline)", "DONE 13 steps"]
    assert "the second prompt was left unanswered" in err
