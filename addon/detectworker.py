"""The detection process: `python addon/detectworker.py [PROFILE [WINDOW_S MAX_FLOWS MAX_BYTES]]`,
started by the Recorder.

Reads frames from stdin, answers on stdout (see addon.detectproc for the framing):
``("observe", pii_type, value, learned_at)`` adds a value the hooks saw; ``("flow", flow_id,
payload)`` scans the flow (request, response and WebSocket data in mitmproxy's get_state()
form) and answers ``("flow", flow_id, hits, capped, errors, hashes)``. Every flow gets an answer,
even when the scan fails.

Detection and look-back are addon.scanner's, the same code the proxy's thread runs when
detection is inline. Values new to the detector are collected while observe frames follow
one another; before the next flow is scanned, when no input is waiting, and at end of
input, the kept flows are searched again for just those values and each flow that carried
one gets a ``("lookback", flow_id, hits, errors)`` frame. Ends at end of input.
"""

import signal

# Ctrl-C in a terminal reaches the whole process group: the proxy shuts down cleanly and
# then closes this process's input, which ends it after its last answers and look-back.
signal.signal(signal.SIGINT, signal.SIG_IGN)

import importlib.util  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

if importlib.util.find_spec("addon") is None or importlib.util.find_spec("piiaudit") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from addon.detectproc import split_frames, write_frame  # noqa: E402
from addon.lookback import DEFAULT_MAX_FLOWS, DEFAULT_MAX_MB, DEFAULT_WINDOW_S  # noqa: E402
from addon.scanner import Scanner  # noqa: E402
from piiaudit import profile as device_profile  # noqa: E402

_IDLE = ("idle",)  # no complete frame is waiting


def main(argv: list[str]) -> int:
    profile = device_profile.load(argv[1]) if len(argv) > 1 and argv[1] else None
    bounds = (float(argv[2]), int(argv[3]), int(argv[4])) if len(argv) > 4 else \
        (DEFAULT_WINDOW_S, DEFAULT_MAX_FLOWS, DEFAULT_MAX_MB << 20)
    scanner = Scanner(profile, bounds)
    stdout = sys.stdout.buffer
    for msg in _messages(stdout):
        if msg[0] == "observe":
            scanner.observe(msg[1], msg[2], msg[3] if len(msg) > 3 else None)
            continue
        # Values that arrived one after another are looked back at together, before the next flow.
        for flow_id, hits, problems in scanner.look_back():
            write_frame(stdout, ("lookback", flow_id, hits, problems))
        if msg is _IDLE:
            continue
        _, flow_id, payload = msg
        write_frame(stdout, ("flow", flow_id, *scanner.scan(flow_id, payload)))
    for flow_id, hits, problems in scanner.look_back():
        write_frame(stdout, ("lookback", flow_id, hits, problems))
    stdout.flush()
    return 0


def _messages(stdout):
    """Frames from stdin, and _IDLE whenever none is waiting; answers are flushed then, so
    a burst of flows gets one write back, and a lone flow its answer at once."""
    buf = bytearray()
    while True:
        frames = split_frames(buf)
        if not frames:
            yield _IDLE
            stdout.flush()
            chunk = os.read(0, 1 << 16)
            if not chunk:
                return
            buf += chunk
            continue
        yield from frames


if __name__ == "__main__":
    sys.exit(main(sys.argv))
