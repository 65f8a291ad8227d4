"""Detection with look-back: the one code path, whether it runs in the detection process
(addon/detectworker.py) or in the proxy's own thread (addon.detection).

`scan` answers one flow: its hits, the scan caps it hit, its problems, and the flow row's
request/response SHA-256; the flow is then kept for look-back (addon.lookback) unless the
detector failed on it. `observe` teaches the detector a value the hooks saw read; values
that are new to it are collected, and `look_back` searches the kept flows again for just
those, yielding (flow_id, late hits, problems) for each flow that carried one. The caller
decides the pace: the worker runs a look-back through at once, the proxy's thread a few
flows per event-loop turn.
"""

from __future__ import annotations

from collections.abc import Iterator

from mitmproxy import http

from addon.answer import Answer
from addon.lookback import LookbackBuffer, flow_payload, rebuild
from piiaudit import profile as device_profile
from piiaudit.detect import Detector, ScanLimits
from piiaudit.flowrow import request_sha256, request_state_sha256, response_sha256, response_state_sha256


__all__ = ["Answer", "Scanner"]


class Scanner:
    def __init__(self, profile: device_profile.DeviceProfile | None, lookback: tuple[float, int, int]) -> None:
        limits = ScanLimits()
        self.detector = Detector(profile or device_profile.DeviceProfile(), limits=limits)
        self.recent = LookbackBuffer(*lookback, limits=limits)
        self._new: list[tuple[str, str, float | None]] = []

    def observe(self, pii_type: str, value: str, learned_at: float | None = None) -> str | None:
        """Teach the detector a value; the problem, in one line, if it could not be used."""
        before = self.detector.known_count
        try:
            self.detector.observe(pii_type, value)
        except Exception as e:  # noqa: BLE001 - e.g. a PII type this detector does not know
            return f"observed value of type {str(pii_type)[:60]!r} ignored: {type(e).__name__}: {e}"
        if self.detector.known_count > before:  # a value seen before, or a profile value, changes nothing
            self._new.append((pii_type, value, learned_at))
        return None

    def scan(self, flow_id: str, payload: dict | None = None, flow: http.HTTPFlow | None = None) -> Answer:
        """Scan `flow`, or the flow rebuilt from `payload` (addon.lookback.flow_payload)."""
        try:
            if flow is None:
                flow = rebuild(flow_id, payload)
                hashes = _payload_hashes(payload) or _evidence_hashes(flow)
            else:
                hashes = _evidence_hashes(flow)
                if payload is None and self.recent.enabled:
                    payload = flow_payload(flow)
        except Exception as e:  # noqa: BLE001 - a payload mitmproxy cannot read back
            return Answer([], [], [f"detection failed: {type(e).__name__}: {e}"], None)
        try:
            result = self.detector.scan_flow(flow)
        except Exception as e:  # noqa: BLE001 - a detector bug costs this flow's hits, nothing more
            return Answer([], [], [f"detection failed: {type(e).__name__}: {e}"], hashes)
        hits = list(result.hits or [])
        problems = [str(p) for p in result.errors or []]
        if payload is not None:  # a flow the detector fails on would only fail again: not kept
            try:
                self.recent.add(flow_id, payload, hits)
            except Exception as e:  # noqa: BLE001 - costs this flow its look-back, nothing more
                problems.append(f"not kept for look-back: {type(e).__name__}: {e}")
        return Answer(hits, [str(c) for c in result.capped or []], problems, hashes)

    @property
    def looking_back(self) -> bool:
        """Values arrived that the kept flows were not searched for yet."""
        return bool(self._new)

    def look_back(self) -> Iterator[tuple[str | None, list, list]]:
        """Search the flows kept now for the values new since the last call (flows scanned
        from here on already know them); lazily, flow by flow. flow_id None: a problem of
        the look-back as a whole."""
        values, self._new = self._new, []
        try:
            found = self.recent.rescan(values)
        except Exception as e:  # noqa: BLE001 - a look-back failure must not end detection
            return iter([(None, [], [f"look-back failed: {type(e).__name__}: {e}"])])
        return ((fid, hits, problems) for fid, hits, problems in found if hits or problems)


def _payload_hashes(payload: dict) -> tuple[str, str | None] | None:
    """The evidence hashes straight from the payload's message states, where the bytes
    already are (the same values as _evidence_hashes of the rebuilt flow, tested)."""
    try:
        response = payload.get("response")
        return (request_state_sha256(payload["request"]),
                response_state_sha256(response) if response is not None else None)
    except Exception:  # noqa: BLE001 - a state of another shape: hashed from the rebuilt flow
        return None


def _evidence_hashes(flow: http.HTTPFlow) -> tuple[str, str | None] | None:
    try:
        return (request_sha256(flow.request),
                response_sha256(flow.response) if flow.response is not None else None)
    except Exception:  # noqa: BLE001 - the flow row computes them itself then
        return None
