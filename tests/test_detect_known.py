"""Known values in every form SDKs send them: the first signal of the detector."""

import base64
import hashlib
import json
from urllib.parse import quote

import pytest
from mitmproxy import http

from piiaudit.detect import Detector, ScanLimits
from piiaudit.detect.corpus import generate
from piiaudit.detect.variants import variants_for
from piiaudit import profile
from piiaudit.values import value_sha256
from tests.support.demo_device import ANDROID_ID as AID, CLIPBOARD as CLIP, IMEI, MAC
from tests.support.flows import request_flow as req


def hits_of(result, pii_type=None):
    return [h for h in result.hits if pii_type is None or h["pii_type"] == pii_type]


def one(det, body, pii_type, content_type="application/json"):
    hits = [h for h in det.scan_bytes(body, "body", content_type=content_type) if h["pii_type"] == pii_type]
    assert len(hits) == 1, hits
    return hits[0]


# --- the demo scenario's four flows, exactly as docs/standin-scenario.md describes them -----------
def test_umeng_md5_of_imei_in_json(det):
    md5 = hashlib.md5(IMEI.encode()).hexdigest()
    body = json.dumps({"header": {"appkey": "5f8a", "imei_md5": md5}, "body": {}}).encode()
    r = det.scan_flow(req("POST", "https://ulogs.umeng.com/unify_logs", body, {"content-type": "application/json"}))
    (h,) = hits_of(r, "imei")
    assert (h["location"], h["encoding"], h["source"]) == ("body:json:$.header.imei_md5", "md5", "known_value")
    assert h["value"] == IMEI and h["value_sha256"] == value_sha256(IMEI) and h["direction"] == "request"
    assert r.capped == [] and r.errors == []


def test_jpush_base64_android_id_in_form(det):
    body = b"aid=" + base64.b64encode(AID.encode()) + b"&platform=a&sdk_ver=5.0.0"
    r = det.scan_flow(req("POST", "https://stats.jpush.cn/v3/report", body,
                          {"content-type": "application/x-www-form-urlencoded"}))
    (h,) = hits_of(r, "android_id")
    assert (h["location"], h["encoding"], h["value"]) == ("body:form:aid", "base64", AID)


def test_location_in_query(det):
    r = det.scan_flow(req("GET", "https://api.demoshop.example/v1/stores/nearby?lat=39.908823&lng=116.397470"))
    (h,) = hits_of(r, "location")
    assert h["location"] == "query:lat" and h["encoding"] == "plain"
    assert h["value"] == "39.908823,116.39747"


def test_heartbeat_plain_android_id_in_query(det):
    r = det.scan_flow(req("GET", f"http://stats.jpush.cn/v3/hb?aid={AID}&t=1700000000000"))
    assert [(h["pii_type"], h["location"], h["encoding"]) for h in r.hits] == [("android_id", "query:aid", "plain")]


# --- every variant family ---------------------------------------------------------------------------
def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


@pytest.mark.parametrize("wire, encoding", [
    (IMEI, "plain"),
    (hashlib.md5(IMEI.encode()).hexdigest(), "md5"),
    (hashlib.md5(IMEI.encode()).hexdigest().upper(), "md5"),
    (hashlib.sha1(IMEI.encode()).hexdigest(), "sha1"),
    (hashlib.sha256(IMEI.encode()).hexdigest(), "sha256"),
    (hashlib.sha512(IMEI.encode()).hexdigest(), "sha512"),
    (_b64(IMEI.encode()), "base64"),
    (_b64(IMEI.encode()).rstrip("="), "base64"),
    (_b64(hashlib.md5(IMEI.encode()).digest()), "base64>md5"),
    (IMEI.encode().hex(), "hex"),
    (hashlib.md5(hashlib.sha1(IMEI.encode()).hexdigest().encode()).hexdigest(), "sha1>md5"),
    (IMEI[:14], "nocheck"),
])
def test_imei_forms(det, wire, encoding):
    h = one(det, json.dumps({"device": {"x": wire}}).encode(), "imei")
    assert (h["encoding"], h["value"], h["source"], h["location"]) == (encoding, IMEI, "known_value", "body:json:$.device.x")


def test_urlsafe_base64_of_a_digest(det):
    # the first digest whose base64 differs between the two alphabets
    algo, digest = next((a, hashlib.new(a, IMEI.encode()).digest()) for a in ("md5", "sha1", "sha256", "sha512")
                        if set(_b64(hashlib.new(a, IMEI.encode()).digest())) & set("+/"))
    wire = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert one(det, json.dumps({"x": wire}).encode(), "imei")["encoding"] == f"base64url>{algo}"


@pytest.mark.parametrize("wire, encoding", [
    (MAC, "plain"),
    (MAC.upper(), "upper"),
    (MAC.replace(":", ""), "nosep"),
    (MAC.replace(":", "").upper(), "nosep>upper"),
    (MAC.replace(":", "-"), "dashes"),
    (hashlib.md5(MAC.upper().encode()).hexdigest(), "upper>md5"),
    (hashlib.md5(MAC.replace(":", "").encode()).hexdigest(), "nosep>md5"),
    (quote(MAC, safe=""), "urlencoded"),
    (quote(quote(MAC, safe=""), safe=""), "urlencoded>urlencoded"),
])
def test_mac_forms(det, wire, encoding):
    h = one(det, json.dumps({"m": wire}).encode(), "mac")
    assert (h["encoding"], h["value"]) == (encoding, MAC)


def test_android_id_upper_and_in_header_and_cookie(det):
    r = det.scan_flow(req("GET", "https://x.example/a", b"", {"X-Device": AID.upper(), "Cookie": f"sid=1; did={AID}"}))
    got = {(h["location"], h["encoding"]) for h in hits_of(r, "android_id")}
    assert got == {("header:x-device", "upper"), ("cookie:did", "plain")}


def test_url_path_and_response_body(det):
    f = req("GET", f"https://x.example/v1/device/{IMEI}/config")
    f.response = http.Response.make(200, json.dumps({"echo": AID}).encode(), {"content-type": "application/json"})
    r = det.scan_flow(f)
    got = {(h["pii_type"], h["location"], h["direction"]) for h in r.hits}
    assert got == {("imei", "url:path", "request"), ("android_id", "body:json:$.echo", "response")}


def test_canary_and_chinese_contact(det):
    d = Detector(profile.from_dict({"values": {"contacts": "张伟 13800001111", "clipboard": CLIP}}))
    body = ("note=" + quote("张伟 13800001111") + "&c=" + CLIP).encode()
    got = {(h["pii_type"], h["encoding"]) for h in d.scan_bytes(body, "body", content_type="application/x-www-form-urlencoded")
           if h["source"] == "known_value"}
    assert got == {("contacts", "urlencoded"), ("clipboard", "plain")}


# --- guards against false positives -----------------------------------------------------------------
def test_imei_inside_a_longer_number_is_not_the_imei(det):
    for wire in ("1" + IMEI, IMEI + "7", "x" + IMEI + "0"):
        assert not [h for h in det.scan_bytes(json.dumps({"n": wire}).encode()) if h["source"] == "known_value"], wire


def test_android_id_inside_a_longer_hex_run_is_not_the_android_id(det):
    assert not det.scan_bytes(json.dumps({"sid": "ab" + AID + "cd"}).encode())


def test_digests_glued_together_are_still_found(det):
    glued = hashlib.md5(IMEI.encode()).hexdigest() + hashlib.md5(AID.encode()).hexdigest()
    got = {(h["pii_type"], h["encoding"]) for h in det.scan_bytes(json.dumps({"udid": glued}).encode())}
    assert got == {("imei", "md5"), ("android_id", "md5")}


def test_short_values_are_not_searched_as_such():
    d = Detector(profile.from_dict({"values": {"ssid": "home", "imei": IMEI}}))
    assert all(len(v.data) >= 8 for v in variants_for("ssid", "home"))
    # the word alone is not a hit; its md5 is
    assert not d.scan_bytes(b"welcome home, the home page")
    (h,) = d.scan_bytes(json.dumps({"w": hashlib.md5(b"home").hexdigest()}).encode())
    assert (h["pii_type"], h["encoding"]) == ("ssid", "md5")


def test_placeholder_values_are_ignored():
    d = Detector(profile.from_dict({"values": {"mac": "02:00:00:00:00:00", "imei": "000000000000000"}}))
    assert d.known_count == 0
    assert not [h for h in d.scan_bytes(b'{"mac":"02:00:00:00:00:00","imei":"000000000000000"}') if h["source"] != "pattern"]


# --- values the hooks saw -------------------------------------------------------------------------------
def test_observed_values_are_found_with_their_source():
    d = Detector(profile.from_dict({"values": {"imei": IMEI}}))
    oaid = "8f1d2c3b-4a5e-4f60-9a7b-1c2d3e4f5a6b"
    body = json.dumps({"oaid_md5": hashlib.md5(oaid.encode()).hexdigest(), "imei": IMEI}).encode()
    assert {h["pii_type"] for h in d.scan_bytes(body) if h["source"] != "pattern"} == {"imei"}
    d.observe("oaid", oaid)
    d.observe("imei", IMEI)   # already known: stays a known value
    got = {(h["pii_type"], h["source"], h["encoding"]) for h in d.scan_bytes(body)}
    assert got == {("imei", "known_value", "plain"), ("oaid", "observed_value", "md5")}


def test_many_observed_values_merge_into_the_base_index():
    d = Detector(profile.from_dict({"values": {"imei": IMEI}}))
    ids = [f"{i:016x}" for i in range(0xA000000000000000, 0xA000000000000000 + 150)]
    for v in ids:
        d.observe("android_id", v)
    body = json.dumps({"a": ids[0], "b": ids[-1], "i": IMEI}).encode()
    assert len(d.scan_bytes(body)) == 3
    assert d.known_count == 151


def test_observe_rejects_unknown_types_and_bad_locations():
    d = Detector()
    with pytest.raises(ValueError, match="unknown PII type"):
        d.observe("imei_number", IMEI)
    with pytest.raises(ValueError):
        d.observe("location", "north pole")
    d.observe("location", "39.908823,116.39747")
    (h,) = d.scan_bytes(b'{"lat":39.90882,"lon":116.39747}')
    assert (h["pii_type"], h["source"], h["value"]) == ("location", "observed_value", "39.908823,116.39747")


def test_no_profile_no_known_hits_only_patterns():
    d = Detector(None, limits=ScanLimits())
    hits = d.scan_bytes(json.dumps({"imei": IMEI}).encode())
    assert [(h["pii_type"], h["source"]) for h in hits] == [("imei", "pattern")]


def test_a_detector_without_patterns_finds_the_same_values_and_no_patterns():
    profile, samples = generate(200, 4)
    full, values_only = Detector(profile), Detector(profile, patterns=False)
    n_values = 0
    for s in samples:
        every = full.scan_flow(s.flow).hits
        got = values_only.scan_flow(s.flow).hits
        assert not [h for h in got if h["source"] in ("pattern", "endpoint")]
        # a detector without patterns reads no endpoint maps either: known values only
        want = sorted((h["pii_type"], h["location"], h["value"]) for h in every
                      if h["source"] not in ("pattern", "endpoint"))
        assert sorted((h["pii_type"], h["location"], h["value"]) for h in got) == want
        n_values += len(want)
    assert n_values > 100
