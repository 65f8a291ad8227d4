"""A known fix is found by distance, in the forms apps and map SDKs send coordinates."""

import json

import pytest

from piiaudit.detect import Detector, ScanLimits
from piiaudit.detect.corpus import pb
from piiaudit.detect.geo import gcj02_to_bd09, haversine_m, wgs84_to_gcj02
from piiaudit import profile

LAT, LNG = 39.908823, 116.397470
VALUE = "39.908823,116.39747"


@pytest.fixture(scope="module")
def det():
    return Detector(profile.from_dict({"values": {"location": {"lat": LAT, "lng": LNG}}}))


def loc_hits(det, body, content_type="application/json"):
    return [h for h in det.scan_bytes(body, "body", content_type=content_type) if h["pii_type"] == "location"]


def one(det, body, content_type="application/json"):
    hits = loc_hits(det, body, content_type)
    assert len(hits) == 1, hits
    assert hits[0]["value"] == VALUE and hits[0]["source"] == "known_value"
    return hits[0]


@pytest.mark.parametrize("body, location, encoding", [
    ({"lat": 39.908823, "lng": 116.39747}, "body:json:$.lat", "plain"),
    ({"latitude": "39.9088", "longitude": "116.3975"}, "body:json:$.latitude", "plain"),          # 4 decimals
    ({"lon": 116.397, "lat": 39.909}, "body:json:$.lat", "plain"),                                 # ~100 m off
    ({"loc": "39.908823,116.397470"}, "body:json:$.loc", "plain"),
    ({"location": "116.397470,39.908823"}, "body:json:$.location", "plain"),                      # swapped
    ({"la": 39908823, "lo": 116397470}, "body:json:$.la", "e6"),
    ({"lat_e7": 399088230, "lng_e7": 1163974700}, "body:json:$.lat_e7", "e7"),
    ({"pos": {"y": -1, "x": 0, "coords": [116.39747, 39.908823]}}, "body:json:$.pos.coords[1]", "plain"),
])
def test_coordinate_forms(det, body, location, encoding):
    h = one(det, json.dumps(body).encode())
    assert (h["location"], h["encoding"]) == (location, encoding)
    assert h["detail"]["distance_m"] < 200


def test_swapped_order_is_noted(det):
    h = one(det, b'{"location":"116.397470,39.908823"}')
    assert h["detail"]["order"] == "lng,lat"


def test_chinese_map_datums():
    d = Detector(profile.from_dict({"values": {"location": {"lat": LAT, "lng": LNG}}}))
    glat, glng = wgs84_to_gcj02(LAT, LNG)
    blat, blng = gcj02_to_bd09(glat, glng)
    assert 300 < haversine_m(LAT, LNG, glat, glng) < 1000          # the shift is real and > the radius
    amap = f"location={glng:.6f},{glat:.6f}&key=abc".encode()
    baidu = json.dumps({"coor": "bd09ll", "latitude": round(blat, 6), "longitude": round(blng, 6)}).encode()
    (a,) = [h for h in d.scan_bytes(amap, "body", content_type="application/x-www-form-urlencoded") if h["pii_type"] == "location"]
    (b,) = loc_hits(d, baidu)
    assert (a["location"], a["encoding"], a["detail"]["datum"]) == ("body:form:location", "gcj02", "gcj02")
    assert (b["location"], b["encoding"]) == ("body:json:$.latitude", "bd09")


def test_protobuf_doubles(det):
    body = pb([(1, "screen_view"), (7, [(1, LAT + 0.0003), (2, LNG - 0.0002), (3, 12.0)])])
    h = one(det, body, "application/x-protobuf")
    assert (h["location"], h["encoding"]) == ("body:protobuf:7.1", "float64")


@pytest.mark.parametrize("body", [
    {"lat": 39.918823, "lng": 116.397470},          # 1.1 km north
    {"lat": 39.908823},                              # a latitude alone
    {"lat": 39.9, "lng": 116.4},                     # a kilometre-coarse pair
    {"v": "39.908823.1", "w": "116.397470.2"},       # version strings, not numbers
    {"a": 139.908823, "b": 1116.39747},              # other numbers sharing the digits
    {"lat": -39.908823, "lng": 116.397470},          # the southern hemisphere
])
def test_not_the_fix(det, body):
    assert loc_hits(det, json.dumps(body).encode()) == []


def test_radius_is_configurable():
    far = json.dumps({"lat": 39.911823, "lng": 116.397470}).encode()     # ~333 m north
    assert Detector(profile.from_dict({"values": {"location": {"lat": LAT, "lng": LNG}}})).scan_bytes(far) == []
    wide = Detector(profile.from_dict({"values": {"location": {"lat": LAT, "lng": LNG}}}),
                    limits=ScanLimits(location_radius_m=500))
    (h,) = wide.scan_bytes(far)
    assert h["pii_type"] == "location" and 300 < h["detail"]["distance_m"] < 400


def test_query_and_form(det):
    hits = loc_hits(det, b"lat=39.908823&lng=116.397470&t=1700000000000", "application/x-www-form-urlencoded")
    assert [(h["location"], h["detail"]["lng_location"]) for h in hits] == [("body:form:lat", "body:form:lng")]


def test_two_fixes_are_two_hits():
    d = Detector(profile.from_dict({"values": {"location": [{"lat": LAT, "lng": LNG}, {"lat": 31.2304, "lng": 121.4737}]}}))
    body = json.dumps({"home": [39.908823, 116.39747], "work": {"lat": 31.2304, "lng": 121.4737}}).encode()
    assert sorted(h["value"] for h in d.scan_bytes(body)) == ["31.2304,121.4737", VALUE]
