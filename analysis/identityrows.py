"""The session's identity in words: the summary rows of the workbook's first sheet and the
page, and the console's identity lines (ReportData.app_identity, tester, device, tools, tested).

Every row has a bilingual label (analysis.bilingual); a fact the session does not hold is
said to be missing ("未记录 / not recorded"), never left blank. Times are in the report's
zone, with the zone named and the epoch beside them.
"""

from __future__ import annotations

from typing import Any

from analysis import bilingual as b
from piiaudit.times import iso_one, zone_label

SOURCES = {
    "apk": b.both("APK文件（androguard读取）", "the APK file (read with androguard)"),
    "manifest_xml": b.both("AndroidManifest.xml文本（无签名证书）", "AndroidManifest.xml as text (no signing certificates)"),
    "standin": b.both("替身应用的AndroidManifest.xml（演示，无签名证书）",
                      "the stand-in app's AndroidManifest.xml (demo; no signing certificates)"),
    "declared": b.both("仅测试人员填写（无APK）", "declared by the tester only (no APK)"),
    None: b.both("未知", "unknown"),
}
NOT_RECORDED = b.both("未记录", "not recorded")
NO_CERTIFICATES = b.both("无（身份未读自APK）", "none (the identity was not read from an APK)")
UNSIGNED = b.both("无（APK未签名）", "none (the APK is unsigned)")


def source_key(app: dict[str, Any], manifest: dict[str, Any]) -> str | None:
    """`app`'s source, with the demo's stand-in manifest named as such."""
    source = app.get("source")
    if source == "manifest_xml" and manifest.get("target") == "jvm-standin":
        return "standin"
    return source if source in SOURCES else None


def _or_missing(text: str | None) -> str:
    return text if text else NOT_RECORDED


def _moment(ts: Any, tz: Any) -> str:
    return f"{iso_one(ts, tz)} ({ts:.3f})" if isinstance(ts, (int, float)) else NOT_RECORDED


def tester_text(tester: dict[str, str] | None) -> str:
    if not tester:
        return b.both("未记录（record/demo --tester 或 PIIAUDIT_TESTER）", "not recorded (record/demo --tester or PIIAUDIT_TESTER)")
    return f"{tester['name']} ({tester.get('source')})"


def device_text(device: dict[str, Any]) -> str:
    head = " ".join(str(device[k]) for k in ("manufacturer", "model") if device.get(k))
    android = (f"Android {device['android']}" if device.get("android") else "") + (
        f" (API {device['api']})" if device.get("api") else "")
    rest = [f"{k}={v}" for k, v in device.items()
            if v and k not in ("manufacturer", "model", "android", "api", "build_id", "fingerprint")]
    return ", ".join(x for x in (head, android.strip(), *rest) if x) or NOT_RECORDED


def build_text(device: dict[str, Any]) -> str:
    return "; ".join(str(device[k]) for k in ("build_id", "fingerprint") if device.get(k)) or NOT_RECORDED


def versions_text(tools: dict[str, dict[str, str | None]]) -> str:
    parts = []
    for when, label in (("recording", b.both("记录时", "recording")), ("report", b.both("报告时", "report"))):
        versions = tools.get(when) or {}
        known = ", ".join(f"{k} {v}" for k, v in versions.items() if v)
        parts.append(f"{label}: {known or NOT_RECORDED}")
    return "; ".join(parts)


def items(data: Any) -> list[tuple[str, str]]:
    """The identity rows of the summary, in the order a reader checks them."""
    app, tz, tested = data.app_identity or {}, data.tz, data.tested or {}
    source = source_key(app, data.manifest)
    certificates = app.get("certificates") or []
    if certificates:
        certs = "\n".join(certificates)
    else:
        certs = UNSIGNED if source == "apk" else NO_CERTIFICATES
    sdk = ", ".join(f"{label} {app[k]}" for k, label in (("min_sdk", "min"), ("target_sdk", "target"))
                    if app.get(k) is not None)
    version = app.get("version_name") or ""
    if app.get("version_code"):
        version = f"{version} (versionCode {app['version_code']})".strip()
    started, ended = tested.get("started"), tested.get("ended")
    return [
        (b.APP, " · ".join(str(app[k]) for k in ("name", "package") if app.get(k)) or NOT_RECORDED),
        (b.APP_TYPE, str(app.get("category") or "—")),
        (b.APP_VERSION, _or_missing(version)),
        (b.APK_SHA256, (f"{app['sha256']} ({app.get('file')})" if app.get("file") else app["sha256"])
         if app.get("sha256") else NOT_RECORDED),
        (b.SIGNING_CERTIFICATES, certs),
        (b.SDK_LEVELS, sdk or NOT_RECORDED),
        (b.IDENTITY_SOURCE, SOURCES[source]),
        (b.TESTER, tester_text(data.tester)),
        (b.TEST_DATE, f"{_moment(started, tz)} – {_moment(ended, tz)}" if started is not None else NOT_RECORDED),
        (b.RECORDED_ZONE, _or_missing(tested.get("zone"))),
        (b.DEVICE, device_text(data.device or {})),
        (b.DEVICE_BUILD, build_text(data.device or {})),
    ]


def console_lines(app: dict[str, Any], manifest: dict[str, Any], tester: dict[str, str] | None,
                  device: dict[str, Any], tz: Any) -> list[str]:
    """The console's identity lines (app, tester, device, zone) under its first line."""
    version = " ".join(x for x in (app.get("version_name"), f"({app['version_code']})" if app.get("version_code") else "")
                       if x)
    sha = f" sha256 {app['sha256'][:16]}…" if app.get("sha256") else ""
    return [
        f"{b.APP}: {app.get('package') or NOT_RECORDED} {version}{sha} [{SOURCES[source_key(app, manifest)]}]",
        f"{b.TESTER}: {tester_text(tester)} · {b.DEVICE}: {device_text(device or {})}",
        f"{b.TIME_ZONE}: {zone_label(tz)}",
    ]
