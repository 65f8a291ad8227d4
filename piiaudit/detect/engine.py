"""Reading a flow segment by segment, and every layer decoded out of each segment.

The decoders are one table (decoders.py); this module walks it. A `Walker` reads
segments through the table: the sources give a flow's top-level segments, the layers of
a segment's kind give its children, the locator of its kind names where spans sit. Two
walkers use it:

- `Scanner` searches each segment: the raw bytes once for known values and coordinate
  candidates (index.py) and once for validated patterns (patterns.py); then each child,
  its chain one step longer, to a bounded depth; it locates only the spans that matter.
  A segment in which one C call (`quiet`, _native.c) sees no candidate of any search or
  layer is not searched at all: it would yield nothing and spend nothing.
- `Finder` looks for given byte strings (a ciphertext the crypto hooks saw) and names the
  place it finds them with the same locations a hit there would have.

Every hit remembers the span of the top-level bytes it came from, so the detector can
tell that two hits from different layers are the same piece of data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from typing import Callable, Iterator, NamedTuple

from piiaudit.detect.decoders import DECODERS, FLOW, PLAINTEXT, TOKENS, Decoder, locate_text
from piiaudit.detect import index as index_module
from piiaudit.detect.index import Coord, CoordFinder, KnownIndex, Match, Text
from piiaudit.detect.limits import Budget
from piiaudit.detect.patterns import KEYED_WORDS, PatternHit, find_patterns
from piiaudit.detect.segment import Child, Segment

_BINARY_KINDS = ("protobuf", "binary", "text")    # where protobuf doubles and gzip streams are looked for


class Tables(NamedTuple):
    sources: dict[str, tuple[Decoder, ...]]     # by input (FLOW, PLAINTEXT), in table order
    layers: dict[str, tuple[Decoder, ...]]      # by segment kind, in table order
    locators: dict[str, Callable]               # by segment kind
    whole: frozenset[str]                       # kinds read only through their children
    needles: dict[str, tuple[bytes, ...]]       # by segment kind: literals its layers look for


def tables(decoders: tuple[Decoder, ...] = DECODERS) -> Tables:
    """The decoder table indexed for the walk: sources by input, layers and the locator by
    segment kind, the kinds read only through their children, and the literals the layers
    of each kind look for."""
    sources: dict[str, list[Decoder]] = {}
    layers: dict[str, list[Decoder]] = {}
    locators: dict[str, Callable] = {}
    for d in decoders:
        for kind in d.reads:
            if kind in (FLOW, PLAINTEXT):
                sources.setdefault(kind, []).append(d)
                continue
            if d.decode is not None:
                layers.setdefault(kind, []).append(d)
            if d.locate is not None:
                if kind in locators:
                    raise ValueError(f"two decoders locate {kind!r} segments")
                locators[kind] = d.locate
    whole = frozenset(k for d in decoders if d.whole for k in d.reads)
    needles = {k: tuple(n for d in ds for n in d.needles) for k, ds in layers.items()}
    return Tables({k: tuple(v) for k, v in sources.items()}, {k: tuple(v) for k, v in layers.items()},
                  locators, whole, needles)


SOURCES, LAYERS, LOCATORS, WHOLE, NEEDLES = tables()


class Walker:
    """Segments in, children and locations out, through the decoder table, within one budget."""

    def __init__(self, budget: Budget):
        self.budget = budget
        self.limits = budget.limits

    def segments(self, source: str, what, only: tuple[str, ...] | None = None
                 ) -> Iterator[tuple[Decoder, Iterator[Segment]]]:
        """The top-level segments of a flow (FLOW) or a plaintext (PLAINTEXT), per source
        (or only the sources named)."""
        roots = count()
        for d in SOURCES.get(source, ()):
            if only is None or d.name in only:
                yield d, d.decode(self, what, roots)

    def children(self, seg: Segment, text: Text | None) -> list[Child]:
        """What the layers reading this kind find in the segment, in table order."""
        out: list[Child] = []
        for d in LAYERS.get(seg.kind, ()):
            out.extend(d.decode(self, seg, text, out))
        return out

    def locate(self, seg: Segment, spans: list[tuple[int, int]]) -> list[str]:
        if not spans:
            return []
        return LOCATORS.get(seg.kind, locate_text)(self, seg, spans)

    def descend(self, seg: Segment, c: Child, loc: str) -> Segment | None:
        """The segment a child is read as; None when it would go deeper than max_decode_depth."""
        depth = seg.depth + c.cost
        if depth > self.limits.max_decode_depth:
            self.budget.cap("decode_depth")
            return None
        if c.in_place:
            top, root_span = seg.top, None if c.span_map else seg.root_span
        else:
            top, root_span = False, seg.root_of(c.start, c.end)
        return Segment(data=c.data, kind=c.kind, prefix=loc, direction=seg.direction, root=seg.root,
                       chain=seg.chain + c.layers, depth=depth, top=top, root_span=root_span,
                       content_type=c.content_type, detail=seg.detail, span_map=c.span_map, encoded=c.encoded)

    def layers_of(self, seg: Segment, text: Text | None) -> list[tuple[Child, str]]:
        """The children of a segment with their locations (spans located in one pass)."""
        children = self.children(seg, text)
        locs = iter(self.locate(seg, [(c.start, c.end) for c in children if c.prefix is None]))
        return [(c, next(locs) if c.prefix is None else c.prefix) for c in children]


@dataclass
class Found:
    """Everything one flow's segments produced, before dedupe."""
    known: list[dict] = field(default_factory=list)
    patterns: list[dict] = field(default_factory=list)
    coords: list[dict] = field(default_factory=list)


# Kinds of top-level segment a report shows as text (URL host, path and query, headers).
WIRE_KINDS = ("host", "path", "query", "headers")

# Top-level segments that repeat from flow to flow (an SDK sends to the same host and path
# with the same headers): one that held nothing is remembered, and the same bytes of the
# same kind are not searched again while the detector's values stay the same
# (Detector keeps the memo and clears it when they change; see Scanner.scan).
MEMO_KINDS = frozenset(("host", "path", "headers"))
MEMO_MAX_BYTES = 2048
MEMO_MAX_ENTRIES = 1024      # at most ~2.5 MB of remembered bytes


class Scanner(Walker):
    def __init__(self, known: list[KnownIndex], coords: CoordFinder, budget: Budget, patterns: bool = True,
                 memo: dict | None = None, plans: dict | None = None):
        """memo: top-level segments known to hold nothing for these indexes (MEMO_KINDS),
        shared across the flows one detector scans; None: every segment is searched.
        plans: the quiet test's arguments per segment kind for these indexes (see
        _quiet_plan), kept by the detector across flows; None: made for this scanner."""
        super().__init__(budget)
        self.memo = memo
        if plans is None:
            plans = {}
        elif plans.get("layers") is not LAYERS:    # made for another decoder table: made anew
            plans.clear()
        plans["layers"] = LAYERS
        self.plans = plans
        self.quiet = 0      # segments the quiet test spared (no candidate of any search)
        self.known = known
        self.patterns = patterns
        self.coords = coords
        self.found = Found()
        self.needles_low = KEYED_WORDS
        self.needles_raw = tuple(coords.needles) + (b"@",)
        self.needles_binary = tuple(coords.binary_needles)
        self._needles: dict[str, tuple[bytes, ...]] = {}    # by segment kind: what _scan prefetches
        # top-level segments whose text a report shows (URL parts, headers), by root id:
        # each hit there records the exact text it covers (Detector._finish, detail.wire)
        self.wire: dict[int, bytes] = {}

    def scan_source(self, source: str, what) -> None:
        """Scan every top-level segment of a flow or a plaintext; a failing source costs
        only the rest of its own segments."""
        for d, segments in self.segments(source, what):
            try:
                for seg in segments:
                    self.scan(seg)
            except Exception as e:  # noqa: BLE001 - what was found so far is kept
                self.budget.error(f"{d.name}: {type(e).__name__}: {e}")

    def scan(self, seg: Segment) -> None:
        key = None
        if self.memo is not None and seg.kind in MEMO_KINDS and seg.depth == 0 and seg.root_span is None \
                and not seg.chain and seg.detail is None and len(seg.data) <= MEMO_MAX_BYTES and self._room() > 0:
            key = (seg.kind, seg.direction, seg.prefix, seg.content_type, seg.data,
                   tuple(seg.header_fields) if seg.header_fields else None)
            if key in self.memo:     # these bytes held nothing last time and cost no budget
                if seg.kind in WIRE_KINDS:
                    self.wire[seg.root] = seg.data
                return
            before = self._state()
        try:
            self._scan(seg)
        except RecursionError:
            self.budget.error(f"{seg.prefix or seg.kind}: structure too deeply nested")
        except Exception as e:  # noqa: BLE001 - hostile input must cost at most this segment
            self.budget.error(f"{seg.prefix or seg.kind}: {type(e).__name__}: {e}")
        if key is not None and self._state() == before:   # nothing found, no token, cap or error
            if len(self.memo) >= MEMO_MAX_ENTRIES:
                self.memo.clear()
            self.memo[key] = None

    def _state(self) -> tuple:
        """What a segment's search can change: the findings, and the budget it spends."""
        f, b = self.found, self.budget
        return (len(f.known), len(f.patterns), len(f.coords), b.tokens, b.decompressed, len(b.capped),
                len(b.errors))

    def _scan(self, seg: Segment) -> None:
        if not seg.data:
            return
        if seg.depth == 0 and seg.root_span is None and seg.kind in WIRE_KINDS:
            self.wire[seg.root] = seg.data
        if seg.kind in WHOLE:
            for c in self.children(seg, None):
                child = self.descend(seg, c, c.prefix)
                if child is not None:
                    self.scan(child)
            return
        native = index_module.NATIVE     # None: the numpy path, which searches every segment
        if native is not None:
            plan = self.plans.get((seg.kind, self.patterns))
            if plan is None:
                plan = self.plans[(seg.kind, self.patterns)] = self._quiet_plan(seg.kind)
            if plan and self._room() > 0 and native.quiet(seg.data, *plan):
                self.quiet += 1     # no candidate of any search or layer: nothing to find
                return
        text = Text(seg.data)
        # every literal the searches and this kind's decoders ask about, found in one pass
        needles = self._needles.get(seg.kind)
        if needles is None:
            needles = self.needles_raw + NEEDLES.get(seg.kind, ())
            if seg.kind in _BINARY_KINDS:
                needles += self.needles_binary
            self._needles[seg.kind] = needles
        text.prefetch(needles, folded=self.needles_low)
        room = self._room()
        matches = [m for index in self.known for m in index.search(text, room)][:room]
        coords = self.coords.search(text, seg.kind in ("protobuf", "binary"), room)
        pats = find_patterns(text, self.limits.min_pattern_confidence, room) if self.patterns else []
        if room <= 0 or max(len(matches), len(coords), len(pats)) >= room:
            self.budget.cap("hits")
        children = self.children(seg, text)

        spans = [(m.start, m.end) for m in matches] + [(p.start, p.end) for p in pats] \
            + [(c.start, c.end) for c in coords] + [(c.start, c.end) for c in children if c.prefix is None]
        locs = self.locate(seg, spans)
        i = 0
        for m in matches:
            self._known(seg, m, locs[i])
            i += 1
        for p in pats:
            self._pattern(seg, p, locs[i])
            i += 1
        for c in coords:
            self._coord(seg, c, locs[i])
            i += 1
        for c in children:
            if c.prefix is None:
                loc = locs[i]
                i += 1
            else:
                loc = c.prefix
            child = self.descend(seg, c, loc)
            if child is not None:
                self.scan(child)

    def _quiet_plan(self, kind: str) -> tuple | bool:
        """The arguments of the C quiet test (_native.c) for segments of a kind: a
        necessary condition of every search _scan runs on them (known values through
        their prefilter's grams, coordinates, patterns) and of every layer reading the
        kind (its Decoder.cues). A segment that passes it has no candidate anywhere, and
        _scan would find nothing, decode nothing and spend nothing of the budget.
        False when some layer of the kind cannot tell, or an index cannot be filtered."""
        layers = LAYERS.get(kind, ())
        if any(d.cues is None for d in layers) or any(k.prefilter.unfiltered for k in self.known):
            return False
        coords = self.coords
        needles = list(coords.needles)
        if kind in ("protobuf", "binary"):
            needles += coords.binary_needles
        flags = 0
        if self.patterns:
            needles.append(b"@")
            flags |= 1
        for d in layers:
            if d.cues == TOKENS:
                flags |= 2
            else:
                needles += d.cues
        grams = tuple((t8.bloom_bits, t8.bloom, t8.exact, t4.bloom_bits, t4.bloom, t4.exact)
                      for k in self.known for t8, t4 in [(k.prefilter.t8, k.prefilter.t4)])
        scaled = tuple(sorted(coords.scaled)) if coords.targets else ()
        keyed = KEYED_WORDS if self.patterns else ()
        return tuple(dict.fromkeys(n for n in needles if n)), grams, scaled, keyed, flags

    # --- hits ------------------------------------------------------------------------
    @staticmethod
    def _chain(seg: Segment, start: int, end: int) -> tuple[str, ...]:
        """The layers' steps for a hit at seg.data[start:end]. Percent-decoding the layer
        around a value is a step of its chain only where it changed the value's own
        characters: a value that stands verbatim in the encoded bytes
        (`extinfo=%5B%22T-Mobile%22`), or whose only encoded characters are base64 padding,
        travelled as it is."""
        chain = seg.chain
        if seg.encoded is not None and chain[-1:] == ("urlencoded",):
            own = seg.data[start:end].rstrip(b"=")
            if own and own in seg.encoded:
                return chain[:-1]
        return chain

    def _encoding(self, seg: Segment, steps: tuple[str, ...], start: int, end: int) -> str:
        return ">".join(self._chain(seg, start, end) + steps) or "plain"

    def _room(self) -> int:
        """Raw findings are bounded too: twice the hits a flow may report, because
        locating and merging them costs more than finding them."""
        f = self.found
        return max(0, 2 * self.limits.max_hits - len(f.known) - len(f.patterns) - len(f.coords))

    def _full(self) -> bool:
        if self._room() <= 0:
            self.budget.cap("hits")
            return True
        return False

    def _known(self, seg: Segment, m: Match, loc: str) -> None:
        if self._full():
            return
        v = m.variant
        detail = {"matched": seg.data[m.start:m.end][:96].decode("latin-1")}
        if m.detail:
            detail.update(m.detail)
        if seg.detail:
            detail.update(seg.detail)
        self.found.known.append({
            "pii_type": v.pii_type, "location": loc, "encoding": self._encoding(seg, m.steps, m.start, m.end),
            "source": v.source, "value": v.value, "confidence": 1.0 if m.end - m.start >= 10 else 0.9,
            "direction": seg.direction, "detail": detail,
            "_root": seg.root, "_span": seg.root_of(m.start, m.end),
        })

    def _pattern(self, seg: Segment, p: PatternHit, loc: str) -> None:
        if self._full():
            return
        detail = {"rule": p.rule}
        if p.key:
            detail["key"] = p.key
        if seg.detail:
            detail.update(seg.detail)
        self.found.patterns.append({
            "pii_type": p.pii_type, "location": loc, "encoding": self._encoding(seg, (), p.start, p.end),
            "source": "pattern", "value": p.value, "confidence": p.confidence,
            "direction": seg.direction, "detail": detail,
            "_root": seg.root, "_span": seg.root_of(p.start, p.end),
        })

    def _coord(self, seg: Segment, c: Coord, loc: str) -> None:
        if self._full():
            return
        self.found.coords.append({
            "value": c.value, "scale": c.scale, "location": loc, "chain": self._chain(seg, c.start, c.end),
            "direction": seg.direction, "detail": seg.detail,
            "_root": seg.root, "_span": seg.root_of(c.start, c.end),
        })


class Finder(Walker):
    """Where given byte strings sit in a flow, named like hit locations.

    Each group is a list of alternatives (one datum in the forms it may travel in: raw,
    hex, base64); a group is found at the first segment, in reading order and top layer
    first, that holds one of them, and reported with the index of the alternative."""

    def find(self, source: str, what, groups: list[list[bytes]], only: tuple[str, ...] | None = None
             ) -> dict[int, tuple[str, int]]:
        """{group index: (location, alternative index)} for the groups found."""
        found: dict[int, tuple[str, int]] = {}
        for _d, segments in self.segments(source, what, only):
            try:
                for seg in segments:
                    try:
                        self._find(seg, groups, found)
                    except Exception:  # noqa: BLE001 - hostile input: this segment holds nothing findable
                        pass
                    if len(found) == len(groups):
                        return found
            except Exception:  # noqa: BLE001 - an unreadable part: the other parts are still read
                continue
        return found

    def _find(self, seg: Segment, groups: list[list[bytes]], found: dict) -> None:
        if not seg.data:
            return
        text = None
        if seg.kind not in WHOLE:
            for g, alternatives in enumerate(groups):
                if g in found:
                    continue
                for i, needle in enumerate(alternatives):
                    pos = seg.data.find(needle)
                    if pos >= 0:
                        found[g] = (self.locate(seg, [(pos, pos + len(needle))])[0], i)
                        break
            if len(found) == len(groups):
                return
            text = Text(seg.data)
        for c, loc in self.layers_of(seg, text):
            child = self.descend(seg, c, loc)
            if child is not None:
                self._find(child, groups, found)
