"""Analysis time and peak memory for 10^5 and 10^6 flows + events, measured side by side.

A synthetic session per size (half flows, about a third of them carrying a PII hit; half
hook events, nearly all sensitive-API reads; a privacy dialog and a 同意 tap at 20 % of
the run) is written with executemany, then analysed in a fresh process so each size's
peak RSS is its own. Printed: seconds per stage, total, peak memory, and the ratio of the
larger size to the smaller (10x the rows: a ratio near 10 means linear scaling).

    .venv/bin/python benchmarks/analysis_scale.py                    # 10^5 and 10^6
    .venv/bin/python benchmarks/analysis_scale.py --sizes 20000 200000 --report
    .venv/bin/python benchmarks/analysis_scale.py --json --sizes 100000 1000000 --report

With ``--json`` the last line is one JSON object: ``{"N": {"analyze_s", "report_s",
"peak_rss_mb", "peak_tree_mb"}}`` per size (report_s null without ``--report``).

Two figures of memory, because the analysis runs in several processes at once (the columnar
readers, the timeline's writer, the rules forked apart):
- peak_rss_mb: the largest resident set of any one of them (getrusage: the analysing process
  and the children it waited for), measured when analyze returned, before any report;
- peak_tree_mb: what they hold together, the machine's memory the analysis needs: the sum of
  their proportional set sizes (a page two processes share counts half in each), sampled
  every 0.2 s in a second analysis of the same session. Reading a process's page tables
  costs milliseconds, so it is not done while the time is measured.
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

STAGES = ["load", "consent", "prepare+link", "rules", "timeline", "store", "analyze total"]
REPORT = "report from stored (s)"


def measure(session_dir: Path, with_report: bool) -> dict:
    """Run inside the child process: analyze() whole, then the pipeline's stages timed one by one."""
    from analysis import consent as consent_mod
    from analysis import timeline
    from analysis.load import load_session
    from analysis.pipeline import analyze, run_rules
    from analysis.prepare import prepare
    from analysis.rules import load_catalog
    from analysis.scope import load as load_scope
    from tests.support.samples import demo_scope_path

    out: dict = {}
    # analyze() whole first, in the fresh process: its time and its peak memory are its own
    t = time.perf_counter()
    result = analyze(session_dir, scope=demo_scope_path())
    out["analyze total"] = time.perf_counter() - t
    out["analyze_peak_rss_mb"] = _peak_mb()
    out["findings"] = len(result.findings)
    out["links"] = len(result.evidence.links)
    result.session.store.close()
    del result
    t = time.perf_counter()
    session = load_session(session_dir)
    out["load"] = time.perf_counter() - t
    t = time.perf_counter()
    decision = consent_mod.decide(session.events, session.marks)
    out["consent"] = time.perf_counter() - t
    t = time.perf_counter()
    evidence = prepare(session, decision, load_scope(demo_scope_path()))
    out["prepare+link"] = time.perf_counter() - t
    t = time.perf_counter()
    findings, _, errors = run_rules(load_catalog(), evidence)
    out["rules"] = time.perf_counter() - t
    t = time.perf_counter()
    order = timeline.build(session, decision, evidence)
    out["timeline"] = time.perf_counter() - t
    t = time.perf_counter()
    session.store.replace_findings(findings.to_dict("records"))
    timeline.save(order, session.store)
    out["store"] = time.perf_counter() - t
    session.store.close()
    del session, evidence, findings, order
    out["errors"] = errors
    if with_report:
        from analysis.report import write_report

        # the stages above stored their own findings: the report reads what analyze stores
        analyze(session_dir, scope=demo_scope_path()).session.store.close()
        t = time.perf_counter()
        write_report(session_dir)   # as `piiaudit report` does: from what analyze stored
        out[REPORT] = time.perf_counter() - t
    out["peak_rss_mb"] = _peak_mb()
    return out


def _peak_mb() -> float:
    """Peak resident memory of this process or of any child it waited for, in MB."""
    return max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


def run_size(n: int, workdir: Path, with_report: bool, step=lambda k, what: None) -> dict:
    session = workdir / f"n{n}"
    step(0, "generating the session")
    t = time.perf_counter()
    # Written by a process of its own: a child started by a process that holds the generated
    # rows would count them in its own peak (Linux carries the pages a child shares with its
    # parent before exec into the child's ru_maxrss), which hid the analysis's real peak.
    subprocess.run([sys.executable, __file__, "--generate", str(n), str(session)], check=True)
    generated = time.perf_counter() - t
    step(1, "analysis timed" + (" and report" if with_report else ""))
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(session)] + (["--report"] if with_report else []),
        capture_output=True, text=True, check=False,
    )
    if child.returncode != 0:
        raise SystemExit(f"analysis of {n} rows failed:\n{child.stderr}")
    stats = json.loads(child.stdout.strip().splitlines()[-1])
    step(2, "analysis again, memory of every process sampled")
    stats["peak_tree_mb"] = _tree_peak_mb([sys.executable, __file__, "--analyze-only", str(session)])
    stats["generate (not counted)"] = generated
    stats["db_mb"] = (session / "session.db").stat().st_size / 1e6
    return stats


def _tree_peak_mb(command: list[str], every_s: float = 0.2) -> float:
    """Run `command`; the peak of the summed Pss of its process tree (/proc), in MB."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak_kb = 0
    while proc.poll() is None:
        peak_kb = max(peak_kb, sum(_pss_kb(pid) for pid in _tree(proc.pid)))
        time.sleep(every_s)
    if proc.wait() != 0:
        raise SystemExit(f"analysis for the memory figure failed:\n{proc.stderr.read()}")
    return peak_kb / 1024


def _tree(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass   # ended meanwhile
    return found


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], metavar="N",
                        help="flows + events of each session (the table compares the first two)")
    parser.add_argument("--report", action="store_true", help="also time write_report from the stored analysis, as `piiaudit report` runs (evidence.xlsx is the bulk)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line: {N: {analyze_s, report_s, peak_rss_mb}}")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--analyze-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        from tests.support.samples import write_synthetic

        n = int(args.generate[0])
        write_synthetic(Path(args.generate[1]), n_flows=n // 2, n_events=n // 2)
        return
    if args.analyze_only:
        from analysis.pipeline import analyze
        from tests.support.samples import demo_scope_path

        analyze(args.analyze_only, scope=demo_scope_path())
        return
    if args.child:
        print(json.dumps(measure(args.child, args.report)))
        return

    from piiaudit import progress

    with tempfile.TemporaryDirectory(prefix="piiaudit-bench-") as tmp, \
            progress.display("analysis_scale", "steps") as shown:
        results = {}
        for i, n in enumerate(args.sizes):
            results[n] = run_size(n, Path(tmp), args.report,
                                  lambda k, what, n=n, i=i: shown(3 * i + k, 3 * len(args.sizes), f"{n:,} rows: {what}"))
            shutil.rmtree(Path(tmp) / f"n{n}", ignore_errors=True)
    table(results, args.sizes, args.report)
    if args.json:
        print(json.dumps({str(n): {"analyze_s": round(r["analyze total"], 2),
                                   "report_s": round(r[REPORT], 2) if REPORT in r else None,
                                   "peak_rss_mb": round(r["analyze_peak_rss_mb"]),
                                   "peak_tree_mb": round(r["peak_tree_mb"])} for n, r in results.items()}))


def table(results: dict, sizes: list[int], with_report: bool) -> None:
    """One column per size; with two sizes or more, the ratio of the second to the first."""
    cols = [results[n] for n in sizes]
    ratio = len(sizes) >= 2
    rows = STAGES + ([REPORT] if with_report else [])

    def line(label: str, cells: list[str], r: float | None = None) -> None:
        print(f"{label:<26}" + "".join(f"{c:>14}" for c in cells) + (f"{r:>9.1f}" if ratio and r is not None else ""))

    print("analysis scale: flows + events = " + " vs ".join(f"{n:,}" for n in sizes)
          + (f" (x{sizes[1] / sizes[0]:g} rows)" if ratio else "")
          + "; session.db " + " vs ".join(f"{c['db_mb']:.0f} MB" for c in cols))
    print(f"{'stage':<26}" + "".join(f"{n:>14,}" for n in sizes) + (f"{'ratio':>9}" if ratio else ""))
    for stage in rows:
        label = stage if stage.endswith("(s)") else f"{stage} (s)"
        line(label, [f"{c[stage]:.2f}" for c in cols], cols[1][stage] / max(cols[0][stage], 1e-9) if ratio else None)
    for label, key in (("peak RSS (MB)", "peak_rss_mb"), ("peak of all processes (MB)", "peak_tree_mb")):
        line(label, [f"{c[key]:.0f}" for c in cols], cols[1][key] / cols[0][key] if ratio else None)
    line("rows per second (analyze)", [f"{n / c['analyze total']:,.0f}" for n, c in zip(sizes, cols)])
    line("findings / links", [f"{c['findings']} / {c['links']}" for c in cols])
    line("generate session (s)", [f"{c['generate (not counted)']:.2f}" for c in cols])
    if any(c["errors"] for c in cols):
        print("rule errors:", *(c["errors"] for c in cols))


if __name__ == "__main__":
    main()
