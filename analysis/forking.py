"""When the analysis may fork a child to work beside it, and the one way it forks.

A forked child shares the parent's memory as it is (copy on write: nothing is pickled on the
way in) and so can take a part of the work to the machine's other core: the stated-scope rule
(analysis.rulesapart), the report's page and findings.json (analysis.pageapart). The child
has only the thread that forked it; a lock another thread held at that moment stays held in
the child for ever. So a fork is made only:

- on Linux, with more than one core to run on (on one core the child only adds its page copies);
- when every other thread of the process is a progress display's (piiaudit.progress, shown on
  a terminal), and with every display's lock held across the fork, so none is writing to the
  terminal at that moment. Any other thread (a reader, a hashing thread, a caller's own) and
  the work stays in this process.

The child must leave by ``os._exit`` (`child_exit`): no finaliser, atexit handler or buffered
file of the parent's runs or closes in its name, and it never touches the session's database
through the parent's connection.
"""

from __future__ import annotations

import os
import sys
import threading

from piiaudit import progress


def can_fork() -> bool:
    if not (sys.platform.startswith("linux") and hasattr(os, "fork")):
        return False
    if len(os.sched_getaffinity(0)) < 2:
        return False
    me = threading.current_thread()
    return all(t is me or t.name == progress.THREAD_NAME for t in threading.enumerate())


def fork() -> int:
    """os.fork() with every progress display held still; raises OSError as os.fork does."""
    with progress.still():
        return os.fork()


def child_exit(ok: bool) -> None:
    os._exit(0 if ok else 1)
