"""What the piiaudit addon costs mitmproxy, measured side by side in one run.

1. Replay: N SDK-style flows (~2.3 KB JSON bodies; some form-encoded, some gzip, some
   carrying the demo device's identifiers) through `mitmdump -nr FILE` bare and with
   `-s addon/piiaudit_addon.py`; the CPU time (user + system) of the whole process tree,
   mitmdump and its detection process together (target <= 1.25x bare mitmdump), and the
   wall time ratio.
2. Live: a threaded HTTP server on 127.0.0.1 in a process of its own, a Python load
   generator (keep-alive connections through the proxy); requests/s with 4 clients, and
   latency p50/p99 of one client sending 2,000 requests one at a time, direct, through
   bare mitmdump, and through mitmdump with the addon; each figure the best of the rounds.
3. With --instructions N: the instructions mitmdump's own process executes per replayed
   flow, bare and with the addon, counted by valgrind (callgrind). Wall times on a shared
   machine drift by tens of percent between runs; instruction counts do not.

    .venv/bin/python benchmarks/proxy_cost.py                 # 10,000 flows, 4 x 500 + 1 x 2000 requests
    .venv/bin/python benchmarks/proxy_cost.py --flows 20000 --clients 8 --requests 1000
    .venv/bin/python benchmarks/proxy_cost.py --skip-live --flows 3000 --instructions 500
    .venv/bin/python benchmarks/proxy_cost.py --json          # figures as JSON, last line

With --json the last line is one JSON object: replay_cpu_ratio (mitmdump and its detection
process against bare mitmdump), replay_wall_ratio, live_p50_added_ms, live_p99_added_ms.

Nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client as httpclient
import http.server as httpserver
import json
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mitmproxy import connection, io  # noqa: E402
from mitmproxy.io import tnetstring  # noqa: E402
from mitmproxy import http as mhttp  # noqa: E402

from tests.support.mitmdump import Mitmdump, addon_args, mitmdump_exe  # noqa: E402
from piiaudit import profile as profiles  # noqa: E402
from piiaudit import progress  # noqa: E402
from piiaudit.store import SessionStore  # noqa: E402

DEMO_PROFILE = ROOT / "piiaudit" / "data" / "demo" / "device.yaml"

ENDPOINTS = [
    ("POST", "https", "ulogs.umeng.com", "/unify_logs"),
    ("POST", "https", "stats.jpush.cn", "/v3/report"),
    ("POST", "https", "sdk.open.talkingdata.com", "/g/d"),
    ("POST", "https", "c.igexin.com", "/api.php"),
    ("POST", "https", "android.bugly.qq.com", "/rqd/async"),
    ("POST", "https", "hmma.baidu.com", "/app.gif"),
    ("POST", "https", "sdk.sensorsdata.cn", "/sa"),
    ("GET", "https", "api.demoshop.example", "/v1/stores/nearby"),
]
MODELS = ["Pixel 7", "MI 11", "HUAWEI P40", "OPPO Reno8", "vivo X90", "SM-G9910"]


# -- synthetic traffic ------------------------------------------------------------------
def sdk_payload(rng: random.Random, values: dict[str, str], carry: bool) -> dict:
    """An analytics SDK report of about 2.3 KB: a header, then a batch of events."""
    header = {
        "appkey": "5f%022x" % rng.getrandbits(88),
        "channel": rng.choice(["huawei", "xiaomi", "oppo", "vivo", "tencent"]),
        "sdk_version": f"9.{rng.randint(0, 9)}.{rng.randint(0, 20)}",
        "os": "Android", "os_version": str(rng.randint(9, 14)),
        "device_model": rng.choice(MODELS), "resolution": rng.choice(["1080*2400", "1440*3200", "720*1600"]),
        "carrier": rng.choice(["中国移动", "中国联通", "中国电信"]), "access": rng.choice(["wifi", "4G", "5G"]),
        "session_id": "%032x" % rng.getrandbits(128), "ts": 1_700_000_000_000 + rng.randint(0, 10**9),
    }
    if carry:  # the identifiers SDKs actually send, in the shapes they send them
        pick = rng.choice(["imei_md5", "android_id", "oaid", "aid_b64", "mac"])
        if pick == "imei_md5":
            header["imei_md5"] = hashlib.md5(values["imei"].encode()).hexdigest()
        elif pick == "android_id":
            header["android_id"] = values["android_id"]
        elif pick == "oaid":
            header["oaid"] = values["oaid"]
        elif pick == "aid_b64":
            header["aid"] = base64.b64encode(values["android_id"].encode()).decode()
        else:
            header["mac"] = values["mac"]
    events: list[dict] = []
    size = len(json.dumps({"header": header, "events": []}, ensure_ascii=False))
    while size < 2300:
        events.append({
            "id": rng.choice(["$AppStart", "page_view", "click", "$AppEnd", "push_arrived"]),
            "ts": header["ts"] + rng.randint(0, 60000),
            "du": rng.randint(0, 30000),
            "page": rng.choice(["MainActivity", "DetailActivity", "CartFragment", "SearchActivity"]),
            "props": {"item": "%08x" % rng.getrandbits(32), "pos": rng.randint(0, 40), "ab": rng.choice("ABC")},
        })
        size += len(json.dumps(events[-1], ensure_ascii=False)) + 2
    return {"header": header, "events": events}


def make_flow(rng: random.Random, i: int, values: dict[str, str], t0: float) -> mhttp.HTTPFlow:
    method, scheme, host, path = ENDPOINTS[i % len(ENDPOINTS)]
    carry = rng.random() < 0.3
    payload = sdk_payload(rng, values, carry)
    headers = {"user-agent": "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7)", "accept-encoding": "gzip"}
    content = b""
    shape = rng.random()
    if method == "GET":
        query = {"lat": "39.908823", "lng": "116.397470"} if carry else {"city": "110000", "page": str(i % 9)}
        path = path + "?" + urllib.parse.urlencode(query)
    elif shape < 0.2:  # form: flattened header fields, events as a JSON string field
        form = {k: str(v) for k, v in payload["header"].items()} | {"events": json.dumps(payload["events"])}
        content = urllib.parse.urlencode(form).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    elif shape < 0.4:  # gzip JSON, as many SDKs compress their batches: Request.make below
        # compresses the body itself, by its Content-Encoding (compressing it here too sent
        # gzip inside gzip, a shape few SDKs send, which costs the detector a layer more)
        content = json.dumps(payload, ensure_ascii=False).encode()
        headers["content-type"] = "application/json; charset=utf-8"
        headers["content-encoding"] = "gzip"
    else:
        content = json.dumps(payload, ensure_ascii=False).encode()
        headers["content-type"] = "application/json; charset=utf-8"
    ts = t0 + i * 0.05
    client = connection.Client(peername=("127.0.0.1", 40000 + i % 20000), sockname=("127.0.0.1", 8080), timestamp_start=ts)
    server = connection.Server(address=(host, 443 if scheme == "https" else 80))
    f = mhttp.HTTPFlow(client, server)
    f.request = mhttp.Request.make(method, f"{scheme}://{host}{path}", content, headers)
    f.request.timestamp_start, f.request.timestamp_end = ts, ts + 0.002
    body = json.dumps({"code": 0, "msg": "ok", "data": {"interval": 60, "cfg": "%016x" % rng.getrandbits(64)}}).encode()
    f.response = mhttp.Response.make(200, body, {"content-type": "application/json"})
    f.response.timestamp_start, f.response.timestamp_end = ts + 0.02, ts + 0.021
    return f


def generate_flows(path: Path, n: int, *, seed: int = 1, profile: Path = DEMO_PROFILE, distinct: int | None = None) -> Path:
    """Write `n` flows. With `distinct`, only that many are built; the rest are byte copies
    of them under fresh flow ids (fast for very long files; ids must stay unique)."""
    prof = profiles.load(profile)
    values = {t: vs[0] for t, vs in prof.values.items()}
    rng = random.Random(seed)
    t0 = time.time() - n * 0.05
    distinct = min(n, distinct or n)
    templates: list[tuple[bytes, bytes]] = []
    with open(path, "wb") as fo:
        writer = io.FlowWriter(fo)
        for i in range(distinct):
            f = make_flow(rng, i, values, t0)
            if distinct < n:
                templates.append((tnetstring.dumps(f.get_state()), f.id.encode()))
            writer.add(f)
        for i in range(distinct, n):
            data, old_id = templates[i % distinct]
            fo.write(data.replace(old_id, str(uuid.UUID(int=rng.getrandbits(128), version=4)).encode(), 1))
    return path


# -- replay -----------------------------------------------------------------------------
def _cpu(pid: int) -> float:
    """utime + stime of a live process, seconds (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return out


def time_replay(flows: Path, workdir: Path, *, with_addon: bool, label: str, inline: bool = False) -> dict:
    """Wall seconds; CPU seconds of the whole process tree (`cpu`: mitmdump and the detection
    process it starts and waits for, from getrusage(RUSAGE_CHILDREN)), of which the detection
    process (`cpu_worker`, its last /proc reading) and the rest (`cpu_main`)."""
    session = workdir / f"session-{label}"
    argv = [mitmdump_exe(), "-n", "-r", str(flows), "--set", f"confdir={workdir / 'conf'}"]
    if with_addon:
        argv += addon_args(session, DEMO_PROFILE)
    if inline:
        argv += ["--set", "piiaudit_detect_process=false"]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker_cpu: dict[int, float] = {}
    while proc.poll() is None:
        for child in _children(proc.pid):
            worker_cpu[child] = max(worker_cpu.get(child, 0.0), _cpu(child))
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"mitmdump failed ({proc.returncode}): {' '.join(argv)}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # cumulative over every finished child
    total = usage.ru_utime + usage.ru_stime - _cpu_before[0]
    _cpu_before[0] = usage.ru_utime + usage.ru_stime
    worker = sum(worker_cpu.values())
    out = {"seconds": seconds, "cpu": total, "cpu_main": max(0.0, total - worker), "cpu_worker": worker}
    if with_addon:
        store = SessionStore(session, create=False)
        out["flows"], out["hits"], out["errors"] = store.count("flows"), store.count("pii_hits"), store.count("errors")
        store.close()
    return out


_cpu_before = [0.0]


def detection_cost(flows: Path, sample: int = 2000) -> float:
    """ms per flow of Detector.scan_flow alone, in this process, on the first `sample` flows."""
    from piiaudit.detect import Detector, ScanLimits

    det = Detector(profiles.load(DEMO_PROFILE), limits=ScanLimits())
    with open(flows, "rb") as fo:
        batch = [f for _, f in zip(range(sample), io.FlowReader(fo).stream())]
    started = time.perf_counter()
    for f in batch:
        det.scan_flow(f)
    return (time.perf_counter() - started) / len(batch) * 1000


def instruction_ratio(work: Path, n: int) -> None:
    """Instructions of mitmdump's own process (callgrind does not follow the detection
    process it starts), per replayed flow: startup is measured with one flow and taken off."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("\ninstructions: valgrind not installed (Debian package valgrind); skipped")
        return
    counts: dict[tuple[str, int], int] = {}
    for size in (1, n):
        flows = work / f"callgrind-{size}.mitm"
        generate_flows(flows, size)
        for label, with_addon in (("bare", False), ("addon", True)):
            argv = [valgrind, "--tool=callgrind", f"--callgrind-out-file={work / 'callgrind.out'}",
                    sys.executable, mitmdump_exe(), "-n", "-r", str(flows), "--set", f"confdir={work / 'conf'}"]
            if with_addon:
                argv += addon_args(work / f"session-cg-{label}-{size}", DEMO_PROFILE)
            out = subprocess.run(argv, capture_output=True, text=True)
            refs = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
            if out.returncode != 0 or refs is None:
                print(f"\ninstructions: callgrind run failed ({out.returncode}); skipped")
                return
            counts[label, size] = int(refs.group(1).replace(",", ""))
    bare = (counts["bare", n] - counts["bare", 1]) / (n - 1)
    addon = (counts["addon", n] - counts["addon", 1]) / (n - 1)
    print(f"\ninstructions in mitmdump's own process, per replayed flow ({n} flows, callgrind, startup taken off)")
    print(f"  mitmdump          {bare / 1e6:8.2f} M")
    print(f"  mitmdump + addon  {addon / 1e6:8.2f} M   {addon / bare:.3f}x  (detection runs in its own process)")


# -- live -------------------------------------------------------------------------------
class _Handler(httpserver.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = json.dumps({"code": 0, "msg": "ok"}).encode()

    def setup(self) -> None:
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK stalls

    def _answer(self) -> None:
        n = int(self.headers.get("content-length") or 0)
        if n:
            self.rfile.read(n)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


def local_server() -> httpserver.ThreadingHTTPServer:
    server = httpserver.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve_forever() -> None:
    """The local server in a process of its own (`--serve`): its threads then do not share
    the load generator's interpreter, whose lock would add their turns to the latencies."""
    server = local_server()
    print(server.server_address[1], flush=True)
    sys.stdin.read()   # until the benchmark closes the pipe
    server.shutdown()


class ServerProcess:
    def __enter__(self) -> int:
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        return int(self.proc.stdout.readline())

    def __exit__(self, *exc) -> None:
        self.proc.stdin.close()
        self.proc.wait(10)


class _Connection(httpclient.HTTPConnection):
    """Keep-alive client connection with Nagle off (headers and body go out as separate writes)."""

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def load(target_port: int, proxy_port: int | None, clients: int, requests: int, bodies: list[bytes]) -> dict:
    """`clients` threads, each `requests` keep-alive POSTs; latency of every request."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def client(k: int) -> None:
        host, port = ("127.0.0.1", proxy_port) if proxy_port else ("127.0.0.1", target_port)
        conn = _Connection(host, port, timeout=30)
        url = f"http://127.0.0.1:{target_port}/collect" if proxy_port else "/collect"
        mine = []
        for i in range(requests):
            body = bodies[(k * requests + i) % len(bodies)]
            t = time.perf_counter()
            try:
                conn.request("POST", url, body, {"content-type": "application/json"})
                conn.getresponse().read()
            except (OSError, httpclient.HTTPException):
                failures[0] += 1
                conn.close()
                conn = _Connection(host, port, timeout=30)
                continue
            mine.append(time.perf_counter() - t)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0.0] * 99
    return {"rps": len(latencies) / seconds, "p50": q[49] * 1000, "p99": q[98] * 1000, "failed": failures[0], "n": len(latencies)}


def live(workdir: Path, clients: int, requests: int, sequential: int, rounds: int,
         step=lambda k, what: None) -> dict[str, dict]:
    """Throughput with `clients` concurrent clients; latency with one client, one request at
    a time (no queueing in the numbers), `sequential` requests. Variants alternate `rounds`
    times; each figure is the best of the rounds (other load only ever slows a round down)."""
    prof = profiles.load(DEMO_PROFILE)
    values = {t: vs[0] for t, vs in prof.values.items()}
    rng = random.Random(7)
    bodies = [json.dumps(sdk_payload(rng, values, rng.random() < 0.3), ensure_ascii=False).encode() for _ in range(200)]
    variants = {"direct": None, "mitmdump": [], "mitmdump + addon": addon_args(workdir / "session-live", DEMO_PROFILE)}
    results: dict[str, dict] = {}
    with ServerProcess() as port:
        for r in range(rounds):
            for v, (name, extra) in enumerate(variants.items()):
                step(r * len(variants) + v, f"live {r + 1}/{rounds}: {name}")
                if extra is None:
                    got = {"load": load(port, None, clients, requests, bodies),
                           "seq": load(port, None, 1, sequential, bodies)}
                else:
                    with Mitmdump(workdir / "conf", extra) as proxy:
                        load(port, proxy.port, 2, 50, bodies)  # warm-up: imports, first connections
                        got = {"load": load(port, proxy.port, clients, requests, bodies),
                               "seq": load(port, proxy.port, 1, sequential, bodies)}
                best = results.setdefault(name, {"load": got["load"], "seq": dict(got["seq"])})
                if got["load"]["rps"] > best["load"]["rps"]:
                    best["load"] = got["load"]
                for q in ("p50", "p99"):
                    best["seq"][q] = min(best["seq"][q], got["seq"][q])
                best["seq"]["failed"] = max(best["seq"]["failed"], got["seq"]["failed"])
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flows", type=int, default=10_000, help="flows in the replay file (default 10000)")
    ap.add_argument("--clients", type=int, default=4, help="concurrent live clients (default 4)")
    ap.add_argument("--requests", type=int, default=500, help="requests per live client (default 500)")
    ap.add_argument("--latency-requests", type=int, default=2000,
                    help="requests of the one-client latency run (default 2000: its p99 is the 20th slowest)")
    ap.add_argument("--repeat", type=int, default=2, help="replay runs of each kind, best one counts (default 2)")
    ap.add_argument("--skip-live", action="store_true", help="only the replay comparison")
    ap.add_argument("--inline", action="store_true",
                    help="also replay with detection in mitmdump's own thread (piiaudit_detect_process=false)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    ap.add_argument("--instructions", type=int, default=0, metavar="N",
                    help="also count the instructions mitmdump's own process executes replaying N flows, bare "
                         "and with the addon, under valgrind's callgrind (slow: about 2 minutes per 500 flows; "
                         "immune to the machine's speed, unlike wall time)")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        serve_forever()
        return 0

    figures: dict[str, float] = {}
    kinds = 3 if args.inline else 2
    steps = 2 + args.repeat * kinds + (1 if args.instructions else 0) + (0 if args.skip_live else args.repeat * 3)
    with progress.display("proxy_cost", "steps") as shown, shown.around_prints():
        shown(0, steps, "generating flows")
        with tempfile.TemporaryDirectory(prefix="piiaudit-bench-") as tmp:
            work = Path(tmp)
            flows = work / "sdk-flows.mitm"
            t = time.perf_counter()
            generate_flows(flows, args.flows)
            print(f"generated {args.flows} flows ({flows.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")

            # Interleaved runs, best of each: other load on the machine only ever slows a run down.
            bare_runs, addon_runs, inline_runs = [], [], []
            for i in range(args.repeat):
                shown(1 + i * kinds, None, f"replay {i + 1}/{args.repeat}: bare mitmdump")
                bare_runs.append(time_replay(flows, work, with_addon=False, label=f"bare{i}"))
                shown(2 + i * kinds, None, f"replay {i + 1}/{args.repeat}: mitmdump + addon")
                addon_runs.append(time_replay(flows, work, with_addon=True, label=f"addon{i}"))
                if args.inline:
                    shown(3 + i * kinds, None, f"replay {i + 1}/{args.repeat}: detection inline")
                    inline_runs.append(time_replay(flows, work, with_addon=True, label=f"inline{i}", inline=True))
            rows = [("mitmdump", bare_runs), ("mitmdump + addon", addon_runs)]
            if args.inline:
                rows.append(("  detection inline", inline_runs))
            best = {name: (min(r["seconds"] for r in runs), min(runs, key=lambda r: r["cpu"])) for name, runs in rows}
            bare_s, bare = best["mitmdump"]
            addon_s, addon = best["mitmdump + addon"]
            figures["replay_cpu_ratio"] = round(addon["cpu"] / bare["cpu"], 3)
            figures["replay_wall_ratio"] = round(addon_s / bare_s, 3)
            print()
            print(f"replay of {args.flows} flows (mitmdump -nr, best of {args.repeat}: least wall time, least CPU)")
            print(f"  {'':22} {'wall s':>7} {'flows/s':>8} {'ratio':>7}   {'CPU s':>6} {'ratio':>6}   {'proxy':>6} {'detector':>8}")
            for name, _ in rows:
                secs, r = best[name]
                print(f"  {name:22} {secs:7.2f} {args.flows / secs:8.0f} {secs / bare_s:6.3f}x   {r['cpu']:6.2f} {r['cpu'] / bare['cpu']:5.3f}x"
                      f"   {r['cpu_main']:6.2f} {r['cpu_worker']:8.2f}")
            print("  (CPU: user + system of mitmdump and its detection process together; addon: detection in a"
                  " child process, the default; inline: piiaudit_detect_process=false)")
            print(f"  target: CPU <= 1.25x | addon cost {(addon['cpu'] - bare['cpu']) / args.flows * 1000:.3f} ms CPU per flow | "
                  f"recorded {addon['flows']} flows, {addon['hits']} hits, {addon['errors']} errors")
            if args.inline:
                inline = best["  detection inline"][1]
                if (inline["flows"], inline["hits"]) != (addon["flows"], addon["hits"]):
                    print(f"  WARNING: inline detection recorded {inline['flows']} flows, {inline['hits']} hits")
            shown(1 + args.repeat * kinds, None, "Detector.scan_flow alone")
            print(f"  of which detection (Detector.scan_flow alone, in-process): {detection_cost(flows):.3f} ms/flow")
            if addon["flows"] != args.flows:
                print(f"  WARNING: {args.flows - addon['flows']} flows missing from session.db")

            if args.instructions:
                shown(2 + args.repeat * kinds, None, "instructions (callgrind)")
                instruction_ratio(work, args.instructions)

            if not args.skip_live:
                first = 2 + args.repeat * kinds + (1 if args.instructions else 0)
                res = live(work, args.clients, args.requests, args.latency_requests, args.repeat,
                           lambda k, what: shown(first + k, None, what))
                print()
                print(f"live, keep-alive POSTs (~2.3 KB JSON) to a local server (a process of its own); "
                      f"each figure the best of {args.repeat} rounds")
                print(f"  {'':24} {'req/s':>8} {'failed':>7}   {'p50 ms':>7} {'p99 ms':>7}")
                print(f"  {'':24} {f'{args.clients} clients x {args.requests}':>16}   {f'1 client x {args.latency_requests}':>15}")
                for name, r in res.items():
                    ld, sq = r["load"], r["seq"]
                    print(f"  {name:24} {ld['rps']:8.0f} {ld['failed'] + sq['failed']:7d}   {sq['p50']:7.2f} {sq['p99']:7.2f}")
                base, a = res["mitmdump"], res["mitmdump + addon"]
                print(f"  addon: throughput {a['load']['rps'] / base['load']['rps']:.3f}x of bare mitmdump, added latency "
                      f"p50 {a['seq']['p50'] - base['seq']['p50']:+.2f} ms, p99 {a['seq']['p99'] - base['seq']['p99']:+.2f} ms"
                      f" (target p99 < 2 ms)")
                figures["live_p50_added_ms"] = round(a["seq"]["p50"] - base["seq"]["p50"], 3)
                figures["live_p99_added_ms"] = round(a["seq"]["p99"] - base["seq"]["p99"], 3)
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
