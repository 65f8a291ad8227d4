"""Sessions written the way the proxy addon and the hooks runner write them.

- :func:`write_standin_scenario`: the 14 steps of docs/standin-scenario.md as store rows
  (flows and flows.mitm, PII hits, hook events, a clock sync, the hooks' meta, manifest),
  with knobs for how consent happens, so the analysis can be checked against the
  scenario's ground truth without a JVM or a proxy running;
- :func:`write_fulltour`: app-state cases shaped like docs/standin-fulltour.md;
- :func:`write_encrypted_upload`: an SDK's AES-encrypted upload and its Cipher events;
- :func:`write_synthetic`: a large session of the same shape for benchmarks, written in
  one transaction (``SessionStore.write``, as every writer does).

Rows have the shape real recordings have (tests/test_sample_drift.py compares them with
recordings of the same scenarios): the hooks' ``data`` keys, the addon's hit locations and
details, the columns each writer leaves empty.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hooks.standin.build import MANIFEST as STANDIN_MANIFEST
from piiaudit import apk, manifest
from piiaudit.store import SessionStore

STANDIN_PACKAGES = ["android", "com.android.settings", "com.android.permissioncontroller", "com.example.demoshop",
                    "com.tencent.mm", "com.eg.android.AlipayGphone", "com.sina.weibo", "com.taobao.taobao",
                    "com.ss.android.ugc.aweme"]
DEVICE = {
    "imei": "867530912345673", "android_id": "9774d56d682e549c", "mac": "02:1a:11:f0:6e:2b",
    "location": "39.908823,116.39747",   # as the agent and the proxy write a fix (shortest float repr)
    "clipboard": "piiaudit-canary-clipboard-7f3a",
    # as the package hooks report a list: its size, then the names
    "installed_apps": f"{len(STANDIN_PACKAGES)} packages: {', '.join(STANDIN_PACKAGES)}",
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
    "md5": "java.security.MessageDigest.digest(byte[])",
    "base64": "java.util.Base64$Encoder.encodeToString(byte[])",
    "button_yes": "android.app.AlertDialog$Builder.setPositiveButton(java.lang.CharSequence, "
                  "android.content.DialogInterface$OnClickListener)",
    "button_no": "android.app.AlertDialog$Builder.setNegativeButton(java.lang.CharSequence, "
                 "android.content.DialogInterface$OnClickListener)",
    "dialog": "android.app.Dialog.show()",
    "dismiss": "android.app.Dialog.dismiss()",
    "resume": "android.app.Activity.performResume(boolean, java.lang.String)",
    "click": "android.view.View.performClick()",
    "pref": "android.app.SharedPreferencesImpl$EditorImpl.putBoolean(java.lang.String, boolean)",
    "pref_apply": "android.app.SharedPreferencesImpl$EditorImpl.apply()",
    "perm_request": "android.app.Activity.requestPermissions(java.lang.String[], int)",
    "perm_launch": "android.app.Activity.startActivityForResult(java.lang.String, android.content.Intent, int, "
                   "android.os.Bundle)",
    "perm_result": "android.app.Activity.dispatchRequestPermissionsResult(int, android.content.Intent)",
    "location": "android.location.LocationManager.getLastKnownLocation(java.lang.String)",
    "clipboard": "android.content.ClipboardManager.getPrimaryClip()",
}
LOCATION_PERMISSIONS = ["android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_COARSE_LOCATION"]
PERMISSION_CONTROLLER = "com.android.permissioncontroller"
RESPONDER_ANSWER = b'{"code": 0, "msg": "success", "data": {}}'


def sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def _b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode("ascii")


def _stack(*frames: str) -> str:
    """A stack as the hooks store it: the hooked method's caller first, the hooked method left out."""
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


def _main_tid(pid: int) -> int:
    """The id of a process's main thread, as the agent reports it in `data.tid`."""
    return pid + 9


def _event(ts: float, kind: str, *, hook: str | None = None, api: str | None = None, pii_type: str | None = None,
           value: str | None = None, sdk: str | None = None, stack: str | None = None, thread: str | None = "main",
           data: dict[str, Any] | None = None, process: str = APP["package"], pid: int = PID) -> dict[str, Any]:
    """A hook event row. A hook row's data carries its id and the thread id; a call with a
    stack also the SDKs seen on it and the stack's id (numbered by `_number`)."""
    body = dict(data or {})
    if hook is not None:
        body.update(hook=hook, tid=_main_tid(pid))
    if stack is not None:
        body.setdefault("sdks", [sdk] if sdk else [])
        body["stack_id"] = None
    return {
        "ts": ts, "ts_device_ms": int(round(ts * 1000 + CLOCK_OFFSET_MS)), "seq": None, "kind": kind, "api": api,
        "pii_type": pii_type, "value": value, "sdk": sdk, "stack": stack, "pid": pid, "process": process,
        "thread": thread, "clock_error_ms": CLOCK_ERROR_MS, "clock_offset_ms": CLOCK_OFFSET_MS, "data": body,
    }


def _number(events: list[dict[str, Any]], store: SessionStore | None = None) -> list[dict[str, Any]]:
    """In time order, numbered as the agent numbers them: a sequence and stack ids per process,
    going on from the rows already in `store` (the runner's own rows, without a device time,
    get no sequence number)."""
    seqs = {r["pid"]: r["n"] for r in store.rows("SELECT pid, max(seq) AS n FROM events GROUP BY pid")} if store else {}
    out, stack_ids = [], {}
    for event in sorted(events, key=lambda e: e["ts"]):
        event, data = dict(event), dict(event["data"])
        if event["ts_device_ms"] is not None:
            seqs[event["pid"]] = event["seq"] = seqs.get(event["pid"], 0) + 1
        if "stack_id" in data:
            stack_ids[event["pid"]] = data["stack_id"] = stack_ids.get(event["pid"], 0) + 1
        event["data"] = json.dumps(data, ensure_ascii=False, sort_keys=True) if data else None
        out.append(event)
    return out


def _process_end(ts: float, hooks: dict[str, int], *, process: str = APP["package"], pid: int = PID,
                 status: int = 0) -> list[dict[str, Any]]:
    """The agent's last word (its per-hook counters) and the runner's note that the process ended."""
    counters = {h: {"calls": n, "deduped": 0, "errors": 0, "reported": n, "suppressed": 0} for h, n in hooks.items()}
    exit_event = _event(ts, "process_exit", process=process, pid=pid, thread=None,
                        data={"hooks": counters, "status": status, "tid": _main_tid(pid), "via": "JVM_Halt",
                              "late_classes": {"examined": 0, "rejected": 0, "rejected_hits": 0,
                                               "from_instances": 0, "rescans": 0}})
    end = {**_event(ts + 0.3, "target_exit", process=process, pid=pid, thread=None, value=str(status),
                    data={"crash": None, "reason": "process-terminated", "source": "runner", "status": status}),
           "ts_device_ms": None, "clock_error_ms": None, "clock_offset_ms": None}
    return [exit_event, end]


def _coverage(ts: float, *, process: str = APP["package"], pid: int = PID) -> list[dict[str, Any]]:
    """Hook coverage as the agent reports it at install (live at `ts`): rows hooked, a method and a class missing."""
    live_ms = int(ts * 1000 + CLOCK_OFFSET_MS)
    rows = [
        ("telephony.imei", API["imei"], "hooked", None),
        ("location.last_known", API["location"], "hooked", None),
        ("consent.click", API["click"], "hooked", None),
        ("permissions.request", "android.app.Activity.requestPermissions(java.lang.String[], int, int)", "method-missing", None),
        ("hms.advertising_id_info", "com.huawei.hms.ads.identifier.AdvertisingIdClient.getAdvertisingIdInfo", "class-missing",
         "java.lang.ClassNotFoundException: com.huawei.hms.ads.identifier.AdvertisingIdClient"),
    ]
    return [_event(ts, "coverage", api=signature, process=process, pid=pid, thread=None, data={
        "error": error, "hook_id": hook_id, "live_at_ms": live_ms if status == "hooked" else None, "loader": None,
        "set_at_ms": live_ms - 300, "signature": signature, "status": status, "tid": _main_tid(pid), "via": "install"})
        for hook_id, signature, status, error in rows]


def _process_start(ts: float, *, process: str = APP["package"], pid: int = PID) -> dict[str, Any]:
    """The runner's record of a start: spawn to resume, step by step (a host row, no device time)."""
    steps = {"attach": 92.4, "child gating": 1.2, "create the script": 180.3, "load the agent": 35.1, "ping": 1.4,
             "clock sample": 0.6, "init": 2.3}
    return {**_event(ts, "process_start", process=process, pid=pid, thread=None,
                     data={"source": "runner", "spawn_to_resume_ms": 330.8, "start_timeout_s": 8.0, "steps_ms": steps}),
            "ts_device_ms": None, "clock_error_ms": None, "clock_offset_ms": None}


def _hooks_ready(ts: float, *, process: str = APP["package"], pid: int = PID) -> dict[str, Any]:
    return _event(ts, "hooks_ready", process=process, pid=pid, thread=None, data={
        "class_missing": 1, "gate": None, "hook_failed": 0, "hooked": 3, "install_ms": 337, "method_missing": 1,
        "phase": "vm-created", "runtime": "hotspot", "tid": _main_tid(pid), "waiting_for_classes": 1})


def _hooks_meta(store: SessionStore, started: float, stopped: float, processes: list[tuple[int, str]]) -> None:
    """What the hooks runner notes about its run when it stops."""
    store.set_meta("hooks", {
        "agent_sha256": "0" * 64, "frida": "17.26.0", "hooks": 160, "started": started, "stopped": stopped,
        "target": {"type": "local", "argv": ["java", "com.example.demoshop.DemoShopLauncher"], "cwd": None,
                   "follow_children": True},
        "processes": [{"pid": pid, "name": name, "exit_status": 0, "end_reason": "process-terminated",
                       "ready": {"phase": "vm-created", "runtime": "hotspot", "hook_failed": 0}}
                      for pid, name in processes],
    })


def _http_flow(step: int, ts: float, method: str, url: str, headers: dict[str, str], body: bytes = b""):
    """The mitmproxy flow of one request as the stand-in sends it and the proxy's responder answers it."""
    from mitmproxy import connection, http

    host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
    flow = http.HTTPFlow(
        connection.Client(peername=("127.0.0.1", 40000 + step), sockname=("127.0.0.1", 8080), timestamp_start=ts),
        connection.Server(address=(host, 443 if url.startswith("https:") else 80)),
    )
    flow.id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"piiaudit-standin-{step}-{url}"))
    flow.request = http.Request.make(method, url, b"", headers)
    flow.request.raw_content = body
    if body:
        flow.request.headers["content-length"] = str(len(body))
    flow.request.timestamp_start, flow.request.timestamp_end = ts, ts + 0.003
    flow.response = http.Response.make(200, RESPONDER_ANSWER, {"content-type": "application/json; charset=utf-8",
                                                              "server": "piiaudit-responder"})
    flow.response.timestamp_start, flow.response.timestamp_end = ts + 0.004, ts + 0.005
    return flow


def _flow_row(flow) -> dict[str, Any]:
    from piiaudit.flowrow import flow_row

    return {**flow_row(flow, "live"), "recorded_at": flow.request.timestamp_start + 0.025}


def _save_flows(store: SessionStore, flows: list, hits: list[dict[str, Any]]) -> None:
    """Rows as the addon writes them (piiaudit.flowrow), the flows appended to flows.mitm."""
    from mitmproxy import io as mio

    store.write_flows_and_hits([_flow_row(f) for f in flows], hits)
    with store.flows_path.open("ab") as fh:
        writer = mio.FlowWriter(fh)
        for f in flows:
            writer.add(f)


def _hit(flow, pii_type: str, location: str, encoding: str, value: str, detail: dict[str, Any],
         confidence: float = 1.0) -> dict[str, Any]:
    return {"flow_id": flow.id, "pii_type": pii_type, "location": location, "encoding": encoding,
            "source": "known_value", "value_sha256": sha256(value), "value": value, "direction": "request",
            "confidence": confidence, "detail": json.dumps(detail, sort_keys=True)}


def _scenario_flows(at, url_suffix: str) -> tuple[dict[int, Any], list[dict[str, Any]]]:
    """Steps 3, 6, 12 and 14: the four requests, and the hits the addon finds in them."""
    imei_md5 = hashlib.md5(DEVICE["imei"].encode()).hexdigest()
    aid_b64 = _b64(DEVICE["android_id"])
    umeng_body = json.dumps({
        "header": {"appkey": "5f8e3c2a1b4d6e7f8a9b0c1d", "channel": "demo", "package_name": APP["package"],
                   "app_version": "1.0.0", "sdk_type": "Android", "sdk_version": "9.6.8", "os": "Android",
                   "os_version": "14", "device_model": "piiaudit JVM stand-in", "imei_md5": imei_md5},
        "analytics": {"launches": [{"type": "cold"}], "ekv": []}}, separators=(",", ":")).encode()
    sdk_headers = {"Accept": "text/html, image/gif, image/jpeg, */*; q=0.2", "Connection": "keep-alive"}
    flows = {
        3: _http_flow(3, at(3), "POST", "https://ulogs.umeng.com/unify_logs" + url_suffix,
                      {"Content-Type": "application/json; charset=utf-8", "User-Agent": "UMSDK/9.6.8 (Android 14)",
                       "X-Umeng-Sdk": "9.6.8", "Host": "ulogs.umeng.com", **sdk_headers}, umeng_body),
        6: _http_flow(6, at(6), "POST", "https://stats.jpush.cn/v3/report",
                      {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "JPush-Android/5.0.0",
                       "Host": "stats.jpush.cn", **sdk_headers},
                      f"aid={aid_b64.replace('=', '%3D')}&platform=a&sdk_ver=5.0.0".encode()),
        12: _http_flow(12, at(12), "GET", "https://api.demoshop.example/v1/stores/nearby?lat=39.908823&lng=116.397470",
                       {"User-Agent": "DemoShop/1.0.0 (Android 14)", "Accept": "application/json",
                        "Host": "api.demoshop.example", "Connection": "keep-alive"}),
        14: _http_flow(14, at(14), "GET", f"http://stats.jpush.cn/v3/hb?aid={DEVICE['android_id']}&t={int(at(14) * 1000)}",
                       {"User-Agent": "JPush-Android/5.0.0", "Host": "stats.jpush.cn",
                        "Accept": "text/html, image/gif, image/jpeg, */*; q=0.2", "Proxy-Connection": "keep-alive"}),
    }
    lat, lng = (float(x) for x in DEVICE["location"].split(","))
    hits = [
        _hit(flows[3], "imei", "body:json:$.header.imei_md5", "md5", DEVICE["imei"], {"matched": imei_md5}),
        _hit(flows[6], "android_id", "body:form:aid", "base64", DEVICE["android_id"], {"matched": aid_b64.rstrip("=")}),
        _hit(flows[12], "location", "query:lat", "plain", DEVICE["location"],
             {"datum": "wgs84", "distance_m": 0.0, "lat": lat, "lat_location": "query:lat", "lng": lng,
              "lng_location": "query:lng", "wire": ["39.908823", "116.397470"]}, confidence=0.95),
        # the Android ID pattern fires on the same bytes: support of the known-value hit
        _hit(flows[14], "android_id", "query:aid", "plain", DEVICE["android_id"],
             {"matched": DEVICE["android_id"], "wire": [DEVICE["android_id"]], "support": [
                 {"source": "pattern", "pii_type": "android_id", "encoding": "plain", "confidence": 0.85,
                  "value": DEVICE["android_id"], "rule": "hex16-keyed"}]}),
    ]
    return flows, hits


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
    launcher = "com.example.demoshop.DemoShopLauncher.main(DemoShopLauncher.java:{})"
    on_create = ("com.example.demoshop.DemoShopApplication.onCreate(DemoShopApplication.java:{})",
                 "android.app.ActivityThread.bindApplication(ActivityThread.java:115)", launcher.format(33))
    umeng = lambda line: _stack(f"com.umeng.commonsdk.UMConfigure.init(UMConfigure.java:{line})",  # noqa: E731
                                on_create[0].format(14), *on_create[1:])
    jpush = lambda line: _stack(f"cn.jpush.android.api.JPushInterface.init(JPushInterface.java:{line})",  # noqa: E731
                                on_create[0].format(15), *on_create[1:])
    idle = ("android.os.Looper.runUntilIdle(Looper.java:81)", "android.app.ActivityThread.runUntilIdle(ActivityThread.java:104)",
            launcher.format(39))
    title = "用户协议与隐私政策"
    text = dialog_text or ("欢迎使用演示商城！请您仔细阅读《用户协议》和《隐私政策》，我们将严格按照政策收集和使用您的个人信息。"
                           "点击“同意”即表示您已阅读并同意。")
    texts = [title, text, "不同意", "同意"]
    label, flag = ("不同意", "false") if consent == "declined" else ("同意", "true")
    step_events: dict[int, dict[str, Any]] = {
        1: _event(at(1), "pii_read", hook="telephony.imei", api=API["imei"], pii_type="imei", value=DEVICE["imei"],
                  sdk="umeng", stack=umeng(41)),
        2: _event(at(2), "pii_read", hook="packages.installed_packages", api=API["installed_apps"],
                  pii_type="installed_apps", value=DEVICE["installed_apps"], sdk="umeng", stack=umeng(45),
                  data={"count": len(STANDIN_PACKAGES), "flags": "0", "packages": STANDIN_PACKAGES, "truncated": False}),
        4: _event(at(4), "pii_read", hook="settings.secure_string", api=API["android_id"], pii_type="android_id",
                  value=DEVICE["android_id"], sdk="jpush", stack=jpush(26), data={"key": "android_id"}),
        5: _event(at(5), "pii_read", hook="wifi.mac", api=API["mac"], pii_type="mac", value=DEVICE["mac"], sdk="jpush",
                  stack=jpush(33)),
        7: _event(at(7), "dialog_shown", hook="consent.dialog_shown", api=API["dialog"], value="\n".join(texts),
                  stack=_stack("android.app.AlertDialog$Builder.show(AlertDialog.java:146)",
                               "com.example.demoshop.MainActivity.showPrivacyDialog(MainActivity.java:40)",
                               "com.example.demoshop.MainActivity.onCreate(MainActivity.java:29)",
                               "android.app.Activity.performCreate(Activity.java:87)",
                               "android.app.ActivityThread.launchActivity(ActivityThread.java:125)", launcher.format(34)),
                  data={"consent_words": True, "dialog_class": "android.app.AlertDialog", "surface": "dialog",
                        "texts": texts}),
        10: _event(at(10), "permission_request", hook="permissions.request", api=API["perm_request"],
                   value=",".join(LOCATION_PERMISSIONS),
                   stack=_stack("com.example.demoshop.MainActivity.onPrivacyAgreed(MainActivity.java:54)", *idle),
                   data={"permissions": LOCATION_PERMISSIONS, "request_code": 1001}),
        11: _event(at(11), "pii_read", hook="location.last_known", api=API["location"], pii_type="location",
                   value=DEVICE["location"],
                   stack=_stack("com.example.demoshop.NearbyStores.load(NearbyStores.java:22)",
                                "com.example.demoshop.MainActivity.lambda$onRequestPermissionsResult$0(MainActivity.java:67)",
                                *idle),
                   data=dict(zip(("lat", "lng"), (float(x) for x in DEVICE["location"].split(","))), provider="gps")),
        13: _event(at(13), "pii_read", hook="clipboard.primary_clip", api=API["clipboard"], pii_type="clipboard",
                   value=DEVICE["clipboard"], sdk="jpush",
                   stack=_stack("cn.jpush.android.service.PushService.onStartCommand(PushService.java:21)",
                                "android.app.ActivityThread.startService(ActivityThread.java:159)", launcher.format(43)),
                   data={"items": 1}),
    }
    events = [_process_start(t0 - 0.8), *_coverage(t0 - 0.5), _hooks_ready(t0 - 0.5), *step_events.values(),
              _event(at(2) + 0.06, "crypto", hook="crypto.digest", api=API["md5"], value=DEVICE["imei"], sdk="umeng",
                     stack=_stack("com.umeng.commonsdk.UMConfigure.md5Hex(UMConfigure.java:96)",
                                  "com.umeng.commonsdk.UMConfigure.init(UMConfigure.java:50)",
                                  on_create[0].format(14), *on_create[1:]),
                     data={"algorithm": "MD5", "input_b64": _b64(DEVICE["imei"]), "input_len": len(DEVICE["imei"]),
                           "op": "digest", "output_b64": _b64(hashlib.md5(DEVICE["imei"].encode()).digest()),
                           "output_len": 16, "transformation": None, "truncated": False}),
              _event(at(5) + 0.003, "crypto", hook="crypto.base64_java_encode_string", api=API["base64"],
                     value=DEVICE["android_id"], sdk="jpush", stack=jpush(36),
                     data={"algorithm": "base64", "input_b64": _b64(DEVICE["android_id"]),
                           "input_len": len(DEVICE["android_id"]), "op": "encode",
                           "output_b64": _b64(_b64(DEVICE["android_id"])), "output_len": 24,
                           "transformation": "java.util.Base64", "truncated": False}),
              *(_event(at(7) - 0.011 + 0.001 * i, "dialog_button", hook=f"consent.alert_{which}_button", api=API[api],
                       value=button, data={"label": button, "label_res": None, "which": which})
                for i, (which, api, button) in enumerate((("positive", "button_yes", "同意"), ("negative", "button_no", "不同意")))),
              _event(at(7) + 0.006, "activity_state", hook="activity.perform_resume", api=API["resume"],
                     value="com.example.demoshop.MainActivity",
                     data={"activity": "com.example.demoshop.MainActivity", "state": "resumed"}),
              _event(at(10) + 0.001, "component_launch", hook="launch.activity_for_result", api=API["perm_launch"],
                     value=PERMISSION_CONTROLLER,
                     stack=_stack("android.app.Activity.requestPermissions(Native Method)",
                                  "com.example.demoshop.MainActivity.onPrivacyAgreed(MainActivity.java:54)", *idle),
                     data={"action": "android.content.pm.action.REQUEST_PERMISSIONS", "data_uri": None, "implicit": True,
                           "intent": "Intent { act=android.content.pm.action.REQUEST_PERMISSIONS "
                                     f"pkg={PERMISSION_CONTROLLER} (has extras) }}",
                           "kind": "activity", "oaid_service": False, "other_app": True, "target_class": None,
                           "target_package": PERMISSION_CONTROLLER}),
              _event(at(10) + 0.1, "permission_result", hook="permissions.result", api=API["perm_result"],
                     value=",".join(f"{p}=granted" for p in LOCATION_PERMISSIONS),
                     stack=_stack("android.app.Activity.dispatchActivityResult(Activity.java:190)",
                                  "android.app.ActivityThread.lambda$execStartActivity$0(ActivityThread.java:186)", *idle),
                     data={"cancelled": False, "denied": [], "granted": LOCATION_PERMISSIONS,
                           "permissions": LOCATION_PERMISSIONS, "request_code": 1001, "results": [0, 0]}),
              *_process_end(at(14) + 0.01, {"telephony.imei": 1, "location.last_known": 1, "consent.click": 1})]
    if consent in ("tap", "declined"):
        step_events[8] = _event(at(8), "click", hook="consent.click", api=API["click"], value=label,
                                stack=_stack("com.example.demoshop.ScriptedUser.tap(ScriptedUser.java:16)",
                                             launcher.format(38)),
                                data={"handled": True, "label": label, "view_class": "android.widget.Button"})
        step_events[9] = _event(at(9), "pref_write", hook="consent.pref_boolean", api=API["pref"], value=flag,
                                data={"key": "privacy_agreed", "method": "putBoolean", "store": "shared_prefs",
                                      "value": flag})
        events += [step_events[8], step_events[9],
                   _event(at(8) + 0.015, "dialog_closed", hook="consent.dialog_dismiss", api=API["dismiss"],
                          value="dismiss", stack=_stack(*idle),
                          data={"dialog_class": "android.app.AlertDialog", "how": "dismiss", "surface": "dialog"}),
                   _event(at(9) + 0.002, "pref_commit", hook="consent.pref_apply", api=API["pref_apply"],
                          value="privacy_agreed", data={"keys": ["privacy_agreed"], "method": "apply", "result": None})]
    numbered = _number(events)
    store.write_events(numbered)
    by_order = {(e["ts"], e["kind"]): row["id"] for e, row in
                zip(numbered, store.rows("SELECT id FROM events ORDER BY id")[-len(numbered):])}
    ids.events = {step: by_order[(e["ts"], e["kind"])] for step, e in step_events.items()}
    if consent == "mark":
        store.add_consent_mark(at(8) + 0.4, "accepted", "tester", note="tapped 同意 on the device")
    if consent == "tap":
        _automation_answered(store, at(7) + 0.3, at(8) - 0.3)

    flows, hits = _scenario_flows(at, url_suffix)
    _save_flows(store, list(flows.values()), hits)
    ids.flows = {step: f.id for step, f in flows.items()}
    for at_host in (t0 - 0.6, at(14) + 0.02):
        store.write_clock_sync({"pid": PID, "process": APP["package"], "at_host": at_host, "offset_ms": CLOCK_OFFSET_MS,
                                "rtt_ms": 3.0, "error_ms": CLOCK_ERROR_MS, "samples": 20})
    _hooks_meta(store, t0 - 1.0, at(14) + 0.4, [(PID, APP["package"])])
    apk.store_in(store, apk.read_manifest_xml(STANDIN_MANIFEST))     # as `piiaudit demo` records it
    manifest.write(store, app=APP, device={"model": "piiaudit JVM stand-in", "android": 14, "kind": "jvm-standin"})
    store.close()
    return ids


def _automation_answered(store: SessionStore, seen: float, tapped: float) -> None:
    """What `piiaudit demo`'s UI automation leaves beside the hooks' events when it taps 同意:
    its consent marks (the dialog seen, the tap sent a moment before the hooks see the click)
    and its outcome in meta (commands/device/ui, ConsentOutcome.to_dict)."""
    store.add_consent_mark(seen, "shown", "automation", note="privacy dialog seen by the UI automation")
    store.add_consent_mark(tapped, "accepted", "automation", note="consent_accept: tap on “同意” (privacy)")
    store.set_meta("consent_automation", {
        "actions": 2, "answer": "accept", "checkbox": None, "decision": "accepted", "dialog_found": True,
        "consent_taps": [{"action_id": 1, "dialog": "privacy", "found_by": "text", "label": "同意", "meaning": "accept",
                          "purpose": "consent_accept", "ts": tapped}],
        "dialog_text": "用户协议与隐私政策 … 不同意 同意", "explore_actions": 0, "found_by": "text", "left_app": False,
        "notes": [], "package": APP["package"], "permissions": [{"answer": "allow", "message": "Allow 演示商城 to "
                                                                 "access this device’s location?"}],
        "re_prompts": 0, "refused_unsafe": 0, "screens": 4, "second_prompts": 0, "video": None})


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
    store.write({
        "events": _named(("ts", "ts_device_ms", "seq", "kind", "api", "pii_type", "value", "sdk", "stack", "pid",
                          "process", "thread", "clock_error_ms", "clock_offset_ms", "data"), event_rows),
        "flows": _named(("id", "ts_start", "method", "url", "host", "scheme", "status", "request_sha256",
                         "response_sha256"), flow_rows),
        "pii_hits": _named(("flow_id", "pii_type", "location", "encoding", "source", "value_sha256", "value",
                            "direction", "confidence"), hit_rows),
    })
    manifest.write(store, app=APP, device={"model": "synthetic", "kind": "benchmark"})
    store.close()


def _named(columns: tuple[str, ...], rows: list[tuple]) -> list[dict[str, Any]]:
    return [dict(zip(columns, r)) for r in rows]


def demo_scope_path() -> Path:
    """The demo app's scope.yaml shipped with piiaudit."""
    import piiaudit

    return Path(piiaudit.__file__).parent / "data" / "demo" / "scope.yaml"


# -- an SDK upload encrypted with AES (the Cipher hooks' evidence) ---------------------------

GETUI_HOST = "sdk.open.phone.igexin.com"
AES_KEY = bytes(range(16))
AES_IV = bytes(range(16, 32))
CIPHER_API = "javax.crypto.Cipher.doFinal(byte[])"
BASE64_API = "android.util.Base64.encodeToString(byte[], int)"


@dataclass
class EncryptedUpload:
    flow_id: str
    cipher_event_id: int
    encode_event_id: int | None
    plaintext: bytes
    ciphertext: bytes


def aes_cbc(plaintext: bytes, key: bytes = AES_KEY, iv: bytes = AES_IV) -> bytes:
    """AES/CBC/PKCS5Padding, as javax.crypto does it."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def write_encrypted_upload(session_dir: Path | str, ts: float, *, sdk: str = "getui", host: str = GETUI_HOST,
                           imei: str = DEVICE["imei"], with_encode_event: bool = True, process: str | None = None,
                           save_flow: bool = True) -> EncryptedUpload:
    """An SDK encrypts {"imei": ...} with AES, base64-encodes it and POSTs it as {"payload": ...}.

    Writes the Cipher event (and the Base64 event) as the hooks do, the flow row as the proxy
    does (no hit: the proxy cannot see inside), and appends the flow to flows.mitm.
    """
    store = SessionStore(session_dir)
    plaintext = json.dumps({"imei": imei, "os": "Android", "sdk_ver": "3.2.1"}).encode()
    ciphertext = aes_cbc(plaintext)
    encoded = _b64(ciphertext)
    body = json.dumps({"appid": "gt-demo", "payload": encoded}).encode()
    flow = _http_flow(20, ts + 0.05, "POST", f"https://{host}/api/v2/report",
                      {"Content-Type": "application/json", "Host": host}, body)
    where = {"process": process, "pid": PID + 1} if process else {}
    stack = _stack("com.igexin.sdk.crypto.Packer.seal(Packer.java:41)",
                   "com.igexin.sdk.PushManager.initialize(PushManager.java:120)")
    events = [_event(ts, "crypto", hook="crypto.cipher_final", api=CIPHER_API, value=plaintext.decode(), sdk=sdk,
                     stack=stack, **where, data={
                         "op": "encrypt", "algorithm": "AES", "transformation": "AES/CBC/PKCS5Padding",
                         "input_b64": _b64(plaintext), "output_b64": _b64(ciphertext), "input_len": len(plaintext),
                         "output_len": len(ciphertext), "truncated": False})]
    if with_encode_event:   # its value, like the Cipher's, is its input as text
        events.append(_event(ts + 0.01, "crypto", hook="crypto.base64_android_encode_string", api=BASE64_API,
                             value=ciphertext.decode("utf-8", "replace"), sdk=sdk, stack=stack, **where, data={
                                 "op": "encode", "algorithm": "base64", "transformation": "android.util.Base64",
                                 "input_b64": _b64(ciphertext), "output_b64": _b64(encoded.encode()),
                                 "input_len": len(ciphertext), "output_len": len(encoded), "truncated": False}))
    store.write_events(_number(events, store))
    if save_flow:
        _save_flows(store, [flow], [])
    else:
        store.write_flows_and_hits([_flow_row(flow)], [])
    ids = [r["id"] for r in store.rows("SELECT id FROM events WHERE kind = 'crypto' ORDER BY id DESC LIMIT ?",
                                        (len(events),))][::-1]
    store.close()
    return EncryptedUpload(flow_id=flow.id, cipher_event_id=ids[0], encode_event_id=ids[1] if with_encode_event else None,
                           plaintext=plaintext, ciphertext=ciphertext)


# -- the full tour: app state, UI input, other apps, a second process, hook coverage ---------

PUSH_PROCESS = APP["package"] + ":push"
TOUR_API = {
    "pause": "android.app.Activity.performPause()",
    "touch": "android.app.Activity.dispatchTouchEvent(android.view.MotionEvent)",
    "checkbox": "android.widget.CompoundButton.setChecked(boolean)",
    "start_activity": "android.app.Activity.startActivityForResult(android.content.Intent, int)",
    "start_service": "android.app.ContextImpl.startService(android.content.Intent)",
    "camera": "android.hardware.Camera.open(int)",
    "microphone": "android.media.AudioRecord.startRecording()",
    "meid": "android.telephony.TelephonyManager.getMeid(int)",
    "hms": "com.huawei.hms.ads.identifier.AdvertisingIdClient",
}
CONSENT_BOX = "我已阅读并同意《用户协议》和《隐私政策》"


@dataclass
class TourIds:
    t0: float
    events: dict[str, int] = field(default_factory=dict)     # by a short name, see write_fulltour


def _launch(ts: float, api: str, hook: str, *, kind: str, action: str, target: tuple[str | None, str | None],
            own: bool = False, sdk: str | None = None, stack: str) -> dict[str, Any]:
    """A component launch as the launch hooks report it (explicit when the target class is named)."""
    package, cls = target
    cmp = f" cmp={package}/{cls}" if cls else (f" pkg={package}" if package else "")
    return _event(ts, "component_launch", hook=hook, api=api, value=cls or package, sdk=sdk, stack=stack, data={
        "action": action, "data_uri": None, "implicit": cls is None, "intent": f"Intent {{ act={action}{cmp} }}",
        "kind": kind, "oaid_service": False, "other_app": package is not None and not own,
        "target_class": cls, "target_package": package})


def write_fulltour(session_dir: Path | str, *, t0: float = T0) -> TourIds:
    """A session shaped like docs/standin-fulltour.md, each app-state rule with one case that should
    be found and one that should not (names in TourIds.events):

    - ``early_perm`` asked before any touch (PERM-EARLY); ``checkbox`` set checked by code before the
      privacy dialog shows (IM3.4); the user touches and taps 同意 at t0+1.0;
    - ``launch_touched`` (another app, 0.5 s after a touch: fine) and ``launch_silent`` (another app,
      no touch for 4 s: MIIT-SELFSTART); ``launch_own`` starts the app's own service (fine);
      ``launch_permission_ui`` is the system's permission dialog, no touch (not another app: fine);
    - ``mic_touched`` (after a touch: fine) and ``camera_silent`` (no touch: CAC-DRAFT-MIC);
    - ``read_quick_switch`` during a 0.2 s switch between screens (fine), ``read_bg_push`` by the
      ``:push`` process while no activity is resumed (MIIT-SILENT, with ``pause``), and
      ``read_push_before_resume`` by ``:push`` before the first resume (MIIT-SILENT);
    - coverage: 3 overloads hooked, 1 method missing, 2 overloads of a missing class.
    """
    store = SessionStore(session_dir)
    at = lambda dt: t0 + dt  # noqa: E731
    push = {"process": PUSH_PROCESS, "pid": PID + 1}
    jpush = _stack("cn.jpush.android.service.JCommonService.onStartCommand(JCommonService.java:25)",
                   "android.app.ActivityThread.startService(ActivityThread.java:159)",
                   "com.example.demoshop.tour.PushProcess.main(PushProcess.java:18)")
    tour = lambda line: _stack(f"com.example.demoshop.tour.Tour.step(Tour.java:{line})",  # noqa: E731
                               "com.example.demoshop.FullTour.main(FullTour.java:30)")
    main_activity, detail_activity = "com.example.demoshop.MainActivity", "com.example.demoshop.DetailActivity"
    live_ms = int(at(-0.5) * 1000 + CLOCK_OFFSET_MS)

    def coverage(hook_id: str, signature: str, status: str) -> dict[str, Any]:
        error = f"java.lang.ClassNotFoundException: {TOUR_API['hms']}" if status == "class-missing" else None
        return _event(at(-0.5), "coverage", api=signature, thread=None, data={
            "error": error, "hook_id": hook_id, "live_at_ms": live_ms if status == "hooked" else None,
            "loader": None, "set_at_ms": live_ms - 300, "signature": signature, "status": status, "tid": _main_tid(PID),
            "via": "install"})

    def activity(ts: float, name: str, state: str) -> dict[str, Any]:
        resumed = state == "resumed"
        return _event(ts, "activity_state", hook="activity.perform_resume" if resumed else "activity.perform_pause",
                      api=API["resume"] if resumed else TOUR_API["pause"], value=name,
                      data={"activity": name, "state": state})

    def touch(ts: float, action: str) -> dict[str, Any]:
        return _event(ts, "touch", hook="activity.touch", api=TOUR_API["touch"], value=action,
                      data={"action": action, "activity": main_activity, "handled": True, "x": 540, "y": 1600})

    named: list[tuple[str, dict[str, Any]]] = [
        ("cov_imei", coverage("telephony.imei", API["imei"], "hooked")),
        ("cov_camera", coverage("camera.open", TOUR_API["camera"], "hooked")),
        ("cov_mic", coverage("audio_record.start", TOUR_API["microphone"], "hooked")),
        ("cov_meid", coverage("telephony.meid", TOUR_API["meid"], "method-missing")),
        ("cov_oaid_a", coverage("hms.advertising_id_info", f"{TOUR_API['hms']}.getAdvertisingIdInfo", "class-missing")),
        ("cov_oaid_b", coverage("hms.advertising_id_info", f"{TOUR_API['hms']}.isAdvertisingIdAvailable", "class-missing")),
        ("ready", _hooks_ready(at(-0.5))),
        ("read_push_before_resume", _event(at(0.05), "pii_read", hook="settings.secure_string", api=API["android_id"],
                                           pii_type="android_id", value=DEVICE["android_id"], sdk="jpush", stack=jpush,
                                           data={"key": "android_id"}, **push)),
        ("resume_main", activity(at(0.1), main_activity, "resumed")),
        ("early_perm", _event(at(0.2), "permission_request", hook="permissions.request", api=API["perm_request"],
                              value="android.permission.CAMERA", stack=tour(40),
                              data={"permissions": ["android.permission.CAMERA"], "request_code": 3})),
        ("checkbox", _event(at(0.25), "checkbox", hook="consent.checkbox", api=TOUR_API["checkbox"], value=CONSENT_BOX,
                            stack=tour(44), data={"checked": True, "label": CONSENT_BOX,
                                                  "view_class": "android.widget.CheckBox", "was_checked": False})),
        ("dialog", _event(at(0.3), "dialog_shown", hook="consent.dialog_shown", api=API["dialog"],
                          value="用户协议与隐私政策\n请阅读《用户协议》和《隐私政策》，点击“同意”即表示您已阅读并同意。\n不同意\n同意",
                          stack=tour(48), data={"consent_words": True, "dialog_class": "android.app.AlertDialog",
                                                "surface": "dialog", "texts": [
                                                    "用户协议与隐私政策", "请阅读《用户协议》和《隐私政策》，点击“同意”即表示您已阅读并同意。",
                                                    "不同意", "同意"]})),
        ("touch_agree", touch(at(1.0), "up")),
        ("click_agree", _event(at(1.0) + 0.001, "click", hook="consent.click", api=API["click"], value="同意",
                               stack=tour(52), data={"handled": True, "label": "同意", "view_class": "android.widget.Button"})),
        ("mic_touched", _event(at(1.2), "pii_read", hook="audio_record.start", api=TOUR_API["microphone"],
                               pii_type="microphone", stack=tour(60), data={"args": []})),
        ("launch_touched", _launch(at(1.5), TOUR_API["start_activity"], "launch.activity_for_result", kind="activity",
                                   action="android.intent.action.VIEW",
                                   target=("com.eg.android.AlipayGphone", None), stack=tour(64))),
        ("pause_quick", activity(at(3.0), main_activity, "paused")),
        ("read_quick_switch", _event(at(3.1), "pii_read", hook="telephony.imei", api=API["imei"], pii_type="imei",
                                     value=DEVICE["imei"], sdk="getui",
                                     stack=_stack("com.igexin.sdk.PushManager.initialize(PushManager.java:51)", tour(70)))),
        ("resume_detail", activity(at(3.2), detail_activity, "resumed")),
        ("launch_silent", _launch(at(5.0), TOUR_API["start_service"], "launch.service", kind="service",
                                  action="cn.jpush.android.intent.DaemonService",
                                  target=("com.tencent.mm", "com.tencent.mm.plugin.PushService"), sdk="jpush",
                                  stack=_stack("cn.jpush.android.service.DaemonHelper.wake(DaemonHelper.java:31)",
                                               tour(80)))),
        ("launch_own", _launch(at(5.1), TOUR_API["start_service"], "launch.service", kind="service",
                               action="cn.jpush.android.intent.REGISTER",
                               target=(APP["package"], "cn.jpush.android.service.PushService"), own=True, sdk="jpush",
                               stack=_stack("cn.jpush.android.api.JPushInterface.init(JPushInterface.java:12)",
                                            tour(82)))),
        ("camera_silent", _event(at(6.0), "pii_read", hook="camera.open", api=TOUR_API["camera"], pii_type="camera",
                                 stack=tour(90), data={"args": ["0"]})),
        ("pause", activity(at(7.0), detail_activity, "paused")),
        ("read_bg_push", _event(at(8.0), "pii_read", hook="telephony.imei", api=API["imei"], pii_type="imei",
                                value=DEVICE["imei"], sdk="jpush", stack=jpush, **push)),
        ("resume_back", activity(at(9.0), detail_activity, "resumed")),
        ("launch_permission_ui", _launch(at(5.2), API["perm_launch"], "launch.activity_for_result", kind="activity",
                                         action="android.content.pm.action.REQUEST_PERMISSIONS",
                                         target=(PERMISSION_CONTROLLER, None), stack=tour(84))),
    ]
    numbered = _number([e for _, e in named])
    store.write_events(numbered)
    rows = store.rows("SELECT id, ts, kind, api, process FROM events ORDER BY id")[-len(named):]
    where = {(r["ts"], r["kind"], r["api"], r["process"]): r["id"] for r in rows}
    ids = TourIds(t0=t0, events={name: where[(e["ts"], e["kind"], e["api"], e["process"])] for name, e in named})
    apk.store_in(store, apk.read_manifest_xml(STANDIN_MANIFEST))     # as `piiaudit demo` records it
    manifest.write(store, app=APP, device={"model": "piiaudit JVM stand-in", "android": 14, "kind": "jvm-standin"})
    store.close()
    return ids
