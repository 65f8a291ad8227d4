"""Values the hooks saw read, found in session.db, for a proxy that runs on its own.

`mitmdump -s addon/piiaudit_addon.py` shares no process with the hooks runner: the runner
writes `pii_read` events into the session, and this thread reads the new ones (by id
watermark) every `interval` seconds into the detection addon's piiaudit.observed
ObservedValues. A proxy embedded next to the hooks runner gets them handed over instead
and never polls.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from piiaudit.observed import ObservedValues
from piiaudit.store import SessionStore, StoreError

logger = logging.getLogger(__name__)

POLL_S = 1.0


class EventsPoll:
    def __init__(self, session_dir: Path, into: ObservedValues, *, interval: float = POLL_S) -> None:
        self.store = SessionStore(session_dir)
        self.into = into
        self.interval = interval
        self.watermark = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.poll()  # values read before the proxy started count from the first flow
        self._thread = threading.Thread(target=self._run, name="piiaudit-events-poll", daemon=True)
        self._thread.start()

    def poll(self) -> int:
        """Read the events added since the last poll; how many values were new."""
        with self._lock:
            try:
                rows = self.store.conn.execute(
                    "SELECT id, pii_type, value FROM events WHERE id > ? AND kind = 'pii_read' ORDER BY id",
                    (self.watermark,),
                ).fetchall()
            except (sqlite3.Error, StoreError) as e:  # a foreign or damaged events table must not stop recording
                logger.warning("piiaudit: could not read observed values from events: %s", e)
                return 0
            if rows:
                self.watermark = rows[-1][0]
        return sum(self.into.add(pii_type, value) for _, pii_type, value in rows)

    def close(self) -> None:
        """Stop polling after one last poll: values written until now still get their look-back."""
        self._stop.set()
        self._thread.join()
        self.poll()
        self.store.close()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()
        self.store.close()
