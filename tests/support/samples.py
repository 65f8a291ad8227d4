"""Sessions written the way the proxy addon and the hooks runner write them.

- :func:`write_standin_scenario`: the 14 steps of docs/standin-scenario.md as store rows
  (flows, PII hits, hook events, consent marks, manifest), with knobs for how consent
  happens, so the analysis can be checked against the scenario's ground truth without a
  JVM or a proxy running;
- :func:`write_synthetic`: a large session of the same shape for benchmarks, written in
  one transaction (``SessionStore.write``, as every writer does).
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


def _b64s(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


def write_encrypted_upload(session_dir: Path | str, ts: float, *, sdk: str = "getui", host: str = GETUI_HOST,
                           imei: str = DEVICE["imei"], with_encode_event: bool = True, process: str | None = None,
                           save_flow: bool = True) -> EncryptedUpload:
    """An SDK encrypts {"imei": ...} with AES, base64-encodes it and POSTs it as {"payload": ...}.

    Writes the Cipher event (and the Base64 event) as the hooks do, the flow row as the proxy
    does (no hit: the proxy cannot see inside), and appends the flow to flows.mitm.
    """
    from mitmproxy import io as mio
    from mitmproxy.test import tflow

    store = SessionStore(session_dir)
    plaintext = json.dumps({"imei": imei, "os": "Android", "sdk_ver": "3.2.1"}).encode()
    ciphertext = aes_cbc(plaintext)
    encoded = _b64s(ciphertext)
    body = json.dumps({"appid": "gt-demo", "payload": encoded}).encode()
    flow = tflow.tflow(resp=True)
    flow.request.scheme, flow.request.host, flow.request.port = "https", host, 443
    flow.request.method, flow.request.path = "POST", "/api/v2/report"
    flow.request.headers["content-type"] = "application/json"
    flow.request.content = body
    flow.request.timestamp_start, flow.request.timestamp_end = ts + 0.05, ts + 0.06
    proc = process or APP["package"]
    stack = _stack("javax.crypto.Cipher.doFinal(Cipher.java:2055)",
                   "com.igexin.sdk.crypto.Packer.seal(Packer.java:41)",
                   "com.igexin.sdk.PushManager.initialize(PushManager.java:120)")
    crypto = _event(20, ts, "crypto", api=CIPHER_API, value=plaintext.decode(), sdk=sdk, stack=stack, data={
        "op": "encrypt", "algorithm": "AES", "transformation": "AES/CBC/PKCS5Padding",
        "input_b64": _b64s(plaintext), "output_b64": _b64s(ciphertext), "input_len": len(plaintext),
        "output_len": len(ciphertext), "truncated": False})
    events = [{**crypto, "process": proc}]
    if with_encode_event:
        events.append({**_event(21, ts + 0.01, "crypto", api=BASE64_API, value=encoded, sdk=sdk, stack=stack, data={
            "op": "encode", "algorithm": "Base64", "transformation": "Base64", "input_b64": _b64s(ciphertext),
            "output_b64": _b64s(encoded.encode()), "input_len": len(ciphertext), "output_len": len(encoded),
            "truncated": False}), "process": proc})
    store.write_events(events)
    row = _flow(20, ts + 0.05, "POST", f"https://{host}/api/v2/report", body.decode())
    row["id"] = flow.id
    store.write_flows_and_hits([row], [])
    if save_flow:
        with store.flows_path.open("ab") as fh:
            mio.FlowWriter(fh).add(flow)
    ids = [r["id"] for r in store.rows("SELECT id FROM events WHERE kind = 'crypto' ORDER BY id DESC LIMIT ?",
                                        (len(events),))][::-1]
    store.close()
    return EncryptedUpload(flow_id=flow.id, cipher_event_id=ids[0], encode_event_id=ids[1] if with_encode_event else None,
                           plaintext=plaintext, ciphertext=ciphertext)


# -- the full tour: app state, UI input, other apps, a second process, hook coverage ---------

PUSH_PROCESS = APP["package"] + ":push"
TOUR_API = {
    "resume": "android.app.Activity.performResume()", "pause": "android.app.Activity.performPause()",
    "touch": "android.app.Activity.dispatchTouchEvent(android.view.MotionEvent)",
    "checkbox": "android.widget.CompoundButton.setChecked(boolean)",
    "start_activity": "android.app.ContextImpl.startActivity(android.content.Intent)",
    "start_service": "android.app.ContextImpl.startService(android.content.Intent)",
    "camera": "android.hardware.Camera.open(int)",
    "microphone": "android.media.AudioRecord.startRecording()",
    "oaid": "com.bun.miitmdid.core.MdidSdkHelper.InitSdk(android.content.Context, boolean, com.bun.miitmdid.interfaces.IIdentifierListener)",
}
TOUR_DEVICE = {"oaid": "6f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b"}


@dataclass
class TourIds:
    t0: float
    events: dict[str, int] = field(default_factory=dict)     # by a short name, see write_fulltour


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
    push = lambda e: {**e, "process": PUSH_PROCESS, "pid": PID + 1}  # noqa: E731
    jpush = _stack("cn.jpush.android.service.PushService.onStartCommand(PushService.java:130)")
    named: list[tuple[str, dict[str, Any]]] = [
        ("ready", _event(0, at(-0.5), "hooks_ready", data={"phase": "vm-created", "hooked": 3})),
        ("cov_imei", _event(0, at(-0.5), "coverage", api=API["imei"],
                            data={"hook": "telephony.imei", "status": "hooked", "live_at_ms": at(-0.5) * 1000 + CLOCK_OFFSET_MS})),
        ("cov_camera", _event(0, at(-0.5), "coverage", api=TOUR_API["camera"],
                              data={"hook": "camera.open", "status": "hooked", "live_at_ms": at(-0.5) * 1000 + CLOCK_OFFSET_MS})),
        ("cov_mic", _event(0, at(-0.5), "coverage", api=TOUR_API["microphone"],
                           data={"hook": "audio.record", "status": "hooked", "live_at_ms": at(-0.5) * 1000 + CLOCK_OFFSET_MS})),
        ("cov_meid", _event(0, at(-0.5), "coverage", api="android.telephony.TelephonyManager.getMeid(int)",
                            data={"hook": "telephony.meid", "status": "method-missing", "live_at_ms": None})),
        ("cov_oaid_a", _event(0, at(-0.5), "coverage", api="com.huawei.hms.ads.identifier.AdvertisingIdClient.getAdvertisingIdInfo",
                              data={"hook": "hms.oaid", "status": "class-missing", "error": "ClassNotFoundException"})),
        ("cov_oaid_b", _event(0, at(-0.5), "coverage", api="com.huawei.hms.ads.identifier.AdvertisingIdClient.isAdvertisingIdAvailable",
                              data={"hook": "hms.oaid.available", "status": "class-missing", "error": "ClassNotFoundException"})),
        ("read_push_before_resume", push(_event(1, at(0.05), "pii_read", api=TOUR_API["oaid"], pii_type="oaid",
                                                value=TOUR_DEVICE["oaid"], sdk="jpush", stack=jpush))),
        ("resume_main", _event(2, at(0.1), "activity_state", api=TOUR_API["resume"],
                               data={"activity": "com.example.demoshop.MainActivity", "state": "resumed"})),
        ("early_perm", _event(3, at(0.2), "permission_request", api=API["perm_request"],
                              data={"permissions": ["android.permission.CAMERA"], "request_code": 3})),
        ("checkbox", _event(4, at(0.25), "checkbox", api=TOUR_API["checkbox"], value="true",
                            data={"checked": True, "label": "我已阅读并同意《隐私政策》"})),
        ("dialog", _event(5, at(0.3), "dialog_shown", api=API["dialog"],
                          data={"text": "请阅读《用户协议》和《隐私政策》，点击“同意”即表示您已阅读并同意。", "buttons": ["同意", "不同意"]})),
        ("touch_agree", _event(6, at(1.0), "touch", api=TOUR_API["touch"], data={"action": "up", "x": 540, "y": 1600})),
        ("click_agree", _event(7, at(1.0) + 0.001, "click", api=API["click"], data={"label": "同意"})),
        ("mic_touched", _event(8, at(1.2), "pii_read", api=TOUR_API["microphone"], pii_type="microphone", value="recording")),
        ("launch_touched", _event(9, at(1.5), "component_launch", api=TOUR_API["start_activity"], data={
            "kind": "activity", "target_package": "com.eg.android.AlipayGphone", "target_class": "com.alipay.PayActivity"})),
        ("pause_quick", _event(10, at(3.0), "activity_state", api=TOUR_API["pause"],
                               data={"activity": "com.example.demoshop.MainActivity", "state": "paused"})),
        ("read_quick_switch", _event(11, at(3.1), "pii_read", api=API["imei"], pii_type="imei", value=DEVICE["imei"])),
        ("resume_detail", _event(12, at(3.2), "activity_state", api=TOUR_API["resume"],
                                 data={"activity": "com.example.demoshop.DetailActivity", "state": "resumed"})),
        ("launch_silent", _event(13, at(5.0), "component_launch", api=TOUR_API["start_service"], sdk="jpush", stack=jpush,
                                 data={"kind": "service", "target_package": "com.tencent.mm",
                                       "target_class": "com.tencent.mm.plugin.PushService"})),
        ("launch_own", _event(14, at(5.1), "component_launch", api=TOUR_API["start_service"], sdk="jpush", stack=jpush,
                              data={"kind": "service", "target_package": APP["package"],
                                    "target_class": "cn.jpush.android.service.PushService"})),
        ("camera_silent", _event(15, at(6.0), "pii_read", api=TOUR_API["camera"], pii_type="camera", value="camera 0")),
        ("pause", _event(16, at(7.0), "activity_state", api=TOUR_API["pause"],
                         data={"activity": "com.example.demoshop.DetailActivity", "state": "paused"})),
        ("read_bg_push", push(_event(17, at(8.0), "pii_read", api=API["imei"], pii_type="imei", value=DEVICE["imei"],
                                     sdk="jpush", stack=jpush))),
        ("resume_back", _event(18, at(9.0), "activity_state", api=TOUR_API["resume"],
                               data={"activity": "com.example.demoshop.DetailActivity", "state": "resumed"})),
        ("launch_permission_ui", _event(19, at(5.2), "component_launch", api=TOUR_API["start_activity"], data={
            "kind": "activity", "target_package": "com.android.permissioncontroller",
            "target_class": "com.android.permissioncontroller.permission.ui.GrantPermissionsActivity"})),
    ]
    store.write_events([e for _, e in named])
    rows = store.rows("SELECT id FROM events ORDER BY id")[-len(named):]
    ids = TourIds(t0=t0, events={name: r["id"] for (name, _), r in zip(named, rows)})
    manifest.write(store, app=APP, device={"model": "piiaudit JVM stand-in", "android": 14, "kind": "jvm-standin"})
    store.close()
    return ids
