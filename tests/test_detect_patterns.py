"""Validated patterns, the second signal, and how hits are merged into one per datum."""

import base64
import hashlib
import json

import pytest

from piiaudit.detect import Detector, ScanLimits
from piiaudit.detect.patterns import id_number_ok
from piiaudit.detect.variants import luhn_ok
from piiaudit import profile

IMEI = "867530912345673"          # Luhn-valid
BAD_IMEI = "867530912345674"      # one digit off: fails Luhn
ID_NUMBER = "11010519491231002X"  # the check-digit example of GB 11643


def complete(body: str) -> str:
    """body + the digit that makes it pass the Luhn check."""
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


ICCID = complete("8986001234567890123")


@pytest.fixture(scope="module")
def bare():
    return Detector(None)


def pats(det, obj):
    body = obj if isinstance(obj, bytes) else json.dumps(obj, ensure_ascii=False).encode()
    return [(h["pii_type"], h["value"], h["confidence"]) for h in det.scan_bytes(body) if h["source"] == "pattern"]


def test_check_digits():
    assert luhn_ok(IMEI) and not luhn_ok(BAD_IMEI) and luhn_ok(ICCID)
    assert id_number_ok(ID_NUMBER) and not id_number_ok("110105194912310021")
    assert not id_number_ok("110105194913310028")   # month 13


def test_imei_needs_luhn(bare):
    assert [t for t, _, _ in pats(bare, {"x": IMEI})] == ["imei"]
    assert pats(bare, {"x": BAD_IMEI}) == []


def test_key_name_raises_confidence(bare):
    (_, _, plain), = pats(bare, {"x": IMEI})
    (_, _, keyed), = pats(bare, {"deviceImei": IMEI})
    assert keyed > plain and keyed >= 0.95


def test_key_name_decides_between_shapes(bare):
    imsi = complete("46000123456789")   # also Luhn-valid: an IMEI shape as well
    assert luhn_ok(imsi)
    assert [t for t, _, _ in pats(bare, {"imsi": imsi})] == ["imsi"]
    assert [t for t, _, _ in pats(bare, {"imei": imsi})] == ["imei"]


@pytest.mark.parametrize("obj, pii_type", [
    ({"mobile": "13912340000"}, "phone_number"),
    ({"tel": "+8613912340000"}, "phone_number"),
    ("联系电话：13912340000".encode(), "phone_number"),
    ({"id": ID_NUMBER}, "id_number"),
    ({"iccid": ICCID}, "iccid"),
    ({"card": complete("622202020011223344")}, "bank_card"),
    ({"contact": "zhang.wei+test@example.com.cn"}, "email"),
    ({"wifi_mac": "3C:A6:2F:11:22:33"}, "mac"),
    ({"bssid": "3c-a6-2f-11-22-33"}, "ssid"),
    ({"bt_mac": "3c:a6:2f:11:22:34"}, "bluetooth_mac"),
    ({"oaid": "ab12cd34-0000-4abc-8def-0123456789ab"}, "oaid"),
    ({"gps_adid": "38400000-8cf0-11bd-b23e-10b96e40000d"}, "advertising_id"),
    ({"advertiser_id": "38400000-8cf0-11bd-b23e-10b96e40000d"}, "advertising_id"),   # Facebook, AppsFlyer
    ({"advertising_ids": {"aaid": "38400000-8cf0-11bd-b23e-10b96e40000d"}}, "advertising_id"),   # Branch
    ({"androidId": "9774d56d682e549c"}, "android_id"),
])
def test_patterns(bare, obj, pii_type):
    got = pats(bare, obj)
    assert [t for t, _, _ in got] == [pii_type], got


@pytest.mark.parametrize("obj", [
    {"ts": 1700000000123, "id": 1700000000},                  # timestamps
    {"order": "20240105123456789"},                           # 17 digits, no check
    {"n": BAD_IMEI},                                          # fails Luhn
    {"request_id": "38400000-8cf0-11bd-b23e-10b96e40000d"},   # a UUID under a neutral key
    {"sid": "9774d56d682e549c"},                              # 16 hex under a neutral key
    {"mac": "02:00:00:00:00:00"},                             # Android's placeholder MAC
    {"img": "icon@2x.png"},
    {"h": "a13912340000b"},                                   # digits inside a token
    {"id": "110105194912310021"},                             # ID number with a wrong check digit
])
def test_look_alikes_are_not_reported(bare, obj):
    assert pats(bare, obj) == []


def test_confidence_floor_is_configurable():
    low = Detector(None, limits=ScanLimits(min_pattern_confidence=0.3))
    high = Detector(None, limits=ScanLimits(min_pattern_confidence=0.9))
    body = {"x": "350000000000006"}   # Luhn-valid IMEI shape, neutral key
    assert [t for t, _, _ in pats(low, body)] == ["imei"]
    assert pats(high, body) == []


# --- precedence and dedupe --------------------------------------------------------------------------
def test_known_value_outranks_pattern_on_the_same_bytes():
    d = Detector(profile.from_dict({"values": {"imei": IMEI}}))
    hits = d.scan_bytes(json.dumps({"imei": IMEI}).encode())
    assert [(h["pii_type"], h["source"]) for h in hits] == [("imei", "known_value")]
    assert hits[0]["detail"]["support"] == [
        {"source": "pattern", "pii_type": "imei", "encoding": "plain", "confidence": 0.95, "value": IMEI,
         "rule": "imei-luhn"}]


def test_an_observed_value_absorbs_the_pattern_at_its_place():
    d = Detector(None)
    d.observe("imei", IMEI)
    body = json.dumps({"imei": IMEI, "other": IMEI, "card": CARD}).encode()
    hits = d.scan_bytes(body)
    by_place = {h["location"]: h for h in hits}
    assert {(loc, h["source"]) for loc, h in by_place.items()} == {
        ("body:json:$.imei", "observed_value"), ("body:json:$.other", "observed_value"),
        ("body:json:$.card", "pattern")}
    assert len(hits) == 3   # one hit per (location, value)
    assert [e["source"] for e in by_place["body:json:$.imei"]["detail"]["support"]] == ["pattern"]


def test_one_datum_is_one_hit_across_layers():
    d = Detector(profile.from_dict({"values": {"android_id": "9774d56d682e549c"}}))
    # base64 of the value is both a known variant (raw pass) and a token decoded to the plain value
    b64 = base64.b64encode(b"9774d56d682e549c").decode()
    hits = d.scan_bytes(f"aid={b64}&aid2={b64}".encode(), content_type="application/x-www-form-urlencoded")
    assert sorted((h["location"], h["encoding"]) for h in hits) == [("body:form:aid", "base64"), ("body:form:aid2", "base64")]


def test_json_in_string_reported_once_at_the_inner_path():
    d = Detector(profile.from_dict({"values": {"imei": IMEI}}))
    body = json.dumps({"data": json.dumps({"imei": IMEI})}).encode()
    assert [h["location"] for h in d.scan_bytes(body)] == ["body:json:$.data:json:$.imei"]


def test_distinct_values_in_one_field_stay_distinct():
    d = Detector(profile.from_dict({"values": {"imei": [IMEI, "861234567890125"]}}))
    hits = d.scan_bytes(json.dumps({"imeis": f"{IMEI},861234567890125"}).encode())
    assert sorted(h["value"] for h in hits) == sorted([IMEI, "861234567890125"])


def test_same_value_twice_in_a_field_is_one_hit():
    d = Detector(profile.from_dict({"values": {"imei": IMEI}}))
    md5 = hashlib.md5(IMEI.encode()).hexdigest()
    hits = d.scan_bytes(json.dumps({"ids": [f"{md5}", f"{md5}"], "x": md5}).encode())
    assert sorted(h["location"] for h in hits) == ["body:json:$.ids[0]", "body:json:$.ids[1]", "body:json:$.x"]


# --- context: a validator alone is not evidence ------------------------------------------------------
CARD = complete("622202020011223344")


@pytest.mark.parametrize("obj", [
    f'{{"v": 0.{CARD}}}'.encode(),            # digits of a decimal fraction
    f'{{"v": 0.{IMEI}}}'.encode(),            # the IMEI's digits after "0."
    f'{{"v": {IMEI}.5}}'.encode(),            # the integer part of a decimal
    f'{{"v": -{CARD}}}'.encode(),             # a negative number
    {"order": f"ORD-{CARD}"},                 # joined to a longer id
    {"ver": f"1.2.{IMEI}"},                   # inside a version string
    {"tok": f"Ab9/{IMEI}+xY"},                # inside a base64 id
    {"url": f"/u/{IMEI}/x"},                  # a path segment
])
def test_digits_out_of_context_are_not_reported(bare, obj):
    assert pats(bare, obj) == []


def test_an_epoch_timestamp_counts_only_under_a_key_naming_the_type(bare):
    stamp = complete("173347200012345")          # 16 digits: a microsecond time in 2024, Luhn-valid
    assert pats(bare, {"t": int(stamp)}) == []
    assert [t for t, _, _ in pats(bare, {"cardNo": stamp})] == ["bank_card"]


def test_separators_that_fit(bare):
    assert [t for t, _, _ in pats(bare, f"imei={IMEI}&x=1".encode())] == ["imei"]
    assert [t for t, _, _ in pats(bare, f"tel:+86 {IMEI}\n".encode())] == ["imei"]
    assert [t for t, _, _ in pats(bare, json.dumps({"d": json.dumps({"imei": IMEI})}).encode())] == ["imei"]


def test_random_floats_in_sdk_batches_never_make_ids_or_cards():
    """SDK event batches full of random floats (an observation: 84 IMEI and 66 bank-card
    hits in 10,000 batches before digits needed a fitting context)."""
    import random
    rnd = random.Random(9)
    det = Detector(None)
    found = []
    for _ in range(2000):
        events = [{"id": rnd.randrange(1 << 31), "ts": 1733472000000 + rnd.randrange(10 ** 9),
                   "v": rnd.random(), "w": rnd.random() * 1000} for _ in range(10)]
        body = json.dumps({"header": {"appkey": "5f1e2d"}, "content": {"ekv": events}}).encode()
        found += [h["pii_type"] for h in det.scan_bytes(body, content_type="application/json")
                  if h["source"] == "pattern"]
    assert found == []
