"""A q-gram prefilter that lets the automaton skip bytes that cannot hold a known value.

Every known-value variant is at least 8 bytes long. One of length >= 11 always covers a
whole 8-byte block that starts at a multiple of 4, at one of its first four offsets; one
of length 7..10 covers a whole 4-byte block at a multiple of 4. So the text is cut into
such blocks (zero-copy numpy views), each block is hashed into a bit table of the
variants' leading grams, hits are confirmed against the exact gram set, and the automaton
only runs on a short window around confirmed blocks. Hash collisions cost a set lookup,
never a miss.
"""

from __future__ import annotations

import numpy as np

_MUL64 = np.uint64(0x9E3779B97F4A7C15)
_MUL32 = np.uint32(0x9E3779B1)
MIN_FILTERED = 2048       # shorter texts go through the automaton whole (numpy has a fixed cost)
MIN_FILTERED_NATIVE = 96  # the C probe costs ~10 ns per block: worth it past a few blocks


class _Table:
    def __init__(self, grams: set[bytes], q: int, native=None):
        self.q = q
        self.exact = grams
        arr = np.frombuffer(b"".join(sorted(grams)), dtype="<u8" if q == 8 else "<u4") if grams else None
        self.bloom_bits, self.bloom = _bloom(arr, len(grams))
        if native is not None:
            return     # the C scan probes the Bloom filter; the numpy table is not needed
        n = max(1, len(grams))
        self.bits = int(min(24, max(12, (n * 64).bit_length())))
        self.table = np.zeros(1 << self.bits, dtype=np.bool_)
        if grams:
            self.table[self._hash(arr)] = True
        # large tables are probed as bits: 1/8 of the memory, so probes mostly hit the cache
        self.packed = np.packbits(self.table, bitorder="little") if self.bits > 16 else None
        self._three = np.uint64(3) if q == 8 else np.uint32(3)
        self._seven = np.uint64(7) if q == 8 else np.uint32(7)

    def probe(self, blocks: np.ndarray) -> np.ndarray:
        """Per block: may it be a gram (bool-like array)."""
        h = self._hash(blocks)
        if self.packed is None:
            return self.table[h]
        return (self.packed[h >> self._three] >> (h & self._seven).astype(np.uint8)) & np.uint8(1)

    def _hash(self, blocks: np.ndarray) -> np.ndarray:
        if self.q == 8:
            return (blocks * _MUL64) >> np.uint64(64 - self.bits)
        return (blocks * _MUL32) >> np.uint32(32 - self.bits)

    def candidates(self, low: bytes) -> list[int]:
        n = len(low) // self.q
        if not self.exact or n == 0:
            return []
        blocks = np.frombuffer(low, dtype="<u8" if self.q == 8 else "<u4", count=n)
        with np.errstate(over="ignore"):
            hit = np.flatnonzero(self.table[self._hash(blocks)])
        q, exact = self.q, self.exact
        return [o for o in (hit * q).tolist() if low[o:o + q] in exact]


def _bloom(grams: np.ndarray | None, n: int) -> tuple[int, bytes]:
    """The C scan's filter (see gram_hits in _native.c): two probes per gram from one
    64-bit hash, about 20 bits per gram (under 1% false positives), at most 2**21 bits so
    it stays in a 512 KB L2 cache. b"" when there are no grams."""
    if grams is None:
        return 12, b""
    bits = int(min(21, max(12, (n * 20).bit_length())))
    h = grams.astype(np.uint64) * _MUL64
    mask = np.uint64((1 << bits) - 1)
    table = np.zeros(1 << bits, dtype=np.bool_)
    table[h >> np.uint64(64 - bits)] = True
    table[(h >> np.uint64(64 - 2 * bits)) & mask] = True
    return bits, np.packbits(table, bitorder="little").tobytes()


class GramFilter:
    def __init__(self, keys: list[bytes], native=None):
        """keys: the automaton's keys as bytes (lower-cased like the text it will see);
        native: the C module (piiaudit.detect._native) to probe with, or None for numpy."""
        self.native = native
        grams8: set[bytes] = set()
        grams4: set[bytes] = set()
        self.max_len = 0
        self.unfiltered = False
        for k in keys:
            n = len(k)
            self.max_len = max(self.max_len, n)
            if n >= 11:
                # any occurrence covers a whole 8-byte block starting at a multiple of 4,
                # at one of its first four offsets
                grams8.update(k[j:j + 8] for j in range(4))
            elif n >= 7:
                grams4.update(k[j:j + 4] for j in range(min(4, n - 3)))
            else:
                self.unfiltered = True   # a key too short to filter: scan everything
        self.t8 = _Table(grams8, 8, native)
        self.t4 = _Table(grams4, 4, native)

    def windows(self, low: bytes) -> list[tuple[int, int]] | None:
        """Merged (start, end) windows that may hold a key, or None to scan the whole text."""
        if self.unfiltered or len(low) < (MIN_FILTERED if self.native is None else MIN_FILTERED_NATIVE):
            return None
        starts = self._starts(low)
        if not starts:
            return []
        if len(starts) * (self.max_len + 8) > len(low):
            return None
        out: list[tuple[int, int]] = []
        reach = self.max_len + 8
        for o in starts:
            s, e = max(0, o - 3), o + reach
            if out and s <= out[-1][1]:
                if e > out[-1][1]:
                    out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        return out

    def _starts(self, low: bytes) -> list[int]:
        """Offsets (multiples of 4, sorted) of blocks that start a leading gram: one
        strided pass over 8-byte blocks at every multiple of 4 serves both tables (the
        4-byte gram of a block is its low half)."""
        n4 = len(low) // 4
        if n4 == 0:
            return []
        e8, e4 = self.t8.exact, self.t4.exact
        if self.native is not None:
            t8, t4 = self.t8, self.t4
            return [o for o in self.native.gram_hits(low, t8.bloom_bits, t8.bloom, t4.bloom_bits, t4.bloom)
                    if low[o:o + 8] in e8 or low[o:o + 4] in e4]
        padded = low + b"\0" * 8        # the last blocks may run past the end; exact checks use `low`
        t8, t4 = self.t8, self.t4
        hit = None
        with np.errstate(over="ignore"):
            if t8.exact:
                hit = t8.probe(np.ndarray(shape=(n4,), dtype="<u8", buffer=padded, strides=(4,)))
            if t4.exact:
                h4 = t4.probe(np.frombuffer(padded, dtype="<u4", count=n4))
                hit = h4 if hit is None else (hit | h4)
        if hit is None:
            return []
        return [o for o in (np.flatnonzero(hit) * 4).tolist()
                if low[o:o + 8] in e8 or low[o:o + 4] in e4]
