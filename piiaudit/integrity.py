"""Does the session still match its manifest? `verify` checks; `guard` stops analyze and report.

`verify(session_dir)` compares every file beside `manifest.json` with what the manifest
recorded (SHA-256 and size) and checks the manifest against the session itself: its row
counts against `session.db`, the flows in `flows.mitm` against the flow rows, and the runs
that did not end (piiaudit.runs). Each file is

- ok: as recorded;
- changed / missing / new: edited, removed or added outside piiaudit since the manifest;
- written: session.db written by piiaudit since the manifest (its `writes` counter went up:
  piiaudit.store), e.g. by a run that was killed before it could write the manifest;
- appended: flows.mitm grew and what the manifest recorded is intact at its start, while
  piiaudit wrote to session.db (a recording that did not end).

The verdict is ok, partial (a run did not end; nothing changed outside piiaudit), stale
(piiaudit wrote since the manifest; the next analyze or report records it) or mismatch.
What cannot be told apart: an edit made with piiaudit's own writer, or a manifest written
again by hand. The check catches careless and silent changes, not a forger. A manifest
written before the counter existed (schema 3 and older) counts as recorded at 0: such a
session is checked from its next analysis on. A tester's screenshot (piiaudit.testermarks) is
checked against the SHA-256 its observation row recorded: ok, changed, missing, or new when
no row names it. The UI automation's captures (`screens/0001-dialog.png`, piiaudit.sessiondir)
are checked by name against the manifest's SHA-256 and against their `screens` row's: changed
(either differs), missing (the manifest or a row names it), written (captured by piiaudit since
the manifest: a row names it with its hash and the writes counter went up), or new (neither
names it; anything else put into screens/ is new too).

`guard(session_dir, command, accept=...)`: analyze and report refuse to write a new
manifest over files changed outside piiaudit (changed, missing, new), unless the tester
accepts the changes; the acceptance (who, when, which files, their hashes) is appended to
the manifest's `accepted_changes` at once, and every output shows it from there
(`accepted_lines`). Not guarded: outputs the command re-creates itself (report), an output
that is missing (it is re-created), and scope.yaml, the analysis' own input, whose hash the
manifest records as `scope_used`.
"""

from __future__ import annotations

import getpass
import json
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from piiaudit import manifest as manifest_mod
from piiaudit import runs, sessiondir
from piiaudit.dbfile import damage
from piiaudit.flowcount import count_flows
from piiaudit.store import DB_NAME, FLOWS_NAME, MANIFEST_NAME, WRITES_KEY
from piiaudit.times import iso_one

OUTPUTS = ("evidence.xlsx", "report.html", "findings.json")
ANALYSIS_INPUTS = ("scope.yaml",)
FILES = (DB_NAME, *manifest_mod.ARTIFACTS)
CHANGED_OUTSIDE = ("changed", "missing", "new")
COUNTED = ("flows", "pii_hits", "events", "findings", "errors")
# Flow rows that flows.mitm holds: recorded live, or replayed from the session's own file.
SAVED_CAPTURES = ("live", "replay:flows.mitm")
ACCEPTED = "files changed after recording, accepted by the tester at"


class IntegrityError(Exception):
    """A session whose files no longer match its manifest: the message is one line for the user."""


@dataclass
class FileCheck:
    name: str
    status: str                       # ok | changed | missing | new | written | appended
    detail: str = ""
    recorded_sha256: str | None = None
    found_sha256: str | None = None

    def line(self) -> str:
        return f"{self.name:<15} {self.status}{f'  ({self.detail})' if self.detail else ''}"


@dataclass
class Check:
    name: str
    status: str                       # ok | mismatch | partial | skipped
    detail: str

    def line(self) -> str:
        return f"{self.name:<15} {self.status}: {self.detail}"


@dataclass
class Verification:
    session_dir: Path
    has_manifest: bool
    files: list[FileCheck] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    partial_runs: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None        # why nothing could be verified (no manifest, damaged session.db)

    @property
    def verdict(self) -> str:
        if self.problem or any(f.status in CHANGED_OUTSIDE for f in self.files) or any(
                c.status == "mismatch" for c in self.checks):
            return "mismatch"
        if self.partial_runs or any(c.status == "partial" for c in self.checks):
            return "partial"
        if any(f.status != "ok" for f in self.files):
            return "stale"
        return "ok"

    def verdict_line(self) -> str:
        v = self.verdict
        if self.problem:
            return f"verdict: mismatch — {self.problem}"
        if v == "ok":
            return "verdict: ok — every file is as the manifest recorded it / 所有文件与清单一致"
        if v == "mismatch":
            bad = [f"{f.name} {f.status}" for f in self.files if f.status in CHANGED_OUTSIDE]
            bad += [f"{c.name}: {c.detail}" for c in self.checks if c.status == "mismatch"]
            return f"verdict: mismatch — {'; '.join(bad)} / 文件与清单不一致"
        if v == "partial":
            return (f"verdict: partial — {len(self.partial_runs)} run(s) did not end cleanly; nothing changed "
                    f"outside piiaudit / {runs.PARTIAL}")
        return ("verdict: stale — piiaudit wrote to session.db after the manifest; `piiaudit analyze` or "
                "`report` records it / 清单之后 piiaudit 又写入了数据")

    def to_dict(self) -> dict[str, Any]:
        return {"session": str(self.session_dir), "manifest": self.has_manifest, "verdict": self.verdict,
                "problem": self.problem, "artifacts": [asdict(f) for f in self.files],
                "checks": [asdict(c) for c in self.checks],
                "partial_runs": [{k: r[k] for k in ("id", "stage", "started", "pid", "host", "running")}
                                 for r in self.partial_runs]}


_sha256 = manifest_mod.file_sha256


def _read_db(path: Path) -> dict[str, Any]:
    """Counts, the writes counter and the runs that did not end, read without changing the content.

    Committed transactions still in the write-ahead log are moved into the file first (a
    passive checkpoint, as SQLite does when the last connection closes): the manifest's hash
    was taken of a file without a log, and an edit left in the log must show in the file."""
    conn = sqlite3.connect(str(path), timeout=30.0)
    try:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            pass
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED if t in tables}
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (WRITES_KEY,)).fetchone() if "meta" in tables else None
        saved = (conn.execute(f"SELECT count(*) FROM flows WHERE capture IN ({', '.join('?' * len(SAVED_CAPTURES))})",
                              SAVED_CAPTURES).fetchone()[0] if "flows" in tables else 0)
        not_stored = (conn.execute("SELECT coalesce(sum(n), 0) FROM tally WHERE stage = 'proxy' AND outcome = 'failed' "
                                   "AND what = 'flows'").fetchone()[0] if "tally" in tables else 0)
        shots = ([(r[0], r[1]) for r in conn.execute(
            "SELECT DISTINCT screenshot, screenshot_sha256 FROM observations WHERE screenshot IS NOT NULL")]
            if "observations" in tables else [])
        captures = ([(r[0], r[1]) for r in conn.execute("SELECT file, sha256 FROM screens ORDER BY id")]
                    if "screens" in tables else [])
        open_runs = ([dict(zip(("id", "stage", "started", "ended", "pid", "host", "detail"), r)) for r in conn.execute(
            "SELECT id, stage, started, ended, pid, host, detail FROM runs ORDER BY started")]
            if "runs" in tables else [])
    finally:
        conn.close()
    try:
        writes = int(row[0]) if row else 0
    except (TypeError, ValueError):
        writes = 0
    return {"counts": counts, "writes": writes, "saved_flows": saved, "not_stored": int(not_stored),
            "open_runs": open_runs, "screenshots": shots, "screens": captures}


def _manifest(session_dir: Path) -> tuple[dict[str, Any], str | None]:
    """The manifest, and why it cannot be used if it is there but unreadable."""
    path = session_dir / MANIFEST_NAME
    m = manifest_mod.read(session_dir)
    if m or not path.exists():
        return m, None
    try:
        text = path.read_text("utf-8")
        ok = isinstance(json.loads(text), dict)
    except (OSError, ValueError):
        ok = False
    return {}, None if ok else f"{path}: not a JSON object (damaged or edited)"


def verify(session_dir: Path | str, *, skip: frozenset[str] | set[str] = frozenset()) -> Verification:
    """Check every file of the session against its manifest, and the manifest against the session.
    Files named in `skip` are not read at all (guard: the ones a command does not hold to the manifest)."""
    session_dir = Path(session_dir)
    m, unreadable = _manifest(session_dir)
    v = Verification(session_dir, has_manifest=bool(m))
    db = session_dir / DB_NAME
    if not db.is_file():
        v.problem = f"{db}: no session database"
        return v
    broken = damage(db)
    if broken:
        v.problem = f"{db}: {broken}"
        return v
    try:
        state = _read_db(db)
    except sqlite3.Error as e:
        v.problem = f"{db}: not a usable session database ({e})"
        return v
    v.partial_runs = runs.partial_rows(state["open_runs"])
    if not m:
        v.problem = unreadable or f"no {MANIFEST_NAME} in {session_dir}: nothing to verify against"
        return v
    recorded = m.get("artifacts") if isinstance(m.get("artifacts"), dict) else {}
    recorded_writes = m.get(WRITES_KEY) if isinstance(m.get(WRITES_KEY), int) else 0
    advanced = state["writes"] > recorded_writes
    for name in (n for n in FILES if n not in skip):
        v.files.append(_check_file(session_dir / name, recorded.get(name), advanced, state, m))
    v.files = [f for f in v.files if f is not None] + _check_screenshots(session_dir, state["screenshots"])
    v.files += _check_screens(session_dir, recorded, state["screens"], advanced)
    v.checks.append(_check_counts(m, state, next(f for f in v.files if f.name == DB_NAME)))
    v.checks.append(_check_flows(session_dir, state, v.partial_runs))
    return v


def _check_file(path: Path, rec: dict | None, advanced: bool, state: dict, m: dict) -> FileCheck | None:
    name = path.name
    if path.exists() and not path.is_file():   # a device, a pipe, a directory: never read (it may not end)
        return FileCheck(name, "changed" if rec else "new", "not a regular file (a device, pipe or directory)",
                         rec.get("sha256") if rec else None)
    if rec is None:
        if not path.exists():
            return None
        if name == FLOWS_NAME and advanced:
            return FileCheck(name, "appended", "not in the manifest yet; recorded by a run since it was written")
        return FileCheck(name, "new", "not in the manifest", found_sha256=_sha256(path))
    if not path.exists():
        return FileCheck(name, "missing", f"the manifest recorded {rec.get('bytes')} bytes",
                         recorded_sha256=rec.get("sha256"))
    found = _sha256(path)
    if found == rec.get("sha256"):
        if name == DB_NAME and advanced:   # the write-ahead log holds newer transactions
            return FileCheck(name, "written", _written(state, m), rec.get("sha256"), found)
        return FileCheck(name, "ok", recorded_sha256=rec.get("sha256"), found_sha256=found)
    if name == DB_NAME and advanced:
        return FileCheck(name, "written", _written(state, m), rec.get("sha256"), found)
    size = path.stat().st_size
    recorded_size = rec.get("bytes")
    if (name == FLOWS_NAME and advanced and isinstance(recorded_size, int) and size > recorded_size
            and _sha256(path, recorded_size) == rec.get("sha256")):
        return FileCheck(name, "appended", f"{size - recorded_size} bytes added after the {recorded_size} recorded",
                         rec.get("sha256"), found)
    return FileCheck(name, "changed", f"{size} bytes, the manifest recorded {recorded_size}", rec.get("sha256"), found)


def _check_screenshots(session_dir: Path, recorded: list[tuple[str, str]]) -> list[FileCheck]:
    """The tester's screenshots against the SHA-256 their observation rows recorded (session.db
    itself is held to the manifest, so a row cannot change unseen); a screenshot file no row
    names is new."""
    out = []
    named = set()
    for name, sha in recorded:
        named.add(name)
        path = session_dir / name
        if not path.is_file() or path.is_symlink():
            out.append(FileCheck(name, "missing", "a tester observation names it", recorded_sha256=sha))
            continue
        found = _sha256(path)
        out.append(FileCheck(name, "ok" if found == sha else "changed",
                             "" if found == sha else "not the screenshot the observation recorded", sha, found))
    try:
        present = sorted(p.name for p in session_dir.iterdir() if sessiondir.SCREENSHOT.match(p.name))
    except OSError:
        present = []
    out += [FileCheck(n, "new", "no tester observation names it", found_sha256=_sha256(session_dir / n))
            for n in present if n not in named and (session_dir / n).is_file()]
    return out


def _check_screens(session_dir: Path, recorded: dict, rows: list[tuple[str, str]], advanced: bool) -> list[FileCheck]:
    """Each capture under screens/ by name, against the manifest's hash and its `screens` row's."""
    in_manifest = {n: r for n, r in recorded.items() if isinstance(n, str) and n.startswith(
        sessiondir.SCREENS_DIR + "/") and isinstance(r, dict)}
    in_rows: dict[str, str] = {}
    for name, sha in rows:
        if isinstance(name, str):
            in_rows.setdefault(name, sha)
    present, foreign = sessiondir.screen_files(session_dir)
    out = []
    for name in sorted(set(in_manifest) | set(in_rows) | set(present)):
        rec, row_sha = in_manifest.get(name), in_rows.get(name)
        if not sessiondir.is_screen_name(name):      # never looked up: it could name anything
            out.append(FileCheck(name, "changed", "not a name the UI automation writes (screens/NNNN-<cause>.png)",
                                 rec.get("sha256") if rec else row_sha))
            continue
        path = session_dir / name
        if name not in present:
            if path.exists() or path.is_symlink():      # a link, a folder, a pipe under a capture's name
                out.append(FileCheck(name, "changed" if rec or row_sha else "new",
                                     "not a regular file (a link, device, pipe or directory)",
                                     rec.get("sha256") if rec else row_sha))
            elif rec:
                out.append(FileCheck(name, "missing", f"the manifest recorded {rec.get('bytes')} bytes",
                                     recorded_sha256=rec.get("sha256")))
            else:
                out.append(FileCheck(name, "missing", "its screens row names it", recorded_sha256=row_sha))
            continue
        found = _sha256(path)
        if row_sha is not None and found != row_sha:
            out.append(FileCheck(name, "changed", "not the capture its screens row recorded",
                                 rec.get("sha256") if rec else row_sha, found))
        elif rec is not None:
            ok = found == rec.get("sha256")
            out.append(FileCheck(name, "ok" if ok else "changed",
                                 "" if ok else f"{path.stat().st_size} bytes, the manifest recorded {rec.get('bytes')}",
                                 rec.get("sha256"), found))
        elif row_sha is not None and advanced:
            out.append(FileCheck(name, "written", "captured by piiaudit since the manifest", row_sha, found))
        else:
            out.append(FileCheck(name, "new", "neither the manifest nor a screens row names it", found_sha256=found))
    out += [FileCheck(name, "new", "not a capture piiaudit writes") for name in foreign]
    return out


def _written(state: dict, m: dict) -> str:
    n = state["writes"] - (m.get(WRITES_KEY) if isinstance(m.get(WRITES_KEY), int) else 0)
    return f"written by piiaudit since the manifest: {n} transaction{'s' if n != 1 else ''}"


def _check_counts(m: dict, state: dict, db: FileCheck) -> Check:
    counts = m.get("counts") or {}
    if db.status == "written":
        return Check("counts", "skipped", "session.db was written since the manifest counted its rows")
    if db.status != "ok":
        return Check("counts", "skipped", f"session.db {db.status}")
    wrong = [f"{t}: manifest {counts.get(t)}, session.db {state['counts'].get(t)}"
             for t in COUNTED if t in counts and counts.get(t) != state["counts"].get(t)]
    if wrong:
        return Check("counts", "mismatch", "; ".join(wrong))
    return Check("counts", "ok", ", ".join(f"{t} {state['counts'].get(t)}" for t in COUNTED if t in counts))


def _check_flows(session_dir: Path, state: dict, partial_runs: list) -> Check:
    path = session_dir / FLOWS_NAME
    rows, not_stored = state["saved_flows"], state["not_stored"]
    if not path.is_file():
        why = (f"{rows} live flow rows, saving flows.mitm was switched off" if rows
               else "the flows were replayed from another file")
        return Check(FLOWS_NAME, "skipped", f"no {FLOWS_NAME} in the session ({why})")
    counted = count_flows(path)
    cut = "" if counted.complete else f"; the file is cut short at byte {counted.stopped_at}"
    stored = f"session.db {rows} flow rows" + (f" and {not_stored} counted as not stored" if not_stored else "")
    text = f"{FLOWS_NAME} holds {counted.flows} flows, {stored}{cut}"
    if counted.flows == rows + not_stored and counted.complete:
        return Check(FLOWS_NAME, "ok", text)
    if partial_runs and counted.flows >= rows:
        return Check(FLOWS_NAME, "partial", f"{text}: the run that saved them did not end")
    return Check(FLOWS_NAME, "mismatch", text)


# -- guarding analyze and report ----------------------------------------------------------------
def guard(session_dir: Path | str, command: str, *, accept: bool = False) -> dict[str, Any] | None:
    """Raise IntegrityError if files changed outside piiaudit since the manifest, unless `accept`:
    then the acceptance is appended to the manifest and returned. None when nothing changed."""
    session_dir = Path(session_dir)
    db = session_dir / DB_NAME
    if not db.is_file() or damage(db) or not (session_dir / MANIFEST_NAME).exists():
        return None   # nothing to compare with; a damaged database is refused when it is opened
    exempt = set(ANALYSIS_INPUTS) | (set(OUTPUTS) if command == "report" else set())
    try:
        v = verify(session_dir, skip=exempt)   # an exempt file is not even read (scope.yaml may be a pipe)
    except (OSError, sqlite3.Error):
        return None
    changed = [f for f in v.files if f.status in CHANGED_OUTSIDE and f.name not in exempt
               and not (f.status == "missing" and f.name in OUTPUTS)]
    if not v.has_manifest and v.problem:   # there, but not a manifest any more
        changed.append(FileCheck(MANIFEST_NAME, "changed", v.problem))
    if not changed:
        return None
    names = ", ".join(f"{f.name} ({f.status})" for f in changed)
    if not accept:
        raise IntegrityError(
            f"{session_dir}: files changed outside piiaudit since manifest.json was written: {names}; "
            f"`piiaudit verify {session_dir}` shows how; to {command} this session anyway and record that you "
            f"accept the changes, pass --accept-changes")
    files = [{"name": f.name, "status": f.status, "recorded_sha256": f.recorded_sha256,
              "found_sha256": f.found_sha256} for f in changed]
    earlier = accepted(manifest_mod.read(session_dir))
    if earlier and earlier[-1].get("files") == files:   # the same changes, accepted a moment ago (report → analyze)
        return earlier[-1]
    record = {"at": time.time(), "by": _user(), "command": command, "files": files}
    manifest_mod.append(session_dir, "accepted_changes", record)
    return record


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown user"


def accepted(m: dict[str, Any]) -> list[dict[str, Any]]:
    """The acceptances a manifest records (oldest first); anything malformed is left out."""
    items = m.get("accepted_changes") if isinstance(m, dict) else None
    return [a for a in items if isinstance(a, dict)] if isinstance(items, list) else []


def accepted_lines(m: dict[str, Any], tz: Any = None) -> list[str]:
    """One visible line per acceptance: when, by whom, which files."""
    out = []
    for a in accepted(m):
        at = a.get("at")
        when = iso_one(at, tz) if isinstance(at, (int, float)) else "?"
        files = ", ".join(f"{f.get('name')} ({f.get('status')})" for f in a.get("files") or [] if isinstance(f, dict))
        out.append(f"{ACCEPTED} {when} ({a.get('by')}, piiaudit {a.get('command')} --accept-changes): {files} / "
                   f"录制后文件有改动，测试人员于 {when} 确认接受")
    return out


def summary(v: Verification) -> str:
    """`piiaudit verify`'s text: one line per file and check, then the verdict."""
    lines = [f.line() for f in v.files] + [c.line() for c in v.checks]
    lines += [runs.describe(r) for r in v.partial_runs]
    lines += accepted_lines(manifest_mod.read(v.session_dir)) if v.has_manifest else []
    return "\n".join([*lines, v.verdict_line()])


def to_json(v: Verification) -> str:
    return json.dumps(v.to_dict(), ensure_ascii=False, indent=2)
