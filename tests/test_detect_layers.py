"""What the wire hides: content-encodings, forms, multipart, JSON strings, WebSocket
messages, base64/hex tokens and protobuf without a schema, each layer in the chain."""

import base64
import gzip
import hashlib
import json
import random
import struct
import zlib
from urllib.parse import quote, urlencode

import brotli
import pytest
import zstandard
from mitmproxy import http, websocket
from mitmproxy.test import tflow

from piiaudit.detect import Detector, ScanLimits
from piiaudit.detect.corpus import pb
from piiaudit import profile
from tests.support.demo_device import ANDROID_ID as AID, IMEI, MAC, PROFILE as DEMO
from tests.support.flows import request_flow as req

MD5_IMEI = hashlib.md5(IMEI.encode()).hexdigest()


def known(result):
    hits = result.hits if hasattr(result, "hits") else result
    return {(h["pii_type"], h["location"], h["encoding"]) for h in hits if h["source"] != "pattern"}


# --- content-encodings --------------------------------------------------------------------------
@pytest.mark.parametrize("coding, compress", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),                                              # zlib-wrapped, per the RFC
    ("deflate", lambda b: zlib.compress(b)[2:-4]),                           # raw deflate, as servers send it
    ("br", brotli.compress),
    ("zstd", zstandard.ZstdCompressor().compress),
    ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),               # two codings, applied in order
])
def test_content_encodings(det, coding, compress):
    body = json.dumps({"header": {"imei": IMEI}}).encode()
    r = det.scan_flow(req("POST", "https://x.example/log", compress(body),
                          {"content-type": "application/json", "content-encoding": coding}))
    assert known(r) == {("imei", "body:json:$.header.imei", "plain")}
    assert r.hits[0]["detail"]["content_encoding"] == coding   # transport layers are detail, not chain
    assert r.errors == []


def test_response_bodies_are_decoded_too(det):
    f = req("GET", "https://x.example/profile")
    f.response = http.Response.make(200, b"", {"content-type": "application/json", "content-encoding": "gzip"})
    f.response.raw_content = gzip.compress(json.dumps({"mac": MAC}).encode())
    assert known(det.scan_flow(f)) == {("mac", "body:json:$.mac", "plain")}


# --- body shapes -------------------------------------------------------------------------------------
def test_form_values_are_percent_decoded_keeping_the_field_name(det):
    body = urlencode([("mac", MAC), ("imei_b64", base64.b64encode(IMEI.encode()).decode()), ("v", "1")]).encode()
    r = det.scan_bytes(body, "body", content_type="application/x-www-form-urlencoded")
    assert known(r) == {("mac", "body:form:mac", "urlencoded"), ("imei", "body:form:imei_b64", "base64")}


def test_json_inside_a_form_field(det):
    # percent-encoding is a step of a value's chain only where it changed the value's own
    # characters: the hex Android ID stands verbatim in the encoded JSON (as in a plain form
    # field), the MAC's colons travelled as %3A
    body = urlencode([("partner_params", json.dumps({"device": {"id": AID, "mac": MAC}})), ("app_token", "abc")]).encode()
    assert AID.encode() in body and MAC.encode() not in body
    r = det.scan_bytes(body, "body", content_type="application/x-www-form-urlencoded")
    assert known(r) == {("android_id", "body:form:partner_params:json:$.device.id", "plain"),
                        ("mac", "body:form:partner_params:json:$.device.mac", "urlencoded")}


def test_json_in_a_query_value_whose_base64_padding_alone_was_encoded(det):
    b64 = base64.b64encode(AID.encode()).decode()
    assert b64.endswith("=") and "+" not in b64 and "/" not in b64
    q = urlencode([("d", json.dumps({"aid": b64}))])
    r = det.scan_flow(req("GET", "https://x.example/t?" + q))
    assert known(r) == {("android_id", "query:d:json:$.aid", "base64")}


def test_multipart_parts_by_name(det):
    b = "----piiaudit7f3a"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n"
            f"{json.dumps({'device': {'imei': IMEI}})}\r\n"
            f"--{b}\r\nContent-Disposition: form-data; name=\"log\"; filename=\"crash.txt\"\r\n\r\n"
            f"wifi mac {MAC} lost\r\n--{b}--\r\n").encode()
    r = det.scan_flow(req("POST", "https://x.example/up", body, {"content-type": f"multipart/form-data; boundary={b}"}))
    assert known(r) == {("imei", "body:multipart:meta:json:$.device.imei", "plain"),
                        ("mac", "body:multipart:log", "plain")}


def test_json_in_a_json_string_and_unicode_escapes(det):
    d = Detector(profile.from_dict({"values": {"imei": IMEI, "contacts": "张伟明"}}))
    inner = json.dumps({"imei": IMEI, "name": "张伟明"})                    # ensure_ascii: \\u5f20\\u4f1f\\u660e
    body = json.dumps({"data": inner, "n": "\\u0038" + "x"}).encode()
    assert known(d.scan_bytes(body)) == {("imei", "body:json:$.data:json:$.imei", "plain"),
                                         ("contacts", "body:json:$.data:json:$.name", "unicode_escape")}


def test_escaped_slashes_do_not_hide_base64(det):
    # base64 with '/' inside a JSON string written by an encoder that escapes '/'
    value = "canary???clip-7f3a"
    assert "/" in base64.b64encode(value.encode()).decode()
    d = Detector(profile.from_dict({"values": {"clipboard": value}}))
    wire = base64.b64encode(value.encode()).decode().replace("/", "\\/")
    assert ("clipboard", "body:json:$.s", "base64") in known(d.scan_bytes(('{"s":"' + wire + '"}').encode()))


def test_text_body(det):
    r = det.scan_bytes(f"device={AID}; imei {IMEI}".encode(), "body", content_type="text/plain")
    assert known(r) == {("android_id", "body:text", "plain"), ("imei", "body:text", "plain")}


# --- tokens that hide data, decoded and searched again ------------------------------------------------
def test_base64_json_in_a_query_parameter(det):
    token = base64.urlsafe_b64encode(json.dumps({"dev": {"imei_md5": MD5_IMEI, "aid": AID}}).encode()).decode()
    r = det.scan_flow(req("GET", f"https://t.example/p?d={token}&v=2"))
    assert known(r) == {("imei", "query:d:json:$.dev.imei_md5", "base64>md5"),
                        ("android_id", "query:d:json:$.dev.aid", "base64")}


def test_gzip_inside_base64_inside_json(det):
    blob = base64.b64encode(gzip.compress(json.dumps({"mac": MAC.upper()}).encode())).decode()
    assert known(det.scan_bytes(json.dumps({"payload": blob}).encode())) == {
        ("mac", "body:json:$.payload:json:$.mac", "base64>gzip>upper")}


def test_hex_encoded_text(det):
    token = json.dumps({"imei": IMEI}).encode().hex()
    assert known(det.scan_bytes(json.dumps({"h": token}).encode())) == {("imei", "body:json:$.h:json:$.imei", "hex")}


def test_percent_encoded_json_in_a_json_string(det):
    token = quote(json.dumps({"aid": AID}), safe="")
    assert known(det.scan_bytes(json.dumps({"ext": token}).encode())) == {
        ("android_id", "body:json:$.ext:json:$.aid", "urlencoded")}


def test_decode_depth_is_bounded():
    d = Detector(profile.load(DEMO), limits=ScanLimits(max_decode_depth=2))
    layer = json.dumps({"imei": IMEI}).encode()
    for _ in range(4):
        layer = json.dumps({"b": base64.b64encode(layer).decode()}).encode()
    r = d.scan_flow(req("POST", "https://x.example/", layer, {"content-type": "application/json"}))
    assert "decode_depth" in r.capped and not known(r)
    deep = Detector(profile.load(DEMO)).scan_flow(req("POST", "https://x.example/", layer, {"content-type": "application/json"}))
    assert [h["encoding"] for h in deep.hits] == ["base64>base64>base64>base64"]


# --- protobuf without a schema ------------------------------------------------------------------------
def test_protobuf_field_paths(det):
    body = pb([(1, [(1, 4), (2, [(2, "Pixel 7"), (11, "46000")])]),
               (3, [(1, 1700000000000), (6, pb([(2, AID), (3, [(1, MD5_IMEI)])]))]),
               (4, 1700000000123)])
    r = det.scan_flow(req("POST", "https://firebaselogging.example/log", body, {"content-type": "application/x-protobuf"}))
    assert known(r) == {("android_id", "body:protobuf:3.6.2", "plain"), ("imei", "body:protobuf:3.6.3.1", "md5")}


def test_protobuf_int64_imei_and_sniffed_without_content_type(det):
    body = pb([(1, "x"), (7, int(IMEI))])
    assert known(det.scan_bytes(body, "body", content_type="application/octet-stream")) == {
        ("imei", "body:protobuf:7", "varint")}


def test_grpc_like_binary_with_gzip_blob(det):
    body = b"\x00" + struct.pack(">I", 3) + b"abc" + gzip.compress(json.dumps({"aid": AID}).encode())
    assert ("android_id", "body", "gzip") in {(h["pii_type"], h["location"].split(":")[0], h["encoding"])
                                             for h in det.scan_bytes(body, "body", content_type="application/grpc")}


# --- WebSocket ----------------------------------------------------------------------------------------
def test_websocket_messages_both_ways(det):
    f = tflow.tflow(ws=True)
    f.websocket.messages = [
        websocket.WebSocketMessage(1, True, json.dumps({"op": "hello", "imei": IMEI}).encode(), 1.0),
        websocket.WebSocketMessage(2, False, b"\x00\x01binary " + AID.encode(), 2.0),
        websocket.WebSocketMessage(1, True, b"ping", 3.0),
    ]
    got = {(h["pii_type"], h["location"], h["direction"]) for h in det.scan_flow(f).hits}
    assert got == {("imei", "ws:0:json:$.imei", "request"), ("android_id", "ws:1:text", "response")}


def test_websocket_message_cap():
    d = Detector(profile.load(DEMO), limits=ScanLimits(max_ws_messages=5))
    f = tflow.tflow(ws=True)
    f.websocket.messages = [websocket.WebSocketMessage(1, True, b"x", float(i)) for i in range(10)]
    f.websocket.messages.append(websocket.WebSocketMessage(1, True, IMEI.encode(), 11.0))
    r = d.scan_flow(f)
    assert r.capped == ["ws_messages"] and not r.hits


def test_the_form_field_at_an_offset_is_the_one_a_full_split_gives():
    from piiaudit.detect.fields import form_field_at

    rnd = random.Random(13)
    for _ in range(300):
        data = bytes(rnd.choice(b"ab=&%2B+x") for _ in range(rnd.randrange(0, 60)))
        pos = 0
        for part in data.split(b"&"):
            eq = part.find(b"=")
            for offset in range(pos, pos + len(part) + 1):
                f = form_field_at(data, offset)
                assert (f.start, f.end) == (pos, pos + len(part)), (data, offset)
                assert f.value_start == (pos + eq + 1 if eq >= 0 else pos)
            pos += len(part) + 1
