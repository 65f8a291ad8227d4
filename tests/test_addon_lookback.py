"""Look-back: values the hooks report after a flow was scanned are still found in that flow.

A value the hooks runner reports reaches the addon after the read (handed over in one
process, or up to a poll interval later for mitmdump), so a flow sent right after it may
be scanned first. The recorder searches its recent flows again
when such a value arrives; the live session must then hold the same observed_value hits a
replay of its flows.mitm gives (a replay knows every value before its first flow).

Flows go through mitmproxy's own event sequence (tests/support/recorder_harness.py) or a real
mitmdump on loopback whose SDK hosts are answered inside the proxy: nothing is resolved
or sent beyond 127.0.0.1.
"""

import json
import time

import pytest

from addon.lookback import LookbackBuffer, flow_payload, payload_size
from addon.recorder import MARK
from addon.replay import replay
from piiaudit.observed import ObservedValues
from piiaudit.store import SessionStore
from tests.support.demo_device import DEMO_HOSTS, IMEI, PROFILE
from tests.support.demo_traffic import FORM
from tests.support.flows import make_flow
from tests.support.mitmdump import Mitmdump, addon_args, via_proxy
from tests.support.recorder_harness import MODES, Harness

CANARY = "piiaudit-canary-late-4d1e"
PHONE = "13912345678"  # not in the demo profile; a `mobile` key makes it a pattern hit too


def read_event(store, pii_type, value):
    """What the hooks runner writes when the app reads a value."""
    store.write_events([{"ts": time.time(), "kind": "pii_read", "pii_type": pii_type, "value": value,
                         "api": "android.content.ClipboardManager.getPrimaryClip()"}])


def wait_for(fn, timeout=8.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.02)
    return fn()


def caught_up(harness, hooks_store):
    """Wait until the recorder's poll has read every event written so far and handed its
    values to the detector (the condition a fixed sleep would only hope for)."""
    last = hooks_store.rows("SELECT max(id) AS id FROM events")[0]["id"] or 0
    detection = harness.recorder.detection
    assert wait_for(lambda: detection.poll is not None and detection.poll.watermark >= last
                    and detection.values_waiting == 0), "the poll did not catch up"


def hits(session, where="1=1", params=()):
    return SessionStore(session, create=False).rows(
        f"SELECT flow_id, pii_type, location, encoding, source, value, detail FROM pii_hits WHERE {where}", params)


def observed(session, flow_id=None):
    if flow_id is None:
        return hits(session, "source = 'observed_value'")
    return hits(session, "source = 'observed_value' AND flow_id = ?", [flow_id])


def post(url, body, ts=None):
    return make_flow(url, body, dict(FORM), ts=ts if ts is not None else time.time())


def check_worker(harness, process):
    if process and harness.recorder.detection.process is None:
        pytest.skip("no detection process on this machine (one core)")


@MODES
def test_a_value_read_after_its_flow_was_scanned_is_found_on_look_back(tmp_path, process):
    session = tmp_path / "s"
    hooks_store = SessionStore(session)
    sent = post("https://stats.jpush.cn/v3/c", f"clip={CANARY}&n=1".encode())
    harness = Harness(session, piiaudit_detect_process=process)
    seen_live = []

    def hooks_runner_reads(i):
        check_worker(harness, process)
        assert observed(session) == []  # scanned before the value was known
        read_event(hooks_store, "clipboard", CANARY)
        # No further flow: the poll alone brings the value, and the look-back, while running.
        seen_live.extend(wait_for(lambda: observed(session, sent.id)))

    store = harness.run([sent], between=hooks_runner_reads)
    assert [(h["pii_type"], h["location"], h["value"]) for h in seen_live] == [("clipboard", "body:form:clip", CANARY)]
    (row,) = observed(session, sent.id)
    detail = json.loads(row["detail"])
    assert detail["lookback"] is True and detail["matched"] == CANARY
    assert 0 <= detail["lookback_delay_s"] < 15
    assert store.count("errors") == 0
    assert harness.recorder.late_hits == 1
    # mitmproxy still held the flow: its mark and comment say what was found later.
    assert sent.marked == MARK and "found on look-back: clipboard @ body:form:clip" in sent.comment


@MODES
def test_a_value_handed_over_in_one_process_reaches_the_detector_without_a_poll(tmp_path, process):
    session = tmp_path / "s"
    values = ObservedValues()
    sent = post("https://stats.jpush.cn/v3/c", f"clip={CANARY}&n=1".encode())
    later = post("https://stats.jpush.cn/v3/c", f"again={CANARY}".encode())
    harness = Harness(session, piiaudit_detect_process=process, observed=values)

    def hooks_runner_reads(i):
        check_worker(harness, process)
        if i == 0:
            values.add("clipboard", CANARY)  # the hooks runner's hand-over; nothing in session.db
            assert wait_for(lambda: observed(session, sent.id))

    store = harness.run([sent, later], between=hooks_runner_reads)
    assert {h["flow_id"] for h in observed(session)} == {sent.id, later.id}
    assert json.loads(observed(session, sent.id)[0]["detail"])["lookback"] is True
    assert "lookback" not in json.loads(observed(session, later.id)[0]["detail"])  # known when it came
    assert store.count("events") == 0


@MODES
def test_a_value_read_just_before_the_proxy_stops_is_looked_back_at_on_stop(tmp_path, process):
    session = tmp_path / "s"
    hooks_store = SessionStore(session)
    sent = post("https://stats.jpush.cn/v3/c", f"clip={CANARY}".encode())
    harness = Harness(session, piiaudit_detect_process=process)

    def hooks_runner_reads(i):
        check_worker(harness, process)
        read_event(hooks_store, "clipboard", CANARY)  # and the proxy stops at once

    harness.run([sent], between=hooks_runner_reads)
    (row,) = observed(session, sent.id)
    assert json.loads(row["detail"])["lookback"] is True


@MODES
def test_flows_older_than_the_window_are_not_searched_again(tmp_path, process):
    session = tmp_path / "s"
    hooks_store = SessionStore(session)
    t0 = time.time() - 100
    old = post("https://stats.jpush.cn/v3/c", f"clip={CANARY}&n=old".encode(), ts=t0)
    recent = post("https://stats.jpush.cn/v3/c", f"clip={CANARY}&n=recent".encode(), ts=t0 + 45)
    newest = post("https://api.demoshop.example/v1/banner", b"x=1", ts=t0 + 60)
    harness = Harness(session, piiaudit_detect_process=process)  # window: 30 s of flow time

    def hooks_runner_reads(i):
        check_worker(harness, process)
        if i == 2:
            read_event(hooks_store, "clipboard", CANARY)
            wait_for(lambda: observed(session))

    harness.run([old, recent, newest], between=hooks_runner_reads)
    assert [h["flow_id"] for h in observed(session)] == [recent.id]  # 15 s before the newest flow; `old` 60 s


@MODES
def test_a_value_reported_twice_gives_one_hit_per_place(tmp_path, process):
    session = tmp_path / "s"
    hooks_store = SessionStore(session)
    read_event(hooks_store, "clipboard", "piiaudit-canary-known-first")
    first = post("https://stats.jpush.cn/v3/c", f"clip={CANARY}&known=piiaudit-canary-known-first".encode())
    second = post("https://stats.jpush.cn/v3/c", f"again={CANARY}".encode())
    harness = Harness(session, piiaudit_detect_process=process)

    def hooks_runner_reads(i):
        check_worker(harness, process)
        if i == 1:
            read_event(hooks_store, "clipboard", CANARY)
            wait_for(lambda: len(observed(session)) >= 3)
            read_event(hooks_store, "clipboard", CANARY)             # the app reads it again
            read_event(hooks_store, "clipboard", f"  {CANARY}  ")    # the same value, spaced
            read_event(hooks_store, "imei", IMEI)                     # a profile value: already searched for
            caught_up(harness, hooks_store)

    harness.run([first, second], between=hooks_runner_reads)
    got = sorted((h["flow_id"], h["location"], h["value"]) for h in observed(session))
    assert got == sorted([
        (first.id, "body:form:known", "piiaudit-canary-known-first"),   # known when the flow came
        (first.id, "body:form:clip", CANARY),
        (second.id, "body:form:again", CANARY),
    ])
    imei = hits(session, "pii_type = 'imei'")
    assert imei == [] or all(h["source"] == "known_value" for h in imei)


@MODES
def test_a_late_value_where_a_pattern_was_found_supersedes_the_pattern_row(tmp_path, process):
    session = tmp_path / "s"
    hooks_store = SessionStore(session)
    sent = post("https://stats.jpush.cn/v3/user", f"mobile={PHONE}&v=2".encode())
    harness = Harness(session, piiaudit_detect_process=process)

    def hooks_runner_reads(i):
        check_worker(harness, process)
        read_event(hooks_store, "phone_number", PHONE)
        wait_for(lambda: observed(session))

    harness.run([sent], between=hooks_runner_reads)
    rows = hits(session, "flow_id = ? AND pii_type = 'phone_number'", [sent.id])
    assert [(h["source"], h["location"]) for h in rows] == [("observed_value", "body:form:mobile")]
    detail = json.loads(rows[0]["detail"])
    assert detail["lookback"] is True
    assert detail["support"] == [{"source": "pattern", "pii_type": "phone_number", "encoding": "plain",
                                  "confidence": 0.95, "value": PHONE, "rule": "cn-mobile"}]


@MODES
def test_look_back_off_records_only_what_the_live_scan_found(tmp_path, process):
    session = tmp_path / "s"
    hooks_store = SessionStore(session)
    sent = post("https://stats.jpush.cn/v3/c", f"clip={CANARY}".encode())
    harness = Harness(session, piiaudit_detect_process=process, piiaudit_lookback_s=0)

    def hooks_runner_reads(i):
        check_worker(harness, process)
        read_event(hooks_store, "clipboard", CANARY)
        caught_up(harness, hooks_store)

    harness.run([sent], between=hooks_runner_reads)
    assert observed(session) == []


def test_a_look_back_failure_is_an_error_row_and_recording_goes_on(tmp_path):
    session = tmp_path / "s"
    hooks_store = SessionStore(session)
    first = post("https://stats.jpush.cn/v3/c", f"clip={CANARY}".encode())
    after = post("https://stats.jpush.cn/v3/c", f"clip={CANARY}&n=2".encode())
    harness = Harness(session, piiaudit_detect_process=False)

    def hooks_runner_reads(i):
        if i == 0:
            def broken(values):
                raise RuntimeError("look-back exploded")
            harness.recorder.detection.scanner.recent.rescan = broken
            read_event(hooks_store, "clipboard", CANARY)
            caught_up(harness, hooks_store)

    store = harness.run([first, after], between=hooks_runner_reads)
    assert {r["id"] for r in store.rows("SELECT id FROM flows")} == {first.id, after.id}
    assert [h["flow_id"] for h in observed(session)] == [after.id]  # scanned knowing the value
    (err,) = store.rows("SELECT component, message FROM errors")
    assert err["component"] == "addon" and "look-back exploded" in err["message"]


def test_the_buffer_is_bounded_by_age_count_and_bytes():
    def flow(i, ts, size=100):
        return f"f{i}", flow_payload(make_flow(f"https://stats.jpush.cn/v3/c?n={i}", b"x" * size, ts=ts))

    by_count = LookbackBuffer(window_s=30, max_flows=3, max_bytes=1 << 20)
    for i in range(5):
        by_count.add(*flow(i, 1000.0 + i), [])
    assert len(by_count) == 3

    one = payload_size(flow(0, 0.0, 10_000)[1])
    by_bytes = LookbackBuffer(window_s=30, max_flows=100, max_bytes=int(one * 2.5))
    for i in range(5):
        by_bytes.add(*flow(i, 1000.0 + i, 10_000), [])
    assert len(by_bytes) == 2 and by_bytes.bytes <= by_bytes.max_bytes
    by_bytes.add(*flow(9, 1010.0, 100_000), [])  # larger than the whole buffer: not kept
    assert len(by_bytes) == 2

    by_age = LookbackBuffer(window_s=30, max_flows=100, max_bytes=1 << 20)
    by_age.add(*flow(0, 1000.0), [])
    by_age.add(*flow(1, 1020.0), [])
    by_age.add(*flow(2, 1040.0), [])  # 1000 is now 40 s behind
    assert len(by_age) == 2

    off = LookbackBuffer(window_s=0)
    off.add(*flow(0, 1000.0), [])
    assert len(off) == 0 and list(off.rescan([("clipboard", CANARY, None)])) == []


# -- live proxy, then a replay of what it saved ---------------------------------------------

def live_then_replay(tmp_path, process):
    session = tmp_path / "live"
    hooks_store = SessionStore(session)
    args = addon_args(session, PROFILE, respond_hosts=DEMO_HOSTS)
    if not process:
        args += ["--set", "piiaudit_detect_process=false"]
    spaced = "piiaudit-canary-idle-77aa"
    at_stop = "piiaudit-canary-stop-03bf"
    with Mitmdump(tmp_path / "conf", args, cwd=tmp_path) as proxy:
        def send(url, body):
            status, _ = via_proxy(proxy.port, proxy.ca_pem, "POST", url, body, FORM)
            assert status == 200

        # The app reads the clipboard and sends it at once; the read is reported after.
        send("https://stats.jpush.cn/v3/c", f"clip={CANARY}".encode())
        send("https://ulogs.umeng.com/unify_logs", f"d={CANARY}&mobile={PHONE}".encode())
        read_event(hooks_store, "clipboard", CANARY)
        read_event(hooks_store, "phone_number", PHONE)
        send("https://stats.jpush.cn/v3/c", f"clip={CANARY}&n=2".encode())  # may come before or after the poll
        # Another read, reported while the proxy idles.
        send("https://api.demoshop.example/v1/p", f"paste={spaced}".encode())
        read_event(hooks_store, "clipboard", spaced)
        assert wait_for(lambda: [h for h in observed(session) if h["value"] == spaced]), "\n".join(proxy.output)
        # A read reported just as the proxy stops.
        send("https://stats.jpush.cn/v3/c", f"clip={at_stop}".encode())
        read_event(hooks_store, "clipboard", at_stop)
    assert proxy.proc.returncode == 0, "\n".join(proxy.output)

    again = tmp_path / "again"
    SessionStore(again).write_events(
        {k: v for k, v in r.items() if k != "id"} for r in hooks_store.rows("SELECT * FROM events"))
    stats = replay(session / "flows.mitm", again, PROFILE)
    assert stats["errors"] == 0, stats["messages"]
    return session, again


@MODES
def test_the_live_session_has_the_observed_value_hits_a_replay_finds(tmp_path, process):
    session, again = live_then_replay(tmp_path, process)

    def key(h):
        return (h["flow_id"], h["pii_type"], h["location"], h["encoding"], h["value"])

    live, replayed = observed(session), observed(again)
    assert {key(h) for h in live} == {key(h) for h in replayed}
    assert len(live) == len(replayed) == 6  # one row per flow and place, none twice
    assert any(json.loads(h["detail"]).get("lookback") for h in live)
    assert not any(json.loads(h["detail"]).get("lookback") for h in replayed)
    assert SessionStore(session, create=False).rows("SELECT message FROM errors") == []
