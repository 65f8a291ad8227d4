"""The detection process: `python addon/detectworker.py [PROFILE [WINDOW_S MAX_FLOWS MAX_BYTES]]`,
started by the Recorder.

Reads frames from stdin, answers on stdout (see addon.detectproc for the framing):
``("observe", pii_type, value, learned_at)`` adds a value the hooks saw; ``("flow", flow_id,
payload)`` scans the flow (request, response and WebSocket data in mitmproxy's get_state()
form) and answers ``("flow", flow_id, hits, capped, errors)``. Every flow gets an answer,
even when the scan fails.

The last flows scanned are kept (addon.lookback, bounded by the look-back arguments). Values
new to the detector are collected while observe frames follow one another; before the next
flow is scanned, when no input is waiting, and at end of input, the kept flows are scanned
again for just those values and each flow that carried one gets a ``("lookback", flow_id,
hits, errors)`` frame. Ends at end of input.
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

from piiaudit.detect import Detector, ScanLimits  # noqa: E402
from piiaudit.flowrow import request_sha256, response_sha256  # noqa: E402
from addon.detectproc import split_frames, write_frame  # noqa: E402
from addon.lookback import DEFAULT_MAX_FLOWS, DEFAULT_MAX_MB, DEFAULT_WINDOW_S, LookbackBuffer, rebuild  # noqa: E402
from piiaudit import profile as device_profile  # noqa: E402

_IDLE = ("idle",)  # no complete frame is waiting


def _evidence_hashes(flow) -> tuple[str, str | None] | None:
    """The flow row's request/response SHA-256 (piiaudit.flowrow), computed here rather than
    on the proxy's core; None lets the proxy compute them itself."""
    try:
        return (request_sha256(flow.request),
                response_sha256(flow.response) if flow.response is not None else None)
    except Exception:  # noqa: BLE001
        return None


def main(argv: list[str]) -> int:
    profile = device_profile.load(argv[1]) if len(argv) > 1 and argv[1] else device_profile.DeviceProfile()
    limits = ScanLimits()
    detector = Detector(profile, limits=limits)
    bounds = [float(argv[2]), int(argv[3]), int(argv[4])] if len(argv) > 4 else \
        [DEFAULT_WINDOW_S, DEFAULT_MAX_FLOWS, DEFAULT_MAX_MB << 20]
    recent = LookbackBuffer(*bounds, limits=limits)
    new_values: list[tuple[str, str, float | None]] = []
    stdout = sys.stdout.buffer
    for msg in _messages(stdout):
        if msg[0] == "observe":
            pii_type, value = msg[1], msg[2]
            learned_at = msg[3] if len(msg) > 3 else None
            before = detector.known_count
            try:
                detector.observe(pii_type, value)
            except Exception as e:  # noqa: BLE001 - e.g. a type this detector does not know
                print(f"piiaudit detection process: observed value of type {msg[1]!r} ignored: {e}", file=sys.stderr)
                continue
            if detector.known_count > before:  # a value seen before, or a profile value, changes nothing
                new_values.append((pii_type, value, learned_at))
            continue
        if new_values:
            _look_back(recent, new_values, stdout)
            new_values = []
        if msg is _IDLE:
            continue
        _, flow_id, payload = msg
        try:
            flow = rebuild(flow_id, payload)
        except Exception as e:  # noqa: BLE001 - a payload mitmproxy cannot read back
            write_frame(stdout, ("flow", flow_id, [], [], [f"detection failed: {type(e).__name__}: {e}"], None))
            continue
        hashes = _evidence_hashes(flow)
        try:
            result = detector.scan_flow(flow)
            hits = list(result.hits or [])
            answer = ("flow", flow_id, hits, [str(c) for c in result.capped or []],
                      [str(e) for e in result.errors or []], hashes)
        except Exception as e:  # noqa: BLE001 - a detector bug costs this flow's hits, nothing more
            hits = None
            answer = ("flow", flow_id, [], [], [f"detection failed: {type(e).__name__}: {e}"], hashes)
        write_frame(stdout, answer)
        if hits is not None:  # a flow the detector fails on would only fail again
            recent.add(flow_id, payload, hits)
    if new_values:
        _look_back(recent, new_values, stdout)
    stdout.flush()
    return 0


def _look_back(recent: LookbackBuffer, values: list, stdout) -> None:
    try:
        for flow_id, hits, problems in recent.rescan(values):
            if hits or problems:
                write_frame(stdout, ("lookback", flow_id, hits, problems))
    except Exception as e:  # noqa: BLE001 - a look-back failure must not end the process
        write_frame(stdout, ("lookback", None, [], [f"look-back failed: {type(e).__name__}: {e}"]))


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
