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
- a dead device: state "online": false, every command but `devices` fails "device offline".

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
    init = spawn(state, "init", ppid=0, ns="init")
    spawn(state, "adbd", ppid=init, ns="init", user="shell")
    for z in ("zygote64", "zygote"):
        zpid = spawn(state, z, ppid=init, ns=None)
        state["ns"][f"ns{zpid}"] = copy.deepcopy(mounts)
        process(state, zpid)["ns"] = f"ns{zpid}"
    start_app(state, "com.android.settings")
    return state


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
    if args[0] == "-o" and set(args[1].split(",")) == {"rw", "remount"}:
        target = norm(args[2])
        if target.startswith("/apex"):
            raise Fail(f"mount: '{target}' not user mountable in fstab")
        hits = [m for m in mounts if m["target"] == target]
        if not hits:
            raise Fail(f"mount: '{target}' not in /proc/mounts")
        hits[-1]["ro"] = False
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
        sh.state["packages"].remove(args[1])
        sh.say("Success")
    else:
        raise Fail(f"pm: the device double does not model {' '.join(args)}")
    return 0


def sh_am(sh: Shell, args: list[str]) -> int:
    if args[:2] == ["start", "-n"]:
        start_app(sh.state, args[2].split("/")[0])
        sh.say(f"Starting: Intent {{ cmp={args[2]} }}")
        return 0
    raise Fail(f"am: the device double does not model {' '.join(args)}")


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
    "pm": sh_pm, "am": sh_am, "echo": sh_echo, "true": lambda sh, a: 0,
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
        if verb == "install":
            apk = rest[-1]
            package = os.path.basename(apk)[:-len(".apk")]
            if package not in state["packages"]:
                state["packages"].append(package)
            return "Performing Streamed Install\nSuccess\n", "", 0
        if verb == "uninstall":
            if rest[0] not in state["packages"]:
                return "Failure [DELETE_FAILED_INTERNAL_ERROR]\n", "", 1
            state["packages"].remove(rest[0])
            return "Success\n", "", 0
        if verb in ("wait-for-device",):
            return "", "", 0
        if verb == "get-state":
            return "device\n", "", 0
    except Fail as e:
        return "", f"adb: error: {e}\n", 1
    return "", f"adb: unknown command {' '.join(args)}\n", 1


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
