"""A process that holds more than 1,024 open files still records every flow.

select() refuses descriptors numbered 1,024 and above; a proxy with many connections open,
or a long-lived process that embeds the proxy, holds such descriptors, and the detection
process's pipes then get numbers above the limit. Waiting on them must not fail and lose
the flows still waiting for their answers."""

from __future__ import annotations

import gc
import os
import resource

import pytest

from mitmproxy import io

from addon.replay import replay
from piiaudit import fdwait
from piiaudit.store import SessionStore
from tests.support.demo_device import IMEI, PROFILE
from tests.support.flows import make_flow

SELECT_LIMIT = 1024
URL = "https://ulogs.umeng.com/unify_logs?imei=" + IMEI


def write_capture(path, n: int):
    """A flows.mitm of `n` flows, each sending the IMEI in its query."""
    with open(path, "wb") as fh:
        writer = io.FlowWriter(fh)
        for i in range(n):
            writer.add(make_flow(f"{URL}&n={i}", b'{"a":1}', ts=1_700_000_000.0 + i))
    return path


@pytest.fixture
def descriptors_above_select_limit():
    """Fill the descriptor table so that the next pipes are numbered above 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = SELECT_LIMIT + 256
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"this machine allows {hard} open files, fewer than {wanted}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    held = []
    try:
        while not held or held[-1] < SELECT_LIMIT + 8:
            held.append(os.open(os.devnull, os.O_RDONLY))
        yield held[-1]
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_pipe_numbered_above_1024_is_waited_on(descriptors_above_select_limit):
    r, w = os.pipe()
    try:
        assert r > SELECT_LIMIT
        assert fdwait.ready(r, w, 0.5) == (False, True)  # nothing to read, room to write
        os.write(w, b"x")
        assert fdwait.ready(r, None, 0.5) == (True, False)
        os.close(w)
        w = None
        os.read(r, 1)
        assert fdwait.ready(r, None, 0.5) == (True, False)  # hung up: the read meets the end
    finally:
        os.close(r)
        if w is not None:
            os.close(w)


def test_a_replay_in_a_process_holding_many_files_records_every_flow(descriptors_above_select_limit, tmp_path):
    capture = write_capture(tmp_path / "five.mitm", 5)
    stats = replay(capture, tmp_path / "session", PROFILE)
    assert stats["flows"] == 5
    store = SessionStore(tmp_path / "session", create=False)
    assert store.count("flows") == 5
    assert store.count("pii_hits") >= 5  # every flow carries the IMEI
    assert store.count("errors") == 0


def test_a_replay_leaves_nothing_frozen_away_from_the_collector(tmp_path):
    """The recorder freezes the collector's start-up objects while the proxy runs; a process
    that lives on after the replay gets back what became garbage meanwhile."""
    gc.unfreeze()
    replay(write_capture(tmp_path / "one.mitm", 1), tmp_path / "session", PROFILE)
    assert gc.get_freeze_count() == 0
