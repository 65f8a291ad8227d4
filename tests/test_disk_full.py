"""A full disk is reported as a full disk, naming the file, and what was stored before stays.

Two ways to fill a disk: a file-size limit (RLIMIT_FSIZE, `ulimit -f`) on a child process,
which works anywhere; and, where the machine allows mounting (root), a tiny tmpfs that
is filled up, the real ENOSPC.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from piiaudit.store import SessionStore
from tests.support.samples import write_standin_scenario

REPO = Path(__file__).resolve().parents[1]
LIMITED = textwrap.dedent("""\
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)      # a write past the limit fails (EFBIG) instead of killing
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    sys.argv = ["piiaudit", *sys.argv[2:]]
    from commands.cli import main
    main()
    """)
# Above SQLite's shared-memory file (32 KB), below what an analysis of the sample writes.
LIMIT = 40_000
TABLES = ("flows", "pii_hits", "events", "consent_marks", "clock_syncs")


def counts(session: Path) -> dict[str, int]:
    conn = sqlite3.connect(session / "session.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def piiaudit(*args, limit: int | None = None):
    argv = ([sys.executable, "-c", LIMITED, str(limit)] if limit else
            [sys.executable, "-c", "from commands.cli import main; main()"])
    return subprocess.run([*argv, *map(str, args)], capture_output=True, text=True, cwd=REPO, timeout=120)


def said_once(done, *words):
    assert done.returncode == 1, done.stdout + done.stderr
    out = (done.stdout + done.stderr).strip()
    assert "Traceback" not in out and "cannot rollback" not in out, out
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), out
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def session(tmp_path):
    s = tmp_path / "s"
    write_standin_scenario(s)
    SessionStore(s).close()     # checkpointed: the limit then applies to what the command writes
    return s


def test_analyze_past_the_file_size_limit_says_disk_full_and_keeps_the_session(session):
    before = counts(session)
    line = said_once(piiaudit("analyze", session, limit=LIMIT), str(session / "session.db"), "disk full")
    assert "ulimit -f" in line
    assert counts(session) == before                       # what was recorded is all there
    assert piiaudit("analyze", session).returncode == 0    # and the same command works once there is room
    assert SessionStore(session, create=False).count("findings") > 0


def test_a_failed_write_raises_its_own_error_and_keeps_earlier_rows(tmp_path):
    """store.write: SQLite rolls a transaction back itself when the disk is full; the error
    raised is that one, not 'cannot rollback - no transaction is active'."""
    session = tmp_path / "s"
    SessionStore(session).close()
    probe = textwrap.dedent(f"""\
        import resource, signal, sqlite3
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        from piiaudit.store import SessionStore
        store = SessionStore({str(session)!r}, create=False)
        store.write({{"errors": [{{"ts": 1.0, "component": "test", "message": "kept"}}]}})
        resource.setrlimit(resource.RLIMIT_FSIZE, ({LIMIT}, {LIMIT}))
        try:
            store.write({{"errors": [{{"ts": 2.0, "component": "test", "message": "x" * 200}}] * 2000}})
        except sqlite3.Error as e:
            print(type(e).__name__, e, getattr(e, "sqlite_errorname", ""))
        """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "cannot rollback" not in done.stdout and "SQLITE_IOERR" in done.stdout, done.stdout
    store = SessionStore(session, create=False)
    assert store.rows("SELECT message FROM errors") == [{"message": "kept"}]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MB tmpfs (root, where the machine allows mounting), unmounted afterwards."""
    where = tmp_path / "tiny"
    where.mkdir()
    if sys.platform != "linux" or not shutil.which("mount") or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)], capture_output=True).returncode:
        pytest.skip("this machine does not allow mounting a tmpfs (the file-size limit tests cover disk full)")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], capture_output=True)


def fill(disk: Path, leave: int) -> None:
    free = shutil.disk_usage(disk).free
    with (disk / "filler").open("wb") as f:
        f.write(b"\0" * max(free - leave, 0))


# the room left decides where the disk runs out: opening the database, its writes, the outputs
@pytest.mark.parametrize("leave", [20_000, 60_000, 120_000])
def test_on_a_full_tmpfs_analyze_and_report_say_disk_full(tiny_disk, session, leave):
    shutil.copytree(session, tiny_disk / "s")
    s = tiny_disk / "s"
    before = counts(s)
    fill(tiny_disk, leave)
    refused = []
    for command in ("analyze", "report"):
        done = piiaudit(command, s)
        if done.returncode == 0:
            continue                    # it fitted: nothing to report
        refused.append(said_once(done, str(s), "disk full"))
    assert refused                      # the disk did run out
    assert not [p.name for p in s.iterdir() if p.name.endswith(".tmp")]   # no half-written output left
    (tiny_disk / "filler").unlink()
    assert counts(s) == before
    assert piiaudit("report", s).returncode == 0
