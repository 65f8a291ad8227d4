"""Run every benchmark in turn with its defaults and print each one's table.

    .venv/bin/python benchmarks/run_all.py            # everything (tens of minutes)
    .venv/bin/python benchmarks/run_all.py --quick    # smaller sizes, a few minutes
    .venv/bin/python benchmarks/run_all.py --quick --json

Each script measures its two sides in the same run and prints ratios; see its --help.

With --json each script runs with --json too, its output is shown as it ends, and the last
line is one JSON object: {script name: the JSON object of that script's last line, or
{"error": ...} when it failed or printed none, and "machine": how fast this machine ran two
fixed pieces of work before the benchmarks (benchmarks/machine.py), to compare figures in
seconds between machines}. A terminal then shows a progress line
(benchmarks done) on stderr; without --json each script has the terminal to itself and
shows its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

PLAN = [
    ("detector_throughput.py", [], ["--seconds", "0.5"]),
    ("proxy_cost.py", [], ["--flows", "3000", "--requests", "200", "--latency-requests", "500", "--repeat", "1"]),
    ("addon_memory.py", [], ["--flows", "20000"]),
    ("hook_cost.py", [], ["--calls", "20000"]),
    ("analysis_scale.py", [], ["--sizes", "20000", "200000"]),
    ("hostile.py", [], ["--quick"]),
    ("observed_delay.py", [], ["--runs", "poll", "handover", "--reads", "50"]),
    ("campaign.py", [], ["--sessions", "50", "--small", "5"]),
]


def last_json(stdout: str) -> dict | None:
    """The JSON object on the last non-empty line of `stdout`, if it is one."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    try:
        value = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a first look")
    parser.add_argument("--json", action="store_true", help="collect every script's --json figures into one object "
                                                            "on the last line")
    parser.add_argument("--only", nargs="+", metavar="SCRIPT", help="run only these scripts (e.g. hostile.py)")
    args = parser.parse_args()
    from piiaudit import progress

    import machine

    before = machine.reference()
    print(f"machine: {before['cpu']}, {before['cores']} cores, load average {before['load_average']}; "
          f"reference work {before['python_ms']} ms pure Python, {before['pandas_ms']} ms pandas (benchmarks/machine.py)")
    plan = [p for p in PLAN if not args.only or p[0] in args.only or p[0].removesuffix(".py") in args.only]
    failed, figures = [], {}
    with progress.display("run_all", "benchmarks", quiet=not args.json) as shown:
        for done, (script, full, quick) in enumerate(plan):
            argv = [sys.executable, str(HERE / script), *(quick if args.quick else full), *(["--json"] if args.json else [])]
            shown.echo(f"\n=== {script} {' '.join(argv[2:])}")
            shown(done, len(plan), script)
            started = time.time()
            if args.json:   # the script's output is read here: a pipe, so it shows no display of its own
                run = subprocess.run(argv, cwd=HERE.parent, stdout=subprocess.PIPE, text=True)
                shown.echo(run.stdout.rstrip("\n"))
                got = last_json(run.stdout)
                figures[script.removesuffix(".py")] = (got if got is not None and run.returncode == 0 else
                                                      {"error": f"exit status {run.returncode}" if run.returncode
                                                       else "no JSON object on the last line", **(got or {})})
            else:
                run = subprocess.run(argv, cwd=HERE.parent)
            if run.returncode != 0:
                failed.append(script)
            shown.echo(f"--- {script}: {time.time() - started:.0f} s")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    if args.json:
        print(json.dumps({**figures, "machine": before}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
