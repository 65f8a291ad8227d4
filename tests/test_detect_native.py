"""The detector's C scans (piiaudit/detect/_native.c) give exactly what the numpy path gives.

setup.py builds the extension; without a C compiler the detector runs the numpy path.
Both must find the same things, so every check here runs the two side by side.
"""

from __future__ import annotations

import random
import re

import pytest

from piiaudit.detect import Detector
from piiaudit.detect import index as index_module
from piiaudit.detect.charclass import DIGIT_MAP
from piiaudit.detect.corpus import generate
from piiaudit.detect.decoders import _plausible_b64
from piiaudit.detect.index import Text
from piiaudit.detect.prefilter import GramFilter

native = pytest.importorskip("piiaudit.detect._native", reason="the C scans are not built (no compiler?)")


@pytest.fixture
def numpy_only(monkeypatch):
    """Within the test, new Texts and indexes use the numpy path."""
    def switch(on: bool):
        monkeypatch.setattr(index_module, "NATIVE", None if on else native)
    return switch


def _texts(seed: int) -> list[bytes]:
    rnd = random.Random(seed)
    alphabet = b"0123456789abcdefABCDEFghijxyzGHXYZ+/_-=.:,\"{}& %\n\x00\xff"
    out = [b"48656c6c6f2c20776f726c642c2068656c6c6f2c20776f726c64", b"1f8b0800" + b"ab" * 20,
           b"x" + b"3a" * 40 + b"y" + b"9f" * 40, b"78da" + b"9" * 40, b"", b"1", b"12345678", b"1234567", b"8613800138000", b"1700000000000",
           b"x" * 10, b"A1b2" * 4 + b"C", b"0" * 100_000, bytes(range(256)) * 40,
           b"H4sIAAAAAAAAA" + b"a" * 20, b"eJ" + b"z" * 18]
    for _ in range(300):
        n = rnd.choice((5, 30, 300, 5000))
        out.append(bytes(rnd.choice(alphabet) for _ in range(n)))
    for _ in range(60):   # long runs of one class, glued
        parts = []
        for _ in range(rnd.randrange(1, 12)):
            cls = rnd.choice((b"0123456789", b"0123456789abcdef", b"234567", b"0123456789ABCDEF", b"ABCDEFabcdefXYZxyz0123456789+/", b"{:\",}"))
            parts.append(bytes(rnd.choice(cls) for _ in range(rnd.randrange(1, 70))))
        out.append(b"".join(parts) * rnd.choice((1, 200)))
    return out


def _numpy_view(data: bytes):
    index_module.NATIVE, saved = None, index_module.NATIVE
    try:
        t = Text(data)
        return (t.runs(DIGIT_MAP, b"0", 8), t.hex_tokens(), _plausible_b64(t), t.has_long_run)
    finally:
        index_module.NATIVE = saved


def _useful_digit_run(data: bytes, s: int, e: int) -> bool:
    """The digit runs the C scan keeps: what coordinates (8..10) and patterns (11, 13 with
    +86, 14..20) can use. Everything else is dropped by both paths' consumers."""
    n = e - s
    return 8 <= n <= 20 and (n != 13 or data.startswith(b"861", s))


@pytest.mark.parametrize("seed", [1, 2])
def test_class_runs_match_numpy(seed):
    for data in _texts(seed):
        digits, hexes, b64, has_long = _numpy_view(data)
        got = Text(data)
        assert got.runs(DIGIT_MAP, b"0", 8) == [r for r in digits if _useful_digit_run(data, *r)], data[:80]
        assert got.hex_tokens() == hexes, data[:80]
        assert got.has_long_run == has_long, data[:80]
        want = _reference_b64(data)
        assert got.b64_candidates() == want, data[:80]
        # numpy filters long texts with many runs the same way; otherwise it hands every
        # run to Scanner._try_token, which applies the same test one token at a time
        assert set(want) <= set(b64), data[:80]


_B64_RUN = re.compile(rb"[A-Za-z0-9+/_\-]{16,}")


def _reference_b64(data: bytes) -> list[tuple[int, int]]:
    """Base64 runs worth decoding, by the rule of Scanner._try_token, one by one."""
    out = []
    for m in _B64_RUN.finditer(data):
        tok, n = m.group(), len(m.group())
        upper = sum(c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ" for c in tok)
        lower = sum(c in b"abcdefghijklmnopqrstuvwxyz" for c in tok)
        mixed = upper * 20 >= n * 3 and lower * 20 >= n * 3     # at least 15% of each case
        if n % 4 != 1 and (mixed or tok.startswith((b"H4sI", b"KLUv", b"eJ", b"eN", b"eF", b"eA"))):
            out.append(m.span())
    return out


def _find_loop(hay: bytes, needle: bytes) -> list[int]:
    found, pos = [], hay.find(needle)
    while pos >= 0:
        found.append(pos)
        pos = hay.find(needle, pos + 1)
    return found


def test_find_all_is_a_find_loop_per_needle():
    rnd = random.Random(9)
    for _ in range(300):
        hay = bytes(rnd.choice(b"abAB1.@%\\xX") for _ in range(rnd.choice((0, 3, 50, 2000))))
        needles = tuple({bytes(rnd.choice(b"abA1.@") for _ in range(rnd.randrange(1, 4))) for _ in range(rnd.randrange(0, 6))})
        folded = tuple({bytes(rnd.choice(b"ab1x") for _ in range(rnd.randrange(1, 4))) for _ in range(rnd.randrange(0, 4))})
        want = [_find_loop(hay, nd) for nd in needles] + [_find_loop(hay.lower(), nd) for nd in folded]
        assert native.find_all(hay, needles, folded) == want
    with pytest.raises(ValueError):
        native.find_all(b"x", tuple(bytes([65 + i % 26, i]) for i in range(65)))
    with pytest.raises(TypeError):
        native.find_all(b"x", (b"",))


def test_class_runs_accepts_any_buffer_and_rejects_non_buffers():
    assert native.class_runs(bytearray(b"x1234567890y"))[0] == [(1, 11)]
    assert native.class_runs(memoryview(b"1234567890"))[0] == [(0, 10)]
    with pytest.raises(TypeError):
        native.class_runs("text")


def test_gram_prefilter_never_hides_an_occurrence():
    rnd = random.Random(5)
    keys = [bytes(rnd.choice(b"0123456789abcdef") for _ in range(rnd.choice((7, 8, 10, 11, 20)))) for _ in range(3000)]
    filt = GramFilter(keys, native)
    for _ in range(200):
        text = bytearray(rnd.choice(b"0123456789abcdefxyz:{}") for _ in range(rnd.choice((100, 3000, 20000))))
        planted = []
        for _ in range(rnd.randrange(0, 6)):
            k = rnd.choice(keys)
            at = rnd.randrange(0, max(1, len(text) - len(k)))
            text[at:at + len(k)] = k
            planted.append((at, k))
        windows = filt.windows(bytes(text))
        if windows is None:
            continue
        for s, k in planted:
            e = s + len(k)
            if text[s:e] != k:
                continue   # overwritten by a later key
            assert any(ws <= s and e <= we for ws, we in windows), (s, e, windows)


def test_gram_hits_rejects_a_filter_smaller_than_its_bits():
    with pytest.raises(ValueError):
        native.gram_hits(b"x" * 64, 20, b"\0" * 16, 12, b"")


def test_whole_detector_same_hits_with_and_without_the_c_scans(numpy_only):
    profile, samples = generate(400, 3)

    def run():
        det = Detector(profile)
        return [sorted((h["pii_type"], h["location"], h["encoding"], h["source"], h["value"], h["direction"])
                       for h in det.scan_flow(s.flow).hits) for s in samples]

    numpy_only(True)
    expected = run()
    numpy_only(False)
    got = run()
    assert sum(map(len, got)) > 500          # the corpus plants hundreds of values
    assert got == expected



def test_mac_candidates_match_numpy():
    from piiaudit.detect.patterns import _mac_candidates

    for data in _texts(3) + [b"aa:bb:cc:dd:ee:ff", b"x" * 16, b"a-b" * 3000]:
        for sep in b":-":
            got = native.mac_candidates(data, sep)
            index_module.NATIVE, saved = None, index_module.NATIVE
            try:
                want = _mac_candidates(Text(data), sep)
            finally:
                index_module.NATIVE = saved
            assert got == want, (data[:60], chr(sep))



def test_unquote_is_urllibs_percent_decoding():
    from urllib.parse import unquote_to_bytes

    rnd = random.Random(5)
    alphabet = b"%%%++ aAfF09gG\x00\xff"
    cases = [b"", b"%", b"%4", b"%41", b"%%41", b"%4G", b"%g1", b"+%2B+", b"%E4%B8%AD", b"a" * 5000 + b"%"]
    cases += [bytes(rnd.choice(alphabet) for _ in range(rnd.randint(0, 16))) for _ in range(20_000)]
    for s in cases:
        assert native.unquote(s) == unquote_to_bytes(s), s
        assert native.unquote(s, True) == unquote_to_bytes(s.replace(b"+", b" ")), s
    assert native.unquote(bytearray(b"x%41")) == b"xA"     # any buffer; bytes back
    with pytest.raises(TypeError):
        native.unquote("%41")
