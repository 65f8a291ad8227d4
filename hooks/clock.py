"""Device-to-host clock mapping for hook events.

The agent stamps events with the device's ``Date.now()``; the session stores host epoch
seconds (what mitmproxy uses). The offset is estimated NTP-style over RPC: ask the device
for its time between two host readings, keep the sample with the shortest round trip, and
take the device time as belonging to the midpoint. The error bound is half that round trip
plus 1 ms for the truncation of ``Date.now()`` to whole milliseconds.

A session re-syncs periodically; an event between two syncs gets the offset interpolated
linearly (absorbing drift), outside them the nearest sync's offset.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_SAMPLES = 20
TRUNCATION_MS = 1.0


@dataclass(frozen=True)
class ClockSync:
    at_host: float  # host epoch seconds at the midpoint of the best sample
    offset_ms: float  # device minus host
    rtt_ms: float  # best round trip
    error_ms: float  # rtt/2 + 1 ms
    samples: int

    @property
    def device_ms(self) -> float:
        """Device time at the sync (the axis events are stamped on)."""
        return self.at_host * 1000.0 + self.offset_ms


@dataclass(frozen=True)
class Mapped:
    ts: float  # host epoch seconds
    offset_ms: float
    error_ms: float


def measure(device_now_ms: Callable[[], float], samples: int = DEFAULT_SAMPLES) -> ClockSync:
    """Estimate the offset with `samples` round trips of `device_now_ms` (an RPC call)."""
    if samples < 1:
        raise ValueError("samples must be at least 1")
    best: tuple[float, float, float] | None = None  # rtt_ms, offset_ms, host midpoint ms
    for _ in range(samples):
        t0 = time.time_ns()
        device_ms = float(device_now_ms())
        t1 = time.time_ns()
        rtt_ms = (t1 - t0) / 1e6
        mid_ms = (t0 + t1) / 2e6
        if best is None or rtt_ms < best[0]:
            best = (rtt_ms, device_ms - mid_ms, mid_ms)
    assert best is not None
    rtt_ms, offset_ms, mid_ms = best
    return ClockSync(
        at_host=mid_ms / 1000.0, offset_ms=offset_ms, rtt_ms=rtt_ms, error_ms=rtt_ms / 2 + TRUNCATION_MS, samples=samples
    )


class ClockModel:
    """The syncs of one process, and the mapping of device times they define. Thread-safe."""

    def __init__(self) -> None:
        self._syncs: list[ClockSync] = []
        self._keys: list[float] = []
        self._lock = threading.Lock()

    def add(self, sync: ClockSync) -> None:
        with self._lock:
            i = bisect.bisect(self._keys, sync.device_ms)
            self._keys.insert(i, sync.device_ms)
            self._syncs.insert(i, sync)

    @property
    def syncs(self) -> list[ClockSync]:
        with self._lock:
            return list(self._syncs)

    def __len__(self) -> int:
        return len(self._syncs)

    def to_host(self, t_device_ms: float) -> Mapped:
        """Host time of a device timestamp; raises LookupError before the first sync."""
        with self._lock:
            if not self._syncs:
                raise LookupError("no clock sync yet for this process")
            i = bisect.bisect(self._keys, t_device_ms)
            if i == 0 or i == len(self._syncs):
                nearest = self._syncs[0] if i == 0 else self._syncs[-1]
                offset, error = nearest.offset_ms, nearest.error_ms
            else:
                a, b = self._syncs[i - 1], self._syncs[i]
                span = b.device_ms - a.device_ms
                frac = (t_device_ms - a.device_ms) / span if span > 0 else 0.0
                offset = a.offset_ms + (b.offset_ms - a.offset_ms) * frac
                error = max(a.error_ms, b.error_ms)
        return Mapped(ts=(t_device_ms - offset) / 1000.0, offset_ms=offset, error_ms=error)
