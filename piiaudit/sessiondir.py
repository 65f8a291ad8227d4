"""What a piiaudit session directory is, and the only ways a command may claim or clear one.

A session directory holds piiaudit's own files and nothing piiaudit would delete by
mistake. Its own files are named in `OWN_FILES` (the database with its WAL and journal
files, the flow file, the manifest, the evidence outputs, the copies of the profile and
scope, the app's output) plus the temporary files piiaudit writes beside them and renames
into place (`.evidence.xlsx.<random>.tmp`, `manifest.json.<random>.tmp`, ...), and the
`screens/` folder of the UI automation's captures while it holds only those
(`NNNN-<cause>.png|mp4`, piiaudit.store.add_screen).

A directory *is a piiaudit session* when it holds a `session.db` that is an SQLite
database with piiaudit's tables. Commands that write a session use `claim`:

- a missing directory is created (with its parents);
- an empty directory, or a piiaudit session, is used (a session is extended);
- any other directory is refused, naming it and what it holds, unless `force`, and then
  piiaudit only adds its own files beside the others.

`demo --force` uses `clear`, which deletes piiaudit's own files of a piiaudit session and
nothing else, and refuses a directory that holds anything else or is not a session.

Every file piiaudit rewrites in a session (the evidence outputs, the manifest) is written
through `replacing`: to a temporary name of its own writer beside it, then renamed over
the old one. Two commands writing at once each replace the file whole (the last one
wins); one that fails (a full disk) leaves the old file and no temporary one behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from piiaudit import dbfile
from piiaudit.store import DB_NAME, FLOWS_NAME, MANIFEST_NAME, SCREEN_FILE, SCREENS_DIR

OWN_FILES = (
    DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal",
    FLOWS_NAME, MANIFEST_NAME, "evidence.xlsx", "report.html", "findings.json",
    "device.yaml", "scope.yaml", "target-output.log",
    "report.pdf",   # report --pdf: the page printed, its footer naming manifest.json's SHA-256
)
SCREENSHOT = re.compile(r"^screenshot-[0-9a-f]{16}(\.[A-Za-z0-9]{1,8})?$")   # = piiaudit.testermarks
SQLITE_HEADER = b"SQLite format 3\x00"
PIIAUDIT_TABLES = {"flows", "pii_hits", "events"}
SHOWN = 5   # foreign entries named in a refusal


class SessionDirError(Exception):
    """A directory piiaudit must not write into or delete from; one line naming it and why."""


def is_own_file(name: str) -> bool:
    """A name piiaudit writes in a session directory (temporary files included): a tester's
    screenshot is copied in as `screenshot-<16 hex of its SHA-256>.<suffix>` (piiaudit.testermarks)."""
    if name in OWN_FILES or SCREENSHOT.match(name):
        return True
    if name.startswith(".screenshot-") and name.endswith(".tmp"):
        return True
    if name.endswith(".tmp"):
        base = name[1:] if name.startswith(".") else name
        return any(base.startswith(own + ".") for own in OWN_FILES)
    return False


def is_own_screens(entry: os.DirEntry | Path) -> bool:
    """The `screens/` folder holding only the UI automation's captures (and their temporary files)."""
    path = Path(entry)
    if path.name != SCREENS_DIR or path.is_symlink() or not path.is_dir():
        return False
    try:
        return all(e.is_file(follow_symlinks=False) and (
            SCREEN_FILE.match(e.name) or (e.name.startswith(".") and e.name.endswith(".tmp")
                                          and SCREEN_FILE.match(e.name[1:-4]))) for e in os.scandir(path))
    except OSError:
        return False


def foreign_entries(directory: Path) -> list[str]:
    """Names in `directory` that are not piiaudit's own files (folders are foreign, but for the
    `screens/` folder of the UI automation's captures)."""
    out = []
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        if is_own_screens(entry):
            continue
        if not (is_own_file(entry.name) and entry.is_file(follow_symlinks=False)):
            out.append(entry.name + ("/" if entry.is_dir(follow_symlinks=False) else ""))
    return out


def is_session(directory: Path) -> bool:
    """`directory` holds a session.db that is an SQLite database with piiaudit's tables."""
    db = Path(directory) / DB_NAME
    if not db.is_file() or db.is_symlink():
        return False
    try:
        if dbfile.read_at(db, len(SQLITE_HEADER)) != SQLITE_HEADER:   # never closes a descriptor: see dbfile
            return False
    except OSError:
        return False
    # read-only; on a read-only file system (no -shm file can be made) as an immutable file
    for query in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"{db.resolve().as_uri()}?{query}", uri=True, timeout=5)
            try:
                names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            finally:
                conn.close()
        except sqlite3.Error:
            continue
        return PIIAUDIT_TABLES <= names
    return False


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f", … (+{len(names) - SHOWN})" if len(names) > SHOWN else "")


def os_problem(e: OSError) -> str:
    """An OSError as the few words a user acts on."""
    if e.errno == errno.ENOSPC:
        return "disk full"
    if e.errno == errno.EROFS:
        return "read-only file system"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return e.strerror or str(e)


def claim(directory: Path | str, *, force: bool = False, option: str = "--force") -> Path:
    """Make `directory` ready for piiaudit to write a session into (see the module's rules)."""
    directory = Path(directory)
    if not directory.exists():
        try:
            directory.mkdir(parents=True)
        except OSError as e:
            raise SessionDirError(f"{directory}: cannot create the session directory ({os_problem(e)})") from None
        return directory
    if not directory.is_dir():
        raise SessionDirError(f"{directory}: exists and is not a directory")
    try:
        foreign = foreign_entries(directory)
        own = any(is_own_file(p.name) or is_own_screens(p) for p in directory.iterdir())
    except OSError as e:
        raise SessionDirError(f"{directory}: cannot read the directory ({os_problem(e)})") from None
    if not foreign and not own:
        return directory                       # empty
    if is_session(directory) or force:
        return directory
    what = f"it holds {_listing(foreign)}" if foreign else f"its {DB_NAME} is not a piiaudit database"
    raise SessionDirError(f"{directory}: not a piiaudit session directory ({what}); refusing to write into it: "
                          f"choose a new or empty directory, or pass {option} to add the session's files beside")


def clear(directory: Path | str) -> list[str]:
    """Delete piiaudit's own files from a piiaudit session directory; the names deleted.

    Refuses (SessionDirError, nothing deleted) a directory that is not a piiaudit session or
    that holds anything else: other files and folders are never piiaudit's to delete."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SessionDirError(f"{directory}: not a directory")
    foreign = foreign_entries(directory)
    if foreign:
        raise SessionDirError(f"{directory}: holds files that are not piiaudit's ({_listing(foreign)}); "
                              "refusing to replace it: choose another directory")
    if not is_session(directory):
        raise SessionDirError(f"{directory}: not a piiaudit session directory (no piiaudit {DB_NAME}); "
                              "refusing to replace it: choose another directory")
    removed = []
    for entry in sorted(directory.iterdir()):
        try:
            if is_own_screens(entry):
                for f in sorted(entry.iterdir()):
                    f.unlink()
                entry.rmdir()
                removed.append(entry.name + "/")
                continue
            entry.unlink()
        except FileNotFoundError:
            continue
        except OSError as e:
            raise SessionDirError(f"{entry}: cannot delete it ({os_problem(e)})") from None
        removed.append(entry.name)
    return removed


@contextlib.contextmanager
def replacing(path: Path | str) -> Iterator[Path]:
    """A temporary path beside `path`, unique to this writer (`.evidence.xlsx.<pid>.<random>.tmp`),
    to write the new file to; renamed over `path` when the block ends, removed when it fails.
    An OSError is raised again naming `path` (a write to an open file does not name it)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as e:
        if e.filename in (None, str(tmp)):
            raise OSError(e.errno, e.strerror, str(path)) from e
        raise
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


# -- the UI automation's captures, by their paths in the session ------------------------------
def is_screen_name(name: str) -> bool:
    """`screens/0003-before_tap.png`: a capture's path in the session as the `screens` table names it."""
    folder, _, base = name.partition("/")
    return folder == SCREENS_DIR and bool(SCREEN_FILE.match(base))


def screen_files(directory: Path) -> tuple[list[str], list[str]]:
    """(captures, foreign names) in `directory`'s screens/ folder, as paths relative to the session
    (`screens/0001-dialog.png`), for the manifest, verify and bundle: a capture is a regular file
    named as the UI automation names them (piiaudit.store.add_screen); a capture being written
    (`.0001-dialog.png.tmp`) is neither; anything else is foreign. Both empty when there is no
    screens/ folder (a link or a file of that name is foreign)."""
    folder = Path(directory) / SCREENS_DIR
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        return [], [SCREENS_DIR]
    if not folder.is_dir():
        return [], []
    own, foreign = [], []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if SCREEN_FILE.match(entry.name) and entry.is_file(follow_symlinks=False):
            own.append(f"{SCREENS_DIR}/{entry.name}")
        elif not (entry.name.startswith(".") and entry.name.endswith(".tmp") and SCREEN_FILE.match(entry.name[1:-4])
                  and entry.is_file(follow_symlinks=False)):
            foreign.append(f"{SCREENS_DIR}/{entry.name}" + ("/" if entry.is_dir(follow_symlinks=False) else ""))
    return own, foreign
