"""The searchable index of every known value's variants, built once per value set.

All variants go into one Aho-Corasick automaton over lower-cased text (case-sensitive
variants are checked against the original bytes on a hit). A q-gram prefilter
(prefilter.py) keeps the automaton to the few windows of a large body that can hold a
variant at all. Short identifier-shaped variants must not touch a character of their own
class (an IMEI inside a longer digit run is not the IMEI); digests and long encodings may
sit anywhere, because SDKs glue them together (md5(imei) + md5(android_id)).

Coordinates are found by number, from the few literal prefixes every coordinate near a
known fix must start with.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote_plus

import ahocorasick
import numpy as np

from piiaudit.detect import geo
from piiaudit.detect.charclass import B64_MAP, DIGIT_MAP, HEX_MAP, NUMPY_FROM, run_list
from piiaudit.detect.prefilter import GramFilter
from piiaudit.detect.variants import DIGESTS, Variant

try:   # the one-pass C scans (setup.py builds them); numpy does the same work without
    from piiaudit.detect import _native
except ImportError:   # pragma: no cover - exercised by forcing NATIVE = None in the tests
    _native = None
NATIVE = _native

_HEX_FINAL = set(DIGESTS)
_BOUNDED_BELOW = 24      # variants shorter than this must stand alone in their character class
_CLASS_CHARS = {
    "digits": frozenset(b"0123456789"),
    "hex": frozenset(b"0123456789abcdefABCDEF"),
    "b64": frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"),
}


class Match(NamedTuple):
    start: int
    end: int
    variant: Variant
    steps: tuple[str, ...]
    detail: dict | None


class Coord(NamedTuple):
    start: int
    end: int
    value: float
    scale: str       # 'deg' | 'int' | 'float64'


@dataclass
class Text:
    """One segment's bytes with the derived views the searches share, made on demand."""

    data: bytes
    _low: bytes | None = None
    _lowered: str | None = None
    _maps: dict | None = None

    def __post_init__(self) -> None:
        if self._maps is None:
            self._maps = {}

    @property
    def low(self) -> bytes:
        if self._low is None:
            self._low = self.data.lower()   # ASCII only: offsets do not move
        return self._low

    @property
    def lowered(self) -> str:
        # latin-1 keeps one char per byte, so offsets in this str are offsets in data
        if self._lowered is None:
            self._lowered = self.low.decode("latin-1")
        return self._lowered

    @property
    def has_long_run(self) -> bool:
        """Is there any run of RUN_FLOOR base64-class bytes? Without one there are no digit,
        hex or base64 runs worth looking at, and the run-based searches are skipped."""
        got = self._maps.get("long") if self._maps else None
        if got is None:
            if NATIVE is not None:
                got = self._native_runs()[3]
            elif self.big:
                got = bool(self._class_runs(B64_MAP, RUN_FLOOR))
            else:
                got = self.mapped(B64_MAP).find(b"b" * RUN_FLOOR) >= 0
            self._maps["long"] = got
        return got

    def class_mask(self, table: bytes) -> np.ndarray:
        """Bool array: is each byte in the class of `table` (digits, hex, base64). Computed
        with a few vector comparisons instead of a translate pass."""
        key = ("mask", table)
        got = self._maps.get(key) if self._maps else None
        if got is None:
            a = self.array
            digit = self.class_mask_digit()
            if table is DIGIT_MAP:
                got = digit
            elif table is HEX_MAP:
                got = digit | (((a | np.uint8(32)) - np.uint8(97)) < 6)
            else:
                got = digit | (((a | np.uint8(32)) - np.uint8(97)) < 26) | (a == 43) | (a == 47) \
                    | (a == 95) | (a == 45)
            self._maps[key] = got
        return got

    def class_mask_digit(self) -> np.ndarray:
        got = self._maps.get("digit") if self._maps else None
        if got is None:
            got = (self.array - np.uint8(48)) < 10
            self._maps["digit"] = got
        return got

    def _class_runs(self, table: bytes, floor: int) -> list[tuple[int, int]]:
        """Maximal runs (big texts): boundaries of the class mask, in one vector pass."""
        key = ("runs", table, floor)
        got = self._maps.get(key)
        if got is None:
            ekey = ("edges", table)
            edges = self._maps.get(ekey)
            if edges is None:
                mask = self.class_mask(table)
                e = np.flatnonzero(np.diff(mask.view(np.int8), prepend=np.int8(0), append=np.int8(0)))
                starts, ends = e[0::2], e[1::2]
                keep = (ends - starts) >= 8      # the lowest floor any search asks for (RUN_FLOORS)
                edges = self._maps[ekey] = (starts[keep], ends[keep])
            starts, ends = edges
            if floor > 8:
                keep = (ends - starts) >= floor
                starts, ends = starts[keep], ends[keep]
            got = self._maps[key] = list(zip(starts.tolist(), ends.tolist()))
        return got

    @property
    def big(self) -> bool:
        """Long enough that per-run filters pay off as numpy vector operations."""
        return len(self.data) >= NUMPY_FROM

    @property
    def array(self) -> np.ndarray:
        got = self._maps.get("array") if self._maps else None
        if got is None:
            got = np.frombuffer(self.data, dtype=np.uint8)
            if self._maps is None:
                self._maps = {}
            self._maps["array"] = got
        return got

    def cumcount(self, members: bytes) -> np.ndarray:
        """c[i] = how many of the first i bytes are in `members` (so a run's count is c[e] - c[s])."""
        key = ("cum", members)
        got = self._maps.get(key) if self._maps else None
        if got is None:
            flags = np.frombuffer(self.data.translate(_indicator(members)), dtype=np.uint8)
            got = np.zeros(len(flags) + 1, dtype=np.int32)
            np.cumsum(flags, out=got[1:])
            self._maps[key] = got
        return got

    def mapped(self, table: bytes) -> bytes:
        if self._maps is None:
            self._maps = {}
        m = self._maps.get(table)
        if m is None:
            m = self._maps[table] = self.data.translate(table)
        return m

    def _native_runs(self) -> tuple[list, list, list, bool]:
        """(digit runs, hex runs, plausible base64 runs, any long run) in one C pass:
        see class_runs in _native.c for what each keeps."""
        got = self._maps.get("native")
        if got is None:
            got = self._maps["native"] = NATIVE.class_runs(self.data)
        return got

    def hex_tokens(self) -> list[tuple[int, int]]:
        """Hex runs that may hide text or compressed data (see hex_token_ok)."""
        if NATIVE is not None:
            return self._native_runs()[1]
        data = self.data
        return [(s, e) for s, e in self.runs(HEX_MAP, b"h", HEX_TOKEN_MIN) if hex_token_ok(data, s, e)]

    def prefetch(self, needles: tuple[bytes, ...], folded: tuple[bytes, ...] = ()) -> None:
        """Find every needle, and every lower-case `folded` needle in the lower-cased text,
        in one pass (C), so positions() costs nothing for them."""
        if NATIVE is None or not (needles or folded) or len(self.data) < PREFETCH_FROM:
            return
        pos = self._maps.get("pos")
        if pos is None:     # a fresh text: the plan for these needles, made once per set of them
            plan = _PLANS.get((needles, folded))
            if plan is None:
                plan = _prefetch_plan(needles, folded, {})
                if len(_PLANS) >= 256:
                    _PLANS.clear()
                _PLANS[(needles, folded)] = plan
            pos = self._maps["pos"] = {}
        else:
            plan = _prefetch_plan(needles, folded, pos)
        data = self.data
        for keys, plain, low in plan:
            pos.update(zip(keys, NATIVE.find_all(data, plain, low)))

    def positions(self, needle: bytes, lowered: bool = False) -> list[int] | tuple:
        """Every offset of needle (overlaps included) in the text, or in its lower-cased form."""
        pos = self._maps.get("pos")
        if pos is not None:
            got = pos.get((needle, lowered))
            if got is not None:
                return got
        hay = self.low if lowered else self.data
        if needle not in hay:
            return ()     # the common case on short texts: one C-speed search, no list
        return _all_finds(hay, needle)

    def has(self, needle: bytes) -> bool:
        pos = self._maps.get("pos")
        got = pos.get((needle, False)) if pos is not None else None
        return bool(got) if got is not None else needle in self.data

    def b64_candidates(self) -> list[tuple[int, int]] | None:
        """Base64-class runs of 16+ that pass the case-mix test, from the C scan; None without it."""
        return None if NATIVE is None else self._native_runs()[2]

    def runs(self, table: bytes, mark: bytes, min_len: int) -> list[tuple[int, int]]:
        """Maximal runs of one character class, cut once per class at its floor and shared."""
        if self._maps is None:
            self._maps = {}
        floor = RUN_FLOORS[table]
        key = (table, floor)
        got = self._maps.get(key)
        if got is None:
            if NATIVE is not None and table is DIGIT_MAP:
                # digit runs: only lengths some search takes (see _native.c)
                got = self._maps[key] = self._native_runs()[0]
            elif self.big:
                got = self._maps[key] = self._class_runs(table, floor)
            else:
                got = self._maps[key] = run_list(self.mapped(table), mark, floor)
        if min_len <= floor:
            return got
        return [r for r in got if r[1] - r[0] >= min_len]


_PLANS: dict[tuple, list] = {}   # Text.prefetch: needle sets seen (a few per segment kind)


def _prefetch_plan(needles: tuple[bytes, ...], folded: tuple[bytes, ...], known: dict) -> list:
    """find_all calls of at most 64 needles: (result keys, plain needles, folded needles),
    for the needles not in `known` yet, each once."""
    wanted = [(n, False) for n in dict.fromkeys(needles) if n and (n, False) not in known] \
        + [(n, True) for n in dict.fromkeys(folded) if n and (n, True) not in known]
    plan = []
    for i in range(0, len(wanted), 64):
        chunk = wanted[i:i + 64]
        plain = tuple(n for n, f in chunk if not f)
        low = tuple(n for n, f in chunk if f)
        plan.append(([(n, False) for n in plain] + [(n, True) for n in low], plain, low))
    return plan


@functools.cache
def _indicator(members: bytes) -> bytes:
    table = bytearray(256)
    for b in members:
        table[b] = 1
    return bytes(table)


HEX_TOKEN_MIN = 32
PREFETCH_FROM = 2048   # shorter texts: a few bytes.find calls cost less than setting up one pass
_HEX_TEXT_START = frozenset(b"1234567cdeCDE")
_COMPRESSED_HEX = (b"1f8b", b"28b52ffd", b"789c", b"7801", b"78da", b"785e")


def hex_token_ok(data: bytes, s: int, e: int) -> bool:
    """May the hex run s..e hide text or compressed data? Text hides behind hex digits 2-7
    at every other place (printable ASCII); random ids do not: most of the first eight
    even-placed digits must look like that. Same test as hex_token in _native.c."""
    tok = data[s:e]
    if e - s < HEX_TOKEN_MIN or (e - s) % 2 or tok.isdigit() or data[s] not in _HEX_TEXT_START:
        return False
    return len(tok[0:16:2].translate(None, b"234567")) <= 2 or tok.startswith(_COMPRESSED_HEX)


# The shortest run each search asks for: coordinates scaled by 1e6 have 8 digits, keyed hex
# ids and base64 tokens 16.
RUN_FLOORS = {DIGIT_MAP: 8, HEX_MAP: 16, B64_MAP: 16}
RUN_FLOOR = 11   # the gate: no base64-class run this long, no run-based search can succeed


KEY_PREFIX = 20   # automaton keys are variant prefixes: a smaller trie; the rest is compared on a hit


class KnownIndex:
    """Known-value variants: one automaton over lower-cased text plus its prefilter."""

    def __init__(self, variants: list[Variant]):
        self.variants = variants
        auto = ahocorasick.Automaton()
        keys: list[bytes] = []
        for v in variants:
            key = v.data.lower()[:KEY_PREFIX]
            skey = key.decode("latin-1")
            entries = auto.get(skey, None)
            if entries is None:
                auto.add_word(skey, [(len(key), v)])
                keys.append(key)
            else:
                entries.append((len(key), v))
        self.n_keys = len(variants)
        self.automaton = auto if keys else None
        if keys:
            auto.make_automaton()
        self.prefilter = GramFilter(keys, NATIVE) if keys else None

    def search(self, text: Text, limit: int = 1 << 30) -> list[Match]:
        if self.automaton is None:
            return []
        found: list[Match] = []
        windows = self.prefilter.windows(text.low)
        if windows is None:
            windows = [(0, len(text.data))]
        elif not windows:
            return found      # the prefilter rules every byte out: no lower-cased copy is needed
        lowered = text.lowered
        data = text.data
        for ws, we in windows:
            for end_idx, entries in self.automaton.iter(lowered, ws, we):
                start = end_idx + 1 - entries[0][0]
                for _, v in entries:
                    m = _verify(data, start, start + len(v.data), v)
                    if m is not None:
                        found.append(m)
                if len(found) >= limit:
                    return found
        return found


class CoordFinder:
    """Numbers near the known fixes: decimal degrees, 1e6/1e7 integers, protobuf doubles."""

    def __init__(self, fixes: list[geo.KnownFix], radius_m: float):
        self.fixes = fixes
        self.targets = geo.targets(fixes, radius_m)
        self._decimal, scaled = _coord_anchors(self.targets)
        self._scaled_set = frozenset(scaled)
        self._scaled_lens = sorted({len(x) for x in scaled})
        self._double_keys = sorted(geo.double_keys(self.targets))

    @property
    def needles(self) -> tuple[bytes, ...]:
        """What search() looks for literally: decimal anchors, then doubles' top bytes."""
        return tuple(self._decimal)

    @property
    def binary_needles(self) -> tuple[bytes, ...]:
        return tuple(self._double_keys)

    @property
    def scaled(self) -> frozenset[bytes]:
        """Leading digits of the integers (1e6/1e7) search() takes from digit runs of 8..10."""
        return self._scaled_set

    def search(self, text: Text, binary: bool = False, limit: int = 1 << 30) -> list[Coord]:
        if not self.targets:
            return []
        data = text.data
        out: list[Coord] = []
        seen: set[int] = set()
        for anchor in self._decimal:            # "39." must start a number
            for pos in text.positions(anchor):
                if pos == 0 or data[pos - 1] not in _NUM_OR_DOT:
                    got = geo.number_at(data, pos, pos + len(anchor))
                    if got is not None and got[0] not in seen:
                        seen.add(got[0])
                        out.append(Coord(*got))
                        if len(out) >= limit:
                            return out
        # integers scaled by 1e6/1e7: digit runs of 8..10 that start with a nearby prefix
        scaled = self._scaled_set
        for rs, re_ in text.runs(DIGIT_MAP, b"0", 8):
            if re_ - rs <= 10 and any(data[rs:rs + n] in scaled for n in self._scaled_lens):
                got = geo.number_at(data, rs, re_)
                if got is not None and got[3] == "int" and got[0] not in seen:
                    seen.add(got[0])
                    out.append(Coord(*got))
                    if len(out) >= limit:
                        return out
        if binary:
            for key in self._double_keys:
                for pos in text.positions(key):
                    got = geo.double_at(data, pos)
                    if got is not None:
                        out.append(Coord(got[0], got[1], got[2], "float64"))
        return out


_NUM_OR_DOT = frozenset(b"0123456789.")


def _all_finds(data: bytes, needle: bytes) -> list[int]:
    out = []
    pos = data.find(needle)
    while pos >= 0:
        out.append(pos)
        pos = data.find(needle, pos + 1)
    return out


def _coord_anchors(targets: list[geo.Target]) -> tuple[list[bytes], list[bytes]]:
    """Leading characters every nearby coordinate has: "39." for degrees, "3990" for 1e6/1e7."""
    ints: set[str] = set()
    scaled: set[str] = set()
    for t in targets:
        for v, tol in ((t.lat, t.tol_lat), (t.lng, t.tol_lng)):
            lo, hi = abs(v) - tol, abs(v) + tol
            ints.update(str(i) for i in range(int(max(lo, 0)), int(hi) + 1))
            # integers scaled by 1e6/1e7 share their leading digits down to 1e-2 degrees
            scaled.update(str(b) for b in range(int(max(lo, 0) * 100), int(hi * 100) + 1) if b >= 100)
    return sorted(f"{i}.".encode() for i in ints), sorted(s.encode() for s in scaled)


def _bounded_ok(data: bytes, start: int, end: int, shape: str) -> bool:
    chars = _CLASS_CHARS[shape]
    return (start == 0 or data[start - 1] not in chars) and (end >= len(data) or data[end] not in chars)


def _case_step(matched: bytes, expected: bytes) -> str:
    if matched == expected.upper():
        return "upper"
    if matched == expected.lower():
        return "lower"
    return "mixedcase"


def _steps_for(v: Variant, matched: bytes) -> tuple[tuple[str, ...], dict | None]:
    expected = v.data
    if v.case_sensitive or matched == expected:
        return v.steps, None
    if v.steps and (v.steps[0] == "hex" or v.steps[-1] in _HEX_FINAL):
        return v.steps, {"hex_case": "upper" if matched.isupper() else "mixed"}
    if v.steps[:1] == ("urlencoded",):
        a = unquote_plus(matched.decode("latin-1"))
        b = unquote_plus(expected.decode("latin-1"))
        if a == b:
            return v.steps, None
        return v.steps + (_case_step(a.encode("latin-1", "replace"), b.encode("latin-1", "replace")),), None
    return v.steps + (_case_step(matched, expected),), None


def _verify(data: bytes, start: int, end: int, v: Variant) -> Match | None:
    matched = data[start:end]
    # the automaton matched a prefix (KEY_PREFIX); the whole variant is compared here
    if matched != v.data and (v.case_sensitive or matched.lower() != v.data.lower()):
        return None
    if v.shape != "sub" and end - start < _BOUNDED_BELOW and not _bounded_ok(data, start, end, v.shape):
        return None
    steps, detail = _steps_for(v, matched)
    return Match(start, end, v, steps, detail)
