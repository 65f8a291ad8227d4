"""The stand-in app plays docs/standin-scenario.md through a real mitmdump, and nothing leaves loopback."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from hooks.standin import build as standin
from tests.support.loopback_proxy import LoopbackProxy, free_port
from piiaudit import profile as device_profile

# Values unlike the demo device's, so the test also proves the stand-in returns the profile.
CUSTOM_DEVICE = {
    "device": {"model": "Test Phone"},
    "values": {
        "imei": "356938035643809",
        "android_id": "a1b2c3d4e5f60718",
        "mac": "02:00:5e:10:00:01",
        "clipboard": "剪贴板 canary 42",
        "location": {"lat": 31.230416, "lng": 121.473701},
    },
}
NETWORK_STEPS = {3, 6, 12, 14}
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def step_numbers(stdout: str) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(r"^STEP (\d+) ", stdout, re.M)]


@pytest.fixture(scope="module")
def proxied_run(classpath, tmp_path_factory):
    """One scenario run through mitmdump (under strace when available)."""
    work = tmp_path_factory.mktemp("standin-proxy")
    proxy = LoopbackProxy(work)
    try:
        truststore, password = standin.make_truststore(proxy.ca_pem, work / "truststore.p12")
        prof = device_profile.from_dict(CUSTOM_DEVICE, "custom")
        device_file = standin.write_device_properties(prof, work / "device.properties")
        argv = standin.java_command(classpath, proxy_host="127.0.0.1", proxy_port=proxy.port,
                                    truststore=truststore, truststore_password=password,
                                    device_properties=device_file)
        trace = work / "strace.txt"
        strace = shutil.which("strace")
        if strace:
            argv = [strace, "-f", "-qq", "-e", "trace=connect,openat", "-o", str(trace)] + argv
        started_ms = time.time() * 1000
        proc = subprocess.run(argv, capture_output=True, timeout=60)
        ended_ms = time.time() * 1000
    finally:
        flows = proxy.stop()
    return {
        "rc": proc.returncode, "stdout": proc.stdout.decode("utf-8"), "stderr": proc.stderr.decode("utf-8", "replace"),
        "flows": flows, "profile": prof, "proxy_port": proxy.port, "window_ms": (started_ms, ended_ms),
        "trace": trace.read_text() if strace else None,
    }


def test_scenario_plays_all_steps_through_the_proxy(proxied_run):
    assert proxied_run["rc"] == 0, proxied_run["stderr"]
    assert step_numbers(proxied_run["stdout"]) == list(range(1, 15))
    assert "DONE 14 steps" in proxied_run["stdout"]


def test_proxy_saw_exactly_the_four_scenario_requests(proxied_run):
    flows = proxied_run["flows"]
    seen = [(f.request.method, f.request.scheme, f.request.pretty_host, urlsplit(f.request.url).path) for f in flows]
    assert seen == [
        ("POST", "https", "ulogs.umeng.com", "/unify_logs"),
        ("POST", "https", "stats.jpush.cn", "/v3/report"),
        ("GET", "https", "api.demoshop.example", "/v1/stores/nearby"),
        ("GET", "http", "stats.jpush.cn", "/v3/hb"),
    ]
    # Answered by the proxy itself, never forwarded.
    assert all(f.response is not None and f.response.headers.get("server") == "piiaudit-responder" for f in flows)


def test_payloads_carry_the_device_values_as_the_scenario_says(proxied_run):
    umeng, jpush, app, heartbeat = proxied_run["flows"]
    values = proxied_run["profile"].values
    imei, android_id = values["imei"][0], values["android_id"][0]

    header = json.loads(umeng.request.get_text())["header"]
    assert header["imei_md5"] == hashlib.md5(imei.encode()).hexdigest()
    assert imei not in umeng.request.get_text()  # only the hash is sent
    assert header["appkey"] and header["package_name"] == "com.example.demoshop"

    assert jpush.request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    form = jpush.request.urlencoded_form
    assert base64.b64decode(form["aid"]).decode() == android_id
    assert (form["platform"], form["sdk_ver"]) == ("a", "5.0.0")
    assert list(form.keys()) == ["aid", "platform", "sdk_ver"]

    query = parse_qs(urlsplit(app.request.url).query)
    assert query == {"lat": ["31.230416"], "lng": ["121.473701"]}

    hb = parse_qs(urlsplit(heartbeat.request.url).query)
    assert hb["aid"] == [android_id]
    lo, hi = proxied_run["window_ms"]
    assert lo <= int(hb["t"][0]) <= hi

    # Each request is its own moment, in scenario order.
    starts = [f.request.timestamp_start for f in proxied_run["flows"]]
    assert all(b - a >= 0.15 for a, b in zip(starts, starts[1:])), starts


def test_jvm_connects_only_to_loopback_and_resolves_no_name(proxied_run):
    trace = proxied_run["trace"]
    if trace is None:
        pytest.skip("strace is not installed")
    inet = [line for line in trace.splitlines() if "connect(" in line and ("AF_INET" in line)]
    addresses = re.findall(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"', "\n".join(inet))
    addresses = [a or b for a, b in addresses]
    assert addresses, "strace saw no TCP connect at all (the proxy must have been used)"
    assert set(addresses) <= LOOPBACK, set(addresses) - LOOPBACK
    ports = set(int(p) for p in re.findall(r"sin6?_port=htons\((\d+)\)", "\n".join(inet)))
    assert ports == {proxied_run["proxy_port"]}
    # A lookup through the C library would read these; the JVM's own resolver only uses loopback.hosts.
    assert not re.search(r'openat\(.*"/etc/(resolv\.conf|hosts)"', trace)


def test_offline_mode_runs_all_steps_paced_and_sends_nothing(classpath):
    argv = standin.java_command(classpath, proxy_host=None, proxy_port=None, truststore=None,
                                truststore_password=None, device_properties=None,
                                extra_jvm_args=["-Dstandin.offline=true"])
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stamped: list[tuple[float, str]] = []
    for raw in proc.stdout:
        stamped.append((time.monotonic(), raw.decode("utf-8").rstrip("\n")))
    err = proc.stderr.read().decode("utf-8", "replace")
    assert proc.wait(timeout=30) == 0, err
    steps = [(t, line) for t, line in stamped if line.startswith("STEP ")]
    assert [int(line.split()[1]) for _, line in steps] == list(range(1, 15))
    skipped = {int(line.split()[1]) for _, line in steps if line.endswith("skipped (offline)")}
    assert skipped == NETWORK_STEPS
    assert stamped[-1][1] == "DONE 14 steps"
    gaps = [b[0] - a[0] for a, b in zip(steps, steps[1:])]
    assert min(gaps) >= 0.1, gaps  # 200 ms pause before each step; slack for a busy machine
    assert "standin:" not in err


def test_a_failed_request_stops_the_run_with_a_clear_message(classpath, tmp_path):
    closed_port = free_port()  # nothing listens there: the connection to the "proxy" is refused
    argv = standin.java_command(classpath, proxy_host="127.0.0.1", proxy_port=closed_port, truststore=None,
                                truststore_password=None, device_properties=None)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 4
    assert "step 3: POST https://ulogs.umeng.com/unify_logs failed" in proc.stderr
    assert step_numbers(proc.stdout) == [1, 2, 3]


def test_gate_waits_for_instrumentation_then_gives_up_with_a_warning(classpath):
    argv = standin.java_command(classpath, proxy_host=None, proxy_port=None, truststore=None,
                                truststore_password=None, device_properties=None,
                                extra_jvm_args=["-Dstandin.gate=1.0"],
                                main="com.example.demoshop.HookBench", app_args=["10"])
    t0 = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    took = time.monotonic() - t0
    assert proc.returncode == 0, proc.stderr
    assert "instrumentation gate: waiting up to 1.0 s" in proc.stderr
    assert "instrumentation gate: not opened within 1.0 s" in proc.stderr
    assert took >= 1.0
    assert re.search(r"HookBench method=getImei calls=10 total_ns=\d+ ns_per_call=[\d.]+", proc.stdout)


def test_api_tour_exercises_the_extra_apis_with_the_profile_values(classpath, tmp_path):
    prof = device_profile.from_dict({"values": {"meid": "A1000012345678", "iccid": "89860099887766554433",
                                                "advertising_id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                                                "oaid": "1234abcd-0000-1111-2222-333344445555",
                                                "bluetooth_mac": "02:aa:bb:cc:dd:ee", "serial": "R58M12345XY",
                                                "mac": "02:11:22:33:44:55"}}, "tour")
    device_file = standin.write_device_properties(prof, tmp_path / "device.properties")
    argv = standin.java_command(classpath, proxy_host=None, proxy_port=None, truststore=None, truststore_password=None,
                                device_properties=device_file, main="com.example.demoshop.ApiTour")
    proc = subprocess.run(argv, capture_output=True, timeout=60)
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    lines = dict(line[5:].split(" -> ", 1) for line in out.splitlines() if " -> " in line)
    assert lines["TelephonyManager.getMeid()"] == "A1000012345678"
    assert lines["SubscriptionInfo.getIccId()"] == "89860099887766554433"
    assert lines["AdvertisingIdClient.getAdvertisingIdInfo().getId()"] == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    assert lines["MdidSdkHelper.InitSdk/IdSupplier.getOAID()"] == "1234abcd-0000-1111-2222-333344445555"
    assert lines["BluetoothAdapter.getAddress()"] == "02:aa:bb:cc:dd:ee"
    assert lines["Build.getSerial()"] == "R58M12345XY"
    assert lines["ContentResolver.query(contacts)"].startswith("3 rows")
    # The classes declared for the hook table answer from the same device values.
    assert lines["UiccCardInfo.getIccId()"] == lines["UiccPortInfo.getIccId()"] == "89860099887766554433"
    assert lines["DevicePolicyManager.getWifiMacAddress()"] == "02:11:22:33:44:55"
    assert lines["UsageStatsManager.queryUsageStats"].split(",")[0] == "com.tencent.mm"
    assert lines["LocationManager.requestSingleUpdate(Criteria)"].startswith("Location[fused 39.908823,116.397470")
    assert lines["Geocoder.getFromLocationName(bounds: Beijing)"] == "1 addresses"
    assert lines["Geocoder.getFromLocationName(bounds: Shanghai)"] == "0 addresses"
    assert lines["SpeechRecognizer.startListening"] == "error 6"  # ERROR_SPEECH_TIMEOUT: the microphone is silent
    # A fragment's permission answer reaches the fragment, not the activity.
    assert lines["Fragment.requestPermissions/onRequestPermissionsResult"] == "7 android.permission.CAMERA=[0]"
    assert "STEP " not in out  # not the demo scenario
    assert re.search(r"^TOUR DONE \d+ calls$", out, re.M)
