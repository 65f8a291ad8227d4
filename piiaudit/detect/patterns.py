"""Validated patterns: the second signal, for personal data nobody told us about.

Each pattern is a shape plus a check that random data rarely passes (Luhn, the ISO 7064
check digit of a resident ID number, a plausible birth date, MCC 460), and a confidence
that rises when the field's key says what the value is (``imei``, ``androidId``...).
Shapes that random data passes all the time (UUIDs, 16 hex digits) are only reported
when the key names them.

A digit run counts only in a context that fits (`digit_context`): it stands between field
separators (quotes, `=`, `&`, `:`, `,`, brackets, white space), so the digits of a decimal
fraction (`0.6286231544426748`), of a version or host name, of a longer or joined id
(`ORD-6286…`, `a/628…+x`, base64, hex) never count; and an epoch timestamp (seconds to
nanoseconds, 2000–2040) counts only when the key names the type.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

import numpy as np

from piiaudit.detect.charclass import DIGIT_MAP, HEX_MAP, _table
from piiaudit.detect import index as index_module
from piiaudit.detect.index import Text
from piiaudit.detect.variants import luhn_ok


class PatternHit(NamedTuple):
    start: int
    end: int
    pii_type: str
    value: str
    confidence: float
    rule: str
    key: str | None


# hex digits -> 'h', ':' and '-' kept, everything else ' ': MACs and UUIDs become fixed strings
_SHAPE_MAP = bytearray(_table(b"0123456789abcdefABCDEF", b"h"))
_SHAPE_MAP[ord(":")] = ord(":")
_SHAPE_MAP[ord("-")] = ord("-")
SHAPE_MAP = bytes(_SHAPE_MAP)
_MAC_SHAPES = (b"hh:hh:hh:hh:hh:hh", b"hh-hh-hh-hh-hh-hh")
_UUID_SHAPE = b"hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh"
_NOT_MACS = {"000000000000", "ffffffffffff", "020000000000"}   # 02:00:00:00:00:00 is Android's placeholder

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CN_MNC = {"00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "11", "15", "20"}
_IMEI_RBI = {"01", "35", "86", "99", "30", "33", "44", "45", "49", "50", "51", "52", "53", "54"}

# Normalised key (lower case, letters and digits only) -> the type it names.
_KEY_HINTS: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p), t) for p, t in (
    (r"imei|deviceid$|^did$|^udid$", "imei"),
    (r"meid", "meid"),
    (r"imsi|subscriberid", "imsi"),
    (r"iccid|simserial|simsn", "iccid"),
    (r"phone|mobile|msisdn|^tel|telephone|line1", "phone_number"),
    (r"idcard|idno|idnum|sfz|certno|identity|shenfen", "id_number"),
    (r"bankcard|cardno|cardnum|accountno|^pan$", "bank_card"),
    (r"bssid", "ssid"),
    (r"(bt|bluetooth|ble)mac|(bt|bluetooth)addr", "bluetooth_mac"),
    (r"mac", "mac"),
    (r"androidid|^aid$|^adid$", "android_id"),
    (r"oaid", "oaid"),
    # advertiser_id: Facebook's and AppsFlyer's name of the GAID, aaid: Branch's (real captures)
    (r"gaid|gpsadid|advertisingid|advertiserid|adsid|^idfa$|^aaid$", "advertising_id"),
    (r"email|mail", "email"),
    (r"serial|^sn$", "serial"),
))
# matched against the reversed bytes before a value, so the search is anchored and short
_KEY_BEFORE_REV = re.compile(rb"""["'\\]*\s*[:=]\s*["'\\]*([A-Za-z0-9_.\-]{1,48})""")
_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
# key words without which no UUID or bare hex run is reported (checked once per segment)
KEYED_WORDS = (b"aid", b"adid", b"advert", b"idfa", b"android")   # "aid" also finds oaid, gaid
_CN_HINTS = {"手机".encode(): "phone_number", "电话".encode(): "phone_number", "身份证".encode(): "id_number",
             "银行卡".encode(): "bank_card", "邮箱".encode(): "email"}


# bytes that may stand right before / after a value that is a whole field ("a separator")
_SEP_BEFORE = frozenset(b"\"'=:,;&?|[{( \t\r\n>")
_SEP_AFTER = frozenset(b"\"'&,;|]}) \t\r\n<\\")
_EPOCH_S = (946684800, 2208988800)    # 2000-01-01 .. 2040-01-01, in seconds


def digit_context(data: bytes, s: int, e: int) -> bool:
    """Whether the digit run data[s:e] stands alone as a field's value: separators (or the
    text's ends, or non-ASCII text such as a Chinese label) on both sides; a '+' before it
    (an international phone number) only when nothing joins it to a token in front."""
    if s > 0:
        b = data[s - 1]
        if b == 0x2B:   # '+'
            if s > 1 and (data[s - 2] in _ALNUM or data[s - 2] in b"+/-_."):
                return False
        elif b < 0x80 and b not in _SEP_BEFORE:
            return False
    if e < len(data):
        b = data[e]
        if b < 0x80 and b not in _SEP_AFTER:
            return False
    return True


def looks_like_epoch(run: str) -> bool:
    """A Unix time in seconds, milliseconds, microseconds or nanoseconds between 2000 and 2040."""
    n = len(run)
    for digits, scale in ((10, 1), (13, 10 ** 3), (16, 10 ** 6), (19, 10 ** 9)):
        if n == digits:
            return _EPOCH_S[0] <= int(run) // scale < _EPOCH_S[1]
    return False


def key_before(data: bytes, start: int) -> str | None:
    """The key a value at `start` belongs to: `"key":"`, `key=`, `key: `."""
    m = _KEY_BEFORE_REV.match(data[max(0, start - 64):start][::-1])
    return m.group(1)[::-1].decode("latin-1") if m else None


@functools.lru_cache(maxsize=4096)
def hinted_type(key: str | None) -> str | None:
    if not key:
        return None
    norm = re.sub(r"[^a-z0-9]", "", key.lower())
    for rx, t in _KEY_HINTS:
        if rx.search(norm):
            return t
    return None


def _cn_hint(data: bytes, start: int) -> str | None:
    window = data[max(0, start - 24):start]
    for word, t in _CN_HINTS.items():
        if word in window:
            return t
    return None


def id_number_ok(s: str) -> bool:
    if len(s) != 18 or not s[:17].isdigit() or s[0] not in "12345678":
        return False
    y, m, d = int(s[6:10]), int(s[10:12]), int(s[12:14])
    if not (1900 <= y <= 2099 and 1 <= m <= 12 and 1 <= d <= 31):
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == s[17].upper()


def _digit_candidates(s: str) -> list[tuple[str, float, str]]:
    """(pii_type, base confidence, rule) for a maximal digit run."""
    n = len(s)
    out = []
    if n == 11 and s[0] == "1" and s[1] in "3456789":
        out.append(("phone_number", 0.5, "cn-mobile"))
    if n == 13 and s.startswith("861") and s[3] in "3456789":
        out.append(("phone_number", 0.55, "cn-mobile+86"))
    if n == 15:
        if s.startswith("460") and s[3:5] in _CN_MNC:
            out.append(("imsi", 0.55, "imsi-460"))
        if luhn_ok(s):
            out.append(("imei", 0.55 if s[:2] in _IMEI_RBI else 0.35, "imei-luhn"))
    if n == 14 and s[:2] in _IMEI_RBI:
        out.append(("imei", 0.2, "imei-14"))
    if n == 18 and id_number_ok(s):
        out.append(("id_number", 0.9, "id-iso7064"))
    if n in (19, 20) and s.startswith("89") and luhn_ok(s):
        out.append(("iccid", 0.75 if s.startswith("8986") else 0.5, "iccid-luhn"))
    if 16 <= n <= 19 and luhn_ok(s) and not s.startswith("89"):
        base = 0.55 if s.startswith("62") else (0.4 if s[0] in "3456" else 0.25)
        out.append(("bank_card", base, "card-luhn"))
    if n == 18 and not out and s.startswith("99"):   # decimal MEID: 18 digits
        out.append(("meid", 0.3, "meid-dec"))
    return out


_DIGIT_RUN_LENGTHS = frozenset((11, 14, 15, 16, 17, 18, 19, 20))
_DIGIT_LENGTHS = np.array([0] * 11 + [1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1], dtype=bool)   # 11, 14..20


def _digit_runs(text: Text) -> list[tuple[int, int]]:
    """Digit runs of a length some pattern takes. In long texts the filter is vectorised:
    millisecond timestamps (13 digits, not +86...) are most digit runs there."""
    runs = text.runs(DIGIT_MAP, b"0", 11)
    if len(runs) < 16 or not text.big:
        return [r for r in runs if r[1] - r[0] in _DIGIT_RUN_LENGTHS
                or (r[1] - r[0] == 13 and text.data.startswith(b"861", r[0]))
                or (r[1] - r[0] == 17 and text.data[r[1]:r[1] + 1] in (b"X", b"x"))]
    arr = np.array(runs, dtype=np.int64)
    s, n = arr[:, 0], arr[:, 1] - arr[:, 0]
    b = text.array
    after = b[np.minimum(arr[:, 1], len(b) - 1)]
    ok = _DIGIT_LENGTHS[np.minimum(n, 21)] | ((n == 13) & (b[s] == 56) & (b[s + 1] == 54) & (b[s + 2] == 49)) \
        | ((n == 17) & ((after == 88) | (after == 120)))   # 17 digits + X
    return [runs[i] for i in np.flatnonzero(ok).tolist()]


def _pick(cands: list[tuple[str, float, str]], hint: str | None) -> tuple[str, float, str] | None:
    if not cands:
        return None
    if hint:
        for t, base, rule in cands:
            if t == hint:
                return t, max(base, 0.95), rule
    t, base, rule = max(cands, key=lambda c: c[1])
    return t, (base - 0.2 if hint else base), rule


def find_patterns(text: Text, min_confidence: float, limit: int = 1 << 30) -> list[PatternHit]:
    data = text.data
    out: list[PatternHit] = []

    def hint_at(start: int, cn: bool = False) -> tuple[str | None, str | None]:
        key = key_before(data, start)
        hint = hinted_type(key)
        if hint is None and cn:
            hint = _cn_hint(data, start)
        return key, hint

    n = len(data)
    # digit runs standing alone (not inside a hex or alphanumeric token): phone, IMEI,
    # IMSI, ICCID, ID number, bank card
    long_runs = text.has_long_run
    for s, e in (_digit_runs(text) if long_runs else ()):
        if s > 0 and data[s - 1] in _ALNUM:
            continue
        if e - s == 17 and e < n and data[e] in b"Xx":
            e += 1
        if e < n and data[e] in _ALNUM:
            continue
        run = data[s:e].decode().upper()
        cands = _digit_candidates(run)
        if not cands or not digit_context(data, s, e):
            continue
        key, hint = hint_at(s, cn=True)
        got = _pick(cands, hint)
        if got and got[0] != hint and looks_like_epoch(run):
            continue
        if got and got[1] >= min_confidence:
            out.append(PatternHit(s, e, got[0], run, round(got[1], 2), got[2], key))
            if len(out) >= limit:
                return out

    big = text.big
    if not (long_runs or b":" in data or b"-" in data):
        shapes = b""
    elif big:
        shapes = _LazyMap(data, SHAPE_MAP)   # long texts: mapped only where a candidate is
    else:
        shapes = text.mapped(SHAPE_MAP)
    for shape in (_MAC_SHAPES if shapes else ()):
        if big:
            starts = iter(_mac_candidates(text, shape[2]))
            pos = shapes.find_at(shape, starts, 0)
        else:
            pos = shapes.find(shape)
        while pos >= 0:
            end = pos + len(shape)
            if (pos == 0 or shapes[pos - 1] not in b"h:-") and (end == len(shapes) or shapes[end] not in b"h:-"):
                mac = data[pos:end].decode()
                if re.sub(r"[:-]", "", mac).lower() not in _NOT_MACS:
                    key, hint = hint_at(pos)
                    t = hint if hint in ("mac", "bluetooth_mac", "ssid") else "mac"
                    conf = 0.95 if hint == t else 0.7
                    out.append(PatternHit(pos, end, t, mac, conf, "mac", key))
            pos = shapes.find_at(shape, starts, end) if big else shapes.find(shape, end)

    # UUIDs and bare hex ids are everywhere (request ids, sessions): they are only looked
    # for right after a key that names a device id, found by its words
    if long_runs:
        hexmap = _LazyMap(data, HEX_MAP) if big else text.mapped(HEX_MAP)
        seen: set[int] = set()
        for word in KEYED_WORDS:
            for p in text.positions(word, lowered=True):
                lo = p + len(word)
                hi = min(n, lo + 40)
                u = shapes.find(_UUID_SHAPE, lo, hi + len(_UUID_SHAPE)) if shapes else -1
                if u >= 0 and u not in seen:
                    end = u + len(_UUID_SHAPE)
                    if shapes[u - 1] not in b"h-" and (end == n or shapes[end] not in b"h-"):
                        seen.add(u)
                        key, hint = hint_at(u)
                        if hint in ("oaid", "advertising_id"):
                            out.append(PatternHit(u, end, hint, data[u:end].decode(), 0.9, "uuid-keyed", key))
                h = hexmap.find(b"h" * 16, lo, hi + 16)
                if h >= 0 and h not in seen and hexmap[h - 1] != 104 and data[h - 1] not in b"-:":
                    e = hexmap.find(b" ", h)
                    e = n if e < 0 else e
                    seen.add(h)
                    if e - h in (16, 32, 64) and (e == n or data[e] not in b"-:"):
                        key, hint = hint_at(h)
                        if (hint == "android_id" and e - h == 16) or hint == "oaid":
                            out.append(PatternHit(h, e, hint, data[h:e].decode(), 0.85, f"hex{e - h}-keyed", key))

    ats = text.positions(b"@")
    if ats:
        out.extend(_emails(data, ats, hint_at))
    return out


class _LazyMap:
    """`data.translate(table)` for long texts, computed only over the windows asked for."""

    __slots__ = ("data", "table")

    def __init__(self, data: bytes, table: bytes):
        self.data, self.table = data, table

    def __bool__(self) -> bool:
        return bool(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int) -> int:
        return self.table[self.data[i]]

    def find(self, needle: bytes, start: int = 0, end: int | None = None) -> int:
        if end is None and needle == b" " and self.table is HEX_MAP:
            m = _NOT_HEX.search(self.data, start)
            return m.start() if m else -1
        stop = len(self.data) if end is None else min(end, len(self.data))
        if start < 0:
            start = max(0, len(self.data) + start)
        got = self.data[start:stop].translate(self.table).find(needle)
        return got + start if got >= 0 else -1

    def find_at(self, needle: bytes, candidates, start: int) -> int:
        """The next of the candidate offsets (ascending) at or after `start` where needle is."""
        k = len(needle)
        for pos in candidates:
            if pos >= start and self.data[pos:pos + k].translate(self.table) == needle:
                return pos
        return -1


_NOT_HEX = re.compile(rb"[^0-9a-fA-F]")


def _mac_candidates(text: Text, sep: int) -> list[int]:
    """Offsets where a 17-byte MAC shape with separator `sep` may start: the separator at
    its five places (the rest is checked on the few candidates)."""
    if index_module.NATIVE is not None:
        return index_module.NATIVE.mac_candidates(text.data, sep)
    a = text.array
    m = len(a) - 16
    if m <= 0:
        return []
    c = a == sep
    hit = c[2:2 + m] & c[5:5 + m] & c[8:8 + m] & c[11:11 + m] & c[14:14 + m]
    return np.flatnonzero(hit).tolist()


_EMAIL_LOCAL = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_EMAIL_DOMAIN = re.compile(rb"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])")
_NOT_TLDS = {b"png", b"jpg", b"jpeg", b"gif", b"webp", b"svg", b"js", b"css", b"so", b"apk", b"dex", b"html"}


def _emails(data: bytes, ats: list[int], hint_at) -> list[PatternHit]:
    """E-mail addresses around the '@' at each of `ats` (ascending)."""
    out = []
    resume = 0
    for pos in ats:
        if pos < resume:
            continue   # inside the address found last
        s = pos
        while s > 0 and pos - s < 64 and data[s - 1] in _EMAIL_LOCAL:
            s -= 1
        m = _EMAIL_DOMAIN.match(data, pos + 1, pos + 256)
        if s < pos and m and m.group(1).lower() not in _NOT_TLDS and data[s:s + 1] not in (b".", b"-"):
            key, hint = hint_at(s)
            conf = 0.95 if hint == "email" else 0.8
            out.append(PatternHit(s, m.end(), "email", data[s:m.end()].decode("latin-1"), conf, "email", key))
            resume = m.end()
    return out
