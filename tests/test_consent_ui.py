"""Consent by UI automation (commands/device/ui) end to end through the adb double.

The double's screen is the "script" provider (hooks/standin/adb/screen_script.py) playing the
layouts of tests/data/ui/: each test runs `run_consent_path` with a real `Adb` (the double as its
binary), then reads back what the session holds (ui_actions, screens and their files,
consent_marks) and what the device saw (the provider's log in the device state).
No Android device or emulator is involved.
"""
from __future__ import annotations

import hashlib
import io
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from commands.device.adb import Adb
from commands.device.ui import run_consent_path
from piiaudit.store import SessionStore
from tests.support.adbdouble import install_adb

ROOT = Path(__file__).resolve().parents[1]
FAKES = ROOT / "hooks" / "standin" / "adb"
UI = Path(__file__).resolve().parent / "data" / "ui"
sys.path.insert(0, str(FAKES))
import device_model as model  # noqa: E402

FAST = dict(settle_s=0.0, poll_s=0.05, dialog_wait_s=5.0, follow_s=0.3)


class Phone:
    """A modelled device whose screen plays one script of tests/data/ui/."""

    def __init__(self, tmp_path: Path, monkeypatch, script: str):
        self.path = tmp_path / "device.json"
        state = model.new_device(34)
        state["screen"] = {"provider": "script", "path": str(UI / f"{script}.json")}
        model.save(str(self.path), state)
        monkeypatch.setenv("FAKE_ADB_STATE", str(self.path))
        self.adb = Adb(str(install_adb(tmp_path)))
        self.session = tmp_path / "session"
        self.store = SessionStore(self.session)

    @property
    def screen(self) -> dict:
        return model.load(str(self.path))["screen"]

    def taps(self) -> list[dict]:
        return [e for e in self.screen["log"] if e["op"] == "tap"]

    def run(self, answer: str, **kw):
        return run_consent_path(self.adb, self.store, self.session, answer, **{**FAST, **kw})

    def actions(self) -> list[dict]:
        return self.store.rows("SELECT * FROM ui_actions ORDER BY id")

    def screens(self) -> list[dict]:
        return self.store.rows("SELECT * FROM screens ORDER BY id")

    def marks(self) -> list[tuple[str, str]]:
        return [(r["kind"], r["source"]) for r in self.store.rows("SELECT * FROM consent_marks ORDER BY ts, id")]


@pytest.fixture
def phone(tmp_path, monkeypatch):
    return lambda script: Phone(tmp_path, monkeypatch, script)


def _check_screens(p: Phone) -> list[str]:
    """Every screens row names a file that exists, hashes as recorded and decodes as a PNG of the
    screen's size; returns the causes in order."""
    causes = []
    for r in p.screens():
        f = p.session / r["file"]
        assert f.is_file(), r["file"]
        assert hashlib.sha256(f.read_bytes()).hexdigest() == r["sha256"]
        with Image.open(io.BytesIO(f.read_bytes())) as im:
            im.load()
            assert im.size == (r["width"], r["height"]) == (1080, 2400)
        causes.append(r["cause"])
    return causes


def test_accept_on_a_chinese_dialog_taps_同意_marks_it_and_photographs_it(phone):
    p = phone("cn")
    out = p.run("accept", permissions="allow")
    assert out.decision == "accepted" and out.found_by == "text" and out.dialog_found
    assert "用户协议与隐私政策" in out.dialog_text
    # the device saw the splash pass, one tap on 同意 at its centre, then the permission answered
    taps = p.taps()
    assert [(t["hit"], t["from"], t["to"]) for t in taps] == [
        ("同意", "dialog", "permission"), ("使用应用时允许", "permission", "home")]
    assert (taps[0]["x"], taps[0]["y"]) == ((550 + 940) // 2, (1580 + 1680) // 2)
    acts = p.actions()
    assert [(a["action"], a["purpose"], a["target_text"]) for a in acts] == [
        ("tap", "consent_accept", "同意"), ("tap", "permission_allow", "使用应用时允许")]
    assert acts[1]["target_id"] == "com.android.permissioncontroller:id/permission_allow_foreground_only_button"
    assert all(a["source"] == "automation" for a in acts)
    assert p.marks() == [("shown", "automation"), ("accepted", "automation")]
    accepted = p.store.rows("SELECT ts FROM consent_marks WHERE kind = 'accepted'")[0]["ts"]
    assert accepted == acts[0]["ts"]
    causes = _check_screens(p)
    assert causes == ["dialog", "before_tap", "after_tap", "permission_prompt", "end"]
    shots = p.screens()
    assert shots[1]["action_id"] == shots[2]["action_id"] == acts[0]["id"]
    assert shots[3]["action_id"] == acts[1]["id"] and "位置信息" in shots[3]["note"]
    assert [Path(s["file"]).name for s in shots] == [
        "0001-dialog.png", "0002-before_tap.png", "0003-after_tap.png", "0004-permission_prompt.png", "0005-end.png"]
    # the dialog screenshot is not the home screen's
    assert shots[0]["sha256"] != shots[-1]["sha256"]
    assert out.screens == 5 and out.actions == 2


def test_a_permission_asked_before_the_dialog_is_answered_by_the_policy_first(phone):
    p = phone("permission_first")
    out = p.run("decline", permissions="deny")
    assert [(t["hit"], t["to"]) for t in p.taps()] == [("不允许", "dialog"), ("不同意", "launcher")]
    assert [a["purpose"] for a in p.actions()] == ["permission_deny", "consent_decline"]
    assert out.permissions == [{"message": "要允许“购物”获取此设备的位置信息吗？", "answer": "deny"}]
    kept = p.store.get_meta("consent_automation")
    assert (kept["decision"], kept["answer"], kept["left_app"]) == ("declined", "decline", True)


def test_decline_taps_不同意_then_the_second_prompt_s_exit_and_the_app_leaves(phone):
    p = phone("cn")
    out = p.run("decline", explore_s=5)
    assert out.decision == "declined" and out.second_prompts == 1 and out.left_app
    assert [(t["hit"], t["to"]) for t in p.taps()] == [("不同意", "second"), ("不同意并退出", "launcher")]
    assert [(a["purpose"], a["target_text"]) for a in p.actions()] == [
        ("consent_decline", "不同意"), ("consent_second_prompt", "不同意并退出")]
    assert p.marks() == [("shown", "automation"), ("declined", "automation"), ("declined", "automation")]
    assert out.explore_actions == 0          # nothing to explore once the app is gone
    assert _check_screens(p) == ["dialog", "before_tap", "after_tap", "before_tap", "after_tap", "end"]


def test_a_second_prompt_that_comes_a_moment_after_the_refusal_is_waited_for(phone):
    p = phone("late")
    out = p.run("decline", follow_s=3.0)
    assert [(t["hit"], t["to"]) for t in p.taps()] == [("不同意", "wait"), ("不同意并退出", "gone")]
    assert out.second_prompts == 1 and out.left_app


def test_a_screen_that_cannot_be_read_after_the_refusal_is_the_app_gone(phone):
    p = phone("exits")
    out = p.run("decline", explore_s=5)
    assert out.decision == "declined" and out.left_app and out.explore_actions == 0
    assert any("could not be read after the declined" in n and "null root node" in n for n in out.notes)
    assert any(n.startswith("screenshots failed") for n in out.notes)     # the end screenshot, said once
    assert _check_screens(p) == ["dialog", "before_tap"]


def test_暂不同意_with_a_second_prompt_that_only_goes_back_is_declined_twice_then_left(phone):
    p = phone("zanbu")
    out = p.run("decline", max_rounds=2)
    assert out.decision == "declined"
    assert [t["hit"] for t in p.taps()] == ["暂不同意", "我知道了", "暂不同意", "我知道了"]
    assert [a["purpose"] for a in p.actions()] == [
        "consent_decline", "consent_second_prompt", "consent_decline", "consent_second_prompt"]
    # 我知道了 decides nothing: only the two refusals are marks
    assert [k for k, _ in p.marks()] == ["shown", "declined", "declined"]
    assert out.second_prompts == 2
    assert any("again after 2 refusals" in n for n in out.notes)


def test_仅浏览_is_a_refusal_into_the_basic_mode(phone):
    p = phone("browse")
    out = p.run("decline")
    assert out.decision == "declined" and not out.left_app
    assert [(t["hit"], t["to"]) for t in p.taps()] == [("仅浏览", "basic")]
    assert p.actions()[0]["purpose"] == "consent_decline"


@pytest.mark.parametrize("answer, bounds, to", [("accept", [550, 1580, 940, 1680], "home"),
                                                ("decline", [140, 1580, 530, 1680], "launcher")])
def test_image_buttons_are_found_by_position_right_accepts_left_declines(phone, answer, bounds, to):
    p = phone("image")
    out = p.run(answer)
    assert out.found_by == "position_row"
    [tap] = p.taps()
    x1, y1, x2, y2 = bounds
    assert (tap["x"], tap["y"], tap["to"]) == ((x1 + x2) // 2, (y1 + y2) // 2, to)
    detail = p.store.rows("SELECT json_extract(detail, '$.found_by') AS how, json_extract(detail, '$.rule') AS rule "
                          "FROM ui_actions")[0]
    assert detail["how"] == "position_row" and "right one accepts" in detail["rule"]


def test_a_pre_ticked_checkbox_is_noted_and_never_untapped(phone):
    p = phone("checkbox")
    out = p.run("decline")
    assert out.checkbox == "pre-ticked" and out.decision == "declined"
    acts = p.actions()
    assert [(a["action"], a["purpose"]) for a in acts] == [("none", "consent_checkbox_noted"), ("tap", "consent_decline")]
    assert acts[0]["target_id"] == "com.example.shop:id/cb_agree"
    assert [t["hit"] for t in p.taps()] == ["不同意"]          # the box itself was never tapped
    assert p.screen["checked"] == {}


def test_an_english_dialog(phone):
    p = phone("en")
    out = p.run("accept")
    assert out.decision == "accepted"
    assert [t["hit"] for t in p.taps()] == ["Agree and continue"]


def test_none_taps_nothing_and_leaves_the_dialog_up(phone):
    p = phone("cn")
    out = p.run("none", explore_s=0.5)
    assert out.decision == "unanswered" and out.dialog_found
    assert p.taps() == [] and p.actions() == []
    assert p.marks() == [("shown", "automation")]
    assert p.screen["current"] == "dialog"
    assert _check_screens(p) == ["dialog", "end"]


def test_the_explorer_never_taps_what_pays_sends_or_calls_and_records_the_refusals(phone):
    p = phone("cn")
    out = p.run("accept", permissions="deny", explore_s=20, explore_actions=8)
    tos = [e["to"] for e in p.screen["log"]]
    assert "paid" not in tos
    hits = [t["hit"] for t in p.taps()]
    assert hits[:2] == ["同意", "不允许"]
    assert not {"支付", "立即购买", "拨打客服电话", "发送反馈"} & set(hits)
    refused = {(r["target_text"], r["target_id"]) for r in p.actions() if r["purpose"] == "refused_unsafe"}
    assert {t for t, _ in refused} >= {"支付", "立即购买", "拨打客服电话"}
    assert ("com.example.shop:id/btn_pay_quick" in {i for _, i in refused})
    assert out.refused_unsafe == len(refused)
    explored = [a for a in p.actions() if a["purpose"] == "explore"]
    assert 0 < len(explored) <= 8 and out.explore_actions <= 8
    assert "我的" in hits and "隐私设置" in hits       # it went on past a screen that mentions privacy
    # each explore tap has its screenshot, taken before it
    shots = {s["action_id"]: s["cause"] for s in p.screens() if s["action_id"]}
    assert all(shots.get(a["id"]) == "explore" for a in explored if a["action"] == "tap")


def test_screenrecord_refused_by_the_double_is_one_note_and_the_run_goes_on(phone):
    p = phone("en")
    out = p.run("accept", record_video=True)
    assert out.decision == "accepted" and out.video is None
    [note] = [n for n in out.notes if "screen recording" in n]
    assert "unable to create video encoder" in note and "\n" not in note


def test_a_stop_ends_the_wait_and_still_takes_the_last_screenshot(phone):
    p = phone("cn")
    p.store.conn  # opened before the clock starts
    stop = threading.Event()
    stop.set()
    started = time.monotonic()
    out = p.run("accept", stop=stop, dialog_wait_s=60)
    assert time.monotonic() - started < 10
    assert out.decision == "no_dialog" and p.taps() == []
    assert _check_screens(p) == ["end"]


def test_a_device_without_a_window_is_a_note_not_a_traceback(tmp_path, monkeypatch):
    p = Phone(tmp_path, monkeypatch, "cn")
    state = model.load(str(p.path))
    del state["screen"]
    model.save(str(p.path), state)
    out = p.run("accept")
    assert out.decision == "failed"
    assert any("null root node" in n for n in out.notes)
    assert p.store.rows("SELECT component FROM errors")[0]["component"] == "automation"


def test_an_unticked_consent_checkbox_is_ticked_only_to_accept(phone):
    p = phone("checkbox")
    state = model.load(str(p.path))
    state["screen"]["checked"] = {"[120,1430][200,1510]": False}      # the app shows the box unticked
    model.save(str(p.path), state)
    out = p.run("accept")
    assert out.checkbox == "unticked" and out.decision == "accepted"
    assert [t["hit"] for t in p.taps()] == ["com.example.shop:id/cb_agree", "同意"]
    assert [(a["action"], a["purpose"]) for a in p.actions()] == [
        ("none", "consent_checkbox_noted"), ("tap", "consent_accept"), ("tap", "consent_accept")]
    assert p.screen["checked"] == {"[120,1430][200,1510]": True}


def test_the_scripted_screen_changes_by_itself_after_its_time(phone):
    p = phone("cn")
    adb = p.adb
    first = adb.exec_out("uiautomator", "dump", "/dev/tty").decode()
    assert "splash" in first and first.rstrip().endswith("UI hierchary dumped to: /dev/tty")
    time.sleep(0.35)
    assert "用户协议与隐私政策" in adb.exec_out("uiautomator", "dump", "/dev/tty").decode()
    assert p.screen["current"] == "dialog"


def test_demo_force_clears_the_screens_folder_and_refuses_one_with_foreign_files(phone):
    from piiaudit import sessiondir
    p = phone("en")
    p.run("accept")
    p.store.close()
    assert sessiondir.foreign_entries(p.session) == []
    (p.session / "screens" / "holiday.jpg").write_bytes(b"not ours")
    assert sessiondir.foreign_entries(p.session) == ["screens/"]
    with pytest.raises(sessiondir.SessionDirError, match="screens/"):
        sessiondir.clear(p.session)
    (p.session / "screens" / "holiday.jpg").unlink()
    assert "screens/" in sessiondir.clear(p.session)
    assert list(p.session.iterdir()) == []


def test_a_prompt_left_open_is_photographed_once_and_linked_to_the_app_s_request(phone):
    p = phone("cn")
    p.store.write({"events": [{"ts": time.time(), "kind": "permission_request", "api": "android.app.Activity.requestPermissions",
                               "value": "android.permission.ACCESS_FINE_LOCATION"}]})
    request = p.store.rows("SELECT id FROM events")[0]["id"]
    out = p.run("accept", permissions="leave", explore_s=0.6)
    assert [t["hit"] for t in p.taps()] == ["同意"] and p.screen["current"] == "permission"
    prompts = [s for s in p.screens() if s["cause"] == "permission_prompt"]
    assert len(prompts) == 1 and prompts[0]["event_id"] == request and "left unanswered" in prompts[0]["note"]
    assert out.permissions == [{"message": "要允许“购物”获取此设备的位置信息吗？", "answer": "leave"}]


FAKE_RECORDER = r'''#!PYTHON
"""adb for the recording test: screenrecord runs until SIGINT, then finishes its file."""
import os, shutil, signal, sys, time
args, here = sys.argv[1:], os.path.dirname(os.path.abspath(__file__))
remote = os.path.join(here, "remote.mp4")
if args[:2] == ["shell", "screenrecord"]:
    open(os.path.join(here, "recorder.pid"), "w").write(str(os.getpid()))
    def done(*_):
        open(remote, "wb").write(b"\x00\x00\x00\x18ftypmp42 finished on SIGINT")
        sys.exit(0)
    signal.signal(signal.SIGINT, done)
    time.sleep(30)
    sys.exit(0)
if args == ["shell", "pkill -INT screenrecord"]:
    os.kill(int(open(os.path.join(here, "recorder.pid")).read()), signal.SIGINT)
elif args[:1] == ["pull"]:
    if not os.path.exists(remote):
        sys.exit("adb: error: remote object does not exist")
    shutil.copy(remote, args[2])
'''


def test_a_recording_is_stopped_with_sigint_pulled_and_kept_in_screens(tmp_path):
    from commands.device.ui.recording import ScreenRecording
    fake = tmp_path / "adb"
    fake.write_text(FAKE_RECORDER.replace("PYTHON", sys.executable))
    fake.chmod(0o755)
    adb = Adb(str(fake))
    rec, note = ScreenRecording.start(adb, 400)
    assert rec is not None and "capped at 180 s" in note and rec.limit_s == 180
    path, note = rec.stop()
    assert note is None and path.read_bytes().endswith(b"finished on SIGINT")
    store = SessionStore(tmp_path / "s")
    sid = store.add_screen(time.time(), path, "recording", kind="mp4")
    row = store.rows("SELECT * FROM screens WHERE id = ?", (sid,))[0]
    kept = tmp_path / "s" / row["file"]
    assert row["file"] == "screens/0001-recording.mp4" and not path.exists()
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == row["sha256"]
