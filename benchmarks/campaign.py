"""`piiaudit campaign` on 1,000 demo-sized sessions: time and peak memory, against a batch of 10.

One analysed demo session (`--session DIR`, else one recorded now with `piiaudit demo`'s
code, which needs the JDK) is copied N times into a temporary folder, file by file, so each
copy still matches its manifest. The campaign then runs in a fresh process per size, so
each peak RSS is its own: a small batch first (`--small`, 10), then N. Printed: seconds,
sessions per second, peak RSS, the workbook's size, and the ratio of the peaks (reading
one session at a time, the peak should not grow with N). With --json the last line is
one JSON object with the figures. On a terminal a progress line (the step under way) shows on
stderr; the measured campaign itself runs in a child process whose output is a pipe, so it
shows none and its time is not touched.

    .venv/bin/python benchmarks/campaign.py                       # 1,000 copies
    .venv/bin/python benchmarks/campaign.py --sessions 200 --session demo-session --json
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(folder: Path, out: Path, verify: bool) -> dict:
    """Inside the measuring process: the campaign over `folder`, timed."""
    from analysis import campaign
    from piiaudit.times import zone

    started = time.perf_counter()
    totals = campaign.run([folder], out, zone("UTC"), verify=verify)
    seconds = time.perf_counter() - started
    return {"sessions": totals.sessions, "read": totals.read, "failed": totals.failed, "findings": totals.findings,
            "seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "workbook_mb": out.stat().st_size / 1e6}


def measure(folder: Path, out: Path, verify: bool) -> dict:
    argv = [sys.executable, __file__, "--child", str(folder), str(out)] + ([] if verify else ["--no-verify"])
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the campaign failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def source_session(given: Path | None, work: Path) -> Path:
    if given is not None:
        return given
    from commands.demo import run_demo

    print("recording one demo session (piiaudit demo) …", flush=True)
    session = work / "demo-session"
    run_demo(session, echo=lambda _line: None)
    return session


def copies(source: Path, folder: Path, n: int) -> None:
    """`n` copies of the session at `source` in `folder` (session-0001, …), every file as it is."""
    files = [p for p in source.iterdir() if p.is_file()]
    for i in range(1, n + 1):
        target = folder / f"session-{i:04d}"
        target.mkdir(parents=True)
        for p in files:
            shutil.copy2(p, target / p.name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000, help="copies in the large batch (default 1000)")
    parser.add_argument("--small", type=int, default=10, help="copies in the small batch (default 10)")
    parser.add_argument("--session", type=Path, help="an analysed session to copy (default: record a demo)")
    parser.add_argument("--no-verify", action="store_true", help="pass --no-verify (no manifest check per session)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], not args.no_verify)))
        return 0
    from piiaudit import progress

    with tempfile.TemporaryDirectory(prefix="piiaudit-campaign-") as tmp, \
            progress.display("campaign benchmark") as shown:
        work = Path(tmp)
        shown(0, 5, "recording a demo session" if args.session is None else "source session")
        source = source_session(args.session, work)
        results = {}
        for step, (label, n) in enumerate((("small", args.small), ("large", args.sessions))):
            folder = work / f"batch-{n}"
            t = time.perf_counter()
            shown(1 + 2 * step, 5, f"copying {n} sessions")
            copies(source, folder, n)
            copy_s = time.perf_counter() - t
            shown(2 + 2 * step, 5, f"campaign of {n} sessions")
            r = measure(folder, work / f"campaign-{n}.xlsx", not args.no_verify)
            r["copy_seconds"] = copy_s
            results[label] = r
            shown.echo(f"{n:>6} sessions: {r['seconds']:.1f} s ({n / r['seconds']:.0f} sessions/s), "
                  f"peak RSS {r['peak_rss_mb']:.0f} MB, {r['findings']} findings, workbook {r['workbook_mb']:.1f} MB "
                  f"(copies made in {copy_s:.1f} s)")
            shutil.rmtree(folder)
        ratio = results["large"]["peak_rss_mb"] / results["small"]["peak_rss_mb"]
        print(f"peak RSS, {args.sessions} sessions / {args.small}: {ratio:.2f}x; "
              f"per session {1000 * results['large']['seconds'] / args.sessions:.1f} ms")
        if args.json:
            print(json.dumps({"sessions": args.sessions, "small": results["small"], "large": results["large"],
                              "peak_ratio": ratio, "verify": not args.no_verify}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
