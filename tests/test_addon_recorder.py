"""The Recorder inside a real mitmproxy Master: rows, hits, hashes, marks, batching, faults.

Flows are real mitmproxy objects passed through mitmproxy's own event sequence
(`Master.load_flow`), the same path `mitmdump -r` takes; the proxy itself is exercised in
test_addon_live.py.
"""

import asyncio
import gzip
import hashlib
import json
import os
import signal
import time

import pytest
from mitmproxy import exceptions, flow, master, options
from mitmproxy.net.http.http1 import assemble_request, assemble_response
from mitmproxy.test import tflow

from addon.recorder import MARK, Recorder
from piiaudit.observed import ObservedValues
from piiaudit.store import SessionStore
from tests.support.demo_device import ANDROID_ID, IMEI
from tests.support.flows import make_flow
from tests.support.recorder_harness import MODES, Harness, saved_flows


@MODES
def test_flow_row_carries_the_fixed_columns_and_hashes_of_the_message_as_saved(tmp_path, process):
    payload = json.dumps({"header": {"imei": IMEI, "appkey": "x"}}).encode()
    f = make_flow("https://ulogs.umeng.com/unify_logs", gzip.compress(payload),
                  {"content-type": "application/json", "content-encoding": "gzip"})
    store = Harness(tmp_path / "s", piiaudit_detect_process=process).run([f])
    (row,) = store.rows("SELECT * FROM flows")
    assert row["id"] == f.id and row["method"] == "POST" and row["status"] == 200
    assert row["url"] == "https://ulogs.umeng.com/unify_logs" and row["host"] == "ulogs.umeng.com"
    assert row["ts_start"] == pytest.approx(1_700_000_000.0) and row["capture"] == "live"
    (saved,) = saved_flows(tmp_path / "s")
    # The hash is over the transferred (gzip) body, recomputable from flows.mitm.
    assert row["request_sha256"] == hashlib.sha256(assemble_request(saved.request)).hexdigest()
    assert row["response_sha256"] == hashlib.sha256(assemble_response(saved.response)).hexdigest()
    assert gzip.compress(payload)[10:] in assemble_request(saved.request)
    assert row["request_size"] == len(gzip.compress(payload))
    hits = store.rows("SELECT pii_type, flow_id, value FROM pii_hits")
    assert ("imei", f.id, IMEI) in [(h["pii_type"], h["flow_id"], h["value"]) for h in hits]


@MODES
def test_flows_with_pii_are_marked_and_commented_before_they_are_saved(tmp_path, process):
    hit = make_flow(f"http://stats.jpush.cn/v3/hb?aid={ANDROID_ID}", method="GET")
    clean = make_flow("https://api.demoshop.example/v1/banner", method="GET")
    clean.comment = "checked by hand"
    Harness(tmp_path / "s", piiaudit_detect_process=process).run([hit, clean])
    by_id = {f.id: f for f in saved_flows(tmp_path / "s")}
    assert by_id[hit.id].marked == MARK
    assert by_id[hit.id].comment.startswith("piiaudit: ") and "android_id @ query:aid" in by_id[hit.id].comment
    assert by_id[clean.id].marked == "" and by_id[clean.id].comment == "checked by hand"


class UpdateCounter:
    """Stands where mitmweb's flow view is (an addon named "view") and counts refreshes."""

    name = "view"

    def __init__(self):
        self.updated = []

    def update(self, flows):
        self.updated.extend(f.id for f in flows)


def test_a_flow_view_is_refreshed_when_the_answer_comes_and_mitmdump_pays_nothing(tmp_path):
    def extra_updates(view_name):
        """Update events the leaky flow got beyond those of a clean one (mitmproxy sends its own)."""
        view = UpdateCounter()
        view.name = view_name
        leaky = make_flow(f"https://ulogs.umeng.com/unify_logs?imei={IMEI}")
        clean = make_flow("https://api.demoshop.example/v1/ping")
        Harness(tmp_path / view_name, extra_addons=[view]).run([leaky, clean]).close()
        return view.updated.count(leaky.id) - view.updated.count(clean.id)

    assert extra_updates("view") == 1        # mitmweb / console: the hits show up once the answer comes
    assert extra_updates("not-a-view") == 0  # mitmdump: no flow view, no event through every addon


@MODES
def test_a_flow_without_response_is_recorded(tmp_path, process):
    f = make_flow(f"https://stats.jpush.cn/v3/report?aid={ANDROID_ID}", status=None)
    f.error = flow.Error("Connection killed.")
    store = Harness(tmp_path / "s", piiaudit_detect_process=process).run([f])
    (row,) = store.rows("SELECT id, status, response_sha256 FROM flows")
    assert row == {"id": f.id, "status": None, "response_sha256": None}
    assert store.count("pii_hits") >= 1


@MODES
def test_a_websocket_flow_is_recorded_once_when_it_ends(tmp_path, process):
    ws = tflow.twebsocketflow()
    store = Harness(tmp_path / "s", piiaudit_detect_process=process).run([ws])
    assert [r["id"] for r in store.rows("SELECT id FROM flows")] == [ws.id]
    assert len(saved_flows(tmp_path / "s")) == 1


def test_a_detector_failure_costs_one_flows_hits_and_nothing_else(tmp_path):
    flows = [make_flow(f"https://stats.jpush.cn/v3/hb?aid={ANDROID_ID}&n={i}", method="GET") for i in range(3)]
    harness = Harness(tmp_path / "s", piiaudit_detect_process=False)

    async def go():
        await harness._start()
        real = harness.detection.scanner.detector.scan_flow

        def flaky(flow):
            if flow is flows[1]:
                raise RuntimeError("decoder exploded")
            return real(flow)

        harness.detection.scanner.detector.scan_flow = flaky
        for f in flows:
            await harness.master.load_flow(f)  # must not raise
        await harness.master.done()

    asyncio.run(go())
    store = SessionStore(tmp_path / "s", create=False)
    rows = {r["id"]: r for r in store.rows("SELECT id, error FROM flows")}
    assert set(rows) == {f.id for f in flows}
    assert "decoder exploded" in rows[flows[1].id]["error"]
    assert rows[flows[0].id]["error"] is None and rows[flows[2].id]["error"] is None
    hit_flows = {r["flow_id"] for r in store.rows("SELECT flow_id FROM pii_hits")}
    assert hit_flows == {flows[0].id, flows[2].id}
    (err,) = store.rows("SELECT component, flow_id, message FROM errors")
    assert err["component"] == "addon" and err["flow_id"] == flows[1].id and "decoder exploded" in err["message"]
    assert {f.id for f in saved_flows(tmp_path / "s")} == {f.id for f in flows}


def test_if_the_detection_process_dies_every_flow_is_still_recorded(tmp_path):
    flows = [make_flow(f"https://stats.jpush.cn/v3/hb?aid={ANDROID_ID}&n={i}", method="GET") for i in range(20)]
    harness = Harness(tmp_path / "s")

    async def go():
        await harness._start()
        assert harness.detection.process is not None
        for i, f in enumerate(flows):
            if i == 10:
                os.kill(harness.detection.process.proc.pid, signal.SIGKILL)
                while harness.detection.process is not None:  # until the proxy notices the closed pipe
                    await asyncio.sleep(0.01)
            await harness.master.load_flow(f)
        await harness.master.done()

    asyncio.run(go())
    store = SessionStore(tmp_path / "s", create=False)
    assert {r["id"] for r in store.rows("SELECT id FROM flows")} == {f.id for f in flows}
    assert {r["flow_id"] for r in store.rows("SELECT flow_id FROM pii_hits")} == {f.id for f in flows}
    (err,) = store.rows("SELECT message FROM errors")
    assert "detection process ended" in err["message"]


def wait_for(fn, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not fn():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@MODES
@pytest.mark.parametrize("linked", [True, False], ids=["handed-over", "polled"])
def test_values_read_by_the_hooks_are_searched_for(tmp_path, process, linked):
    # One value was read before the proxy started, one while it runs: handed over in one
    # process (record, demo), or found in session.db by polling (mitmdump on its own).
    canary_before, canary_during = "piiaudit-canary-before-51c2", "piiaudit-canary-during-9e07"
    session = tmp_path / "s"
    hooks_store = SessionStore(session)
    observed = ObservedValues() if linked else None

    def read(value):
        """What the hooks runner does when the app reads a value."""
        if observed is not None:
            observed.add("clipboard", value)
        hooks_store.write_events([{"ts": time.time(), "kind": "pii_read", "pii_type": "clipboard", "value": value}])

    read(canary_before)
    early = make_flow("https://stats.jpush.cn/v3/c", f"clip={canary_before}".encode(),
                      {"content-type": "application/x-www-form-urlencoded"})
    late = make_flow("https://stats.jpush.cn/v3/c", f"clip={canary_during}".encode(),
                     {"content-type": "application/x-www-form-urlencoded"})
    harness = Harness(session, piiaudit_detect_process=process, observed=observed, piiaudit_lookback_s=0)

    polling = []

    def hooks_runner_reads(i):
        if i == 0:
            polling.append(harness.detection.poll is not None)
            read(canary_during)
            if not linked:
                wait_for(lambda: canary_during in {v for _, v, _ in harness.detection.observed.values()})

    store = harness.run([early, late], between=hooks_runner_reads)
    hits = {(h["flow_id"], h["value"], h["source"]) for h in store.rows("SELECT flow_id, value, source FROM pii_hits WHERE pii_type = 'clipboard'")}
    assert (early.id, canary_before, "observed_value") in hits
    assert (late.id, canary_during, "observed_value") in hits
    assert polling == [not linked]  # nothing polls session.db when values are handed over


def test_rows_are_committed_in_batches_not_per_flow(tmp_path):
    flows = [make_flow(f"https://ulogs.umeng.com/u?i={i}", method="GET") for i in range(60)]
    seen = {}

    def count(i):
        if i in (48, 49):
            time.sleep(0.3)
            seen[i] = SessionStore(tmp_path / "s", create=False).count("flows")

    store = Harness(tmp_path / "s", piiaudit_batch_flows=50, piiaudit_batch_ms=60_000,
                    piiaudit_detect_process=False).run(flows, between=count)
    assert seen == {48: 0, 49: 50}  # nothing before the 50th flow, then all 50 at once
    assert store.count("flows") == 60  # the rest on shutdown


def test_flows_held_back_to_go_to_the_detection_process_together_never_hold_a_replay_back(tmp_path, monkeypatch):
    # Flows wait up to SUBMIT_DELAY_S to go to the worker in one write; a replay that reaches
    # max_inflight must send them at once, or it would wait for answers to flows never sent.
    from addon import detectproc

    monkeypatch.setattr(detectproc, "SUBMIT_DELAY_S", 60.0)   # a delayed write would never come in time
    monkeypatch.setattr(detectproc, "STALL_S", 60.0)          # nor would mitmproxy give up waiting
    flows = [make_flow(f"https://ulogs.umeng.com/u?imei={IMEI}&i={i}", method="GET") for i in range(150)]
    started = time.monotonic()
    store = Harness(tmp_path / "s").run(flows)
    assert time.monotonic() - started < 30                    # not one 60 s wait
    assert store.count("flows") == 150
    assert store.conn.execute("SELECT count(DISTINCT flow_id) FROM pii_hits WHERE pii_type = 'imei'").fetchone()[0] == 150


@pytest.mark.parametrize("opts, message", [
    ({"piiaudit_profile": "/nonexistent/device.yaml"}, "no such device profile"),
    ({"piiaudit_batch_flows": 0}, "piiaudit_batch_flows"),
    ({"piiaudit_lookback_s": -1}, "piiaudit_lookback_s"),
    ({"piiaudit_lookback_flows": -5}, "piiaudit_lookback_flows"),
    ({"piiaudit_lookback_mb": 10**9}, "piiaudit_lookback_mb"),
])
def test_bad_options_are_refused_with_the_reason(tmp_path, opts, message):
    async def go():
        m = master.Master(options.Options())
        m.addons.add(Recorder())
        with pytest.raises(exceptions.OptionsError, match=message):
            m.options.update(piiaudit_session=str(tmp_path / "s"), **opts)
    asyncio.run(go())


def test_a_session_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")

    async def go():
        m = master.Master(options.Options())
        m.addons.add(Recorder())
        with pytest.raises(exceptions.OptionsError, match="not a directory"):
            m.options.update(piiaudit_session=str(tmp_path / "file"))
    asyncio.run(go())


def test_a_profile_with_an_unknown_pii_type_is_refused(tmp_path):
    bad = tmp_path / "device.yaml"
    bad.write_text("values:\n  shoe_size: '42'\n")

    async def go():
        m = master.Master(options.Options())
        m.addons.add(Recorder())
        with pytest.raises(exceptions.OptionsError, match="shoe_size"):
            m.options.update(piiaudit_session=str(tmp_path / "s"), piiaudit_profile=str(bad))
    asyncio.run(go())


def test_a_stalled_detection_process_holds_mitmproxy_back_for_a_while_not_for_ever(tmp_path, monkeypatch):
    from addon import detectproc

    silent = tmp_path / "silent_worker.py"
    silent.write_text("import sys, time\nsys.stdin.buffer.read()\ntime.sleep(2)\n")   # reads, never answers
    monkeypatch.setattr(detectproc, "WORKER", silent)
    monkeypatch.setattr(detectproc, "STALL_S", 0.5)
    dead = []

    async def go():
        proc = detectproc.DetectionProcess(None, lambda *a: None, dead.append, max_inflight=2)
        for _ in range(2):
            proc.submit(make_flow(f"https://x.example/?imei={IMEI}"))
        assert proc.full
        started = time.monotonic()
        await proc.capacity()
        waited = time.monotonic() - started
        proc.close(timeout=1)
        return waited

    waited = asyncio.run(go())
    assert 0.4 <= waited < 5
    assert dead and "2 flows still unanswered" in dead[0]


def test_an_answer_that_cannot_be_handled_costs_that_answer_only(tmp_path, monkeypatch):
    from addon import detectproc

    silent = tmp_path / "silent_worker.py"
    silent.write_text("import sys\nsys.stdin.buffer.read()\n")   # answers nothing: the test does
    monkeypatch.setattr(detectproc, "WORKER", silent)
    handled = []

    def on_result(flow_id, *rest):
        handled.append(flow_id)
        if len(handled) == 1:
            raise RuntimeError("the first answer's handler fails")

    async def go():
        proc = detectproc.DetectionProcess(None, on_result, lambda why: None, max_inflight=4)
        ids = [f"flow-{i}" for i in range(4)]
        proc.inflight = len(ids)
        proc._capacity.clear()
        # four answers arriving in one read, as a burst from the worker does
        proc._in += b"".join(detectproc.encode_frame(("flow", i, [], [], [], None)) for i in ids)
        proc._deliver()
        assert proc.inflight == 0 and proc._capacity.is_set()
        proc.close(timeout=5)
        return ids

    ids = asyncio.run(go())
    assert handled == ids          # the three after the failing one were handled too
