"""The demo scenario's four requests (docs/standin-scenario.md) and some hostile ones, sent by
a client through a real mitmdump with the addon: the capture the addon and replay tests read.

The SDK hosts are answered by the LocalResponder inside the proxy (lazy connection
strategy): nothing is resolved or sent beyond loopback. The refused connection goes to a
closed port on 127.0.0.1.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import socket
from dataclasses import dataclass
from pathlib import Path

from tests.support.demo_device import ANDROID_ID, DEMO_HOSTS, IMEI, PROFILE
from tests.support.mitmdump import Mitmdump, addon_args, via_proxy

JSON = {"content-type": "application/json; charset=utf-8"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def demo_traffic() -> dict[str, tuple]:
    """name -> (method, url, body, headers): the scenario's four requests, then hostile ones."""
    umeng = {"header": {"appkey": "5f8e9a7b6c5d4e3f2a1b0c9d", "imei_md5": hashlib.md5(IMEI.encode()).hexdigest(),
                        "os": "Android", "sdk_version": "9.6.1"}, "body": {"events": [{"id": "$AppStart"}]}}
    aid_b64 = base64.b64encode(ANDROID_ID.encode()).decode()
    imei_json = json.dumps({"dev": {"imei": IMEI}, "pad": "x" * 400}).encode()
    return {
        "umeng_md5_json": ("POST", "https://ulogs.umeng.com/unify_logs", json.dumps(umeng).encode(), JSON),
        "jpush_b64_form": ("POST", "https://stats.jpush.cn/v3/report", f"aid={aid_b64}&platform=a&sdk_ver=5.0.0".encode(), FORM),
        "shop_location": ("GET", "https://api.demoshop.example/v1/stores/nearby?lat=39.908823&lng=116.397470", b"", {}),
        "jpush_plain_http": ("GET", f"http://stats.jpush.cn/v3/hb?aid={ANDROID_ID}&t=1700000000000", b"", {}),
        # Hostile bodies: the client must get its answer and the flow must be recorded.
        "truncated_gzip": ("POST", "https://ulogs.umeng.com/unify_logs?case=gzip", gzip.compress(imei_json, mtime=0)[:-25],
                           {**JSON, "content-encoding": "gzip"}),
        "binary": ("POST", "https://stats.jpush.cn/v3/bin", bytes(range(256)) * 8 + IMEI.encode() + b"\x00\xff" * 64,
                   {"content-type": "application/octet-stream"}),
        "invalid_utf8": ("POST", "https://ulogs.umeng.com/unify_logs?case=utf8",
                         b'{"dev":{"imei":"' + IMEI.encode() + b'"},"note":"\xff\xfe\xc3\x28 bad"}', JSON),
    }


def run_traffic(proxy: Mitmdump, traffic: dict[str, tuple]) -> dict[str, int]:
    return {name: via_proxy(proxy.port, proxy.ca_pem, m, url, body, headers)[0]
            for name, (m, url, body, headers) in traffic.items()}


@dataclass(frozen=True)
class Capture:
    """A live capture: its work directory, the session, each request's status and URL, by name."""

    workdir: Path
    session: Path
    statuses: dict[str, int]
    urls: dict[str, str]


def capture(tmp: Path) -> Capture:
    """A live capture of demo_traffic() plus one refused connection, in `tmp`."""
    session = tmp / "live"
    traffic = demo_traffic()
    refused = f"http://127.0.0.1:{closed_port()}/v1/report?aid={ANDROID_ID}"
    traffic["refused"] = ("GET", refused, b"", {})
    with Mitmdump(tmp / "conf", addon_args(session, PROFILE, respond_hosts=DEMO_HOSTS), cwd=tmp) as proxy:
        statuses = run_traffic(proxy, traffic)
    return Capture(tmp, session, statuses, {name: spec[1] for name, spec in traffic.items()})
