"""What the hooks runner instruments: a local process or an Android app.

A target knows its Frida device, how to start (or find) its process suspended, and which
later processes belong to it: by name (``owns_child``) and by the app's uid (``uid_of``; on
Android every process of an app runs under the app's uid, whatever its process name). The
runner does the rest the same way for every target.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import frida

DEVICE_TIMEOUT_S = 5


class TargetError(RuntimeError):
    """The target cannot be started or found; the message says why and what to check."""


@dataclass(frozen=True)
class Launch:
    pid: int
    process: str
    spawned: bool  # True: suspended, the runner must resume it


@dataclass
class LocalProcess:
    """A program on this machine, e.g. the JVM stand-in: ``LocalProcess(java_argv)``.

    ``stdio="pipe"`` hands the program's output to the runner (kept in the session
    directory); ``"inherit"`` leaves it on this terminal. With ``follow_children`` (the
    default) every process it forks or executes (a second JVM for a ``:push`` process)
    gets the agent before it runs its first instruction. ``package`` is the app package the
    program plays, when its process name is not it (the stand-in's main class).
    """

    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    cwd: str | os.PathLike | None = None
    name: str | None = None
    stdio: str = "pipe"
    follow_children: bool = True
    package: str | None = None
    # True when the program plays an Android app, which ends by SIGKILL (the stand-in's
    # crash handler): a kill is then its normal end, not an error.
    killed_is_normal_end: bool = False
    gate_children: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if not self.argv:
            raise TargetError("LocalProcess needs a non-empty argv")
        if self.stdio not in ("pipe", "inherit"):
            raise TargetError(f"stdio must be 'pipe' or 'inherit', not {self.stdio!r}")

    @property
    def process_name(self) -> str:
        return self.name or process_name_of(self.argv)

    def describe(self) -> dict:
        return {"type": "local", "argv": list(self.argv), "cwd": str(self.cwd) if self.cwd else None,
                "follow_children": self.follow_children}

    @property
    def app_package(self) -> str | None:
        return self.package

    def device(self) -> frida.core.Device:
        return frida.get_local_device()

    def launch(self, device: frida.core.Device) -> Launch:
        program = shutil.which(self.argv[0]) or self.argv[0]
        if not Path(program).is_file():
            raise TargetError(f"cannot start {self.argv[0]!r}: no such program")
        try:
            pid = device.spawn(
                [program, *self.argv[1:]],
                env=dict(self.env) if self.env else None,
                cwd=str(self.cwd) if self.cwd else None,
                stdio=self.stdio,
            )
        except frida.ExecutableNotFoundError as e:
            raise TargetError(f"cannot start {program!r}: {e}") from e
        except frida.PermissionDeniedError as e:
            raise TargetError(f"not allowed to spawn {program!r} under Frida (ptrace restricted?): {e}") from e
        return Launch(pid=pid, process=self.process_name, spawned=True)

    def owns_child(self, identifier: str | None) -> bool:
        return False

    def uid_of(self, device: frida.core.Device, pid: int) -> str | None:
        """What stands for an Android app's uid on this machine, where every process has
        ours: the stand-in's ``-Dstandin.uid=<n>`` (android.os.Process.myUid() answers it)."""
        return standin_uid(_process_parameters(device, pid).get("argv") or ())


@dataclass
class RunningProcess:
    """An already running local process, attached to as it is (hooks miss what already ran)."""

    pid: int
    name: str | None = None
    follow_children: bool = False
    gate_children: bool = field(default=False, init=False)
    app_package: str | None = None

    def describe(self) -> dict:
        return {"type": "attach", "pid": self.pid}

    def device(self) -> frida.core.Device:
        return frida.get_local_device()

    def launch(self, device: frida.core.Device) -> Launch:
        if not Path(f"/proc/{self.pid}").exists() and os.name == "posix" and Path("/proc").is_dir():
            raise TargetError(f"no process with pid {self.pid}")
        return Launch(pid=self.pid, process=self.name or _comm(self.pid), spawned=False)

    def owns_child(self, identifier: str | None) -> bool:
        return False

    def uid_of(self, device: frida.core.Device, pid: int) -> str | None:
        return None

    killed_is_normal_end = False


@dataclass
class AndroidApp:
    """An app on a USB device or emulator (frida-server running as root on it).

    With ``gate_children`` the runner enables device-level spawn gating, so the app's
    ``:push``/``:remote`` processes (started by zygote, not forked from the app) get the
    agent too. ``attach=True`` attaches to the running app instead of spawning it.
    """

    package: str
    device_id: str | None = None
    gate_children: bool = True
    attach: bool = False
    timeout: float = DEVICE_TIMEOUT_S  # seconds to wait for the device to show up
    # Zygote starts an app's other processes, so spawn gating (not child gating) finds them.
    follow_children: bool = field(default=False, init=False)

    @property
    def app_package(self) -> str | None:
        return self.package

    def describe(self) -> dict:
        return {"type": "android", "package": self.package, "device": self.device_id, "attach": self.attach}

    def device(self) -> frida.core.Device:
        try:
            if self.device_id:
                return frida.get_device(self.device_id, timeout=self.timeout)
            return frida.get_usb_device(timeout=self.timeout)
        except (frida.InvalidArgumentError, frida.TimedOutError) as e:
            which = self.device_id or "a USB device or emulator"
            raise TargetError(
                f"no Frida device {which}: {e}. Check `adb devices` and that frida-server "
                f"{frida.__version__} runs as root on it (docs/device-setup.md)"
            ) from e

    def launch(self, device: frida.core.Device) -> Launch:
        if self.attach:
            apps = device.enumerate_applications(identifiers=[self.package], scope="minimal")
            running = [a for a in apps if a.pid]
            if not running:
                raise TargetError(f"{self.package} is not running on {device.name}; start it or spawn instead")
            return Launch(pid=running[0].pid, process=self.package, spawned=False)
        try:
            pid = device.spawn([self.package])
        except (frida.ExecutableNotFoundError, frida.NotSupportedError) as e:
            raise TargetError(f"cannot spawn {self.package} on {device.name}: {e} (is it installed?)") from e
        return Launch(pid=pid, process=self.package, spawned=True)

    def owns_child(self, identifier: str | None) -> bool:
        return belongs_to_package(identifier, self.package)

    def uid_of(self, device: frida.core.Device, pid: int) -> str | None:
        """The process's uid as frida-server reads it (``/proc/<pid>/status``): zygote has
        specialised a gated spawn (setuid to the app's uid) before Frida reports it."""
        uid = _process_parameters(device, pid).get("uid")
        return None if uid is None else str(uid)

    # Android ends an app's processes with SIGKILL (the activity manager, the crash
    # handler's Process.killProcess, a swipe from recents): a kill is the normal end there.
    killed_is_normal_end = True


def belongs_to_package(identifier: str | None, package: str) -> bool:
    """``com.example`` and its named processes ``com.example:push``; not ``com.example2``."""
    if not identifier:
        return False
    return identifier == package or identifier.startswith(package + ":")


PROCESS_PROPERTY = "-Dpiiaudit.process="
UID_PROPERTY = "-Dstandin.uid="


def standin_uid(argv: Sequence[str]) -> str | None:
    """The app uid a stand-in process plays (``-Dstandin.uid=<n>`` on its command line)."""
    for arg in argv:
        if isinstance(arg, str) and arg.startswith(UID_PROPERTY) and len(arg) > len(UID_PROPERTY):
            return arg[len(UID_PROPERTY):]
    return None


def _process_parameters(device: frida.core.Device, pid: int) -> dict:
    """Frida's full description of one process (uid, argv, ...); empty if it is gone."""
    found = device.enumerate_processes(pids=[pid], scope="full")
    return dict(found[0].parameters) if found else {}


def process_name_of(argv: Sequence[str]) -> str:
    """A readable process name: ``-Dpiiaudit.process=<name>`` if given (the stand-in's
    ``com.example.demoshop:push``), else a Java main class (or jar) when argv is a java
    command line, else the program's name."""
    for arg in argv[1:]:
        if arg.startswith(PROCESS_PROPERTY) and len(arg) > len(PROCESS_PROPERTY):
            return arg[len(PROCESS_PROPERTY):]
    program = Path(argv[0]).name
    if program not in ("java", "java.exe"):
        return program
    takes_value = {"-cp", "-classpath", "--class-path", "-p", "--module-path", "--add-modules", "--add-opens", "--add-exports"}
    args = list(argv[1:])
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-jar" and i + 1 < len(args):
            return Path(args[i + 1]).name
        if arg in ("-m", "--module") and i + 1 < len(args):
            return args[i + 1]
        if arg in takes_value:
            i += 2
            continue
        if not arg.startswith("-"):
            return arg
        i += 1
    return program


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return str(pid)
