"""Memory of mitmdump running the piiaudit addon over a long replay: it must stay flat.

Replays N SDK-style flows (100,000 by default) with `mitmdump -nr FILE -s
addon/piiaudit_addon.py`, samples the process's resident set size while watching how many
flows session.db has committed, and prints RSS at 10k, 50k and N flows next to the peak
RSS of bare `mitmdump -nr` over the same file.

    .venv/bin/python benchmarks/addon_memory.py
    .venv/bin/python benchmarks/addon_memory.py --flows 200000
    .venv/bin/python benchmarks/addon_memory.py --flows 20000 --json   # figures as JSON, last line

With --json the last line is one JSON object: flows, committed, seconds, peak_rss_mb (proxy),
detection_peak_rss_mb, bare_seconds, bare_peak_rss_mb, peak_ratio (with addon / bare), and
growth_mb_per_10k_flows {proxy, detection} between the first and last sample points. On a
terminal a progress line (flows committed) shows on stderr while mitmdump runs.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from proxy_cost import DEMO_PROFILE, generate_flows  # noqa: E402

from tests.support.mitmdump import addon_args, mitmdump_exe  # noqa: E402

from piiaudit import progress as progress_mod  # noqa: E402


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM in kB from /proc (Linux)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def committed(db: Path) -> int | None:
    if not db.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM flows").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return out


def run(argv: list[str], db: Path | None, interval: float,
        progress=None) -> tuple[list[tuple[float, int | None, int, int]], int, int, float]:
    """Samples (seconds, flows committed, proxy RSS kB, detection process RSS kB),
    peak RSS kB of the proxy and of the detection process, wall seconds. `progress(flows)`
    is told each sample's committed flows."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    samples, peak, peak_worker = [], 0, 0
    while proc.poll() is None:
        st = proc_status(proc.pid)
        workers = [proc_status(c) for c in children(proc.pid)]
        if st:
            peak = max(peak, st.get("VmHWM", 0))
            peak_worker = max([peak_worker] + [w.get("VmHWM", 0) for w in workers])
            samples.append((time.perf_counter() - started, committed(db) if db else None, st.get("VmRSS", 0),
                            sum(w.get("VmRSS", 0) for w in workers)))
            if progress and samples[-1][1] is not None:
                progress(samples[-1][1])
        time.sleep(interval)
    if proc.returncode != 0:
        raise SystemExit(f"mitmdump failed ({proc.returncode}):\n{proc.stderr.read()[-2000:]}")
    return samples, peak, peak_worker, time.perf_counter() - started


def at(samples: list[tuple[float, int | None, int, int]], flows: int) -> tuple[int | None, int, int] | None:
    """The first sample with at least `flows` committed (else the last one)."""
    for _, n, rss, worker in samples:
        if n is not None and n >= flows:
            return n, rss, worker
    return samples[-1][1:] if samples else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flows", type=int, default=100_000, help="flows to replay (default 100000)")
    ap.add_argument("--distinct", type=int, default=5_000, help="distinct flows built; the rest are copies under new ids")
    ap.add_argument("--interval", type=float, default=0.2, help="sampling interval in seconds")
    ap.add_argument("--skip-bare", action="store_true", help="do not measure bare mitmdump")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    args = ap.parse_args(argv)
    figures: dict = {"flows": args.flows}

    with tempfile.TemporaryDirectory(prefix="piiaudit-mem-") as tmp:
        work = Path(tmp)
        flows = work / "long.mitm"
        t = time.perf_counter()
        generate_flows(flows, args.flows, distinct=args.distinct)
        print(f"generated {args.flows} flows ({flows.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")
        base = [mitmdump_exe(), "-q", "-n", "-r", str(flows), "--set", f"confdir={work / 'conf'}"]

        bare_peak = None
        if not args.skip_bare:
            with progress_mod.display("addon_memory: bare mitmdump") as shown:
                _, bare_peak, _, bare_s = run(base, None, args.interval, shown)
            print(f"bare mitmdump: {bare_s:.1f} s, peak RSS {bare_peak / 1024:.1f} MB")
            figures.update(bare_seconds=round(bare_s, 2), bare_peak_rss_mb=round(bare_peak / 1024, 1))

        session = work / "session"
        with progress_mod.display("addon_memory: mitmdump + addon", "flows") as shown:
            shown(0, args.flows)
            samples, peak, peak_worker, seconds = run(base + addon_args(session, DEMO_PROFILE), session / "session.db",
                                                      args.interval, shown)
        final = committed(session / "session.db")
        figures.update(committed=final, seconds=round(seconds, 2), peak_rss_mb=round(peak / 1024, 1),
                       detection_peak_rss_mb=round(peak_worker / 1024, 1))
        print(f"mitmdump + addon: {seconds:.1f} s, {final} flows in session.db, peak RSS {peak / 1024:.1f} MB "
              f"(+ detection process {peak_worker / 1024:.1f} MB)")
        print()
        print(f"  {'flows committed':>16} {'proxy RSS MB':>13} {'detection MB':>13}")
        if any(w for *_, w in samples):  # ignore the last moments, after the detection process has ended
            samples = [smp for smp in samples if smp[3]]
        marks = [m for m in (10_000, 50_000, args.flows) if m <= args.flows]
        points = []
        for m in marks:
            got = at(samples, m)
            if got:
                points.append(got)
                print(f"  {got[0] if got[0] is not None else '-':>16} {got[1] / 1024:13.1f} {got[2] / 1024:13.1f}")
        if len(points) >= 2:
            first, last = points[0], points[-1]
            span = max(1, (last[0] or 0) - (first[0] or 0))
            figures["growth_mb_per_10k_flows"] = {}
            for label, i in (("proxy", 1), ("detection process", 2)):
                growth = (last[i] - first[i]) / 1024
                figures["growth_mb_per_10k_flows"][label.split()[0]] = round(growth / span * 10_000, 2)
                verdict = "flat" if abs(growth) < max(8.0, 0.1 * first[i] / 1024) else "GROWING"
                print(f"  {label}: {growth:+.1f} MB from {first[0]} to {last[0]} flows "
                      f"({growth / span * 10_000:+.2f} MB per 10k flows): {verdict}")
        if bare_peak:
            print(f"  peak proxy RSS with addon / bare: {peak / bare_peak:.2f}x ({(peak - bare_peak) / 1024:+.1f} MB)")
            figures["peak_ratio"] = round(peak / bare_peak, 3)
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
