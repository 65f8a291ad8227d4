"""Every form in which an SDK may send a known value.

A variant is the bytes that would appear on the wire plus the chain of steps that made
them from the raw value. The chain is written the way docs/detection.md describes:
decoding steps first, outermost first (``base64``, ``urlencoded``, ``hex``), then the
value transform in the order it was applied (``nosep``, ``upper``, ``md5``). ``plain``
is the empty chain.

A variant's shape is the character class all of it belongs to (``digits``, ``hex``,
``b64``) or ``sub`` for anything else. Short variants of a class shape must stand alone
in that class when matched (index.py): "867530912345673" inside "1867530912345673" is
not the IMEI.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import NamedTuple
from urllib.parse import quote, quote_plus

DIGESTS = ("md5", "sha1", "sha256", "sha512")
# Hash of a hash: some SDKs double-hash identifiers (e.g. md5 of the sha1 hex).
DOUBLE_DIGESTS = ("md5", "sha1", "sha256")
MIN_VARIANT_LEN = 8

_DIGITS = re.compile(rb"[0-9]+")
_HEX = re.compile(rb"[0-9a-fA-F]+")
_B64 = re.compile(rb"[A-Za-z0-9+/_-]+")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$")
_SEPARATORS = re.compile(r"[\s:\-.]")


class Variant(NamedTuple):
    pii_type: str
    value: str                 # the raw known value this variant was made from
    source: str                # 'known_value' | 'observed_value'
    steps: tuple[str, ...]     # encoding chain ('' steps == 'plain')
    shape: str                 # 'digits' | 'hex' | 'b64' | 'sub'
    case_sensitive: bool       # False: matched ignoring ASCII case, the case is read off the match
    data: bytes                # the variant as generated (its case is the reference)

    @property
    def encoding(self) -> str:
        return ">".join(self.steps) or "plain"


def shape_of(data: bytes, case_sensitive: bool) -> str:
    """The run class that contains all of data, or 'sub' when none does."""
    if _DIGITS.fullmatch(data):
        return "digits"
    if not case_sensitive and _HEX.fullmatch(data):
        return "hex"
    if case_sensitive and _B64.fullmatch(data):
        return "b64"
    return "sub"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def value_forms(pii_type: str, value: str) -> dict[str, tuple[str, ...]]:
    """Spellings of the value before any encoding: separators and per-type habits."""
    forms: dict[str, tuple[str, ...]] = {value: ()}
    if _MAC.match(value):
        sep = value[2]
        other = "-" if sep == ":" else ":"
        forms[value.replace(sep, other)] = ("dashes",) if other == "-" else ("colons",)
    stripped = _SEPARATORS.sub("", value)
    if stripped != value and len(stripped) >= 6:
        forms[stripped] = ("nosep",)
    digits = re.sub(r"\D", "", value)
    if pii_type == "phone_number" and len(digits) == 11 and digits.startswith("1"):
        forms.setdefault(digits, ("nosep",))
        forms["86" + digits] = ("intl",)   # '+86…' is '86…' as a digit run
        forms[f"{digits[:3]} {digits[3:7]} {digits[7:]}"] = ("spaced",)
        forms[f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"] = ("dashes",)
    if pii_type == "imei" and len(value) == 15 and value.isdigit() and luhn_ok(value):
        forms[value[:14]] = ("nocheck",)   # the 14-digit body without its check digit
    return forms


def case_forms(form: str) -> dict[str, tuple[str, ...]]:
    out = {form: ()}
    for name, cased in (("lower", form.lower()), ("upper", form.upper())):
        out.setdefault(cased, (name,))
    return out


def _b64_forms(raw: bytes) -> set[tuple[bytes, str]]:
    std = base64.b64encode(raw).rstrip(b"=")
    url = base64.urlsafe_b64encode(raw).rstrip(b"=")
    return {(std, "base64"), (url, "base64url" if url != std else "base64")}


def variants_for(pii_type: str, value: str, source: str = "known_value") -> list[Variant]:
    """All variants of one value; duplicates of the same bytes keep the shortest chain."""
    out: dict[tuple[bytes, bool], Variant] = {}

    def add(data: bytes, steps: tuple[str, ...], case_sensitive: bool) -> None:
        if len(data) < MIN_VARIANT_LEN:
            return
        key = (data if case_sensitive else data.lower(), case_sensitive)
        old = out.get(key)
        if old is None or len(steps) < len(old.steps):
            out[key] = Variant(pii_type, value, source, steps, shape_of(data, case_sensitive), case_sensitive, data)

    for form, form_steps in value_forms(pii_type, value).items():
        raw = form.encode("utf-8", "surrogatepass")
        # Plain and percent-encoded: matched ignoring case; the case is read off the match.
        add(raw, form_steps, False)
        for quoted in {quote(form, safe=""), quote_plus(form, safe="")}:
            if quoted != form:
                add(quoted.encode(), ("urlencoded",) + form_steps, False)
                add(quote(quoted, safe="").encode(), ("urlencoded", "urlencoded") + form_steps, False)
        if form.isdigit() and len(form) <= 19 and int(form) < 2**63:
            add(_varint(int(form)), ("varint",) + form_steps, True)
        for cased, case_steps in case_forms(form).items():
            craw = cased.encode("utf-8", "surrogatepass")
            steps = form_steps + case_steps
            add(craw.hex().encode(), ("hex",) + steps, False)
            for b64, name in _b64_forms(craw):
                add(b64, (name,) + steps, True)
            for algo in DIGESTS:
                digest = hashlib.new(algo, craw).digest()
                add(digest.hex().encode(), steps + (algo,), False)
                for b64, name in _b64_forms(digest):
                    add(b64, (name,) + steps + (algo,), True)
            if not case_steps and not form_steps:
                for first in DOUBLE_DIGESTS:
                    inner = hashlib.new(first, craw).hexdigest().encode()
                    for second in DOUBLE_DIGESTS:
                        add(hashlib.new(second, inner).hexdigest().encode(), (first, second), False)
    return list(out.values())


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)
