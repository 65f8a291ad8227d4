"""Recording a session: the proxy and the hooks runner side by side, stopped cleanly.

`piiaudit record` (a real device) and `piiaudit demo` (the JVM stand-in) share
`record_session`: start the proxy, start the hooks (spawn → agent → resume), wait for the
app to end, a timeout or Ctrl-C, then stop the hooks first (final clock sync, flush) and
the proxy second (flush the last batch, close flows.mitm), and finalise the manifest.
Whatever happens, both are stopped and everything they acknowledged stays in session.db.

Proxy and hooks share this process, so they are linked here: `embedded_proxy` gives the
proxy a piiaudit.observed ObservedValues, and `record_session` hands the same object to
the hooks factory; a value the hooks read reaches the proxy's detector as soon as the
runner has converted its event, without a trip through session.db.

`record_apk` (`piiaudit record --apk`) wraps `record_device` in the app's life on the device:
install (split APKs too), grant, record, then `am force-stop` and uninstall (unless kept),
whatever happened in between (commands/device/install.py). Two seams are left open:
- ``consent``: a driver of the app's screen (the consent dialog, permission prompts). It is
  called in its own thread once the app runs, with a `DriverContext` (adb, session store and
  directory, package, and a `stop` Event set when the recording ends); what it returns is kept
  in `RecordingOutcome.driver_result`, an exception it raises in `driver_error` (the recording
  goes on). None: nothing taps, the tester does.
- ``target_factory(proxy)``: what the hooks runner spawns; by default the app on the device
  (hooks.targets.AndroidApp). The tests give the JVM stand-in here (a LocalProcess whose
  traffic goes through the proxy), because the adb double installs and grants but cannot run
  an app (docs/device-setup.md says what that covers and what not).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from piiaudit import accounting, manifest, runs, sessiondir
from piiaudit import apk as apk_mod
from piiaudit import profile as profiles
from piiaudit import identity
from piiaudit.observed import ObservedValues
from piiaudit.store import SessionStore, StoreError
from piiaudit.times import zone_label

if TYPE_CHECKING:
    from addon.proxy import ProxyRunner


class RecordError(Exception):
    pass


class Proxy(Protocol):
    port: int
    observed: ObservedValues | None

    def start(self) -> None: ...
    def stop(self) -> None: ...


class Hooks(Protocol):
    def start(self) -> None: ...
    def wait(self, timeout: float | None = None) -> int | None: ...
    def stop(self) -> None: ...


@dataclass
class RecordingOutcome:
    exit_status: int | None      # the app's exit status, None if still running when stopped
    interrupted: bool            # stopped by Ctrl-C
    timed_out: bool
    seconds: float
    driver_result: Any = None    # what the `while_running` driver returned
    driver_error: str | None = None


@dataclass
class DriverContext:
    """What a consent driver gets (the `consent` seam of `record_apk`): it taps through `adb`,
    writes its rows to `store` and files under `session_dir`, and returns when `stop` is set."""
    adb: Any
    store: SessionStore
    session_dir: Path
    package: str
    stop: threading.Event = field(default_factory=threading.Event)


def ui_automation(answer: str, *, explore_s: float = 0.0, permissions: str = "leave", record_video: bool = False,
                  echo: Callable[[str], None] = print) -> Callable[[DriverContext], Any]:
    """The UI automation (commands/device/ui, docs/consent-automation.md) as `record_apk`'s
    consent driver: it answers the privacy dialog with `answer` (accept | decline | none),
    permission prompts with `permissions`, explores for `explore_s` seconds, and keeps its
    actions and screenshots in the session. Its store is its own connection (the hooks write
    through the recording's at the same time)."""
    from commands.device.ui import run_consent_path

    def drive(ctx: DriverContext) -> Any:
        outcome = run_consent_path(ctx.adb, None, ctx.session_dir, answer, explore_s=explore_s,
                                   permissions=permissions, record_video=record_video, stop=ctx.stop,
                                   package=ctx.package)
        echo(outcome.summary())
        return outcome
    return drive


DRIVER_JOIN_S = 10.0             # how long the end of a recording waits for the driver to return


def embedded_proxy(session_dir: Path, profile: Path | None, **options: Any) -> ProxyRunner:
    """The proxy for a recording in this process: it learns the values the hooks read
    from the ObservedValues `record_session` hands to the hooks factory."""
    from addon.proxy import ProxyRunner

    return ProxyRunner(session_dir, profile, observed=ObservedValues(), **options)


def record_session(store: SessionStore, proxy: Proxy, hooks_factory: Callable[[ObservedValues | None], Hooks], *,
                   timeout: float | None = None, echo: Callable[[str], None] = print,
                   proxy_started: bool = False,
                   while_running: Callable[[threading.Event], Any] | None = None) -> RecordingOutcome:
    """Run proxy + hooks until the app ends, `timeout` passes, or Ctrl-C. The hooks factory
    gets the proxy's ObservedValues to add the values it reads to. `while_running(stop)` runs
    in its own thread from the moment the hooks have started the app until the recording
    ends (then `stop` is set and it gets DRIVER_JOIN_S to return)."""
    started = time.time()
    hooks: Hooks | None = None
    status: int | None = None
    interrupted = timed_out = False
    stop = threading.Event()
    driver: dict[str, Any] = {}
    thread: threading.Thread | None = None

    def drive() -> None:
        try:
            driver["result"] = while_running(stop)
        except Exception as e:  # noqa: BLE001 - a driver's failure is reported; the recording goes on
            driver["error"] = f"{type(e).__name__}: {e}"

    if not proxy_started:
        proxy.start()
    try:
        hooks = hooks_factory(getattr(proxy, "observed", None))
        hooks.start()
        if while_running is not None:
            thread = threading.Thread(target=drive, name="piiaudit-driver", daemon=True)
            thread.start()
        try:
            status = hooks.wait(timeout=timeout)
            timed_out = status is None and timeout is not None
        except KeyboardInterrupt:
            interrupted = True
            echo("stopping: Ctrl-C")
    finally:
        stop.set()
        if thread is not None:
            thread.join(DRIVER_JOIN_S)
            if thread.is_alive():
                driver.setdefault("error", f"the driver did not return within {DRIVER_JOIN_S:.0f} s of the stop")
        try:
            if hooks is not None:
                hooks.stop()
        finally:
            proxy.stop()
            manifest.write(store, recording={"started": started, "ended": time.time(), "exit_status": status,
                                             "interrupted": interrupted, "timed_out": timed_out,
                                             "versions": manifest.versions(), "zone": zone_label()})
    return RecordingOutcome(status, interrupted, timed_out, time.time() - started,
                            driver.get("result"), driver.get("error"))


def record_device(package: str, session_dir: Path, *, profile: Path | None, device_id: str | None,
                  listen_host: str, listen_port: int, confdir: Path | None, attach: bool, force: bool = False,
                  echo: Callable[[str], None] = print, apk: Path | None = None,
                  tester: dict[str, str] | None = None, duration: float | None = None,
                  target_factory: Callable[[Any], Any] | None = None,
                  driver: Callable[[SessionStore], Callable[[threading.Event], Any]] | None = None,
                  on_device: Callable[[SessionStore], Any] | None = None,
                  proxy_options: dict[str, Any] | None = None) -> str:
    """`piiaudit record`: a real device or emulator, until Ctrl-C or the app exits. The
    session directory is new, empty or a piiaudit session (another one only with `force`).
    With `apk`, the app's manifest (identity, declared permissions) is recorded first; the APK
    must be `package`. `tester` ({"name", "source"}: piiaudit.identity.tester_from) is kept in
    the manifest; the device's model and build are read with `adb getprop` when adb reaches
    it, over what the profile says (`device_build`).

    `duration` stops the recording after that many seconds (else the app's end or Ctrl-C);
    `target_factory(proxy)` replaces the app on the device as what the hooks spawn;
    `driver(store)` gives the `while_running` function of `record_session`; `on_device(store)`
    is a context manager entered once the session is claimed, before the proxy starts, and left
    after the recording whatever happened (`record_apk`'s install ... uninstall)."""
    device = {}
    app: dict[str, Any] = {"package": package}
    try:
        loaded = profiles.load(profile) if profile is not None else None    # checked before anything is written
        app_manifest = apk_mod.read_any(apk) if apk is not None else None
        if app_manifest is not None and app_manifest.package != package:
            raise RecordError(f"{apk}: the APK is {app_manifest.package}, not {package}")
        sessiondir.claim(session_dir, force=force)
        store = SessionStore(session_dir)
    except (StoreError, sessiondir.SessionDirError, profiles.ProfileError, apk_mod.ApkError) as e:
        raise RecordError(str(e)) from None
    if app_manifest is not None:
        apk_mod.store_in(store, app_manifest)
        app.update(version=app_manifest.version_name, version_code=app_manifest.version_code,
                   apk_sha256=app_manifest.sha256)
    if profile is not None and loaded is not None:
        shutil.copyfile(profile, session_dir / "device.yaml")
        device = dict(loaded.device)
    device.update(device_build(device_id))
    manifest.write(store, app=app, device=device, mode="device", tester=tester,
                   profile="device.yaml" if profile else None)
    with (on_device(store) if on_device is not None else _nothing()):
        outcome = _record(store, session_dir, package, profile, device_id, listen_host, listen_port, confdir,
                          attach, echo, duration, target_factory, driver, proxy_options)
    counts = {t: store.count(t) for t in ("flows", "pii_hits", "events")}
    how = ("Ctrl-C" if outcome.interrupted else f"--duration {duration:g} s" if outcome.timed_out
           else f"app exited ({outcome.exit_status})")
    driven = ("" if driver is None else f"screen driver: {outcome.driver_error}\n" if outcome.driver_error
              else f"screen driver: {outcome.driver_result}\n")
    return (f"recorded {outcome.seconds:.1f} s ({how}): {counts['flows']} flows, {counts['pii_hits']} PII hits, "
            f"{counts['events']} hook events in {session_dir}\n" + driven
            + "".join(f"{line}\n" for line in state_lines(store))
            + f"next: piiaudit analyze {session_dir} --scope scope.yaml && piiaudit report {session_dir}")


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _record(store, session_dir, package, profile, device_id, listen_host, listen_port, confdir, attach, echo,
            duration, target_factory, driver, proxy_options) -> RecordingOutcome:
    from hooks.runner import HooksRunner
    from hooks.targets import AndroidApp

    confdir = confdir or Path.home() / ".mitmproxy"
    proxy = embedded_proxy(session_dir, session_dir / "device.yaml" if profile else None,
                           listen_host=listen_host, listen_port=listen_port, confdir=confdir, **(proxy_options or {}))
    try:
        proxy.start()
    except OSError as e:
        raise RecordError(f"cannot listen on {listen_host}:{listen_port}: {e}") from None
    echo(f"proxy listening on {listen_host}:{proxy.port}; CA: {proxy.ca_pem}")
    echo("point the device at it (docs/device-setup.md), then watch the app; "
         + (f"recording for {duration:g} s or until Ctrl-C" if duration else "Ctrl-C to stop"))

    def hooks(observed: ObservedValues | None) -> HooksRunner:
        target = (target_factory(proxy) if target_factory is not None
                  else AndroidApp(package, device_id=device_id, attach=attach))
        return HooksRunner(store, target, observed=observed)

    try:
        return record_session(store, proxy, hooks, echo=echo, proxy_started=True, timeout=duration,
                              while_running=driver(store) if driver is not None else None)
    except Exception as e:  # noqa: BLE001 - Frida/device faults become one clear line
        raise RecordError(f"recording stopped: {e} (run `piiaudit doctor` to check the device)") from e


def record_apk(apks: list[Path], session_dir: Path, *, grant: str = "none", keep: bool = False,
               adb_path: str | None = None, device_id: str | None = None, package: str | None = None,
               consent: Callable[[DriverContext], Any] | None = None,
               echo: Callable[[str], None] = print, **recording: Any) -> str:
    """`piiaudit record --apk`: install the APK (and its splits), grant `grant` (none | all |
    PERM,PERM), record as `record_device` does (`recording`: its keyword arguments), then
    force-stop the app and uninstall it unless `keep`. Nothing is installed when the APKs, the
    grant list, the device or the session directory is wrong. The install (files, permissions
    asked for and granted, kept or not) is kept in the manifest under `install`."""
    from commands.device.adb import Adb, AdbError
    from commands.device.install import AppOnDevice, InstallError, grant_list, resolve

    with tempfile.TemporaryDirectory(prefix="piiaudit-apks-") as work:
        try:
            apkset = resolve(list(apks), Path(work))
            if package is not None and package != apkset.package:
                raise RecordError(f"{apkset.base}: the APK is {apkset.package}, not {package}")
            adb = Adb(adb_path, device_id)
            if adb.serial is None:
                ready = [d.serial for d in adb.devices() if d.state == "device"]
                if len(ready) != 1:
                    raise RecordError(f"{len(ready)} usable devices ({', '.join(ready)}); choose one with --device"
                                      if ready else "no usable device: start the emulator (then `piiaudit doctor`)")
                adb.serial = ready[0]
            sdk = adb.getprop("ro.build.version.sdk")
            if not sdk.isdigit():
                raise RecordError(f"cannot read the device's API level (ro.build.version.sdk = {sdk!r})")
            permissions = grant_list(grant, apkset.manifest, int(sdk))
        except (InstallError, AdbError) as e:
            raise RecordError(str(e)) from None
        app = AppOnDevice(adb, say=echo)

        @contextmanager
        def on_device(store: SessionStore) -> Iterator[None]:
            facts: dict[str, Any] = {"files": [f.name for f in apkset.files()], "grant": grant, "kept": keep,
                                     "serial": adb.serial, "api": int(sdk)}
            installed = False
            try:
                app.install(apkset)
                installed = True
                app.grant(apkset.package, permissions)
                facts["granted"] = app.granted(apkset.package)
                echo(f"granted {len(facts['granted'])} runtime permission(s)"
                     + (f": {', '.join(p.rsplit('.', 1)[-1] for p in facts['granted'])}" if facts["granted"] else ""))
                manifest.write(store, install=facts)
                yield
            except InstallError as e:
                raise RecordError(str(e)) from None
            finally:
                if installed:
                    try:
                        app.force_stop(apkset.package)
                        if not keep:
                            app.uninstall(apkset.package)
                    except InstallError as e:
                        echo(f"! {e}")

        def driver(store: SessionStore) -> Callable[[threading.Event], Any]:
            return lambda stop: consent(DriverContext(adb, store, session_dir, apkset.package, stop))

        return record_device(apkset.package, session_dir, device_id=adb.serial, echo=echo, apk=apkset.base,
                             on_device=on_device, driver=driver if consent is not None else None, **recording)


def device_build(device_id: str | None, adb: Any = None) -> dict[str, str]:
    """The device's model and build as `adb shell getprop` reads them (piiaudit.identity.GETPROP),
    the facts it answers only; {} when adb is missing or does not reach the device (the
    profile's facts then stand alone)."""
    from commands.device.adb import Adb, AdbError

    try:
        adb = adb or Adb(serial=device_id, timeout=5.0)
        read = {key: adb.getprop(prop) for key, prop in identity.GETPROP.items()}
    except AdbError:
        return {}
    return {key: value.strip() for key, value in read.items() if value and value.strip()}


def state_lines(store: SessionStore) -> list[str]:
    """After a recording: runs that did not end (piiaudit.runs) and what each stage lost (piiaudit.accounting)."""
    partial = runs.partial(store)
    return [*(runs.describe(r) for r in partial), *accounting.read(store).lines(len(partial))]
