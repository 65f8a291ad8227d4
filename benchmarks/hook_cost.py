"""Per-call cost of a hooked Java getter against the same call unhooked, in one run.

The JVM stand-in's ``com.example.demoshop.HookBench N METHOD`` calls
``TelephonyManager.METHOD()`` N times in a loop and prints ns/call. It runs:

1. unhooked (plain ``java``),
2. under the agent reporting nothing (the hook's own cost),
3. under the agent with the default rate limit (the first 200 calls reported, then 50/s;
   the rest only counted): the cost an app pays in a normal audit,
4. under the agent reporting every call, without stacks,
5. under the agent reporting every call, with a stack per call.

On HotSpot the agent's C dispatchers (hooks/agent/src/fastpath.ts) keep calls that can
report nothing out of the JS runtime; ``--compare-bridge`` repeats the silent and with-stack
runs and the key store on frida-java-bridge's path alone (``fast_path=False``), to show what
the dispatchers save.

Each hooked run also checks that all N calls reached the hook (the agent's counters, and
for 4 and 5 the rows in the session database): a getter that HotSpot's JIT inlined past
the hook would show up as missed calls.
``--jit-flags`` repeats the unhooked and every-call runs with extra JVM flags (e.g.
``-XX:-Inline``) to price a JIT setting.

The baseline to beat runs first in the same JVM and stand-in: the widespread naive pattern
(hooks/agent/bench/naive.ts: replace both getImei overloads, render
``Log.getStackTraceString(new Throwable())`` and ``send()`` on every call).

Then a crypto-heavy workload: ``KeyStoreBench`` loads a password-protected PKCS#12 store
(keytool's defaults: PBKDF2 and the PKCS#12 KDF, 10,000 iterations each) unhooked and
under the default hooks, then runs the app's own HMACs, every one of which must reach the
hook. Then the crypto hooks: ``CryptoBench`` (tests/java) runs ``Cipher.doFinal`` on 1 KiB,
unhooked and under the agent (the plaintext and ciphertext are copied out, bounded, on
every call; identical payloads are reported once).

    .venv/bin/python benchmarks/hook_cost.py                  # 20,000 calls, getImei
    .venv/bin/python benchmarks/hook_cost.py --calls 50000 --method getDeviceId --crypto-calls 5000
    .venv/bin/python benchmarks/hook_cost.py --json   # last line: the figures as one JSON object
    .venv/bin/python benchmarks/hook_cost.py --compare-bridge   # also the bridge's path alone
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

import frida  # noqa: E402

from hooks.agent_build import AGENT_DIR, ensure_node_modules  # noqa: E402
from hooks.runner import DEFAULT_RATE, HooksRunner  # noqa: E402
from hooks.standin import build as standin  # noqa: E402
from hooks.targets import LocalProcess  # noqa: E402
from piiaudit import progress  # noqa: E402
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


NAIVE_ENTRY = "bench/naive.ts"


def naive_script() -> str:
    """The naive pattern (hooks/agent/bench/naive.ts) bundled with the agent's pinned bridge."""
    ensure_node_modules()
    return frida.Compiler().build(NAIVE_ENTRY, project_root=str(AGENT_DIR), source_maps="omitted", type_check="none")


def naive_pattern(argv: list[str], calls: int) -> tuple[float, int]:
    """(ns per call, messages received) for the naive pattern in the same JVM and stand-in:
    the JVM starts behind the stand-in's instrumentation gate, the script attaches, hooks,
    and opens the gate."""
    gated = [argv[0], "-Dstandin.gate=60", *argv[1:]]
    received = 0

    def on_message(message: dict, data: object) -> None:
        nonlocal received
        if message.get("type") == "send":
            received += 1

    proc = subprocess.Popen(gated, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None and proc.stdout is not None
        for line in proc.stderr:
            if "instrumentation gate: waiting" in line:
                break
        else:
            raise SystemExit(f"HookBench never reached its gate:\n{proc.stdout.read()}")
        session = frida.attach(proc.pid)
        script = session.create_script(naive_script(), name="naive-pattern")
        script.on("message", on_message)
        script.load()
        out = proc.stdout.read()
        proc.wait(timeout=600)
        # Messages still in flight when the JVM exited are lost; wait for the ones queued.
        try:
            session.detach()
        except frida.InvalidOperationError:
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
    return parse(out), received


KEYSTORE_MAIN = "com.example.demoshop.KeyStoreBench"
LOAD_S = re.compile(r"load_s=([0-9.]+)")
STORE_PASSWORD = "bench-store-password"


def make_keystore(directory: Path) -> Path:
    """A password-protected PKCS#12 store with a key pair, keytool's default protection."""
    store = directory / "app.p12"
    cmd = [standin.jdk_tool("keytool"), "-genkeypair", "-alias", "app", "-keyalg", "EC", "-groupname", "secp256r1",
           "-dname", "CN=hook-cost", "-validity", "2", "-keystore", str(store), "-storetype", "PKCS12",
           "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"keytool failed: {proc.stderr}")
    return store


def pbkdf2_cost(classpath: Path, loads: int, macs: int, compare_bridge: bool = False) -> tuple[float, float]:
    """(seconds unhooked, seconds under the default hooks) to load the protected store `loads`
    times; the hooked run must count every one of the app's own `macs` Mac.doFinal calls.
    `compare_bridge`: also the hooked run without the C dispatchers (printed only)."""
    with tempfile.TemporaryDirectory(prefix="hook-cost-ks-") as tmp:
        store_path = make_keystore(Path(tmp))
        argv = standin.java_command(classpath, proxy_host=None, proxy_port=None, truststore=None,
                                    truststore_password=None, device_properties=None,
                                    extra_jvm_args=["-Dstandin.offline=true"], main=KEYSTORE_MAIN,
                                    app_args=[str(store_path), STORE_PASSWORD, str(loads), str(macs)])
        def unhooked_s() -> float:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                raise SystemExit(f"KeyStoreBench failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
            return load_seconds(proc.stdout)

        # Unhooked before and after the hooked run, the faster one kept: the first run of a
        # fresh store pays for a cold cache, which would flatter the hooked run.
        first = unhooked_s()
        output, data = run_hooked(argv, Path(tmp) / "session", "KeyStoreBench")
        hooked_s = load_seconds(output)
        base = min(first, unhooked_s())
        bridge_s = None
        if compare_bridge:
            bridge_output, _ = run_hooked(argv, Path(tmp) / "session-bridge", "KeyStoreBench", fast_path=False)
            bridge_s = load_seconds(bridge_output)
    counters = data.get("hooks") or {}
    steps = sum((row or {}).get("nested") or 0 for row in counters.values())
    mac_calls = (counters.get("crypto.mac_final") or {}).get("calls") or 0
    zone = (counters.get("crypto.quiet.keystore_load") or {}).get("calls") or 0
    check = "all app MACs hooked" if mac_calls >= macs else f"MISSED {macs - mac_calls} of {macs} app MACs"
    print(f"\nKeyStoreBench: {loads} loads of a password-protected PKCS#12 store (PBKDF2), then {macs} app HMACs")
    print(f"  {'unhooked (best of 2)':<40} {base:>10.3f} s   1.00x")
    print(f"  {'hooked (default hooks)':<40} {hooked_s:>10.3f} s {hooked_s / base:>6.2f}x   "
          f"({zone} KeyStore.load calls at the quiet zone, {steps} nested calls counted in C; "
          f"{mac_calls} Mac.doFinal calls at the hook: {check})")
    if bridge_s is not None:
        print(f"  {'hooked, bridge path only (fast_path off)':<40} {bridge_s:>10.3f} s {bridge_s / base:>6.2f}x")
    return base, hooked_s


def run_hooked(argv: list[str], session_dir: Path, what: str, *, fast_path: bool = True) -> tuple[str, dict]:
    """`argv` under the agent with the default hooks into a session at `session_dir`: its
    output and the process_exit event's data (the agent's counters)."""
    store = SessionStore(session_dir)
    try:
        runner = HooksRunner(store, LocalProcess(argv), fast_path=fast_path)
        runner.start()
        status = runner.wait(timeout=600)
        runner.stop()
        if status != 0:
            raise SystemExit(f"{what} under the agent exited with {status}:\n{runner.output[-2000:]}")
        exit_row = store.conn.execute("SELECT data FROM events WHERE kind = 'process_exit'").fetchone()
        return runner.output, (json.loads(exit_row[0]) if exit_row else {})
    finally:
        store.close()


def load_seconds(output: str) -> float:
    found = LOAD_S.search(output)
    if not found:
        raise SystemExit(f"KeyStoreBench printed no load_s:\n{output[-2000:]}")
    return float(found.group(1))


def crypto_cost(calls: int) -> None:
    """Cipher.doFinal(1 KiB) unhooked against hooked (default rate limit and dedupe), one run."""
    argv = fixtures.build().argv("CryptoBench", str(calls))
    base = unhooked(argv)
    with tempfile.TemporaryDirectory(prefix="hook-cost-") as tmp:
        output, data = run_hooked(argv, Path(tmp), "CryptoBench")
        ns = parse(output)
        counters = (data.get("hooks") or {}).get("crypto.cipher_final") or {}
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


def hooked(argv: list[str], method: str, *, rate, stacks: bool,
           fast_path: bool = True) -> tuple[float, int, int | None, float]:
    """(ns per call, pii_read rows stored for the API, calls the hook saw, seconds to drain)."""
    with tempfile.TemporaryDirectory(prefix="hook-cost-") as tmp:
        store = SessionStore(tmp)
        runner = HooksRunner(store, LocalProcess(argv), rate=rate, stacks=stacks, fast_path=fast_path)
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
    parser.add_argument("--loads", type=int, default=5, help="loads of the protected key store (0: skip)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    parser.add_argument("--compare-bridge", action="store_true",
                        help="also run the silent and with-stack runs and the key store without the C dispatchers")
    args = parser.parse_args()

    classpath = standin.build()
    rounds = [("default JIT", [])]
    if args.jit_flags.strip():
        rounds.append((args.jit_flags.strip(), args.jit_flags.split()))

    per_round = 2 + 4 + (2 if args.compare_bridge else 0)   # unhooked, naive, the hooked runs
    steps = len(rounds) * per_round + (args.loads > 0) + (args.crypto_calls > 0)
    done = iter(range(steps))
    with progress.display("hook_cost", "runs") as shown, shown.around_prints():
        def step(what: str) -> None:
            shown(next(done, steps), steps, what)

        figures: dict[str, float | None] = {}
        print(f"HookBench: {args.calls} calls of TelephonyManager.{args.method}() on the JVM stand-in")
        for label, flags in rounds:
            argv = bench_argv(classpath, args.calls, args.method, flags)
            step(f"{label}: unhooked")
            base = unhooked(argv)
            print(f"\n[{label}]")
            print(f"  {'unhooked':<40} {base:>12.1f} ns/call   1.0x")
            row: dict[str, float] = {"unhooked_us": base / 1000}
            if args.method == "getImei":
                step(f"{label}: naive pattern")
                naive_ns, messages = naive_pattern(argv, args.calls)
                row["camille_pattern_us"] = naive_ns / 1000
                print(f"  {'naive pattern (baseline to beat)':<40} {naive_ns:>12.1f} ns/call {naive_ns / base:>8.0f}x   "
                      f"({messages} messages received)")
            runs = [
                ("ours_silent_us", "hooked, nothing reported (hook only)", NOTHING_REPORTED, False, True),
                (None, "hooked, rate-limited (default)", DEFAULT_RATE, True, True),
                (None, "hooked, every call, no stack", None, False, True),
                ("ours_with_stack_us", "hooked, every call, with stack", None, True, True),
            ]
            if args.compare_bridge:
                runs += [(None, "bridge path only: nothing reported", NOTHING_REPORTED, False, False),
                         (None, "bridge path only: every call, with stack", None, True, False)]
            for key, name, rate, stacks, fast_path in runs:
                step(f"{label}: {name}")
                ns, rows, seen, drain = hooked(argv, args.method, rate=rate, stacks=stacks, fast_path=fast_path)
                # Every call must reach the hook (and, when every call is reported, the database):
                # fewer would mean the JIT inlined the getter past the hook.
                missed = args.calls - (rows if rate is None else (seen or 0))
                check = "all calls hooked" if missed == 0 else f"MISSED {missed} of {args.calls} calls"
                if key is not None:
                    row[key] = ns / 1000
                print(f"  {name:<40} {ns:>12.1f} ns/call {ns / base:>8.0f}x   "
                      f"({rows} events, drained {drain:.1f} s; {check})")
            if not figures:
                figures.update(row)
        if "camille_pattern_us" in figures and "ours_with_stack_us" in figures:
            print(f"\n  naive pattern / ours with stack: {figures['camille_pattern_us'] / figures['ours_with_stack_us']:.1f}x")
        if args.loads > 0:
            step("key store (PBKDF2), unhooked and hooked")
            figures["pbkdf2_unhooked_s"], figures["pbkdf2_hooked_s"] = pbkdf2_cost(classpath, args.loads, 50,
                                                                                   args.compare_bridge)
        if args.crypto_calls > 0:
            step("Cipher.doFinal")
            crypto_cost(args.crypto_calls)
    if args.json:
        keys = ("camille_pattern_us", "ours_with_stack_us", "ours_silent_us", "unhooked_us",
                "pbkdf2_unhooked_s", "pbkdf2_hooked_s")
        print(json.dumps({k: (round(figures[k], 4) if figures.get(k) is not None else None) for k in keys}))


if __name__ == "__main__":
    main()
