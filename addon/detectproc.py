"""Detection in a child process, so it runs on another core than mitmproxy's event loop.

Detection is the costly part of recording a flow (far more than the proxy's own work per
flow); in the proxy's thread it would slow every flow and every replay by that much. The
detection addon (addon.detection) hands each flow (mitmproxy's `get_state()` form) to
`addon/detectworker.py` over a pipe and finishes it when the answer comes back.

Neither side may block the other: the proxy writes without blocking (what does not fit
in the pipe waits in a buffer and goes out when the event loop sees the pipe writable)
and reads answers from an event-loop reader. Flows go out a few at a time, at most
SUBMIT_DELAY_S after the first (each write wakes the worker, each answer this loop). At
most `max_inflight` flows are out at a time; beyond that the hook waits, which is how a
fast `mitmdump -r` is held back.

Only what detection reads travels (addon.lookback.flow_payload).

Frames are a 4-byte little-endian length and a pickle of a tuple whose first item names
its kind, in both directions; both ends are this package, started by it.

To the worker:
    ("observe", pii_type, value, learned_at)   a value the hooks saw read; learned_at is
                                               the host time the addon learned of it
    ("flow", flow_id, payload)                 scan this flow (flow_payload())
From the worker:
    ("flow", flow_id, hits, capped, errors, hashes)
                                               the answer; exactly one per flow sent;
                                               hashes = (request_sha256, response_sha256)
                                               of the flow row, or None
    ("lookback", flow_id, hits, errors)        hits an already answered flow turned out to
                                               carry once new observed values arrived
                                               (addon.lookback); flow_id None for a problem
                                               of the look-back as a whole
    ("problem", flow_id, message)              anything else that went wrong in the process
                                               (an observed value it could not use, a
                                               message it did not understand), in one line;
                                               flow_id None when no flow is concerned

Nothing that arrives ends the worker: a frame it cannot read or does not know, or a scan
that raises, becomes a "problem" frame (or, for a flow, an answer whose errors say why),
never a traceback on the console. A frame that cannot be unpickled is skipped by its
length and reported (split_frames yields ("unreadable", reason) for it).

The worker's arguments: PROFILE (may be empty), then the look-back bounds WINDOW_S
MAX_FLOWS MAX_BYTES (addon.lookback.lookback_args). Closing its input ends it: it answers
what it has, finishes any look-back, and closes its output.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from mitmproxy import http

from addon.lookback import flow_payload, lookback_args
from piiaudit import fdwait

logger = logging.getLogger(__name__)

WORKER = Path(__file__).resolve().with_name("detectworker.py")
_LEN = struct.Struct("<I")
STALL_S = 30.0
# Pipe capacity asked for (Linux; the default is 64 KiB): a burst of flows goes to the
# worker, and its answers come back, in a few writes and wake-ups instead of one per 64 KiB.
PIPE_BYTES = 1 << 20
# Flows wait at most this long to go to the worker together (see _send), unless this much is
# waiting already.
SUBMIT_DELAY_S = 0.005
SUBMIT_NOW_BYTES = 256 << 10


def _widen(fd: int) -> None:
    """Ask for a PIPE_BYTES pipe; where the system refuses (its limit, another OS) the
    pipe stays as it is and only costs more wake-ups."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError, ValueError):
        pass


def encode_frame(obj: Any) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _LEN.pack(len(data)) + data


def write_frame(fo: BinaryIO, obj: Any) -> None:
    fo.write(encode_frame(obj))


def split_frames(buf: bytearray) -> list[Any]:
    """Remove and return the complete frames at the start of `buf`; a frame that does not
    unpickle to a tuple naming its kind is returned as ("unreadable", reason)."""
    out = []
    while len(buf) >= _LEN.size:
        (n,) = _LEN.unpack_from(buf)
        if len(buf) < _LEN.size + n:
            break
        try:
            frame = pickle.loads(bytes(buf[_LEN.size:_LEN.size + n]))
        except Exception as e:  # noqa: BLE001 - any damage to one frame costs that frame
            frame = ("unreadable", f"{type(e).__name__}: {e}")
        if not isinstance(frame, tuple) or not frame or not isinstance(frame[0], str):
            frame = ("unreadable", f"not a frame: {type(frame).__name__}")
        out.append(frame)
        del buf[:_LEN.size + n]
    return out


class DetectionProcess:
    def __init__(
        self,
        profile: str | None,
        on_result: Callable[..., None],   # (flow_id, hits, capped, errors, hashes)
        on_dead: Callable[[str], None],
        *,
        max_inflight: int = 64,
        on_lookback: Callable[[str | None, list, list], None] | None = None,
        lookback: tuple[float, int, int] = (0, 0, 0),
        on_problem: Callable[[str | None, str], None] | None = None,
    ) -> None:
        self.on_result = on_result
        self.on_dead = on_dead
        self.on_lookback = on_lookback
        self.on_problem = on_problem
        self.max_inflight = max_inflight
        self.inflight = 0
        self.dead = False
        self.proc = subprocess.Popen(
            # -O: mitmproxy type-checks every message it rebuilds only under __debug__, and
            # that check costs the worker a tenth of its time; nothing here relies on asserts
            [sys.executable, "-O", str(WORKER), profile or "", *lookback_args(*lookback)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, bufsize=0,
            # numpy's BLAS would start a thread pool the detector never uses (elementwise
            # operations only): 0.04 s of CPU a start; a value the user set is kept
            env={"OPENBLAS_NUM_THREADS": "1", **os.environ},
        )
        self._wfd = self.proc.stdin.fileno()
        self._rfd = self.proc.stdout.fileno()
        for fd in (self._wfd, self._rfd):
            _widen(fd)
        os.set_blocking(self._wfd, False)
        os.set_blocking(self._rfd, False)
        self._out = bytearray()
        self._in = bytearray()
        self._loop = asyncio.get_running_loop()
        self._capacity = asyncio.Event()
        self._capacity.set()
        self._writer_registered = False
        self._flush_scheduled = False   # a delayed flush is pending (call_later)
        self._flush_soon = False        # a flush in this event-loop turn is pending (call_soon)
        self._closing = False
        self._eof = False
        self._loop.add_reader(self._rfd, self._on_readable)

    # -- sending --------------------------------------------------------------------
    def observe(self, pii_type: str, value: str, learned_at: float | None = None) -> None:
        self._send(encode_frame(("observe", pii_type, value, learned_at)))

    def submit(self, flow: http.HTTPFlow) -> None:
        frame = encode_frame(("flow", flow.id, flow_payload(flow)))
        self.inflight += 1
        if self.inflight >= self.max_inflight:
            self._capacity.clear()
        self._send(frame)

    async def capacity(self) -> None:
        """Until enough answers came back. Never for ever: if the worker stalls, mitmproxy
        goes on after STALL_S (the flows still get their answers when they come)."""
        try:
            await asyncio.wait_for(self._capacity.wait(), STALL_S)
        except asyncio.TimeoutError:
            logger.warning("piiaudit: no answer from the detection process for %.0f s (%d flows out); "
                           "reading on", STALL_S, self.inflight)
            self._capacity.set()

    @property
    def full(self) -> bool:
        return self.inflight >= self.max_inflight

    def _send(self, frame: bytes) -> None:
        if self.dead:
            return
        self._out += frame
        # Each write wakes the other process, and each answer it writes back wakes this
        # loop: flows go out together, at most SUBMIT_DELAY_S after the first of them (live
        # traffic: a few flows per write instead of one), at once when the proxy is about to
        # wait for answers (a replay at max_inflight) or a lot is waiting. What a flow waits
        # here delays its verdict, never its traffic.
        if self.full or len(self._out) >= SUBMIT_NOW_BYTES:
            if not self._flush_soon:
                self._flush_soon = True
                self._loop.call_soon(self._flush_out)
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_later(SUBMIT_DELAY_S, self._flush_out)

    def _flush_out(self) -> None:
        self._flush_scheduled = self._flush_soon = False
        if self.dead:
            return
        try:
            while self._out:
                n = os.write(self._wfd, self._out)
                del self._out[:n]
        except BlockingIOError:
            pass
        except OSError as e:  # BrokenPipeError: the process is gone
            self._die(f"cannot write to the detection process: {e}")
            return
        if self._out and not self._writer_registered and not self._closing:
            self._loop.add_writer(self._wfd, self._flush_out)
            self._writer_registered = True
        elif not self._out and self._writer_registered:
            self._loop.remove_writer(self._wfd)
            self._writer_registered = False

    # -- receiving ------------------------------------------------------------------
    def _on_readable(self) -> None:
        try:
            while True:
                chunk = os.read(self._rfd, PIPE_BYTES)
                if not chunk:
                    self._deliver()
                    self._eof = True
                    if not self._closing or self.inflight > 0:
                        self._die(f"the detection process ended (exit status {self._exit_status()})")
                    return
                self._in += chunk
        except BlockingIOError:
            pass
        except OSError as e:
            self._die(f"cannot read from the detection process: {e}")
            return
        self._deliver()

    def _deliver(self) -> None:
        for frame in split_frames(self._in):
            kind = frame[0]
            # Every answer is counted before anything can fail, and a failing callback costs
            # its own frame only: a lost answer would hold mitmproxy back at capacity().
            if kind == "flow":
                self.inflight -= 1
                if self.inflight <= self.max_inflight // 2:  # resume in bulk, not flow by flow
                    self._capacity.set()
            try:
                if kind == "flow":
                    self.on_result(*frame[1:])
                elif kind == "lookback":
                    if self.on_lookback is not None:
                        self.on_lookback(*frame[1:])
                elif kind == "problem":
                    self._problem(frame[1], str(frame[2]))
                else:
                    self._problem(None, f"unexpected answer from the detection process: {str(frame)[:200]}")
            except Exception as e:  # noqa: BLE001
                self._problem(None, f"answer of the detection process not handled: {type(e).__name__}: {e}")

    def _problem(self, flow_id: str | None, message: str) -> None:
        if self.on_problem is not None:
            self.on_problem(flow_id, message)
        else:
            logger.error("piiaudit: %s", message)

    def _exit_status(self) -> int | str:
        try:
            return self.proc.wait(0.5)  # its output just ended: it is exiting
        except subprocess.TimeoutExpired:
            return "still running"

    def _die(self, why: str) -> None:
        if self.dead:
            return
        self.dead = True
        self._unregister()
        self._capacity.set()
        self.on_dead(why)

    def _unregister(self) -> None:
        try:
            self._loop.remove_reader(self._rfd)
            if self._writer_registered:
                self._loop.remove_writer(self._wfd)
                self._writer_registered = False
        except (RuntimeError, ValueError):  # the loop is already closed
            pass

    # -- shutdown -------------------------------------------------------------------
    def close(self, timeout: float = 60.0) -> None:
        """Wait (blocking) for every answer still out and any look-back the worker is
        finishing, then end the process."""
        deadline = time.monotonic() + timeout
        self._closing = True
        self._unregister()
        while not self.dead and self._out and time.monotonic() < deadline:
            readable, writable = fdwait.ready(self._rfd, self._wfd, max(0.0, deadline - time.monotonic()))
            if writable:
                self._flush_out()
            if readable:
                self._on_readable()
        try:
            self.proc.stdin.close()  # end of input: the worker finishes and closes its output
        except OSError:
            pass
        # Look-back frames may follow the last answer: read until the worker's output ends.
        while not self.dead and not self._eof and time.monotonic() < deadline:
            readable, _ = fdwait.ready(self._rfd, None, max(0.0, deadline - time.monotonic()))
            if readable:
                self._on_readable()
        if not self.dead and self.inflight > 0:
            self._die(f"{self.inflight} flows still unanswered after {timeout:.0f} s")
        elif not self.dead and not self._eof:
            logger.warning("piiaudit: the detection process did not finish its look-back within %.0f s", timeout)
        self.dead = True  # nothing may write to the pipes from here on
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
