"""The recorder addon: every completed flow becomes a `flows` row plus its PII hits.

Per flow (on `response`, `error`, or `websocket_end` for WebSocket flows, the same events
mitmproxy's own Save addon uses) it builds the row (addon.flowrow), runs the detector,
marks and comments the flow so mitmweb shows what was found, appends it to
`<session>/flows.mitm`, and queues row and hits for the session writer thread.

Nothing here may break the traffic: any failure is logged, recorded in the `errors` table
(and in `flows.error` when it concerns one flow), and the flow goes on unchanged.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Optional

from mitmproxy import ctx, exceptions, hooks, http

from addon.detect import Detector, ScanLimits
from addon.flowfile import FlowFile
from addon.flowrow import flow_row, summary
from addon.sessionwriter import ObservedValues, SessionWriter
from piiaudit import profile as device_profile
from piiaudit.store import SessionStore, StoreError

logger = logging.getLogger(__name__)

MARK = ":warning:"
COMMENT_PREFIX = "piiaudit:"
MAX_ERROR_ROWS_PER_FLOW = 10

_OPTIONS = {
    "piiaudit_session", "piiaudit_profile", "piiaudit_capture", "piiaudit_save_flows",
    "piiaudit_batch_flows", "piiaudit_batch_ms", "rfile",
}


class Recorder:
    def __init__(self) -> None:
        self.store: SessionStore | None = None
        self.writer: SessionWriter | None = None
        self.flowfile: FlowFile | None = None
        self.detector: Detector | None = None
        self.observed: ObservedValues | None = None
        self.capture = "live"
        self.recorded = 0
        self.hits = 0
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

    # -- configuration -------------------------------------------------------------
    def configure(self, updated) -> None:
        if not _OPTIONS & set(updated):
            return
        opts = ctx.options
        if opts.piiaudit_batch_flows < 1:
            raise exceptions.OptionsError("piiaudit_batch_flows must be at least 1")
        if opts.piiaudit_batch_ms < 10:
            raise exceptions.OptionsError("piiaudit_batch_ms must be at least 10")
        profile = device_profile.DeviceProfile()
        if opts.piiaudit_profile:
            try:
                profile = device_profile.load(Path(opts.piiaudit_profile).expanduser())
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
        self.store = store
        self.detector = Detector(profile, limits=ScanLimits())
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
        logger.info("piiaudit: recording into %s (capture %s)", store.dir, self.capture)

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

    # -- flow events ---------------------------------------------------------------
    def response(self, flow: http.HTTPFlow) -> None:
        if flow.websocket is None:  # WebSocket flows are recorded when they end
            self._record(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        if flow.websocket is None:
            self._record(flow)

    def websocket_end(self, flow: http.HTTPFlow) -> None:
        self._record(flow)
        # mitmweb refreshes a flow on response/error by itself, not after a WebSocket ends.
        try:
            ctx.master.addons.trigger(hooks.UpdateHook([flow]))
        except Exception:  # noqa: BLE001 - display only
            logger.debug("piiaudit: could not refresh flow %s", flow.id, exc_info=True)

    def done(self) -> None:
        self._close()

    # -- work ------------------------------------------------------------------------
    def _record(self, flow: http.HTTPFlow) -> None:
        if self.writer is None:
            return
        try:
            self._record_flow(flow)
        except Exception as e:  # noqa: BLE001 - never raise into mitmproxy
            self.errors += 1
            logger.exception("piiaudit: flow %s not recorded", flow.id)
            self.writer.put_error(f"flow not recorded: {type(e).__name__}: {e}", flow_id=flow.id)

    def _record_flow(self, flow: http.HTTPFlow) -> None:
        self._feed_observed()
        row = flow_row(flow, self.capture)
        hits, capped, problems = self._scan(flow)
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

    def _scan(self, flow: http.HTTPFlow) -> tuple[list[dict], list[str], list[str]]:
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
        if self.observed is None or self.detector is None or not self.observed.pending:
            return
        for pii_type, value in self.observed.drain():
            try:
                self.detector.observe(pii_type, value)
            except Exception as e:  # noqa: BLE001 - e.g. a PII type this detector does not know
                logger.warning("piiaudit: observed value of type %r ignored: %s", pii_type, e)

    def _close(self) -> None:
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
