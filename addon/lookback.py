"""Look-back: search recently scanned flows again for values the hooks reported late.

A value the hooks saw read reaches the detector some time after the app read it (a few
milliseconds when the hooks runner shares the proxy's process, up to a poll interval, about
a second, when mitmdump reads it from session.db), and a flow the app sent right after the
read may be scanned before the value is known. A replay, which knows every value before its
first flow, would find it. To make the live record agree with a replay, the side that
scans flows keeps the last flows it scanned (`LookbackBuffer`) and, when values new to its
detector arrive, scans those flows again for just those values, with a detector holding
only them, and reports the `observed_value` hits the flows did not already have. A late
hit on the place of a stored pattern hit, or of a stored endpoint-field hit of its value or
type (piiaudit.detect.endpoints), carries that hit in its `detail.support`; the session
writer then replaces the stored row with it (piiaudit.store.superseded_patterns), so one
datum stays one row, as a replay would record it. The look-back's detector reads neither
patterns nor endpoint maps: the first scan stored those.

The buffer is bounded three ways: by age in flow time (request start; the newest flow
sets the clock, so a replay of the same file behaves the same), by count and by bytes.
The buffered form is mitmproxy's `get_state()` of the request, response and WebSocket
data (`flow_payload`), the same form that travels to the detection process, so both places
detection runs (addon.scanner) buffer and rebuild flows alike.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mitmproxy import connection, http, websocket

from piiaudit.flowrow import destination
from piiaudit.hitsupport import add_support

DEFAULT_WINDOW_S = 30
DEFAULT_MAX_FLOWS = 512
DEFAULT_MAX_MB = 64

# Detection does not look at connections; one placeholder pair serves every rebuilt flow.
_CLIENT = connection.Client(peername=("127.0.0.1", 0), sockname=("127.0.0.1", 0), timestamp_start=0)
_SERVER = connection.Server(address=None)
# ... and one per destination (detection only reads it): making one costs more than the
# request and response together. Bounded: cleared when it holds _MAX_SERVERS.
_servers: dict[tuple[str, int], connection.Server] = {}
_MAX_SERVERS = 1024


def flow_payload(flow: http.HTTPFlow) -> dict:
    """What detection reads of a flow: request, response and WebSocket messages in their
    `get_state()` form (the connection objects would cost more to copy than the scan),
    and the destination host (piiaudit.flowrow.destination), which the endpoint maps need."""
    return {
        "request": flow.request.get_state(),
        "response": flow.response.get_state() if flow.response is not None else None,
        "websocket": flow.websocket.get_state() if flow.websocket is not None else None,
        "destination": destination(flow),
    }


def rebuild(flow_id: str, payload: dict) -> http.HTTPFlow:
    """A flow detection can scan, from flow_payload(); connected to its destination."""
    dest = payload.get("destination")
    server = _SERVER
    if dest:
        address = (str(dest), int(payload["request"].get("port") or 443))
        server = _servers.get(address)
        if server is None:
            if len(_servers) >= _MAX_SERVERS:
                _servers.clear()
            server = _servers[address] = connection.Server(address=address)
    flow = http.HTTPFlow(_CLIENT, server)
    flow.id = flow_id
    # from_state may consume the state it is given (WebSocketData replaces its messages by
    # message objects): each gets a copy, so the payload can be sized and rebuilt again.
    flow.request = http.Request.from_state(dict(payload["request"]))
    if payload.get("response") is not None:
        flow.response = http.Response.from_state(dict(payload["response"]))
    if payload.get("websocket") is not None:
        flow.websocket = websocket.WebSocketData.from_state(dict(payload["websocket"]))
    return flow


def payload_size(payload: dict) -> int:
    """Bytes a buffered payload holds: bodies, header fields, WebSocket messages."""
    n = 0
    for part in ("request", "response"):
        state = payload.get(part)
        if not state:
            continue
        n += len(state.get("content") or b"")
        for name, value in state.get("headers") or ():
            n += len(name) + len(value)
        for name, value in state.get("trailers") or ():
            n += len(name) + len(value)
        n += len(state.get("path") or b"") + 256  # the rest of the message, roughly
    ws = payload.get("websocket")
    if ws:
        for msg in ws.get("messages") or ():
            n += _message_size(msg) + 64
    return n


def _message_size(msg: Any) -> int:
    """Bytes of one WebSocket message in any form it may be held in: its state tuple, a
    WebSocketMessage, or something else (counted as nothing)."""
    if isinstance(msg, (tuple, list)):
        return sum(len(x) for x in msg if isinstance(x, (bytes, str)))
    content = getattr(msg, "content", None)
    return len(content) if isinstance(content, (bytes, str)) else 0


def hit_key(hit: dict) -> tuple:
    """What makes two hits of one flow the same finding."""
    return (hit.get("direction"), hit.get("location"), hit.get("pii_type"), hit.get("value"))


@dataclass
class Entry:
    flow_id: str
    ts: float
    payload: dict
    size: int
    keys: set = field(default_factory=set)          # hit_key of the flow's known and observed value hits
    patterns: list = field(default_factory=list)    # its stored pattern hits
    fields: list = field(default_factory=list)      # its stored endpoint-field hits

    def note(self, hits: Iterable[dict]) -> None:
        for h in hits:
            if h.get("source") == "pattern":
                # a value found later where a pattern was supersedes the stored pattern row
                self.patterns.append(h)
            elif h.get("source") == "endpoint":
                # likewise a value found later in a mapped field supersedes the field's row
                self.fields.append(h)
            else:
                self.keys.add(hit_key(h))


class LookbackBuffer:
    """The last scanned flows, bounded by flow-time age, count and bytes.

    A zero for any bound turns look-back off.
    """

    def __init__(self, window_s: float = DEFAULT_WINDOW_S, max_flows: int = DEFAULT_MAX_FLOWS,
                 max_bytes: int = DEFAULT_MAX_MB << 20, limits=None) -> None:
        self.window_s = float(window_s)
        self.max_flows = int(max_flows)
        self.max_bytes = int(max_bytes)
        self.limits = limits
        self.bytes = 0
        self.newest = float("-inf")
        self._entries: collections.OrderedDict[str, Entry] = collections.OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.window_s > 0 and self.max_flows > 0 and self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, flow_id: str, payload: dict, hits: Iterable[dict]) -> None:
        if not self.enabled:
            return
        old = self._entries.pop(flow_id, None)  # a flow recorded again keeps its last scan
        if old is not None:
            self.bytes -= old.size
        ts = _ts(payload)
        if ts is None:
            ts = self.newest if self.newest != float("-inf") else 0.0
        size = payload_size(payload)
        if size > self.max_bytes:
            return  # would push everything else out; such a flow is not looked back at
        entry = Entry(flow_id, ts, payload, size)
        entry.note(hits)
        self._entries[flow_id] = entry
        self.bytes += size
        self.newest = max(self.newest, ts)
        self._evict()

    def _evict(self) -> None:
        horizon = self.newest - self.window_s
        # Flows finish out of request-start order: an old one behind a newer head leaves when
        # it reaches the head, and rescan() skips it meanwhile.
        while self._entries:
            head = next(iter(self._entries.values()))
            if len(self._entries) > self.max_flows or self.bytes > self.max_bytes or head.ts < horizon:
                self._entries.popitem(last=False)
                self.bytes -= head.size
            else:
                break

    def rescan(self, values: list[tuple[str, str, float | None]]) -> Iterator[tuple[str | None, list[dict], list[str]]]:
        """Scan the flows buffered now for `values` ((pii_type, value, learned_at), new to
        the detector); the returned iterator yields (flow_id, late hits, problems) flow by
        flow, so a caller on an event loop can pause between flows. A problem that concerns
        no flow comes with flow_id None."""
        if not self.enabled or not values or not self._entries:
            return iter(())
        from piiaudit.detect import Detector, ScanLimits  # the proxy process without inline detection never loads it

        try:
            det = Detector(None, limits=self.limits or ScanLimits(), patterns=False, endpoints=False)
            learned: dict[tuple[str, str], float | None] = {}
            for pii_type, value, at in values:
                try:
                    det.observe(pii_type, value)
                except ValueError:
                    continue
                learned[(pii_type, str(value).strip())] = at
            if det.known_count == 0:
                return iter(())
        except Exception as e:  # noqa: BLE001 - costs this look-back, nothing else
            return iter([(None, [], [f"look-back detector: {type(e).__name__}: {e}"])])
        horizon = self.newest - self.window_s
        # Taken now: flows scanned from here on were scanned knowing the values.
        snapshot = [e for e in self._entries.values() if e.ts >= horizon]
        return self._scan(det, snapshot, learned)

    @staticmethod
    def _scan(det, snapshot: list[Entry], learned: dict) -> Iterator[tuple[str | None, list[dict], list[str]]]:
        latest = max((at for at in learned.values() if at is not None), default=None)
        for entry in snapshot:
            try:
                result = det.scan_flow(rebuild(entry.flow_id, entry.payload))
            except Exception as e:  # noqa: BLE001
                yield entry.flow_id, [], [f"look-back scan failed: {type(e).__name__}: {e}"]
                continue
            # Content problems (result.errors) were reported when the flow was first scanned.
            late = []
            for h in result.hits or ():
                if h.get("source") != "observed_value" or hit_key(h) in entry.keys:
                    continue
                at = learned.get((h.get("pii_type"), str(h.get("value")).strip()), latest)
                detail = dict(h.get("detail") or {})
                detail["lookback"] = True
                detail["lookback_delay_s"] = round(at - entry.ts, 3) if at is not None else None
                late_hit = {**h, "detail": detail}
                for weaker in _patterns_under(entry, h, detail) + _fields_under(entry, h):
                    add_support(late_hit, weaker)
                late.append(late_hit)
            entry.note(late)
            yield entry.flow_id, late, []


def _patterns_under(entry: Entry, hit: dict, detail: dict) -> list[dict]:
    """The flow's stored pattern hits on the bytes this late hit covers (same place)."""
    matched = str(detail.get("matched") or hit.get("value") or "")
    out = []
    for p in entry.patterns:
        text = str(p.get("value") or "")
        if p.get("direction") == hit.get("direction") and p.get("location") == hit.get("location") and text \
                and matched and (text in matched or matched in text):
            out.append(p)
    return out


def _fields_under(entry: Entry, hit: dict) -> list[dict]:
    """The flow's stored endpoint-field hits at this late hit's place, of its value or type
    (the detector's merge rule, piiaudit.detect.detector._dedupe)."""
    return [f for f in entry.fields
            if f.get("direction") == hit.get("direction") and f.get("location") == hit.get("location")
            and (str(f.get("value")) == str(hit.get("value")) or f.get("pii_type") == hit.get("pii_type"))]


def _ts(payload: dict) -> float | None:
    try:
        ts = payload["request"]["timestamp_start"]
        return float(ts) if ts is not None else None
    except (KeyError, TypeError, ValueError):
        return None


def lookback_args(window_s: Any, max_flows: Any, max_bytes: Any) -> list[str]:
    """The worker's command-line form of the bounds."""
    return [str(float(window_s)), str(int(max_flows)), str(int(max_bytes))]
