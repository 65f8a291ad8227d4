"""Coordinates near a known fix, in the forms apps send them.

A fix is found when a flow carries a latitude and a longitude that are each within the
search radius of it, whatever the order, separators or keys, as decimal degrees at any
precision, as integers scaled by 1e6 or 1e7, or as protobuf doubles. Chinese map SDKs
shift WGS-84 fixes to GCJ-02 (AMap, Tencent) or BD-09 (Baidu) before sending, which moves
them by hundreds of metres, so each fix is also searched in those datums.

Candidates are numbers that start with the leading digits every coordinate within the
radius must have ("39.", "3990" for 1e6/1e7 integers) or doubles with the right top
bytes; each is parsed and measured here.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

EARTH_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class KnownFix:
    lat: float
    lng: float
    value: str        # the "lat,lng" string hits carry, as the hooks report it
    source: str       # 'known_value' | 'observed_value'


@dataclass(frozen=True)
class Target:
    """One fix in one datum: what candidates are measured against."""
    fix: int          # index into the detector's fixes
    datum: str        # 'wgs84' | 'gcj02' | 'bd09'
    lat: float
    lng: float
    tol_lat: float    # degrees
    tol_lng: float


def fix_value(lat: float, lng: float) -> str:
    # repr() is the shortest round-trip form, the same digits JavaScript prints.
    return f"{float(lat)!r},{float(lng)!r}"


def parse_fix(text: str) -> tuple[float, float]:
    parts = [p.strip() for p in str(text).replace(";", ",").split(",")]
    if len(parts) != 2:
        raise ValueError(f"a location value is 'lat,lng', got {text!r}")
    lat, lng = float(parts[0]), float(parts[1])
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or math.isnan(lat) or math.isnan(lng):
        raise ValueError(f"location out of range: {text!r}")
    return lat, lng


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


# --- WGS-84 -> GCJ-02 -> BD-09 (the published conversion every Chinese map SDK applies) ---
_A = 6378245.0
_EE = 0.00669342162296594323


def _in_china(lat: float, lng: float) -> bool:
    return 72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271


def _t_lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _t_lng(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if not _in_china(lat, lng):
        return lat, lng
    dlat = _t_lat(lng - 105.0, lat - 35.0)
    dlng = _t_lng(lng - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sq) * math.pi)
    dlng = (dlng * 180.0) / (_A / sq * math.cos(rad) * math.pi)
    return lat + dlat, lng + dlng


def gcj02_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    x_pi = math.pi * 3000.0 / 180.0
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * x_pi)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * x_pi)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def targets(fixes: list[KnownFix], radius_m: float) -> list[Target]:
    out = []
    for i, f in enumerate(fixes):
        datums = [("wgs84", f.lat, f.lng)]
        if _in_china(f.lat, f.lng):
            g = wgs84_to_gcj02(f.lat, f.lng)
            datums += [("gcj02", *g), ("bd09", *gcj02_to_bd09(*g))]
        for name, lat, lng in datums:
            tol_lat = radius_m / EARTH_M_PER_DEG
            tol_lng = radius_m / (EARTH_M_PER_DEG * max(0.01, math.cos(math.radians(lat))))
            out.append(Target(i, name, lat, lng, tol_lat, tol_lng))
    return out


def double_keys(ts: list[Target]) -> set[bytes]:
    """The top three bytes (little-endian) every double within the radius starts with."""
    out: set[bytes] = set()
    for t in ts:
        for v, tol in ((t.lat, t.tol_lat), (t.lng, t.tol_lng)):
            lo_top = int.from_bytes(struct.pack("<d", v - tol)[5:][::-1], "big")
            hi_top = int.from_bytes(struct.pack("<d", v + tol)[5:][::-1], "big")
            for top in range(min(lo_top, hi_top), max(lo_top, hi_top) + 1):
                out.add(top.to_bytes(3, "big")[::-1])
    return out


_NUM_CHARS = frozenset(b"0123456789.-")


def number_at(data: bytes, start: int, end: int) -> tuple[int, int, float, str] | None:
    """The whole number around a key hit: (start, end, degrees-candidate value, scale) or None."""
    s, e, n = start, end, len(data)
    while s > 0 and data[s - 1] in _NUM_CHARS:
        s -= 1
    while e < n and data[e] in b"0123456789.":
        e += 1
    while e > end and data[e - 1] == 46:   # a full stop after the number
        e -= 1
    token = data[s:e]
    dash = token.rfind(b"-")
    if dash > 0:        # "2024-05-39.9": a dash inside is a separator, the number follows it
        s += dash + 1
        token = token[dash + 1:]
    if token.count(b".") > 1 or token in (b"", b"-", b".") or token.endswith(b"."):
        return None
    if s > 0 and data[s - 1:s].isalpha() and not (s >= 3 and data[s - 3:s - 2] == b"%"):
        return None   # part of an identifier ("v39.90"), unless after a %XX escape ("%2C39.90")
    try:
        if b"." in token:
            return s, e, float(token), "deg"
        return s, e, float(int(token)), "int"
    except ValueError:
        return None


def double_at(data: bytes, key_start: int) -> tuple[int, int, float] | None:
    s = key_start - 5
    if s < 0 or s + 8 > len(data):
        return None
    v = struct.unpack_from("<d", data, s)[0]
    if math.isnan(v) or math.isinf(v):
        return None
    return s, s + 8, v


def matches(value: float, scale: str, axis_value: float, tol: float) -> tuple[bool, str]:
    """Does this number sit within tol of axis_value, and in which scaling."""
    if scale == "deg" or scale == "float64":
        return abs(value - axis_value) <= tol, ("float64" if scale == "float64" else "")
    for factor, name in ((1e6, "e6"), (1e7, "e7")):
        if abs(value / factor - axis_value) <= tol:
            return True, name
    return False, ""
