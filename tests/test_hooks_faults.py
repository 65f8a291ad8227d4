"""Faults around a hooks run: a killed runner, a target that dies or crashes, a target
that cannot start, attaching late, gated spawns. Real Frida, real JVMs, real SQLite."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import frida
import pytest

from hooks.standin.build import build as build_standin, java_command
from hooks.runner import HooksError, HooksRunner, run_local_process
from hooks.targets import AndroidApp, LocalProcess, RunningProcess, TargetError
from piiaudit import runs
from piiaudit.store import SessionStore

REPO = Path(__file__).resolve().parents[1]
GATE = "com.example.demoshop.InstrumentationGate.ready"


def standin_argv(*jvm_args, main="com.example.demoshop.DemoShopLauncher", app_args=()):
    return java_command(build_standin(), proxy_host=None, proxy_port=None, truststore=None,
                                truststore_password=None, device_properties=None,
                                extra_jvm_args=["-Dstandin.offline=true", *jvm_args], main=main, app_args=app_args)


def bench_argv(*app_args):
    return standin_argv(main="com.example.demoshop.HookBench", app_args=[str(a) for a in app_args])


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


def count_reads(db_path):
    try:
        with sqlite3.connect(db_path, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM events WHERE kind = 'pii_read'").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def kill_quietly(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, TypeError):
        pass


def test_a_killed_runner_leaves_a_consistent_db_with_what_it_committed(tmp_path):
    session = tmp_path / "session"
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from hooks.runner import run_local_process
        from piiaudit.store import SessionStore
        run_local_process(SessionStore({str(session)!r}), {standin_argv()!r}, timeout=120)
    """)
    runner = subprocess.Popen([sys.executable, "-c", code], cwd=REPO)
    jvm_pid = None
    try:
        committed = wait_for(lambda: count_reads(session / "session.db") >= 3, what="three committed reads")
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(timeout=10)
        with sqlite3.connect(session / "session.db") as conn:
            jvm_pid = conn.execute("SELECT pid FROM clock_syncs LIMIT 1").fetchone()[0]
    finally:
        kill_quietly(runner.pid)
        kill_quietly(jvm_pid)
    store = SessionStore(session, create=False)
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reads = store.rows("SELECT pii_type, value, ts, sdk FROM events WHERE kind = 'pii_read' ORDER BY seq")
    assert len(reads) >= committed
    assert [r["pii_type"] for r in reads[:3]] == ["imei", "installed_apps", "android_id"]
    assert all(r["ts"] is not None for r in reads)
    assert store.count("clock_syncs") >= 1
    assert [(r["stage"], r["running"]) for r in runs.partial(store)] == [("hooks", False)]   # partial, says so


def test_a_target_killed_mid_run_ends_the_run_with_a_clear_error(tmp_path):
    store = SessionStore(tmp_path)
    runner = HooksRunner(store, LocalProcess(standin_argv()))
    runner.start()
    try:
        wait_for(lambda: count_reads(store.db_path) >= 2, what="two reads")
        os.kill(runner.pid, signal.SIGKILL)
        status = runner.wait(timeout=30)
        assert not runner.running
    finally:
        stats = runner.stop(kill=True)
    assert status is None and stats.exit_status is None
    errors = [r["message"] for r in store.rows("SELECT message FROM errors")]
    assert any("ended without an exit status" in m and str(runner.pid) in m for m in errors), errors
    end = store.rows("SELECT data FROM events WHERE kind = 'target_exit'")
    assert len(end) == 1 and json.loads(end[0]["data"])["reason"] == "process-terminated"
    reads = store.rows("SELECT pii_type FROM events WHERE kind = 'pii_read' ORDER BY seq")
    assert [r["pii_type"] for r in reads[:2]] == ["imei", "installed_apps"]


def _exit_wedging_runner(tmp_path, **kwargs):
    """ChildMain ends by System.exit(0); the agent's test knob stalls that thread inside the
    exit for a minute, as a process wedged in its exit stays (docs/hooks.md, A wedged exit)."""
    from tests.support import java_fixtures as fixtures

    store = SessionStore(tmp_path)
    runner = HooksRunner(store, LocalProcess(fixtures.build().argv("ChildMain")), **kwargs)
    runner.agent_config["standin_exit_stall_ms"] = 60_000
    return store, runner


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]


def test_a_target_wedged_in_its_exit_is_killed_and_its_exit_status_kept(tmp_path):
    store, runner = _exit_wedging_runner(tmp_path, exit_grace=2)
    runner.start()
    t0 = time.monotonic()
    try:
        status = runner.wait(timeout=30)
        waited = time.monotonic() - t0
    finally:
        runner.stop()
    assert status == 0 and not runner.running
    assert waited < 20  # the grace, not the minute's stall
    assert not _alive(runner.pid)
    errors = [r["message"] for r in store.rows("SELECT message FROM errors")]
    assert any(f"(pid {runner.pid}) reported its exit (JVM_Halt, status 0) but had not ended 2 s later: killed" in m
               for m in errors), errors
    reads = store.rows("SELECT pii_type FROM events WHERE kind = 'pii_read'")
    assert [r["pii_type"] for r in reads] == ["imei", "imei"]  # what it did before is all there


def test_stopping_a_run_whose_agent_does_not_unload_returns_and_ends_the_target(tmp_path):
    store, runner = _exit_wedging_runner(tmp_path, exit_grace=120, detach_timeout=2)
    runner.start()
    try:
        wait_for(lambda: store.rows("SELECT 1 FROM events WHERE kind = 'process_exit'"), what="the exit report")
        t0 = time.monotonic()
    finally:
        runner.stop()
    assert time.monotonic() - t0 < 25  # bounded: the final clock sync, then the detach's 2 s
    wait_for(lambda: not _alive(runner.pid), timeout=10, what="the target to end")
    errors = [r["message"] for r in store.rows("SELECT message FROM errors")]
    assert any(f"(pid {runner.pid}) did not unload within 2 s: the process was killed" in m for m in errors), errors


def test_an_uncaught_exception_is_recorded_with_the_launchers_exit_status(tmp_path):
    store = SessionStore(tmp_path)
    stats = run_local_process(store, bench_argv(-1), timeout=60)  # HookBench rejects -1 with an exception
    assert stats.exit_status == 1
    crash = store.rows("SELECT value, data, thread FROM events WHERE kind = 'uncaught_exception'")
    assert len(crash) == 1 and "IllegalArgumentException" in crash[0]["value"]
    assert crash[0]["thread"] == "main"
    assert json.loads(crash[0]["data"])["frames"][0].startswith("com.example.demoshop.HookBench.main(")
    assert any("exited with status 1" in r["message"] for r in store.rows("SELECT message FROM errors"))


def test_every_call_of_a_hot_getter_reaches_the_store(tmp_path):
    # 3000 calls in a tight loop: the JIT must not inline the getter past the hook, and the
    # batched writer must lose nothing.
    store = SessionStore(tmp_path)
    stats = run_local_process(store, bench_argv(3000, "getDeviceId"), timeout=120, rate=None, stacks=False)
    assert stats.exit_status == 0
    n = store.conn.execute("SELECT count(*) FROM events WHERE kind = 'pii_read' AND api = ?",
                           ("android.telephony.TelephonyManager.getDeviceId()",)).fetchone()[0]
    assert n == 3000


def test_a_program_that_does_not_exist_fails_cleanly(tmp_path):
    store = SessionStore(tmp_path)
    runner = HooksRunner(store, LocalProcess(["/nonexistent/java-that-is-not-there"]))
    with pytest.raises(HooksError, match="no such program"):
        runner.start()
    assert any("no such program" in r["message"] for r in store.rows("SELECT message FROM errors"))


def test_a_target_without_a_java_vm_times_out_with_a_hint(tmp_path):
    store = SessionStore(tmp_path)
    runner = HooksRunner(store, LocalProcess(["sleep", "20"]), ready_timeout=2)
    t0 = time.monotonic()
    with pytest.raises(HooksError, match="waiting for a Java VM"):
        runner.start()
    assert time.monotonic() - t0 < 15
    assert store.count("errors") >= 1


def test_a_target_that_ends_before_its_hooks_are_ready_says_how_far_the_agent_got(tmp_path):
    store = SessionStore(tmp_path)
    runner = HooksRunner(store, LocalProcess(["true"]), ready_timeout=20)
    with pytest.raises(HooksError) as raised:
        runner.start()
    message = str(raised.value)
    assert "ended before the hooks were ready (process-terminated, exit status 0" in message
    assert "the agent's steps: none after init (agent phase waiting-for-vm)" in message


def test_the_agents_steps_towards_the_hooks_are_kept_for_that_message(tmp_path):
    from tests.support import java_fixtures as fixtures

    runner = HooksRunner(SessionStore(tmp_path), LocalProcess(fixtures.build().argv("ChildMain")))
    runner.start()
    try:
        runner.wait(timeout=30)
    finally:
        runner.stop()
    steps = runner._main.start_steps
    assert re.fullmatch(r"libjvm.so loaded: JNI_CreateJavaVM watched \(armed by the launcher's pthread_create; patched after \d+ ms\)", steps[0]), steps
    assert steps[1:] == ["JNI_CreateJavaVM entered", "JNI_CreateJavaVM returned: installing the hooks"], steps


def test_attaching_late_with_the_start_gate(tmp_path):
    """The fallback for a JVM that is already running: it waits on InstrumentationGate.ready,
    the agent attaches, hooks, then opens the gate; the app must not wait out its timeout."""
    app = subprocess.Popen(standin_argv("-Dstandin.gate=60"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # Attach once the VM is up and main() waits at the gate: attaching while the VM is
        # still being created is not supported (JDK 17 reports a VM before it is complete).
        wait_for(lambda: "Common-Cleaner" in _thread_names(app.pid), what="a started JVM")
        time.sleep(0.5)
        store = SessionStore(tmp_path)
        runner = HooksRunner(store, RunningProcess(app.pid), release_gate=GATE)
        t0 = time.monotonic()
        runner.start()
        status = runner.wait(timeout=60)
        runner.stop()
        output = app.communicate(timeout=30)[0]
    finally:
        app.kill()
    assert time.monotonic() - t0 < 30, "the app waited for its gate timeout: the agent did not open it"
    assert app.returncode == 0 and status == 0, output
    assert "not opened" not in output
    ready = json.loads(store.rows("SELECT data FROM events WHERE kind = 'hooks_ready'")[0]["data"])
    assert ready["phase"] == "attached" and ready["gate"] == GATE
    reads = [r["pii_type"] for r in store.rows("SELECT pii_type FROM events WHERE kind = 'pii_read' ORDER BY seq")]
    assert reads == ["imei", "installed_apps", "android_id", "mac", "location", "clipboard"]


def test_a_gated_spawn_is_resumed_whatever_happens(tmp_path):
    """Device-level spawn gating needs Android; the handler's contract is checked on local
    suspended processes: ours or not, instrumentable or not, each one is resumed."""
    store = SessionStore(tmp_path)
    runner = HooksRunner(store, LocalProcess(["true"]))
    runner._device = frida.get_local_device()
    runner._bundle = "this is not javascript ("
    device = runner._device
    pids = [device.spawn(["/bin/sleep", "5"]) for _ in range(2)]
    try:
        assert all(_state(pid) == "t" for pid in pids)  # suspended, as a gated spawn would be
        runner.target.owns_child = lambda identifier: identifier == "ours"
        runner._handle_gated_spawn(pids[0], "not-ours")
        runner._handle_gated_spawn(pids[1], "ours")  # the agent fails to load
        for pid in pids:
            wait_for(lambda: _state(pid) not in ("t", "T"), timeout=5, what=f"{pid} resumed")
            assert _state(pid) in ("S", "R")
    finally:
        for pid in pids:
            kill_quietly(pid)
    runner._shutdown()  # commits what the handlers recorded
    errors = [r["message"] for r in store.rows("SELECT message FROM errors WHERE component = 'hooks'")]
    assert any("could not instrument ours" in e for e in errors)


def _thread_names(pid):
    names = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            names.append(open(f"/proc/{pid}/task/{task}/comm").read().strip())
        except OSError:
            pass
    return names


def _state(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("State:"):
            return line.split()[1]
    return None


def test_target_errors_name_the_problem():
    with pytest.raises(TargetError, match="non-empty argv"):
        LocalProcess([])
    with pytest.raises(TargetError, match="stdio"):
        LocalProcess(["java"], stdio="file")


def test_a_missing_android_device_is_reported_with_what_to_check(tmp_path):
    store = SessionStore(tmp_path)
    runner = HooksRunner(store, AndroidApp("com.example.demoshop", device_id="emulator-5554", timeout=0.5))
    with pytest.raises(HooksError, match=re.escape(f"frida-server {frida.__version__}")):
        runner.start()
    (error,) = store.rows("SELECT component, message FROM errors")
    assert error["component"] == "hooks" and "adb devices" in error["message"]
