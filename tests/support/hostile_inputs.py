"""Hostile captures, profiles and session files, built in memory and written where a case asks.

The generator of the hostile-input suite (tests/support/hostile_cases.py,
benchmarks/hostile.py): every function returns bytes, real mitmproxy flows, or writes a
file; nothing here runs piiaudit. The flows are mitmproxy's own objects written with its
own FlowWriter, so a `piiaudit replay` reads them exactly as it reads a capture; the HAR
files follow HAR 1.2; the bombs are shaped after what a hostile app or a damaged disk can
hand the tool:

- invalid UTF-8 in a path, a query key and a header value (each flow carries the IMEI);
- values that are spreadsheet formulas or HTML;
- bodies that expand a thousandfold or more (gzip, deflate, brotli, zstd), JSON nested
  100,000 deep, a 50 MB body, a million query parameters, a WebSocket conversation;
- tnetstring (the .mitm format) nested deep, announcing a huge length, a million fields
  wide, and a valid record that is not a flow;
- HAR nested 200,000 deep, a HAR cut short with a broken entry, a .zhar that inflates
  a thousandfold;
- profiles that are not UTF-8, of the wrong type, with a misspelled key, and a billion
  laughs;
- the masking variants of the demo device's values (upper case, %3A, base64, hex, dashes,
  a nearby fix, the IMEI as a subdomain);
- session databases zeroed, with damaged pages, or of a foreign schema.

Hosts are SDK names as strings; nothing built here is ever sent anywhere but loopback.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable
from pathlib import Path

import brotli
import zstandard
from mitmproxy import http, io
from mitmproxy.test import tflow

from tests.support.demo_device import ANDROID_ID, IMEI, MAC
from tests.support.flows import make_flow

JSON = {"content-type": "application/json; charset=utf-8"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
UMENG = "https://ulogs.umeng.com/unify_logs"
JPUSH = "https://stats.jpush.cn/v3/report"
PHONE = "13912340000"                     # the demo device's phone number
FIX = (39.908823, 116.397470)             # the demo device's last fix
T0 = 1_767_225_600.0


# -- flow files ----------------------------------------------------------------------------

def write_flows(path: Path, flows: Iterable) -> int:
    """Write flows with mitmproxy's FlowWriter (the .mitm format); returns how many."""
    n = 0
    with Path(path).open("wb") as fo:
        writer = io.FlowWriter(fo)
        for f in flows:
            writer.add(f)
            n += 1
    return n


def imei_flow(n: int = 0, host_url: str = UMENG, ts: float = T0) -> http.HTTPFlow:
    """An ordinary SDK upload carrying the IMEI in a JSON body: a control flow."""
    body = json.dumps({"header": {"imei": IMEI, "seq": n}}).encode()
    return make_flow(f"{host_url}?n={n}", body, dict(JSON), ts=ts + n * 0.01)


def many_flows(n: int, *, pad: int = 0) -> list[http.HTTPFlow]:
    """n control flows, each with an IMEI hit; `pad` bytes of filler in each body."""
    out = []
    for i in range(n):
        body = json.dumps({"header": {"imei": IMEI, "seq": i}, "pad": "x" * pad}).encode()
        out.append(make_flow(f"{UMENG}?n={i}", body, dict(JSON), ts=T0 + i * 0.01))
    return out


def clean_flow() -> http.HTTPFlow:
    """One flow without any personal information."""
    return make_flow("https://api.demoshop.example/v1/catalog?page=1", b'{"page":1}', dict(JSON), method="POST")


def utf8_flows() -> dict[str, http.HTTPFlow]:
    """name -> flow: a control flow, then invalid UTF-8 (0xff) in the path, a query key, a header."""
    body = json.dumps({"dev": {"imei": IMEI}}).encode()
    control = make_flow(f"{UMENG}?case=control", body, dict(JSON))
    in_path = make_flow(f"{UMENG}?case=path", body, dict(JSON))
    in_path.request.path = "/unify_logs/\udcff\udcfe?case=path"     # surrogateescape: the raw bytes ff fe
    in_key = make_flow(f"{UMENG}?case=key", body, dict(JSON))
    in_key.request.path = "/unify_logs?case=key&k\udcff=1"
    in_header = make_flow(f"{UMENG}?case=header", body, {})
    in_header.request.headers.fields = ((b"content-type", b"application/json\xff"),
                                        (b"content-length", str(len(body)).encode()))
    return {"control": control, "path": in_path, "query key": in_key, "header": in_header}


def utf8_raw_requests(port_host: str = "ulogs.umeng.com") -> dict[str, bytes]:
    """The same four cases as raw HTTP/1.1 proxy requests (plain http), for a live proxy."""
    body = json.dumps({"dev": {"imei": IMEI}}).encode()

    def req(target: bytes, ctype: bytes = b"application/json") -> bytes:
        return (b"POST " + target + b" HTTP/1.1\r\nHost: " + port_host.encode() + b"\r\nContent-Type: " + ctype
                + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)

    base = b"http://" + port_host.encode() + b"/unify_logs"
    return {
        "control": req(base + b"?case=control"),
        "path": req(base + b"/\xff\xfe?case=path"),
        "query key": req(base + b"?case=key&k\xff=1"),
        "header": req(base + b"?case=header", b"application/json\xff"),
    }


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1)", "=1+1"]
SCRIPT = '<script>alert("x")</script>'


def injection_flows() -> list[http.HTTPFlow]:
    """Query values, header values and a JSON body that are formulas or HTML, each beside the IMEI."""
    from urllib.parse import quote

    flows = []
    for i, text in enumerate([*FORMULAS, SCRIPT]):
        url = f"{JPUSH}?imei={IMEI}&note={quote(text)}&{quote(text)}=v"
        body = json.dumps({"imei": IMEI, "title": text, text: "k"}).encode()
        flows.append(make_flow(url, body, {**JSON, "x-note": text.replace("\n", " ")}, ts=T0 + i))
    return flows


def bomb_bodies(expanded_mb: int) -> dict[str, tuple[bytes, str]]:
    """coding -> (body, content-encoding): `expanded_mb` MB of zeros then the IMEI, compressed."""
    size = expanded_mb * 1024 * 1024
    chunk = b"\0" * (1 << 20)
    z = zlib.compressobj(9, zlib.DEFLATED, 31)           # gzip framing
    d = zlib.compressobj(9, zlib.DEFLATED, 15)           # zlib ("deflate" as servers send it)
    gz, df = [], []
    for _ in range(size // len(chunk)):
        gz.append(z.compress(chunk))
        df.append(d.compress(chunk))
    tail = json.dumps({"imei": IMEI}).encode()
    gz += [z.compress(tail), z.flush()]
    df += [d.compress(tail), d.flush()]
    br = brotli.compress(b"\0" * size + tail, quality=5)
    zs = zstandard.ZstdCompressor(level=3).compress(b"\0" * size + tail)
    return {"gzip": (b"".join(gz), "gzip"), "deflate": (b"".join(df), "deflate"),
            "brotli": (br, "br"), "zstd": (zs, "zstd")}


def bomb_flows(expanded_mb: int) -> list[http.HTTPFlow]:
    out = []
    for i, (name, (body, coding)) in enumerate(bomb_bodies(expanded_mb).items()):
        out.append(make_flow(f"{UMENG}?bomb={name}", body, {**JSON, "content-encoding": coding}, ts=T0 + i))
    return out


def deep_json_flow(depth: int) -> http.HTTPFlow:
    body = b'{"imei":"' + IMEI.encode() + b'","x":' + b"[" * depth + b"]" * depth + b"}"
    return make_flow(f"{UMENG}?deep={depth}", body, dict(JSON))


def big_body_flow(mb: int) -> http.HTTPFlow:
    """A `mb` MB JSON body with the IMEI at its very end."""
    filler = b"a" * (mb * 1024 * 1024)
    body = b'{"pad":"' + filler + b'","imei":"' + IMEI.encode() + b'"}'
    return make_flow(f"{UMENG}?big={mb}", body, dict(JSON))


def many_params_flow(n: int) -> http.HTTPFlow:
    """A GET with n query parameters, the Android ID in the last one."""
    query = "&".join(f"p{i}=1" for i in range(n)) + f"&aid={ANDROID_ID}"
    return make_flow(f"http://stats.jpush.cn/v3/hb?{query}", b"", {}, method="GET")


def websocket_flow() -> http.HTTPFlow:
    """A finished WebSocket conversation (101 answer, messages both ways), the IMEI in one message."""
    f = tflow.twebsocketflow()
    f.request.host, f.request.port, f.request.scheme = "stats.jpush.cn", 443, "https"
    f.request.path = "/v3/ws"
    f.websocket.messages[0].content = json.dumps({"imei": IMEI}).encode()
    return f


# -- tnetstring bombs (the .mitm format) ---------------------------------------------------

def _tnet(payload: bytes, kind: bytes) -> bytes:
    return str(len(payload)).encode() + b":" + payload + kind


def tnet_deep(depth: int) -> bytes:
    """A list nested `depth` deep."""
    lengths = [3]                                   # "0:]"
    for _ in range(depth):
        lengths.append(len(str(lengths[-1])) + lengths[-1] + 2)
    heads = [f"{n}:".encode() for n in reversed(lengths[:-1])]
    return b"".join(heads) + b"0:]" + b"]" * depth


def tnet_huge_length() -> bytes:
    """A record announcing 10^12 bytes and holding a few."""
    return b"999999999999:" + b"x" * 64


def tnet_wide(n: int) -> bytes:
    """A dictionary with n fields."""
    val = _tnet(b"1", b"#")
    parts = [_tnet(str(i).encode(), b",") + val for i in range(n)]
    return _tnet(b"".join(parts), b"}")


def tnet_not_a_flow() -> bytes:
    """A valid record that is not a flow: a dictionary with a type mitmproxy does not know."""
    body = _tnet(b"type", b",") + _tnet(b"spaceship", b",") + _tnet(b"version", b",") + _tnet(b"20", b"#")
    return _tnet(body, b"}")


def truncated_flow_file(path: Path, n: int) -> int:
    """n control flows, the file cut in the middle of the last one; returns the complete ones (n - 1)."""
    ends = []
    with Path(path).open("wb") as fo:
        writer = io.FlowWriter(fo)
        for f in many_flows(n):
            writer.add(f)
            ends.append(fo.tell())
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: (ends[-2] + ends[-1]) // 2])
    return n - 1


def flow_file_with(path: Path, tail: bytes, good: int = 2) -> int:
    """`good` complete control flows, then `tail`; returns `good`."""
    write_flows(path, many_flows(good))
    with Path(path).open("ab") as fo:
        fo.write(tail)
    return good


# -- HAR -----------------------------------------------------------------------------------

def har_entry(url: str, body: str = "", method: str = "POST", status: int = 200) -> dict:
    return {
        "startedDateTime": "2026-01-01T00:00:00.000Z", "time": 5,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1",
                    "headers": [{"name": "content-type", "value": "application/json"}], "queryString": [],
                    "cookies": [], "headersSize": -1, "bodySize": len(body),
                    "postData": {"mimeType": "application/json", "text": body}},
        "response": {"status": status, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                     "content": {"size": 2, "mimeType": "application/json", "text": "{}"},
                     "redirectURL": "", "headersSize": -1, "bodySize": 2},
        "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0},
    }


def har(entries: list) -> bytes:
    doc = {"log": {"version": "1.2", "creator": {"name": "hostile", "version": "1"}, "entries": entries}}
    return json.dumps(doc).encode()


def imei_entries(n: int) -> list[dict]:
    return [har_entry(f"{UMENG}?n={i}", json.dumps({"imei": IMEI, "n": i})) for i in range(n)]


def har_deep(depth: int, good: int = 2) -> bytes:
    """`good` valid entries, then one whose request is nested `depth` deep."""
    text = har(imei_entries(good))
    nested = b'{"startedDateTime":"2026-01-01T00:00:00Z","request":' + b"[" * depth + b"]" * depth + b"}"
    return text[: text.rindex(b"]")] + b"," + nested + b"]}}"


def har_broken(good: int = 3) -> bytes:
    """`good` valid entries, one without a URL, then the file cut in the middle of an entry."""
    entries = imei_entries(good)
    bad = har_entry(f"{UMENG}?bad=1")
    del bad["request"]["url"]
    text = har(entries[:1] + [bad] + entries[1:] + [har_entry(f"{UMENG}?cut=1", "x" * 200)])
    return text[: len(text) - 150]


def zhar_bomb(compressed_kb: int) -> bytes:
    """A .zhar (zlib HAR) of about `compressed_kb` KB whose one entry inflates ~1000-fold."""
    size = compressed_kb * 1024 * 1000
    d = zlib.compressobj(9)
    head = har(imei_entries(1))
    head = head[: head.rindex(b"]")] + b',{"startedDateTime":"2026-01-01T00:00:00Z","request":{"method":"POST",' \
        b'"url":"https://ulogs.umeng.com/bomb","postData":{"mimeType":"text/plain","text":"'
    parts = [d.compress(head)]
    chunk = b"A" * (1 << 20)
    for _ in range(size // len(chunk)):
        parts.append(d.compress(chunk))
    parts += [d.compress(b'"}}}]}}'), d.flush()]
    return b"".join(parts)


# -- profiles ------------------------------------------------------------------------------

def profile_not_utf8() -> bytes:
    return ("values:\n  imei: \"" + IMEI + "\"\n  clipboard: \"caf\u00e9\"\n").encode("latin-1")


def profile_device_string() -> bytes:
    return f'device: "a string"\nvalues:\n  imei: "{IMEI}"\n'.encode()


def profile_misspelled() -> bytes:
    return f'device: {{model: test}}\nvalue:\n  imei: "{IMEI}"\n'.encode()


def billion_laughs(levels: int = 9) -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for i in range(levels - 1):
        name = chr(ord("b") + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    lines.append(f"values: {{clipboard: *{prev}}}")
    return ("\n".join(lines) + "\n").encode()


# -- masking (issue 10, item 14) -----------------------------------------------------------

def masking_variants() -> dict[str, tuple[str, str]]:
    """name -> (URL that carries the value in that form, the text that must not be shown)."""
    from urllib.parse import quote

    imei_b64 = base64.b64encode(IMEI.encode()).decode()
    imei_hex = IMEI.encode().hex()
    mac_upper = MAC.upper()
    mac_pct = quote(MAC, safe="")
    aid_upper = ANDROID_ID.upper()
    phone = f"{PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]}"
    lat, lng = f"{FIX[0] + 0.00011:.6f}", f"{FIX[1] + 0.00009:.6f}"
    return {
        "plain IMEI (control)": (f"{JPUSH}?imei={IMEI}", f"imei={IMEI}"),
        "upper-case MAC": (f"{JPUSH}?mac={mac_upper}", mac_upper),
        "MAC with %3A": (f"{JPUSH}?mac={mac_pct}", mac_pct),
        "upper-case Android ID": (f"{JPUSH}?aid={aid_upper}", aid_upper),
        "IMEI in base64": (f"{JPUSH}?d={quote(imei_b64)}", imei_b64.rstrip("=")),
        "IMEI in hex": (f"{JPUSH}?d={imei_hex}", imei_hex),
        "phone with dashes": (f"{JPUSH}?tel={phone}", phone),
        "coordinates near the device": (f"https://api.demoshop.example/v1/nearby?lat={lat}&lng={lng}", f"{lat}"),
        "IMEI as a subdomain": (f"https://{IMEI}.t.stats.jpush.cn/v3/ping", f"{IMEI}.t.stats"),
    }


def masking_flows() -> list[http.HTTPFlow]:
    return [make_flow(url, b"", {}, method="GET", ts=T0 + i) for i, (url, _) in enumerate(masking_variants().values())]


# -- session files -------------------------------------------------------------------------

def zero_file(path: Path) -> None:
    """Overwrite a file with zero bytes of the same length (a disk that lost its blocks)."""
    size = path.stat().st_size
    path.write_bytes(b"\0" * size)


def damage_pages(db: Path, page_size: int = 4096) -> int:
    """Overwrite every other page after the first with garbage; returns the pages damaged."""
    data = bytearray(db.read_bytes())
    pages = len(data) // page_size
    damaged = 0
    for p in range(1, pages, 2):
        data[p * page_size:(p + 1) * page_size] = hashlib.sha256(str(p).encode()).digest() * (page_size // 32)
        damaged += 1
    db.write_bytes(bytes(data))
    return damaged


def foreign_db(path: Path) -> None:
    """A SQLite file of another program (a browser's history, say) named session.db."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT, title TEXT)")
        conn.executemany("INSERT INTO moz_places (url, title) VALUES (?, ?)",
                         [(f"https://example.org/{i}", f"page {i}") for i in range(50)])
        conn.execute("PRAGMA user_version=7")
    conn.close()
