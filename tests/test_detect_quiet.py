"""Segments with no candidate of any search are not searched (engine.Scanner's quiet test,
`quiet` in _native.c): what a flow yields never depends on it, and a segment holding any
one kind of candidate is searched in full."""

from __future__ import annotations

import base64
import gzip
import random

import pytest

from piiaudit import profile
from piiaudit.detect import Detector, ScanLimits, engine
from piiaudit.detect.corpus import generate
from piiaudit.detect.limits import Budget
from piiaudit.detect.segment import Segment
from tests.support.demo_device import ANDROID_ID, IMEI, MAC, OAID, PROFILE

native = pytest.importorskip("piiaudit.detect._native", reason="the C scans are not built (no compiler?)")

KINDS = ("json", "text", "binary", "protobuf", "form", "query", "headers", "path", "host")


def _summary(result):
    return ([(h["pii_type"], h["location"], h["encoding"], h["source"], h["value"], h["direction"],
              sorted((h.get("detail") or {}).items(), key=str)) for h in result.hits],
            result.capped, result.errors)


def _scan(det: Detector, data: bytes, kind: str, quiet: bool) -> tuple:
    """One segment through a scanner with the quiet test (quiet=True) or without it:
    what it found, the budget it spent, and whether the quiet test spared the segment
    itself (its decoded layers may be spared too, and counted in Scanner.quiet)."""
    known, coords = det._indexes()
    plans = None if quiet else {(k, det.patterns): False for k in KINDS}
    sc = engine.Scanner(known, coords, Budget(det.limits), patterns=det.patterns, plans=plans)
    plan = sc._quiet_plan(kind)
    spared = quiet and bool(plan) and native.quiet(data, *plan)
    sc.scan(Segment(data, kind, "body", "request", 0))
    assert sc.quiet >= spared
    b = sc.budget
    return (sc.found.known, sc.found.patterns, sc.found.coords, b.tokens, b.decompressed, b.capped,
            b.errors), spared


# pieces random segments are glued from: the demo device's values in several forms, ids,
# numbers and words that look like them, encodings the layers open, and separators
_PIECES = [
    IMEI, ANDROID_ID, MAC, OAID, IMEI[:-1] + "0", ANDROID_ID.upper(), base64.b64encode(ANDROID_ID.encode()).decode(),
    "39.908823", "116.397470", "39908823", "116397470", "40.1", "13800138000", "8613800138000",
    "6222021234567890123", "1700000000000", "12345678", "4912568657271030", "a@b.cn", "me@example.com",
    "%41%42", "\\u0041", "\\n", "android_id", "Android", "aid", "idfa", "advertiserId",
    "48656c6c6f2c20776f726c642c2068656c6c6f2c20776f726c64", "SGVsbG8sIHdvcmxkLCBoZWxsbw==",
    "5fb47db6ab336cbeece26e56", "0123456789abcdef", "1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b", '"android_id": "',
    '"oaid":"', "48716154726b140a59933bb61b3cf59a", "aa:bb", "page_view", "MainActivity",
    "ok", "code", "中国移动", "+", "{", "[", "}", "]", ":", "=", "&", "\"", ",", " ", "-", "/", ".", "_",
]


def _random_texts(seed: int, n: int) -> list[bytes]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        parts = [rnd.choice(_PIECES) for _ in range(rnd.randrange(1, 14))]
        data = "".join(parts).encode()
        if rnd.random() < 0.05:
            data += b"\x1f\x8b\x08" + gzip.compress(b'{"imei": "%s"}' % IMEI.encode())[3:]
        out.append(data)
    return out


@pytest.mark.parametrize("patterns", [True, False])
def test_a_quiet_segment_would_have_yielded_nothing(patterns):
    """Thousands of random segments of every kind: the result with the quiet test is the
    result without it, and every segment it spares finds nothing and spends nothing."""
    det = Detector(profile.load(PROFILE), limits=ScanLimits(), patterns=patterns)
    spared = searched = 0
    for i, data in enumerate(_random_texts(7 if patterns else 8, 3000)):
        kind = KINDS[i % len(KINDS)]
        got, was_quiet = _scan(det, data, kind, quiet=True)
        expected, _ = _scan(det, data, kind, quiet=False)
        assert got == expected, (kind, data)
        if was_quiet:
            spared += 1
            assert expected == ([], [], [], 0, 0, [], []), (kind, data)
        else:
            searched += 1
    # both sides are exercised, or the test would prove nothing
    assert spared > 300 and searched > 300


QUIET_JSON = b'{"code": 0, "msg": "ok", "data": {"interval": 60, "page": "MainActivity", "ts": 1700000000000}}'


@pytest.mark.parametrize("candidate", [
    IMEI.encode(), ANDROID_ID.encode(), OAID.encode(), MAC.encode(), b"39.908823", b"39908823",
    b"13800138000", b"a@b.cn", b"%41%42%43", b"\\u0041bc", b"android_id\": \"0123456789abcdef",
    b"48656c6c6f2c20776f726c642c2068656c6c6f2c20776f726c64", b"SGVsbG8sIHdvcmxkLCBoZWxsbw==",
])
def test_one_candidate_of_any_kind_makes_a_segment_searched(candidate):
    det = Detector(profile.load(PROFILE), limits=ScanLimits())
    assert _scan(det, QUIET_JSON, "json", quiet=True)[1]
    data = QUIET_JSON[:-2] + b', "x": "' + candidate + b'"}}'
    found, was_quiet = _scan(det, data, "json", quiet=True)
    assert not was_quiet
    assert found != ([], [], [], 0, 0, [], [])      # each of these is found, or decoded


def test_gzip_in_a_binary_body_is_searched():
    det = Detector(profile.load(PROFILE), limits=ScanLimits())
    assert _scan(det, b"\x00\x01plain bytes\x02", "binary", quiet=True)[1]
    blob = b"\x00\x01" + gzip.compress(b'{"imei": "%s"}' % IMEI.encode())
    found, was_quiet = _scan(det, blob, "binary", quiet=True)
    assert not was_quiet and found[0]


def test_a_value_observed_later_is_found_in_bytes_that_were_quiet():
    """The detector keeps the quiet test's arguments across flows; a value observed later
    makes them anew, so bytes that were quiet before are searched for it."""
    det = Detector(profile.load(PROFILE), limits=ScanLimits())
    token = "9f3b2c1d4e5a6b7c8d9e0f1a"
    data = b'{"token": "%s"}' % token.encode()
    assert det.scan_bytes(data, content_type="application/json") == []
    assert det._plans and native.quiet(data, *det._plans[("json", True)])
    det.observe("advertising_id", token)
    hits = det.scan_bytes(data, content_type="application/json")
    assert [(h["pii_type"], h["value"], h["location"]) for h in hits] == [("advertising_id", token, "body:json:$.token")]


def test_whole_flows_yield_the_same_with_and_without_the_quiet_test(monkeypatch):
    """The generated corpus (every template, planted values in every encoding, noise) and
    the proxy benchmark's flows: byte-identical results, while most segments are spared."""
    prof, samples = generate(300, 4)
    flows = [s.flow for s in samples] + _benchmark_flows(200)
    spared = [0]
    scan_source = engine.Scanner.scan_source

    def counting(self, source, what):
        scan_source(self, source, what)
        spared[0] += self.quiet

    monkeypatch.setattr(engine.Scanner, "scan_source", counting)
    dets = (Detector(prof), Detector(profile.load(PROFILE)))
    got = [_summary(dets[i >= 300].scan_flow(f)) for i, f in enumerate(flows)]
    assert spared[0] > len(flows)
    assert sum(len(g[0]) for g in got) > 300
    monkeypatch.setattr(engine.Scanner, "_quiet_plan", lambda self, kind: False)
    dets = (Detector(prof), Detector(profile.load(PROFILE)))
    assert [_summary(dets[i >= 300].scan_flow(f)) for i, f in enumerate(flows)] == got


def _benchmark_flows(n: int) -> list:
    import time
    from benchmarks.proxy_cost import make_flow
    prof = profile.load(PROFILE)
    values = {t: vs[0] for t, vs in prof.values.items()}
    rnd = random.Random(1)
    t0 = time.time()
    return [make_flow(rnd, i, values, t0) for i in range(n)]


def test_quiet_refuses_bad_arguments():
    with pytest.raises(TypeError):
        native.quiet(b"x", (b"",), (), (), (), 0)
    with pytest.raises(ValueError):
        native.quiet(b"x" * 64, (), ((20, b"\0" * 16, set(), 12, b"", set()),), (), (), 0)


def test_more_key_words_than_the_test_can_hold_make_the_segment_searched():
    # one bit per key word: with 65, the 65th beside a long hex run must not be called quiet
    body = b"x" * 10 + b"secretkey=" + b"0123456789abcdef0123456789" + b" " * 10
    words = tuple(f"zz{i:02d}".encode() for i in range(64))
    assert native.quiet(body, (), (), (), words + (b"secretkey",), 1) is False
    assert native.quiet(body, (), (), (), words[:5] + (b"secretkey",), 1) is False
    assert native.quiet(body, (), (), (), words[:5], 1) is True
