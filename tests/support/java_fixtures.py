"""Small Java programs (tests/java) that exercise hook families the JVM stand-in's scripted app
does not reach.

The programs (``tests/java/src``, package ``com.example.fixture``) run on the stand-in's own Android
framework: its ``android.*`` and ``com.android.*`` classes, copied out of the stand-in's build
without its app and SDK classes, so a class the test means to be absent really is.
``tests/java/sdk`` is the app code of an SDK that ``LazyMain`` loads through its own URLClassLoader
(one not there when the hooks are installed); the SDK itself is the stand-in's MSA and MMKV
classes, copied beside it. Everything is compiled with the JDK's javac into a directory
keyed by the sources' hash (the stand-in's included), so a test session compiles it once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hooks.standin import build as standin
from hooks.standin.build import jdk_tool

HERE = Path(__file__).resolve().parents[1] / "java"
RELEASE = "17"
# Parts of the stand-in's class directory, by package path.
FRAMEWORK_PACKAGES = ("android", "com/android", "dalvik")
LAZY_SDK_PACKAGES = ("com/bun/miitmdid", "com/tencent/mmkv")


@dataclass(frozen=True)
class Fixtures:
    app: Path        # class path of the programs
    framework: Path  # the stand-in's Android framework classes
    sdk: Path        # the lazily loaded SDK's classes

    def argv(self, main: str, *args: str, jvm_args: tuple[str, ...] = ()) -> list[str]:
        classpath = os.pathsep.join((str(self.app), str(self.framework)))
        return [jdk_tool("java"), *jvm_args, "-cp", classpath, f"com.example.fixture.{main}", *args]


def _sources(part: str) -> list[Path]:
    return sorted((HERE / part).rglob("*.java"))


def _hash() -> str:
    h = hashlib.sha256(f"release={RELEASE}\nstandin={standin.source_hash()}\n".encode())
    for path in _sources("src") + _sources("sdk"):
        h.update(path.relative_to(HERE).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def _javac(sources: list[Path], out: Path, classpath: list[Path]) -> None:
    cmd = [jdk_tool("javac"), "--release", RELEASE, "-encoding", "UTF-8", "-nowarn", "-d", str(out),
           "-cp", os.pathsep.join(str(p) for p in classpath)]
    proc = subprocess.run(cmd + [str(s) for s in sources], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"javac failed ({proc.returncode}):\n{proc.stderr[-4000:]}")


def _copy_packages(classes: Path, packages: tuple[str, ...], out: Path) -> None:
    for package in packages:
        shutil.copytree(classes / package, out / package)


def build() -> Fixtures:
    """The compiled fixtures (compiled on first use, then reused while the sources are unchanged)."""
    root = Path(tempfile.gettempdir()) / f"piiaudit-java-fixtures-{_hash()}"
    done = Fixtures(app=root / "app", framework=root / "framework", sdk=root / "sdk")
    if (root / "ok").exists():
        return done
    classes = standin.build()
    work = Path(tempfile.mkdtemp(prefix="piiaudit-java-fixtures-"))
    try:
        _copy_packages(classes, FRAMEWORK_PACKAGES, work / "framework")
        _copy_packages(classes, LAZY_SDK_PACKAGES, work / "sdk")
        _javac(_sources("src"), work / "app", [work / "framework"])
        _javac(_sources("sdk"), work / "sdk", [work / "framework", work / "sdk"])
        (work / "ok").write_text("compiled\n")
        try:
            os.rename(work, root)  # atomic; another session may have won the race
        except OSError:
            if not (root / "ok").exists():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return done


@dataclass
class Run:
    store: object  # piiaudit.store.SessionStore
    runner: object  # hooks.runner.HooksRunner
    status: int | None
    stats: object  # hooks.runner.RunStats

    def events(self, kind: str, **where: object) -> list[dict]:
        """Rows of one kind (data parsed), in device order; `where` filters on data fields."""
        import json

        rows = []
        for row in self.store.rows("SELECT * FROM events WHERE kind = ? ORDER BY ts, seq", (kind,)):
            row = dict(row)
            row["data"] = json.loads(row["data"]) if row.get("data") else {}
            if all(row["data"].get(k) == v for k, v in where.items()):
                rows.append(row)
        return rows


def run_hooked(directory: Path, argv: list[str], *, timeout: float = 60.0, **runner_options: object) -> Run:
    """Run `argv` to its end under the agent, recording into a session in `directory`."""
    from hooks.runner import HooksRunner
    from hooks.targets import LocalProcess
    from piiaudit.store import SessionStore

    store = SessionStore(directory)
    runner = HooksRunner(store, LocalProcess(argv), **runner_options)
    runner.start()
    status = runner.wait(timeout)
    stats = runner.stop(kill=runner.running)
    return Run(store=store, runner=runner, status=status, stats=stats)
