"""Host names, paths and header blocks that held nothing are not searched again (the
detector's memo, engine.Scanner.scan): what a flow yields never depends on it."""

from piiaudit.detect import Detector, ScanLimits, decoders, engine
from piiaudit import profile
from tests.support.demo_device import ANDROID_ID, PROFILE
from tests.support.flows import request_flow as req


def _flow(token: str = "t-0001", body: bytes = b'{"a": 1}'):
    return req("POST", "https://stats.example.cn/v3/report/x", body,
               {"content-type": "application/json", "x-token": token, "user-agent": "Dalvik/2.1.0"})


def _summary(result):
    return ([(h["pii_type"], h["location"], h["encoding"], h["source"], h["value"]) for h in result.hits],
            result.capped, result.errors)


def test_a_value_observed_later_is_found_in_a_header_block_seen_before(det):
    det.observe("oaid", "1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b")   # builds the indexes once
    token = "9f3b2c1d4e5a6b7c8d9e0f1a"
    first = det.scan_flow(_flow(token))
    assert not [h for h in first.hits if h["location"].startswith("header:")]
    again = det.scan_flow(_flow(token))               # served from the memo: still nothing
    assert _summary(again) == _summary(first)
    det.observe("advertising_id", token)              # the hooks saw the app read it
    later = det.scan_flow(_flow(token))
    assert [(h["pii_type"], h["location"], h["source"]) for h in later.hits] == \
        [("advertising_id", "header:x-token", "observed_value")]


def test_a_header_carrying_a_known_value_is_found_every_time(det):
    flows = [_flow(ANDROID_ID) for _ in range(3)]
    got = [_summary(det.scan_flow(f)) for f in flows]
    assert got[0] == got[1] == got[2]
    assert ("android_id", "header:x-token") in [(h[0], h[1]) for h in got[0][0]]


def test_memo_changes_no_result_over_varied_flows(monkeypatch):
    bodies = [b'{"a": 1}', b'imei=867530912345673&x=1', b'{"phone": "13800138000"}', b'']
    flows = [_flow(tok, body) for tok in ("t-0001", ANDROID_ID, "13800138000", "t-0001")
             for body in bodies] * 2
    with_memo = _demo_detector()
    got = [_summary(with_memo.scan_flow(f)) for f in flows]
    assert with_memo._memo, "the memo was never used: the test would prove nothing"
    monkeypatch.setattr(engine, "MEMO_KINDS", frozenset())
    plain = _demo_detector()
    assert [_summary(plain.scan_flow(f)) for f in flows] == got
    assert not plain._memo


def test_memo_is_bounded(det, monkeypatch):
    monkeypatch.setattr(engine, "MEMO_MAX_ENTRIES", 8)
    for i in range(50):
        det.scan_flow(_flow(f"t-{i:04d}"))
    assert 0 < len(det._memo) <= 8


def _demo_detector() -> Detector:
    return Detector(profile.load(PROFILE), limits=ScanLimits())


# -- a message's header fields read once (decoders._read_headers) ---------------------------------
def test_header_fields_memo_changes_no_result(monkeypatch):
    """Same header fields flow after flow (as an SDK sends them), some carrying a value, one
    gzip body whose Content-Encoding is read from the remembered fields: every result is the
    one a detector reading every header afresh gives."""
    import gzip
    flows = [_flow(tok, body) for tok in ("t-0001", ANDROID_ID, "t-0001") for body in
             (b'{"a": 1}', b'imei=867530912345673&x=1')] * 3
    zipped = req("POST", "https://stats.example.cn/v3/z", gzip.compress(b'{"imei": "867530912345673"}'),
                 {"content-type": "application/json", "content-encoding": "gzip"})
    flows += [zipped, zipped]
    decoders._header_memo.clear()
    got = [_summary(_demo_detector().scan_flow(f)) for f in flows]
    assert decoders._header_memo, "the header memo was never used: the test would prove nothing"
    assert ("imei", "body:json:$.imei", "867530912345673") in [(h[0], h[1], h[4]) for h in got[-1][0]]
    monkeypatch.setattr(decoders, "HEADER_MEMO_MAX_BYTES", -1)     # nothing is remembered
    decoders._header_memo.clear()
    assert [_summary(_demo_detector().scan_flow(f)) for f in flows] == got
    assert not decoders._header_memo


def test_header_fields_memo_is_bounded(det, monkeypatch):
    monkeypatch.setattr(decoders, "HEADER_MEMO_MAX_ENTRIES", 8)
    decoders._header_memo.clear()
    for i in range(50):
        det.scan_flow(_flow(f"t-{i:04d}"))
    assert 0 < len(decoders._header_memo) <= 8
