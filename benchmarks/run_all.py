"""Run every benchmark in turn with its defaults and print each one's table.

    .venv/bin/python benchmarks/run_all.py            # everything (tens of minutes)
    .venv/bin/python benchmarks/run_all.py --quick    # smaller sizes, a few minutes

Each script measures its two sides in the same run and prints ratios; see its --help.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
PLAN = [
    ("detector_throughput.py", [], ["--seconds", "0.5"]),
    ("proxy_cost.py", [], ["--flows", "3000", "--requests", "200", "--repeat", "1"]),
    ("addon_memory.py", [], ["--flows", "20000"]),
    ("hook_cost.py", [], ["--calls", "20000"]),
    ("analysis_scale.py", [], ["--sizes", "20000", "200000"]),
    ("hostile.py", [], ["--quick"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a first look")
    args = parser.parse_args()
    failed = []
    for script, full, quick in PLAN:
        argv = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        print(f"\n=== {script} {' '.join(argv[2:])}", flush=True)
        started = time.time()
        if subprocess.run(argv, cwd=HERE.parent).returncode != 0:
            failed.append(script)
        print(f"--- {script}: {time.time() - started:.0f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
