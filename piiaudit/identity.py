"""Which app, who tested it, when, on what device, with which tools: the session's identity.

Evidence a regulator accepts names the app beyond doubt and the circumstances of the test.
This module gathers those facts from what the session already holds, in one shape every
output shows (the workbook's first sheet, the page's summary, findings.json, manifest.json):

- `app_identity`: the app's manifest as recorded in the session (meta ``app_manifest``,
  piiaudit.apk: from an APK with ``record --apk`` / ``analyze --apk``, or from the stand-in's
  AndroidManifest.xml in the demo) merged with the name and type the manifest or scope give.
  ``source`` says where the identity comes from: ``apk`` (a real APK: its SHA-256 and its
  signing certificates), ``manifest_xml`` (a manifest in text form, the stand-in's: no
  certificates), or ``declared`` (only what the tester typed: package, name, version).
- `tester`: who ran the test, recorded once with the recording (``record --tester``,
  ``demo --tester``, else the environment variable `TESTER_ENV`), with where the name came from.
- `device`: the device facts of the profile, the stand-in's Build values or what ``adb getprop``
  read at the recording (model, manufacturer, Android release, API level, build id and fingerprint).
- `tools`: the versions of piiaudit, mitmproxy, frida, Python and pandas that recorded the
  session and those that wrote the report.
- `tested`: the test's date: when the recording started and ended (epoch seconds), and the
  zone of the machine that recorded it.

Every function reads plain dicts (manifest.json's and the stored meta) and never fails on a
session recorded before these facts existed: what is missing is None.
"""

from __future__ import annotations

import os
from typing import Any

TESTER_ENV = "PIIAUDIT_TESTER"
TOOLS = ("piiaudit", "mitmproxy", "frida", "frida-tools", "python", "pandas")
DEVICE_KEYS = ("model", "manufacturer", "android", "api", "build_id", "fingerprint", "serial", "kind")
# What `adb shell getprop` names each device fact (commands/recording reads them on a device).
GETPROP = {"model": "ro.product.model", "manufacturer": "ro.product.manufacturer",
           "android": "ro.build.version.release", "api": "ro.build.version.sdk",
           "build_id": "ro.build.display.id", "fingerprint": "ro.build.fingerprint"}
APP_KEYS = ("package", "name", "category", "version_name", "version_code", "sha256", "file",
            "certificates", "min_sdk", "target_sdk", "source", "recorded_at")


def tester_from(name: str | None, environ: dict[str, str] | None = None) -> dict[str, str] | None:
    """{"name", "source"} from the option, else from PIIAUDIT_TESTER; None when neither names one.

    The name is kept as typed, only stripped of surrounding blanks and control characters."""
    env = os.environ if environ is None else environ
    for value, source in ((name, "--tester"), (env.get(TESTER_ENV), TESTER_ENV)):
        cleaned = " ".join("".join(ch for ch in (value or "") if ch.isprintable() or ch.isspace()).split())
        if cleaned:
            return {"name": cleaned, "source": source}
    return None


def app_identity(manifest: dict[str, Any], app_manifest: dict[str, Any] | None,
                 scope: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every key of APP_KEYS: the recorded app manifest first, then manifest.json's ``app``, then the scope's."""
    declared = {**(manifest.get("app") or {}), **((scope or {}).get("app") or {})}
    recorded = app_manifest or {}
    out: dict[str, Any] = {k: None for k in APP_KEYS}
    out.update({
        "package": recorded.get("package") or declared.get("package"),
        "name": declared.get("name"),
        "category": declared.get("category"),
        "version_name": recorded.get("version_name") or declared.get("version_name") or declared.get("version"),
        "version_code": _text(recorded.get("version_code") or declared.get("version_code")),
        "sha256": recorded.get("sha256") or declared.get("apk_sha256"),
        "file": recorded.get("file"),
        "certificates": list(recorded.get("certificates") or []),
        "min_sdk": recorded.get("min_sdk"),
        "target_sdk": recorded.get("target_sdk"),
        "source": recorded.get("source") or ("declared" if declared.get("package") else None),
        "recorded_at": recorded.get("recorded_at"),
    })
    return out


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def device(manifest: dict[str, Any]) -> dict[str, Any]:
    """The device's facts as recorded (every key of DEVICE_KEYS, None when unknown, others kept after them)."""
    raw = manifest.get("device") if isinstance(manifest.get("device"), dict) else {}
    out: dict[str, Any] = {k: _text(raw.get(k)) for k in DEVICE_KEYS}
    out.update({str(k): _text(v) for k, v in raw.items() if k not in DEVICE_KEYS})
    return out


def tools(manifest: dict[str, Any], current: dict[str, str]) -> dict[str, dict[str, str | None]]:
    """{"recording": {...} | versions unknown as None, "report": {...}}: the versions of TOOLS."""
    recorded = (manifest.get("recording") or {}).get("versions") or {}
    return {"recording": {t: recorded.get(t) for t in TOOLS},
            "report": {t: current.get(t) for t in TOOLS}}


def tested(manifest: dict[str, Any]) -> dict[str, Any]:
    """{"started", "ended"} epoch seconds of the recording (None when unknown) and ``zone``, the
    recording machine's zone as it named it."""
    rec = manifest.get("recording") or {}
    return {"started": rec.get("started") or manifest.get("created"), "ended": rec.get("ended"),
            "zone": rec.get("zone")}


def tester(manifest: dict[str, Any]) -> dict[str, str] | None:
    raw = manifest.get("tester")
    return raw if isinstance(raw, dict) and raw.get("name") else None
