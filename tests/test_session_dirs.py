"""A directory that is not a piiaudit session is never deleted, nor written into without --force.

`demo --force` deletes piiaudit's own files of a piiaudit session and nothing else;
`replay --session` and `record --session` refuse an existing directory that holds other
things, and with --force only add their files beside them. Every refusal is one line
naming the directory, exit status 1, and leaves the directory as it was.
"""

from __future__ import annotations

import sqlite3

import pytest
from mitmproxy import io as mio

from piiaudit import sessiondir
from piiaudit.store import SessionStore
from tests.support.cli_results import refused, run
from tests.support.flows import make_flow





def snapshot(directory):
    return sorted((str(p.relative_to(directory)), p.read_bytes() if p.is_file() else None)
                  for p in directory.rglob("*"))


@pytest.fixture
def users_folder(tmp_path):
    """A folder of someone's own work that happens to hold a file called session.db."""
    d = tmp_path / "thesis"
    (d / "chapters").mkdir(parents=True)
    (d / "chapters" / "one.tex").write_text("\\chapter{One}", "utf-8")
    (d / "notes.txt").write_text("keep me", "utf-8")
    conn = sqlite3.connect(d / "session.db")
    conn.execute("CREATE TABLE bookmarks (url TEXT)")
    conn.commit()
    conn.close()
    return d


@pytest.fixture
def capture(tmp_path):
    path = tmp_path / "one.mitm"
    with path.open("wb") as fo:
        mio.FlowWriter(fo).add(make_flow("https://www.example.com/hello"))
    return path


def test_demo_force_refuses_a_folder_that_is_not_only_a_session(users_folder):
    before = snapshot(users_folder)
    line = refused(run("demo", "--out", users_folder, "--force", "--timeout", "5"), str(users_folder))
    assert "notes.txt" in line and "chapters/" in line
    assert snapshot(users_folder) == before


def test_demo_force_refuses_a_foreign_database_alone(tmp_path):
    d = tmp_path / "other-tool"
    d.mkdir()
    sqlite3.connect(d / "session.db").execute("CREATE TABLE t (x)").connection.close()
    before = snapshot(d)
    refused(run("demo", "--out", d, "--force", "--timeout", "5"), str(d), "not a piiaudit session")
    assert snapshot(d) == before


def test_clear_removes_only_piiaudits_own_files(tmp_path, capture):
    session = tmp_path / "s"
    assert run("replay", capture, "--session", session).exit_code == 0
    assert run("report", session).exit_code == 0
    (session / ".evidence.xlsx.1a2b.tmp").write_bytes(b"left by a killed report")
    (session / "flows.mitm").write_bytes(capture.read_bytes())
    names = {p.name for p in session.iterdir()}
    assert {"session.db", "flows.mitm", "manifest.json", "evidence.xlsx", "report.html", "findings.json"} <= names
    assert sorted(sessiondir.clear(session)) == sorted(names)
    assert list(session.iterdir()) == []
    (session / "mine.txt").write_text("x")
    with pytest.raises(sessiondir.SessionDirError, match="mine.txt"):
        sessiondir.clear(session)


def test_replay_refuses_a_folder_that_is_not_a_session_unless_forced(users_folder, capture):
    before = snapshot(users_folder)
    line = refused(run("replay", capture, "--session", users_folder), str(users_folder), "--force")
    assert "notes.txt" in line
    assert snapshot(users_folder) == before                 # nothing written, not even a WAL file
    plain = users_folder.parent / "plain"
    plain.mkdir()
    (plain / "photo.jpg").write_bytes(b"\xff\xd8")
    refused(run("replay", capture, "--session", plain), str(plain))
    assert [p.name for p in plain.iterdir()] == ["photo.jpg"]
    # --force: the session's files are added beside the others, which stay as they were
    result = run("replay", capture, "--session", plain, "--force")
    assert result.exit_code == 0, result.output
    assert (plain / "photo.jpg").read_bytes() == b"\xff\xd8"
    assert SessionStore(plain, create=False).count("flows") == 1


def test_replay_extends_a_session_and_fills_an_empty_folder(tmp_path, capture):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("replay", capture, "--session", empty).exit_code == 0
    (empty / "my-notes.md").write_text("a tester's notes in the session")
    result = run("replay", capture, "--session", empty)     # a piiaudit session: extended
    assert result.exit_code == 0, result.output
    assert (empty / "my-notes.md").exists()


def test_record_refuses_a_folder_that_is_not_a_session(users_folder):
    before = snapshot(users_folder)
    refused(run("record", "com.example.app", "--session", users_folder, "--listen-port", "0"),
            str(users_folder), "--force")
    assert snapshot(users_folder) == before
