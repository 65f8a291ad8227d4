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
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
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


def embedded_proxy(session_dir: Path, profile: Path | None, **options: Any) -> ProxyRunner:
    """The proxy for a recording in this process: it learns the values the hooks read
    from the ObservedValues `record_session` hands to the hooks factory."""
    from addon.proxy import ProxyRunner

    return ProxyRunner(session_dir, profile, observed=ObservedValues(), **options)


def record_session(store: SessionStore, proxy: Proxy, hooks_factory: Callable[[ObservedValues | None], Hooks], *,
                   timeout: float | None = None, echo: Callable[[str], None] = print,
                   proxy_started: bool = False) -> RecordingOutcome:
    """Run proxy + hooks until the app ends, `timeout` passes, or Ctrl-C. The hooks factory
    gets the proxy's ObservedValues to add the values it reads to."""
    started = time.time()
    hooks: Hooks | None = None
    status: int | None = None
    interrupted = timed_out = False
    if not proxy_started:
        proxy.start()
    try:
        hooks = hooks_factory(getattr(proxy, "observed", None))
        hooks.start()
        try:
            status = hooks.wait(timeout=timeout)
            timed_out = status is None and timeout is not None
        except KeyboardInterrupt:
            interrupted = True
            echo("stopping: Ctrl-C")
    finally:
        try:
            if hooks is not None:
                hooks.stop()
        finally:
            proxy.stop()
            manifest.write(store, recording={"started": started, "ended": time.time(), "exit_status": status,
                                             "interrupted": interrupted, "timed_out": timed_out,
                                             "versions": manifest.versions(), "zone": zone_label()})
    return RecordingOutcome(status, interrupted, timed_out, time.time() - started)


def record_device(package: str, session_dir: Path, *, profile: Path | None, device_id: str | None,
                  listen_host: str, listen_port: int, confdir: Path | None, attach: bool, force: bool = False,
                  echo: Callable[[str], None] = print, apk: Path | None = None,
                  tester: dict[str, str] | None = None) -> str:
    """`piiaudit record`: a real device or emulator, until Ctrl-C or the app exits. The
    session directory is new, empty or a piiaudit session (another one only with `force`).
    With `apk`, the app's manifest (identity, declared permissions) is recorded first; the APK
    must be `package`. `tester` ({"name", "source"}: piiaudit.identity.tester_from) is kept in
    the manifest; the device's model and build are read with `adb getprop` when adb reaches
    it, over what the profile says (`device_build`)."""
    from hooks.runner import HooksRunner
    from hooks.targets import AndroidApp

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
    confdir = confdir or Path.home() / ".mitmproxy"
    proxy = embedded_proxy(session_dir, session_dir / "device.yaml" if profile else None,
                           listen_host=listen_host, listen_port=listen_port, confdir=confdir)
    try:
        proxy.start()
    except OSError as e:
        raise RecordError(f"cannot listen on {listen_host}:{listen_port}: {e}") from None
    echo(f"proxy listening on {listen_host}:{listen_port}; CA: {proxy.ca_pem}")
    echo("point the device at it (docs/device-setup.md), then watch the app; Ctrl-C to stop")

    def hooks(observed: ObservedValues | None) -> HooksRunner:
        return HooksRunner(store, AndroidApp(package, device_id=device_id, attach=attach), observed=observed)

    try:
        outcome = record_session(store, proxy, hooks, echo=echo, proxy_started=True)
    except Exception as e:  # noqa: BLE001 - Frida/device faults become one clear line
        raise RecordError(f"recording stopped: {e} (run `piiaudit doctor` to check the device)") from e
    counts = {t: store.count(t) for t in ("flows", "pii_hits", "events")}
    how = "Ctrl-C" if outcome.interrupted else f"app exited ({outcome.exit_status})"
    return (f"recorded {outcome.seconds:.1f} s ({how}): {counts['flows']} flows, {counts['pii_hits']} PII hits, "
            f"{counts['events']} hook events in {session_dir}\n"
            + "".join(f"{line}\n" for line in state_lines(store))
            + f"next: piiaudit analyze {session_dir} --scope scope.yaml && piiaudit report {session_dir}")


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
