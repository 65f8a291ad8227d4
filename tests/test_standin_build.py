"""Building and configuring the JVM stand-in: javac, the launch argv, truststore, device values."""

from __future__ import annotations

import json
import subprocess

import pytest

from hooks.standin import build as standin
from piiaudit import profile as device_profile
from tests.support.demo_device import PROFILE as DEMO_DEVICE
from tests.support.recordings import require_jdk


def dump_device_values(classpath, device_file=None) -> tuple[int, dict | None, str]:
    argv = standin.java_command(classpath, proxy_host=None, proxy_port=None, truststore=None,
                                truststore_password=None, device_properties=device_file,
                                main="com.android.internal.standin.DeviceValues")
    proc = subprocess.run(argv, capture_output=True, timeout=30)
    out = proc.stdout.decode("utf-8")
    return proc.returncode, (json.loads(out) if proc.returncode == 0 else None), proc.stderr.decode("utf-8", "replace")


def test_build_compiles_the_framework_and_app_and_skips_when_current(classpath):
    for cls in ("android/telephony/TelephonyManager.class", "android/provider/Settings$Secure.class",
                "android/app/SharedPreferencesImpl$EditorImpl.class", "android/app/ApplicationPackageManager.class",
                "com/example/demoshop/DemoShopLauncher.class", "com/umeng/commonsdk/UMConfigure.class",
                "cn/jpush/android/service/PushService.class", "com/example/demoshop/HookBench.class"):
        assert (classpath / cls).is_file(), cls
    assert standin.is_current(classpath)
    before = (classpath / "android/telephony/TelephonyManager.class").stat().st_mtime_ns
    assert standin.build() == classpath
    assert (classpath / "android/telephony/TelephonyManager.class").stat().st_mtime_ns == before


def test_build_reports_javac_errors(tmp_path, monkeypatch):
    require_jdk()
    src = tmp_path / "src" / "android" / "os"
    src.mkdir(parents=True)
    (src / "Broken.java").write_text("package android.os; public class Broken { int x = ; }\n")
    monkeypatch.setattr(standin, "SRC_DIR", tmp_path / "src")
    with pytest.raises(standin.BuildError, match="Broken.java"):
        standin.build(tmp_path / "out" / "classes")
    assert not (tmp_path / "out" / "classes").exists()


def test_missing_jdk_names_the_debian_package(monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "")
    with pytest.raises(standin.JdkNotFound, match="openjdk-17-jdk-headless"):
        standin.java_command("cp", proxy_host="127.0.0.1", proxy_port=1, truststore=None,
                             truststore_password=None, device_properties=None)


def test_java_command_routes_everything_through_the_proxy(tmp_path):
    require_jdk()
    argv = standin.java_command(tmp_path / "classes", proxy_host="127.0.0.1", proxy_port=8080,
                                truststore=tmp_path / "t.p12", truststore_password="pw",
                                device_properties=tmp_path / "device.properties",
                                extra_jvm_args=["-Dstandin.gate=5"])
    assert argv[-1] == "com.example.demoshop.DemoShopLauncher"
    for flag in ("-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=8080", "-Dhttp.proxyHost=127.0.0.1",
                 "-Dhttp.proxyPort=8080", "-Dhttp.nonProxyHosts=", f"-Djavax.net.ssl.trustStore={tmp_path / 't.p12'}",
                 "-Djavax.net.ssl.trustStorePassword=pw", f"-Dstandin.device={tmp_path / 'device.properties'}",
                 "-Dstandin.gate=5"):
        assert flag in argv
    assert argv.index("-Dstandin.gate=5") < argv.index("com.example.demoshop.DemoShopLauncher")
    hosts_flag = next(a for a in argv if a.startswith("-Djdk.net.hosts.file="))
    hosts = (standin.HERE / "loopback.hosts").read_text().split()
    assert hosts_flag.endswith("loopback.hosts") and "127.0.0.1" in hosts


def test_make_truststore_holds_the_ca(tmp_path):
    require_jdk()
    from mitmproxy.certs import CertStore

    CertStore.from_store(tmp_path / "conf", "mitmproxy", 2048)
    store, password = standin.make_truststore(tmp_path / "conf" / "mitmproxy-ca-cert.pem", tmp_path / "trust.p12")
    listing = subprocess.run([standin.jdk_tool("keytool"), "-list", "-keystore", str(store), "-storepass", password],
                             capture_output=True, text=True)
    assert listing.returncode == 0, listing.stderr
    assert "mitmproxy" in listing.stdout and "trustedCertEntry" in listing.stdout
    # Making it again over an existing file works (keytool alone refuses a second import).
    assert standin.make_truststore(tmp_path / "conf" / "mitmproxy-ca-cert.pem", store)[0] == store


def test_built_in_device_values_are_the_demo_device(classpath):
    rc, java_values, err = dump_device_values(classpath)
    assert rc == 0, err
    demo = standin.device_properties(device_profile.load(DEMO_DEVICE))
    assert set(demo) >= {"imei", "android_id", "mac", "clipboard", "location.lat", "oaid", "phone_number", "imsi"}
    for key, value in demo.items():
        if key.startswith("location."):
            assert float(java_values[key]) == float(value), key
        else:
            assert java_values[key] == value, key


def test_device_values_file_overrides_defaults_with_awkward_text(classpath, tmp_path):
    prof = device_profile.from_dict({
        "device": {"model": "Test = Phone: 2"},
        "values": {
            "imei": "356938035643809",
            "android_id": "a1b2c3d4e5f60718",
            "clipboard": " 剪贴板=canary #1: a\\b\nsecond line",
            "location": {"lat": -33.865143, "lng": 151.2099},
        },
    }, "custom")
    path = standin.write_device_properties(prof, tmp_path / "device.properties")
    rc, values, err = dump_device_values(classpath, path)
    assert rc == 0, err
    assert values["imei"] == "356938035643809"
    assert values["android_id"] == "a1b2c3d4e5f60718"
    assert values["clipboard"] == " 剪贴板=canary #1: a\\b\nsecond line"
    assert float(values["location.lat"]) == -33.865143 and float(values["location.lng"]) == 151.2099
    assert values["device.model"] == "Test = Phone: 2"
    assert values["mac"] == "02:1a:11:f0:6e:2b"  # not in the profile: the demo device's value


def test_unreadable_device_file_is_a_clear_setup_error(classpath, tmp_path):
    argv = standin.java_command(classpath, proxy_host=None, proxy_port=None, truststore=None,
                                truststore_password=None, device_properties=tmp_path / "missing.properties",
                                extra_jvm_args=["-Dstandin.offline=true"])
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "missing.properties" in proc.stderr and "STEP 1" not in proc.stdout
