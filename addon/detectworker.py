"""The detection process: `python addon/detectworker.py [PROFILE]`, started by the Recorder.

Reads frames from stdin, answers on stdout (see addon.detectproc for the framing):
``("observe", pii_type, value)`` adds a value the hooks saw; ``("flow", flow_id, payload)``
scans the flow (request, response and WebSocket data in mitmproxy's get_state() form) and
answers ``(flow_id, hits, capped, errors)``. Ends at end of input. Every flow gets an
answer, even when the scan fails.
"""

import importlib.util
import os
import sys
from pathlib import Path

if importlib.util.find_spec("addon") is None or importlib.util.find_spec("piiaudit") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mitmproxy import connection, http, websocket  # noqa: E402

from addon.detect import Detector, ScanLimits  # noqa: E402
from addon.detectproc import split_frames, write_frame  # noqa: E402
from piiaudit import profile as device_profile  # noqa: E402


# Detection does not look at connections; one placeholder pair serves every flow.
_CLIENT = connection.Client(peername=("127.0.0.1", 0), sockname=("127.0.0.1", 0), timestamp_start=0)
_SERVER = connection.Server(address=None)


def rebuild(flow_id: str, payload: dict) -> http.HTTPFlow:
    flow = http.HTTPFlow(_CLIENT, _SERVER)
    flow.id = flow_id
    flow.request = http.Request.from_state(payload["request"])
    if payload.get("response") is not None:
        flow.response = http.Response.from_state(payload["response"])
    if payload.get("websocket") is not None:
        flow.websocket = websocket.WebSocketData.from_state(payload["websocket"])
    return flow


def main(argv: list[str]) -> int:
    profile = device_profile.load(argv[1]) if len(argv) > 1 and argv[1] else device_profile.DeviceProfile()
    detector = Detector(profile, limits=ScanLimits())
    stdout = sys.stdout.buffer
    for msg in _messages(stdout):
        if msg[0] == "observe":
            try:
                detector.observe(msg[1], msg[2])
            except Exception as e:  # noqa: BLE001 - e.g. a type this detector does not know
                print(f"piiaudit detection process: observed value of type {msg[1]!r} ignored: {e}", file=sys.stderr)
            continue
        _, flow_id, payload = msg
        try:
            result = detector.scan_flow(rebuild(flow_id, payload))
            answer = (flow_id, list(result.hits or []), [str(c) for c in result.capped or []],
                      [str(e) for e in result.errors or []])
        except Exception as e:  # noqa: BLE001 - a detector bug costs this flow's hits, nothing more
            answer = (flow_id, [], [], [f"detection failed: {type(e).__name__}: {e}"])
        write_frame(stdout, answer)
    stdout.flush()
    return 0


def _messages(stdout):
    """Frames from stdin; answers are flushed whenever no further input is waiting, so a
    burst of flows gets one write back, and a lone flow its answer at once."""
    buf = bytearray()
    while True:
        frames = split_frames(buf)
        if not frames:
            stdout.flush()
            chunk = os.read(0, 1 << 16)
            if not chunk:
                return
            buf += chunk
            continue
        yield from frames


if __name__ == "__main__":
    sys.exit(main(sys.argv))
