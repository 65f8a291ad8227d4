"""The detector: a flow in, the personal data it carries out.

    det = Detector(profile, limits=ScanLimits())
    det.observe("imei", "867530912345673")      # a value the hooks saw being read
    result = det.scan_flow(flow)                # mitmproxy.http.HTTPFlow

Known values (the device profile, values observed by the hooks, planted canaries) are the
first signal; the endpoint field maps of catalogued SDKs (piiaudit.detect.endpoints: this
request field carries that kind of data) the second; validated patterns the third. One
piece of data is one hit: hits from different layers of the same bytes, and hits of the
same type at the same place, are merged, known values winning over endpoint fields and
endpoint fields over patterns.
"""

from __future__ import annotations

from piiaudit import vocab
from piiaudit.hitsupport import add_support
from piiaudit.values import value_sha256

from piiaudit.detect import endpoints as endpoint_maps
from piiaudit.detect import geo
from piiaudit.detect.decoders import FLOW, PLAINTEXT
from piiaudit.detect.engine import Finder, Scanner
from piiaudit.detect.segment import Segment, kind_of
from piiaudit.detect.index import CoordFinder, KnownIndex, Text
from piiaudit.detect.limits import Budget, ScanLimits, ScanResult
from piiaudit.detect.variants import variants_for

MAX_VALUE_CHARS = 4096          # longer observed values (whole app lists) are not searched verbatim
_PLACEHOLDERS = {"unknown", "null", "none", "nil", "undefined", "02:00:00:00:00:00", "0", "-1",
                 "<unknown ssid>", "unknown ssid"}
_PAIR_CANDIDATES = 16
_SOURCE_RANK = {"known_value": 3, "observed_value": 3, endpoint_maps.SOURCE: 2, "pattern": 1}
_STRONG = ("known_value", "observed_value")


def _placeholder(value: str) -> bool:
    v = value.strip().lower()
    digits = v.replace(":", "").replace("-", "")
    return v in _PLACEHOLDERS or (len(digits) >= 3 and len(set(digits)) <= 1)   # "EE" is a carrier


# Capacities of the known-value tiers below the base: a new observed value costs a rebuild
# of the smallest tier only; full tiers cascade down (amortised, like an LSM tree).
TIER_CAPACITY = (8, 64)


class Detector:
    def __init__(self, profile=None, limits: ScanLimits | None = None, *, patterns: bool = True,
                 endpoints: bool | None = None):
        """patterns=False: known and observed values and locations only, no pattern search
        (the proxy's look-back asks only whether newly learned values are in old flows);
        endpoints: read the endpoint field maps (default: as `patterns`)."""
        self.limits = limits or ScanLimits()
        self.patterns = patterns
        self.endpoints = patterns if endpoints is None else endpoints
        # tiers[0] is the base (profile values), the others hold values observed later,
        # smallest last; each tier has its own index, built when first needed
        self._tiers: list[dict[tuple[str, str], str]] = [{} for _ in range(len(TIER_CAPACITY) + 1)]
        self._tier_index: list[KnownIndex | None] = [None] * len(self._tiers)
        self._variants: dict[tuple[str, str], list] = {}
        self._fixes: list[geo.KnownFix] = []
        self._coords: CoordFinder | None = None
        # top-level segments (host, path, header block) that held nothing for the current
        # indexes (engine.Scanner.scan); cleared whenever an index is rebuilt
        self._memo: dict = {}
        # the quiet test's arguments per segment kind (engine.Scanner._quiet_plan), for the
        # current indexes; cleared with the memo
        self._plans: dict = {}
        if profile is not None:
            for pii_type, value in profile.known_values():
                self._add(pii_type, value, "known_value", 0)
            for fix in profile.locations:
                self._add_fix(fix.lat, fix.lng, geo.fix_value(fix.lat, fix.lng), "known_value")

    # --- known values ----------------------------------------------------------------
    def observe(self, pii_type: str, value: str) -> None:
        """Add a value the hooks saw being read. Cheap: only the smallest index is rebuilt,
        at the next scan."""
        if not vocab.is_known(pii_type):
            raise ValueError(f"unknown PII type {pii_type!r}")
        if value is None:
            return
        value = str(value)
        if pii_type == "location":
            lat, lng = geo.parse_fix(value)
            self._add_fix(lat, lng, value.strip(), "observed_value")
            return
        self._add(pii_type, value, "observed_value", len(self._tiers) - 1)

    def _add(self, pii_type: str, value: str, source: str, tier: int) -> None:
        value = value.strip()
        if not value or len(value) > MAX_VALUE_CHARS or _placeholder(value):
            return
        key = (pii_type, value)
        if any(key in t for t in self._tiers):
            return
        self._tiers[tier][key] = source
        self._tier_index[tier] = None

    def _add_fix(self, lat: float, lng: float, value: str, source: str) -> None:
        for f in self._fixes:
            if geo.haversine_m(f.lat, f.lng, lat, lng) < 1.0:
                return
        self._fixes.append(geo.KnownFix(lat, lng, value, source))
        self._coords = None

    @property
    def known_count(self) -> int:
        return sum(len(t) for t in self._tiers) + len(self._fixes)

    def _variants_of(self, values: dict) -> list:
        out = []
        for key, source in values.items():
            vs = self._variants.get(key)
            if vs is None:
                vs = self._variants[key] = variants_for(key[0], key[1], source)
            out.extend(vs)
        return out

    def _indexes(self) -> tuple[list[KnownIndex], CoordFinder]:
        for i in range(len(self._tiers) - 1, 0, -1):      # cascade full tiers downwards
            if len(self._tiers[i]) > TIER_CAPACITY[i - 1]:
                self._tiers[i - 1].update(self._tiers[i])
                self._tiers[i].clear()
                self._tier_index[i - 1] = self._tier_index[i] = None
        for i, tier in enumerate(self._tiers):
            if self._tier_index[i] is None:
                self._tier_index[i] = KnownIndex(self._variants_of(tier))
                self._memo.clear()
                self._plans.clear()
        if self._coords is None:
            self._coords = CoordFinder(list(self._fixes), self.limits.location_radius_m)
            self._memo.clear()
            self._plans.clear()
        return [k for k in self._tier_index if k.automaton is not None], self._coords

    @property
    def index_size(self) -> int:
        """Variants searched for (all tiers)."""
        known, _ = self._indexes()
        return sum(k.n_keys for k in known)

    # --- scanning --------------------------------------------------------------------------
    def scan_flow(self, flow) -> ScanResult:
        budget = Budget(self.limits)
        try:
            known, coords = self._indexes()
            scanner = Scanner(known, coords, budget, patterns=self.patterns, memo=self._memo,
                              plans=self._plans)
        except Exception as e:  # noqa: BLE001
            return ScanResult(errors=[f"detector index: {type(e).__name__}: {e}"])
        scanner.scan_source(FLOW, flow)
        endpoint_hits: list[dict] = []
        if self.endpoints:
            try:
                endpoint_hits = endpoint_maps.extract(flow, budget)
            except Exception as e:  # noqa: BLE001 - costs the endpoint hits of this flow, nothing more
                budget.error(f"endpoint maps: {type(e).__name__}: {e}")
        try:
            hits = self._finish(scanner, budget, endpoint_hits)
        except Exception as e:  # noqa: BLE001
            budget.error(f"merging hits: {type(e).__name__}: {e}")
            hits = []
        return ScanResult(hits=hits, capped=list(budget.capped), errors=list(budget.errors))

    def scan_bytes(self, data: bytes, location_prefix: str = "body", direction: str = "request",
                   content_type: str = "") -> list[dict]:
        """Scan one body-like byte string (tests, benchmarks, the corpus)."""
        budget = Budget(self.limits)
        known, coords = self._indexes()
        scanner = Scanner(known, coords, budget, patterns=self.patterns, plans=self._plans)
        n = budget.take_body(len(data))
        data = bytes(data[:n])
        scanner.scan(Segment(data, kind_of(data, content_type), location_prefix, direction, 0,
                             content_type=content_type))
        return self._finish(scanner, budget)

    def scan_plaintext(self, data: bytes) -> list[dict]:
        """Scan a plaintext the crypto hooks saw. Locations are relative to the plaintext
        (`json:$.imei`, `text`); location.crypto() puts its carrier in front."""
        budget = Budget(self.limits)
        known, coords = self._indexes()
        scanner = Scanner(known, coords, budget, patterns=self.patterns, plans=self._plans)
        scanner.scan_source(PLAINTEXT, bytes(data))
        return self._finish(scanner, budget)

    def locate_in_request(self, flow, groups: list[list[bytes]]) -> dict[int, tuple[str, int]]:
        """Where byte strings sit in a flow's request (URL, headers, body and the layers
        decoded out of them), named like the location of a hit there.

        `groups`: per datum, the forms it may travel in; returns {group index: (location,
        index of the form found)} for the groups found."""
        return Finder(Budget(self.limits)).find(FLOW, flow, groups, only=("request",))

    def find_known(self, data: bytes) -> list[tuple[str, str, str, int, int]]:
        """The known-value stage alone on raw bytes, no decoding: (pii_type, value, encoding,
        start, end). For benchmarks and tools that want the automaton's view."""
        known, _ = self._indexes()
        text = Text(bytes(data))
        return [(m.variant.pii_type, m.variant.value, ">".join(m.steps) or "plain", m.start, m.end)
                for index in known for m in index.search(text)]

    # --- merging ------------------------------------------------------------------------------
    def _finish(self, scanner: Scanner, budget: Budget, endpoint_hits: list[dict] = ()) -> list[dict]:
        found = scanner.found
        hits = found.known + list(endpoint_hits) + found.patterns + self._pair_coords(found.coords)
        hits = _dedupe(hits)
        if len(hits) > self.limits.max_hits:
            budget.cap("hits")
            hits = hits[: self.limits.max_hits]
        for h in hits:
            places = [(h.pop("_root", None), h.pop("_span", None))] + list(h.pop("_also", ()))
            wire = _wire_texts(scanner.wire, places)
            if wire:
                h["detail"] = {**(h.get("detail") or {}), "wire": wire}
                if any(len(w) >= WIRE_MAX for w in wire):
                    h["detail"]["wire_cut"] = True
            h["value_sha256"] = value_sha256(h["value"])
        return hits

    def _pair_coords(self, coords: list[dict]) -> list[dict]:
        """A fix is found when a latitude and a longitude near it travel in the same direction."""
        if not coords:
            return []
        out = []
        targets = self._coords.targets
        for direction in {c["direction"] for c in coords}:
            cs = [c for c in coords if c["direction"] == direction]
            best: dict[int, tuple] = {}
            for t in targets:
                lats = [(c, sc) for c in cs for ok, sc in [geo.matches(c["value"], c["scale"], abs(t.lat), t.tol_lat)]
                        if ok and _sign_ok(c["value"], t.lat)]
                lngs = [(c, sc) for c in cs for ok, sc in [geo.matches(c["value"], c["scale"], abs(t.lng), t.tol_lng)]
                        if ok and _sign_ok(c["value"], t.lng)]
                if not lats or not lngs:
                    continue
                # the nearest few per axis decide; a body of a thousand nearby numbers must
                # not cost a million pairs
                lats = sorted(lats, key=lambda x: abs(_scaled(x[0]["value"], x[1]) - abs(t.lat)))[:_PAIR_CANDIDATES]
                lngs = sorted(lngs, key=lambda x: abs(_scaled(x[0]["value"], x[1]) - abs(t.lng)))[:_PAIR_CANDIDATES]
                for la, la_scale in lats:
                    for ln, ln_scale in lngs:
                        if la is ln:
                            continue
                        lat = _scaled(la["value"], la_scale)
                        lng = _scaled(ln["value"], ln_scale)
                        d = geo.haversine_m(lat, lng, t.lat, t.lng)
                        if d > self.limits.location_radius_m:
                            continue
                        cand = (d, t, la, ln, la_scale or ln_scale)
                        if t.fix not in best or d < best[t.fix][0]:
                            best[t.fix] = cand
            for fix_i, (d, t, la, ln, scale) in best.items():
                fix = self._coords.fixes[fix_i]
                steps = tuple(la["chain"]) + tuple(s for s in (t.datum if t.datum != "wgs84" else "", scale) if s)
                same = la["location"] == ln["location"]
                detail = {"distance_m": round(d, 1), "datum": t.datum, "lat": _scaled(la["value"], scale),
                          "lng": _scaled(ln["value"], scale)}
                if not same:
                    detail["lat_location"], detail["lng_location"] = la["location"], ln["location"]
                if la["_span"][0] > ln["_span"][0]:
                    detail["order"] = "lng,lat"
                if la.get("detail"):
                    detail.update(la["detail"])
                out.append({
                    "pii_type": "location", "location": la["location"], "encoding": ">".join(steps) or "plain",
                    "source": fix.source, "value": fix.value,
                    "confidence": 0.95 if d <= self.limits.location_radius_m / 2 else 0.8,
                    "direction": direction, "detail": detail,
                    "_root": la["_root"], "_span": la["_span"], "_also": [(ln["_root"], ln["_span"])],
                })
        return out


def _sign_ok(value: float, axis: float) -> bool:
    return (value < 0) == (axis < 0) or value == 0


WIRE_MAX = 1024   # characters of a hit's wire text kept (detail.wire); longer ones are cut: detail.wire_cut


def _wire_texts(wire: dict[int, bytes], places: list) -> list[str]:
    """The text of a URL part or header that carried a hit (the span of the top-level
    segment it came from), exactly as it travelled: what a masked report must hide."""
    out: list[str] = []
    for root, span in places:
        data = wire.get(root) if root is not None and span else None
        if data is None:
            continue
        text = data[span[0]:span[1]][:WIRE_MAX].decode("utf-8", "surrogateescape")
        if text and text not in out:
            out.append(text)
    return out


def _scaled(value: float, scale: str) -> float:
    return value / 1e6 if scale == "e6" else value / 1e7 if scale == "e7" else value


def _rank(h: dict) -> tuple:
    return (_SOURCE_RANK.get(h["source"], 0), h["confidence"], len(h["location"]), -h["encoding"].count(">"))


def _dedupe(hits: list[dict]) -> list[dict]:
    """One piece of data, one hit; the strongest source kept (known value = observed value >
    endpoint field > pattern), the others recorded in its `detail.support`.

    1. Hits on overlapping bytes of the same top-level segment: a known or observed value
       absorbs any pattern there; hits of one type and value (from different layers) keep
       the best. (Endpoint hits name a field, not bytes: they skip this step.)
    2. Then one hit per (direction, location, value), and one pattern hit per (direction,
       location, pii_type). At one (direction, location) a known or observed hit absorbs an
       endpoint hit of the same value or type (the field's documented kind stays as
       support), and an endpoint hit absorbs a pattern hit of its type or inside its value.
    """
    hits = sorted(hits, key=_rank, reverse=True)
    kept: list[dict] = []
    spans: dict[tuple, list[dict]] = {}
    for h in hits:
        if h.get("_span") is None:
            kept.append(h)
            continue
        key = (h["direction"], h["_root"])
        owner = None
        for k in spans.get(key, ()):
            if k["_span"][0] < h["_span"][1] and h["_span"][0] < k["_span"][1]:
                if (h["source"] == "pattern" and k["source"] != "pattern") or \
                        (k["pii_type"] == h["pii_type"] and (h["source"] == "pattern" or k["value"] == h["value"])):
                    owner = k
                    break
        if owner is not None:
            add_support(owner, h)
            continue
        spans.setdefault(key, []).append(h)
        kept.append(h)
    out: list[dict] = []
    by_value: dict[tuple, dict] = {}
    strong_by_type: dict[tuple, dict] = {}
    fields_at: dict[tuple, list[dict]] = {}
    pattern_places: set[tuple] = set()
    for h in kept:
        place = (h["direction"], h["location"])
        owner = by_value.get((*place, h["value"]))
        if owner is None and h["source"] == endpoint_maps.SOURCE:
            owner = strong_by_type.get((*place, h["pii_type"]))
        if owner is None and h["source"] == "pattern":
            owner = next((e for e in fields_at.get(place, ())
                          if e["pii_type"] == h["pii_type"] or str(h["value"]) in str(e["value"])), None)
        if owner is None and h["source"] == "pattern" and (*place, h["pii_type"]) in pattern_places:
            continue
        if owner is not None:
            add_support(owner, h)
            continue
        by_value[(*place, h["value"])] = h
        if h["source"] in _STRONG:
            strong_by_type.setdefault((*place, h["pii_type"]), h)
        elif h["source"] == endpoint_maps.SOURCE:
            fields_at.setdefault(place, []).append(h)
        elif h["source"] == "pattern":
            pattern_places.add((*place, h["pii_type"]))
        out.append(h)
    return out
