"""The stand-in declares the hooked Android methods with Android's own signatures.

Checked with javap on the built classes: parameter types, and static/final/private where
Android has them (a Frida overload lookup or a static/instance mismatch fails on exactly
these). Every android.* class and overload of the agent's hook table (up to the stand-in's
API level) must be there too, returning what the Android API database says it returns.
"""

from __future__ import annotations

import re
from pathlib import Path
import subprocess
from collections import defaultdict

import pytest

from hooks.standin import build as standin

STANDIN_SDK_INT = 34

# (class, modifiers that must be present, method, parameter types) from the Android SDK / AOSP.
EXPECTED = [
    ("android.telephony.TelephonyManager", "public", "getDeviceId", ()),
    ("android.telephony.TelephonyManager", "public", "getDeviceId", ("int",)),
    ("android.telephony.TelephonyManager", "public", "getImei", ()),
    ("android.telephony.TelephonyManager", "public", "getImei", ("int",)),
    ("android.telephony.TelephonyManager", "public", "getMeid", ("int",)),
    ("android.telephony.TelephonyManager", "public", "getSubscriberId", ()),
    ("android.telephony.TelephonyManager", "public", "getSimSerialNumber", ()),
    ("android.telephony.TelephonyManager", "public", "getLine1Number", ()),
    ("android.telephony.TelephonyManager", "public", "getSimOperator", ()),
    ("android.telephony.TelephonyManager", "public", "getNetworkOperator", ()),
    ("android.telephony.TelephonyManager", "public", "getAllCellInfo", ()),
    ("android.telephony.TelephonyManager", "public", "requestCellInfoUpdate",
     ("java.util.concurrent.Executor", "android.telephony.TelephonyManager$CellInfoCallback")),
    ("android.telephony.SubscriptionManager", "public", "getPhoneNumber", ("int",)),
    ("android.telephony.SubscriptionInfo", "public", "getIccId", ()),
    ("android.provider.Settings$Secure", "public static", "getString", ("android.content.ContentResolver", "java.lang.String")),
    ("android.provider.Settings$System", "public static", "getString", ("android.content.ContentResolver", "java.lang.String")),
    ("android.os.Build", "public static", "getSerial", ()),
    ("android.os.Process", "public static final", "myPid", ()),
    ("android.os.Process", "public static final", "myUid", ()),
    ("android.util.Log", "public static", "getStackTraceString", ("java.lang.Throwable",)),
    ("android.net.wifi.WifiInfo", "public", "getMacAddress", ()),
    ("android.net.wifi.WifiInfo", "public", "getSSID", ()),
    ("android.net.wifi.WifiInfo", "public", "getBSSID", ()),
    ("android.net.wifi.WifiManager", "public", "getConnectionInfo", ()),
    ("android.bluetooth.BluetoothAdapter", "public", "getAddress", ()),
    ("android.location.LocationManager", "public", "getLastKnownLocation", ("java.lang.String",)),
    ("android.location.LocationManager", "public", "requestLocationUpdates",
     ("java.lang.String", "long", "float", "android.location.LocationListener")),
    ("android.location.LocationManager", "public", "requestLocationUpdates",
     ("java.lang.String", "long", "float", "android.location.LocationListener", "android.os.Looper")),
    ("android.location.LocationManager", "public", "requestLocationUpdates",
     ("java.lang.String", "android.location.LocationRequest", "java.util.concurrent.Executor", "android.location.LocationListener")),
    ("android.location.Location", "public", "getLatitude", ()),
    ("android.location.Geocoder", "public", "getFromLocation", ("double", "double", "int")),
    ("android.content.ClipboardManager", "public", "getPrimaryClip", ()),
    ("android.content.ClipboardManager", "public", "hasPrimaryClip", ()),
    ("android.content.ClipData", "public", "getItemAt", ("int",)),
    ("android.content.ContentResolver", "public final", "query",
     ("android.net.Uri", "java.lang.String[]", "java.lang.String", "java.lang.String[]", "java.lang.String")),
    ("android.content.ContentResolver", "public final", "query",
     ("android.net.Uri", "java.lang.String[]", "android.os.Bundle", "android.os.CancellationSignal")),
    ("android.app.ApplicationPackageManager", "public", "getInstalledPackages", ("int",)),
    ("android.app.ApplicationPackageManager", "public", "getInstalledApplications", ("int",)),
    ("android.app.ApplicationPackageManager", "public", "queryIntentActivities", ("android.content.Intent", "int")),
    ("android.app.ActivityManager", "public", "getRunningAppProcesses", ()),
    ("android.app.ContextImpl", "public", "getSharedPreferences", ("java.lang.String", "int")),
    ("android.app.ContextImpl", "public", "checkSelfPermission", ("java.lang.String",)),
    ("android.app.ContextImpl", "public", "startActivity", ("android.content.Intent",)),
    ("android.app.ContextImpl", "public", "startService", ("android.content.Intent",)),
    ("android.app.ContextImpl", "public", "bindService", ("android.content.Intent", "android.content.ServiceConnection", "int")),
    ("android.app.ContextImpl", "public", "sendBroadcast", ("android.content.Intent",)),
    ("android.app.Activity", "public final", "requestPermissions", ("java.lang.String[]", "int")),
    ("android.app.Activity", "private", "dispatchRequestPermissionsResult", ("int", "android.content.Intent")),
    ("android.app.Activity", "public", "onRequestPermissionsResult", ("int", "java.lang.String[]", "int[]")),
    ("android.app.Activity", "protected", "onResume", ()),
    ("android.app.Activity", "protected", "onPause", ()),
    ("android.app.Dialog", "public", "show", ()),
    ("android.app.Dialog", "public", "dismiss", ()),
    ("android.app.Dialog", "public", "getWindow", ()),
    ("android.app.AlertDialog$Builder", "public", "setPositiveButton", ("java.lang.CharSequence", "android.content.DialogInterface$OnClickListener")),
    ("android.view.Window", "public abstract", "getDecorView", ()),
    ("android.view.ViewGroup", "public", "getChildAt", ("int",)),
    ("android.view.View", "public", "performClick", ()),
    ("android.view.View", "public", "callOnClick", ()),
    ("android.view.View", "public final", "getContext", ()),
    ("android.widget.TextView", "public", "getText", ()),
    ("android.widget.CompoundButton", "public", "setChecked", ("boolean",)),
    ("android.widget.PopupWindow", "public", "showAtLocation", ("android.view.View", "int", "int", "int")),
    ("android.webkit.WebView", "public", "loadUrl", ("java.lang.String", "java.util.Map")),
    ("android.app.SharedPreferencesImpl$EditorImpl", "public", "putBoolean", ("java.lang.String", "boolean")),
    ("android.app.SharedPreferencesImpl$EditorImpl", "public", "apply", ()),
    ("android.hardware.Camera", "public static", "open", ("int",)),
    ("android.hardware.camera2.CameraManager", "public", "openCamera",
     ("java.lang.String", "android.hardware.camera2.CameraDevice$StateCallback", "android.os.Handler")),
    ("android.media.AudioRecord", "public", "startRecording", ()),
    ("android.media.MediaRecorder", "public", "setAudioSource", ("int",)),
    ("android.hardware.SensorManager", "public", "registerListener", ("android.hardware.SensorEventListener", "android.hardware.Sensor", "int")),
    ("android.hardware.SystemSensorManager", "protected", "registerListenerImpl",
     ("android.hardware.SensorEventListener", "android.hardware.Sensor", "int", "android.os.Handler", "int", "int")),
    ("android.accounts.AccountManager", "public", "getAccounts", ()),
    ("com.google.android.gms.ads.identifier.AdvertisingIdClient", "public static", "getAdvertisingIdInfo", ("android.content.Context",)),
    ("android.util.Base64", "public static", "encodeToString", ("byte[]", "int")),
    ("android.util.Base64", "public static", "encode", ("byte[]", "int")),
    ("android.util.Base64", "public static", "decode", ("java.lang.String", "int")),
    ("android.app.Activity", "public", "dispatchTouchEvent", ("android.view.MotionEvent",)),
    ("android.view.MotionEvent", "public static", "obtain", ("long", "long", "int", "float", "float", "int")),
    ("android.app.Activity", "public", "shouldShowRequestPermissionRationale", ("java.lang.String",)),
    ("android.text.style.URLSpan", "public", "onClick", ("android.view.View",)),
    ("android.webkit.WebView", "public", "loadUrl", ("java.lang.String",)),
    ("android.location.Location", "public", "getLongitude", ()),
    ("android.app.AlertDialog$Builder", "public", "setView", ("android.view.View",)),
    ("com.tencent.mmkv.MMKV", "public", "encode", ("java.lang.String", "boolean")),
    ("com.tencent.mmkv.MMKV", "public static", "defaultMMKV", ()),
    ("com.google.android.gms.ads.identifier.AdvertisingIdClient$Info", "public", "getId", ()),
    ("com.bun.miitmdid.core.MdidSdkHelper", "public static", "InitSdk",
     ("android.content.Context", "boolean", "com.bun.miitmdid.interfaces.IIdentifierListener")),
    ("android.telephony.TelephonyManager", "public", "getUiccCardsInfo", ()),
    ("android.telephony.UiccCardInfo", "public", "getIccId", ()),
    ("android.telephony.UiccPortInfo", "public", "getIccId", ()),
    ("android.app.admin.DevicePolicyManager", "public", "getWifiMacAddress", ("android.content.ComponentName",)),
    ("android.app.usage.UsageStatsManager", "public", "queryUsageStats", ("int", "long", "long")),
    ("android.app.usage.UsageStatsManager", "public", "queryEvents", ("long", "long")),
    ("android.speech.SpeechRecognizer", "public static", "createSpeechRecognizer", ("android.content.Context",)),
    ("android.speech.SpeechRecognizer", "public", "startListening", ("android.content.Intent",)),
    ("android.app.Fragment", "public final", "requestPermissions", ("java.lang.String[]", "int")),
    ("android.app.Activity", "final", "performResume", ("boolean", "java.lang.String")),
    ("android.location.LocationManager", "public", "requestSingleUpdate",
     ("android.location.Criteria", "android.location.LocationListener", "android.os.Looper")),
    ("android.location.LocationManager", "public", "getCurrentLocation",
     ("java.lang.String", "android.location.LocationRequest", "android.os.CancellationSignal", "java.util.concurrent.Executor",
      "java.util.function.Consumer")),
    ("android.media.AudioRecord", "public", "$init", ("int", "int", "int", "int", "int")),
]

_MODS = r"(?P<mods>(?:(?:public|protected|private|static|final|abstract|native|synchronized|default)\s+)*)"
_METHOD = re.compile(r"^\s+" + _MODS + r"(?:<.*?>\s+)?\S+\s+(?P<name>[\w$]+)\((?P<params>[^)]*)\)")
_CONSTRUCTOR = re.compile(r"^\s+" + _MODS + r"(?P<name>[\w.$]+)\((?P<params>[^)]*)\)")


def _strip_generics(text: str) -> str:
    while "<" in text:
        text = re.sub(r"<[^<>]*>", "", text)
    return text


def _android_rows():
    """(row, targets, [(args, level)]) for every hook-table row naming an android.* class."""
    from hooks import hook_table

    for row in hook_table.load():
        targets = [c for c in (row.get("hook_on"), row["class"]) if c and c.startswith("android.")]
        if not targets:
            continue
        levels = row.get("min_api", 1)
        overloads = row.get("overloads") or [None]
        pairs = [(args, (levels[n] if isinstance(levels, list) else levels) or 1) for n, args in enumerate(overloads)]
        yield row, targets, pairs


@pytest.fixture(scope="module")
def classpath() -> Path:
    try:
        return Path(standin.build())
    except standin.JdkNotFound as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def javap_output(classpath):
    """javap -p -s of every class named in EXPECTED and by the hook table that the stand-in has."""
    try:
        javap = standin.jdk_tool("javap")
    except standin.JdkNotFound as e:
        pytest.skip(str(e))
    classes = {c for c, *_ in EXPECTED} | {c for _, targets, _ in _android_rows() for c in targets}
    classes = {c for c in classes if (classpath / (c.replace(".", "/") + ".class")).is_file()}
    out = subprocess.run([javap, "-p", "-s", "-cp", str(classpath), *sorted(classes)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture(scope="module")
def declared(javap_output):
    """{class: {(name, params): modifiers}}; constructors are named $init, as in the hook table."""
    return _parse(javap_output)[0]


@pytest.fixture(scope="module")
def descriptors(javap_output):
    """{class: {(name, params): JVM descriptor}} (the return type is its last part)."""
    return _parse(javap_output)[1]


def _parse(text: str) -> tuple[dict, dict]:
    mods_of: dict[str, dict] = defaultdict(dict)
    descriptor_of: dict[str, dict] = defaultdict(dict)
    current, last = None, None
    for line in text.splitlines():
        head = re.match(r"^(?:public |protected |private |abstract |final |static )*(?:class|interface) (\S+)", line)
        if head:
            current, last = head.group(1), None
            continue
        desc = re.match(r"^\s+descriptor: (\S+)", line)
        if desc:
            if last is not None:
                descriptor_of[current][last] = desc.group(1)
            last = None
            continue
        plain = _strip_generics(line)
        m = _CONSTRUCTOR.match(plain)
        if m and m.group("name") == current:
            name = "$init"
        else:
            m = _METHOD.match(plain)
            name = m.group("name") if m else None
        if m and current:
            params = tuple(p.strip() for p in m.group("params").split(",") if p.strip())
            last = (name, params)
            mods_of[current][last] = set(m.group("mods").split())
        else:
            last = None
    return mods_of, descriptor_of


@pytest.mark.parametrize("cls,mods,name,params", EXPECTED, ids=[f"{c.rsplit('.', 1)[1]}.{n}{len(p)}" for c, _, n, p in EXPECTED])
def test_declared_with_androids_signature(declared, cls, mods, name, params):
    methods = declared.get(cls)
    assert methods, f"{cls} is not declared"
    assert (name, params) in methods, f"{cls}.{name}({', '.join(params)}) missing; have {sorted(k for k in methods if k[0] == name)}"
    assert set(mods.split()) <= methods[(name, params)], f"{cls}.{name}: modifiers {methods[(name, params)]}, Android has {mods}"


def test_every_android_class_of_the_hook_table_exists(classpath):
    """A hooked class the stand-in lacks would make its hooks silently untested (class-missing at run time)."""
    wanted = {c for _, targets, pairs in _android_rows() if min(level for _, level in pairs) <= STANDIN_SDK_INT
              for c in targets}
    missing = sorted(c for c in wanted if not (classpath / (c.replace(".", "/") + ".class")).is_file())
    assert not missing, f"hooked android classes the stand-in does not declare: {missing}"


def test_every_android_row_of_the_hook_table_resolves(declared):
    """Every overload (up to API 34) of a hooked android.* class exists in the stand-in with the
    table's argument types, so each such hook is exercised for real."""
    missing = []
    for row, targets, pairs in _android_rows():
        present = [c for c in targets if c in declared]
        for args, level in pairs:
            if level > STANDIN_SDK_INT:
                continue  # the stand-in is API 34: newer overloads are absent, as on a real API 34 device
            wanted = (row["method"], tuple(args)) if args is not None else None
            found = any((wanted in declared[c]) if wanted else any(m == row["method"] for m, _ in declared[c])
                        for c in present)
            if not found:
                missing.append(f"{row['id']}: {targets[0]}.{row['method']}({', '.join(args or [])})")
    assert not missing, "\n".join(missing)


def test_hooked_public_overloads_return_what_android_returns(descriptors):
    """The API database has each public method's full descriptor: the stand-in's must be the same
    (return type included) wherever it declares the overload among the row's classes (class, hook_on)."""
    from hooks import hook_table

    db = hook_table.api_database()
    wrong = []
    for row, targets, pairs in _android_rows():
        if row.get("visibility", "public") != "public":
            continue
        for args, level in pairs:
            if args is None or level > STANDIN_SDK_INT:
                continue
            entry = db.lookup(row["class"], row["method"], args)
            assert entry is not None, f"{row['id']}: not in the API database (tests/test_apidb.py says why)"
            want = "(" + entry.descriptor.split("(", 1)[1]
            key = (row["method"], tuple(args))
            have = {descriptors[c][key] for c in targets if key in descriptors.get(c, {})}
            if have != {want}:
                wrong.append(f"{row['id']}: {targets[0]}.{row['method']}({', '.join(args)}) is "
                             f"{' / '.join(sorted(have)) or 'missing'}, Android has {want}")
    assert not wrong, "\n".join(wrong)
