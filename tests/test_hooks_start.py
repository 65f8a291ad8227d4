"""Starting a process the Android way, on the JVM stand-in: the deadline before the resume,
the recorded spawn-to-resume time, gated spawns (dispatched once, told by uid), a crash
through Android's default handler, and an agent that fails to install.
Real Frida, real JVMs, real SQLite. Programs: tests/java/src/com/example/fixture/."""

import json
import threading
import time

import frida
import pytest

from hooks.agent_build import build_agent
from hooks.runner import HooksError, HooksRunner
from hooks.targets import LocalProcess
from piiaudit.store import SessionStore
from tests.support import java_fixtures as fixtures

IMEI = "867530912345673"
APP_UID = "10123"
GLOBAL_NAME = "com.example.fixture.push"  # android:process="com.example.fixture.push": no ':'


def _rows(store, kind):
    return [dict(r, data=json.loads(r["data"]) if r["data"] else {})
            for r in store.rows("SELECT * FROM events WHERE kind = ? ORDER BY ts, seq", (kind,))]


# -- item 3: the start deadline and the spawn-to-resume record ---------------------------
def test_a_slow_step_before_the_resume_fails_the_start_with_the_step_named(tmp_path):
    fx = fixtures.build()
    store = SessionStore(tmp_path)
    runner = HooksRunner(store, LocalProcess(fx.argv("ChildMain")), start_timeout=2)
    runner.agent_config["standin_slow_init_ms"] = 6000
    t0 = time.monotonic()
    with pytest.raises(HooksError, match=r"not resumed within 2 s of its start: 'init' did not finish in time"):
        runner.start()
    assert time.monotonic() - t0 < 5  # not the 6 s init, nor the 60 s ready timeout
    errors = [r["message"] for r in store.rows("SELECT message FROM errors")]
    assert any("'init' did not finish in time" in e for e in errors)


def test_the_spawn_to_resume_time_is_recorded_with_its_steps(tmp_path):
    fx = fixtures.build()
    store = SessionStore(tmp_path)
    runner = HooksRunner(store, LocalProcess(fx.argv("ChildMain")), clock_samples=20)
    runner.agent_config["standin_slow_init_ms"] = 1500
    runner.start()
    status = runner.wait(60)
    runner.stop()
    assert status == 0
    (start,) = _rows(store, "process_start")
    assert start["pid"] == runner.pid
    steps = start["data"]["steps_ms"]
    assert set(steps) == {"attach", "child gating", "create the script", "load the agent", "ping", "clock sample", "init"}
    assert 1500 <= steps["init"] < 8000
    assert start["data"]["spawn_to_resume_ms"] >= sum(steps.values())
    meta = store.get_meta("hooks")
    assert meta["processes"][0]["start"]["spawn_to_resume_ms"] == start["data"]["spawn_to_resume_ms"]
    # One sample before the resume, the full 20 round trips after it.
    syncs = store.rows("SELECT samples, at_host FROM clock_syncs WHERE pid = ? ORDER BY rowid", (runner.pid,))
    assert syncs[0]["samples"] == 1 and syncs[1]["samples"] == 20
    assert syncs[1]["at_host"] > start["ts"]


# -- item 4: gated spawns ------------------------------------------------------------------
class _CountingDevice:
    """The local Frida device, counting resumes per pid (a double resume would show)."""

    def __init__(self, device):
        self._device = device
        self.resumed: dict[int, int] = {}
        self.lock = threading.Lock()

    def resume(self, pid):
        with self.lock:
            self.resumed[pid] = self.resumed.get(pid, 0) + 1
        return self._device.resume(pid)

    def __getattr__(self, name):
        return getattr(self._device, name)


class _Spawn:
    def __init__(self, pid, identifier):
        self.pid, self.identifier = pid, identifier


def test_gated_spawns_are_handled_once_and_the_apps_are_told_by_uid(tmp_path):
    """Device-level spawn gating needs Android; here the gated spawns are real suspended
    processes handed to the runner's handler as Frida would report them, twice over (the
    signal, then enumerate_pending_spawn)."""
    fx = fixtures.build()
    store = SessionStore(tmp_path)
    main_argv = fx.argv("ChildMain", jvm_args=(f"-Dstandin.uid={APP_UID}",))
    runner = HooksRunner(store, LocalProcess(main_argv))
    local = frida.get_local_device()
    device = _CountingDevice(local)
    runner._device = device
    runner._bundle = build_agent()
    runner._app_uid = _uid_of_a_main_process(runner, local, main_argv)
    assert runner._app_uid == APP_UID
    runner._main_known.set()
    push = local.spawn(fx.argv("ChildMain", jvm_args=(f"-Dstandin.uid={APP_UID}", f"-Dpiiaudit.process={GLOBAL_NAME}")),
                       stdio="pipe")
    other = local.spawn(fx.argv("ChildMain", jvm_args=("-Dstandin.uid=10999",)), stdio="pipe")
    try:
        # Not the app's: resumed at once, even while the runner holds its launch lock.
        with runner._launch_lock:
            runner._on_spawn_added(_Spawn(other, "com.other.app"))
            _wait(lambda: device.resumed.get(other) == 1, "the other app resumed")
        for _ in range(3):  # spawn-added, then listed again as pending
            runner._on_spawn_added(_Spawn(push, GLOBAL_NAME))
        _wait(lambda: device.resumed.get(push) == 1, "the push process resumed")
        assert push in runner._procs, store.rows("SELECT message FROM errors")
        proc = runner._procs[push]
        assert proc.ready.wait(30) and proc.ended.wait(30)
        time.sleep(0.5)
        assert device.resumed == {other: 1, push: 1}
        assert other not in runner._procs
    finally:
        for pid in (push, other):
            try:
                local.kill(pid)
            except frida.ProcessNotFoundError:
                pass
        runner._shutdown()
    reads = _rows(store, "pii_read")
    assert {(r["pid"], r["process"]) for r in reads} == {(push, GLOBAL_NAME)}
    assert [r["value"] for r in reads] == [IMEI, IMEI]
    assert len([r for r in _rows(store, "hooks_ready") if r["pid"] == push]) == 1  # one agent
    (start,) = _rows(store, "process_start")
    assert start["process"] == GLOBAL_NAME and start["data"]["spawn_to_resume_ms"] > 0


def _uid_of_a_main_process(runner, device, argv):
    """The app's uid as the runner reads it right after the main spawn (then the spawn goes)."""
    pid = device.spawn(argv, stdio="pipe")
    try:
        return runner.target.uid_of(device, pid)
    finally:
        _kill_quietly(device, pid)


def _kill_quietly(device, pid):
    try:
        device.kill(pid)
    except frida.ProcessNotFoundError:
        pass


def _wait(predicate, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


# -- item 7: a crash through Android's default handler ------------------------------------
def test_a_crash_through_the_default_handler_is_recorded_before_the_kill(tmp_path):
    fx = fixtures.build()
    store = SessionStore(tmp_path)
    runner = HooksRunner(store, LocalProcess(fx.argv("CrashMain"), killed_is_normal_end=True))
    runner.start()
    status = runner.wait(60)
    runner.stop()
    assert status is None  # SIGKILL: no exit status
    assert "unreachable" not in runner.output and "FATAL EXCEPTION: sdk-worker" in runner.output
    (crash,) = _rows(store, "uncaught_exception")
    assert crash["thread"] == "sdk-worker" and "IllegalStateException" in crash["value"]
    assert crash["data"]["frames"][0].startswith("com.example.fixture.CrashMain.fail(")
    ends = [r for r in _rows(store, "target_exit") if r["pid"] == runner.pid]
    assert len(ends) == 1 and ends[0]["data"]["killed"] is True
    # The kill is the normal end of an Android app: no error row for it.
    assert not [r for r in store.rows("SELECT message FROM errors") if "killed by a signal" in r["message"]]
    assert [r["value"] for r in _rows(store, "pii_read")] == [IMEI]


def test_on_a_plain_local_program_a_kill_is_still_an_error(tmp_path):
    fx = fixtures.build()
    store = SessionStore(tmp_path)
    runner = HooksRunner(store, LocalProcess(fx.argv("CrashMain")))
    runner.start()
    runner.wait(60)
    runner.stop()
    assert len(_rows(store, "uncaught_exception")) == 1
    assert any("killed by a signal" in r["message"] for r in store.rows("SELECT message FROM errors"))


# -- item 9: an exception in install ---------------------------------------------------------
def test_an_exception_in_install_is_an_agent_failure_not_a_script_error(tmp_path):
    fx = fixtures.build()
    store = SessionStore(tmp_path)
    # A describer name must be a string: a number makes the install itself throw (a bad
    # row is otherwise caught row by row and reported as hook-failed).
    bad = [{"id": "broken.row", "class": "java.lang.Thread", "method": "currentThread", "overloads": [[]],
            "kind": "pii_read", "pii_type": None, "describe": 5}]
    runner = HooksRunner(store, LocalProcess(fx.argv("ChildMain")), hook_table=bad)
    t0 = time.monotonic()
    with pytest.raises(HooksError, match="failed to install hooks"):
        runner.start()
    assert time.monotonic() - t0 < 20
    errors = [r["message"] for r in store.rows("SELECT message FROM errors")]
    assert any("at install" in e for e in errors)
    assert not any("agent script error" in e for e in errors)
