"""The hostile-input and fault suite: each case runs the real commands on a hostile input and judges.

A case builds its input in a directory of its own (tests/support/hostile_inputs.py),
runs `piiaudit …` or `mitmdump -s addon/piiaudit_addon.py` as child processes the way a
user would, and judges what a user would see against what issue 10 asks for:

- the outcome of each command: a result (exit 0), one clear line (a non-zero exit whose
  error output is one `Error: …` line), a traceback, a hang (killed at the case's time
  limit), memory beyond the case's ceiling (killed), or a crash (ended by a signal);
- whether anything already recorded was lost: flows in flows.mitm or in the capture
  against rows in session.db, committed rows before a kill against rows after, the
  user's own files;
- the wall time and the peak memory of the child processes (the resident sets of the
  child and all its descendants added up, or the peak of the largest, polled every 0.1 s).

A case is clean when every command had an acceptable outcome, every check passed and
nothing was lost. `run_case` returns a Verdict; benchmarks/hostile.py prints the table,
tests/test_hostile.py runs the quick cases.

Live proxy cases run tests/support/hostile_live.py inside a network namespace of their
own when the machine allows it (only loopback exists there: a DNS query or a connection
beyond loopback fails and shows in mitmproxy's log); disk-full and read-only cases mount
a small tmpfs in a mount namespace of their own. Where that is not possible a case says
so in its notes and judges what it can.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from piiaudit.detect.limits import MAX_FILE_DECOMPRESSED_BYTES
from tests.support import hostile_inputs as gen
from tests.support.demo_device import PROFILE

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PIIAUDIT = str(BIN / "piiaudit")
MITMDUMP = str(BIN / "mitmdump")
DEMO_SCOPE = REPO / "piiaudit" / "data" / "demo" / "scope.yaml"
TRACEBACK = "Traceback (most recent call last)"
POLL_S = 0.1


# -- running one command -------------------------------------------------------------------

@dataclass
class Run:
    """One child process: how it ended, what it printed, what it cost."""

    label: str
    argv: list[str]
    rc: int | None = None
    signal: int | None = None
    seconds: float = 0.0
    started: float = 0.0           # time.monotonic() at the start
    peak_mb: float = 0.0
    out: str = ""
    err: str = ""
    hung: bool = False
    over_memory: bool = False
    killed_on_purpose: bool = False
    judged: bool = True            # False: a step that prepares the case, not judged by its outcome
    silent: bool = False           # exit 0 where it should have refused (set by the judge)

    @property
    def text(self) -> str:
        return self.out + self.err

    @property
    def traceback(self) -> bool:
        return TRACEBACK in self.text

    def error_lines(self) -> list[str]:
        """stderr lines, without click's usage hint."""
        return [line for line in self.err.splitlines()
                if line.strip() and not line.startswith(("Usage:", "Try '"))]

    @property
    def outcome(self) -> str:
        if self.hung:
            return "hang"
        if self.over_memory:
            return "memory"
        if self.killed_on_purpose:
            return "killed"
        if self.signal is not None:
            return "crash"
        if self.traceback:
            return "traceback"
        if self.rc == 0:
            return "silent" if self.silent else "result"
        # the replay's own problem lines ("piiaudit replay: …", also in the errors table) may come
        # before the one line that ends the command
        lines = [x for x in self.error_lines() if not x.startswith("piiaudit replay: ")]
        if lines and len(lines) <= 3 and lines[-1].startswith("Error:"):
            return "one line"
        return "unclear"   # a non-zero exit without one clear error line

    def summary(self) -> dict:
        return {"label": self.label, "outcome": self.outcome, "rc": self.rc, "seconds": round(self.seconds, 2),
                "peak_mb": round(self.peak_mb, 1), "last_line": self.last_line()}

    def last_line(self) -> str:
        for line in reversed((self.err or self.out).splitlines()):
            if line.strip():
                return line.strip()[:300]
        return ""


def _processes() -> dict[int, tuple[int, int, int]]:
    """pid -> (parent pid, process group, start time) of every process (Linux /proc)."""
    out = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    stat = fh.read()
                fields = stat[stat.rfind(b")") + 2:].split()
                out[int(entry.name)] = (int(fields[1]), int(fields[2]), int(fields[19]))
            except (OSError, ValueError, IndexError):
                continue
    return out


def _tree(root: int) -> dict[int, int]:
    """The child's process group and every descendant (mitmdump's helpers start sessions of
    their own): pid -> start time, so that a pid used again later is never mistaken for one."""
    procs = _processes()
    found = {pid for pid, (_, pgid, _) in procs.items() if pgid == root} | {root}
    grew = True
    while grew:
        more = {pid for pid, (ppid, _, _) in procs.items() if ppid in found and pid not in found}
        found |= more
        grew = bool(more)
    return {pid: procs[pid][2] for pid in found if pid in procs}


def _memory_kb(pids) -> int:
    """The larger of the resident sets of `pids` added up and the peak resident set (VmHWM)
    of the largest, which also covers a peak between two polls. (The maxrss that wait4
    reports is no use here: a child starts with the resident set of the process that forked it.)"""
    total = hwm = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"VmRSS:"):
                        total += int(line.split()[1])
                    elif line.startswith(b"VmHWM:"):
                        hwm = max(hwm, int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            continue
    return max(total, hwm)


def run(argv: Sequence[str], *, label: str, cwd: Path, timeout: float, memory_mb: float,
        kill_when: Callable[[], bool] | None = None, env: dict[str, str] | None = None) -> Run:
    """Run argv in a process group of its own, polling its memory (and `kill_when`) every
    POLL_S; kill it, its descendants and whatever carries its marker at `timeout`, above
    `memory_mb`, or when `kill_when()` turns true. Output goes to files in `cwd`."""
    r = Run(label, [str(a) for a in argv])
    token = uuid.uuid4().hex
    marker = f"PIIAUDIT_HOSTILE_RUN={token}".encode()
    out_path, err_path = cwd / f".{label}.out", cwd / f".{label}.err"
    started = r.started = time.monotonic()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(r.argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {}), "PIIAUDIT_HOSTILE_RUN": token},
                                start_new_session=True)
    peak_kb = 0
    tree: dict[int, int] = {}
    status = None
    next_poll = 0.0
    while True:
        pid, status = os.waitpid(proc.pid, os.WNOHANG)
        if pid:
            break
        now = time.monotonic()
        reason = None
        if now >= next_poll:
            tree = _tree(proc.pid)
            peak_kb = max(peak_kb, _memory_kb(tree))
            next_poll = now + POLL_S
            if peak_kb > memory_mb * 1024:
                reason = "over_memory"
            elif kill_when is not None and kill_when():
                reason = "killed_on_purpose"
        if now - started > timeout:
            reason = "hung"
        if reason:
            setattr(r, reason, True)
            _kill(_tree(proc.pid), proc.pid, marker)
            _, status = os.waitpid(proc.pid, 0)
            break
        time.sleep(0.02)
    r.seconds = time.monotonic() - started
    _kill(tree, proc.pid, marker)   # whatever the child left behind
    proc.returncode = os.waitstatus_to_exitcode(status)
    if os.WIFSIGNALED(status):
        r.signal = os.WTERMSIG(status)
    else:
        r.rc = os.WEXITSTATUS(status)
    r.peak_mb = peak_kb / 1024
    r.out = out_path.read_text("utf-8", "replace")
    r.err = err_path.read_text("utf-8", "replace")
    return r


def _marked(marker: bytes) -> set[int]:
    """Processes whose environment holds `marker`: a child's descendants, also those that left
    its tree (a JVM spawned through Frida, a daemonised helper)."""
    found = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/environ", "rb") as fh:
                    if marker in fh.read().split(b"\0"):
                        found.add(int(entry.name))
            except OSError:
                continue
    return found


def _kill(tree: dict[int, int], pgid: int, marker: bytes) -> None:
    """SIGKILL the child's process group, the processes seen in its tree that still run
    (same pid, same start time) and every process that inherited the run's marker."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    now = _processes()
    pids = {pid for pid, started in tree.items() if pid in now and now[pid][2] == started} | _marked(marker)
    for pid in pids - {os.getpid()}:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


_PROBES: dict[str, bool] = {}


def _can(what: str, argv: list[str]) -> bool:
    if what not in _PROBES:
        try:
            _PROBES[what] = subprocess.run(argv, capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _PROBES[what] = False
    return _PROBES[what]


def can_netns() -> bool:
    return _can("netns", ["unshare", "-n", "--", "sh", "-c", "ip link set lo up"])


def can_mount() -> bool:
    return _can("mount", ["unshare", "-m", "--propagation", "private", "--", "sh", "-c",
                          "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d && rmdir $d"])


NETNS = ["unshare", "-n", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]


# -- the verdict -----------------------------------------------------------------------------

SEVERITY = ["result", "one line", "killed", "silent", "unclear", "traceback", "crash", "memory", "hang"]


@dataclass
class Verdict:
    name: str
    item: str
    title: str
    outcome: str = "result"
    clean: bool = True
    lost: int = 0
    seconds: float = 0.0
    peak_mb: float = 0.0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("name", "item", "title", "outcome", "clean", "lost", "seconds",
                                               "peak_mb", "problems", "notes", "runs")}


class Work:
    """What a case does: its directory, its commands and its judgement."""

    def __init__(self, case: "Case", directory: Path, quick: bool, templates: "Templates") -> None:
        self.case = case
        self.dir = directory
        self.quick = quick
        self.templates = templates
        self.runs: list[Run] = []
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.lost = 0

    # commands
    def cmd(self, argv: Sequence[str], *, label: str | None = None, timeout: float | None = None,
            memory_mb: float | None = None, judged: bool = True, **kw) -> Run:
        label = label or f"{len(self.runs) + 1}-{Path(str(argv[0])).name}"
        label = re.sub(r"[^\w.-]+", "_", label)
        r = run(argv, label=label, cwd=self.dir, timeout=timeout or self.case.timeout,
                memory_mb=memory_mb or self.case.memory_mb, **kw)
        r.judged = judged
        self.runs.append(r)
        return r

    def piiaudit(self, *args, **kw) -> Run:
        return self.cmd([PIIAUDIT, *map(str, args)], label=kw.pop("label", f"{len(self.runs) + 1}-{args[0]}"), **kw)

    # judgement
    def problem(self, text: str) -> None:
        self.problems.append(text)

    def check(self, ok: bool, text: str) -> bool:
        if not ok:
            self.problem(text)
        return ok

    def note(self, text: str) -> None:
        self.notes.append(text)

    def lose(self, n: int, what: str) -> None:
        if n > 0:
            self.lost += n
            self.problem(f"lost {n} {what}")

    def _say(self, r: Run) -> str:
        if r.hung:
            return f"`{r.label}`: killed after {r.seconds:.0f} s (the case's time limit)"
        if r.over_memory:
            return f"`{r.label}`: killed at {r.peak_mb:.0f} MB (the case's memory ceiling)"
        ended = f"exit {r.rc}" if r.signal is None else f"signal {r.signal}"
        return f"`{r.label}`: {r.outcome} ({ended}): {r.last_line()!r}"

    def expect_result(self, r: Run, what: str = "") -> bool:
        return self.check(r.outcome == "result", f"{what or r.label} should give its result; got {self._say(r)}")

    def expect_one_line(self, r: Run, what: str = "", mention: str | Sequence[str] | None = None) -> bool:
        if r.outcome != "one line":
            r.silent = r.outcome == "result"
            why = "exit 0 with nothing said (silent)" if r.silent else self._say(r)
            self.problem(f"{what or r.label} should refuse with one clear line; got {why}")
            return False
        return self.expect_mention(r.error_lines()[-1], mention, what or r.label)

    def expect_mention(self, text: str, mention: str | Sequence[str] | None, what: str) -> bool:
        if mention is None:
            return True
        words = [mention] if isinstance(mention, str) else list(mention)
        return self.check(any(w.lower() in text.lower() for w in words),
                          f"{what}: the message should name {' or '.join(map(repr, words))}: {text.strip()[:200]!r}")

    def expect_said(self, r: Run, what: str) -> bool:
        """Exit 0 is fine when the problem is said: no '0 errors' in its summary."""
        if r.outcome == "one line":
            return True
        if not self.expect_result(r, what):
            return False
        r.silent = bool(re.search(r"\b0 errors\b", r.text))
        return self.check(not r.silent, f"{what}: says '0 errors' although something was wrong ({r.last_line()!r})")

    def verdict(self) -> Verdict:
        judged = [r for r in self.runs if r.judged]
        outcome = max((r.outcome for r in judged), key=SEVERITY.index, default="result")
        if outcome == "killed":
            outcome = "result"
        bad = [r for r in self.runs if r.outcome in ("hang", "memory", "crash")]
        for r in bad:
            if not any(r.label in p for p in self.problems):
                self.problem(self._say(r))
        return Verdict(
            self.case.name, self.case.item, self.case.title, outcome, not self.problems and self.lost == 0,
            self.lost, round(busy_seconds(self.runs), 2),
            round(max((r.peak_mb for r in self.runs), default=0.0), 1),
            self.problems, self.notes, [r.summary() for r in self.runs])


def busy_seconds(runs: Sequence[Run]) -> float:
    """Wall time during which at least one of the runs was running (runs at once count once)."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted((r.started, r.started + r.seconds) for r in runs):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


# -- reading sessions back -----------------------------------------------------------------

def db_count(db: Path, table: str, where: str = "") -> int | None:
    """Rows of a table, read-only; None if the database or table cannot be read."""
    if not db.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(f"SELECT count(*) FROM {table} {where}").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def db_rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def integrity(db: Path) -> str:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as e:
        return str(e)


def mitm_flow_ids(path: Path) -> list[str]:
    from piiaudit.flowread import read_flows

    return [f.id for f in read_flows(path).flows] if path.exists() else []


def output_texts(session: Path) -> dict[str, str]:
    """The text of each output a user reads: every cell of the workbook, the page, findings.json."""
    out = {}
    xlsx = session / "evidence.xlsx"
    if xlsx.exists():
        import openpyxl

        try:
            wb = openpyxl.load_workbook(xlsx, read_only=True)
            out["evidence.xlsx"] = "\n".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True)
                                             for v in row if v is not None)
            wb.close()
        except Exception as e:  # noqa: BLE001 - a broken workbook is what the judge reports
            out["evidence.xlsx"] = f"<unreadable: {type(e).__name__}: {e}>"
    for name in ("report.html", "findings.json"):
        if (session / name).exists():
            out[name] = (session / name).read_text("utf-8", "replace")
    return out


def says_partial(w: Work, session: Path, analyze: Run) -> None:
    """A partial session says so in the analysis summary and in every output."""
    w.check("partial" in analyze.out.lower(), "`analyze` does not say the session is partial")
    texts = output_texts(session)
    for name in ("evidence.xlsx", "report.html", "findings.json"):
        w.check("partial" in texts.get(name, "").lower(), f"{name} does not say the session is partial")


# -- shared inputs, built once per run -----------------------------------------------------

class Templates:
    """Inputs several cases start from, each built once and copied by the cases."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seconds = 0.0
        self.notes: list[str] = []
        self._made: dict[str, Path] = {}
        self._lock = threading.Lock()

    def _once(self, key: str, make: Callable[[Path], None]) -> Path:
        with self._lock:
            if key not in self._made:
                started = time.monotonic()
                path = self.root / key
                path.mkdir(parents=True)
                make(path)
                self._made[key] = path
                self.seconds += time.monotonic() - started
            return self._made[key]

    def recorded(self) -> Path:
        """A recorded session, analysed: the demo scenario as the proxy addon and the hooks
        runner write it (tests/support/samples.py: session.db, flows.mitm, manifest.json),
        then `piiaudit analyze` with the demo scope (findings stored, manifest updated)."""
        def make(work: Path) -> None:
            from tests.support.samples import write_standin_scenario

            write_standin_scenario(work / "session")
            done = subprocess.run([PIIAUDIT, "analyze", str(work / "session"), "--scope", str(DEMO_SCOPE)],
                                  capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                raise RuntimeError(f"template: piiaudit analyze failed: {done.stderr[-500:]}")
        return self._once("recorded", make) / "session"

    def capture(self, n: int, pad: int = 0) -> Path:
        """A .mitm capture of n control flows, each carrying the IMEI."""
        return self._once(f"capture-{n}-{pad}", lambda d: gen.write_flows(d / "many.mitm", gen.many_flows(n, pad=pad))) \
            / "many.mitm"

    def copy_recorded(self, dest: Path) -> Path:
        shutil.copytree(self.recorded(), dest)
        return dest


# -- the cases -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    name: str
    item: str                      # the item number, or "ok" for what held up already
    title: str
    body: Callable[[Work], None]
    quick: bool = False
    timeout: float = 120.0         # per command
    memory_mb: float = 3000.0      # per command: above this it is killed and judged "memory"


CASES: list[Case] = []
# The CI-sized subset (tests/test_hostile.py, `--quick`): one cheap case for most items and
# two of what held up already; the live proxy, the demo, kills and bombs are the benchmark's.
QUICK = {"utf8-replay", "clean-session-report", "replay-foreign-dir", "profile-misspelled-key",
         "profile-billion-laughs", "consent-at-nan", "websocket-replay", "zeroed-db", "edited-db", "tnet-deep",
         "db-is-directory", "masking", "truncated-mitm", "injection"}


def case(name: str, item: str, title: str, *, timeout: float = 120.0, memory_mb: float = 3000.0) -> Callable:
    def register(fn: Callable[[Work], None]) -> Callable[[Work], None]:
        CASES.append(Case(name, item, title, fn, name in QUICK, timeout, memory_mb))
        return fn
    return register


def replay(w: Work, capture: Path, session: Path, *args, **kw) -> Run:
    return w.piiaudit("replay", capture, "--session", session, *args, **kw)


def stored_with_imei(db: Path) -> tuple[int, int]:
    """(flows rows, flows rows with an IMEI hit)."""
    flows = db_count(db, "flows") or 0
    with_imei = db_count(db, "flows", "WHERE id IN (SELECT flow_id FROM pii_hits WHERE pii_type = 'imei')") or 0
    return flows, with_imei


# item 1 ---------------------------------------------------------------------------------------

@case("utf8-replay", "1", "invalid UTF-8 in path, query key, header: replayed")
def _utf8_replay(w: Work) -> None:
    flows = gen.utf8_flows()
    gen.write_flows(w.dir / "utf8.mitm", flows.values())
    r = replay(w, w.dir / "utf8.mitm", w.dir / "s", "--profile", PROFILE)
    w.expect_result(r, "replay")
    stored, with_imei = stored_with_imei(w.dir / "s" / "session.db")
    w.lose(len(flows) - stored, f"of {len(flows)} flows (no row in session.db)")
    w.check(with_imei == len(flows), f"{with_imei} of {len(flows)} flows have their IMEI hit")
    if stored < len(flows):
        w.check(not re.search(r"\b0 errors\b", r.out), "replay says '0 errors' although flows were not stored")
    if not w.quick:
        w.expect_result(w.piiaudit("report", w.dir / "s"), "report")


@case("utf8-live", "1", "invalid UTF-8 header through the proxy: flows.mitm vs rows")
def _utf8_live(w: Work) -> None:
    obs = live(w, "utf8")
    if obs is None:
        return
    session = w.dir / "session"
    in_file = mitm_flow_ids(session / "flows.mitm")
    stored, with_imei = stored_with_imei(session / "session.db")
    w.lose(len(in_file) - stored, f"of {len(in_file)} flows in flows.mitm (no row in session.db)")
    w.check(with_imei == len(in_file), f"{with_imei} of {len(in_file)} recorded flows have their IMEI hit")
    refused = [n for n, a in obs["answers"].items() if a.get("status") == 400]
    if refused:
        w.note(f"mitmproxy's HTTP/1 parser answers 400 to {', '.join(refused)} (no flow exists to record)")


# item 2 ---------------------------------------------------------------------------------------

@case("clean-session-report", "2", "report on a session without PII")
def _clean_report(w: Work) -> None:
    gen.write_flows(w.dir / "clean.mitm", [gen.clean_flow()])
    replay(w, w.dir / "clean.mitm", w.dir / "s", "--profile", PROFILE, judged=False)
    rep = w.piiaudit("report", w.dir / "s")
    if not w.expect_result(rep, "report"):
        return
    texts = output_texts(w.dir / "s")
    for name in ("evidence.xlsx", "report.html"):
        w.check("no findings" in texts.get(name, "").lower(), f"{name} does not say 'no findings'")
    try:
        data = json.loads(texts.get("findings.json", ""))
        w.check(data == [] or "no findings" in texts["findings.json"].lower(),
                "findings.json does not say there are no findings")
    except ValueError:
        w.problem("findings.json is not JSON")


# item 3 ---------------------------------------------------------------------------------------

USER_FILES = {"thesis.docx": b"PK\x03\x04 my thesis", "notes.txt": b"do not delete", "photos/1.jpg": b"\xff\xd8\xff"}


def user_dir(path: Path, *, session_db: bool) -> None:
    path.mkdir(parents=True, exist_ok=True)
    for name, data in USER_FILES.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    if session_db:
        sqlite3.connect(path / "session.db").close()   # an empty SQLite file: not a piiaudit session


def user_files_lost(path: Path) -> int:
    return sum(1 for name, data in USER_FILES.items()
               if not (path / name).is_file() or (path / name).read_bytes() != data)


@case("demo-force-foreign", "3", "demo --force on a directory that merely holds a session.db", timeout=200)
def _demo_force(w: Work) -> None:
    user_dir(w.dir / "mine", session_db=True)
    r = w.piiaudit("demo", "--out", w.dir / "mine", "--force", timeout=200)
    w.check(r.outcome in ("result", "one line"), f"demo: {w._say(r)}")
    w.lose(user_files_lost(w.dir / "mine"), f"of the user's {len(USER_FILES)} files (deleted)")


@case("replay-foreign-dir", "3", "replay --session into a non-empty directory that is not a session")
def _replay_foreign(w: Work) -> None:
    user_dir(w.dir / "mine", session_db=False)
    gen.write_flows(w.dir / "c.mitm", gen.many_flows(2))
    r = replay(w, w.dir / "c.mitm", w.dir / "mine")
    w.expect_one_line(r, "replay into the user's directory", mention="mine")
    w.check(not (w.dir / "mine" / "session.db").exists(), "a session.db was written into the user's directory")
    w.lose(user_files_lost(w.dir / "mine"), "of the user's files")


# item 4 ---------------------------------------------------------------------------------------

def _profile_case(w: Work, data: bytes) -> None:
    (w.dir / "bad.yaml").write_bytes(data)
    gen.write_flows(w.dir / "c.mitm", gen.many_flows(2))
    r = replay(w, w.dir / "c.mitm", w.dir / "s", "--profile", w.dir / "bad.yaml")
    w.expect_one_line(r, "replay with this profile", mention="bad.yaml")


@case("profile-not-utf8", "4", "a profile that is not UTF-8")
def _profile_latin1(w: Work) -> None:
    _profile_case(w, gen.profile_not_utf8())


@case("profile-device-string", "4", 'a profile with device: "a string"')
def _profile_device(w: Work) -> None:
    _profile_case(w, gen.profile_device_string())


@case("profile-misspelled-key", "4", "a profile with `value:` for `values:`")
def _profile_key(w: Work) -> None:
    _profile_case(w, gen.profile_misspelled())


@case("profile-billion-laughs", "4", "a billion-laughs profile", timeout=60, memory_mb=1500)
def _profile_laughs(w: Work) -> None:
    _profile_case(w, gen.billion_laughs())
    r = w.runs[-1]
    w.check(r.seconds < 20 and r.peak_mb < 1000, f"refusing the bomb took {r.seconds:.1f} s, {r.peak_mb:.0f} MB")


@case("profile-under-mitmdump", "4", "a bad profile under mitmdump -s")
def _profile_mitmdump(w: Work) -> None:
    (w.dir / "bad.yaml").write_bytes(gen.profile_device_string())
    gen.write_flows(w.dir / "c.mitm", gen.many_flows(2))
    r = w.cmd([MITMDUMP, "-n", "-r", w.dir / "c.mitm", "-s", REPO / "addon" / "piiaudit_addon.py",
               "--set", f"piiaudit_session={w.dir / 's'}", "--set", f"piiaudit_profile={w.dir / 'bad.yaml'}"],
              label="mitmdump")
    w.check(not r.traceback, "mitmdump prints a traceback for the bad profile")
    w.check(r.rc not in (0, None) or "bad.yaml" in r.text, "mitmdump goes on silently with the bad profile")
    w.check("bad.yaml" in r.text, "mitmdump's output does not name bad.yaml")


# item 5 ---------------------------------------------------------------------------------------

def _consent_case(w: Work, value: str) -> None:
    session = w.templates.copy_recorded(w.dir / "s")
    db = session / "session.db"
    before = db_rows(db, "SELECT rule_id, pii_type, sdk, host FROM findings ORDER BY id")
    r = w.piiaudit("analyze", session, "--consent-at", value)
    w.expect_one_line(r, f"--consent-at {value}", mention=["consent", value])
    after = db_rows(db, "SELECT rule_id, pii_type, sdk, host FROM findings ORDER BY id")
    w.check(after == before, f"the stored findings changed ({len(before)} -> {len(after)})")


@case("consent-at-nan", "5", "analyze --consent-at nan")
def _consent_nan(w: Work) -> None:
    _consent_case(w, "nan")


@case("consent-at-inf", "5", "analyze --consent-at inf")
def _consent_inf(w: Work) -> None:
    _consent_case(w, "inf")


@case("consent-at-1e300", "5", "analyze --consent-at 1e300")
def _consent_big(w: Work) -> None:
    _consent_case(w, "1e300")


@case("mark-consent-inf", "5", "mark consent --at inf")
def _mark_inf(w: Work) -> None:
    session = w.templates.copy_recorded(w.dir / "s")
    before = db_count(session / "session.db", "consent_marks")
    r = w.piiaudit("mark", "consent", "--session", session, "--at", "inf")
    w.expect_one_line(r, "mark consent --at inf", mention="inf")
    after = db_count(session / "session.db", "consent_marks")
    w.check(after == before, f"a mark was written ({before} -> {after} consent marks)")


# item 6 ---------------------------------------------------------------------------------------

EXCEPTION = re.compile(r"\b(\w+(Error|Exception)): ")


def _ws_judge(w: Work, db: Path, expected: int, output: str, summary: str | None) -> None:
    stored, _ = stored_with_imei(db)
    w.lose(expected - stored, f"of {expected} flows")
    ws_hits = db_count(db, "pii_hits", "WHERE location LIKE 'ws:%'") or 0
    w.check(ws_hits > 0, "the IMEI in the WebSocket message was not found")
    w.check(TRACEBACK not in output, "a traceback on the console")
    raised = sorted({m.group(1) for m in EXCEPTION.finditer(output)})
    if raised:
        errors = db_count(db, "errors") or 0
        w.check(errors > 0, f"{', '.join(raised)} printed but not counted in the errors table")
        if summary is not None:
            w.check(not re.search(r"\b0 errors\b", summary), f"{', '.join(raised)} printed, yet the summary says '0 errors'")


@case("websocket-replay", "6", "a WebSocket flow replayed through the detection")
def _ws_replay(w: Work) -> None:
    gen.write_flows(w.dir / "ws.mitm", [gen.websocket_flow(), gen.imei_flow(1)])
    r = replay(w, w.dir / "ws.mitm", w.dir / "s", "--profile", PROFILE)
    w.expect_result(r, "replay")
    _ws_judge(w, w.dir / "s" / "session.db", 2, r.text, r.out)


@case("websocket-live", "6", "a WebSocket conversation through the proxy, detection process on")
def _ws_live(w: Work) -> None:
    obs = live(w, "websocket")
    if obs is None:
        return
    w.check(bool(obs["conversation"].get("echo")), f"the WebSocket client got no echo: {obs['conversation']}")
    w.check(obs["after_status"] == 200, f"the request after the WebSocket got {obs['after_status']}")
    in_file = mitm_flow_ids(w.dir / "session" / "flows.mitm")
    w.check(len(in_file) == 2, f"{len(in_file)} flows in flows.mitm, 2 sent")
    output = "\n".join(obs["output"]) + w.runs[-1].text
    w.check("detecting in the proxy's thread" not in output, "the detection process died (detection fell back "
            "to the proxy's thread)")
    _ws_judge(w, w.dir / "session" / "session.db", len(in_file), output, None)


# items 7 and 8 ----------------------------------------------------------------------------

@case("zeroed-db", "7", "session.db cut to 0 bytes (and zero-filled) beside its flows.mitm: analyze, report")
def _zeroed(w: Work) -> None:
    variants = {"0 bytes": lambda db: db.write_bytes(b""), "zero-filled": gen.zero_file}
    for name, damage in list(variants.items())[: 1 if w.quick else 2]:
        session = w.templates.copy_recorded(w.dir / name.replace(" ", "-"))
        manifest = (session / "manifest.json").read_bytes()
        flows = (session / "flows.mitm").read_bytes()
        for p in session.glob("session.db-*"):
            p.unlink()
        damage(session / "session.db")
        for cmd in ("analyze", "report"):
            r = w.piiaudit(cmd, session, label=f"{cmd}-{name}")
            w.expect_one_line(r, f"{cmd} ({name})", mention="session.db")
        w.check((session / "manifest.json").read_bytes() == manifest, f"manifest.json was rewritten ({name})")
        w.lose(0 if (session / "flows.mitm").read_bytes() == flows else 1, f"flows.mitm (changed, {name})")


@case("edited-db", "8", "session.db edited (IMEI hits deleted): analyze, report, verify")
def _edited(w: Work) -> None:
    session = w.templates.copy_recorded(w.dir / "s")
    conn = sqlite3.connect(session / "session.db")
    with conn:
        deleted = conn.execute("DELETE FROM pii_hits WHERE pii_type = 'imei'").rowcount
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    w.note(f"deleted {deleted} IMEI hits with sqlite3")
    from piiaudit.manifest import file_sha256

    edited_sha = file_sha256(session / "session.db")
    for cmd in ("analyze",) if w.quick else ("analyze", "report"):
        r = w.piiaudit(cmd, session)
        w.expect_one_line(r, f"{cmd} of an edited session", mention=["session.db", "changed", "manifest"])
    vouched = json.loads((session / "manifest.json").read_text("utf-8")).get("artifacts", {}).get("session.db", {})
    w.check(vouched.get("sha256") != edited_sha, "manifest.json now vouches for the edited session.db")
    v = w.piiaudit("verify", session)
    # verify is a report, a line per artifact and a verdict: a mismatch exits 1 and names the file
    w.check(v.outcome in ("one line", "unclear") and v.rc == 1 and not v.traceback
            and re.search(r"session\.db\b.*(changed|mismatch)|(changed|mismatch).*session\.db", v.text, re.I | re.S)
            is not None, f"verify should exit 1 naming session.db as changed; got {w._say(v)}")
    acc = w.piiaudit("analyze", session, "--accept-changes")
    if w.expect_result(acc, "analyze --accept-changes"):
        text = (session / "manifest.json").read_text("utf-8")
        w.check("accept" in text.lower(), "the manifest does not record that changes were accepted")


# item 9 ---------------------------------------------------------------------------------------

@case("zhar-bomb", "9", ".zhar that inflates a thousandfold (1 MB -> 1 GB)", timeout=180, memory_mb=3000)
def _zhar(w: Work) -> None:
    (w.dir / "bomb.zhar").write_bytes(gen.zhar_bomb(256 if w.quick else 1024))
    r = replay(w, w.dir / "bomb.zhar", w.dir / "s", "--profile", PROFILE)
    w.check(r.outcome in ("result", "one line"), f"replay: {w._say(r)}")
    # bounded by the cap, not by the bomb: the capped text is held as bytes, then as str while
    # the JSON is read (about 2.5 times the cap at the peak); a 4 GB bomb peaks the same
    cap_mb = MAX_FILE_DECOMPRESSED_BYTES / (1 << 20)
    w.check(r.peak_mb < 3 * cap_mb, f"peak memory {r.peak_mb:.0f} MB, over 3 x the {cap_mb:.0f} MB "
            "decompression cap: the decompression is not capped")
    if r.outcome == "result":
        stored, _ = stored_with_imei(w.dir / "s" / "session.db")
        w.lose(1 - stored, "valid HAR entry before the bomb")


# item 10 --------------------------------------------------------------------------------------

def _flowfile_case(w: Work, tail: bytes, good: int = 2) -> None:
    gen.flow_file_with(w.dir / "bomb.mitm", tail, good)
    r = replay(w, w.dir / "bomb.mitm", w.dir / "s", "--profile", PROFILE)
    if r.outcome == "one line":
        w.expect_mention(r.error_lines()[-1], "bomb.mitm", "replay")
    else:
        w.expect_said(r, "replay")
    stored, _ = stored_with_imei(w.dir / "s" / "session.db")
    w.lose(good - stored, f"of the {good} complete flows before the damage")


@case("tnet-deep", "10", "tnetstring nested 100,000 deep after 2 flows")
def _tnet_deep(w: Work) -> None:
    _flowfile_case(w, gen.tnet_deep(100_000))


@case("tnet-huge-length", "10", "tnetstring announcing 10^12 bytes after 2 flows")
def _tnet_len(w: Work) -> None:
    _flowfile_case(w, gen.tnet_huge_length())


@case("tnet-wide", "10", "tnetstring dictionary 1,000,000 fields wide after 2 flows")
def _tnet_wide(w: Work) -> None:
    _flowfile_case(w, gen.tnet_wide(200_000 if w.quick else 1_000_000))


@case("tnet-not-a-flow", "10", "a valid tnetstring that is not a flow, after 2 flows")
def _tnet_other(w: Work) -> None:
    _flowfile_case(w, gen.tnet_not_a_flow())


@case("har-deep", "10", "HAR nested 200,000 deep after 2 entries")
def _har_deep(w: Work) -> None:
    (w.dir / "deep.har").write_bytes(gen.har_deep(200_000))
    r = replay(w, w.dir / "deep.har", w.dir / "s", "--profile", PROFILE)
    if r.outcome == "one line":
        w.expect_mention(r.error_lines()[-1], "deep.har", "replay")
    else:
        w.expect_said(r, "replay")
        stored, _ = stored_with_imei(w.dir / "s" / "session.db")
        w.lose(2 - stored, "of the 2 valid entries")


def _broken_session(w: Work, session: Path, what: str, mention: str | Sequence[str] = "session.db",
                    commands: Sequence[str] = ("analyze", "report")) -> None:
    for cmd in commands:
        r = w.piiaudit(cmd, session)
        w.expect_one_line(r, f"{cmd} on {what}", mention=mention)


@case("db-damaged-pages", "10", "session.db with damaged pages: analyze, report")
def _damaged(w: Work) -> None:
    session = w.templates.copy_recorded(w.dir / "s")
    for p in session.glob("session.db-*"):
        p.unlink()
    w.note(f"{gen.damage_pages(session / 'session.db')} pages overwritten")
    _broken_session(w, session, "damaged pages")


@case("db-foreign-schema", "10", "a session.db of another program: analyze, report, replay")
def _foreign(w: Work) -> None:
    session = w.dir / "s"
    session.mkdir()
    gen.foreign_db(session / "session.db")
    before = (session / "session.db").read_bytes()
    _broken_session(w, session, "a foreign database")
    gen.write_flows(w.dir / "c.mitm", gen.many_flows(2))
    r = replay(w, w.dir / "c.mitm", session)
    w.expect_one_line(r, "replay into a foreign database", mention="session.db")
    w.lose(0 if (session / "session.db").read_bytes() == before else 1, "foreign database (modified)")


@case("db-is-directory", "10", "a directory where session.db should be")
def _db_dir(w: Work) -> None:
    session = w.dir / "s"
    (session / "session.db").mkdir(parents=True)
    _broken_session(w, session, "a directory session.db", commands=("analyze",) if w.quick else ("analyze", "report"))
    gen.write_flows(w.dir / "c.mitm", gen.many_flows(2))
    r = replay(w, w.dir / "c.mitm", session)
    w.expect_one_line(r, "replay", mention="session.db")


@case("report-broken-scope", "10", "report before analyze, a broken scope.yaml beside it")
def _broken_scope(w: Work) -> None:
    gen.write_flows(w.dir / "c.mitm", gen.many_flows(2))
    replay(w, w.dir / "c.mitm", w.dir / "s", "--profile", PROFILE, judged=False)
    (w.dir / "s" / "scope.yaml").write_text("app: [\n", "utf-8")
    r = w.piiaudit("report", w.dir / "s")
    w.expect_one_line(r, "report", mention="scope.yaml")


@case("readonly-mount", "10", "a new session directory on a read-only file system (ro mount)")
def _ro_mount(w: Work) -> None:
    if not can_mount():
        w.note("cannot mount here (no mount namespace): skipped, judged on readonly-chmod only")
        return
    gen.write_flows(w.dir / "c.mitm", gen.many_flows(2))
    ro = w.dir / "ro"
    ro.mkdir()
    r = w.cmd(["unshare", "-m", "--propagation", "private", "--", "sh", "-c",
               'mount -t tmpfs -o ro,size=64k tmpfs "$0" && exec "$@"', ro,
               PIIAUDIT, "replay", w.dir / "c.mitm", "--session", ro / "new"], label="replay-ro")
    w.expect_one_line(r, "replay onto a read-only file system", mention=["read-only", "new"])


@case("readonly-chmod", "10", "a new session directory under a directory without write permission")
def _ro_chmod(w: Work) -> None:
    gen.write_flows(w.dir / "c.mitm", gen.many_flows(2))
    locked = w.dir / "locked"
    locked.mkdir()
    prefix: list = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            w.note("running as root, which writes through chmod: moot here")
            return
        w.note("running as root (writes through chmod): the command runs as uid 65534 via setpriv")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    opened = _traversable(w.dir) if prefix else {}
    (w.dir / "c.mitm").chmod(0o644)
    locked.chmod(0o555)
    try:
        r = w.cmd([*prefix, PIIAUDIT, "replay", w.dir / "c.mitm", "--session", locked / "new"], label="replay-locked")
    finally:
        locked.chmod(0o755)
        for p, mode in opened.items():
            p.chmod(mode)
    w.expect_one_line(r, "replay into a directory without write permission", mention=["permission", "new"])


def _traversable(directory: Path) -> dict[Path, int]:
    """Let another user reach `directory` (o+x on it and its ancestors); the modes changed, to restore."""
    changed = {}
    for p in [directory, *directory.parents]:
        mode = p.stat().st_mode & 0o7777
        if not mode & 0o001:
            changed[p] = mode
            p.chmod(mode | 0o001)
    return changed


@case("two-reports", "10", "`report` runs at once on one session (3 at a time, up to 3 rounds)")
def _two_reports(w: Work) -> None:
    session = w.templates.copy_recorded(w.dir / "s")
    for round_ in range(1, 4):
        results: list[Run] = []
        threads = [threading.Thread(target=lambda i=i: results.append(
            w.piiaudit("report", session, label=f"report-{round_}.{i}"))) for i in (1, 2, 3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        failed = [r for r in results if not (r.outcome == "result" or (
            r.outcome == "one line" and re.search(r"busy|running|lock", r.err, re.I)))]
        for r in failed:
            w.problem(w._say(r))
        if failed:
            break
    w.note(f"{round_} round(s) of 3 reports at once")
    texts = output_texts(session)
    w.check("unreadable" not in texts.get("evidence.xlsx", "unreadable"), "evidence.xlsx is not readable afterwards")
    try:
        json.loads(texts.get("findings.json", ""))
    except ValueError:
        w.problem("findings.json is not JSON afterwards")
    left = [p.name for p in session.iterdir() if p.name.endswith(".tmp")]
    w.check(not left, f"temporary files left: {left}")


# item 11 --------------------------------------------------------------------------------------

@case("disk-full", "11", "replay onto a full disk (a 384 KB tmpfs)")
def _disk_full(w: Work) -> None:
    if not can_mount():
        w.note("cannot mount a small tmpfs here: case skipped (RLIMIT_FSIZE would give EFBIG, not a full disk)")
        return
    capture = w.templates.capture(3000)
    disk, copy = w.dir / "disk", w.dir / "after"
    disk.mkdir()
    copy.mkdir()
    script = ('mount -t tmpfs -o size=384k tmpfs "$0" && { "$@"; rc=$?; cp -a "$0"/. "$COPY"/ 2>/dev/null; '
              'exit $rc; }')
    r = w.cmd(["unshare", "-m", "--propagation", "private", "--", "sh", "-c", script, disk,
               PIIAUDIT, "replay", capture, "--session", disk / "s", "--profile", PROFILE],
              label="replay-full-disk", env={"COPY": str(copy)})
    w.note("the disk is a 384 KB tmpfs in a private mount namespace")
    w.check(r.outcome in ("one line", "result"), f"replay: {w._say(r)}")
    named = re.search(r"disk (is )?full|no space|database or disk is full", r.text, re.I) is not None
    w.check(named, f"the full disk is not named: {r.last_line()!r}")
    w.check("cannot rollback" not in r.text, "says 'cannot rollback' instead of disk full")
    db = copy / "s" / "session.db"
    stored = db_count(db, "flows") or 0
    w.note(f"{stored} of 3000 flows stored before the disk was full")
    if not named:
        w.lose(3000 - stored, "flows neither stored nor said to be missing")
    if db.exists():
        w.check(integrity(db) == "ok", f"session.db integrity: {integrity(db)}")
        a = w.piiaudit("analyze", copy / "s")
        if w.expect_result(a, "analyze of what fit on the disk"):
            w.piiaudit("report", copy / "s", judged=False)
            says_partial(w, copy / "s", a)


# item 12 and kills ----------------------------------------------------------------------------

@case("killed-replay", "12", "replay killed with SIGKILL mid-run: analyze and report")
def _killed_replay(w: Work) -> None:
    n = 20_000 if not w.quick else 8_000
    capture = w.templates.capture(n)
    db = w.dir / "s" / "session.db"
    seen = [0]

    def enough() -> bool:
        seen[0] = db_count(db, "flows") or 0
        return seen[0] >= 300

    r = replay(w, capture, w.dir / "s", "--profile", PROFILE, kill_when=enough, judged=False)
    if not r.killed_on_purpose:
        w.note(f"the replay ended before the kill ({r.outcome}); nothing to judge")
        return
    w.check(integrity(db) == "ok", f"integrity after the kill: {integrity(db)}")
    after = db_count(db, "flows") or 0
    w.lose(seen[0] - after, "committed flow rows")
    w.note(f"killed after {seen[0]} of {n} flows committed")
    a = w.piiaudit("analyze", w.dir / "s")
    if w.expect_result(a, "analyze"):
        rep = w.piiaudit("report", w.dir / "s")
        if w.expect_result(rep, "report"):
            says_partial(w, w.dir / "s", a)


@case("killed-proxy", "12", "mitmdump killed with SIGKILL under traffic: rows vs flows.mitm, then analyze")
def _killed_proxy(w: Work) -> None:
    obs = live(w, "killproxy")
    if obs is None:
        return
    session = w.dir / "session"
    db = session / "session.db"
    w.check(integrity(db) == "ok", f"integrity after the kill: {integrity(db)}")
    rows = {r[0] for r in db_rows(db, "SELECT id FROM flows")}
    w.lose(obs["committed_before_kill"] - len(rows), "committed flow rows")
    in_file = set(mitm_flow_ids(session / "flows.mitm"))
    w.lose(len(rows - in_file), "flows that have a row but are missing from flows.mitm")
    w.note(f"{obs['sent']} requests answered, {obs['committed_before_kill']} committed before the kill, "
           f"{len(rows)} rows, {len(in_file)} flows in flows.mitm ({len(in_file - rows)} without a row: the "
           "uncommitted batch, which a replay of flows.mitm restores)")
    a = w.piiaudit("analyze", session)
    if w.expect_result(a, "analyze"):
        rep = w.piiaudit("report", session)
        if w.expect_result(rep, "report"):
            says_partial(w, session, a)


@case("killed-hooks", "12", "`piiaudit demo` (proxy + hooks runner) killed with SIGKILL mid-run", timeout=200)
def _killed_hooks(w: Work) -> None:
    out = w.dir / "demo"
    db = out / "session.db"
    seen = [0]

    def enough() -> bool:
        seen[0] = db_count(db, "events", "WHERE kind = 'pii_read'") or 0
        return seen[0] >= 5

    r = w.piiaudit("demo", "--out", out, kill_when=enough, judged=False, timeout=200)
    # The stand-in JVM, spawned through Frida, carries the run's marker: run() killed it too.
    if not r.killed_on_purpose:
        w.note(f"the demo ended before the kill ({r.outcome}); nothing to judge")
        return
    w.check(integrity(db) == "ok", f"integrity after the kill: {integrity(db)}")
    after = db_count(db, "events", "WHERE kind = 'pii_read'") or 0
    w.lose(seen[0] - after, "committed hook events")
    w.note(f"killed after {seen[0]} reads committed")
    a = w.piiaudit("analyze", out)
    if w.expect_result(a, "analyze"):
        rep = w.piiaudit("report", out)
        if w.expect_result(rep, "report"):
            says_partial(w, out, a)


# item 13 --------------------------------------------------------------------------------------

RESOLVING = re.compile(r"name resolution|Name or service not known|getaddrinfo|No address associated|"
                       r"server connect (?!127\.|\[?::1|localhost)", re.I)


def live(w: Work, scenario: str) -> dict | None:
    """Run a live scenario of tests/support/hostile_live.py; its observed.json, or None after a problem."""
    prefix = NETNS if can_netns() else []
    if not prefix:
        w.note("no network namespace here: loopback-only by construction, DNS attempts judged from the log")
    r = w.cmd([*prefix, sys.executable, "-m", "tests.support.hostile_live", scenario, w.dir],
              label=f"live-{scenario}", env={"PYTHONPATH": str(REPO), "HOSTILE_NETNS": "1" if prefix else "0"})
    try:
        obs = json.loads((w.dir / "observed.json").read_text("utf-8"))
    except (OSError, ValueError):
        w.problem(f"the live scenario left no observation: {w._say(r)}")
        return None
    if "harness_error" in obs:
        w.problem(f"live scenario: {obs['harness_error']}")
        return None
    w.check(TRACEBACK not in "\n".join(obs.get("output", [])), "mitmdump printed a traceback")
    return obs


def _answered_locally(answer: dict) -> bool:
    return answer.get("status") == 200 and ('"code": 0' in answer.get("body", "")
                                            or "piiaudit-responder" in answer.get("server", ""))


@case("responder-host-mismatch", "13", "answered host, Host header naming another (HTTP/1.1, CONNECT, HTTP/2)")
def _responder_host(w: Work) -> None:
    obs = live(w, "responder")
    if obs is None:
        return
    for name, answer in obs["answers"].items():
        if "other.example" in name:
            w.check(_answered_locally(answer), f"{name}: not answered locally ({answer})")
    tried = [line for line in obs["output"] if RESOLVING.search(line)]
    w.check(not tried, f"mitmproxy tried to resolve or connect beyond loopback: {tried[:2]}")
    w.check((db_count(w.dir / "session" / "session.db", "flows") or 0) == obs["sent"],
            "not every answered request was recorded")


@case("responder-host-spoof", "13", "a request to another host whose Host header names the answered one")
def _responder_spoof(w: Work) -> None:
    if not can_netns():
        w.note("needs a network namespace (forwarding the request means a name lookup): skipped")
        return
    obs = live(w, "spoof")
    if obs is None:
        return
    (answer,) = obs["answers"].values()
    w.check(not _answered_locally(answer), "answered locally: the Host header chose the answer, not the "
            "connection target")
    hosts = [h for (h,) in db_rows(w.dir / "session" / "session.db", "SELECT host FROM flows")]
    w.check(hosts == ["other.example"], f"recorded hosts {hosts} (want other.example)")


@case("responder-protocols", "13", "responder answers by protocol: HEAD without a body, 101 for an upgrade")
def _responder_protocols(w: Work) -> None:
    obs = live(w, "responder")
    if obs is None:
        return
    head = obs["answers"]["HEAD"]
    w.check(head.get("status") == 200 and head.get("body_bytes") == 0,
            f"HEAD: status {head.get('status')}, {head.get('body_bytes')} body bytes (want no body)")
    up = obs["answers"]["WebSocket upgrade"]
    w.check(up.get("status") == 101, f"WebSocket upgrade answered {up.get('status_line')!r} (want 101)")


# item 14 --------------------------------------------------------------------------------------

@case("masking", "14", "masked outputs hide every variant of the device's values")
def _masking(w: Work) -> None:
    gen.write_flows(w.dir / "mask.mitm", gen.masking_flows())
    replay(w, w.dir / "mask.mitm", w.dir / "s", "--profile", PROFILE, judged=False)
    rep = w.piiaudit("report", w.dir / "s")     # analyses first, with the defaults
    if not w.expect_result(rep, "report"):
        return
    texts = output_texts(w.dir / "s")
    for variant, (_, shown) in gen.masking_variants().items():
        leaks = [name for name, text in texts.items() if shown in text]
        w.check(not leaks, f"{variant} shown in {', '.join(leaks)} ({shown})")


# what held up already -------------------------------------------------------------------------

@case("injection", "ok", "formula and HTML injection in values (report --reveal)")
def _injection(w: Work) -> None:
    flows = gen.injection_flows()
    gen.write_flows(w.dir / "inj.mitm", flows)
    replay(w, w.dir / "inj.mitm", w.dir / "s", "--profile", PROFILE, judged=False)
    rep = w.piiaudit("report", w.dir / "s", "--reveal")
    if not w.expect_result(rep, "report --reveal"):
        return
    stored, _ = stored_with_imei(w.dir / "s" / "session.db")
    w.lose(len(flows) - stored, "flows")
    import openpyxl

    wb = openpyxl.load_workbook(w.dir / "s" / "evidence.xlsx")
    formulas = [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    w.check(not formulas, f"formula cells in evidence.xlsx: {formulas[:5]}")
    page = (w.dir / "s" / "report.html").read_text("utf-8")
    w.check("<script" not in page.lower(), "a <script> tag reached report.html")
    json.loads((w.dir / "s" / "findings.json").read_text("utf-8"))


def _capture_case(w: Work, name: str, flows: list, *, want_caps: str | None = None, hit_type: str = "imei") -> Run:
    gen.write_flows(w.dir / name, flows)
    r = replay(w, w.dir / name, w.dir / "s", "--profile", PROFILE)
    w.expect_result(r, "replay")
    db = w.dir / "s" / "session.db"
    stored = db_count(db, "flows") or 0
    w.lose(len(flows) - stored, f"of {len(flows)} flows")
    if want_caps:
        capped = db_count(db, "flows", f"WHERE capped LIKE '%{want_caps}%'") or 0
        w.note(f"{capped} of {stored} flows marked capped ({want_caps})")
    found = db_count(db, "pii_hits", f"WHERE pii_type = '{hit_type}'") or 0
    w.note(f"{found} {hit_type} hits")
    return r


@case("compression-bombs", "ok", "bodies that inflate a thousandfold and more (gzip, deflate, br, zstd)",
      memory_mb=2000)
def _bombs(w: Work) -> None:
    mb = 64 if w.quick else 512
    r = _capture_case(w, "bombs.mitm", gen.bomb_flows(mb), want_caps="decompressed_size")
    w.note(f"each body inflates to {mb} MB")
    w.check(r.peak_mb < 800, f"peak memory {r.peak_mb:.0f} MB")


@case("deep-json", "ok", "a JSON body nested 100,000 deep")
def _deep_json(w: Work) -> None:
    _capture_case(w, "deep.mitm", [gen.deep_json_flow(100_000), gen.imei_flow(1)])


@case("body-50mb", "ok", "a 50 MB body with the IMEI at its end", memory_mb=2500)
def _big_body(w: Work) -> None:
    r = _capture_case(w, "big.mitm", [gen.big_body_flow(50), gen.imei_flow(1)], want_caps="body_bytes")
    w.check(r.peak_mb < 1500, f"peak memory {r.peak_mb:.0f} MB")


@case("million-params", "ok", "a URL with 1,000,000 query parameters")
def _params(w: Work) -> None:
    _capture_case(w, "params.mitm", [gen.many_params_flow(1_000_000), gen.imei_flow(1)])


@case("broken-har", "ok", "a HAR with a broken entry, cut short")
def _broken_har(w: Work) -> None:
    (w.dir / "broken.har").write_bytes(gen.har_broken(3))
    r = replay(w, w.dir / "broken.har", w.dir / "s", "--profile", PROFILE)
    w.expect_said(r, "replay")
    stored, _ = stored_with_imei(w.dir / "s" / "session.db")
    w.lose(3 - stored, "of the 3 valid entries")


@case("truncated-mitm", "ok", "a flow file cut in the middle of its last flow")
def _truncated(w: Work) -> None:
    complete = gen.truncated_flow_file(w.dir / "t.mitm", 5)
    r = replay(w, w.dir / "t.mitm", w.dir / "s", "--profile", PROFILE)
    w.expect_said(r, "replay")
    stored, _ = stored_with_imei(w.dir / "s" / "session.db")
    w.lose(complete - stored, f"of the {complete} complete flows")


@case("concurrent", "ok", "replay, analyze and report at once on one session")
def _concurrent(w: Work) -> None:
    n = 6000
    capture = w.templates.capture(n)
    session = w.dir / "s"
    replay(w, w.templates.capture(2), session, "--profile", PROFILE, judged=False)
    runs: dict[str, Run] = {}

    def go(name: str, args: list) -> None:
        runs[name] = w.piiaudit(*args, label=name)

    threads = [threading.Thread(target=go, args=("replay", ["replay", capture, "--session", session, "--profile",
                                                             PROFILE]))]
    threads[0].start()
    time.sleep(1.5)
    threads += [threading.Thread(target=go, args=(name, [name, session])) for name in ("analyze", "report")]
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join()
    for name, r in runs.items():
        w.check(r.outcome == "result" or (r.outcome == "one line" and re.search(r"busy|running|lock", r.err, re.I)),
                f"{name}: {w._say(r)}")
    w.check(integrity(session / "session.db") == "ok", "session.db integrity")
    stored = db_count(session / "session.db", "flows") or 0
    w.lose(n - stored, f"of the {n} replayed flows")


# -- running -------------------------------------------------------------------------------

def select(names: Sequence[str] = (), quick: bool = False) -> list[Case]:
    known = {c.name: c for c in CASES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise KeyError(f"unknown case(s): {', '.join(unknown)}; known: {', '.join(known)}")
    if names:
        return [known[n] for n in names]
    return [c for c in CASES if c.quick or not quick]


def run_case(c: Case, root: Path, templates: Templates, *, quick: bool) -> Verdict:
    directory = root / c.name
    directory.mkdir(parents=True)
    w = Work(c, directory, quick, templates)
    try:
        c.body(w)
    except Exception as e:  # noqa: BLE001 - a harness failure is reported as the case's problem
        w.problem(f"harness: {type(e).__name__}: {e}")
    return w.verdict()

