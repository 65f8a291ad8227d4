"""The real agent in the JVM stand-in playing docs/standin-scenario.md offline.

One run per module (a few seconds); every test reads the session it left. Expected values
come from piiaudit/data/demo/device.yaml, expected callers from the scenario table.
"""

import json
import time

import pytest
import yaml

from hooks.standin.build import build as build_standin, java_command
from hooks import hook_table
from hooks.runner import HooksRunner
from hooks.targets import LocalProcess
from piiaudit.store import SessionStore

DEVICE = yaml.safe_load(open("piiaudit/data/demo/device.yaml", encoding="utf-8"))["values"]

# (kind, pii_type, sdk) of the hooked steps, in scenario order (steps 1, 2, 4, 5, 7-11, 13).
SCENARIO = [
    ("pii_read", "imei", "umeng"),
    ("pii_read", "installed_apps", "umeng"),
    ("pii_read", "android_id", "jpush"),
    ("pii_read", "mac", "jpush"),
    ("dialog_shown", None, None),
    ("click", None, None),
    ("pref_write", None, None),
    ("permission_request", None, None),
    ("permission_result", None, None),
    ("pii_read", "location", None),
    ("pii_read", "clipboard", "jpush"),
]
SCENARIO_KINDS = sorted({k for k, _, _ in SCENARIO})


def standin_argv(*jvm_args):
    return java_command(build_standin(), proxy_host=None, proxy_port=None, truststore=None,
                                truststore_password=None, device_properties=None,
                                extra_jvm_args=["-Dstandin.offline=true", *jvm_args])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    store = SessionStore(tmp_path_factory.mktemp("hooks-scenario"))
    seen = []
    # Re-sync every second (30 s by default) so the run has syncs before, during and after the scenario.
    runner = HooksRunner(store, LocalProcess(standin_argv()), on_event=seen.append, resync_interval=1.0)
    t_start = time.time()
    runner.start()
    status = runner.wait(timeout=120)
    stats = runner.stop()
    t_end = time.time()
    return {"store": store, "runner": runner, "status": status, "stats": stats, "t": (t_start, t_end), "seen": seen}


def scenario_events(store):
    marks = ",".join("?" * len(SCENARIO_KINDS))
    return store.rows(f"SELECT * FROM events WHERE kind IN ({marks}) ORDER BY ts, seq", SCENARIO_KINDS)


def test_the_app_ran_to_its_end_unchanged_by_the_hooks(run):
    # The stand-in exits 3 if any framework call returned something other than the device's value.
    assert run["status"] == 0, run["runner"].output[-2000:]
    assert "DONE 14 steps" in run["runner"].output
    assert run["store"].rows("SELECT message FROM errors") == []


def test_every_hooked_step_is_recorded_in_scenario_order_with_its_caller(run):
    got = [(e["kind"], e["pii_type"], e["sdk"]) for e in scenario_events(run["store"])]
    assert got == SCENARIO


def test_values_are_the_device_values(run):
    reads = {e["pii_type"]: e for e in scenario_events(run["store"]) if e["kind"] == "pii_read"}
    assert reads["imei"]["value"] == DEVICE["imei"]
    assert reads["imei"]["api"] == "android.telephony.TelephonyManager.getImei()"
    assert reads["android_id"]["value"] == DEVICE["android_id"]
    assert json.loads(reads["android_id"]["data"])["key"] == "android_id"
    assert reads["mac"]["value"] == DEVICE["mac"]
    assert reads["clipboard"]["value"] == DEVICE["clipboard"]
    lat, lng = (float(x) for x in reads["location"]["value"].split(","))
    assert (lat, lng) == pytest.approx((DEVICE["location"]["lat"], DEVICE["location"]["lng"]))
    apps = json.loads(reads["installed_apps"]["data"])
    assert apps["count"] == len(apps["packages"]) > 0
    assert reads["installed_apps"]["value"].startswith(f"{apps['count']} packages: ")


def test_consent_ui_and_permission_events_carry_what_was_seen(run):
    by_kind = {e["kind"]: e for e in scenario_events(run["store"])}
    dialog = json.loads(by_kind["dialog_shown"]["data"])
    assert "隐私政策" in by_kind["dialog_shown"]["value"] and dialog["consent_words"] is True
    assert "同意" in dialog["texts"] and "不同意" in dialog["texts"]
    assert by_kind["click"]["value"] == "同意"
    pref = json.loads(by_kind["pref_write"]["data"])
    assert (pref["key"], pref["value"]) == ("privacy_agreed", "true")
    request = json.loads(by_kind["permission_request"]["data"])
    assert "android.permission.ACCESS_FINE_LOCATION" in request["permissions"]
    result = json.loads(by_kind["permission_result"]["data"])
    assert result["request_code"] == request["request_code"]
    assert result["granted"] == request["permissions"] and result["denied"] == []


def test_stacks_start_at_the_caller_and_name_the_sdks(run):
    reads = {e["pii_type"]: e for e in scenario_events(run["store"]) if e["kind"] == "pii_read"}
    imei_stack = reads["imei"]["stack"].split("\n")
    assert imei_stack[0].startswith("com.umeng.commonsdk.UMConfigure.init(UMConfigure.java:")
    assert not any("TelephonyManager.getImei" in f for f in imei_stack)
    assert json.loads(reads["imei"]["data"])["sdks"] == ["umeng"]
    assert reads["location"]["stack"].split("\n")[0].startswith("com.example.demoshop.NearbyStores.")
    assert all(e["thread"] == "main" for e in scenario_events(run["store"]))


def test_hooks_were_live_before_the_first_read(run):
    store = run["store"]
    ready = store.rows("SELECT * FROM events WHERE kind = 'hooks_ready'")
    assert len(ready) == 1
    info = json.loads(ready[0]["data"])
    assert info["phase"] == "vm-created" and info["runtime"] == "hotspot"
    assert info["hook_failed"] == 0
    first_read = store.rows("SELECT seq, ts FROM events WHERE kind = 'pii_read' ORDER BY seq LIMIT 1")[0]
    assert ready[0]["seq"] < first_read["seq"] and ready[0]["ts"] <= first_read["ts"]


def test_coverage_reports_each_hook_row(run):
    rows = [json.loads(r["data"]) | {"api": r["api"]}
            for r in run["store"].rows("SELECT api, data FROM events WHERE kind = 'coverage'")]
    assert {r["hook_id"] for r in rows} >= {row["id"] for row in hook_table.load()}
    assert all(set(r) >= {"hook_id", "signature", "status", "live_at_ms", "error"} for r in rows)
    assert all(r["signature"] == r["api"] for r in rows)
    hooked = {r["hook_id"] for r in rows if r["status"] == "hooked"}
    # Every hook the scenario goes through was live.
    used = {json.loads(e["data"])["hook"] for e in scenario_events(run["store"])}
    assert used <= hooked
    assert all(r["live_at_ms"] for r in rows if r["status"] == "hooked")
    assert all(r["live_at_ms"] is None and r["error"] is None for r in rows if r["status"] == "method-missing")
    # The stand-in is API 34 minus the newest overloads: those are reported, not hidden.
    missing = {r["api"] for r in rows if r["status"] == "method-missing"}
    assert "android.app.Activity.requestPermissions(java.lang.String[], int, int)" in missing
    # Third-party SDK classes the app does not ship are reported as missing, with the reason.
    absent = {r["hook_id"]: r for r in rows if r["status"] == "class-missing"}
    assert "com.huawei.hms.ads.identifier.AdvertisingIdClient" in absent["hms.advertising_id_info"]["signature"]
    assert absent["hms.advertising_id_info"]["error"]


def test_sdk_crypto_on_the_way_to_the_network_is_recorded(run):
    crypto = [(json.loads(e["data"]), e) for e in run["store"].rows("SELECT * FROM events WHERE kind = 'crypto' ORDER BY seq")]
    md5 = next(e for d, e in crypto if d["op"] == "digest" and d["algorithm"] == "MD5")
    assert md5["value"] == DEVICE["imei"] and md5["sdk"] == "umeng"
    b64 = next(e for d, e in crypto if d["op"] == "encode")
    assert b64["value"] == DEVICE["android_id"] and b64["sdk"] == "jpush"


def test_times_are_host_seconds_within_the_run_and_seq_is_monotonic(run):
    store = run["store"]
    t_start, t_end = run["t"]
    events = store.rows("SELECT * FROM events WHERE ts_device_ms IS NOT NULL ORDER BY seq")
    assert all(t_start <= e["ts"] <= t_end for e in events)
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    syncs = store.rows("SELECT * FROM clock_syncs ORDER BY at_host")
    assert len(syncs) >= 3 and all(s["pid"] == run["runner"].pid for s in syncs)
    # One sample before the resume (the start deadline), the full 20 round trips from then on.
    assert [s["samples"] for s in syncs] == [1] + [20] * (len(syncs) - 1)
    assert all(s["error_ms"] == pytest.approx(s["rtt_ms"] / 2 + 1) for s in syncs)
    assert syncs[0]["at_host"] < events[0]["ts"] and syncs[-1]["at_host"] > events[-1]["ts"] - 0.5
    offsets = [s["offset_ms"] for s in syncs]
    for e in events:
        assert e["ts"] == pytest.approx((e["ts_device_ms"] - e["clock_offset_ms"]) / 1000, abs=1e-6)
        assert min(offsets) <= e["clock_offset_ms"] <= max(offsets)
        assert e["clock_error_ms"] >= 1.0
    # Steps are >= 150 ms apart in the app, so host times must keep them apart too.
    reads = [e["ts"] for e in scenario_events(store)]
    assert all(b - a > 0.1 for a, b in zip(reads, reads[1:]))


def test_the_end_is_recorded_with_the_exit_status(run):
    store = run["store"]
    end = store.rows("SELECT * FROM events WHERE kind IN ('process_exit', 'target_exit') ORDER BY id")
    assert [e["kind"] for e in end] == ["process_exit", "target_exit"]
    assert json.loads(end[0]["data"])["status"] == 0
    counters = json.loads(end[0]["data"])["hooks"]
    assert counters["telephony.imei"]["calls"] >= 1
    assert run["stats"].exit_status == 0 and run["stats"].processes == 1
    assert run["stats"].events == store.count("events")
    assert store.get_meta("hooks")["processes"][0]["exit_status"] == 0


def test_on_event_saw_every_committed_row(run):
    assert len(run["seen"]) == run["store"].count("events")
    assert [r["kind"] for r in run["seen"]].count("pii_read") == 6
