"""Detector throughput (MB/s) on realistic SDK bodies, with 10 and with 500 known values.

    .venv/bin/python benchmarks/detector_throughput.py [--seconds 1.5] [--seed 1] [--json]

With --json the last line is one JSON object: `per_flow_us` (a corpus flow through
scan_flow) and, per body kind, stage and path, the MB/s with 10 and 500 known values
(`"json/all/C": {"10": MB/s, "500": MB/s}`).

Bodies are built like the corpus templates (piiaudit/detect/corpus.py) but batched the way
SDKs batch them: a Umeng-style JSON envelope with many sessions (~32 KB), an
Adjust-style form (~1 KB) and a Firebase-style protobuf LogRequest with many events
(~16 KB). One body in ten carries a device value, so locating and decoding are part of
what is measured. Each body kind is scanned with both profiles in the same run,
alternating, and the table shows MB/s per profile and the ratio between them.
Single-threaded, timed in process CPU time: this is the cost on one core of the proxy.
With the C scans built (setup.py), each cell is also measured on the numpy path, which a
machine without a C compiler runs, and the speed-up is printed beneath.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from piiaudit import progress  # noqa: E402
from piiaudit.profile import DeviceProfile  # noqa: E402

from piiaudit.detect import Detector  # noqa: E402
from piiaudit.detect import index as detect_index  # noqa: E402
from piiaudit.detect.corpus import Builder, generate, make_profile, pb  # noqa: E402


def big_profile(base: DeviceProfile, n: int, rnd: random.Random) -> DeviceProfile:
    """The base device plus values of other kinds until n values: what a long session observes."""
    p = DeviceProfile(device=dict(base.device), values={t: list(v) for t, v in base.values.items()},
                      locations=list(base.locations))
    kinds = ["android_id", "oaid", "mac", "imei", "phone_number", "clipboard", "contacts", "ssid"]
    i = 0
    while sum(len(v) for v in p.values.values()) < n:
        t = kinds[i % len(kinds)]
        i += 1
        if t == "android_id":
            v = f"{rnd.getrandbits(64):016x}"
        elif t == "oaid":
            v = str(uuid.UUID(int=rnd.getrandbits(128)))
        elif t == "mac":
            v = ":".join(f"{rnd.randrange(256):02x}" for _ in range(6))
        elif t == "imei":
            v = "35" + "".join(rnd.choice("0123456789") for _ in range(13))
        elif t == "phone_number":
            v = "13" + "".join(rnd.choice("0123456789") for _ in range(9))
        elif t == "clipboard":
            v = f"clipboard text {rnd.getrandbits(40):010x}"
        elif t == "contacts":
            v = f"联系人{rnd.randrange(10**6)}"
        else:
            v = f"wifi-{rnd.getrandbits(24):06x}"
        p.values.setdefault(t, []).append(v)
    return p


def small_profile(base: DeviceProfile, n: int) -> DeviceProfile:
    p = DeviceProfile(device=dict(base.device), locations=list(base.locations))
    for t, vs in base.values.items():
        if sum(len(v) for v in p.values.values()) < n:
            p.values[t] = list(vs)
    return p


def json_body(b: Builder, target: int) -> bytes:
    r = b.rnd
    sessions = []
    header = {"appkey": b.hex(24), "channel": "huawei", "package_name": "com.example.demoshop",
              "app_version": "3.2.1", "sdk_version": "9.6.3", "os": "Android", "os_version": "14",
              "device_model": "Pixel 7", "resolution": "1080*2400", "carrier": "中国移动", "access": "wifi",
              "device_id": b.slot("android_id", b.hex(16)), "idmd5": b.slot("imei", b.hex(32), allow={"md5"}),
              "timezone": 8, "language": "zh"}
    body = {"header": header, "content": {"analytics": {"sessions": sessions}}}
    size = 0
    while size < target:
        s = {"id": b.hex(32), "start_time": b.ts_ms(), "end_time": b.ts_ms(), "duration": r.randrange(10**6),
             "pages": [{"page_name": f"com.example.demoshop.{p}Activity", "duration": r.randrange(10**4)}
                       for p in r.sample(["Main", "Cart", "Search", "Detail", "Order", "Profile"], 3)],
             "events": [{"id": r.choice(["click_buy", "view_item", "search"]), "ts": b.ts_ms(),
                         "du": r.randrange(1000), "label": r.choice(["首页", "购物车", "搜索结果"]),
                         "request_id": b.other_uuid()} for _ in range(3)]}
        sessions.append(s)
        size += len(json.dumps(s, ensure_ascii=False).encode())
    return json.dumps(body, ensure_ascii=False).encode()


def form_body(b: Builder) -> bytes:
    r = b.rnd
    form = [("app_token", b.hex(12)), ("gps_adid", b.form_slot("advertising_id", b.other_uuid())),
            ("android_uuid", b.other_uuid()), ("created_at", "2024-01-05T10:10:10.123Z+0800"),
            ("device_type", "phone"), ("device_name", "Pixel 7"), ("device_manufacturer", "Google"),
            ("os_name", "android"), ("os_version", "14"), ("os_build", "UQ1A.240105.004"),
            ("language", "zh"), ("country", "CN"), ("display_width", "1080"), ("display_height", "2400"),
            ("session_count", str(r.randrange(1, 99))), ("subsession_count", str(r.randrange(1, 99))),
            ("session_length", str(r.randrange(10**4))), ("time_spent", str(r.randrange(10**4))),
            ("environment", "production"), ("sent_at", "2024-01-05T10:10:11.456Z+0800"),
            ("package_name", "com.example.demoshop"), ("app_version", "3.2.1"),
            ("installed_at", "2024-01-01T08:00:00.000Z+0800"), ("connectivity_type", "1"),
            ("callback_params", json.dumps({"channel": "huawei", "ab": b.hex(8)})),
            ("android_id", b.form_slot("android_id", b.hex(16)))]
    return urlencode(form).encode()


def protobuf_body(b: Builder, target: int) -> bytes:
    r = b.rnd
    client = [(1, 4), (2, [(1, 34), (2, "Pixel 7"), (3, "panther"), (4, "panther"), (5, "panther"),
                           (6, "UQ1A.240105.004"), (7, "Google"),
                           (8, "google/panther/panther:14/UQ1A.240105.004/11206848:user/release-keys"),
                           (9, "zh"), (10, "CN"), (11, "46000"), (12, "321")])]
    events = []
    size = 0
    first = True
    while size < target:
        ext = [(1, b.ts_ms()), (2, b.hex(32)), (4, "screen_view"),
               (5, [(1, "firebase_screen_class"), (2, r.choice(["MainActivity", "CartActivity"]))]),
               (6, [(1, "engagement_time_msec"), (3, r.randrange(10**5))]), (9, r.randrange(10**9))]
        if first:
            ext.append((3, b.slot("advertising_id", b.other_uuid(), allow={"plain"})))
            first = False
        ev = [(1, b.ts_ms()), (6, pb(ext)), (11, r.randrange(10**6))]
        events.append((3, ev))
        size += len(pb(ext)) + 16
    return pb([(1, client), (2, 1249), *events, (4, b.ts_ms()), (8, r.randrange(10**6))])


def bodies(kind: str, profile: DeviceProfile, rnd: random.Random, n: int) -> list[tuple[bytes, str]]:
    out = []
    for i in range(n):
        b = Builder(rnd, profile)
        b.planting = i % 10 == 0
        if kind == "json":
            out.append((json_body(b, 32 * 1024), "application/json"))
        elif kind == "form":
            out.append((form_body(b), "application/x-www-form-urlencoded"))
        else:
            out.append((protobuf_body(b, 16 * 1024), "application/x-protobuf"))
    return out


def measure(det: Detector, items: list[tuple[bytes, str]], seconds: float, stage: str = "all") -> tuple[float, int]:
    """MB/s over repeated passes of items; also the hits of one pass (to show work was done).

    stage "all" is the whole detector (scan_bytes); "known" the known-value search alone
    (prefilter + automaton over the raw bytes, no decoding, patterns or locations)."""
    if stage == "known":
        scan = lambda body, ct: det.find_known(body)  # noqa: E731
    else:
        scan = lambda body, ct: det.scan_bytes(body, "body", content_type=ct)  # noqa: E731
    hits = sum(len(scan(body, ct)) for body, ct in items)  # warm-up
    total = 0
    gc.disable()
    # CPU time of this process: other work on the machine does not count against us
    t0 = time.process_time()
    elapsed = 0.0
    while elapsed < seconds:
        for body, ct in items:
            scan(body, ct)
            total += len(body)
        elapsed = time.process_time() - t0
    gc.enable()
    return total / elapsed / 1e6, hits


def per_flow(seconds: float, seed: int, n_flows: int = 400) -> tuple[str, float]:
    """Whole flows (path, query, headers, bodies, WebSocket messages) of the corpus mix,
    through scan_flow: what the proxy pays per flow, fixed costs included."""
    profile, samples = generate(n_flows, seed)
    det = Detector(profile)
    det.index_size
    flows = [s.flow for s in samples]
    for f in flows:          # warm-up
        det.scan_flow(f)
    n = 0
    gc.disable()
    t0 = time.process_time()
    elapsed = 0.0
    while elapsed < seconds:
        for f in flows:
            det.scan_flow(f)
        n += len(flows)
        elapsed = time.process_time() - t0
    gc.enable()
    us = elapsed / n * 1e6
    return (f"corpus flows (scan_flow, {len(flows)} flows of the generator's mix, {det.known_count} known values): "
            f"{us:.0f} us/flow"), us


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=1.5, help="measuring time per cell (default 1.5)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    args = ap.parse_args(argv)
    figures: dict[str, object] = {}
    rnd = random.Random(args.seed)
    device = make_profile(rnd)
    profiles = {10: small_profile(device, 10), 500: big_profile(device, 500, random.Random(args.seed + 1))}
    native = detect_index.NATIVE
    paths = {"C": native, "numpy": None} if native is not None else {"numpy": None}
    if native is None:
        print("the C scans are not built (make setup): numpy path only\n")
    cells = 3 * 2 * len(paths) + 1        # body kinds x stages x paths, then the per-flow figure
    done = iter(range(cells))
    with progress.display("detector_throughput", "cells") as shown, shown.around_prints():
        detectors = {}
        for path, module in paths.items():
            detect_index.NATIVE = module          # the indexes pick their path when built
            for n, p in profiles.items():
                det = Detector(p)
                t0 = time.perf_counter()
                size = det.index_size
                detectors[path, n] = det
                if path == next(iter(paths)):
                    print(f"{n:>4} known values: {det.known_count} (incl. location fixes), {size} variants, "
                          f"index built in {(time.perf_counter() - t0) * 1000:.0f} ms")
        print()
        print(f"{'body':<10} {'avg size':>9} {'stage':<6} {'path':<6} {'10 values':>11} {'500 values':>11} "
              f"{'500/10':>7} {'us/body (500)':>14}")
        for kind, count in (("json", 12), ("form", 200), ("protobuf", 16)):
            items = bodies(kind, device, random.Random(args.seed + 7), count)
            avg = sum(len(b) for b, _ in items) / len(items)
            for stage in ("all", "known"):
                res = {}
                for path, module in paths.items():
                    detect_index.NATIVE = module      # the scans pick their path per text
                    shown(next(done, cells), cells, f"{kind} {stage} {path}")
                    res[path] = {n: measure(detectors[path, n], items, args.seconds, stage) for n in (10, 500)}
                    r = res[path]
                    figures[f"{kind}/{stage}/{path}"] = {str(n): round(r[n][0], 2) for n in (10, 500)}
                    print(f"{kind:<10} {avg / 1024:>6.1f} KB {stage:<6} {path:<6} {r[10][0]:>6.1f} MB/s "
                          f"{r[500][0]:>6.1f} MB/s {r[500][0] / r[10][0]:>7.2f} {avg / r[500][0]:>14.0f}")
                if len(res) == 2:
                    print(f"{'':<10} {'':>9} {stage:<6} {'C/numpy':<7} {res['C'][10][0] / res['numpy'][10][0]:>9.2f}x "
                          f"{res['C'][500][0] / res['numpy'][500][0]:>10.2f}x")
        detect_index.NATIVE = native
        print("\nstage all: the whole detector (decoding, patterns, locations, dedupe); "
              "known: the known-value search alone")
        print()
        shown(next(done, cells), cells, "per flow")
        line, us = per_flow(args.seconds, args.seed)
        print(line)
    if args.json:
        figures["per_flow_us"] = round(us, 1)
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
