"""The hostile-input and fault suite as one command: every case of issue 10 and what held up already.

    .venv/bin/python benchmarks/hostile.py                 # every case (a few minutes)
    .venv/bin/python benchmarks/hostile.py --quick         # the CI-sized subset (tests/test_hostile.py)
    .venv/bin/python benchmarks/hostile.py --case zeroed-db --case masking
    .venv/bin/python benchmarks/hostile.py --json          # the verdicts as one JSON object, one line
    .venv/bin/python benchmarks/hostile.py --list

Each case builds its input in a temporary directory (tests/support/hostile_inputs.py),
runs the real `piiaudit` commands or `mitmdump -s addon/piiaudit_addon.py` on it as child
processes, and judges them (tests/support/hostile_cases.py): the outcome (a result, one
clear line, a traceback, a hang, memory beyond the ceiling, a crash), whether anything
already recorded was lost (flows in the capture or in flows.mitm against rows in
session.db, committed rows before a kill against rows after, the user's files), the wall
time and the peak memory of the child processes. A case is clean when every command
ended as issue 10 asks, every check passed and nothing was lost.

Printed: one row per case, the problems of each case that is not clean, and the total:
cases, clean outcomes, rows lost (want 0), the worst time and memory. Exit status 0 when
every case is clean, 1 otherwise. With --json the only output is one line, one JSON object:
{"cases": [...], "total": {...}}. On a terminal a progress line (cases done) shows on stderr.
Live proxy cases run in a network namespace of their own
when the machine allows it; disk-full and read-only cases mount a small tmpfs in a mount
namespace of their own (both need root or user namespaces; a case says when it could not).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from piiaudit import progress  # noqa: E402
from tests.support.hostile_cases import CASES, Templates, Verdict, run_case, select  # noqa: E402


def row(v: Verdict) -> str:
    verdict = "clean" if v.clean else "NOT CLEAN"
    return (f"{v.name:<24} {v.item:>4}  {v.outcome:<10} {verdict:<9} {v.lost:>5} {v.seconds:>8.1f} "
            f"{v.peak_mb:>8.0f}")


def totals(verdicts: list[Verdict]) -> dict:
    worst_t = max(verdicts, key=lambda v: v.seconds, default=None)
    worst_m = max(verdicts, key=lambda v: v.peak_mb, default=None)
    return {
        "cases": len(verdicts), "clean": sum(v.clean for v in verdicts),
        "not_clean": [v.name for v in verdicts if not v.clean],
        "rows_lost": sum(v.lost for v in verdicts),
        "worst_seconds": worst_t.seconds if worst_t else 0.0, "worst_seconds_case": worst_t.name if worst_t else None,
        "worst_mb": worst_m.peak_mb if worst_m else 0.0, "worst_mb_case": worst_m.name if worst_m else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the CI-sized subset, smaller bombs")
    parser.add_argument("--json", action="store_true", help="print the verdicts and the total as JSON")
    parser.add_argument("--case", action="append", default=[], metavar="NAME", help="run only this case (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--keep", action="store_true", help="keep the work directories (printed at the end)")
    args = parser.parse_args(argv)
    if args.list:
        for c in CASES:
            print(f"{c.name:<24} item {c.item:>3} {'quick' if c.quick else 'full ':<6} {c.title}")
        return 0
    try:
        cases = select(args.case, args.quick)
    except KeyError as e:
        parser.error(str(e.args[0]))
    root = Path(tempfile.mkdtemp(prefix="piiaudit-hostile-"))
    templates = Templates(root / "_templates")
    verdicts: list[Verdict] = []
    started = time.monotonic()
    if not args.json:
        print(f"{'case':<24} {'item':>4}  {'outcome':<10} {'verdict':<9} {'lost':>5} {'seconds':>8} {'peak MB':>8}",
              flush=True)
    try:
        with progress.display("hostile", "cases") as shown:
            for done, c in enumerate(cases):
                shown(done, len(cases), c.name)
                v = run_case(c, root, templates, quick=args.quick)
                verdicts.append(v)
                if not args.json:
                    shown.echo(row(v))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    total = totals(verdicts) | {"templates_seconds": round(templates.seconds, 1),
                                "wall_seconds": round(time.monotonic() - started, 1), "quick": args.quick}
    if args.json:
        print(json.dumps({"cases": [v.to_dict() for v in verdicts], "total": total}, ensure_ascii=False))
    else:
        for v in verdicts:
            if v.problems or v.notes:
                print(f"\n{v.name} (item {v.item}: {v.title})")
                for p in v.problems:
                    print(f"  ✗ {p}")
                for n in v.notes:
                    print(f"  · {n}")
        print(f"\ntotal: {total['cases']} cases, {total['clean']} clean, rows lost {total['rows_lost']} (want 0); "
              f"worst time {total['worst_seconds']:.1f} s ({total['worst_seconds_case']}), "
              f"worst memory {total['worst_mb']:.0f} MB ({total['worst_mb_case']}); "
              f"shared inputs {total['templates_seconds']:.0f} s, wall {total['wall_seconds']:.0f} s")
        if args.keep:
            print(f"work directories kept in {root}")
    return 0 if total["clean"] == total["cases"] else 1


if __name__ == "__main__":
    sys.exit(main())
