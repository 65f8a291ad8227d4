"""A labelled corpus of SDK-shaped flows, and the detector's precision and recall on it.

    python -m piiaudit.detect.corpus --corpus generated --flows 2000 --seed 1
    piiaudit corpus          # this corpus and the real one, with party attribution and findings

Both corpora are a `Corpus` (profile, samples, captures): this module builds the generated
one; piiaudit/detect/realcorpus.py reads the real one (captures of real SDK traffic labelled
by hand, piiaudit/data/corpus/real). `evaluate` scores either; a measure the caller adds
(`main(measures=...)`: party attribution, the findings count, in commands/) gets the corpus.

Each leaky flow is built like a request a real SDK sends (field names and shapes follow
the public documentation and decompiled parameter lists of the SDKs named below) and
carries one to three of the test device's values, each in one of the forms SDKs use
(plain, hashed, base64, percent-encoded, nested in base64 JSON, gzip, protobuf, a
cookie...). The label says which value went in and which encoding chain the detector
should report, written per docs/detection.md. Clean flows have the same shapes with no
device value, but with what makes detectors stumble: random hex and base64 session ids,
millisecond timestamps, UUIDs of other devices, 15-digit numbers that fail the Luhn
check, the device's own IMEI with one digit changed or buried in a longer number,
coordinates of other cities. Every flow, clean or leaky, also carries realistic noise
(`Builder.noise`, recorded by kind): random floats of event values, timestamps in seconds,
milliseconds and microseconds, order numbers (some pass the Luhn check), other devices'
ids (Luhn-valid IMEIs, Android IDs, under the keys that name them) and digests of other
values.

Known-value hits are scored against the labels (strict: type, raw value and encoding
chain must all agree). Pattern hits are reported separately: they are a second signal,
not the thing a label can promise. They are counted twice over: all pattern hits (also
those a known value at the same place absorbed as `detail.support`) and pattern-only hits
(kept as hits of their own), each for leaky and clean flows and by the noise kind they
fell on; a pattern-only hit on a float, a timestamp or a digest is a false one. Hits of
documented fields of known endpoints (source `endpoint`, piiaudit.detect.endpoints) are a
third signal, counted apart by kind and not scored either.

Each flow also carries the party its destination host belongs to (`EXPECTED_PARTY`, written
by hand: an SDK id, ``first_party`` for the app's own `FIRST_PARTY_HOSTS`, or
``unattributed:<domain>`` for a tracker no catalog knows); `commands/corpus_party.py`
measures the analysis's party decision against it, since this base module may not import
the analysis.

Payload shapes (sources read while writing the templates):
- Umeng U-App analytics: envelope with a ``header`` of device fields (appkey, channel,
  device_id, idmd5, mc, imsi, oaid ...) and ``content`` with sessions;
- JPush: form-encoded report (aid, imei, mac, platform=a, sdk_ver);
- Getui: JSON with the client id and a base64-encoded device info blob;
- AppsFlyer: JSON launch event (advertiserId, android_id, imei, af_timestamp, uid,
  deviceData), per the SDK's ServerParameters names;
- Adjust: form-encoded /session (app_token, gps_adid, android_uuid, created_at ...),
  per the parameter list in Adjust's server-to-server docs;
- Firebase / Google data transport: protobuf LogRequest (client_info, log_event with a
  source_extension message), per google_cct.proto in firebase-android-sdk;
- AMap / Baidu location: ``location=lng,lat`` (GCJ-02) and ``coor=bd09ll``;
- an uncatalogued tracker: a plain JSON beacon to ``collect.unknown-tracker.example``.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import random
import struct
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from mitmproxy import http
from mitmproxy.test import tflow

from piiaudit.profile import DeviceProfile, Fix

from piiaudit.detect import geo
from piiaudit.detect.detector import Detector
from piiaudit.detect.limits import ScanLimits
from piiaudit.detect.variants import luhn_ok

# --- the device ---------------------------------------------------------------------------


def _luhn_complete(body: str) -> str:
    for d in "0123456789":
        if luhn_ok(body + d):
            return body + d
    raise AssertionError


def make_profile(rnd: random.Random) -> DeviceProfile:
    imei = _luhn_complete("86" + "".join(rnd.choice("0123456789") for _ in range(12)))
    imsi = "46000" + "".join(rnd.choice("0123456789") for _ in range(10))
    mac = ":".join(f"{rnd.randrange(256):02x}" for _ in range(6))
    mac = f"{int(mac[:2], 16) & 0xFC | 0x02:02x}" + mac[2:]   # locally administered, never 02:00:00...
    lat = round(rnd.uniform(22.5, 40.5), 6)
    lng = round(rnd.uniform(104.0, 121.0), 6)
    p = DeviceProfile(device={"model": "corpus"})
    p.values = {
        "imei": [imei],
        "imsi": [imsi],
        "android_id": [f"{rnd.getrandbits(64):016x}"],
        "oaid": [str(uuid.UUID(int=rnd.getrandbits(128), version=4))],
        "advertising_id": [str(uuid.UUID(int=rnd.getrandbits(128), version=4))],
        "mac": [mac],
        "phone_number": ["1" + rnd.choice("3456789") + "".join(rnd.choice("0123456789") for _ in range(9))],
        "serial": ["".join(rnd.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(12))],
        "email": [f"tester{rnd.randrange(10**4)}@example.cn"],
        "clipboard": [f"piiaudit-canary-clip-{rnd.getrandbits(32):08x}"],
        "contacts": [f"张{rnd.choice('伟芳娜敏静')}{rnd.choice('明华军')}"],
    }
    p.locations = [Fix(lat, lng)]
    return p


# --- value forms: (wire string, encoding chain per docs/detection.md) ---------------------------
_DIGEST = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def _forms(pii_type: str, v: str) -> list[tuple[str, str]]:
    out = [(v, "plain")]
    for name, fn in _DIGEST.items():
        out.append((fn(v.encode()).hexdigest(), name))
    out.append((hashlib.md5(v.encode()).hexdigest().upper(), "md5"))           # hex case is detail only
    out.append((base64.b64encode(v.encode()).decode(), "base64"))
    out.append((base64.b64encode(hashlib.md5(v.encode()).digest()).decode(), "base64>md5"))
    out.append((base64.b64encode(hashlib.sha256(v.encode()).digest()).decode(), "base64>sha256"))
    out.append((v.encode().hex(), "hex"))
    out.append((hashlib.md5(hashlib.md5(v.encode()).hexdigest().encode()).hexdigest(), "md5>md5"))
    if v.upper() != v:
        out.append((v.upper(), "upper"))
        out.append((hashlib.md5(v.upper().encode()).hexdigest(), "upper>md5"))
    if pii_type in ("mac", "oaid", "advertising_id"):
        bare = v.replace(":", "").replace("-", "")
        out.append((bare, "nosep"))
        out.append((hashlib.md5(bare.encode()).hexdigest(), "nosep>md5"))
        out.append((bare.upper(), "nosep>upper"))
    if pii_type == "mac":
        out.append((v.replace(":", "-"), "dashes"))
    if quote(v, safe="") != v:
        out.append((quote(v, safe=""), "urlencoded"))
    urlsafe = base64.urlsafe_b64encode(v.encode()).decode().rstrip("=")
    if urlsafe != base64.b64encode(v.encode()).decode().rstrip("="):
        out.append((urlsafe, "base64url"))
    return out


# --- small builders ------------------------------------------------------------------------------
def _pb_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pb(fields: list[tuple[int, object]]) -> bytes:
    """Protobuf wire format: ints as varints, floats as doubles, str/bytes/lists length-delimited."""
    out = bytearray()
    for num, val in fields:
        if isinstance(val, bool) or isinstance(val, int):
            out += _pb_varint(num << 3 | 0) + _pb_varint(int(val))
        elif isinstance(val, float):
            out += _pb_varint(num << 3 | 1) + struct.pack("<d", val)
        else:
            raw = pb(val) if isinstance(val, list) else (val.encode() if isinstance(val, str) else val)
            out += _pb_varint(num << 3 | 2) + _pb_varint(len(raw)) + raw
    return bytes(out)


@dataclass
class Label:
    pii_type: str
    value: str
    encoding: str
    location: str | None = None    # a hand label names the place too; a generated one does not
    reason: str = ""


@dataclass
class Sample:
    flow: http.HTTPFlow
    sdk: str
    labels: list[Label] = field(default_factory=list)
    noise: list[tuple[str, str]] = field(default_factory=list)   # (kind, text) of the noise it carries
    party: str = ""    # who the destination host belongs to: an SDK id, FIRST_PARTY or unattributed:<domain>
    capture: str = "generated"     # the capture it comes from (one session per capture)
    # every device value of the flow is labelled, place by place: a known-value hit at a place
    # no label names is a false positive even when its value is labelled elsewhere
    exhaustive: bool = False
    name: str = ""                 # how the reports name it (a real request: capture#entry)

    @property
    def size(self) -> int:
        n = len(self.flow.request.raw_content or b"") + len(self.flow.request.data.path or b"")
        return n


def _flow(method: str, url: str, body: bytes = b"", headers: dict | None = None) -> http.HTTPFlow:
    """A request with `body` as the bytes on the wire (already content-encoded, if at all)."""
    f = tflow.tflow()
    f.request = http.Request.make(method, url)
    for k, v in (headers or {}).items():   # after make(): it would re-encode the body itself
        f.request.headers[k] = v
    f.request.raw_content = body
    if body:
        f.request.headers["content-length"] = str(len(body))
    f.response = None
    return _connected(f)


def _connected(f: http.HTTPFlow) -> http.HTTPFlow:
    """Connection details as the proxy records them: the server it connected to, the SNI asked."""
    f.server_conn.address = (f.request.host, f.request.port)
    f.server_conn.sni = f.client_conn.sni = f.request.host
    return f


class Builder:
    """Builds SDK-shaped requests; `slot(...)` plants a value and records its label."""

    def __init__(self, rnd: random.Random, profile: DeviceProfile):
        self.rnd = rnd
        self.profile = profile
        self.labels: list[Label] = []
        self.noise: list[tuple[str, str]] = []
        self.planting = True

    # -- filler that looks dangerous but is nobody's PII --
    def hex(self, n: int = 32) -> str:
        return f"{self.rnd.getrandbits(n * 4):0{n}x}"

    def ts_ms(self) -> int:
        return 1_700_000_000_000 + self.rnd.randrange(10**10)

    def other_uuid(self) -> str:
        return str(uuid.UUID(int=self.rnd.getrandbits(128), version=4))

    def not_luhn15(self) -> str:
        while True:
            s = "86" + "".join(self.rnd.choice("0123456789") for _ in range(13))
            if not luhn_ok(s):
                return s

    def b64noise(self, n: int = 24) -> str:
        return base64.b64encode(self.rnd.randbytes(n)).decode()

    def near_miss(self) -> str:
        """The device's IMEI with one digit changed, or buried in a longer number."""
        imei = self.profile.values["imei"][0]
        if self.rnd.random() < 0.5:
            i = self.rnd.randrange(15)
            return imei[:i] + str((int(imei[i]) + 1) % 10) + imei[i + 1:]
        return self.rnd.choice("123456789") + imei + str(self.rnd.randrange(10))

    def city(self) -> tuple[float, float]:
        fix = self.profile.locations[0]
        while True:
            lat, lng = round(self.rnd.uniform(20, 45), 6), round(self.rnd.uniform(100, 125), 6)
            if geo.haversine_m(lat, lng, fix.lat, fix.lng) > 5000:
                return lat, lng

    # -- realistic noise: numbers and ids that are not this device's, recorded by kind --
    def _noted(self, kind: str, value):
        self.noise.append((kind, str(value)))
        return value

    def other_imei(self) -> str:
        while True:
            imei = _luhn_complete(self.rnd.choice(["86", "35", "99"]) + "".join(
                self.rnd.choice("0123456789") for _ in range(12)))
            if imei not in self.profile.values["imei"]:
                return self._noted("other_device", imei)

    def other_android_id(self) -> str:
        return self._noted("other_device", self.hex(16))

    def order_no(self) -> str:
        """Shop order numbers: date-prefixed, or 16-19 random digits (a tenth pass Luhn)."""
        r = self.rnd
        if r.random() < 0.5:
            no = f"2024{r.randrange(1, 13):02d}{r.randrange(1, 29):02d}" + "".join(
                r.choice("0123456789") for _ in range(r.randrange(8, 12)))
        else:
            no = r.choice("123456789") + "".join(r.choice("0123456789") for _ in range(r.randrange(15, 19)))
        return self._noted("order", no)

    def other_digest(self) -> str:
        fn = _DIGEST[self.rnd.choice(["md5", "sha1", "sha256"])]
        return self._noted("digest", fn(self.other_imei().encode()).hexdigest())

    def noise_fields(self) -> dict:
        """A handful of noise fields of a telemetry event (values typed as JSON would carry them)."""
        r = self.rnd
        ms = self.ts_ms()
        fields = {"v": self._noted("float", r.random()), "w": self._noted("float", r.random() * 1000),
                  "ts_s": self._noted("timestamp", ms // 1000), "ts_ms": self._noted("timestamp", ms),
                  "ts_us": self._noted("timestamp", ms * 1000 + r.randrange(1000))}
        if r.random() < 0.5:
            fields["order_id"] = self.order_no()
        if r.random() < 0.5:
            fields["amount"] = self._noted("float", round(r.uniform(1, 5000), 2))
        if r.random() < 0.3:
            fields["peer"] = {"imei": self.other_imei(), "android_id": self.other_android_id()}
        if r.random() < 0.3:
            fields["ref_hash"] = self.other_digest()
        return fields

    def noise_form(self) -> list[tuple[str, str]]:
        """The same noise as form or query fields."""
        out = []
        for k, v in self.noise_fields().items():
            if isinstance(v, dict):
                out += [(f"peer_{pk}", str(pv)) for pk, pv in v.items()]
            else:
                out.append((k, str(v)))
        return out

    # -- planted values --
    def slot(self, pii_type: str, decoy: str, prefix: str = "", allow=None) -> str:
        """A device value in a random form (recorded as a label), or the decoy when clean."""
        if not self.planting or pii_type not in self.profile.values:
            return decoy
        value = self.profile.values[pii_type][0]
        forms = _forms(pii_type, value)
        if allow is not None:
            forms = [f for f in forms if f[1] in allow] or forms[:1]
        wire, enc = self.rnd.choice(forms)
        self.labels.append(Label(pii_type, value, ">".join(x for x in (prefix, enc) if x and x != "plain") or "plain"))
        return wire

    def form_slot(self, pii_type: str, decoy: str, allow=None) -> str:
        """A slot that goes into a form/query: the encoder will percent-encode it."""
        n = len(self.labels)
        wire = self.slot(pii_type, decoy, allow=allow)
        # percent-encoding that only touches base64 padding leaves the value readable as is
        bare = wire.rstrip("=")
        if len(self.labels) > n and quote(bare, safe="") != bare:
            lab = self.labels[-1]
            lab.encoding = "urlencoded" if lab.encoding == "plain" else "urlencoded>" + lab.encoding
        return wire

    def escaped_slot(self, pii_type: str, decoy: str, allow=None) -> str:
        """A slot in JSON written with ensure_ascii: non-ASCII values travel as \\u escapes."""
        n = len(self.labels)
        wire = self.slot(pii_type, decoy, allow=allow)
        if len(self.labels) > n and not wire.isascii():
            lab = self.labels[-1]
            lab.encoding = "unicode_escape" if lab.encoding == "plain" else "unicode_escape>" + lab.encoding
        return wire

    def location(self, style: str) -> tuple[float, float, str] | None:
        if not self.planting:
            lat, lng = self.city()
            return lat, lng, "plain"
        fix = self.profile.locations[0]
        lat, lng, enc = fix.lat, fix.lng, "plain"
        if style == "gcj02":
            lat, lng = geo.wgs84_to_gcj02(fix.lat, fix.lng)
            enc = "gcj02"
        elif style == "bd09":
            lat, lng = geo.gcj02_to_bd09(*geo.wgs84_to_gcj02(fix.lat, fix.lng))
            enc = "bd09"
        self.labels.append(Label("location", geo.fix_value(fix.lat, fix.lng), enc))
        return lat, lng, enc


# --- SDK templates -----------------------------------------------------------------------------
def t_umeng(b: Builder) -> http.HTTPFlow:
    r = b.rnd
    header = {
        "appkey": b.hex(24), "channel": r.choice(["huawei", "xiaomi", "oppo", "vivo", "yingyongbao"]),
        "display_name": "演示商城", "package_name": "com.example.demoshop", "app_version": "3.2.1",
        "version_code": 321, "sdk_version": "9.6.3", "sdk_type": "Android", "os": "Android",
        "os_version": "14", "device_model": r.choice(["Pixel 7", "M2102J2SC", "V2145A"]),
        "resolution": "1080*2400", "carrier": "中国移动", "access": r.choice(["wifi", "4G"]),
        "timezone": 8, "country": "CN", "language": "zh",
        "device_id": b.slot(r.choice(["imei", "android_id"]), b.hex(16)),
        "idmd5": b.slot("imei", b.hex(32), allow={"md5", "upper>md5", "md5>md5"}),
        "mc": b.slot("mac", "02:00:00:00:00:00"),
        "session_id": b.hex(32), "ts": b.ts_ms(),
    }
    if r.random() < 0.5:
        header["oaid"] = b.slot("oaid", b.other_uuid())
    body = {"header": header, "content": {"analytics": {"sessions": [
        {"id": b.hex(32), "start_time": b.ts_ms(), "end_time": b.ts_ms(), "duration": r.randrange(1, 10**6),
         "pages": [{"page_name": f"com.example.demoshop.{p}", "duration": r.randrange(1000)}
                   for p in r.sample(["MainActivity", "CartActivity", "SearchActivity", "DetailActivity"], 2)]}
        for _ in range(r.randrange(1, 4))],
        "ekv": [{"id": f"evt_{r.randrange(100)}", **b.noise_fields()} for _ in range(r.randrange(1, 4))]}}}
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = {"content-type": "application/json; charset=utf-8", "x-umeng-sdk": "9.6.3"}
    if r.random() < 0.5:
        raw = gzip.compress(raw, mtime=0)
        headers["content-encoding"] = "gzip"
    return _flow("POST", "https://ulogs.umeng.com/unify_logs", raw, headers)


def t_jpush(b: Builder) -> http.HTTPFlow:
    r = b.rnd
    form = [("aid", b.form_slot("android_id", b.hex(16))), ("platform", "a"), ("sdk_ver", "5.0.0"),
            ("uid", str(r.randrange(10**10, 10**11))), ("appkey", b.hex(24)), ("ts", str(b.ts_ms()))]
    if r.random() < 0.6:
        form.append(("imei", b.form_slot("imei", b.not_luhn15())))
    if r.random() < 0.5:
        form.append(("mac", b.form_slot("mac", "02:00:00:00:00:00")))
    form += b.noise_form()
    r.shuffle(form)
    return _flow("POST", "https://stats.jpush.cn/v3/report", urlencode(form).encode(),
                 {"content-type": "application/x-www-form-urlencoded"})


def t_getui(b: Builder) -> http.HTTPFlow:
    inner_prefix = "base64"
    info = {"model": "Pixel 7", "system_version": "14", "imei": b.slot("imei", b.not_luhn15(), prefix=inner_prefix),
            "mac": b.slot("mac", "02:00:00:00:00:00", prefix=inner_prefix), "version": "3.3.3.0",
            "cid": b.hex(32), "imsi": b.slot("imsi", "46000" + "9" * 10, prefix=inner_prefix), "type": "ANDROID"}
    body = {"action": "addphoneinfo", "id": b.hex(32), "info": base64.b64encode(json.dumps(info).encode()).decode(),
            "time": b.ts_ms(), "stat": b.noise_fields()}
    return _flow("POST", "https://c-hzgt2.getui.com/api.php", json.dumps(body).encode(),
                 {"content-type": "application/json"})


def t_appsflyer(b: Builder) -> http.HTTPFlow:
    r = b.rnd
    body = {
        "advertiserId": b.slot("advertising_id", b.other_uuid()), "advertiserIdEnabled": "true",
        "android_id": b.slot("android_id", b.hex(16)), "af_timestamp": str(b.ts_ms()),
        "uid": f"{b.ts_ms()}-{r.randrange(10**18, 10**19)}", "appsflyerKey": b.hex(22),
        "brand": "google", "model": "Pixel 7", "sdk": "34", "carrier": "China Mobile", "operator": "46000",
        "lang": "中文", "lang_code": "zh", "country": "CN", "counter": str(r.randrange(1, 50)),
        "deviceData": {"cpu_abi": "arm64-v8a", "build_display_id": "UQ1A.240105.004", "arch": "",
                       "dim": {"size": "2", "xdp": "420.0", "ydp": "420.0", "x_px": "1080", "y_px": "2400"}},
        "installDate": "2024-01-05_101010+0800", "firstLaunchDate": "2024-01-05_101012+0800",
        "af_v": b.hex(40), "af_v2": b.hex(40),
        "eventValue": json.dumps(b.noise_fields()),   # event values travel as JSON in a string
    }
    if r.random() < 0.5:
        body["imei"] = b.slot("imei", b.not_luhn15())
    if r.random() < 0.3:
        body["af_preinstalled"] = "false"
        body["extraReferrers"] = json.dumps({"clipboard": b.slot("clipboard", "hello")})   # JSON in a string
    return _flow("POST", "https://launches.appsflyer.com/api/v6.12/androidevent?app_id=com.example.demoshop&buildnumber=6.12.2",
                 json.dumps(body, ensure_ascii=False).encode(), {"content-type": "application/json"})


def t_adjust(b: Builder) -> http.HTTPFlow:
    r = b.rnd
    form = [("app_token", b.hex(12)), ("gps_adid", b.form_slot("advertising_id", b.other_uuid())),
            ("android_uuid", b.other_uuid()), ("created_at", "2024-01-05T10:10:10.123Z+0800"),
            ("device_type", "phone"), ("device_name", "Pixel 7"), ("os_name", "android"),
            ("os_version", "14"), ("language", "zh"), ("country", "CN"), ("session_count", str(r.randrange(1, 99))),
            ("environment", "production"), ("sent_at", "2024-01-05T10:10:11.456Z+0800"),
            ("callback_params", json.dumps(b.noise_fields()))]
    if r.random() < 0.5:
        form.append(("android_id", b.form_slot("android_id", b.hex(16))))
    if r.random() < 0.4:
        # JSON in a form value: percent-encoding is a step of the value's chain only where it
        # changed the value's own characters (an e-mail's @), as for a plain form field
        form.append(("partner_params", json.dumps({"user_email": b.form_slot("email", "noreply@example.org")})))
    return _flow("POST", "https://app.adjust.com/session", urlencode(form).encode(),
                 {"content-type": "application/x-www-form-urlencoded", "client-sdk": "android4.38.0"})


def t_firebase(b: Builder) -> http.HTTPFlow:
    r = b.rnd
    ext_fields: list = [(1, b.ts_ms()), (2, b.hex(32)),
                        (3, b.slot("advertising_id", b.other_uuid(), allow={"plain", "upper", "md5", "sha256"}))]
    if r.random() < 0.4:
        loc = b.location(r.choice(["wgs84", "gcj02"]))
        if loc is not None:
            lat, lng, enc = loc
            if b.planting:
                b.labels[-1].encoding = enc if enc != "plain" else "float64"
                if enc != "plain":
                    b.labels[-1].encoding = f"{enc}>float64"
            ext_fields.append((7, [(1, lat), (2, lng), (3, float(r.randrange(5, 50)))]))
    client_info = [(1, 4), (2, [(1, 34), (2, "Pixel 7"), (3, "panther"), (4, "panther"), (5, "panther"),
                                 (6, "UQ1A.240105.004"), (7, "Google"), (8, "google/panther/panther:14/UQ1A/1:user/release-keys"),
                                 (9, "zh"), (10, "CN"), (11, "46000"), (12, "321")])]
    events = [(3, [(1, b.ts_ms()), (6, pb(ext_fields)), (11, r.randrange(1, 10**6))]) for _ in range(r.randrange(1, 4))]
    body = pb([(1, client_info), (2, 1249), *events, (4, b.ts_ms()), (8, r.randrange(10**6))])
    return _flow("POST", "https://firebaselogging-pa.googleapis.com/v1/firelog/legacy/batchlog", body,
                 {"content-type": "application/x-protobuf"})


def t_app_api(b: Builder) -> http.HTTPFlow:
    r = b.rnd
    q = [("page", str(r.randrange(1, 20))), ("t", str(b.ts_ms()))] + b.noise_form()
    loc = b.location(r.choice(["wgs84", "wgs84", "e6"]))
    if loc is not None:
        lat, lng, enc = loc
        if enc == "plain" and b.planting and r.random() < 0.3:
            # micro-degrees, as integers
            b.labels[-1].encoding = "e6"
            q += [("la", str(round(lat * 1e6))), ("lo", str(round(lng * 1e6)))]
        elif r.random() < 0.5:
            q += [("lat", f"{lat:.6f}"), ("lng", f"{lng:.6f}")]
        else:
            q += [("lng", f"{lng:.5f}"), ("lat", f"{lat:.5f}")]
    headers = {"x-request-id": b.other_uuid(), "user-agent": "okhttp/4.12.0"}
    if r.random() < 0.5:
        headers["x-device-id"] = b.slot("android_id", b.hex(16))
    if r.random() < 0.4:
        headers["cookie"] = f"sid={b.hex(32)}; did={b.slot('oaid', b.other_uuid())}; lang=zh"
    if r.random() < 0.3:
        q.append(("order_no", str(r.randrange(10**10, 10**11))))
        q.append(("ref", b.near_miss()))
    return _flow("GET", "https://api.demoshop.example/v1/stores/nearby?" + urlencode(q), b"", headers)


def t_amap(b: Builder) -> http.HTTPFlow:
    loc = b.location("gcj02")
    lat, lng, _ = loc
    q = urlencode([("key", b.hex(32)), ("location", f"{lng:.6f},{lat:.6f}"), ("extensions", "base"),
                   ("output", "json")])
    return _flow("GET", "https://restapi.amap.com/v3/geocode/regeo?" + q)


def t_baidu(b: Builder) -> http.HTTPFlow:
    lat, lng, _ = b.location("bd09")
    form = urlencode([("coor", "bd09ll"), ("latitude", f"{lat:.6f}"), ("longitude", f"{lng:.6f}"),
                      ("ak", b.hex(32)), ("cuid", b.hex(32).upper())])
    return _flow("POST", "https://loc.map.baidu.com/sdk.php", form.encode(),
                 {"content-type": "application/x-www-form-urlencoded"})


def t_crash_upload(b: Builder) -> http.HTTPFlow:
    r = b.rnd
    boundary = f"----piiaudit{b.hex(16)}"
    meta = json.dumps({"device": {"serial": b.slot("serial", b.hex(12).upper()), "os": "14"}, "stats": b.noise_fields(),
                       "contact": b.escaped_slot("contacts", "王五", allow={"plain"}), "crash_id": b.other_uuid()})   # ascii-escaped JSON
    log = (f"FATAL EXCEPTION: main\nProcess: com.example.demoshop, PID: {r.randrange(30000)}\n"
           f"java.lang.NullPointerException at com.example.demoshop.CartActivity.onResume(CartActivity.java:{r.randrange(500)})\n"
           f"user={b.slot('phone_number', str(r.randrange(10**10, 10**11)))}\n")
    payload = gzip.compress(log.encode(), mtime=0)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n'.encode()
        + meta.encode() + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="log"; filename="crash.txt"\r\nContent-Type: text/plain\r\n\r\n'.encode()
        + log.encode() + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="dump"; filename="crash.gz"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + payload + b"\r\n",
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    # the log text is in the body twice (plain and gzip): one label is enough, the detector
    # reports one hit per location, and both carry the same value
    return _flow("POST", "https://crash.demoshop.example/upload", body,
                 {"content-type": f"multipart/form-data; boundary={boundary}"})


def t_push_ws(b: Builder) -> http.HTTPFlow:
    from mitmproxy import websocket
    r = b.rnd
    f = tflow.tflow(ws=True)
    f.request = http.Request.make("GET", "https://push.demoshop.example/ws", b"", {"upgrade": "websocket"})
    hello = {"op": "hello", "client": {"os": "android", "token": b.b64noise(32),
                                       "clip": b.slot("clipboard", "hello world"),
                                       "seq": r.randrange(10**6)}}
    msgs = [websocket.WebSocketMessage(1, True, json.dumps(hello).encode(), 1700000000.0),
            websocket.WebSocketMessage(1, False, json.dumps({"op": "ack", "id": b.hex(16)}).encode(), 1700000000.1)]
    f.websocket.messages = msgs
    return _connected(f)


def t_unknown_tracker(b: Builder) -> http.HTTPFlow:
    """A tracker no catalog knows: a plain JSON beacon to a host of its own."""
    r = b.rnd
    body = {"did": b.slot("android_id", b.hex(16)), "ev": r.choice(["view", "click", "buy"]),
            "adid": b.slot("advertising_id", b.other_uuid(), allow={"plain", "md5", "sha256"}), **b.noise_fields()}
    return _flow("POST", "https://collect.unknown-tracker.example/v1/beacon", json.dumps(body).encode(),
                 {"content-type": "application/json"})


TEMPLATES = {
    "umeng": t_umeng, "jpush": t_jpush, "getui": t_getui, "appsflyer": t_appsflyer, "adjust": t_adjust,
    "firebase": t_firebase, "app_api": t_app_api, "amap": t_amap, "baidu": t_baidu,
    "crash_upload": t_crash_upload, "push_ws": t_push_ws, "unknown_tracker": t_unknown_tracker,
}

# The app's own servers: what a scope file's first_party_hosts would list for the demo shop.
FIRST_PARTY_HOSTS = ("demoshop.example",)
FIRST_PARTY = "first_party"

# The party each template's destination host belongs to, written by hand (each host checked
# against piiaudit/data/sdks.yaml), never derived from the catalog: the attribution measure
# compares the analysis's decision with these.
EXPECTED_PARTY = {
    "umeng": "umeng",                        # ulogs.umeng.com: rule umeng.com
    "jpush": "jpush",                        # stats.jpush.cn: rule jpush.cn
    "getui": "getui",                        # c-hzgt2.getui.com: rule getui.com
    "appsflyer": "appsflyer",                # launches.appsflyer.com: rule appsflyer.com
    "adjust": "adjust",                      # app.adjust.com: rule adjust.com
    "firebase": "firebase",                  # firebaselogging-pa.googleapis.com: a rule of its own
    "app_api": FIRST_PARTY,                  # api.demoshop.example
    "amap": "amap",                          # restapi.amap.com: rule amap.com
    "baidu": "baidu_location",               # loc.map.baidu.com: rule of Baidu Location, not Baidu Maps
    "crash_upload": FIRST_PARTY,             # crash.demoshop.example
    "push_ws": FIRST_PARTY,                  # push.demoshop.example
    "unknown_tracker": "unattributed:unknown-tracker.example",   # in no catalog entry
}


@dataclass
class Capture:
    """What a session of one capture needs beside its flows: the app, its own servers, and
    where the consent moment goes (`after_last_flow`: every flow comes before consent)."""
    name: str
    app_package: str
    first_party_hosts: tuple[str, ...] = ()
    consent: str = "after_last_flow"


@dataclass
class Corpus:
    """A labelled corpus as the measures read it."""
    name: str                       # generated | real
    profile: DeviceProfile
    samples: list[Sample]
    captures: list[Capture]
    notes: list[str] = field(default_factory=list)   # printed under the corpus's heading

    def capture(self, name: str) -> Capture:
        return next(c for c in self.captures if c.name == name)


def generated_corpus(n_flows: int, seed: int, clean_share: float = 0.5) -> Corpus:
    profile, samples = generate(n_flows, seed, clean_share)
    return Corpus("generated", profile, samples,
                  [Capture("generated", "com.example.demoshop", FIRST_PARTY_HOSTS)],
                  [f"{n_flows} flows from {len(TEMPLATES)} SDK-shaped templates, seed {seed}, "
                   f"{clean_share:.0%} without device values"])


def generate(n_flows: int, seed: int, clean_share: float = 0.5) -> tuple[DeviceProfile, list[Sample]]:
    rnd = random.Random(seed)
    profile = make_profile(rnd)
    samples = []
    names = list(TEMPLATES)
    for i in range(n_flows):
        b = Builder(rnd, profile)
        b.planting = rnd.random() >= clean_share
        name = names[i % len(names)]
        f = TEMPLATES[name](b)
        samples.append(Sample(f, name, b.labels if b.planting else [], b.noise, EXPECTED_PARTY[name]))
    return profile, samples


# noise a pattern may rightly fire on (other devices' ids under keys naming them) and
# noise it must never fire on (the others)
NOISE_KINDS = ("other_device", "order", "float", "timestamp", "digest")
FALSE_NOISE = ("float", "timestamp", "digest")


# --- scoring ---------------------------------------------------------------------------------------
KNOWN_SOURCES = ("known_value", "observed_value")   # what a label can promise
@dataclass
class Tally:
    planted: int = 0
    found: int = 0
    false_pos: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else float("nan")

    @property
    def precision(self) -> float:
        reported = self.found + self.false_pos
        return self.found / reported if reported else float("nan")


def evaluate(profile: DeviceProfile, samples: list[Sample], limits: ScanLimits | None = None) -> dict:
    det = Detector(profile, limits=limits)
    det.index_size   # indexes built before timing
    by_type: dict[str, Tally] = defaultdict(Tally)
    by_enc: dict[str, Tally] = defaultdict(Tally)
    by_sdk: dict[str, Tally] = defaultdict(Tally)
    misses: list[tuple] = []
    fps: list[tuple] = []
    # all pattern hits (kept or absorbed as support of a known value at the same place) and
    # pattern-only hits (kept as hits of their own), apart for leaky and clean flows
    pattern = {"leaky_flows": 0, "clean_flows": 0, "only_leaky_flows": 0, "only_clean_flows": 0,
               "matching_planted": 0}
    only_by_noise: dict[str, int] = defaultdict(int)
    only_by_type: dict[str, int] = defaultdict(int)
    pattern_only: list[tuple] = []
    other_sources: dict[str, int] = defaultdict(int)
    endpoint = {"leaky_flows": 0, "clean_flows": 0}
    endpoint_by_kind: dict[str, int] = defaultdict(int)
    total_bytes = 0
    errors = 0
    t0 = time.perf_counter()
    results = [det.scan_flow(s.flow) for s in samples]
    elapsed = time.perf_counter() - t0
    for s, res in zip(samples, results):
        total_bytes += s.size
        errors += len(res.errors)
        known = [h for h in res.hits if h["source"] in KNOWN_SOURCES]
        pats = [h for h in res.hits if h["source"] == "pattern"]
        # endpoint-field hits (a documented field of a known endpoint) are a signal of their
        # own, not a known value found: counted apart, like patterns
        fields = [h for h in res.hits if h["source"] == "endpoint"]
        endpoint["leaky_flows" if s.labels else "clean_flows"] += len(fields)
        for h in fields:
            endpoint_by_kind[h["pii_type"]] += 1
        for h in res.hits:
            if h["source"] not in KNOWN_SOURCES and h["source"] not in ("pattern", "endpoint"):
                other_sources[h["source"]] += 1     # not what a label promises
        planted_values = {(lab.pii_type, lab.value) for lab in s.labels}
        absorbed = sum(1 for h in known + fields for e in (h.get("detail") or {}).get("support", ())
                       if e.get("source") == "pattern")
        side = "leaky_flows" if s.labels else "clean_flows"
        pattern[side] += len(pats) + absorbed
        pattern["only_" + side] += len(pats)
        pattern["matching_planted"] += sum(1 for h in pats if (h["pii_type"], h["value"]) in planted_values)
        for h in pats:
            only_by_noise[next((kind for kind, text in s.noise if h["value"] in text), "template_decoy")] += 1
            only_by_type[h["pii_type"]] += 1
            pattern_only.append((s.name or s.sdk, h["pii_type"], h["location"], h["value"]))
        unmatched = list(known)
        for lab in s.labels:
            hit = next((h for h in unmatched if (h["pii_type"], h["value"], h["encoding"]) == (lab.pii_type, lab.value, lab.encoding)
                        and lab.location in (None, h["location"])), None)
            for t in (by_type[lab.pii_type], by_enc[lab.encoding], by_sdk[s.sdk]):
                t.planted += 1
                t.found += hit is not None
            if hit is None:
                near = [(h["pii_type"], h["encoding"], h["location"]) for h in known if h["value"] == lab.value]
                misses.append((s.name or s.sdk, lab.pii_type, lab.encoding, *([lab.location] if lab.location else []), near))
            else:
                unmatched.remove(hit)
        for h in unmatched:
            # in a generated flow a further hit on a planted value (the same datum at another
            # place) is not a false positive; a hand-labelled flow names every place
            if not s.exhaustive and (h["pii_type"], h["value"]) in planted_values:
                continue
            for t in (by_type[h["pii_type"]], by_enc[h["encoding"]], by_sdk[s.sdk]):
                t.false_pos += 1
            fps.append((s.name or s.sdk, h["pii_type"], h["encoding"], h["location"]))
    return {"by_type": by_type, "by_encoding": by_enc, "by_sdk": by_sdk, "misses": misses, "false_positives": fps,
            "pattern": pattern, "pattern_only_by_noise": dict(only_by_noise),
            "pattern_only_by_type": dict(only_by_type), "pattern_only_hits": pattern_only,
            "other_sources": dict(other_sources), "endpoint": endpoint, "endpoint_by_kind": dict(endpoint_by_kind),
            "flows": len(samples), "bytes": total_bytes, "seconds": elapsed, "errors": errors}


def _table(title: str, tallies: dict[str, Tally]) -> list[str]:
    lines = [f"{title:<22} {'planted':>8} {'found':>7} {'recall':>7} {'false+':>7} {'precision':>9}"]
    tot = Tally()
    for name in sorted(tallies):
        t = tallies[name]
        tot.planted += t.planted
        tot.found += t.found
        tot.false_pos += t.false_pos
        lines.append(f"{name:<22} {t.planted:>8} {t.found:>7} {t.recall:>7.3f} {t.false_pos:>7} {t.precision:>9.3f}")
    lines.append(f"{'all':<22} {tot.planted:>8} {tot.found:>7} {tot.recall:>7.3f} {tot.false_pos:>7} {tot.precision:>9.3f}")
    return lines


def report(m: dict, generated: bool = True) -> str:
    """The detection figures as text; `generated`: the corpus carries recorded noise kinds."""
    out = [f"{m['flows']} flows, {m['bytes'] / 1e6:.2f} MB scanned in {m['seconds']:.2f} s "
           f"({m['flows'] / max(m['seconds'], 1e-9):.0f} flows/s), {m['errors']} scan errors", ""]
    out += _table("PII type", m["by_type"]) + [""]
    out += _table("encoding", m["by_encoding"]) + [""]
    out += _table("SDK template" if generated else "SDK (host's party)", m["by_sdk"]) + [""]
    p = m["pattern"]
    out.append(f"pattern hits (second signal, not scored above): {p['leaky_flows']} in leaky flows, "
               f"{p['clean_flows']} in clean flows (with those a known value at the same place absorbed)")
    out.append(f"pattern-only hits: {p['only_leaky_flows']} in leaky flows ({p['matching_planted']} on planted "
               f"values), {p['only_clean_flows']} in clean flows")
    if generated:
        noise = m["pattern_only_by_noise"]
        out.append("pattern-only hits by what they fell on: " + ", ".join(
            f"{kind} {noise.get(kind, 0)}" for kind in (*NOISE_KINDS, "template_decoy")))
    else:
        out += [f"  {name}: {t} at {loc} ({value})" for name, t, loc, value in m["pattern_only_hits"][:10]]
    out.append("pattern-only hits by type: " + (", ".join(
        f"{t} {n}" for t, n in sorted(m["pattern_only_by_type"].items())) or "none"))
    if m["other_sources"]:
        out.append("hits of other sources (not scored): " + ", ".join(
            f"{src} {n}" for src, n in sorted(m["other_sources"].items())))
    e = m["endpoint"]
    out.append(f"endpoint-field hits (documented fields, not scored above): {e['leaky_flows']} in leaky flows, "
               f"{e['clean_flows']} in clean flows; by kind: " + (", ".join(
                   f"{k} {n}" for k, n in sorted(m["endpoint_by_kind"].items())) or "none"))
    for title, rows in (("missed", m["misses"]), ("false positives", m["false_positives"])):
        if rows:
            out.append(f"{title} (first 10 of {len(rows)}):")
            out += [f"  {r}" for r in rows[:10]]
    return "\n".join(out)


def metrics_json(m: dict) -> dict:
    """The detection figures as JSON-ready data."""
    def conv(d):
        return {k: {"planted": t.planted, "found": t.found, "false_positives": t.false_pos} for k, t in d.items()}
    return {"flows": m["flows"], "bytes": m["bytes"], "seconds": round(m["seconds"], 3),
            "by_type": conv(m["by_type"]), "by_encoding": conv(m["by_encoding"]),
            "by_sdk": conv(m["by_sdk"]), "pattern": m["pattern"],
            "pattern_only_by_noise": m["pattern_only_by_noise"],
            "pattern_only_by_type": m["pattern_only_by_type"],
            "pattern_only_hits": [list(r) for r in m["pattern_only_hits"][:50]],
            "other_sources": m["other_sources"],
            "endpoint": m["endpoint"], "endpoint_by_kind": m["endpoint_by_kind"],
            "misses": m["misses"][:50], "false_positives": m["false_positives"][:50]}


CORPORA = ("generated", "real", "all")
HELP = {
    "corpus": "which corpus to measure: 'generated' (SDK-shaped flows built from a seed, with noise), "
              "'real' (captures of real SDK traffic, hand-labelled, in piiaudit/data/corpus/real) or "
              "'all' (both, one after the other; the default)",
    "flows": "number of flows of the generated corpus (default 2000)",
    "seed": "random seed of the generated corpus: the same seed gives the same corpus",
    "clean_share": "share of generated flows without device values (default 0.5)",
    "json": "print the figures as JSON instead of tables: one object per corpus, "
            "{'generated': ..., 'real': ...} with --corpus all",
}


def load(name: str, args) -> Corpus:
    if name == "generated":
        return generated_corpus(args.flows, args.seed, args.clean_share)
    from piiaudit.detect import realcorpus
    return realcorpus.load()


def main(argv: list[str] | None = None, measures=()) -> int:
    """`measures`: further measures the caller adds, each called with a `Corpus` and
    returning (name, JSON-ready result, report lines)."""
    ap = argparse.ArgumentParser(prog="piiaudit corpus", description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", choices=CORPORA, default="all", help=HELP["corpus"])
    ap.add_argument("--flows", type=int, default=2000, help=HELP["flows"])
    ap.add_argument("--seed", type=int, default=1, help=HELP["seed"])
    ap.add_argument("--clean-share", type=float, default=0.5, help=HELP["clean_share"])
    ap.add_argument("--json", action="store_true", help=HELP["json"])
    args = ap.parse_args(argv)
    if args.flows < 1 or not 0 <= args.clean_share < 1:
        ap.error("--flows must be >= 1 and --clean-share within [0, 1)")
    names = ("generated", "real") if args.corpus == "all" else (args.corpus,)
    results, texts = {}, []
    for name in names:
        c = load(name, args)
        m = evaluate(c.profile, c.samples)
        extra = [measure(c) for measure in measures]
        results[name] = {"corpus": name, "notes": c.notes, **metrics_json(m),
                         **{key: result for key, result, _ in extra}}
        texts.append("\n".join([f"== {name} corpus ==", *c.notes, "", report(m, generated=name == "generated"),
                                 *(line for _, _, lines in extra for line in ["", *lines])]))
    if args.json:
        print(json.dumps(results if len(names) > 1 else results[names[0]], ensure_ascii=False, indent=1))
    else:
        print("\n\n".join(texts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
