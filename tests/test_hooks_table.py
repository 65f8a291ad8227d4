"""The one hook table (hooks/data/hook_table.yaml): complete for the research notes' hook
points, consistent with the Android API database, the PII vocabulary and the agent."""

import pytest

from hooks import hook_table
from piiaudit import vocab

ROWS = hook_table.load()


def hooked(row):
    return row.get("hook_on") or row["class"]


def test_public_rows_match_the_android_api_database():
    # class, method, JVM descriptor per overload and minimum API level, against API 36
    assert hook_table.api_problems() == []


def test_a_wrong_level_in_the_table_would_be_caught():
    row = dict(next(r for r in ROWS if r["id"] == "launch.broadcast"), min_api=[1, 1, 1])
    assert hook_table.api_problems([row]) == [
        "android.content.Context.sendBroadcast(android.content.Intent, java.lang.String, android.os.Bundle): "
        "table says min_api 1 but the API database says since 34"]


def test_every_pii_type_is_in_the_vocabulary():
    known = set(vocab.pii_types())
    for row in ROWS:
        declared = row.get("pii_type")
        names = (declared if isinstance(declared, list) else [declared]) + list(
            ((row.get("params") or {}).get("authorities") or {}).values())
        assert all(n is None or n in known for n in names), row["id"]


def test_hidden_rows_point_to_their_aosp_source_and_third_party_rows_are_marked():
    for row in ROWS:
        if row["visibility"] == "hidden":
            assert row["aosp_source"], row["id"]
    third_party = {hooked(r) for r in ROWS if r["visibility"] == "third-party"}
    assert {"com.bun.miitmdid.core.MdidSdkHelper", "com.tencent.mmkv.MMKV",
            "com.google.android.gms.ads.identifier.AdvertisingIdClient"} <= third_party


@pytest.mark.parametrize("family, points", [
    ("identifiers", [("android.telephony.TelephonyManager", m) for m in
                     ("getImei", "getDeviceId", "getMeid", "getSubscriberId", "getSimSerialNumber", "getLine1Number")]
     + [("android.provider.Settings$Secure", "getString"), ("android.os.Build", "getSerial"),
        ("com.google.android.gms.ads.identifier.AdvertisingIdClient", "getAdvertisingIdInfo"),
        ("com.bun.miitmdid.core.MdidSdkHelper", "InitSdk"), ("com.bun.miitmdid.interfaces.IdSupplier", "getOAID"),
        ("android.net.wifi.WifiInfo", "getMacAddress"), ("android.net.wifi.WifiInfo", "getSSID"),
        ("android.net.wifi.WifiInfo", "getBSSID"), ("android.bluetooth.BluetoothAdapter", "getAddress"),
        ("java.net.NetworkInterface", "getHardwareAddress")]),
    ("location", [("android.location.LocationManager", m) for m in
                  ("getLastKnownLocation", "requestLocationUpdates", "requestSingleUpdate", "getCurrentLocation")]
     + [("android.location.Location", "getLatitude"), ("android.location.Geocoder", "getFromLocation"),
        ("android.telephony.TelephonyManager", "getAllCellInfo"), ("android.telephony.TelephonyManager", "getCellLocation")]),
    ("content", [("android.content.ContentResolver", "query"), ("android.content.ContentProviderClient", "query")]),
    ("apps", [("android.app.ApplicationPackageManager", "getInstalledPackages"),
              ("android.app.ApplicationPackageManager", "queryIntentActivities"),
              ("android.app.ActivityManager", "getRunningAppProcesses")]),
    ("devices", [("android.content.ClipboardManager", "getPrimaryClip"), ("android.hardware.Camera", "open"),
                 ("android.media.AudioRecord", "startRecording"), ("android.hardware.SensorManager", "registerListener"),
                 ("android.accounts.AccountManager", "getAccounts")]),
    ("permissions", [("android.app.Activity", "requestPermissions"), ("android.app.Activity", "dispatchRequestPermissionsResult"),
                     ("android.app.Activity", "shouldShowRequestPermissionRationale"),
                     ("android.app.ContextImpl", "checkSelfPermission")]),
    ("consent", [("android.app.Dialog", "show"), ("android.app.Dialog", "dismiss"), ("android.app.Dialog", "cancel"),
                 ("android.widget.PopupWindow", "showAtLocation"), ("android.view.WindowManagerImpl", "addView"),
                 ("android.widget.Toast", "show"),
                 ("android.view.View", "performClick"), ("android.widget.CompoundButton", "setChecked"),
                 ("android.text.style.URLSpan", "onClick"), ("android.webkit.WebView", "loadUrl"),
                 ("android.app.SharedPreferencesImpl$EditorImpl", "putBoolean"), ("com.tencent.mmkv.MMKV", "encode")]),
    ("app state", [("android.app.Activity", m) for m in ("onResume", "onPause", "dispatchTouchEvent", "startActivityForResult")]
     + [("android.app.ContextImpl", m) for m in ("startActivity", "startService", "bindService", "sendBroadcast")]),
    ("crypto", [("javax.crypto.Cipher", m) for m in ("init", "update", "doFinal")]
     + [("java.security.MessageDigest", "update"), ("java.security.MessageDigest", "digest"),
        ("javax.crypto.Mac", "doFinal"), ("android.util.Base64", "encodeToString"), ("java.util.Base64$Encoder", "encode")]),
])
def test_the_table_covers_every_hook_family(family, points):
    present = {(hooked(r), r["method"]) for r in ROWS} | {(r["class"], r["method"]) for r in ROWS}
    missing = [p for p in points if p not in present]
    assert not missing, f"{family}: {missing}"


def test_content_queries_are_classified_by_authority():
    query = next(r for r in ROWS if r["id"] == "content.resolver_query")
    authorities = query["params"]["authorities"]
    assert (authorities["com.android.contacts"], authorities["call_log"], authorities["sms"],
            authorities["com.android.calendar"], authorities["media"], authorities["com.vivo.vms.IdProvider"],
            authorities["com.meizu.flyme.openidsdk"]) == ("contacts", "call_log", "sms", "calendar", "media", "oaid", "oaid")


def test_hot_rows_carry_their_rate_and_stack_policy():
    by_id = {r["id"]: r for r in ROWS}
    for hot in ("location.latitude", "location.longitude", "activity.touch"):
        assert by_id[hot]["stack"] is False and by_id[hot]["rate"]["per_second"] <= 10
    assert all(by_id[i]["guard"] == "crypto" for i in by_id if i.startswith("crypto."))


def test_the_table_is_large_and_every_row_names_its_overloads_or_takes_them_all():
    assert len(ROWS) >= 150 and hook_table.overload_count() >= 240
    for row in ROWS:
        if row["visibility"] != "third-party":
            assert row.get("overloads"), row["id"]
