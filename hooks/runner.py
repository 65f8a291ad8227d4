"""The hooks runner: starts a target under Frida, loads the agent before the app runs, keeps
device and host clocks aligned, and writes the agent's events to the session store.

Order of a start: build the agent, spawn the target suspended, attach, load the agent,
ping it, take one clock sample, send the hook table (``init``), resume, measure the clock
offset properly (``clock_samples`` round trips, stored in ``clock_syncs``), then wait for
the agent's ``hooks_ready``. Android kills an app that is not resumed within about 10 s, so
every step before the resume has a deadline (``start_timeout`` for all of them together)
and a step that misses it fails the start with one line naming the step; the time from the
spawn to the resume, step by step, is recorded as a ``process_start`` event and in the
``hooks`` meta. The offset is measured again every ``resync_interval`` seconds and when the
run stops.

Device-level spawn gating (an Android app's other processes, started by zygote): a spawn
is dispatched once (its pid is kept under a lock), a spawn that is not the app's is resumed
at once, and the app's are told by uid (``android:process="com.x.push"`` names are global,
without the package prefix) as well as by name.

Frida delivers messages on its own thread, which must never block: each message goes to
the process's one session writer (piiaudit.writer.SessionWriter), whose thread converts it
to an events row and commits rows in batches, one transaction per batch. A killed runner
loses at most the batch it had not committed; the database stays consistent (WAL).

Given `observed` (piiaudit.observed), every value a `pii_read` event carries is added there
as soon as the event is converted, before it is committed: that is how a proxy in the same
process learns it (commands/recording.py connects the two).
"""

from __future__ import annotations

import collections
import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import frida

from piiaudit.observed import ObservedValues
from piiaudit.store import SessionStore
from piiaudit.writer import Rows, SessionWriter

from . import clock
from .agent_build import build_agent, source_hash
from .events import EventConverter, host_event
from .hook_table import load as load_hook_table
from .targets import Launch, LocalProcess, process_name_of

COMPONENT = "hooks"
AGENT_PROTOCOL = 1
DEFAULT_RATE = {"per_second": 50, "burst": 200}
DEFAULT_READY_TIMEOUT_S = 60.0
# Android's ActivityManager kills an app not resumed within about 10 s of its start: every
# step before the resume shares this budget, leaving time for the resume itself.
DEFAULT_START_TIMEOUT_S = 8.0
RESYNC_INTERVAL_S = 30.0
RPC_TIMEOUT_S = 10.0
# A process that reported System.exit or exit() ends within moments; one still there this
# long after is wedged in its exit (HotSpot's exit safepoint against Frida's own exit
# handling, docs/hooks.md "A wedged exit"): its end is recorded, so it is killed.
EXIT_GRACE_S = 10.0
# Detaching waits for the agent to unload; a wedged agent never does.
DETACH_TIMEOUT_S = 10.0
BATCH_MAX = 1000
OUTPUT_TAIL_BYTES = 64 * 1024
OUTPUT_FILE = "target-output.log"
# Agent events the runner acts on when they arrive (the agent sends these alone, never batched).
_ANSWERED_KINDS = ("hooks_ready", "process_exit", "uncaught_exception", "agent_error")


class HooksError(RuntimeError):
    """The run could not start or went wrong; the message says what happened."""


@dataclass
class RunStats:
    events: int  # rows written to the events table
    processes: int  # processes instrumented
    seconds: float  # wall time from start to stop
    exit_status: int | None  # of the main process, if known
    errors: int  # rows written to the errors table
    hooks_ready_s: float | None = None  # from start() to the agent's hooks_ready


@dataclass
class _Process:
    """One instrumented process."""

    pid: int
    name: str
    clock: clock.ClockModel
    converter: EventConverter
    session: Any = None
    script: Any = None
    ready: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    ready_data: dict | None = None
    init_result: dict | None = None
    agent_failure: str | None = None
    exit_status: int | None = None
    end_reason: str | None = None
    crash: str | None = None
    helper: bool = False  # jspawnhelper: held only to pass its exec on
    spawned_at: float | None = None  # monotonic: when the process was spawned (or seen gated)
    steps_ms: dict[str, float] = field(default_factory=dict)  # pre-resume steps, in order
    start: dict | None = None  # the process_start record, once resumed
    start_steps: list[str] = field(default_factory=list)  # the agent's wait for the VM, as it went


class HooksRunner:
    """Instrument one target and record its events into `store`.

    ``on_event(row)`` is called from the writer thread for every row once it is committed;
    values read are added to `observed` (if given) as soon as their event is converted.
    """

    def __init__(
        self,
        store: SessionStore,
        target: Any,
        *,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        hook_table: Sequence[Mapping[str, Any]] | None = None,
        stacks: bool = True,
        rate: Mapping[str, float] | None = DEFAULT_RATE,
        release_gate: str | None = None,
        ready_timeout: float = DEFAULT_READY_TIMEOUT_S,
        start_timeout: float = DEFAULT_START_TIMEOUT_S,
        resync_interval: float = RESYNC_INTERVAL_S,
        clock_samples: int = clock.DEFAULT_SAMPLES,
        java: bool = True,
        native_tls: bool = True,
        app_package: str | None = None,
        detector: Any = None,
        observed: ObservedValues | None = None,
        fast_path: bool = True,
        exit_grace: float = EXIT_GRACE_S,
        detach_timeout: float = DETACH_TIMEOUT_S,
    ):
        self.store = store
        self.target = target
        self.on_event = on_event
        self.observed = observed
        self.hook_table = list(hook_table) if hook_table is not None else load_hook_table()
        self.follow_children = bool(getattr(target, "follow_children", False))
        self.agent_config = {
            "hooks": self.hook_table,
            "stacks": {"enabled": bool(stacks), "max_frames": 32},
            "rate": dict(rate) if rate is not None else None,
            "release_gate": release_gate,
            "watch_exit": True,
            "java": bool(java),
            "native_tls": bool(native_tls),
            "app_package": app_package or getattr(target, "app_package", None),
            # HotSpot: calls that can report nothing stay in C (docs/hooks.md, Cost).
            "fast_path": bool(fast_path),
        }
        # With a detector (piiaudit.detect.Detector), HTTP/1 requests seen at SSL_write become
        # flows (capture 'tls-hook') scanned like proxied ones.
        self._detector = detector
        self._tls_flows = None
        self.ready_timeout = ready_timeout
        self.start_timeout = start_timeout
        self.resync_interval = resync_interval
        self.clock_samples = clock_samples
        self.exit_grace = exit_grace
        self.detach_timeout = detach_timeout

        self._device: Any = None
        self._bundle: str | None = None
        self._main: _Process | None = None
        self._procs: dict[int, _Process] = {}
        self._procs_lock = threading.Lock()
        self._launch_lock = threading.Lock()
        self._writer: SessionWriter | None = None
        self._resyncer: threading.Thread | None = None
        self._stopping = threading.Event()
        self._gating = False
        # Gated spawns already dispatched (Frida reports a pending spawn again in
        # enumerate_pending_spawn): each is handled, and resumed, exactly once.
        self._spawns_lock = threading.Lock()
        self._dispatched: set[int] = set()
        self._main_known = threading.Event()  # set once the main pid and the app's uid are known
        self._app_uid: Any = None
        # Sessions on forked children that have not executed their program yet: kept only
        # so their exec is caught (child gating), never given the agent.
        self._forks: dict[int, Any] = {}
        self._handlers: list[tuple[str, Callable]] = []
        self._output_tail: collections.deque[bytes] = collections.deque()
        self._output_size = 0
        self._t_start: float | None = None
        self._t_ready: float | None = None
        self._t_stop: float | None = None
        self._events_written = 0
        self._errors_written = 0
        self._started = False
        self._stopped = False

    # -- public API ------------------------------------------------------------
    def start(self) -> None:
        """Spawn (or attach), load the agent, sync clocks, resume; return once hooks are live."""
        if self._started:
            raise HooksError("this runner was already started")
        self._started = True
        self._t_start = time.time()
        self._open_writer()
        if self._detector is not None:
            from .tls_flows import TlsFlowRecorder  # mitmproxy is only needed then

            self._tls_flows = TlsFlowRecorder(self._writer, self._detector)
        launch: Launch | None = None
        try:
            self._bundle = build_agent()
            self._device = self.target.device()
            self._listen(self._device, "output", self._on_output)
            if self.target.gate_children:
                # Listening first loses no spawn; a spawn reported twice is dispatched once.
                self._listen(self._device, "spawn-added", self._on_spawn_added)
                self._device.enable_spawn_gating()
                self._gating = True
            if self.follow_children:
                self._listen(self._device, "child-added", self._on_child_added)
            with self._launch_lock:
                spawned_at = time.monotonic()
                launch = self.target.launch(self._device)
                with self._spawns_lock:
                    self._dispatched.add(launch.pid)
                if self._gating:
                    self._app_uid = self._pre_resume("read the app's uid", launch.pid, launch.process,
                                                     lambda: self.target.uid_of(self._device, launch.pid),
                                                     spawned_at + self.start_timeout)
                self._main_known.set()
                self._main = self._instrument(launch.pid, launch.process, gate_children=self.follow_children,
                                              spawned_at=spawned_at if launch.spawned else None)
                if launch.spawned:
                    self._resume(self._main)
                else:
                    self._after_resume(self._main)
            if self._gating:
                # Spawns held before our handler ran (the signal reports only new ones).
                for spawn in self._device.enumerate_pending_spawn():
                    self._on_spawn_added(spawn)
            self._await_ready(self._main)
        except BaseException as e:
            message = str(e) if isinstance(e, HooksError) else f"could not start the hooks run: {e}"
            self._submit(("error", message, {"target": self._describe_target()}))
            if launch is not None and launch.spawned:
                self._kill_quietly(launch.pid)
            self._stopped = True
            self._shutdown()
            if isinstance(e, HooksError):
                raise
            if isinstance(e, Exception):
                raise HooksError(message) from e
            raise
        self._t_ready = time.time()
        self._resyncer = threading.Thread(target=self._resync_loop, name="piiaudit-hooks-clock", daemon=True)
        self._resyncer.start()

    def wait(self, timeout: float | None = None) -> int | None:
        """Block until the main process ends (or `timeout`); its exit status if known."""
        if self._main is None:
            raise HooksError("start() the runner first")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            main = self._main
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            main.ended.wait(left)
            # A main process that executed another program continues as a new _Process
            # (the child handler swaps it in just after the old image's session ends).
            if main.end_reason == "process-replaced" and main is self._main and left != 0.0:
                time.sleep(0.05)
                continue
            if main is self._main or left == 0.0:
                return self._main.exit_status

    @property
    def pid(self) -> int | None:
        """The main target process."""
        return self._main.pid if self._main is not None else None

    @property
    def running(self) -> bool:
        return self._main is not None and not self._main.ended.is_set()

    def stop(self, *, kill: bool = False) -> RunStats:
        """Final clock sync, detach (or kill the target), flush everything to the store."""
        if not self._stopped:
            self._stopped = True
            self._stopping.set()
            with self._procs_lock:
                procs = list(self._procs.values())
            for proc in procs:
                if proc.ended.is_set():
                    continue
                if not proc.helper:
                    self._sync(proc, final=True)
                if kill:
                    self._kill_quietly(proc.pid)
                elif not self._detach_quietly(proc):
                    spawned = proc.spawned_at is not None
                    self._submit(("error",
                                  f"the agent in {proc.name} (pid {proc.pid}) did not unload within "
                                  f"{self.detach_timeout:g} s: " + ("the process was killed" if spawned else
                                                                     "the process was left as it is (attached, not ours)"),
                                  {"pid": proc.pid}))
                    if spawned:
                        self._kill_quietly(proc.pid)
            self._shutdown()
        return self.stats()

    def stats(self) -> RunStats:
        end = self._t_stop or time.time()
        return RunStats(
            events=self._events_written,
            processes=len(self._procs),
            seconds=end - (self._t_start or end),
            exit_status=self._main.exit_status if self._main else None,
            errors=self._errors_written,
            hooks_ready_s=(self._t_ready - self._t_start) if self._t_ready and self._t_start else None,
        )

    def agent_stats(self, pid: int | None = None) -> dict[str, Any] | None:
        """The agent's own counters (calls, reported, suppressed per hook), if it is still there."""
        proc = self._procs.get(pid) if pid is not None else self._main
        if proc is None or proc.ended.is_set() or proc.script is None:
            return None
        return _call_with_timeout(proc.script.exports_sync.stats, RPC_TIMEOUT_S)

    @property
    def output(self) -> str:
        """The last 64 KiB the target wrote to stdout/stderr (stdio="pipe")."""
        return b"".join(self._output_tail).decode("utf-8", "replace")

    # -- instrumenting a process ---------------------------------------------
    def _instrument(self, pid: int, name: str, *, gate_children: bool = False,
                    spawned_at: float | None = None) -> _Process:
        """Attach, load the agent, ping, take one clock sample and send ``init``: everything
        the process must get before it is resumed, each step against the start deadline."""
        model = clock.ClockModel()
        proc = _Process(pid=pid, name=name, clock=model, converter=EventConverter(pid=pid, process=name, clock=model),
                        spawned_at=spawned_at if spawned_at is not None else time.monotonic())
        with self._procs_lock:
            if pid in self._procs:
                # Never two agents in one process.
                raise HooksError(f"process {pid} ({name}) already has the agent")
            self._procs[pid] = proc
        deadline = proc.spawned_at + self.start_timeout
        try:
            try:
                proc.session = self._step(proc, "attach", lambda: self._device.attach(pid), deadline)
            except frida.ProcessNotFoundError as e:
                raise HooksError(f"process {pid} ({name}) is gone before the agent could attach: {e}") from e
            except frida.PermissionDeniedError as e:
                raise HooksError(f"not allowed to attach to {pid} ({name}): {e}") from e
            proc.session.on("detached", functools.partial(self._on_detached, proc))
            if gate_children:
                # Before the process runs: a child it forks or executes is held for us.
                self._step(proc, "child gating", proc.session.enable_child_gating, deadline)
            script = self._step(proc, "create the script",
                                lambda: proc.session.create_script(self._bundle, name="piiaudit-agent"), deadline)
            script.on("message", functools.partial(self._on_message, proc))
            self._step(proc, "load the agent", script.load, deadline)
            proc.script = script
            ping = self._step(proc, "ping", script.exports_sync.ping, deadline)
            if ping.get("protocol") != AGENT_PROTOCOL:
                raise HooksError(f"agent protocol {ping.get('protocol')} does not match the runner's {AGENT_PROTOCOL}")
            proc.helper = bool(ping.get("helper"))
            if not proc.helper:
                # One round trip now, so events from the first instant have a clock; the
                # full measurement waits until the process runs.
                sync = self._step(proc, "clock sample", lambda: clock.measure(script.exports_sync.now, 1), deadline)
                self._store_sync(proc, sync)
            proc.init_result = self._step(proc, "init", lambda: script.exports_sync.init(self.agent_config), deadline)
        except BaseException:
            with self._procs_lock:
                self._procs.pop(pid, None)
            # Detaching waits for a step still running in the agent: not on the start's path.
            threading.Thread(target=self._detach_quietly, args=(proc,), name="piiaudit-hooks-detach", daemon=True).start()
            raise
        return proc

    def _step(self, proc: _Process, step: str, fn: Callable[[], Any], deadline: float) -> Any:
        """One pre-resume step of `proc`, timed and bounded by `deadline` (monotonic)."""
        t0 = time.monotonic()
        result = self._pre_resume(step, proc.pid, proc.name, fn, deadline)
        proc.steps_ms[step] = round((time.monotonic() - t0) * 1000.0, 1)
        return result

    def _pre_resume(self, step: str, pid: int, name: str, fn: Callable[[], Any], deadline: float) -> Any:
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError("no time left")
            return _call_with_timeout(fn, left)
        except TimeoutError as e:
            raise HooksError(
                f"{name} (pid {pid}) was not resumed within {self.start_timeout:g} s of its start: "
                f"'{step}' did not finish in time (Android kills an app not resumed within about 10 s)"
            ) from e

    def _resume(self, proc: _Process) -> None:
        self._device.resume(proc.pid)
        self._after_resume(proc)

    def _after_resume(self, proc: _Process) -> None:
        """Record the spawn-to-resume time, then measure the clock offset properly."""
        resumed = time.monotonic()
        proc.start = {
            "spawn_to_resume_ms": round((resumed - proc.spawned_at) * 1000.0, 1) if proc.spawned_at else None,
            "steps_ms": dict(proc.steps_ms),
            "start_timeout_s": self.start_timeout,
        }
        self._submit(("started", proc, None, time.time()))
        if not proc.helper:
            try:
                self._sync(proc)
            except HooksError as e:  # the one-sample sync stands; say why the proper one is missing
                self._submit(("error", str(e), None))

    def _await_ready(self, proc: _Process) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while not proc.ready.wait(0.05):
            if proc.ended.is_set() and proc.end_reason == "process-replaced":
                # The target executed another program (a launcher script's `exec java ...`):
                # wait for the hooks in that one.
                if self._main is not proc:
                    proc = self._main
                elif time.monotonic() > deadline:
                    raise HooksError(f"{proc.name} (pid {proc.pid}) executed another program that was not instrumented")
                continue
            if proc.agent_failure:
                raise HooksError(f"the agent in {proc.name} (pid {proc.pid}) failed to install hooks: {proc.agent_failure}")
            if proc.ended.is_set():
                tail = self.output[-2000:].strip()
                steps = ("; ".join(proc.start_steps)
                         or f"none after init (agent phase {(proc.init_result or {}).get('phase')})")
                raise HooksError(
                    f"target {proc.name} (pid {proc.pid}) ended before the hooks were ready "
                    f"({proc.end_reason}, exit status {proc.exit_status}; the agent's steps: {steps})"
                    + (f"; its output:\n{tail}" if tail else "")
                )
            if time.monotonic() > deadline:
                phase = (proc.init_result or {}).get("phase")
                hint = (
                    " The agent is still waiting for a Java VM: is the target a JVM or an Android app?"
                    if phase == "waiting-for-vm"
                    else ""
                )
                raise HooksError(
                    f"hooks in {proc.name} (pid {proc.pid}) not ready after {self.ready_timeout:.0f} s "
                    f"(agent phase {phase}).{hint}"
                )

    def _sync(self, proc: _Process, *, final: bool = False) -> clock.ClockSync | None:
        """Measure and store the clock offset; None if the process cannot answer any more."""
        try:
            sync = _call_with_timeout(
                lambda: clock.measure(proc.script.exports_sync.now, self.clock_samples), RPC_TIMEOUT_S
            )
        except Exception as e:  # noqa: BLE001 - a dead or stuck agent must not stop the run
            if len(proc.clock) == 0:
                raise HooksError(f"clock sync with {proc.name} (pid {proc.pid}) failed: {e}") from e
            gone = isinstance(e, (frida.InvalidOperationError, frida.ProcessNotFoundError))  # script destroyed
            if not final and not gone and not proc.ended.is_set():
                self._submit(("error", f"clock sync with {proc.name} (pid {proc.pid}) failed: {e}", None))
            return None
        self._store_sync(proc, sync)
        return sync

    def _store_sync(self, proc: _Process, sync: clock.ClockSync) -> None:
        proc.clock.add(sync)
        row = {
            "pid": proc.pid,
            "process": proc.name,
            "at_host": sync.at_host,
            "offset_ms": sync.offset_ms,
            "rtt_ms": sync.rtt_ms,
            "error_ms": sync.error_ms,
            "samples": sync.samples,
        }
        self._open_writer().put("clock_syncs", row)

    def _resync_loop(self) -> None:
        while not self._stopping.wait(self.resync_interval):
            with self._procs_lock:
                procs = [p for p in self._procs.values() if not p.ended.is_set() and p.script is not None and not p.helper]
            for proc in procs:
                self._sync(proc)

    # -- Frida callbacks (Frida's thread: never block) ------------------------
    def _on_message(self, proc: _Process, message: dict, data: Any) -> None:
        received = time.time()
        if message.get("type") == "send":
            payload = message.get("payload")
            if isinstance(payload, dict) and payload.get("type") == "events" and isinstance(payload.get("events"), list):
                # A batch of hooked-call events (emit.ts), in the order they happened: converted
                # together on the writer thread. Events the host waits for (ready, exit, a
                # crash, agent errors) are never batched; one that is would still be handled.
                events = payload["events"]
                if any(not isinstance(e, dict) or e.get("kind") in _ANSWERED_KINDS for e in events):
                    for event in events:
                        self._on_message(proc, {"type": "send", "payload": event}, None)
                else:
                    self._submit(("events", proc, events, received))
                return
            if isinstance(payload, dict) and payload.get("type") == "start-step":
                proc.start_steps.append(str(payload.get("step"))[:200])
                return
            if not isinstance(payload, dict) or payload.get("type") != "event":
                self._submit(("error", f"unexpected message from the agent in {proc.name}", {"message": message}))
                return
            kind = payload.get("kind")
            self._submit(("event", proc, payload, received))
            if kind == "hooks_ready":
                proc.ready_data = payload.get("data")
                proc.ready.set()
            elif kind == "process_exit":
                status = (payload.get("data") or {}).get("status")
                proc.exit_status = int(status) if status is not None else None
                if (payload.get("data") or {}).get("via") in ("exit", "_exit"):
                    # The exiting thread waits for this receipt, so the status is not lost.
                    try:
                        proc.script.post({"type": "exit-ack"})
                    except Exception:  # noqa: BLE001 - already gone
                        pass
                # The last chance for a closing clock sync: the agent still answers while the VM winds down.
                threading.Thread(target=self._sync, args=(proc,), kwargs={"final": True},
                                 name="piiaudit-hooks-clock-end", daemon=True).start()
                via = (payload.get("data") or {}).get("via")
                if via != "DestroyJavaVM":  # there, other threads of the program may run on
                    threading.Thread(target=self._end_if_wedged, args=(proc, via), name="piiaudit-hooks-exit-watch",
                                     daemon=True).start()
            elif kind == "uncaught_exception" and (payload.get("data") or {}).get("awaits_receipt"):
                # Reported before the crash handler runs, which on Android kills the process
                # inside it: the crashing thread waits for this receipt, so the event is not lost.
                try:
                    proc.script.post({"type": "crash-ack"})
                except Exception:  # noqa: BLE001 - already gone
                    pass
            elif kind == "agent_error" and (payload.get("data") or {}).get("where") in ("install", "ready", "runtime"):
                proc.agent_failure = (payload.get("data") or {}).get("error") or "unknown error"
        elif message.get("type") == "error":
            self._submit(("agent_exception", proc, message, received))
        else:
            self._submit(("error", f"unexpected message type from {proc.name}", {"message": message}))

    def _on_detached(self, proc: _Process, reason: str, crash: Any) -> None:
        if proc.end_reason == "process-replaced":
            reason = "process-replaced"
        proc.end_reason = reason
        if crash is not None:
            proc.crash = getattr(crash, "summary", None) or str(crash)
        self._submit(("ended", proc, None, time.time()))
        proc.ended.set()

    def _on_output(self, pid: int, fd: int, data: bytes) -> None:
        if data:
            self._submit(("output", pid, fd, data))

    def _on_spawn_added(self, spawn: Any) -> None:
        with self._spawns_lock:
            if spawn.pid in self._dispatched:
                return  # already handled (or being handled): never resumed twice
            self._dispatched.add(spawn.pid)
        threading.Thread(
            target=self._handle_gated_spawn, args=(spawn.pid, spawn.identifier), name="piiaudit-hooks-spawn", daemon=True
        ).start()

    def _handle_gated_spawn(self, pid: int, identifier: str | None) -> None:
        """A process caught by device-level spawn gating: instrument it if it is the app's,
        and always resume it, or the device stalls. One that is not the app's is resumed at
        once, without waiting for anything the runner is doing."""
        spawned_at = time.monotonic()
        proc = None
        try:
            if self._stopping.is_set() or not self._is_apps_spawn(pid, identifier):
                return
            name = identifier or str(pid)
            proc = self._instrument(pid, name, spawned_at=spawned_at)
        except Exception as e:  # noqa: BLE001 - recorded; the spawn is resumed regardless
            self._submit(("error", f"could not instrument {identifier} (pid {pid}): {e}", None))
        finally:
            try:
                self._device.resume(pid)
            except Exception as e:  # noqa: BLE001
                self._submit(("error", f"could not resume gated spawn {identifier} (pid {pid}): {e}", None))
            else:
                if proc is not None:
                    self._after_resume(proc)

    def _is_apps_spawn(self, pid: int, identifier: str | None) -> bool:
        """True for a process of the app: by name (``pkg``, ``pkg:push``) or by uid (a
        global process name such as ``com.x.push`` runs under the app's uid too)."""
        if self.target.owns_child(identifier):
            return True
        if self._app_uid is None:
            # The main process is being spawned: its uid is read right after the spawn.
            if not self._main_known.wait(self.start_timeout):
                return False
            if self._app_uid is None:
                return False
        try:
            uid = _call_with_timeout(lambda: self.target.uid_of(self._device, pid), RPC_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - gone already, or unreadable: not instrumentable anyway
            return False
        return uid is not None and uid == self._app_uid

    def _on_child_added(self, child: Any) -> None:
        threading.Thread(target=self._handle_child, args=(child,), name="piiaudit-hooks-child", daemon=True).start()

    def _ours(self, pid: int, parent_pid: int) -> bool:
        with self._procs_lock:
            known = set(self._procs) | set(self._forks)
        if pid in known or parent_pid in known:
            return True
        # An exec reported from a child Frida never saw being forked (posix_spawn's
        # vfork-style clone): its parent is in /proc. Without /proc, assume it is ours.
        real_parent = _parent_pid(pid)
        return real_parent is None or real_parent in known

    def _handle_child(self, child: Any) -> None:
        """A process the target forked or executed, held by child gating: a fork only gets a
        session (to catch its exec), a new program gets the agent; always resumed."""
        pid, origin = child.pid, getattr(child, "origin", None)
        seen_at, proc = time.monotonic(), None
        if not self._ours(pid, child.parent_pid):
            return  # another runner's child (the local device is shared)
        argv = list(child.argv or [])
        name = process_name_of(argv) if argv else (child.identifier or child.path or str(pid))
        try:
            if self._stopping.is_set():
                return
            if origin == "fork":
                session = self._device.attach(pid)
                session.enable_child_gating()
                self._forks[pid] = session
            else:
                # An exec replaces the image: the fork's session (or an earlier program's
                # agent) is gone with it.
                self._forks.pop(pid, None)
                with self._procs_lock:
                    replaced = self._procs.pop(pid, None)
                if replaced is not None:
                    replaced.end_reason = "process-replaced"
                proc = self._instrument(pid, name, gate_children=True, spawned_at=seen_at)
                if replaced is not None and replaced is self._main:
                    self._main = proc
        except Exception as e:  # noqa: BLE001 - recorded; the child is resumed regardless
            self._submit(("error", f"could not instrument child process {name} (pid {pid}, {origin}): {e}",
                             {"argv": argv[:20]}))
        finally:
            try:
                self._device.resume(pid)
            except Exception as e:  # noqa: BLE001
                self._submit(("error", f"could not resume child process {name} (pid {pid}): {e}", None))
            else:
                if proc is not None:
                    self._after_resume(proc)

    # -- on the writer thread --------------------------------------------------
    def _open_writer(self) -> SessionWriter:
        if self._writer is None:
            # Commits whatever piled up each time it wakes: no batch interval to wait out.
            self._writer = SessionWriter(self.store, component=COMPONENT, max_rows=BATCH_MAX, max_seconds=0,
                                         on_commit=self._committed, name="piiaudit-hooks-writer")
        return self._writer

    def _submit(self, item: tuple) -> None:
        """From any thread: `item` is converted and recorded on the writer thread."""
        self._open_writer().call(functools.partial(self._record, item))

    def _record(self, item: tuple) -> None:
        try:
            rows = self._handle(item)
        except Exception as e:  # noqa: BLE001 - one bad message must not stop the writer
            self._record_error(f"could not record an agent message: {e}", {"item": repr(item)[:2000]})
            self._writer.count("failed", "agent messages")
            return
        for row in rows:
            if self.observed is not None and row["kind"] == "pii_read":
                self.observed.add(row.get("pii_type"), row.get("value"))
            self._writer.put("events", row)

    def _flush_tls_flows(self) -> None:
        try:
            self._tls_flows.flush()
        except Exception as e:  # noqa: BLE001 - the session is kept without those flows
            self._record_error(f"could not record the open HTTP/2 streams seen below TLS: {e}", {})

    def _handle(self, item: tuple) -> list[dict[str, Any]]:
        tag = item[0]
        if tag == "events":
            _, proc, events, received = item
            rows: list[dict[str, Any]] = []
            for event in events:
                if event.get("type") != "event":
                    self._record_error(f"unexpected message from the agent in {proc.name}", {"message": event})
                    continue
                try:
                    rows.extend(self._handle(("event", proc, event, received)))
                except Exception as e:  # noqa: BLE001 - one bad event must not lose the batch
                    self._record_error(f"could not record an agent message: {e}", {"item": repr(event)[:2000]})
                    self._writer.count("failed", "agent messages")
            return rows
        if tag == "event":
            _, proc, payload, received = item
            row = proc.converter.row(payload, received)
            if row["kind"] in ("tls_write", "tls_read") and self._tls_flows is not None:
                try:
                    flow_id = self._tls_flows.record(row)
                except Exception as e:  # noqa: BLE001 - the event is kept without its flow
                    self._record_error(f"could not turn a {row['kind']} into a flow: {e}", {"api": row["api"]})
                    flow_id = None
                if flow_id is not None:
                    row["data"]["flow_id"] = flow_id
            if row["kind"] == "agent_error":
                where = row["data"].get("where")
                self._record_error(
                    f"agent error in {proc.name} (pid {proc.pid}) at {where}: {row['data'].get('error')}",
                    {"api": row["api"], **row["data"]},
                )
            return [row]
        if tag == "agent_exception":
            _, proc, message, received = item
            text = message.get("description") or "script error"
            self._record_error(f"agent script error in {proc.name} (pid {proc.pid}): {text}", message)
            return [
                host_event("agent_error", pid=proc.pid, process=proc.name, value=text,
                           data={"stack": message.get("stack"), "where": "script"})
            ]
        if tag == "ended":
            return self._ended_rows(item[1])
        if tag == "started":
            proc = item[1]
            return [host_event("process_start", pid=proc.pid, process=proc.name, data=dict(proc.start or {}))]
        if tag == "output":
            self._keep_output(item[3])
            return []
        if tag == "error":
            _, message, detail = item
            self._record_error(message, detail)
            return []
        raise ValueError(f"unknown queue item {tag!r}")

    def _ended_rows(self, proc: _Process) -> list[dict[str, Any]]:
        if proc.end_reason in ("application-requested", "process-replaced"):
            return []  # we detached on purpose, or the process executed another program
        status = proc.exit_status
        data = {"reason": proc.end_reason, "status": status, "crash": proc.crash}
        if proc.crash:
            self._record_error(f"target {proc.name} (pid {proc.pid}) crashed: {proc.crash}", data)
        elif proc.end_reason != "process-terminated":
            self._record_error(f"lost the agent in {proc.name} (pid {proc.pid}): {proc.end_reason}", data)
        elif status is None and getattr(self.target, "killed_is_normal_end", False):
            data["killed"] = True  # Android's normal end: no error row
        elif status is None:
            self._record_error(
                f"target {proc.name} (pid {proc.pid}) ended without an exit status (killed by a signal?)", data
            )
        elif status != 0:
            self._record_error(f"target {proc.name} (pid {proc.pid}) exited with status {status}", data)
        return [host_event("target_exit", pid=proc.pid, process=proc.name, value=None if status is None else str(status), data=data)]

    def _committed(self, tables: Rows) -> None:
        rows = tables.get("events", [])
        self._events_written += len(rows)
        if self.on_event is not None:
            for row in rows:
                try:
                    self.on_event(row)
                except Exception as e:  # noqa: BLE001 - a callback bug must not stop recording
                    self._writer.put_error(f"on_event raised: {e}")

    def _record_error(self, message: str, detail: Any = None) -> None:
        self._writer.put_error(message, detail=detail)
        self._errors_written += 1

    def _keep_output(self, data: bytes) -> None:
        with open(self.store.dir / OUTPUT_FILE, "ab") as f:
            f.write(data)
        self._output_tail.append(data)
        self._output_size += len(data)
        while self._output_size > OUTPUT_TAIL_BYTES and len(self._output_tail) > 1:
            self._output_size -= len(self._output_tail.popleft())

    # -- shutdown ---------------------------------------------------------------
    def _shutdown(self) -> None:
        self._stopping.set()
        if self._gating:
            try:
                self._device.disable_spawn_gating()
            except Exception:  # noqa: BLE001 - the device may be gone
                pass
            self._gating = False
        # Gated spawns already dispatched (Frida reports a pending spawn again in
        # enumerate_pending_spawn): each is handled, and resumed, exactly once.
        self._spawns_lock = threading.Lock()
        self._dispatched: set[int] = set()
        self._main_known = threading.Event()  # set once the main pid and the app's uid are known
        self._app_uid: Any = None
        for signal, handler in self._handlers:
            try:
                self._device.off(signal, handler)
            except Exception:  # noqa: BLE001
                pass
        self._handlers.clear()
        for session in list(self._forks.values()):
            try:
                session.detach()
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._forks.clear()
        if self._writer is not None:
            if self._tls_flows is not None:  # HTTP/2 streams whose response never came
                self._writer.call(self._flush_tls_flows)
            self._writer.close(timeout=60)
        self._t_stop = time.time()
        self._write_meta()

    def _write_meta(self) -> None:
        try:
            self.store.set_meta(
                "hooks",
                {
                    "target": self._describe_target(),
                    "agent_sha256": source_hash(),
                    "frida": frida.__version__,
                    "started": self._t_start,
                    "stopped": self._t_stop,
                    "hooks": len(self.hook_table),
                    "processes": [
                        {"pid": p.pid, "name": p.name, "ready": p.ready_data, "exit_status": p.exit_status,
                         "end_reason": p.end_reason, "start": p.start}
                        for p in self._procs.values()
                    ],
                },
            )
        except Exception:  # noqa: BLE001 - meta is informative only
            pass

    def _listen(self, device: Any, signal: str, handler: Callable) -> None:
        device.on(signal, handler)
        self._handlers.append((signal, handler))

    def _describe_target(self) -> dict:
        describe = getattr(self.target, "describe", None)
        return describe() if callable(describe) else {"type": type(self.target).__name__}

    def _kill_quietly(self, pid: int) -> None:
        try:
            self._device.kill(pid)
        except Exception:  # noqa: BLE001 - already gone
            pass

    def _detach_quietly(self, proc: _Process) -> bool:
        """Detach from `proc`; False if the agent had not unloaded after detach_timeout seconds."""
        if proc.session is None:
            return True
        done = threading.Event()

        def detach() -> None:
            try:
                proc.session.detach()
            except Exception:  # noqa: BLE001 - already gone
                pass
            finally:
                done.set()

        threading.Thread(target=detach, name="piiaudit-hooks-detach", daemon=True).start()
        return done.wait(self.detach_timeout)

    def _end_if_wedged(self, proc: _Process, via: str | None) -> None:
        """Kill `proc` if it has not ended exit_grace seconds after reporting its exit."""
        if proc.ended.wait(self.exit_grace):
            return
        self._submit(("error",
                      f"{proc.name} (pid {proc.pid}) reported its exit ({via}, status {proc.exit_status}) but had "
                      f"not ended {self.exit_grace:g} s later: killed (its exit was wedged; the status stands)",
                      {"pid": proc.pid}))
        self._kill_quietly(proc.pid)


def _parent_pid(pid: int) -> int | None:
    """The parent of a local process, from /proc (None where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _call_with_timeout(fn: Callable[[], Any], timeout: float) -> Any:
    """Run a Frida RPC with a deadline: a wedged agent must not hang the runner."""
    result: list[Any] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(fn())
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            error.append(e)

    thread = threading.Thread(target=run, name="piiaudit-hooks-rpc", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"no answer from the agent within {timeout:.0f} s")
    if error:
        raise error[0]
    return result[0]


def run_local_process(
    store: SessionStore,
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    timeout: float = 300.0,
    **runner_options: Any,
) -> RunStats:
    """Run a local program (e.g. the JVM stand-in) to its end under the hooks.

    A program still running after `timeout` seconds is killed, and that is recorded.
    """
    runner = HooksRunner(store, LocalProcess(argv, env=env), **runner_options)
    runner.start()
    kill = False
    try:
        runner.wait(timeout)
        if runner.running:
            kill = True
            store.record_error(COMPONENT, f"{argv[0]} still running after {timeout:.0f} s; killed")
    finally:
        stats = runner.stop(kill=kill)
    return stats
