"""Bounded work and hostile input: the proxy's hot path must never stall or crash here."""

import gzip
import hashlib
import json
import struct
import time
import zlib
from pathlib import Path

import brotli
import pytest
import zstandard
from mitmproxy import http
from mitmproxy.test import tflow

from piiaudit.detect import Detector, ScanLimits
from piiaudit import profile

DEMO = Path(__file__).parents[1] / "piiaudit" / "data" / "demo" / "device.yaml"
IMEI = "867530912345673"
GiB = 1 << 30
MiB = 1 << 20


@pytest.fixture(scope="module")
def det():
    return Detector(profile.load(DEMO))


def req(body: bytes, headers=None, method="POST", url="https://x.example/up"):
    f = tflow.tflow()
    f.request = http.Request.make(method, url)
    for k, v in (headers or {}).items():
        f.request.headers[k] = v
    f.request.raw_content = body
    f.response = None
    return f


def gzip_bomb(total: int) -> bytes:
    """`total` zero bytes gzip-compressed, built without ever holding them.

    After a full flush a deflate block refers to nothing before it, so one compressed
    megabyte can be repeated: the result is a valid gzip stream of `total` bytes."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * MiB
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    n = total // MiB
    crc = 0
    for _ in range(n):
        crc = zlib.crc32(chunk, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + block * n + co.flush(zlib.Z_FINISH) + struct.pack("<II", crc, total & 0xFFFFFFFF)


@pytest.fixture(scope="module")
def bomb():
    return gzip_bomb(GiB)


def test_the_bomb_is_a_real_gigabyte(bomb):
    # check the construction itself on a smaller sibling (decompressing 1 GiB here would
    # be the very thing the detector must not do)
    small = gzip_bomb(8 * MiB)
    assert gzip.decompress(small) == b"\0" * (8 * MiB)
    assert len(bomb) < 2 * MiB and struct.unpack("<I", bomb[-4:])[0] == GiB & 0xFFFFFFFF


def test_gzip_bomb_stops_at_the_budget(det, bomb):
    f = req(bomb, {"content-type": "application/json", "content-encoding": "gzip"})
    t0 = time.process_time()
    r = det.scan_flow(f)
    elapsed = time.process_time() - t0
    assert "decompressed_size" in r.capped
    assert r.hits == [] and elapsed < 5, elapsed


@pytest.mark.parametrize("coding, make", [
    ("br", lambda: brotli.compress(b"\0" * (256 * MiB), quality=1)),
    ("zstd", lambda: zstandard.ZstdCompressor(level=1).compress(b"\0" * (256 * MiB))),
])
def test_brotli_and_zstd_bombs(coding, make):
    d = Detector(profile.load(DEMO), limits=ScanLimits(max_decompressed_bytes=2 * MiB))
    body = make()
    t0 = time.process_time()
    r = d.scan_flow(req(body, {"content-encoding": coding}))
    assert "decompressed_size" in r.capped and time.process_time() - t0 < 5


def test_bomb_inside_a_field(det):
    import base64
    blob = base64.b64encode(gzip_bomb(64 * MiB)).decode()
    d = Detector(profile.load(DEMO), limits=ScanLimits(max_decompressed_bytes=MiB))
    r = d.scan_flow(req(json.dumps({"payload": blob, "imei": IMEI}).encode(), {"content-type": "application/json"}))
    assert "decompressed_size" in r.capped
    assert [h["pii_type"] for h in r.hits] == ["imei"]      # the rest of the flow is still scanned


def test_truncated_gzip_is_scanned_as_far_as_it_goes(det):
    pad = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(300)]   # does not compress away
    whole = gzip.compress(json.dumps({"imei": IMEI, "pad": pad}).encode())
    r = det.scan_flow(req(whole[: len(whole) // 2], {"content-type": "application/json", "content-encoding": "gzip"}))
    assert [h["pii_type"] for h in r.hits] == ["imei"]
    assert any("truncated" in e for e in r.errors)


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd", "deflate", "compress", "x-unknown"])
def test_garbage_with_a_content_encoding(det, coding):
    r = det.scan_flow(req(b"not compressed at all " + IMEI.encode(), {"content-encoding": coding}))
    assert r.errors, coding                                    # said clearly ...
    assert [h["pii_type"] for h in r.hits] == ["imei"]         # ... and the bytes as sent are still scanned


def test_invalid_utf8(det):
    body = b"\xff\xfe\xfd{\"imei\":\"" + IMEI.encode() + b"\"}\xc3\x28\xa0\xa1"
    r = det.scan_flow(req(body, {"content-type": "application/json; charset=utf-8"}))
    assert [h["pii_type"] for h in r.hits] == ["imei"] and r.errors == []


def test_deeply_nested_json(det):
    depth = 100_000
    body = b"[" * depth + b'{"imei":"' + IMEI.encode() + b'"}' + b"]" * depth
    t0 = time.process_time()
    r = det.scan_flow(req(body, {"content-type": "application/json"}))
    assert time.process_time() - t0 < 5
    (h,) = r.hits
    assert h["pii_type"] == "imei" and "json_depth" in r.capped
    assert h["location"].startswith("body:json:$[0][0]") and "levels)" in h["location"]


def test_100_mb_body_is_capped_quickly(det):
    body = (b"x" * (100 * MiB - 40)) + b'{"imei":"' + IMEI.encode() + b'"}'
    t0 = time.process_time()
    r = det.scan_flow(req(body, {"content-type": "application/octet-stream"}))
    elapsed = time.process_time() - t0
    assert r.capped == ["body_bytes"] and r.hits == [] and elapsed < 3, elapsed


def test_body_cap_counts_all_bodies_of_a_flow():
    d = Detector(profile.load(DEMO), limits=ScanLimits(max_body_bytes=1000))
    f = req(b"a" * 900, {"content-type": "text/plain"})
    f.response = http.Response.make(200, b"b" * 200 + IMEI.encode(), {"content-type": "text/plain"})
    r = d.scan_flow(f)
    assert r.capped == ["body_bytes"] and r.hits == []


def test_token_cap():
    import base64
    d = Detector(profile.load(DEMO), limits=ScanLimits(max_decoded_tokens=3))
    tokens = [base64.b64encode(f"some text number {i} here".encode()).decode() for i in range(10)]
    r = d.scan_flow(req(json.dumps({"t": tokens}).encode(), {"content-type": "application/json"}))
    assert "decode_tokens" in r.capped


def test_hit_cap():
    d = Detector(profile.load(DEMO), limits=ScanLimits(max_hits=5))
    body = json.dumps({f"k{i}": IMEI for i in range(50)}).encode()
    r = d.scan_flow(req(body, {"content-type": "application/json"}))
    assert len(r.hits) == 5 and "hits" in r.capped


@pytest.mark.parametrize("make", [
    lambda: tflow.tflow(),                                   # GET, no body
    lambda: tflow.tflow(resp=True, err=True),
    lambda: tflow.tflow(ws=True),
    lambda: req(b"", {"content-type": "multipart/form-data; boundary=x"}),
    lambda: req(b"--x\r\nbroken part without headers end", {"content-type": "multipart/form-data; boundary=x"}),
    lambda: req(b"\x0a\xff\xff\xff\xff\x0f", {"content-type": "application/x-protobuf"}),   # length past the end
    lambda: req(b'{"a": "\\ud800\\udc00\\ud800", "b": "\\x"}', {"content-type": "application/json"}),
    lambda: req(b"%" * 1000 + b"%zz%4", {"content-type": "application/x-www-form-urlencoded"}),
])
def test_odd_flows_never_raise(det, make):
    r = det.scan_flow(make())
    assert isinstance(r.hits, list) and isinstance(r.capped, list) and isinstance(r.errors, list)


def test_limits_are_validated():
    with pytest.raises(ValueError, match="max_body_bytes"):
        ScanLimits(max_body_bytes=-1)
    with pytest.raises(ValueError, match="location_radius_m"):
        ScanLimits(location_radius_m=0)


def test_a_body_full_of_values_stays_bounded(det):
    # 20,000 IMEIs and 20,000 coordinates near the fix: merging and pairing must stay cheap
    body = json.dumps({"imeis": [IMEI] * 20_000, "pts": [[39.9088 + i * 1e-7, 116.3975] for i in range(20_000)]}).encode()
    t0 = time.process_time()
    r = det.scan_flow(req(body, {"content-type": "application/json"}))
    assert time.process_time() - t0 < 3
    assert "hits" in r.capped and 0 < len(r.hits) <= 500
