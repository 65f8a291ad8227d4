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

Nothing that arrives ends the process: a message that fails, or that it does not know,
is answered with a ``("problem", flow_id, message)`` frame in one line, which the proxy
counts and stores as an error row; a flow whose scan fails still gets its answer, whose
errors say why. Only a failure outside any message (the profile given at start cannot be
read) ends it, with one line on stderr, never a traceback.
"""

import signal

# Ctrl-C in a terminal reaches the whole process group: the proxy shuts down cleanly and
# then closes this process's input, which ends it after its last answers and look-back.
signal.signal(signal.SIGINT, signal.SIG_IGN)

import gc  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

if importlib.util.find_spec("addon") is None or importlib.util.find_spec("piiaudit") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from addon.detectproc import PIPE_BYTES, encode_frame, split_frames  # noqa: E402
from addon.lookback import DEFAULT_MAX_FLOWS, DEFAULT_MAX_MB, DEFAULT_WINDOW_S  # noqa: E402
from addon.scanner import Scanner  # noqa: E402
from piiaudit import profile as device_profile  # noqa: E402

_IDLE = ("idle",)  # no complete frame is waiting


def main(argv: list[str]) -> int:
    profile = device_profile.load(argv[1]) if len(argv) > 1 and argv[1] else None
    bounds = (float(argv[2]), int(argv[3]), int(argv[4])) if len(argv) > 4 else \
        (DEFAULT_WINDOW_S, DEFAULT_MAX_FLOWS, DEFAULT_MAX_MB << 20)
    scanner = Scanner(profile, bounds)
    gc.freeze()  # the modules and tables loaded so far live as long as the process: never traverse them again
    # Answers go out in batches: when no complete frame is waiting (a lone live flow's
    # answer at once) or every FLUSH_EVERY answers during a burst, not every 8 KiB (the
    # default buffer's size, some three answers): each write wakes the proxy's event loop.
    stdout = _Batched(os.fdopen(sys.stdout.fileno(), "wb", buffering=PIPE_BYTES, closefd=False))
    for msg in _messages(stdout):
        try:
            _handle(scanner, msg, stdout)
        except BrokenPipeError:
            return 0  # the proxy is gone: nobody to answer
        except Exception as e:  # noqa: BLE001 - one message costs itself, never the process
            _send(stdout, ("problem", None, f"detection process: {_kind(msg)} message failed: {_line(e)}"))
    _look_back(scanner, stdout)
    stdout.flush()
    return 0


def _handle(scanner: Scanner, msg: tuple, stdout) -> None:
    kind = msg[0]
    if kind == "observe":
        problem = scanner.observe(*msg[1:4])
        if problem:
            _send(stdout, ("problem", None, f"detection process: {problem}"))
        return
    # Values that arrived one after another are looked back at together, before the next flow.
    _look_back(scanner, stdout)
    if msg is _IDLE:
        return
    if kind == "flow":
        flow_id = msg[1] if len(msg) > 1 else None
        try:
            _, flow_id, payload = msg
            answer = tuple(scanner.scan(flow_id, payload))
        except Exception as e:  # noqa: BLE001 - the flow still gets its answer, saying why it has no hits
            answer = ([], [], [f"detection failed: {_line(e)}"], None)
        if not _send(stdout, ("flow", flow_id, *answer)):
            _send(stdout, ("flow", flow_id, [], [], ["detection failed: the answer could not be sent back"], None))
        return
    if kind == "unreadable":
        reason = " ".join(str(msg[1] if len(msg) > 1 else "?").split())[:300]
        _send(stdout, ("problem", None, f"detection process: a message could not be read ({reason})"))
        return
    _send(stdout, ("problem", None, f"detection process: unexpected message {str(kind)[:60]!r} ignored"))


def _look_back(scanner: Scanner, stdout) -> None:
    for flow_id, hits, problems in scanner.look_back():
        if not _send(stdout, ("lookback", flow_id, hits, problems)):
            _send(stdout, ("problem", flow_id, "look-back hits could not be sent back"))


def _send(stdout, frame: tuple) -> bool:
    """Write one frame; False if it could not be encoded (nothing was written then)."""
    try:
        data = encode_frame(frame)
    except Exception:  # noqa: BLE001 - e.g. a value pickle cannot take
        return False
    stdout.write(data)
    return True


FLUSH_EVERY = 16   # answers; well under the proxy's max_inflight // 2, at which it reads on


class _Batched:
    """stdout with a large buffer, flushed every FLUSH_EVERY frames and whenever asked."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.pending = 0

    def write(self, data: bytes) -> None:
        self.raw.write(data)
        self.pending += 1
        if self.pending >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        self.pending = 0
        self.raw.flush()


def _kind(msg) -> str:
    return repr(str(msg[0])[:60]) if isinstance(msg, tuple) and msg else "a"


def _line(e: BaseException) -> str:
    """An exception in one line, for an error row."""
    return " ".join(f"{type(e).__name__}: {e}".split())[:500]


def _messages(stdout):
    """Frames from stdin, and _IDLE whenever none is waiting; answers are flushed then, so
    a burst of flows gets one write back, and a lone flow its answer at once."""
    buf = bytearray()
    while True:
        frames = split_frames(buf)
        if not frames:
            yield _IDLE
            stdout.flush()
            chunk = os.read(0, PIPE_BYTES)
            if not chunk:
                return
            buf += chunk
            continue
        yield from frames


def run(argv: list[str]) -> int:
    """main(), and one line on stderr instead of a traceback if the process cannot go on
    (the proxy then reports that the process ended and detects in its own thread)."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        return 130
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, SystemExit):
            raise
        print(f"piiaudit: the detection process stopped: {_line(e)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run(sys.argv))
