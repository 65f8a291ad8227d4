"""How long a value the hooks saw read takes to reach the proxy's detector.

The delay measured is from a `pii_read` event's time (host clock, as stored in
``events.ts``) to the moment the detection addon hands that value to its detector (the
detection process's pipe, or the inline detector), for the first read of each distinct
value. The figures before the hand-over existed are in docs/proxy.md.

Two runs, one table:

- ``demo`` / ``full``: the stand-in scenario recorded end to end (``piiaudit demo``: the
  embedded proxy and the hooks runner in one process, the JVM under Frida). The values
  travel the way that process wires them.
- ``poll``: a loop of reads written into session.db by a separate writer, while a
  Recorder that has no in-process link to the hooks (the `mitmdump -s` case) finds them
  by polling the events table.
- ``handover``: the same loop of reads, each value also added to the ObservedValues the
  commands connect when proxy and hooks share a process (piiaudit.observed).

    .venv/bin/python benchmarks/observed_delay.py                  # demo, full, poll, handover
    .venv/bin/python benchmarks/observed_delay.py --runs poll handover --reads 200
    .venv/bin/python benchmarks/observed_delay.py --runs poll handover --json   # JSON, last line

With --json the last line is one JSON object, per run: values, missing, p50_ms, p99_ms,
max_ms. On a terminal a progress line (runs done) shows on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROFILE = ROOT / "piiaudit" / "data" / "demo" / "device.yaml"


class Arrivals:
    """The first time each (pii_type, value) reached the detector: patches the detection
    addon's `_feed`, which hands waiting values to the detection process or the inline
    detector."""

    def __init__(self) -> None:
        self.first: dict[tuple[str, str], float] = {}
        self._original = None

    def __enter__(self) -> Arrivals:
        from addon.detection import Detection

        self._original = original = Detection._feed
        arrivals = self

        def feed(this) -> None:
            now = time.time()
            for pii_type, value, _ in list(this._values):
                arrivals.first.setdefault((pii_type, str(value).strip()), now)
            original(this)

        Detection._feed = feed
        return self

    def __exit__(self, *exc) -> None:
        from addon.detection import Detection

        Detection._feed = self._original

    def delays_ms(self, reads: list[tuple[float, str, str]]) -> tuple[list[float], int]:
        """Delays of the first read of each value; and how many never arrived."""
        seen, out, missing = set(), [], 0
        for ts, pii_type, value in sorted(reads):
            key = (pii_type, str(value).strip())
            if key in seen:
                continue
            seen.add(key)
            if key in self.first:
                out.append((self.first[key] - ts) * 1000)
            else:
                missing += 1
        return out, missing


def pii_reads(session: Path) -> list[tuple[float, str, str]]:
    from piiaudit.store import SessionStore

    store = SessionStore(session, create=False)
    rows = store.rows("SELECT ts, pii_type, value FROM events WHERE kind = 'pii_read' AND value IS NOT NULL "
                      "AND pii_type IS NOT NULL")
    store.close()
    # A location request names its provider, not a fix: the recorder never searches for it.
    return [(r["ts"], r["pii_type"], r["value"]) for r in rows
            if str(r["value"]).strip() and not (r["pii_type"] == "location" and "," not in r["value"])]


def run_scenario(scenario: str, work: Path) -> tuple[list[float], int]:
    from commands.demo import run_demo

    out = work / scenario
    with Arrivals() as arrivals:
        run_demo(out, scenario=scenario, force=True, echo=lambda _: None)
    return arrivals.delays_ms(pii_reads(out))


def run_loop(how: str, work: Path, reads: int, gap_ms: tuple[float, float], seed: int) -> tuple[list[float], int]:
    """A Recorder in a bare mitmproxy Master; a thread plays the hooks runner: it commits each
    read through a SessionWriter as the runner does and, for `handover`, adds the value to
    the ObservedValues the Recorder listens to (what commands/recording.py connects)."""
    from mitmproxy import hooks, master, options

    from addon.recorder import Recorder
    from piiaudit.observed import ObservedValues
    from piiaudit.store import SessionStore
    from piiaudit.writer import SessionWriter

    session = work / how
    rng = random.Random(seed)
    values = [(rng.choice(["clipboard", "oaid", "imei", "android_id"]), f"piiaudit-bench-{how}-{i:05d}")
              for i in range(reads)]
    observed = ObservedValues() if how == "handover" else None

    def hooks_side() -> None:
        writer = SessionWriter(SessionStore(session), component="hooks", max_seconds=0)
        for pii_type, value in values:
            time.sleep(rng.uniform(*gap_ms) / 1000)
            row = {"ts": time.time(), "kind": "pii_read", "pii_type": pii_type, "value": value,
                   "api": "bench.Api.read()"}
            if observed is not None:
                observed.add(pii_type, value)
            writer.put("events", row)
        writer.close()

    async def go() -> None:
        m = master.Master(options.Options())
        m.addons.add(Recorder(observed))
        m.options.update(piiaudit_session=str(session), piiaudit_profile=str(PROFILE))
        await m.addons.trigger_event(hooks.RunningHook())
        thread = threading.Thread(target=hooks_side)
        thread.start()
        await asyncio.to_thread(thread.join)
        await m.done()  # the poll path reads the last values at shutdown

    with Arrivals() as arrivals:
        asyncio.run(go())
    return arrivals.delays_ms(pii_reads(session))


def figures(delays: list[float], missing: int) -> dict:
    """One run's figures for --json (the quantiles as `describe` prints them)."""
    if not delays:
        return {"values": 0, "missing": missing, "p50_ms": None, "p99_ms": None, "max_ms": None}
    q = statistics.quantiles(delays, n=100, method="inclusive") if len(delays) > 1 else [delays[0]] * 99
    return {"values": len(delays), "missing": missing, "p50_ms": round(q[49], 2), "p99_ms": round(q[98], 2),
            "max_ms": round(max(delays), 2)}


def describe(name: str, delays: list[float], missing: int) -> str:
    if not delays:
        return f"{name:<10} no values reached the detector ({missing} missing)"
    q = statistics.quantiles(delays, n=100, method="inclusive") if len(delays) > 1 else [delays[0]] * 99
    return (f"{name:<10} {len(delays):>5} values  p50 {q[49]:8.1f} ms  p99 {q[98]:8.1f} ms  "
            f"max {max(delays):8.1f} ms" + (f"  ({missing} never arrived)" if missing else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", nargs="+", default=["demo", "full", "poll", "handover"],
                        choices=["demo", "full", "poll", "handover"])
    parser.add_argument("--reads", type=int, default=100, help="reads in the poll and handover loops")
    parser.add_argument("--gap-ms", type=float, nargs=2, default=(20.0, 300.0),
                        help="time between two reads in the loops: uniform between these")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    args = parser.parse_args()
    from piiaudit import progress

    print("delay from a hook's read (events.ts) to the proxy's detector knowing the value")
    results = {}
    with tempfile.TemporaryDirectory(prefix="piiaudit-observed-delay-") as tmp, \
            progress.display("observed_delay", "runs") as shown:
        work = Path(tmp)
        for done, run in enumerate(args.runs):
            shown(done, len(args.runs), run)
            if run in ("demo", "full"):
                delays, missing = run_scenario(run, work)
            else:
                delays, missing = run_loop(run, work, args.reads, tuple(args.gap_ms), args.seed)
            results[run] = figures(delays, missing)
            shown.echo(describe(run, delays, missing))
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
