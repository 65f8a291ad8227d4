"""Values the hooks saw being read, on their way to the proxy's detector.

`ObservedValues` is the hand-over between the two: the hooks side `add`s each value a
`pii_read` event carries, the detection side `listen`s. When the proxy and the hooks runner
share one process (`piiaudit record`, `piiaudit demo`), the commands give both the same
object and a value reaches the detector as soon as the runner has converted its event.
A proxy on its own (`mitmdump -s addon/piiaudit_addon.py`) fills its own from the session's
`events` table instead (addon.observedpoll).

Only distinct, searchable values pass: a value seen before is not handed over again, and
neither is an empty one or a location request that names a provider ("gps") instead of a
fix. Thread-safe: `add` may be called from any thread, and listeners are called on the
thread that added the value (so they must only hand it on).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

Listener = Callable[[str, str, float], None]   # (pii_type, value, learned_at: host time it was handed over)


def searchable(pii_type: str | None, value: object) -> bool:
    """Whether a read value is worth searching traffic for."""
    text = "" if value is None else str(value).strip()
    if not pii_type or not text:
        return False
    return not (pii_type == "location" and "," not in text)


class ObservedValues:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: list[tuple[str, str, float]] = []
        self._seen: set[tuple[str, str]] = set()
        self._listeners: list[Listener] = []

    def add(self, pii_type: str | None, value: object, learned_at: float | None = None) -> bool:
        """Hand over one read value; True if it was new."""
        if not searchable(pii_type, value):
            return False
        text, key = str(value), (pii_type, str(value).strip())
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            item = (pii_type, text, time.time() if learned_at is None else learned_at)
            self._values.append(item)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(*item)
            except Exception as e:  # noqa: BLE001 - a closing listener must not fail the hooks side
                logger.debug("piiaudit: an observed value was not handed on: %s", e)
        return True

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` for every value added so far, then for each new one; returns the
        function that stops it."""
        with self._lock:
            self._listeners.append(listener)
            earlier = list(self._values)
        for item in earlier:
            listener(*item)

        def stop() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return stop

    def values(self) -> list[tuple[str, str, float]]:
        with self._lock:
            return list(self._values)

    def __len__(self) -> int:
        return len(self._values)
