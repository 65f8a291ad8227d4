"""Sessions written the way the proxy addon and the hooks runner write them.

- :func:`write_standin_scenario`: the 14 steps of docs/standin-scenario.md as store rows
  (flows, PII hits, hook events, consent marks, manifest), with knobs for how consent
  happens, so the analysis can be checked against the scenario's ground truth without a
  JVM or a proxy running;
- :func:`write_synthetic`: a large session of the same shape for benchmarks, inserted
  with ``executemany``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from piiaudit import manifest
from piiaudit.store import SessionStore

DEVICE = {
    "imei": "867530912345673", "android_id": "9774d56d682e549c", "mac": "02:1a:11:f0:6e:2b",
    "location": "39.908823,116.39747",   # as the agent and the proxy write a fix (shortest float repr)
    "clipboard": "piiaudit-canary-clipboard-7f3a",
    "installed_apps": "com.example.demoshop,com.tencent.mm,com.eg.android.AlipayGphone,com.sina.weibo",
}
APP = {"package": "com.example.demoshop", "name": "演示商城 (Demo Shop)", "version": "1.0.0", "category": "网上购物类"}
T0 = 1_767_225_600.0          # 2026-01-01T00:00:00Z
STEP_S = 0.25                 # the scenario's steps are >= 150 ms apart
CLOCK_OFFSET_MS = 1234.0      # device minus host
CLOCK_ERROR_MS = 2.5
PID = 4242

API = {
    "imei": "android.telephony.TelephonyManager.getImei()",
    "installed_apps": "android.app.ApplicationPackageManager.getInstalledPackages(int)",
    "android_id": "android.provider.Settings$Secure.getString(android.content.ContentResolver, java.lang.String)",
    "mac": "android.net.wifi.WifiInfo.getMacAddress()",
    "dialog": "android.app.Dialog.show()",
    "click": "android.view.View.performClick()",
    "pref": "android.app.SharedPreferencesImpl$EditorImpl.putBoolean(java.lang.String, boolean)",
    "perm_request": "android.app.Activity.requestPermissions(java.lang.String[], int)",
    "perm_result": "android.app.Activity.dispatchRequestPermissionsResult(int, android.content.Intent)",
    "location": "android.location.LocationManager.getLastKnownLocation(java.lang.String)",
    "clipboard": "android.content.ClipboardManager.getPrimaryClip()",
}


def sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def _stack(*frames: str) -> str:
    return "\n".join(frames)


@dataclass
class ScenarioIds:
    """Ids of what was written, by scenario step number, for tests to assert evidence with."""

    t0: float
    events: dict[int, int] = field(default_factory=dict)
    flows: dict[int, str] = field(default_factory=dict)
    step_ts: dict[int, float] = field(default_factory=dict)

    def ts(self, step: int) -> float:
        return self.step_ts[step]


def _event(step: int, ts: float, kind: str, *, api: str | None = None, pii_type: str | None = None,
           value: str | None = None, sdk: str | None = None, stack: str | None = None, thread: str = "main",
           data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "ts": ts, "ts_device_ms": int(round(ts * 1000 + CLOCK_OFFSET_MS)), "seq": step, "kind": kind, "api": api,
        "pii_type": pii_type, "value": value, "sdk": sdk, "stack": stack, "pid": PID,
        "process": APP["package"], "thread": thread, "clock_error_ms": CLOCK_ERROR_MS,
        "clock_offset_ms": CLOCK_OFFSET_MS, "data": json.dumps(data, ensure_ascii=False) if data else None,
    }


def _flow(step: int, ts: float, method: str, url: str, body: str = "") -> dict[str, Any]:
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0]
    request = f"{method} {url} HTTP/1.1\r\nHost: {host}\r\n\r\n{body}".encode()
    response = b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{"ok":true}'
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"piiaudit-standin-{step}-{url}")), "ts_start": ts,
        "ts_end": ts + 0.02, "method": method, "url": url, "host": host, "port": 443 if scheme == "https" else 80,
        "scheme": scheme, "status": 200, "request_sha256": sha256(request), "response_sha256": sha256(response),
        "request_size": len(request), "response_size": len(response), "content_type": "application/json",
        "capture": "live", "recorded_at": ts + 0.05,
    }


def _hit(flow: dict[str, Any], pii_type: str, location: str, encoding: str, value: str) -> dict[str, Any]:
    return {"flow_id": flow["id"], "pii_type": pii_type, "location": location, "encoding": encoding,
            "source": "known_value", "value_sha256": sha256(value), "value": value, "direction": "request",
            "confidence": 1.0}


def write_standin_scenario(session_dir: Path | str, *, consent: str = "tap", t0: float = T0,
                           dialog_text: str | None = None, url_suffix: str = "") -> ScenarioIds:
    """Write the scenario into a new session directory.

    consent: "tap" (the hooks see the dialog, the 同意 tap and the flag), "mark" (no consent
    UI seen by the hooks; the tester marks consent 0.4 s after the tap), "none" (the user
    never answers: no tap, no mark), "declined" (the user taps 不同意, the flag is written
    false, and the app goes on regardless).
    """
    if consent not in ("tap", "mark", "none", "declined"):
        raise ValueError(f"consent must be tap, mark, none or declined, not {consent!r}")
    store = SessionStore(session_dir)
    ids = ScenarioIds(t0=t0)
    at = lambda step: t0 + step * STEP_S  # noqa: E731
    ids.step_ts = {step: at(step) for step in range(1, 15)}
    umeng = ("com.umeng.commonsdk.UMConfigure.init(UMConfigure.java:210)",
             "com.example.demoshop.DemoApplication.onCreate(DemoApplication.java:21)",
             "android.app.ActivityThread.handleBindApplication(ActivityThread.java:6712)")
    jpush = ("cn.jpush.android.api.JPushInterface.init(JPushInterface.java:88)",
             "com.example.demoshop.DemoApplication.onCreate(DemoApplication.java:24)")
    main = ("com.example.demoshop.MainActivity.onCreate(MainActivity.java:40)",
            "android.app.Activity.performCreate(Activity.java:8290)")
    text = dialog_text or ("欢迎使用演示商城！请您仔细阅读《用户协议》和《隐私政策》，我们将严格按照政策收集和使用您的个人信息。"
                           "点击“同意”即表示您已阅读并同意。")
    label, flag = ("不同意", False) if consent == "declined" else ("同意", True)
    events: list[dict[str, Any]] = [
        _event(0, t0 - 0.5, "hooks_ready", data={"hooks": 42}),
        _event(1, at(1), "pii_read", api=API["imei"], pii_type="imei", value=DEVICE["imei"], sdk="umeng",
               stack=_stack("android.telephony.TelephonyManager.getImei(TelephonyManager.java:2043)",
                            "com.umeng.commonsdk.statistics.common.DeviceConfig.getImei(DeviceConfig.java:112)", *umeng)),
        _event(2, at(2), "pii_read", api=API["installed_apps"], pii_type="installed_apps",
               value=DEVICE["installed_apps"], sdk="umeng",
               stack=_stack("android.app.ApplicationPackageManager.getInstalledPackages(ApplicationPackageManager.java:1040)",
                            "com.umeng.commonsdk.internal.utils.ApplicationLayerUtil.getAppList(ApplicationLayerUtil.java:51)",
                            *umeng)),
        _event(4, at(4), "pii_read", api=API["android_id"], pii_type="android_id", value=DEVICE["android_id"],
               sdk="jpush", data={"args": ["android.content.ContentResolver@1a2b", "android_id"]},
               stack=_stack("android.provider.Settings$Secure.getString(Settings.java:5890)",
                            "cn.jpush.android.helper.DeviceInfo.androidId(DeviceInfo.java:77)", *jpush)),
        _event(5, at(5), "pii_read", api=API["mac"], pii_type="mac", value=DEVICE["mac"], sdk="jpush",
               stack=_stack("android.net.wifi.WifiInfo.getMacAddress(WifiInfo.java:600)",
                            "cn.jpush.android.helper.DeviceInfo.mac(DeviceInfo.java:95)", *jpush)),
        _event(7, at(7), "dialog_shown", api=API["dialog"], data={"text": text, "buttons": ["同意", "不同意"]},
               stack=_stack("android.app.Dialog.show(Dialog.java:352)",
                            "com.example.demoshop.PrivacyDialog.showIfNeeded(PrivacyDialog.java:30)", *main)),
        _event(10, at(10), "permission_request", api=API["perm_request"],
               data={"permissions": ["android.permission.ACCESS_FINE_LOCATION"], "request_code": 7},
               stack=_stack("android.app.Activity.requestPermissions(Activity.java:5262)", *main)),
        _event(10, at(10) + 0.1, "permission_result", api=API["perm_result"],
               data={"permissions": ["android.permission.ACCESS_FINE_LOCATION"], "results": [0], "request_code": 7}),
        _event(11, at(11), "pii_read", api=API["location"], pii_type="location", value=DEVICE["location"],
               stack=_stack("android.location.LocationManager.getLastKnownLocation(LocationManager.java:1310)",
                            "com.example.demoshop.NearbyStores.refresh(NearbyStores.java:44)")),
        _event(13, at(13), "pii_read", api=API["clipboard"], pii_type="clipboard", value=DEVICE["clipboard"],
               sdk="jpush", thread="jpush-service",
               stack=_stack("android.content.ClipboardManager.getPrimaryClip(ClipboardManager.java:210)",
                            "cn.jpush.android.service.PushService.onStartCommand(PushService.java:130)")),
        _event(15, at(14) + 1.0, "coverage", data={"calls": {API["imei"]: 1, API["location"]: 1}}),
    ]
    if consent in ("tap", "declined"):
        events += [
            _event(8, at(8), "click", api=API["click"], data={"label": label},
                   stack=_stack("android.view.View.performClick(View.java:7448)",
                                "com.example.demoshop.PrivacyDialog$1.onClick(PrivacyDialog.java:52)")),
            _event(9, at(9), "pref_write", api=API["pref"], data={"key": "privacy_agreed", "value": flag},
                   stack=_stack("android.app.SharedPreferencesImpl$EditorImpl.putBoolean(SharedPreferencesImpl.java:512)",
                                *main)),
        ]
    store.write_events(sorted(events, key=lambda e: e["ts"]))
    for row in store.rows("SELECT id, seq, kind FROM events WHERE kind NOT IN ('permission_result')"):
        ids.events[row["seq"]] = row["id"]
    if consent == "mark":
        store.add_consent_mark(at(8) + 0.4, "accepted", "tester", note="tapped 同意 on the device")

    imei_md5 = hashlib.md5(DEVICE["imei"].encode()).hexdigest()
    aid_b64 = "OTc3NGQ1NmQ2ODJlNTQ5Yw=="
    f3 = _flow(3, at(3), "POST", "https://ulogs.umeng.com/unify_logs" + url_suffix,
               json.dumps({"header": {"appkey": "5f1d2c3b4a5e6f7081920a1b", "imei_md5": imei_md5, "os": "Android"}}))
    f6 = _flow(6, at(6), "POST", "https://stats.jpush.cn/v3/report", f"aid={aid_b64}&platform=a&sdk_ver=5.0.0")
    f12 = _flow(12, at(12), "GET", "https://api.demoshop.example/v1/stores/nearby?lat=39.908823&lng=116.397470")
    f14 = _flow(14, at(14), "GET", f"http://stats.jpush.cn/v3/hb?aid={DEVICE['android_id']}&t={int(at(14) * 1000)}")
    hits = [
        _hit(f3, "imei", "body:json:$.header.imei_md5", "md5", DEVICE["imei"]),
        _hit(f6, "android_id", "body:form:aid", "base64", DEVICE["android_id"]),
        _hit(f12, "location", "query:lat+lng", "plain", DEVICE["location"]),
        _hit(f14, "android_id", "query:aid", "plain", DEVICE["android_id"]),
    ]
    store.write_flows_and_hits([f3, f6, f12, f14], hits)
    ids.flows = {3: f3["id"], 6: f6["id"], 12: f12["id"], 14: f14["id"]}
    store.write_clock_sync({"pid": PID, "process": APP["package"], "at_host": t0 - 0.6, "offset_ms": CLOCK_OFFSET_MS,
                            "rtt_ms": 3.0, "error_ms": CLOCK_ERROR_MS, "samples": 8})
    manifest.write(store, app=APP, device={"model": "piiaudit JVM stand-in", "android": 14, "kind": "jvm-standin"})
    store.close()
    return ids


# -- synthetic sessions for benchmarks ------------------------------------------------------

_SDK_HOSTS = {"umeng": "ulogs.umeng.com", "jpush": "stats.jpush.cn", "getui": "sdk.open.phone.igexin.com"}
_SDK_PREFIX = {"umeng": "com.umeng.commonsdk.", "jpush": "cn.jpush.android.", "getui": "com.igexin.sdk."}
_TYPES = np.array(["imei", "android_id", "oaid", "mac", "installed_apps", "location", "clipboard"])


def write_synthetic(session_dir: Path | str, n_flows: int, n_events: int, *, seed: int = 7,
                    t0: float = T0, duration_s: float = 3600.0) -> None:
    """A session with `n_flows` flows (about one PII hit per three) and `n_events` hook events.

    Consent is a privacy dialog and a 同意 tap at 20 % of the duration; SDKs read and send
    before and after it, the app after it.
    """
    rng = np.random.default_rng(seed)
    store = SessionStore(session_dir)
    conn = store.conn
    values = {t: [f"{t}-value-{i}" for i in range(3)] for t in _TYPES}
    sdk_ids = np.array(["umeng", "jpush", "getui", ""])
    t_consent = t0 + 0.2 * duration_s

    ev_ts = np.sort(rng.uniform(t0, t0 + duration_s, n_events))
    ev_type = rng.choice(_TYPES, n_events)
    ev_sdk = rng.choice(sdk_ids, n_events, p=[0.3, 0.3, 0.2, 0.2])
    ev_val = rng.integers(0, 3, n_events)
    # Stacks and data as the hooks runner stores them: ~10 frames, the SDKs seen, thread and stack ids.
    stacks = {s: "\n".join([f"android.hooked.Api.call(Api.java:{n})" for n in range(2)]
                            + [f"{_SDK_PREFIX.get(s, 'com.example.demoshop.')}internal.C{n}.run(C{n}.java:{10 * n})"
                               for n in range(6)]
                            + ["android.os.Handler.dispatchMessage(Handler.java:106)",
                               "android.os.Looper.loop(Looper.java:223)"])
              for s in sdk_ids}
    data = {s: json.dumps({"sdks": [s] if s else [], "tid": 4242, "stack_id": i}) for i, s in enumerate(sdk_ids)}
    event_rows = [
        (float(ts), int(ts * 1000 + CLOCK_OFFSET_MS), i, "pii_read", f"hooked.Api.{t}()", t, values[t][v], s or None,
         stacks[s], PID, APP["package"], "main", CLOCK_ERROR_MS, CLOCK_OFFSET_MS, data[s])
        for i, (ts, t, s, v) in enumerate(zip(ev_ts, ev_type, ev_sdk, ev_val))
    ]
    event_rows += [
        (t_consent - 5, 0, n_events, "dialog_shown", API["dialog"], None, None, None, None, PID, APP["package"], "main",
         CLOCK_ERROR_MS, CLOCK_OFFSET_MS, json.dumps({"text": "请阅读《隐私政策》"}, ensure_ascii=False)),
        (t_consent, 0, n_events + 1, "click", API["click"], None, None, None, None, PID, APP["package"], "main",
         CLOCK_ERROR_MS, CLOCK_OFFSET_MS, json.dumps({"label": "同意"}, ensure_ascii=False)),
    ]
    fl_ts = np.sort(rng.uniform(t0, t0 + duration_s, n_flows))
    fl_sdk = rng.choice(sdk_ids, n_flows, p=[0.25, 0.25, 0.1, 0.4])
    fl_ids = [f"flow-{i:08d}" for i in range(n_flows)]
    flow_rows = [
        (fid, float(ts), "POST", f"https://{_SDK_HOSTS.get(s, 'api.demoshop.example')}/v1/x?i={i}",
         _SDK_HOSTS.get(s, "api.demoshop.example"), "https", 200, sha256(fid), sha256(fid + "r"))
        for i, (fid, ts, s) in enumerate(zip(fl_ids, fl_ts, fl_sdk))
    ]
    hit_idx = np.flatnonzero(rng.random(n_flows) < 1 / 3)
    hit_type = rng.choice(_TYPES, len(hit_idx))
    hit_val = rng.integers(0, 3, len(hit_idx))
    hit_rows = [
        (fl_ids[i], t, "query:x", "plain", "known_value", sha256(values[t][v]), values[t][v], "request", 1.0)
        for i, t, v in zip(hit_idx, hit_type, hit_val)
    ]
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO events (ts, ts_device_ms, seq, kind, api, pii_type, value, sdk, stack, pid, process, thread, "
        "clock_error_ms, clock_offset_ms, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", event_rows)
    conn.executemany(
        "INSERT INTO flows (id, ts_start, method, url, host, scheme, status, request_sha256, response_sha256) "
        "VALUES (?,?,?,?,?,?,?,?,?)", flow_rows)
    conn.executemany(
        "INSERT INTO pii_hits (flow_id, pii_type, location, encoding, source, value_sha256, value, direction, "
        "confidence) VALUES (?,?,?,?,?,?,?,?,?)", hit_rows)
    conn.execute("COMMIT")
    manifest.write(store, app=APP, device={"model": "synthetic", "kind": "benchmark"})
    store.close()


def demo_scope_path() -> Path:
    """The demo app's scope.yaml shipped with piiaudit."""
    import piiaudit

    return Path(piiaudit.__file__).parent / "data" / "demo" / "scope.yaml"
