"""The recorder addon: every completed flow becomes a `flows` row plus its PII hits.

Per flow (on `response`, `error`, or `websocket_end` for WebSocket flows, the same events
mitmproxy's own Save addon uses) it runs the detector, marks and comments the flow so
mitmweb shows what was found, appends it to `<session>/flows.mitm`, and queues its row
(piiaudit.flowrow) and hits for the session writer thread.

Detection runs in a child process by default (addon.detectproc), on another core than
the proxy; the flow is finished when its answer comes back, a few milliseconds later. With
`piiaudit_detect_process=false`, or if the process cannot start or dies, it runs inline.

Values the hooks saw read arrive late (addon.sessionwriter polls for them). Wherever
detection runs, the last flows scanned are kept and searched again for values new to the
detector (addon.lookback); the hits found so reach session.db through `put_hits`, and the
flow's mark and comment are updated while mitmproxy still holds the flow.

Nothing here may break the traffic: any failure is logged, recorded in the `errors` table
(and in `flows.error` when it concerns one flow), and the flow goes on unchanged.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import sys
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

from mitmproxy import ctx, exceptions, hooks, http

from addon.detectproc import DetectionProcess, flow_payload
from addon.flowfile import FlowFile
from piiaudit.flowrow import flow_row, summary
from addon.lookback import DEFAULT_MAX_FLOWS, DEFAULT_MAX_MB, DEFAULT_WINDOW_S, LookbackBuffer
from addon.sessionwriter import ObservedValues, SessionWriter
from piiaudit import profile as device_profile
from piiaudit.store import SessionStore, StoreError

logger = logging.getLogger(__name__)

MARK = ":warning:"
COMMENT_PREFIX = "piiaudit:"
MAX_ERROR_ROWS_PER_FLOW = 10
LOOKBACK_SLICE_S = 0.01  # inline look-back: scan for at most this long per event-loop turn

_OPTIONS = {
    "piiaudit_session", "piiaudit_profile", "piiaudit_capture", "piiaudit_save_flows",
    "piiaudit_batch_flows", "piiaudit_batch_ms", "piiaudit_detect_process", "rfile",
    "piiaudit_lookback_s", "piiaudit_lookback_flows", "piiaudit_lookback_mb",
}


class Recorder:
    def __init__(self) -> None:
        self.store: SessionStore | None = None
        self.writer: SessionWriter | None = None
        self.flowfile: FlowFile | None = None
        self.profile = device_profile.DeviceProfile()
        self.profile_path: str | None = None
        self.detector = None                           # inline detection (piiaudit.detect.Detector)
        self.process: DetectionProcess | None = None   # detection in a child process
        self.observed: ObservedValues | None = None
        self.inflight: dict[str, http.HTTPFlow] = {}
        self.lookback: LookbackBuffer | None = None    # recent flows, when detection is inline
        self._lookback_jobs: collections.deque[Iterator] = collections.deque()
        self._lookback_scheduled = False
        self._shown: collections.OrderedDict[str, weakref.ref] = collections.OrderedDict()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bounds: tuple[int, int, int] = (DEFAULT_WINDOW_S, DEFAULT_MAX_FLOWS, DEFAULT_MAX_MB << 20)
        self.capture = "live"
        self.recorded = 0
        self.hits = 0
        self.late_hits = 0
        self.errors = 0

    def load(self, loader) -> None:
        loader.add_option(
            "piiaudit_session", Optional[str], None,
            "Session directory to record into (created if missing): session.db and flows.mitm. Nothing is recorded while unset.",
        )
        loader.add_option(
            "piiaudit_profile", Optional[str], None,
            "Device profile YAML with the test device's known values (IMEI, Android ID, ...) to look for in traffic.",
        )
        loader.add_option(
            "piiaudit_capture", str, "",
            "Label stored in flows.capture. Empty: 'live', or 'replay:<file name>' when flows are read with -r.",
        )
        loader.add_option(
            "piiaudit_save_flows", bool, True,
            "Append each recorded flow to <session>/flows.mitm. Flows read with -r are never written again.",
        )
        loader.add_option(
            "piiaudit_batch_flows", int, 200,
            "Commit recorded flows to session.db every this many flows (or every piiaudit_batch_ms).",
        )
        loader.add_option(
            "piiaudit_batch_ms", int, 500,
            "Commit recorded flows to session.db at least this often, in milliseconds.",
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

    # -- configuration -------------------------------------------------------------
    def configure(self, updated) -> None:
        if not _OPTIONS & set(updated):
            return
        opts = ctx.options
        if opts.piiaudit_batch_flows < 1:
            raise exceptions.OptionsError("piiaudit_batch_flows must be at least 1")
        if opts.piiaudit_batch_ms < 10:
            raise exceptions.OptionsError("piiaudit_batch_ms must be at least 10")
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
        rfile = opts.rfile if "rfile" in opts else None
        self.capture = opts.piiaudit_capture or (f"replay:{os.path.basename(rfile)}" if rfile else "live")

        self._close()
        if not opts.piiaudit_session:
            return
        try:
            store = SessionStore(Path(opts.piiaudit_session).expanduser())
        except (StoreError, OSError) as e:
            raise exceptions.OptionsError(f"piiaudit_session: {e}") from None
        self.store, self.profile, self.profile_path = store, profile, profile_path
        self._bounds = (opts.piiaudit_lookback_s, opts.piiaudit_lookback_flows, opts.piiaudit_lookback_mb << 20)
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        if opts.piiaudit_detect_process:
            self.process = self._start_process()
        if self.process is None:
            try:
                self.detector = _detector(profile)
            except Exception as e:  # noqa: BLE001 - a broken detector is a start-up error, with its reason
                store.close()
                self.store = None
                raise exceptions.OptionsError(f"piiaudit: the detector could not start: {type(e).__name__}: {e}") from None
            self.lookback = LookbackBuffer(*self._bounds, limits=self.detector.limits)
        self.observed = ObservedValues()
        try:
            self.observed.poll(store)  # values read before the proxy started count from the first flow
        except Exception as e:  # noqa: BLE001 - a foreign or damaged events table must not stop recording
            logger.warning("piiaudit: could not read observed values: %s", e)
        self._feed_observed()
        self.flowfile = self._open_flowfile(store, rfile)
        self.writer = SessionWriter(
            store,
            max_flows=opts.piiaudit_batch_flows,
            max_seconds=opts.piiaudit_batch_ms / 1000,
            observed=self.observed,
        )
        if self._loop is not None:
            loop = self._loop
            # Values found while no flow comes still reach the detector, and its look-back.
            self.observed.on_new = lambda: loop.call_soon_threadsafe(self._feed_observed)
        logger.info("piiaudit: recording into %s (capture %s)", store.dir, self.capture)

    def _start_process(self) -> DetectionProcess | None:
        if getattr(sys, "frozen", False) or (os.cpu_count() or 1) < 2:
            return None  # no Python to start, or no second core to gain
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None  # configured outside an event loop: nothing could read the answers
        try:
            return DetectionProcess(self.profile_path, self._on_answer, self._on_process_dead,
                                    on_lookback=self._on_lookback, lookback=self._bounds)
        except OSError as e:
            logger.warning("piiaudit: detection process did not start (%s); detecting in the proxy's thread", e)
            return None

    def _open_flowfile(self, store: SessionStore, rfile: str | None) -> FlowFile | None:
        if rfile:
            # Replaying: the file being read is the capture. Its flows are not copied (that
            # would cost mitmproxy's serialisation again for every flow) and, above all, never
            # appended to the file itself; the session notes where its flows came from.
            store.set_meta("replay_source", {"path": os.path.abspath(rfile), "capture": self.capture})
            return None
        if not ctx.options.piiaudit_save_flows:
            return None
        try:
            return FlowFile(store.flows_path)
        except OSError as e:
            raise exceptions.OptionsError(f"piiaudit: cannot open {store.flows_path}: {e}") from None

    def running(self) -> None:
        if self.writer is None:
            logger.warning("piiaudit: piiaudit_session is not set; flows are not recorded")

    # -- flow events ---------------------------------------------------------------
    # A hook returns an awaitable only when too many flows wait for detection: mitmproxy
    # then holds this flow back (and, under `-r`, the reading of the file).
    def response(self, flow: http.HTTPFlow):
        if flow.websocket is None:  # WebSocket flows are recorded when they end
            return self._record(flow)

    def error(self, flow: http.HTTPFlow):
        if flow.websocket is None:
            return self._record(flow)

    def websocket_end(self, flow: http.HTTPFlow):
        return self._record(flow)

    def done(self) -> None:
        self._close()

    # -- work ------------------------------------------------------------------------
    def _record(self, flow: http.HTTPFlow):
        if self.writer is None:
            return None
        try:
            self._feed_observed()
            process = self.process
            if process is not None:
                self.inflight[flow.id] = flow
                process.submit(flow)  # if the process is found dead here, the flow is finished inline
                return process.capacity() if process.full and not process.dead else None
            hits, capped, problems = self._scan_inline(flow)
            self._finish(flow, hits, capped, problems)
            self._keep_for_lookback(flow, hits, problems)
        except Exception as e:  # noqa: BLE001 - never raise into mitmproxy
            self.inflight.pop(flow.id, None)
            self._not_recorded(flow, e)
        return None

    def _on_answer(self, flow_id: str, hits: list, capped: list, problems: list, hashes=None) -> None:
        flow = self.inflight.pop(flow_id, None)
        if flow is None or self.writer is None:
            return
        for p in problems:
            logger.warning("piiaudit: %s %s: %s", flow.request.method, flow.request.pretty_url, p)
        try:
            self._finish(flow, hits, capped, problems, hashes)
            # The proxy showed this flow before its answer came: let mitmweb refresh it.
            if (hits or problems) and _shows_flows():
                ctx.master.addons.trigger(hooks.UpdateHook([flow]))
        except Exception as e:  # noqa: BLE001
            self._not_recorded(flow, e)

    def _on_process_dead(self, why: str) -> None:
        logger.error("piiaudit: %s; detecting in the proxy's thread from now on", why)
        if self.writer is not None:
            self.writer.put_error(f"{why}; detection continued in the proxy's thread")
        self.process = None
        try:
            self.detector = _detector(self.profile)
            self.lookback = LookbackBuffer(*self._bounds, limits=self.detector.limits)
        except Exception as e:  # noqa: BLE001 - flows are still recorded, without hits
            logger.error("piiaudit: the detector could not start either: %s: %s", type(e).__name__, e)
            self.detector = None
        if self.observed is not None:
            # The new detector needs every observed value again; the flows scanned below
            # without them are searched again when they come (look-back).
            self.observed.rewind()
        waiting, self.inflight = list(self.inflight.values()), {}
        for flow in waiting:
            try:
                hits, capped, problems = self._scan_inline(flow)
                self._finish(flow, hits, capped, problems)
                self._keep_for_lookback(flow, hits, problems)
            except Exception as e:  # noqa: BLE001
                self._not_recorded(flow, e)

    def _not_recorded(self, flow: http.HTTPFlow, e: Exception) -> None:
        self.errors += 1
        logger.error("piiaudit: flow %s not recorded: %s: %s", flow.id, type(e).__name__, e, exc_info=True)
        if self.writer is not None:
            self.writer.put_error(f"flow not recorded: {type(e).__name__}: {e}", flow_id=flow.id)

    def _finish(self, flow: http.HTTPFlow, hits: list[dict], capped: list[str], problems: list[str],
                hashes: tuple[str, str | None] | None = None) -> None:
        row = flow_row(flow, self.capture, hashes)
        problems = list(problems)
        if capped:
            row["capped"] = ",".join(capped)
        if problems:
            row["error"] = "; ".join(problems)[:2000]
            self.errors += 1
        if hits and not flow.marked:
            flow.marked = MARK
        note = summary(hits, problems)
        kept = [line for line in flow.comment.splitlines() if not line.startswith(COMMENT_PREFIX)]
        flow.comment = "\n".join(kept + ([note] if note else []))
        if self.flowfile is not None:
            try:
                self.flowfile.add(flow)
            except Exception as e:  # noqa: BLE001
                problems.append(f"not saved to {self.flowfile.path.name}: {type(e).__name__}: {e}")
                if self.flowfile.failed:
                    self.flowfile = None
        error_rows = [
            {"message": p, "flow_id": flow.id, "detail": {"url": row["url"]}}
            for p in problems[:MAX_ERROR_ROWS_PER_FLOW]
        ]
        self.writer.put(row, hits, error_rows)
        self.recorded += 1
        self.hits += len(hits)
        if self._bounds[0] > 0 and self._bounds[1] > 0:
            # mitmweb still shows the flow: a hit found later updates its mark and comment.
            self._shown[flow.id] = weakref.ref(flow)
            self._shown.move_to_end(flow.id)
            while len(self._shown) > self._bounds[1]:
                self._shown.popitem(last=False)

    def _scan_inline(self, flow: http.HTTPFlow) -> tuple[list[dict], list[str], list[str]]:
        if self.detector is None:
            return [], [], ["not scanned: no working detector"]
        try:
            result = self.detector.scan_flow(flow)
        except Exception as e:  # noqa: BLE001 - a detector bug costs this flow's hits, nothing more
            logger.warning("piiaudit: detection failed for %s %s: %s: %s", flow.request.method, flow.request.pretty_url, type(e).__name__, e)
            return [], [], [f"detection failed: {type(e).__name__}: {e}"]
        problems = [str(p) for p in (result.errors or [])]
        for p in problems:
            logger.warning("piiaudit: %s %s: %s", flow.request.method, flow.request.pretty_url, p)
        return list(result.hits or []), [str(c) for c in (result.capped or [])], problems

    def _feed_observed(self) -> None:
        if self.observed is None or not self.observed.pending:
            return
        new: list[tuple[str, str, float]] = []
        for pii_type, value, learned_at in self.observed.drain():
            if self.process is not None:
                self.process.observe(pii_type, value, learned_at)  # the process looks back itself
                continue
            if self.detector is None:
                continue
            before = self.detector.known_count
            try:
                self.detector.observe(pii_type, value)
            except Exception as e:  # noqa: BLE001 - e.g. a PII type this detector does not know
                logger.warning("piiaudit: observed value of type %r ignored: %s", pii_type, e)
                continue
            if self.detector.known_count > before:  # a value seen before, or a profile value, changes nothing
                new.append((pii_type, value, learned_at))
        if new and self.lookback is not None and len(self.lookback):
            try:
                self._lookback_jobs.append(self.lookback.rescan(new))
            except Exception as e:  # noqa: BLE001
                self._on_lookback(None, [], [f"look-back failed: {type(e).__name__}: {e}"])
                return
            self._schedule_lookback()

    def _poll_observed(self) -> None:
        if self.observed is None or self.store is None or self.writer is None:
            return
        try:
            self.observed.poll(self.store)
        except Exception as e:  # noqa: BLE001 - a foreign or damaged events table must not stop recording
            logger.warning("piiaudit: could not read observed values: %s", e)
        self._feed_observed()

    # -- look-back -------------------------------------------------------------------
    def _keep_for_lookback(self, flow: http.HTTPFlow, hits: list[dict], problems: list[str]) -> None:
        if self.lookback is None or not self.lookback.enabled:
            return
        if any(p.startswith(("detection failed", "not scanned")) for p in problems):
            return  # a flow the detector fails on would only fail again
        try:
            self.lookback.add(flow.id, flow_payload(flow), hits)
        except Exception as e:  # noqa: BLE001 - costs this flow its look-back, nothing more
            logger.warning("piiaudit: flow %s not kept for look-back: %s: %s", flow.id, type(e).__name__, e)

    def _schedule_lookback(self) -> None:
        if self._lookback_scheduled:
            return
        if self._loop is None or self._loop.is_closed():
            self._run_lookback(None)
            return
        self._lookback_scheduled = True
        self._loop.call_soon(self._run_lookback, LOOKBACK_SLICE_S)

    def _run_lookback(self, slice_s: float | None) -> None:
        """Inline look-back, a few flows per event-loop turn (`slice_s`), or all of it (None)."""
        self._lookback_scheduled = False
        deadline = time.perf_counter() + (slice_s or 0)
        while self._lookback_jobs:
            job = self._lookback_jobs[0]
            try:
                flow_id, hits, problems = next(job)
            except StopIteration:
                self._lookback_jobs.popleft()
                continue
            except Exception as e:  # noqa: BLE001
                self._lookback_jobs.popleft()
                flow_id, hits, problems = None, [], [f"look-back failed: {type(e).__name__}: {e}"]
            self._on_lookback(flow_id, hits, problems)
            if slice_s is not None and time.perf_counter() >= deadline:
                break
        if self._lookback_jobs:
            self._schedule_lookback()

    def _on_lookback(self, flow_id: str | None, hits: list, problems: list) -> None:
        """Hits a flow recorded earlier turned out to carry (from the process or inline)."""
        if self.writer is None:
            return
        try:
            for p in problems:
                self.errors += 1
                logger.warning("piiaudit: flow %s: %s", flow_id, p)
                self.writer.put_error(p if p.startswith("look-back") else f"look-back: {p}", flow_id=flow_id)
            if not hits or flow_id is None:
                return
            self.writer.put_hits(flow_id, hits)
            self.hits += len(hits)
            self.late_hits += len(hits)
            logger.info("piiaudit: flow %s carried %d value(s) learned after it was scanned", flow_id, len(hits))
            ref = self._shown.get(flow_id)
            flow = ref() if ref is not None else None
            if flow is not None:
                if not flow.marked:
                    flow.marked = MARK
                note = summary(hits).replace(COMMENT_PREFIX, f"{COMMENT_PREFIX} found on look-back:", 1)
                flow.comment = "\n".join(([flow.comment] if flow.comment else []) + [note])
                ctx.master.addons.trigger(hooks.UpdateHook([flow]))
        except Exception as e:  # noqa: BLE001 - never raise into mitmproxy
            self.errors += 1
            logger.error("piiaudit: look-back hits of flow %s not recorded: %s: %s", flow_id, type(e).__name__, e)
            if self.writer is not None:
                self.writer.put_error(f"look-back hits not recorded: {type(e).__name__}: {e}", flow_id=flow_id)

    def _close(self) -> None:
        self._poll_observed()  # values the hooks wrote until now still get their look-back
        if self.process is not None:
            self.process.close()  # finishes every flow still waiting for its answer, and its look-back
            if self.process is None:
                # It died while closing: the flows it left were scanned inline, by a detector
                # that needs the observed values again.
                self._poll_observed()
            self.process = None
        if self._lookback_jobs:
            self._run_lookback(None)
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.flowfile is not None:
            self.flowfile.close()
            self.flowfile = None
        if self.store is not None:
            self.store.close()
            self.store = None
        self.detector = None
        self.observed = None
        self.inflight = {}
        self.lookback = None
        self._lookback_jobs.clear()
        self._shown.clear()


def _detector(profile: device_profile.DeviceProfile):
    # Imported here: with detection in its own process the proxy never loads the detector.
    from piiaudit.detect import Detector, ScanLimits

    return Detector(profile, limits=ScanLimits())


def _shows_flows() -> bool:
    """Is there a flow view to refresh (mitmweb, mitmproxy's console)? mitmdump has none, and
    an update event there would go through every addon for nothing, once per flow with hits."""
    try:
        return ctx.master.addons.get("view") is not None
    except Exception:  # noqa: BLE001 - no master (tests driving the addon directly)
        return False
