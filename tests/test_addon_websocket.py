"""WebSocket flows and anything else unexpected reaching detection: scanned, or counted as an
error with one line; the detection process never dies of it and never prints a traceback.

Flows go through mitmproxy's own event sequence (tests/support/recorder_harness.py); the
detection process is the real child process (addon/detectworker.py).
"""

import asyncio
import json
import time

import pytest
from mitmproxy import websocket
from mitmproxy.test import tflow

from addon.detectproc import DetectionProcess, encode_frame
from addon.lookback import LookbackBuffer, flow_payload, payload_size, rebuild
from piiaudit.observed import ObservedValues
from tests.support.demo_device import IMEI
from tests.support.recorder_harness import MODES, Harness

CANARY = "piiaudit-canary-ws-5b2f"


def ws_flow(*texts: str):
    f = tflow.twebsocketflow()
    f.request.timestamp_start = time.time()
    for t in texts:
        f.websocket.messages.append(websocket.WebSocketMessage(1, True, t.encode(), time.time()))
    return f


def test_rebuilding_a_flow_leaves_its_payload_as_it_was():
    payload = flow_payload(ws_flow('{"a":1}'))
    size = payload_size(payload)
    flow = rebuild("x", payload)
    assert len(flow.websocket.messages) == 4
    assert payload_size(payload) == size         # before: 'WebSocketMessage' object is not iterable
    assert len(rebuild("x", payload).websocket.messages) == 4


@MODES
def test_websocket_messages_are_scanned_and_looked_back_at(tmp_path, process, capfd):
    values = ObservedValues()
    first = ws_flow(json.dumps({"imei": IMEI}), json.dumps({"clip": CANARY}))
    harness = Harness(tmp_path / "s", piiaudit_detect_process=process, observed=values)

    def value_arrives(i):
        if process and harness.recorder.detection.process is None:
            pytest.skip("no detection process on this machine (one core)")
        values.add("clipboard", CANARY)   # read after the flow was scanned: found on look-back

    store = harness.run([first], between=value_arrives)
    hits = store.rows("SELECT pii_type, location, source FROM pii_hits WHERE flow_id = ?", [first.id])
    assert ("imei", "ws:3:json:$.imei", "known_value") in [tuple(h.values()) for h in hits]
    assert ("clipboard", "ws:4:json:$.clip", "observed_value") in [tuple(h.values()) for h in hits]
    assert store.rows("SELECT message FROM errors") == [] and harness.recorder.errors == 0
    err = capfd.readouterr().err
    assert "not kept for look-back" not in err and "Traceback" not in err


def test_an_unexpected_message_costs_one_error_row_and_the_process_goes_on(tmp_path, capfd):
    """A frame the worker does not know, and a flow it cannot read, each give one error line;
    the next flow is answered by the same process."""
    answers, problems, dead = [], [], []

    async def go():
        proc = DetectionProcess(None, lambda *a: answers.append(a), dead.append,
                                on_problem=lambda fid, message: problems.append(message))
        proc._send(encode_frame(("nonsense", 1, 2, 3, 4)))
        proc._send(encode_frame(("flow",)))               # a flow frame without its fields
        proc.inflight += 1
        proc.submit(ws_flow(json.dumps({"imei": IMEI})))
        for _ in range(200):
            if len(answers) >= 2:
                break
            await asyncio.sleep(0.02)
        pid = proc.proc.pid
        proc.close()
        return pid

    asyncio.run(go())
    assert dead == [], dead
    assert len(answers) == 2 and answers[-1][1]      # the WebSocket flow's hits
    assert [h["location"] for h in answers[-1][1]] == ["ws:3:json:$.imei"]
    lines = problems + [e for a in answers for e in a[3]]
    assert any("nonsense" in p for p in lines) and all("\n" not in p for p in lines)
    assert "Traceback" not in capfd.readouterr().err


def test_a_detection_process_that_dies_is_counted_as_an_error(tmp_path):
    harness = Harness(tmp_path / "s", piiaudit_detect_process=True)
    flows = [ws_flow(json.dumps({"imei": IMEI})) for _ in range(2)]

    def kill(i):
        if i == 0:
            proc = harness.recorder.detection.process
            if proc is None:
                pytest.skip("no detection process on this machine (one core)")
            proc.proc.kill()
            proc.proc.wait()

    store = harness.run(flows, between=kill)
    assert {r["id"] for r in store.rows("SELECT id FROM flows")} == {f.id for f in flows}
    assert harness.recorder.errors >= 1           # before: 0, although the process had died
    assert any("detection process" in r["message"] for r in store.rows("SELECT message FROM errors"))


def test_the_buffer_sizes_any_message_shape_without_failing():
    payload = flow_payload(ws_flow("x"))
    payload["websocket"]["messages"] += [("odd",), None, 7]   # older or foreign state shapes
    assert payload_size(payload) > 0
    LookbackBuffer().add("f", payload, [])


@MODES
def test_an_observed_value_the_detector_cannot_use_is_an_error_row_not_a_console_line(tmp_path, process):
    values = ObservedValues()
    harness = Harness(tmp_path / "s", piiaudit_detect_process=process, observed=values)
    flows = [ws_flow(json.dumps({"imei": IMEI})) for _ in range(2)]

    def value_arrives(i):
        if i == 0:
            values.add("no_such_pii_type", "whatever-value-1")

    store = harness.run(flows, between=value_arrives)
    (err,) = store.rows("SELECT message FROM errors")
    assert "no_such_pii_type" in err["message"] and "ignored" in err["message"]
    assert harness.recorder.errors == 1
