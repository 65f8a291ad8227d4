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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from piiaudit import vocab
from piiaudit.yamlfile import YamlError, load_file


class ProfileError(ValueError):
    pass


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


def _fix(raw: Any, where: str) -> Fix:
    if not isinstance(raw, dict) or "lat" not in raw or "lng" not in raw:
        raise ProfileError(f"{where}: a location is {{lat: <deg>, lng: <deg>}}, got {raw!r}")
    try:
        lat, lng = float(raw["lat"]), float(raw["lng"])
    except (TypeError, ValueError):
        raise ProfileError(f"{where}: lat/lng must be numbers, got {raw!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ProfileError(f"{where}: lat/lng out of range: {lat}, {lng}")
    return Fix(lat, lng)


def from_dict(raw: Any, source: str = "<dict>") -> DeviceProfile:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ProfileError(f"{source}: a device profile is a mapping with 'device' and 'values'")
    values_raw = raw.get("values") or {}
    if not isinstance(values_raw, dict):
        raise ProfileError(f"{source}: 'values' must be a mapping of PII type to value(s)")
    profile = DeviceProfile(device=dict(raw.get("device") or {}), source=source)
    for pii_type, value in values_raw.items():
        if not vocab.is_known(pii_type):
            raise ProfileError(f"{source}: unknown PII type {pii_type!r} under 'values'")
        items = value if isinstance(value, list) else [value]
        if pii_type == "location":
            profile.locations.extend(_fix(v, f"{source}: values.location") for v in items)
            continue
        cleaned = [str(v) for v in items if v is not None and str(v).strip()]
        if cleaned:
            profile.values[pii_type] = cleaned
    return profile


def load(path: Path | str) -> DeviceProfile:
    path = Path(path)
    try:
        raw = load_file(path)
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such device profile") from None
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
