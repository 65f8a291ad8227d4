"""A costly fixture value made once per test run, whichever pytest-xdist worker asks first.

`once(tmp_path_factory, name, make)` returns `make(directory)`. Under pytest-xdist the
directory lies in the run's base temporary directory, which every worker of the run shares:
the first worker to ask makes the value under a lock and leaves it pickled beside the
directory; the others wait for the lock and load it. In one process (no xdist) it is plain
`make(tmp_path_factory.mktemp(name))`.

The value must pickle (paths, dataclasses of plain fields) and must not be written to by
the tests that read it: a test that writes works on a copy (tests/support/recordings.py).
A `make` that fails or skips leaves nothing behind, and the next worker tries again.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import tempfile
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")


def once(tmp_path_factory, name: str, make: Callable[[Path], T]) -> T:
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return make(tmp_path_factory.mktemp(name))
    run_root = tmp_path_factory.getbasetemp().parent   # <run>/popen-gwN's parent: the run's own
    made = run_root / f"{name}.pickle"
    with open(run_root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if made.is_file():
            return pickle.loads(made.read_bytes())
        value = make(Path(tempfile.mkdtemp(prefix=f"{name}-", dir=run_root)))
        partial = made.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(value))
        os.replace(partial, made)
        return value
