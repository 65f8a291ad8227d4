"""How fast this machine runs Python, so figures from two machines can be compared.

The benchmarks' targets are ratios (measured side by side in one run) where they can be,
but some are seconds (the analysis of 10^6 rows under 8 s, the report of 10^5 rows under
15 s), and the same code takes twice as long on one 2-core build machine as on another.
This script times two fixed pieces of work, best of several rounds:

- ``python_ms``: pure-Python work of the kind the proxy and the detector do per flow
  (JSON encoded and decoded, a regular expression over text, dict and string building);
- ``pandas_ms``: vectorised work of the kind the analysis does (factorize, sort, group-by
  and merge over 10^6 rows).

A machine that gives twice the milliseconds runs the benchmarks' seconds about twice as
slowly; quote these beside any figure in seconds.

    .venv/bin/python benchmarks/machine.py            # a table
    .venv/bin/python benchmarks/machine.py --json     # one JSON object on the last line
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from pathlib import Path

ROUNDS = 5
_WORD = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}")


def _python_work() -> int:
    found = 0
    for i in range(4_000):
        record = {"id": f"{i:08x}-{i % 7:04x}", "host": f"h{i % 50}.example", "n": i, "tags": ["a", "b", str(i)]}
        text = json.dumps(record)
        back = json.loads(text)
        found += len(_WORD.findall(text)) + len(back["tags"])
        found += len("".join(sorted(back["host"])))
    return found


def _pandas_work() -> int:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    n = 1_000_000
    frame = pd.DataFrame({"key": rng.integers(0, 50_000, n), "ts": rng.random(n),
                          "kind": pd.Categorical.from_codes(rng.integers(0, 8, n), list("abcdefgh"))})
    codes, uniques = pd.factorize(frame["key"])
    ordered = frame.sort_values("ts", kind="stable")
    counts = ordered.groupby("key", sort=False)["ts"].agg(["min", "count"])
    joined = frame.merge(counts, left_on="key", right_index=True, how="left")
    return int(codes.max()) + len(uniques) + len(joined)


def best_ms(work, rounds: int = ROUNDS) -> float:
    work()   # warm: imports, caches
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        work()
        times.append(time.perf_counter() - t)
    return min(times) * 1000


def reference(rounds: int = ROUNDS) -> dict:
    """The machine's figures: CPU model, cores, load average, python_ms and pandas_ms."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "python_ms": round(best_ms(_python_work, rounds), 1),
        "pandas_ms": round(best_ms(_pandas_work, rounds), 1),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds of each piece of work; the best counts (default {ROUNDS})")
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON object")
    args = parser.parse_args()
    figures = reference(args.rounds)
    print(f"machine: {figures['cpu']}, {figures['cores']} cores, load average {figures['load_average']}, "
          f"Python {figures['python']}")
    print(f"  {'pure-Python work (JSON, regex, dicts)':<46}{figures['python_ms']:8.1f} ms")
    print(f"  {'pandas work (factorize, sort, group, merge)':<46}{figures['pandas_ms']:8.1f} ms")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
