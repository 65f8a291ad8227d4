"""The stand-in declares the hooked Android methods with Android's own signatures.

Checked with javap on the built classes: parameter types, and static/final/private where
Android has them (a Frida overload lookup or a static/instance mismatch fails on exactly
these). Every android.* row of the agent's hook table must resolve too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
import subprocess
from collections import defaultdict

import pytest

from hooks.standin import build as standin
from hooks.standin.loopback_proxy import REPO

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
]

_METHOD = re.compile(r"^\s+(?P<mods>(?:(?:public|protected|private|static|final|abstract|native|synchronized|default)\s+)*)"
                     r"(?:<.*?>\s+)?\S+\s+(?P<name>[\w$]+)\((?P<params>[^)]*)\)")


def _strip_generics(text: str) -> str:
    while "<" in text:
        text = re.sub(r"<[^<>]*>", "", text)
    return text


@pytest.fixture(scope="module")
def declared():
    """{class: {(name, params): modifiers}} for every class named in EXPECTED and the hook table."""
    try:
        javap = standin.jdk_tool("javap")
    except standin.JdkNotFound as e:
        pytest.skip(str(e))
    classpath = standin.build()
    classes = {c for c, *_ in EXPECTED}
    from hooks import hook_table

    named = {c for row in hook_table.load() for c in (row.get("hook_on"), row["class"]) if c and c.startswith("android.")}
    classes |= {c for c in named if (Path(classpath) / (c.replace(".", "/") + ".class")).is_file()}
    out = subprocess.run([javap, "-p", "-cp", str(classpath), *sorted(classes)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    table: dict[str, dict] = defaultdict(dict)
    current = None
    for line in out.stdout.splitlines():
        head = re.match(r"^(?:public |protected |private |abstract |final |static )*(?:class|interface) (\S+)", line)
        if head:
            current = head.group(1)
            continue
        m = _METHOD.match(_strip_generics(line))
        if m and current:
            params = tuple(p.strip() for p in m.group("params").split(",") if p.strip())
            table[current][(m.group("name"), params)] = set(m.group("mods").split())
    return table


@pytest.mark.parametrize("cls,mods,name,params", EXPECTED, ids=[f"{c.rsplit('.', 1)[1]}.{n}{len(p)}" for c, _, n, p in EXPECTED])
def test_declared_with_androids_signature(declared, cls, mods, name, params):
    methods = declared.get(cls)
    assert methods, f"{cls} is not declared"
    assert (name, params) in methods, f"{cls}.{name}({', '.join(params)}) missing; have {sorted(k for k in methods if k[0] == name)}"
    assert set(mods.split()) <= methods[(name, params)], f"{cls}.{name}: modifiers {methods[(name, params)]}, Android has {mods}"


@pytest.mark.xfail(strict=True, reason="the stand-in does not yet declare every overload in the hook table "
                   "(requestSingleUpdate, getCurrentLocation with LocationRequest, getFromLocationName with bounds)")
def test_every_android_row_of_the_hook_table_resolves(declared):
    """Every overload (up to API 34) of a hooked android.* class the stand-in declares exists there
    with the table's argument types, so each such hook is exercised for real."""
    from hooks import hook_table

    missing = []
    for row in hook_table.load():
        targets = [c for c in (row.get("hook_on"), row["class"]) if c and c.startswith("android.") and c in declared]
        if not targets:
            continue  # java.* is the real JDK's; third-party and absent classes show as coverage events
        levels = row.get("min_api", 1)
        overloads = row.get("overloads") or [None]
        for n, args in enumerate(overloads):
            level = levels[n] if isinstance(levels, list) else levels
            if (level or 1) > STANDIN_SDK_INT:
                continue  # the stand-in is API 34: newer overloads are absent, as on a real API 34 device
            wanted = (row["method"], tuple(args)) if args is not None else None
            found = any((wanted in declared[c]) if wanted else any(m == row["method"] for m, _ in declared[c])
                        for c in targets)
            if not found:
                missing.append(f"{row['id']}: {targets[0]}.{row['method']}({', '.join(args or [])})")
    assert not missing, missing
