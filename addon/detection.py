"""The detection addon: runs the detector on every completed flow and hands the answer on.

Per flow (on `response`, `error`, or `websocket_end` for WebSocket flows, the events
mitmproxy's own Save addon uses) it scans the flow with addon.scanner, in a child process
by default (addon.detectproc, on another core than the proxy; the answer comes back a few
milliseconds later) or, with `piiaudit_detect_process=false`, when that process cannot
start or once it died, in the proxy's own thread. Either way the same Scanner does the
work. Each answer goes to the sinks (`scanned(flow, answer, deferred)`), as do hits a
flow turned out to carry on look-back (`late_hits(flow_id, hits)`) and problems that
concern the recording (`problem(message, flow_id)`).

Values the hooks saw read come through a piiaudit.observed ObservedValues: the one the
commands hand over when the hooks runner shares this process, or else one this addon fills
by polling the session's `events` table (addon.observedpoll). Each new value goes to the
detector, and the flows scanned last are searched again for it (look-back).

Nothing here may break the traffic: any failure is logged and reported to the sinks, and
the flow goes on unchanged. It is active while `piiaudit_session` is set.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Optional, Protocol

from mitmproxy import ctx, exceptions, http

from addon.answer import Answer
from addon.detectproc import DetectionProcess
from addon.lookback import DEFAULT_MAX_FLOWS, DEFAULT_MAX_MB, DEFAULT_WINDOW_S
from addon.observedpoll import EventsPoll
from piiaudit import profile as device_profile
from piiaudit.observed import ObservedValues
from piiaudit.store import StoreError

logger = logging.getLogger(__name__)

LOOKBACK_SLICE_S = 0.01  # inline look-back: scan for at most this long per event-loop turn

_OPTIONS = {"piiaudit_session", "piiaudit_profile", "piiaudit_detect_process",
            "piiaudit_lookback_s", "piiaudit_lookback_flows", "piiaudit_lookback_mb"}


class Sink(Protocol):
    def scanned(self, flow: http.HTTPFlow, answer: Any, deferred: bool) -> None: ...
    def late_hits(self, flow_id: str, hits: list) -> None: ...
    def problem(self, message: str, flow_id: str | None) -> None: ...


class Detection:
    def __init__(self, sinks: Sequence[Sink] = (), observed: ObservedValues | None = None) -> None:
        self.sinks = list(sinks)
        self.shared = observed            # handed over by the commands; None: poll session.db
        self.observed: ObservedValues | None = None
        self.poll: EventsPoll | None = None
        self.process: DetectionProcess | None = None
        self.scanner = None               # addon.scanner.Scanner, when detecting in this thread
        self.active = False
        self.inflight: dict[str, http.HTTPFlow] = {}
        self.hits = 0
        self.late_hits = 0
        self.errors = 0
        self._profile = device_profile.DeviceProfile()
        self._profile_path: str | None = None
        self._bounds: tuple[int, int, int] = (DEFAULT_WINDOW_S, DEFAULT_MAX_FLOWS, DEFAULT_MAX_MB << 20)
        self._values: collections.deque[tuple[str, str, float]] = collections.deque()
        self._unlisten = None
        self._jobs: collections.deque[Iterator] = collections.deque()
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def load(self, loader) -> None:
        loader.add_option(
            "piiaudit_profile", Optional[str], None,
            "Device profile YAML with the test device's known values (IMEI, Android ID, ...) to look for in traffic.",
        )
        loader.add_option(
            "piiaudit_detect_process", bool, True,
            "Run PII detection in a child process (another CPU core) instead of the proxy's own thread.",
        )
        loader.add_option(
            "piiaudit_lookback_s", int, DEFAULT_WINDOW_S,
            "Search flows again for values the hooks report late if they started at most this many "
            "seconds (of request start time) before the newest flow. 0 turns look-back off.",
        )
        loader.add_option(
            "piiaudit_lookback_flows", int, DEFAULT_MAX_FLOWS,
            "Keep at most this many recent flows for look-back.",
        )
        loader.add_option(
            "piiaudit_lookback_mb", int, DEFAULT_MAX_MB,
            "Keep at most this many megabytes of recent flows (bodies and headers) for look-back.",
        )

    def configure(self, updated) -> None:
        if not _OPTIONS & set(updated):
            return
        opts = ctx.options
        for name in ("piiaudit_lookback_s", "piiaudit_lookback_flows", "piiaudit_lookback_mb"):
            if getattr(opts, name) < 0:
                raise exceptions.OptionsError(f"{name} must be 0 (off) or more")
        if opts.piiaudit_lookback_mb > 1 << 20:
            raise exceptions.OptionsError("piiaudit_lookback_mb is in megabytes; at most 1048576")
        profile, profile_path = device_profile.DeviceProfile(), None
        if opts.piiaudit_profile:
            profile_path = str(Path(opts.piiaudit_profile).expanduser().resolve())
            try:
                profile = device_profile.load(profile_path)
            except device_profile.ProfileError as e:
                raise exceptions.OptionsError(f"piiaudit_profile: {e}") from None
        self.close()
        if not opts.piiaudit_session:
            return
        self._profile, self._profile_path = profile, profile_path
        self._bounds = (opts.piiaudit_lookback_s, opts.piiaudit_lookback_flows, opts.piiaudit_lookback_mb << 20)
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        if opts.piiaudit_detect_process:
            self.process = self._start_process()
        if self.process is None:
            try:
                self.scanner = self._new_scanner()
            except Exception as e:  # noqa: BLE001 - a broken detector is a start-up error, with its reason
                raise exceptions.OptionsError(f"piiaudit: the detector could not start: {type(e).__name__}: {e}") from None
        if self.shared is not None:
            self.observed = self.shared
        else:
            self.observed = ObservedValues()
            try:
                self.poll = EventsPoll(Path(opts.piiaudit_session).expanduser(), self.observed)
            except (StoreError, OSError) as e:
                self.close()
                raise exceptions.OptionsError(f"piiaudit_session: {e}") from None
        self._unlisten = self.observed.listen(self._on_value)
        self.active = True
        self._feed()

    def _start_process(self) -> DetectionProcess | None:
        if getattr(sys, "frozen", False) or (os.cpu_count() or 1) < 2:
            return None  # no Python to start, or no second core to gain
        if self._loop is None:
            return None  # configured outside an event loop: nothing could read the answers
        try:
            return DetectionProcess(self._profile_path, self._on_answer, self._on_process_dead,
                                    on_lookback=self._on_lookback, lookback=self._bounds,
                                    on_problem=self._fail)
        except OSError as e:
            logger.warning("piiaudit: detection process did not start (%s); detecting in the proxy's thread", e)
            return None

    def _new_scanner(self):
        # Imported here: with detection in its own process the proxy never loads the detector.
        from addon.scanner import Scanner

        return Scanner(self._profile, self._bounds)

    # -- flow events -------------------------------------------------------------------
    # A hook returns an awaitable only when too many flows wait for detection: mitmproxy
    # then holds this flow back (and, under `-r`, the reading of the file).
    def response(self, flow: http.HTTPFlow):
        if flow.websocket is None:  # WebSocket flows are scanned when they end
            return self._scan(flow)

    def error(self, flow: http.HTTPFlow):
        if flow.websocket is None:
            return self._scan(flow)

    def websocket_end(self, flow: http.HTTPFlow):
        return self._scan(flow)

    def done(self) -> None:
        self.close()

    def _scan(self, flow: http.HTTPFlow):
        if not self.active:
            return None
        try:
            self._feed()
            process = self.process
            if process is not None:
                self.inflight[flow.id] = flow
                process.submit(flow)  # if the process is found dead here, the flow is scanned inline
                return process.capacity() if process.full and not process.dead else None
            self._finish(flow, self._scan_here(flow), deferred=False)
        except Exception as e:  # noqa: BLE001 - never raise into mitmproxy
            self.inflight.pop(flow.id, None)
            self._fail(flow.id, f"flow not recorded: {type(e).__name__}: {e}")
        return None

    def _scan_here(self, flow: http.HTTPFlow):
        if self.scanner is None:
            return Answer([], [], ["not scanned: no working detector"], None)
        answer = self.scanner.scan(flow.id, flow=flow)
        for p in answer.problems:
            logger.warning("piiaudit: %s %s: %s", flow.request.method, flow.request.pretty_url, p)
        return answer

    def _on_answer(self, flow_id: str, *answer) -> None:
        flow = self.inflight.pop(flow_id, None)
        if not self.active:
            return
        answer = Answer(*answer)
        if flow is None:  # an answer for no flow sent: only its problems are left to report
            for p in answer.problems:
                self._fail(flow_id, f"detection process: {p}")
            return
        for p in answer.problems:
            logger.warning("piiaudit: %s %s: %s", flow.request.method, flow.request.pretty_url, p)
        self._finish(flow, answer, deferred=True)

    def _finish(self, flow: http.HTTPFlow, answer, *, deferred: bool) -> None:
        self.hits += len(answer.hits)
        if answer.problems:
            self.errors += 1
        for sink in self.sinks:
            try:
                sink.scanned(flow, answer, deferred)
            except Exception as e:  # noqa: BLE001 - costs this flow, never the proxy
                self._fail(flow.id, f"flow not recorded: {type(e).__name__}: {e}")

    def _fail(self, flow_id: str | None, message: str) -> None:
        self.errors += 1
        logger.error("piiaudit: flow %s: %s", flow_id, message)
        for sink in self.sinks:
            try:
                sink.problem(message, flow_id)
            except Exception as e:  # noqa: BLE001
                logger.error("piiaudit: problem not recorded: %s", e)

    def _on_process_dead(self, why: str) -> None:
        logger.error("piiaudit: %s; detecting in the proxy's thread from now on", why)
        self.errors += 1
        for sink in self.sinks:
            try:
                sink.problem(f"{why}; detection continued in the proxy's thread", None)
            except Exception as e:  # noqa: BLE001
                logger.error("piiaudit: problem not recorded: %s", e)
        self.process = None
        try:
            self.scanner = self._new_scanner()
        except Exception as e:  # noqa: BLE001 - flows are still recorded, without hits
            logger.error("piiaudit: the detector could not start either: %s: %s", type(e).__name__, e)
            self.scanner = None
        if self.scanner is not None and self.observed is not None:
            for value in self.observed.values():  # the new detector needs every value seen so far
                self.scanner.observe(*value)  # a value it cannot use was reported when it came
            self.scanner.look_back()  # nothing kept yet to search again
        waiting, self.inflight = list(self.inflight.values()), {}
        for flow in waiting:
            try:
                self._finish(flow, self._scan_here(flow), deferred=True)
            except Exception as e:  # noqa: BLE001
                self._fail(flow.id, f"flow not recorded: {type(e).__name__}: {e}")

    # -- observed values ----------------------------------------------------------------
    @property
    def values_waiting(self) -> int:
        """Values handed over that the event loop has not given to the detector yet."""
        return len(self._values)

    def _on_value(self, pii_type: str, value: str, learned_at: float) -> None:
        """On the thread that added the value: only hand it to the event loop."""
        self._values.append((pii_type, value, learned_at))
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._feed)  # also while no flow comes

    def _feed(self) -> None:
        while self._values:
            value = self._values.popleft()
            if self.process is not None:
                self.process.observe(*value)  # the process looks back itself
            elif self.scanner is not None:
                problem = self.scanner.observe(*value)
                if problem:
                    self._fail(None, problem)
        if self.scanner is not None and self.scanner.looking_back:
            self._jobs.append(self.scanner.look_back())
            self._schedule()

    # -- look-back in this thread ------------------------------------------------------
    def _schedule(self) -> None:
        if self._scheduled:
            return
        if self._loop is None or self._loop.is_closed():
            self._run_jobs(None)
            return
        self._scheduled = True
        self._loop.call_soon(self._run_jobs, LOOKBACK_SLICE_S)

    def _run_jobs(self, slice_s: float | None) -> None:
        """A few flows per event-loop turn (`slice_s`), or all of it (None)."""
        self._scheduled = False
        deadline = time.perf_counter() + (slice_s or 0)
        while self._jobs:
            try:
                found = next(self._jobs[0])
            except StopIteration:
                self._jobs.popleft()
                continue
            self._on_lookback(*found)
            if slice_s is not None and time.perf_counter() >= deadline:
                break
        if self._jobs:
            self._schedule()

    def _on_lookback(self, flow_id: str | None, hits: list, problems: list) -> None:
        """Hits a flow scanned earlier turned out to carry (from the process or this thread)."""
        if not self.active:
            return
        for p in problems:
            self._fail(flow_id, p if p.startswith("look-back") else f"look-back: {p}")
        if not hits or flow_id is None:
            return
        self.hits += len(hits)
        self.late_hits += len(hits)
        logger.info("piiaudit: flow %s carried %d value(s) learned after it was scanned", flow_id, len(hits))
        for sink in self.sinks:
            try:
                sink.late_hits(flow_id, hits)
            except Exception as e:  # noqa: BLE001 - never raise into mitmproxy
                self._fail(flow_id, f"look-back hits not recorded: {type(e).__name__}: {e}")

    # -- shutdown ----------------------------------------------------------------------
    def close(self) -> None:
        if self.poll is not None:
            self.poll.close()  # one last poll: values written until now still get their look-back
            self.poll = None
        self._feed()
        if self.process is not None:
            self.process.close()  # finishes every flow still waiting for its answer, and its look-back
            if self.process is None:
                self._feed()  # it died while closing: the flows it left were scanned here
            self.process = None
        if self._jobs:
            self._run_jobs(None)
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        self.active = False
        self.scanner = None
        self.observed = None
        self.inflight = {}
        self._values.clear()
        self._jobs.clear()
