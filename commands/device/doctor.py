"""`piiaudit doctor`: is this device ready for a recording? Each check says how to fix it.

With ``agent`` (an app package) a last check runs the agent in that app once and reports which
hook rows installed, per domain (commands/device/agent_check.py); it runs only when the
device checks before it found frida-server running.

After `piiaudit device setup` every item it set up has its line: root, frida-server (version,
running), the proxy route (the global setting and, for a loopback proxy, the `adb reverse`
port; with `route="emulator"` no global setting, as the emulator's own proxy carries the
traffic), the CA (on Android 14+ in each zygote's and app's mount namespace), QUIC, and the
canaries (each of the four, as the record setup left on the device says and the device shows).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import frida

from commands.device.adb import Adb, AdbError
from commands.device.cacert import android_name

FRIDA_SERVER_PATHS = ("/data/local/tmp/frida-server", "/data/local/tmp/re.frida.server/frida-server")
CA_DIRS = ("/system/etc/security/cacerts", "/apex/com.android.conscrypt/cacerts")


@dataclass
class Check:
    name: str
    status: str          # ok | warn | fail
    detail: str
    fix: str = ""
    more: tuple[str, ...] = ()    # lines printed under the check (per-domain coverage)

    def line(self) -> str:
        mark = {"ok": "✔", "warn": "!", "fail": "✘"}[self.status]
        text = f"{mark} {self.name}: {self.detail}"
        text += f"\n    fix: {self.fix}" if self.fix and self.status != "ok" else ""
        return "\n".join([text, *self.more])


def detector_check() -> Check:
    """The host side: are the detector's C scans and the flows.mitm record writer built, or
    do they run their slower paths (numpy; mitmproxy's own writer)?"""
    from piiaudit import flowrecord
    from piiaudit.detect import index   # the detector's own choice of path, made at import

    missing = []
    if index.NATIVE is None:
        missing.append("C scans not built: the numpy path finds the same, up to 4x slower on large bodies")
    if flowrecord.NATIVE is None:
        missing.append("C record writer not built: each saved flow costs the proxy about 70 us more")
    if missing:
        return Check("detector", "warn", "; ".join(missing),
                     "make setup (needs gcc and the Python headers: sudo apt-get install gcc python3-dev)")
    return Check("detector", "ok", "C scans built")


def run_checks(*, adb_path: str | None = None, serial: str | None = None, ca_pem: Path | None = None,
               proxy: str | None = None, agent: str | None = None, route: str = "global") -> list[Check]:
    """Every check that can run; stops early only when there is no device to talk to."""
    checks: list[Check] = [detector_check()]
    try:
        adb = Adb(adb_path, serial)
    except AdbError as e:
        return checks + [Check("adb", "fail", str(e), "sudo apt-get install adb")]
    checks.append(Check("adb", "ok", adb.path))

    try:
        devices = adb.devices()
    except AdbError as e:
        return checks + [Check("device", "fail", str(e), "adb kill-server && adb start-server")]
    ready = [d for d in devices if d.state == "device"]
    if serial:
        ready = [d for d in ready if d.serial == serial]
    if not ready:
        states = ", ".join(f"{d.serial} ({d.state})" for d in devices) or "none"
        fix = ("accept the 'Allow USB debugging' prompt on the device" if any(d.state == "unauthorized" for d in devices)
               else "start the emulator or plug in the phone with USB debugging on")
        return checks + [Check("device", "fail", f"no usable device; seen: {states}", fix)]
    if len(ready) > 1 and not serial:
        return checks + [Check("device", "fail", f"{len(ready)} devices: {', '.join(d.serial for d in ready)}",
                               "choose one with --device SERIAL")]
    adb.serial = ready[0].serial
    sdk = adb.getprop("ro.build.version.sdk")
    model = adb.getprop("ro.product.model")
    checks.append(Check("device", "ok", f"{adb.serial}: {model}, Android API {sdk}"))

    is_root = adb.shell("id -u") == "0" or adb.shell("su -c 'id -u'") == "0"
    checks.append(Check("root", "ok" if is_root else "fail", "root shell available" if is_root else "no root shell",
                        "use a Google APIs (not Play) emulator image and run `adb root`, or a rooted phone"))

    frida_ready = False
    server = next((p for p in FRIDA_SERVER_PATHS if adb.shell(f"ls {p}") == p), None)
    host_version = frida.__version__
    if server is None:
        checks.append(Check("frida-server", "fail", "not found in /data/local/tmp",
                            f"push frida-server {host_version} for the device's ABI "
                            f"({adb.getprop('ro.product.cpu.abi')}) to /data/local/tmp/frida-server; chmod 755"))
    else:
        version = adb.shell(f"{server} --version")
        same = version == host_version
        checks.append(Check("frida-server version", "ok" if same else "fail",
                            f"{version or 'unknown'} on the device, {host_version} on this host",
                            f"install frida-server {host_version} (host and device must match exactly)"))
        running = bool(adb.shell("pidof frida-server"))
        checks.append(Check("frida-server running", "ok" if running else "fail",
                            "running" if running else "not running",
                            f"adb shell \"su -c '{server} -D &'\" (or `adb root` then `adb shell '{server} -D &'`)"))
        frida_ready = same and running

    checks.append(proxy_check(adb, proxy, route))
    if ca_pem is None or not ca_pem.exists():
        checks.append(Check("CA installed", "warn", "no mitmproxy CA on this host yet (start the proxy once)",
                            "piiaudit record … creates ~/.mitmproxy/mitmproxy-ca-cert.pem"))
    else:
        name = android_name(ca_pem)
        where = [d for d in CA_DIRS if adb.shell(f"ls {d}/{name}") == f"{d}/{name}"]
        needs_apex = sdk.isdigit() and int(sdk) >= 34
        ok = bool(where) and (not needs_apex or CA_DIRS[1] in where)
        missing = apex_missing(adb, name) if ok and needs_apex and is_root else []
        ok = ok and not missing
        detail = (f"{name} in {', '.join(where)}" if where else f"{name} not in the system trust store")
        if missing:
            detail += f", but not in the APEX as seen by {', '.join(missing)} (apps from there do not trust it)"
        checks.append(Check("CA installed", "ok" if ok else "fail", detail,
                            "piiaudit device setup (or docs/device-setup.md, A.4; Android 14+: bind-mount over the "
                            "Conscrypt APEX in every zygote's and app's namespace after every boot)"))
    if is_root:
        checks.append(quic_check(adb))
    checks.append(canary_check(adb))
    if agent:
        checks.append(probe_agent(agent, adb.serial) if frida_ready else
                      Check("agent", "fail", f"not run in {agent}: frida-server is not ready (above)",
                            "fix the frida-server checks, then rerun with --agent"))
    return checks


def proxy_check(adb: Adb, proxy: str | None, route: str) -> Check:
    """The route to the proxy: the global setting (and `adb reverse` for a loopback proxy), or the emulator's own."""
    setting = adb.shell("settings get global http_proxy")
    unset = setting in ("", "null", ":0")
    if route == "emulator":
        return Check("proxy route", "ok" if unset else "fail",
                     "emulator-level: no global proxy setting; the emulator's own proxy cannot be read over adb "
                     "(check it was started with -http-proxy)" if unset else
                     f"global http_proxy = {setting} beside the emulator's own proxy: the proxy would see its own "
                     "connections", "adb shell settings delete global http_proxy  (or `piiaudit device setup --route emulator`)")
    if unset:
        return Check("proxy route", "warn", "no global HTTP proxy set on the device",
                     f"adb shell settings put global http_proxy {proxy or '10.0.2.2:8080'}  "
                     "(or `piiaudit device setup`, or start the emulator with -http-proxy and use --route emulator)")
    host, _, port = setting.rpartition(":")
    if host in ("127.0.0.1", "localhost") and f"tcp:{port} tcp:{port}" not in adb.run("reverse", "--list", check=False):
        return Check("proxy route", "fail", f"global http_proxy = {setting}, but no `adb reverse tcp:{port}` to the host",
                     f"adb reverse tcp:{port} tcp:{port}")
    wanted = proxy is None or setting == proxy
    return Check("proxy route", "ok" if wanted else "warn", f"global http_proxy = {setting}"
                 + (" (adb reverse to the host)" if host in ("127.0.0.1", "localhost") else ""),
                 f"adb shell settings put global http_proxy {proxy}")


def canary_check(adb: Adb) -> Check:
    """The canaries `device setup` planted: each one still in place, as far as adb can see."""
    from commands.device import canaries

    raw = adb.shell(f"cat {canaries.RECORD}")
    try:
        record = json.loads(raw) if raw.startswith("{") else None
    except json.JSONDecodeError:
        record = None
    if not record:
        return Check("canaries", "warn", "none planted (traffic carrying a planted value is the surest evidence)",
                     "piiaudit device setup --profile device.yaml")
    values = canaries.Canaries(**record["values"])
    seen, missing = [], []
    (seen if adb.shell("settings get global device_name") == values.device_name else missing).append("device name")
    (seen if canaries.contact_id(adb, values.contact_name) is not None else missing).append("contact")
    if record.get("location"):
        seen.append("location fix (as sent; the console cannot read it back)")
    if record.get("clipboard"):
        seen.append("clipboard (as set; a shell cannot read it back)")
    detail = f"tag {values.tag}: " + ", ".join(seen) + (f"; missing: {', '.join(missing)}" if missing else "")
    return Check("canaries", "warn" if missing else "ok", detail,
                 "piiaudit device reset && piiaudit device setup (after a reboot the clipboard and the fix are gone too)")


def apex_missing(adb: Adb, name: str) -> list[str]:
    """The zygotes and running apps whose own mount namespace lacks the CA in the Conscrypt APEX."""
    def root(command: str) -> str:
        return adb.shell(command) if adb.shell("id -u") == "0" else adb.shell(f"su -c '{command}'")

    zygotes = adb.shell("pidof zygote zygote64").split()
    pids = zygotes + (root(f"ps -o PID -P {','.join(zygotes)}").split()[1:] if zygotes else [])
    path = f"{CA_DIRS[1]}/{name}"
    return [f"pid {pid}" for pid in pids if root(f"nsenter --mount=/proc/{pid}/ns/mnt -- ls {path}") != path]


def quic_check(adb: Adb) -> Check:
    """Is UDP 443 rejected (apps fall back from QUIC to TCP, which the proxy sees)?"""
    from commands.device.setup import QUIC_RULE

    command = f"iptables -C {QUIC_RULE} && echo blocked"
    blocked = (adb.shell(command) if adb.shell("id -u") == "0" else adb.shell(f"su -c '{command}'")) == "blocked"
    return Check("QUIC blocked", "ok" if blocked else "warn",
                 "UDP 443 rejected" if blocked else "UDP 443 open: QUIC traffic would pass beside the proxy",
                 f"adb shell iptables -A {QUIC_RULE}  (or `piiaudit device setup`)")


def probe_agent(package: str, serial: str | None) -> Check:
    """The agent check against `package` on the device (commands/device/agent_check.py)."""
    from commands.device import agent_check

    return agent_check.agent_check(agent_check.android_target(package, serial))
