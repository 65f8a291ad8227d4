"""Build and launch the JVM stand-in for Android.

``build()`` compiles the Java sources under ``hooks/standin/src`` with the JDK's ``javac``
(no Maven/Gradle) and skips the work when a stamp says the sources have not changed.
``java_command()`` gives the argv that runs the scripted app through a proxy; the other
helpers make the inputs it needs (a truststore holding mitmproxy's CA, the device values).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:  # only for the annotation; keeps this module importable without PyYAML
    from piiaudit.profile import DeviceProfile

HERE = Path(__file__).resolve().parent
SRC_DIR = HERE / "src"
DEFAULT_OUT = HERE / "build" / "classes"
# A hosts file for the JVM's own resolver (-Djdk.net.hosts.file): any name the JVM tries to
# resolve, other than localhost, fails inside the JVM instead of becoming a DNS query.
LOOPBACK_HOSTS = HERE / "loopback.hosts"
MANIFEST = HERE / "AndroidManifest.xml"      # the demo app's manifest (piiaudit.apk.read_manifest_xml)
DEFAULT_MAIN = "com.example.demoshop.DemoShopLauncher"
JAVA_RELEASE = "17"
STAMP_NAME = ".standin-build-stamp"
TRUSTSTORE_PASSWORD = "piiaudit-standin"
# The stand-in's screen (docs/standin-screen.md): -Dstandin.screen=PORTFILE serves it on loopback,
# -Dstandin.user=device lets the person at the screen answer, within -Dstandin.answer_wait_ms.
SCREEN_PROPERTY = "standin.screen"
USER_PROPERTY = "standin.user"
ANSWER_WAIT_PROPERTY = "standin.answer_wait_ms"
DEFAULT_ANSWER_WAIT_MS = 6000
SCREEN_SIZE = (1080, 2400)

INSTALL_HINT = (
    "install a JDK 17 (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) "
    "or set JAVA_HOME to one"
)

# Device profile keys the stand-in's framework returns, in the order written.
PROFILE_KEYS = (
    "imei", "meid", "imsi", "iccid", "phone_number", "android_id", "oaid", "advertising_id",
    "mac", "bluetooth_mac", "serial", "ssid", "sim_operator", "clipboard", "email",
)

# The build the stand-in's android.os.Build reports (src/android/os/Build.java; a test reads it back):
# recorded as the device's build by `piiaudit demo`, as `adb getprop` gives a real device's.
BUILD_FACTS = {"android": "14", "api": "34", "build_id": "UP1A.231005.007",
               "fingerprint": "piiaudit/standin/standin:14/UP1A.231005.007/1:user/release-keys"}


class JdkNotFound(RuntimeError):
    pass


class BuildError(RuntimeError):
    pass


def jdk_tool(name: str) -> str:
    """Path of a JDK tool (java, javac, keytool): $JAVA_HOME/bin first, then PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise JdkNotFound(f"`{name}` not found (JAVA_HOME={java_home or 'unset'}, not on PATH): {INSTALL_HINT}")


def sources(src_dir: Path | None = None) -> list[Path]:
    return sorted((src_dir or SRC_DIR).rglob("*.java"))


def source_hash(src_dir: Path | None = None) -> str:
    """SHA-256 over every source's relative path and bytes, plus the target release."""
    src_dir = src_dir or SRC_DIR
    h = hashlib.sha256(f"release={JAVA_RELEASE}\n".encode())
    for path in sources(src_dir):
        h.update(path.relative_to(src_dir).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def is_current(out_dir: Path = DEFAULT_OUT) -> bool:
    stamp = Path(out_dir) / STAMP_NAME
    return stamp.is_file() and stamp.read_text().strip() == source_hash()


def build(out_dir: Path | None = None) -> Path:
    """Compile the stand-in into ``out_dir`` (the classpath directory) unless it is current.

    Safe to call from concurrent processes: a lock file serialises builds, and the classes
    are compiled into a scratch directory that replaces ``out_dir`` only when complete.
    """
    out = Path(out_dir) if out_dir is not None else DEFAULT_OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    digest = source_hash()
    with open(out.parent / f".{out.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = out / STAMP_NAME
        if stamp.is_file() and stamp.read_text().strip() == digest:
            return out
        javac = jdk_tool("javac")
        scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
        try:
            argfile = scratch / "sources.txt"
            argfile.write_text("\n".join(f'"{p.as_posix()}"' for p in sources()) + "\n")
            classes = scratch / "classes"
            cmd = [javac, "--release", JAVA_RELEASE, "-encoding", "UTF-8", "-nowarn", "-g",
                   "-d", str(classes), f"@{argfile}"]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise BuildError(f"javac failed ({proc.returncode}):\n{proc.stderr or proc.stdout}")
            (classes / STAMP_NAME).write_text(digest + "\n")
            if out.exists():
                shutil.rmtree(out)
            os.replace(classes, out)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return out


def java_command(
    classpath: Path | str,
    *,
    proxy_host: str | None,
    proxy_port: int | None,
    truststore: Path | str | None,
    truststore_password: str | None,
    device_properties: Path | str | None,
    extra_jvm_args: Sequence[str] = (),
    main: str = DEFAULT_MAIN,
    app_args: Sequence[str] = (),
) -> list[str]:
    """The argv that runs ``main`` with every HTTP(S) request going through the proxy.

    ``http.nonProxyHosts`` is set empty so that nothing (not even loopback) bypasses the
    proxy, and the JVM resolves names from ``loopback.hosts`` only. Give the proxy as an IP
    literal (127.0.0.1). Pass ``None`` for the proxy or truststore to leave them out (the
    offline scenario and the hook bench need neither).
    """
    argv = [jdk_tool("java"), "-cp", str(classpath), "-XX:-UsePerfData",
            f"-Djdk.net.hosts.file={LOOPBACK_HOSTS}"]
    if proxy_host is not None and proxy_port is not None:
        argv += [
            f"-Dhttps.proxyHost={proxy_host}", f"-Dhttps.proxyPort={int(proxy_port)}",
            f"-Dhttp.proxyHost={proxy_host}", f"-Dhttp.proxyPort={int(proxy_port)}",
            "-Dhttp.nonProxyHosts=",
        ]
    if truststore is not None:
        argv += [f"-Djavax.net.ssl.trustStore={truststore}",
                 f"-Djavax.net.ssl.trustStorePassword={truststore_password or ''}"]
    if device_properties is not None:
        argv.append(f"-Dstandin.device={device_properties}")
    argv += list(extra_jvm_args)
    argv.append(main)
    argv += list(app_args)
    return argv


def screen_args(port_file: Path | str, *, device_user: bool = True,
                answer_wait_ms: int | None = None) -> list[str]:
    """JVM flags that open the stand-in's screen on loopback (its port written to ``port_file``)
    and, with ``device_user``, let taps through that screen answer the app's dialogs and the
    system's permission prompts instead of the scripted user (each waits ``answer_wait_ms``,
    default 6000, then the run goes on as if unanswered). Pass them as ``extra_jvm_args``."""
    args = [f"-D{SCREEN_PROPERTY}={port_file}"]
    if device_user:
        args.append(f"-D{USER_PROPERTY}=device")
        if answer_wait_ms is not None:
            if int(answer_wait_ms) < 0:
                raise ValueError(f"answer_wait_ms must be >= 0, not {answer_wait_ms}")
            args.append(f"-D{ANSWER_WAIT_PROPERTY}={int(answer_wait_ms)}")
    return args


def make_truststore(ca_pem: Path | str, out: Path | str) -> tuple[Path, str]:
    """A PKCS#12 truststore holding only ``ca_pem`` (mitmproxy's CA); returns (path, password)."""
    ca_pem, out = Path(ca_pem), Path(out)
    if not ca_pem.is_file():
        raise FileNotFoundError(f"{ca_pem}: no CA certificate (start mitmproxy once to create it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)  # keytool refuses to import an alias twice
    # keytool's defaults, as an app ships its store: the certificate PBE-protected and the store
    # MAC'd, so every TLS start-up runs PBKDF2 (tens of thousands of HMAC steps) inside
    # KeyStore.load, a quiet zone of the hooks: counted, never reported (docs/hooks.md, Cost).
    cmd = [jdk_tool("keytool"), "-importcert", "-noprompt", "-alias", "mitmproxy",
           "-file", str(ca_pem), "-keystore", str(out), "-storetype", "PKCS12",
           "-storepass", TRUSTSTORE_PASSWORD]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"keytool -importcert failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return out, TRUSTSTORE_PASSWORD


def _escape_properties(text: str, *, key: bool = False) -> str:
    """Escape for java.util.Properties.load(Reader) (the file is read as UTF-8)."""
    out = []
    for i, ch in enumerate(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\f":
            out.append("\\f")
        elif ch in "=:#!" and (key or i == 0):
            out.append("\\" + ch)
        elif ch == " " and (key or i == 0):
            out.append("\\ ")
        else:
            out.append(ch)
    return "".join(out)


def device_properties(profile: "DeviceProfile") -> dict[str, str]:
    """The key/value pairs the stand-in's framework returns for ``profile``.

    The first value of each PII type is the device's; keys the profile lacks are left out
    (the stand-in then uses the demo device's value).
    """
    props: dict[str, str] = {}
    for key in PROFILE_KEYS:
        values = profile.values.get(key)
        if values:
            props[key] = values[0]
    apps = profile.values.get("installed_apps")
    if apps:
        props["installed_apps"] = ",".join(apps)
    if profile.locations:
        fix = profile.locations[0]
        props["location.lat"] = repr(float(fix.lat))
        props["location.lng"] = repr(float(fix.lng))
    for field in ("model", "manufacturer"):
        if profile.device.get(field):
            props[f"device.{field}"] = str(profile.device[field])
    return props


def write_device_properties(profile: "DeviceProfile", out: Path | str) -> Path:
    """Write the values the stand-in returns (read via -Dstandin.device=<out>)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    origin = " ".join(str(profile.source or "a device profile").split())
    lines = [f"# stand-in device values from {origin}"]
    lines += [f"{_escape_properties(k, key=True)}={_escape_properties(v)}"
              for k, v in device_properties(profile).items()]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def run_args(argv: Iterable[str]) -> str:
    """The argv as one shell-quoted line (for logs and the README)."""
    import shlex
    return " ".join(shlex.quote(a) for a in argv)
