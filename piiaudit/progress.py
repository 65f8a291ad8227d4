"""A progress display for long work: done/total, rate and time left, on a terminal only.

The contract:

- A `Progress` is a callable `progress(done, total=None, what=None)`: the loops of replay,
  analysis, report and campaign call it with what they have done so far (flows, rows,
  stages; None keeps the count), the total when they know it, and a short label of the
  current step. Calling it
  costs three assignments; only a new step label (past the delay) draws the line at once.
- Nothing is shown before `delay` (1 s; PIIAUDIT_PROGRESS_DELAY changes it): work that ends
  sooner prints nothing at all.
  After that a background thread redraws one line on **stderr** every `interval`, so a
  long step with no callbacks still shows its elapsed time.
- The display is off (the callable does nothing visible) when stderr or stdout is not a
  terminal (a pipe, a file, a test), when the environment variable `CI` is set to anything
  but empty/0/false, when `TERM` is `dumb`, or with `quiet` (the commands' `--quiet`).
- `echo(text)` prints a line of the caller's own with the display erased first (a table
  printed row by row while the display runs); within `with shown.around_prints():` every
  write to stdout does the same (a script whose functions print their own lines).
- `close()` (or leaving the `with` block) stops the thread and erases the line, so what a
  command prints afterwards (its summary, its JSON) starts on a clean line and never
  contains a byte of the display; stdout is never written to.

`display(label, unit, quiet=...)` is what the commands use; `NULL` is a callable that does
nothing, for callers that want one unconditionally. `still()` holds every running display's
lock, so none is writing to the terminal meanwhile (the analysis forks under it: its child
has no display thread, and must find no lock held by one).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
import time
import weakref
from typing import Callable, TextIO

DELAY_S = 1.0
DELAY_ENV = "PIIAUDIT_PROGRESS_DELAY"   # seconds before the display appears (default 1; 0: at once)
INTERVAL_S = 0.2
OFF_VALUES = ("", "0", "false", "no")

ProgressFn = Callable[..., None]
THREAD_NAME = "piiaudit-progress"   # the display's thread; the only other thread a fork may tolerate
_running: "weakref.WeakSet[Progress]" = weakref.WeakSet()


def NULL(done: int = 0, total: int | None = None, what: str | None = None) -> None:   # noqa: N802 - a constant
    """A progress callback that shows nothing."""


def wanted(*, quiet: bool = False, stream: TextIO | None = None, out: TextIO | None = None,
           env: dict[str, str] | None = None) -> bool:
    """Whether a display would be shown: not quiet, not CI, a real terminal on stderr and stdout."""
    env = os.environ if env is None else env
    stream = sys.stderr if stream is None else stream
    out = sys.stdout if out is None else out
    if quiet or env.get("CI", "").strip().lower() not in OFF_VALUES or env.get("TERM") == "dumb":
        return False
    return _is_tty(stream) and _is_tty(out)


def _is_tty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError, OSError):   # closed or replaced streams
        return False


def number(n: float) -> str:
    """1234567 → '1,234,567'; 12.5 → '12.5'."""
    return f"{n:,.0f}" if n >= 100 or float(n).is_integer() else f"{n:,.1f}"


def duration(seconds: float) -> str:
    """A short duration: '8 s', '2 min 05 s', '1 h 02 min'."""
    s = max(int(round(seconds)), 0)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def line(label: str, unit: str, done: int, total: int | None, what: str | None, elapsed: float) -> str:
    """The display's text: 'replay  run1.mitm  3,200/10,000 flows (32%)  1,050 flows/s  ~6 s left  [3 s]', or for a
    staged job (no unit) 'analyze  rules  step 5/8  [4 s]'."""
    parts = [label]
    if what:
        parts.append(what)
    count = f"{number(done)}/{number(total)}" if total else number(done)
    if not unit:    # a staged job: its steps are not alike, so neither a rate nor a time left
        parts.append(f"step {count}")
    else:
        parts.append(f"{count} {unit}" + (f" ({100 * done / total:.0f}%)" if total else ""))
        if elapsed > 0 and done > 0:
            parts.append(f"{number(done / elapsed)} {unit}/s")
        if total and 0 < done < total:
            parts.append(f"~{duration(elapsed * (total - done) / done)} left")
    parts.append(f"[{duration(elapsed)}]")
    return "  ".join(parts)


class Progress:
    """One progress display; see the module docstring. `enabled=None` decides by `wanted()`."""

    def __init__(self, label: str, unit: str = "", *, quiet: bool = False, enabled: bool | None = None,
                 stream: TextIO | None = None, delay: float = DELAY_S, interval: float = INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.unit = label, unit
        self.stream = sys.stderr if stream is None else stream
        self.enabled = wanted(quiet=quiet, stream=self.stream) if enabled is None else enabled
        self.delay, self.interval, self.clock = delay, interval, clock
        self.started = clock()
        self.done, self.total, self.what = 0, None, None
        self.shown = False               # a line is on the terminal, to be erased
        self.last_text = ""
        self.lock = threading.RLock()     # echo's print may come back through around_prints' stdout
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        if self.enabled:
            self.thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
            _running.add(self)
            self.thread.start()

    def __call__(self, done: int | None, total: int | None = None, what: str | None = None) -> None:
        if done is not None:     # None: the count stays, only the step's label changes
            self.done = done
        if total is not None:
            self.total = total
        if what is not None and what != self.what:
            self.what = what
            if self.enabled and self.clock() - self.started >= self.delay:
                self.draw()      # a new step shows at once: a short one would otherwise pass unseen

    def step(self, what: str, done: int, total: int | None = None) -> None:
        """A named step of a staged job (the analysis stages, the report's files)."""
        self(done, total, what)

    def _run(self) -> None:
        if self.stopped.wait(max(self.delay - (self.clock() - self.started), 0)):
            return
        while not self.stopped.is_set():
            self.draw()
            self.stopped.wait(self.interval)

    def draw(self) -> None:
        text = line(self.label, self.unit, self.done, self.total, self.what, self.clock() - self.started)
        width = shutil.get_terminal_size((80, 24)).columns - 1
        text = text[:max(width, 10)]
        with self.lock:
            if self.stopped.is_set() or (self.shown and text == self.last_text):
                return      # nothing new to show: the terminal is not written to
            self._write("\r" + text + "\x1b[K")
            self.shown, self.last_text = True, text

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):   # a closed terminal: the work goes on without its display
            self.enabled = False
            self.stopped.set()

    def echo(self, text: str, file: TextIO | None = None) -> None:
        """Print a line of the caller's own (stdout by default) with the display erased first, so the
        two never share a line; the display comes back at its next redraw."""
        with self.lock:
            if self.shown:
                self._write("\r\x1b[K")
                self.shown = False
            print(text, file=sys.stdout if file is None else file, flush=True)

    @contextlib.contextmanager
    def around_prints(self):
        """Within the block, what is written to sys.stdout erases the display first, as echo does."""
        if not self.enabled:
            yield self
            return
        real = sys.stdout
        sys.stdout = _ErasingFirst(self, real)
        try:
            yield self
        finally:
            sys.stdout = real

    def erase(self) -> None:
        """Take the line off the terminal (it comes back at the next redraw)."""
        with self.lock:
            if self.shown:
                self._write("\r\x1b[K")
                self.shown = False

    def close(self) -> None:
        """Stop redrawing and erase the line; the terminal is as it was before."""
        with self.lock:
            self.stopped.set()
            if self.shown:
                self._write("\r\x1b[K")
                self.shown = False
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=1.0)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _ErasingFirst:
    """sys.stdout while a display runs (Progress.around_prints): each write erases it first."""

    def __init__(self, shown: Progress, real: TextIO) -> None:
        self._shown, self._real = shown, real

    def write(self, text: str) -> int:
        with self._shown.lock:     # no redraw between the erasing and the text
            self._shown.erase()
            n = self._real.write(text)
            self._real.flush()
        return n

    def __getattr__(self, name: str):
        return getattr(self._real, name)


@contextlib.contextmanager
def still():
    """Within the block no display writes to its terminal (each one's lock is held)."""
    with contextlib.ExitStack() as held:
        for shown in list(_running):
            held.enter_context(shown.lock)
        yield


def display(label: str, unit: str = "", *, quiet: bool = False) -> Progress:
    """The commands' display on stderr: shown only on a terminal, after 1 s (PIIAUDIT_PROGRESS_DELAY),
    not in CI or with --quiet."""
    return Progress(label, unit, quiet=quiet, delay=delay_setting())


def delay_setting(env: dict[str, str] | None = None) -> float:
    """PIIAUDIT_PROGRESS_DELAY as seconds (finite, 0 or more); the default 1 s otherwise."""
    raw = (os.environ if env is None else env).get(DELAY_ENV, "")
    try:
        value = float(raw)
    except ValueError:
        return DELAY_S
    return value if 0 <= value < float("inf") else DELAY_S
