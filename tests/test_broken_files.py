"""Broken and hostile files around a session: one line naming the file, exit status 1, no
traceback, in little time and memory, and nothing already recorded is lost.

Covered: tnetstring bombs in a flow file (nested deep, a huge length, wide, not a flow),
a HAR nested 200,000 deep, damaged database pages, a foreign database, a directory where
session.db should be, `report` before `analyze` with a broken scope file beside it (a
device, a pipe, a 3 GB file), a new session directory on a read-only file system, and
two `report` runs at once.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest
from mitmproxy import io as mio

from piiaudit import flowread
from piiaudit.store import SessionStore
from tests.support.cli_results import refused as one_line, run
from tests.support.flows import make_flow
from tests.support.samples import write_standin_scenario

REPO = Path(__file__).resolve().parents[1]





def tn(data: bytes, kind: bytes) -> bytes:
    return str(len(data)).encode() + b":" + data + kind


def good_flow_bytes() -> bytes:
    import io

    buf = io.BytesIO()
    mio.FlowWriter(buf).add(make_flow("https://api.example.com/ok"))
    return buf.getvalue()


def deep(levels: int = 100_000) -> bytes:
    """Lists in lists, `levels` deep: built from its lengths, not by copying each level."""
    lengths = [3]                                      # "0:]", the innermost list
    for _ in range(levels):
        lengths.append(len(str(lengths[-1])) + 1 + lengths[-1] + 1)
    prefixes = b"".join(f"{n}:".encode() for n in reversed(lengths[:-1]))
    return prefixes + b"0:]" + b"]" * levels


def wide() -> bytes:
    # 1.2 M tiny values in one record of about 4 MB: beyond the reader's count, refused before parsing
    return tn(b"".join(tn(b"", b"~") for _ in range(1_200_000)), b"]")


BOMBS = {
    "deep": deep,
    "huge length": lambda: b"99999999999:" + b"x" * 100,
    "wide": wide,
    "not a flow": lambda: tn(tn(b"hello", b",") + tn(b"world", b","), b"}"),
    "a number": lambda: tn(b"12", b"#"),
    "not tnetstring": lambda: b"GIF89a\x00\x01",
}
SAYS = {"deep": "nested", "huge length": "claims 99,999,999,999 bytes", "wide": "more than 1,000,000 values",
        "not a flow": "not a flow", "a number": "not a flow", "not tnetstring": "no length prefix"}


@pytest.mark.parametrize("case", list(BOMBS))
def test_a_tnetstring_bomb_is_one_line_and_the_flows_before_it_stay(tmp_path, case):
    bomb = BOMBS[case]()
    alone = tmp_path / "bomb.mitm"
    alone.write_bytes(bomb)
    started = time.perf_counter()
    line = one_line(run("replay", alone, "--session", tmp_path / "s"), str(alone), SAYS[case])
    assert time.perf_counter() - started < 10, line
    # after a good flow: the good flow is replayed, the bomb reported, the command succeeds
    after = tmp_path / "after.mitm"
    after.write_bytes(good_flow_bytes() + bomb)
    result = run("replay", after, "--session", tmp_path / "t")
    assert result.exit_code == 0 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "replayed 1 flows" in result.output and SAYS[case] in result.output, result.output
    assert SessionStore(tmp_path / "t", create=False).count("flows") == 1
    read = flowread.read_flows(after)
    assert len(read.flows) == 1 and SAYS[case] in read.problem


def test_the_reader_gives_what_mitmproxys_gives_on_a_real_capture(tmp_path):
    path = tmp_path / "flows.mitm"
    with path.open("wb") as fo:
        writer = mio.FlowWriter(fo)
        for i in range(50):
            writer.add(make_flow(f"https://api.example.com/{i}", b"x" * i))
    with path.open("rb") as fo:
        theirs = [f.get_state() for f in mio.FlowReader(fo).stream()]
    with path.open("rb") as fo:
        ours = [f.get_state() for f in flowread.stream(fo)]
    assert ours == theirs and len(ours) == 50


def test_a_har_nested_200000_deep_is_one_line(tmp_path):
    har = tmp_path / "deep.har"
    har.write_text('{"log": {"entries": [' + "[" * 200_000 + "]" * 200_000 + "]}}")
    one_line(run("replay", har, "--session", tmp_path / "s"), str(har), "nested too deep")


@pytest.fixture
def session(tmp_path):
    s = tmp_path / "s"
    write_standin_scenario(s)
    return s


def test_damaged_database_pages_are_one_line_in_every_command(session):
    db = session / "session.db"
    size = db.stat().st_size
    with db.open("r+b") as f:        # keep the header page, overwrite pages in the middle
        f.seek(4096 * 2)
        f.write(b"\xa5" * min(4096 * 6, size - 4096 * 3))
    for args in (["analyze", session], ["report", session]):
        one_line(run(*args), str(db), "damaged")


def test_a_foreign_database_is_refused_and_left_as_it_was(tmp_path):
    d = tmp_path / "other"
    d.mkdir()
    conn = sqlite3.connect(d / "session.db")
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.commit()
    conn.close()
    before = (d / "session.db").read_bytes()
    for args in (["analyze", d], ["report", d], ["mark", "consent", "--session", d]):
        one_line(run(*args), str(d / "session.db"), "not a piiaudit session database", "notes")
    assert (d / "session.db").read_bytes() == before      # no piiaudit table was added to it


def test_a_directory_where_session_db_should_be(tmp_path):
    d = tmp_path / "s"
    (d / "session.db").mkdir(parents=True)
    for args in (["analyze", d], ["report", d], ["mark", "consent", "--session", d]):
        one_line(run(*args), str(d / "session.db"), "a directory")


@pytest.mark.parametrize("broken", ["device", "pipe", "3 GB", "alias bomb", "bad yaml"])
def test_report_before_analyze_with_a_broken_scope_beside(session, broken):
    scope = session / "scope.yaml"
    if broken == "device":
        scope.symlink_to("/dev/zero")
    elif broken == "pipe":
        os.mkfifo(scope)
    elif broken == "3 GB":
        with scope.open("wb") as f:
            f.truncate(3 * 1024 ** 3)          # sparse: takes no space
    elif broken == "alias bomb":
        scope.write_text("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi")))
    else:
        scope.write_text("stated: {app: [imei]\n")
    started = time.perf_counter()
    one_line(run("report", session), str(scope))
    assert time.perf_counter() - started < 10
    assert SessionStore(session, create=False).count("findings") == 0     # nothing analysed with it


def _mount_tmpfs(where: Path, *options: str) -> bool:
    """A small tmpfs at `where` (root, where the machine allows mounting); False if it cannot."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(("size=2m", *options)), "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


def _umount(where: Path) -> None:
    # Lazily if something still holds it (a file the test's session left open): a mount left
    # behind stays for the machine's life and makes pytest's clean-up of old runs fail.
    if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def read_only_dir(tmp_path):
    """A directory nothing can be written in, holding a session (`existing`): a read-only
    tmpfs (root, where the machine allows mounting), else a directory without write
    permission (not root)."""
    where = tmp_path / "ro"
    if _mount_tmpfs(where):
        try:
            write_standin_scenario(where / "existing")
            subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)
            yield where, "read-only file system"
        finally:
            _umount(where)
    elif os.geteuid() != 0:
        write_standin_scenario(where / "existing")
        for d in (where / "existing", where):
            d.chmod(0o555)
        yield where, "permission denied"
        for d in (where, where / "existing"):
            d.chmod(0o755)
    else:
        pytest.skip("root without permission to mount: no way to make a directory read-only")


def test_a_new_session_on_a_read_only_file_system_is_one_line(tmp_path, read_only_dir):
    where, says = read_only_dir
    capture = tmp_path / "one.mitm"
    capture.write_bytes(good_flow_bytes())
    for args in (["replay", capture, "--session", where / "new"], ["demo", "--out", where / "demo"],
                 ["record", "com.example.app", "--session", where / "rec"]):
        one_line(run(*args), str(where), says)
    existing = where / "existing"
    for args in (["analyze", existing], ["report", existing], ["mark", "consent", "--session", existing],
                 ["replay", capture, "--session", existing]):
        one_line(run(*args), str(existing / "session.db"), says)


def test_two_reports_at_once_both_finish_and_leave_whole_files(session):
    assert run("analyze", session).exit_code == 0
    argv = [sys.executable, "-c", "from commands.cli import main; main()", "report", str(session)]

    def report(_):
        return subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=120)

    for _ in range(2):
        with ThreadPoolExecutor(3) as pool:
            done = list(pool.map(report, range(3)))
        assert [d.returncode for d in done] == [0, 0, 0], [d.stderr[-300:] for d in done]
    assert not [p.name for p in session.iterdir() if p.name.endswith(".tmp")]
    assert openpyxl.load_workbook(session / "evidence.xlsx", read_only=True)["Findings"].max_row > 1
    assert json.loads((session / "findings.json").read_text("utf-8"))["findings"]
    assert json.loads((session / "manifest.json").read_text("utf-8"))["artifacts"]["evidence.xlsx"]
