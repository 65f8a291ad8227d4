"""`piiaudit record --apk` against the stateful adb double (Android 13 and 14 layouts).

The install, the grants, the force-stop and the uninstall are read back from the modelled
device's state (its package table, `dumpsys package`'s runtime permissions, its processes).
The double cannot run an app, so the spawn goes through `record_apk`'s `target_factory` seam:
the JVM stand-in, the same app (com.example.demoshop, tests/data/apk/demoshop.apk is its APK),
spawned under Frida with the hooks and its traffic through the proxy, as `piiaudit demo` runs it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from commands.recording import DriverContext, RecordError, record_apk
from piiaudit import apk as apk_mod
from piiaudit import manifest
from piiaudit.store import SessionStore
from piiaudit.yamlfile import load_resource
from tests.support.adbdouble import Device, model
from tests.support.splitapk import write_split

APK = Path(__file__).parent / "data" / "apk" / "demoshop.apk"
PACKAGE = "com.example.demoshop"
DEMO_DEVICE = Path(__file__).resolve().parents[1] / "piiaudit" / "data" / "demo" / "device.yaml"


def runtime_granted(dev: Device) -> list[str]:
    out, _, rc = model.adb(dev.state, ["shell", f"dumpsys package {PACKAGE}"])
    assert rc == 0
    return sorted(line.split(":")[0].strip() for line in out.splitlines() if line.endswith("granted=true"))


@pytest.fixture(scope="module")
def standin_classpath():
    from hooks.standin import build as standin
    return standin.build()


def standin_target(classpath, seen: dict, dev: Device, *, device_user: bool = False):
    """The stand-in as the spawned app; records what the device looked like at the spawn."""
    from hooks.standin import build as standin
    from hooks.standin.scenarios import CONSENT_PROPERTY
    from hooks.targets import LocalProcess
    from piiaudit import profile as profiles

    def factory(proxy):
        state = dev.state
        seen["installed"] = PACKAGE in state["packages"]
        seen["granted"] = runtime_granted(dev)
        truststore, password = standin.make_truststore(proxy.ca_pem, seen["work"] / "truststore.p12")
        props = standin.write_device_properties(profiles.load(DEMO_DEVICE), seen["work"] / "device.properties")
        argv = standin.java_command(classpath, proxy_host="127.0.0.1", proxy_port=proxy.port, truststore=truststore,
                                    truststore_password=password, device_properties=props,
                                    extra_jvm_args=(standin.screen_args(seen["port_file"]) if device_user
                                                    else [f"-D{CONSENT_PROPERTY}=accept"]))
        return LocalProcess(argv)
    return factory


@pytest.mark.parametrize("sdk", [33, 34])
def test_record_apk_installs_grants_spawns_the_stand_in_then_stops_and_uninstalls(
        tmp_path, monkeypatch, standin_classpath, sdk):
    from hooks.standin.scenarios import SCENARIOS
    from piiaudit import paths

    dev = Device(tmp_path, monkeypatch, model.new_device(sdk))
    before = dev.state
    seen: dict = {"work": tmp_path}
    driver_calls: list = []

    def consent(ctx: DriverContext):
        driver_calls.append((ctx.package, ctx.session_dir))
        ctx.stop.wait(60)                  # a driver returns when the recording ends
        return "nothing tapped (test driver)"

    lines: list[str] = []
    summary = record_apk([APK], tmp_path / "run", grant="all", echo=lines.append, profile=DEMO_DEVICE,
                         listen_host="127.0.0.1", listen_port=0, confdir=paths.demo_confdir(), attach=False,
                         duration=120, consent=consent, target_factory=standin_target(standin_classpath, seen, dev),
                         proxy_options={"respond_hosts": SCENARIOS["demo"].hosts})
    # at the spawn: installed, with every runtime permission it declares on this API level
    expected = apk_mod.runtime_permissions(apk_mod.read_apk(APK), sdk)
    assert seen["installed"] and seen["granted"] == expected
    assert ("android.permission.READ_MEDIA_IMAGES" in expected) == (sdk >= 33)
    assert ("android.permission.READ_EXTERNAL_STORAGE" in expected) is False      # maxSdkVersion 32
    # afterwards: stopped and uninstalled; the device is as it was
    after = dev.state
    assert PACKAGE not in after["packages"] and PACKAGE not in after["package_info"]
    assert after["packages"] == before["packages"]
    log = dev.log()
    assert [line for line in log if " install" in line] == [f"-s emulator-5554 install -r {APK}"]
    assert log[-2:] == [f"-s emulator-5554 shell am force-stop {PACKAGE}", f"-s emulator-5554 uninstall {PACKAGE}"]
    # the session: the app's traffic and hook events, the install facts, the driver's result
    store = SessionStore(tmp_path / "run", create=False)
    assert store.count("flows") > 0 and store.count("events") > 0
    facts = manifest.read(tmp_path / "run")["install"]
    assert facts["granted"] == expected and facts["kept"] is False and facts["api"] == sdk
    assert driver_calls == [(PACKAGE, tmp_path / "run")]
    assert "screen driver: nothing tapped (test driver)" in summary
    assert "app exited (0)" in summary, summary


def test_keep_leaves_the_app_installed_and_a_split_set_uses_install_multiple(tmp_path, monkeypatch):
    dev = Device(tmp_path, monkeypatch, model.new_device(34))
    split = write_split(tmp_path / "split_config.xxhdpi.apk", PACKAGE, "config.xxhdpi")
    stop_after_spawn = RuntimeError("the double runs no app: stopped at the spawn")

    def target(proxy):
        raise stop_after_spawn

    with pytest.raises(RecordError, match="stopped at the spawn"):
        record_apk([APK, split], tmp_path / "run", grant="CAMERA,READ_CONTACTS", keep=True, echo=lambda s: None,
                   profile=None, listen_host="127.0.0.1", listen_port=0, confdir=tmp_path / "mitm", attach=False,
                   target_factory=target)
    state = dev.state
    assert PACKAGE in state["packages"]                     # --keep: still installed, but stopped
    assert state["package_info"][PACKAGE]["splits"] == ["config.xxhdpi"]
    assert runtime_granted(dev) == ["android.permission.CAMERA", "android.permission.READ_CONTACTS"]
    assert any(line.startswith("-s emulator-5554 install-multiple -r ") for line in dev.log())
    assert f"-s emulator-5554 shell am force-stop {PACKAGE}" in dev.log()


@pytest.mark.parametrize("grant, why", [
    ("SEND_SMS", "does not declare android.permission.SEND_SMS"),
    ("INTERNET", "not a runtime permission"),
    ("READ_EXTERNAL_STORAGE", "declares it only up to an API level below the device's (34)"),
])
def test_a_wrong_grant_is_refused_before_anything_is_installed(tmp_path, monkeypatch, grant, why):
    dev = Device(tmp_path, monkeypatch, model.new_device(34))
    before = dev.state
    result = dev.cli("record", "--apk", APK, "--grant", grant, "--session", tmp_path / "run", "--listen-port", "0")
    assert result.exit_code == 1 and why in result.output, result.output
    assert dev.state == before and not (tmp_path / "run").exists()


def test_splits_of_another_app_or_no_base_are_refused(tmp_path, monkeypatch):
    dev = Device(tmp_path, monkeypatch, model.new_device(34))
    other = write_split(tmp_path / "other.apk", "com.other.app", "config.arm64_v8a")
    result = dev.cli("record", "--apk", APK, "--apk", other, "--session", tmp_path / "run")
    assert result.exit_code == 1 and "other.apk is a split of com.other.app, not of com.example.demoshop" in result.output
    only = tmp_path / "only"
    only.mkdir()
    write_split(only / "split_config.xxhdpi.apk", PACKAGE, "config.xxhdpi")
    result = dev.cli("record", "--apk", only, "--session", tmp_path / "run")
    assert result.exit_code == 1 and "no base APK among split_config.xxhdpi.apk" in result.output
    assert PACKAGE not in dev.state["packages"]


def test_an_apks_archive_is_unpacked_and_its_splits_installed_together(tmp_path, monkeypatch):
    import zipfile
    dev = Device(tmp_path, monkeypatch, model.new_device(33))
    split = write_split(tmp_path / "s.apk", PACKAGE, "config.x86_64")
    bundle = tmp_path / "app.apks"
    with zipfile.ZipFile(bundle, "w") as z:
        z.write(APK, "splits/base-master.apk")
        z.write(split, "splits/base-x86_64.apk")
        z.writestr("toc.pb", b"")

    def target(proxy):
        raise RuntimeError("stop here")

    with pytest.raises(RecordError):
        record_apk([bundle], tmp_path / "run", echo=lambda s: None, profile=None, listen_host="127.0.0.1",
                   listen_port=0, confdir=tmp_path / "mitm", attach=False, target_factory=target)
    log = "\n".join(dev.log())
    assert "install-multiple -r" in log and "base-master.apk" in log and "base-x86_64.apk" in log
    assert PACKAGE not in dev.state["packages"]            # uninstalled after the failed spawn


def test_the_runtime_permission_table_covers_the_analysis_and_the_double():
    table = apk_mod.runtime_permission_table()
    assert set(table) == model.RUNTIME
    analysed = load_resource("analysis", "data/permission_types.yaml")["permissions"]
    missing = [p for p in analysed if not any(name.endswith("." + p) for name in table)]
    assert missing == []


def test_the_driver_thread_is_told_to_stop_and_its_failure_does_not_end_the_recording():
    from commands.recording import record_session

    class Hooks:
        def start(self): pass
        def wait(self, timeout=None): return 0
        def stop(self): pass

    class Proxy:
        port, observed = 0, None
        def start(self): pass
        def stop(self): pass

    stopped = threading.Event()

    def driver(stop):
        stop.wait(5)
        stopped.set()
        raise ValueError("no dialog found")

    import tempfile
    with tempfile.TemporaryDirectory() as d:
        store = SessionStore(Path(d), create=True)
        outcome = record_session(store, Proxy(), lambda observed: Hooks(), proxy_started=True, while_running=driver)
    assert stopped.is_set() and outcome.exit_status == 0
    assert outcome.driver_error == "ValueError: no dialog found"


def test_a_session_directory_that_is_not_ours_is_refused_before_the_install(tmp_path, monkeypatch):
    dev = Device(tmp_path, monkeypatch, model.new_device(34))
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("mine")
    result = dev.cli("record", "--apk", APK, "--grant", "all", "--session", foreign, "--listen-port", "0")
    assert result.exit_code == 1, result.output
    assert PACKAGE not in dev.state["packages"]
    assert not any(" install" in line for line in dev.log())
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.docx"]


def test_record_apk_with_consent_decline_declines_by_ui_automation(tmp_path, monkeypatch, standin_classpath):
    """`record --apk --consent decline`: the automation taps 不同意 and then 退出 on the app's own
    screen (the stand-in in device mode, reached only through the double's adb), photographs
    each step, and the analysis reads the refusal from the hooks' clicks."""
    from analysis.pipeline import analyze
    from commands.recording import ui_automation
    from hooks.standin.scenarios import SCENARIOS
    from piiaudit import paths

    seen: dict = {"work": tmp_path, "port_file": tmp_path / "screen.port"}
    state = model.new_device(34)
    state["screen"] = {"provider": "standin", "port_file": str(seen["port_file"])}
    dev = Device(tmp_path, monkeypatch, state)
    lines: list[str] = []
    record_apk([APK], tmp_path / "run", grant="all", echo=lines.append, profile=DEMO_DEVICE,
               listen_host="127.0.0.1", listen_port=0, confdir=paths.demo_confdir(), attach=False, duration=120,
               consent=ui_automation("decline", echo=lines.append),
               target_factory=standin_target(standin_classpath, seen, dev, device_user=True),
               proxy_options={"respond_hosts": SCENARIOS["demo"].hosts})
    store = SessionStore(tmp_path / "run", create=False)
    taps = store.rows("SELECT purpose, target_text FROM ui_actions WHERE action = 'tap' ORDER BY ts")
    assert [(t["purpose"], t["target_text"]) for t in taps] == [("consent_decline", "不同意"),
                                                                ("consent_second_prompt", "退出")]
    clicks = [r["value"] for r in store.rows("SELECT value FROM events WHERE kind = 'click' ORDER BY ts")]
    assert clicks == ["不同意", "退出"]
    causes = [r["cause"] for r in store.rows("SELECT cause FROM screens ORDER BY ts, id")]
    assert causes[0] == "dialog" and causes.count("after_tap") == 2
    assert any("asked to decline, result declined" in line for line in lines), lines
    store.close()
    result = analyze(tmp_path / "run")
    assert result.consent.status == "declined"
    assert "PIPL-REFUSE" in set(result.findings["rule_id"])
    assert PACKAGE not in dev.state["packages"]
