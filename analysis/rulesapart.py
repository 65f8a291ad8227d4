"""Some rules run in a forked child beside the analysing process, on the evidence it prepared.

Once the evidence is prepared, the analysing process works alone on one core: it runs the
rules one after the other, builds the timeline and hands it to its writer (analysis.bulkwrite).
The rules whose detection takes every read of the session and groups the most evidence (APART:
the stated scope, 533,000 rows at 10^6 flows + events, the analysis's peak of memory) are run
meanwhile by a child forked from it: the child shares the evidence as it is (copy on write,
nothing is copied or pickled on the way in), runs those rules and sends back their outcomes
(each rule's findings, or why it was not run or failed: a few dozen rows, pickled) through a
pipe. The parent merges them with its own by the rules' positions in the catalog, so the result
is that of one process running every rule in order. ``Apart.answered()`` tells without
waiting whether the child's answer has begun to arrive: the analysis builds and stores its
timeline only then, so the child's grouping, the timeline and its writer do not all hold their
memory at once.

The child never touches the session's database (the rules read the evidence only) and leaves
by ``os._exit``: no finaliser runs and no descriptor of session.db is closed in its name.
It is forked only where that is safe (analysis.forking: Linux, more than one core, no other
thread but a progress display's, so `piiaudit analyze` on a terminal forks too) and worth it:
for evidence of at least APART_ROWS reads and sends. A child that fails, dies or answers
something unreadable costs the time only: the parent runs those rules itself.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
from collections.abc import Callable
from typing import Any

from analysis import forking
from analysis.prepare import Evidence
from analysis.rules import Catalog

# The SDK-list rule ran apart too until its child's answer came to gate the timeline's writer:
# the child then answered 0.6 s later, and the writer's 1.8 s ran after the rules instead of beside them.
APART = ("beyond_stated_scope",)
APART_ROWS = 200_000   # reads + sends from which a child is worth its fork

Outcomes = list[tuple[int, str, Any]]
Runner = Callable[[Catalog, Evidence, list[int]], Outcomes]


class Apart:
    """The rules at `positions`, being run by the child `pid` (or by nobody yet: none apart)."""

    def __init__(self, positions: list[int], pid: int = 0, fd: int = -1, run: Runner | None = None,
                 catalog: Catalog | None = None, evidence: Evidence | None = None) -> None:
        self.positions = frozenset(positions)
        self._order = list(positions)
        self._pid, self._fd = pid, fd
        self._run, self._catalog, self._evidence = run, catalog, evidence

    def outcomes(self) -> Outcomes:
        """The child's outcomes (waiting for it); those rules run here if it gave none."""
        if not self._order:
            return []
        got = self._collect()
        if got is None:
            assert self._run is not None and self._catalog is not None and self._evidence is not None
            got = self._run(self._catalog, self._evidence, self._order)
        self._catalog = self._evidence = None
        return got

    def answered(self) -> bool:
        """Whether outcomes() would wait little: no child, or its answer has begun to arrive (it
        writes only once its rules are done) or it has ended."""
        if not self._pid or self._fd < 0:
            return True
        try:
            return bool(select.select([self._fd], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def _collect(self) -> Outcomes | None:
        if not self._pid:
            return None
        try:
            chunks = []
            while True:
                chunk = os.read(self._fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        except OSError:
            chunks = []
        finally:
            self._close_pipe()
        ok = self._reap()
        if not ok or not chunks:
            return None
        try:
            got = pickle.loads(b"".join(chunks))
        except Exception:  # noqa: BLE001 - an unreadable answer: the rules run here
            return None
        return got if isinstance(got, list) else None

    def _close_pipe(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _reap(self) -> bool:
        pid, self._pid = self._pid, 0
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return False
        return os.waitstatus_to_exitcode(status) == 0

    def close(self) -> None:
        """Stop a child whose answer is no longer wanted (the analysis failed meanwhile)."""
        self._close_pipe()
        if self._pid:
            try:
                os.kill(self._pid, 9)
            except OSError:
                pass
            self._reap()


def start(catalog: Catalog, evidence: Evidence, run: Runner) -> Apart:
    """Fork a child running `run(catalog, evidence, positions)` for the APART rules, if it is
    safe and worth it; the returned Apart names the positions taken (none: run them all here)."""
    positions = [i for i, r in enumerate(catalog.rules) if r.enabled and r.detection in APART]
    if not positions or not _worth(evidence) or not forking.can_fork():
        return Apart([])
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return Apart([])
    try:
        pid = forking.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return Apart([])
    if pid == 0:   # the child: run, answer, leave without cleaning up the parent's state
        code = 1
        try:
            os.close(read_end)
            gc.disable()   # short-lived: no collection walking (and copying) the shared objects
            payload = pickle.dumps(run(catalog, evidence, positions), protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
            code = 0
        except BaseException:  # noqa: BLE001 - the parent runs the rules itself
            pass
        finally:
            forking.child_exit(code == 0)
    os.close(write_end)
    return Apart(positions, pid, read_end, run, catalog, evidence)


def _worth(evidence: Evidence) -> bool:
    return len(evidence.reads) + len(evidence.sent) >= APART_ROWS
