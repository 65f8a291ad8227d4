"""`piiaudit device-profile`: read a device's known personal values over adb.

Identifiers come from the places Android keeps them; the `iphonesubinfo` service
transaction numbers differ between Android versions, so each is tried and checked
(an IMEI must pass Luhn) before it is trusted. What cannot be read is said, not guessed.
"""

from __future__ import annotations

import re
from typing import Any

from commands.device.adb import Adb

# iphonesubinfo transactions that return the IMEI on common releases (getDeviceIdForPhone / getImeiForSubscriber).
IMEI_CALLS = ("service call iphonesubinfo 1 s16 com.android.shell",
              "service call iphonesubinfo 4 i32 0 s16 com.android.shell",
              "service call iphonesubinfo 1")
MAC_FILES = ("/sys/class/net/wlan0/address",)
_PARCEL_TEXT = re.compile(r"'([^']*)'")
_LAST_LOCATION = re.compile(r"Location\[\w+\s+(-?\d+\.\d+),\s*(-?\d+\.\d+)")


def parse_parcel_string(output: str) -> str:
    """The string in `service call` output: the quoted columns, dots removed."""
    text = "".join(_PARCEL_TEXT.findall(output))
    return text.replace(".", "").strip()


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def read_profile(adb: Adb) -> tuple[dict[str, Any], list[str]]:
    """(profile mapping for device.yaml, notes on what could not be read)."""
    notes: list[str] = []
    device = {
        "model": adb.getprop("ro.product.model"),
        "manufacturer": adb.getprop("ro.product.manufacturer"),
        "android": adb.getprop("ro.build.version.release"),
        "api": adb.getprop("ro.build.version.sdk"),
        "serial": adb.serial,
    }
    values: dict[str, Any] = {}

    android_id = adb.shell("settings get secure android_id")
    if re.fullmatch(r"[0-9a-fA-F]{8,16}", android_id):
        values["android_id"] = android_id
    else:
        notes.append("android_id: `settings get secure android_id` gave nothing usable")

    for call in IMEI_CALLS:
        imei = parse_parcel_string(adb.root_shell(call))
        if len(imei) == 15 and luhn_ok(imei):
            values["imei"] = imei
            break
    else:
        notes.append("imei: no iphonesubinfo transaction returned a valid IMEI (no SIM radio, or a newer API); "
                     "add it by hand from *#06#")

    serial = adb.getprop("ro.serialno")
    if serial and serial not in ("unknown", "0123456789ABCDEF"):
        values["serial"] = serial
    for path in MAC_FILES:
        mac = adb.root_shell(f"cat {path}").lower()
        if re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", mac) and mac != "02:00:00:00:00:00":
            values["mac"] = mac
            break
    else:
        notes.append("mac: no readable Wi-Fi MAC address (Wi-Fi off, or randomised per network)")

    match = _LAST_LOCATION.search(adb.shell("dumpsys location"))
    if match:
        values["location"] = {"lat": float(match.group(1)), "lng": float(match.group(2))}
    else:
        notes.append("location: no last known fix in `dumpsys location`; add the fix you set on the emulator")
    return {"device": device, "values": values}, notes
