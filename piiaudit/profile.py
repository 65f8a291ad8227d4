"""Device profiles: the known personal values of the test device (and planted canaries).

A profile is a YAML file::

    device: {model: Pixel 7, android: 14, serial: emulator-5554}
    values:
      imei: "867530912345671"          # a scalar or a list of scalars
      android_id: "9774d56d682e549c"
      mac: "02:1a:11:f0:6e:2b"
      location: {lat: 39.908823, lng: 116.397470}   # or a list of fixes
      clipboard: "piiaudit-canary-clipboard-7f3a"

Every key under ``values`` must be a name from the PII vocabulary.

A profile is checked like a scope file, and every problem is one line naming the file:
UTF-8 only, at most `MAX_BYTES`, no alias bombs (piiaudit.yamlfile), only the keys above
(a misspelled one gets a suggestion), ``device`` a mapping of scalars, each value text or
a whole number (a number with a fraction, a boolean or a nested mapping would be searched
for as its Python spelling, which no traffic carries), each location fix ``{lat, lng}``
with finite numbers in range.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from piiaudit import vocab
from piiaudit.yamlfile import YamlError, load_file


class ProfileError(ValueError):
    pass


MAX_BYTES = 1024 ** 2          # a profile is a few hundred bytes; 1 MB leaves room for many canaries
TOP_LEVEL_KEYS = ("device", "values")
FIX_KEYS = ("lat", "lng")


@dataclass(frozen=True)
class Fix:
    lat: float
    lng: float


@dataclass
class DeviceProfile:
    device: dict[str, Any] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=dict)   # pii_type -> values (not location)
    locations: list[Fix] = field(default_factory=list)
    source: str | None = None

    def known_values(self) -> list[tuple[str, str]]:
        """(pii_type, value) pairs, locations excluded (they match by distance)."""
        return [(t, v) for t, vs in self.values.items() for v in vs]

    def to_dict(self) -> dict[str, Any]:
        values: dict[str, Any] = {t: (vs[0] if len(vs) == 1 else list(vs)) for t, vs in self.values.items()}
        if self.locations:
            fixes = [{"lat": f.lat, "lng": f.lng} for f in self.locations]
            values["location"] = fixes[0] if len(fixes) == 1 else fixes
        return {"device": dict(self.device), "values": values}


def _suggest(name: Any, known: Iterable[str], quote: bool = True) -> str:
    close = difflib.get_close_matches(str(name), list(known), n=3, cutoff=0.6)
    if not close:
        return ""
    return f"; did you mean {', '.join(repr(c) if quote else c for c in close)}?"


def _unknown_key(raw: dict, known: tuple[str, ...], where: str) -> None:
    unknown = [k for k in raw if k not in known]
    if unknown:
        raise ProfileError(f"{where}unknown key {unknown[0]!r}{_suggest(unknown[0], known)} "
                           f"(known: {', '.join(known)})")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _fix(raw: Any, where: str) -> Fix:
    if not isinstance(raw, dict) or "lat" not in raw or "lng" not in raw:
        raise ProfileError(f"{where}: a location is {{lat: <deg>, lng: <deg>}}, got {raw!r}")
    _unknown_key(raw, FIX_KEYS, f"{where}: ")
    lat, lng = _number(raw["lat"]), _number(raw["lng"])
    if lat is None or lng is None:
        raise ProfileError(f"{where}: lat/lng must be numbers, got {raw!r}")
    if not (math.isfinite(lat) and math.isfinite(lng)):
        raise ProfileError(f"{where}: lat/lng must be finite numbers, got {lat}, {lng}")
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ProfileError(f"{where}: lat/lng out of range: {lat}, {lng}")
    return Fix(lat, lng)


def _value(raw: Any, where: str) -> str | None:
    """One known value as the text searched for in traffic (None: empty, skipped)."""
    if raw is None:
        return None
    if isinstance(raw, float) and not isinstance(raw, bool):
        raise ProfileError(f"{where}: {raw!r} is a number with a fraction; write the value as text in quotes")
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ProfileError(f"{where}: expected a value (text or a whole number) or a list of them, got {raw!r}")
    text = str(raw)
    return text if text.strip() else None


def from_dict(raw: Any, source: str = "<dict>") -> DeviceProfile:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ProfileError(f"{source}: a device profile is a mapping with 'device' and 'values'")
    _unknown_key(raw, TOP_LEVEL_KEYS, f"{source}: ")
    device = raw.get("device")
    if device is None:
        device = {}
    if not isinstance(device, dict):
        raise ProfileError(f"{source}: device: expected a mapping of device facts, e.g. "
                           f"{{model: Pixel 7, android: 14}}, got {device!r}")
    for key, fact in device.items():
        if isinstance(fact, (dict, list)):
            raise ProfileError(f"{source}: device.{key}: expected a scalar (text or a number), got {fact!r}")
    values_raw = raw.get("values") or {}
    if not isinstance(values_raw, dict):
        raise ProfileError(f"{source}: 'values' must be a mapping of PII type to value(s)")
    profile = DeviceProfile(device={str(k): v for k, v in device.items()}, source=source)
    for pii_type, value in values_raw.items():
        if not vocab.is_known(pii_type):
            raise ProfileError(f"{source}: unknown PII type {pii_type!r} under 'values'"
                               f"{_suggest(pii_type, vocab.pii_types(), quote=False)} "
                               "(names: piiaudit/data/pii_types.yaml)")
        items = value if isinstance(value, list) else [value]
        where = f"{source}: values.{pii_type}"
        if pii_type == "location":
            profile.locations.extend(_fix(v, where) for v in items)
            continue
        cleaned = [v for v in (_value(item, where) for item in items) if v is not None]
        if cleaned:
            profile.values[pii_type] = cleaned
    return profile


def load(path: Path | str) -> DeviceProfile:
    path = Path(path)
    try:
        raw = load_file(path, max_bytes=MAX_BYTES)
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such device profile") from None
    except IsADirectoryError:
        raise ProfileError(f"{path}: a directory, not a device profile") from None
    except OSError as e:
        raise ProfileError(f"{path}: cannot read the device profile ({e.strerror})") from None
    except YamlError as e:
        raise ProfileError(str(e)) from None
    return from_dict(raw, str(path))



def merge(base: DeviceProfile, extra: DeviceProfile) -> DeviceProfile:
    """Values of both; used to add values the hooks saw being read to the tester's profile."""
    out = DeviceProfile(device={**base.device, **extra.device}, source=base.source)
    for p in (base, extra):
        for t, vs in p.values.items():
            bucket = out.values.setdefault(t, [])
            bucket.extend(v for v in vs if v not in bucket)
        out.locations.extend(f for f in p.locations if f not in out.locations)
    return out
