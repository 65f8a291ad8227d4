"""Personal data inside an AES-encrypted SDK upload: found through the Cipher hook's plaintext
and tied to the flow that carried the ciphertext."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from mitmproxy import http
from mitmproxy.test import tflow

from analysis import crypto
from analysis.load import load_session
from analysis.pipeline import analyze
from tests.support.samples import DEVICE, demo_scope_path, write_encrypted_upload
from piiaudit import profile
from piiaudit.detect import Detector
from piiaudit.flowread import read_flows
from piiaudit.store import SessionStore


def before_consent(ids) -> float:
    return ids.ts(8) - 0.4      # step 8 is the scenario's 同意 tap


def _derived(session_dir):
    store = SessionStore(session_dir, create=False)
    try:
        return store.rows("SELECT * FROM pii_hits WHERE detail LIKE '%analysis.crypto%' ORDER BY id")
    finally:
        store.close()


@pytest.fixture()
def encrypted(standin_scenario, tmp_path):
    session = tmp_path / "s"
    ids = standin_scenario.write(session)
    up = write_encrypted_upload(session, before_consent(ids))
    return session, ids, up


def test_the_imei_inside_the_aes_upload_becomes_a_hit_on_the_flow_that_carried_it(encrypted):
    session, _, up = encrypted
    assert DEVICE["imei"].encode() not in up.ciphertext
    analyze(session, scope=demo_scope_path())
    rows = _derived(session)
    assert [(r["flow_id"], r["pii_type"]) for r in rows] == [(up.flow_id, "imei")]
    row = rows[0]
    assert row["location"] == "body:json:$.payload>crypto:AES/CBC/PKCS5Padding>json:$.imei"
    assert row["encoding"] == "base64>aes>plain"
    assert row["value"] == DEVICE["imei"]
    detail = json.loads(row["detail"])
    assert detail["crypto_event_id"] == up.cipher_event_id
    assert detail["chain_event_ids"] == [up.cipher_event_id, up.encode_event_id]


def test_the_pre_consent_third_party_finding_names_the_flow_and_the_cipher_event(encrypted):
    session, _, up = encrypted
    result = analyze(session, scope=demo_scope_path())
    f = result.findings
    im51 = f.loc[f["rule_id"].eq("IM5.1") & f["pii_type"].eq("imei") & f["sdk"].eq("getui")]
    assert len(im51) == 1
    rec = im51.iloc[0]
    assert rec["flow_ids"] == [up.flow_id]
    assert up.cipher_event_id in rec["event_ids"]
    assert rec["host"] == "sdk.open.phone.igexin.com"
    assert any(">crypto:AES/CBC/PKCS5Padding>" in loc for loc in rec["detail"]["location"])


def test_a_re_run_replaces_only_its_own_rows(encrypted):
    session, _, up = encrypted
    analyze(session)
    store = SessionStore(session, create=False)
    before = store.rows("SELECT id, flow_id, location FROM pii_hits ORDER BY id")
    store.close()
    analyze(session)
    analyze(session)
    store = SessionStore(session, create=False)
    after = store.rows("SELECT flow_id, location FROM pii_hits ORDER BY id")
    store.close()
    key = lambda rows: sorted((r["flow_id"], r["location"]) for r in rows)  # noqa: E731
    assert key(after) == key(before)
    assert len(after) == 4 + 1                       # the proxy's four hits kept, one derived row


def test_without_the_encode_event_the_base64_of_the_ciphertext_is_still_found(standin_scenario, tmp_path):
    session = tmp_path / "s"
    ids = standin_scenario.write(session)
    up = write_encrypted_upload(session, before_consent(ids), with_encode_event=False)
    analyze(session)
    rows = _derived(session)
    assert [r["flow_id"] for r in rows] == [up.flow_id]
    assert rows[0]["encoding"] == "base64>aes>plain"


def test_ciphertext_after_an_iv_is_found_at_any_base64_alignment():
    cipher = bytes(range(100, 148))
    for iv_len in (0, 1, 2, 16):
        wire = base64.b64encode(b"\x07" * iv_len + cipher)
        assert any(n in wire for n, form in crypto.needles(cipher) if form == "base64"), iv_len
    assert any(n in cipher.hex().encode() for n, _ in crypto.needles(cipher))


def test_output_shorter_than_the_distinctive_prefix_is_not_searched():
    assert crypto.needles(b"0123456789") == []


def test_a_flow_missing_from_the_flows_file_leaves_a_note_and_no_rows(standin_scenario, tmp_path):
    session = tmp_path / "s"
    ids = standin_scenario.write(session)
    up = write_encrypted_upload(session, before_consent(ids), save_flow=False)
    result = analyze(session)
    assert _derived(session) == []
    assert any(f"crypto event {up.cipher_event_id}" in n and "imei" in n for n in result.notes)


def test_a_truncated_flows_file_is_read_as_far_as_it_goes(encrypted):
    session, _, up = encrypted
    path = session / "flows.mitm"
    path.write_bytes(path.read_bytes() + b"\x00\x17garbage")
    flows, problem = read_flows(path, {up.flow_id})
    assert [f.id for f in flows] == [up.flow_id]
    assert problem and "flows.mitm" in problem
    analyze(session)
    assert len(_derived(session)) == 1


def test_sessions_whose_crypto_hides_no_value_are_left_untouched(standin_scenario, tmp_path):
    session = tmp_path / "s"
    standin_scenario.write(session)   # an MD5 and a Base64 of values the proxy finds itself: no encryption
    s = load_session(session)
    out = crypto.apply(s)
    s.store.close()
    assert not out.changed and out.rows == []


# -- one name for one place: the carrier of a ciphertext is located as the proxy locates a hit --

def _request(url, body=b"", headers=None):
    f = tflow.tflow()
    f.request = http.Request.make("POST", url)
    for k, v in (headers or {}).items():
        f.request.headers[k] = v
    f.request.raw_content = body
    f.response = None
    return f


def _multipart(value):
    b = "----pa7f3a"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\nv=1\r\n"
            f"--{b}\r\nContent-Disposition: form-data; name=\"blob\"\r\n\r\n{value}\r\n--{b}--\r\n").encode()
    return body, {"content-type": f"multipart/form-data; boundary={b}"}


PLACES = {
    "json key that is not an identifier": (
        lambda v: _request("https://x.example/r", json.dumps({"dev.info": {"id": v}}).encode(),
                           {"content-type": "application/json"}), 'body:json:$["dev.info"].id'),
    "json array": (
        lambda v: _request("https://x.example/r", json.dumps({"events": [{"x": 1}, {"d": v}]}).encode(),
                           {"content-type": "application/json"}), "body:json:$.events[1].d"),
    "gzip-encoded json": (
        lambda v: _request("https://x.example/r", gzip.compress(json.dumps({"payload": v}).encode()),
                           {"content-type": "application/json", "content-encoding": "gzip"}), "body:json:$.payload"),
    "query": (lambda v: _request(f"https://x.example/r?a=1&d={v}"), "query:d"),
    "base64 json in a query value": (
        lambda v: _request("https://x.example/r?q=" + base64.urlsafe_b64encode(json.dumps({"d": v}).encode()).decode()),
        "query:q:json:$.d"),
    "form": (lambda v: _request("https://x.example/r", f"a=1&d={v}".encode(),
                                {"content-type": "application/x-www-form-urlencoded"}), "body:form:d"),
    "cookie": (lambda v: _request("https://x.example/r", headers={"cookie": f"a=1; sid={v}"}), "cookie:sid"),
    "header": (lambda v: _request("https://x.example/r", headers={"x-data": v}), "header:x-data"),
    "url path": (lambda v: _request(f"https://x.example/u/{v}/report"), "url:path"),
    "multipart part": (lambda v: _request("https://x.example/r", *_multipart(v)), "body:multipart:blob"),
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_the_same_value_in_the_same_place_gets_the_same_location_from_the_proxy_and_from_crypto(place):
    imei = DEVICE["imei"]
    make, expected = PLACES[place]
    det = Detector(profile.from_dict({"values": {"imei": imei}}))
    proxy = {h["location"] for h in det.scan_flow(make(imei)).hits if h["source"] == "known_value"}
    flow = make(imei)
    (tied,) = crypto.carriers(det, [flow], [[(imei.encode(), "raw")]])
    assert proxy == {expected}
    assert [(f.id, loc) for f, loc, _ in tied] == [(flow.id, expected)]
