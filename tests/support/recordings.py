"""Real recordings of the JVM stand-in's scenarios, made with `piiaudit demo`'s own code
(`commands.demo.run_demo`: the embedded proxy with the addon, the Frida agent in the stand-in,
then the analysis), and the demo scenario's steps located in one.

The suite records each scenario once per run (tests/conftest.py). Tests read a recording as
it is; a test that writes to a session works on a copy (`copy_recording`).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from hooks.standin import build as standin
from piiaudit import manifest
from piiaudit.store import SessionStore
from tests.support.samples import STEP_S, ScenarioIds, write_standin_scenario

# What the analysis and the report make from a recording; a copy leaves them out, and the
# scope file too, so a test decides which scope the analysis gets.
NOT_RECORDED = ("scope.yaml", "evidence.xlsx", "report.html", "findings.json")
OUTPUT_LOG = "target-output.log"   # the app's stdout and stderr, as the hooks runner saved them

# The demo scenario's steps (docs/standin-scenario.md) that leave one row each:
# step -> (kind, pii_type) of its hook event, or (method, URL prefix) of its flow.
STEP_EVENTS = {
    1: ("pii_read", "imei"), 2: ("pii_read", "installed_apps"), 4: ("pii_read", "android_id"),
    5: ("pii_read", "mac"), 7: ("dialog_shown", None), 8: ("click", None), 9: ("pref_write", None),
    10: ("permission_request", None), 11: ("pii_read", "location"), 13: ("pii_read", "clipboard"),
}
STEP_FLOWS = {
    3: ("POST", "https://ulogs.umeng.com/unify_logs"), 6: ("POST", "https://stats.jpush.cn/v3/report"),
    12: ("GET", "https://api.demoshop.example/v1/stores/nearby?"), 14: ("GET", "http://stats.jpush.cn/v3/hb?"),
}


def require_jdk() -> None:
    """Skip the calling test when no JDK (java, javac, keytool) is installed."""
    try:
        for tool in ("java", "javac", "keytool"):
            standin.jdk_tool(tool)
    except standin.JdkNotFound as e:
        pytest.skip(str(e))


@dataclass(frozen=True)
class Recording:
    """One scenario recorded into `session_dir`; `error` says why `piiaudit demo` stopped, if it did."""

    scenario: str
    session_dir: Path
    result: object | None      # commands.demo.DemoResult
    error: str | None

    def store(self) -> SessionStore:
        return SessionStore(self.session_dir, create=False)

    @property
    def exit_status(self) -> int | None:
        manifest = json.loads((self.session_dir / "manifest.json").read_text("utf-8"))
        return (manifest.get("recording") or {}).get("exit_status")

    @property
    def output(self) -> str:
        log = self.session_dir / OUTPUT_LOG
        return log.read_text("utf-8", "replace") if log.exists() else ""

    def flows(self) -> list:
        """The flows as the proxy saved them (flows.mitm), in the order they were saved."""
        from mitmproxy import io

        with open(self.session_dir / "flows.mitm", "rb") as fo:
            return list(io.FlowReader(fo).stream())


def record(scenario: str, out: Path, *, consent: str = "accept") -> Recording:
    """Record `scenario` ("demo" or "full") into the new directory `out`, as `piiaudit demo` does;
    `consent` is the demo's scripted answer to the privacy prompt (accept, decline, none)."""
    from commands.demo import DemoError, run_demo

    require_jdk()
    try:
        return Recording(scenario, out, run_demo(out, scenario=scenario, consent=consent, echo=lambda _line: None),
                         None)
    except DemoError as e:
        return Recording(scenario, out, None, str(e))


def copy_recording(recording: Recording, out: Path) -> Path:
    """A copy of what was recorded (not the analysis outputs, not scope.yaml; the screens/ captures
    too) in the new directory `out`."""
    if recording.error:
        pytest.fail(f"the {recording.scenario} scenario was not recorded: {recording.error}")
    out.mkdir(parents=True)
    for path in recording.session_dir.iterdir():
        if path.is_file() and path.name not in NOT_RECORDED and not path.name.startswith("session.db"):
            shutil.copy2(path, out / path.name)
    if (recording.session_dir / "screens").is_dir():   # the UI automation's captures (piiaudit.sessiondir)
        shutil.copytree(recording.session_dir / "screens", out / "screens")
    src, dst = sqlite3.connect(recording.session_dir / "session.db"), sqlite3.connect(out / "session.db")
    try:
        src.backup(dst)   # a consistent copy even while a reader holds the recording open
    finally:
        src.close()
        dst.close()
    # The backup holds the same rows in other bytes: the copy's manifest vouches for its own file.
    store = SessionStore(out, create=False)
    try:
        manifest.write(store)
    finally:
        store.close()
    return out


def scenario_ids(session_dir: Path) -> ScenarioIds:
    """The ids and times of the demo scenario's steps in a recording of it, like the sample's."""
    store = SessionStore(session_dir, create=False)
    try:
        ids = ScenarioIds(t0=0.0)
        for step, (kind, pii_type) in STEP_EVENTS.items():
            rows = store.rows("SELECT id, ts FROM events WHERE kind = ? AND pii_type IS ?", (kind, pii_type))
            assert len(rows) == 1, f"step {step}: {len(rows)} {kind} events ({pii_type}) in {session_dir}"
            ids.events[step], ids.step_ts[step] = rows[0]["id"], rows[0]["ts"]
        for step, (method, prefix) in STEP_FLOWS.items():
            rows = [r for r in store.rows("SELECT id, ts_start, method, url FROM flows")
                    if r["method"] == method and r["url"].startswith(prefix)]
            assert len(rows) == 1, f"step {step}: {len(rows)} flows {method} {prefix} in {session_dir}"
            ids.flows[step], ids.step_ts[step] = rows[0]["id"], rows[0]["ts_start"]
        ids.t0 = ids.ts(1) - STEP_S
        return ids
    finally:
        store.close()


SCENARIO_SOURCES = ("sample", "recording")


@dataclass(frozen=True)
class ScenarioSource:
    """Where a test's demo-scenario session comes from: the hand-made sample or the real recording.

    Parametrise a fixture over SCENARIO_SOURCES and build one from its request; the
    recording is asked for only when a test uses it.
    """

    kind: str                 # "sample" or "recording"
    request: pytest.FixtureRequest

    def write(self, session_dir: Path) -> ScenarioIds:
        """A new session of the scenario in `session_dir`, and its steps' ids and times."""
        if self.kind == "sample":
            return write_standin_scenario(session_dir)
        recording = self.request.getfixturevalue("demo_recording")
        return scenario_ids(copy_recording(recording, Path(session_dir)))
