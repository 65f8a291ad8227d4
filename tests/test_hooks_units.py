"""The runner's pure parts: clock mapping, event rows, the hook table, target naming."""

import time

import pytest

from hooks import clock, hook_table
from hooks.events import EventConverter
from hooks.targets import belongs_to_package, process_name_of


def sync(at_host, offset_ms, rtt_ms=1.0):
    return clock.ClockSync(at_host=at_host, offset_ms=offset_ms, rtt_ms=rtt_ms, error_ms=rtt_ms / 2 + 1, samples=20)


def test_measure_keeps_the_fastest_round_trip():
    delays = iter([0.02, 0.0, 0.01] + [0.015] * 17)
    offset_s = 3.5  # the "device" runs 3.5 s ahead

    def device_now():
        time.sleep(next(delays))
        return (time.time() + offset_s) * 1000

    result = clock.measure(device_now, samples=20)
    assert result.samples == 20
    assert result.rtt_ms < 5
    assert result.offset_ms == pytest.approx(3500, abs=result.error_ms)
    assert result.error_ms == pytest.approx(result.rtt_ms / 2 + 1)


def test_mapping_uses_the_nearest_sync_outside_and_interpolates_between():
    model = clock.ClockModel()
    with pytest.raises(LookupError):
        model.to_host(0)
    model.add(sync(1000.0, 200.0, rtt_ms=2.0))
    model.add(sync(1060.0, 260.0, rtt_ms=4.0))  # drifted 60 ms in 60 s
    before = model.to_host(900_000.0)
    assert before.offset_ms == 200.0 and before.ts == pytest.approx(899.8)
    after = model.to_host(1_100_000.0 + 260)
    assert after.offset_ms == 260.0 and after.error_ms == 3.0
    middle = model.to_host(1_030_000.0 + 230)  # device time half way between the syncs
    assert middle.offset_ms == pytest.approx(230.0, abs=0.01)
    assert middle.ts == pytest.approx(1030.0, abs=1e-4)
    assert middle.error_ms == 3.0  # the worse of the two


def converter():
    model = clock.ClockModel()
    model.add(sync(1000.0, 500.0))
    return EventConverter(pid=42, process="com.example.demoshop", clock=model)


def test_rows_carry_host_time_and_attribute_the_innermost_sdk():
    conv = converter()
    frames = ["com.umeng.commonsdk.UMConfigure.init(UMConfigure.java:41)",
              "cn.jpush.android.api.JPushInterface.init(JPushInterface.java:9)",
              "com.example.demoshop.App.onCreate(App.java:14)"]
    row = conv.row({"type": "event", "kind": "pii_read", "api": "a.B.c()", "pii_type": "imei", "value": "867530912345673",
                    "seq": 7, "t_dev_ms": 1_000_500 + 250, "tid": 9, "thread": "main", "stack_id": 1, "stack": frames,
                    "data": {"hook": "telephony.imei"}})
    assert row["ts"] == pytest.approx(1000.25)
    assert row["clock_offset_ms"] == 500.0 and row["clock_error_ms"] == 1.5
    assert row["sdk"] == "umeng" and row["data"]["sdks"] == ["umeng", "jpush"]
    assert row["stack"] == "\n".join(frames)
    assert (row["pid"], row["process"], row["thread"], row["seq"]) == (42, "com.example.demoshop", "main", 7)
    assert row["data"]["tid"] == 9 and row["data"]["hook"] == "telephony.imei"


def test_frame_origins_sent_with_a_stack_go_on_every_row_of_that_stack():
    conv = converter()
    frames = ["a.a.a.a(SourceFile:3)", "com.umeng.x.Task.run(Task.java:4)"]
    origins = ["/data/app/com.example.demoshop/base.apk", "/data/user/0/com.example.demoshop/app_dex/umeng.dex"]
    first = conv.row({"kind": "pii_read", "t_dev_ms": 1_000_600, "stack_id": 5, "stack": frames, "stack_origins": origins})
    again = conv.row({"kind": "pii_read", "t_dev_ms": 1_000_700, "stack_id": 5})
    assert first["data"]["frame_origins"] == origins == again["data"]["frame_origins"]
    assert "stack_origins" not in first["data"]
    assert first["sdk"] == "umeng"  # the obfuscated helper yields to the catalogued frame
    # no origin known for any frame: nothing stored
    none = conv.row({"kind": "pii_read", "t_dev_ms": 1_000_800, "stack_id": 6, "stack": frames, "stack_origins": ["", ""]})
    assert "frame_origins" not in none["data"]


def test_a_stack_sent_once_is_filled_in_for_later_events():
    conv = converter()
    first = ["com.example.demoshop.NearbyStores.load(NearbyStores.java:22)"]
    conv.row({"kind": "pii_read", "t_dev_ms": 1_000_600, "stack_id": 3, "stack": first})
    again = conv.row({"kind": "pii_read", "t_dev_ms": 1_000_700, "stack_id": 3, "stack": None})
    assert again["stack"] == first[0] and again["sdk"] is None and again["data"]["sdks"] == []
    lost = conv.row({"kind": "pii_read", "t_dev_ms": 1_000_800, "stack_id": 99})
    assert lost["stack"] is None and lost["data"]["stack_missing"] is True


def test_unknown_pii_types_never_reach_the_column():
    row = converter().row({"kind": "pii_read", "pii_type": "shoe_size", "t_dev_ms": 1_000_500})
    assert row["pii_type"] is None and row["data"]["unknown_pii_type"] == "shoe_size"


def test_an_event_without_device_time_falls_back_to_receipt_time():
    row = converter().row({"kind": "agent_error"}, received_at=1234.5)
    assert row["ts"] == 1234.5 and row["data"]["ts_source"] == "host_receipt"
    assert row["clock_offset_ms"] is None


def test_the_shipped_hook_table_is_valid_and_covers_the_first_hook_set():
    rows = hook_table.load()
    methods = {(r.get("hook_on") or r["class"], r["method"]) for r in rows}
    for expected in [
        ("android.telephony.TelephonyManager", "getImei"),
        ("android.telephony.TelephonyManager", "getDeviceId"),
        ("android.provider.Settings$Secure", "getString"),
        ("android.net.wifi.WifiInfo", "getMacAddress"),
        ("android.location.LocationManager", "getLastKnownLocation"),
        ("android.content.ClipboardManager", "getPrimaryClip"),
        ("android.app.ApplicationPackageManager", "getInstalledPackages"),
        ("android.app.Activity", "requestPermissions"),
        ("android.app.Activity", "dispatchRequestPermissionsResult"),
        ("android.app.Dialog", "show"),
        ("android.view.View", "performClick"),
        ("android.app.SharedPreferencesImpl$EditorImpl", "putBoolean"),
    ]:
        assert expected in methods
    assert all(r["visibility"] != "hidden" or r["aosp_source"] for r in rows)


@pytest.mark.parametrize("change, message", [
    ({"pii_type": "shoe_size"}, "unknown PII type"),
    ({"kind": "teleport"}, "kind"),
    ({"describe": "getImei"}, "describe must read"),
    ({"visibility": "hidden"}, "aosp_source"),
    ({"class": ""}, "missing class"),
    ({"params": {"keys": {"android_id": "androidid"}}}, "unknown PII type 'androidid'"),
])
def test_bad_hook_table_rows_are_rejected_with_the_row_named(change, message):
    row = {"id": "x.y", "class": "a.B", "method": "c", "kind": "pii_read", "pii_type": "imei",
           "describe": "identifiers.returnedValue", "visibility": "public"} | change
    with pytest.raises(hook_table.HookTableError, match=message) as err:
        hook_table.validate([row])
    assert "x.y" in str(err.value)


def test_duplicate_hook_ids_are_rejected():
    row = {"id": "x.y", "class": "a.B", "method": "c", "kind": "click", "describe": "consent.click"}
    with pytest.raises(hook_table.HookTableError, match="duplicate"):
        hook_table.validate([row, dict(row)])


def test_process_names_and_package_ownership():
    assert process_name_of(["/usr/bin/java", "-cp", "x:y", "-Dk=v", "com.example.Main", "arg"]) == "com.example.Main"
    assert process_name_of(["java", "-jar", "/opt/app.jar"]) == "app.jar"
    assert process_name_of(["/bin/sleep", "5"]) == "sleep"
    # A process started with its Android process name keeps it (the stand-in's ":push").
    assert process_name_of(["java", "-Dpiiaudit.process=com.example.demoshop:push", "-cp", "x",
                            "com.example.demoshop.PushMain"]) == "com.example.demoshop:push"
    assert belongs_to_package("com.example", "com.example")
    assert belongs_to_package("com.example:pushcore", "com.example")
    assert not belongs_to_package("com.example2", "com.example")
    assert not belongs_to_package(None, "com.example")
