"""The recorder: detection, mitmweb annotations and session recording, as one addon to add.

Detection (addon.detection) scans each completed flow and hands its answer to the
annotations (addon.annotate: mark, comment, metadata) and then to the session recording
(addon.session: flows.mitm, and the rows session.db gets), so a flow is saved with its
mark. At shutdown detection finishes first (every answer and look-back still comes in),
then the recording commits the rest.

The three parts are written as mitmproxy addons, but the recorder is the only one mitmproxy
sees: it passes on the few events they use, in that order. mitmproxy offers every event of
every flow to every addon it holds (children included), which costs about a microsecond per
addon and event; three fewer addons spare that on every event of every flow.

`observed`: the values the hooks runner of this process hands over (piiaudit.observed);
without it, detection polls the session's `events` table for them.
"""

from __future__ import annotations

import gc

from addon.annotate import COMMENT_PREFIX, MARK, Annotations
from addon.detection import Detection
from addon.session import SessionRecording
from piiaudit.observed import ObservedValues

__all__ = ["COMMENT_PREFIX", "MARK", "Recorder"]


class Recorder:
    def __init__(self, observed: ObservedValues | None = None) -> None:
        self.annotations = Annotations()
        self.session = SessionRecording()
        self.detection = Detection([self.annotations, self.session], observed=observed)
        self.parts = (self.detection, self.annotations, self.session)
        self._frozen = False  # the collector's objects frozen by running(), thawed by done()

    # -- the events the parts use, in their order --------------------------------------
    def load(self, loader) -> None:
        self.detection.load(loader)
        self.session.load(loader)

    def configure(self, updated) -> None:
        self.detection.configure(updated)
        self.annotations.configure(updated)
        self.session.configure(updated)

    def running(self) -> None:
        # What exists once mitmproxy runs (its own objects, the addon's modules and tables)
        # lives as long as the process: the collector's full passes need not walk it again.
        # Those passes come more often with the recorder's objects about (four instead of one
        # in a 10,000-flow replay); frozen, they cost half as much in all. done() thaws them:
        # a process that embeds the proxy and lives on (tests, a campaign) must get back what
        # became garbage meanwhile, open pipes and files among it.
        gc.freeze()
        self._frozen = True
        self.session.running()

    def response(self, flow):
        return self.detection.response(flow)

    def error(self, flow):
        return self.detection.error(flow)

    def websocket_end(self, flow):
        return self.detection.websocket_end(flow)

    def done(self) -> None:
        try:
            self.detection.done()
            self.annotations.done()
            self.session.done()
        finally:
            if self._frozen:
                gc.unfreeze()
                self._frozen = False

    @property
    def recorded(self) -> int:
        return self.session.recorded

    @property
    def escaped(self) -> int:
        """Flows stored with escaped text (bytes that are not UTF-8, piiaudit.rawtext)."""
        return self.session.escaped

    @property
    def hits(self) -> int:
        return self.detection.hits

    @property
    def late_hits(self) -> int:
        return self.detection.late_hits

    @property
    def errors(self) -> int:
        return self.detection.errors
