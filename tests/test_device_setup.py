"""`piiaudit device setup` / `device reset` against the stateful adb double (hooks/standin/adb/device_model.py).

Each test reads the modelled device's state back: what an app's mount namespace sees, the
settings table, the process table, the iptables rules; never only the printed commands.
No Android device or emulator is involved.
"""

import json
import lzma
from pathlib import Path

import frida
import pytest
from mitmproxy.certs import CertStore

from commands.device.cacert import android_name

from tests.support.adbdouble import Device, model

APEX = "/apex/com.android.conscrypt/cacerts"
SYSTEM = "/system/etc/security/cacerts"


@pytest.fixture(scope="module")
def ca_pem(tmp_path_factory):
    confdir = tmp_path_factory.mktemp("mitm")
    CertStore.from_store(confdir, "mitmproxy", 2048)
    return confdir / "mitmproxy-ca-cert.pem"


@pytest.fixture
def server_xz(tmp_path):
    path = tmp_path / f"frida-server-{frida.__version__}-android-x86_64.xz"
    path.write_bytes(lzma.compress(model.FRIDA_MAGIC + frida.__version__.encode() + b"\n"))
    return path


def test_android_14_setup_makes_the_ca_visible_to_running_and_new_apps_and_reset_undoes_it(
        tmp_path, monkeypatch, ca_pem, server_xz):
    dev = Device(tmp_path, monkeypatch, model.new_device(34))
    state = dev.state
    state["packages"].append("com.example.shop")
    model.save(str(dev.path), state)
    running = dev.start_app("com.example.shop")          # already running before setup
    name = android_name(ca_pem)

    result = dev.cli("device", "setup", "--frida-server", str(server_xz), "--ca", str(ca_pem))
    assert result.exit_code == 0, result.output
    s = dev.state
    assert s["adbd_root"] is True
    assert s["settings"]["global"]["http_proxy"] == "10.0.2.2:8080"
    assert [p for p in s["processes"] if p["name"] == "frida-server"][0]["user"] == "root"
    assert s["iptables"]["OUTPUT"] == ["-p udp --dport 443 -j REJECT"]
    # the CA is in the trust store every app reads, in the shell's, the zygotes' and the running app's namespaces
    for pid in (dev.pid("zygote"), dev.pid("zygote64"), running, dev.pid("com.android.settings")):
        assert dev.sees(pid, f"{APEX}/{name}"), pid
        assert dev.sees(pid, f"{APEX}/5ed36f99.0"), pid      # the system CAs stay trusted
    later = dev.start_app("com.example.shop")              # forked from zygote64 after setup
    assert dev.sees(later, f"{APEX}/{name}")
    assert model.lookup(s, "init", f"{SYSTEM}/{name}")["mode"] == "644"
    assert model.lookup(s, "init", f"{SYSTEM}/{name}")["ctx"] == "u:object_r:system_file:s0"
    assert model.read(s, "init", f"{APEX}/{name}") == ca_pem.read_bytes()

    doctor = dev.cli("doctor", "--ca", str(ca_pem), "--proxy", "10.0.2.2:8080")
    assert "✔ CA installed" in doctor.output and "✔ QUIC blocked" in doctor.output, doctor.output
    assert "✔ frida-server running" in doctor.output and doctor.exit_code == 0, doctor.output

    result = dev.cli("device", "reset", "--ca", str(ca_pem))
    assert result.exit_code == 0, result.output
    s = dev.state
    assert "http_proxy" not in s["settings"]["global"]
    assert not any(p["name"] == "frida-server" for p in s["processes"])
    assert model.lookup(s, "init", "/data/local/tmp/frida-server") is None
    assert s["iptables"]["OUTPUT"] == []
    for pid in (dev.pid("zygote64"), running, later):
        assert not dev.sees(pid, f"{APEX}/{name}") and dev.sees(pid, f"{APEX}/5ed36f99.0")
        assert not any(m["fstype"] == "tmpfs" for m in s["ns"][model.process(s, pid)["ns"]])
    doctor = dev.cli("doctor", "--ca", str(ca_pem))
    # adbd is back to the shell user (reset ends with `adb unroot`): the CA is gone, root too
    assert "✘ CA installed" in doctor.output and "✘ root" in doctor.output, doctor.output


def test_doctor_names_an_app_started_before_a_partial_setup(tmp_path, monkeypatch, ca_pem, server_xz):
    dev = Device(tmp_path, monkeypatch, model.new_device(34))
    assert dev.cli("device", "setup", "--frida-server", str(server_xz), "--ca", str(ca_pem)).exit_code == 0
    state = dev.state                                     # an app whose namespace lost the bind (as after a crash
    app = dev.pid("com.android.settings")                 # and restart from a zygote set up before)
    assert model.adb(state, ["shell", f"nsenter --mount=/proc/{app}/ns/mnt -- umount {APEX}"])[2] == 0
    model.save(str(dev.path), state)
    doctor = dev.cli("doctor", "--ca", str(ca_pem))
    assert f"✘ CA installed: {android_name(ca_pem)} in" in doctor.output
    assert f"not in the APEX as seen by pid {app}" in doctor.output, doctor.output
    # setup repairs exactly that namespace
    result = dev.cli("device", "setup", "--frida-server", str(server_xz), "--ca", str(ca_pem))
    assert "1 command(s) changed the device" in result.output, result.output
    assert dev.sees(app, f"{APEX}/{android_name(ca_pem)}")


def test_a_second_setup_changes_nothing(tmp_path, monkeypatch, ca_pem, server_xz):
    dev = Device(tmp_path, monkeypatch, model.new_device(34))
    assert dev.cli("device", "setup", "--frida-server", str(server_xz), "--ca", str(ca_pem)).exit_code == 0
    before = dev.state
    result = dev.cli("device", "setup", "--frida-server", str(server_xz), "--ca", str(ca_pem))
    assert result.exit_code == 0, result.output
    assert dev.state == before
    assert "0 command(s) changed the device" in result.output


def test_android_13_setup_remounts_and_copies_the_ca(tmp_path, monkeypatch, ca_pem, server_xz):
    dev = Device(tmp_path, monkeypatch, model.new_device(33))
    name = android_name(ca_pem)
    result = dev.cli("device", "setup", "--frida-server", str(server_xz), "--ca", str(ca_pem))
    assert result.exit_code == 0, result.output
    s = dev.state
    assert not any(m["fstype"] == "tmpfs" for mounts in s["ns"].values() for m in mounts)   # no tmpfs on ≤ 13
    e = model.lookup(s, "init", f"{SYSTEM}/{name}")
    assert (e["mode"], e["owner"], e["group"]) == ("644", "root", "root")
    assert dev.sees(dev.pid("com.android.settings"), f"{SYSTEM}/{name}")
    assert model.lookup(s, "init", f"/data/local/tmp/{name}") is None       # the staged copy is gone
    assert dev.cli("device", "reset", "--ca", str(ca_pem)).exit_code == 0
    assert model.lookup(dev.state, "init", f"{SYSTEM}/{name}") is None


def test_a_rooted_phone_uses_su_and_adb_reverse(tmp_path, monkeypatch, ca_pem, server_xz):
    state = model.new_device(34, serial="R58M123", build_type="user", su=True, abi="arm64-v8a")
    dev = Device(tmp_path, monkeypatch, state)
    server = tmp_path / f"frida-server-{frida.__version__}-android-arm64"
    server.write_bytes(model.FRIDA_MAGIC + frida.__version__.encode() + b"\n")
    result = dev.cli("device", "setup", "--frida-server", str(server), "--ca", str(ca_pem))
    assert result.exit_code == 0, result.output
    s = dev.state
    assert s["adbd_root"] is False                      # a user build: `adb root` is not tried, su is used
    assert s["reverse"] == {"tcp:8080": "tcp:8080"}
    assert s["settings"]["global"]["http_proxy"] == "127.0.0.1:8080"
    assert dev.sees(dev.pid("com.android.settings"), f"{APEX}/{android_name(ca_pem)}")
    assert dev.cli("device", "reset", "--ca", str(ca_pem)).exit_code == 0
    assert dev.state["reverse"] == {} and "http_proxy" not in dev.state["settings"]["global"]


def test_dry_run_prints_every_change_and_makes_none(tmp_path, monkeypatch, ca_pem, server_xz):
    dev = Device(tmp_path, monkeypatch, model.new_device(34))
    before = dev.state
    result = dev.cli("device", "setup", "--dry-run", "--frida-server", str(server_xz), "--ca", str(ca_pem))
    assert result.exit_code == 0, result.output
    assert dev.state == before
    out = result.output
    for expected in ("adb root", "adb push", "adb shell 'settings put global http_proxy 10.0.2.2:8080'",
                     f"mount -t tmpfs tmpfs {SYSTEM}", f"mount --bind {SYSTEM} {APEX}",
                     f"nsenter --mount=/proc/{dev.pid('zygote64')}/ns/mnt -- /bin/mount --bind",
                     "iptables -A OUTPUT -p udp --dport 443 -j REJECT"):
        assert expected in out, (expected, out)
    assert "would change the device" in out


def test_a_dead_device_gives_one_clear_line_and_changes_nothing(tmp_path, monkeypatch, ca_pem, server_xz):
    state = model.new_device(34)
    state["online"] = False
    dev = Device(tmp_path, monkeypatch, state)
    before = dev.state
    result = dev.cli("device", "setup", "--frida-server", str(server_xz), "--ca", str(ca_pem))
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: no usable device; seen: emulator-5554 (offline): "
                                     "restart the emulator or replug the phone, then `adb devices`")
    assert dev.state == before


def test_without_a_frida_server_file_setup_names_the_one_to_fetch(tmp_path, monkeypatch, ca_pem):
    dev = Device(tmp_path, monkeypatch, model.new_device(34, abi="arm64-v8a"))
    result = dev.cli("device", "setup", "--ca", str(ca_pem))
    assert result.exit_code == 1
    assert f"fetch frida-server-{frida.__version__}-android-arm64.xz" in result.output
    assert str(tmp_path / "cache" / "frida-server") in result.output
    # once it is in the cache folder, setup takes it from there
    cache = tmp_path / "cache" / "frida-server"
    cache.mkdir(parents=True)
    (cache / f"frida-server-{frida.__version__}-android-arm64.xz").write_bytes(
        lzma.compress(model.FRIDA_MAGIC + frida.__version__.encode() + b"\n"))
    assert dev.cli("device", "setup", "--ca", str(ca_pem)).exit_code == 0
    assert any(p["name"] == "frida-server" for p in dev.state["processes"])


def test_a_frida_server_of_another_version_is_replaced(tmp_path, monkeypatch, ca_pem, server_xz):
    dev = Device(tmp_path, monkeypatch, model.new_device(34))
    old = tmp_path / "old" / "frida-server"
    old.parent.mkdir()
    old.write_bytes(model.FRIDA_MAGIC + b"16.1.4\n")
    old.chmod(0o755)
    for args in (["root"], ["push", str(old), "/data/local/tmp/frida-server"], ["shell", "/data/local/tmp/frida-server -D"]):
        state = dev.state
        assert model.adb(state, args)[2] == 0
        model.save(str(dev.path), state)
    old_pid = dev.pid("frida-server")
    assert dev.cli("device", "setup", "--frida-server", str(server_xz), "--ca", str(ca_pem)).exit_code == 0
    assert dev.pid("frida-server") != old_pid
    assert model.adb(dev.state, ["shell", "/data/local/tmp/frida-server --version"])[0] == frida.__version__ + "\n"


# -- the double itself ---------------------------------------------------------------------------

def test_the_double_fails_unknown_commands_like_a_shell(tmp_path):
    state = model.new_device(34)
    assert model.adb(state, ["shell", "frobnicate --now"]) == (
        "", "/system/bin/sh: frobnicate: inaccessible or not found\n", 127)
    assert model.adb(state, ["shell", "cat /x | grep y"])[2] == 2       # syntax it does not model is refused
    assert model.adb(state, ["shell", "mount -t tmpfs tmpfs /system/etc/security/cacerts"])[2] != 0   # not root
    assert model.adb(state, ["shell", "su -c id"])[2] == 127            # no su on this device
    assert model.adb(state, ["shell", "cp /system/etc/security/cacerts/5ed36f99.0 /data/x"])[1].endswith(
        "Permission denied\n")
    model.adb(state, ["root"])
    assert "Read-only file system" in model.adb(state, ["shell", "cp /system/etc/security/cacerts/5ed36f99.0 "
                                                        "/system/etc/security/cacerts/x.0"])[1]
    assert model.adb(state, ["shell", "getprop ro.build.version.sdk"])[0] == "34\n"
    assert model.adb(state, ["shell", "setprop ro.build.version.sdk 35"])[2] == 1   # ro.* is set once
    state["online"] = False
    assert model.adb(state, ["shell", "id"]) == ("", "adb: device offline\n", 1)


def test_the_double_keeps_bind_mounts_per_namespace(tmp_path):
    state = model.new_device(34)
    model.adb(state, ["root"])
    app = next(p["pid"] for p in state["processes"] if p["name"] == "com.android.settings")
    model.adb(state, ["shell", f"mount -t tmpfs tmpfs {SYSTEM} && mount --bind {SYSTEM} {APEX}"])
    # the tmpfs under /system propagates (shared mount): empty everywhere
    assert not model.visible(state, app, f"{SYSTEM}/5ed36f99.0")
    # the APEX bind stays in the shell's namespace: the app still reads the APEX's own certificates
    assert model.adb(state, ["shell", f"ls {APEX}"])[0] == ""
    out, err, rc = model.adb(state, ["shell", f"nsenter --mount=/proc/{app}/ns/mnt -- ls {APEX}"])
    assert (out, rc) == ("5ed36f99.0\na3896b44.0\n", 0)
    assert json.loads(json.dumps(state)) == state            # the state is plain JSON


def test_without_root_setup_says_so_and_changes_nothing(tmp_path, monkeypatch, ca_pem, server_xz):
    dev = Device(tmp_path, monkeypatch, model.new_device(34, serial="R58M123", build_type="user", su=False))
    before = dev.state
    result = dev.cli("device", "setup", "--frida-server", str(server_xz), "--ca", str(ca_pem))
    assert result.exit_code == 1
    assert "no root on the device" in result.output and "su -c id" in result.output
    assert dev.state == before


def test_the_double_keeps_files_packages_and_reverse_ports(tmp_path):
    state = model.new_device(33)
    local = tmp_path / "note.txt"
    local.write_text("hello")
    assert model.adb(state, ["push", str(local), "/data/local/tmp/"])[2] == 0
    assert model.adb(state, ["shell", "cat /data/local/tmp/note.txt"])[0] == "hello"
    assert model.adb(state, ["pull", "/data/local/tmp/note.txt", str(tmp_path / "back.txt")])[2] == 0
    assert (tmp_path / "back.txt").read_text() == "hello"
    apk = Path(__file__).parent / "data" / "apk" / "demoshop.apk"     # the package comes from its manifest
    assert model.adb(state, ["install", str(apk)])[2] == 0
    assert "package:com.example.demoshop\n" in model.adb(state, ["shell", "pm list packages"])[0]
    assert model.adb(state, ["uninstall", "com.example.demoshop"])[0] == "Success\n"
    assert "com.example.demoshop" not in model.adb(state, ["shell", "pm list packages"])[0]
    not_apk = tmp_path / "com.example.shop.apk"
    not_apk.write_bytes(b"PK")
    assert "INSTALL_PARSE_FAILED_NOT_APK" in model.adb(state, ["install", str(not_apk)])[1]
    model.adb(state, ["reverse", "tcp:8080", "tcp:8080"])
    assert model.adb(state, ["reverse", "--list"])[0] == "emulator-5554 tcp:8080 tcp:8080\n"
    model.adb(state, ["shell", "settings put secure x 1"])
    assert model.adb(state, ["shell", "settings get secure x"])[0] == "1\n"
    assert model.adb(state, ["shell", "settings get global http_proxy"])[0] == "null\n"
    assert model.adb(state, ["shell", "kill 1000"])[1].endswith("Operation not permitted\n")   # init, not as shell
    assert model.adb(state, ["shell", "pidof nothing || echo none"])[0] == "none\n"
