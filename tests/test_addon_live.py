"""The addon inside a real mitmdump: HTTPS and plain HTTP through the proxy, hostile bodies,
a connection that fails, and a proxy killed with SIGKILL.

The SDK hosts are answered by the LocalResponder inside the proxy (lazy connection
strategy): nothing is resolved or sent beyond loopback. The failing connection goes to a
closed port on 127.0.0.1. The capture is tests/support/demo_traffic.py's, made once per run
(the `demo_capture` fixture).
"""

import hashlib
import threading
import time

import pytest
from mitmproxy import io
from mitmproxy.net.http.http1 import assemble_request, assemble_response

from addon.recorder import MARK
from addon.replay import replay
from piiaudit import runs
from piiaudit.store import SessionStore
from tests.support.demo_device import ANDROID_ID, DEMO_HOSTS, PROFILE
from tests.support.demo_traffic import demo_traffic
from tests.support.mitmdump import Mitmdump, addon_args, via_proxy


@pytest.fixture(scope="module")
def live(demo_capture):
    store = SessionStore(demo_capture.session, create=False)
    with open(demo_capture.session / "flows.mitm", "rb") as fo:
        saved = list(io.FlowReader(fo).stream())
    return store, demo_capture.statuses, saved


def flow_for(store, saved, method, url, body=None):
    matches = [f for f in saved if f.request.method == method and f.request.pretty_url == url
               and (body is None or f.request.raw_content == body)]
    assert len(matches) == 1, f"{method} {url}: {len(matches)} saved flows"
    return matches[0]


def hits_of(store, flow_id):
    return {(h["pii_type"], h["location"], h["encoding"])
            for h in store.rows("SELECT pii_type, location, encoding FROM pii_hits WHERE flow_id = ?", [flow_id])}


def test_every_client_got_its_answer(live):
    statuses = dict(live[1])
    assert statuses.pop("refused") == 502  # mitmproxy's answer for an unreachable upstream
    assert statuses == {name: 200 for name in statuses}


def test_every_flow_has_a_row_and_is_in_flows_mitm(live):
    store, statuses, saved = live
    rows = {r["id"]: r for r in store.rows("SELECT * FROM flows")}
    assert len(rows) == len(statuses) == len(saved)
    assert set(rows) == {f.id for f in saved}
    for f in saved:
        row = rows[f.id]
        assert row["method"] == f.request.method and row["url"] == f.request.pretty_url
        assert row["host"] == f.request.pretty_host and row["capture"] == "live"
        assert row["ts_start"] == pytest.approx(f.request.timestamp_start)
        assert abs(row["ts_start"] - time.time()) < 600  # host epoch seconds
        assert row["request_sha256"] == hashlib.sha256(assemble_request(f.request)).hexdigest()
        if f.response is not None:
            assert row["status"] == f.response.status_code == 200
            assert row["response_sha256"] == hashlib.sha256(assemble_response(f.response)).hexdigest()


def test_the_scenarios_pii_is_found_where_and_how_it_was_sent(live):
    store, _, saved = live
    traffic = demo_traffic()
    expect = {
        "umeng_md5_json": ("imei", "body:json:$.header.imei_md5", "md5"),
        "jpush_b64_form": ("android_id", "body:form:aid", "base64"),
        "jpush_plain_http": ("android_id", "query:aid", "plain"),
    }
    for name, hit in expect.items():
        method, url, body, _ = traffic[name]
        f = flow_for(store, saved, method, url, body)
        assert hit in hits_of(store, f.id), name
    shop = flow_for(store, saved, "GET", traffic["shop_location"][1])
    assert "location" in {t for t, _, _ in hits_of(store, shop.id)}


def test_flows_with_pii_are_marked_and_commented_in_the_saved_file(live):
    store, _, saved = live
    with_hits = {r["flow_id"] for r in store.rows("SELECT DISTINCT flow_id FROM pii_hits")}
    assert with_hits
    for f in saved:
        if f.id in with_hits:
            assert f.marked == MARK
            types = {r["pii_type"] for r in store.rows("SELECT pii_type FROM pii_hits WHERE flow_id = ?", [f.id])}
            assert f.comment.startswith("piiaudit: ") and all(t in f.comment for t in types)
        else:
            assert f.marked == ""


def test_hostile_bodies_are_recorded_and_reported(live):
    store, _, saved = live
    traffic = demo_traffic()
    gz = flow_for(store, saved, "POST", traffic["truncated_gzip"][1], traffic["truncated_gzip"][2])
    (row,) = store.rows("SELECT error FROM flows WHERE id = ?", [gz.id])
    assert row["error"], "a body that cannot be decoded is reported on its flow"
    assert store.rows("SELECT message FROM errors WHERE flow_id = ? AND component = 'addon'", [gz.id])
    # Binary and invalid UTF-8 bodies: the identifier inside is still found.
    for name in ("binary", "invalid_utf8"):
        method, url, body, _ = traffic[name]
        f = flow_for(store, saved, method, url, body)
        assert "imei" in {t for t, _, _ in hits_of(store, f.id)}, name


def test_a_refused_connection_is_recorded_without_response(live):
    store, _, saved = live
    (f,) = [f for f in saved if f.request.pretty_host == "127.0.0.1"]
    assert f.response is None and f.error is not None
    (row,) = store.rows("SELECT status, response_sha256 FROM flows WHERE id = ?", [f.id])
    assert row == {"status": None, "response_sha256": None}
    assert ("android_id", "query:aid", "plain") in hits_of(store, f.id)


def test_a_proxy_killed_with_sigkill_keeps_every_committed_batch(tmp_path):
    session = tmp_path / "killed"
    stop = threading.Event()
    sent = [0]
    with Mitmdump(tmp_path / "conf", addon_args(session, PROFILE, respond_hosts=DEMO_HOSTS), cwd=tmp_path) as proxy:
        def client():
            while not stop.is_set():
                try:
                    via_proxy(proxy.port, proxy.ca_pem, "GET", f"http://stats.jpush.cn/v3/hb?aid={ANDROID_ID}&n={sent[0]}")
                    sent[0] += 1
                except OSError:
                    return  # the proxy is gone

        t = threading.Thread(target=client)
        t.start()
        deadline = time.monotonic() + 20
        committed = 0
        while committed < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
            if (session / "session.db").exists():
                committed = SessionStore(session, create=False).count("flows")
        assert committed >= 40, "batches are committed while the proxy runs"
        time.sleep(0.2)  # more traffic in flight and in the queue
        proxy.kill()
        stop.set()
        t.join(10)

    store = SessionStore(session, create=False)
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    in_db = {r["id"] for r in store.rows("SELECT id FROM flows")}
    assert len(in_db) >= committed
    assert store.count("pii_hits") == len(in_db)  # every committed flow kept its hit
    (run,) = runs.partial(store)                    # the session says it is partial
    assert run["stage"] == "proxy" and not run["running"]
    # flows.mitm is written before a row is queued: it holds every flow of the database,
    # and replays up to its last complete record.
    stats = replay(session / "flows.mitm", tmp_path / "again", PROFILE)
    again = SessionStore(tmp_path / "again", create=False)
    assert in_db <= {r["id"] for r in again.rows("SELECT id FROM flows")}
    assert stats["flows"] >= len(in_db) and stats["flows"] <= sent[0] + 1
