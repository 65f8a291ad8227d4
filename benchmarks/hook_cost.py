"""Per-call cost of a hooked Java getter against the same call unhooked, in one run.

The JVM stand-in's ``com.example.demoshop.HookBench N METHOD`` calls
``TelephonyManager.METHOD()`` N times in a loop and prints ns/call. It runs:

1. unhooked (plain ``java``),
2. under the agent reporting nothing (the hook's own cost),
3. under the agent with the default rate limit (the first 200 calls reported, then 50/s;
   the rest only counted): the cost an app pays in a normal audit,
4. under the agent reporting every call, without stacks,
5. under the agent reporting every call, with a stack per call.

Each hooked run also checks that all N calls reached the hook (the agent's counters, and
for 4 and 5 the rows in the session database): a getter that HotSpot's JIT inlined past
the hook would show up as missed calls.
``--jit-flags`` repeats the unhooked and every-call runs with extra JVM flags (e.g.
``-XX:-Inline``) to price a JIT setting.

Then the crypto hooks: ``CryptoBench`` (tests/java) runs ``Cipher.doFinal`` on 1 KiB,
unhooked and under the agent (the plaintext and ciphertext are copied out, bounded, on
every call; identical payloads are reported once).

    .venv/bin/python benchmarks/hook_cost.py                  # 20,000 calls, getImei
    .venv/bin/python benchmarks/hook_cost.py --calls 50000 --method getDeviceId --crypto-calls 5000
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hooks.runner import DEFAULT_RATE, HooksRunner  # noqa: E402
from hooks.standin import build as standin  # noqa: E402
from hooks.targets import LocalProcess  # noqa: E402
from piiaudit.store import SessionStore  # noqa: E402
from tests.support import java_fixtures as fixtures  # noqa: E402

BENCH_MAIN = "com.example.demoshop.HookBench"
NS_PER_CALL = re.compile(r"ns_per_call=([0-9.]+)")
API = {"getImei": "android.telephony.TelephonyManager.getImei()",
       "getDeviceId": "android.telephony.TelephonyManager.getDeviceId()"}
HOOK_ID = {"getImei": "telephony.imei", "getDeviceId": "telephony.device_id"}
NOTHING_REPORTED = {"per_second": 0, "burst": 0}


def bench_argv(classpath: Path, calls: int, method: str, jvm_flags: list[str]) -> list[str]:
    return standin.java_command(classpath, proxy_host=None, proxy_port=None, truststore=None, truststore_password=None,
                                device_properties=None, extra_jvm_args=["-Dstandin.offline=true", *jvm_flags],
                                main=BENCH_MAIN, app_args=[str(calls), method])


def crypto_cost(calls: int) -> None:
    """Cipher.doFinal(1 KiB) unhooked against hooked (default rate limit and dedupe), one run."""
    argv = fixtures.build().argv("CryptoBench", str(calls))
    base = unhooked(argv)
    with tempfile.TemporaryDirectory(prefix="hook-cost-") as tmp:
        store = SessionStore(tmp)
        runner = HooksRunner(store, LocalProcess(argv))
        runner.start()
        status = runner.wait(timeout=600)
        runner.stop()
        if status != 0:
            raise SystemExit(f"CryptoBench under the agent exited with {status}:\n{runner.output[-2000:]}")
        ns = parse(runner.output)
        exit_row = store.conn.execute("SELECT data FROM events WHERE kind = 'process_exit'").fetchone()
        counters = (json.loads(exit_row[0]).get("hooks") or {}).get("crypto.cipher_final") or {} if exit_row else {}
        store.close()
    print(f"\nCryptoBench: {calls} calls of Cipher.doFinal(byte[1024]) (AES/CBC)")
    print(f"  {'unhooked':<40} {base:>12.1f} ns/call   1.0x")
    print(f"  {'hooked (default rate limit, dedupe)':<40} {ns:>12.1f} ns/call {ns / base:>8.0f}x   "
          f"({counters.get('calls')} calls at the hook, {counters.get('reported')} reported, "
          f"{counters.get('deduped')} identical)")


def parse(output: str) -> float:
    found = NS_PER_CALL.search(output)
    if not found:
        raise SystemExit(f"HookBench printed no ns_per_call:\n{output[-2000:]}")
    return float(found.group(1))


def unhooked(argv: list[str]) -> float:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"HookBench failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return parse(proc.stdout)


def hooked(argv: list[str], method: str, *, rate, stacks: bool) -> tuple[float, int, int | None, float]:
    """(ns per call, pii_read rows stored for the API, calls the hook saw, seconds to drain)."""
    with tempfile.TemporaryDirectory(prefix="hook-cost-") as tmp:
        store = SessionStore(tmp)
        runner = HooksRunner(store, LocalProcess(argv), rate=rate, stacks=stacks)
        runner.start()
        status = runner.wait(timeout=600)
        t_end = time.time()
        runner.stop()
        drain = time.time() - t_end
        if status != 0:
            raise SystemExit(f"HookBench under the agent exited with {status}:\n{runner.output[-2000:]}")
        ns = parse(runner.output)
        rows = store.conn.execute("SELECT count(*) FROM events WHERE kind = 'pii_read' AND api = ?",
                                  (API.get(method, method),)).fetchone()[0]
        seen = None
        exit_row = store.conn.execute("SELECT data FROM events WHERE kind = 'process_exit'").fetchone()
        if exit_row:
            counters = json.loads(exit_row[0]).get("hooks") or {}
            seen = (counters.get(HOOK_ID[method]) or {}).get("calls")
        store.close()
        return ns, rows, seen, drain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--method", default="getImei", choices=sorted(API))
    parser.add_argument("--jit-flags", default="", help="extra JVM flags for a second round, e.g. '-XX:-Inline'")
    parser.add_argument("--crypto-calls", type=int, default=2_000, help="Cipher.doFinal calls (0: skip)")
    args = parser.parse_args()

    classpath = standin.build()
    rounds = [("default JIT", [])]
    if args.jit_flags.strip():
        rounds.append((args.jit_flags.strip(), args.jit_flags.split()))

    print(f"HookBench: {args.calls} calls of TelephonyManager.{args.method}() on the JVM stand-in")
    for label, flags in rounds:
        argv = bench_argv(classpath, args.calls, args.method, flags)
        base = unhooked(argv)
        print(f"\n[{label}]")
        print(f"  {'unhooked':<40} {base:>12.1f} ns/call   1.0x")
        for name, rate, stacks in (
            ("hooked, nothing reported (hook only)", NOTHING_REPORTED, False),
            ("hooked, rate-limited (default)", DEFAULT_RATE, True),
            ("hooked, every call, no stack", None, False),
            ("hooked, every call, with stack", None, True),
        ):
            ns, rows, seen, drain = hooked(argv, args.method, rate=rate, stacks=stacks)
            # Every call must reach the hook (and, when every call is reported, the database):
            # fewer would mean the JIT inlined the getter past the hook.
            missed = args.calls - (rows if rate is None else (seen or 0))
            check = "all calls hooked" if missed == 0 else f"MISSED {missed} of {args.calls} calls"
            print(f"  {name:<40} {ns:>12.1f} ns/call {ns / base:>8.0f}x   "
                  f"({rows} events, drained {drain:.1f} s; {check})")
    if args.crypto_calls > 0:
        crypto_cost(args.crypto_calls)


if __name__ == "__main__":
    main()
