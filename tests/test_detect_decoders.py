"""The decoder table: the engine reads every layer through it, and a new layer is one row."""

import base64
import json
import re

import pytest

from piiaudit.detect import Detector, engine
from piiaudit.detect.decoders import DECODERS, FLOW, PLAINTEXT, Decoder
from piiaudit.detect.segment import Child, kind_of
from piiaudit import profile

IMEI = "867530912345673"
SEGMENT_KINDS = {"json", "form", "query", "multipart", "protobuf", "text", "binary", "path", "headers", "host"}


@pytest.fixture()
def det():
    return Detector(profile.from_dict({"values": {"imei": IMEI}}))


def test_every_segment_kind_is_located_by_one_decoder_or_read_through_its_children():
    t = engine.tables()
    assert set(t.locators) | t.whole == SEGMENT_KINDS
    assert not set(t.locators) & t.whole
    assert [d.name for d in t.sources[FLOW]] == ["request", "response", "websocket"]
    assert [d.name for d in t.sources[PLAINTEXT]] == ["crypto"]
    assert len({d.name for d in DECODERS}) == len(DECODERS)


def test_two_locators_for_one_kind_are_refused():
    clash = DECODERS + (Decoder("other json", ("json",), locate=lambda scan, seg, spans: ["x"] * len(spans)),)
    with pytest.raises(ValueError, match="two decoders locate 'json'"):
        engine.tables(clash)


def _base32_children(scan, seg, text, earlier):
    """A layer the detector does not have: base32 tokens (upper case and digits 2-7)."""
    out = []
    for m in re.finditer(rb"[A-Z2-7]{24,}=*", seg.data):
        try:
            raw = base64.b32decode(m.group())
        except ValueError:
            continue
        if scan.budget.take_token():
            out.append(Child(m.start(), m.end(), raw, kind_of(raw), ("base32",)))
    return out


def test_a_new_layer_is_one_row_in_the_table(det, monkeypatch):
    body = json.dumps({"d": base64.b32encode(json.dumps({"imei": IMEI}).encode()).decode()}).encode()
    assert det.scan_bytes(body, content_type="application/json") == []
    table = DECODERS + (Decoder("base32", ("json", "text"), _base32_children),)
    monkeypatch.setattr(engine, "LAYERS", engine.tables(table).layers)
    (hit,) = det.scan_bytes(body, content_type="application/json")
    assert (hit["location"], hit["encoding"]) == ("body:json:$.d:json:$.imei", "base32")


def test_a_plaintext_is_located_relative_to_itself(det):
    got = {h["location"] for h in det.scan_plaintext(json.dumps({"dev": {"imei": IMEI}}).encode())}
    assert got == {"json:$.dev.imei"}
    assert {h["location"] for h in det.scan_plaintext(f"imei={IMEI}".encode())} == {"form:imei"}
    assert {h["location"] for h in det.scan_plaintext(f"the imei is {IMEI}".encode())} == {"text"}


def test_content_type_and_encoding_read_as_mitmproxy_reads_them():
    """The body's type and Content-Encoding come straight from the header fields: the same
    text mitmproxy's headers.get() gives, any case, repeated fields joined, bytes not UTF-8."""
    import random

    from mitmproxy import http as mhttp

    from piiaudit.detect.decoders import _header

    rnd = random.Random(3)
    names = [b"Content-Type", b"content-type", b"CONTENT-TYPE", b"Content-Encoding", b"x-other",
             b"content-type ", b"Content-T\xffype"]
    values = [b"gzip", b"application/json", b"\xff\xfe", b"a, b", b"", "中".encode()]
    for _ in range(5000):
        fields = tuple((rnd.choice(names), rnd.choice(values)) for _ in range(rnd.randint(0, 4)))
        headers = mhttp.Headers(fields)
        for name in ("content-type", "content-encoding"):
            assert _header(fields, name.encode()) == headers.get(name, "")
