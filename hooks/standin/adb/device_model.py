"""A stateful model of an Android device behind adb, kept in one JSON file.

`hooks/standin/adb/adb` hands a command line to `adb_main()` when $FAKE_ADB_STATE names a state
file; every call loads the state, applies the command and writes the state back, so a test
can set a device up, run piiaudit against it and read back what changed.

What is modelled (only what device setup, reset and doctor need, with their failure modes):
- files: stores of paths -> entries (dir or file, mode, owner, group, SELinux context, data);
- mounts per mount namespace: each process has a namespace; a path resolves through the
  namespace's longest matching mount. `mount -t tmpfs` makes a new empty store, `mount --bind`
  shares a store's subtree, `nsenter --mount=/proc/PID/ns/mnt` runs a command in PID's
  namespace, and an app started from zygote gets a copy of zygote's namespace;
- read-only mounts (/system, the Conscrypt APEX): writes fail with "Read-only file system"
  until `adb remount` (which never makes the APEX writable);
- settings (global/secure/system), properties (ro.* set once), processes (`ps`, `pidof`,
  `kill`; a pushed frida-server started with -D stays in the table), packages, `adb reverse`,
  root (`adb root` on non-user builds, `su -c` when the device has su), iptables rules;
- a dead device: state "online": false, every command but `devices` fails "device offline";
- packages as `piiaudit record --apk` drives them: `adb install` / `install-multiple` read each
  APK's compiled manifest (axml.py: package, split name, uses-permission) and refuse what a
  package manager refuses (not an APK, no base among splits, splits of another package, a
  reinstall without -r); `pm grant` / `pm revoke` of runtime permissions only (the platform's
  dangerous permissions, RUNTIME below), and only those the package requested; `dumpsys package`
  lists them; `am force-stop` ends the package's processes; `pm uninstall` / `adb uninstall`;
- canaries: the contacts provider's raw_contacts and data tables (`content insert|query|delete`,
  a delete without `caller_is_syncadapter=true` only marks the raw contact deleted, as Android
  does), settings (device_name), the clipboard (state "clipboard": no shell command sets it on
  Android 13/14; `set_clipboard` is what an app calling ClipboardManager does), and an emulator's
  console through `adb emu` (`geo fix LNG LAT`, `avd name`; on a phone adb refuses it).

Anything else fails as a shell would: rc 127 and "not found". Shell syntax beyond `;`, `&&`,
`||`, `&`, quotes, globs and `>/dev/null`/`2>&1` is refused (rc 2), never guessed at.
A binary the model can run is a file whose data starts with "#frida-server-double VERSION".
"""
from __future__ import annotations

import base64
import copy
import fnmatch
import json
import os
import posixpath
import re
import shlex
import sys

SHELL_UID = 2000
FRIDA_MAGIC = b"#frida-server-double "
APEX_CACERTS = "/apex/com.android.conscrypt/cacerts"
SYSTEM_CACERTS = "/system/etc/security/cacerts"


class Fail(Exception):
    def __init__(self, message: str, rc: int = 1):
        super().__init__(message)
        self.rc = rc


# -- a fresh device -------------------------------------------------------------------------

def new_device(sdk: int = 34, *, serial: str = "emulator-5554", abi: str = "x86_64", build_type: str = "userdebug",
               su: bool = False, system_cas: tuple[str, ...] = ("5ed36f99.0", "a3896b44.0")) -> dict:
    """An emulator-like device of API `sdk`: zygote, zygote64, one app, the system CAs."""
    release = {33: "13", 34: "14", 35: "15"}.get(sdk, str(sdk - 20))
    props = {"ro.build.version.sdk": str(sdk), "ro.build.version.release": release, "ro.build.type": build_type,
             "ro.product.model": f"sdk_gphone64_{abi}", "ro.product.manufacturer": "Google",
             "ro.product.cpu.abi": abi, "ro.serialno": "EMULATOR34X1X1X0"}
    root: dict = {}
    for d in ("/", "/system", "/system/bin", "/system/etc", "/system/etc/security", SYSTEM_CACERTS, "/data",
              "/data/local", "/apex", "/apex/com.android.conscrypt", APEX_CACERTS, "/proc", "/sdcard"):
        root[d] = entry("d", "755")
    root["/data/local/tmp"] = entry("d", "771", owner="shell", group="shell")
    for name in system_cas:
        pem = b"-----BEGIN CERTIFICATE-----\nsystem " + name.encode() + b"\n-----END CERTIFICATE-----\n"
        root[f"{SYSTEM_CACERTS}/{name}"] = entry("f", "644", data=pem)
        if sdk >= 34:
            root[f"{APEX_CACERTS}/{name}"] = entry("f", "644", data=pem)
    mounts = [mount("/", "root", "/", "ext4", ro=False), mount("/system", "root", "/system", "ext4", ro=True, shared=True),
              mount("/apex/com.android.conscrypt", "root", "/apex/com.android.conscrypt", "ext4", ro=True)]
    state = {
        "serial": serial, "online": True, "adbd_root": False, "su": su, "props": props,
        "settings": {"global": {}, "secure": {"android_id": "9774d56d682e549c"}, "system": {}},
        "stores": {"root": root}, "next_store": 1, "ns": {"init": mounts}, "next_pid": 1000,
        "processes": [], "packages": ["com.android.settings", "com.android.shell"], "reverse": {},
        "iptables": {"OUTPUT": [], "INPUT": []},
    }
    extend(state)
    init = spawn(state, "init", ppid=0, ns="init")
    spawn(state, "adbd", ppid=init, ns="init", user="shell")
    for z in ("zygote64", "zygote"):
        zpid = spawn(state, z, ppid=init, ns=None)
        state["ns"][f"ns{zpid}"] = copy.deepcopy(mounts)
        process(state, zpid)["ns"] = f"ns{zpid}"
    start_app(state, "com.android.settings")
    return state


# The emulator's location until a fix is sent (the Googleplex, as the emulator starts).
EMULATOR_DEFAULT_FIX = {"lng": -122.084, "lat": 37.421998}
# The platform's runtime (dangerous) permissions, as piiaudit/data/runtime_permissions.yaml lists them
# (a test checks the two agree); `pm grant` refuses any other permission.
RUNTIME = {"android.permission." + n for n in (
    "READ_CALENDAR WRITE_CALENDAR CAMERA READ_CONTACTS WRITE_CONTACTS GET_ACCOUNTS ACCESS_FINE_LOCATION "
    "ACCESS_COARSE_LOCATION ACCESS_BACKGROUND_LOCATION ACCESS_MEDIA_LOCATION RECORD_AUDIO READ_PHONE_STATE "
    "READ_PHONE_NUMBERS CALL_PHONE ANSWER_PHONE_CALLS READ_CALL_LOG WRITE_CALL_LOG USE_SIP PROCESS_OUTGOING_CALLS "
    "ACCEPT_HANDOVER BODY_SENSORS BODY_SENSORS_BACKGROUND ACTIVITY_RECOGNITION SEND_SMS RECEIVE_SMS READ_SMS "
    "RECEIVE_WAP_PUSH RECEIVE_MMS READ_EXTERNAL_STORAGE WRITE_EXTERNAL_STORAGE READ_MEDIA_IMAGES READ_MEDIA_VIDEO "
    "READ_MEDIA_AUDIO READ_MEDIA_VISUAL_USER_SELECTED POST_NOTIFICATIONS NEARBY_WIFI_DEVICES BLUETOOTH_SCAN "
    "BLUETOOTH_CONNECT BLUETOOTH_ADVERTISE UWB_RANGING").split()} | {"com.android.voicemail.permission.ADD_VOICEMAIL"}


def extend(state: dict) -> dict:
    """The parts of the model added for record --apk and canaries (a state saved before them gets them empty)."""
    state.setdefault("package_info", {})
    state.setdefault("clipboard", None)
    state.setdefault("contacts", {"raw_contacts": [], "data": [], "next_id": {"raw_contacts": 1, "data": 1}})
    state.setdefault("emu", {"geo": dict(EMULATOR_DEFAULT_FIX), "avd": "piiaudit_api" + state["props"][
        "ro.build.version.sdk"]} if state["serial"].startswith("emulator-") else None)
    return state


def set_clipboard(state: dict, text: str | None) -> None:
    """The primary clip as ClipboardManager.setPrimaryClip (text) or clearPrimaryClip (None) leaves it."""
    extend(state)["clipboard"] = text


def entry(kind: str, mode: str, *, owner: str = "root", group: str = "root", data: bytes = b"",
          ctx: str = "u:object_r:system_file:s0") -> dict:
    e = {"t": kind, "mode": mode, "owner": owner, "group": group, "ctx": ctx}
    if kind == "f":
        e["data"] = base64.b64encode(data).decode()
    return e


def mount(target: str, store: str, sub: str, fstype: str, *, ro: bool, shared: bool = False) -> dict:
    return {"target": target, "store": store, "sub": sub, "fstype": fstype, "ro": ro, "shared": shared}


def add_mount(state: dict, ns: str, new: dict) -> None:
    """A mount under a shared mount (/system) propagates to every namespace; under the APEX it
    stays in `ns` (the APEX mounts are private per namespace, hence the binds per zygote and app)."""
    parent, _, _ = resolve(state, ns, new["target"])
    new["shared"] = parent["shared"]
    for name in (state["ns"] if parent["shared"] else [ns]):
        state["ns"][name].append(dict(new))


def spawn(state: dict, name: str, *, ppid: int, ns: str | None, user: str = "root", exe: str = "") -> int:
    pid = state["next_pid"]
    state["next_pid"] += 1
    state["processes"].append({"pid": pid, "ppid": ppid, "name": name, "user": user, "ns": ns, "exe": exe})
    return pid


def process(state: dict, pid: int) -> dict | None:
    return next((p for p in state["processes"] if p["pid"] == pid), None)


def start_app(state: dict, package: str) -> int:
    """zygote64 forks the app: the app's mount namespace is a copy of zygote64's at that moment."""
    if package not in state["packages"]:
        raise Fail(f"Error: Activity not started, unable to resolve Intent (no package {package})")
    zygote = next(p for p in state["processes"] if p["name"] == "zygote64")
    pid = spawn(state, package, ppid=zygote["pid"], ns=None, user="u0_a100")
    state["ns"][f"ns{pid}"] = copy.deepcopy(state["ns"][zygote["ns"]])
    process(state, pid)["ns"] = f"ns{pid}"
    return pid


# -- files through mounts --------------------------------------------------------------------

def norm(path: str) -> str:
    return posixpath.normpath("/" + path.lstrip("/")) if path else "/"


def resolve(state: dict, ns: str, path: str) -> tuple[dict, dict, str]:
    """(mount, store, path inside the store) of `path` in namespace `ns`; the latest mount wins."""
    path = norm(path)
    best = None
    for m in state["ns"][ns]:
        t = m["target"]
        if path == t or path.startswith(t.rstrip("/") + "/"):
            if best is None or len(t) >= len(best["target"]):
                best = m
    rest = path[len(best["target"]):].lstrip("/")
    inner = norm(posixpath.join(best["sub"], rest))
    return best, state["stores"][best["store"]], inner


def lookup(state: dict, ns: str, path: str) -> dict | None:
    _, store, inner = resolve(state, ns, path)
    return store.get(inner)


def listdir(state: dict, ns: str, path: str) -> list[str]:
    _, store, inner = resolve(state, ns, path)
    prefix = inner.rstrip("/") + "/"
    names = {k[len(prefix):] for k in store if k.startswith(prefix) and "/" not in k[len(prefix):] and k != inner}
    # mount points under this directory show up too
    return sorted(names)


def read(state: dict, ns: str, path: str) -> bytes:
    e = lookup(state, ns, path)
    if e is None:
        raise Fail(f"{path}: No such file or directory")
    if e["t"] == "d":
        raise Fail(f"{path}: Is a directory")
    return base64.b64decode(e["data"])


def writable(state: dict, ns: str, path: str, uid: int) -> None:
    m, _, _ = resolve(state, ns, path)
    if m["ro"]:
        raise Fail(f"{path}: Read-only file system")
    if uid != 0 and not norm(path).startswith(("/data/local/tmp/", "/sdcard/")):
        raise Fail(f"{path}: Permission denied")


def put(state: dict, ns: str, path: str, e: dict, uid: int) -> None:
    parent = lookup(state, ns, posixpath.dirname(norm(path)))
    if parent is None or parent["t"] != "d":
        raise Fail(f"{path}: No such file or directory")
    writable(state, ns, path, uid)
    _, store, inner = resolve(state, ns, path)
    store[inner] = e


def remove(state: dict, ns: str, path: str, uid: int, recursive: bool = False) -> None:
    writable(state, ns, path, uid)
    _, store, inner = resolve(state, ns, path)
    if inner not in store:
        raise Fail(f"{path}: No such file or directory")
    if store[inner]["t"] == "d" and not recursive:
        raise Fail(f"{path}: Is a directory")
    for k in [k for k in store if k == inner or k.startswith(inner + "/")]:
        del store[k]


def visible(state: dict, pid: int, path: str) -> bool:
    """Whether `path` exists as seen from process `pid` (its own mount namespace)."""
    return lookup(state, process(state, pid)["ns"], path) is not None


# -- the shell -------------------------------------------------------------------------------

class Shell:
    def __init__(self, state: dict, uid: int, ns: str = "init"):
        self.state, self.uid, self.ns = state, uid, ns
        self.out: list[str] = []
        self.err: list[str] = []
        self.raw = bytearray()     # binary stdout (screencap -p), after the text; only exec-out keeps it whole

    def run(self, line: str) -> tuple[str, str, int]:
        try:
            rc = self.script(line)
        except Fail as e:
            self.err.append(str(e) + "\n")
            rc = e.rc
        return "".join(self.out), "".join(self.err), rc

    def script(self, line: str) -> int:
        line = re.sub(r"(?<!\S)2>&1(?!\S)|(?<!\S)[12]?>\s*/dev/null(?!\S)", " ", line)
        if "$(" in line or "`" in line or "|" in line.replace("||", "") or re.search(r"(?<![<>&])[<>](?!&)", line):
            raise Fail(f"/system/bin/sh: syntax the device double does not model: {line}", 2)
        lex = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lex.whitespace_split = True
        words, rc, skip = [], 0, False
        for tok in list(lex) + [";"]:
            if tok in (";", "&&", "||", "&"):
                if words and not skip:
                    try:
                        rc = self.command(self.expand(words), background=(tok == "&"))
                    except Fail as e:
                        self.err.append(str(e) + "\n")
                        rc = e.rc
                words = []
                skip = (tok == "&&" and rc != 0) or (tok == "||" and rc == 0)
            else:
                words.append(tok)
        return rc

    def expand(self, words: list[str]) -> list[str]:
        out = []
        for w in words:
            if "*" in w and w.startswith("/"):
                d, pattern = posixpath.split(w)
                hits = [posixpath.join(d, n) for n in listdir(self.state, self.ns, d) if fnmatch.fnmatch(n, pattern)]
                out.extend(hits or [w])
            else:
                out.append(w)
        return out

    def say(self, text: str) -> None:
        self.out.append(text + "\n")

    def root_only(self, what: str) -> None:
        if self.uid != 0:
            raise Fail(f"{what}: Permission denied")

    def command(self, argv: list[str], background: bool = False) -> int:
        name = argv[0]
        if name.startswith(("/bin/", "/system/bin/")) and posixpath.basename(name) in BUILTINS:
            name = posixpath.basename(name)
        if name in BUILTINS:
            try:
                return BUILTINS[name](self, argv[1:]) or 0
            except Fail as e:
                if e.rc == 1 and not str(e).startswith(name):
                    raise Fail(f"{name}: {e}", e.rc) from None
                raise
        if name.startswith("/") or name.startswith("./"):
            return self.execute(name, argv[1:], background)
        raise Fail(f"/system/bin/sh: {name}: inaccessible or not found", 127)

    def execute(self, path: str, args: list[str], background: bool) -> int:
        e = lookup(self.state, self.ns, path)
        if e is None:
            raise Fail(f"/system/bin/sh: {path}: inaccessible or not found", 127)
        if e["t"] != "f" or not int(e["mode"], 8) & 0o111:
            raise Fail(f"/system/bin/sh: {path}: can't execute: Permission denied", 126)
        data = base64.b64decode(e["data"])
        if not data.startswith(FRIDA_MAGIC):
            raise Fail(f"/system/bin/sh: {path}: not a binary the device double can run", 126)
        version = data[len(FRIDA_MAGIC):].split(b"\n")[0].decode()
        if "--version" in args:
            self.say(version)
            return 0
        if not ("-D" in args or "--daemonize" in args or background):
            raise Fail(f"{path}: runs in the foreground; the device double models only -D or '&'")
        if self.uid != 0:
            raise Fail("Unable to load SELinux policy from the kernel: Failed to open file “/sys/fs/selinux/policy”: "
                       "Permission denied")
        if any(p["exe"] and posixpath.basename(p["exe"]) == posixpath.basename(path) for p in self.state["processes"]):
            raise Fail("Unable to start: Error binding to address 127.0.0.1:27042: Address already in use")
        spawn(self.state, posixpath.basename(path), ppid=1, ns=self.ns, exe=norm(path))
        return 0


def sh_id(sh: Shell, args: list[str]) -> int:
    if args == ["-u"]:
        sh.say(str(sh.uid))
    elif not args:
        sh.say("uid=0(root) gid=0(root) groups=0(root) context=u:r:su:s0" if sh.uid == 0 else
               "uid=2000(shell) gid=2000(shell) groups=2000(shell) context=u:r:shell:s0")
    else:
        raise Fail(f"id: unknown option {args[0]}")
    return 0


def sh_su(sh: Shell, args: list[str]) -> int:
    if not sh.state["su"]:
        raise Fail("/system/bin/sh: su: inaccessible or not found", 127)
    if args[:1] == ["0"]:
        args = args[1:]
    if args[:1] != ["-c"] or len(args) < 2:
        raise Fail("su: the device double models only `su -c COMMAND`")
    inner = Shell(sh.state, 0, sh.ns)
    try:
        return inner.script(" ".join(args[1:]))
    finally:
        sh.out.extend(inner.out)
        sh.err.extend(inner.err)


def sh_getprop(sh: Shell, args: list[str]) -> int:
    props = sh.state["props"]
    if not args:
        for k in sorted(props):
            sh.say(f"[{k}]: [{props[k]}]")
    else:
        sh.say(props.get(args[0], ""))
    return 0


def sh_setprop(sh: Shell, args: list[str]) -> int:
    key, value = args
    if key.startswith("ro.") and key in sh.state["props"] or (sh.uid != 0 and not key.startswith("debug.")):
        raise Fail(f"setprop: failed to set property '{key}' to '{value}'")
    sh.state["props"][key] = value
    return 0


def sh_settings(sh: Shell, args: list[str]) -> int:
    verb, table = args[0], args[1] if len(args) > 1 else ""
    if table not in ("global", "secure", "system"):
        raise Fail(f"Invalid namespace '{table}'", 255)
    values = sh.state["settings"][table]
    if verb == "get":
        sh.say(values.get(args[2], "null"))
    elif verb == "put":
        values[args[2]] = args[3]
    elif verb == "delete":
        sh.say(f"Deleted {int(values.pop(args[2], None) is not None)} rows")
    elif verb == "list":
        for k in sorted(values):
            sh.say(f"{k}={values[k]}")
    else:
        raise Fail(f"settings: unknown command '{verb}'", 255)
    return 0


def sh_ps(sh: Shell, args: list[str]) -> int:
    procs = sh.state["processes"]
    if args[:2] == ["-o", "PID"] and args[2:3] == ["-P"]:
        parents = {int(p) for p in args[3].split(",")}
        sh.say("  PID")
        for p in procs:
            if p["ppid"] in parents:
                sh.say(f"{p['pid']:5d}")
        return 0
    if args not in ([], ["-A"], ["-e"]):
        raise Fail(f"ps: the device double does not model {' '.join(args)}")
    sh.say("USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME")
    for p in procs:
        sh.say(f"{p['user']:<10} {p['pid']:>8} {p['ppid']:>5} 0 0 0 0 S {p['name']}")
    return 0


def sh_pidof(sh: Shell, args: list[str]) -> int:
    pids = [str(p["pid"]) for p in sh.state["processes"] if p["name"] in args]
    if not pids:
        return 1
    sh.say(" ".join(pids))
    return 0


def sh_kill(sh: Shell, args: list[str]) -> int:
    for a in [a for a in args if not a.startswith("-")]:
        p = process(sh.state, int(a))
        if p is None:
            raise Fail(f"kill: {a}: No such process")
        if sh.uid != 0 and p["user"] != "shell":
            raise Fail(f"kill: {a}: Operation not permitted")
        sh.state["processes"].remove(p)
    return 0


def sh_ls(sh: Shell, args: list[str]) -> int:
    long = "-l" in args
    rc = 0
    for path in [a for a in args if not a.startswith("-")] or ["/"]:
        e = lookup(sh.state, sh.ns, path)
        if e is None:
            raise Fail(f"ls: {path}: No such file or directory")
        names = [path] if e["t"] == "f" else listdir(sh.state, sh.ns, path)
        for n in names:
            if not long:
                sh.say(n)
                continue
            full = n if e["t"] == "f" else posixpath.join(path, n)
            f = lookup(sh.state, sh.ns, full)
            mode = ("d" if f["t"] == "d" else "-") + "".join(
                c if int(f["mode"], 8) & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))
            sh.say(f"{mode} 1 {f['owner']} {f['group']} {f['ctx']} {n}")
    return rc


def sh_cat(sh: Shell, args: list[str]) -> int:
    for path in args:
        m = re.fullmatch(r"/proc/(?:(\d+)|self)/mounts|/proc/mounts", path)
        if m:
            ns = sh.ns
            if m.group(1):
                p = process(sh.state, int(m.group(1)))
                if p is None:
                    raise Fail(f"cat: {path}: No such file or directory")
                sh.root_only(f"cat: {path}")
                ns = p["ns"]
            for mt in sh.state["ns"][ns]:
                src = "tmpfs" if mt["fstype"] == "tmpfs" else "/dev/block/dm-0"
                sh.say(f"{src} {mt['target']} {mt['fstype']} {'ro' if mt['ro'] else 'rw'},seclabel 0 0")
            continue
        sh.out.append(read(sh.state, sh.ns, path).decode("utf-8", "replace"))
    return 0


def sh_mkdir(sh: Shell, args: list[str]) -> int:
    mode, parents, paths = "755", False, []
    it = iter(args)
    for a in it:
        if a == "-p":
            parents = True
        elif a == "-m":
            mode = next(it)
        else:
            paths.append(a)
    for path in paths:
        if lookup(sh.state, sh.ns, path) is not None:
            if parents:
                continue
            raise Fail(f"mkdir: '{path}': File exists")
        owner = "root" if sh.uid == 0 else "shell"
        put(sh.state, sh.ns, path, entry("d", mode, owner=owner, group=owner), sh.uid)
    return 0


def sh_cp(sh: Shell, args: list[str], move: bool = False) -> int:
    args = [a for a in args if a not in ("-f", "-p")]
    *sources, dest = args
    dest_e = lookup(sh.state, sh.ns, dest)
    for src in sources:
        e = lookup(sh.state, sh.ns, src)
        if e is None or e["t"] != "f":
            raise Fail(f"{'mv' if move else 'cp'}: {src}: No such file or directory")
        target = posixpath.join(dest, posixpath.basename(src)) if dest_e and dest_e["t"] == "d" else dest
        new = dict(e)
        if not move:
            new["owner"] = new["group"] = "root" if sh.uid == 0 else "shell"
        put(sh.state, sh.ns, target, new, sh.uid)
        if move:
            remove(sh.state, sh.ns, src, sh.uid)
    return 0


def sh_rm(sh: Shell, args: list[str]) -> int:
    flags = "".join(a[1:] for a in args if a.startswith("-"))
    for path in [a for a in args if not a.startswith("-")]:
        if lookup(sh.state, sh.ns, path) is None and "f" in flags:
            continue
        remove(sh.state, sh.ns, path, sh.uid, recursive="r" in flags)
    return 0


def each_path(sh: Shell, paths: list[str], change) -> int:
    for path in paths:
        e = lookup(sh.state, sh.ns, path)
        if e is None:
            raise Fail(f"{path}: No such file or directory")
        writable(sh.state, sh.ns, path, 0 if sh.uid == 0 else sh.uid)
        change(e)
    return 0


def sh_chmod(sh: Shell, args: list[str]) -> int:
    if not re.fullmatch(r"[0-7]{3,4}", args[0]):
        raise Fail(f"chmod: the device double models octal modes only, not {args[0]}")
    return each_path(sh, args[1:], lambda e: e.update(mode=args[0][-3:]))


def sh_chown(sh: Shell, args: list[str]) -> int:
    sh.root_only("chown")
    owner, _, group = args[0].partition(":")
    return each_path(sh, args[1:], lambda e: e.update(owner=owner, group=group or e["group"]))


def sh_chcon(sh: Shell, args: list[str]) -> int:
    sh.root_only("chcon")
    return each_path(sh, args[1:], lambda e: e.update(ctx=args[0]))


def sh_mount(sh: Shell, args: list[str]) -> int:
    if not args:
        return sh_cat(sh, ["/proc/mounts"])
    sh.root_only("mount")
    mounts = sh.state["ns"][sh.ns]
    if args[:2] == ["-t", "tmpfs"] and len(args) == 4:
        target = norm(args[3])
        if lookup(sh.state, sh.ns, target) is None:
            raise Fail(f"mount: '{target}': No such file or directory")
        store = f"tmpfs{sh.state['next_store']}"
        sh.state["next_store"] += 1
        sh.state["stores"][store] = {"/": entry("d", "755", ctx="u:object_r:tmpfs:s0")}
        add_mount(sh.state, sh.ns, mount(target, store, "/", "tmpfs", ro=False))
        return 0
    if args[0] in ("--bind", "-o") and (args[0] == "--bind" or args[1] == "bind"):
        src, target = args[-2:]
        if lookup(sh.state, sh.ns, src) is None or lookup(sh.state, sh.ns, target) is None:
            raise Fail(f"mount: '{src}'->'{target}': No such file or directory")
        m, _, inner = resolve(sh.state, sh.ns, src)
        add_mount(sh.state, sh.ns, mount(norm(target), m["store"], inner, m["fstype"], ro=m["ro"]))
        return 0
    if args[0] == "-o" and set(args[1].split(",")) in ({"rw", "remount"}, {"ro", "remount"}):
        target = norm(args[2])
        if target.startswith("/apex"):
            raise Fail(f"mount: '{target}' not user mountable in fstab")
        hits = [m for m in mounts if m["target"] == target]
        if not hits:
            raise Fail(f"mount: '{target}' not in /proc/mounts")
        ro = "ro" in args[1].split(",")
        # as `adb remount` does: the shared /system mount changes in every namespace
        for name in (sh.state["ns"] if hits[-1]["shared"] else [sh.ns]):
            for m in sh.state["ns"][name]:
                if m["target"] == target and m["store"] == hits[-1]["store"]:
                    m["ro"] = ro
        return 0
    raise Fail(f"mount: the device double does not model {' '.join(args)}")


def sh_umount(sh: Shell, args: list[str]) -> int:
    sh.root_only("umount")
    target = norm(args[-1])
    mounts = sh.state["ns"][sh.ns]
    hits = [i for i, m in enumerate(mounts) if m["target"] == target]
    if not hits or target == "/":
        raise Fail(f"umount: {target}: Invalid argument")
    gone = mounts[hits[-1]]
    for name in (sh.state["ns"] if gone["shared"] else [sh.ns]):
        others = sh.state["ns"][name]
        same = [i for i, m in enumerate(others) if m["target"] == target and m["store"] == gone["store"]]
        if same:
            del others[same[-1]]
    # a tmpfs is freed with its last mount
    if gone["fstype"] == "tmpfs" and not any(m["store"] == gone["store"] for ns in sh.state["ns"].values() for m in ns):
        sh.state["stores"].pop(gone["store"], None)
    return 0


def sh_nsenter(sh: Shell, args: list[str]) -> int:
    sh.root_only("nsenter")
    m = re.fullmatch(r"--mount=/proc/(\d+)/ns/mnt", args[0]) if args else None
    if not m or args[1:2] != ["--"]:
        raise Fail("nsenter: the device double models only `nsenter --mount=/proc/PID/ns/mnt -- COMMAND`")
    p = process(sh.state, int(m.group(1)))
    if p is None:
        raise Fail(f"nsenter: cannot open /proc/{m.group(1)}/ns/mnt: No such file or directory")
    inner = Shell(sh.state, sh.uid, p["ns"])
    try:
        return inner.command(args[2:])
    finally:
        sh.out.extend(inner.out)


def sh_iptables(sh: Shell, args: list[str]) -> int:
    sh.root_only("iptables")
    if args and args[0] in ("-w",):
        args = args[1:]
    op, chain, rule = args[0], args[1] if len(args) > 1 else "", " ".join(args[2:])
    chains = sh.state["iptables"]
    if op in ("-S", "-L"):
        for c in ([chain] if chain else sorted(chains)):
            for r in chains.get(c, []):
                sh.say(f"-A {c} {r}")
        return 0
    if chain not in chains:
        raise Fail("iptables: No chain/target/match by that name.")
    if op == "-A":
        chains[chain].append(rule)
    elif op == "-C":
        if rule not in chains[chain]:
            raise Fail("iptables: Bad rule (does a matching rule exist in that chain?).")
    elif op == "-D":
        if rule not in chains[chain]:
            raise Fail("iptables: Bad rule (does a matching rule exist in that chain?).")
        chains[chain].remove(rule)
    else:
        raise Fail(f"iptables: the device double does not model {op}")
    return 0


def sh_pm(sh: Shell, args: list[str]) -> int:
    if args[:2] == ["list", "packages"]:
        for p in sorted(sh.state["packages"]):
            sh.say(f"package:{p}")
    elif args[:1] == ["uninstall"]:
        if args[1] not in sh.state["packages"]:
            sh.say("Failure [DELETE_FAILED_INTERNAL_ERROR]")
            return 1
        uninstall(sh.state, args[1])
        sh.say("Success")
    elif args[:1] in (["grant"], ["revoke"]) and len(args) == 3:
        package, perm = args[1], args[2]
        info = extend(sh.state)["package_info"].get(package)
        if package not in sh.state["packages"]:
            raise Fail(f"Exception occurred while executing '{args[0]}':\n"
                       f"java.lang.IllegalArgumentException: Unknown package: {package}", 255)
        requested = info["requested"] if info else []
        if perm not in RUNTIME:
            raise Fail(f"Exception occurred while executing '{args[0]}':\njava.lang.SecurityException: "
                       f"Permission {perm} requested by {package} is not a changeable permission type", 255)
        if perm not in requested:
            raise Fail(f"Exception occurred while executing '{args[0]}':\njava.lang.SecurityException: "
                       f"Package {package} has not requested permission {perm}", 255)
        granted = set(info["granted"])
        (granted.add if args[0] == "grant" else granted.discard)(perm)
        info["granted"] = sorted(granted)
    elif args[:1] == ["path"] and len(args) == 2:
        info = extend(sh.state)["package_info"].get(args[1])
        if info is None:
            return 1
        for name in ["base.apk", *(f"split_{n}.apk" for n in info["splits"])]:
            sh.say(f"package:/data/app/~~piiaudit==/{args[1]}-1/{name}")
    else:
        raise Fail(f"pm: the device double does not model {' '.join(args)}")
    return 0


def sh_am(sh: Shell, args: list[str]) -> int:
    if args[:2] == ["start", "-n"]:
        start_app(sh.state, args[2].split("/")[0])
        sh.say(f"Starting: Intent {{ cmp={args[2]} }}")
        return 0
    if args[:1] == ["force-stop"] and len(args) == 2:
        force_stop(sh.state, args[1])
        return 0
    raise Fail(f"am: the device double does not model {' '.join(args)}")


def force_stop(state: dict, package: str) -> None:
    """Every process of the package ends (its main process and its :named ones)."""
    state["processes"] = [p for p in state["processes"]
                          if not (p["name"] == package or p["name"].startswith(package + ":"))]


def uninstall(state: dict, package: str) -> None:
    force_stop(state, package)
    state["packages"].remove(package)
    extend(state)["package_info"].pop(package, None)


def sh_dumpsys(sh: Shell, args: list[str]) -> int:
    """`dumpsys package PKG`: its requested permissions and the runtime ones granted (the lines piiaudit reads)."""
    if args[:1] != ["package"] or len(args) != 2:
        raise Fail(f"dumpsys: the device double models only `dumpsys package PKG`, not {' '.join(args)}")
    info = extend(sh.state)["package_info"].get(args[1])
    if info is None:
        sh.say(f"Unable to find package: {args[1]}")
        return 0
    sh.say("Packages:")
    sh.say(f"  Package [{args[1]}] (piiaudit):")
    sh.say(f"    versionCode={info['version_code']} minSdk=24 targetSdk=34")
    sh.say(f"    splits=[base{''.join(', ' + n for n in info['splits'])}]")
    sh.say("    requested permissions:")
    for perm in info["requested"]:
        sh.say(f"      {perm}")
    sh.say("    User 0: ceDataInode=1 installed=true hidden=false suspended=false stopped=false")
    sh.say("      runtime permissions:")
    for perm in info["requested"]:
        if perm in RUNTIME:
            sh.say(f"        {perm}: granted={'true' if perm in info['granted'] else 'false'}")
    return 0


CONTACTS = "content://com.android.contacts/"


def _contacts_table(uri: str) -> tuple[str, bool]:
    """(table, caller is a sync adapter) of a contacts provider URI the double models."""
    base, _, query = uri.partition("?")
    table = base[len(CONTACTS):] if base.startswith(CONTACTS) else ""
    if table not in ("raw_contacts", "data"):
        raise Fail(f"content: the device double models only {CONTACTS}raw_contacts and {CONTACTS}data, not {uri}")
    return table, "caller_is_syncadapter=true" in query.split("&")


def _where(text: str | None):
    """`COL=VALUE [AND COL=VALUE]` (VALUE quoted with ' or a number): the only WHERE the double reads."""
    if not text:
        return lambda row: True
    terms = []
    for part in re.split(r"\s+AND\s+", text.strip(), flags=re.I):
        m = re.fullmatch(r"\s*(\w+)\s*=\s*(?:'((?:[^']|'')*)'|(-?\d+))\s*", part)
        if not m:
            raise Fail(f"content: the device double models only COL=VALUE terms joined by AND, not {text!r}")
        terms.append((m.group(1), m.group(2).replace("''", "'") if m.group(2) is not None else int(m.group(3))))
    return lambda row: all(str(row.get(col)) == str(value) for col, value in terms)


def sh_content(sh: Shell, args: list[str]) -> int:
    """`content insert|query|delete --uri URI [--bind COL:TYPE:VALUE]... [--projection A:B] [--where W]`."""
    verb, opts, binds = (args[0] if args else ""), {}, {}
    it = iter(args[1:])
    for a in it:
        if a == "--bind":
            col, typ, value = next(it).split(":", 2)
            binds[col] = None if typ == "n" else int(value) if typ in ("i", "l") else value
        elif a in ("--uri", "--projection", "--where", "--user"):
            opts[a] = next(it)
        else:
            raise Fail(f"content: unknown option {a}")
    if "--uri" not in opts:
        raise Fail("[ERROR] Content provider URI not specified. Did you specify --uri argument?")
    table, sync_adapter = _contacts_table(opts["--uri"])
    db = extend(sh.state)["contacts"]
    rows = db[table]
    if verb == "insert":
        if table == "data":
            raw = next((r for r in db["raw_contacts"] if r["_id"] == binds.get("raw_contact_id")), None)
            if raw is None:
                raise Fail("Error while accessing provider:com.android.contacts\n"
                           "java.lang.IllegalArgumentException: raw_contact_id is required")
        row = {"_id": db["next_id"][table], **binds}
        if table == "raw_contacts":
            row.setdefault("deleted", 0)
        db["next_id"][table] += 1
        rows.append(row)
        return 0
    match = _where(opts.get("--where"))
    hits = [r for r in rows if match(r) and not (table == "raw_contacts" and r.get("deleted"))]
    if verb == "query":
        if not hits:
            sh.say("No result found.")
        cols = opts["--projection"].split(":") if "--projection" in opts else None
        for i, r in enumerate(hits):
            sh.say(f"Row: {i} " + ", ".join(f"{c}={'NULL' if r.get(c) is None else r.get(c)}" for c in (cols or r)))
        return 0
    if verb == "delete":
        for r in hits:
            if table == "raw_contacts" and not sync_adapter:
                r["deleted"] = 1          # the provider keeps it until its account syncs the deletion
            else:
                rows.remove(r)
                if table == "raw_contacts":
                    db["data"] = [d for d in db["data"] if d.get("raw_contact_id") != r["_id"]]
        return 0
    raise Fail(f"content: the device double models insert, query and delete, not {verb}")


def _screen_module():
    try:
        import screen  # beside this file: the adb script puts its folder on the path
    except ImportError:  # imported as hooks.standin.adb.device_model
        from hooks.standin.adb import screen
    return screen


def _screen(what: str, call):
    """call(screen_of) with the device's screen errors turned into shell failures."""
    screen = _screen_module()
    try:
        return call(screen.screen_of)
    except screen.ScreenError as e:
        raise Fail(str(e)) from None


def sh_uiautomator(sh: Shell, args: list[str]) -> int:
    """`uiautomator dump [--compressed] [FILE]`: the current view hierarchy to FILE (default
    /sdcard/window_dump.xml), or to stdout for /dev/tty, as the real tool prints it."""
    args = [a for a in args if a != "--compressed"]
    if args[:1] != ["dump"] or len(args) > 2:
        raise Fail(f"uiautomator: the device double models only `dump [FILE]`, not {' '.join(args)}")
    xml = _screen("uiautomator", lambda s: s(sh.state).dump())
    path = args[1] if len(args) == 2 else "/sdcard/window_dump.xml"
    if path == "/dev/tty":
        sh.out.append(xml)
    else:
        put(sh.state, sh.ns, path, entry("f", "660", owner="shell", group="shell", data=xml.encode()), sh.uid)
    sh.say(f"UI hierchary dumped to: {path}")
    return 0


def sh_input(sh: Shell, args: list[str]) -> int:
    """`input tap X Y`, `input keyevent CODE`, `input swipe X1 Y1 X2 Y2 [MS]`, `input text S`."""
    keycode = _screen_module().keycode
    verb, rest = (args[0], args[1:]) if args else ("", [])
    try:
        if verb == "tap" and len(rest) == 2:
            _screen("input", lambda s: s(sh.state).tap(int(float(rest[0])), int(float(rest[1]))))
        elif verb == "keyevent" and rest:
            for word in rest:
                code = _screen("input", lambda s, w=word: keycode(w))
                _screen("input", lambda s, c=code: s(sh.state).key(c))
        elif verb == "swipe" and len(rest) in (4, 5):
            x1, y1, x2, y2 = (int(float(v)) for v in rest[:4])
            ms = int(rest[4]) if len(rest) == 5 else 300
            _screen("input", lambda s: s(sh.state).swipe(x1, y1, x2, y2, ms))
        elif verb == "text" and len(rest) == 1:
            _screen("input", lambda s: s(sh.state).text(rest[0].replace("%s", " ")))
        else:
            raise Fail(f"input: the device double models tap, keyevent, swipe and text, not {' '.join(args)}")
    except ValueError:
        raise Fail(f"input: bad number in {' '.join(args)}", 1) from None
    return 0


def sh_screencap(sh: Shell, args: list[str]) -> int:
    """`screencap -p [FILE]`: a PNG of the screen to FILE, or to stdout."""
    files = [a for a in args if a != "-p"]
    if len(files) > 1 or (not files and "-p" not in args):
        raise Fail(f"screencap: the device double models only `-p [FILE]`, not {' '.join(args)}")
    png = _screen("screencap", lambda s: s(sh.state).screencap())
    if files:
        put(sh.state, sh.ns, files[0], entry("f", "660", owner="shell", group="shell", data=png), sh.uid)
    else:
        sh.raw += png
    return 0


def sh_screenrecord(sh: Shell, args: list[str]) -> int:
    # A device without a hardware video encoder answers this way (some emulator images do);
    # the double cannot encode video, and says so as such a device would.
    raise Fail("screenrecord: ERROR: unable to create video encoder (the device double records no video)")


def sh_echo(sh: Shell, args: list[str]) -> int:
    sh.say(" ".join(args))
    return 0


BUILTINS = {
    "id": sh_id, "su": sh_su, "getprop": sh_getprop, "setprop": sh_setprop, "settings": sh_settings,
    "ps": sh_ps, "pidof": sh_pidof, "kill": sh_kill, "ls": sh_ls, "cat": sh_cat, "mkdir": sh_mkdir,
    "cp": sh_cp, "mv": lambda sh, a: sh_cp(sh, a, move=True), "rm": sh_rm, "chmod": sh_chmod, "chown": sh_chown,
    "chcon": sh_chcon, "mount": sh_mount, "umount": sh_umount, "nsenter": sh_nsenter, "iptables": sh_iptables,
    "pm": sh_pm, "am": sh_am, "echo": sh_echo, "dumpsys": sh_dumpsys, "content": sh_content, "true": lambda sh, a: 0,
    "uiautomator": sh_uiautomator, "input": sh_input, "screencap": sh_screencap, "screenrecord": sh_screenrecord,
}


# -- adb itself ------------------------------------------------------------------------------

def adb(state: dict, args: list[str]) -> tuple[str | bytes, str, int]:
    """One adb invocation against `state` (changed in place): (stdout, stderr, rc).
    stdout is bytes for `exec-out` (binary, as adb passes it), str otherwise."""
    if args[:1] == ["-s"]:
        if args[1] != state["serial"]:
            return "", f"adb: device '{args[1]}' not found\n", 1
        args = args[2:]
    if args == ["devices"]:
        return f"List of devices attached\n{state['serial']}\t{'device' if state['online'] else 'offline'}\n", "", 0
    if not state["online"]:
        return "", "adb: device offline\n", 1
    uid = 0 if state["adbd_root"] else SHELL_UID
    verb, rest = args[0], args[1:]
    try:
        if verb == "shell":
            sh = Shell(state, uid)
            out, err, rc = sh.run(" ".join(rest))
            return out + bytes(sh.raw).decode("latin-1"), err, rc
        if verb == "exec-out":
            sh = Shell(state, uid)
            out, err, rc = sh.run(" ".join(rest))
            return out.encode() + bytes(sh.raw), err, rc
        if verb == "root":
            if state["props"].get("ro.build.type") == "user":
                return "", "adbd cannot run as root in production builds\n", 1
            was, state["adbd_root"] = state["adbd_root"], True
            return ("adbd is already running as root\n" if was else "restarting adbd as root\n"), "", 0
        if verb == "unroot":
            if not state["adbd_root"]:
                return "adbd not running as root\n", "", 0
            state["adbd_root"] = False
            return "restarting adbd as non root\n", "", 0
        if verb == "remount":
            if not state["adbd_root"]:
                return "", 'Not running as root. Try "adb root" first.\n', 1
            for mounts in state["ns"].values():
                for m in mounts:
                    if m["target"] == "/system":
                        m["ro"] = False
            return "Remount succeeded\n", "", 0
        if verb == "push":
            local, remote = rest
            data = open(local, "rb").read()
            e = lookup(state, "init", remote)
            if e is not None and e["t"] == "d":
                remote = posixpath.join(remote, os.path.basename(local))
            mode = "755" if os.stat(local).st_mode & 0o111 else "644"
            owner = "root" if uid == 0 else "shell"
            put(state, "init", remote, entry("f", mode, owner=owner, group=owner, data=data,
                                             ctx="u:object_r:shell_data_file:s0"), uid)
            return f"{local}: 1 file pushed, 0 skipped. ({len(data)} bytes in 0.001s)\n", "", 0
        if verb == "pull":
            remote, local = rest
            data = read(state, "init", remote)
            open(local, "wb").write(data)
            return f"{remote}: 1 file pulled, 0 skipped. ({len(data)} bytes in 0.001s)\n", "", 0
        if verb == "reverse":
            rev = state["reverse"]
            if rest == ["--list"]:
                return "".join(f"{state['serial']} {k} {v}\n" for k, v in rev.items()), "", 0
            if rest[:1] == ["--remove"]:
                if rev.pop(rest[1], None) is None:
                    return "", f"adb: error: listener '{rest[1]}' not found\n", 1
                return "", "", 0
            if rest == ["--remove-all"]:
                rev.clear()
                return "", "", 0
            if len(rest) == 2 and all(r.startswith("tcp:") for r in rest):
                rev[rest[0]] = rest[1]
                return "", "", 0
        if verb in ("install", "install-multiple"):
            return install(state, verb, rest)
        if verb == "uninstall":
            if rest[0] not in state["packages"]:
                return "Failure [DELETE_FAILED_INTERNAL_ERROR]\n", "", 1
            uninstall(state, rest[0])
            return "Success\n", "", 0
        if verb == "emu":
            return emu(state, rest)
        if verb in ("wait-for-device",):
            return "", "", 0
        if verb == "get-state":
            return "device\n", "", 0
    except Fail as e:
        return "", f"adb: error: {e}\n", 1
    return "", f"adb: unknown command {' '.join(args)}\n", 1


def _axml():
    try:
        import axml  # beside this file: the adb script puts its folder on the path
    except ImportError:  # imported as hooks.standin.adb.device_model
        from hooks.standin.adb import axml
    return axml


def install(state: dict, verb: str, args: list[str]) -> tuple[str, str, int]:
    """`adb install [-r] [-g] APK` / `adb install-multiple [-r] [-g] BASE SPLIT...`."""
    flags = {a for a in args if a.startswith("-")}
    files = [a for a in args if not a.startswith("-")]
    unknown = flags - {"-r", "-g", "-t", "-d"}
    if unknown or not files or (verb == "install" and len(files) != 1):
        return "", f"adb: usage: {verb} [-r] [-g] {'APK' if verb == 'install' else 'APK...'}\n", 1

    def failed(why: str) -> tuple[str, str, int]:
        return "", f"adb: failed to install {' '.join(files)}: Failure [{why}]\n", 1

    facts = []
    for f in files:
        try:
            facts.append(_axml().manifest_facts(f))
        except ValueError as e:
            return failed(str(e))
    bases = [x for x in facts if not x["split"]]
    if len(bases) != 1:
        return failed("INSTALL_FAILED_INVALID_APK: Full install must include a base package" if not bases else
                      "INSTALL_FAILED_INVALID_APK: Split null was defined multiple times")
    base = bases[0]
    package = base["package"]
    other = [x["package"] for x in facts if x["package"] != package]
    if other:
        return failed(f"INSTALL_FAILED_INVALID_APK: Inconsistent package {other[0]} in split; expected {package}")
    if package in state["packages"] and "-r" not in flags:
        return failed(f"INSTALL_FAILED_ALREADY_EXISTS: Attempt to re-install {package} without first uninstalling.")
    if package in state["packages"]:
        force_stop(state, package)
    else:
        state["packages"].append(package)
    requested = sorted({p for x in facts for p in x["permissions"]})
    old = extend(state)["package_info"].get(package, {})
    granted = sorted(p for p in requested if p in RUNTIME) if "-g" in flags else \
        [p for p in old.get("granted", []) if p in requested]
    state["package_info"][package] = {"requested": requested, "granted": granted, "version_code": base["version_code"],
                                      "splits": sorted(str(x["split"]) for x in facts if x["split"])}
    return "Performing Streamed Install\nSuccess\n", "", 0


def emu(state: dict, args: list[str]) -> tuple[str, str, int]:
    """`adb emu CMD`: the emulator console, as adb relays it (its answer ends with OK, or KO: why)."""
    console = extend(state)["emu"]
    if console is None:
        return "", f"adb: {state['serial']} is not an emulator: no console to send `{' '.join(args)}` to\n", 1
    if args[:2] == ["geo", "fix"] and len(args) in (4, 5, 6):
        try:
            lng, lat = float(args[2]), float(args[3])
        except ValueError:
            return "KO: argument is not a number\n", "", 1
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            return "KO: invalid longitude or latitude\n", "", 1
        console["geo"] = {"lng": lng, "lat": lat}
        return "OK\n", "", 0
    if args == ["avd", "name"]:
        return f"{console['avd']}\nOK\n", "", 0
    return f"KO: unknown command, try 'help' ({' '.join(args)})\n", "", 1


def load(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def save(path: str, state: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def adb_main(path: str, args: list[str]) -> int:
    import fcntl
    # One adb call at a time per device: a consent driver and a recorder may call together, and
    # each call reads, changes and writes the whole state.
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(path + ".log", "a") as log:
            log.write(" ".join(args) + "\n")
        state = load(path)
        out, err, rc = adb(state, args)
        save(path, state)
    if isinstance(out, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(out)
    else:
        sys.stdout.write(out)
    sys.stderr.write(err)
    return rc
