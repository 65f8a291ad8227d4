"""Frida's Java bridge hooks the stand-in's framework classes on HotSpot as it would on ART.

A small probe agent hooks the scenario's APIs, records the innermost non-framework caller
of each call (what SDK attribution uses), opens the start gate, and in a second run alters
a value to show the app notices instrumentation that changes what the framework returns.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from hooks.standin import build as standin
from tests.support.loopback_proxy import REPO

frida = pytest.importorskip("frida")
BRIDGE = REPO / "hooks" / "agent" / "node_modules" / "frida-java-bridge"

PROBE_AGENT = r"""
import Java from "frida-java-bridge";

const FRAMEWORK = /^(java\.|javax\.|jdk\.|sun\.|com\.sun\.|android\.|androidx\.|com\.android\.)/;
const TARGETS = [
  ["android.telephony.TelephonyManager", "getImei", []],
  ["android.app.ApplicationPackageManager", "getInstalledPackages", ["int"]],
  ["android.provider.Settings$Secure", "getString", ["android.content.ContentResolver", "java.lang.String"]],
  ["android.net.wifi.WifiInfo", "getMacAddress", []],
  ["android.app.Dialog", "show", []],
  ["android.view.View", "performClick", []],
  ["android.app.SharedPreferencesImpl$EditorImpl", "putBoolean", ["java.lang.String", "boolean"]],
  ["android.app.SharedPreferencesImpl$EditorImpl", "apply", []],
  ["android.app.Activity", "requestPermissions", ["[Ljava.lang.String;", "int"]],
  ["android.app.Activity", "dispatchRequestPermissionsResult", ["int", "android.content.Intent"]],
  ["android.location.LocationManager", "getLastKnownLocation", ["java.lang.String"]],
  ["android.content.ClipboardManager", "getPrimaryClip", []],
];

function caller() {
  const frames = Java.use("java.lang.Thread").currentThread().getStackTrace();
  for (let i = 0; i < frames.length; i++) {
    const cls = frames[i].getClassName();
    if (!FRAMEWORK.test(cls)) return cls;
  }
  return null;
}

function texts(view, out) {
  const TextView = Java.use("android.widget.TextView"), ViewGroup = Java.use("android.view.ViewGroup");
  if (TextView.class.isInstance(view)) out.push(String(Java.cast(view, TextView).getText()));
  if (ViewGroup.class.isInstance(view)) {
    const g = Java.cast(view, ViewGroup);
    for (let i = 0; i < g.getChildCount(); i++) texts(g.getChildAt(i), out);
  }
  return out;
}

function detail(name, self, args) {
  switch (name) {
    case "show": return texts(self.getWindow().getDecorView(), []);
    case "performClick":
      return [String(Java.cast(self, Java.use("android.widget.TextView")).getText()),
              String(self.getResources().getResourceEntryName(self.getId()))];
    case "putBoolean": return [String(args[0]), Boolean(args[1])];
    case "getString": case "getLastKnownLocation": return String(args[args.length - 1]);
    case "dispatchRequestPermissionsResult": {
      const data = args[1];
      return [Array.from(data.getStringArrayExtra("android.content.pm.extra.REQUEST_PERMISSIONS_NAMES")).map(String),
              Array.from(data.getIntArrayExtra("android.content.pm.extra.REQUEST_PERMISSIONS_RESULTS"))];
    }
    default: return null;
  }
}

rpc.exports = {
  vmReady() { return Java.available; },
  install(alterImei) {
    Java.performNow(() => {
      for (const [cls, name, argTypes] of TARGETS) {
        const ov = Java.use(cls)[name].overload(...argTypes);
        ov.implementation = function (...args) {
          let ret = ov.apply(this, args);
          if (alterImei && name === "getImei") ret = "000000000000000";
          send({api: cls + "." + name, caller: caller(), detail: detail(name, this, args), t: Date.now(),
                ret: ret === null || ret === undefined ? null : String(ret)});
          return ret;
        };
      }
      Java.use("com.example.demoshop.InstrumentationGate").ready.value = true;
    });
    return true;
  },
};
"""

# (api, innermost non-framework caller class) in scenario order, from docs/standin-scenario.md.
EXPECTED = [
    ("android.telephony.TelephonyManager.getImei", "com.umeng.commonsdk.UMConfigure"),
    ("android.app.ApplicationPackageManager.getInstalledPackages", "com.umeng.commonsdk.UMConfigure"),
    ("android.provider.Settings$Secure.getString", "cn.jpush.android.api.JPushInterface"),
    ("android.net.wifi.WifiInfo.getMacAddress", "cn.jpush.android.api.JPushInterface"),
    ("android.app.Dialog.show", "com.example.demoshop.MainActivity"),
    ("android.view.View.performClick", "com.example.demoshop.ScriptedUser"),
    ("android.app.SharedPreferencesImpl$EditorImpl.putBoolean", "com.example.demoshop.MainActivity"),
    ("android.app.SharedPreferencesImpl$EditorImpl.apply", "com.example.demoshop.MainActivity"),
    ("android.app.Activity.requestPermissions", "com.example.demoshop.MainActivity"),
    ("android.app.Activity.dispatchRequestPermissionsResult", "com.example.demoshop.DemoShopLauncher"),
    ("android.location.LocationManager.getLastKnownLocation", "com.example.demoshop.NearbyStores"),
    ("android.content.ClipboardManager.getPrimaryClip", "cn.jpush.android.service.PushService"),
]


@pytest.fixture(scope="module")
def probe_bundle(tmp_path_factory) -> str:
    if not (BRIDGE / "package.json").is_file():
        pytest.skip("frida-java-bridge is not installed (npm install in hooks/agent)")
    try:
        standin.jdk_tool("java")
    except standin.JdkNotFound as e:
        pytest.skip(str(e))
    project = tmp_path_factory.mktemp("probe-agent")
    (project / "node_modules").symlink_to(BRIDGE.parent, target_is_directory=True)
    (project / "package.json").write_text('{"name": "standin-probe", "private": true, "type": "module"}\n')
    (project / "probe.js").write_text(PROBE_AGENT)
    return frida.Compiler().build("probe.js", project_root=str(project), source_maps="omitted", compression="none")


def run_probed(bundle: str, *, alter_imei: bool) -> tuple[int, str, str, list[dict]]:
    argv = standin.java_command(standin.build(), proxy_host=None, proxy_port=None, truststore=None,
                                truststore_password=None, device_properties=None,
                                extra_jvm_args=["-Dstandin.offline=true", "-Dstandin.gate=20"])
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    events: list[dict] = []
    try:
        # Attach once the JVM is up and parked at the gate (attaching while libjvm is still
        # starting can time out).
        first = proc.stderr.readline().decode("utf-8", "replace")
        assert "instrumentation gate: waiting up to 20 s" in first, first
        session = frida.attach(proc.pid)
        deadline = time.monotonic() + 15
        script = session.create_script(bundle)
        script.on("message", lambda m, _d: events.append(m["payload"] if m["type"] == "send" else {"error": m}))
        script.load()
        while not script.exports_sync.vm_ready():  # libjvm may still be creating the VM
            assert time.monotonic() < deadline, "the JVM did not come up"
            time.sleep(0.05)
        script.exports_sync.install(alter_imei)
        out, err = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out.decode("utf-8"), err.decode("utf-8", "replace"), events


def test_hooks_see_every_scenario_call_from_the_callers_the_scenario_names(probe_bundle):
    rc, out, err, events = run_probed(probe_bundle, alter_imei=False)
    assert rc == 0, err
    assert "not opened" not in err  # the agent opened the gate
    assert not [e for e in events if "error" in e], events
    assert [(e["api"], e["caller"]) for e in events] == EXPECTED

    by_api = {e["api"].rsplit(".", 1)[1]: e for e in events}
    assert by_api["getImei"]["ret"] == "867530912345673"
    assert by_api["getString"]["detail"] == "android_id" and by_api["getString"]["ret"] == "9774d56d682e549c"
    assert by_api["getMacAddress"]["ret"] == "02:1a:11:f0:6e:2b"
    dialog_text = by_api["show"]["detail"]
    assert any("隐私政策" in t for t in dialog_text) and "同意" in dialog_text and "不同意" in dialog_text
    assert by_api["performClick"]["detail"] == ["同意", "button1"]  # AlertDialog's positive button
    assert by_api["putBoolean"]["detail"] == ["privacy_agreed", True]
    names, results = by_api["dispatchRequestPermissionsResult"]["detail"]
    assert "android.permission.ACCESS_FINE_LOCATION" in names and results == [0] * len(names)
    assert by_api["getLastKnownLocation"]["detail"] == "gps"

    # Consent (the tap) comes after the SDK reads and before the app's own location read.
    t = {name: e["t"] for name, e in by_api.items()}
    assert t["getMacAddress"] < t["performClick"] < t["putBoolean"] < t["getLastKnownLocation"]
    assert t["performClick"] - t["show"] >= 150 and t["getPrimaryClip"] - t["getLastKnownLocation"] >= 150


def test_a_hook_that_alters_a_value_makes_the_app_fail(probe_bundle):
    rc, out, err, events = run_probed(probe_bundle, alter_imei=True)
    assert rc == 3
    assert "TelephonyManager.getImei() returned '000000000000000' but the device's imei is '867530912345673'" in err
    assert "STEP 2" not in out
