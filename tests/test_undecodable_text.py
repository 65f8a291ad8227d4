"""Bytes that are not UTF-8 in a flow's path, query key or header: the flow row and its hits
are stored all the same, the text escaped (`\\xff`) with the SHA-256 of the raw bytes beside
it (flows.escaped), and a replay says how many flows that concerned.
"""

import hashlib
import json

from mitmproxy import io

from addon.replay import replay
from piiaudit import rawtext
from piiaudit.store import SessionStore
from piiaudit.values import value_sha256
from tests.support.demo_device import IMEI, PROFILE
from tests.support.flows import make_flow
from tests.support.recorder_harness import MODES, Harness


def _hostile_flows():
    path = make_flow("https://api.example.com/v1/x", b'{"a":1}', {"content-type": "application/json"})
    path.request.data.path = b"/v1/\xffx?imei=" + IMEI.encode()
    header = make_flow(f"https://api.example.com/v1/y?imei={IMEI}", b'{"a":1}')
    header.request.headers.fields += ((b"content-type", b"application/json\xff"),)
    key = make_flow("https://api.example.com/v1/z", b"{}")
    key.request.data.path = b"/v1/z?k\xff=1&imei=" + IMEI.encode()
    return {"path": path, "header": header, "key": key}


def test_escaping_keeps_ascii_and_utf8_and_writes_each_undecodable_byte_as_backslash_x():
    assert rawtext.escape("plain/路径") == "plain/路径"
    assert rawtext.escape(b"/v1/\xffx".decode("utf-8", "surrogateescape")) == "/v1/\\xffx"
    assert rawtext.escape("a\ud800b") == "a\\ud800b"   # a lone surrogate that is no escaped byte
    raw = b"application/json\xff"
    assert rawtext.raw_sha256(raw.decode("utf-8", "surrogateescape")) == hashlib.sha256(raw).hexdigest()


@MODES
def test_a_flow_with_bytes_that_are_not_utf8_is_stored_escaped_with_its_hits(tmp_path, process):
    flows = _hostile_flows()
    store = Harness(tmp_path / "s", piiaudit_detect_process=process).run(list(flows.values()))
    rows = {r["id"]: r for r in store.rows("SELECT * FROM flows")}
    assert set(rows) == {f.id for f in flows.values()}, store.rows("SELECT message FROM errors")
    assert store.rows("SELECT message FROM errors") == []

    path = rows[flows["path"].id]
    assert path["url"] == f"https://api.example.com/v1/\\xffx?imei={IMEI}"
    raw_url = f"https://api.example.com/v1/\xffx?imei={IMEI}".encode("latin-1")
    assert json.loads(path["escaped"]) == {"url": hashlib.sha256(raw_url).hexdigest()}

    header = rows[flows["header"].id]
    assert header["content_type"] == "application/json\\xff"
    assert json.loads(header["escaped"]) == {"content_type": hashlib.sha256(b"application/json\xff").hexdigest()}

    key = rows[flows["key"].id]
    assert key["url"] == f"https://api.example.com/v1/z?k\\xff=1&imei={IMEI}"
    assert set(json.loads(key["escaped"])) == {"url"}
    assert rows[flows["path"].id]["request_sha256"]  # the evidence hash is over the raw message

    hits = store.rows("SELECT flow_id, pii_type, value, value_sha256 FROM pii_hits WHERE pii_type = 'imei'")
    assert {h["flow_id"] for h in hits} == set(rows)
    assert all(h["value"] == IMEI and h["value_sha256"] == value_sha256(IMEI) for h in hits)


def test_any_text_with_undecodable_bytes_reaches_sqlite_escaped_never_lost(tmp_path):
    store = SessionStore(tmp_path / "s")
    bad = b"k\xff".decode("utf-8", "surrogateescape")
    store.write({"errors": [{"ts": 1.0, "component": "addon", "message": f"at {bad}", "detail": {bad: [bad]}}],
                 "meta": [{"key": bad, "value": bad}]})
    (err,) = store.rows("SELECT message, detail FROM errors")
    assert err["message"] == "at k\\xff" and json.loads(err["detail"]) == {"k\\xff": ["k\\xff"]}
    assert store.rows("SELECT key, value FROM meta WHERE key LIKE 'k%'") == [{"key": "k\\xff", "value": "k\\xff"}]


def test_replay_stores_such_flows_and_says_how_many_were_escaped(tmp_path):
    capture = tmp_path / "hostile.mitm"
    with capture.open("wb") as fo:
        w = io.FlowWriter(fo)
        for f in _hostile_flows().values():
            w.add(f)
    stats = replay(capture, tmp_path / "s", PROFILE)
    assert stats["flows"] == 3 and stats["errors"] == 0 and stats["escaped"] == 3
    assert any("3 flows" in m and "not UTF-8" in m and "escaped" in m for m in stats["messages"])
    store = SessionStore(tmp_path / "s", create=False)
    assert store.count("flows") == 3 and store.count("pii_hits") >= 3
