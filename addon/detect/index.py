"""The searchable index of every known value's variants, built once per value set.

One automaton holds the variants that can sit anywhere (free text, separators,
percent-encoding, binary varints) and the coordinate keys; dicts hold the variants that
are whole runs of digits, hex or base64 characters, looked up from the runs the text
already yields. Both are searched over the raw bytes of a segment in one pass each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote_plus

import ahocorasick

from addon.detect import geo
from addon.detect.charclass import B64_MAP, DIGIT_MAP, HEX_MAP, runs
from addon.detect.variants import DIGESTS, Variant

_DIGEST_HEX_LENS = (32, 40, 64, 128)
_MAX_CONCAT_RUN = 512   # hex runs up to this long are also searched for concatenated digests
_HEX_FINAL = set(DIGESTS)


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
    """One segment's bytes with the derived views every search shares, made on demand."""

    data: bytes
    _lowered: str | None = None
    _maps: dict | None = None

    @property
    def lowered(self) -> str:
        # bytes.lower() touches ASCII only and latin-1 keeps one char per byte, so
        # offsets in this str are offsets in data.
        if self._lowered is None:
            self._lowered = self.data.lower().decode("latin-1")
        return self._lowered

    def mapped(self, table: bytes) -> bytes:
        if self._maps is None:
            self._maps = {}
        m = self._maps.get(table)
        if m is None:
            m = self._maps[table] = self.data.translate(table)
        return m

    def runs(self, table: bytes, mark: bytes, min_len: int) -> list[tuple[int, int]]:
        # Runs are cut once per class at RUN_FLOOR and shared by every search that asks.
        if self._maps is None:
            self._maps = {}
        key = (table, RUN_FLOOR)
        got = self._maps.get(key)
        if got is None:
            got = self._maps[key] = list(runs(self.mapped(table), mark, RUN_FLOOR))
        if min_len <= RUN_FLOOR:
            return got
        return [r for r in got if r[1] - r[0] >= min_len]


RUN_FLOOR = 8   # == variants.MIN_VARIANT_LEN: no variant is shorter


# Run classes the text is cut into: (name, map, mark)
RUN_CLASSES = (("digits", DIGIT_MAP, b"0"), ("hex", HEX_MAP, b"h"), ("b64", B64_MAP, b"b"))


class KnownIndex:
    def __init__(self, variants: list[Variant], fixes: list[geo.KnownFix], radius_m: float):
        self.variants = variants
        self.fixes = fixes
        self.targets = geo.targets(fixes, radius_m)
        self.by_run: dict[str, dict[bytes, list[Variant]]] = {"digits": {}, "hex": {}, "b64": {}}
        self.run_min: dict[str, int] = {}
        auto = ahocorasick.Automaton()
        n_keys = 0
        for v in variants:
            data = v.data
            if v.shape == "sub":
                key = data.lower().decode("latin-1")
                got = auto.get(key, None)
                if got is None:
                    auto.add_word(key, [(len(key), v, data)])
                    n_keys += 1
                else:
                    got.append((len(key), v, data))
            else:
                key = data if v.case_sensitive else data.lower()
                self.by_run[v.shape].setdefault(key, []).append(v)
        for shape, table in self.by_run.items():
            if table:
                self.run_min[shape] = min(len(k) for k in table)
        text_keys, binary_keys = geo.keys(self.targets)
        for k in text_keys:
            key = k.decode("latin-1")
            if auto.get(key, None) is None:
                auto.add_word(key, [(len(key), "coord", None)])
                n_keys += 1
            else:
                auto.get(key).append((len(key), "coord", None))
        for k in binary_keys:
            key = k.lower().decode("latin-1")
            if auto.get(key, None) is None:
                auto.add_word(key, [(len(key), "double", None)])
                n_keys += 1
            else:
                auto.get(key).append((len(key), "double", None))
        self.automaton = auto if n_keys else None
        if self.automaton is not None:
            auto.make_automaton()
        self.n_keys = n_keys + sum(len(t) for t in self.by_run.values())

    # ------------------------------------------------------------------------------
    def search(self, text: Text) -> tuple[list[Match], list[Coord]]:
        data = text.data
        found: list[Match] = []
        coords: list[Coord] = []
        if self.automaton is not None:
            for end_idx, entries in self.automaton.iter(text.lowered):
                end = end_idx + 1
                for length, v, vdata in entries:
                    start = end - length
                    if v == "coord":
                        got = geo.number_at(data, start, end)
                        if got is not None:
                            coords.append(Coord(*got))
                    elif v == "double":
                        got = geo.double_at(data, start)
                        if got is not None:
                            coords.append(Coord(got[0], got[1], got[2], "float64"))
                    else:
                        m = _verify_sub(data, start, end, v, vdata)
                        if m is not None:
                            found.append(m)
        for shape, table, mark in RUN_CLASSES:
            keys = self.by_run[shape]
            if not keys:
                continue
            lens = {len(k) for k in keys}
            for s, e in text.runs(table, mark, self.run_min[shape]):
                n = e - s
                if n in lens:
                    raw = data[s:e]
                    hits = keys.get(raw if shape == "b64" else raw.lower())
                    if hits:
                        found.extend(_run_match(s, e, raw, v) for v in hits)
                        continue
                if shape == "hex" and 32 < n <= _MAX_CONCAT_RUN:
                    # identifiers glued together: md5(imei) + md5(android_id)
                    low = data[s:e].lower()
                    for width in _DIGEST_HEX_LENS:
                        for off in range(0, n - width + 1, 8):
                            for v in keys.get(low[off:off + width], ()):
                                if v.steps and v.steps[-1] in _HEX_FINAL:
                                    found.append(_run_match(s + off, s + off + width, data[s + off:s + off + width], v,
                                                            {"embedded_in_run": n}))
        return found, coords


def _case_step(matched: bytes, expected: bytes) -> tuple[str, dict | None]:
    if matched == expected:
        return "", None
    if matched == expected.upper():
        return "upper", None
    if matched == expected.lower():
        return "lower", None
    return "mixedcase", None


def _steps_for(v: Variant, matched: bytes, expected: bytes) -> tuple[tuple[str, ...], dict | None]:
    if v.case_sensitive or matched == expected:
        return v.steps, None
    hexlike = v.steps and (v.steps[0] == "hex" or v.steps[-1] in _HEX_FINAL)
    if hexlike:
        return v.steps, {"hex_case": "upper" if matched.isupper() else "mixed"}
    if v.steps[:1] == ("urlencoded",):
        a, b = unquote_plus(matched.decode("latin-1")), unquote_plus(expected.decode("latin-1"))
        if a == b:
            return v.steps, None
        step, _ = _case_step(a.encode("latin-1", "replace"), b.encode("latin-1", "replace"))
        return v.steps + (step,), None
    step, _ = _case_step(matched, expected)
    return v.steps + (step,), None


def _verify_sub(data: bytes, start: int, end: int, v: Variant, expected: bytes) -> Match | None:
    matched = data[start:end]
    if v.case_sensitive and matched != expected:
        return None
    steps, detail = _steps_for(v, matched, expected)
    return Match(start, end, v, steps, detail)


def _run_match(s: int, e: int, raw: bytes, v: Variant, extra: dict | None = None) -> Match:
    steps, detail = _steps_for(v, raw, v.data)
    if extra:
        detail = {**(detail or {}), **extra}
    return Match(s, e, v, steps, detail)
