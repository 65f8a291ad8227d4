"""`<session>/flows.mitm`: every recorded flow, appended in mitmproxy's own format.

Each flow is flushed as soon as it is written, so a proxy killed mid-run leaves a file
whose only possible damage is a partial last record; `mitmdump -nr` and `addon.replay`
read every complete record before it. A record is the bytes mitmproxy's own FlowWriter
writes, made in C where that is built (piiaudit.flowrecord).
"""

from __future__ import annotations

import logging
from pathlib import Path

from mitmproxy import flow as mflow

from piiaudit import flowrecord

logger = logging.getLogger(__name__)


class FlowFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fo = open(path, "ab")
        self.failed = False

    def add(self, f: mflow.Flow) -> None:
        if self.failed:
            return
        # The whole record is made before its single write(): a flow that cannot be
        # serialised raises here and leaves the file untouched.
        data = flowrecord.record(f)
        try:
            self._fo.write(data)
            self._fo.flush()
        except OSError as e:
            # Disk full or gone: a partial record may now end the file, so stop appending.
            self.failed = True
            logger.error("piiaudit: cannot append to %s (%s); flows are no longer saved there", self.path, e)
            raise

    def close(self) -> None:
        try:
            self._fo.close()
        except OSError as e:
            logger.error("piiaudit: closing %s: %s", self.path, e)
