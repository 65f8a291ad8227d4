"""`piiaudit doctor` and `piiaudit device-profile` against a scripted adb double."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import frida
import pytest
import yaml
from click.testing import CliRunner
from mitmproxy.certs import CertStore

from commands.cli import cli
from commands.device.cacert import android_name, subject_hash_old

FAKE_ADB = Path(__file__).resolve().parents[1] / "hooks" / "standin" / "adb" / "adb"
IMEI_PARCEL = ("Result: Parcel(\n  0x00000000: 00000000 0000000f 00360038 00350037 '........8.6.7.5.'\n"
               "  0x00000010: 00300033 00310039 00330032 00350034 '3.0.9.1.2.3.4.5.'\n"
               "  0x00000020: 00370036 00000033                   '6.7.3...        ')\n")


@pytest.fixture(scope="module")
def ca_pem(tmp_path_factory):
    confdir = tmp_path_factory.mktemp("mitm")
    CertStore.from_store(confdir, "mitmproxy", 2048)
    return confdir / "mitmproxy-ca-cert.pem"


def healthy_device(ca_name: str) -> dict:
    server = "/data/local/tmp/frida-server"
    return {
        "devices": "List of devices attached\nemulator-5554\tdevice\n",
        "shell getprop ro.build.version.sdk": "34\n",
        "shell getprop ro.build.version.release": "14\n",
        "shell getprop ro.product.model": "sdk_gphone64_x86_64\n",
        "shell getprop ro.product.manufacturer": "Google\n",
        "shell getprop ro.product.cpu.abi": "x86_64\n",
        "shell getprop ro.serialno": "EMULATOR34X1X1X0\n",
        "shell id -u": "0\n",
        f"shell ls {server}": server + "\n",
        f"shell {server} --version": frida.__version__ + "\n",
        "shell pidof frida-server": "4242\n",
        "shell settings get global http_proxy": "10.0.2.2:8080\n",
        f"shell ls /system/etc/security/cacerts/{ca_name}": f"/system/etc/security/cacerts/{ca_name}\n",
        f"shell ls /apex/com.android.conscrypt/cacerts/{ca_name}": f"/apex/com.android.conscrypt/cacerts/{ca_name}\n",
        "shell settings get secure android_id": "9774d56d682e549c\n",
        "shell service call iphonesubinfo 1 s16 com.android.shell": IMEI_PARCEL,
        "shell cat /sys/class/net/wlan0/address": "02:1a:11:f0:6e:2b\n",
        "shell iptables -C OUTPUT -p udp --dport 443 -j REJECT && echo blocked": "blocked\n",
        "shell dumpsys location": "  last location=Location[gps 39.908823,116.397470 hAcc=5 et=+1d]\n",
    }


def run(tmp_path, monkeypatch, script: dict, *args):
    path = tmp_path / "adb.json"
    path.write_text(json.dumps(script))
    monkeypatch.setenv("FAKE_ADB_SCRIPT", str(path))
    monkeypatch.setenv("PIIAUDIT_ADB", str(FAKE_ADB))
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_ca_file_name_matches_openssl_subject_hash_old(ca_pem):
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    expected = subprocess.run(["openssl", "x509", "-inform", "PEM", "-subject_hash_old", "-noout", "-in", str(ca_pem)],
                              capture_output=True, text=True, check=True).stdout.strip()
    assert subject_hash_old(ca_pem.read_bytes()) == expected


def test_doctor_passes_on_a_ready_android_14_emulator(tmp_path, monkeypatch, ca_pem):
    result = run(tmp_path, monkeypatch, healthy_device(android_name(ca_pem)),
                 "doctor", "--ca", str(ca_pem), "--proxy", "10.0.2.2:8080")
    assert result.exit_code == 0, result.output
    assert "10/10 checks passed" in result.output  # QUIC blocked is the 9th, canaries (none planted: a warning) the 10th
    assert "✔ detector: C scans built" in result.output
    assert "emulator-5554: sdk_gphone64_x86_64, Android API 34" in result.output


def test_doctor_names_each_failure_with_its_fix(tmp_path, monkeypatch, ca_pem):
    script = healthy_device(android_name(ca_pem))
    script["shell /data/local/tmp/frida-server --version"] = "16.1.4\n"
    script["shell pidof frida-server"] = ""
    del script[f"shell ls /apex/com.android.conscrypt/cacerts/{android_name(ca_pem)}"]
    script["shell settings get global http_proxy"] = ":0\n"
    result = run(tmp_path, monkeypatch, script, "doctor", "--ca", str(ca_pem))
    assert result.exit_code == 1
    out = result.output
    assert f"✘ frida-server version: 16.1.4 on the device, {frida.__version__} on this host" in out
    assert f"fix: install frida-server {frida.__version__}" in out
    assert "✘ frida-server running: not running" in out
    assert "✘ CA installed" in out and "Conscrypt APEX" in out  # Android 14 needs the APEX copy
    assert "! proxy route: no global HTTP proxy" in out and "settings put global http_proxy" in out


def test_doctor_explains_an_unauthorized_device(tmp_path, monkeypatch, ca_pem):
    result = run(tmp_path, monkeypatch, {"devices": "List of devices attached\nR58M123\tunauthorized\n"},
                 "doctor", "--ca", str(ca_pem))
    assert result.exit_code == 1
    assert "no usable device; seen: R58M123 (unauthorized)" in result.output
    assert "Allow USB debugging" in result.output


def test_doctor_without_adb_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PIIAUDIT_ADB", str(tmp_path / "missing-adb"))
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1
    assert "adb not found" in result.output and "apt-get install adb" in result.output


def test_device_profile_reads_the_known_values(tmp_path, monkeypatch, ca_pem):
    out = tmp_path / "device.yaml"
    result = run(tmp_path, monkeypatch, healthy_device(android_name(ca_pem)), "device-profile", "--out", str(out))
    assert result.exit_code == 0, result.output
    profile = yaml.safe_load(out.read_text())
    assert profile["values"] == {
        "android_id": "9774d56d682e549c", "imei": "867530912345673", "serial": "EMULATOR34X1X1X0",
        "mac": "02:1a:11:f0:6e:2b", "location": {"lat": 39.908823, "lng": 116.39747},
    }
    assert profile["device"]["api"] == "34"
    from piiaudit import profile as profiles
    assert profiles.load(out).values["imei"] == ["867530912345673"]  # the file loads as a profile


def test_device_profile_says_what_it_could_not_read(tmp_path, monkeypatch, ca_pem):
    script = healthy_device(android_name(ca_pem))
    script["shell service call iphonesubinfo 1 s16 com.android.shell"] = IMEI_PARCEL.replace("6.7.3", "6.7.4")
    script["shell cat /sys/class/net/wlan0/address"] = "02:00:00:00:00:00\n"
    out = tmp_path / "device.yaml"
    result = run(tmp_path, monkeypatch, script, "device-profile", "--out", str(out))
    assert result.exit_code == 0
    assert "not read: imei" in result.output  # a Luhn-failing IMEI is not trusted
    assert "not read: mac" in result.output
    text = out.read_text()
    assert "imei" not in yaml.safe_load(text)["values"] and "# not read: imei" in text


def test_doctor_says_when_the_detector_runs_without_its_c_scans(monkeypatch):
    from piiaudit.detect import index
    from commands.device.doctor import detector_check

    monkeypatch.setattr(index, "NATIVE", None)   # as if setup.py could not compile the extension
    check = detector_check()
    assert check.status == "warn"
    assert "numpy path" in check.detail and "gcc" in check.fix
    assert "fix: make setup" in check.line()


def test_doctor_says_when_flows_are_saved_without_the_c_record_writer(monkeypatch):
    from piiaudit import flowrecord
    from piiaudit.detect import index
    from commands.device.doctor import detector_check

    monkeypatch.setattr(index, "NATIVE", object())   # the C scans built; the record writer not
    monkeypatch.setattr(flowrecord, "NATIVE", None)
    check = detector_check()
    assert check.status == "warn"
    assert "record writer not built" in check.detail and "numpy" not in check.detail


# -- doctor --agent: the agent run once, on the JVM stand-in in place of the device's app ------
# The device side (adb) is the double; the app is the stand-in under the real agent through
# the real runner. Spawning an Android package through frida-server is not run here.

def standin_probe(tmp_path, monkeypatch, main="com.example.demoshop.HookBench", app_args=("10",)):
    from commands.device import agent_check
    from hooks.standin.build import build as build_standin, java_command
    from hooks.targets import LocalProcess

    argv = java_command(build_standin(), proxy_host=None, proxy_port=None, truststore=None, truststore_password=None,
                        device_properties=None, extra_jvm_args=["-Dstandin.offline=true"], main=main, app_args=app_args)
    asked = []

    def target(package, serial):
        asked.append((package, serial))
        return LocalProcess(argv, package=package)

    monkeypatch.setattr(agent_check, "android_target", target)
    return asked


def test_doctor_agent_reports_the_hook_rows_installed_per_domain(tmp_path, monkeypatch, ca_pem):
    from commands.device import agent_check
    from hooks.hook_table import load as load_hook_table

    asked = standin_probe(tmp_path, monkeypatch)
    result = run(tmp_path, monkeypatch, healthy_device(android_name(ca_pem)),
                 "doctor", "--ca", str(ca_pem), "--proxy", "10.0.2.2:8080", "--agent")
    assert asked == [("com.android.settings", "emulator-5554")]
    lines = result.output.splitlines()
    agent = next(line for line in lines if line.startswith(("✔ agent:", "! agent:", "✘ agent:")))
    m = re.search(r"(\d+) of (\d+) hook rows installed in com.android.settings, hooks ready in [\d.]+ s; "
                  r"(\d+) framework rows not installed", agent)
    assert m, result.output
    installed, rows, missing = map(int, m.groups())
    domains = {line.split()[0]: line for line in lines if re.match(r"^    \w+ +\d+/\d+ rows installed", line)}
    # one line per domain of the hook table (and the agent's own hooks), adding up to the headline
    table = load_hook_table()
    assert set(domains) == {r["describe"].split(".")[0] for r in table} | {"internal"}, result.output
    counts = {d: tuple(map(int, re.search(r"(\d+)/(\d+) rows", line).groups())) for d, line in domains.items()}
    assert (sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())) == (installed, rows)
    assert rows - counts["internal"][1] == len(table) and 0 < installed < rows
    # a framework row the stand-in lacks is named with its status
    assert re.search(r"not installed: [\w.]+ \((class|method)-missing", "\n".join(domains.values())), result.output
    # the stand-in has TelephonyManager but none of the OEM SDKs: those are "absent from this app"
    assert re.search(r"^    identifiers +\d+/\d+ rows installed, \d+ SDK rows absent from this app", domains["identifiers"])
    assert missing > 0 and "! agent:" in agent and "11/11 checks passed" in result.output  # a warning, not a failure
    # the same numbers straight from the helper, as a check on the summary's arithmetic
    assert sum(len(d.missing) for d in agent_check.summarise({"x.y": {"method-missing"}}, [
        {"id": "x.y", "describe": "identifiers.f", "visibility": "public"}])) == 1


def test_doctor_agent_is_not_run_without_a_ready_frida_server(tmp_path, monkeypatch, ca_pem):
    asked = standin_probe(tmp_path, monkeypatch)
    script = healthy_device(android_name(ca_pem))
    script["shell pidof frida-server"] = ""
    result = run(tmp_path, monkeypatch, script, "doctor", "--ca", str(ca_pem), "--agent", "com.example.shop")
    assert asked == []
    assert "✘ agent: not run in com.example.shop: frida-server is not ready (above)" in result.output
    assert result.exit_code == 1
