"""report.html and findings.json written by a forked child while this process writes evidence.xlsx.

The three outputs of a report are made from the same gathered data (analysis.reportdata) and
from nothing else; the workbook is the longest of them and the page the next (10^5 rows: about
9-10 s and 3-3.5 s on the project's 2-core build machine), one after the other on one core.
For a long session the page and findings.json are written by a child forked once the data is
gathered (analysis.forking says when a fork is safe), on the other core, while this process
writes the workbook; `finish()` waits for the child.

Before the fork, this process builds what both sides read: the tables the page shares with
the workbook, the app's stored manifest and the session's run state (the only things the page
reads from session.db), so the child neither builds them twice nor touches the database (its
copy of the session's store refuses every use). The child writes both files under temporary
names beside them and leaves by os._exit; `finish()` renames them into place once the
workbook is written, so a report whose workbook fails leaves the three outputs as they were,
as before. A child that fails, is killed or cannot be started costs time only: `finish()` then
writes both files here, the same bytes.
"""

from __future__ import annotations

import contextlib
import gc
import os
import secrets
from pathlib import Path
from typing import Any

from analysis import bilingual as b
from analysis import findingsjson, forking, htmlpage, sessionstate, tables
from analysis.reportdata import ReportData

APART_ROWS = 20_000   # timeline rows from which the page is worth a child of its own
SHARED_TABLES = ("Hooks", b.SENT_BY_SDK_SHEET, "Flows", "API events")   # the page's tables the workbook has too


class PageApart:
    """findings.json and report.html, being written by the child `pid`, or by nobody yet (pid 0)."""

    def __init__(self, data: ReportData, paths: dict[str, Path], reveal: bool, pid: int = 0,
                 held: dict[str, Path] | None = None) -> None:
        self.data, self.paths, self.reveal, self.pid = data, paths, reveal, pid
        self.held = held or {}   # where the child writes each file until finish() renames it

    @property
    def apart(self) -> bool:
        return self.pid > 0

    def finish(self, progress=None) -> None:
        """Wait for the child and put its files in place; if it did not write both, write them here."""
        progress and progress(None, None, self.paths["html"].name)
        if self.pid and _reaped_ok(self.pid) and all(p.is_file() for p in self.held.values()):
            self.pid = 0
            for kind, held in self.held.items():
                os.replace(held, self.paths[kind])
            return
        self.pid = 0
        self._drop_held()
        write_both(self.data, self.paths, self.reveal, progress)

    def cancel(self) -> None:
        """Stop the child (the report failed meanwhile); its files are whole or absent."""
        if self.pid:
            try:
                os.kill(self.pid, 9)
            except OSError:
                pass
            _reaped_ok(self.pid)
            self.pid = 0
        self._drop_held()

    def _drop_held(self) -> None:
        for held in self.held.values():
            with contextlib.suppress(OSError):
                held.unlink()


def write_both(data: ReportData, paths: dict[str, Path], reveal: bool, progress=None) -> None:
    progress and progress(None, None, findingsjson.NAME)
    findingsjson.write(data, paths["json"], reveal=reveal)
    progress and progress(None, None, "report.html")
    htmlpage.write(data, paths["html"], reveal=reveal)


def start(data: ReportData, paths: dict[str, Path], reveal: bool) -> PageApart:
    """Fork the child writing findings.json and report.html, if it is safe and worth it; the
    returned PageApart's finish() must be called after the workbook (it writes them otherwise)."""
    if len(data.timeline) < APART_ROWS or not forking.can_fork():
        return PageApart(data, paths, reveal)
    for name in SHARED_TABLES:
        tables.table(data, name, reveal=reveal)
    htmlpage.app_manifest(data)
    sessionstate.of(data)
    token = secrets.token_hex(4)
    held = {kind: paths[kind].with_name(f".{paths[kind].name}.page.{token}.tmp") for kind in ("json", "html")}
    try:
        pid = forking.fork()
    except OSError:
        return PageApart(data, paths, reveal)
    if pid == 0:   # the child
        ok = False
        try:
            gc.disable()   # short-lived: no collection walking (and copying) the shared objects
            object.__setattr__(data.session, "store", _NoDatabase())
            write_both(data, {**paths, **held}, reveal)
            ok = True
        except BaseException:  # noqa: BLE001 - the parent writes both files itself
            pass
        finally:
            forking.child_exit(ok)
    return PageApart(data, paths, reveal, pid, held)


def _reaped_ok(pid: int) -> bool:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return False
    return os.waitstatus_to_exitcode(status) == 0


class _NoDatabase:
    """The session's store as the child sees it: the parent's connection is not the child's to use."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"the page's child does not read session.db (asked for store.{name})")
