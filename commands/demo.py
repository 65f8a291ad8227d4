"""`piiaudit demo`: a complete audit of the JVM stand-in, on real components.

mitmproxy (with the piiaudit addon and a local responder for the SDK hosts) ←HTTPS← the
stand-in app on a HotSpot JVM, spawned under Frida with the piiaudit agent → session.db →
analysis → evidence. The stand-in's manifest (hooks/standin/AndroidManifest.xml: package,
version, declared permissions) is recorded in the session as an APK's would be. See docs/standin-scenario.md for the scenario and its ground truth.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import piiaudit
from piiaudit import apk as apk_mod
from piiaudit import manifest, paths, sessiondir
from piiaudit import profile as profiles
from commands.recording import embedded_proxy, record_session
from piiaudit.observed import ObservedValues
from piiaudit.store import SessionStore

DEMO_DATA = Path(piiaudit.__file__).parent / "data" / "demo"
DOUBLE_ADB = Path(__file__).resolve().parents[1] / "hooks" / "standin" / "adb" / "adb"
DEMO_APP = {"package": "com.example.demoshop", "name": "演示商城 (Demo Shop)", "version": "1.0.0",
            "category": "网上购物类"}


class DemoError(Exception):
    pass


@dataclass
class DemoResult:
    session_dir: Path
    seconds: float
    flows: int
    hits: int
    events: int
    findings: int
    outputs: dict[str, Path]
    summary: str


def _prepare_dir(out: Path, force: bool) -> None:
    """An empty or new directory; with `force`, an earlier piiaudit session's own files are
    deleted first (piiaudit.sessiondir.clear: never anything else, never another directory)."""
    try:
        if out.is_dir() and any(out.iterdir()):
            if not force:
                raise DemoError(f"{out}: already exists and is not empty; pass --force to replace an earlier "
                                "demo session, or choose another --out")
            sessiondir.clear(out)
        sessiondir.claim(out)
    except sessiondir.SessionDirError as e:
        raise DemoError(str(e)) from None
    except OSError as e:
        raise DemoError(f"{out}: cannot use the directory ({sessiondir.os_problem(e)})") from None


def _tester_marks(store: SessionStore, path: Path) -> list[dict]:
    """The scripted tester's marks (piiaudit.testermarks.scripted_rows), timed by the user's taps
    the hooks recorded; written as `piiaudit mark observed` writes them."""
    from piiaudit import testermarks

    taps: dict[str, float] = {}
    for r in store.rows("SELECT ts, value FROM events WHERE kind = 'click' AND value IS NOT NULL ORDER BY ts, id"):
        taps.setdefault(r["value"], r["ts"])
    end = store.rows("SELECT max(ts) AS ts FROM events")[0]["ts"] or time.time()
    try:
        rows = testermarks.scripted_rows(path, store.dir, taps, end)
    except testermarks.ObservationError as e:
        raise DemoError(str(e)) from None
    store.add_observations(rows)
    return rows


class ConsentDriver:
    """The demo's user: the UI automation of commands/device/ui, on the stand-in's own screen.

    The stand-in runs in device mode (`-Dstandin.user=device`): its privacy dialog, second
    prompt and the system's permission prompt wait for taps. The driver reaches its screen only
    through the adb double (hooks/standin/adb, a device state of this run with the stand-in as the
    screen), exactly as it reaches a phone through adb: `uiautomator dump`, `input tap`,
    `screencap`. So the taps the hooks record are the automation's, and the session keeps the
    screenshots and the actions (ui_actions, screens, consent_marks from `automation`)."""

    # How long the stand-in's dialogs wait for a tap before the run goes on unanswered (the
    # `none` answer waits this long once); the automation answers in well under a second.
    ANSWER_WAIT_MS = 6000

    def __init__(self, out: Path, work: Path, answer: str, echo: Callable[[str], None]):
        from hooks.standin.adb import device_model

        self.out, self.answer, self.echo = out, answer, echo
        self.port_file = work / "screen.port"
        state = device_model.new_device(34)
        state["packages"].append(DEMO_APP["package"])
        state["screen"] = {"provider": "standin", "port_file": str(self.port_file)}
        self.state_file = work / "device.json"
        device_model.save(str(self.state_file), state)
        self.stop = threading.Event()
        self.outcome = None
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="consent-automation", daemon=True)

    def jvm_args(self) -> list[str]:
        from hooks.standin import build as standin

        return standin.screen_args(self.port_file, answer_wait_ms=self.ANSWER_WAIT_MS)

    def start(self) -> None:
        self.echo(f"UI automation: answering the privacy dialog with {self.answer!r} through adb "
                  "(uiautomator dump, input tap, screencap) on the stand-in's screen")
        self.thread.start()

    def _run(self) -> None:
        from commands.device.adb import Adb
        from commands.device.ui import run_consent_path

        try:
            adb = Adb(str(DOUBLE_ADB), env={"FAKE_ADB_STATE": str(self.state_file)})
            # The JVM and Frida take a few seconds before the dialog is drawn; a store of its own
            # (the hooks runner writes through another connection at the same time).
            self.outcome = run_consent_path(adb, None, self.out, self.answer, permissions="allow",
                                            package=DEMO_APP["package"], dialog_wait_s=90, stop=self.stop)
        except BaseException as e:  # reported by finish(); the recording itself goes on
            self.failure = e

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        if self.failure is not None:
            raise DemoError(f"the UI automation failed: {self.failure}")
        if self.outcome is None:
            raise DemoError("the UI automation did not end within 60 s of the recording")
        self.echo(self.outcome.summary())
        expected = {"accept": "accepted", "decline": "declined", "none": "unanswered"}[self.answer]
        if self.outcome.decision != expected:
            raise DemoError(f"the UI automation was to answer {self.answer!r} but ended {self.outcome.decision!r}: "
                            + "; ".join(self.outcome.notes or ["no note"]))


def run_demo(out: Path, *, scenario: str = "demo", consent: str = "accept", force: bool = False,
             timeout: float = 180.0, echo: Callable[[str], None] = print,
             tester: dict[str, str] | None = None) -> DemoResult:
    """Record, analyse and report one scenario into `out`. `consent` is the answer to the demo's
    privacy prompt (hooks.standin.scenarios.CONSENT_CHOICES), given by UI automation on the
    stand-in's screen (ConsentDriver) and kept in the manifest as `consent_choice`; the full
    tour's user stays scripted inside the stand-in. The
    device is the demo profile's, with the build the stand-in's android.os.Build reports;
    `tester` ({"name", "source"}) is kept in the manifest as `record --tester` keeps it."""
    from hooks.standin import build as standin
    from hooks.standin.scenarios import CONSENT_CHOICES, SCENARIOS

    if scenario not in SCENARIOS:
        raise DemoError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    plan = SCENARIOS[scenario]
    if consent not in CONSENT_CHOICES:
        raise DemoError(f"unknown consent answer {consent!r}; choose one of {', '.join(CONSENT_CHOICES)}")
    if consent != "accept" and not plan.consent_choices:
        raise DemoError(f"the {scenario} scenario plays one fixed path; --consent {consent} needs --scenario demo")

    started = time.time()
    out = Path(out)
    _prepare_dir(out, force)
    store = SessionStore(out)
    # The stand-in hosts are answered by the proxy itself, so none is ever resolved.
    shutil.copyfile(DEMO_DATA / "device.yaml", out / "device.yaml")
    shutil.copyfile(plan.scope, out / "scope.yaml")
    profile = profiles.load(out / "device.yaml")
    manifest.write(store, app=DEMO_APP, device={**profile.device, **standin.BUILD_FACTS}, tester=tester,
                   scope="scope.yaml", profile="device.yaml", target="jvm-standin", mode="demo", scenario=plan.name,
                   consent_choice=consent if plan.consent_choices else None)

    # What an APK of the stand-in would declare, recorded as `record --apk` records a real one.
    apk_mod.store_in(store, apk_mod.read_manifest_xml(standin.MANIFEST))
    echo("building the stand-in app (javac) …")
    classpath = standin.build()
    # The truststore and device values of this run only: two demos at once must not rewrite each
    # other's files while a stand-in reads them (that once failed a TLS handshake mid-run).
    (paths.cache_dir() / "demo").mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=paths.cache_dir() / "demo"))
    try:
        return _record_and_report(out, store, plan, profile, classpath, work, consent, timeout, echo, started)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _record_and_report(out, store, plan, profile, classpath, work, consent, timeout, echo, started) -> DemoResult:
    """Run the stand-in under the proxy and the hooks (its run files in `work`), then analyse and report."""
    from analysis.pipeline import analyze
    from analysis.report import write_report
    from analysis.summary import text_summary
    from hooks.runner import HooksRunner
    from hooks.standin import build as standin
    from hooks.targets import LocalProcess

    device_props = standin.write_device_properties(profile, work / "device.properties")
    driver = ConsentDriver(out, work, consent, echo) if plan.consent_choices else None

    proxy = embedded_proxy(out, out / "device.yaml", listen_host="127.0.0.1", respond_hosts=plan.hosts,
                           confdir=paths.demo_confdir())
    proxy.start()
    echo(f"mitmproxy listening on 127.0.0.1:{proxy.port} (answering {', '.join(plan.hosts)} locally)")

    def hooks(observed: ObservedValues | None) -> HooksRunner:
        truststore, password = standin.make_truststore(proxy.ca_pem, work / "mitmproxy-truststore.p12")
        argv = standin.java_command(classpath, proxy_host="127.0.0.1", proxy_port=proxy.port,
                                    truststore=truststore, truststore_password=password,
                                    device_properties=device_props, main=plan.main_class,
                                    extra_jvm_args=driver.jvm_args() if driver else ())
        echo("spawning the stand-in under Frida (agent loaded before its first instruction) …")
        return HooksRunner(store, LocalProcess(argv), observed=observed)

    if driver:
        driver.start()
    try:
        outcome = record_session(store, proxy, hooks, timeout=timeout, echo=echo, proxy_started=True)
    finally:
        if driver:
            driver.finish()
    if outcome.timed_out:
        raise DemoError(f"the stand-in app did not finish within {timeout:.0f} s")
    if outcome.exit_status != 0:
        raise DemoError(f"the stand-in app exited with status {outcome.exit_status}; "
                        f"see the errors table in {out / 'session.db'}")

    if plan.tester_marks is not None:
        rows = _tester_marks(store, plan.tester_marks)
        echo(f"the tester's marks: {len(rows)} observations from {plan.tester_marks.name}")

    echo("analysing …")
    result = analyze(out, scope=out / "scope.yaml")
    outputs = write_report(out, result=result)
    manifest.write(store)
    seconds = time.time() - started
    counts = {t: store.count(t) for t in ("flows", "pii_hits", "events", "findings")}
    lines = [
        text_summary(result),
        "",
        f"demo finished in {seconds:.1f} s: {counts['flows']} flows, {counts['pii_hits']} PII hits, "
        f"{counts['events']} hook events, {counts['findings']} findings",
        *(f"{kind:>9}: {path}" for kind, path in outputs.items()),
    ]
    return DemoResult(out, seconds, counts["flows"], counts["pii_hits"], counts["events"], counts["findings"],
                      outputs, "\n".join(lines))
