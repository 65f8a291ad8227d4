"""The reading processes (analysis.columnar) and the timeline's writer (analysis.bulkwrite)
start without pandas: each is a Python process of its own that a large analysis waits for,
and importing pandas there costs 0.5-0.9 s of its start for nothing it uses. pyarrow imports
pandas behind the caller's back (a Python scalar handed to a compute function does it), so
this is checked on the processes themselves, from what Python reports importing."""

from __future__ import annotations

import stat
import sys

import pytest

from analysis import columnar, load
from analysis import timeline as timeline_mod
from analysis.pipeline import analyze
from tests.support.samples import demo_scope_path, write_synthetic


@pytest.fixture()
def imports_seen(tmp_path, monkeypatch):
    """Every child started with sys.executable reports its imports (python -X importtime) to a log."""
    log = tmp_path / "imports.log"
    wrapper = tmp_path / "python"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -X importtime "$@" 2>>"{log}"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(sys, "executable", str(wrapper))

    def modules() -> set[str]:
        lines = log.read_text().splitlines() if log.exists() else []
        return {ln.rsplit("|", 1)[1].strip() for ln in lines if ln.startswith("import time:") and "|" in ln}

    return modules


def test_the_reading_and_writing_processes_never_import_pandas(tmp_path, monkeypatch, imports_seen):
    s = tmp_path / "s"
    write_synthetic(s, n_flows=300, n_events=300)
    monkeypatch.setattr(load, "COLUMNAR_FROM_ROWS", 0)       # read by the reading processes
    monkeypatch.setattr(timeline_mod, "BULK_ROWS", 1)        # stored by the writing process
    read, wrote = [], []
    real_read, real_start = columnar.read, timeline_mod.bulkwrite.start
    monkeypatch.setattr(columnar, "read", lambda *a, **k: read.append(1) or real_read(*a, **k))
    monkeypatch.setattr(timeline_mod.bulkwrite, "start", lambda *a, **k: wrote.append(1) or real_start(*a, **k))
    monkeypatch.setattr(timeline_mod, "_executemany", lambda *a: pytest.fail("the writing process failed"))
    result = analyze(s, scope=demo_scope_path())
    result.session.store.close()
    assert read and wrote and len(result.findings) > 0
    seen = imports_seen()
    assert {"adbc_driver_sqlite", "pyarrow"} <= seen          # the children did report
    assert not {m for m in seen if m == "pandas" or m.startswith("pandas.")}
