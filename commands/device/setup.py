"""`piiaudit device setup` and `piiaudit device reset`: docs/device-setup.md as one command.

setup, in order, each step only when the device is not already in its state (a second run
changes nothing): check root (adbd root, `adb root` on a non-user build, else `su -c`); push
and start frida-server of this host's Frida version; point the global HTTP proxy at the
proxy (`adb reverse` when the proxy is the device's own loopback, as over USB); install
mitmproxy's CA as a system CA (Android ≤ 13: remount /system and copy; 14+: a tmpfs over
/system/etc/security/cacerts and bind mounts over the Conscrypt APEX directory in the shell's,
each zygote's and each running app's mount namespace); block QUIC (iptables, UDP 443).
then plants the canary values (commands/device/canaries.py: clipboard text, a contact, an
emulator's location fix, the device name) and, given a profile, adds them to it.
reset undoes each of these that it finds. With dry_run every command that would change the
device is printed and none is run (read-only queries still run, to decide what is needed).

The route to the proxy is `global` (Android's global HTTP proxy setting, above) or `emulator`:
the emulator's own proxy (`emulator -http-proxy`), which tunnels every TCP connection of the
guest through the proxy, apps that ignore Android's proxy setting included. The emulator
console has no command to set or read that proxy while the emulator runs (it is a start
option, or the Extended controls window's Settings > Proxy page), so with `emulator` setup
removes a global proxy setting it finds (both at once would send the proxy's own connections
through itself), reads the AVD's name from the console (`adb emu avd name`) and prints the one
command that restarts the emulator with the proxy. A phone has no such proxy: refused.
"""

from __future__ import annotations

import lzma
import os
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import frida

from commands.device import canaries as canary_mod
from commands.device.adb import Adb, AdbError
from commands.device.cacert import android_name

SERVER = "/data/local/tmp/frida-server"
SYSTEM_CACERTS = "/system/etc/security/cacerts"
APEX_CACERTS = "/apex/com.android.conscrypt/cacerts"
QUIC_RULE = "OUTPUT -p udp --dport 443 -j REJECT"
FRIDA_ABI = {"arm64-v8a": "arm64", "armeabi-v7a": "arm", "armeabi": "arm", "x86": "x86", "x86_64": "x86_64"}
UNSET_PROXY = ("", "null", ":0")


class SetupError(Exception):
    pass


def cache_dir() -> Path:
    return Path(os.environ.get("PIIAUDIT_CACHE") or Path.home() / ".cache" / "piiaudit") / "frida-server"


def server_file_name(abi: str, version: str | None = None) -> str:
    return f"frida-server-{version or frida.__version__}-android-{FRIDA_ABI.get(abi, abi)}.xz"


class Device:
    """One device, its root route, and the split between queries (always run) and changes."""

    def __init__(self, adb: Adb, *, dry_run: bool, say: Callable[[str], None]):
        self.adb, self.dry_run, self.say = adb, dry_run, say
        self.su = False
        self.changes = 0

    # -- running --
    def query(self, command: str) -> str:
        """A read-only command as root (never changes the device)."""
        return self.adb.shell(self.as_root(command))

    def as_root(self, command: str) -> str:
        return f"su -c {shlex.quote(command)}" if self.su else command

    def change(self, command: str) -> None:
        self.adb_change("shell", self.as_root(command))

    def adb_change(self, *args: str, shown: str | None = None) -> None:
        self.changes += 1
        self.say(shown or "adb " + " ".join(shlex.quote(a) for a in args))
        if not self.dry_run:
            try:
                self.adb.run(*args)
            except AdbError as e:
                raise SetupError(str(e)) from None

    def exists(self, path: str, pid: int | None = None) -> bool:
        ls = f"ls {path}" if pid is None else f"nsenter --mount=/proc/{pid}/ns/mnt -- ls {path}"
        return self.query(ls) == path

    def sdk(self) -> int:
        sdk = self.adb.getprop("ro.build.version.sdk")
        if not sdk.isdigit():
            raise SetupError(f"cannot read the device's API level (ro.build.version.sdk = {sdk!r})")
        return int(sdk)

    def app_namespaces(self) -> list[int]:
        """Each zygote's pid and each of its children's (the running apps)."""
        zygotes = self.query("pidof zygote zygote64").split()
        if not zygotes:
            return []
        children = self.query(f"ps -o PID -P {','.join(zygotes)}").split()[1:]
        return [int(p) for p in zygotes + children]


def connect(adb_path: str | None, serial: str | None, *, dry_run: bool, say: Callable[[str], None]) -> Device:
    """The device to set up, or one line saying why there is none (nothing is changed)."""
    try:
        adb = Adb(adb_path, serial)
        devices = adb.devices()
    except AdbError as e:
        raise SetupError(str(e)) from None
    if serial:
        match = [d for d in devices if d.serial == serial]
        if not match:
            raise SetupError(f"no device {serial}; adb sees: {', '.join(d.serial for d in devices) or 'none'}")
        devices = match
    ready = [d for d in devices if d.state == "device"]
    if not ready:
        seen = ", ".join(f"{d.serial} ({d.state})" for d in devices) or "none"
        hint = ("restart the emulator or replug the phone, then `adb devices`" if any(d.state == "offline" for d in devices)
                else "accept the 'Allow USB debugging' prompt" if any(d.state == "unauthorized" for d in devices)
                else "start the emulator or plug in the phone with USB debugging on")
        raise SetupError(f"no usable device; seen: {seen}: {hint}")
    if len(ready) > 1:
        raise SetupError(f"{len(ready)} devices: {', '.join(d.serial for d in ready)}; choose one with --serial")
    adb.serial = ready[0].serial
    return Device(adb, dry_run=dry_run, say=say)


def get_root(dev: Device) -> None:
    """adbd as root, else `adb root` (emulator images that are not user builds), else `su -c`."""
    try:
        if dev.adb.shell("id -u") == "0":
            return
        if dev.adb.getprop("ro.build.type") != "user":
            dev.adb_change("root")
            if dev.dry_run:
                return
            dev.adb.run("wait-for-device", check=False)
            if dev.adb.shell("id -u") == "0":
                return
        if dev.adb.shell("su -c 'id -u'") == "0":
            dev.su = True
            return
    except AdbError as e:
        raise SetupError(str(e)) from None
    raise SetupError("no root on the device: use a Google APIs (not Google Play) emulator image, "
                     "or a rooted phone where `adb shell su -c id` prints uid=0")


# -- setup steps -------------------------------------------------------------------------------

def frida_server(dev: Device, given: Path | None) -> None:
    version = frida.__version__
    have = dev.query(f"{SERVER} --version") if dev.exists(SERVER) else ""
    if have != version:
        abi = dev.adb.getprop("ro.product.cpu.abi")
        local = find_server(given, abi)
        with tempfile.TemporaryDirectory() as tmp:
            plain = Path(tmp) / "frida-server"
            opener = lzma.open if local.name.endswith(".xz") else open
            with opener(local, "rb") as src, open(plain, "wb") as out:
                shutil.copyfileobj(src, out)
            for pid in dev.query("pidof frida-server").split():
                dev.change(f"kill {pid}")
            unpacked = " (unpacked from .xz)" if local.name.endswith(".xz") else ""
            dev.adb_change("push", str(plain), SERVER, shown=f"adb push {shlex.quote(str(local))} {SERVER}{unpacked}")
        dev.change(f"chmod 755 {SERVER}")
        if not dev.dry_run:
            pushed = dev.query(f"{SERVER} --version")
            if pushed != version:
                raise SetupError(f"{local} is frida-server {pushed or '(unknown version)'}, this host's Frida is {version}: "
                                 f"use {server_file_name(abi)}")
    if not dev.query("pidof frida-server"):
        dev.change(f"{SERVER} -D")


def find_server(given: Path | None, abi: str) -> Path:
    name = server_file_name(abi)
    if given is not None:
        if not given.is_file():
            raise SetupError(f"--frida-server {given}: no such file")
        return given
    for candidate in (cache_dir() / name, cache_dir() / name[:-3]):
        if candidate.is_file():
            return candidate
    raise SetupError(f"no frida-server {frida.__version__} for {abi}: fetch {name} from "
                     f"https://github.com/frida/frida/releases/tag/{frida.__version__} into {cache_dir()} "
                     "(or give it with --frida-server FILE)")


def default_proxy(serial: str) -> str:
    return "10.0.2.2:8080" if serial.startswith("emulator-") else "127.0.0.1:8080"


ROUTES = ("global", "emulator")


def emulator_route(dev: Device, proxy: str) -> None:
    """The emulator's own proxy: no global setting beside it, and the command that starts it so."""
    serial = dev.adb.serial
    if not serial.startswith("emulator-"):
        raise SetupError(f"--route emulator: {serial} is not an emulator; a phone goes through the global proxy "
                         "(--route global) with `adb reverse`")
    if dev.adb.shell("settings get global http_proxy") not in UNSET_PROXY:
        dev.adb_change("shell", "settings delete global http_proxy")
    avd = dev.adb.run("emu", "avd", "name", check=False).splitlines()
    name = avd[0].strip() if avd and avd[0].strip() not in ("", "OK") else "<your AVD>"
    host, _, port = proxy.rpartition(":")
    if host == "10.0.2.2":
        host = "127.0.0.1"          # the emulator process runs on the host: the host's own loopback
    dev.say(f"! the emulator's proxy is a start option (the console cannot set it while it runs): restart it with\n"
            f"    emulator -avd {name} -http-proxy http://{host}:{port}")


def proxy_route(dev: Device, proxy: str) -> None:
    host, _, port = proxy.rpartition(":")
    if not host or not port.isdigit():
        raise SetupError(f"--proxy {proxy}: expected HOST:PORT")
    if host in ("127.0.0.1", "localhost") and f"tcp:{port} tcp:{port}" not in dev.adb.run("reverse", "--list", check=False):
        dev.adb_change("reverse", f"tcp:{port}", f"tcp:{port}")
    if dev.adb.shell("settings get global http_proxy") != proxy:
        dev.adb_change("shell", f"settings put global http_proxy {proxy}")


def ca_cert(dev: Device, ca_pem: Path, sdk: int) -> None:
    if not ca_pem.is_file():
        raise SetupError(f"no mitmproxy CA at {ca_pem}: run the proxy once (`mitmdump`, or `piiaudit record`) "
                         "to create it, or give it with --ca")
    name = android_name(ca_pem)
    staged = f"/data/local/tmp/{name}"
    if sdk <= 33:
        if not dev.exists(f"{SYSTEM_CACERTS}/{name}"):
            dev.adb_change("push", str(ca_pem), staged)
            if dev.su:
                dev.change("mount -o rw,remount /system")
            else:
                dev.adb_change("remount")
            for command in (f"cp {staged} {SYSTEM_CACERTS}/{name}", f"chown root:root {SYSTEM_CACERTS}/{name}",
                            f"chmod 644 {SYSTEM_CACERTS}/{name}",
                            f"chcon u:object_r:system_file:s0 {SYSTEM_CACERTS}/{name}", f"rm {staged}"):
                dev.change(command)
        return
    if not dev.exists(f"{SYSTEM_CACERTS}/{name}"):
        dev.adb_change("push", str(ca_pem), staged)
        copy = "/data/local/tmp/ca-copy"
        for command in (f"mkdir -p -m 700 {copy}", f"cp {APEX_CACERTS}/* {copy}/",
                        f"mount -t tmpfs tmpfs {SYSTEM_CACERTS}", f"mv {copy}/* {SYSTEM_CACERTS}/",
                        f"cp {staged} {SYSTEM_CACERTS}/{name}", f"chown root:root {SYSTEM_CACERTS}/*",
                        f"chmod 644 {SYSTEM_CACERTS}/*",
                        f"chcon u:object_r:system_file:s0 {SYSTEM_CACERTS} {SYSTEM_CACERTS}/*",
                        f"rm -r {copy}", f"rm {staged}"):
            dev.change(command)
    if not dev.exists(f"{APEX_CACERTS}/{name}"):
        dev.change(f"mount --bind {SYSTEM_CACERTS} {APEX_CACERTS}")
    for pid in dev.app_namespaces():
        if not dev.exists(f"{APEX_CACERTS}/{name}", pid):
            dev.change(f"nsenter --mount=/proc/{pid}/ns/mnt -- /bin/mount --bind {SYSTEM_CACERTS} {APEX_CACERTS}")


def quic_blocked(dev: Device) -> bool:
    return dev.query(f"iptables -C {QUIC_RULE} && echo blocked") == "blocked"


def block_quic(dev: Device) -> None:
    if not quic_blocked(dev):
        dev.change(f"iptables -A {QUIC_RULE}")


def setup(*, adb_path: str | None = None, serial: str | None = None, frida_server_file: Path | None = None,
          proxy: str | None = None, ca_pem: Path, dry_run: bool = False, say: Callable[[str], None] = print,
          route: str = "global", canaries: bool = True, profile: Path | None = None,
          clipboard: canary_mod.ClipboardWriter | None = None) -> int:
    """Bring the device to the recorded state; returns the number of changes made (or printed)."""
    if route not in ROUTES:
        raise SetupError(f"--route {route}: choose {' or '.join(ROUTES)}")
    dev = connect(adb_path, serial, dry_run=dry_run, say=say)
    get_root(dev)
    sdk = dev.sdk()
    frida_server(dev, frida_server_file)
    if route == "emulator":
        emulator_route(dev, proxy or default_proxy(dev.adb.serial))
    else:
        proxy_route(dev, proxy or default_proxy(dev.adb.serial))
    ca_cert(dev, ca_pem, sdk)
    block_quic(dev)
    if canaries:
        values, location = canary_mod.plant(dev, say, clipboard)
        if profile is not None:
            if dry_run:
                say(f"(the canary values would be added to {profile})")
            else:
                canary_mod.add_to_profile(profile, values, location=location, say=say)
    return dev.changes


# -- reset ---------------------------------------------------------------------------------------

def mounted(dev: Device, target: str, pid: int | None = None) -> bool:
    table = dev.query("cat /proc/mounts" if pid is None else f"cat /proc/{pid}/mounts")
    return any(line.split()[1:2] == [target] for line in table.splitlines())


def reset(*, adb_path: str | None = None, serial: str | None = None, ca_pem: Path | None = None,
          dry_run: bool = False, say: Callable[[str], None] = print, profile: Path | None = None,
          clipboard: canary_mod.ClipboardWriter | None = None) -> int:
    """Undo what setup did, each part that is found; returns the number of changes."""
    dev = connect(adb_path, serial, dry_run=dry_run, say=say)
    get_root(dev)
    sdk = dev.sdk()
    planted = canary_mod.remove(dev, say, clipboard)     # first: the clipboard is cleared through frida-server
    if planted is not None and profile is not None and not dry_run:
        canary_mod.remove_from_profile(profile, planted, say)
    current = dev.adb.shell("settings get global http_proxy")
    if current not in UNSET_PROXY:
        dev.adb_change("shell", "settings delete global http_proxy")
        host, _, port = current.rpartition(":")
        if host in ("127.0.0.1", "localhost") and f"tcp:{port} tcp:{port}" in dev.adb.run("reverse", "--list", check=False):
            dev.adb_change("reverse", "--remove", f"tcp:{port}")
    for pid in dev.query("pidof frida-server").split():
        dev.change(f"kill {pid}")
    if dev.exists(SERVER):
        dev.change(f"rm {SERVER}")
    if sdk >= 34:
        for pid in dev.app_namespaces():
            if mounted(dev, APEX_CACERTS, pid):
                dev.change(f"nsenter --mount=/proc/{pid}/ns/mnt -- /bin/umount {APEX_CACERTS}")
        if mounted(dev, APEX_CACERTS):
            dev.change(f"umount {APEX_CACERTS}")
        if mounted(dev, SYSTEM_CACERTS):
            dev.change(f"umount {SYSTEM_CACERTS}")
    elif ca_pem is not None and ca_pem.is_file():
        name = android_name(ca_pem)
        if dev.exists(f"{SYSTEM_CACERTS}/{name}"):
            if dev.su:
                dev.change("mount -o rw,remount /system")
            else:
                dev.adb_change("remount")
            dev.change(f"rm {SYSTEM_CACERTS}/{name}")
    else:
        say(f"! the CA file is not removed: no mitmproxy CA at {ca_pem} to name it (give it with --ca)")
    while quic_blocked(dev):
        dev.change(f"iptables -D {QUIC_RULE}")
        if dev.dry_run:
            break
    if sdk <= 33 and any(line.split()[1:2] == ["/system"] and line.split()[3].startswith("rw")
                         for line in dev.query("cat /proc/mounts").splitlines() if len(line.split()) > 3):
        dev.change("mount -o ro,remount /system")           # as it boots: read-only
    if not dev.su and dev.adb.shell("id -u") == "0":
        dev.adb_change("unroot")                             # adbd back to the shell user, as an emulator boots
    return dev.changes
