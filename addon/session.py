"""Recording into the session: every scanned flow becomes a `flows` row plus its PII hits.

A detection sink (addon.detection): per answer it builds the flow's row (piiaudit.flowrow),
appends the flow to `<session>/flows.mitm` (after addon.annotate marked it, so the mark and
comment are saved too) and queues row, hits and error rows for the process's one writer
thread (piiaudit.writer.SessionWriter), which commits them in batches. Hits found later
(look-back) and problems of the recording go through the same writer.

When flows are read with `-r` (a replay), the file being read is the capture: its flows
are never appended to any flows.mitm, and the session notes where they came from.

The writer is one run of stage `proxy` (or `replay` under `-r`; piiaudit.runs): it marks the
session partial until it closes cleanly, and the accounting (piiaudit.accounting) counts
every row it stored or could not store, scans that failed or were capped, and flows that
could not be recorded. A clean close writes the manifest (piiaudit.manifest) last.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Optional

from mitmproxy import ctx, exceptions, http

from addon.flowfile import FlowFile
from piiaudit import manifest
from piiaudit.flowrow import flow_row
from piiaudit.store import SessionStore, StoreError
from piiaudit.writer import SessionWriter

logger = logging.getLogger(__name__)

COMPONENT = "addon"
MAX_ERROR_ROWS_PER_FLOW = 10

_OPTIONS = {"piiaudit_session", "piiaudit_capture", "piiaudit_save_flows", "piiaudit_batch_flows",
            "piiaudit_batch_ms", "rfile"}


class SessionRecording:
    def __init__(self) -> None:
        self.store: SessionStore | None = None
        self.writer: SessionWriter | None = None
        self.rows_refused = 0
        self.flowfile: FlowFile | None = None
        self.capture = "live"
        self.recorded = 0
        self.run_id: str | None = None     # the writer's run (piiaudit.runs), kept after it closes
        self.escaped = 0          # flows whose text held bytes that are not UTF-8 (stored escaped)

    def load(self, loader) -> None:
        loader.add_option(
            "piiaudit_session", Optional[str], None,
            "Session directory to record into (created if missing): session.db and flows.mitm. Nothing is recorded while unset.",
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

    def configure(self, updated) -> None:
        if not _OPTIONS & set(updated):
            return
        opts = ctx.options
        if opts.piiaudit_batch_flows < 1:
            raise exceptions.OptionsError("piiaudit_batch_flows must be at least 1")
        if opts.piiaudit_batch_ms < 10:
            raise exceptions.OptionsError("piiaudit_batch_ms must be at least 10")
        rfile = opts.rfile if "rfile" in opts else None
        self.capture = opts.piiaudit_capture or (f"replay:{os.path.basename(rfile)}" if rfile else "live")
        self.close()
        if not opts.piiaudit_session:
            return
        try:
            store = SessionStore(Path(opts.piiaudit_session).expanduser())
        except (StoreError, OSError) as e:
            raise exceptions.OptionsError(f"piiaudit_session: {e}") from None
        try:
            self.flowfile = self._open_flowfile(store, rfile)
        except BaseException:
            store.close()
            raise
        self.store = store
        self.writer = SessionWriter(store, component=COMPONENT, max_rows=opts.piiaudit_batch_flows,
                                    max_seconds=opts.piiaudit_batch_ms / 1000, stage="replay" if rfile else "proxy",
                                    run_detail={"source": os.path.abspath(rfile)} if rfile else None)
        self.run_id = self.writer.run_id
        logger.info("piiaudit: recording into %s (capture %s)", store.dir, self.capture)

    def _open_flowfile(self, store: SessionStore, rfile: str | None) -> FlowFile | None:
        if rfile:
            # Replaying: the file being read is the capture. Its flows are not copied (that
            # would cost mitmproxy's serialisation again for every flow) and, above all, never
            # appended to the file itself.
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

    # -- detection sink ----------------------------------------------------------------
    def scanned(self, flow: http.HTTPFlow, answer, deferred: bool) -> None:
        if self.writer is None:
            return
        row = flow_row(flow, self.capture, answer.hashes)
        problems = list(answer.problems)
        if answer.capped:
            row["capped"] = ",".join(answer.capped)
            self.writer.count("capped", "scans")
        if problems:
            row["error"] = "; ".join(problems)[:2000]
            self.writer.count("failed", "scans")
        if self.flowfile is not None:
            try:
                self.flowfile.add(flow)
            except Exception as e:  # noqa: BLE001
                problems.append(f"not saved to {self.flowfile.path.name}: {type(e).__name__}: {e}")
                self.writer.count("failed", "flows.mitm")
                if self.flowfile.failed:
                    self.flowfile = None
        errors = [{"message": p, "flow_id": flow.id, "detail": {"url": row["url"]}}
                  for p in problems[:MAX_ERROR_ROWS_PER_FLOW]]
        self.writer.put_flow(row, answer.hits, errors)
        self.recorded += 1
        if row.get("escaped"):
            self.escaped += 1

    def late_hits(self, flow_id: str, hits: list) -> None:
        if self.writer is not None:
            self.writer.put_hits(flow_id, hits)

    def problem(self, message: str, flow_id: str | None) -> None:
        if self.writer is not None:
            self.writer.put_error(message, flow_id=flow_id)
            self.writer.count("failed", _failed_what(message, flow_id))

    def done(self) -> None:
        self.close()

    def close(self) -> None:
        ended = False
        if self.writer is not None:
            self.writer.close()
            ended = self.writer.ended
            self.rows_refused = self.writer.failed     # rows the database would not take (disk full?)
            self.writer = None
        if self.flowfile is not None:
            self.flowfile.close()
            self.flowfile = None
        if self.store is not None:
            if ended:
                try:
                    manifest.write(self.store)
                except Exception as e:  # noqa: BLE001 - the rows are committed; verify will say the manifest is stale
                    logger.error("piiaudit: manifest.json not written: %s: %s", type(e).__name__, e)
            self.store.close()
            self.store = None


def _failed_what(message: str, flow_id: str | None) -> str:
    """What a problem the detection reported cost: a flow not recorded, a look-back, a scan, or
    the detection itself (its process died)."""
    if message.startswith("flow not recorded") and flow_id is not None:
        return "flows"
    if message.startswith("look-back"):
        return "look-back"
    return "scans" if flow_id is not None else "detection"
