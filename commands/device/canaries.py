"""Canary values: distinctive values planted on the device, so traffic carrying them is certain.

`device setup` plants four, each only if it is not there already, and `device reset` takes
them away:

| canary | planted with | undone with | profile key |
|---|---|---|---|
| clipboard text | ClipboardManager.setPrimaryClip from inside com.android.systemui, through frida-server (hooks/clipboard.py: Android 13/14 have no shell command for it) | clearPrimaryClip | clipboard |
| a contact (name and mobile number) | `content insert` into the contacts provider's raw_contacts and data tables | `content delete` of the raw contact as a sync adapter (a plain delete only marks it deleted) | contacts |
| a location fix | the emulator console: `adb emu geo fix LNG LAT` (a phone has no console: not planted, said so) | `geo fix` back to the emulator's start location | location |
| the device name | `settings put global device_name` | the earlier value put back, or the setting deleted | device_model |

The values come from the device (a hash of its adb serial and ro.serialno), so every setup of
one device plants the same values and a second setup finds them in place; they start with
`piiaudit-canary-` or carry the same 8-hex tag. What was planted, and the device name before
it, is kept on the device in `RECORD` (a JSON file), which reset reads and removes. With
`--profile FILE` setup adds the values to that device profile (piiaudit/profile.py), so the
detector matches them (the device name under `device_model`: the vocabulary has no type of its
own for it, and Android's device name is the model's name until a user changes it); reset takes
them out of it again.

Known limits: the clipboard and the emulator's fix do not survive a reboot while RECORD does;
after a reboot run `device reset` then `device setup`. The clipboard cannot be read back from a
shell, so it is taken as planted when RECORD says so.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RECORD = "/data/local/tmp/piiaudit-canaries.json"
RAW_CONTACTS = "content://com.android.contacts/raw_contacts"
DATA = "content://com.android.contacts/data"
NAME_TYPE = "vnd.android.cursor.item/name"
PHONE_TYPE = "vnd.android.cursor.item/phone_v2"
EMULATOR_START_FIX = (-122.084, 37.421998)          # (lng, lat): where the emulator starts, the Googleplex

# (serial, text or None) -> sets or clears the device's primary clip; replaced by tests (no Frida there)
ClipboardWriter = Callable[[str, "str | None"], Any]


def frida_clipboard(serial: str, text: str | None) -> str:
    from hooks.clipboard import set_clip
    return set_clip(serial, text)


CLIPBOARD_WRITER: ClipboardWriter = frida_clipboard


@dataclass(frozen=True)
class Canaries:
    tag: str
    clipboard: str
    contact_name: str
    contact_phone: str
    device_name: str
    lat: float
    lng: float

    def profile_values(self, *, location: bool) -> dict[str, Any]:
        values: dict[str, Any] = {"clipboard": self.clipboard, "contacts": [self.contact_name, self.contact_phone],
                                  "device_model": self.device_name}
        if location:
            values["location"] = {"lat": self.lat, "lng": self.lng}
        return values


def derive(serial: str, hardware_serial: str) -> Canaries:
    """The canaries of one device: the same on every setup of it, different between devices."""
    digest = hashlib.sha256(f"piiaudit-canary|{serial}|{hardware_serial}".encode()).hexdigest()
    tag = digest[:8]
    n = int(digest[8:16], 16)
    return Canaries(
        tag=tag, clipboard=f"piiaudit-canary-{tag}-clipboard", contact_name=f"Canary {tag}",
        contact_phone=f"139{n % 10 ** 8:08d}", device_name=f"piiaudit-canary-{tag}-device",
        # a point in Beijing's Chaoyang district, moved by the tag so that it is this device's own
        lat=round(39.9 + (n % 9000) / 100000, 6), lng=round(116.45 + (n // 9000 % 9000) / 100000, 6))


def is_emulator(serial: str) -> bool:
    return serial.startswith("emulator-")


def read_record(dev) -> dict[str, Any] | None:
    if not dev.exists(RECORD):
        return None
    try:
        record = json.loads(dev.query(f"cat {RECORD}"))
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


def contact_id(adb, name: str) -> int | None:
    """The raw contact id of the canary contact named `name`, None when the provider has none."""
    out = adb.shell(f"content query --uri {DATA} --projection raw_contact_id --where \"data1='{name}'\"")
    ids = [int(w.split("=", 1)[1].rstrip(",")) for w in out.split() if w.startswith("raw_contact_id=")]
    return ids[0] if ids else None


def _newest_raw_contact(dev) -> int:
    out = dev.adb.shell(f"content query --uri {RAW_CONTACTS} --projection _id")
    ids = [int(w.split("=", 1)[1].rstrip(",")) for w in out.split() if w.startswith("_id=")]
    if not ids:
        from commands.device.setup import SetupError
        raise SetupError("the contacts provider did not keep the canary contact (content query found no raw contact)")
    return max(ids)


def _write_record(dev, record: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / "piiaudit-canaries.json"
        local.write_text(json.dumps(record, sort_keys=True))
        dev.adb_change("push", str(local), RECORD, shown=f"adb push <the record of what was planted> {RECORD}")


def plant(dev, say: Callable[[str], None], clipboard: ClipboardWriter | None = None) -> tuple[Canaries, bool]:
    """Plant what is missing; (the canaries, whether the location was planted)."""
    serial = dev.adb.serial
    values = derive(serial, dev.adb.getprop("ro.serialno"))
    record = read_record(dev) or {}
    if record.get("values", {}).get("tag") not in (None, values.tag):
        say(f"! {RECORD} names other canaries ({record['values'].get('tag')}): run `piiaudit device reset` first")
        return values, bool(record.get("location"))
    done = dict(record)
    done["values"] = asdict(values)
    before = dev.changes
    try:
        current = dev.adb.shell("settings get global device_name")
        if current != values.device_name:
            done.setdefault("previous_device_name", None if current in ("", "null") else current)
            dev.adb_change("shell", f"settings put global device_name {values.device_name}")
        if contact_id(dev.adb, values.contact_name) is None:
            dev.adb_change("shell", f"content insert --uri {RAW_CONTACTS} --bind account_type:n: --bind account_name:n:")
            new = "NEW_RAW_CONTACT_ID" if dev.dry_run else str(_newest_raw_contact(dev))
            for mimetype, data in ((NAME_TYPE, f'--bind "data1:s:{values.contact_name}"'),
                                   (PHONE_TYPE, f"--bind data1:s:{values.contact_phone} --bind data2:i:2")):
                dev.adb_change("shell", f"content insert --uri {DATA} --bind raw_contact_id:i:{new} "
                                        f"--bind mimetype:s:{mimetype} {data}")
        if is_emulator(serial):
            if not record.get("location"):
                dev.adb_change("emu", "geo", "fix", str(values.lng), str(values.lat))
                done["location"] = True
        else:
            say(f"! location canary: not on {serial}: only an emulator's console can set the fix "
                "(on a phone, use a mock-location app and add the fix to the profile by hand)")
        if not record.get("clipboard"):
            dev.changes += 1
            say(f"frida: com.android.systemui: ClipboardManager.setPrimaryClip(\"{values.clipboard}\")")
            if not dev.dry_run:
                try:
                    (clipboard or CLIPBOARD_WRITER)(serial, values.clipboard)
                    done["clipboard"] = True
                except Exception as e:  # noqa: BLE001 - a canary that cannot be planted is said, setup goes on
                    say(f"! clipboard canary not planted: {e}")
    finally:
        if dev.changes != before and done != record:
            _write_record(dev, done)
    return values, bool(done.get("location"))


def remove(dev, say: Callable[[str], None], clipboard: ClipboardWriter | None = None) -> Canaries | None:
    """Undo what RECORD says was planted, then remove RECORD; the canaries that were planted."""
    record = read_record(dev)
    if record is None:
        return None
    values = Canaries(**record["values"])
    if dev.adb.shell("settings get global device_name") == values.device_name:
        previous = record.get("previous_device_name")
        dev.adb_change("shell", f"settings put global device_name {shlex.quote(previous)}" if previous
                       else "settings delete global device_name")
    raw = contact_id(dev.adb, values.contact_name)
    if raw is not None:
        dev.adb_change("shell", f"content delete --uri '{RAW_CONTACTS}?caller_is_syncadapter=true' --where _id={raw}")
    if record.get("location") and is_emulator(dev.adb.serial):
        dev.adb_change("emu", "geo", "fix", *map(str, EMULATOR_START_FIX))
    if record.get("clipboard"):
        dev.changes += 1
        say("frida: com.android.systemui: ClipboardManager.clearPrimaryClip()")
        if not dev.dry_run:
            try:
                (clipboard or CLIPBOARD_WRITER)(dev.adb.serial, None)
            except Exception as e:  # noqa: BLE001
                say(f"! clipboard not cleared: {e}")
    dev.change(f"rm {RECORD}")
    return values


def add_to_profile(path: Path, values: Canaries, *, location: bool, say: Callable[[str], None]) -> None:
    """The canaries added to the device profile at `path` (created if missing)."""
    from piiaudit import profile as profiles

    base = profiles.load(path) if path.exists() else profiles.DeviceProfile()
    merged = profiles.merge(base, profiles.from_dict({"values": values.profile_values(location=location)}, str(path)))
    if merged.to_dict() == base.to_dict():
        return
    _write_profile(path, merged)
    say(f"added the canary values to {path}")


def remove_from_profile(path: Path, values: Canaries, say: Callable[[str], None]) -> None:
    from piiaudit import profile as profiles

    if not path.exists():
        return
    prof = profiles.load(path)
    planted = values.profile_values(location=True)
    flat = {v for key, v in planted.items() if key != "location" for v in (v if isinstance(v, list) else [v])}
    kept = {t: [v for v in vs if v not in flat] for t, vs in prof.values.items()}
    out = profiles.DeviceProfile(device=prof.device, values={t: vs for t, vs in kept.items() if vs},
                                 locations=[f for f in prof.locations if (f.lat, f.lng) != (values.lat, values.lng)])
    if out.to_dict() != prof.to_dict():
        _write_profile(path, out)
        say(f"took the canary values out of {path}")


def _write_profile(path: Path, prof) -> None:
    import yaml

    text = ("# Device profile: the device's known values and the canaries `piiaudit device setup` planted.\n"
            + yaml.safe_dump(prof.to_dict(), allow_unicode=True, sort_keys=False))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)
